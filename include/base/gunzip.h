/*
 * A streaming decoder of gzip data: members one after another (what `cat a.gz b.gz` makes),
 * and zlib-wrapped deflate, told apart by each member's first two bytes. It is for reading
 * compressed log generations as they pass, so it never needs the whole input or output.
 *
 * Two engines give the same bytes and the same verdicts: ISA-L's igzip when the build has it
 * (it inflates about three and a half times as fast as zlib on the build machine) and zlib.
 * GUNZIP_BEST takes the first; the unit test runs both over the same inputs.
 */
#ifndef LOGPACK_GUNZIP_H
#define LOGPACK_GUNZIP_H

#include <stddef.h>

enum gunzip_engine { GUNZIP_BEST, GUNZIP_ZLIB, GUNZIP_ISAL };

/* Takes each decoded piece; returns nonzero to stop decoding. */
typedef int (*gunzip_out_fn)(void *arg, const unsigned char *buf, size_t len);

struct gunzip;

/* A decoder, or NULL when the engine is not in this build or cannot start. */
struct gunzip *gunzip_new(enum gunzip_engine engine);
void gunzip_free(struct gunzip *g);
/* "isal" or "zlib": the engine g decodes with. */
const char *gunzip_engine_name(const struct gunzip *g);

/*
 * Decodes the next len bytes of the stream, handing every piece they complete to out.
 * Returns 0 when all of them were taken, 1 when out asked to stop, -1 when the data is damaged
 * (a bad header, deflate data or check value, or bytes after a member that begin no other).
 * After 1 or -1 the decoder takes nothing more. A stream that simply ends early is not an
 * error: what it held has been handed out.
 */
int gunzip_feed(struct gunzip *g, const void *in, size_t len, gunzip_out_fn out, void *arg);

#endif
