/*
 * Incremental, chained snapshots. A snapshot is a collect run whose sources are compared with
 * the state of the previous snapshot (in a state directory): a file that grew is stored as the
 * appended segment, a new file whole, a rotated file is recognised (by inode, or by the hash of
 * its head and of the prefix already held, also through gzip) and not taken again. What cannot
 * be explained (a file that shrank, was rewritten, replaced or deleted) is an anomaly. Each
 * bundle names its series, sequence number and the SHA-256 of the previous bundle's
 * tagmanifest, so that a gap, a reordering or a replaced bundle shows.
 */
#ifndef LOGPACK_SNAPSHOT_H
#define LOGPACK_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "gather/collect.h"

#define SNAPSHOT_SERIES_LEN 32 /* hex digits of the random series id */
#define SNAPSHOT_HEAD_BYTES 4096

struct snapshot_options {
	const char *state_dir;
	/* Collect's options; output must be a directory (bundle names are generated). */
	struct collect_options collect;
	uint64_t keep;    /* keep the newest N bundles; 0: all */
	int64_t keep_for; /* remove bundles older than this many seconds; 0: never */
};

struct snapshot_anomaly {
	char *kind; /* "truncated", "rewritten", "replaced", "disappeared" */
	char *path; /* "/var/log/auth.log", escaped as in files.jsonl */
	char *detail;
};

struct snapshot_summary {
	struct collect_summary collect;
	char series[SNAPSHOT_SERIES_LEN + 1];
	uint64_t sequence;
	char previous[SHA256_HEX_LEN + 1]; /* "" for the first */
	struct snapshot_anomaly *anomalies;
	size_t n_anomalies;
	uint64_t files_new, files_appended, files_unchanged, files_rotated;
	uint64_t bytes_new;
	char *recovered; /* an interrupted run's bundle that was adopted into the series */
	char **removed;  /* bundles removed by --keep / --keep-for */
	size_t n_removed;
};

/*
 * Take one snapshot. Returns 0, 1 when the bundle was written but some sources could not be
 * read, or -1 with err (then the state is as it was). Anomalies are in sum either way.
 */
int snapshot_run(const struct snapshot_options *opt, struct snapshot_summary *sum,
                 struct error *err);
void snapshot_summary_free(struct snapshot_summary *sum);

/* The rotation family of a path: "var/log/syslog.2.gz" -> "var/log/syslog". Caller frees. */
char *snapshot_rotation_base(const char *path);

#endif
