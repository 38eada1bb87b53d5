/*
 * Crash recovery. A run writes pending.json (the state as it will be, and the bundle's final
 * name) before its bundle is renamed into place, and turns it into state.json after. The next
 * run resolves a pending record it finds: the bundle got its final name (adopt it: the series
 * continues after it), or it did not (drop the record: the next snapshot takes the same bytes).
 */
#ifndef LOGPACK_SERIES_RECOVERY_H
#define LOGPACK_SERIES_RECOVERY_H

#include <stdint.h>

#include "base/hash.h"
#include "base/util.h"
#include "series/state.h"

/*
 * Record that next (with the new bundle's tag manifest hash) is about to be committed with
 * bundle; replaced atomically. encrypted: the bundle cannot be read back, and recovery adopts
 * it from this record.
 */
int recovery_write_pending(struct state_dir *sd, const struct series_state *next,
                           const char *bundle, int encrypted, struct error *err);
/* Forget the pending record (the run failed before its bundle got its final name). */
int recovery_drop_pending(struct state_dir *sd, struct error *err);

/*
 * Resolve a pending record left by a killed run, if there is one. old is the loaded state;
 * when the bundle is adopted, old becomes the pending state (with the bundle's tagmanifest
 * hash) and *adopted the bundle's path (caller frees). -1 leaves everything as it was.
 */
int recovery_resolve(struct state_dir *sd, struct series_state *old, char **adopted,
                     struct error *err);

/* Remove temporary bundles and sidecars that killed runs of series left in dir. */
void recovery_remove_leftovers(const char *dir, const char *series);

/* What recovery needs of a finished bundle. */
struct recovery_bundle {
	char tagmanifest[SHA256_HEX_LEN + 1];   /* of its tagmanifest-sha256.txt */
	char bundle_sha256[SHA256_HEX_LEN + 1]; /* of the whole file */
	int has_sidecar;                        /* <bundle>.sha256 is there (and matches) */
	char *series;                           /* LogPack-Snapshot-Series, or NULL */
	uint64_t sequence;
};

/*
 * Read path back in one pass through the bundle source (within bundle_limits_default()
 * limits) and the verifier over it. -1 when it cannot be read, is INVALID, or does not match
 * a .sha256 file beside it.
 */
int recovery_read_bundle(const char *path, struct recovery_bundle *rb, struct error *err);
void recovery_bundle_free(struct recovery_bundle *rb);

/*
 * Test only: when the environment variable LOGPACK_TEST_CRASH_AT equals point, the process
 * kills itself with SIGKILL here, so that the test suite can stop a run at an exact place
 * ("before-bundle-rename", "after-bundle-rename") instead of hoping a random kill lands
 * there. Unset (always, outside the tests), it does nothing.
 */
void recovery_crash_point(const char *point);

#endif
