/*
 * Files that commonly hold secrets: password hashes, private keys, cluster credentials,
 * installer answers, container environments with passwords. collect withholds them unless
 * asked (--include-secrets): they are listed, never stored. The rules are in
 * docs/profile-format.md ("Withheld files"); a file is judged by its path first, then, for the
 * few kinds whose name does not tell, by its first bytes read from the descriptor collect
 * will store it from, so that what is judged is what would be stored.
 */
#ifndef LOGPACK_SECRETS_H
#define LOGPACK_SECRETS_H

#include <sys/stat.h>

/* Why the file at relpath ("etc/shadow") is withheld, by its name alone; NULL if it is not. */
const char *secrets_by_path(const char *relpath);

/*
 * Why the open file fd at relpath is withheld, by its name or else its content (read with
 * pread, so the file offset does not move); NULL when it is not. context says the file was
 * taken as configuration (a category other than the logs'), whose content is checked for
 * private keys whatever its name.
 */
const char *secrets_check(const char *relpath, int fd, const struct stat *st, int context);

#endif
