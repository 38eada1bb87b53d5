/*
 * Confining a process that reads hostile input (receive's bundle reader): resource limits, no
 * descriptors but the ones it needs, another user, no new privileges, and a seccomp filter
 * that refuses every system call that opens, creates, removes or renames a file, makes a
 * socket, or runs a program. Each step is a separate call so that the caller decides the
 * order (the reader loads its trust anchors and drops its user before the filter).
 */
#ifndef LOGPACK_SANDBOX_H
#define LOGPACK_SANDBOX_H

#include <stdint.h>
#include <sys/types.h>

#include "base/util.h"

struct sandbox_limits {
	uint64_t address_space; /* RLIMIT_AS in bytes; 0: leave it */
	uint64_t cpu_seconds;   /* RLIMIT_CPU; 0: leave it */
};

/*
 * Set the limits, and always: no file may grow (RLIMIT_FSIZE 0), no core dump, at most 16
 * descriptors. Under AddressSanitizer RLIMIT_AS is left alone (its shadow memory needs
 * terabytes of address space); *as_skipped says so. Returns 0, or -1 with err.
 */
int sandbox_set_limits(const struct sandbox_limits *lim, int *as_skipped, struct error *err);
/* Close every descriptor from first on (close_range, else one by one). Returns 0 or -1. */
int sandbox_close_from(int first, struct error *err);
/* Die with SIGKILL when the parent does (and check it is still there). Returns 0 or -1. */
int sandbox_die_with_parent(pid_t parent, struct error *err);
/* Become uid/gid with no supplementary groups, for good (checked). Returns 0 or -1. */
int sandbox_drop_user(uid_t uid, gid_t gid, struct error *err);
/* PR_SET_NO_NEW_PRIVS: no set-user-ID program or file capability can raise privileges. */
int sandbox_no_new_privs(struct error *err);
/*
 * The seccomp filter (after which nothing can be opened, so load what is needed first):
 * open, create, link, rename, remove, chmod/chown, truncate, mknod, sockets, exec, ptrace,
 * mount, namespaces and setuid calls fail with EPERM. -1 with err where seccomp filters are
 * not available (another architecture, a kernel without them).
 */
int sandbox_seccomp(struct error *err);

#endif
