/* The "Key: value" tag files of a bag (bagit.txt, bag-info.txt), with continuation lines. */
#ifndef LOGPACK_TAGFILE_H
#define LOGPACK_TAGFILE_H

#include <stddef.h>

#include "base/util.h"

struct bundle_field {
	char *key;
	char *value;
};

/*
 * Append the fields of text (NUL-terminated, decoded to UTF-8) to *out / *n_out, in order,
 * repeated keys included. Read by kv_parse as RFC 8493 says: lines end at CR, LF or CRLF; no
 * comments; an indented line continues the value above, after one space; blanks around keys
 * and values are dropped; a line without ':' is passed over.
 */
void tag_fields_parse(const char *text, struct bundle_field **out, size_t *n_out);
/* The value of key (first occurrence, case-insensitive), or NULL. */
const char *tag_fields_get(const struct bundle_field *f, size_t n, const char *key);
void tag_fields_free(struct bundle_field *f, size_t n);

/*
 * Tag files in the encodings Tag-File-Character-Encoding may name (BagIt 0.97 allows any; bags
 * in ISO-8859-1 and UTF-16 exist), decoded to UTF-8 as they stream by.
 */
enum tag_encoding {
	TAG_ENC_UTF8,
	TAG_ENC_LATIN1,
	TAG_ENC_UTF16, /* the byte order from a byte order mark, else big-endian */
	TAG_ENC_UTF16LE,
	TAG_ENC_UTF16BE,
};
/* The encoding a Tag-File-Character-Encoding value names, or -1 when not one of these. */
int tag_encoding_parse(const char *name);

struct tag_decoder {
	enum tag_encoding enc;
	int started, big_endian;
	unsigned char pend; /* the first byte of a UTF-16 unit split between chunks */
	size_t n_pend;
	unsigned int high; /* a high surrogate waiting for its low one */
};
void tag_decoder_init(struct tag_decoder *d, enum tag_encoding enc);
/* Append the UTF-8 of the next len bytes of a tag file to out (U+FFFD for what is malformed). */
void tag_decoder_feed(struct tag_decoder *d, const void *buf, size_t len, struct strbuf *out);

#endif
