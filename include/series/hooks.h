/*
 * The snapshot's side of the collection pipeline (struct collect_hooks): the plan after the
 * walk, a decision per source, the hashes of what is stored, and the snapshot's own tag files,
 * bag-info fields and pending record before the bundle is finished.
 */
#ifndef LOGPACK_SERIES_HOOKS_H
#define LOGPACK_SERIES_HOOKS_H

#include "gather/collect.h"
#include "series/journal.h"
#include "series/plan.h"
#include "series/state.h"

struct snapshot_hooks_ctx {
	struct plan *plan;
	struct series_state *next; /* the state as it will be: the hooks add every file to it */
	struct snapshot_journal *journal;
	struct snapshot_summary *sum; /* counts, and the previous tagmanifest hash */
	struct state_dir *state;      /* where the pending record goes */
	const char *bundle_path;      /* the bundle's final name */
	int encrypted;                /* the bundle file is encrypted: recovery cannot read it */
	struct plan_item *cur;        /* the source being stored */
};

/* Point hooks at the snapshot's functions, with ctx as their context. */
void snapshot_hooks_bind(struct snapshot_hooks_ctx *ctx, struct collect_hooks *hooks);

#endif
