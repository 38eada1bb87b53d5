/*
 * Compressed payload files for redaction: a gzip, xz, zstd or bzip2 rotation is read as the
 * stream of its decompressed bytes, straight from the bundle's member (no temporary copy), and
 * its redacted lines are written back in the same format. libarchive's raw format does both
 * (gzip is read through base/gunzip.c and written through ISA-L where the build has it), so
 * memory stays bounded whatever the sizes.
 */
#ifndef LOGPACK_REDACT_STREAM_H
#define LOGPACK_REDACT_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/hash.h"
#include "base/util.h"
#include "bundle/source.h"

enum redact_compression { REDACT_PLAIN, REDACT_GZIP, REDACT_XZ, REDACT_ZSTD, REDACT_BZIP2 };

/* The compression a payload name says by its suffix (.gz, .xz, .zst, .bz2), or REDACT_PLAIN. */
enum redact_compression redact_compression_of(const char *name);

/*
 * Decompress the member src is at, as a stream of the given compression, handing each piece
 * of decompressed bytes to fn (which returns -1 to stop, with err set). Every byte of the member
 * is read and hashed into sha256_hex, even past the end of the compressed data. At most max_out
 * bytes are produced: a member that decompresses to more is judged a bomb. Returns 0; -1 with
 * err when the source cannot be read or fn stopped; -2 with err when the member is not a whole,
 * valid stream of that compression (too big included): it can only be dropped.
 */
int redact_decompress(struct source *src, enum redact_compression kind, uint64_t max_out,
                      int (*fn)(void *ctx, const void *buf, size_t len), void *ctx,
                      char sha256_hex[SHA256_HEX_LEN + 1], struct error *err);

/* A member's next bytes into buf (at most cap): how many, 0 at its end, or -1 with err. */
typedef ssize_t (*redact_read_fn)(void *read_ctx, void *buf, size_t cap, struct error *err);
/*
 * The same, reading the member's bytes from read (bundle/redact-unpack.h: as pass 1 reads).
 * sha256_hex may be NULL here, for a reader whose bytes are hashed elsewhere: nothing is then
 * hashed, though the member is still read to its end.
 */
int redact_decompress_from(redact_read_fn read, void *read_ctx, enum redact_compression kind,
                           uint64_t max_out, int (*fn)(void *ctx, const void *buf, size_t len),
                           void *ctx, char sha256_hex[SHA256_HEX_LEN + 1], struct error *err);

/* A compressor writing one stream of a compression to a file descriptor. */
struct redact_compressor;

int redact_compressor_open(struct redact_compressor **out, enum redact_compression kind, int fd,
                           struct error *err);
int redact_compressor_write(struct redact_compressor *c, const void *buf, size_t len,
                            struct error *err);
/* End the stream and free c; returns 0, or -1 with err (c is freed either way). */
int redact_compressor_close(struct redact_compressor *c, struct error *err);
/* Free c without ending the stream. Safe on NULL. */
void redact_compressor_abort(struct redact_compressor *c);

#endif
