/* Component-by-component opening of paths inside a root, never following links. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "gather/rootfs.h"

int rootfs_openat(int dir_fd, const char *name, int flags)
{
	int fd = openat(dir_fd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);

	/* Only the owner (or CAP_FOWNER) may ask for O_NOATIME. */
	if (fd < 0 && errno == EPERM)
		fd = openat(dir_fd, name, flags | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

int rootfs_open_parent(int root_fd, const char *relpath, const char **base)
{
	const char *p = relpath, *slash;
	int dir_fd = dup(root_fd);

	if (dir_fd < 0)
		return -1;
	while (*p == '/')
		p++;
	while ((slash = strchr(p, '/')) != NULL) {
		size_t len = (size_t)(slash - p);
		char name[256];
		int next;

		if (len == 0) {
			p++;
			continue;
		}
		if (len >= sizeof(name) || (len == 2 && p[0] == '.' && p[1] == '.') ||
		    (len == 1 && p[0] == '.')) {
			close(dir_fd);
			errno = len >= sizeof(name) ? ENAMETOOLONG : EINVAL;
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		next = rootfs_openat(dir_fd, name, O_RDONLY | O_DIRECTORY);
		if (next < 0) {
			int saved = errno;

			close(dir_fd);
			errno = saved;
			return -1;
		}
		close(dir_fd);
		dir_fd = next;
		p = slash + 1;
	}
	if (*p == '\0' || strcmp(p, "..") == 0 || strcmp(p, ".") == 0) {
		close(dir_fd);
		errno = EINVAL;
		return -1;
	}
	*base = p;
	return dir_fd;
}

int rootfs_open(int root_fd, const char *relpath, int flags)
{
	const char *base;
	int dir_fd = rootfs_open_parent(root_fd, relpath, &base), fd, saved;

	if (dir_fd < 0)
		return -1;
	fd = rootfs_openat(dir_fd, base, flags);
	saved = errno;
	close(dir_fd);
	errno = saved;
	return fd;
}

void rootfs_dirs_init(struct rootfs_dirs *d, int root_fd)
{
	memset(d, 0, sizeof(*d));
	d->root_fd = root_fd;
}

static void dirs_pop_to(struct rootfs_dirs *d, size_t depth)
{
	while (d->depth > depth)
		close(d->fd[--d->depth]);
}

void rootfs_dirs_release(struct rootfs_dirs *d)
{
	dirs_pop_to(d, 0);
	free(d->path);
	d->path = NULL;
	d->path_cap = 0;
}

/* A component that may be opened: not empty, not "." or "..", not longer than NAME_MAX. */
static int component_ok(const char *p, size_t len)
{
	if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
		errno = EINVAL;
		return 0;
	}
	if (len > 255) {
		errno = ENAMETOOLONG;
		return 0;
	}
	return 1;
}

int rootfs_dirs_open(struct rootfs_dirs *d, const char *relpath, int flags)
{
	const char *base = strrchr(relpath, '/');
	size_t dir_len = base ? (size_t)(base - relpath) : 0, keep = 0, pos;
	int dir_fd, owned = 0, fd, saved;

	base = base ? base + 1 : relpath;
	if (!component_ok(base, strlen(base)))
		return -1;
	/* The levels still open that are a prefix of the new directory, component for
	 * component. */
	while (keep < d->depth && d->end[keep] <= dir_len &&
	       memcmp(d->path, relpath, d->end[keep]) == 0 &&
	       (d->end[keep] == dir_len || relpath[d->end[keep]] == '/'))
		keep++;
	dirs_pop_to(d, keep);
	if (dir_len + 1 > d->path_cap) {
		d->path_cap = dir_len + 64;
		d->path = xrealloc(d->path, d->path_cap);
	}
	memcpy(d->path, relpath, dir_len);
	d->path[dir_len] = '\0';
	pos = keep ? d->end[keep - 1] + 1 : 0;
	dir_fd = keep ? d->fd[keep - 1] : d->root_fd;
	while (pos < dir_len) {
		const char *comp = relpath + pos;
		size_t len = strcspn(comp, "/");
		char name[256];
		int next;

		if (pos + len > dir_len)
			len = dir_len - pos;
		if (!component_ok(comp, len))
			goto fail;
		memcpy(name, comp, len);
		name[len] = '\0';
		next = rootfs_openat(dir_fd, name, O_RDONLY | O_DIRECTORY);
		if (next < 0)
			goto fail;
		if (!owned && d->depth < ROOTFS_DIRS_MAX) {
			d->fd[d->depth] = next;
			d->end[d->depth++] = pos + len;
		} else {
			/* Too deep to keep: opened for this file only. */
			if (owned)
				close(dir_fd);
			owned = 1;
		}
		dir_fd = next;
		pos += len + 1;
	}
	fd = rootfs_openat(dir_fd, base, flags);
	saved = errno;
	if (owned)
		close(dir_fd);
	errno = saved;
	return fd;
fail:
	saved = errno;
	if (owned)
		close(dir_fd);
	errno = saved;
	return -1;
}

int rootfs_read_small(int root_fd, const char *relpath, size_t max, char **out, size_t *len_out)
{
	struct stat st;
	const char *base;
	int dir_fd = rootfs_open_parent(root_fd, relpath, &base), fd, saved;

	if (dir_fd < 0)
		return -1;
	/* Look before opening too: opening a FIFO wakes its writer, opening a device may act
	 * (a watchdog arms, a tape rewinds). */
	if (fstatat(dir_fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		saved = errno;
	else if (!S_ISREG(st.st_mode))
		saved = S_ISDIR(st.st_mode) ? EISDIR : S_ISLNK(st.st_mode) ? ELOOP : EINVAL;
	else
		saved = 0;
	if (saved) {
		close(dir_fd);
		errno = saved;
		return -1;
	}
	fd = rootfs_openat(dir_fd, base, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	saved = errno;
	close(dir_fd);
	errno = saved;
	if (fd < 0)
		return -1;
	/* Check the type of what was opened, not of what a name pointed at before. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if (read_fd_small(fd, max, out, len_out) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}
