/* Names inside a bundle: safety, printing, and a keyed table. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "base/printable.h"
#include "bundle/manifest.h"
#include "bundle/names.h"

const char *bundle_name_unsafe(const char *name)
{
	const char *p = name, *slash;

	if (*p == '\0')
		return "has an empty name";
	if (*p == '/')
		return "is an absolute path";
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (strlen(name) > BUNDLE_NAME_MAX)
		return "has a name too long";
	while (*p) {
		size_t len;

		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return "has '..' in its name";
		if (len == 1 && p[0] == '.')
			return "has '.' in its name";
		if (len == 0)
			return "has an empty name component ('//')";
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	return NULL;
}

char *bundle_printable_name(const char *s)
{
	return printable_text(s, strlen(s), 300, 0);
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

static uint64_t load_le64(const unsigned char *p)
{
	uint64_t x = 0;

	for (int i = 7; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

json_t *bundle_json_text(const char *text)
{
	json_t *v = json_string(text);
	char *shown;

	if (v)
		return v;
	shown = bundle_printable_name(text);
	v = json_string(shown);
	free(shown);
	return v;
}

uint64_t siphash24(const unsigned char key[16], const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8), m;
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
	                 k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
	unsigned char last[8] = {0};
	size_t full = len & ~(size_t)7;

	for (size_t i = 0; i < full; i += 8) {
		m = load_le64(p + i);
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}
	memcpy(last, p + full, len - full);
	last[7] = (unsigned char)len;
	m = load_le64(last);
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

#define ITEMS_PER_BLOCK 4096
#define NAME_BLOCK (1024 * 1024)

struct name_table {
	unsigned char key[16];
	size_t item_size;
	/* Open addressing over indexes into the items (+1; 0 is empty). With a keyed hash the
	 * probe sequences stay short whatever names a bundle holds; 4 bytes a slot, at most half
	 * of them used, is 8 to 16 bytes a name. */
	uint32_t *slots;
	size_t n_slots;
	/* ITEMS_PER_BLOCK items a block: no item moves, none costs an allocation of its own. */
	unsigned char **item_blocks;
	size_t n_items, n_item_blocks, cap_item_blocks;
	/* Names end to end in blocks of NAME_BLOCK (or one name's length, when longer). */
	char **name_blocks;
	size_t n_name_blocks, cap_name_blocks;
	size_t name_used, name_room; /* in the last name block */
	uint64_t memory;
	uint64_t probes;
};

struct name_table *name_table_new(size_t item_size, struct error *err)
{
	struct name_table *t = xcalloc(1, sizeof(*t));

	if (RAND_bytes(t->key, sizeof(t->key)) != 1) {
		error_set_openssl(err, "no random key for the name table");
		free(t);
		return NULL;
	}
	t->item_size = item_size;
	t->memory = sizeof(*t);
	return t;
}

static const char *item_name(const void *item)
{
	return *(const char *const *)item;
}

void *name_table_item(const struct name_table *t, size_t i)
{
	return t->item_blocks[i / ITEMS_PER_BLOCK] + (i % ITEMS_PER_BLOCK) * t->item_size;
}

static size_t slot_of(struct name_table *t, const char *name)
{
	size_t mask = t->n_slots - 1;
	size_t i = (size_t)siphash24(t->key, name, strlen(name)) & mask;

	for (;; i = (i + 1) & mask) {
		t->probes++;
		if (t->slots[i] == 0 ||
		    strcmp(item_name(name_table_item(t, t->slots[i] - 1)), name) == 0)
			return i;
	}
}

void *name_table_find(struct name_table *t, const char *name)
{
	size_t i;

	if (t->n_slots == 0)
		return NULL;
	i = slot_of(t, name);
	return t->slots[i] ? name_table_item(t, t->slots[i] - 1) : NULL;
}

/* Grow a block list by one pointer. */
static void *grow_list(struct name_table *t, void *list, size_t n, size_t *cap)
{
	if (n < *cap)
		return list;
	t->memory -= *cap * sizeof(void *);
	*cap = *cap ? *cap * 2 : 16;
	t->memory += *cap * sizeof(void *);
	return xreallocarray(list, *cap, sizeof(void *));
}

/* The table's copy of name, after the names before it. */
static const char *copy_name(struct name_table *t, const char *name)
{
	size_t len = strlen(name) + 1;
	char *copy;

	if (t->n_name_blocks == 0 || t->name_room - t->name_used < len) {
		size_t size = len > NAME_BLOCK ? len : NAME_BLOCK;

		t->name_blocks =
		        grow_list(t, t->name_blocks, t->n_name_blocks, &t->cap_name_blocks);
		t->name_blocks[t->n_name_blocks++] = xmalloc(size);
		t->name_used = 0;
		t->name_room = size;
		t->memory += size;
	}
	copy = t->name_blocks[t->n_name_blocks - 1] + t->name_used;
	memcpy(copy, name, len);
	t->name_used += len;
	return copy;
}

void *name_table_add(struct name_table *t, const char *name)
{
	unsigned char *item;

	/* The slots hold 32-bit indexes; a memory budget stops a read long before. */
	if (t->n_items >= UINT32_MAX - 1)
		abort();
	if ((t->n_items + 1) * 2 > t->n_slots) {
		size_t n = t->n_slots ? t->n_slots * 2 : 1024;

		free(t->slots);
		t->memory -= t->n_slots * sizeof(*t->slots);
		t->slots = xcalloc(n, sizeof(*t->slots));
		t->n_slots = n;
		t->memory += n * sizeof(*t->slots);
		for (size_t k = 0; k < t->n_items; k++)
			t->slots[slot_of(t, item_name(name_table_item(t, k)))] = (uint32_t)(k + 1);
	}
	if (t->n_items == t->n_item_blocks * ITEMS_PER_BLOCK) {
		t->item_blocks =
		        grow_list(t, t->item_blocks, t->n_item_blocks, &t->cap_item_blocks);
		t->item_blocks[t->n_item_blocks++] = xmalloc(ITEMS_PER_BLOCK * t->item_size);
		t->memory += ITEMS_PER_BLOCK * t->item_size;
	}
	item = name_table_item(t, t->n_items);
	memset(item, 0, t->item_size);
	*(const char **)item = copy_name(t, name);
	t->slots[slot_of(t, name)] = (uint32_t)(++t->n_items);
	return item;
}

size_t name_table_count(const struct name_table *t)
{
	return t->n_items;
}

uint64_t name_table_memory(const struct name_table *t)
{
	return t->memory;
}

uint64_t name_table_probes(const struct name_table *t)
{
	return t->probes;
}

void name_table_free(struct name_table *t, void (*free_item)(void *))
{
	if (t == NULL)
		return;
	if (free_item)
		for (size_t i = 0; i < t->n_items; i++)
			free_item(name_table_item(t, i));
	for (size_t i = 0; i < t->n_item_blocks; i++)
		free(t->item_blocks[i]);
	for (size_t i = 0; i < t->n_name_blocks; i++)
		free(t->name_blocks[i]);
	free(t->item_blocks);
	free(t->name_blocks);
	free(t->slots);
	OPENSSL_cleanse(t->key, sizeof(t->key));
	free(t);
}
