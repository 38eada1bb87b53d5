/* journald's export text redacted field by field (include/bundle/redact-export.h). */
#include "config.h"

#include <string.h>

#include "bundle/redact-export.h"

/* The exporter never writes a larger value (report/journal-export.h's JOURNAL_FIELD_MAX). */
#define EXPORT_VALUE_MAX (64u * 1024 * 1024)

enum { IN_LINE, IN_SIZE, IN_VALUE, IN_END };

void export_redactor_begin(struct export_redactor *er, struct tokeniser *tk, struct strbuf *out)
{
	memset(er, 0, sizeof(*er));
	er->tk = tk;
	er->out = out;
	er->state = IN_LINE;
}

/* A value through the tokeniser: noted, or replaced into scratch. */
static int value_through(struct export_redactor *er, const char *v, size_t n, struct error *err)
{
	strbuf_reset(&er->scratch);
	if (er->out == NULL)
		return tokeniser_scan(er->tk, v, n, err);
	return tokeniser_line(er->tk, v, n, &er->scratch, err);
}

/* A whole line: the blank line after an entry, "NAME=value", or a binary field's "NAME". */
static int line_done(struct export_redactor *er, struct error *err)
{
	const char *eq = er->field.len ? memchr(er->field.buf, '=', er->field.len) : NULL;
	size_t name_len;

	if (er->field.len == 0) {
		if (er->out)
			strbuf_addch(er->out, '\n');
		return 0;
	}
	if (eq == NULL) { /* a binary field: its size and bytes follow */
		er->state = IN_SIZE;
		er->n_size = 0;
		return 0;
	}
	name_len = (size_t)(eq - er->field.buf) + 1;
	if (value_through(er, eq + 1, er->field.len - name_len, err) < 0)
		return -1;
	if (er->out) {
		strbuf_add(er->out, er->field.buf, name_len);
		strbuf_add(er->out, er->scratch.buf ? er->scratch.buf : "", er->scratch.len);
		strbuf_addch(er->out, '\n');
	}
	strbuf_reset(&er->field);
	return 0;
}

/* A binary field's bytes are all there: written with its new size. */
static int binary_done(struct export_redactor *er, struct error *err)
{
	uint8_t size[8];

	if (value_through(er, er->value.buf ? er->value.buf : "", er->value.len, err) < 0)
		return -1;
	if (er->out) {
		uint64_t n = er->scratch.len;

		for (int i = 0; i < 8; i++)
			size[i] = (uint8_t)(n >> (8 * i));
		strbuf_add(er->out, er->field.buf, er->field.len);
		strbuf_addch(er->out, '\n');
		strbuf_add(er->out, (const char *)size, sizeof(size));
		strbuf_add(er->out, er->scratch.buf ? er->scratch.buf : "", er->scratch.len);
		strbuf_addch(er->out, '\n');
	}
	strbuf_reset(&er->field);
	strbuf_reset(&er->value);
	return 0;
}

int export_redactor_data(struct export_redactor *er, const void *buf, size_t len, struct error *err)
{
	const char *p = buf, *end = p + len;

	while (p < end) {
		size_t take;

		switch (er->state) {
		case IN_LINE: {
			const char *nl = memchr(p, '\n', (size_t)(end - p));

			take = nl ? (size_t)(nl - p) : (size_t)(end - p);
			if (er->field.len + take > EXPORT_VALUE_MAX + 256) {
				error_set(err, "export text: a line longer than %u MiB",
				          EXPORT_VALUE_MAX >> 20);
				return -1;
			}
			strbuf_add(&er->field, p, take);
			p += take;
			if (nl == NULL)
				break;
			p++;
			if (line_done(er, err) < 0)
				return -1;
			break;
		}
		case IN_SIZE:
			er->size_bytes[er->n_size++] = (uint8_t)*p++;
			if (er->n_size < 8)
				break;
			er->left = 0;
			for (int i = 7; i >= 0; i--)
				er->left = er->left << 8 | er->size_bytes[i];
			if (er->left > EXPORT_VALUE_MAX) {
				error_set(err, "export text: a binary field of %llu bytes",
				          (unsigned long long)er->left);
				return -1;
			}
			strbuf_reset(&er->value);
			er->state = er->left ? IN_VALUE : IN_END;
			break;
		case IN_VALUE:
			take = er->left < (uint64_t)(end - p) ? (size_t)er->left
			                                      : (size_t)(end - p);
			strbuf_add(&er->value, p, take);
			p += take;
			er->left -= take;
			if (er->left == 0)
				er->state = IN_END;
			break;
		case IN_END:
			if (*p++ != '\n') {
				error_set(err,
				          "export text: a binary field not ended by a newline");
				return -1;
			}
			if (binary_done(er, err) < 0)
				return -1;
			er->state = IN_LINE;
			break;
		}
	}
	return 0;
}

int export_redactor_end(struct export_redactor *er, struct error *err)
{
	int rc = 0;

	if (er->state != IN_LINE || er->field.len > 0) {
		error_set(err, "export text: it ends inside a field");
		rc = -1;
	}
	strbuf_release(&er->field);
	strbuf_release(&er->value);
	strbuf_release(&er->scratch);
	return rc;
}
