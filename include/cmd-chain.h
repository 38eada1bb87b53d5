/*
 * The command side of chains, for `verify --chain` and `extract --chain`: run the check or the
 * rebuild, print what was found, return the exit code.
 */
#ifndef LOGPACK_CMD_CHAIN_H
#define LOGPACK_CMD_CHAIN_H

#include <stddef.h>

/*
 * Verify a series given as bundles and/or directories of bundles. Prints one line per bundle,
 * every problem and every anomaly the series recorded. Exit: 0 whole, 7 whole but anomalies
 * were recorded, 4 INVALID (a bundle altered, or the chain broken), 3 unreadable.
 */
int chain_cmd_verify(const char *const *paths, size_t n, int json);
/* Verify, then rebuild the series' files under dir. Exit: 0, 4 INVALID (nothing written), 3. */
int chain_cmd_extract(const char *const *paths, size_t n, const char *dir, int json);

#endif
