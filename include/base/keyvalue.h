/*
 * Files of "key: value" or "key = value" lines: the incident report and the config file. One
 * parser reads both, so that both follow the same rules for blanks and comments:
 *
 * - Lines end at LF. Blank lines are skipped. A '#' starts a comment line: only in the first
 *   column when indentation continues values (below), after any blanks otherwise.
 * - The key is what comes before the first separator, the value what comes after it, both
 *   without the blanks around them. A line with no separator is reported, not skipped.
 * - With continuation (the incident report), a line that starts with a blank continues the
 *   value above it: the value becomes its first line and the indented lines below, joined by
 *   LF, without the indentation they all share; empty lines between indented lines are kept
 *   as paragraph breaks, comment lines among them are skipped. An indented line with no value
 *   above it is reported.
 *
 * What a key means, whether it may be repeated and what an error message says stays with the
 * caller, which gets the file's entries and bad lines one at a time, in order.
 */
#ifndef LOGPACK_KEYVALUE_H
#define LOGPACK_KEYVALUE_H

#include <stddef.h>

struct kv_format {
	char separator;     /* ':' or '=' */
	const char *blanks; /* the characters trimmed around keys, values and lines: " \t" */
	int continuation;   /* indented lines continue the value above */
};

enum kv_kind {
	KV_ENTRY,        /* key and value */
	KV_NO_SEPARATOR, /* a line that is neither blank, a comment nor "key SEP value" */
	KV_STRAY_INDENT, /* an indented line with no value above it to continue */
};

struct kv_item {
	enum kv_kind kind;
	int line;    /* the line it starts on, from 1 */
	char *key;   /* KV_ENTRY only */
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
