/* A file's birth time, where the kernel and the file system record one. */
#ifndef LOGPACK_BIRTHTIME_H
#define LOGPACK_BIRTHTIME_H

#include <sys/stat.h>
#include <time.h>

/*
 * The birth time of name relative to the directory dir_or_fd (not following a final symlink),
 * or of the open file dir_or_fd itself when name is NULL. Zero when unknown: a kernel before
 * 4.11, a file system without it, or an error.
 */
void file_birth_time(int dir_or_fd, const char *name, struct timespec *out);
/*
 * fstat and the birth time of an open file in one system call where statx is there (two
 * otherwise): *btime is zero when unknown. -1 with errno when the file cannot be stat'ed.
 */
int file_stat_birth(int fd, struct stat *st, struct timespec *btime);

#endif
