/*
 * Writing a file atomically: a new file is created beside its final name under a temporary
 * name (".<name>.XXXXXX", mode 0600), written through its descriptor, then either committed
 * (fsync the file, rename it to the final name, fsync the directory) or rolled back (the
 * temporary removed). Readers see the old state or the whole new file, never a part of it,
 * and after a crash the file is either absent or complete.
 *
 * The temporary names still open are kept in a table that atomic_file_signal_cleanup() walks
 * from a signal handler, so an interrupted run leaves nothing behind.
 */
#ifndef LOGPACK_ATOMIC_FILE_H
#define LOGPACK_ATOMIC_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "base/util.h"

/* Commit replaces a file already under the final name (default: refuse, never overwrite). */
#define ATOMIC_FILE_REPLACE 0x1

struct atomic_file;

/*
 * Create the temporary file for path. mode is the final file's mode: the temporary is 0600
 * while it is written and takes mode on commit. Without ATOMIC_FILE_REPLACE an existing path
 * is refused here already, before anything is written. Returns 0, or -1 with err naming the
 * path and the reason.
 */
int atomic_file_open(struct atomic_file **out, const char *path, mode_t mode, int flags,
                     struct error *err);
/* The same for name inside the directory dir_fd (kept open by the caller); dir_name is only
 * for messages. */
int atomic_file_openat(struct atomic_file **out, int dir_fd, const char *dir_name, const char *name,
                       mode_t mode, int flags, struct error *err);

/* The descriptor to write to; it stays the file's until commit or rollback. */
int atomic_file_fd(const struct atomic_file *af);
/* The final name and the temporary name, as given (dir/name). */
const char *atomic_file_path(const struct atomic_file *af);
const char *atomic_file_temp_path(const struct atomic_file *af);

/*
 * Make the file durable under its final name: fsync it, rename it (never over an existing file
 * unless ATOMIC_FILE_REPLACE), fsync the directory. Frees af in every case; on failure the
 * temporary is removed, and -1 returned with the reason in err.
 */
int atomic_file_commit(struct atomic_file *af, struct error *err);
/* Remove the temporary and free af. Safe on NULL. */
void atomic_file_rollback(struct atomic_file *af);

/* A whole small file at once: open, write len bytes of data, commit. */
int atomic_file_write(const char *path, const void *data, size_t len, mode_t mode, int flags,
                      struct error *err);

/*
 * Remove every temporary file still open, from a signal handler: async-signal-safe, no
 * allocation, no locks. The process is expected to exit after it.
 */
void atomic_file_signal_cleanup(void);

#endif
