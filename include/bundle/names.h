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

/* SipHash-2-4 of data under a 16-byte key. */
uint64_t siphash24(const unsigned char key[16], const void *data, size_t len);

/*
 * A set of items found by name; each item holds its NUL-terminated name name_offset bytes
 * from its start (0 for items that are plain strings). Items are kept in the order added.
 */
struct name_table;

/* The most memory one item costs a table (its slot and its place in the list), in bytes. */
#define NAME_TABLE_ITEM_COST (6 * sizeof(size_t))

/* A new, empty table with a fresh random key. NULL with err when no randomness is at hand. */
struct name_table *name_table_new(size_t name_offset, struct error *err);
/* The item named name, or NULL. */
void *name_table_find(struct name_table *t, const char *name);
/* Add an item whose name is not in the table yet. */
void name_table_add(struct name_table *t, void *item);
size_t name_table_count(const struct name_table *t);
/* The i-th item added. */
void *name_table_item(const struct name_table *t, size_t i);
/* Slots looked at by every find and add so far (a measure of the table's work, for tests). */
uint64_t name_table_probes(const struct name_table *t);
/* Free the table, and each item with free_item when it is not NULL. */
void name_table_free(struct name_table *t, void (*free_item)(void *));

#endif
