/*
 * Forward Secure Sealing of journald files, verified: the walk over a file's objects. A tag
 * covers, from the end of the tag before it (from the header, for the first one), the parts of
 * each object that never change once written: the object header; a data or field object's
 * hash and payload; all of an entry; a tag's sequence number and epoch. Links, counts and hash
 * tables are updated later and are not covered. The keys come from journal-fsprg.c.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "base/byteorder.h"
#include "report/journal-fsprg.h"
#include "report/journal-seal.h"
#include "report/journalfile.h"

#define TAG_LEN 32

/* Object types (journal-def.h), and the sizes the walk needs. */
enum {
	OBJ_DATA = 1,
	OBJ_FIELD = 2,
	OBJ_ENTRY = 3,
	OBJ_DATA_HASH_TABLE = 4,
	OBJ_FIELD_HASH_TABLE = 5,
	OBJ_ENTRY_ARRAY = 6,
	OBJ_TAG = 7
};
#define OBJ_HEADER 16
#define TAG_OBJECT_SIZE 64
#define ENTRY_MIN 64
#define FIELD_PAYLOAD 40
#define DATA_PAYLOAD 64
#define DATA_PAYLOAD_COMPACT 72
#define INCOMPAT_COMPACT 16u
#define HEADER_MIN 208

/* An HMAC under the key of one epoch, fed the run since the last good tag. */
struct guess {
	int active;
	uint64_t epoch;
	EVP_MAC_CTX *mac;
};

struct journal_seal_check {
	const struct journal_seal_key *key;
	struct journal_seal_result res;
	int done;   /* past the tail object, or damage that ends the walk */
	int failed; /* the first failure is in res; after it, entries are only counted */
	/* The header. */
	unsigned char head[JOURNAL_HEADER_READ];
	size_t head_len;
	int have_header, sealed, continuous;
	uint64_t header_size, arena_end, tail_object, data_payload;
	/* The object being read. */
	uint64_t pos, obj, obj_size;
	uint64_t hash_to, hash_from; /* hashed: [0, hash_to) and [hash_from, size) of it */
	unsigned char obj_head[TAG_OBJECT_SIZE];
	int obj_type;
	/* The run since the last good tag. */
	struct guess guess[2];
	unsigned char *replay;
	size_t replay_len, replay_cap;
	int replay_over;
	uint64_t run_min_rt, run_max_rt, run_entries;
	/* The last good tag. */
	uint64_t last_epoch;
	int have_tag;
	BIGNUM *x; /* the state of last_epoch */
	BN_CTX *bn;
};

/* ---- the walk ---- */

static void fail_at(struct journal_seal_check *c, uint64_t tag_off, uint64_t tag_seqnum,
                    const char *fmt, ...) LP_ATTR_PRINTF(4, 5);

/* The first failure is the one reported; the walk then only counts entries. */
static void fail_at(struct journal_seal_check *c, uint64_t tag_off, uint64_t tag_seqnum,
                    const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = 1;
	c->res.status = JOURNAL_SEAL_FAILED;
	c->res.bad_tag_offset = tag_off;
	c->res.bad_tag_seqnum = tag_seqnum;
	va_start(ap, fmt);
	vsnprintf(c->res.problem, sizeof(c->res.problem), fmt, ap);
	va_end(ap);
}

static void guess_drop(struct guess *g)
{
	EVP_MAC_CTX_free(g->mac);
	g->mac = NULL;
	g->active = 0;
}

/* An HMAC keyed for the state (x, epoch) into g. */
static int guess_start(struct journal_seal_check *c, struct guess *g, const BIGNUM *x,
                       uint64_t epoch, struct error *err)
{
	unsigned char key[JOURNAL_FSPRG_KEY_LEN];
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
	                       OSSL_PARAM_construct_end()};
	int r = -1;

	guess_drop(g);
	if (journal_fsprg_key(c->key, x, epoch, key, err) < 0)
		return -1;
	if ((g->mac = EVP_MAC_CTX_new(c->key->hmac)) == NULL ||
	    EVP_MAC_init(g->mac, key, sizeof(key), params) != 1) {
		error_set_openssl(err, "HMAC");
		guess_drop(g);
		goto out;
	}
	g->active = 1;
	g->epoch = epoch;
	r = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

/* Bytes a tag covers: into every guess, and kept for a tag whose epoch was not guessed. */
static void covered(struct journal_seal_check *c, const unsigned char *p, size_t len)
{
	if (c->failed || !c->sealed || len == 0)
		return;
	for (int i = 0; i < 2; i++)
		if (c->guess[i].active && EVP_MAC_update(c->guess[i].mac, p, len) != 1) {
			struct error err;

			error_set_openssl(&err, "HMAC");
			fail_at(c, 0, 0, "%s", err.msg);
			return;
		}
	if (c->replay_over)
		return;
	if (len > JOURNAL_SEAL_REPLAY_MAX - c->replay_len) {
		c->replay_over = 1;
		free(c->replay);
		c->replay = NULL;
		c->replay_len = c->replay_cap = 0;
		return;
	}
	if (c->replay_len + len > c->replay_cap) {
		size_t cap = c->replay_cap ? c->replay_cap : 4096;

		while (cap < c->replay_len + len)
			cap *= 2;
		cap = cap > JOURNAL_SEAL_REPLAY_MAX ? JOURNAL_SEAL_REPLAY_MAX : cap;
		c->replay = xrealloc(c->replay, cap);
		c->replay_cap = cap;
	}
	memcpy(c->replay + c->replay_len, p, len);
	c->replay_len += len;
}

/* After a good tag of epoch e: guess e and e + 1 for the next run (x moves to e + 1 lazily). */
static int run_restart(struct journal_seal_check *c, struct error *err)
{
	BIGNUM *next = BN_new();
	int r = -1;

	c->replay_len = 0;
	c->replay_over = 0;
	c->run_entries = 0;
	c->run_min_rt = UINT64_MAX;
	c->run_max_rt = 0;
	if (next == NULL || BN_mod_sqr(next, c->x, c->key->n, c->bn) != 1) {
		error_set_openssl(err, "FSPRG");
		goto out;
	}
	if (guess_start(c, &c->guess[0], c->x, c->last_epoch, err) < 0 ||
	    guess_start(c, &c->guess[1], next, c->last_epoch + 1, err) < 0)
		goto out;
	r = 0;
out:
	BN_clear_free(next);
	return r;
}

/* The HMAC of the run under the key of epoch into mac, and the state of that epoch into x. */
static int run_mac(struct journal_seal_check *c, uint64_t epoch, unsigned char mac[TAG_LEN],
                   BIGNUM *x, struct error *err)
{
	struct guess tmp = {0}, *g = NULL;
	size_t len = TAG_LEN;
	int r = -1;

	for (int i = 0; i < 2; i++)
		if (c->guess[i].active && c->guess[i].epoch == epoch)
			g = &c->guess[i];
	if (g == NULL && c->replay_over) {
		error_set(err,
		          "its epoch %" PRIu64
		          " was not foreseen, and the bytes it covers are over "
		          "%u MiB: not checked",
		          epoch, JOURNAL_SEAL_REPLAY_MAX >> 20);
		return -1;
	}
	if (journal_fsprg_seek(c->key, epoch, x, c->bn) < 0) {
		error_set_openssl(err, "FSPRG");
		return -1;
	}
	if (g == NULL) {
		if (guess_start(c, &tmp, x, epoch, err) < 0)
			return -1;
		if (c->replay_len && EVP_MAC_update(tmp.mac, c->replay, c->replay_len) != 1) {
			error_set_openssl(err, "HMAC");
			goto out;
		}
		g = &tmp;
	}
	if (EVP_MAC_final(g->mac, mac, &len, TAG_LEN) != 1 || len != TAG_LEN) {
		error_set_openssl(err, "HMAC");
		goto out;
	}
	r = 0;
out:
	guess_drop(&tmp);
	return r;
}

static void check_tag(struct journal_seal_check *c)
{
	const unsigned char *o = c->obj_head;
	uint64_t seqnum = load_le64(o + 16), epoch = load_le64(o + 24), rt, rt_end;
	unsigned char mac[TAG_LEN];
	struct error err;
	BIGNUM *x = NULL;

	c->res.tags++;
	if (c->failed)
		return;
	if (seqnum != c->res.tags) {
		fail_at(c, c->obj, seqnum,
		        "tag at offset %" PRIu64 ": sequence number %" PRIu64 " where %" PRIu64
		        " was due",
		        c->obj, seqnum, c->res.tags);
		return;
	}
	if (c->have_tag &&
	    (epoch < c->last_epoch || (c->continuous && epoch != c->last_epoch + 1 &&
	                               !(c->res.tags == 2 && epoch == c->last_epoch)))) {
		fail_at(c, c->obj, seqnum,
		        "tag %" PRIu64 " at offset %" PRIu64 ": epoch %" PRIu64 " after %" PRIu64,
		        seqnum, c->obj, epoch, c->last_epoch);
		return;
	}
	if (epoch > (UINT64_MAX - c->key->start_usec) / c->key->interval_usec - 1) {
		fail_at(c, c->obj, seqnum,
		        "tag %" PRIu64 " at offset %" PRIu64 ": epoch %" PRIu64 " out of range",
		        seqnum, c->obj, epoch);
		return;
	}
	rt = c->key->start_usec + epoch * c->key->interval_usec;
	rt_end = rt + c->key->interval_usec;
	/* The writer seals an entry in the epoch of its own time: one outside it was added by
	 * someone holding a later key, claiming another time. */
	if (c->run_entries && (c->run_max_rt >= rt_end || c->run_min_rt < rt)) {
		fail_at(c, c->obj, seqnum,
		        "tag %" PRIu64 " at offset %" PRIu64 ": it seals entries of times outside "
		        "its epoch",
		        seqnum, c->obj);
		return;
	}
	if ((x = BN_new()) == NULL) {
		fail_at(c, c->obj, seqnum, "out of memory");
		return;
	}
	if (run_mac(c, epoch, mac, x, &err) < 0) {
		fail_at(c, c->obj, seqnum, "tag %" PRIu64 " at offset %" PRIu64 ": %s", seqnum,
		        c->obj, err.msg);
		goto out;
	}
	if (CRYPTO_memcmp(mac, o + 32, TAG_LEN) != 0) {
		fail_at(c, c->obj, seqnum,
		        "tag %" PRIu64 " at offset %" PRIu64 " does not match: what it seals was "
		        "altered, or the key is not this journal's",
		        seqnum, c->obj);
		goto out;
	}
	c->res.tags_verified++;
	c->res.entries_unsealed = 0;
	c->res.sealed_until_usec = rt_end;
	if (c->run_entries)
		c->res.last_sealed_entry_usec = c->run_max_rt;
	c->have_tag = 1;
	c->last_epoch = epoch;
	BN_free(c->x);
	c->x = x;
	x = NULL;
	if (run_restart(c, &err) < 0)
		fail_at(c, 0, 0, "%s", err.msg);
out:
	BN_clear_free(x);
	OPENSSL_cleanse(mac, sizeof(mac));
}

static void check_entry(struct journal_seal_check *c)
{
	uint64_t rt = load_le64(c->obj_head + 24);

	c->res.entries++;
	if (!c->sealed)
		return;
	c->res.entries_unsealed++;
	if (c->failed)
		return;
	if (!c->have_tag && c->res.tags == 0) {
		fail_at(c, 0, 0, "an entry at offset %" PRIu64 " before the first tag", c->obj);
		return;
	}
	c->run_entries++;
	c->run_min_rt = rt < c->run_min_rt ? rt : c->run_min_rt;
	c->run_max_rt = rt > c->run_max_rt ? rt : c->run_max_rt;
}

/* The first 16 bytes of the object at c->obj are in: check its type and size. */
static int object_begin(struct journal_seal_check *c)
{
	int type = c->obj_head[0];
	uint64_t size = load_le64(c->obj_head + 8), min = OBJ_HEADER;

	switch (type) {
	case OBJ_DATA:
		min = c->data_payload;
		c->hash_to = 24; /* header and hash */
		c->hash_from = c->data_payload;
		break;
	case OBJ_FIELD:
		min = FIELD_PAYLOAD;
		c->hash_to = 24;
		c->hash_from = FIELD_PAYLOAD;
		break;
	case OBJ_ENTRY:
		min = ENTRY_MIN;
		c->hash_to = c->hash_from = size;
		break;
	case OBJ_DATA_HASH_TABLE:
	case OBJ_FIELD_HASH_TABLE:
	case OBJ_ENTRY_ARRAY:
		c->hash_to = OBJ_HEADER;
		c->hash_from = size;
		break;
	case OBJ_TAG:
		min = TAG_OBJECT_SIZE;
		c->hash_to = 32; /* all but the tag itself */
		c->hash_from = size;
		break;
	default:
		fail_at(c, 0, 0, "an object of unknown type %d at offset %" PRIu64, type, c->obj);
		return -1;
	}
	if (size < min || (type == OBJ_TAG && size != TAG_OBJECT_SIZE) ||
	    size > c->arena_end - c->obj) {
		fail_at(c, 0, 0, "an object at offset %" PRIu64 " with a bad size (%" PRIu64 ")",
		        c->obj, size);
		return -1;
	}
	if (type == OBJ_TAG && !c->sealed) {
		fail_at(c, 0, 0, "a tag at offset %" PRIu64 " in a file not sealed", c->obj);
		return -1;
	}
	c->obj_type = type;
	c->obj_size = size;
	return 0;
}

/* The object is read: account for it, and find the next. */
static void object_end(struct journal_seal_check *c)
{
	if (c->obj_type == OBJ_ENTRY)
		check_entry(c);
	else if (c->obj_type == OBJ_TAG)
		check_tag(c);
	if (c->obj == c->tail_object) {
		c->done = 1;
		return;
	}
	c->obj = (c->obj + c->obj_size + 7) & ~(uint64_t)7;
	c->obj_type = 0;
	if (c->obj > c->tail_object || c->obj >= c->arena_end) {
		fail_at(c, 0, 0,
		        "the objects do not end at the last one the header names "
		        "(offset %" PRIu64 ")",
		        c->tail_object);
		c->done = 1;
	}
}

/* The header is in: what to walk, and the header's share of the first tag's HMAC. */
static void header_done(struct journal_seal_check *c)
{
	struct journal_header h;

	c->have_header = 1;
	if (journal_header_parse(c->head, c->head_len, &h) < 0) {
		c->res.status = JOURNAL_SEAL_NOT_JOURNAL;
		snprintf(c->res.problem, sizeof(c->res.problem), "not a journal file header");
		c->failed = c->done = 1;
		return;
	}
	c->sealed = (h.compatible_flags & JOURNAL_COMPAT_SEALED) != 0;
	c->continuous = (h.compatible_flags & JOURNAL_COMPAT_SEALED_CONTINUOUS) != 0;
	c->res.status = c->sealed ? JOURNAL_SEAL_VERIFIED : JOURNAL_SEAL_NOT_SEALED;
	c->header_size = h.header_size;
	c->arena_end = h.header_size + h.arena_size;
	c->tail_object = h.tail_object_offset;
	c->data_payload =
	        h.incompatible_flags & INCOMPAT_COMPACT ? DATA_PAYLOAD_COMPACT : DATA_PAYLOAD;
	c->obj = c->header_size;
	if (c->header_size % 8 != 0 || c->arena_end < c->header_size) {
		fail_at(c, 0, 0, "a header with a bad size");
		c->done = 1;
		return;
	}
	if (c->tail_object == 0) { /* no object yet */
		c->done = 1;
		return;
	}
	if (c->tail_object < c->header_size || c->tail_object >= c->arena_end) {
		fail_at(c, 0, 0, "a header whose last object lies outside the file");
		c->done = 1;
		return;
	}
	/* What the writer never changes: signature and flags; file and machine IDs; seqnum ID
	 * and header size; the hash tables' places. Not the state, counts or tail fields. */
	covered(c, c->head, 16);
	covered(c, c->head + 24, 32);
	covered(c, c->head + 72, 24);
	covered(c, c->head + 104, 32);
	c->run_min_rt = UINT64_MAX;
}

struct journal_seal_check *journal_seal_begin(const struct journal_seal_key *k)
{
	struct journal_seal_check *c = xcalloc(1, sizeof(*c));

	c->key = k;
	c->res.status = JOURNAL_SEAL_NOT_JOURNAL;
	c->bn = BN_CTX_new();
	if (c->bn == NULL) {
		struct error err;

		error_set_openssl(&err, "FSPRG");
		fail_at(c, 0, 0, "%s", err.msg);
		c->done = 1;
	}
	return c;
}

/* How much of the header to gather: 208 bytes, then as much as its own size says. */
static size_t header_want(const struct journal_seal_check *c)
{
	uint64_t size;

	if (c->head_len < HEADER_MIN)
		return HEADER_MIN;
	size = load_le64(c->head + 88);
	return size < HEADER_MIN ? HEADER_MIN : size > sizeof(c->head) ? sizeof(c->head) : size;
}

void journal_seal_feed(struct journal_seal_check *c, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		size_t take;
		uint64_t rel;

		if (!c->have_header) {
			size_t want = header_want(c);

			take = want - c->head_len < len ? want - c->head_len : len;
			memcpy(c->head + c->head_len, p, take);
			c->head_len += take;
			c->pos += take;
			p += take;
			len -= take;
			if (c->head_len == want && header_want(c) == want)
				header_done(c);
			continue;
		}
		if (c->done)
			return;
		if (c->pos < c->obj) { /* the rest of the header, or padding */
			uint64_t skip = c->obj - c->pos;

			take = skip < len ? (size_t)skip : len;
			c->pos += take;
			p += take;
			len -= take;
			continue;
		}
		rel = c->pos - c->obj;
		if (rel < OBJ_HEADER) {
			take = OBJ_HEADER - rel < len ? (size_t)(OBJ_HEADER - rel) : len;
			memcpy(c->obj_head + rel, p, take);
			c->pos += take;
			p += take;
			len -= take;
			if (rel + take == OBJ_HEADER) {
				if (object_begin(c) < 0) {
					c->done = 1;
					return;
				}
				covered(c, c->obj_head, OBJ_HEADER);
				if (c->obj_size == OBJ_HEADER)
					object_end(c);
			}
			continue;
		}
		/* Within the object, past its header: up to the next boundary of interest. */
		{
			uint64_t end = c->obj_size, stop = end;

			if (rel < TAG_OBJECT_SIZE && TAG_OBJECT_SIZE < stop)
				stop = TAG_OBJECT_SIZE;
			if (rel < c->hash_to && c->hash_to < stop)
				stop = c->hash_to;
			if (rel < c->hash_from && c->hash_from < stop)
				stop = c->hash_from;
			take = stop - rel < len ? (size_t)(stop - rel) : len;
			if (rel < TAG_OBJECT_SIZE)
				memcpy(c->obj_head + rel, p, take);
			if (rel < c->hash_to || rel >= c->hash_from)
				covered(c, p, take);
			c->pos += take;
			p += take;
			len -= take;
			if (rel + take == end)
				object_end(c);
		}
	}
}

void journal_seal_end(struct journal_seal_check *c, struct journal_seal_result *out)
{
	if (!c->have_header) {
		c->res.status = JOURNAL_SEAL_NOT_JOURNAL;
		snprintf(c->res.problem, sizeof(c->res.problem),
		         "not a journal file (shorter than its header)");
	} else if (!c->done) {
		fail_at(c, 0, 0,
		        "the file ends at offset %" PRIu64 ", inside the object at %" PRIu64,
		        c->pos, c->obj);
	}
	if (c->res.status == JOURNAL_SEAL_VERIFIED && c->res.tags == 0)
		fail_at(c, 0, 0, "sealed, but no tag in it");
	*out = c->res;
	for (int i = 0; i < 2; i++)
		guess_drop(&c->guess[i]);
	if (c->replay)
		OPENSSL_cleanse(c->replay, c->replay_cap);
	free(c->replay);
	BN_clear_free(c->x);
	BN_CTX_free(c->bn);
	free(c);
}

static void format_usec(uint64_t usec, char *buf, size_t len)
{
	format_iso8601((int64_t)(usec / 1000000), buf, len);
}

/* "s" for a count other than one. */
static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

char *journal_seal_describe(const struct journal_seal_result *r)
{
	char until[40], last[40];
	struct strbuf sb = STRBUF_INIT;

	switch (r->status) {
	case JOURNAL_SEAL_NOT_JOURNAL:
		return xstrdup(r->problem);
	case JOURNAL_SEAL_NOT_SEALED:
		return xasprintf("not sealed (%" PRIu64 " entr%s)", r->entries,
		                 r->entries == 1 ? "y" : "ies");
	case JOURNAL_SEAL_VERIFIED:
		format_usec(r->sealed_until_usec, until, sizeof(until));
		strbuf_addf(&sb,
		            "sealed, %" PRIu64 " tag%s verified, %" PRIu64
		            " entr%s sealed until %s",
		            r->tags_verified, plural(r->tags_verified),
		            r->entries - r->entries_unsealed,
		            r->entries - r->entries_unsealed == 1 ? "y" : "ies", until);
		break;
	case JOURNAL_SEAL_FAILED:
		strbuf_addf(&sb, "SEAL FAILED: %s", r->problem);
		if (r->tags_verified) {
			format_usec(r->sealed_until_usec, until, sizeof(until));
			strbuf_addf(&sb, "; %" PRIu64 " tag%s verified before it, until %s",
			            r->tags_verified, plural(r->tags_verified), until);
		} else {
			strbuf_addf(&sb, "; no tag verified");
		}
		break;
	}
	if (r->entries_unsealed) {
		if (r->last_sealed_entry_usec) {
			format_usec(r->last_sealed_entry_usec, last, sizeof(last));
			strbuf_addf(&sb,
			            "; %" PRIu64 " entr%s after the last good tag (last sealed "
			            "entry %s) not covered by a seal",
			            r->entries_unsealed, r->entries_unsealed == 1 ? "y" : "ies",
			            last);
		} else {
			strbuf_addf(&sb, "; %" PRIu64 " entr%s not covered by a seal",
			            r->entries_unsealed, r->entries_unsealed == 1 ? "y" : "ies");
		}
	}
	return strbuf_detach(&sb);
}

static json_t *usec_json(uint64_t usec)
{
	char buf[40];

	if (usec == 0)
		return json_null();
	format_usec(usec, buf, sizeof(buf));
	return json_string(buf);
}

json_t *journal_seal_json(const struct journal_seal_result *r)
{
	static const char *const names[] = {"not_sealed", "verified", "failed", "not_journal"};
	json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:o,s:o}", "seal", names[r->status], "entries",
	                      (json_int_t)r->entries, "tags", (json_int_t)r->tags, "tags_verified",
	                      (json_int_t)r->tags_verified, "entries_not_sealed",
	                      (json_int_t)r->entries_unsealed, "sealed_until",
	                      usec_json(r->sealed_until_usec), "last_sealed_entry",
	                      usec_json(r->last_sealed_entry_usec));

	if (r->status == JOURNAL_SEAL_FAILED || r->status == JOURNAL_SEAL_NOT_JOURNAL)
		json_object_set_new(o, "problem", json_string(r->problem));
	if (r->bad_tag_seqnum) {
		json_object_set_new(o, "bad_tag_seqnum",
		                    json_integer((json_int_t)r->bad_tag_seqnum));
		json_object_set_new(o, "bad_tag_offset",
		                    json_integer((json_int_t)r->bad_tag_offset));
	}
	return o;
}
