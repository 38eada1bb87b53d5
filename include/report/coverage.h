/*
 * What the collected logs cover (logpack/coverage.json): for each log its format, time range,
 * event count, gaps, times going backwards, runs of NUL bytes and lines that do not parse; for
 * each rotation set whether its generations are complete and contiguous; the clock, time zone
 * and forwarding found in the root. Fed buffer by buffer from the one read that hashes each
 * file, with memory bounded per file whatever its size or line length. See docs/coverage.md.
 */
#ifndef LOGPACK_REPORT_COVERAGE_H
#define LOGPACK_REPORT_COVERAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "base/util.h"

struct coverage_options {
	int64_t gap_seconds;       /* a silence at least this long is a gap (default 1 hour) */
	int64_t backwards_seconds; /* a line older than an earlier one by more is reported */
	/* Where the records wait (unlinked temporary files): the output directory, never the
	 * source host's /tmp. NULL: $TMPDIR or /tmp (the unit tests). */
	const char *spill_dir;
};

#define COVERAGE_DEFAULT_GAP 3600
#define COVERAGE_DEFAULT_BACKWARDS 300
/* Of each kind of finding, the largest kept per file. */
#define COVERAGE_KEEP 5

struct coverage;

/* A new report; opt NULL: the defaults. */
struct coverage *coverage_new(const struct coverage_options *opt);
void coverage_free(struct coverage *cov);

/*
 * A file begins: its path relative to the root ("var/log/syslog"), mtime, size at open, and
 * the offset of the first byte that will be fed (not 0 when only the end of the file is kept,
 * or a snapshot takes only what was appended).
 */
void coverage_file_begin(struct coverage *cov, const char *path, int64_t mtime, uint64_t size,
                         uint64_t offset);
/* The next bytes of the file, as read. */
void coverage_file_data(struct coverage *cov, const void *buf, size_t len);
/* The file ends: its record is complete. */
void coverage_file_end(struct coverage *cov);

/*
 * The same for a file analysed apart from the report's other calls, on another thread: open
 * reads only the report's options, feed touches only the file, and close adds the file's
 * record to the report, in the order of the calls about other files (it is the file's end).
 * discard drops a file that will not be closed (an error while it was read).
 */
struct cov_file;
/* Are the file's bytes decompressed for the analysis (by its name)? */
int coverage_inflates(const char *path);
struct cov_file *coverage_open_file(const struct coverage *cov, const char *path, int64_t mtime,
                                    uint64_t size, uint64_t offset);
void coverage_feed_file(struct cov_file *f, const void *buf, size_t len);
void coverage_close_file(struct coverage *cov, struct cov_file *f);
void coverage_discard_file(struct cov_file *f);

/*
 * A file that is there but whose bytes are not in this bundle (a snapshot found it unchanged):
 * a generation of its rotation set all the same, not a missing one. why: "unchanged".
 */
void coverage_file_present(struct coverage *cov, const char *path, const char *why);

/* The list of seal files (KSI signatures met among the logs; MAC files named in configuration):
 * the caller may append to it. Owned by cov. */
json_t *coverage_seals(struct coverage *cov);

/* Host-wide parts, gathered by the caller from the root (see clock.h, forwarding.h); stolen. */
void coverage_set(struct coverage *cov, const char *key, json_t *value);

/* Where coverage_write puts the document: its size in bytes first, then all of them. */
struct coverage_out {
	int (*begin)(void *ctx, uint64_t size, struct error *err);
	int (*write)(void *ctx, const void *buf, size_t len, struct error *err);
	void *ctx;
};

/*
 * The whole document as JSON text to out, one record of a log a line, with rotation sets
 * worked out and, given collected_at (epoch seconds), the newest event against the collection
 * time; and each line of its short summary (what coverage_summary would say of it) to line,
 * when not NULL. The records are read back from disk, straight into out, so memory does not
 * grow with the number of logs and the document is not copied. 0, or -1 with err set (a
 * temporary file could not be written or read, or out failed).
 */
int coverage_write(struct coverage *cov, int64_t collected_at, const struct coverage_out *out,
                   void (*line)(void *ctx, const char *text), void *ctx, struct error *err);

/*
 * The whole document as a JSON tree (the records read back into memory: for tests and small
 * reports). NULL when a temporary file failed. The caller owns the result.
 */
json_t *coverage_document(struct coverage *cov, int64_t collected_at);

/*
 * A short human summary of a coverage document (from this run or read from a bundle, so any
 * JSON at all): one finding per line, each starting with two spaces. Caller frees.
 */
char *coverage_summary(const json_t *doc);

/*
 * The span of events a coverage.json text reports: the oldest and newest event of any log
 * (times without a zone read as UTC). 1 with *from and *to set, 0 when it names no event or
 * is not a coverage document.
 */
int coverage_span(const char *text, size_t len, int64_t *from, int64_t *to);

#endif
