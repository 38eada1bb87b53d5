/* OpenPGP messages: PKESK v3 (RSA) per recipient, SEIPD v1 with MDC, AES-256, streamed. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "trust/openpgp-private.h"
#include "trust/openpgp.h"

#define SYM_AES256 9
#define SESSION_KEY_LEN 32
#define BLOCK_LEN 16
/* Partial body lengths of 2^16: 224 + 16 in the length octet. */
#define PARTIAL_LEN 65536
#define PARTIAL_OCTET (224 + 16)

/* A packet body cut into 64 KiB partial lengths, the rest with a definite length at the end. */
struct partial_stream {
	unsigned char buf[PARTIAL_LEN];
	size_t len;
};

struct openpgp_encryptor {
	openpgp_output_fn output;
	void *ctx;
	struct strbuf head; /* the PKESK packets, written with the first output */
	unsigned char session_key[SESSION_KEY_LEN];
	EVP_CIPHER_CTX *cfb;
	EVP_MD_CTX *mdc;
	struct partial_stream literal, sealed;
	unsigned char cbuf[PARTIAL_LEN + 64];
	int started, finished;
};

/* New-format definite length octets of len into out; returns their count. */
static size_t length_octets(size_t len, unsigned char out[5])
{
	if (len < 192) {
		out[0] = (unsigned char)len;
		return 1;
	}
	if (len < 8384) {
		out[0] = (unsigned char)(((len - 192) >> 8) + 192);
		out[1] = (unsigned char)((len - 192) & 0xff);
		return 2;
	}
	out[0] = 255;
	out[1] = (unsigned char)(len >> 24);
	out[2] = (unsigned char)(len >> 16);
	out[3] = (unsigned char)(len >> 8);
	out[4] = (unsigned char)len;
	return 5;
}

typedef int (*bytes_fn)(struct openpgp_encryptor *e, const void *buf, size_t len,
                        struct error *err);

/* Add to a partial stream; each full 64 KiB goes out as one partial body. */
static int partial_add(struct openpgp_encryptor *e, struct partial_stream *ps, bytes_fn out,
                       const void *buf, size_t len, struct error *err)
{
	static const unsigned char octet = PARTIAL_OCTET;
	const unsigned char *p = buf;

	while (len > 0) {
		size_t take = PARTIAL_LEN - ps->len < len ? PARTIAL_LEN - ps->len : len;

		memcpy(ps->buf + ps->len, p, take);
		ps->len += take;
		p += take;
		len -= take;
		if (ps->len == PARTIAL_LEN) {
			if (out(e, &octet, 1, err) < 0 || out(e, ps->buf, PARTIAL_LEN, err) < 0)
				return -1;
			ps->len = 0;
		}
	}
	return 0;
}

/* The last part of a packet body, with a definite length (maybe 0). */
static int partial_end(struct openpgp_encryptor *e, struct partial_stream *ps, bytes_fn out,
                       struct error *err)
{
	unsigned char octets[5];
	size_t n = length_octets(ps->len, octets);

	if (out(e, octets, n, err) < 0 || out(e, ps->buf, ps->len, err) < 0)
		return -1;
	ps->len = 0;
	return 0;
}

static int raw_out(struct openpgp_encryptor *e, const void *buf, size_t len, struct error *err)
{
	return len ? e->output(e->ctx, buf, len, err) : 0;
}

static int sealed_add(struct openpgp_encryptor *e, const void *buf, size_t len, struct error *err)
{
	return partial_add(e, &e->sealed, raw_out, buf, len, err);
}

/* Encrypt without hashing (the MDC's own hash). */
static int cfb_out(struct openpgp_encryptor *e, const void *buf, size_t len, struct error *err)
{
	const unsigned char *p = buf;

	while (len > 0) {
		int take = len > PARTIAL_LEN ? PARTIAL_LEN : (int)len, n = 0;

		if (EVP_EncryptUpdate(e->cfb, e->cbuf, &n, p, take) != 1) {
			error_set_openssl(err, "AES-256-CFB");
			return -1;
		}
		if (sealed_add(e, e->cbuf, (size_t)n, err) < 0)
			return -1;
		p += take;
		len -= (size_t)take;
	}
	return 0;
}

/* Plaintext of the encrypted packet: hashed for the MDC, then encrypted. */
static int plain_out(struct openpgp_encryptor *e, const void *buf, size_t len, struct error *err)
{
	if (len && EVP_DigestUpdate(e->mdc, buf, len) != 1) {
		error_set_openssl(err, "SHA-1");
		return -1;
	}
	return cfb_out(e, buf, len, err);
}

/* The session key with its algorithm and checksum: 1 + 32 + 2 bytes. */
static void session_block(const unsigned char *session, unsigned char m[1 + SESSION_KEY_LEN + 2])
{
	unsigned sum = 0;

	m[0] = SYM_AES256;
	memcpy(m + 1, session, SESSION_KEY_LEN);
	for (int i = 0; i < SESSION_KEY_LEN; i++)
		sum += session[i];
	m[1 + SESSION_KEY_LEN] = (unsigned char)(sum >> 8);
	m[2 + SESSION_KEY_LEN] = (unsigned char)sum;
}

/*
 * RFC 6637 for Curve25519: an ephemeral X25519 share, the KDF (a hash of a counter, the shared
 * secret and the key's parameters) gives the key-wrapping key, AES key wrap of the session
 * block padded to 8 bytes. As a PKESK v3 packet.
 */
static int pkesk_ecdh(struct strbuf *sb, const struct openpgp_key *k, const unsigned char *session,
                      struct error *err)
{
	static const unsigned char oid[] = {10,   0x2B, 0x06, 0x01, 0x04, 0x01,
	                                    0x97, 0x55, 0x01, 0x05, 0x01};
	static const char *const wraps[] = {"AES-128-WRAP", "AES-192-WRAP", "AES-256-WRAP"};
	const unsigned char *pub, *fpr, *key_id;
	unsigned char eph[32], share[32], shared[32], m[40], kek[64], wrapped[48], octets[5];
	unsigned char counter[4] = {0, 0, 0, 1}, params[11 + 1 + 4 + 20 + 20];
	EVP_PKEY *sk = NULL, *pk = NULL;
	EVP_PKEY_CTX *dctx = NULL;
	EVP_CIPHER_CTX *wctx = NULL;
	EVP_CIPHER *wrap = NULL;
	EVP_MD_CTX *md = NULL;
	size_t len = 32, plen = 0;
	int kdf_hash, kdf_sym, out_len = 0, fin = 0, ret = -1;
	unsigned int kek_len = 0;

	pgp_key_ecdh(k, &pub, &kdf_hash, &kdf_sym, &fpr);
	key_id = fpr + 12;
	session_block(session, m);
	memset(m + 35, 5, 5); /* PKCS#5 padding to 40 */
	memcpy(params, oid, sizeof(oid));
	plen = sizeof(oid);
	params[plen++] = 18;
	params[plen++] = 3;
	params[plen++] = 1;
	params[plen++] = (unsigned char)kdf_hash;
	params[plen++] = (unsigned char)kdf_sym;
	memcpy(params + plen, "Anonymous Sender    ", 20);
	plen += 20;
	memcpy(params + plen, fpr, 20);
	plen += 20;
	if (RAND_bytes(eph, sizeof(eph)) != 1 ||
	    (sk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, eph, 32)) == NULL ||
	    EVP_PKEY_get_raw_public_key(sk, share, &len) != 1 ||
	    (pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, 32)) == NULL ||
	    (dctx = EVP_PKEY_CTX_new(sk, NULL)) == NULL || EVP_PKEY_derive_init(dctx) != 1 ||
	    EVP_PKEY_derive_set_peer(dctx, pk) != 1 ||
	    EVP_PKEY_derive(dctx, shared, &(size_t){32}) != 1) {
		error_set_openssl(err, "ECDH to %s", openpgp_key_subkey_fingerprint(k));
		goto out;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md,
	                      kdf_hash == 8   ? EVP_sha256()
	                      : kdf_hash == 9 ? EVP_sha384()
	                                      : EVP_sha512(),
	                      NULL) != 1 ||
	    EVP_DigestUpdate(md, counter, 4) != 1 || EVP_DigestUpdate(md, shared, 32) != 1 ||
	    EVP_DigestUpdate(md, params, plen) != 1 || EVP_DigestFinal_ex(md, kek, &kek_len) != 1 ||
	    (wrap = EVP_CIPHER_fetch(NULL, wraps[kdf_sym - 7], NULL)) == NULL ||
	    (wctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex2(wctx, wrap, kek, NULL, NULL) != 1 ||
	    EVP_EncryptUpdate(wctx, wrapped, &out_len, m, sizeof(m)) != 1 || out_len != 48 ||
	    EVP_EncryptFinal_ex(wctx, wrapped + out_len, &fin) != 1) {
		error_set_openssl(err, "ECDH key wrap to %s", openpgp_key_subkey_fingerprint(k));
		goto out;
	}
	strbuf_addch(sb, (char)(0xC0 | 1));
	strbuf_add(sb, octets, length_octets(1 + 8 + 1 + 2 + 33 + 1 + 48, octets));
	strbuf_addch(sb, 3);
	strbuf_add(sb, key_id, 8);
	strbuf_addch(sb, 18);
	strbuf_addch(sb, 1);
	strbuf_addch(sb, 7); /* 263 bits: 0x40 and the 32-byte share */
	strbuf_addch(sb, 0x40);
	strbuf_add(sb, share, 32);
	strbuf_addch(sb, 48);
	strbuf_add(sb, wrapped, 48);
	ret = 0;
out:
	OPENSSL_cleanse(eph, sizeof(eph));
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(m, sizeof(m));
	OPENSSL_cleanse(kek, sizeof(kek));
	EVP_CIPHER_CTX_free(wctx);
	EVP_CIPHER_free(wrap);
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(sk);
	return ret;
}

/* PKCS#1 v1.5 of (algorithm, session key, checksum) to one RSA key, as a PKESK v3 packet. */
static int pkesk(struct strbuf *sb, const struct openpgp_key *k, const unsigned char *session,
                 struct error *err)
{
	const unsigned char *n, *ex, *key_id;
	size_t n_len, e_len, ct_len = 0, skip = 0;
	unsigned char m[1 + SESSION_KEY_LEN + 2], *ct = NULL, octets[5];
	OSSL_PARAM_BLD *bld;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL, *ectx = NULL;
	EVP_PKEY *pkey = NULL;
	int ret = -1, bits;

	if (pgp_key_algo(k) == 18)
		return pkesk_ecdh(sb, k, session, err);
	bld = OSSL_PARAM_BLD_new();
	pgp_key_rsa(k, &n, &n_len, &ex, &e_len, &key_id);
	session_block(session, m);
	if (bld == NULL || (bn_n = BN_bin2bn(n, (int)n_len, NULL)) == NULL ||
	    (bn_e = BN_bin2bn(ex, (int)e_len, NULL)) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
	    (ectx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL || EVP_PKEY_encrypt_init(ectx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ectx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_encrypt(ectx, NULL, &ct_len, m, sizeof(m)) != 1) {
		error_set_openssl(err, "RSA key %s", openpgp_key_subkey_fingerprint(k));
		goto out;
	}
	ct = xmalloc(ct_len);
	if (EVP_PKEY_encrypt(ectx, ct, &ct_len, m, sizeof(m)) != 1) {
		error_set_openssl(err, "RSA encryption to %s", openpgp_key_subkey_fingerprint(k));
		goto out;
	}
	while (skip < ct_len && ct[skip] == 0)
		skip++;
	bits = (int)(ct_len - skip) * 8;
	for (unsigned char top = skip < ct_len ? ct[skip] : 0x80; !(top & 0x80); top <<= 1)
		bits--;
	strbuf_addch(sb, (char)(0xC0 | 1));
	strbuf_add(sb, octets, length_octets(1 + 8 + 1 + 2 + ct_len - skip, octets));
	strbuf_addch(sb, 3);
	strbuf_add(sb, key_id, 8);
	strbuf_addch(sb, 1);
	strbuf_addch(sb, (char)(bits >> 8));
	strbuf_addch(sb, (char)bits);
	strbuf_add(sb, ct + skip, ct_len - skip);
	ret = 0;
out:
	OPENSSL_cleanse(m, sizeof(m));
	free(ct);
	EVP_PKEY_CTX_free(ectx);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	BN_free(bn_n);
	BN_free(bn_e);
	OSSL_PARAM_BLD_free(bld);
	return ret;
}

int openpgp_encryptor_new(struct openpgp_encryptor **out, struct openpgp_key *const *keys, size_t n,
                          openpgp_output_fn output, void *ctx, struct error *err)
{
	struct openpgp_encryptor *e = xcalloc(1, sizeof(*e));
	static const unsigned char zero_iv[BLOCK_LEN];

	*out = NULL;
	e->output = output;
	e->ctx = ctx;
	if (n == 0) {
		error_set(err, "OpenPGP: no recipient");
		goto fail;
	}
	if (RAND_bytes(e->session_key, SESSION_KEY_LEN) != 1) {
		error_set_openssl(err, "OpenPGP: random session key");
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		if (pkesk(&e->head, keys[i], e->session_key, err) < 0)
			goto fail;
	if ((e->cfb = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(e->cfb, EVP_aes_256_cfb128(), NULL, e->session_key, zero_iv) != 1 ||
	    (e->mdc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(e->mdc, EVP_sha1(), NULL) != 1) {
		error_set_openssl(err, "OpenPGP");
		goto fail;
	}
	*out = e;
	return 0;
fail:
	openpgp_encryptor_free(e);
	return -1;
}

/*
 * The PKESKs, the encrypted packet's tag and version, the random prefix (its last two bytes
 * repeated), and the literal packet's tag and header: binary, no name, no date.
 */
static int encryptor_start(struct openpgp_encryptor *e, struct error *err)
{
	static const unsigned char seipd[2] = {0xC0 | 18, 0}, literal_tag = 0xC0 | 11;
	static const unsigned char literal_head[6] = {'b', 0, 0, 0, 0, 0};
	unsigned char prefix[BLOCK_LEN + 2];
	int ret = -1;

	if (e->started)
		return 0;
	e->started = 1;
	if (RAND_bytes(prefix, BLOCK_LEN) != 1) {
		error_set_openssl(err, "OpenPGP: random prefix");
		return -1;
	}
	prefix[BLOCK_LEN] = prefix[BLOCK_LEN - 2];
	prefix[BLOCK_LEN + 1] = prefix[BLOCK_LEN - 1];
	if (raw_out(e, e->head.buf, e->head.len, err) < 0 || raw_out(e, seipd, 1, err) < 0)
		goto out;
	/* Version 1 is the first byte of the encrypted packet's body, in the clear. */
	if (sealed_add(e, &(unsigned char){1}, 1, err) < 0 ||
	    plain_out(e, prefix, sizeof(prefix), err) < 0 ||
	    plain_out(e, &literal_tag, 1, err) < 0 ||
	    partial_add(e, &e->literal, plain_out, literal_head, sizeof(literal_head), err) < 0)
		goto out;
	ret = 0;
out:
	OPENSSL_cleanse(prefix, sizeof(prefix));
	strbuf_release(&e->head);
	return ret;
}

int openpgp_encryptor_write(struct openpgp_encryptor *e, const void *buf, size_t len,
                            struct error *err)
{
	if (e->finished) {
		error_set(err, "OpenPGP: write after finish");
		return -1;
	}
	if (encryptor_start(e, err) < 0)
		return -1;
	return partial_add(e, &e->literal, plain_out, buf, len, err);
}

int openpgp_encryptor_finish(struct openpgp_encryptor *e, struct error *err)
{
	static const unsigned char mdc_head[2] = {0xC0 | 19, 20};
	unsigned char mdc[EVP_MAX_MD_SIZE];
	unsigned int mdc_len = 0;
	int n = 0;

	if (e->finished) {
		error_set(err, "OpenPGP: finished twice");
		return -1;
	}
	e->finished = 1;
	if (encryptor_start(e, err) < 0 || partial_end(e, &e->literal, plain_out, err) < 0 ||
	    plain_out(e, mdc_head, sizeof(mdc_head), err) < 0)
		return -1;
	if (EVP_DigestFinal_ex(e->mdc, mdc, &mdc_len) != 1 || mdc_len != 20) {
		error_set_openssl(err, "OpenPGP: SHA-1");
		return -1;
	}
	if (cfb_out(e, mdc, mdc_len, err) < 0)
		return -1;
	/* CFB is a stream mode: nothing is held back for the final call. */
	if (EVP_EncryptFinal_ex(e->cfb, e->cbuf, &n) != 1 || n != 0) {
		error_set_openssl(err, "AES-256-CFB");
		return -1;
	}
	return partial_end(e, &e->sealed, raw_out, err);
}

void openpgp_encryptor_free(struct openpgp_encryptor *e)
{
	if (e == NULL)
		return;
	EVP_CIPHER_CTX_free(e->cfb);
	EVP_MD_CTX_free(e->mdc);
	if (e->head.buf)
		OPENSSL_cleanse(e->head.buf, e->head.cap);
	strbuf_release(&e->head);
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
}
