/* Confining a process that reads hostile input: limits, descriptors, user, seccomp. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The static musl build has no kernel headers: its reader then runs without the filter and
 * refuses (sandbox_seccomp fails), as on an architecture the filter does not know. */
#if defined(__linux__) && defined(__has_include)
#if __has_include(<linux/audit.h>) && __has_include(<linux/filter.h>) && \
        __has_include(<linux/seccomp.h>)
#define SANDBOX_HAVE_SECCOMP 1
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#endif
#endif

#include "base/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif

static int set_limit(int resource, const char *name, rlim_t value, struct error *err)
{
	struct rlimit rl = {value, value};

	if (setrlimit(resource, &rl) < 0) {
		error_set(err, "setrlimit %s: %s", name, strerror(errno));
		return -1;
	}
	return 0;
}

int sandbox_set_limits(const struct sandbox_limits *lim, int *as_skipped, struct error *err)
{
	*as_skipped = 0;
	if (lim->address_space) {
#ifdef SANDBOX_ASAN
		*as_skipped = 1;
#else
		if (set_limit(RLIMIT_AS, "RLIMIT_AS", (rlim_t)lim->address_space, err) < 0)
			return -1;
#endif
	}
	if (lim->cpu_seconds &&
	    set_limit(RLIMIT_CPU, "RLIMIT_CPU", (rlim_t)lim->cpu_seconds, err) < 0)
		return -1;
	if (set_limit(RLIMIT_FSIZE, "RLIMIT_FSIZE", 0, err) < 0 ||
	    set_limit(RLIMIT_CORE, "RLIMIT_CORE", 0, err) < 0 ||
	    set_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", 16, err) < 0)
		return -1;
	return 0;
}

int sandbox_close_from(int first, struct error *err)
{
	DIR *d;
	struct dirent *de;
	int *fds = NULL;
	size_t n = 0;

#if defined(__linux__) && defined(SYS_close_range)
	if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0)
		return 0;
#endif
	/* Collect first, close after: closing while reading the directory would close its fd. */
	if ((d = opendir("/proc/self/fd")) == NULL) {
		error_set(err, "/proc/self/fd: %s", strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end != '\0' || end == de->d_name || fd < first || fd == dirfd(d))
			continue;
		fds = xreallocarray(fds, n + 1, sizeof(*fds));
		fds[n++] = (int)fd;
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

int sandbox_die_with_parent(pid_t parent, struct error *err)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
		error_set(err, "PR_SET_PDEATHSIG: %s", strerror(errno));
		return -1;
	}
	/* The parent may have died before the call: then nobody would kill us. */
	if (getppid() != parent) {
		error_set(err, "the parent process has gone");
		return -1;
	}
	return 0;
}

int sandbox_drop_user(uid_t uid, gid_t gid, struct error *err)
{
	uid_t ru, eu, su;

	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		error_set(err, "cannot become uid %lu gid %lu: %s", (unsigned long)uid,
		          (unsigned long)gid, strerror(errno));
		return -1;
	}
	/* Fail closed: a way back to root (or a saved id left behind) must not exist. */
	if (getresuid(&ru, &eu, &su) < 0 || ru != uid || eu != uid || su != uid ||
	    (uid != 0 && setuid(0) == 0)) {
		error_set(err, "uid %lu was not dropped for good", (unsigned long)uid);
		return -1;
	}
	return 0;
}

int sandbox_no_new_privs(struct error *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		error_set(err, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

#if defined(SANDBOX_HAVE_SECCOMP) && (defined(__x86_64__) || defined(__aarch64__))
#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#else
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

/* The calls refused: whatever would reach a file by name, make one, or leave the process. */
static const int refused_calls[] = {
#ifdef __NR_open
        __NR_open,
#endif
#ifdef __NR_creat
        __NR_creat,
#endif
#ifdef __NR_link
        __NR_link,
#endif
#ifdef __NR_symlink
        __NR_symlink,
#endif
#ifdef __NR_unlink
        __NR_unlink,
#endif
#ifdef __NR_rename
        __NR_rename,
#endif
#ifdef __NR_mkdir
        __NR_mkdir,
#endif
#ifdef __NR_rmdir
        __NR_rmdir,
#endif
#ifdef __NR_mknod
        __NR_mknod,
#endif
#ifdef __NR_chmod
        __NR_chmod,
#endif
#ifdef __NR_chown
        __NR_chown,
#endif
#ifdef __NR_lchown
        __NR_lchown,
#endif
#ifdef __NR_openat2
        __NR_openat2,
#endif
        __NR_openat,
        __NR_linkat,
        __NR_symlinkat,
        __NR_unlinkat,
        __NR_renameat,
        __NR_renameat2,
        __NR_mkdirat,
        __NR_mknodat,
        __NR_fchmod,
        __NR_fchmodat,
        __NR_fchown,
        __NR_fchownat,
        __NR_truncate,
        __NR_ftruncate,
        __NR_name_to_handle_at,
        __NR_open_by_handle_at,
        __NR_socket,
        __NR_socketpair,
        __NR_connect,
        __NR_bind,
        __NR_listen,
        __NR_accept4,
        __NR_execve,
        __NR_execveat,
        __NR_ptrace,
        __NR_process_vm_readv,
        __NR_process_vm_writev,
        __NR_mount,
        __NR_umount2,
        __NR_pivot_root,
        __NR_chroot,
        __NR_unshare,
        __NR_setns,
        __NR_setuid,
        __NR_setgid,
        __NR_setreuid,
        __NR_setregid,
        __NR_setresuid,
        __NR_setresgid,
        __NR_setgroups,
        __NR_memfd_create,
};

int sandbox_seccomp(struct error *err)
{
	enum { N = sizeof(refused_calls) / sizeof(refused_calls[0]) };
	/* Check the architecture, load the number, one compare per refused call, allow. */
	struct sock_filter prog[4 + 2 * N + 1];
	struct sock_fprog fprog;
	size_t k = 0;

	prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                                         offsetof(struct seccomp_data, arch));
	prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0);
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                                         offsetof(struct seccomp_data, nr));
	for (size_t i = 0; i < N; i++) {
		prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		                                         (unsigned)refused_calls[i], 0, 1);
		prog[k++] = (struct sock_filter)BPF_STMT(
		        BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
	}
	prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	fprog.len = (unsigned short)k;
	fprog.filter = prog;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0) {
		error_set(err, "seccomp filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}
#else
int sandbox_seccomp(struct error *err)
{
	error_set(err, "seccomp filters are not supported on this system");
	return -1;
}
#endif
