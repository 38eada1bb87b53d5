/*
 * The coverage document: the per-file records, rotation sets worked out from the names (syslog,
 * syslog.1, syslog.2.gz; or dated, syslog-20240102), and the host-wide parts; and the short
 * summary of a document, which reads any JSON at all (a bundle's is a claim until verified).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/printable.h"
#include "base/util.h"
#include "report/coverage-private.h"

/* Generation of a rotated name: base and number (0: the live log; dated: -1, date in *date). */
struct generation {
	char *base;
	long number;
	long date; /* YYYYMMDD for dateext rotations, else 0 */
	const struct cov_done *file;
};

static void strip_suffix(char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	if (n > k && strcmp(s + n - k, suffix) == 0)
		s[n - k] = '\0';
}

static int all_digits(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static void parse_generation(const char *path, struct generation *g)
{
	char *s = xstrdup(path), *dot, *dash;
	static const char *const packed[] = {".gz", ".xz", ".zst", ".bz2", ".lz4"};

	for (size_t i = 0; i < sizeof(packed) / sizeof(packed[0]); i++)
		strip_suffix(s, packed[i]);
	memset(g, 0, sizeof(*g));
	dot = strrchr(s, '.');
	dash = strrchr(s, '-');
	if (dot && dot > strrchr(s, '/') && all_digits(dot + 1, strlen(dot + 1)) &&
	    strlen(dot + 1) <= 4) {
		g->number = atol(dot + 1);
		*dot = '\0';
	} else if (dash && strlen(dash + 1) == 8 && all_digits(dash + 1, 8)) {
		g->date = atol(dash + 1);
		g->number = -1;
		*dash = '\0';
	}
	g->base = s;
}

/* Oldest first: the highest number, or the earliest date; the live log last. */
static int cmp_generation(const void *a, const void *b)
{
	const struct generation *x = a, *y = b;
	int c = strcmp(x->base, y->base);

	if (c)
		return c;
	if (x->number == 0 || y->number == 0)
		return (x->number == 0) - (y->number == 0);
	if (x->number == -1 && y->number == -1)
		return (x->date > y->date) - (x->date < y->date);
	if (x->number == -1 || y->number == -1)
		return (x->number == -1) - (y->number == -1);
	return (x->number < y->number) - (x->number > y->number);
}

static json_t *time_json(int64_t epoch)
{
	char buf[40];

	return json_string(format_iso8601(epoch, buf, sizeof(buf)));
}

/* The set of generations g[0..n) of one base, oldest first. */
static json_t *rotation_set(const struct coverage *cov, const struct generation *g, size_t n)
{
	json_t *set = json_object(), *gens = json_array(), *missing = json_array(),
	       *breaks = json_array(), *findings = json_array();
	long max = 0;
	const struct generation *prev = NULL;

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:o}", "path", json_sprintf("/%s", g[i].file->path));

		if (g[i].number >= 0)
			json_object_set_new(o, "generation", json_integer(g[i].number));
		if (g[i].file->record == NULL)
			json_object_set_new(o, "not_read", json_string(g[i].file->why));
		if (g[i].file->have) {
			json_object_set_new(o, "first_event",
			                    coverage_time_json(g[i].file->first, g[i].file->local));
			json_object_set_new(o, "last_event",
			                    coverage_time_json(g[i].file->last, g[i].file->local));
		}
		json_array_append_new(gens, o);
		if (g[i].number > max)
			max = g[i].number;
		/* Contiguity: the next generation starts where this one ended. */
		if (prev && prev->file->have && g[i].file->have && prev->file->whole &&
		    g[i].file->whole) {
			int64_t d = g[i].file->first - prev->file->last;
			const char *kind = d >= cov->opt.gap_seconds         ? "gap"
			                   : -d > cov->opt.backwards_seconds ? "overlap"
			                                                     : NULL;

			if (kind)
				json_array_append_new(
				        breaks,
				        json_pack("{s:s,s:o,s:o,s:I,s:o,s:o}", "kind", kind,
				                  "older", json_sprintf("/%s", prev->file->path),
				                  "newer", json_sprintf("/%s", g[i].file->path),
				                  "seconds", (json_int_t)(d < 0 ? -d : d),
				                  "older_ends",
				                  coverage_time_json(prev->file->last,
				                                     prev->file->local),
				                  "newer_starts",
				                  coverage_time_json(g[i].file->first,
				                                     g[i].file->local)));
		}
		prev = &g[i];
	}
	/* Numbered generations: every number from 1 to the highest, and the live log. */
	for (long k = 0; k <= max && max > 0; k++) {
		int found = 0;

		for (size_t i = 0; i < n && !found; i++)
			found = g[i].number == k;
		if (!found)
			json_array_append_new(missing, json_integer(k));
	}
	json_object_set_new(set, "base", json_sprintf("/%s", g[0].base));
	json_object_set_new(set, "generations", gens);
	json_object_set_new(set, "missing_generations", missing);
	json_object_set_new(set, "discontinuities", breaks);
	if (json_array_size(missing))
		json_array_append_new(findings, json_string("missing_generations"));
	if (json_array_size(breaks))
		json_array_append_new(findings, json_string("discontinuities"));
	json_object_set_new(set, "findings", findings);
	return set;
}

static json_t *rotation_sets(const struct coverage *cov)
{
	struct generation *g = xcalloc(cov->n_done ? cov->n_done : 1, sizeof(*g));
	json_t *sets = json_array();
	size_t n = 0;

	for (size_t i = 0; i < cov->n_done; i++) {
		parse_generation(cov->done[i].path, &g[n]);
		g[n].file = &cov->done[i];
		n++;
	}
	qsort(g, n, sizeof(*g), cmp_generation);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		int rotated = g[i].number != 0;

		while (j < n && strcmp(g[j].base, g[i].base) == 0) {
			rotated |= g[j].number != 0;
			j++;
		}
		/* A set is a base with at least one rotated generation. */
		if (rotated)
			json_array_append_new(sets, rotation_set(cov, g + i, j - i));
		i = j;
	}
	for (size_t i = 0; i < n; i++)
		free(g[i].base);
	free(g);
	return sets;
}

json_t *coverage_document(struct coverage *cov, int64_t collected_at)
{
	json_t *doc = json_object();

	if (cov->cur)
		coverage_file_end(cov);
	json_object_set_new(doc, "coverage_version", json_integer(1));
	json_object_set_new(doc, "settings",
	                    json_pack("{s:I,s:I}", "gap_seconds", (json_int_t)cov->opt.gap_seconds,
	                              "backwards_seconds", (json_int_t)cov->opt.backwards_seconds));
	json_object_set_new(doc, "collected_at", time_json(collected_at));
	if (cov->have_newest) {
		json_object_set_new(doc, "newest_event",
		                    coverage_time_json(cov->newest, cov->newest_local));
		json_object_set_new(doc, "newest_event_age_seconds",
		                    json_integer((json_int_t)(collected_at - cov->newest)));
		if (cov->newest_local)
			json_object_set_new(doc, "newest_event_times",
			                    json_string("local (no zone in the log)"));
	}
	json_object_set(doc, "logs", cov->logs);
	json_object_set_new(doc, "rotation_sets", rotation_sets(cov));
	json_object_update(doc, cov->extra);
	json_object_set(doc, "seals", cov->seals);
	return doc;
}

/* --- the summary ----------------------------------------------------------------------- */

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

static void summary_log(struct strbuf *sb, const json_t *log)
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

static void summary_sets(struct strbuf *sb, const json_t *sets)
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

static void summary_host(struct strbuf *sb, const json_t *doc)
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
			summary_log(&sb, log);
	}
	summary_sets(&sb, json_object_get(doc, "rotation_sets"));
	summary_host(&sb, doc);
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
