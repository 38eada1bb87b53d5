/* Retention of a series' bundles: --keep N and --keep-for DURATION. */
#ifndef LOGPACK_SERIES_RETENTION_H
#define LOGPACK_SERIES_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "series/state.h"

struct retention_policy {
	uint64_t keep;    /* keep the newest N bundles; 0: all */
	int64_t keep_for; /* remove bundles older than this many seconds; 0: never */
	int64_t now;
};

/* Does the policy drop bundle index (0 the oldest) of count, created at created? Never the
 * newest. */
int retention_drops(const struct retention_policy *pol, size_t index, size_t count,
                    int64_t created);

/*
 * Remove the bundles (and their .sha256) the policy drops from the disk and from st->bundles.
 * Their paths are appended to *removed (the caller frees them). Returns how many.
 */
size_t retention_apply(const struct retention_policy *pol, struct series_state *st, char ***removed,
                       size_t *n_removed);

#endif
