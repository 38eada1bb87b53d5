/*
 * The restricted address map. Each class is a set the map permutes:
 *   - a special range (loopback, link-local, multicast, documentation, ...): the identity;
 *   - a block (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, fec0::/10, 2000::/3 less
 *     its special ranges): B(x) = the block's prefix, then Crypto-PAn(x)'s bits after it;
 *   - public IPv4 (none of the above) and other IPv6: B(x) = Crypto-PAn(x).
 * The class's permutation M(x) is the first of B(x), B(B(x)), ... that is in the class
 * ("cycle walking": a permutation of a superset, restricted to a subset by walking along its
 * cycles, is a permutation of the subset). Then M(x), M(M(x)), ... until the result is not
 * kept, not an input address and not already another address's result.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "trust/addrmap.h"
#include "trust/cryptopan.h"

/* A walk this long is, for AES as a random permutation, less likely than a hardware fault. */
#define WALK_MAX 4096

enum range_kind { RANGE_SPECIAL, RANGE_BLOCK };

struct range {
	uint8_t family;
	uint8_t len;
	enum range_kind kind;
	uint8_t prefix[16];
	const char *name;
};

/* Specials are listed before the blocks that contain them (2001:db8::/32 in 2000::/3). */
static const struct range ranges[] = {
        {4, 8, RANGE_SPECIAL, {0}, "special: this network (0/8)"},
        {4, 8, RANGE_SPECIAL, {127}, "special: loopback"},
        {4, 16, RANGE_SPECIAL, {169, 254}, "special: link-local"},
        {4, 24, RANGE_SPECIAL, {192, 0, 0}, "special: IETF protocol assignments"},
        {4, 24, RANGE_SPECIAL, {192, 0, 2}, "special: documentation"},
        {4, 24, RANGE_SPECIAL, {192, 88, 99}, "special: 6to4 relay anycast"},
        {4, 15, RANGE_SPECIAL, {198, 18}, "special: benchmarking"},
        {4, 24, RANGE_SPECIAL, {198, 51, 100}, "special: documentation"},
        {4, 24, RANGE_SPECIAL, {203, 0, 113}, "special: documentation"},
        {4, 4, RANGE_SPECIAL, {224}, "special: multicast"},
        {4, 4, RANGE_SPECIAL, {240}, "special: reserved and broadcast"},
        {4, 8, RANGE_BLOCK, {10}, "private 10/8"},
        {4, 12, RANGE_BLOCK, {172, 16}, "private 172.16/12"},
        {4, 16, RANGE_BLOCK, {192, 168}, "private 192.168/16"},
        {4, 10, RANGE_BLOCK, {100, 64}, "shared address space 100.64/10"},
        {6, 128, RANGE_SPECIAL, {0}, "special: unspecified"},
        {6,
         128,
         RANGE_SPECIAL,
         {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
         "special: loopback"},
        {6, 64, RANGE_SPECIAL, {0x01, 0x00}, "special: discard"},
        {6, 10, RANGE_SPECIAL, {0xfe, 0x80}, "special: link-local"},
        {6, 8, RANGE_SPECIAL, {0xff}, "special: multicast"},
        {6, 32, RANGE_SPECIAL, {0x20, 0x01, 0x0d, 0xb8}, "special: documentation"},
        {6, 20, RANGE_SPECIAL, {0x3f, 0xff}, "special: documentation"},
        {6, 48, RANGE_SPECIAL, {0x20, 0x01, 0x00, 0x02}, "special: benchmarking"},
        {6, 7, RANGE_BLOCK, {0xfc}, "private fc00::/7"},
        {6, 10, RANGE_BLOCK, {0xfe, 0xc0}, "site-local fec0::/10"},
        {6, 3, RANGE_BLOCK, {0x20}, "global unicast 2000::/3"},
};
#define RANGE_COUNT (sizeof(ranges) / sizeof(ranges[0]))
#define CLASS_PUBLIC ((int)RANGE_COUNT)

/* Addresses that carry an IPv4 address in their last 32 bits: that one is mapped. */
static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

struct slot {
	struct ipaddr key, val;
	uint8_t state; /* 0 empty, 1 noted, 2 mapped */
};

struct table {
	struct slot *slots;
	size_t cap, count;
};

struct cidr {
	struct ipaddr addr;
	unsigned len;
};

struct addrmap {
	struct cryptopan *cp;
	struct table inputs, outputs;
	struct cidr *keep;
	size_t keep_count;
};

static int prefix_match(const uint8_t *a, const uint8_t *prefix, unsigned len)
{
	unsigned full = len / 8, part = len % 8;

	if (memcmp(a, prefix, full) != 0)
		return 0;
	if (part) {
		uint8_t mask = (uint8_t)(0xff << (8 - part));

		return (a[full] & mask) == (prefix[full] & mask);
	}
	return 1;
}

/* The class: an index into ranges, or CLASS_PUBLIC. */
static int classify(const struct ipaddr *a)
{
	for (size_t i = 0; i < RANGE_COUNT; i++)
		if (ranges[i].family == a->family &&
		    prefix_match(a->b, ranges[i].prefix, ranges[i].len))
			return (int)i;
	return CLASS_PUBLIC;
}

static int embeds_v4(const struct ipaddr *a)
{
	return a->family == 6 && (memcmp(a->b, v4mapped, 12) == 0 || memcmp(a->b, nat64, 12) == 0);
}

int ipaddr_is_special(const struct ipaddr *a)
{
	int c = classify(a);

	return c != CLASS_PUBLIC && ranges[c].kind == RANGE_SPECIAL;
}

const char *ipaddr_class_name(const struct ipaddr *a)
{
	int c;

	if (embeds_v4(a))
		return "IPv6 with an embedded IPv4 address";
	c = classify(a);
	if (c == CLASS_PUBLIC)
		return a->family == 4 ? "public IPv4" : "other IPv6";
	return ranges[c].name;
}

int ipaddr_parse(const char *text, size_t len, struct ipaddr *out)
{
	char buf[IPADDR_TEXT_MAX];

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(buf))
		return -1;
	if (memchr(text, ':', len) == NULL) {
		size_t i = 0;

		/* Decimal parts by hand: inet_aton would read 030 as octal, inet_pton refuses it.
		 */
		for (int part = 0; part < 4; part++) {
			unsigned v = 0, digits = 0;

			if (part > 0) {
				if (i >= len || text[i] != '.')
					return -1;
				i++;
			}
			while (i < len && text[i] >= '0' && text[i] <= '9' && digits < 4) {
				v = v * 10 + (unsigned)(text[i] - '0');
				digits++;
				i++;
			}
			if (digits == 0 || digits > 3 || v > 255)
				return -1;
			out->b[part] = (uint8_t)v;
		}
		if (i != len)
			return -1;
		out->family = 4;
		return 0;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, out->b) != 1)
		return -1;
	out->family = 6;
	return 0;
}

void ipaddr_format(const struct ipaddr *a, char out[IPADDR_TEXT_MAX])
{
	if (a->family == 4) {
		/* By hand: the redactor formats one for every address of every line. */
		char *o = out;

		for (int k = 0; k < 4; k++) {
			unsigned v = a->b[k];

			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
			*o++ = k < 3 ? '.' : '\0';
		}
	} else if (inet_ntop(AF_INET6, a->b, out, IPADDR_TEXT_MAX) == NULL)
		snprintf(out, IPADDR_TEXT_MAX, "?");
}

/* --- a small open-addressing table of addresses */

static size_t addr_hash(const struct ipaddr *a)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	const uint8_t *p = (const uint8_t *)a;

	for (size_t i = 0; i < sizeof(*a); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	/* FNV's low bits depend only on the bytes' low bits: mix the high ones in (MurmurHash3's
	 * finaliser), since the table index is the low bits. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (size_t)h;
}

static struct slot *table_find(const struct table *t, const struct ipaddr *a)
{
	size_t i;

	if (t->cap == 0)
		return NULL;
	for (i = addr_hash(a) & (t->cap - 1); t->slots[i].state; i = (i + 1) & (t->cap - 1))
		if (memcmp(&t->slots[i].key, a, sizeof(*a)) == 0)
			return &t->slots[i];
	return NULL;
}

static struct slot *table_add(struct table *t, const struct ipaddr *a)
{
	struct slot *s = table_find(t, a);
	size_t i;

	if (s)
		return s;
	if ((t->count + 1) * 2 > t->cap) {
		struct table bigger = {xcalloc(t->cap ? t->cap * 2 : 64, sizeof(struct slot)),
		                       t->cap ? t->cap * 2 : 64, 0};

		for (size_t j = 0; j < t->cap; j++)
			if (t->slots[j].state)
				*table_add(&bigger, &t->slots[j].key) = t->slots[j];
		free(t->slots);
		*t = bigger;
	}
	for (i = addr_hash(a) & (t->cap - 1); t->slots[i].state; i = (i + 1) & (t->cap - 1))
		;
	t->slots[i].key = *a;
	t->slots[i].state = 1;
	t->count++;
	return &t->slots[i];
}

/* --- the map */

struct addrmap *addrmap_new(const uint8_t key[32], struct error *err)
{
	struct addrmap *am = xcalloc(1, sizeof(*am));

	am->cp = cryptopan_new(key, err);
	if (am->cp == NULL) {
		free(am);
		return NULL;
	}
	return am;
}

void addrmap_free(struct addrmap *am)
{
	if (am == NULL)
		return;
	cryptopan_free(am->cp);
	if (am->inputs.slots)
		OPENSSL_cleanse(am->inputs.slots, am->inputs.cap * sizeof(struct slot));
	free(am->inputs.slots);
	free(am->outputs.slots);
	free(am->keep);
	free(am);
}

int addrmap_keep(struct addrmap *am, const char *text, struct error *err)
{
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	struct cidr c;
	char *end;
	long bits;

	if (ipaddr_parse(text, len, &c.addr) < 0) {
		error_set(err, "'%s' is not an address or a range", text);
		return -1;
	}
	c.len = c.addr.family == 4 ? 32 : 128;
	if (slash) {
		bits = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end || bits < 0 || bits > (long)c.len) {
			error_set(err, "'%s': the prefix length is not 0 to %u", text, c.len);
			return -1;
		}
		c.len = (unsigned)bits;
	}
	am->keep = xreallocarray(am->keep, am->keep_count + 1, sizeof(*am->keep));
	am->keep[am->keep_count++] = c;
	return 0;
}

int addrmap_is_kept(const struct addrmap *am, const struct ipaddr *a)
{
	for (size_t i = 0; i < am->keep_count; i++)
		if (am->keep[i].addr.family == a->family &&
		    prefix_match(a->b, am->keep[i].addr.b, am->keep[i].len))
			return 1;
	return 0;
}

void addrmap_note(struct addrmap *am, const struct ipaddr *a)
{
	if (embeds_v4(a)) {
		struct ipaddr v4 = {4, {0}};

		memcpy(v4.b, a->b + 12, 4);
		table_add(&am->inputs, &v4);
		return;
	}
	table_add(&am->inputs, a);
}

/* B: Crypto-PAn, and for a block its prefix put back. */
static int class_base(struct addrmap *am, int cls, const struct ipaddr *x, struct ipaddr *out,
                      struct error *err)
{
	struct ipaddr y = *x;

	if (cryptopan_map(am->cp, x->b, y.b, x->family == 4 ? 32 : 128, err) < 0)
		return -1;
	if (cls != CLASS_PUBLIC) {
		unsigned len = ranges[cls].len, full = len / 8, part = len % 8;

		memcpy(y.b, ranges[cls].prefix, full);
		if (part) {
			uint8_t mask = (uint8_t)(0xff << (8 - part));

			y.b[full] =
			        (uint8_t)((ranges[cls].prefix[full] & mask) | (y.b[full] & ~mask));
		}
	}
	*out = y;
	return 0;
}

/* M: the class's own permutation, by walking B until the result is in the class again. */
static int class_step(struct addrmap *am, int cls, const struct ipaddr *x, struct ipaddr *out,
                      struct error *err)
{
	struct ipaddr y = *x;

	for (int n = 0; n < WALK_MAX; n++) {
		if (class_base(am, cls, &y, &y, err) < 0)
			return -1;
		if (classify(&y) == cls) {
			*out = y;
			return 0;
		}
	}
	error_set(err, "address map: no result in the class after %d steps", WALK_MAX);
	return -1;
}

static int forbidden(const struct addrmap *am, const struct ipaddr *c)
{
	return addrmap_is_kept(am, c) || table_find(&am->inputs, c) != NULL ||
	       table_find(&am->outputs, c) != NULL;
}

static void record(struct addrmap *am, const struct ipaddr *x, const struct ipaddr *y)
{
	struct slot *s = table_add(&am->inputs, x);

	s->val = *y;
	s->state = 2;
	table_add(&am->outputs, y);
}

/* Steps of a walk after which it starts again elsewhere (see resolve). */
#define REDRAW_AFTER 64

/* x with every byte changed by a pattern of n (SplitMix64's output for n, n + 1). */
static void redraw_pattern(struct ipaddr *x, unsigned n)
{
	size_t len = x->family == 4 ? 4 : 16;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t z = (uint64_t)n * 2 + i / 8 + 0x9e3779b97f4a7c15ULL;

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		for (size_t k = 0; k < 8 && i + k < len; k++)
			x->b[i + k] ^= (uint8_t)(z >> (8 * k));
	}
}

/* Map a v4 or a plain v6 address; with first_only, leave it unmapped if M(x) is taken. */
static int resolve(struct addrmap *am, const struct ipaddr *x, int first_only, struct ipaddr *out,
                   struct error *err)
{
	struct slot *s = table_find(&am->inputs, x);
	struct ipaddr c, from;
	unsigned redraws = 0;
	int cls;

	if (s && s->state == 2) {
		*out = s->val;
		return 0;
	}
	cls = classify(x);
	if ((cls != CLASS_PUBLIC && ranges[cls].kind == RANGE_SPECIAL) || addrmap_is_kept(am, x)) {
		record(am, x, x);
		*out = *x;
		return 0;
	}
	table_add(&am->inputs, x);
	if (class_step(am, cls, x, &c, err) < 0)
		return -1;
	from = *x;
	for (int n = 0; forbidden(am, &c); n++) {
		if (first_only)
			return 1;
		if (n >= WALK_MAX) {
			error_set(err, "address map: no free result after %d steps", WALK_MAX);
			return -1;
		}
		if (class_step(am, cls, &c, &c, err) < 0)
			return -1;
		/*
		 * Crypto-PAn is prefix-preserving, so the walk stays in the networks of x's
		 * network's cycle: back where it started, every member of the cycle is taken; a
		 * long walk means that part of the class is crowded (a /16 that maps onto itself,
		 * half full of inputs, cannot hold their results too). Start again elsewhere:
		 * from x with every byte changed by a pattern of a counter (the same in every
		 * run), so that the next walk is in another part of the class.
		 */
		if (memcmp(&c, &from, sizeof(c)) == 0 || n % REDRAW_AFTER == REDRAW_AFTER - 1) {
			struct ipaddr t = *x;

			redraws++;
			redraw_pattern(&t, redraws);
			if (class_step(am, cls, &t, &c, err) < 0)
				return -1;
			from = c;
		}
	}
	record(am, x, &c);
	*out = c;
	return 0;
}

static int addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ipaddr));
}

int addrmap_seal(struct addrmap *am, struct error *err)
{
	struct ipaddr *pending = xcalloc(am->inputs.count + 1, sizeof(*pending)), out;
	size_t n = 0;
	int rc = -1;

	/*
	 * First every address whose M(x) is free: M is a permutation, so these never meet, and
	 * they get the same result in every run. Only the rest walk on, in address order, so the
	 * result does not depend on the order the addresses were met in.
	 */
	for (size_t i = 0; i < am->inputs.cap; i++)
		if (am->inputs.slots[i].state == 1)
			pending[n++] = am->inputs.slots[i].key;
	qsort(pending, n, sizeof(*pending), addr_cmp);
	for (size_t i = 0; i < n; i++) {
		int r = resolve(am, &pending[i], 1, &out, err);

		if (r < 0)
			goto out;
		if (r == 0)
			pending[i].family = 0;
	}
	for (size_t i = 0; i < n; i++)
		if (pending[i].family && resolve(am, &pending[i], 0, &out, err) < 0)
			goto out;
	rc = 0;
out:
	free(pending);
	return rc;
}

int addrmap_map(struct addrmap *am, const struct ipaddr *in, struct ipaddr *out, struct error *err)
{
	if (embeds_v4(in)) {
		struct ipaddr v4 = {4, {0}}, m;

		memcpy(v4.b, in->b + 12, 4);
		if (resolve(am, &v4, 0, &m, err) < 0)
			return -1;
		*out = *in;
		memcpy(out->b + 12, m.b, 4);
		return 0;
	}
	if (in->family != 4 && in->family != 6) {
		error_set(err, "address map: not an address");
		return -1;
	}
	return resolve(am, in, 0, out, err);
}

size_t addrmap_count(const struct addrmap *am)
{
	return am->inputs.count;
}
