/*
 * journald's export format from a journal file. The layout is systemd's journal-def.h
 * (little-endian; "compact" files, systemd 252 and later, use 32-bit offsets in entries and
 * entry arrays and 8 more bytes in data objects); the text is what journalctl -o export writes.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "base/byteorder.h"
#include "base/utf8.h"
#include "report/journal-export.h"
#include "report/journalfile.h"

/* Object types, and the flags of a compressed data object (journal-def.h). */
enum { OBJECT_DATA = 1, OBJECT_ENTRY = 3, OBJECT_ENTRY_ARRAY = 6 };
enum { OBJECT_COMPRESSED_XZ = 1, OBJECT_COMPRESSED_LZ4 = 2, OBJECT_COMPRESSED_ZSTD = 4 };
enum { INCOMPAT_COMPACT = 16 };

#define OBJECT_HEADER 16
#define ENTRY_ITEMS 64  /* an entry's items start here */
#define ARRAY_ITEMS 24  /* an entry array's items start here */
#define DATA_PAYLOAD 64 /* a data object's payload, in a regular file */
#define DATA_PAYLOAD_COMPACT 72
#define HEADER_MIN 208    /* the fields every header since systemd 187 has */
#define FIELD_NAME_MAX 64 /* journald's limit on a field name */
/*
 * The export may be this many times the file's size, plus one largest field: entries share
 * data objects (a host name stored once, written in every entry) and zstd shrinks large fields,
 * so the text is larger than the file, but a few times at most for what journald writes. A
 * hostile file whose entries all point at one large, tightly compressed field would otherwise
 * make gigabytes from kilobytes.
 */
#define EXPORT_RATIO 64u
#define OUT_BUFFER (64 * 1024)

struct exporter {
	journal_read_fn rd;
	void *rctx;
	uint64_t size;
	journal_write_fn wr;
	void *wctx;
	struct error *err;
	int compact;
	char seqnum_id[33];
	unsigned char *payload; /* one field's bytes, decompressed; grown up to the field limit */
	size_t payload_cap;
	unsigned char *raw; /* a compressed field as stored */
	size_t raw_cap;
	struct journal_export_counts *counts;
	unsigned char out[OUT_BUFFER]; /* text on its way to wr, in pieces of this size */
	size_t out_len;
	uint64_t budget; /* bytes of fields still allowed out (see journal_export) */
	uint64_t last_entry;
};

void journal_fd_reader_init(struct journal_fd_reader *r, int fd)
{
	memset(r->block_off, 0, sizeof(r->block_off));
	r->fd = fd;
}

static int pread_all(int fd, uint64_t off, unsigned char *p, size_t len, size_t *got)
{
	*got = 0;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
		*got += (size_t)n;
	}
	return 0;
}

int journal_read_fd(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct journal_fd_reader *r = ctx;
	unsigned char *p = buf;

	if (len > JOURNAL_CACHE_BLOCK) {
		size_t got;

		return pread_all(r->fd, off, p, len, &got) < 0 || got != len ? -1 : 0;
	}
	while (len > 0) {
		uint64_t start = off - off % JOURNAL_CACHE_BLOCK;
		size_t slot = (size_t)(start / JOURNAL_CACHE_BLOCK % JOURNAL_CACHE_BLOCKS);
		size_t at = (size_t)(off - start), take;

		if (r->block_off[slot] != start + 1) {
			r->block_off[slot] = 0;
			if (pread_all(r->fd, start, r->block[slot], JOURNAL_CACHE_BLOCK,
			              &r->block_len[slot]) < 0)
				return -1;
			r->block_off[slot] = start + 1;
		}
		if (at >= r->block_len[slot])
			return -1;
		take = r->block_len[slot] - at;
		take = take < len ? take : len;
		memcpy(p, r->block[slot] + at, take);
		p += take;
		off += take;
		len -= take;
	}
	return 0;
}

/* Read len bytes at off, which must lie inside the file. */
static int read_at(struct exporter *x, uint64_t off, void *buf, size_t len, const char *what)
{
	if (off > x->size || len > x->size - off || x->rd(x->rctx, off, buf, len) < 0) {
		error_set(x->err, "%s at offset %" PRIu64 ": past the end of the file", what, off);
		return -1;
	}
	return 0;
}

/* An object's header at off: its type must be want, its size at least min; the size out. */
static int object_at(struct exporter *x, uint64_t off, int want, uint64_t min, const char *what,
                     unsigned char hdr[OBJECT_HEADER], uint64_t *size)
{
	if (off % 8 != 0) {
		error_set(x->err, "%s at offset %" PRIu64 ": not 8-byte aligned", what, off);
		return -1;
	}
	if (read_at(x, off, hdr, OBJECT_HEADER, what) < 0)
		return -1;
	*size = load_le64(hdr + 8);
	if (hdr[0] != want || *size < min || *size > x->size - off) {
		error_set(x->err, "%s at offset %" PRIu64 ": not one (type %d, size %" PRIu64 ")",
		          what, off, hdr[0], *size);
		return -1;
	}
	return 0;
}

static int flush(struct exporter *x)
{
	size_t len = x->out_len;

	x->out_len = 0;
	return len ? x->wr(x->wctx, x->out, len, x->err) : 0;
}

/* Text out through the buffer: a field is many small pieces. */
static int out(struct exporter *x, const void *buf, size_t len)
{
	if (len > sizeof(x->out) - x->out_len) {
		if (flush(x) < 0)
			return -1;
		if (len >= sizeof(x->out))
			return x->wr(x->wctx, buf, len, x->err);
	}
	memcpy(x->out + x->out_len, buf, len);
	x->out_len += len;
	return 0;
}

static int grow(unsigned char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	free(*buf);
	*buf = malloc(need);
	*cap = *buf ? need : 0;
	return *buf ? 0 : -1;
}

/* A zstd frame of len bytes in x->raw into x->payload: its size, or -1. */
static int64_t unzstd(struct exporter *x, size_t len, uint64_t off)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer in = {x->raw, len, 0};
	size_t done = 0, r = 1;

	if (d == NULL) {
		error_set(x->err, "out of memory for zstd");
		return -1;
	}
	while (r != 0) {
		ZSTD_outBuffer o;

		if (done == x->payload_cap) {
			size_t want = x->payload_cap ? x->payload_cap * 2 : 64 * 1024;
			unsigned char *p;

			if (x->payload_cap >= JOURNAL_FIELD_MAX) {
				error_set(x->err,
				          "a data object at offset %" PRIu64 ": larger than %u MiB "
				          "decompressed",
				          off, JOURNAL_FIELD_MAX >> 20);
				goto fail;
			}
			want = want > JOURNAL_FIELD_MAX ? JOURNAL_FIELD_MAX : want;
			if ((p = realloc(x->payload, want)) == NULL) {
				error_set(x->err, "out of memory for a field");
				goto fail;
			}
			x->payload = p;
			x->payload_cap = want;
		}
		o = (ZSTD_outBuffer){x->payload, x->payload_cap, done};
		r = ZSTD_decompressStream(d, &o, &in);
		done = o.pos;
		if (ZSTD_isError(r)) {
			error_set(x->err, "a data object at offset %" PRIu64 ": zstd: %s", off,
			          ZSTD_getErrorName(r));
			goto fail;
		}
		if (r != 0 && in.pos == in.size && o.pos < o.size) {
			error_set(x->err,
			          "a data object at offset %" PRIu64 ": a zstd frame cut short",
			          off);
			goto fail;
		}
	}
	ZSTD_freeDCtx(d);
	return (int64_t)done;
fail:
	ZSTD_freeDCtx(d);
	return -1;
}

/* The field of the data object at off into x->payload: its length, or -1. */
static int64_t read_field(struct exporter *x, uint64_t off)
{
	unsigned char hdr[OBJECT_HEADER];
	uint64_t size, start = x->compact ? DATA_PAYLOAD_COMPACT : DATA_PAYLOAD;
	size_t len;
	int flags;

	if (object_at(x, off, OBJECT_DATA, start, "a data object", hdr, &size) < 0)
		return -1;
	len = (size_t)(size - start);
	if (len > JOURNAL_FIELD_MAX) {
		error_set(x->err, "a data object at offset %" PRIu64 ": larger than %u MiB", off,
		          JOURNAL_FIELD_MAX >> 20);
		return -1;
	}
	flags = hdr[1];
	if (flags & (OBJECT_COMPRESSED_XZ | OBJECT_COMPRESSED_LZ4)) {
		error_set(x->err,
		          "a data object at offset %" PRIu64 ": compressed with %s, which "
		          "logpack does not read (journalctl does)",
		          off, flags & OBJECT_COMPRESSED_XZ ? "XZ" : "LZ4");
		return -1;
	}
	if (flags & OBJECT_COMPRESSED_ZSTD) {
		if (grow(&x->raw, &x->raw_cap, len ? len : 1) < 0) {
			error_set(x->err, "out of memory for a field");
			return -1;
		}
		if (read_at(x, off + start, x->raw, len, "a data object") < 0)
			return -1;
		return unzstd(x, len, off);
	}
	if (grow(&x->payload, &x->payload_cap, len ? len : 1) < 0) {
		error_set(x->err, "out of memory for a field");
		return -1;
	}
	if (read_at(x, off + start, x->payload, len, "a data object") < 0)
		return -1;
	return (int64_t)len;
}

/* journald's rule for a field name: A-Z, 0-9 and _, not starting with a digit, 1-64 bytes. */
static int field_name_valid(const unsigned char *p, size_t n)
{
	if (n == 0 || n > FIELD_NAME_MAX || (p[0] >= '0' && p[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return 0;
	return 1;
}

/*
 * Whether journalctl writes a value as text: valid UTF-8 of code points systemd calls valid
 * (no noncharacters U+FDD0..U+FDEF or U+xFFFE/U+xFFFF), with no control character (C0 other
 * than tab, DEL, C1) and no newline. Anything else goes in the binary form.
 */
static int value_is_text(const unsigned char *p, size_t n)
{
	while (n > 0) {
		uint32_t c;
		size_t k = utf8_decode(p, n, &c);

		if (k == 0 || (c < ' ' && c != '\t') || (c >= 0x7f && c <= 0x9f) ||
		    (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe)
			return 0;
		p += k;
		n -= k;
	}
	return 1;
}

static int export_field(struct exporter *x, size_t len, uint64_t off)
{
	const unsigned char *f = x->payload, *eq = memchr(f, '=', len);
	size_t name_len, value_len;

	if (eq == NULL || !field_name_valid(f, (size_t)(eq - f))) {
		error_set(x->err, "a data object at offset %" PRIu64 ": not a FIELD=value pair",
		          off);
		return -1;
	}
	name_len = (size_t)(eq - f);
	/* The entry's boot ID is written from the entry itself, as journalctl does. */
	if (name_len == 8 && memcmp(f, "_BOOT_ID", 8) == 0)
		return 0;
	value_len = len - name_len - 1;
	if (len > x->budget) {
		error_set(x->err,
		          "the export would be more than %u times the file's size: fields "
		          "shared by many entries, or compressed very tightly, beyond what "
		          "journald writes",
		          EXPORT_RATIO);
		return -1;
	}
	x->budget -= len;
	x->counts->fields++;
	if (value_is_text(eq + 1, value_len))
		return out(x, f, len) < 0 || out(x, "\n", 1) < 0 ? -1 : 0;
	{
		unsigned char le[8];
		uint64_t v = value_len;

		for (int i = 0; i < 8; i++, v >>= 8)
			le[i] = (unsigned char)(v & 0xff);
		x->counts->binary++;
		if (out(x, f, name_len) < 0 || out(x, "\n", 1) < 0 || out(x, le, 8) < 0 ||
		    out(x, eq + 1, value_len) < 0 || out(x, "\n", 1) < 0)
			return -1;
	}
	return 0;
}

static int export_entry(struct exporter *x, uint64_t off)
{
	unsigned char hdr[OBJECT_HEADER], head[ENTRY_ITEMS - OBJECT_HEADER];
	uint64_t size, n_items, item_size = x->compact ? 4 : 16;
	char boot[33], text[512];
	unsigned char item[16];
	int len;

	if (object_at(x, off, OBJECT_ENTRY, ENTRY_ITEMS, "an entry", hdr, &size) < 0 ||
	    read_at(x, off + OBJECT_HEADER, head, sizeof(head), "an entry") < 0)
		return -1;
	journal_id_hex(head + 24, boot);
	len = snprintf(text, sizeof(text),
	               "__CURSOR=s=%s;i=%" PRIx64 ";b=%s;m=%" PRIx64 ";t=%" PRIx64 ";x=%" PRIx64
	               "\n__REALTIME_TIMESTAMP=%" PRIu64 "\n__MONOTONIC_TIMESTAMP=%" PRIu64
	               "\n_BOOT_ID=%s\n",
	               x->seqnum_id, load_le64(head), boot, load_le64(head + 16),
	               load_le64(head + 8), load_le64(head + 40), load_le64(head + 8),
	               load_le64(head + 16), boot);
	if (out(x, text, (size_t)len) < 0)
		return -1;
	n_items = (size - ENTRY_ITEMS) / item_size;
	for (uint64_t i = 0; i < n_items; i++) {
		uint64_t data;
		int64_t flen;

		if (read_at(x, off + ENTRY_ITEMS + i * item_size, item, (size_t)item_size,
		            "an entry") < 0)
			return -1;
		data = x->compact ? load_le32(item) : load_le64(item);
		if ((flen = read_field(x, data)) < 0 || export_field(x, (size_t)flen, data) < 0)
			return -1;
	}
	x->counts->entries++;
	return out(x, "\n", 1);
}

int journal_export(journal_read_fn rd, void *rctx, uint64_t file_size, journal_write_fn wr,
                   void *wctx, struct journal_export_counts *counts, struct error *err)
{
	struct exporter x = {.rd = rd,
	                     .rctx = rctx,
	                     .size = file_size,
	                     .wr = wr,
	                     .wctx = wctx,
	                     .err = err,
	                     .counts = counts};
	unsigned char head[JOURNAL_HEADER_READ], hdr[OBJECT_HEADER];
	struct journal_header h;
	uint64_t array, prev = 0;
	size_t head_len = file_size < sizeof(head) ? (size_t)file_size : sizeof(head);
	int ret = -1;

	memset(counts, 0, sizeof(*counts));
	if (head_len < HEADER_MIN || rd(rctx, 0, head, head_len) < 0 ||
	    journal_header_parse(head, head_len, &h) < 0) {
		error_set(err, "not a journal file (no journald header)");
		return -1;
	}
	x.compact = (h.incompatible_flags & INCOMPAT_COMPACT) != 0;
	x.budget = file_size > (UINT64_MAX - JOURNAL_FIELD_MAX) / EXPORT_RATIO
	                   ? UINT64_MAX
	                   : file_size * EXPORT_RATIO + JOURNAL_FIELD_MAX;
	journal_id_hex(h.seqnum_id, x.seqnum_id);
	/* The main entry array: the chain of arrays that lists every entry in seqnum order. */
	array = load_le64(head + 176);
	while (array != 0) {
		uint64_t size, item_size = x.compact ? 4 : 8, n;

		/* journald appends arrays, so each next one lies further on: no loop can form. */
		if (array <= prev) {
			error_set(err,
			          "an entry array at offset %" PRIu64 ": it does not lie after "
			          "the one before",
			          array);
			goto done;
		}
		if (object_at(&x, array, OBJECT_ENTRY_ARRAY, ARRAY_ITEMS, "an entry array", hdr,
		              &size) < 0)
			goto done;
		n = (size - ARRAY_ITEMS) / item_size;
		for (uint64_t i = 0; i < n; i++) {
			unsigned char item[8];
			uint64_t entry;

			if (read_at(&x, array + ARRAY_ITEMS + i * item_size, item,
			            (size_t)item_size, "an entry array") < 0)
				goto done;
			entry = x.compact ? load_le32(item) : load_le64(item);
			/* An array is allocated ahead of use: its unused slots are zero. */
			if (entry == 0)
				break;
			/* Entries are appended in seqnum order: each is exported once. */
			if (entry <= x.last_entry) {
				error_set(err,
				          "an entry array at offset %" PRIu64 ": its entries are "
				          "not in file order",
				          array);
				goto done;
			}
			x.last_entry = entry;
			if (export_entry(&x, entry) < 0)
				goto done;
		}
		{
			unsigned char next[8];

			if (read_at(&x, array + OBJECT_HEADER, next, 8, "an entry array") < 0)
				goto done;
			prev = array;
			array = load_le64(next);
		}
	}
	ret = flush(&x);
done:
	/* What was read before a failure still goes out: the caller decides what to keep. */
	if (ret < 0 && x.out_len > 0) {
		struct error ignored;

		x.err = &ignored;
		flush(&x);
	}
	free(x.payload);
	free(x.raw);
	return ret;
}
