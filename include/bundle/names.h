/*
 * Names inside a bundle: whether a member's name is safe, how to print one, and a table of
 * names. The table hashes with SipHash-2-4 under a random key, so names chosen by whoever made
 * a bundle cannot be made to collide (an unkeyed hash let a 2 MB bundle make lookups
 * quadratic).
 */
#ifndef LOGPACK_NAMES_H
#define LOGPACK_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/util.h"

/* The longest member name accepted. */
#define BUNDLE_NAME_MAX 4096

/*
 * Is name (as found in an archive) a safe relative path: no "..", no absolute path, no empty
 * or "." components? A leading "./" is allowed. Returns NULL if safe, else the reason.
 */
const char *bundle_name_unsafe(const char *name);

/* A name from a bundle, safe to print: control bytes as \xHH, cut at 300 bytes. Caller frees. */
char *bundle_printable_name(const char *name);
/*
 * A JSON string of text from a bundle (or argv): as it is when it is UTF-8, else escaped as
 * bundle_printable_name escapes it (jansson refuses text that is not UTF-8). NULL only when out
 * of memory.
 */
json_t *bundle_json_text(const char *text);

/* SipHash-2-4 of data under a 16-byte key. */
uint64_t siphash24(const unsigned char key[16], const void *data, size_t len);

/*
 * A list of items found by name, built to hold a million names in little memory: items are
 * fixed-size records kept in blocks (never moved: a pointer to one stays valid), their names
 * are copied one after another into large blocks (no allocation per name), and the hash table
 * holds 32-bit indexes. The first field of every item is `const char *name`, which the table
 * sets to its copy of the name. Items are kept in the order added.
 */
struct name_table;

/* A new, empty table of items of item_size bytes, with a fresh random key. NULL with err when
 * no randomness is at hand. */
struct name_table *name_table_new(size_t item_size, struct error *err);
/* The item named name, or NULL. */
void *name_table_find(struct name_table *t, const char *name);
/* Add an item for a name not in the table yet: zeroed, its name set. */
void *name_table_add(struct name_table *t, const char *name);
size_t name_table_count(const struct name_table *t);
/* The i-th item added. */
void *name_table_item(const struct name_table *t, size_t i);
/* The bytes the table has allocated (items, names, slots): what a memory budget is charged. */
uint64_t name_table_memory(const struct name_table *t);
/* Slots looked at by every find and add so far (a measure of the table's work, for tests). */
uint64_t name_table_probes(const struct name_table *t);
/* Free the table; free_item (when not NULL) first frees what each item owns (not the item). */
void name_table_free(struct name_table *t, void (*free_item)(void *));

#endif
