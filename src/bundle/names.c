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

struct name_table {
	unsigned char key[16];
	size_t name_offset;
	/* Open addressing over indexes into items (+1; 0 is empty). With a keyed hash the
	 * probe sequences stay short whatever names a bundle holds. */
	size_t *slots;
	size_t n_slots;
	void **items;
	size_t n_items, cap_items;
	uint64_t probes;
};

struct name_table *name_table_new(size_t name_offset, struct error *err)
{
	struct name_table *t = xcalloc(1, sizeof(*t));

	if (RAND_bytes(t->key, sizeof(t->key)) != 1) {
		error_set_openssl(err, "no random key for the name table");
		free(t);
		return NULL;
	}
	t->name_offset = name_offset;
	return t;
}

static const char *item_name(const struct name_table *t, const void *item)
{
	return (const char *)item + t->name_offset;
}

static size_t slot_of(struct name_table *t, const char *name)
{
	size_t mask = t->n_slots - 1;
	size_t i = (size_t)siphash24(t->key, name, strlen(name)) & mask;

	for (;; i = (i + 1) & mask) {
		t->probes++;
		if (t->slots[i] == 0 || strcmp(item_name(t, t->items[t->slots[i] - 1]), name) == 0)
			return i;
	}
}

void *name_table_find(struct name_table *t, const char *name)
{
	size_t i;

	if (t->n_slots == 0)
		return NULL;
	i = slot_of(t, name);
	return t->slots[i] ? t->items[t->slots[i] - 1] : NULL;
}

void name_table_add(struct name_table *t, void *item)
{
	if ((t->n_items + 1) * 2 > t->n_slots) {
		size_t n = t->n_slots ? t->n_slots * 2 : 1024;

		free(t->slots);
		t->slots = xcalloc(n, sizeof(*t->slots));
		t->n_slots = n;
		for (size_t k = 0; k < t->n_items; k++)
			t->slots[slot_of(t, item_name(t, t->items[k]))] = k + 1;
	}
	if (t->n_items == t->cap_items) {
		t->cap_items = t->cap_items ? t->cap_items * 2 : 1024;
		t->items = xreallocarray(t->items, t->cap_items, sizeof(*t->items));
	}
	t->items[t->n_items++] = item;
	t->slots[slot_of(t, item_name(t, item))] = t->n_items;
}

size_t name_table_count(const struct name_table *t)
{
	return t->n_items;
}

void *name_table_item(const struct name_table *t, size_t i)
{
	return t->items[i];
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
			free_item(t->items[i]);
	free(t->items);
	free(t->slots);
	OPENSSL_cleanse(t->key, sizeof(t->key));
	free(t);
}
