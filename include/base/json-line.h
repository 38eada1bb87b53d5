/*
 * A flat JSON object written field by field into a buffer kept across objects: the one record a
 * collected file gets in files.jsonl. jansson builds a tree of allocated values for each object
 * and allocates again to encode it; at a million files that was a fifth of the reading thread.
 * The text is what jansson's json_dumpb writes with JSON_COMPACT | JSON_ENSURE_ASCII for the
 * same fields in the same order, byte for byte (unit-json-line checks it against jansson), so
 * every reader of the records is unchanged. Values that are objects or arrays (rare: a
 * container's facts, a snapshot's decision) come from jansson trees, written the same way.
 */
#ifndef LOGPACK_JSON_LINE_H
#define LOGPACK_JSON_LINE_H

#include <jansson.h>

#include "base/util.h"

struct json_line {
	struct strbuf text;
	int fields;
};

/* Start a new object (the buffer is kept: no allocation once it has grown). */
void json_line_begin(struct json_line *jl);

/*
 * Each adds one field. A key must not be in the object yet. A string that is not UTF-8 is left
 * out with its key, as jansson's json_string refuses it; 0 when added, -1 when left out.
 */
int json_line_str(struct json_line *jl, const char *key, const char *value);
void json_line_int(struct json_line *jl, const char *key, long long value);
void json_line_bool(struct json_line *jl, const char *key, int value);
void json_line_null(struct json_line *jl, const char *key);
/* Any jansson value (NULL: left out); -1 when jansson cannot encode it. */
int json_line_value(struct json_line *jl, const char *key, const json_t *value);
/* Every field of a jansson object, in its order. */
int json_line_update(struct json_line *jl, const json_t *object);

/*
 * Any jansson value appended to sb as json_dumpb writes it with JSON_ENSURE_ASCII (and
 * JSON_COMPACT when compact), without jansson's copy and loop check: 0, or -1 when jansson
 * could not encode it either (sb then holds part of it).
 */
int json_text_append(struct strbuf *sb, const json_t *value, int compact);

/* End the object: its text (valid until the next json_line_begin) and its length. */
const char *json_line_end(struct json_line *jl, size_t *len);

void json_line_release(struct json_line *jl);

#endif
