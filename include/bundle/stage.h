/*
 * A private staging directory (mode 0700, made with mkdtemp inside DIR) that a bag is written
 * into while it is read and verified, then renamed into place as DIR/<name> only when the
 * caller decides the verdict allows it; otherwise removed. Nothing already in DIR is followed,
 * replaced or deleted: inside the staging directory every path is created new (O_EXCL,
 * O_NOFOLLOW), and the final rename never replaces anything.
 */
#ifndef LOGPACK_STAGE_H
#define LOGPACK_STAGE_H

#include <stddef.h>
#include <time.h>

#include "base/util.h"

struct stage;

/* Create DIR (0700) if needed and a staging directory inside it. */
int stage_open(struct stage **out, const char *dir, struct error *err);
/* A directory rel (relative to the bag), with its parents; mtime (optional) set at commit. */
int stage_dir(struct stage *st, const char *rel, const struct timespec *mtime, struct error *err);
/* Start the regular file rel (mode 0600); mtime (optional) is set when it ends. */
int stage_file_begin(struct stage *st, const char *rel, const struct timespec *mtime,
                     struct error *err);
int stage_file_write(struct stage *st, const void *buf, size_t len, struct error *err);
int stage_file_end(struct stage *st, struct error *err);
/*
 * Rename the staging directory to DIR/name (one path component), never over anything that
 * exists there (a file, a directory, a symbolic link: an error naming DIR/name).
 */
int stage_commit(struct stage *st, const char *name, struct error *err);
/* The staging directory (owned by st), for making and reading files in it with openat. */
int stage_fd(const struct stage *st);
/*
 * Move every entry of the staging subdirectory sub (made by the caller) into DIR under its
 * own name, never over anything that exists there: all names are checked first, and on a
 * failure the entries already moved are moved back. The rest of the staging directory is
 * removed by stage_close.
 */
int stage_commit_entries(struct stage *st, const char *sub, struct error *err);
/*
 * For a signal handler (async-signal-safe): remove the staging directory open now, and DIR
 * if stage_open made it and nothing was placed in it. The process must then _exit.
 */
void stage_signal_cleanup(void);
/* Unless committed, remove the staging directory (and DIR if stage_open made it); free st. */
void stage_close(struct stage *st);

#endif
