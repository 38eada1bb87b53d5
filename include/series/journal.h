/*
 * What a snapshot records about itself while it plans and stores: logpack/segments.jsonl,
 * logpack/anomalies.jsonl, lines for collection.log, and the anomalies for the summary.
 */
#ifndef LOGPACK_SERIES_JOURNAL_H
#define LOGPACK_SERIES_JOURNAL_H

#include <stdint.h>

#include "base/util.h"
#include "series/snapshot.h"

struct json_t;

struct snapshot_journal {
	uint64_t sequence;            /* of the snapshot being taken */
	struct snapshot_summary *sum; /* anomalies are added to it too */
	struct strbuf segments, anomalies, notes;
};

/* A raw path as files.jsonl shows it: "/" and the bag-name encoding. Caller frees. */
char *journal_path_text(const char *raw);
/* A line for collection.log. */
void journal_note(struct snapshot_journal *j, const char *fmt, ...) LP_ATTR_PRINTF(2, 3);
/* An anomaly (now_size -1: the file is gone): anomalies.jsonl, collection.log, the summary. */
void journal_anomaly(struct snapshot_journal *j, const char *kind, const char *raw_path,
                     const char *id, uint64_t held, int64_t now_size, const char *fmt, ...)
        LP_ATTR_PRINTF(7, 8);
/* One line of segments.jsonl (o is stolen). */
void journal_segment(struct snapshot_journal *j, struct json_t *o);
void journal_release(struct snapshot_journal *j);

#endif
