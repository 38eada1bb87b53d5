/*
 * The walk's entry list on disk (walk-runs.h) and the cursor that reads the whole list back in
 * path order: a k-way merge of the runs and the entries still in memory.
 *
 * The file is private to this process (no name, mode 0600, in the output directory, which is
 * never collected), and is read back by the process that wrote it: records are raw structs.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gather/walk-runs.h"

/* Reading all runs at once: this much buffer in all, but never less than a page a run. */
#define MERGE_BUFFER (4u << 20)
#define RUN_BUFFER_MIN 4096u
#define RUN_BUFFER_MAX (64u << 10)
#define WRITE_BUFFER (64u << 10)
#define NO_RULE UINT32_MAX

enum { TEXT_PATH, TEXT_LINK, TEXT_WHY, TEXT_HOME, TEXT_SOURCE, TEXT_COUNT };
#define TEXT_NULL UINT32_MAX

/* One entry on disk: this header, then its TEXT_COUNT strings end to end, without NULs. */
struct run_record {
	uint64_t seq;
	uint32_t len[TEXT_COUNT]; /* TEXT_NULL: the pointer is NULL */
	uint32_t rule;            /* index in walk_runs.rules, or NO_RULE */
	uint32_t kind;
	struct stat st;
};

struct run_span {
	uint64_t offset, len;
};

struct walk_runs {
	int fd;
	char *dir;
	const struct rule *rules;
	size_t n_rules;
	struct run_span *spans;
	size_t n_spans;
	uint64_t end;
};

struct walk_runs *walk_runs_new(const char *dir, const struct rule *rules, size_t n_rules,
                                struct error *err)
{
	struct walk_runs *runs;
	int fd = temp_fd_in(dir);

	if (fd < 0) {
		error_set(err, "temporary file for the file list in %s: %s", dir, strerror(errno));
		return NULL;
	}
	runs = xcalloc(1, sizeof(*runs));
	runs->fd = fd;
	runs->dir = xstrdup(dir);
	runs->rules = rules;
	runs->n_rules = n_rules;
	return runs;
}

void walk_runs_free(struct walk_runs *runs)
{
	if (runs == NULL)
		return;
	close(runs->fd);
	free(runs->dir);
	free(runs->spans);
	free(runs);
}

void walk_entry_release(struct walk_entry *e)
{
	free(e->path);
	free(e->link_target);
	free(e->home_not_in_passwd);
	free(e->source_path);
}

static int entry_before(const struct walk_entry *a, const struct walk_entry *b)
{
	int c = strcmp(a->path, b->path);

	return c < 0 || (c == 0 && a->seq <= b->seq);
}

void walk_entries_sort(struct walk_entry *entries, size_t *count)
{
	size_t n = *count, out = 0;
	/* A merge sort of indices (qsort would take a second array as large as the entries). */
	size_t *order = xcalloc(n ? n : 1, sizeof(*order));

	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t width = 1; width < n; width *= 2) {
		size_t *tmp = xcalloc(n, sizeof(*tmp));

		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t a = lo, b = mid, k = lo;

			while (a < mid && b < hi) {
				if (entry_before(&entries[order[a]], &entries[order[b]]))
					tmp[k++] = order[a++];
				else
					tmp[k++] = order[b++];
			}
			while (a < mid)
				tmp[k++] = order[a++];
			while (b < hi)
				tmp[k++] = order[b++];
		}
		free(order);
		order = tmp;
	}
	/* Put the entries in that order in place, cycle by cycle (order[j] == j: done), rather
	 * than into a second array as large as the first. */
	for (size_t i = 0; i < n; i++) {
		struct walk_entry held;
		size_t j = i;

		if (order[i] == i)
			continue;
		held = entries[i];
		for (;;) {
			size_t from = order[j];

			order[j] = j;
			if (from == i) {
				entries[j] = held;
				break;
			}
			entries[j] = entries[from];
			j = from;
		}
	}
	free(order);
	for (size_t i = 0; i < n; i++) {
		struct walk_entry *e = &entries[i];

		if (out > 0 && strcmp(entries[out - 1].path, e->path) == 0) {
			walk_entry_release(e);
			continue;
		}
		entries[out++] = *e;
	}
	*count = out;
}

int walk_spilled(const struct walk_result *res)
{
	return res->runs != NULL;
}

struct run_writer {
	struct walk_runs *runs;
	unsigned char *buf;
	size_t len;
	uint64_t written;
	int errnum;
};

static void writer_flush(struct run_writer *w)
{
	size_t done = 0;

	while (done < w->len && w->errnum == 0) {
		ssize_t n = pwrite(w->runs->fd, w->buf + done, w->len - done,
		                   (off_t)(w->runs->end + w->written));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->errnum = n < 0 ? errno : EIO;
			break;
		}
		done += (size_t)n;
		w->written += (uint64_t)n;
	}
	w->len = 0;
}

static void writer_add(struct run_writer *w, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0 && w->errnum == 0) {
		size_t room = WRITE_BUFFER - w->len, n = len < room ? len : room;

		memcpy(w->buf + w->len, p, n);
		w->len += n;
		p += n;
		len -= n;
		if (w->len == WRITE_BUFFER)
			writer_flush(w);
	}
}

static const char *entry_text(const struct walk_entry *e, int k)
{
	switch (k) {
	case TEXT_PATH:
		return e->path;
	case TEXT_LINK:
		return e->link_target;
	case TEXT_WHY:
		return e->why;
	case TEXT_HOME:
		return e->home_not_in_passwd;
	default:
		return e->source_path;
	}
}

int walk_runs_write(struct walk_runs *runs, const struct walk_entry *entries, size_t n,
                    struct error *err)
{
	struct run_writer w = {.runs = runs, .buf = xmalloc(WRITE_BUFFER)};

	for (size_t i = 0; i < n && w.errnum == 0; i++) {
		const struct walk_entry *e = &entries[i];
		struct run_record rec;

		memset(&rec, 0, sizeof(rec));
		rec.seq = e->seq;
		rec.rule =
		        e->rule && e->rule >= runs->rules && e->rule < runs->rules + runs->n_rules
		                ? (uint32_t)(e->rule - runs->rules)
		                : NO_RULE;
		rec.kind = (uint32_t)e->kind;
		rec.st = e->st;
		for (int k = 0; k < TEXT_COUNT; k++) {
			const char *t = entry_text(e, k);
			size_t len = t ? strlen(t) : 0;

			if (len >= TEXT_NULL) {
				w.errnum = ENAMETOOLONG;
				break;
			}
			rec.len[k] = t ? (uint32_t)len : TEXT_NULL;
		}
		writer_add(&w, &rec, sizeof(rec));
		for (int k = 0; k < TEXT_COUNT; k++)
			if (rec.len[k] != TEXT_NULL)
				writer_add(&w, entry_text(e, k), rec.len[k]);
	}
	writer_flush(&w);
	free(w.buf);
	if (w.errnum) {
		error_set(err, "temporary file for the file list in %s: %s", runs->dir,
		          strerror(w.errnum));
		return -1;
	}
	runs->spans = xreallocarray(runs->spans, runs->n_spans + 1, sizeof(*runs->spans));
	runs->spans[runs->n_spans].offset = runs->end;
	runs->spans[runs->n_spans++].len = w.written;
	runs->end += w.written;
	return 0;
}

/* One input of the merge: a run on disk, or the entries in memory. */
struct merge_source {
	int in_memory;
	const struct walk_entry *mem;
	size_t mem_at, mem_n;
	uint64_t pos, end; /* the run's bytes not yet in buf */
	unsigned char *buf;
	size_t at, len, cap;
	struct walk_entry e; /* the current entry of a run, its strings in text */
	struct strbuf text;
	const struct walk_entry *head; /* the current entry, NULL at the end */
};

struct walk_cursor {
	const struct walk_result *res;
	struct merge_source *src;
	size_t n_src;
	size_t *heap; /* indexes into src of those with a head, least (path, seq) on top */
	size_t n_heap;
	struct merge_source *given; /* whose head the last call returned: advanced next call */
	int started;
};

static int source_read(const struct walk_runs *runs, struct merge_source *s, void *dst, size_t n)
{
	unsigned char *p = dst;

	while (n > 0) {
		size_t take;

		if (s->at == s->len) {
			size_t want = s->end - s->pos < s->cap ? (size_t)(s->end - s->pos) : s->cap;
			ssize_t got;

			if (want == 0) {
				errno = EIO; /* a record runs past its run: the file was changed */
				return -1;
			}
			got = pread(runs->fd, s->buf, want, (off_t)s->pos);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				if (got == 0)
					errno = EIO;
				return -1;
			}
			s->pos += (uint64_t)got;
			s->at = 0;
			s->len = (size_t)got;
		}
		take = s->len - s->at < n ? s->len - s->at : n;
		memcpy(p, s->buf + s->at, take);
		s->at += take;
		p += take;
		n -= take;
	}
	return 0;
}

/* Move s to its next entry (head NULL at the end). 0, or -1 with errno. */
static int source_advance(const struct walk_runs *runs, struct merge_source *s)
{
	struct run_record rec;
	size_t offs[TEXT_COUNT], total = 0;
	char **fields[TEXT_COUNT];

	if (s->in_memory) {
		s->head = s->mem_at < s->mem_n ? &s->mem[s->mem_at++] : NULL;
		return 0;
	}
	if (s->at == s->len && s->pos == s->end) {
		s->head = NULL;
		return 0;
	}
	if (source_read(runs, s, &rec, sizeof(rec)) < 0)
		return -1;
	if (rec.len[TEXT_PATH] == TEXT_NULL || (rec.rule != NO_RULE && rec.rule >= runs->n_rules)) {
		errno = EIO;
		return -1;
	}
	strbuf_reset(&s->text);
	for (int k = 0; k < TEXT_COUNT; k++) {
		offs[k] = total;
		if (rec.len[k] == TEXT_NULL)
			continue;
		strbuf_grow(&s->text, rec.len[k] + 1);
		if (source_read(runs, s, s->text.buf + s->text.len, rec.len[k]) < 0)
			return -1;
		s->text.len += rec.len[k];
		s->text.buf[s->text.len++] = '\0';
		total = s->text.len;
	}
	memset(&s->e, 0, sizeof(s->e));
	fields[TEXT_PATH] = &s->e.path;
	fields[TEXT_LINK] = &s->e.link_target;
	fields[TEXT_WHY] = (char **)&s->e.why;
	fields[TEXT_HOME] = &s->e.home_not_in_passwd;
	fields[TEXT_SOURCE] = &s->e.source_path;
	for (int k = 0; k < TEXT_COUNT; k++)
		*fields[k] = rec.len[k] == TEXT_NULL ? NULL : s->text.buf + offs[k];
	s->e.seq = rec.seq;
	s->e.rule = rec.rule == NO_RULE ? NULL : &runs->rules[rec.rule];
	s->e.kind = (enum entry_kind)rec.kind;
	s->e.st = rec.st;
	s->head = &s->e;
	return 0;
}

static int head_less(const struct merge_source *a, const struct merge_source *b)
{
	int c = strcmp(a->head->path, b->head->path);

	return c < 0 || (c == 0 && a->head->seq < b->head->seq);
}

static void heap_down(struct walk_cursor *c, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, least = i, t;

		if (l < c->n_heap && head_less(&c->src[c->heap[l]], &c->src[c->heap[least]]))
			least = l;
		if (r < c->n_heap && head_less(&c->src[c->heap[r]], &c->src[c->heap[least]]))
			least = r;
		if (least == i)
			return;
		t = c->heap[i];
		c->heap[i] = c->heap[least];
		c->heap[least] = t;
		i = least;
	}
}

static void heap_up(struct walk_cursor *c, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2, t;

		if (!head_less(&c->src[c->heap[i]], &c->src[c->heap[parent]]))
			return;
		t = c->heap[i];
		c->heap[i] = c->heap[parent];
		c->heap[parent] = t;
		i = parent;
	}
}

static void heap_push(struct walk_cursor *c, struct merge_source *s)
{
	if (s->head == NULL)
		return;
	c->heap[c->n_heap++] = (size_t)(s - c->src);
	heap_up(c, c->n_heap - 1);
}

static struct merge_source *heap_pop(struct walk_cursor *c)
{
	struct merge_source *top = &c->src[c->heap[0]];

	c->heap[0] = c->heap[--c->n_heap];
	heap_down(c, 0);
	return top;
}

struct walk_cursor *walk_cursor_open(const struct walk_result *res)
{
	struct walk_cursor *c = xcalloc(1, sizeof(*c));
	size_t n_runs = res->runs ? res->runs->n_spans : 0;
	size_t cap = n_runs ? MERGE_BUFFER / n_runs : 0;

	cap = cap < RUN_BUFFER_MIN ? RUN_BUFFER_MIN : cap > RUN_BUFFER_MAX ? RUN_BUFFER_MAX : cap;
	c->res = res;
	c->n_src = n_runs + 1;
	c->src = xcalloc(c->n_src, sizeof(*c->src));
	c->heap = xcalloc(c->n_src, sizeof(*c->heap));
	for (size_t i = 0; i < n_runs; i++) {
		c->src[i].pos = res->runs->spans[i].offset;
		c->src[i].end = res->runs->spans[i].offset + res->runs->spans[i].len;
		c->src[i].cap = cap;
		c->src[i].buf = xmalloc(cap);
	}
	c->src[n_runs].in_memory = 1;
	c->src[n_runs].mem = res->entries;
	c->src[n_runs].mem_n = res->count;
	return c;
}

int walk_cursor_next(struct walk_cursor *c, const struct walk_entry **e, struct error *err)
{
	const struct walk_runs *runs = c->res->runs;
	struct merge_source *s;

	/* The first call reads every source's first entry; later ones advance the one given. */
	if (!c->started) {
		c->started = 1;
		for (size_t i = 0; i < c->n_src; i++) {
			if (source_advance(runs, &c->src[i]) < 0)
				goto fail;
			heap_push(c, &c->src[i]);
		}
	} else if (c->given) {
		if (source_advance(runs, c->given) < 0)
			goto fail;
		heap_push(c, c->given);
		c->given = NULL;
	}
	if (c->n_heap == 0)
		return 0;
	s = heap_pop(c);
	/* The same path in another run, met later on the walk (a higher seq): the first wins. */
	while (c->n_heap > 0 && strcmp(c->src[c->heap[0]].head->path, s->head->path) == 0) {
		struct merge_source *later = heap_pop(c);

		if (source_advance(runs, later) < 0)
			goto fail;
		heap_push(c, later);
	}
	c->given = s;
	*e = s->head;
	return 1;
fail:
	error_set(err, "temporary file for the file list in %s: %s", runs ? runs->dir : "memory",
	          strerror(errno));
	return -1;
}

void walk_cursor_free(struct walk_cursor *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_src; i++) {
		free(c->src[i].buf);
		strbuf_release(&c->src[i].text);
	}
	free(c->src);
	free(c->heap);
	free(c);
}
