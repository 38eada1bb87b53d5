/* What the profile loader (profile.c) shares with the profile checker (profile-check.c). */
#ifndef LOGPACK_PROFILE_PRIVATE_H
#define LOGPACK_PROFILE_PRIVATE_H

#include "base/util.h"
#include "gather/profile.h"

#define PROFILE_MAX_BYTES (1024 * 1024)
#define PROFILE_MAX_DEPTH 16

/* profile_parse, also saying which line was bad (0 when the text as a whole is). */
int profile_parse_line(const char *text, size_t len, const char *name, struct profile **out,
                       int *bad_line, struct error *err);
/* Where an include written in the file at including_path is found. Caller frees. */
char *profile_include_path(const char *including_path, const char *name);
/*
 * Parse the file at path (labelled name) and its includes into top; chain holds the names being
 * included (for cycles), depth how deep. *bad_line names the line of a failure when known.
 */
int profile_load_into(struct profile *top, const char *path, const char *name, const char **chain,
                      int depth, int *bad_line, struct error *err);
/* The file a name or path refers to, and the name that labels it. Caller frees both. */
void profile_locate(const char *name_or_path, char **path, char **name);

#endif
