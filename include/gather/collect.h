/*
 * The collection pipeline shared by `collect` and `snapshot`: choose a profile, walk the
 * root, read each source once (hashing and archiving the same bytes), write the bag.
 */
#ifndef LOGPACK_COLLECT_H
#define LOGPACK_COLLECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "base/util.h"
#include "bundle/bag.h"
#include "report/coverage.h"

/* A tag file or bag-info field that a caller adds (the incident report, snapshot links). */
struct collect_tag {
	const char *name; /* "logpack/incident.json" */
	const void *data;
	size_t len;
};

struct collect_info_field {
	const char *key;
	const char *value;
};

/*
 * Per-source decisions for incremental collection (snapshot). A hook that is NULL is not
 * called; without hooks every source is taken whole.
 */
struct walk_entry;
struct walk_result;
struct json_t;

enum collect_take {
	COLLECT_TAKE_WHOLE,   /* the whole file, as collect does */
	COLLECT_TAKE_SEGMENT, /* bytes [offset, offset + length) only */
	COLLECT_TAKE_SKIP,    /* nothing: recorded in files.jsonl with status and reason */
};

struct collect_decision {
	enum collect_take take;
	uint64_t offset, length; /* COLLECT_TAKE_SEGMENT */
	const char *status;      /* COLLECT_TAKE_SKIP: files.jsonl status ("unchanged") */
	const char *reason;      /* COLLECT_TAKE_SKIP: why */
	struct json_t *record;   /* fields merged into the files.jsonl record (stolen) */
};

struct collect_hooks {
	void *ctx;
	/* After the walk, before any source is read: how many bytes will be stored (for the
	 * space check). */
	int (*plan)(void *ctx, int root_fd, const struct walk_result *walk, uint64_t *store_bytes,
	            struct error *err);
	/* A source is open (fd) and fstat'ed (st): fill d (zeroed: take it whole). */
	int (*decide)(void *ctx, const struct walk_entry *e, int fd, const struct stat *st,
	              struct collect_decision *d, struct error *err);
	/* Each chunk of the source's bytes as they are stored (never the padding). */
	void (*data)(void *ctx, const void *buf, size_t len);
	/* The source is stored: bytes [offset, offset + stored) of it, padding zeros after. */
	int (*stored)(void *ctx, const struct walk_entry *e, const struct stat *st, uint64_t offset,
	              uint64_t stored, uint64_t padding, const char *sha256, struct error *err);
	/* After every source, before the tag files: add tag files and bag-info fields, and
	 * lines to collection.log. */
	int (*finish)(void *ctx, struct bag_writer *bag, FILE *log, struct error *err);
	/* Optional: the bag is complete (its tag manifest has this SHA-256) and about to get
	 * its final name (bag_writer_options.sealed). */
	int (*sealed)(void *ctx, const char *tagmanifest_sha256, struct error *err);
};

/*
 * What a run tells as it goes, for whoever shows it (only cmd/ prints): the pipeline itself
 * never writes to the terminal. Either callback may be NULL.
 */
enum collect_note {
	COLLECT_NOTE_WARNING, /* a source or directory could not be read: "/var/log/x: ..." */
	COLLECT_NOTE_VERBOSE, /* detail for --verbose: the profile chosen and why */
};

enum collect_progress_phase { COLLECT_PROGRESS_BEGIN, COLLECT_PROGRESS_STEP, COLLECT_PROGRESS_END };

struct collect_observer {
	void *ctx;
	void (*note)(void *ctx, enum collect_note kind, const char *text);
	/* BEGIN gives the totals (items, bytes), STEP how much is done, END closes. */
	void (*progress)(void *ctx, enum collect_progress_phase phase, uint64_t items,
	                 uint64_t bytes);
};

struct collect_options {
	const char *root;        /* default "/" */
	const char *profile;     /* name or file; NULL or "auto": detect */
	const char *output;      /* directory or file name; NULL: the current directory */
	const char *compression; /* default "zstd" */
	int level;               /* -1: default */
	int jobs;                /* threads that hash and compress (-j); 0: one per CPU available */
	int has_since, has_until;
	int64_t since, until;   /* by mtime */
	uint64_t max_file_size; /* 0: no limit */
	int skip_large;
	const char *const *excludes;
	size_t n_excludes;
	const char *const *categories; /* NULL: every category */
	size_t n_categories;
	int dry_run;
	/* Take the files that commonly hold secrets (secrets.h); by default they are listed as
	 * withheld and never stored. */
	int include_secrets;
	/* List the unclaimed files under the log directories (category "other") without taking
	 * them. */
	int no_other;
	int force;    /* write even when the space estimate says it will not fit */
	int progress; /* the observer may draw a progress meter */
	const struct collect_observer *observer; /* NULL: nothing is told during the run */
	bag_sign_fn sign;
	void *sign_ctx;
	const struct collect_tag *extra_tags;
	size_t n_extra_tags;
	const struct collect_info_field *extra_info;
	size_t n_extra_info;
	const char *name_tag; /* put into the bundle's file name, e.g. the case reference */
	const struct collect_hooks *hooks; /* snapshot's per-source decisions, or NULL */
	/* Encryption: a sink filter made when the bundle is opened (NULL: none). The encrypted
	 * file in an output directory is "logpack-<random id><filter_suffix>", or with keep_name
	 * the usual name plus filter_suffix. */
	int (*make_filter)(void *ctx, struct sink_filter **out, struct error *err);
	void *filter_ctx;
	const char *filter_suffix; /* ".age" */
	int keep_name;
	int one_file_system; /* never descend into another file system than the root's */
	/* Low-impact mode (docs/low-impact.md): nice 19 and the idle I/O class for the whole
	 * run, and at most io_rate bytes a second read from sources (0: no cap). */
	int nice;
	uint64_t io_rate;
	/* logpack/coverage.json: computed in the read that hashes each source, unless off. */
	int no_coverage;
	struct coverage_options coverage; /* zero: the defaults */
};

struct collect_summary {
	char *bundle_path; /* NULL for a dry run */
	/* "<bundle>.sha256", written beside it; NULL for a dry run */
	char *sidecar_path;
	char bundle_sha256[SHA256_HEX_LEN + 1];
	char tagmanifest_sha256[SHA256_HEX_LEN + 1];
	uint64_t bundle_bytes;
	char *profile;
	char *profile_reason;
	char *hostname;
	uint64_t files_collected;
	uint64_t bytes_collected;
	uint64_t files_skipped;
	uint64_t files_unreadable;
	uint64_t files_truncated; /* cut to the size limit */
	uint64_t files_grew;      /* grew while read: the size at open was stored */
	uint64_t files_shrank;    /* ended early while read: padded, and the run is partial */
	uint64_t links;
	uint64_t files_withheld;     /* may hold secrets: listed, not stored */
	uint64_t files_other;        /* unclaimed files under the log directories, taken */
	uint64_t files_other_listed; /* the same, listed only (--no-other) */
	uint64_t estimate_bytes;
	int64_t started, finished;
	/* "category\tpattern" of expected rules that matched nothing. */
	char **absent;
	size_t n_absent;
	/* Mount points met under the root ("/proc"): crossed, or left out with one_file_system. */
	char **mounts;
	size_t n_mounts;
	int mounts_left_out;
	/* "category\tpattern\treason" of expected rules absent for a known reason (auth events
	 * in the journal when no syslog daemon is configured). */
	char **explained;
	size_t n_explained;
	/* "path\treason" of the files withheld as possible secrets. */
	char **withheld;
	size_t n_withheld;
	/* For --dry-run: "category\tsize\tpath" lines. */
	char **planned;
	size_t n_planned;
};

/*
 * Run a collection. Returns 0 when everything was read, 1 when the bundle was written but
 * some sources could not be read (a partial run), -1 on failure (err says why; no bundle).
 */
int collect_run(const struct collect_options *opt, struct collect_summary *sum, struct error *err);
void collect_summary_free(struct collect_summary *sum);

#endif
