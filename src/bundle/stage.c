/* A staging directory for a bag being extracted: renamed into place when verified. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

/*
 * What a signal handler needs to remove the staging directory open now: plain data written
 * before the directory exists and cleared after it is gone, so the handler never sees a
 * half-made state and never calls malloc.
 */
static volatile sig_atomic_t signal_armed;
static int signal_dir_fd = -1;
static char signal_name[64];
static char signal_dir[PATH_MAX];
static volatile sig_atomic_t signal_made_dir;

/* Arm (st) or disarm (NULL) the signal cleanup. */
static void signal_arm(const struct stage *st)
{
	signal_armed = 0;
	if (st == NULL || strlen(st->name) >= sizeof(signal_name))
		return;
	signal_dir_fd = st->dir_fd;
	strcpy(signal_name, st->name);
	signal_made_dir = st->made_dir && strlen(st->dir) < sizeof(signal_dir);
	if (signal_made_dir)
		strcpy(signal_dir, st->dir);
	/* The handler must see the fields written before the flag. */
	atomic_signal_fence(memory_order_seq_cst);
	signal_armed = 1;
}

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
	signal_arm(st);
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
	signal_arm(NULL);
	return 0;
}

int stage_fd(const struct stage *st)
{
	return st->stage_fd;
}

/* Move the entry name from from_fd to DIR: a directory by claim and rename, else by link. */
static int place_entry(struct stage *st, int from_fd, const char *name, struct error *err)
{
	struct stat sb;

	if (fstatat(from_fd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		error_set(err, "'%s': %s", name, strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		/* As in stage_commit: mkdir fails on anything there; rename then replaces it. */
		if (mkdirat(st->dir_fd, name, 0700) < 0) {
			error_set(err, "%s/%s: %s", st->dir, name,
			          errno == EEXIST ? "already exists (never overwritten)"
			                          : strerror(errno));
			return -1;
		}
		if (renameat(from_fd, name, st->dir_fd, name) < 0) {
			error_set(err, "%s/%s: %s", st->dir, name, strerror(errno));
			unlinkat(st->dir_fd, name, AT_REMOVEDIR);
			return -1;
		}
		return 0;
	}
	/* link never replaces anything, nor follows a link at the target. */
	if (linkat(from_fd, name, st->dir_fd, name, 0) < 0) {
		error_set(err, "%s/%s: %s", st->dir, name,
		          errno == EEXIST ? "already exists (never overwritten)" : strerror(errno));
		return -1;
	}
	if (unlinkat(from_fd, name, 0) < 0) {
		error_set(err, "'%s': %s", name, strerror(errno));
		unlinkat(st->dir_fd, name, 0);
		return -1;
	}
	return 0;
}

int stage_commit_entries(struct stage *st, const char *sub, struct error *err)
{
	int sub_fd = openat(st->stage_fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char **names = NULL;
	size_t n = 0, moved = 0;
	struct dirent *de;
	DIR *d;
	int rc = -1;

	if (stage_file_end(st, err) < 0)
		goto out;
	if (sub_fd < 0 || (d = fdopendir(dup(sub_fd))) == NULL) {
		error_set(err, "%s/%s/%s: %s", st->dir, st->name, sub, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			names = xreallocarray(names, n + 1, sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	/* Everything is checked before anything moves: an existing name fails the whole. */
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		int found = fstatat(st->dir_fd, names[i], &sb, AT_SYMLINK_NOFOLLOW) == 0;

		if (found || errno != ENOENT) {
			error_set(err, "%s/%s: %s", st->dir, names[i],
			          found ? "already exists (never overwritten)" : strerror(errno));
			goto out;
		}
	}
	st->made_dir = 0;
	signal_made_dir = 0;
	for (moved = 0; moved < n; moved++)
		if (place_entry(st, sub_fd, names[moved], err) < 0)
			break;
	if (moved < n) {
		/* Put back what was moved: DIR ends as it was. */
		while (moved-- > 0)
			renameat(st->dir_fd, names[moved], sub_fd, names[moved]);
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (sub_fd >= 0)
		close(sub_fd);
	return rc;
}

#ifdef SYS_getdents64
/* A directory entry as the getdents64 system call returns it. */
struct raw_dirent {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/*
 * remove_tree for a signal handler: only open, getdents64, lseek, unlinkat and close, no
 * memory allocated. Passes repeat until one removes nothing (removing while reading a
 * directory may skip entries); depth is bounded so the stack is.
 */
static void remove_tree_signal(int parent_fd, const char *name, int depth)
{
	char buf[2048];
	int fd, removed, passes = 0;

	if (unlinkat(parent_fd, name, 0) == 0 || errno != EISDIR || depth > 64)
		goto done;
	fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto done;
	do {
		long got;

		removed = 0;
		if (lseek(fd, 0, SEEK_SET) < 0)
			break;
		while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
			for (long off = 0; off < got;) {
				struct raw_dirent *de = (struct raw_dirent *)(void *)(buf + off);

				off += de->reclen;
				if (strcmp(de->name, ".") == 0 || strcmp(de->name, "..") == 0)
					continue;
				remove_tree_signal(fd, de->name, depth + 1);
				removed = 1;
			}
	} while (removed && ++passes < 8);
	close(fd);
done:
	unlinkat(parent_fd, name, AT_REMOVEDIR);
}
#endif

void stage_signal_cleanup(void)
{
	if (!signal_armed)
		return;
	signal_armed = 0;
#ifdef SYS_getdents64
	remove_tree_signal(signal_dir_fd, signal_name, 0);
#else
	unlinkat(signal_dir_fd, signal_name, AT_REMOVEDIR);
#endif
	if (signal_made_dir)
		rmdir(signal_dir);
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
	/* Only now: a signal during the removal above still finds the rest to remove. */
	if (signal_armed && signal_dir_fd == st->dir_fd)
		signal_arm(NULL);
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
