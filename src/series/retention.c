/* Retention: which bundles of a series go, and removing them. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "series/retention.h"

int retention_drops(const struct retention_policy *pol, size_t index, size_t count, int64_t created)
{
	size_t newer = count - 1 - index;

	return (pol->keep && newer >= pol->keep) ||
	       (pol->keep_for && newer > 0 && created < pol->now - pol->keep_for);
}

size_t retention_apply(const struct retention_policy *pol, struct series_state *st, char ***removed,
                       size_t *n_removed)
{
	size_t kept = 0, dropped = 0;

	for (size_t i = 0; i < st->n_bundles; i++) {
		struct state_bundle *b = &st->bundles[i];

		/* A bundle already gone is dropped from the list; one that stays stays listed. */
		if (retention_drops(pol, i, st->n_bundles, b->created) &&
		    (unlink(b->path) == 0 || errno == ENOENT)) {
			char *side = xasprintf("%s.sha256", b->path);

			unlink(side);
			free(side);
			*removed = xreallocarray(*removed, *n_removed + 1, sizeof(**removed));
			(*removed)[(*n_removed)++] = b->path;
			dropped++;
		} else {
			st->bundles[kept++] = *b;
		}
	}
	st->n_bundles = kept;
	return dropped;
}
