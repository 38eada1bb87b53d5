/*
 * The source's insides, shared by its parts: source.c (opening, limits, the tar members),
 * source-dir.c (a bag directory walked as if it were an archive) and source-unpack.c
 * (decompression on a thread of its own). Nothing outside bundle/source*.c includes this.
 */
#ifndef LOGPACK_SOURCE_PRIVATE_H
#define LOGPACK_SOURCE_PRIVATE_H

#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>

#include "base/hash.h"
#include "bundle/source.h"

#define CHUNK (64 * 1024)
#define DIR_DEPTH_MAX 64
/* Decompressed chunks in flight between the decompressing thread and the tar reader. */
#define UNPACK_SLOTS 4
/* A chunk of the decompressing thread: each hand-over costs a wake-up of the other thread. */
#define UNPACK_CHUNK (256 * 1024)

enum source_kind { KIND_FD, KIND_MEMORY, KIND_DIR };

/* One layer of the compressed stream: 0 is the fd or memory, n is filter n-1 over layer n-1. */
struct source_stream {
	struct source *src;
	size_t level;
};

/* A decompressed chunk: n bytes (0 at the end, -1 on failure with error). */
struct unpack_slot {
	unsigned char *buf;
	la_ssize_t n;
	uint64_t compressed; /* bytes the decompressor had taken by then */
	char error[256];
};

/*
 * Decompression on a thread of its own, so that it runs beside the tar reader and the hashing
 * of members: it fills slots in order; the tar reader takes them in order and holds the one it
 * was given last until it asks for the next (libarchive reads a block until then).
 */
struct unpacker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t filled, freed;
	struct unpack_slot slots[UNPACK_SLOTS];
	uint64_t n_filled, n_released;
	int holding; /* the tar reader holds slot n_released */
	int stop, ended;
};

/* One open directory of a bag directory being walked. */
struct dir_level {
	DIR *dir;
	char *prefix; /* its path in the bag, with a trailing '/', or "" */
	char **names;
	size_t n_names, next;
};

struct source {
	enum source_kind kind;
	char *label;
	struct bundle_limits lim;

	/* fd or memory, under the filters */
	int fd;
	const unsigned char *mem;
	size_t mem_len, mem_off;
	struct source_filter *filters;
	size_t n_filters;
	struct source_stream *streams;
	int hashing;
	struct sha256 raw_hash;
	/*
	 * Two readers: raw decompresses (any filter libarchive knows) and a reads the tar from
	 * raw's output, so that what follows the end-of-archive marker can be read and checked.
	 */
	struct archive *raw, *a;
	struct archive_entry *raw_entry;
	struct unpacker *unpack;    /* NULL: raw is read in this thread */
	uint64_t compressed;        /* compressed bytes behind the chunks taken, with unpack */
	const unsigned char *chunk; /* the chunk last given to the tar reader */
	int opened;
	unsigned char *rbuf, *dbuf;
	size_t dbuf_len;       /* bytes in dbuf, the chunk last given to the tar reader */
	uint64_t handed;       /* decompressed bytes given to the tar reader */
	struct error read_err; /* why the stream failed, for libarchive's message */

	/* state */
	int failed, ended, in_member;
	struct error fail;
	uint64_t members, total;
	/* Names seen before, for duplicates: asked of the reader (source_set_seen). */
	int (*seen)(void *ctx, const char *name);
	void *seen_ctx;
	uint64_t mem_used; /* charged against lim.max_memory */
	char *name;        /* the current member's name */
	char refused[160];
	char warning[1024];
	int skip_stored; /* the current member's bytes are skipped as stored, never expanded */
	int owned_fd;    /* opened by source_open_path */
	off_t start_off; /* where a regular file's bundle starts; -1 for a stream */

	/* bag directory */
	struct dir_level *levels;
	size_t depth;
	int file_fd;
};

/* A new source of kind, with no stream yet; NULL with err. */
struct source *source_new_of_kind(enum source_kind kind, const char *label,
                                  const struct bundle_limits *lim, struct error *err);
/* Count a member against --max-members; -1 (the source failed) past it. */
int source_count_member(struct source *src, struct error *err);

/* source-dir.c: open a directory level (takes fd; -1 with errno), close the deepest, and
 * the next entry of the walk as a member (as source_next). */
int source_dir_push(struct source *src, int fd, const char *prefix);
void source_dir_pop(struct source *src);
int source_dir_next(struct source *src, struct source_member *m, struct error *err);

/* source-unpack.c: decompression beside the tar reader, when worth it. */
int source_unpack_wanted(const struct source *src);
int source_unpack_start(struct source *src);
void source_unpack_stop(struct source *src);
/* The next decompressed chunk into src->chunk: its length, 0 at the end, or -1 (read_err). */
la_ssize_t source_raw_next(struct source *src);
/* How many compressed bytes are behind what the tar reader was given. */
uint64_t source_raw_compressed(const struct source *src);

#endif
