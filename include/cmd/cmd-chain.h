/*
 * The command side of chains, for `verify --chain` and `extract --chain`: run the check or the
 * rebuild, print what was found, return the exit code.
 */
#ifndef LOGPACK_CMD_CHAIN_H
#define LOGPACK_CMD_CHAIN_H

#include <stddef.h>

#include "bundle/bundle-read.h"
#include "bundle/verdict.h"

/*
 * Verify a series given as bundles and/or directories of bundles, each with the shared reader
 * (ropt: limits and trusted signers). Prints one line per bundle, every problem and every
 * anomaly the series recorded. Exit: 4 INVALID (a bundle, or the chain), 3 unreadable, 7
 * whole but anomalies were recorded, else as verify under req: 0 every bundle meets it, 5 NOT
 * trusted, 6 unsigned.
 */
int chain_cmd_verify(const char *const *paths, size_t n, const struct bundle_read_options *ropt,
                     enum verdict_require req, int json);
/* Verify, then rebuild the series' files under dir. Exit: 4 INVALID (nothing written), 3, or
 * as verify under req (0, 5, 6). */
int chain_cmd_extract(const char *const *paths, size_t n, const struct bundle_read_options *ropt,
                      const char *dir, enum verdict_require req, int json);

#endif
