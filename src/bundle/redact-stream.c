/*
 * Compressed payload files for redaction: read through libarchive's raw format, written again
 * through it; gzip is read through base/gunzip.c instead (zlib, as libarchive does), and
 * written through ISA-L's deflate where the build has it.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "base/gunzip.h"
#include "bundle/archive-why.h"
#include "bundle/redact-stream.h"

enum { CHUNK = 64 * 1024 };

enum redact_compression redact_compression_of(const char *name)
{
	if (str_has_suffix(name, ".gz"))
		return REDACT_GZIP;
	if (str_has_suffix(name, ".xz"))
		return REDACT_XZ;
	if (str_has_suffix(name, ".zst"))
		return REDACT_ZSTD;
	if (str_has_suffix(name, ".bz2"))
		return REDACT_BZIP2;
	return REDACT_PLAIN;
}

static const struct {
	int filter_code;
	const char *name;
} kinds[] = {
        [REDACT_PLAIN] = {ARCHIVE_FILTER_NONE, "plain"},
        [REDACT_GZIP] = {ARCHIVE_FILTER_GZIP, "gzip"},
        [REDACT_XZ] = {ARCHIVE_FILTER_XZ, "xz"},
        [REDACT_ZSTD] = {ARCHIVE_FILTER_ZSTD, "zstd"},
        [REDACT_BZIP2] = {ARCHIVE_FILTER_BZIP2, "bzip2"},
};

struct pull {
	redact_read_fn read;
	void *read_ctx;
	struct sha256 hash;
	int hashing; /* 0 when the caller wants no hash: the bytes go by unhashed */
	struct error *err;
	int read_failed;
	char buf[CHUNK];
};

/* The member's next bytes into p->buf, hashed on the way if asked: how many, 0 at its end,
 * or -1 with p->err. */
static ssize_t pull_next(struct pull *p)
{
	ssize_t n = p->read(p->read_ctx, p->buf, sizeof(p->buf), p->err);

	if (n > 0 && p->hashing)
		sha256_update(&p->hash, p->buf, (size_t)n);
	return n;
}

/* libarchive's read callback. */
static la_ssize_t pull_read(struct archive *a, void *ctx, const void **buf)
{
	struct pull *p = ctx;
	ssize_t n = pull_next(p);

	if (n < 0) {
		p->read_failed = 1;
		archive_set_error(a, EIO, "%s", p->err->msg);
		return -1;
	}
	*buf = p->buf;
	return n;
}

static int support_filter(struct archive *a, enum redact_compression kind)
{
	switch (kind) {
	case REDACT_GZIP:
		return archive_read_support_filter_gzip(a);
	case REDACT_XZ:
		return archive_read_support_filter_xz(a);
	case REDACT_ZSTD:
		return archive_read_support_filter_zstd(a);
	case REDACT_BZIP2:
		return archive_read_support_filter_bzip2(a);
	default:
		return ARCHIVE_FATAL;
	}
}

static ssize_t source_reader(void *src, void *buf, size_t cap, struct error *err)
{
	return source_read(src, buf, cap, err);
}

int redact_decompress(struct source *src, enum redact_compression kind, uint64_t max_out,
                      int (*fn)(void *ctx, const void *buf, size_t len), void *ctx,
                      char sha256_hex[SHA256_HEX_LEN + 1], struct error *err)
{
	return redact_decompress_from(source_reader, src, kind, max_out, fn, ctx, sha256_hex, err);
}

struct inflated {
	uint64_t total, max_out;
	int (*fn)(void *ctx, const void *buf, size_t len);
	void *ctx;
	int too_big, stopped;
};

static int take_inflated(void *arg, const unsigned char *buf, size_t len)
{
	struct inflated *o = arg;

	o->total += len;
	if (o->total > o->max_out) {
		o->too_big = 1;
		return 1;
	}
	if (o->fn(o->ctx, buf, len) < 0) {
		o->stopped = 1;
		return 1;
	}
	return 0;
}

/*
 * gzip through base/gunzip.c, for a reason in every message and a checked CRC-32. Its verdicts
 * are libarchive's (unit-gunzip-libarchive compares the two over some 1,500 damaged streams)
 * but for one: a member whose CRC-32 or length does not match its bytes is damaged here, as
 * gzip -t says, where libarchive does not check. And one more of libarchive's: a stream that
 * decompresses to nothing is "not gzip", as the other formats, read through libarchive's raw
 * format, are. Its zlib engine, not ISA-L's: ISA-L takes a block with an incomplete Huffman
 * code that zlib, libarchive and gzip -t refuse, and its speed did not show in redaction's
 * time (the tokenisers are the longer part).
 */
static int gunzip_member(struct pull *p, uint64_t max_out,
                         int (*fn)(void *ctx, const void *buf, size_t len), void *ctx,
                         struct error *err)
{
	struct gunzip *g = gunzip_new_ruled(GUNZIP_ZLIB, GUNZIP_WHOLE_MEMBERS);
	struct inflated o = {.max_out = max_out, .fn = fn, .ctx = ctx};
	const char *why;
	int r = 0;
	ssize_t n = 0;

	if (g == NULL) {
		error_set(err, "gzip: cannot start inflating");
		return -2;
	}
	while (r == 0 && (n = pull_next(p)) > 0)
		r = gunzip_feed(g, p->buf, (size_t)n, take_inflated, &o);
	if (r == 0 && n < 0) {
		gunzip_free(g);
		return -1;
	}
	if (r == 0)
		r = gunzip_end(g);
	why = gunzip_damage(g) ? gunzip_damage(g) : "damaged";
	if (o.stopped) {
		gunzip_free(g);
		return -1; /* fn said why */
	}
	if (o.too_big)
		error_set(err, "decompresses to more than %llu bytes", (unsigned long long)max_out);
	else if (r < 0 && strcmp(why, "not gzip") == 0)
		error_set(err, "not gzip");
	else if (r < 0)
		error_set(err, "gzip stream broken: %s", why);
	else if (o.total == 0)
		error_set(err, "not gzip: it decompresses to nothing");
	gunzip_free(g);
	return r == 0 && o.total > 0 ? 0 : -2;
}

int redact_decompress_from(redact_read_fn read, void *read_ctx, enum redact_compression kind,
                           uint64_t max_out, int (*fn)(void *ctx, const void *buf, size_t len),
                           void *ctx, char sha256_hex[SHA256_HEX_LEN + 1], struct error *err)
{
	struct pull *p = xcalloc(1, sizeof(*p));
	struct archive *a = NULL;
	struct archive_entry *entry;
	char *out = xmalloc(CHUNK);
	uint64_t total = 0;
	int rc = -2, r;
	ssize_t n = 0;

	p->read = read;
	p->read_ctx = read_ctx;
	p->err = err;
	p->hashing = sha256_hex != NULL;
	if (p->hashing && sha256_init(&p->hash, err) < 0) {
		rc = -1;
		goto done;
	}
	if (kind == REDACT_GZIP) {
		rc = gunzip_member(p, max_out, fn, ctx, err);
		goto drain;
	}
	a = archive_read_new();
	/* An external program is never run for a filter: only what is linked in. */
	if (a == NULL || support_filter(a, kind) != ARCHIVE_OK ||
	    archive_read_support_format_raw(a) != ARCHIVE_OK) {
		error_set(err, "%s: not supported by this build: %s", kinds[kind].name,
		          a ? archive_why(a, "no reason given") : "out of memory");
		goto drain;
	}
	if (archive_read_open(a, p, NULL, pull_read, NULL) != ARCHIVE_OK) {
		error_set(err, "not %s: %s", kinds[kind].name, archive_why(a, "unreadable"));
		goto drain;
	}
	r = archive_read_next_header(a, &entry);
	if (r == ARCHIVE_EOF) { /* nothing at all inside */
		rc = 0;
		goto drain;
	}
	if (r != ARCHIVE_OK || archive_filter_code(a, 0) != kinds[kind].filter_code) {
		error_set(err, "not %s: %s", kinds[kind].name,
		          r != ARCHIVE_OK ? archive_why(a, "unreadable") : "another format");
		goto drain;
	}
	while ((n = archive_read_data(a, out, CHUNK)) > 0) {
		total += (uint64_t)n;
		if (total > max_out) {
			error_set(err, "decompresses to more than %llu bytes",
			          (unsigned long long)max_out);
			goto drain;
		}
		if (fn(ctx, out, (size_t)n) < 0) {
			rc = -1;
			goto done;
		}
	}
	if (n < 0) {
		if (p->read_failed) {
			rc = -1;
			goto done;
		}
		error_set(err, "%s stream broken: %s", kinds[kind].name,
		          archive_why(a, "damaged or cut short"));
		goto drain;
	}
	rc = 0;
drain:
	/* The rest of the member, so that its hash is the hash of all of it. Read even when
	 * unhashed: the member is still read to its end, and a read error still counts. */
	while (rc != -1 && (n = pull_next(p)) > 0)
		continue;
	if (rc != -1 && n < 0)
		rc = -1;
done:
	if (p->hashing && rc == -1)
		sha256_discard(&p->hash);
	else if (p->hashing)
		sha256_final_hex(&p->hash, sha256_hex);
	if (a)
		archive_read_free(a);
	free(out);
	free(p);
	return rc;
}

struct redact_compressor {
	struct archive *a; /* NULL: ISA-L writes the gzip stream */
#ifdef HAVE_ISAL
	/*
	 * gzip through ISA-L's deflate at its level 2: for logs about seven times as fast as
	 * zlib's level 3 on this project's machines, at about 3% more bytes. The text is handed
	 * over in whole chunks, so the bytes depend on the text alone, not on how it was written.
	 */
	struct isal_zstream z;
	unsigned char *level_buf, *staged, *out;
	size_t n_staged;
	int fd;
#endif
};

/* ARCHIVE_OK, or ARCHIVE_FATAL also where libarchive would run an external program instead. */
static int add_filter(struct archive *a, enum redact_compression kind)
{
	int r;

	switch (kind) {
	case REDACT_GZIP:
		r = archive_write_add_filter_gzip(a);
		/* No time stamp in the header: the same lines give the same bytes. Level 3 takes
		 * half the time of gzip's 6 for logs, at about a sixth more bytes. */
		if (r == ARCHIVE_OK)
			r = archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
		if (r == ARCHIVE_OK)
			r = archive_write_set_filter_option(a, "gzip", "compression-level", "3");
		break;
	case REDACT_XZ:
		r = archive_write_add_filter_xz(a);
		/* xz's 6 makes about 2 MiB of logs a second, 1 thirteen times that, at about a
		 * sixth more bytes. */
		if (r == ARCHIVE_OK)
			r = archive_write_set_filter_option(a, "xz", "compression-level", "1");
		break;
	case REDACT_ZSTD:
		r = archive_write_add_filter_zstd(a);
		break;
	case REDACT_BZIP2:
		r = archive_write_add_filter_bzip2(a);
		break;
	default:
		r = ARCHIVE_FATAL;
	}
	return r == ARCHIVE_OK ? ARCHIVE_OK : ARCHIVE_FATAL;
}

#ifdef HAVE_ISAL
/* Deflate what is staged (and end the stream when end is set); the output goes to the file. */
static int isal_run(struct redact_compressor *c, int end, struct error *err)
{
	c->z.next_in = c->staged;
	c->z.avail_in = (uint32_t)c->n_staged;
	c->z.end_of_stream = (uint16_t)end;
	do {
		c->z.next_out = c->out;
		c->z.avail_out = CHUNK;
		if (isal_deflate(&c->z) != COMP_OK) {
			error_set(err, "compressing: ISA-L's deflate failed");
			return -1;
		}
		if (write_all(c->fd, c->out, CHUNK - c->z.avail_out) < 0) {
			error_set(err, "compressing: %s", strerror(errno));
			return -1;
		}
	} while (c->z.avail_in > 0 || (end && c->z.internal_state.state != ZSTATE_END));
	c->n_staged = 0;
	return 0;
}
#endif

int redact_compressor_open(struct redact_compressor **out, enum redact_compression kind, int fd,
                           struct error *err)
{
	struct redact_compressor *c = xcalloc(1, sizeof(*c));
	struct archive_entry *entry = NULL;

	*out = NULL;
#ifdef HAVE_ISAL
	if (kind == REDACT_GZIP) {
		isal_deflate_init(&c->z);
		c->z.level = 2;
		c->z.level_buf_size = ISAL_DEF_LVL2_DEFAULT;
		c->z.level_buf = c->level_buf = xmalloc(ISAL_DEF_LVL2_DEFAULT);
		/* ISA-L's own gzip header: no time stamp, no name, so the same lines give the
		 * same bytes. */
		c->z.gzip_flag = IGZIP_GZIP;
		c->z.flush = NO_FLUSH;
		c->staged = xmalloc(CHUNK);
		c->out = xmalloc(CHUNK);
		c->fd = fd;
		*out = c;
		return 0;
	}
#endif
	c->a = archive_write_new();
	if (c->a == NULL) {
		error_set(err, "%s compressor: out of memory", kinds[kind].name);
		free(c);
		return -1;
	}
	if (add_filter(c->a, kind) != ARCHIVE_OK ||
	    archive_write_set_format_raw(c->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(c->a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(c->a, fd) != ARCHIVE_OK) {
		error_set(err, "%s compressor: %s", kinds[kind].name, archive_error_string(c->a));
		goto fail;
	}
	entry = archive_entry_new();
	archive_entry_set_pathname(entry, "data");
	archive_entry_set_filetype(entry, AE_IFREG);
	if (archive_write_header(c->a, entry) != ARCHIVE_OK) {
		error_set(err, "%s compressor: %s", kinds[kind].name, archive_error_string(c->a));
		goto fail;
	}
	archive_entry_free(entry);
	*out = c;
	return 0;
fail:
	archive_entry_free(entry);
	redact_compressor_abort(c);
	return -1;
}

/* libarchive's message, with the system's reason where it has one ("Write error": which?). */
static void archive_failed(struct error *err, struct archive *a, const char *what)
{
	const char *msg = archive_error_string(a);
	int e = archive_errno(a);

	if (e > 0 && (msg == NULL || strstr(msg, strerror(e)) == NULL))
		error_set(err, "%s: %s (%s)", what, msg ? msg : "failed", strerror(e));
	else
		error_set(err, "%s: %s", what, msg ? msg : "failed");
}

int redact_compressor_write(struct redact_compressor *c, const void *buf, size_t len,
                            struct error *err)
{
#ifdef HAVE_ISAL
	while (c->a == NULL && len > 0) {
		size_t take = CHUNK - c->n_staged < len ? CHUNK - c->n_staged : len;

		memcpy(c->staged + c->n_staged, buf, take);
		c->n_staged += take;
		buf = (const char *)buf + take;
		len -= take;
		if (c->n_staged == CHUNK && isal_run(c, 0, err) < 0)
			return -1;
	}
#endif
	while (len > 0) {
		la_ssize_t n = archive_write_data(c->a, buf, len);

		if (n <= 0) {
			archive_failed(err, c->a, "compressing");
			return -1;
		}
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

static void compressor_free(struct redact_compressor *c)
{
	if (c->a)
		archive_write_free(c->a);
#ifdef HAVE_ISAL
	free(c->level_buf);
	free(c->staged);
	free(c->out);
#endif
	free(c);
}

int redact_compressor_close(struct redact_compressor *c, struct error *err)
{
	int rc = 0;

#ifdef HAVE_ISAL
	if (c->a == NULL) {
		rc = isal_run(c, 1, err);
		compressor_free(c);
		return rc;
	}
#endif
	if (archive_write_close(c->a) != ARCHIVE_OK) {
		archive_failed(err, c->a, "compressing");
		rc = -1;
	}
	compressor_free(c);
	return rc;
}

void redact_compressor_abort(struct redact_compressor *c)
{
	if (c == NULL)
		return;
	compressor_free(c);
}
