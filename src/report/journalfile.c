/* journald's file format, read from its bytes: the header, then a walk over the objects. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "base/byteorder.h"
#include "base/util.h"
#include "report/journalfile.h"

/* Object types (journal-def.h). */
enum { OBJECT_ENTRY = 3, OBJECT_TAG = 7, OBJECT_TYPE_MAX = 7 };
/* An object header is 16 bytes; an entry's seqnum, realtime, monotonic and boot ID follow. */
#define OBJECT_HEADER 16
#define ENTRY_NEEDS 56

const char *journal_state_name(int state)
{
	switch (state) {
	case 0:
		return "offline";
	case 1:
		return "online";
	case 2:
		return "archived";
	}
	return "unknown";
}

const char *journal_incompat_names(uint32_t flags, char *buf, size_t len)
{
	static const char *const names[] = {"compressed-xz", "compressed-lz4", "keyed-hash",
	                                    "compressed-zstd", "compact"};
	size_t used = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & (1u << i)) {
			int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", names[i]);

			if (n < 0 || (size_t)n >= len - used)
				break;
			used += (size_t)n;
		}
	return buf;
}

void journal_id_hex(const uint8_t id[16], char out[33])
{
	hex_encode(id, 16, out);
}

/* A header field at off, when the header (by its own size) holds it. */
static uint64_t field64(const unsigned char *buf, size_t len, uint64_t header_size, size_t off)
{
	return off + 8 <= len && off + 8 <= header_size ? load_le64(buf + off) : 0;
}

int journal_header_parse(const unsigned char *buf, size_t len, struct journal_header *h)
{
	memset(h, 0, sizeof(*h));
	/* Every header since the first version holds at least the fields up to offset 208. */
	if (len < 208 || memcmp(buf, JOURNAL_SIGNATURE, 8) != 0)
		return -1;
	h->compatible_flags = load_le32(buf + 8);
	h->incompatible_flags = load_le32(buf + 12);
	h->state = buf[16];
	memcpy(h->file_id, buf + 24, 16);
	memcpy(h->machine_id, buf + 40, 16);
	memcpy(h->tail_entry_boot_id, buf + 56, 16);
	memcpy(h->seqnum_id, buf + 72, 16);
	h->header_size = load_le64(buf + 88);
	h->arena_size = load_le64(buf + 96);
	if (h->header_size < 208)
		return -1;
	h->tail_object_offset = load_le64(buf + 136);
	h->n_objects = load_le64(buf + 144);
	h->n_entries = load_le64(buf + 152);
	h->tail_entry_seqnum = load_le64(buf + 160);
	h->head_entry_seqnum = load_le64(buf + 168);
	h->head_entry_realtime = load_le64(buf + 184);
	h->tail_entry_realtime = load_le64(buf + 192);
	h->n_tags = field64(buf, len, h->header_size, 224);
	return 0;
}

void journal_scan_init(struct journal_scan *s, journal_entry_fn entry, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->entry = entry;
	s->ctx = ctx;
}

static void stop(struct journal_scan *s, const char *problem)
{
	s->stopped = 1;
	s->problem = problem;
}

/* One whole object header (and an entry's first fields) in s->buf: account for it. */
static void object_done(struct journal_scan *s)
{
	int type = s->buf[0];
	uint64_t size = load_le64(s->buf + 8), next;

	if (type == 0 || type > OBJECT_TYPE_MAX || size < OBJECT_HEADER) {
		stop(s, "an object with a bad type or size");
		return;
	}
	s->objects_seen++;
	if (type == OBJECT_ENTRY) {
		if (size < ENTRY_NEEDS) {
			stop(s, "an entry object too small");
			return;
		}
		s->entries_seen++;
		if (s->entry)
			s->entry(s->ctx, load_le64(s->buf + 24), s->buf + 40);
	} else if (type == OBJECT_TAG) {
		s->tags_seen++;
	}
	next = s->next_obj + size;
	if (next < s->next_obj) {
		stop(s, "an object size that overflows");
		return;
	}
	s->next_obj = (next + 7) & ~(uint64_t)7;
	s->buf_len = 0;
}

/* How many bytes of the object at next_obj are needed to account for it. */
static size_t object_needs(const struct journal_scan *s)
{
	return s->buf_len >= OBJECT_HEADER && s->buf[0] == OBJECT_ENTRY ? ENTRY_NEEDS
	                                                                : OBJECT_HEADER;
}

/* How much of the header to read: 208 bytes, then as much of the rest as its size says. */
static size_t header_want(const struct journal_scan *s)
{
	uint64_t size;

	if (s->buf_len < 208)
		return 208;
	size = load_le64(s->buf + 88);
	return size < 208 ? 208 : size > JOURNAL_HEADER_READ ? JOURNAL_HEADER_READ : (size_t)size;
}

void journal_scan_feed(struct journal_scan *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0 && !s->stopped) {
		if (!s->have_header) {
			size_t want = header_want(s), take = want - s->buf_len;

			take = take < len ? take : len;
			memcpy(s->buf + s->buf_len, p, take);
			s->buf_len += take;
			s->pos += take;
			p += take;
			len -= take;
			/* Never read past the header's own size: the first object may start there.
			 */
			if (s->buf_len < want || (want == 208 && header_want(s) > want))
				continue;
			if (journal_header_parse(s->buf, s->buf_len, &s->header) < 0) {
				stop(s, "not a journal file header");
				return;
			}
			s->have_header = 1;
			s->buf_len = 0;
			s->next_obj = (s->header.header_size + 7) & ~(uint64_t)7;
			s->arena_end = s->header.header_size + s->header.arena_size;
			if (s->arena_end < s->header.header_size)
				stop(s, "an arena size that overflows");
			continue;
		}
		/* The arena is allocated ahead of use: past the tail object it is empty. */
		if (s->next_obj + OBJECT_HEADER > s->arena_end ||
		    (s->objects_seen > 0 && s->next_obj > s->header.tail_object_offset)) {
			s->stopped = 1;
			return;
		}
		if (s->pos < s->next_obj) {
			uint64_t skip = s->next_obj - s->pos;

			skip = skip < len ? skip : len;
			s->pos += skip;
			p += skip;
			len -= (size_t)skip;
			continue;
		}
		{
			size_t need = object_needs(s), take = need - s->buf_len;

			take = take < len ? take : len;
			memcpy(s->buf + s->buf_len, p, take);
			s->buf_len += take;
			s->pos += take;
			p += take;
			len -= take;
			if (s->buf_len >= OBJECT_HEADER && s->buf_len == object_needs(s))
				object_done(s);
		}
	}
}
