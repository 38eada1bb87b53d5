/* Writing a file atomically: temporary name, fsync, rename without replacing, fsync dir. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include "base/atomic-file.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

/* A name collision is retried with another name; this many in a row means something else. */
#define TEMP_ATTEMPTS 100

/*
 * The temporaries a signal handler removes. A handler may run in any thread (libzstd's
 * workers too) at any moment, so a slot is published through an atomic state, never through
 * a list that could be seen half-changed: a path is written while the slot is CLAIMED and
 * only then ARMED; disarming comes before the slot is reused.
 */
#define SIGNAL_SLOTS 32
enum { SLOT_FREE, SLOT_CLAIMED, SLOT_ARMED };

#if ATOMIC_INT_LOCK_FREE != 2
#error "atomic_int must be lock-free to be read from a signal handler"
#endif

struct signal_slot {
	atomic_int state;
	int dir_fd;
	char name[NAME_MAX + 1];
};

static struct signal_slot signal_slots[SIGNAL_SLOTS];

struct atomic_file {
	int fd;
	int dir_fd;
	int temp_exists; /* the temporary is ours to rename or remove */
	int flags;
	mode_t mode;
	struct signal_slot *slot;
	char *name;      /* final name inside dir_fd */
	char *temp_name; /* temporary name inside dir_fd */
	char *path;      /* dir/name, for messages */
	char *temp_path; /* dir/temp_name, for messages */
};

void atomic_file_signal_cleanup(void)
{
	for (size_t i = 0; i < SIGNAL_SLOTS; i++)
		if (atomic_load(&signal_slots[i].state) == SLOT_ARMED)
			unlinkat(signal_slots[i].dir_fd, signal_slots[i].name, 0);
}

static struct signal_slot *slot_arm(int dir_fd, const char *name)
{
	if (strlen(name) > NAME_MAX)
		return NULL;
	for (size_t i = 0; i < SIGNAL_SLOTS; i++) {
		int want = SLOT_FREE;

		if (atomic_compare_exchange_strong(&signal_slots[i].state, &want, SLOT_CLAIMED)) {
			signal_slots[i].dir_fd = dir_fd;
			strcpy(signal_slots[i].name, name);
			atomic_store(&signal_slots[i].state, SLOT_ARMED);
			return &signal_slots[i];
		}
	}
	return NULL;
}

static void slot_disarm(struct signal_slot **slot)
{
	if (*slot)
		atomic_store(&(*slot)->state, SLOT_FREE);
	*slot = NULL;
}

/*
 * Six characters for a temporary name. They need not be secret: O_EXCL | O_NOFOLLOW make a
 * name someone guessed and created first a collision, retried, never a file we write into.
 */
static void temp_suffix(char out[7], uint64_t *state)
{
	static const char chars[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint64_t z;

	/* splitmix64: one step gives well-mixed bits from a counter-like state. */
	*state += 0x9e3779b97f4a7c15ULL;
	z = *state;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	for (int i = 0; i < 6; i++, z /= 62)
		out[i] = chars[z % 62];
	out[6] = '\0';
}

static uint64_t temp_seed(void)
{
	static atomic_uint_fast64_t counter;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 40) ^
	       (atomic_fetch_add(&counter, 1) << 20);
}

static char *join_path(const char *dir, const char *name)
{
	if (dir == NULL)
		return xstrdup(name);
	return xasprintf("%s%s%s", dir, str_has_suffix(dir, "/") ? "" : "/", name);
}

/* Create the temporary beside name; takes ownership of dir_fd. */
static int open_in_dir(struct atomic_file **out, int dir_fd, const char *dir_name, const char *name,
                       mode_t mode, int flags, struct error *err)
{
	struct atomic_file *af = xcalloc(1, sizeof(*af));
	uint64_t seed = temp_seed();
	struct stat st;

	af->fd = -1;
	af->dir_fd = dir_fd;
	af->flags = flags;
	af->mode = mode;
	af->name = xstrdup(name);
	af->path = join_path(dir_name, name);
	*out = NULL;
	if (name[0] == '\0' || strchr(name, '/') != NULL) {
		error_set(err, "%s: not a file name", af->path);
		goto fail;
	}
	/* Refused before anything is written: a bundle takes long to make. */
	if (!(flags & ATOMIC_FILE_REPLACE) &&
	    fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		error_set(err, "%s already exists; refusing to overwrite it", af->path);
		goto fail;
	}
	for (int attempt = 0; attempt < TEMP_ATTEMPTS; attempt++) {
		char suffix[7];

		temp_suffix(suffix, &seed);
		free(af->temp_name);
		free(af->temp_path);
		af->temp_name = xasprintf(".%s.%s", name, suffix);
		af->temp_path = join_path(dir_name, af->temp_name);
		af->fd = openat(dir_fd, af->temp_name,
		                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (af->fd >= 0 || errno != EEXIST)
			break;
	}
	if (af->fd < 0) {
		error_set(err, "cannot create %s: %s", af->temp_path, strerror(errno));
		goto fail;
	}
	af->temp_exists = 1;
	af->slot = slot_arm(dir_fd, af->temp_name);
	if (af->slot == NULL) {
		error_set(err, "cannot create %s: too many files being written at once",
		          af->temp_path);
		goto fail;
	}
	*out = af;
	return 0;
fail:
	atomic_file_rollback(af);
	return -1;
}

int atomic_file_open(struct atomic_file **out, const char *path, mode_t mode, int flags,
                     struct error *err)
{
	char *dir = path_dirname(path);
	int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (dir_fd < 0) {
		error_set(err, "cannot create %s: directory %s: %s", path, dir, strerror(errno));
		free(dir);
		*out = NULL;
		return -1;
	}
	/* Messages name the path as the caller gave it: "x", not "./x". */
	rc = open_in_dir(out, dir_fd, strchr(path, '/') ? dir : NULL, path_basename(path), mode,
	                 flags, err);
	free(dir);
	return rc;
}

int atomic_file_openat(struct atomic_file **out, int dir_fd, const char *dir_name, const char *name,
                       mode_t mode, int flags, struct error *err)
{
	int own = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);

	if (own < 0) {
		error_set(err, "cannot create %s/%s: %s", dir_name, name, strerror(errno));
		*out = NULL;
		return -1;
	}
	return open_in_dir(out, own, dir_name, name, mode, flags, err);
}

int atomic_file_fd(const struct atomic_file *af)
{
	return af->fd;
}

const char *atomic_file_path(const struct atomic_file *af)
{
	return af->path;
}

const char *atomic_file_temp_path(const struct atomic_file *af)
{
	return af->temp_path;
}

/*
 * Give the temporary its final name without replacing anything. renameat2's RENAME_NOREPLACE
 * does it in one step; where the kernel or the file system lacks it, a hard link fails on an
 * existing name just as well. File systems without hard links (FAT, exFAT) are left with a
 * check before a plain rename: a race only with other writers of the same directory.
 */
static int rename_noreplace(struct atomic_file *af)
{
	struct stat st;

#if defined(__linux__) && defined(SYS_renameat2)
	if (syscall(SYS_renameat2, af->dir_fd, af->temp_name, af->dir_fd, af->name,
	            RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -1;
#endif
	if (linkat(af->dir_fd, af->temp_name, af->dir_fd, af->name, 0) == 0)
		return unlinkat(af->dir_fd, af->temp_name, 0);
	if (errno == EEXIST)
		return -1;
	if (fstatat(af->dir_fd, af->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(af->dir_fd, af->temp_name, af->dir_fd, af->name);
}

int atomic_file_commit(struct atomic_file *af, struct error *err)
{
	int fd = af->fd, rc = -1;

	af->fd = -1;
	/* The temporary is 0600 whatever the final mode, so nobody reads a partial file; FAT
	 * refuses most modes, so a 0600 file is left as open() made it. */
	if (af->mode != 0600 && fchmod(fd, af->mode) < 0) {
		error_set(err, "%s: cannot set mode %04o: %s", af->temp_path, (unsigned)af->mode,
		          strerror(errno));
		close(fd);
		goto out;
	}
	if (fsync(fd) < 0) {
		error_set(err, "%s: fsync: %s", af->temp_path, strerror(errno));
		close(fd);
		goto out;
	}
	/* NFS reports a failed write at close. */
	if (close(fd) < 0) {
		error_set(err, "%s: close: %s", af->temp_path, strerror(errno));
		goto out;
	}
	if ((af->flags & ATOMIC_FILE_REPLACE)
	            ? renameat(af->dir_fd, af->temp_name, af->dir_fd, af->name)
	            : rename_noreplace(af)) {
		error_set(err, "cannot rename %s to %s: %s", af->temp_path, af->path,
		          strerror(errno));
		goto out;
	}
	af->temp_exists = 0;
	slot_disarm(&af->slot);
	/* The new name is durable only once its directory is; file systems that cannot sync a
	 * directory say EINVAL, and have nothing to sync. */
	if (fsync(af->dir_fd) < 0 && errno != EINVAL && errno != ENOTSUP) {
		error_set(err, "%s is in place, but its directory could not be synced: %s",
		          af->path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	atomic_file_rollback(af);
	return rc;
}

void atomic_file_rollback(struct atomic_file *af)
{
	if (af == NULL)
		return;
	if (af->fd >= 0)
		close(af->fd);
	if (af->temp_exists)
		unlinkat(af->dir_fd, af->temp_name, 0);
	slot_disarm(&af->slot);
	if (af->dir_fd >= 0)
		close(af->dir_fd);
	free(af->name);
	free(af->temp_name);
	free(af->path);
	free(af->temp_path);
	free(af);
}

int atomic_file_write(const char *path, const void *data, size_t len, mode_t mode, int flags,
                      struct error *err)
{
	struct atomic_file *af;

	if (atomic_file_open(&af, path, mode, flags, err) < 0)
		return -1;
	if (write_all(af->fd, data, len) < 0) {
		error_set(err, "%s: %s", af->temp_path, strerror(errno));
		atomic_file_rollback(af);
		return -1;
	}
	return atomic_file_commit(af, err);
}
