/*
 * The source: the only code that opens a bundle for reading. A bundle file (by path or fd, a
 * pipe too), a bundle in memory, or an extracted bag directory; the compressed bytes of a
 * bundle reach libarchive through a chain of read filters (the seam for a decrypting filter).
 * The source applies the limits once (members, total size, compression ratio) and refuses
 * members whose names are unsafe, whose type is not a regular file or directory, or which
 * appear twice. It yields members one by one, with their bytes in chunks:
 *
 *	while ((rc = source_next(src, &m, &err)) == 1) {
 *		if (m.refused) { note(m.name, m.refused); continue; }  // its bytes are skipped
 *		while ((n = source_read(src, buf, sizeof(buf), &err)) > 0) use(buf, n);
 *		if (n < 0) break;
 *	}
 *
 * A member's bytes may also be left unread: source_skip, or the next source_next, reads past
 * them (they still count against the limits). Nothing yielded is verified: the verifier
 * (bundle-read.h) runs over a source and says whether the whole bundle is valid.
 */
#ifndef LOGPACK_SOURCE_H
#define LOGPACK_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "base/util.h"

struct bundle_limits {
	uint64_t max_members; /* members (files and directories) */
	uint64_t max_size;    /* bytes of all members, uncompressed */
	uint64_t max_ratio;   /* uncompressed bytes per compressed byte */
	/*
	 * The ratio is judged only once this many bytes are uncompressed: honest runs of zeros
	 * (a sparse lastlog stored whole) compress far beyond any ratio, but a bomb is only a
	 * bomb when it is large.
	 */
	uint64_t ratio_after;
	/* Memory for what the reader keeps per name (names, checksums, tables), in bytes. */
	uint64_t max_memory;
};

/* Generous defaults: 1,000,000 members, 1 TiB, a ratio of 1000 judged past 4 GiB, 128 MiB. */
void bundle_limits_default(struct bundle_limits *lim);

enum source_type {
	SOURCE_FILE,
	SOURCE_DIR,
	SOURCE_OTHER, /* a link, device, FIFO, socket: never yielded with bytes */
};

/* Why a member's bytes are not given. */
enum source_refusal {
	SOURCE_ACCEPTED,
	SOURCE_UNSAFE_NAME, /* "..", absolute, empty component, too long */
	SOURCE_LINK,        /* a symbolic or hard link */
	SOURCE_SPECIAL,     /* a device, FIFO, socket or other type */
	SOURCE_DUPLICATE,   /* a name seen before in this bundle (source_set_seen) */
	SOURCE_UNREADABLE,  /* (bag directory) cannot be opened or is nested too deeply */
};

struct source_member {
	/*
	 * The name: for a bundle, the path as stored (with the bag's top directory), without a
	 * leading "./" or a directory's trailing "/"; for a bag directory, relative to it. As
	 * stored when the name is unsafe. Valid until the next source_next.
	 */
	const char *name;
	enum source_type type;
	uint64_t size;         /* a file's declared size */
	struct timespec mtime; /* when has_mtime */
	int has_mtime;
	enum source_refusal refusal;
	const char *refused; /* NULL when accepted, else why: "is a symbolic link", ... */
	const char *warning; /* libarchive's warning about this member's header, or NULL */
};

struct source;

/*
 * A filter in front of the compressed bytes: read up to len bytes of its output into buf,
 * reading its own input from below with source_stream_read. Returns the bytes given, 0 at the
 * end, -1 with err set. free (optional) releases ctx when the source is closed.
 */
struct source_stream;
struct source_filter {
	void *ctx;
	ssize_t (*read)(void *ctx, struct source_stream *below, void *buf, size_t len,
	                struct error *err);
	void (*free)(void *ctx);
};
ssize_t source_stream_read(struct source_stream *below, void *buf, size_t len, struct error *err);

/*
 * Open a bundle file or a bag directory by path. A FIFO is read as a stream (never blocks at
 * open). -1 with err when path cannot be opened at all.
 */
int source_open_path(struct source **out, const char *path, const struct bundle_limits *lim,
                     struct error *err);
/* A bundle already open on fd, read from its current offset; fd stays the caller's. */
int source_open_fd(struct source **out, int fd, const char *label, const struct bundle_limits *lim,
                   struct error *err);
/* A bundle in memory (tests, the fuzz target); buf must outlive the source. */
int source_open_memory(struct source **out, const void *buf, size_t len,
                       const struct bundle_limits *lim, struct error *err);
/* An extracted bag directory open on dirfd (the source takes dirfd); names relative to it. */
int source_open_dir(struct source **out, int dirfd, const char *label,
                    const struct bundle_limits *lim, struct error *err);

/* Add a filter over the compressed bytes (before the first source_next; not for directories). */
int source_add_filter(struct source *src, const struct source_filter *filter, struct error *err);
/*
 * Hash every raw byte read from the fd or memory (before the filters), including any after
 * the end of the archive: source_raw_sha256 then gives the whole input's SHA-256, as a
 * "<bundle>.sha256" sidecar states it. Call before the first source_next.
 */
int source_hash_raw(struct source *src, struct error *err);

/*
 * Refuse a member whose name seen(ctx, name) says was read before (SOURCE_DUPLICATE). The
 * source keeps no names itself: its reader (the verifier) keeps every name already, and a
 * second copy of a million names would double the memory a read needs. Without it the source
 * refuses no name as a duplicate. Called for the members of an archive, not of a directory
 * (whose names cannot repeat).
 */
void source_set_seen(struct source *src, int (*seen)(void *ctx, const char *name), void *ctx);

/*
 * The next member: 1 with m filled, 0 at the end of the bundle, -1 when reading must stop
 * (the archive is truncated or corrupt, not an archive at all, or over a limit): err says
 * why in words fit for a verdict. After -1 or 0, source_next keeps returning the same.
 */
int source_next(struct source *src, struct source_member *m, struct error *err);
/* Read the current member's bytes: >0 bytes, 0 at its end, -1 (as for source_next). */
ssize_t source_read(struct source *src, void *buf, size_t len, struct error *err);
/* Read past the rest of the current member. 0 or -1 (as for source_next). */
int source_skip(struct source *src, struct error *err);

/*
 * After source_next returned 0: read the input to its end and give the SHA-256 of all of it
 * (source_hash_raw must have been called). 0, or -1 with err when reading fails.
 */
int source_raw_sha256(struct source *src, char hex[65], struct error *err);

/* Can the source be read again from its start (a regular file or memory, no filters)? */
int source_can_rewind(const struct source *src);
/* Is it hashing its raw bytes (source_hash_raw, not yet given by source_raw_sha256)? */
int source_is_hashing(const struct source *src);
/*
 * Start over from where the source started, for a second pass: members, counts and limits
 * begin again, raw hashing is off (call source_hash_raw again to bind the passes). 0 or -1.
 */
int source_rewind(struct source *src, struct error *err);

/*
 * Charge bytes of memory the read keeps (names, checksums, tables) to the one budget of the
 * whole read, lim.max_memory: source and verifier alike. 0, or -1 (the source stops, with a
 * reason naming --max-memory) when it is spent.
 */
int source_charge(struct source *src, uint64_t bytes, struct error *err);
/* Give back bytes charged before, when what they stood for is freed. */
void source_refund(struct source *src, uint64_t bytes);

/* Is this source a bag directory? */
int source_is_dir(const struct source *src);
/* The label given at open (a path, or "-"). */
const char *source_label(const struct source *src);
/* Members seen so far, refused ones included. */
uint64_t source_members(const struct source *src);
/* Uncompressed bytes of all members read or skipped so far. */
uint64_t source_total_bytes(const struct source *src);
/* Compressed bytes libarchive has consumed so far (for a directory: as source_total_bytes). */
uint64_t source_compressed_bytes(const struct source *src);

void source_close(struct source *src);

#endif
