/*
 * verify over many bundles: the arguments expanded (a directory that is not a bag stands for
 * the bundles in it), each bundle checked alone or by worker processes (--parallel), the
 * results kept in argument order for the per-bundle lines, the summary table and --json.
 */
#ifndef LOGPACK_VERIFY_BATCH_H
#define LOGPACK_VERIFY_BATCH_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "base/util.h"
#include "bundle/bundle-read.h"
#include "bundle/verdict.h"
#include "report/journal-seal.h"

/* One bundle's result. outcome is an enum bundle_outcome, or -1 when it could not be read. */
struct verify_item {
	char *path;
	int outcome;
	int code;    /* its exit code under the required level */
	char *line;  /* "NAME: valid, signed by ..., trusted; TLP:AMBER", printable */
	json_t *doc; /* its --json object, with "bag_info" for the table */
};

struct verify_batch {
	struct verify_item *items;
	size_t n;
	/* Optional: check the seal of every journal file in each bundle with this key. */
	const struct journal_seal_key *seal_key;
};

/*
 * The bundles named by paths, in order: a file or a bag directory (one with bagit.txt) is
 * itself; any other directory stands for its bundle files (*.tar, *.tar.zst, *.tar.gz,
 * *.tar.xz), sorted by name, or, when it holds none, is itself a bag for the reader to judge.
 * Returns 0, or -1 with err naming a directory that cannot be listed.
 */
int verify_batch_expand(struct verify_batch *b, const char *const *paths, size_t n,
                        struct error *err);
/*
 * Check every item: in this process when workers <= 1 (with a progress meter on a terminal
 * unless quiet_meter), else in that many worker processes at once, each taking the next bundle
 * when it is done with one. A worker that dies leaves its bundle "could not be read".
 */
void verify_batch_run(struct verify_batch *b, const struct bundle_read_options *ropt,
                      enum verdict_require req, unsigned workers, int quiet_meter);
/* The table of several results: bundle (its file name), host, time, signer, trust, TLP,
 * case, verdict. */
void verify_batch_print_table(const struct verify_batch *b, FILE *fp);
void verify_batch_free(struct verify_batch *b);

#endif
