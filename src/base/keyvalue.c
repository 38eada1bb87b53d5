/* The parser for "key: value" and "key = value" files. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/keyvalue.h"
#include "base/util.h"

/* A line as written, indentation kept and trailing blanks dropped; len 0 for an empty one. */
struct kv_span {
	const char *s;
	size_t len;
};

/* The entry being read while its continuation lines may follow. */
struct kv_pending {
	int open;
	int line;
	char *key;
	struct kv_span first;
	struct kv_span *cont; /* KV_CONT_LINES: the indented lines, joined at the end */
	size_t n_cont, cap_cont;
	size_t blanks; /* empty lines since the last indented one: kept only if another follows */
	/* KV_CONT_SPACE: the value so far, extended in place (amortised, so linear in the text) */
	struct strbuf joined;
};

static int is_blank(const struct kv_format *fmt, char c)
{
	return c != '\0' && strchr(fmt->blanks, c) != NULL;
}

static struct kv_span trim(const struct kv_format *fmt, const char *s, size_t len)
{
	while (len > 0 && is_blank(fmt, *s)) {
		s++;
		len--;
	}
	while (len > 0 && is_blank(fmt, s[len - 1]))
		len--;
	return (struct kv_span){s, len};
}

static int report(const struct kv_format *fmt, kv_handler handler, void *ctx, enum kv_kind kind,
                  int line, struct kv_span text)
{
	struct kv_span t = trim(fmt, text.s, text.len);
	struct kv_item item = {.kind = kind, .line = line, .text = xstrndup(t.s, t.len)};
	int rc = handler(ctx, &item);

	free(item.text);
	return rc;
}

/* Hand one entry to the handler; takes key and value. */
static int emit_entry(kv_handler handler, void *ctx, int line, char *key, char *value)
{
	struct kv_item item = {.kind = KV_ENTRY, .line = line, .key = key, .value = value};
	int rc = handler(ctx, &item);

	free(item.key);
	free(item.value);
	return rc;
}

/* Hand the pending entry, with its continuation lines joined, to the handler. */
static int pending_finish(const struct kv_format *fmt, struct kv_pending *pd, kv_handler handler,
                          void *ctx)
{
	struct strbuf value = STRBUF_INIT;
	size_t indent = SIZE_MAX;
	int rc;

	if (!pd->open)
		return 0;
	if (fmt->continuation == KV_CONT_SPACE) {
		char *joined = strbuf_detach(&pd->joined);

		rc = emit_entry(handler, ctx, pd->line, pd->key, joined);
		memset(pd, 0, sizeof(*pd));
		return rc;
	}
	/* The indentation common to all continuation lines is layout, not content. */
	for (size_t i = 0; i < pd->n_cont; i++) {
		size_t n = 0;

		while (n < pd->cont[i].len && is_blank(fmt, pd->cont[i].s[n]))
			n++;
		if (pd->cont[i].len > 0 && n < indent)
			indent = n;
	}
	strbuf_add(&value, pd->first.s, pd->first.len);
	for (size_t i = 0; i < pd->n_cont; i++) {
		if (value.len > 0)
			strbuf_addch(&value, '\n');
		if (pd->cont[i].len > 0)
			strbuf_add(&value, pd->cont[i].s + indent, pd->cont[i].len - indent);
	}
	rc = emit_entry(handler, ctx, pd->line, pd->key, strbuf_detach(&value));
	free(pd->cont);
	memset(pd, 0, sizeof(*pd));
	return rc;
}

static void pending_add(struct kv_pending *pd, struct kv_span line)
{
	size_t n = pd->blanks;

	/* Empty lines count only between lines of the value: they are paragraph breaks. */
	if (pd->n_cont == 0 && pd->first.len == 0)
		n = 0;
	if (pd->n_cont + n + 1 > pd->cap_cont) {
		pd->cap_cont = pd->n_cont + n + 1 > 2 * pd->cap_cont ? pd->n_cont + n + 1
		                                                     : 2 * pd->cap_cont;
		pd->cont = xreallocarray(pd->cont, pd->cap_cont, sizeof(*pd->cont));
	}
	for (size_t i = 0; i < n; i++)
		pd->cont[pd->n_cont++] = (struct kv_span){"", 0};
	pd->cont[pd->n_cont++] = line;
	pd->blanks = 0;
}

static int parse_line(const struct kv_format *fmt, struct kv_pending *pd, struct kv_span line,
                      int lineno, kv_handler handler, void *ctx)
{
	struct kv_span t = trim(fmt, line.s, line.len), key, value;
	const char *sep;
	int rc;

	if (t.len == 0) {
		if (pd->open)
			pd->blanks++;
		return 0;
	}
	if (fmt->continuation == KV_CONT_LINES) {
		/* Comments are skipped wherever they are; they do not end a value. */
		if (line.s[0] == '#' && !fmt->no_comments)
			return 0;
		if (is_blank(fmt, line.s[0])) {
			if (!pd->open)
				return report(fmt, handler, ctx, KV_STRAY_INDENT, lineno, line);
			pending_add(pd, (struct kv_span){line.s, (size_t)(t.s + t.len - line.s)});
			return 0;
		}
	} else if (fmt->continuation == KV_CONT_SPACE && is_blank(fmt, line.s[0]) && pd->open) {
		strbuf_addch(&pd->joined, ' ');
		strbuf_add(&pd->joined, t.s, t.len);
		return 0;
	} else if (t.s[0] == '#' && !fmt->no_comments) {
		return 0;
	}
	if ((rc = pending_finish(fmt, pd, handler, ctx)) != 0)
		return rc;
	sep = memchr(t.s, fmt->separator, t.len);
	if (sep == NULL)
		return report(fmt, handler, ctx, KV_NO_SEPARATOR, lineno, t);
	key = trim(fmt, t.s, (size_t)(sep - t.s));
	value = trim(fmt, sep + 1, (size_t)(t.s + t.len - sep - 1));
	if (fmt->continuation == KV_CONT_NONE)
		return emit_entry(handler, ctx, lineno, xstrndup(key.s, key.len),
		                  xstrndup(value.s, value.len));
	pd->open = 1;
	pd->line = lineno;
	pd->key = xstrndup(key.s, key.len);
	if (fmt->continuation == KV_CONT_SPACE)
		strbuf_add(&pd->joined, value.s, value.len);
	else
		pd->first = value;
	return 0;
}

/*
 * The length of the line at text (without its end) and where the next one starts. One pass
 * over the bytes: looking for LF and CR apart would scan the rest of the text for every line.
 */
static size_t line_end(const struct kv_format *fmt, const char *text, size_t len, size_t *next)
{
	size_t i = 0;

	if (!fmt->cr_ends_line) {
		const char *nl = memchr(text, '\n', len);

		i = nl ? (size_t)(nl - text) : len;
		*next = i + (nl != NULL);
		return i;
	}
	while (i < len && text[i] != '\n' && text[i] != '\r')
		i++;
	*next = i;
	if (i < len)
		*next += text[i] == '\r' && i + 1 < len && text[i + 1] == '\n' ? 2 : 1;
	return i;
}

int kv_parse(const char *text, size_t len, const struct kv_format *fmt, kv_handler handler,
             void *ctx)
{
	struct kv_pending pd = {0};
	size_t pos = 0;
	int lineno = 0, rc = 0;

	while (pos < len && rc == 0) {
		size_t next, n = line_end(fmt, text + pos, len - pos, &next);

		lineno++;
		rc = parse_line(fmt, &pd, (struct kv_span){text + pos, n}, lineno, handler, ctx);
		pos += next;
	}
	if (rc == 0)
		rc = pending_finish(fmt, &pd, handler, ctx);
	free(pd.key);
	free(pd.cont);
	strbuf_release(&pd.joined);
	return rc;
}
