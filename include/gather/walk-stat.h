/*
 * The walk's lstat of many names in one directory, shared with a helper thread: at 100,000
 * files the walk is mostly these calls, made one after another while the other CPUs idle.
 * The walk still decides and records in its own order; only the calls are shared.
 */
#ifndef LOGPACK_WALK_STAT_H
#define LOGPACK_WALK_STAT_H

#include <stddef.h>
#include <sys/stat.h>

struct walk_stat;

/* A helper thread, or NULL when none can start (the caller then stats alone). */
struct walk_stat *walk_stat_new(void);

/*
 * fstatat(dir_fd, names[k], &st[k], AT_SYMLINK_NOFOLLOW) for every k < n with names[k] not
 * NULL, on this thread and the helper (on this thread alone when ws is NULL); err[k] is 0 or
 * the call's errno. Returns when every call has returned.
 */
void walk_stat_names(struct walk_stat *ws, int dir_fd, const char *const *names, size_t n,
                     struct stat *st, int *err);

/* Stop and join the helper. Safe on NULL. */
void walk_stat_free(struct walk_stat *ws);

#endif
