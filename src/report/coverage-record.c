/* A file's record in coverage.json: its time line, its format's counts, and its findings. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/byteorder.h"
#include "base/util.h"
#include "report/coverage-file.h"

/* --- the record of one file ---------------------------------------------------------- */

json_t *coverage_time_json(int64_t epoch, int local)
{
	char buf[40];
	size_t n;

	format_iso8601(epoch, buf, sizeof(buf));
	/* A wall-clock time of unknown zone is written without one (no "Z"). */
	n = strlen(buf);
	if (local && n > 0 && buf[n - 1] == 'Z')
		buf[n - 1] = '\0';
	return json_string(buf);
}

static json_t *time_json(int64_t epoch)
{
	return coverage_time_json(epoch, 0);
}

json_t *cov_timeline_json(const struct timeline *tl, json_t *rec)
{
	int local = tl->local && !tl->zoned;
	size_t ng = tl->gaps < COVERAGE_KEEP ? (size_t)tl->gaps : COVERAGE_KEEP;
	size_t nb = tl->backwards < COVERAGE_KEEP ? (size_t)tl->backwards : COVERAGE_KEEP;
	json_t *gaps = json_array(), *back = json_array();

	json_object_set_new(rec, "events", json_integer((json_int_t)tl->events));
	if (!tl->have) {
		json_decref(gaps);
		json_decref(back);
		return rec;
	}
	json_object_set_new(rec, "first_event", coverage_time_json(tl->first, local));
	json_object_set_new(rec, "last_event", coverage_time_json(tl->last, local));
	if (tl->oldest != tl->first)
		json_object_set_new(rec, "oldest_event", coverage_time_json(tl->oldest, local));
	if (tl->newest != tl->last)
		json_object_set_new(rec, "newest_event", coverage_time_json(tl->newest, local));
	json_object_set_new(rec, "times",
	                    json_string(tl->local && tl->zoned ? "mixed"
	                                : tl->local            ? "local (no zone in the log)"
	                                                       : "utc"));
	for (size_t i = 0; i < ng; i++)
		json_array_append_new(gaps, json_pack("{s:o,s:o,s:I,s:I}", "after",
		                                      coverage_time_json(tl->gap[i].after, local),
		                                      "before",
		                                      coverage_time_json(tl->gap[i].before, local),
		                                      "seconds", (json_int_t)tl->gap[i].seconds,
		                                      "at", (json_int_t)tl->gap[i].line));
	for (size_t i = 0; i < nb; i++)
		json_array_append_new(back, json_pack("{s:o,s:o,s:I,s:I}", "time",
		                                      coverage_time_json(tl->back[i].when, local),
		                                      "after",
		                                      coverage_time_json(tl->back[i].newest, local),
		                                      "seconds", (json_int_t)tl->back[i].seconds,
		                                      "at", (json_int_t)tl->back[i].line));
	json_object_set_new(rec, "gaps",
	                    json_pack("{s:I,s:o}", "count", (json_int_t)tl->gaps, "largest", gaps));
	json_object_set_new(
	        rec, "backwards",
	        json_pack("{s:I,s:o}", "count", (json_int_t)tl->backwards, "largest", back));
	return rec;
}

static json_t *u64_array(const uint64_t *v, uint64_t count)
{
	json_t *a = json_array();

	for (uint64_t i = 0; i < count && i < COVERAGE_KEEP; i++)
		json_array_append_new(a, json_integer((json_int_t)v[i]));
	return a;
}

static enum logformat main_format(const struct cov_file *f)
{
	enum logformat best = LOGFORMAT_NONE;

	for (int i = 1; i < LOGFORMAT_COUNT; i++)
		if (f->formats[i] > f->formats[best])
			best = (enum logformat)i;
	return best;
}

void cov_text_json(struct cov_file *f, json_t *rec, json_t *findings)
{
	enum logformat best = main_format(f);
	size_t nn = f->nul_runs < COVERAGE_KEEP ? (size_t)f->nul_runs : COVERAGE_KEEP;
	json_t *runs = json_array(), *formats = json_object();
	int mixed = 0;

	for (int i = 1; i < LOGFORMAT_COUNT; i++)
		if (f->formats[i]) {
			json_object_set_new(formats, logformat_name((enum logformat)i),
			                    json_integer((json_int_t)f->formats[i]));
			mixed += i != (int)best;
		}
	json_object_set_new(rec, "format",
	                    json_string(best == LOGFORMAT_NONE ? (f->lines ? "unknown" : "empty")
	                                                       : logformat_name(best)));
	if (mixed)
		json_object_set_new(rec, "formats", formats);
	else
		json_decref(formats);
	json_object_set_new(rec, "lines", json_integer((json_int_t)f->lines));
	json_object_set_new(rec, "unparsable_lines",
	                    json_pack("{s:I,s:o}", "count", (json_int_t)f->unparsable, "first",
	                              u64_array(f->unparsable_at, f->unparsable)));
	if (f->long_lines)
		json_object_set_new(rec, "long_lines", json_integer((json_int_t)f->long_lines));
	for (size_t i = 0; i < nn; i++)
		json_array_append_new(runs, json_pack("{s:I,s:I}", "offset",
		                                      (json_int_t)(f->nul[i].offset + f->offset),
		                                      "length", (json_int_t)f->nul[i].length));
	json_object_set_new(rec, "nul_runs",
	                    json_pack("{s:I,s:I,s:o}", "count", (json_int_t)f->nul_runs, "bytes",
	                              (json_int_t)f->nul_bytes, "largest", runs));
	/* NULs are a finding in a recognised text log, not in a file of unknown bytes. */
	if (f->nul_runs && best != LOGFORMAT_NONE)
		json_array_append_new(findings, json_string("nul_runs"));
	/* Only a log logpack recognised has unparsable lines worth a finding. */
	if (f->unparsable && best != LOGFORMAT_NONE)
		json_array_append_new(findings, json_string("unparsable_lines"));
}

void cov_utmp_json(struct cov_file *f, json_t *rec, json_t *findings)
{
	json_t *types = json_object();

	for (int i = 0; i < 10; i++)
		if (f->types[i])
			json_object_set_new(types, utmp_type_name(i),
			                    json_integer((json_int_t)f->types[i]));
	json_object_set_new(rec, "format", json_string("utmp"));
	json_object_set_new(rec, "records",
	                    json_pack("{s:I,s:I,s:o,s:I,s:o,s:I}", "count", (json_int_t)f->records,
	                              "cleared", (json_int_t)f->cleared, "cleared_offsets",
	                              u64_array(f->cleared_at, f->cleared), "unknown_type",
	                              (json_int_t)f->bad_type, "types", types, "trailing_bytes",
	                              (json_int_t)f->rec_len));
	if (f->cleared)
		json_array_append_new(findings, json_string("cleared_records"));
	if (f->rec_len || f->bad_type)
		json_array_append_new(findings, json_string("damaged_records"));
}

static json_t *id_json(const uint8_t id[16])
{
	char hex[33];

	journal_id_hex(id, hex);
	return json_string(hex);
}

void cov_journal_json(struct cov_file *f, json_t *rec, json_t *findings)
{
	const struct journal_scan *s = &f->journal;
	const struct journal_header *h = &s->header;
	json_t *j, *boots = json_array();
	char flags[128];

	json_object_set_new(rec, "format", json_string("journal"));
	if (!s->have_header) {
		json_object_set_new(rec, "journal",
		                    json_pack("{s:s}", "problem", "the header is incomplete"));
		json_array_append_new(findings, json_string("journal_damaged"));
		json_decref(boots);
		return;
	}
	for (size_t i = 0; i < f->n_boot_ids; i++)
		json_array_append_new(boots, id_json(f->boot_ids[i]));
	j = json_pack("{s:s,s:b,s:b,s:s,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:o}", "state",
	              journal_state_name(h->state), "sealed",
	              (h->compatible_flags & JOURNAL_COMPAT_SEALED) != 0, "sealed_continuous",
	              (h->compatible_flags & JOURNAL_COMPAT_SEALED_CONTINUOUS) != 0,
	              "incompatible_flags",
	              journal_incompat_names(h->incompatible_flags, flags, sizeof(flags)),
	              "file_id", id_json(h->file_id), "machine_id", id_json(h->machine_id),
	              "tail_entry_boot_id", id_json(h->tail_entry_boot_id), "header_entries",
	              (json_int_t)h->n_entries, "entries_read", (json_int_t)s->entries_seen,
	              "head_seqnum", (json_int_t)h->head_entry_seqnum, "tail_seqnum",
	              (json_int_t)h->tail_entry_seqnum, "boot_ids", boots);
	if (h->head_entry_realtime)
		json_object_set_new(j, "head_realtime",
		                    time_json((int64_t)(h->head_entry_realtime / 1000000)));
	if (h->tail_entry_realtime)
		json_object_set_new(j, "tail_realtime",
		                    time_json((int64_t)(h->tail_entry_realtime / 1000000)));
	json_object_set_new(j, "tags", json_integer((json_int_t)s->tags_seen));
	if (f->boot_ids_more)
		json_object_set_new(j, "boot_ids_not_listed",
		                    json_integer((json_int_t)f->boot_ids_more));
	int damaged = s->problem || (!s->stopped && s->pos <= h->tail_object_offset);

	if (damaged) {
		json_object_set_new(j, "problem",
		                    json_string(s->problem
		                                        ? s->problem
		                                        : "the file ends before its last object"));
		json_array_append_new(findings, json_string("journal_damaged"));
	}
	json_object_set_new(rec, "journal", j);
	if (!damaged && s->entries_seen != h->n_entries && f->offset == 0 && f->analysed >= f->size)
		json_array_append_new(findings, json_string("journal_entries_mismatch"));
}

void cov_evtx_json(struct cov_file *f, json_t *rec, json_t *findings)
{
	const struct evtx_scan *e = &f->evtx;
	json_t *j;

	json_object_set_new(rec, "format", json_string("evtx"));
	if (e->header_len < 128)
		return;
	{
		uint32_t flags = load_le32(e->header + 120);
		uint64_t next = load_le64(e->header + 24);

		j = json_pack("{s:I,s:I,s:I,s:b,s:b,s:I,s:I}", "first_chunk",
		              (json_int_t)load_le64(e->header + 8), "last_chunk",
		              (json_int_t)load_le64(e->header + 16), "records",
		              (json_int_t)(next ? next - 1 : 0), "dirty", (flags & 1) != 0, "full",
		              (flags & 2) != 0, "chunks_read", (json_int_t)e->chunks,
		              "records_read", (json_int_t)e->records);
	}
	if (e->bad_chunks || e->bad_records) {
		json_object_set_new(j, "damaged_chunks", json_integer((json_int_t)e->bad_chunks));
		json_object_set_new(j, "damaged_records", json_integer((json_int_t)e->bad_records));
		json_array_append_new(findings, json_string("evtx_damaged"));
	}
	json_object_set_new(rec, "evtx", j);
}
