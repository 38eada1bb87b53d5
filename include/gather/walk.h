/*
 * Expanding profile rules into the paths to consider under a root. Nothing is followed:
 * a symbolic link that a pattern reaches is reported as a link with its target, FIFOs,
 * sockets and devices as special files; directories are descended only as real directories
 * on the same walk, so link loops and links out of the root cannot be entered.
 */
#ifndef LOGPACK_WALK_H
#define LOGPACK_WALK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "base/util.h"
#include "gather/profile.h"

struct container;

enum entry_kind {
	ENTRY_FILE,    /* a regular file: to be collected */
	ENTRY_LINK,    /* a symbolic link: recorded with its target, never followed */
	ENTRY_SPECIAL, /* FIFO, socket or device: recorded as skipped */
	ENTRY_EXCLUDED /* matched, but excluded (--exclude, logpack's own output) */
};

struct walk_entry {
	char *path;              /* relative to the root, raw bytes: "var/log/auth.log" */
	const struct rule *rule; /* the first rule that matched it */
	enum entry_kind kind;
	struct stat st;    /* lstat at listing time */
	char *link_target; /* ENTRY_LINK: raw target */
	const char *why;   /* ENTRY_EXCLUDED, ENTRY_SPECIAL: the reason, static text */
	/* Reached through "~/" in a home directory that the root's passwd does not list (a
	 * directory under /home, /Users or /export/home): its path, else NULL. Owned by the
	 * result. */
	char *home_not_in_passwd;
	/* A file inside a running container (containers.h): path is "containers/ID/var/log/x",
	 * source_path "var/log/x" under the container's root. NULL for the host's files. */
	const struct container *container;
	char *source_path;
	/* Order of discovery: of two entries for one path, the lower (the first rule) wins. */
	uint64_t seq;
};

struct walk_options {
	int root_fd;
	const char *const *excludes; /* --exclude patterns */
	size_t n_excludes;
	const char *const *homes; /* home directories for "~/" (absolute, inside the root) */
	size_t n_homes;
	/*
	 * Never collected: the bundle being written (out_name in the directory out_dev/out_ino),
	 * its temporary file (".NAME.*") and its sidecar ("NAME.sha256"). Nothing else in that
	 * directory is left out, whatever its name.
	 */
	const char *out_name; /* NULL: no output inside the root */
	dev_t out_dev;
	ino_t out_ino;
	/* Never descend into a directory on another file system than the root's (a mount). */
	int one_file_system;
	/*
	 * Where the entry list may go so that memory stays flat at millions of files: sorted runs
	 * in an unlinked temporary file made here. NULL: every entry stays in memory (entries[]).
	 */
	const char *spill_dir;
	/* A helper thread shares the lstat calls of a directory's many files (-j 1: none). */
	int stat_helper;
};

struct walk_runs;

struct walk_result {
	/*
	 * Sorted by path, each path once. With runs (walk_spilled), only the entries met last,
	 * and a path may also be in a run: read the whole list with a walk_cursor.
	 */
	struct walk_entry *entries;
	size_t count;
	struct walk_runs *runs; /* the earlier entries, on disk; NULL: all are in entries[] */
	uint64_t next_seq;      /* the seq of the next entry added (collect-scope.c) */
	/* Expected rules that matched nothing (pointers into the profile). */
	const struct rule **absent;
	size_t n_absent;
	/* Directories that could not be read: "var/log/private: Permission denied". */
	char **errors;
	size_t n_errors;
	/*
	 * Mount points met ("proc", "var/log/remote"): directories on another file system than
	 * the root's, descended into, or left out with one_file_system. Each once, sorted.
	 */
	char **mounts;
	size_t n_mounts;
	/* Home directories under /home, /Users and /export/home that passwd does not list. */
	char **unlisted_homes;
	size_t n_unlisted_homes;
};

/*
 * Expand rules (those whose category is in categories, or all when NULL) under the root. "~/"
 * stands for each of opt->homes and for every directory under the root's /home, /Users (any
 * case) and /export/home.
 */
int walk_rules(const struct walk_options *opt, const struct rule *rules, size_t n_rules,
               const char *const *categories, size_t n_categories, struct walk_result *res,
               struct error *err);
void walk_result_free(struct walk_result *res);

/* Are some entries on disk? Then entries[] is not the whole list. */
int walk_spilled(const struct walk_result *res);

/* Sort entries[] again after adding to it (by path, then seq), dropping the later duplicates. */
void walk_result_sort(struct walk_result *res);

/*
 * The whole list in path order, each path once (the lowest seq), merged from the runs on disk
 * and entries[]. An entry stays valid until the next call. Several cursors may be open.
 */
struct walk_cursor;
struct walk_cursor *walk_cursor_open(const struct walk_result *res);
/* 1 with *e set, 0 at the end, -1 when the temporary file cannot be read (err set). */
int walk_cursor_next(struct walk_cursor *cur, const struct walk_entry **e, struct error *err);
void walk_cursor_free(struct walk_cursor *cur);

/* Does the --exclude pattern match this path ("var/log/x")? Patterns with a '/' match the
 * whole path ("/var/log/NAME.gz"), others the last component only. */
int walk_excluded(const char *pattern, const char *path);

#endif
