/*
 * A series of snapshot bundles as a whole: is every bundle intact, is the chain whole (one
 * series, sequence 1, 2, 3... with no gap or repeat, each naming the SHA-256 of the previous
 * bundle's tagmanifest), what anomalies did the series record; and rebuilding the host's
 * files from the series' segments, including content later wiped from the host.
 */
#ifndef LOGPACK_CHAIN_H
#define LOGPACK_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"
#include "base/util.h"
#include "bundle/bundle-read.h"

struct chain_bundle {
	char *path;
	char *series; /* NULL when bag-info.txt has none */
	uint64_t sequence;
	char *previous; /* NULL for the first */
	char tagmanifest_sha256[SHA256_HEX_LEN + 1];
	enum bundle_outcome outcome; /* the shared reader's verdict on the bundle alone */
	char *verdict;               /* its one-line form */
	int intact;                  /* not INVALID */
	uint64_t segments, segment_bytes, anomalies;
	int has_events; /* its coverage.json names events: the oldest and newest */
	int64_t events_from, events_to;
};

struct chain_report {
	struct chain_bundle *bundles; /* in sequence order */
	size_t n_bundles;
	char **problems; /* why the chain is broken; empty when it is whole */
	size_t n_problems;
	char **anomalies; /* anomalies.jsonl lines of every bundle, in order */
	size_t n_anomalies;
	char **files; /* extract: "path\tsize\tfile_id" of every file written */
	size_t n_files;
	/* The time the intact bundles' coverage reports span together (has_events: any). */
	int has_events;
	int64_t events_from, events_to;
};

/* Bundles named in paths (a directory stands for the bundles in it). Caller frees *out. */
int chain_list_bundles(const char *const *paths, size_t n, char ***out, size_t *n_out,
                       struct error *err);

/*
 * Verify every bundle with the shared reader (ropt: limits, trust store), then the chain.
 * Returns 0 with the findings in rep (no problems: the series is whole), or -1 when a bundle
 * cannot be read at all.
 */
int chain_verify(const char *const *bundles, size_t n, const struct bundle_read_options *ropt,
                 struct chain_report *rep, struct error *err);

/*
 * Verify every bundle in one pass each, staging its payload in a private directory inside dir
 * (created if needed), and rebuild every file of the series there; move the files into dir
 * only when every bundle and the chain are valid, never over anything already in dir (an
 * error, and nothing is moved). The staging directory is removed in every case. A file's latest
 * path gets its content; content that a later snapshot found replaced (truncated, rewritten,
 * replaced, or superseded at the same path) is written beside it as
 * "<path>.~<file id>~". Returns 0 when the chain is whole and every file rebuilt and checked
 * against its recorded SHA-256; 1 when the chain is broken (nothing written); -1 on failure.
 */
int chain_extract(const char *const *bundles, size_t n, const struct bundle_read_options *ropt,
                  const char *dir, struct chain_report *rep, struct error *err);

void chain_report_free(struct chain_report *rep);

#endif
