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

#endif
