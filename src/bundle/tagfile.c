/* The "Key: value" tag files of a bag. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "bundle/tagfile.h"

void tag_fields_parse(const char *text, struct bundle_field **out, size_t *n_out)
{
	const char *p = text;
	/* The last field's value while continuation lines extend it: joined once, not per line,
	 * which would be quadratic in a hostile tag file of a million short lines. */
	struct strbuf joined = STRBUF_INIT;
	int joining = 0;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		const char *colon = memchr(p, ':', len);
		/* Taken before len drops a CR: a last line "...\r" must still end the loop. */
		const char *next = eol ? eol + 1 : p + len;

		if (len > 0 && p[len - 1] == '\r')
			len--;
		if ((*p == ' ' || *p == '\t') && *n_out > 0) {
			const char *m = p;

			if (!joining)
				strbuf_addstr(&joined, (*out)[*n_out - 1].value);
			joining = 1;
			while (m < p + len && (*m == ' ' || *m == '\t'))
				m++;
			strbuf_addch(&joined, ' ');
			strbuf_add(&joined, m, (size_t)(p + len - m));
		} else if (colon) {
			const char *v = colon + 1;

			if (joining) {
				free((*out)[*n_out - 1].value);
				(*out)[*n_out - 1].value = strbuf_detach(&joined);
				joining = 0;
			}
			while (v < p + len && (*v == ' ' || *v == '\t'))
				v++;
			*out = xreallocarray(*out, *n_out + 1, sizeof(**out));
			(*out)[*n_out].key = xstrndup(p, (size_t)(colon - p));
			(*out)[*n_out].value = xstrndup(v, (size_t)(p + len - v));
			(*n_out)++;
		}
		p = next;
	}
	if (joining) {
		free((*out)[*n_out - 1].value);
		(*out)[*n_out - 1].value = strbuf_detach(&joined);
	}
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
