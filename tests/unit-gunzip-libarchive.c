/*
 * Redaction reads gzip rotations through base/gunzip.c (GUNZIP_WHOLE_MEMBERS), so that a
 * rotation is carried or dropped as a libarchive-based reader would, but for members whose
 * CRC-32 or length is wrong: this test puts libarchive's own gzip reader beside it over some
 * fifteen hundred streams (whole, cut at many places, with a bit flipped, with bytes after the
 * last member) and asks for the same verdict, and on a whole stream the same bytes, from both
 * engines fed in pieces of one byte to all at once, and from redact_decompress_from. Where a
 * flipped bit changed what libarchive decodes, or hit a trailer, the verdict must be "damaged".
 * And one stream where the engines differ, the reason redaction reads gzip with zlib.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "base/gunzip.h"
#include "base/util.h"
#include "bundle/redact-stream.h"
#include "tap.h"

static unsigned rand_state = 12345;

static unsigned next_rand(void)
{
	rand_state = rand_state * 1103515245u + 12345u;
	return rand_state >> 8;
}

/* Where the trailers of the streams built are. */
static size_t trailer_at[16];
static int n_trailers;

/* A gzip member of data with the header fields flags asks for; level 0 makes stored blocks. */
static void add_member(struct strbuf *out, const void *data, size_t len, unsigned flags, int level)
{
	unsigned char head[10] = {0x1f, 0x8b, 8, (unsigned char)flags, 0, 0, 0, 0, 0, 3};
	unsigned char chunk[16384], trailer[8];
	uLong crc = crc32(0L, (const Bytef *)data, (uInt)len);
	size_t start = out->len;
	z_stream z;
	int zr;

	strbuf_add(out, head, sizeof(head));
	if (flags & 4)
		strbuf_add(out,
		           "\x06\x00"
		           "abcdef",
		           8);
	if (flags & 8)
		strbuf_add(out, "syslog.1", 9);
	if (flags & 16)
		strbuf_add(out, "rotated", 8);
	if (flags & 2) {
		uLong hcrc = crc32(0L, (const Bytef *)out->buf + start, (uInt)(out->len - start));
		unsigned char two[2] = {(unsigned char)hcrc, (unsigned char)(hcrc >> 8)};

		strbuf_add(out, two, 2);
	}
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zr = deflate(&z, Z_FINISH);
		strbuf_add(out, chunk, sizeof(chunk) - z.avail_out);
	} while (zr == Z_OK);
	if (zr != Z_STREAM_END)
		abort();
	deflateEnd(&z);
	for (int i = 0; i < 4; i++) {
		trailer[i] = (unsigned char)(crc >> (8 * i));
		trailer[4 + i] = (unsigned char)(len >> (8 * i));
	}
	if (n_trailers < 16)
		trailer_at[n_trailers++] = out->len;
	strbuf_add(out, trailer, sizeof(trailer));
}

/* libarchive's verdict, read as redaction read it before: its gzip filter under the raw
 * format. 0 with the bytes in got, or -1. */
static int libarchive_reads(const struct strbuf *in, struct strbuf *got)
{
	struct archive *a = archive_read_new();
	struct archive_entry *entry;
	char chunk[65536];
	la_ssize_t n;
	int rc = -1;

	if (a == NULL || archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_format_raw(a) != ARCHIVE_OK)
		abort();
	if (archive_read_open_memory(a, in->len ? in->buf : (const void *)"", in->len) !=
	            ARCHIVE_OK ||
	    archive_read_next_header(a, &entry) != ARCHIVE_OK ||
	    archive_filter_code(a, 0) != ARCHIVE_FILTER_GZIP)
		goto done;
	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		strbuf_add(got, chunk, (size_t)n);
	if (n == 0)
		rc = 0;
done:
	archive_read_free(a);
	return rc;
}

static int take(void *arg, const unsigned char *p, size_t n)
{
	strbuf_add(arg, p, n);
	return 0;
}

/* gunzip by libarchive's rules, piece bytes at a time: 0 with the bytes in got, or -1. A
 * stream of nothing is one libarchive does not take either. */
static int gunzip_reads(enum gunzip_engine engine, const struct strbuf *in, size_t piece,
                        struct strbuf *got)
{
	struct gunzip *g = gunzip_new_ruled(engine, GUNZIP_WHOLE_MEMBERS);
	int r = 0;

	if (g == NULL)
		abort();
	for (size_t at = 0; at < in->len && r == 0; at += piece)
		r = gunzip_feed(g, in->buf + at, in->len - at < piece ? in->len - at : piece, take,
		                got);
	if (r == 0)
		r = gunzip_end(g);
	if ((r < 0) != (gunzip_damage(g) != NULL))
		r = 99; /* a verdict without its reason, or the other way round */
	gunzip_free(g);
	return r == 0 && got->len > 0 ? 0 : r == 99 ? 99 : -1;
}

struct mem_reader {
	const struct strbuf *in;
	size_t at;
};

static ssize_t mem_read(void *ctx, void *buf, size_t cap, struct error *err)
{
	struct mem_reader *m = ctx;
	size_t n = m->in->len - m->at < cap ? m->in->len - m->at : cap;

	(void)err;
	if (n > 0)
		memcpy(buf, m->in->buf + m->at, n);
	m->at += n;
	return (ssize_t)n;
}

static int take_redact(void *ctx, const void *p, size_t n)
{
	strbuf_add(ctx, p, n);
	return 0;
}

static int redact_reads(const struct strbuf *in, struct strbuf *got)
{
	struct mem_reader m = {in, 0};
	struct error err = {0};
	int r = redact_decompress_from(mem_read, &m, REDACT_GZIP, UINT64_MAX, take_redact, got,
	                               NULL, &err);

	if (r == -1 || (r == -2 && err.msg[0] == '\0') || m.at != in->len)
		return 99; /* only -2, with a reason, is a verdict; all bytes are read either way */
	return r == 0 ? 0 : -1;
}

/* Bits into a deflate stream, first bit lowest, as deflate packs them. */
struct bits {
	struct strbuf *out;
	unsigned acc, n;
};

static void put_bits(struct bits *b, unsigned value, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		b->acc |= ((value >> i) & 1u) << b->n;
		if (++b->n == 8) {
			strbuf_addch(b->out, (char)b->acc);
			b->acc = 0;
			b->n = 0;
		}
	}
}

/* A Huffman code goes in from its highest bit. */
static void put_code(struct bits *b, unsigned code, unsigned length)
{
	while (length-- > 0)
		put_bits(b, (code >> length) & 1u, 1);
}

/*
 * A gzip member of 100 'A's whose one dynamic block has an incomplete literal/length code:
 * bytes 0 to 254 take 8 bits, the end of the block 9, byte 255 none. Its CRC-32 and length are
 * right, and no missing code is ever used.
 */
static void add_incomplete_member(struct strbuf *out)
{
	static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
	/* The code lengths' own code, for 16, 17, 18, 0, 8, 7, 9: 0 takes "10", 8 "0", 9 "11". */
	static const unsigned lengths_code[7] = {0, 0, 0, 2, 1, 0, 2};
	struct bits b = {out, 0, 0};
	uLong crc;
	char text[100];

	strbuf_add(out, head, sizeof(head));
	put_bits(&b, 1, 1); /* the last block */
	put_bits(&b, 2, 2); /* dynamic codes */
	put_bits(&b, 0, 5); /* 257 literal/length codes */
	put_bits(&b, 0, 5); /* one distance code */
	put_bits(&b, 3, 4); /* seven code length codes */
	for (int i = 0; i < 7; i++)
		put_bits(&b, lengths_code[i], 3);
	for (int i = 0; i < 255; i++)
		put_code(&b, 0, 1); /* length 8 */
	put_code(&b, 2, 2);         /* 255: length 0 */
	put_code(&b, 3, 2);         /* 256: length 9, so its code is 510 */
	put_code(&b, 2, 2);         /* the distance: length 0 */
	for (int i = 0; i < 100; i++)
		put_code(&b, 'A', 8);
	put_code(&b, 510, 9);
	if (b.n > 0)
		put_bits(&b, 0, 8 - b.n);
	memset(text, 'A', sizeof(text));
	crc = crc32(0L, (const Bytef *)text, sizeof(text));
	for (int i = 0; i < 4; i++)
		strbuf_addch(out, (char)(crc >> (8 * i)));
	for (int i = 0; i < 4; i++)
		strbuf_addch(out, (char)(sizeof(text) >> (8 * i)));
}

static int n_streams, n_whole, n_differ;

/* base_text: what in decodes to unless a bit of it was flipped (then NULL), and only then
 * flipped_trailer: whether that bit is in a trailer. */
static void compare(const char *what, const struct strbuf *in, const struct strbuf *base_text,
                    int flipped_trailer)
{
	static const size_t pieces[] = {1, 7, 256, 65536, SIZE_MAX};
	struct strbuf want = {0};
	int verdict = libarchive_reads(in, &want);

	/* libarchive checks no CRC-32: what a flipped bit changed, or a trailer flipped, is not
	 * whole for gzip -t, nor here. */
	if (verdict == 0 && base_text != NULL &&
	    (flipped_trailer || want.len != base_text->len ||
	     memcmp(want.buf, base_text->buf, want.len) != 0))
		verdict = -1;

	n_streams++;
	n_whole += verdict == 0;
	for (int e = 0; e < 3; e++) {
		for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
			struct strbuf got = {0};
			int r;

			if (e == 2 && i > 0)
				break;
#ifndef HAVE_ISAL
			if (e == 1)
				break;
#endif
			r = e == 2 ? redact_reads(in, &got)
			           : gunzip_reads(e == 0 ? GUNZIP_ZLIB : GUNZIP_ISAL, in, pieces[i],
			                          &got);
			if (r != verdict ||
			    (r == 0 &&
			     (got.len != want.len || memcmp(got.buf, want.buf, want.len) != 0))) {
				if (n_differ++ < 10)
					printf("# %s: libarchive %d (%zu bytes), %s%s%zu: %d (%zu "
					       "bytes)\n",
					       what, verdict, want.len,
					       e == 2   ? "redact"
					       : e == 0 ? "zlib"
					                : "isal",
					       " in pieces of ", pieces[i], r, got.len);
			}
			free(got.buf);
		}
	}
	free(want.buf);
}

int main(void)
{
	static const struct {
		const char *name, *bytes;
		size_t len;
	} tails[] = {
	        {"seven NULs", "\0\0\0\0\0\0\0", 7},
	        {"1f", "\x1f", 1},
	        {"1f 8b", "\x1f\x8b", 2},
	        {"1f 8b 08", "\x1f\x8b\x08", 3},
	        {"nine bytes of a header", "\x1f\x8b\x08\0\0\0\0\0\0", 9},
	        {"a fixed header alone", "\x1f\x8b\x08\0\0\0\0\0\0\x03", 10},
	        {"an extra field's length alone", "\x1f\x8b\x08\x04\0\0\0\0\0\x03\x05\0", 12},
	        {"half an extra field", "\x1f\x8b\x08\x04\0\0\0\0\0\x03\x05\0ab", 14},
	        {"an empty extra field", "\x1f\x8b\x08\x04\0\0\0\0\0\x03\0\0", 12},
	        {"a name without its NUL", "\x1f\x8b\x08\x08\0\0\0\0\0\x03name", 14},
	        {"a name with its NUL", "\x1f\x8b\x08\x08\0\0\0\0\0\x03name\0", 15},
	        {"a comment with its NUL", "\x1f\x8b\x08\x10\0\0\0\0\0\x03c\0", 12},
	        {"half a header check", "\x1f\x8b\x08\x02\0\0\0\0\0\x03\x01", 11},
	        {"a whole header check", "\x1f\x8b\x08\x02\0\0\0\0\0\x03\x01\x02", 12},
	        {"reserved flags", "\x1f\x8b\x08\x20\0\0\0\0\0\x03xyz", 13},
	        {"another method", "\x1f\x8b\x07\0\0\0\0\0\0\x03xyz", 13},
	        {"a header, then deflate garbage", "\x1f\x8b\x08\0\0\0\0\0\0\x03\xff\xff\xff", 13},
	        {"text", "garbage after the end\n", 22},
	};
	struct strbuf text = {0}, bases[6] = {{0}}, decoded[6] = {{0}};
	size_t first_trailer[7];
	static const char *base_names[] = {
	        "a plain member",      "a member with every header field",
	        "an extra field only", "two members",
	        "stored blocks",       "an empty member, then one more",
	};
	char what[160];

	for (int i = 0; i < 3000; i++) {
		char line[96];
		int n = snprintf(line, sizeof(line),
		                 "Dec  3 10:%02d:%02d host sshd[%d]: from 10.0.%d.%d\n", i % 60,
		                 (i * 7) % 60, 1000 + i, i % 7, i % 250);

		strbuf_add(&text, line, (size_t)n);
	}
	first_trailer[0] = (size_t)n_trailers;
	add_member(&bases[0], text.buf, text.len, 0, 6);
	first_trailer[1] = (size_t)n_trailers;
	add_member(&bases[1], text.buf, text.len, 2 | 4 | 8 | 16, 6);
	first_trailer[2] = (size_t)n_trailers;
	add_member(&bases[2], text.buf, 500, 4, 6);
	first_trailer[3] = (size_t)n_trailers;
	add_member(&bases[3], text.buf, 2000, 0, 6);
	add_member(&bases[3], text.buf + 2000, text.len - 2000, 8, 1);
	first_trailer[4] = (size_t)n_trailers;
	add_member(&bases[4], text.buf, 3000, 0, 0);
	first_trailer[5] = (size_t)n_trailers;
	add_member(&bases[5], text.buf, 0, 0, 6);
	add_member(&bases[5], "abc\n", 4, 0, 6);
	first_trailer[6] = (size_t)n_trailers;
	strbuf_add(&decoded[0], text.buf, text.len);
	strbuf_add(&decoded[1], text.buf, text.len);
	strbuf_add(&decoded[2], text.buf, 500);
	strbuf_add(&decoded[3], text.buf, text.len);
	strbuf_add(&decoded[4], text.buf, 3000);
	strbuf_add(&decoded[5], "abc\n", 4);

	for (int b = 0; b < 6; b++) {
		const struct strbuf *base = &bases[b];

		compare(base_names[b], base, NULL, 0);
		/* Cut at each of the first and last 48 places, and at 48 more. */
		for (size_t k = 0; k < 144; k++) {
			size_t at = k < 48   ? k
			            : k < 96 ? base->len - (k - 48) - 1
			                     : next_rand() % base->len;
			struct strbuf cut = {base->buf, at, 0};

			if (at >= base->len)
				continue;
			snprintf(what, sizeof(what), "%s, cut at %zu", base_names[b], at);
			compare(what, &cut, NULL, 0);
		}
		for (int k = 0; k < 96; k++) {
			struct strbuf flipped = {0};
			size_t at = next_rand() % base->len;
			unsigned bit = next_rand() % 8;
			int in_trailer = 0;

			strbuf_add(&flipped, base->buf, base->len);
			flipped.buf[at] = (char)(flipped.buf[at] ^ (1 << bit));
			for (size_t t = first_trailer[b]; t < first_trailer[b + 1]; t++)
				in_trailer |= at >= trailer_at[t] && at < trailer_at[t] + 8;
			snprintf(what, sizeof(what), "%s, bit %u of byte %zu flipped",
			         base_names[b], bit, at);
			compare(what, &flipped, &decoded[b], in_trailer);
			free(flipped.buf);
		}
		for (size_t k = 0; k < sizeof(tails) / sizeof(tails[0]) + 2; k++) {
			struct strbuf tailed = {0};

			strbuf_add(&tailed, base->buf, base->len);
			if (k < sizeof(tails) / sizeof(tails[0])) {
				strbuf_add(&tailed, tails[k].bytes, tails[k].len);
				snprintf(what, sizeof(what), "%s, then %s", base_names[b],
				         tails[k].name);
			} else {
				struct strbuf small = {0};

				add_member(&small, "z\n", 2, 0, 6);
				strbuf_add(&tailed, small.buf,
				           k == sizeof(tails) / sizeof(tails[0]) ? small.len
				                                                 : small.len - 3);
				snprintf(what, sizeof(what), "%s, then a %s member", base_names[b],
				         k == sizeof(tails) / sizeof(tails[0]) ? "whole" : "cut");
				free(small.buf);
			}
			compare(what, &tailed, NULL, 0);
			free(tailed.buf);
		}
	}
	{
		struct strbuf empty = {0};

		compare("nothing at all", &empty, NULL, 0);
	}
	{
		struct strbuf odd = {0}, la = {0}, zl = {0}, rd = {0};

		add_incomplete_member(&odd);
		ok(libarchive_reads(&odd, &la) == -1 &&
		           gunzip_reads(GUNZIP_ZLIB, &odd, 7, &zl) == -1 &&
		           redact_reads(&odd, &rd) == -1,
		   "a member with an incomplete Huffman code: libarchive, gunzip's zlib engine and "
		   "redaction refuse it");
#ifdef HAVE_ISAL
		{
			struct strbuf is = {0};

			ok(gunzip_reads(GUNZIP_ISAL, &odd, 7, &is) == 0 && is.len == 100,
			   "ISA-L takes it whole (%zu bytes): why redaction reads gzip with zlib",
			   is.len);
			free(is.buf);
		}
#endif
		free(odd.buf);
		free(la.buf);
		free(zl.buf);
		free(rd.buf);
	}
	ok(n_differ == 0 && n_whole > 80 && n_streams - n_whole > 1000,
	   "%d streams (%d whole by libarchive): the same verdicts and bytes (%d differ)",
	   n_streams, n_whole, n_differ);
	for (int b = 0; b < 6; b++) {
		free(bases[b].buf);
		free(decoded[b].buf);
	}
	free(text.buf);
	return tap_done();
}
