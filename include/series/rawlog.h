/*
 * Rotated logs that logrotate compressed (gzip, xz, zstd, bzip2), decompressed as plain byte
 * streams to compare them with what a series holds. This is not a bundle reader: no archive
 * format, no members, only one compressed stream.
 */
#ifndef LOGPACK_SERIES_RAWLOG_H
#define LOGPACK_SERIES_RAWLOG_H

#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"
#include "base/util.h"

/* Is this the name of a file compressed by rotation (.gz, .xz, .zst, .bz2)? */
int rawlog_compressed_name(const char *path);

struct rawlog_scan {
	/* In. */
	int head_only;         /* stop once head is full */
	uint64_t want;         /* without head_only: hash the first want bytes into prefix */
	struct sha256 *prefix; /* started by the caller; unused with head_only */
	unsigned char *head;   /* receives the first head_cap decompressed bytes */
	size_t head_cap;
	void *buf; /* scratch space of buf_size bytes */
	size_t buf_size;
	/* Out. */
	size_t head_len;
	uint64_t total; /* bytes decompressed; the scan stops as soon as this is more than want */
};

/*
 * Decompress the file open on fd (from offset 0). 0, or -1 with err when it is not (or not
 * complete) compressed data. Memory stays bounded, and a bomb cannot make it read on past
 * want + buf_size bytes.
 */
int rawlog_scan(int fd, struct rawlog_scan *scan, struct error *err);

#endif
