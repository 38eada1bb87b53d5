/* OpenPGP keys: which key is chosen, what is refused, and a parser that survives garbage. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "tap.h"
#include "trust/openpgp.h"

#define T0 1700000000u
#define NOW (T0 + 1000000)

static unsigned char n_bytes[256], e_bytes[3] = {1, 0, 1};
static size_t n_len;

static void put32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 8), (unsigned char)v};

	strbuf_add(sb, b, 4);
}

/* A new-format packet (length < 8384). */
static void packet(struct strbuf *out, int tag, const struct strbuf *body)
{
	strbuf_addch(out, (char)(0xC0 | tag));
	if (body->len < 192) {
		strbuf_addch(out, (char)body->len);
	} else {
		strbuf_addch(out, (char)(((body->len - 192) >> 8) + 192));
		strbuf_addch(out, (char)((body->len - 192) & 0xff));
	}
	strbuf_add(out, body->buf, body->len);
}

static void pubkey_body(struct strbuf *b, uint32_t created)
{
	strbuf_addch(b, 4);
	put32(b, created);
	strbuf_addch(b, 1);
	strbuf_addch(b, (char)((n_len * 8) >> 8));
	strbuf_addch(b, (char)(n_len * 8));
	strbuf_add(b, n_bytes, n_len);
	strbuf_addch(b, 0);
	strbuf_addch(b, 17);
	strbuf_add(b, e_bytes, 3);
}

/* The key ID (last 8 bytes of the v4 fingerprint) of a key body. */
static void key_id(const struct strbuf *body, unsigned char id[8])
{
	unsigned char hdr[3] = {0x99, (unsigned char)(body->len >> 8), (unsigned char)body->len};
	unsigned char md[20];
	unsigned int l;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	EVP_DigestInit_ex(c, EVP_sha1(), NULL);
	EVP_DigestUpdate(c, hdr, 3);
	EVP_DigestUpdate(c, body->buf, body->len);
	EVP_DigestFinal_ex(c, md, &l);
	EVP_MD_CTX_free(c);
	memcpy(id, md + 12, 8);
}

/* A v4 signature: type, creation time, flags (or -1), key expiry (or 0), issuer. */
static void signature(struct strbuf *out, int type, uint32_t created, int flags, uint32_t expiry,
                      const unsigned char issuer[8])
{
	struct strbuf b = STRBUF_INIT, h = STRBUF_INIT;

	strbuf_addch(&h, 5);
	strbuf_addch(&h, 2);
	put32(&h, created);
	if (flags >= 0) {
		strbuf_addch(&h, 2);
		strbuf_addch(&h, 27);
		strbuf_addch(&h, (char)flags);
	}
	if (expiry) {
		strbuf_addch(&h, 5);
		strbuf_addch(&h, 9);
		put32(&h, expiry);
	}
	strbuf_addch(&b, 4);
	strbuf_addch(&b, (char)type);
	strbuf_addch(&b, 1);
	strbuf_addch(&b, 8);
	strbuf_addch(&b, 0);
	strbuf_addch(&b, (char)h.len);
	strbuf_add(&b, h.buf, h.len);
	strbuf_addch(&b, 0);
	strbuf_addch(&b, 10);
	strbuf_addch(&b, 9);
	strbuf_addch(&b, 16);
	strbuf_add(&b, issuer, 8);
	strbuf_add(&b, "\0\0\0\x08\x01", 5); /* left 16 bits, a one-byte MPI: never checked */
	packet(out, 2, &b);
	strbuf_release(&b);
	strbuf_release(&h);
}

struct key_spec {
	uint32_t primary_expiry, sub_expiry;
	int sub_flags;
	int revoke_primary, revoke_sub, foreign_binding, no_subkey;
};

static void build_key(struct strbuf *out, const struct key_spec *s)
{
	struct strbuf pk = STRBUF_INIT, sk = STRBUF_INIT, uid = STRBUF_INIT;
	unsigned char id[8], other[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	pubkey_body(&pk, T0);
	key_id(&pk, id);
	packet(out, 6, &pk);
	if (s->revoke_primary)
		signature(out, 0x20, T0 + 10, -1, 0, id);
	strbuf_addstr(&uid, "CERT <cert@example.org>");
	packet(out, 13, &uid);
	signature(out, 0x13, T0, 0x03, s->primary_expiry, id);
	signature(out, 0x10, T0 + 5, -1, 0, other); /* someone else's certification */
	if (!s->no_subkey) {
		pubkey_body(&sk, T0 + 1);
		packet(out, 14, &sk);
		signature(out, 0x18, T0 + 1, s->sub_flags, s->sub_expiry,
		          s->foreign_binding ? other : id);
		if (s->revoke_sub)
			signature(out, 0x28, T0 + 20, -1, 0, id);
	}
	strbuf_release(&pk);
	strbuf_release(&sk);
	strbuf_release(&uid);
}

static int load(const struct key_spec *s, struct error *err)
{
	struct strbuf key = STRBUF_INIT;
	struct openpgp_key *k = NULL;
	int rc;

	build_key(&key, s);
	rc = openpgp_key_parse((unsigned char *)key.buf, key.len, "key", NOW, &k, err);
	openpgp_key_free(k);
	strbuf_release(&key);
	return rc;
}

static int sink(void *ctx, const void *buf, size_t len, struct error *err)
{
	(void)buf;
	(void)err;
	*(size_t *)ctx += len;
	return 0;
}

int main(void)
{
	struct key_spec good = {.sub_flags = 0x0c};
	struct key_spec spec;
	struct strbuf key = STRBUF_INIT;
	struct openpgp_key *k = NULL;
	struct openpgp_encryptor *enc = NULL;
	struct error err = {{0}};
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	BIGNUM *bn = NULL;
	unsigned char *copy;
	size_t written = 0;
	int all_ok;

	EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &bn);
	n_len = (size_t)BN_bn2bin(bn, n_bytes);
	BN_free(bn);
	EVP_PKEY_free(rsa);

	build_key(&key, &good);
	ok(openpgp_key_parse((unsigned char *)key.buf, key.len, "key", NOW, &k, &err) == 0,
	   "a key with an RSA encryption subkey is taken (%s)", err.msg);
	ok(k && strcmp(openpgp_key_fingerprint(k), openpgp_key_subkey_fingerprint(k)) != 0 &&
	           strlen(openpgp_key_subkey_fingerprint(k)) == 40,
	   "the subkey is chosen, not the signing primary key");
	ok(k && openpgp_encryptor_new(&enc, &k, 1, sink, &written, &err) == 0 &&
	           openpgp_encryptor_write(enc, "hello", 5, &err) == 0 &&
	           openpgp_encryptor_finish(enc, &err) == 0 && written > 256 + 5 + 22,
	   "a message is written to it (%zu bytes)", written);
	openpgp_encryptor_free(enc);
	openpgp_key_free(k);

	spec = good;
	spec.primary_expiry = 1000;
	ok(load(&spec, &err) < 0 && strstr(err.msg, "expired on 2023-11-14"),
	   "an expired key is refused: %s", err.msg);
	spec.primary_expiry = 2000000;
	ok(load(&spec, &err) == 0, "a key that expires later is taken");
	spec = good;
	spec.revoke_primary = 1;
	ok(load(&spec, &err) < 0 && strstr(err.msg, "is revoked"), "a revoked key is refused: %s",
	   err.msg);
	spec = good;
	spec.revoke_sub = 1;
	ok(load(&spec, &err) < 0 && strstr(err.msg, "its encryption subkey is revoked"),
	   "a revoked encryption subkey is refused: %s", err.msg);
	spec = good;
	spec.sub_expiry = 10;
	ok(load(&spec, &err) < 0 && strstr(err.msg, "its encryption subkey expired"),
	   "an expired encryption subkey is refused: %s", err.msg);
	spec = good;
	spec.sub_flags = 0x02;
	ok(load(&spec, &err) < 0 && strstr(err.msg, "it has no encryption subkey"),
	   "a signing-only subkey: refused: %s", err.msg);
	spec = good;
	spec.no_subkey = 1;
	ok(load(&spec, &err) < 0 && strstr(err.msg, "cannot be encrypted to"),
	   "a primary key for signing only: refused: %s", err.msg);
	spec = good;
	spec.foreign_binding = 1;
	ok(load(&spec, &err) < 0, "a subkey bound by another key's signature is not used");

	/* Every truncation and every flipped byte: parsed or refused, never read out of bounds
	 * (run under valgrind or ASan to see that). */
	copy = malloc(key.len);
	all_ok = 1;
	for (size_t len = 0; len < key.len; len++) {
		memcpy(copy, key.buf, len);
		if (openpgp_key_parse(copy, len, "cut", NOW, &k, &err) == 0) {
			/* A cut after a whole packet may still hold a usable key, never one
			 * inside the primary key packet. */
			if (len < n_len)
				all_ok = 0;
			openpgp_key_free(k);
		}
	}
	for (size_t pos = 0; pos < key.len; pos++) {
		memcpy(copy, key.buf, key.len);
		copy[pos] ^= 0x80;
		if (openpgp_key_parse(copy, key.len, "flip", NOW, &k, &err) == 0)
			openpgp_key_free(k);
	}
	ok(all_ok, "every truncation and flipped byte is handled; a cut primary key is refused");
	all_ok = 1;
	for (int i = 0; i < 3000; i++) {
		unsigned char junk[700];
		size_t len = (size_t)(i % 700);

		RAND_bytes(junk, sizeof(junk));
		if (i % 3 == 0)
			junk[0] = 0x99; /* an old-format public key packet header */
		if (i % 3 == 1) {
			memcpy(junk, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n", 38);
			for (size_t j = 38; j < sizeof(junk); j++)
				junk[j] = (unsigned char)("ABCDxyz019+/=\n"[junk[j] % 14]);
		}
		if (openpgp_key_parse(junk, len, "junk", NOW, &k, &err) == 0) {
			all_ok = 0;
			openpgp_key_free(k);
		}
	}
	ok(all_ok, "3000 garbage inputs are each refused");
	free(copy);
	strbuf_release(&key);
	return tap_done();
}
