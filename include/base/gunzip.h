/*
 * A streaming decoder of gzip data: members one after another (what `cat a.gz b.gz` makes).
 * It is for reading compressed log generations as they pass, so it never needs the whole
 * input or output.
 *
 * Two engines give the same bytes and the same verdicts: ISA-L's igzip when the build has it
 * (it inflates about three and a half times as fast as zlib on the build machine) and zlib.
 * GUNZIP_BEST takes the first; the unit tests run both over the same inputs. One exception:
 * ISA-L takes a dynamic block whose Huffman code is incomplete, which zlib (and so libarchive
 * and gzip -t) refuses; where the missing codes are used, what it decodes fails the CRC-32,
 * where they are not, the member is whole to ISA-L alone.
 */
#ifndef LOGPACK_GUNZIP_H
#define LOGPACK_GUNZIP_H

#include <stddef.h>

enum gunzip_engine { GUNZIP_BEST, GUNZIP_ZLIB, GUNZIP_ISAL };

/* What a stream is judged by. */
enum gunzip_rules {
	/*
	 * The coverage report's: gzip members and zlib-wrapped deflate, told apart by each
	 * member's first two bytes, check values checked; a stream that ends early is not an
	 * error (what it held has been handed out), bytes after a member that begin no other are.
	 */
	GUNZIP_LENIENT_END,
	/*
	 * Redaction's, which must never drop an honest rotation, a crash-padded one included:
	 * gzip members only, each whole (a stream that ends inside one is damaged), its CRC-32
	 * and length checked; the header read as libarchive's gzip reader reads it (reserved
	 * flags refused, its own check value not checked); bytes after a member that do not
	 * make a whole header are ignored, as libarchive ignores them (zeros after a crash).
	 */
	GUNZIP_WHOLE_MEMBERS,
};

/* Takes each decoded piece; returns nonzero to stop decoding. */
typedef int (*gunzip_out_fn)(void *arg, const unsigned char *buf, size_t len);

struct gunzip;

/* A decoder, or NULL when the engine is not in this build or cannot start. */
struct gunzip *gunzip_new_ruled(enum gunzip_engine engine, enum gunzip_rules rules);
/* The same with GUNZIP_LENIENT_END. */
struct gunzip *gunzip_new(enum gunzip_engine engine);
void gunzip_free(struct gunzip *g);
/* "isal" or "zlib": the engine g decodes with. */
const char *gunzip_engine_name(const struct gunzip *g);

/*
 * Decodes the next len bytes of the stream, handing every piece they complete to out.
 * Returns 0 when all of them were taken, 1 when out asked to stop, -1 when the data is damaged
 * by g's rules. After 1 or -1 the decoder takes nothing more.
 */
int gunzip_feed(struct gunzip *g, const void *in, size_t len, gunzip_out_fn out, void *arg);

/* After the last byte was fed: 0 when the stream is whole by g's rules, or -1 when it is
 * damaged (gunzip_damage says how). */
int gunzip_end(struct gunzip *g);
/* Why g judged its stream damaged ("not gzip", "truncated gzip input", ...), or NULL. */
const char *gunzip_damage(const struct gunzip *g);

#endif
