/* A flat JSON object written field by field, as jansson would encode it: see json-line.h. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/json-line.h"
#include "base/utf8.h"

/*
 * A JSON string as jansson writes it with JSON_ENSURE_ASCII: '"', '\\' and the C0 controls
 * escaped (the five with a short form by it), every code point past U+007F as \uXXXX (upper
 * case hex; past U+FFFF as a UTF-16 surrogate pair). The text must be UTF-8.
 */
/*
 * s as a JSON string. strict: a byte that is not UTF-8 fails it (-1: sb then holds part of
 * it), as jansson's json_string refuses the whole string; else it is written as U+FFFD
 * (jansson's own strings are UTF-8 already).
 */
static int add_string(struct strbuf *sb, const char *s, size_t len, int strict)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char short_escaped[] = "\"\\\b\f\n\r\t", short_escapes[] = "\"\\bfnrt";
	size_t i = 0, run = 0;

	strbuf_grow(sb, len + 2);
	strbuf_addch(sb, '"');
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t n = 1;
		char seq[12];
		const char *text = seq;
		size_t tlen = 6;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		/* The plain bytes before this one, in one piece. */
		strbuf_add(sb, s + run, i - run);
		cp = c;
		if (c >= 0x80 &&
		    (n = utf8_decode((const unsigned char *)s + i, len - i, &cp)) == 0) {
			if (strict)
				return -1;
			n = 1, cp = 0xFFFD;
		}
		/* JSON's two-character escapes; every other control character is written \uXXXX. */
		const char *shortcut = cp != 0 && cp < 0x80 ? strchr(short_escaped, (int)cp) : NULL;

		if (shortcut) {
			seq[0] = '\\';
			seq[1] = short_escapes[shortcut - short_escaped];
			tlen = 2;
		} else {
			uint32_t units[2] = {cp, 0};
			int count = 1;

			if (cp > 0xFFFF) {
				units[0] = 0xD800 | ((cp - 0x10000) >> 10);
				units[1] = 0xDC00 | ((cp - 0x10000) & 0x3FF);
				count = 2;
			}
			for (int u = 0; u < count; u++) {
				seq[u * 6] = '\\';
				seq[u * 6 + 1] = 'u';
				for (int k = 0; k < 4; k++)
					seq[u * 6 + 2 + k] = hex[(units[u] >> (12 - 4 * k)) & 0xF];
			}
			tlen = 6 * (size_t)count;
		}
		strbuf_add(sb, text, tlen);
		i += n;
		run = i;
	}
	strbuf_add(sb, s + run, len - run);
	strbuf_addch(sb, '"');
	return 0;
}

static void add_key(struct json_line *jl, const char *key)
{
	if (jl->fields++)
		strbuf_addch(&jl->text, ',');
	add_string(&jl->text, key, strlen(key), 0);
	strbuf_addch(&jl->text, ':');
}

void json_line_begin(struct json_line *jl)
{
	strbuf_reset(&jl->text);
	strbuf_addch(&jl->text, '{');
	jl->fields = 0;
}

/* Take back a field whose value could not be written, from at, with fields before it. */
static int take_back(struct json_line *jl, size_t at, int fields)
{
	jl->text.len = at;
	jl->text.buf[at] = '\0';
	jl->fields = fields;
	return -1;
}

int json_line_str(struct json_line *jl, const char *key, const char *value)
{
	size_t at = jl->text.len;
	int fields = jl->fields;

	add_key(jl, key);
	/* Checked as it is written, in one pass: a string that is not UTF-8 is taken back. */
	if (add_string(&jl->text, value, strlen(value), 1) == 0)
		return 0;
	return take_back(jl, at, fields);
}

void json_line_int(struct json_line *jl, const char *key, long long value)
{
	add_key(jl, key);
	strbuf_addint(&jl->text, value);
}

void json_line_bool(struct json_line *jl, const char *key, int value)
{
	add_key(jl, key);
	strbuf_addstr(&jl->text, value ? "true" : "false");
}

void json_line_null(struct json_line *jl, const char *key)
{
	add_key(jl, key);
	strbuf_addstr(&jl->text, "null");
}

/* A real as jansson writes it (the shortest form that reads back): rare, so jansson's own. */
static int add_real(struct strbuf *sb, const json_t *value)
{
	const size_t flags = JSON_ENCODE_ANY;
	size_t need = json_dumpb(value, NULL, 0, flags), got;

	if (need == 0)
		return -1;
	strbuf_grow(sb, need + 1);
	got = json_dumpb(value, sb->buf + sb->len, need, flags);
	if (got != need)
		return -1;
	sb->len += got;
	sb->buf[sb->len] = '\0';
	return 0;
}

int json_text_append(struct strbuf *sb, const json_t *value, int compact)
{
	const char *comma = compact ? "," : ", ", *colon = compact ? ":" : ": ";
	const char *key;
	json_t *item;
	size_t i;
	int first = 1;

	switch (json_typeof(value)) {
	case JSON_OBJECT:
		strbuf_addch(sb, '{');
		json_object_foreach((json_t *)value, key, item)
		{
			if (!first)
				strbuf_addstr(sb, comma);
			first = 0;
			add_string(sb, key, strlen(key), 0);
			strbuf_addstr(sb, colon);
			if (json_text_append(sb, item, compact) < 0)
				return -1;
		}
		strbuf_addch(sb, '}');
		return 0;
	case JSON_ARRAY:
		strbuf_addch(sb, '[');
		json_array_foreach(value, i, item)
		{
			if (i > 0)
				strbuf_addstr(sb, comma);
			if (json_text_append(sb, item, compact) < 0)
				return -1;
		}
		strbuf_addch(sb, ']');
		return 0;
	case JSON_STRING:
		add_string(sb, json_string_value(value), json_string_length(value), 0);
		return 0;
	case JSON_INTEGER:
		strbuf_addint(sb, (long long)json_integer_value(value));
		return 0;
	case JSON_REAL:
		return add_real(sb, value);
	case JSON_TRUE:
		strbuf_addstr(sb, "true");
		return 0;
	case JSON_FALSE:
		strbuf_addstr(sb, "false");
		return 0;
	case JSON_NULL:
		strbuf_addstr(sb, "null");
		return 0;
	}
	return -1;
}

int json_line_value(struct json_line *jl, const char *key, const json_t *value)
{
	size_t at = jl->text.len;
	int fields = jl->fields;

	if (value == NULL)
		return -1;
	add_key(jl, key);
	if (json_text_append(&jl->text, value, 1) == 0)
		return 0;
	return take_back(jl, at, fields);
}

int json_line_update(struct json_line *jl, const json_t *object)
{
	const char *key;
	json_t *value;
	int rc = 0;

	json_object_foreach((json_t *)object, key, value)
	{
		if (json_line_value(jl, key, value) < 0)
			rc = -1;
	}
	return rc;
}

const char *json_line_end(struct json_line *jl, size_t *len)
{
	strbuf_addch(&jl->text, '}');
	*len = jl->text.len;
	return jl->text.buf;
}

void json_line_release(struct json_line *jl)
{
	strbuf_release(&jl->text);
	jl->fields = 0;
}
