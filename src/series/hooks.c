/* The collect hooks of a snapshot: what each source contributes, and what the state becomes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bundle/manifest.h"
#include "gather/walk.h"
#include "series/hooks.h"
#include "series/recovery.h"

static int hook_plan(void *ctx, int root_fd, const struct walk_result *walk, uint64_t *store_bytes,
                     struct error *err)
{
	struct snapshot_hooks_ctx *h = ctx;

	return plan_run(h->plan, root_fd, walk, store_bytes, err);
}

static void segment_event(struct snapshot_hooks_ctx *h, const struct plan_item *it,
                          const char *path, const char *event)
{
	char *p = journal_path_text(path), *from = journal_path_text(it->from->path);

	journal_segment(h->journal, json_pack("{s:s,s:s,s:s,s:s}", "file_id", it->id, "path", p,
	                                      "event", event, "from", from));
	free(p);
	free(from);
}

/* Track a file whose content the series already holds in full (nothing stored now). */
static void track_held(struct snapshot_hooks_ctx *h, struct plan_item *it,
                       const struct walk_entry *e, const struct stat *st)
{
	struct tracked_file *t = state_add_file(h->next);

	if (it->act == PLAN_HELD) {
		*t = it->held;
		memset(&it->held, 0, sizeof(it->held));
		segment_event(h, it, e->path, "compressed");
		h->sum->files_rotated++;
		return;
	}
	tracked_file_copy(t, it->from);
	plan_stat_into(t, e->path, st);
	if (strcmp(it->from->path, e->path) != 0) {
		segment_event(h, it, e->path, "renamed");
		h->sum->files_rotated++;
	} else {
		h->sum->files_unchanged++;
	}
}

static int hook_decide(void *ctx, const struct walk_entry *e, int fd, const struct stat *st,
                       struct collect_decision *d, struct error *err)
{
	struct snapshot_hooks_ctx *h = ctx;
	struct plan *p = h->plan;
	struct plan_item *it = &p->items[e - p->walk->entries];

	(void)fd;
	h->cur = it;
	it->done = 1;
	if (it->act != PLAN_NEW && it->act != PLAN_NONE &&
	    (st->st_dev != it->dev || st->st_ino != it->ino)) {
		journal_note(h->journal, "%s was replaced while the snapshot ran: taken whole",
		             e->path);
		plan_to_new(p, it);
	}
	if (it->act == PLAN_NONE)
		plan_to_new(p, it);
	if (it->act == PLAN_CONTINUE && (uint64_t)st->st_size < it->offset) {
		journal_anomaly(h->journal, "truncated", e->path, it->id, it->offset,
		                (int64_t)st->st_size,
		                "shrank from %llu to %llu bytes while the snapshot ran",
		                (unsigned long long)it->offset, (unsigned long long)st->st_size);
		plan_to_new(p, it);
	}
	d->record = json_pack("{s:s,s:s}", "snapshot", it->kind, "file_id", it->id);
	if (it->act == PLAN_UNCHANGED || it->act == PLAN_HELD ||
	    (it->act == PLAN_CONTINUE && (uint64_t)st->st_size == it->offset)) {
		d->take = COLLECT_TAKE_SKIP;
		d->status = it->act == PLAN_HELD ? "held" : "unchanged";
		d->reason = it->act == PLAN_HELD
		                    ? "a compressed copy of bytes earlier snapshots hold"
		                    : "earlier snapshots hold every byte";
		track_held(h, it, e, st);
		plan_item_reset(it);
		h->cur = NULL;
		return 0;
	}
	if (it->act == PLAN_CONTINUE) {
		d->take = COLLECT_TAKE_SEGMENT;
		d->offset = it->offset;
		d->length = (uint64_t)st->st_size - it->offset;
		json_object_set_new(d->record, "segment_offset",
		                    json_integer((json_int_t)it->offset));
		return 0;
	}
	d->take = COLLECT_TAKE_WHOLE;
	return plan_item_start(it, err);
}

static void hook_data(void *ctx, const void *buf, size_t len)
{
	struct snapshot_hooks_ctx *h = ctx;

	if (h->cur != NULL)
		plan_item_update(h->cur, buf, len);
}

static int hook_stored(void *ctx, const struct walk_entry *e, const struct stat *st,
                       uint64_t offset, uint64_t stored, uint64_t padding, const char *sha256,
                       struct error *err)
{
	struct snapshot_hooks_ctx *h = ctx;
	struct plan_item *it = h->cur;
	struct tracked_file *t;
	char *p, *bag, *bagname;
	int esc, shortened;
	json_t *o;

	(void)padding;
	if (it == NULL || !it->has_prefix)
		return 0;
	if (offset != it->offset) {
		error_set(err, "/%s: stored from offset %llu, planned %llu", e->path,
		          (unsigned long long)offset, (unsigned long long)it->offset);
		return -1;
	}
	t = state_add_file(h->next);
	t->id = xstrdup(it->id);
	plan_stat_into(t, e->path, st);
	t->size = offset + stored;
	sha256_final_hex(&it->prefix, t->prefix);
	it->has_prefix = 0;
	t->head_len = t->size < SNAPSHOT_HEAD_BYTES ? t->size : SNAPSHOT_HEAD_BYTES;
	if (t->head_len > it->head_len || sha256_hex(it->head, t->head_len, t->head, err) < 0) {
		error_set(err, "/%s: head of the file not seen", e->path);
		return -1;
	}
	t->compressed = 0;
	p = journal_path_text(e->path);
	bagname = bagname_for_path(e->path, strlen(e->path), &esc, &shortened);
	bag = xasprintf("data/%s", bagname);
	o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:I,s:s}", "file_id", it->id, "path", p,
	              "event", it->act == PLAN_NEW ? "whole" : "segment", "bag_path", bag, "offset",
	              (json_int_t)offset, "length", (json_int_t)stored, "sha256", sha256, "size",
	              (json_int_t)t->size, "prefix_sha256", t->prefix);
	if (it->from && strcmp(it->from->path, e->path) != 0) {
		char *from = journal_path_text(it->from->path);

		json_object_set_new(o, "from", json_string(from));
		free(from);
		h->sum->files_rotated++;
	}
	journal_segment(h->journal, o);
	if (it->act == PLAN_NEW)
		h->sum->files_new++;
	else
		h->sum->files_appended++;
	h->sum->bytes_new += stored;
	free(p);
	free(bag);
	free(bagname);
	h->cur = NULL;
	return 0;
}

/* collection.log: which snapshot this is, then the notes of the plan and the hooks. */
static void write_log(struct snapshot_hooks_ctx *h, FILE *log)
{
	char stamp[32];

	format_iso8601((int64_t)time(NULL), stamp, sizeof(stamp));
	fprintf(log, "%s snapshot %llu of series %s%s%s\n", stamp,
	        (unsigned long long)h->next->sequence, h->next->series,
	        h->sum->previous[0] ? ", previous tagmanifest sha256 " : " (the first)",
	        h->sum->previous);
	for (char *line = h->journal->notes.buf, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		fprintf(log, "%s %.*s\n", stamp, (int)(nl - line), line);
	}
}

static int hook_finish(void *ctx, struct bag_writer *bag, FILE *log, struct error *err)
{
	struct snapshot_hooks_ctx *h = ctx;
	struct snapshot_journal *j = h->journal;
	struct plan *p = h->plan;
	char num[32];

	/* Files the plan kept but that could not be read now: the series still holds them. */
	for (size_t i = 0; i < p->n_items; i++) {
		struct plan_item *it = &p->items[i];

		if (it->from && !it->done && it->act != PLAN_NEW && it->act != PLAN_HELD)
			tracked_file_copy(state_add_file(h->next), it->from);
	}
	write_log(h, log);
	if (bag_add_tag_file(bag, "logpack/segments.jsonl", j->segments.buf ? j->segments.buf : "",
	                     j->segments.len, err) < 0 ||
	    bag_add_tag_file(bag, "logpack/anomalies.jsonl",
	                     j->anomalies.buf ? j->anomalies.buf : "", j->anomalies.len, err) < 0)
		return -1;
	bag_info_add(bag, "LogPack-Snapshot-Series", h->next->series);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)h->next->sequence);
	bag_info_add(bag, "LogPack-Snapshot-Sequence", num);
	if (h->sum->previous[0])
		bag_info_add(bag, "LogPack-Snapshot-Previous", h->sum->previous);
	snprintf(num, sizeof(num), "%zu", h->sum->n_anomalies);
	bag_info_add(bag, "LogPack-Snapshot-Anomalies", num);
	return 0;
}

/*
 * The bag is complete; from here the bundle may get its final name at any moment: say what it
 * will be, with its tag manifest's hash, so that a run killed after the rename can be
 * recovered from the state directory alone (an encrypted bundle cannot be read back here).
 */
static int hook_sealed(void *ctx, const char *tagmanifest_sha256, struct error *err)
{
	struct snapshot_hooks_ctx *h = ctx;

	memcpy(h->next->last_tagmanifest, tagmanifest_sha256, SHA256_HEX_LEN + 1);
	state_add_bundle(h->next, h->next->sequence, h->bundle_path, (int64_t)time(NULL));
	if (recovery_write_pending(h->state, h->next, h->bundle_path, h->encrypted, err) < 0)
		return -1;
	recovery_crash_point("before-bundle-rename");
	return 0;
}

void snapshot_hooks_bind(struct snapshot_hooks_ctx *ctx, struct collect_hooks *hooks)
{
	memset(hooks, 0, sizeof(*hooks));
	hooks->ctx = ctx;
	hooks->plan = hook_plan;
	hooks->decide = hook_decide;
	hooks->data = hook_data;
	hooks->stored = hook_stored;
	hooks->finish = hook_finish;
	hooks->sealed = hook_sealed;
}
