/*
 * Both engines run the same loop: decode into one 64 KiB buffer, hand it out, and go on while
 * input is left or the buffer came back full (an engine may hold output it could not place
 * yet, and the last bytes of a file must not be lost with it). A member's end starts the next
 * one on the bytes that follow.
 *
 * Under GUNZIP_WHOLE_MEMBERS the engines inflate a member's deflate data only: its header is
 * read here, by the rules of libarchive's gzip reader, and its trailer checked (by ISA-L
 * itself, or here after zlib).
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

/* Where the next byte of a stream read by libarchive's rules falls. */
enum member_part {
	PART_FIXED,   /* the header's first ten bytes */
	PART_XLEN,    /* the length of its extra field */
	PART_EXTRA,   /* the extra field */
	PART_NAME,    /* the file name, up to its NUL */
	PART_COMMENT, /* the comment, up to its NUL */
	PART_HCRC,    /* the header's check value (not checked, as libarchive does not) */
	PART_DEFLATE, /* the deflate data (and, read by ISA-L, the trailer) */
	PART_TRAILER, /* after zlib: the member's CRC-32 and length */
	PART_AFTER,   /* bytes after the last member that begin no other: ignored */
};

enum {
	FLAG_HCRC = 2,
	FLAG_EXTRA = 4,
	FLAG_NAME = 8,
	FLAG_COMMENT = 16,
	FLAGS_RESERVED = 0xe0,
};

struct gunzip {
	enum gunzip_engine engine;
	enum gunzip_rules rules;
	int done; /* stopped or damaged: nothing more is taken */
	const char *damage;
	unsigned char *buf;
	/* GUNZIP_WHOLE_MEMBERS: the member being read */
	enum member_part part;
	unsigned char fixed[10];
	size_t got;           /* bytes of the present part read so far */
	size_t left;          /* bytes of the extra field still to skip */
	uint32_t crc, length; /* of the member's bytes so far, after zlib */
	unsigned char trailer[8];
	int first;        /* the member is the stream's first */
	int header_whole; /* libarchive would take its header as whole */
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
	return gunzip_new_ruled(engine, GUNZIP_LENIENT_END);
}

struct gunzip *gunzip_new_ruled(enum gunzip_engine engine, enum gunzip_rules rules)
{
	struct gunzip *g;
	int raw = rules == GUNZIP_WHOLE_MEMBERS;

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
	g->rules = rules;
	g->first = 1;
	g->buf = xmalloc(GUNZIP_CHUNK);
	if (engine == GUNZIP_ZLIB) {
		/* 15 + 32: a gzip or a zlib header, detected again at every member; -15: raw
		 * deflate data, its member's header read here. */
		if (inflateInit2(&g->z, raw ? -15 : 15 + 32) != Z_OK) {
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

/*
 * Decodes from in until in is used up (and all it gave is handed out) or a member's data ends
 * (*ended; zlib stops there, ISA-L under GUNZIP_WHOLE_MEMBERS after the trailer, which it
 * checks). *used says how much of in was taken. 0, 1 when out asked to stop, -1 when the data
 * is damaged.
 */
static int inflate_zlib(struct gunzip *g, const unsigned char *in, size_t len, size_t *used,
                        int *ended, gunzip_out_fn out, void *arg)
{
	z_stream *z = &g->z;
	uInt take = len > UINT32_MAX ? UINT32_MAX : (uInt)len;

	z->next_in = (Bytef *)(uintptr_t)in;
	z->avail_in = take;
	for (;;) {
		size_t got;
		int zr;

		z->next_out = g->buf;
		z->avail_out = GUNZIP_CHUNK;
		zr = inflate(z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return -1;
		got = GUNZIP_CHUNK - z->avail_out;
		*used = take - z->avail_in;
		if (g->rules == GUNZIP_WHOLE_MEMBERS) {
			g->crc = (uint32_t)crc32(g->crc, g->buf, (uInt)got);
			g->length += (uint32_t)got;
		}
		if (got > 0 && out(arg, g->buf, got))
			return 1;
		if (zr == Z_STREAM_END) {
			*ended = 1;
			return 0;
		}
		/* Z_BUF_ERROR: no progress, everything given was used */
		if ((z->avail_in == 0 && z->avail_out > 0) || zr == Z_BUF_ERROR)
			return 0;
	}
}

static int feed_zlib(struct gunzip *g, const unsigned char *in, size_t len, gunzip_out_fn out,
                     void *arg)
{
	while (len > 0) {
		size_t used = 0;
		int ended = 0, r = inflate_zlib(g, in, len, &used, &ended, out, arg);

		if (r != 0)
			return r;
		in += used;
		len -= used;
		/* Not ended: in was used up, or held more than one call to zlib takes (4 GiB). */
		if (!ended && used == 0)
			break;
		if (ended && inflateReset(&g->z) != Z_OK)
			return -1;
	}
	return 0;
}

#ifdef HAVE_ISAL
static int inflate_isal(struct gunzip *g, const unsigned char *in, size_t len, size_t *used,
                        int *ended, gunzip_out_fn out, void *arg)
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
		if (r == ISAL_INCORRECT_CHECKSUM)
			g->damage = "its CRC-32 or length does not match";
		if (r != ISAL_DECOMP_OK)
			return -1;
		got = GUNZIP_CHUNK - is->avail_out;
		*used = take - is->avail_in;
		if (got > 0 && out(arg, g->buf, got))
			return 1;
		if (is->block_state == ISAL_BLOCK_FINISH) {
			*ended = 1;
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
		int r, ended = 0;

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
			r = inflate_isal(g, g->head, 2, &used, &ended, out, arg);
		} else {
			r = inflate_isal(g, in, len, &used, &ended, out, arg);
			in += used;
			len -= used;
		}
		if (r != 0)
			return r;
		g->at_member = ended;
	}
	return 0;
}
#endif

/* The member's deflate data begins: the engine starts afresh. */
static int raw_begin(struct gunzip *g)
{
#ifdef HAVE_ISAL
	if (g->engine == GUNZIP_ISAL) {
		isal_inflate_reset(g->is);
		/* The deflate data, then the trailer, read and checked. */
		g->is->crc_flag = ISAL_GZIP_NO_HDR_VER;
		return 0;
	}
#endif
	g->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	g->length = 0;
	return inflateReset(&g->z) == Z_OK ? 0 : -1;
}

/* The header's parts after its first ten bytes, in their order: the next one its flags ask
 * for after part, or PART_DEFLATE. */
static enum member_part next_part(unsigned flags, enum member_part part)
{
	if (part < PART_XLEN && (flags & FLAG_EXTRA))
		return PART_XLEN;
	if (part < PART_NAME && (flags & FLAG_NAME))
		return PART_NAME;
	if (part < PART_COMMENT && (flags & FLAG_COMMENT))
		return PART_COMMENT;
	if (part < PART_HCRC && (flags & FLAG_HCRC))
		return PART_HCRC;
	return PART_DEFLATE;
}

/*
 * Enter part. libarchive takes a header as whole once it has seen its last NUL or check
 * value, or, with none of those, the length of its extra field: from then on, an early end is
 * a truncated member, not bytes to ignore.
 */
static int enter(struct gunzip *g, enum member_part part)
{
	unsigned flags = g->fixed[3];

	g->part = part;
	g->got = 0;
	if (part == PART_EXTRA && next_part(flags, PART_EXTRA) == PART_DEFLATE)
		g->header_whole = 1;
	if (part == PART_DEFLATE) {
		g->header_whole = 1;
		if (raw_begin(g) < 0) {
			g->damage = "cannot start inflating";
			return -1;
		}
	}
	return 0;
}

/* The member is over: the next one's header may begin. */
static void member_passed(struct gunzip *g)
{
	g->part = PART_FIXED;
	g->got = 0;
	g->first = 0;
	g->header_whole = 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int feed_members(struct gunzip *g, const unsigned char *in, size_t len, gunzip_out_fn out,
                        void *arg)
{
	while (len > 0) {
		size_t used = 0;
		int r, ended = 0;

		switch (g->part) {
		case PART_FIXED:
			while (g->got < sizeof(g->fixed) && len > 0) {
				g->fixed[g->got++] = *in++;
				len--;
			}
			if (g->got < sizeof(g->fixed))
				return 0;
			if (memcmp(g->fixed, "\x1f\x8b\x08", 3) != 0 ||
			    (g->fixed[3] & FLAGS_RESERVED) != 0) {
				if (g->first) {
					g->damage = "not gzip";
					return -1;
				}
				g->part = PART_AFTER;
				break;
			}
			if (enter(g, next_part(g->fixed[3], PART_FIXED)) < 0)
				return -1;
			break;
		case PART_XLEN:
			g->left |= (size_t)*in++ << (8 * g->got++);
			len--;
			if (g->got == 2 && enter(g, PART_EXTRA) < 0)
				return -1;
			break;
		case PART_EXTRA:
			used = len < g->left ? len : g->left;
			in += used;
			len -= used;
			g->left -= used;
			if (g->left == 0 && enter(g, next_part(g->fixed[3], PART_EXTRA)) < 0)
				return -1;
			break;
		case PART_NAME:
		case PART_COMMENT:
		case PART_HCRC:
			r = g->part == PART_HCRC ? ++g->got == 2 : *in == 0;
			in++;
			len--;
			if (r && enter(g, next_part(g->fixed[3], g->part)) < 0)
				return -1;
			break;
		case PART_DEFLATE:
#ifdef HAVE_ISAL
			if (g->engine == GUNZIP_ISAL)
				r = inflate_isal(g, in, len, &used, &ended, out, arg);
			else
#endif
				r = inflate_zlib(g, in, len, &used, &ended, out, arg);
			if (r < 0 && g->damage == NULL)
				g->damage = "gzip decompression failed";
			if (r != 0)
				return r;
			if (!ended && used == 0) {
				g->damage = "inflating made no progress";
				return -1;
			}
			in += used;
			len -= used;
			if (ended && g->engine == GUNZIP_ISAL)
				member_passed(g);
			else if (ended)
				g->part = PART_TRAILER;
			break;
		case PART_TRAILER:
			g->trailer[g->got++] = *in++;
			len--;
			if (g->got < sizeof(g->trailer))
				break;
			if (le32(g->trailer) != g->crc || le32(g->trailer + 4) != g->length) {
				g->damage = "its CRC-32 or length does not match";
				return -1;
			}
			member_passed(g);
			break;
		case PART_AFTER:
			return 0;
		}
	}
	return 0;
}

int gunzip_feed(struct gunzip *g, const void *in, size_t len, gunzip_out_fn out, void *arg)
{
	int r;

	if (g->done)
		return 1;
	if (g->rules == GUNZIP_WHOLE_MEMBERS)
		r = feed_members(g, in, len, out, arg);
	else
#ifdef HAVE_ISAL
	        if (g->engine == GUNZIP_ISAL)
		r = feed_isal(g, in, len, out, arg);
	else
#endif
		r = feed_zlib(g, in, len, out, arg);
	if (r != 0)
		g->done = 1;
	if (r < 0 && g->damage == NULL)
		g->damage = "damaged gzip data";
	return r;
}

int gunzip_end(struct gunzip *g)
{
	if (g->damage != NULL)
		return -1;
	if (g->rules != GUNZIP_WHOLE_MEMBERS || g->done || g->part == PART_AFTER)
		return 0;
	if (g->part <= PART_HCRC && !g->header_whole) {
		if (!g->first)
			return 0; /* bytes after the last member that begin no whole header */
		g->damage = "not gzip";
		return -1;
	}
	g->damage = "truncated gzip input";
	return -1;
}

const char *gunzip_damage(const struct gunzip *g)
{
	return g->damage;
}
