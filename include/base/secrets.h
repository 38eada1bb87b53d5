/* Keeping the secrets a process holds (keys, passphrases, credentials) out of reach. */
#ifndef LOGPACK_SECRETS_H
#define LOGPACK_SECRETS_H

#include "base/util.h"

/*
 * Before a secret is read: no core file (RLIMIT_CORE 0) and not dumpable (PR_SET_DUMPABLE 0:
 * no core, no ptrace attach by other processes of the same user, /proc/PID files owned by
 * root). Idempotent; lasts for the rest of the process. Returns 0, or -1 with the reason.
 */
int secrets_protect_process(struct error *err);

/*
 * Open a private key file for reading, after secrets_protect_process: it must be a regular file
 * that neither group nor others may access ("permissions 0644 are too open ... run: chmod 600").
 * Returns the fd, or -1 with the reason naming path.
 */
int secrets_open_private(const char *path, struct error *err);
/*
 * The whole of a private key file (as secrets_open_private) in one buffer of max + 1 bytes,
 * NUL-terminated, never reallocated (no copy of the secret is left in freed memory): 0 with
 * *out and *len, or -1 with the reason ("too large for WHAT" past max bytes). The caller
 * frees *out with secrets_free(*out, max + 1).
 */
int secrets_read_private(const char *path, size_t max, const char *what, char **out, size_t *len,
                         struct error *err);
/*
 * The same for a secret that only its owner may have put there (a key that must not come
 * from another user's file): the file must also be owned by the effective user.
 */
int secrets_read_own_private(const char *path, size_t max, const char *what, char **out,
                             size_t *len, struct error *err);
/* Clear and free a buffer that held a secret. Safe on NULL. */
void secrets_free(void *buf, size_t size);

#endif
