/*
 * journald's export text through the tokeniser, as it streams by: a text field
 * ("NAME=value\n") has its value scanned or replaced, a binary field ("NAME\n", a 64-bit
 * little-endian size, the bytes, "\n") has its bytes scanned or replaced and its size written
 * anew, and the blank line between entries stays. Field names are never changed, so the
 * result is export text that systemd-journal-remote turns back into a journal file.
 */
#ifndef LOGPACK_REDACT_EXPORT_H
#define LOGPACK_REDACT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "trust/tokenise.h"

struct export_redactor {
	struct tokeniser *tk;
	struct strbuf *out; /* NULL: the first pass, addresses only noted */
	int state;
	struct strbuf field; /* a text line so far, or a binary field's name */
	uint8_t size_bytes[8];
	size_t n_size;
	uint64_t left; /* a binary value's bytes still to come */
	struct strbuf value;
	struct strbuf scratch;
};

/* Start on a journal's text: out NULL to scan, else where the redacted text is appended. */
void export_redactor_begin(struct export_redactor *er, struct tokeniser *tk, struct strbuf *out);
/* The next piece of export text: 0, or -1 with err (the tokeniser's, or text that is not
 * export text). */
int export_redactor_data(struct export_redactor *er, const void *buf, size_t len,
                         struct error *err);
/* The end: 0, or -1 with err when the text stops inside a field. Frees what it holds. */
int export_redactor_end(struct export_redactor *er, struct error *err);

#endif
