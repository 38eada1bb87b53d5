/* The coverage report's state, shared by its files (coverage.c, coverage-doc.c) only. */
#ifndef LOGPACK_REPORT_COVERAGE_PRIVATE_H
#define LOGPACK_REPORT_COVERAGE_PRIVATE_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "base/util.h"
#include "report/coverage.h"

struct cov_gap {
	int64_t after, before, seconds;
	uint64_t line;
};

struct cov_back {
	int64_t when, newest, seconds;
	uint64_t line;
};

struct cov_run {
	uint64_t offset, length;
};

/*
 * What the rotation sets need of a file done, besides its path and why it was not read. It goes
 * to the done file at once (cov_done_add), with them: nothing stays in memory per file.
 */
struct cov_done {
	int64_t first, last;
	unsigned have : 1;  /* it has events */
	unsigned whole : 1; /* it was read from its start (not a segment, not skipped) */
	unsigned local : 1; /* its times are wall-clock times of unknown zone */
};

struct cov_file;

struct coverage {
	struct coverage_options opt;
	char *spill_dir;
	struct cov_file *cur;
	/*
	 * Each file's record waits on disk until the end, one JSON line each, and so do its
	 * summary lines: in memory a record costs kilobytes, and a host may have a million logs.
	 * Both are unlinked temporary files in spill_dir, opened at the first record. So does
	 * what the rotation sets need of every file done (its cov_done, path and reason), in
	 * the done file opened at the first file done: in memory it was about 95 bytes a file,
	 * 95 MiB at a million files, for the few rotated ones among them.
	 */
	FILE *records, *summary, *done;
	char *records_buf, *summary_buf, *done_buf;
	uint64_t n_records;
	int spill_errno; /* the first failure to write them (or to read the done file back) */
	json_t *extra;   /* clock, time zone, forwarding */
	json_t *seals;   /* signature and MAC files met among the logs */
	int have_newest, newest_local;
	int64_t newest;
};

/*
 * A file done, after its record was spilled (why NULL) or without one (present, not read): to
 * the done file; a failure to write it is remembered in spill_errno, as for the records.
 */
void cov_done_add(struct coverage *cov, const char *path, const char *why,
                  const struct cov_done *facts);
/* The summary's lines of one log record, of the rotation sets, of the host-wide parts. */
void cov_summary_log(struct strbuf *sb, const json_t *log);
void cov_summary_sets(struct strbuf *sb, const json_t *sets);
void cov_summary_host(struct strbuf *sb, const json_t *doc);
/* A file's record: to the records file, its summary lines to the summary file. */
void cov_spill_record(struct coverage *cov, const json_t *rec);

/* An ISO 8601 time; without the "Z" when local (a wall-clock time of unknown zone). */
json_t *coverage_time_json(int64_t epoch, int local);

#endif
