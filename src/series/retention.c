/* Retention: which bundles of a series go, and removing them. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "series/retention.h"

/*
 * An encrypted bundle comes with the files of its other kinds and its CMS header, each with a
 * .sha256, and maybe a label: all share its stem, and go with it.
 */
static void remove_siblings(const char *path)
{
	static const char *const kinds[] = {".gpg", ".age", ".enc", ".p7m"};
	static const char *const extra[] = {".label.json", ".label.json.p7s"};
	size_t stem = 0;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (str_has_suffix(path, kinds[i]))
			stem = strlen(path) - strlen(kinds[i]);
	if (stem == 0)
		return;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char *p = xasprintf("%.*s%s", (int)stem, path, kinds[i]);
		char *side = xasprintf("%s.sha256", p);

		unlink(p);
		unlink(side);
		free(side);
		free(p);
	}
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		char *p = xasprintf("%.*s%s", (int)stem, path, extra[i]);

		unlink(p);
		free(p);
	}
}

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
			remove_siblings(b->path);
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
