/*
 * Windows event log files (.evtx), read by logpack itself, streaming in file order: the file
 * header, then each 64 KiB chunk's event records, of which only the record header is read
 * (its identifier and the time it was written); the events' XML (BinXML) is not parsed. The
 * layout is the one documented by libyal's "Windows XML Event Log (EVTX) format"; every
 * offset and size comes from the file and is checked before use.
 */
#ifndef LOGPACK_REPORT_EVTX_H
#define LOGPACK_REPORT_EVTX_H

#include <stddef.h>
#include <stdint.h>

#define EVTX_FILE_HEADER 4096 /* the file header block; the first chunk follows */
#define EVTX_CHUNK 65536

/* A record met by the walk: its identifier and the time it was written (Unix seconds). */
typedef void (*evtx_record_fn)(void *ctx, uint64_t record_id, int64_t written);

struct evtx_scan {
	evtx_record_fn record;
	void *ctx;
	/* Out. */
	unsigned char header[128]; /* the file header's fields */
	size_t header_len;
	uint64_t chunks, bad_chunks, records, bad_records;
	/* State. */
	uint64_t pos;         /* bytes fed */
	unsigned char *chunk; /* the chunk being filled (allocated on first use) */
	size_t chunk_len;
};

void evtx_scan_init(struct evtx_scan *s, evtx_record_fn record, void *ctx);
void evtx_scan_feed(struct evtx_scan *s, const void *data, size_t len);
/* The last chunk, when the file ended inside it (what was written of it is walked). */
void evtx_scan_end(struct evtx_scan *s);
void evtx_scan_free(struct evtx_scan *s);

/* A FILETIME (100 ns since 1601-01-01 UTC) as Unix seconds. */
int64_t evtx_filetime_to_unix(uint64_t filetime);

#endif
