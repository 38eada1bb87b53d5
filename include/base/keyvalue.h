/*
 * Files of "key: value" or "key = value" lines: the incident report, the config files, receipts
 * and the tag files of a bag (bagit.txt, bag-info.txt). One parser reads them all, so that they
 * follow the same rules for blanks, comments and continuation lines:
 *
 * - Lines end at LF; with cr_ends_line also at CR and CRLF (RFC 8493). Blank lines are skipped.
 *   A '#' starts a comment line, unless no_comments: only in the first column when indentation
 *   continues values as the incident report does (below), after any blanks otherwise.
 * - The key is what comes before the first separator, the value what comes after it, both
 *   without the blanks around them. A line with no separator is reported, not skipped.
 * - With KV_CONT_LINES (the incident report), a line that starts with a blank continues the
 *   value above it: the value becomes its first line and the indented lines below, joined by
 *   LF, without the indentation they all share; empty lines between indented lines are kept
 *   as paragraph breaks, comment lines among them are skipped. An indented line with no value
 *   above it is reported.
 * - With KV_CONT_SPACE (RFC 8493 tag files), a line that starts with a blank continues the
 *   value above it: it is appended, without the blanks around it, after one space. Empty lines
 *   do not end the value. An indented line with no value above it is read as an ordinary line
 *   (as bagit-python does). Joining costs time linear in the text, however many lines.
 * - Entries come in the order written, repeated keys included (bag-info.txt repeats keys).
 *
 * What a key means, whether it may be repeated and what an error message says stays with the
 * caller, which gets the file's entries and bad lines one at a time, in order.
 */
#ifndef LOGPACK_KEYVALUE_H
#define LOGPACK_KEYVALUE_H

#include <stddef.h>

enum kv_continuation {
	KV_CONT_NONE = 0,  /* every line stands alone */
	KV_CONT_LINES = 1, /* indented lines continue the value above, joined by LF */
	KV_CONT_SPACE = 2, /* indented lines continue the value above, joined by one space */
};

struct kv_format {
	char separator;     /* ':' or '=' */
	const char *blanks; /* the characters trimmed around keys, values and lines: " \t" */
	int continuation;   /* enum kv_continuation */
	int no_comments;    /* '#' is text like any other (tag files have no comments) */
	int cr_ends_line;   /* CR and CRLF end a line as LF does */
};

enum kv_kind {
	KV_ENTRY,        /* key and value */
	KV_NO_SEPARATOR, /* a line that is neither blank, a comment nor "key SEP value" */
	KV_STRAY_INDENT, /* an indented line with no value above it to continue */
};

struct kv_item {
	enum kv_kind kind;
	int line;    /* the line it starts on, from 1 */
	char *key;   /* KV_ENTRY only; the handler may take it, as the value */
	char *value; /* KV_ENTRY only; the handler may take it, leaving NULL in its place */
	char *text; /* bad lines only: the line from its first non-blank, without trailing blanks */
};

/*
 * Called for every entry and every bad line. Returns 0 to go on; anything else stops the
 * parse, and kv_parse returns it.
 */
typedef int (*kv_handler)(void *ctx, struct kv_item *item);

/* Parse len bytes of text. Returns 0 when the handler let it read to the end. */
int kv_parse(const char *text, size_t len, const struct kv_format *fmt, kv_handler handler,
             void *ctx);

#endif
