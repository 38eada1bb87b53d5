/* The "Key: value" tag files of a bag. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/keyvalue.h"
#include "base/util.h"
#include "bundle/tagfile.h"

/* The fields of a tag file, as kv_parse gives them; lines without a ':' are passed over. */
struct tag_fields {
	struct bundle_field **out;
	size_t *n_out;
	size_t cap;
};

static int tag_field(void *ctx, struct kv_item *item)
{
	struct tag_fields *tf = ctx;

	if (item->kind != KV_ENTRY)
		return 0;
	if (*tf->n_out == tf->cap) {
		tf->cap = tf->cap ? 2 * tf->cap : *tf->n_out + 8;
		*tf->out = xreallocarray(*tf->out, tf->cap, sizeof(**tf->out));
	}
	(*tf->out)[*tf->n_out].key = item->key;
	(*tf->out)[*tf->n_out].value = item->value;
	(*tf->n_out)++;
	item->key = item->value = NULL;
	return 0;
}

void tag_fields_parse(const char *text, struct bundle_field **out, size_t *n_out)
{
	/* RFC 8493 section 2.2.2: no comments, lines end at CR, LF or CRLF, and a line that
	 * starts with a blank continues the value above it. */
	static const struct kv_format format = {.separator = ':',
	                                        .blanks = " \t",
	                                        .continuation = KV_CONT_SPACE,
	                                        .no_comments = 1,
	                                        .cr_ends_line = 1};
	struct tag_fields tf = {out, n_out, 0};

	kv_parse(text, strlen(text), &format, tag_field, &tf);
}

const char *tag_fields_get(const struct bundle_field *f, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(f[i].key, key) == 0)
			return f[i].value;
	return NULL;
}

void tag_fields_free(struct bundle_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].key);
		free(f[i].value);
	}
	free(f);
}

int tag_encoding_parse(const char *name)
{
	static const struct {
		const char *name;
		enum tag_encoding enc;
	} names[] = {
	        {"UTF-8", TAG_ENC_UTF8},        {"UTF8", TAG_ENC_UTF8},
	        {"ISO-8859-1", TAG_ENC_LATIN1}, {"ISO8859-1", TAG_ENC_LATIN1},
	        {"ISO_8859-1", TAG_ENC_LATIN1}, {"LATIN1", TAG_ENC_LATIN1},
	        {"LATIN-1", TAG_ENC_LATIN1},    {"UTF-16", TAG_ENC_UTF16},
	        {"UTF16", TAG_ENC_UTF16},       {"UTF-16LE", TAG_ENC_UTF16LE},
	        {"UTF-16BE", TAG_ENC_UTF16BE},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i].name) == 0)
			return (int)names[i].enc;
	return -1;
}

void tag_decoder_init(struct tag_decoder *d, enum tag_encoding enc)
{
	memset(d, 0, sizeof(*d));
	d->enc = enc;
	d->big_endian = enc == TAG_ENC_UTF16BE;
	d->started = enc != TAG_ENC_UTF16; /* only plain UTF-16 looks for a byte order mark */
}

/* Append code point cp as UTF-8. */
static void add_utf8(struct strbuf *out, unsigned int cp)
{
	char b[4];

	if (cp < 0x80) {
		strbuf_addch(out, (char)cp);
		return;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		strbuf_add(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		strbuf_add(out, b, 3);
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		strbuf_add(out, b, 4);
	}
}

/* One UTF-16 code unit: pairs of surrogates make one code point, a lone one U+FFFD. */
static void utf16_unit(struct tag_decoder *d, unsigned int u, struct strbuf *out)
{
	if (d->high) {
		unsigned int high = d->high;

		d->high = 0;
		if (u >= 0xdc00 && u <= 0xdfff) {
			add_utf8(out, 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00));
			return;
		}
		add_utf8(out, 0xfffd);
	}
	if (u >= 0xd800 && u <= 0xdbff)
		d->high = u;
	else if (u >= 0xdc00 && u <= 0xdfff)
		add_utf8(out, 0xfffd);
	else
		add_utf8(out, u);
}

void tag_decoder_feed(struct tag_decoder *d, const void *buf, size_t len, struct strbuf *out)
{
	const unsigned char *p = buf;

	if (d->enc == TAG_ENC_UTF8) {
		strbuf_add(out, p, len);
		return;
	}
	if (d->enc == TAG_ENC_LATIN1) {
		for (size_t i = 0; i < len; i++)
			add_utf8(out, p[i]);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned int u;

		if (d->n_pend == 0) {
			d->pend = p[i];
			d->n_pend = 1;
			continue;
		}
		d->n_pend = 0;
		u = d->big_endian ? (unsigned int)d->pend << 8 | p[i]
		                  : (unsigned int)p[i] << 8 | d->pend;
		if (!d->started) {
			/* RFC 2781: a byte order mark says the order; without one, big-endian. */
			d->started = 1;
			if (u == 0xfeff)
				continue;
			if (u == 0xfffe) {
				d->big_endian = !d->big_endian;
				continue;
			}
		}
		utf16_unit(d, u, out);
	}
}
