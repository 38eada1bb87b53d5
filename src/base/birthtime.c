/* Birth times through statx: the libc wrapper when there is one, the raw system call if not. */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#if !defined(HAVE_STATX) && defined(__linux__)
#include <sys/syscall.h>
#endif

#include "base/birthtime.h"

#if defined(HAVE_STATX) && defined(STATX_BTIME)
void file_birth_time(int dir_or_fd, const char *name, struct timespec *out)
{
	struct statx sx;
	int flags = name ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH;

	out->tv_sec = 0;
	out->tv_nsec = 0;
	if (statx(dir_or_fd, name ? name : "", flags, STATX_BTIME, &sx) == 0 &&
	    (sx.stx_mask & STATX_BTIME)) {
		out->tv_sec = sx.stx_btime.tv_sec;
		out->tv_nsec = sx.stx_btime.tv_nsec;
	}
}

int file_stat_birth(int fd, struct stat *st, struct timespec *btime)
{
	struct statx sx;

	btime->tv_sec = 0;
	btime->tv_nsec = 0;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &sx) < 0 ||
	    (sx.stx_mask & STATX_BASIC_STATS) != STATX_BASIC_STATS) {
		/* A kernel before 4.11, or a file system that leaves fields out: fstat says. */
		if (fstat(fd, st) < 0)
			return -1;
		file_birth_time(fd, NULL, btime);
		return 0;
	}
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	st->st_ino = sx.stx_ino;
	st->st_mode = sx.stx_mode;
	st->st_nlink = sx.stx_nlink;
	st->st_uid = sx.stx_uid;
	st->st_gid = sx.stx_gid;
	st->st_rdev = makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
	st->st_size = (off_t)sx.stx_size;
	st->st_blksize = (blksize_t)sx.stx_blksize;
	st->st_blocks = (blkcnt_t)sx.stx_blocks;
	st->st_atim.tv_sec = sx.stx_atime.tv_sec;
	st->st_atim.tv_nsec = sx.stx_atime.tv_nsec;
	st->st_mtim.tv_sec = sx.stx_mtime.tv_sec;
	st->st_mtim.tv_nsec = sx.stx_mtime.tv_nsec;
	st->st_ctim.tv_sec = sx.stx_ctime.tv_sec;
	st->st_ctim.tv_nsec = sx.stx_ctime.tv_nsec;
	if (sx.stx_mask & STATX_BTIME) {
		btime->tv_sec = sx.stx_btime.tv_sec;
		btime->tv_nsec = sx.stx_btime.tv_nsec;
	}
	return 0;
}
#elif defined(__linux__) && defined(SYS_statx)
/*
 * musl 1.2.3 (the static binary's libc) has no statx wrapper, and glibc before 2.28 neither.
 * The kernel's struct statx is a fixed ABI (linux/stat.h): only the fields up to the birth time
 * are named here, the rest is room the kernel may fill.
 */
struct lp_statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};

struct lp_statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t spare0;
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct lp_statx_timestamp stx_atime;
	struct lp_statx_timestamp stx_btime;
	unsigned char rest[256 - 96];
};

#define LP_STATX_BTIME 0x00000800U
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

void file_birth_time(int dir_or_fd, const char *name, struct timespec *out)
{
	struct lp_statx sx;
	int flags = name ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH;

	_Static_assert(sizeof(struct lp_statx) == 256, "struct statx is 256 bytes");
	out->tv_sec = 0;
	out->tv_nsec = 0;
	/* ENOSYS on kernels before 4.11: the birth time stays unknown, as it was. */
	if (syscall(SYS_statx, dir_or_fd, name ? name : "", flags, LP_STATX_BTIME, &sx) == 0 &&
	    (sx.stx_mask & LP_STATX_BTIME)) {
		out->tv_sec = (time_t)sx.stx_btime.tv_sec;
		out->tv_nsec = (long)sx.stx_btime.tv_nsec;
	}
}
#else
void file_birth_time(int dir_or_fd, const char *name, struct timespec *out)
{
	(void)dir_or_fd;
	(void)name;
	out->tv_sec = 0;
	out->tv_nsec = 0;
}
#endif

#if !(defined(HAVE_STATX) && defined(STATX_BTIME))
int file_stat_birth(int fd, struct stat *st, struct timespec *btime)
{
	if (fstat(fd, st) < 0)
		return -1;
	file_birth_time(fd, NULL, btime);
	return 0;
}
#endif
