/* The records a snapshot adds to its own bundle: segments, anomalies, log lines. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bundle/manifest.h"
#include "series/journal.h"

char *journal_path_text(const char *raw)
{
	int esc;
	char *enc = bagname_encode(raw, strlen(raw), &esc);
	char *out = xasprintf("/%s", enc);

	free(enc);
	return out;
}

static void json_line(struct strbuf *sb, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);

	if (text == NULL)
		abort();
	strbuf_addstr(sb, text);
	strbuf_addch(sb, '\n');
	free(text);
	json_decref(o);
}

void journal_note(struct snapshot_journal *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	strbuf_addstr(&j->notes, line);
	strbuf_addch(&j->notes, '\n');
	free(line);
}

void journal_anomaly(struct snapshot_journal *j, const char *kind, const char *raw_path,
                     const char *id, uint64_t held, int64_t now_size, const char *fmt, ...)
{
	struct snapshot_summary *sum = j->sum;
	char *path = journal_path_text(raw_path), *detail;
	va_list ap;
	json_t *o;

	va_start(ap, fmt);
	detail = xvasprintf(fmt, ap);
	va_end(ap);
	o = json_pack("{s:I,s:s,s:s,s:s,s:I,s:s}", "sequence", (json_int_t)j->sequence, "kind",
	              kind, "path", path, "file_id", id, "held_size", (json_int_t)held, "detail",
	              detail);
	json_object_set_new(o, "current_size",
	                    now_size >= 0 ? json_integer((json_int_t)now_size) : json_null());
	json_line(&j->anomalies, o);
	journal_note(j, "ANOMALY %s %s: %s", kind, path, detail);
	sum->anomalies =
	        xreallocarray(sum->anomalies, sum->n_anomalies + 1, sizeof(*sum->anomalies));
	sum->anomalies[sum->n_anomalies].kind = xstrdup(kind);
	sum->anomalies[sum->n_anomalies].path = path;
	sum->anomalies[sum->n_anomalies].detail = detail;
	sum->n_anomalies++;
}

void journal_segment(struct snapshot_journal *j, json_t *o)
{
	json_line(&j->segments, o);
}

void journal_release(struct snapshot_journal *j)
{
	strbuf_release(&j->segments);
	strbuf_release(&j->anomalies);
	strbuf_release(&j->notes);
}
