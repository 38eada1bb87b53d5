/* A bag directory read as a source: walked in a fixed order, never following a link. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/source-private.h"

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_manifest_name(const char *name)
{
	return (str_has_prefix(name, "manifest-") || str_has_prefix(name, "tagmanifest-")) &&
	       str_has_suffix(name, ".txt");
}

/*
 * At the top of a bag, bagit.txt first (it says how to read the tag files), then the manifests:
 * their algorithms are then computed for all.
 */
static int top_name_cmp(const void *a, const void *b)
{
	const char *na = *(char *const *)a, *nb = *(char *const *)b;
	int ma = is_manifest_name(na), mb = is_manifest_name(nb);

	if (strcmp(na, "bagit.txt") == 0 || strcmp(nb, "bagit.txt") == 0)
		return strcmp(nb, "bagit.txt") == 0 ? strcmp(na, "bagit.txt") != 0 : -1;
	if (ma != mb)
		return mb - ma;
	return name_cmp(a, b);
}

/* Open a directory level (takes fd). Returns 0, or -1 with errno set. */
int source_dir_push(struct source *src, int fd, const char *prefix)
{
	struct dir_level *lv;
	struct dirent *de;
	DIR *dir = fdopendir(fd);

	if (dir == NULL) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	src->levels = xreallocarray(src->levels, src->depth + 1, sizeof(*src->levels));
	lv = &src->levels[src->depth++];
	memset(lv, 0, sizeof(*lv));
	lv->dir = dir;
	lv->prefix = xstrdup(prefix);
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		lv->names = xreallocarray(lv->names, lv->n_names + 1, sizeof(*lv->names));
		lv->names[lv->n_names++] = xstrdup(de->d_name);
	}
	if (lv->n_names > 1)
		qsort(lv->names, lv->n_names, sizeof(*lv->names),
		      src->depth == 1 ? top_name_cmp : name_cmp);
	return 0;
}

void source_dir_pop(struct source *src)
{
	struct dir_level *lv = &src->levels[--src->depth];

	for (size_t i = 0; i < lv->n_names; i++)
		free(lv->names[i]);
	free(lv->names);
	free(lv->prefix);
	closedir(lv->dir);
}

int source_open_dir(struct source **out, int dirfd, const char *label,
                    const struct bundle_limits *lim, struct error *err)
{
	*out = source_new_of_kind(KIND_DIR, label, lim, err);
	if (*out == NULL) {
		close(dirfd);
		return -1;
	}
	if (source_dir_push(*out, dirfd, "") < 0) {
		error_set(err, "%s: %s", label, strerror(errno));
		source_close(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* Refuse the current directory entry with the text of errno. */
static int dir_refuse(struct source *src, struct source_member *m, enum source_refusal why,
                      const char *text)
{
	snprintf(src->refused, sizeof(src->refused), "%s", text);
	m->refusal = why;
	m->refused = src->refused;
	return 1;
}

int source_dir_next(struct source *src, struct source_member *m, struct error *err)
{
	struct dir_level *lv;
	struct stat st;
	const char *entry;
	int fd;

	if (src->file_fd >= 0) {
		close(src->file_fd);
		src->file_fd = -1;
	}
	src->in_member = 0;
	while (src->depth > 0 &&
	       src->levels[src->depth - 1].next >= src->levels[src->depth - 1].n_names)
		source_dir_pop(src);
	if (src->depth == 0) {
		src->ended = 1;
		return 0;
	}
	if (source_count_member(src, err) < 0)
		return -1;
	lv = &src->levels[src->depth - 1];
	entry = lv->names[lv->next++];
	src->name = xasprintf("%s%s", lv->prefix, entry);
	m->name = src->name;
	if (fstatat(dirfd(lv->dir), entry, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return dir_refuse(src, m, SOURCE_UNREADABLE, strerror(errno));
	m->has_mtime = 1;
	m->mtime = st.st_mtim;
	if (S_ISDIR(st.st_mode)) {
		char *prefix;

		m->type = SOURCE_DIR;
		if (src->depth > DIR_DEPTH_MAX)
			return dir_refuse(src, m, SOURCE_UNREADABLE, "is nested too deeply");
		fd = openat(dirfd(lv->dir), entry, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return dir_refuse(src, m, SOURCE_UNREADABLE, strerror(errno));
		prefix = xasprintf("%s/", src->name);
		if (source_dir_push(src, fd, prefix) < 0) {
			free(prefix);
			return dir_refuse(src, m, SOURCE_UNREADABLE, strerror(errno));
		}
		free(prefix);
		return 1;
	}
	if (S_ISLNK(st.st_mode)) {
		m->type = SOURCE_OTHER;
		return dir_refuse(src, m, SOURCE_LINK, "is a symbolic link");
	}
	if (!S_ISREG(st.st_mode)) {
		m->type = SOURCE_OTHER;
		return dir_refuse(src, m, SOURCE_SPECIAL, "is not a regular file or directory");
	}
	m->type = SOURCE_FILE;
	fd = openat(dirfd(lv->dir), entry,
	            O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return dir_refuse(src, m, SOURCE_UNREADABLE, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return dir_refuse(src, m, SOURCE_UNREADABLE, "is not a regular file");
	}
	m->size = (uint64_t)st.st_size;
	m->mtime = st.st_mtim;
	src->file_fd = fd;
	src->in_member = 1;
	return 1;
}
