/*
 * Running containers on a live host: processes whose root directory is not the host's. Each is
 * reached through /proc/PID/root, a directory that the kernel resolves to the container's own
 * root; below it every path is opened with O_NOFOLLOW (rootfs.h), so no link inside a container
 * leads out of it.
 */
#ifndef LOGPACK_CONTAINERS_H
#define LOGPACK_CONTAINERS_H

#include <stddef.h>
#include <sys/types.h>

#include "base/util.h"

struct container {
	char *id;    /* the runtime's id (12 hex digits, from the cgroup), else "mntns-INODE" */
	char *name;  /* from Podman's /run/.containerenv or Docker's config.v2.json; NULL if unknown
	              */
	char *image; /* likewise */
	long pid;    /* the lowest process id seen in it */
	int root_fd; /* its root directory, open */
};

struct container_list {
	struct container *items;
	size_t count;
};

/*
 * The running containers seen in proc_dir ("/proc"): one per distinct root directory that is
 * not host_root_fd's. host_root_fd also gives Docker's records (var/lib/docker/containers) for
 * names and images. Processes that cannot be looked at (permissions, gone) are passed over.
 */
void containers_find(const char *proc_dir, int host_root_fd, struct container_list *out);
void containers_free(struct container_list *l);

#endif
