/*
 * The walk's entry list on disk, so that memory stays flat at millions of files: walk.c writes
 * each full batch of entries, sorted, as a run at the end of one unlinked temporary file, and
 * walk_cursor (walk.h) merges the runs with what is still in memory. Also the sort of a batch
 * of entries, and what an entry owns.
 */
#ifndef LOGPACK_WALK_RUNS_H
#define LOGPACK_WALK_RUNS_H

#include <stddef.h>

#include "base/util.h"
#include "gather/walk.h"

/* The file in dir (never collected: it has no name), for entries whose rule is in rules[].
 * NULL with err set when no file can be made there. */
struct walk_runs *walk_runs_new(const char *dir, const struct rule *rules, size_t n_rules,
                                struct error *err);

/* Append entries[0..n) (sorted by path, each path once, none in a container) as a run. */
int walk_runs_write(struct walk_runs *runs, const struct walk_entry *entries, size_t n,
                    struct error *err);

void walk_runs_free(struct walk_runs *runs);

/* Free what an entry owns (its static reason and its rule are not its own). */
void walk_entry_release(struct walk_entry *e);

/* Sort by (path, seq) and keep each path's first entry, releasing the others: for a path that
 * several rules met, the first rule wins. */
void walk_entries_sort(struct walk_entry *entries, size_t *count);

#endif
