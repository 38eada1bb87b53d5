/* .evtx files: the header, then the records of each chunk, read from their bytes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/byteorder.h"
#include "base/util.h"
#include "report/evtx.h"

#define CHUNK_HEADER 512 /* a chunk's header and its string and template tables */
#define RECORD_HEADER 24 /* signature, size, identifier, written time */
#define RECORD_MIN 28    /* the header and the copy of the size at the record's end */
#define FILETIME_UNIX_EPOCH 116444736000000000ULL /* 1970-01-01 in FILETIME */

int64_t evtx_filetime_to_unix(uint64_t filetime)
{
	if (filetime < FILETIME_UNIX_EPOCH)
		return -(int64_t)((FILETIME_UNIX_EPOCH - filetime) / 10000000);
	return (int64_t)((filetime - FILETIME_UNIX_EPOCH) / 10000000);
}

void evtx_scan_init(struct evtx_scan *s, evtx_record_fn record, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->record = record;
	s->ctx = ctx;
}

void evtx_scan_free(struct evtx_scan *s)
{
	free(s->chunk);
	s->chunk = NULL;
}

/*
 * The records of one chunk of len bytes: from the end of its header up to the end of the
 * last record the header names (its free space offset), each record checked for its
 * signature and a size that fits, and its size repeated at its end.
 */
static void walk_chunk(struct evtx_scan *s, const unsigned char *c, size_t len)
{
	uint32_t free_at;
	size_t off = CHUNK_HEADER;

	if (len < CHUNK_HEADER || memcmp(c, "ElfChnk\0", 8) != 0) {
		/* Chunks past the last one written are zero: not a damaged chunk. */
		if (len >= 8 && memcmp(c, "\0\0\0\0\0\0\0\0", 8) != 0)
			s->bad_chunks++;
		return;
	}
	s->chunks++;
	free_at = load_le32(c + 48);
	if (free_at > len)
		free_at = (uint32_t)len;
	while (off + RECORD_MIN <= free_at) {
		uint32_t size = load_le32(c + off + 4);

		if (memcmp(c + off, "**\0\0", 4) != 0 || size < RECORD_MIN ||
		    size > free_at - off || load_le32(c + off + size - 4) != size) {
			s->bad_records++;
			return;
		}
		s->records++;
		if (s->record)
			s->record(s->ctx, load_le64(c + off + 8),
			          evtx_filetime_to_unix(load_le64(c + off + 16)));
		off += size;
	}
}

void evtx_scan_feed(struct evtx_scan *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		if (s->pos < EVTX_FILE_HEADER) {
			size_t take = (size_t)(EVTX_FILE_HEADER - s->pos);

			take = take < len ? take : len;
			if (s->header_len < sizeof(s->header)) {
				size_t keep = sizeof(s->header) - s->header_len;

				keep = keep < take ? keep : take;
				memcpy(s->header + s->header_len, p, keep);
				s->header_len += keep;
			}
			s->pos += take;
			p += take;
			len -= take;
			continue;
		}
		if (s->chunk == NULL)
			s->chunk = xmalloc(EVTX_CHUNK);
		{
			size_t take = EVTX_CHUNK - s->chunk_len;

			take = take < len ? take : len;
			memcpy(s->chunk + s->chunk_len, p, take);
			s->chunk_len += take;
			s->pos += take;
			p += take;
			len -= take;
		}
		if (s->chunk_len == EVTX_CHUNK) {
			walk_chunk(s, s->chunk, s->chunk_len);
			s->chunk_len = 0;
		}
	}
}

void evtx_scan_end(struct evtx_scan *s)
{
	if (s->chunk_len > 0)
		walk_chunk(s, s->chunk, s->chunk_len);
	s->chunk_len = 0;
}
