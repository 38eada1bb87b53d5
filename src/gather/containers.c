/* Finding running containers through /proc (containers.h). */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "gather/containers.h"
#include "gather/rootfs.h"

/* The first run of 64 hex digits in text (a Docker, containerd or CRI-O container id). */
static char *hex_id(const char *text)
{
	for (const char *p = text; *p; p++) {
		size_t n = 0;

		while (isxdigit((unsigned char)p[n]) && !isupper((unsigned char)p[n]))
			n++;
		if (n == 64)
			return xstrndup(p, 64);
		p += n ? n - 1 : 0;
	}
	return NULL;
}

/* A "key=\"value\"" line of Podman's /run/.containerenv. */
static char *containerenv_value(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line; line = strchr(line, '\n'), line += !!line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len > klen + 1 && strncmp(line, key, klen) == 0 && line[klen] == '=') {
			const char *v = line + klen + 1;
			size_t vlen = len - klen - 1;

			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			return vlen ? xstrndup(v, vlen) : NULL;
		}
	}
	return NULL;
}

/* Name and image: Podman writes them into the container; Docker keeps them on the host. */
static void describe(struct container *c, int host_root_fd, const char *full_id)
{
	char *text = NULL, *path;
	size_t len;

	if (rootfs_read_small(c->root_fd, "run/.containerenv", 64 * 1024, &text, &len) == 0) {
		c->name = containerenv_value(text, "name");
		c->image = containerenv_value(text, "image");
		free(text);
		if (c->name || c->image)
			return;
	}
	if (full_id == NULL)
		return;
	path = xasprintf("var/lib/docker/containers/%s/config.v2.json", full_id);
	if (rootfs_read_small(host_root_fd, path, 8u << 20, &text, &len) == 0) {
		json_t *root = json_loadb(text, len, 0, NULL);
		const char *name = json_string_value(json_object_get(root, "Name"));
		const char *image = json_string_value(
		        json_object_get(json_object_get(root, "Config"), "Image"));

		if (name)
			c->name = xstrdup(name[0] == '/' ? name + 1 : name);
		if (image)
			c->image = xstrdup(image);
		json_decref(root);
		free(text);
	}
	free(path);
}

static int is_number(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

void containers_find(const char *proc_dir, int host_root_fd, struct container_list *out)
{
	struct stat host, *roots = NULL;
	DIR *d;
	struct dirent *de;

	memset(out, 0, sizeof(*out));
	if (fstat(host_root_fd, &host) < 0 || (d = opendir(proc_dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *p, *cgroup = NULL, *full_id = NULL, ns[64];
		struct stat st;
		struct container *c;
		size_t len, i;
		ssize_t n;
		int fd;

		if (!is_number(de->d_name))
			continue;
		p = xasprintf("%s/%s/root", proc_dir, de->d_name);
		/* The kernel resolves this link to the process's root: it is meant to be followed.
		 */
		fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(p);
		if (fd < 0)
			continue;
		/* Same root as the host's (threads, services with a private /tmp): no container. */
		if (fstat(fd, &st) < 0 || (st.st_dev == host.st_dev && st.st_ino == host.st_ino)) {
			close(fd);
			continue;
		}
		for (i = 0; i < out->count; i++)
			if (roots[i].st_dev == st.st_dev && roots[i].st_ino == st.st_ino)
				break;
		if (i < out->count) {
			long pid = strtol(de->d_name, NULL, 10);

			if (pid < out->items[i].pid)
				out->items[i].pid = pid;
			close(fd);
			continue;
		}
		roots = xreallocarray(roots, out->count + 1, sizeof(*roots));
		roots[out->count] = st;
		out->items = xreallocarray(out->items, out->count + 1, sizeof(*out->items));
		c = &out->items[out->count++];
		memset(c, 0, sizeof(*c));
		c->root_fd = fd;
		c->pid = strtol(de->d_name, NULL, 10);
		p = xasprintf("%s/%s/cgroup", proc_dir, de->d_name);
		if (read_small_file(p, 64 * 1024, &cgroup, &len) == 0)
			full_id = hex_id(cgroup);
		free(p);
		free(cgroup);
		if (full_id) {
			c->id = xstrndup(full_id, 12);
		} else {
			const char *lb;

			p = xasprintf("%s/%s/ns/mnt", proc_dir, de->d_name);
			n = readlink(p, ns, sizeof(ns) - 1);
			free(p);
			ns[n > 0 ? n : 0] = '\0';
			/* "mnt:[4026532123]"; two roots in one namespace differ by the root's
			 * inode. */
			lb = strchr(ns, '[');
			c->id = xasprintf("mntns-%llu-%llu", lb ? strtoull(lb + 1, NULL, 10) : 0ULL,
			                  (unsigned long long)st.st_ino);
		}
		describe(c, host_root_fd, full_id);
		free(full_id);
	}
	closedir(d);
	free(roots);
}

void containers_free(struct container_list *l)
{
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].id);
		free(l->items[i].name);
		free(l->items[i].image);
		if (l->items[i].root_fd >= 0)
			close(l->items[i].root_fd);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}
