/*
 * The one reader of a root's os-release, shared by OS detection and host facts so that both
 * describe the same system. os-release(5): etc/os-release, else usr/lib/os-release, each
 * read through links resolved inside the root; KEY=VALUE lines, '#' comments, values quoted
 * and escaped as in the shell; when a key is assigned twice, the last assignment wins.
 */
#ifndef LOGPACK_OS_RELEASE_H
#define LOGPACK_OS_RELEASE_H

#include "base/util.h"

struct os_release {
	char *path; /* as found, with the link it went through: "etc/os-release -> ..." */
	char *id;   /* lowercased, as are the words of id_like; NULL when unset */
	char *id_like;
	char *name;
	char *version_id;
	char *pretty_name;
};

/* Parse os-release text into o (fields o already has are replaced). Values are raw bytes. */
void os_release_parse(const char *text, struct os_release *o);
/* Find and parse the root's os-release: 1 when found, 0 when there is none (o is empty). */
int os_release_read(int root_fd, struct os_release *o);
void os_release_free(struct os_release *o);

#endif
