/*
 * The collection pipeline shared by `collect` and `snapshot`: choose a profile, walk the
 * root, read each source once (hashing and archiving the same bytes), write the bag.
 */
#ifndef LOGPACK_COLLECT_H
#define LOGPACK_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "bag.h"
#include "util.h"

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

struct collect_options {
	const char *root;        /* default "/" */
	const char *profile;     /* name or file; NULL or "auto": detect */
	const char *output;      /* directory or file name; NULL: the current directory */
	const char *compression; /* default "zstd" */
	int level;               /* -1: default */
	int has_since, has_until;
	int64_t since, until;   /* by mtime */
	uint64_t max_file_size; /* 0: no limit */
	int skip_large;
	const char *const *excludes;
	size_t n_excludes;
	const char *const *categories; /* NULL: every category */
	size_t n_categories;
	int dry_run;
	int force; /* write even when the space estimate says it will not fit */
	int progress;
	bag_sign_fn sign;
	void *sign_ctx;
	const struct collect_tag *extra_tags;
	size_t n_extra_tags;
	const struct collect_info_field *extra_info;
	size_t n_extra_info;
	const char *name_tag; /* put into the bundle's file name, e.g. the case reference */
};

struct collect_summary {
	char *bundle_path; /* NULL for a dry run */
	char bundle_sha256[SHA256_HEX_LEN + 1];
	uint64_t bundle_bytes;
	char *profile;
	char *profile_reason;
	char *hostname;
	uint64_t files_collected;
	uint64_t bytes_collected;
	uint64_t files_skipped;
	uint64_t files_unreadable;
	uint64_t files_truncated;
	uint64_t links;
	uint64_t estimate_bytes;
	int64_t started, finished;
	/* "category\tpattern" of expected rules that matched nothing. */
	char **absent;
	size_t n_absent;
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
