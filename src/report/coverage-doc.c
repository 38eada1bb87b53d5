/*
 * The coverage document: the per-file records, spilled to a temporary file as each file ends
 * and read back at the end; rotation sets worked out from the names (syslog, syslog.1,
 * syslog.2.gz; or dated, syslog-20240102); and the host-wide parts.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static const char *done_path(const struct coverage *cov, const struct cov_done *d)
{
	return cov->names.buf + d->path;
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
		json_t *o =
		        json_pack("{s:o}", "path", json_sprintf("/%s", done_path(cov, g[i].file)));

		if (g[i].number >= 0)
			json_object_set_new(o, "generation", json_integer(g[i].number));
		if (g[i].file->why != COV_READ)
			json_object_set_new(o, "not_read",
			                    json_string(cov->names.buf + g[i].file->why));
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
				                  "older",
				                  json_sprintf("/%s", done_path(cov, prev->file)),
				                  "newer",
				                  json_sprintf("/%s", done_path(cov, g[i].file)),
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

static int cmp_base(const void *a, const void *b)
{
	return strcmp(((const struct generation *)a)->base, ((const struct generation *)b)->base);
}

/*
 * The rotated generations first (few, on any host), then each live log whose base one of them
 * shares: the thousands of logs that were never rotated cost nothing here.
 */
static json_t *rotation_sets(const struct coverage *cov)
{
	struct generation *g = NULL, probe;
	json_t *sets = json_array();
	size_t n = 0, cap = 0, rotated;

	/* Without a rotated generation there is no set (and nothing for pass 1 to look up). */
	for (int pass = 0; pass < 2 && (pass == 0 || n > 0); pass++) {
		rotated = n;
		for (size_t i = 0; i < cov->n_done; i++) {
			parse_generation(done_path(cov, &cov->done[i]), &probe);
			/* Pass 0 takes the rotated; pass 1 the live logs of their bases. */
			if ((pass == 0) != (probe.number != 0) ||
			    (pass == 1 &&
			     bsearch(&probe, g, rotated, sizeof(*g), cmp_base) == NULL)) {
				free(probe.base);
				continue;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				g = xreallocarray(g, cap, sizeof(*g));
			}
			probe.file = &cov->done[i];
			g[n++] = probe;
		}
		if (pass == 0 && n > 0)
			qsort(g, n, sizeof(*g), cmp_base);
	}
	if (n > 0)
		qsort(g, n, sizeof(*g), cmp_generation);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && strcmp(g[j].base, g[i].base) == 0)
			j++;
		json_array_append_new(sets, rotation_set(cov, g + i, j - i));
		i = j;
	}
	for (size_t i = 0; i < n; i++)
		free(g[i].base);
	free(g);
	return sets;
}

/* The members before "logs". */
static json_t *doc_head(const struct coverage *cov, int64_t collected_at)
{
	json_t *head = json_object();

	json_object_set_new(head, "coverage_version", json_integer(1));
	json_object_set_new(head, "settings",
	                    json_pack("{s:I,s:I}", "gap_seconds", (json_int_t)cov->opt.gap_seconds,
	                              "backwards_seconds", (json_int_t)cov->opt.backwards_seconds));
	json_object_set_new(head, "collected_at", time_json(collected_at));
	if (cov->have_newest) {
		json_object_set_new(head, "newest_event",
		                    coverage_time_json(cov->newest, cov->newest_local));
		json_object_set_new(head, "newest_event_age_seconds",
		                    json_integer((json_int_t)(collected_at - cov->newest)));
		if (cov->newest_local)
			json_object_set_new(head, "newest_event_times",
			                    json_string("local (no zone in the log)"));
	}
	return head;
}

/* The members after "logs". */
static json_t *doc_tail(const struct coverage *cov)
{
	json_t *tail = json_object();

	json_object_set_new(tail, "rotation_sets", rotation_sets(cov));
	json_object_update(tail, cov->extra);
	json_object_set(tail, "seals", cov->seals);
	return tail;
}

/* Read the records or summary file from its start, a line at a time; 0, or -1 (errno set). */
static int spill_each(FILE *f, int (*fn)(void *ctx, char *line, size_t len), void *ctx)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	if (f == NULL)
		return 0;
	if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
		return -1;
	errno = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (fn(ctx, line, (size_t)n) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = -1;
	free(line);
	/* Later records are appended at the end. */
	if (fseek(f, 0, SEEK_END) != 0)
		rc = -1;
	return rc;
}

static int load_record(void *ctx, char *line, size_t len)
{
	json_t *rec = json_loadb(line, len, 0, NULL);

	if (rec == NULL) {
		errno = EILSEQ;
		return -1;
	}
	json_array_append_new(ctx, rec);
	return 0;
}

static int spill_failed(const struct coverage *cov, int error, struct error *err)
{
	error_set(err, "coverage report: temporary file in %s: %s", cov->spill_dir,
	          strerror(error ? error : EIO));
	return -1;
}

json_t *coverage_document(struct coverage *cov, int64_t collected_at)
{
	json_t *doc, *logs = json_array();

	if (cov->cur)
		coverage_file_end(cov);
	if (cov->spill_errno || spill_each(cov->records, load_record, logs) < 0) {
		json_decref(logs);
		return NULL;
	}
	doc = doc_head(cov, collected_at);
	json_object_set_new(doc, "logs", logs);
	json_object_update_new(doc, doc_tail(cov));
	return doc;
}

/* Each member of obj as "  "key": value", the value indented to its depth. */
static void write_members(FILE *out, const json_t *obj, int *first)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)obj, key, value)
	{
		json_t *k = json_string(key);
		char *kt = json_dumps(k, JSON_ENCODE_ANY | JSON_ENSURE_ASCII),
		     *vt = json_dumps(value, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);

		fprintf(out, "%s  %s: ", *first ? "" : ",\n", kt ? kt : "\"\"");
		for (const char *p = vt ? vt : "null"; *p; p++) {
			putc(*p, out);
			if (*p == '\n')
				fputs("  ", out);
		}
		*first = 0;
		free(kt);
		free(vt);
		json_decref(k);
	}
}

struct log_out {
	FILE *out;
	uint64_t n;
};

static int write_log(void *ctx, char *line, size_t len)
{
	struct log_out *lo = ctx;

	fputs(lo->n++ ? ",\n    " : "\n    ", lo->out);
	fwrite(line, 1, len, lo->out);
	return 0;
}

struct line_out {
	void (*line)(void *ctx, const char *text);
	void *ctx;
};

static int give_line(void *ctx, char *line, size_t len)
{
	struct line_out *lo = ctx;

	(void)len;
	lo->line(lo->ctx, line);
	return 0;
}

int coverage_write(struct coverage *cov, int64_t collected_at, FILE *out,
                   void (*line)(void *ctx, const char *text), void *ctx, struct error *err)
{
	json_t *head, *tail;
	struct log_out lo = {out, 0};
	struct line_out li = {line, ctx};
	struct strbuf sb = STRBUF_INIT;
	int first = 1;

	if (cov->cur)
		coverage_file_end(cov);
	if (cov->spill_errno)
		return spill_failed(cov, cov->spill_errno, err);
	head = doc_head(cov, collected_at);
	tail = doc_tail(cov);
	fputs("{\n", out);
	write_members(out, head, &first);
	fputs(",\n  \"logs\": [", out);
	if (spill_each(cov->records, write_log, &lo) < 0) {
		int e = errno;

		json_decref(head);
		json_decref(tail);
		return spill_failed(cov, e, err);
	}
	fputs(lo.n ? "\n  ]" : "]", out);
	first = 0;
	write_members(out, tail, &first);
	fputs("\n}\n", out);
	if (line) {
		if (spill_each(cov->summary, give_line, &li) < 0) {
			int e = errno;

			json_decref(head);
			json_decref(tail);
			return spill_failed(cov, e, err);
		}
		json_object_update(head, tail);
		cov_summary_sets(&sb, json_object_get(head, "rotation_sets"));
		cov_summary_host(&sb, head);
		if (sb.len == 0 && lo.n == 0)
			strbuf_addstr(&sb, "  (no logs)\n");
		for (char *p = sb.buf, *nl; p && *p; p = nl + 1) {
			nl = strchr(p, '\n');
			if (nl == NULL)
				break;
			*nl = '\0';
			line(ctx, p);
		}
		strbuf_release(&sb);
	}
	json_decref(head);
	json_decref(tail);
	if (fflush(out) != 0 || ferror(out)) {
		error_set(err, "coverage report: %s", strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

static int spill_open(struct coverage *cov, FILE **f)
{
	int fd = temp_fd_in(cov->spill_dir);

	if (fd < 0)
		return -1;
	*f = fdopen(fd, "w+");
	if (*f == NULL) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	setvbuf(*f, NULL, _IOFBF, 65536);
	return 0;
}

void cov_spill_record(struct coverage *cov, const json_t *rec)
{
	struct strbuf sb = STRBUF_INIT;

	if (cov->spill_errno)
		return;
	errno = 0;
	if ((cov->records == NULL && spill_open(cov, &cov->records) < 0) ||
	    (cov->summary == NULL && spill_open(cov, &cov->summary) < 0) ||
	    json_dumpf(rec, cov->records, JSON_ENSURE_ASCII) < 0 ||
	    putc('\n', cov->records) == EOF) {
		cov->spill_errno = errno ? errno : EIO;
		return;
	}
	cov_summary_log(&sb, rec);
	if (sb.len && fwrite(sb.buf, 1, sb.len, cov->summary) != sb.len)
		cov->spill_errno = errno ? errno : EIO;
	strbuf_release(&sb);
	cov->n_records++;
}
