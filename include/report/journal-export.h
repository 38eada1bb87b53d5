/*
 * A journal file turned into journald's export format (the text `journalctl -o export` writes,
 * byte for byte), by logpack's own reader: no libsystemd, and no journalctl on the machine
 * that reads a bundle. Entries come in the order of the file's entry array (seqnum order);
 * data objects compressed with zstd are read, XZ and LZ4 are not (an error names them).
 * Every offset, size and count comes from attacker-written bytes and is checked before use.
 */
#ifndef LOGPACK_REPORT_JOURNAL_EXPORT_H
#define LOGPACK_REPORT_JOURNAL_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* The largest field logpack exports, compressed or not; a larger one is an error. */
#define JOURNAL_FIELD_MAX (64u * 1024 * 1024)

/* Reads len bytes at off into buf: 0, or -1 when they are not all there. */
typedef int (*journal_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);
/* Takes the next piece of export text: 0, or -1 to stop (the writer sets err). */
typedef int (*journal_write_fn)(void *ctx, const void *buf, size_t len, struct error *err);

struct journal_export_counts {
	uint64_t entries; /* entries written */
	uint64_t fields;  /* fields written, _BOOT_ID (from the entry) not counted */
	uint64_t binary;  /* of those, written in the binary form (not printable UTF-8) */
};

/*
 * Export the journal file of file_size bytes that rd reads, entry by entry, to wr. 0 when
 * every entry was written; -1 with err set ("an entry array at offset N: ...") when the file
 * is not one, is damaged, or holds what logpack does not read; what was written until then
 * stays written (the caller decides whether a part is worth keeping).
 */
int journal_export(journal_read_fn rd, void *rctx, uint64_t file_size, journal_write_fn wr,
                   void *wctx, struct journal_export_counts *counts, struct error *err);

/*
 * A reader over a file descriptor (pread) with a small cache of 64 KiB blocks: an entry and its
 * own fields lie together, and the fields entries share are read again and again.
 */
#define JOURNAL_CACHE_BLOCK (64 * 1024)
#define JOURNAL_CACHE_BLOCKS 16
struct journal_fd_reader {
	int fd;
	uint64_t block_off[JOURNAL_CACHE_BLOCKS]; /* the offset each slot holds, + 1; 0: empty */
	size_t block_len[JOURNAL_CACHE_BLOCKS];
	unsigned char block[JOURNAL_CACHE_BLOCKS][JOURNAL_CACHE_BLOCK];
};

/* Set r up to read fd (which stays the caller's). */
void journal_fd_reader_init(struct journal_fd_reader *r, int fd);
/* A journal_read_fn over a struct journal_fd_reader. */
int journal_read_fd(void *ctx, uint64_t off, void *buf, size_t len);

#endif
