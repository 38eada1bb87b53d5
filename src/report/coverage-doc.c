/*
 * The coverage document: the per-file records, spilled to a temporary file as each file ends
 * and read back at the end; rotation sets worked out from the names (syslog, syslog.1,
 * syslog.2.gz; or dated, syslog-20240102), which wait in a temporary file of their own (the
 * done file); and the host-wide parts.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json-line.h"
#include "base/util.h"
#include "report/coverage-private.h"

/*
 * Generation of a rotated name: base and number (0: the live log; dated: -1, date in *date).
 * It owns a copy of what its set needs of the file (the done file is read a record at a
 * time): only rotated generations and the live logs of their bases are kept, a few hundred on
 * any host, which is all the memory the rotation sets take.
 */
struct generation {
	char *base;
	long number;
	long date;  /* YYYYMMDD for dateext rotations, else 0 */
	char *path; /* relative to the root */
	char *why;  /* why it was not read (coverage_file_present), or NULL */
	struct cov_done file;
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
		json_t *o = json_pack("{s:o}", "path", json_sprintf("/%s", g[i].path));

		if (g[i].number >= 0)
			json_object_set_new(o, "generation", json_integer(g[i].number));
		if (g[i].why)
			json_object_set_new(o, "not_read", json_string(g[i].why));
		if (g[i].file.have) {
			json_object_set_new(o, "first_event",
			                    coverage_time_json(g[i].file.first, g[i].file.local));
			json_object_set_new(o, "last_event",
			                    coverage_time_json(g[i].file.last, g[i].file.local));
		}
		json_array_append_new(gens, o);
		if (g[i].number > max)
			max = g[i].number;
		/* Contiguity: the next generation starts where this one ended. */
		if (prev && prev->file.have && g[i].file.have && prev->file.whole &&
		    g[i].file.whole) {
			int64_t d = g[i].file.first - prev->file.last;
			const char *kind = d >= cov->opt.gap_seconds         ? "gap"
			                   : -d > cov->opt.backwards_seconds ? "overlap"
			                                                     : NULL;

			if (kind)
				json_array_append_new(
				        breaks,
				        json_pack("{s:s,s:o,s:o,s:I,s:o,s:o}", "kind", kind,
				                  "older", json_sprintf("/%s", prev->path), "newer",
				                  json_sprintf("/%s", g[i].path), "seconds",
				                  (json_int_t)(d < 0 ? -d : d), "older_ends",
				                  coverage_time_json(prev->file.last,
				                                     prev->file.local),
				                  "newer_starts",
				                  coverage_time_json(g[i].file.first,
				                                     g[i].file.local)));
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
 * The done file: a record per file done, in the order they were done. A fixed head (the facts,
 * the length of the path, and of the reason or DONE_READ), then the path and the reason, neither
 * NUL-terminated. Only this process writes and reads it: in its own byte order. All members are
 * 64 bits wide, so the head has no padding to write.
 */
struct done_head {
	int64_t first, last;
	uint64_t path_len, why_len;
	uint64_t flags;
};

#define DONE_READ UINT64_MAX /* why_len of a file that was read */
#define DONE_HAVE 1u
#define DONE_WHOLE 2u
#define DONE_LOCAL 4u
/* No path or reason is that long: a length over it means the file is not what was written. */
#define DONE_MAX_LEN ((uint64_t)1 << 30)

static int spill_open(struct coverage *cov, FILE **f, char **buf);

void cov_done_add(struct coverage *cov, const char *path, const char *why,
                  const struct cov_done *facts)
{
	struct done_head h = {
	        .first = facts->first,
	        .last = facts->last,
	        .path_len = strlen(path),
	        .why_len = why ? strlen(why) : DONE_READ,
	        .flags = (facts->have ? DONE_HAVE : 0) | (facts->whole ? DONE_WHOLE : 0) |
	                 (facts->local ? DONE_LOCAL : 0),
	};

	/* After a failure the report fails: nothing more is worth writing. */
	if (cov->spill_errno)
		return;
	errno = 0;
	if ((cov->done == NULL && spill_open(cov, &cov->done, &cov->done_buf) < 0) ||
	    fwrite(&h, sizeof(h), 1, cov->done) != 1 ||
	    fwrite(path, 1, h.path_len, cov->done) != h.path_len ||
	    (why && fwrite(why, 1, h.why_len, cov->done) != h.why_len))
		cov->spill_errno = errno ? errno : EIO;
}

/* A record of the done file, read into buffers that grow to the longest path and reason. */
struct done_entry {
	struct cov_done facts;
	char *path;
	const char *why; /* NULL: the file was read; else in why_buf */
	char *why_buf;
	size_t path_cap, why_cap;
};

static void done_entry_release(struct done_entry *e)
{
	free(e->path);
	free(e->why_buf);
}

/* len bytes of f into *s, NUL-terminated; 0, or -1 (errno set: EIO when the file is cut). */
static int done_string(FILE *f, uint64_t len, char **s, size_t *cap)
{
	if (len > DONE_MAX_LEN) {
		errno = EIO;
		return -1;
	}
	if (len + 1 > *cap) {
		*cap = (size_t)len + 1;
		free(*s);
		*s = xmalloc(*cap);
	}
	if (fread(*s, 1, (size_t)len, f) != len) {
		errno = ferror(f) && errno ? errno : EIO;
		return -1;
	}
	(*s)[len] = '\0';
	return 0;
}

/* The next record of the done file: 1, 0 at its end, or -1 (errno set). */
static int done_next(FILE *f, struct done_entry *e)
{
	struct done_head h;
	size_t n;

	errno = 0;
	n = fread(&h, 1, sizeof(h), f);
	if (n == 0 && feof(f) && !ferror(f))
		return 0;
	if (n != sizeof(h)) {
		errno = ferror(f) && errno ? errno : EIO;
		return -1;
	}
	if (done_string(f, h.path_len, &e->path, &e->path_cap) < 0)
		return -1;
	e->why = NULL;
	if (h.why_len != DONE_READ) {
		if (done_string(f, h.why_len, &e->why_buf, &e->why_cap) < 0)
			return -1;
		e->why = e->why_buf;
	}
	e->facts.first = h.first;
	e->facts.last = h.last;
	e->facts.have = (h.flags & DONE_HAVE) != 0;
	e->facts.whole = (h.flags & DONE_WHOLE) != 0;
	e->facts.local = (h.flags & DONE_LOCAL) != 0;
	return 1;
}

static void generations_free(struct generation *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(g[i].base);
		free(g[i].path);
		free(g[i].why);
	}
	free(g);
}

/*
 * The rotated generations first (few, on any host), then each live log whose base one of them
 * shares: the thousands of logs that were never rotated cost nothing here, and the done file
 * is read a record at a time, twice. The sets to *out, or -1 (errno set) when it could not be
 * read.
 */
static int rotation_sets(struct coverage *cov, json_t **out)
{
	struct generation *g = NULL, probe;
	struct done_entry e = {0};
	json_t *sets;
	size_t n = 0, cap = 0, rotated;
	int rc = 0;

	/* Without a rotated generation there is no set (and nothing for pass 1 to look up). */
	for (int pass = 0; cov->done && pass < 2 && (pass == 0 || n > 0); pass++) {
		rotated = n;
		if (fflush(cov->done) != 0 || fseek(cov->done, 0, SEEK_SET) != 0) {
			rc = -1;
			break;
		}
		while ((rc = done_next(cov->done, &e)) > 0) {
			parse_generation(e.path, &probe);
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
			probe.path = xstrdup(e.path);
			probe.why = e.why ? xstrdup(e.why) : NULL;
			probe.file = e.facts;
			g[n++] = probe;
		}
		if (rc < 0)
			break;
		if (pass == 0 && n > 0)
			qsort(g, n, sizeof(*g), cmp_base);
	}
	/* Files done after this are appended at the end. */
	if (rc == 0 && cov->done && fseek(cov->done, 0, SEEK_END) != 0)
		rc = -1;
	done_entry_release(&e);
	if (rc < 0) {
		/* Where the file stands is not known now: no later file may be added to it. */
		cov->spill_errno = errno ? errno : EIO;
		generations_free(g, n);
		errno = cov->spill_errno;
		return -1;
	}
	sets = json_array();
	if (n > 0)
		qsort(g, n, sizeof(*g), cmp_generation);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && strcmp(g[j].base, g[i].base) == 0)
			j++;
		json_array_append_new(sets, rotation_set(cov, g + i, j - i));
		i = j;
	}
	generations_free(g, n);
	*out = sets;
	return 0;
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

/* The members after "logs"; NULL (errno set) when the done file could not be read. */
static json_t *doc_tail(struct coverage *cov)
{
	json_t *tail, *sets;

	if (rotation_sets(cov, &sets) < 0)
		return NULL;
	tail = json_object();
	json_object_set_new(tail, "rotation_sets", sets);
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
	json_t *doc, *tail, *logs = json_array();

	if (cov->cur)
		coverage_file_end(cov);
	if (cov->spill_errno || spill_each(cov->records, load_record, logs) < 0 ||
	    (tail = doc_tail(cov)) == NULL) {
		json_decref(logs);
		return NULL;
	}
	doc = doc_head(cov, collected_at);
	json_object_set_new(doc, "logs", logs);
	json_object_update_new(doc, tail);
	return doc;
}

/* Each member of obj as "  "key": value", the value indented to its depth. */
static void write_members(struct strbuf *out, const json_t *obj, int *first)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)obj, key, value)
	{
		json_t *k = json_string(key);
		char *kt = json_dumps(k, JSON_ENCODE_ANY | JSON_ENSURE_ASCII),
		     *vt = json_dumps(value, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);

		strbuf_addf(out, "%s  %s: ", *first ? "" : ",\n", kt ? kt : "\"\"");
		/* Line by line, each indented two more (at many logs the rotation sets are big). */
		for (const char *p = vt ? vt : "null", *nl; *p; p = nl + 1) {
			nl = strchr(p, '\n');
			if (nl == NULL) {
				strbuf_addstr(out, p);
				break;
			}
			strbuf_add(out, p, (size_t)(nl - p) + 1);
			strbuf_addstr(out, "  ");
		}
		*first = 0;
		free(kt);
		free(vt);
		json_decref(k);
	}
}

/*
 * The records as the document's "logs" array holds them, "\n    " before the first and
 * ",\n    " before each other, from the spill file of one record a line, in pieces of
 * COPY_CHUNK to out. Exactly logs_size bytes (logs_bytes); 0, or -1 with errno set.
 */
#define COPY_CHUNK 65536

static uint64_t logs_bytes(uint64_t spill_size, uint64_t n_records)
{
	return n_records ? spill_size + 5 * n_records - 1 : 0;
}

static int write_logs(struct coverage *cov, const struct coverage_out *out, struct error *err)
{
	FILE *f = cov->records;
	char *in;
	struct strbuf text = STRBUF_INIT;
	uint64_t lines = 0;
	int at_start = 1; /* the next byte begins a record */
	size_t n;
	int rc = -1;

	if (f == NULL)
		return 0;
	if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
		return spill_failed(cov, errno, err);
	in = xmalloc(COPY_CHUNK);
	while ((n = fread(in, 1, COPY_CHUNK, f)) > 0) {
		const char *p = in, *end = in + n;

		strbuf_reset(&text);
		while (p < end) {
			const char *nl;

			if (at_start) {
				strbuf_addstr(&text, lines ? ",\n    " : "\n    ");
				at_start = 0;
			}
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL) {
				strbuf_add(&text, p, (size_t)(end - p));
				break;
			}
			strbuf_add(&text, p, (size_t)(nl - p));
			lines++;
			at_start = 1;
			p = nl + 1;
		}
		if (out->write(out->ctx, text.buf, text.len, err) < 0)
			goto done;
	}
	if (ferror(f)) {
		spill_failed(cov, errno, err);
		goto done;
	}
	/* The size was announced from the file's length and count: it must not have changed. */
	if (!at_start || lines != cov->n_records) {
		spill_failed(cov, EIO, err);
		goto done;
	}
	rc = 0;
done:
	free(in);
	strbuf_release(&text);
	/* Later records are appended at the end. */
	if (fseek(f, 0, SEEK_END) != 0 && rc == 0)
		rc = spill_failed(cov, errno, err);
	return rc;
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

/* The document's text before the records (up to "\"logs\": [") and after them. */
static void doc_text(const json_t *head, const json_t *tail, uint64_t n_records,
                     struct strbuf *before, struct strbuf *after)
{
	int first = 1;

	strbuf_addstr(before, "{\n");
	write_members(before, head, &first);
	strbuf_addstr(before, ",\n  \"logs\": [");
	strbuf_addstr(after, n_records ? "\n  ]" : "]");
	first = 0;
	write_members(after, tail, &first);
	strbuf_addstr(after, "\n}\n");
}

int coverage_write(struct coverage *cov, int64_t collected_at, const struct coverage_out *out,
                   void (*line)(void *ctx, const char *text), void *ctx, struct error *err)
{
	json_t *head, *tail;
	struct line_out li = {line, ctx};
	struct strbuf sb = STRBUF_INIT, before = STRBUF_INIT, after = STRBUF_INIT;
	uint64_t spill_size = 0;
	int rc = -1;

	if (cov->cur)
		coverage_file_end(cov);
	if (cov->spill_errno)
		return spill_failed(cov, cov->spill_errno, err);
	/* The rotation sets before a byte is written: a done file that cannot be read fails it. */
	tail = doc_tail(cov);
	if (tail == NULL)
		return spill_failed(cov, errno, err);
	head = doc_head(cov, collected_at);
	if (cov->records) {
		off_t end;

		if (fflush(cov->records) != 0 || (end = ftello(cov->records)) < 0) {
			spill_failed(cov, errno, err);
			goto out;
		}
		spill_size = (uint64_t)end;
	}
	doc_text(head, tail, cov->n_records, &before, &after);
	if (out->begin(out->ctx, before.len + logs_bytes(spill_size, cov->n_records) + after.len,
	               err) < 0 ||
	    out->write(out->ctx, before.buf, before.len, err) < 0 ||
	    write_logs(cov, out, err) < 0 || out->write(out->ctx, after.buf, after.len, err) < 0)
		goto out;
	if (line) {
		if (spill_each(cov->summary, give_line, &li) < 0) {
			spill_failed(cov, errno, err);
			goto out;
		}
		json_object_update(head, tail);
		cov_summary_sets(&sb, json_object_get(head, "rotation_sets"));
		cov_summary_host(&sb, head);
		if (sb.len == 0 && cov->n_records == 0)
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
	rc = 0;
out:
	strbuf_release(&before);
	strbuf_release(&after);
	strbuf_release(&sb);
	json_decref(head);
	json_decref(tail);
	return rc;
}

static int spill_open(struct coverage *cov, FILE **f, char **buf)
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
	*buf = stream_buffer(*f, 65536);
	return 0;
}

void cov_spill_record(struct coverage *cov, const json_t *rec)
{
	struct strbuf sb = STRBUF_INIT;

	if (cov->spill_errno)
		return;
	errno = 0;
	/*
	 * The record is written into memory as jansson would dump it, then in one call: json_dumpf
	 * writes each token through the stream, which cost a tenth of collect's time at many small
	 * files, and jansson's dump itself was near half of the analysis thread's time.
	 */
	if ((cov->records == NULL && spill_open(cov, &cov->records, &cov->records_buf) < 0) ||
	    (cov->summary == NULL && spill_open(cov, &cov->summary, &cov->summary_buf) < 0) ||
	    json_text_append(&sb, rec, 0) < 0) {
		cov->spill_errno = errno ? errno : EIO;
		strbuf_release(&sb);
		return;
	}
	strbuf_addch(&sb, '\n');
	if (fwrite(sb.buf, 1, sb.len, cov->records) != sb.len) {
		cov->spill_errno = errno ? errno : EIO;
		strbuf_release(&sb);
		return;
	}
	strbuf_reset(&sb);
	cov_summary_log(&sb, rec);
	if (sb.len && fwrite(sb.buf, 1, sb.len, cov->summary) != sb.len)
		cov->spill_errno = errno ? errno : EIO;
	strbuf_release(&sb);
	cov->n_records++;
}
