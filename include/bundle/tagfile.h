/* The "Key: value" tag files of a bag (bagit.txt, bag-info.txt), with continuation lines. */
#ifndef LOGPACK_TAGFILE_H
#define LOGPACK_TAGFILE_H

#include <stddef.h>

struct bundle_field {
	char *key;
	char *value;
};

/* Append the fields of text (NUL-terminated) to *out / *n_out; values are joined lines. */
void tag_fields_parse(const char *text, struct bundle_field **out, size_t *n_out);
/* The value of key (first occurrence, case-insensitive), or NULL. */
const char *tag_fields_get(const struct bundle_field *f, size_t n, const char *key);
void tag_fields_free(struct bundle_field *f, size_t n);

#endif
