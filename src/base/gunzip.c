/*
 * Both engines run the same loop: decode into one 64 KiB buffer, hand it out, and go on while
 * input is left or the buffer came back full (an engine may hold output it could not place
 * yet, and the last bytes of a file must not be lost with it). A member's end starts the next
 * one on the bytes that follow.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "base/gunzip.h"
#include "base/util.h"

#define GUNZIP_CHUNK 65536

struct gunzip {
	enum gunzip_engine engine;
	int done; /* stopped or damaged: nothing more is taken */
	unsigned char *buf;
	z_stream z;
#ifdef HAVE_ISAL
	struct inflate_state *is;
	int at_member;         /* the next byte begins a member */
	unsigned char head[2]; /* its first bytes, which say gzip or zlib */
	size_t head_len;
#endif
};

struct gunzip *gunzip_new(enum gunzip_engine engine)
{
	struct gunzip *g;

#ifdef HAVE_ISAL
	if (engine == GUNZIP_BEST)
		engine = GUNZIP_ISAL;
#else
	if (engine == GUNZIP_BEST)
		engine = GUNZIP_ZLIB;
	if (engine == GUNZIP_ISAL)
		return NULL;
#endif
	g = xcalloc(1, sizeof(*g));
	g->engine = engine;
	g->buf = xmalloc(GUNZIP_CHUNK);
	if (engine == GUNZIP_ZLIB) {
		/* 15 + 32: a gzip or a zlib header, detected again at every member. */
		if (inflateInit2(&g->z, 15 + 32) != Z_OK) {
			free(g->buf);
			free(g);
			return NULL;
		}
		return g;
	}
#ifdef HAVE_ISAL
	g->is = xmalloc(sizeof(*g->is));
	isal_inflate_init(g->is);
	g->at_member = 1;
#endif
	return g;
}

void gunzip_free(struct gunzip *g)
{
	if (g == NULL)
		return;
	if (g->engine == GUNZIP_ZLIB)
		inflateEnd(&g->z);
#ifdef HAVE_ISAL
	free(g->is);
#endif
	free(g->buf);
	free(g);
}

const char *gunzip_engine_name(const struct gunzip *g)
{
	return g->engine == GUNZIP_ISAL ? "isal" : "zlib";
}

static int feed_zlib(struct gunzip *g, const unsigned char *in, size_t len, gunzip_out_fn out,
                     void *arg)
{
	z_stream *z = &g->z;

	while (len > 0 || z->avail_out == 0) {
		uInt take = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
		size_t got;
		int zr;

		z->next_in = (Bytef *)(uintptr_t)in;
		z->avail_in = take;
		z->next_out = g->buf;
		z->avail_out = GUNZIP_CHUNK;
		zr = inflate(z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return -1;
		got = GUNZIP_CHUNK - z->avail_out;
		in += take - z->avail_in;
		len -= take - z->avail_in;
		if (got > 0 && out(arg, g->buf, got))
			return 1;
		if (zr == Z_STREAM_END) {
			if (inflateReset(z) != Z_OK)
				return -1;
			z->avail_out = 1; /* nothing is held back after a member's end */
		} else if (zr == Z_BUF_ERROR) {
			break; /* no progress: everything given was used */
		}
	}
	return 0;
}

#ifdef HAVE_ISAL
/* Decodes from in until it is used up, out is full with nothing more to give, or the member
 * ends; *used says how much of in was taken. */
static int isal_run(struct gunzip *g, const unsigned char *in, size_t len, size_t *used,
                    gunzip_out_fn out, void *arg)
{
	struct inflate_state *is = g->is;
	uint32_t take = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;

	is->next_in = (uint8_t *)(uintptr_t)in;
	is->avail_in = take;
	for (;;) {
		size_t got;
		int r;

		is->next_out = g->buf;
		is->avail_out = GUNZIP_CHUNK;
		r = isal_inflate(is);
		if (r != ISAL_DECOMP_OK)
			return -1;
		got = GUNZIP_CHUNK - is->avail_out;
		*used = take - is->avail_in;
		if (got > 0 && out(arg, g->buf, got))
			return 1;
		if (is->block_state == ISAL_BLOCK_FINISH) {
			g->at_member = 1;
			return 0;
		}
		if (is->avail_in == 0 && is->avail_out > 0)
			return 0;
	}
}

static int feed_isal(struct gunzip *g, const unsigned char *in, size_t len, gunzip_out_fn out,
                     void *arg)
{
	while (len > 0) {
		size_t used = 0;
		int r;

		if (g->at_member) {
			while (g->head_len < 2 && len > 0) {
				g->head[g->head_len++] = *in++;
				len--;
			}
			if (g->head_len < 2)
				return 0;
			isal_inflate_reset(g->is);
			g->is->crc_flag =
			        g->head[0] == 0x1f && g->head[1] == 0x8b ? ISAL_GZIP : ISAL_ZLIB;
			g->at_member = 0;
			g->head_len = 0;
			r = isal_run(g, g->head, 2, &used, out, arg);
			if (r != 0)
				return r;
			continue;
		}
		r = isal_run(g, in, len, &used, out, arg);
		if (r != 0)
			return r;
		in += used;
		len -= used;
	}
	return 0;
}
#endif

int gunzip_feed(struct gunzip *g, const void *in, size_t len, gunzip_out_fn out, void *arg)
{
	int r;

	if (g->done)
		return 1;
#ifdef HAVE_ISAL
	if (g->engine == GUNZIP_ISAL)
		r = feed_isal(g, in, len, out, arg);
	else
#endif
		r = feed_zlib(g, in, len, out, arg);
	if (r != 0)
		g->done = 1;
	return r;
}
