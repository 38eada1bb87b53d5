/*
 * The state of a snapshot series (state.json): the series id, the last sequence and
 * tagmanifest hash, the root, every file the series holds, and the bundles written. It lives
 * in a private, locked state directory and is replaced atomically.
 */
#ifndef LOGPACK_SERIES_STATE_H
#define LOGPACK_SERIES_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"
#include "base/util.h"
#include "series/snapshot.h"

struct json_t;

/* One file the series holds: where it was, what it was, and the hashes of what is held. */
struct tracked_file {
	char *id; /* stable within the series: "<sequence>.<n>" of the snapshot that first saw it */
	char *path; /* raw bytes, relative to the root */
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
	uint64_t head_len;               /* min(size, SNAPSHOT_HEAD_BYTES) */
	char head[SHA256_HEX_LEN + 1];   /* of the first head_len bytes */
	char prefix[SHA256_HEX_LEN + 1]; /* of the first size bytes: everything held */
	int compressed;                  /* a compressed rotated copy of content held */
};

struct state_bundle {
	uint64_t sequence;
	char *path;
	int64_t created;
};

struct series_state {
	char series[SNAPSHOT_SERIES_LEN + 1];
	uint64_t sequence; /* 0: no snapshot yet */
	char last_tagmanifest[SHA256_HEX_LEN + 1];
	char *root;
	struct tracked_file *files;
	size_t n_files, cap_files;
	struct state_bundle *bundles;
	size_t n_bundles;
};

void tracked_file_free(struct tracked_file *t);
/* dst becomes a deep copy of src. */
void tracked_file_copy(struct tracked_file *dst, const struct tracked_file *src);

void state_free(struct series_state *st);
/* A new, zeroed file record at the end of st->files. */
struct tracked_file *state_add_file(struct series_state *st);
/* Append a bundle record (path is copied). */
void state_add_bundle(struct series_state *st, uint64_t sequence, const char *path,
                      int64_t created);

/* The JSON form of st (a new reference). */
struct json_t *state_to_json(const struct series_state *st);
/* Fill st (zeroed first) from its JSON form; -1 with the reason in err when anything is off. */
int state_from_json(struct json_t *o, struct series_state *st, struct error *err);
/* Parse and check the text of a state file; -1 with the reason in err. */
int state_parse(const char *text, size_t len, struct series_state *st, struct error *err);

/* The state directory, created mode 0700, refused when it is not private, and flock'ed. */
struct state_dir {
	const char *path;
	int fd;      /* the directory */
	int lock_fd; /* holds the lock while open */
};

/* Open (creating, mode 0700) and lock dir. sd is usable by state_dir_close even on failure. */
int state_dir_open(struct state_dir *sd, const char *dir, struct error *err);
void state_dir_close(struct state_dir *sd);
/* Load a JSON object of the directory: 1 loaded, 0 absent, -1 damaged or unreadable. */
int state_dir_read_json(struct state_dir *sd, const char *name, struct json_t **out,
                        struct error *err);
/* Replace name atomically: temporary file, fsync, rename, fsync of the directory. */
int state_dir_write_json(struct state_dir *sd, const char *name, struct json_t *o,
                         struct error *err);
/* Remove name and make the removal durable (fsync of the directory). */
int state_dir_remove(struct state_dir *sd, const char *name, struct error *err);
/* Load state.json into st: 1 loaded, 0 absent (st zeroed), -1 damaged (left as it is). */
int state_dir_load(struct state_dir *sd, struct series_state *st, struct error *err);

#endif
