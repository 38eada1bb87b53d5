/*
 * The stock profiles compiled into the binary. The static binary (configure
 * --enable-static-binary) uses them in place of a profile directory, so that it reads nothing
 * of the host but the root it collects; other builds read the installed files. Built-in
 * profiles have paths under PROFILE_BUILTIN_DIR, which names no real directory.
 */
#ifndef LOGPACK_PROFILE_BUILTIN_H
#define LOGPACK_PROFILE_BUILTIN_H

#include <stddef.h>

#define PROFILE_BUILTIN_DIR "(built-in)"

/* Whether this binary uses its compiled-in profiles when LOGPACK_PROFILE_DIR is not set. */
int profile_builtin_enabled(void);

/*
 * Read a profile's text: a built-in one when path is under PROFILE_BUILTIN_DIR, a file
 * otherwise. Returns 0, or -1 with errno set (ENOENT, EFBIG, ...), like read_small_file.
 */
int profile_text_read(const char *path, size_t max, char **out, size_t *len_out);

/* Whether path names a built-in profile or an existing file. */
int profile_text_exists(const char *path);

/* The built-in profile names, sorted as generated. Caller frees the array and each name. */
void profile_builtin_list(char ***names_out, size_t *count_out);

#endif
