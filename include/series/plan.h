/*
 * Change and rotation planning: after the walk, before any source is stored, decide for every
 * file what the snapshot takes (nothing, what was appended, the whole file) by comparing it
 * with the files the series holds, following renames, copies (copytruncate) and compressed
 * rotations; and name as anomalies what rotation does not explain.
 */
#ifndef LOGPACK_SERIES_PLAN_H
#define LOGPACK_SERIES_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "base/hash.h"
#include "base/util.h"
#include "series/journal.h"
#include "series/state.h"

struct walk_entry;
struct walk_result;

enum plan_act {
	PLAN_NONE,      /* not a regular file in the walk, or unreadable while planning */
	PLAN_NEW,       /* take it whole */
	PLAN_UNCHANGED, /* same inode, size, mtime and ctime: not read at all */
	PLAN_CONTINUE,  /* holds a tracked file's content as its prefix: take what follows */
	PLAN_HELD,      /* a compressed copy of exactly what a tracked file held: skip */
};

struct plan_item {
	enum plan_act act;
	const struct tracked_file *from; /* the file of the old state it continues, if any */
	char *id;
	const char *kind; /* files.jsonl "snapshot" field */
	uint64_t offset;
	struct sha256 prefix; /* over [0, offset) once planned; continued over what is stored */
	int has_prefix;
	unsigned char *head; /* the first bytes (decompressed for a compressed candidate) */
	size_t head_len;
	int head_read, head_failed, is_compressed;
	dev_t dev;
	ino_t ino;
	struct tracked_file held; /* PLAN_HELD: the compressed file's own hashes */
	int done;
};

struct plan {
	const struct series_state *old;   /* what the series holds */
	uint64_t sequence;                /* of the snapshot being planned */
	struct snapshot_journal *journal; /* anomalies and notes go here */
	uint64_t next_id;
	const struct walk_result *walk;
	struct plan_item *items; /* one per walk entry */
	size_t n_items;
	char **rotated_bases; /* rotation families this run saw rotate */
	size_t n_rotated_bases;
	char *buf; /* PLAN_READ_CHUNK bytes of scratch space */
};

#define PLAN_READ_CHUNK (1024 * 1024)

void plan_init(struct plan *p, const struct series_state *old, uint64_t sequence,
               struct snapshot_journal *journal);
void plan_free(struct plan *p);

/* Plan every entry of walk (under root_fd); *store_bytes: what the snapshot will store. */
int plan_run(struct plan *p, int root_fd, const struct walk_result *walk, uint64_t *store_bytes,
             struct error *err);

/* Make it a new file, taken whole, with a new id. */
void plan_to_new(struct plan *p, struct plan_item *it);
/* Drop the item's running prefix hash, if any. */
void plan_item_reset(struct plan_item *it);
/* Start the item's prefix hash and head over the bytes about to be stored. */
int plan_item_start(struct plan_item *it, struct error *err);
/* Continue the item's prefix hash and head with stored bytes. */
void plan_item_update(struct plan_item *it, const void *buf, size_t len);

/* Record where t is now and its inode and times (not its size or hashes). */
void plan_stat_into(struct tracked_file *t, const char *path, const struct stat *st);
/* Same inode, size, mtime and ctime: the file was not touched. */
int plan_unchanged(const struct tracked_file *t, const struct stat *st);
/* Is path an old generation ("NAME.3.gz") of a family in bases? Then it aged out. */
int plan_expired_generation(char *const *bases, size_t n_bases, const char *path);

#endif
