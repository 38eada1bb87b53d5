/*
 * The short human summary of a coverage document, from this run's records or from any JSON a
 * bundle holds (a bundle's report is a claim until verified, so every field is checked for its
 * type and printed through printable()); and the span of events a report claims.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/printable.h"
#include "base/util.h"
#include "report/coverage-private.h"

/* A string member shown safely; "?" when absent. */
static char *field(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return printable(v ? v : "?");
}

static json_int_t number(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

static const char *span(json_int_t secs, char *buf, size_t len)
{
	if (secs < 0)
		secs = -secs;
	if (secs >= 86400)
		snprintf(buf, len, "%lldd%02lldh", (long long)(secs / 86400),
		         (long long)(secs % 86400 / 3600));
	else if (secs >= 3600)
		snprintf(buf, len, "%lldh%02lldm", (long long)(secs / 3600),
		         (long long)(secs % 3600 / 60));
	else if (secs >= 60)
		snprintf(buf, len, "%lldm%02llds", (long long)(secs / 60), (long long)(secs % 60));
	else
		snprintf(buf, len, "%llds", (long long)secs);
	return buf;
}

void cov_summary_log(struct strbuf *sb, const json_t *log)
{
	char *path = field(log, "path"), *format = field(log, "format");
	const json_t *gaps = json_object_get(log, "gaps"),
	             *back = json_object_get(log, "backwards");
	const json_t *nul = json_object_get(log, "nul_runs"),
	             *bad = json_object_get(log, "unparsable_lines"),
	             *recs = json_object_get(log, "records"), *jr = json_object_get(log, "journal");
	/* What the "at" of a finding counts: lines of text, records, journal entries. */
	const char *unit = strcmp(format, "utmp") == 0      ? "record"
	                   : strcmp(format, "journal") == 0 ? "entry"
	                                                    : "line";
	char d[32];

	strbuf_addf(sb, "  %s: %s", path, format);
	if (json_object_get(log, "first_event")) {
		char *first = field(log, "first_event"), *last = field(log, "last_event");

		strbuf_addf(sb, ", %s .. %s", first, last);
		free(first);
		free(last);
	}
	strbuf_addf(sb, ", %lld events", (long long)number(log, "events"));
	if (json_object_get(log, "year"))
		strbuf_addstr(sb, " (year from the file's mtime)");
	if (json_object_get(log, "not_analysed")) {
		char *why = field(log, "not_analysed");

		strbuf_addf(sb, " (not analysed: %s)", why);
		free(why);
	}
	strbuf_addch(sb, '\n');
	if (number(gaps, "count") > 0) {
		const json_t *g;
		size_t i;

		strbuf_addf(sb, "    %lld gap(s); largest:", (long long)number(gaps, "count"));
		json_array_foreach(json_object_get(gaps, "largest"), i, g)
		{
			char *a = field(g, "after"), *b = field(g, "before");

			if (i < 3)
				strbuf_addf(sb, "%s %s from %s to %s (%s %lld)", i ? ";" : "",
				            span(number(g, "seconds"), d, sizeof(d)), a, b, unit,
				            (long long)number(g, "at"));
			free(a);
			free(b);
		}
		strbuf_addch(sb, '\n');
	}
	if (number(back, "count") > 0) {
		const json_t *g;
		size_t i;

		strbuf_addf(sb, "    %lld time(s) going backwards; largest:",
		            (long long)number(back, "count"));
		json_array_foreach(json_object_get(back, "largest"), i, g)
		{
			char *t = field(g, "time");

			if (i < 3)
				strbuf_addf(sb, "%s %s back to %s (%s %lld)", i ? ";" : "",
				            span(number(g, "seconds"), d, sizeof(d)), t, unit,
				            (long long)number(g, "at"));
			free(t);
		}
		strbuf_addch(sb, '\n');
	}
	if (number(nul, "count") > 0) {
		const json_t *big = json_array_get(json_object_get(nul, "largest"), 0);

		strbuf_addf(
		        sb,
		        "    %lld run(s) of NUL bytes, %lld bytes; largest %lld at offset %lld\n",
		        (long long)number(nul, "count"), (long long)number(nul, "bytes"),
		        (long long)number(big, "length"), (long long)number(big, "offset"));
	}
	if (number(bad, "count") > 0)
		strbuf_addf(sb, "    %lld line(s) not parsed (first: line %lld)\n",
		            (long long)number(bad, "count"),
		            (long long)json_integer_value(
		                    json_array_get(json_object_get(bad, "first"), 0)));
	if (number(recs, "cleared") > 0)
		strbuf_addf(sb,
		            "    %lld cleared (all-zero) record(s) of %lld; first at offset %lld\n",
		            (long long)number(recs, "cleared"), (long long)number(recs, "count"),
		            (long long)json_integer_value(
		                    json_array_get(json_object_get(recs, "cleared_offsets"), 0)));
	if (json_is_object(jr)) {
		char *state = field(jr, "state");

		strbuf_addf(sb, "    journal %s, %s, %zu boot ID(s), %lld entries\n", state,
		            json_is_true(json_object_get(jr, "sealed")) ? "sealed (FSS)"
		                                                        : "not sealed",
		            json_array_size(json_object_get(jr, "boot_ids")),
		            (long long)number(jr, "entries_read"));
		free(state);
	}
	free(path);
	free(format);
}

void cov_summary_sets(struct strbuf *sb, const json_t *sets)
{
	const json_t *set, *v;
	size_t i, k;

	json_array_foreach(sets, i, set)
	{
		char *base = field(set, "base");
		const json_t *missing = json_object_get(set, "missing_generations");

		strbuf_addf(sb, "  rotation set %s: %zu generation(s)", base,
		            json_array_size(json_object_get(set, "generations")));
		if (json_array_size(missing)) {
			strbuf_addstr(sb, ", missing");
			json_array_foreach(missing, k, v) strbuf_addf(
			        sb, " %s%lld", k ? ", " : "", (long long)json_integer_value(v));
		}
		strbuf_addch(sb, '\n');
		json_array_foreach(json_object_get(set, "discontinuities"), k, v)
		{
			char *kind = field(v, "kind"), *older = field(v, "older"),
			     *newer = field(v, "newer");
			char d[32];

			strbuf_addf(sb, "    %s of %s between %s and %s\n", kind,
			            span(number(v, "seconds"), d, sizeof(d)), older, newer);
			free(kind);
			free(older);
			free(newer);
		}
		free(base);
	}
}

void cov_summary_host(struct strbuf *sb, const json_t *doc)
{
	const json_t *clock = json_object_get(doc, "clock"),
	             *tz = json_object_get(doc, "time_zone");
	const json_t *fwd = json_object_get(doc, "forwarding"),
	             *seals = json_object_get(doc, "seals");
	const json_t *v;
	size_t i;
	char d[32];

	if (json_object_get(doc, "newest_event")) {
		char *newest = field(doc, "newest_event");
		json_int_t age = number(doc, "newest_event_age_seconds");

		strbuf_addf(sb, "  newest event %s, %s %s collection\n", newest,
		            span(age, d, sizeof(d)), age >= 0 ? "before" : "after");
		free(newest);
	}
	if (json_is_object(tz)) {
		char *name = field(tz, "name"), *src = field(tz, "source");

		strbuf_addf(sb, "  time zone %s (%s)\n", name, src);
		free(name);
		free(src);
	}
	if (json_is_object(clock)) {
		char *sync = field(clock, "summary");

		strbuf_addf(sb, "  clock: %s\n", sync);
		free(sync);
	}
	json_array_foreach(fwd, i, v)
	{
		char *to = field(v, "destination"), *how = field(v, "via"),
		     *from = field(v, "file");

		strbuf_addf(sb, "  forwards to %s (%s, %s)\n", to, how, from);
		free(to);
		free(how);
		free(from);
	}
	json_array_foreach(seals, i, v)
	{
		char *path = field(v, "path"), *kind = field(v, "kind");

		strbuf_addf(sb, "  seal file %s (%s)\n", path, kind);
		free(path);
		free(kind);
	}
}

char *coverage_summary(const json_t *doc)
{
	struct strbuf sb = {0};
	const json_t *log;
	size_t i;

	if (!json_is_object(doc))
		return xstrdup("  (no readable coverage report)\n");
	json_array_foreach(json_object_get(doc, "logs"), i, log)
	{
		if (json_is_object(log))
			cov_summary_log(&sb, log);
	}
	cov_summary_sets(&sb, json_object_get(doc, "rotation_sets"));
	cov_summary_host(&sb, doc);
	if (sb.len == 0)
		strbuf_addstr(&sb, "  (no logs)\n");
	return strbuf_detach(&sb);
}

/* A log's time field, the extreme one when present. */
static int log_time(const json_t *log, const char *extreme, const char *plain, int64_t *out)
{
	const char *v = json_string_value(json_object_get(log, extreme));

	if (v == NULL)
		v = json_string_value(json_object_get(log, plain));
	return v && parse_iso8601(v, out) == 0;
}

int coverage_span(const char *text, size_t len, int64_t *from, int64_t *to)
{
	json_t *doc = json_loadb(text, len, 0, NULL), *log;
	int found = 0;
	size_t i;

	if (!json_is_object(doc) || !json_is_integer(json_object_get(doc, "coverage_version"))) {
		json_decref(doc);
		return 0;
	}
	json_array_foreach(json_object_get(doc, "logs"), i, log)
	{
		int64_t a, b;

		if (!log_time(log, "oldest_event", "first_event", &a) ||
		    !log_time(log, "newest_event", "last_event", &b))
			continue;
		if (!found || a < *from)
			*from = a;
		if (!found || b > *to)
			*to = b;
		found = 1;
	}
	json_decref(doc);
	return found;
}
