/*
 * Unit tests: opening sorted paths with the parent directories kept open (rootfs_dirs) gives
 * the same files as opening each path from the root, and refuses the same things: a link or
 * ".." on the way, a name too long; a directory swapped for a link after it was opened is not
 * followed, because the one held open is the real one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gather/rootfs.h"
#include "tap.h"

static char base[64];

static void mk(const char *rel, const char *text)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	if (text == NULL) {
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			perror(path);
			exit(1);
		}
	} else {
		FILE *fp = fopen(path, "w");

		if (fp == NULL) {
			perror(path);
			exit(1);
		}
		fputs(text, fp);
		fclose(fp);
	}
}

/* Open rel through d and read what it holds ("" on failure, errno in *errnum). */
static const char *read_via(struct rootfs_dirs *d, const char *rel, int *errnum)
{
	static char buf[64];
	int fd = rootfs_dirs_open(d, rel, O_RDONLY);
	ssize_t n;

	*errnum = 0;
	buf[0] = '\0';
	if (fd < 0) {
		*errnum = errno;
		return buf;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

int main(void)
{
	struct rootfs_dirs d;
	int root, e, before;
	char deep[4096] = "", outside[96];

	snprintf(base, sizeof(base), "/tmp/lp-unit-dirs.XXXXXX");
	if (mkdtemp(base) == NULL)
		return 1;
	mk("a", NULL);
	mk("a/b", NULL);
	mk("a/b/c", NULL);
	mk("a/b-x", NULL);
	mk("a/b/one", "one");
	mk("a/b/two", "two");
	mk("a/b/c/three", "three");
	mk("a/b-x/four", "four");
	mk("top", "top");
	mk("swap", NULL);
	mk("swap/first", "first");
	mk("swap/second", "inside");
	snprintf(outside, sizeof(outside), "%s-outside", base);
	mkdir(outside, 0755);
	{
		char p[128];
		FILE *fp;

		snprintf(p, sizeof(p), "%s/second", outside);
		fp = fopen(p, "w");
		fputs("OUTSIDE", fp);
		fclose(fp);
		snprintf(p, sizeof(p), "%s/link", base);
		if (symlink(outside, p) < 0)
			return 1;
	}
	root = open(base, O_RDONLY | O_DIRECTORY);
	before = open_fds();
	rootfs_dirs_init(&d, root);

	is_str(read_via(&d, "a/b/one", &e), "one", "a file two levels down");
	is_str(read_via(&d, "a/b/two", &e), "two", "its sibling, from the parent kept open");
	ok(d.depth == 2, "the two directories are held (%zu)", d.depth);
	is_str(read_via(&d, "a/b/c/three", &e), "three", "a child directory of the one held");
	is_str(read_via(&d, "a/b-x/four", &e), "four",
	       "a directory whose name starts like the one held is not taken for it");
	is_str(read_via(&d, "top", &e), "top", "a file at the top: every directory let go");
	ok(d.depth == 0, "nothing held after a top-level file (%zu)", d.depth);

	read_via(&d, "link/second", &e);
	ok(e == ELOOP || e == ENOTDIR, "a link on the way is refused (errno %d)", e);
	read_via(&d, "a/../top", &e);
	ok(e == EINVAL, "a '..' component is refused (errno %d)", e);
	read_via(&d, "a/b/..", &e);
	ok(e == EINVAL, "a last component '..' is refused (errno %d)", e);
	read_via(&d, "a/missing/x", &e);
	ok(e == ENOENT, "a missing directory is ENOENT (errno %d)", e);

	/* Opened, then swapped for a link out of the root: the held directory is the real one. */
	is_str(read_via(&d, "swap/first", &e), "first", "a file in a directory that is then moved");
	{
		char from[128], to[128], p[128];

		snprintf(from, sizeof(from), "%s/swap", base);
		snprintf(to, sizeof(to), "%s/swapped", base);
		rename(from, to);
		snprintf(p, sizeof(p), "%s/swap", base);
		if (symlink(outside, p) < 0)
			return 1;
	}
	is_str(read_via(&d, "swap/second", &e), "inside",
	       "its sibling comes from the directory opened, never through the link now there");

	/* Deeper than the levels kept: still opened, and nothing leaks. */
	for (int i = 0; i < ROOTFS_DIRS_MAX + 10; i++) {
		strcat(deep, i ? "/d" : "d");
		mk(deep, NULL);
	}
	strcat(deep, "/leaf");
	mk(deep, "leaf");
	is_str(read_via(&d, deep, &e), "leaf", "a file %d levels down", ROOTFS_DIRS_MAX + 10);
	ok(d.depth == ROOTFS_DIRS_MAX, "at most %d levels held (%zu)", ROOTFS_DIRS_MAX, d.depth);
	is_str(read_via(&d, deep, &e), "leaf", "again, through the levels held");
	ok(open_fds() == before + ROOTFS_DIRS_MAX, "no descriptor leaks past the levels held");
	rootfs_dirs_release(&d);
	ok(open_fds() == before, "release closes every directory");
	close(root);
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", base, outside);
		if (system(cmd) != 0)
			return 1;
	}
	return tap_done();
}
