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
/* Read a small regular file under the root into a NUL-terminated buffer. -1 with errno. */
int rootfs_read_small(int root_fd, const char *relpath, size_t max, char **out, size_t *len_out);

#endif
