/* A staging directory for a bag being extracted: renamed into place when verified. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/stage.h"

struct dir_time {
	char *rel;
	struct timespec mtime;
};

struct stage {
	char *dir;      /* DIR as given */
	char *name;     /* the staging directory's name inside DIR */
	int dir_fd;     /* DIR */
	int stage_fd;   /* the staging directory */
	int file_fd;    /* the file being written, or -1 */
	char *file_rel; /* its name, for messages */
	struct timespec file_mtime;
	int file_has_mtime;
	struct dir_time *dirs;
	size_t n_dirs;
	int committed;
	int made_dir; /* DIR was made here: removed again if nothing lands in it */
};

int stage_open(struct stage **out, const char *dir, struct error *err)
{
	struct stage *st = xcalloc(1, sizeof(*st));
	char *tmpl = NULL;

	*out = NULL;
	st->dir_fd = st->stage_fd = st->file_fd = -1;
	st->dir = xstrdup(dir);
	if (mkdir(dir, 0700) == 0)
		st->made_dir = 1;
	else if (errno != EEXIST) {
		error_set(err, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	st->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dir_fd < 0) {
		error_set(err, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	tmpl = xasprintf("%s/.logpack-extract-XXXXXX", dir);
	if (mkdtemp(tmpl) == NULL) {
		error_set(err, "%s: cannot make a staging directory: %s", dir, strerror(errno));
		goto fail;
	}
	st->name = xstrdup(path_basename(tmpl));
	st->stage_fd =
	        openat(st->dir_fd, st->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st->stage_fd < 0) {
		error_set(err, "%s: %s", tmpl, strerror(errno));
		goto fail;
	}
	free(tmpl);
	*out = st;
	return 0;
fail:
	free(tmpl);
	stage_close(st);
	return -1;
}

/*
 * Open the directory holding rel's last component, creating the ones missing (0700); never
 * through a symbolic link. Returns an fd (the caller closes it) and points *last at the last
 * component, or -1.
 */
static int open_parent(struct stage *st, const char *rel, const char **last, struct error *err)
{
	int fd = dup(st->stage_fd);
	const char *p = rel;

	if (fd < 0) {
		error_set(err, "%s", strerror(errno));
		return -1;
	}
	for (;;) {
		const char *slash = strchr(p, '/');
		char *comp;
		int sub;

		if (slash == NULL)
			break;
		comp = xstrndup(p, (size_t)(slash - p));
		if (mkdirat(fd, comp, 0700) < 0 && errno != EEXIST) {
			error_set(err, "'%s': %s", rel, strerror(errno));
			free(comp);
			close(fd);
			return -1;
		}
		sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		free(comp);
		close(fd);
		if (sub < 0) {
			error_set(err, "'%s': %s", rel, strerror(errno));
			return -1;
		}
		fd = sub;
		p = slash + 1;
	}
	*last = p;
	return fd;
}

int stage_dir(struct stage *st, const char *rel, const struct timespec *mtime, struct error *err)
{
	const char *last;
	int fd = open_parent(st, rel, &last, err);

	if (fd < 0)
		return -1;
	if (mkdirat(fd, last, 0700) < 0 && errno != EEXIST) {
		error_set(err, "'%s': %s", rel, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (mtime) {
		st->dirs = xreallocarray(st->dirs, st->n_dirs + 1, sizeof(*st->dirs));
		st->dirs[st->n_dirs].rel = xstrdup(rel);
		st->dirs[st->n_dirs++].mtime = *mtime;
	}
	return 0;
}

int stage_file_begin(struct stage *st, const char *rel, const struct timespec *mtime,
                     struct error *err)
{
	const char *last;
	int fd = open_parent(st, rel, &last, err);

	if (fd < 0)
		return -1;
	st->file_fd = openat(fd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (st->file_fd < 0) {
		error_set(err, "'%s': %s", rel,
		          errno == EEXIST ? "already exists (never overwritten)" : strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	free(st->file_rel);
	st->file_rel = xstrdup(rel);
	st->file_has_mtime = mtime != NULL;
	if (mtime)
		st->file_mtime = *mtime;
	return 0;
}

int stage_file_write(struct stage *st, const void *buf, size_t len, struct error *err)
{
	if (st->file_fd < 0) {
		error_set(err, "no file is open");
		return -1;
	}
	if (write_all(st->file_fd, buf, len) < 0) {
		error_set(err, "'%s': %s", st->file_rel, strerror(errno));
		return -1;
	}
	return 0;
}

int stage_file_end(struct stage *st, struct error *err)
{
	int fd = st->file_fd, ret = 0;

	if (fd < 0)
		return 0;
	st->file_fd = -1;
	if (st->file_has_mtime) {
		struct timespec times[2] = {st->file_mtime, st->file_mtime};

		if (futimens(fd, times) < 0) {
			error_set(err, "'%s': %s", st->file_rel, strerror(errno));
			ret = -1;
		}
	}
	if (close(fd) < 0 && ret == 0) {
		error_set(err, "'%s': %s", st->file_rel, strerror(errno));
		ret = -1;
	}
	return ret;
}

int stage_commit(struct stage *st, const char *name, struct error *err)
{
	if (stage_file_end(st, err) < 0)
		return -1;
	if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || !*name) {
		error_set(err, "'%s' is not a name for a directory in %s", name, st->dir);
		return -1;
	}
	/* Deepest first: setting a directory's time must come after its contents changed. */
	for (size_t i = st->n_dirs; i-- > 0;) {
		struct timespec times[2] = {st->dirs[i].mtime, st->dirs[i].mtime};

		if (utimensat(st->stage_fd, st->dirs[i].rel, times, AT_SYMLINK_NOFOLLOW) < 0) {
			error_set(err, "'%s': %s", st->dirs[i].rel, strerror(errno));
			return -1;
		}
	}
	/*
	 * POSIX rename replaces an empty directory or a symbolic link without a word. Claiming
	 * the name with mkdir first fails on anything already there (a link is not followed),
	 * and the rename then replaces only the empty directory just made.
	 */
	if (mkdirat(st->dir_fd, name, 0700) < 0) {
		error_set(err, "%s/%s: %s", st->dir, name,
		          errno == EEXIST ? "already exists (never overwritten)" : strerror(errno));
		return -1;
	}
	if (renameat(st->dir_fd, st->name, st->dir_fd, name) < 0) {
		error_set(err, "cannot rename %s/%s to %s/%s: %s", st->dir, st->name, st->dir, name,
		          strerror(errno));
		unlinkat(st->dir_fd, name, AT_REMOVEDIR);
		return -1;
	}
	st->committed = 1;
	return 0;
}

/* Remove name inside parent_fd and everything under it, following no link. */
static void remove_tree(int parent_fd, const char *name)
{
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0) {
		unlinkat(parent_fd, name, 0);
		return;
	}
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		remove_tree(dirfd(d), de->d_name);
	}
	closedir(d);
	unlinkat(parent_fd, name, AT_REMOVEDIR);
}

void stage_close(struct stage *st)
{
	if (st == NULL)
		return;
	if (st->file_fd >= 0)
		close(st->file_fd);
	if (st->stage_fd >= 0)
		close(st->stage_fd);
	if (st->name && !st->committed && st->dir_fd >= 0)
		remove_tree(st->dir_fd, st->name);
	if (st->dir_fd >= 0)
		close(st->dir_fd);
	if (st->made_dir && !st->committed)
		rmdir(st->dir);
	for (size_t i = 0; i < st->n_dirs; i++)
		free(st->dirs[i].rel);
	free(st->dirs);
	free(st->file_rel);
	free(st->name);
	free(st->dir);
	free(st);
}
