/*
 * Opening files inside a root directory without ever leaving it: every path is walked
 * component by component with openat(O_NOFOLLOW), so a symbolic link anywhere on the way,
 * or a ".." component, is refused rather than followed. Paths are relative to the root
 * ("var/log/syslog") and may be longer than PATH_MAX.
 */
#ifndef LOGPACK_ROOTFS_H
#define LOGPACK_ROOTFS_H

#include <stddef.h>

/*
 * openat with O_NOFOLLOW, O_CLOEXEC and O_NOATIME (dropped where the kernel refuses it to a
 * non-owner), so that reading a file or listing a directory leaves its access time alone.
 */
int rootfs_openat(int dir_fd, const char *name, int flags);
/* Open relpath under root_fd with flags (as rootfs_openat, at each step). -1 with errno. */
int rootfs_open(int root_fd, const char *relpath, int flags);
/* Open the directory that holds relpath; *base points at relpath's last component. */
int rootfs_open_parent(int root_fd, const char *relpath, const char **base);
/*
 * The directories of the last path opened, kept open, so that siblings (and cousins) in a
 * sorted walk are opened with one openat relative to their parent instead of one per
 * component. Each directory was opened as rootfs_open would (no link, no ".."); only the
 * first ROOTFS_DIRS_MAX levels are kept, deeper ones are opened and closed for each file.
 */
#define ROOTFS_DIRS_MAX 64

struct rootfs_dirs {
	int root_fd;
	size_t depth;                /* levels open */
	int fd[ROOTFS_DIRS_MAX];     /* fd[k]: the directory of the first k + 1 components */
	size_t end[ROOTFS_DIRS_MAX]; /* where component k ends in path */
	char *path;                  /* the directory part of the last path, no trailing '/' */
	size_t path_cap;
};

void rootfs_dirs_init(struct rootfs_dirs *d, int root_fd);
/* Open relpath under the root with flags, reusing the directories still open. -1 with errno. */
int rootfs_dirs_open(struct rootfs_dirs *d, const char *relpath, int flags);
/* Close every directory held. */
void rootfs_dirs_release(struct rootfs_dirs *d);

/* Read a small regular file under the root into a NUL-terminated buffer. -1 with errno. */
int rootfs_read_small(int root_fd, const char *relpath, size_t max, char **out, size_t *len_out);

#endif
