/*
 * journald's journal files, read by logpack itself (no libsystemd): the header (state, the
 * sealing flags, time range, counts) and, streaming through the objects in file order, each
 * entry's time and boot ID. The layout is systemd's (src/libsystemd/sd-journal/journal-def.h),
 * little-endian, objects 8-byte aligned from header_size on. Every field is read from
 * attacker-written bytes: sizes are checked before use, and a bad object ends the walk.
 */
#ifndef LOGPACK_REPORT_JOURNALFILE_H
#define LOGPACK_REPORT_JOURNALFILE_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_SIGNATURE "LPKSHHRH"
/* The header fields logpack reads end here (tail_entry_offset, systemd 254). */
#define JOURNAL_HEADER_READ 272

struct journal_header {
	uint32_t compatible_flags, incompatible_flags;
	int state; /* 0 offline, 1 online, 2 archived */
	uint8_t file_id[16], machine_id[16], tail_entry_boot_id[16], seqnum_id[16];
	uint64_t header_size, arena_size;
	uint64_t tail_object_offset; /* the last object written: the arena after it is unused */
	uint64_t n_objects, n_entries;
	uint64_t head_entry_seqnum, tail_entry_seqnum;
	uint64_t head_entry_realtime, tail_entry_realtime; /* microseconds since the epoch */
	uint64_t n_tags;                                   /* 0 in headers older than systemd 189 */
};

/* Compatible flags. */
#define JOURNAL_COMPAT_SEALED 1u
#define JOURNAL_COMPAT_TAIL_ENTRY_BOOT_ID 2u
#define JOURNAL_COMPAT_SEALED_CONTINUOUS 4u

/* "offline", "online", "archived" or "unknown". */
const char *journal_state_name(int state);
/* The names of the incompatible flags set ("compressed-xz,keyed-hash"); into buf. */
const char *journal_incompat_names(uint32_t flags, char *buf, size_t len);

/* Parse the header from the first len bytes of a file: 0, or -1 when it is not one. */
int journal_header_parse(const unsigned char *buf, size_t len, struct journal_header *h);

/* An entry object met by the walk. */
typedef void (*journal_entry_fn)(void *ctx, uint64_t realtime_usec, const uint8_t boot_id[16]);

/* The streaming walk over a journal file's bytes, fed in order from offset 0. */
struct journal_scan {
	journal_entry_fn entry;
	void *ctx;
	/* Out. */
	int have_header;
	struct journal_header header;
	uint64_t entries_seen, tags_seen, objects_seen;
	int stopped;         /* the walk ended early */
	const char *problem; /* why, when it stopped on a bad object */
	/* State. */
	uint64_t pos, next_obj, arena_end;
	unsigned char buf[JOURNAL_HEADER_READ];
	size_t buf_len;
};

void journal_scan_init(struct journal_scan *s, journal_entry_fn entry, void *ctx);
void journal_scan_feed(struct journal_scan *s, const void *data, size_t len);

/* Lowercase hex of a 128-bit ID into out[33]. */
void journal_id_hex(const uint8_t id[16], char out[33]);

#endif
