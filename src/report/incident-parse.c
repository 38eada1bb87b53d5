/* Reading an incident report file: its lines made safe, then its fields. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/keyvalue.h"
#include "base/utf8.h"
#include "report/incident-private.h"

void incident_free(struct incident *inc)
{
	if (inc == NULL)
		return;
	for (size_t i = 0; i < INCIDENT_N_FIELDS; i++)
		free(inc->value[i]);
	for (size_t i = 0; i < inc->n_problems; i++)
		free(inc->problems[i].message);
	free(inc->problems);
	free(inc);
}

/* Stable: problems on the same line stay in the order they were found. */
void incident_add_problem(struct incident *inc, int line, const char *fmt, ...)
{
	va_list ap;
	size_t at;

	inc->problems = xreallocarray(inc->problems, inc->n_problems + 1, sizeof(*inc->problems));
	for (at = inc->n_problems; at > 0 && inc->problems[at - 1].line > line; at--)
		inc->problems[at] = inc->problems[at - 1];
	inc->problems[at].line = line;
	va_start(ap, fmt);
	inc->problems[at].message = xvasprintf(fmt, ap);
	va_end(ap);
	inc->n_problems++;
}

/*
 * Append one line of the file to sb, replacing what a report must not hold (bytes that are not
 * UTF-8, control characters other than tab, bidirectional marks) with '?' and noting a problem
 * for each kind found.
 */
static void clean_line(struct incident *inc, struct strbuf *sb, const char *s, size_t len, int line)
{
	const unsigned char *p = (const unsigned char *)s;
	int bad_utf8 = 0, bad_control = 0;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (n == 0) {
			bad_utf8 = 1;
			strbuf_addch(sb, '?');
			i++;
			continue;
		}
		if (cp != '\t' && incident_char_is_dangerous(cp)) {
			if (!bad_control)
				incident_add_problem(inc, line, "line %d: control character U+%04X",
				                     line, (unsigned)cp);
			bad_control = 1;
			strbuf_addch(sb, '?');
		} else {
			strbuf_add(sb, p + i, n);
		}
		i += n;
	}
	if (bad_utf8)
		incident_add_problem(inc, line, "line %d: not valid UTF-8 (save the file as UTF-8)",
		                     line);
}

/*
 * The whole text cleaned line by line, LF-terminated: a byte order mark (which editors on
 * Windows may write) and CRs before LF are dropped. Line numbers stay those of the file.
 */
static char *clean_text(struct incident *inc, const char *text, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	size_t pos = 0;
	int lineno = 0;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	strbuf_grow(&sb, len);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len, line_len = end - pos;

		lineno++;
		if (line_len > 0 && text[pos + line_len - 1] == '\r')
			line_len--;
		clean_line(inc, &sb, text + pos, line_len, lineno);
		strbuf_addch(&sb, '\n');
		pos = end + 1;
	}
	return strbuf_detach(&sb);
}

static int find_field(const char *key)
{
	for (int f = 0; f < INCIDENT_N_FIELDS; f++)
		if (strcasecmp(incident_fields[f].key, key) == 0)
			return f;
	return -1;
}

/* One field, or one line that is not one, from the key-value parser. */
static int take_item(void *ctx, struct kv_item *item)
{
	struct incident *inc = ctx;
	int line = item->line, f;

	switch (item->kind) {
	case KV_STRAY_INDENT:
		incident_add_problem(inc, line,
		                     "line %d: an indented line must continue an answer; start a "
		                     "field in the first column with 'key: answer'",
		                     line);
		return 0;
	case KV_NO_SEPARATOR:
		incident_add_problem(
		        inc, line,
		        "line %d: expected 'key: answer', got '%.40s' (indent the lines "
		        "that continue an answer)",
		        line, item->text);
		return 0;
	case KV_ENTRY:
		break;
	}
	f = find_field(item->key);
	if (f < 0) {
		incident_add_problem(inc, line, "line %d: unknown field '%.40s'", line, item->key);
		return 0;
	}
	if (inc->line[f] != 0) {
		incident_add_problem(inc, line, "line %d: %s given twice (first on line %d)", line,
		                     incident_fields[f].key, inc->line[f]);
		return 0;
	}
	inc->line[f] = line;
	inc->value[f] = item->value;
	item->value = NULL;
	return 0;
}

struct incident *incident_parse(const char *text, size_t len)
{
	static const struct kv_format format = {
	        .separator = ':', .blanks = " \t", .continuation = 1};
	struct incident *inc = xcalloc(1, sizeof(*inc));
	char *clean;

	inc->police_reported = -1;
	clean = clean_text(inc, text, len);
	kv_parse(clean, strlen(clean), &format, take_item, inc);
	free(clean);
	incident_check_fields(inc);
	return inc;
}

int incident_load(const char *path, struct incident **out, struct error *err)
{
	char *text;
	size_t len;

	if (read_small_file(path, INCIDENT_MAX_BYTES, &text, &len) < 0) {
		if (errno == EFBIG)
			error_set(err, "%s: larger than %d bytes; is this an incident report?",
			          path, INCIDENT_MAX_BYTES);
		else
			error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	*out = incident_parse(text, len);
	free(text);
	return 0;
}
