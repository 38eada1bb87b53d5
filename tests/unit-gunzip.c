/*
 * Unit tests for the streaming gzip decoder (base/gunzip.c): every engine the build has,
 * over the same inputs, fed whole and in pieces down to a byte, must give the same bytes and
 * the same verdicts.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/gunzip.h"
#include "tap.h"

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* windowBits 31: a gzip member; 15: a zlib stream. */
static void compress_into(struct buf *out, const unsigned char *in, size_t len, int window_bits,
                          const char *dict)
{
	z_stream z;
	unsigned char chunk[16384];
	int zr;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	if (dict != NULL &&
	    deflateSetDictionary(&z, (const Bytef *)dict, (uInt)strlen(dict)) != Z_OK)
		abort();
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = deflate(&z, Z_FINISH);
		buf_add(out, chunk, sizeof(chunk) - z.avail_out);
	} while (zr == Z_OK);
	if (zr != Z_STREAM_END)
		abort();
	deflateEnd(&z);
}

/* Log-like lines that do not all repeat. */
static void make_text(struct buf *b, size_t lines, unsigned seed)
{
	char line[160];

	for (size_t i = 0; i < lines; i++) {
		int n;

		seed = seed * 1103515245u + 12345u;
		n = snprintf(line, sizeof(line),
		             "Dec  2 06:%02u:%02u host sshd[%u]: Failed password for user%u from "
		             "10.%u.%u.%u port %u ssh2\n",
		             (seed >> 8) % 60, (seed >> 14) % 60, seed % 65536, (seed >> 4) % 977,
		             (seed >> 3) % 256, (seed >> 11) % 256, (seed >> 19) % 256,
		             1024 + (seed >> 7) % 60000);
		buf_add(b, line, (size_t)n);
	}
}

struct sink {
	struct buf got;
	int pieces;
	int stop_after; /* stop after this many pieces; 0: never */
};

static int take(void *arg, const unsigned char *p, size_t n)
{
	struct sink *s = arg;

	buf_add(&s->got, p, n);
	s->pieces++;
	return s->stop_after > 0 && s->pieces >= s->stop_after;
}

/* Decodes in with engine, piece bytes at a time; returns gunzip_feed's last result. */
static int decode(enum gunzip_engine engine, const struct buf *in, size_t piece, struct sink *s)
{
	struct gunzip *g = gunzip_new(engine);
	int r = 0;

	if (g == NULL)
		abort();
	for (size_t at = 0; at < in->len && r == 0; at += piece) {
		size_t n = in->len - at < piece ? in->len - at : piece;

		r = gunzip_feed(g, in->p + at, n, take, s);
	}
	gunzip_free(g);
	return r;
}

static enum gunzip_engine engines[2];
static int n_engines;

static void check_clean(const char *what, const struct buf *in, const struct buf *want)
{
	static const size_t pieces[] = {1, 3, 4096, 65536, SIZE_MAX};

	for (int e = 0; e < n_engines; e++) {
		int wrong = 0;

		for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
			struct sink s = {{0}, 0, 0};
			int r = decode(engines[e], in, pieces[i], &s);

			if (r != 0 || s.got.len != want->len ||
			    (want->len > 0 && memcmp(s.got.p, want->p, want->len) != 0)) {
				if (!wrong)
					printf("# %s, pieces of %zu: result %d, %zu bytes of %zu\n",
					       what, pieces[i], r, s.got.len, want->len);
				wrong++;
			}
			free(s.got.p);
		}
		ok(wrong == 0, "%s: %s decodes it, whole and in pieces of 1 byte to 64 KiB", what,
		   engines[e] == GUNZIP_ISAL ? "isal" : "zlib");
	}
}

static void check_damaged(const char *what, const struct buf *in)
{
	for (int e = 0; e < n_engines; e++) {
		struct sink s1 = {{0}, 0, 0}, s2 = {{0}, 0, 0};
		int whole = decode(engines[e], in, SIZE_MAX, &s1);
		int bytewise = decode(engines[e], in, 1, &s2);

		ok(whole == -1 && bytewise == -1,
		   "%s: %s calls it damaged (whole: %d, bytewise: %d)", what,
		   engines[e] == GUNZIP_ISAL ? "isal" : "zlib", whole, bytewise);
		free(s1.got.p);
		free(s2.got.p);
	}
}

int main(void)
{
	struct buf text = {0}, gz = {0}, run = {0}, gzrun = {0}, multi = {0}, want_multi = {0};
	struct buf bad = {0};
	struct gunzip *g;

	engines[n_engines++] = GUNZIP_ZLIB;
	g = gunzip_new(GUNZIP_ISAL);
#ifdef HAVE_ISAL
	ok(g != NULL, "this build has the isal engine");
	engines[n_engines++] = GUNZIP_ISAL;
#else
	ok(g == NULL, "this build has no isal engine, and says so");
#endif
	gunzip_free(g);
	g = gunzip_new(GUNZIP_BEST);
	is_str(g ? gunzip_engine_name(g) : NULL, n_engines == 2 ? "isal" : "zlib",
	       "the best engine is the fastest one built in");
	gunzip_free(g);

	make_text(&text, 40000, 7);
	compress_into(&gz, text.p, text.len, 31, NULL);
	check_clean("a gzip member of 3 MiB of log lines", &gz, &text);

	/* 4 MiB that deflate to almost nothing: most output comes from no new input. */
	for (int i = 0; i < 4096; i++) {
		static const char kib[1024] = {[0 ... 1022] = 'a', [1023] = '\n'};

		buf_add(&run, kib, sizeof(kib));
	}
	buf_add(&run, "the last line\n", 14);
	compress_into(&gzrun, run.p, run.len, 31, NULL);
	check_clean("4 MiB of one byte, then a last line (output held back)", &gzrun, &run);

	/* gzip, gzip, zlib: what `cat a.gz b.gz` and a renamed .Z-less zlib stream give. */
	{
		struct buf t2 = {0}, t3 = {0};

		make_text(&t2, 300, 11);
		make_text(&t3, 20, 13);
		compress_into(&multi, text.p, text.len, 31, NULL);
		compress_into(&multi, t2.p, t2.len, 31, NULL);
		compress_into(&multi, t3.p, t3.len, 15, NULL);
		buf_add(&want_multi, text.p, text.len);
		buf_add(&want_multi, t2.p, t2.len);
		buf_add(&want_multi, t3.p, t3.len);
		check_clean("gzip, gzip and zlib members one after another", &multi, &want_multi);
		free(t2.p);
		free(t3.p);
	}

	/* A header with a name, a comment and an extra field. */
	{
		struct buf hdr = {0}, body = {0};
		static const unsigned char head[] = {0x1f, 0x8b, 8, 4 | 8 | 16, 0,   0,   0, 0,
		                                     0,    3,    4, 0,          'X', 'Y', 0, 0};

		compress_into(&body, text.p, 5000, 31, NULL);
		buf_add(&hdr, head, sizeof(head));
		buf_add(&hdr, "syslog.2\0", 9);
		buf_add(&hdr, "rotated\0", 8);
		buf_add(&hdr, body.p + 10, body.len - 10);
		{
			struct buf want = {0};

			buf_add(&want, text.p, 5000);
			check_clean("a header with a name, a comment and an extra field", &hdr,
			            &want);
			free(want.p);
		}
		free(hdr.p);
		free(body.p);
	}

	{
		struct buf empty = {0}, gz_empty = {0};

		compress_into(&gz_empty, (const unsigned char *)"", 0, 31, NULL);
		check_clean("a member of nothing", &gz_empty, &empty);
		free(gz_empty.p);
	}

	/* Damage: the CRC, the length, the method, the deflate data, what follows a member. */
	buf_add(&bad, gz.p, gz.len);
	bad.p[bad.len - 6] ^= 0x01;
	check_damaged("a wrong CRC-32", &bad);
	bad.len = 0;
	buf_add(&bad, gz.p, gz.len);
	bad.p[bad.len - 2] ^= 0x01;
	check_damaged("a wrong length in the trailer", &bad);
	bad.len = 0;
	buf_add(&bad, gz.p, gz.len);
	bad.p[2] = 9;
	check_damaged("a method other than deflate", &bad);
	bad.len = 0;
	buf_add(&bad, gz.p, gz.len);
	memset(bad.p + gz.len / 2, 0xff, 64);
	check_damaged("64 bytes of deflate data overwritten", &bad);
	bad.len = 0;
	buf_add(&bad, gz.p, gz.len);
	buf_add(&bad, "\0\0\0\0garbage", 11);
	check_damaged("bytes after the member that begin no other", &bad);
	bad.len = 0;
	compress_into(&bad, text.p, 2000, 15, "Failed password for");
	check_damaged("a zlib stream that needs a preset dictionary", &bad);

	/* Cut short: not an error; what came is a prefix of the text. */
	for (int e = 0; e < n_engines; e++) {
		struct buf half = {gz.p, gz.len / 2, 0};
		struct sink s = {{0}, 0, 0};
		int r = decode(engines[e], &half, 4096, &s);

		ok(r == 0 && s.got.len > text.len / 4 && s.got.len < text.len &&
		           memcmp(s.got.p, text.p, s.got.len) == 0,
		   "%s: a stream cut in half gives the first part of the text (%zu bytes)",
		   engines[e] == GUNZIP_ISAL ? "isal" : "zlib", s.got.len);
		free(s.got.p);
	}

	/* Cut at every place of a short run's stream: wherever an engine still held output back
	 * when the input ran out, fed whole, every byte the cut stream holds must still come. */
	for (int e = 0; e < n_engines; e++) {
		struct buf small = {0}, gzsmall = {0};
		int differ = 0;
		size_t most = 0;

		buf_add(&small, run.p, 256 * 1024);
		compress_into(&gzsmall, small.p, small.len, 31, NULL);
		for (size_t at = 16; at < gzsmall.len; at++) {
			struct buf cut = {gzsmall.p, at, 0};
			struct sink whole = {{0}, 0, 0}, bytewise = {{0}, 0, 0};
			int r1 = decode(engines[e], &cut, SIZE_MAX, &whole);
			int r2 = decode(engines[e], &cut, 1, &bytewise);

			if (r1 != 0 || r2 != 0 || whole.got.len != bytewise.got.len)
				differ++;
			most = whole.got.len > most ? whole.got.len : most;
			free(whole.got.p);
			free(bytewise.got.p);
		}
		ok(differ == 0 && most == small.len,
		   "%s: a stream cut at each of %zu places gives as much fed whole as a byte at a "
		   "time (%d differ)",
		   engines[e] == GUNZIP_ISAL ? "isal" : "zlib", gzsmall.len - 16, differ);
		free(small.p);
		free(gzsmall.p);
	}

	/* The taker stops it: the result says so, and nothing more is handed out. */
	for (int e = 0; e < n_engines; e++) {
		struct sink s = {{0}, 0, 2};
		struct gunzip *d = gunzip_new(engines[e]);
		int r1 = gunzip_feed(d, gz.p, gz.len, take, &s);
		int pieces = s.pieces;
		int r2 = gunzip_feed(d, gz.p, gz.len, take, &s);

		ok(r1 == 1 && pieces == 2 && r2 == 1 && s.pieces == 2,
		   "%s: a taker that asks to stop stops it (%d, %d pieces, then %d)",
		   engines[e] == GUNZIP_ISAL ? "isal" : "zlib", r1, pieces, r2);
		gunzip_free(d);
		free(s.got.p);
	}

	free(text.p);
	free(gz.p);
	free(run.p);
	free(gzrun.p);
	free(multi.p);
	free(want_multi.p);
	free(bad.p);
	return tap_done();
}
