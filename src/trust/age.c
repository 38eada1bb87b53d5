/* age-encryption.org/v1 with X25519 recipients, streaming, on OpenSSL primitives. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "base/secrets.h"
#include "trust/age-private.h"
#include "trust/age.h"

#define IDENTITY_FILE_MAX 65536

static const char bech32_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
static const char b64_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* ---- bech32 (BIP 173 checksum; age lifts the 90-character limit) ---- */

static uint32_t bech32_polymod_step(uint32_t chk, unsigned v)
{
	static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
	uint32_t top = chk >> 25;

	chk = ((chk & 0x1ffffff) << 5) ^ v;
	for (int i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static uint32_t bech32_hrp_checksum(const char *hrp, size_t hrp_len)
{
	uint32_t chk = 1;

	for (size_t i = 0; i < hrp_len; i++)
		chk = bech32_polymod_step(chk, (unsigned char)hrp[i] >> 5);
	chk = bech32_polymod_step(chk, 0);
	for (size_t i = 0; i < hrp_len; i++)
		chk = bech32_polymod_step(chk, (unsigned char)hrp[i] & 31);
	return chk;
}

/* Encode 32 bytes under hrp (lower case), upper-casing the result if upper. */
static char *bech32_encode(const char *hrp, const unsigned char *data, size_t len, int upper)
{
	size_t hrp_len = strlen(hrp), n5 = (len * 8 + 4) / 5, pos = 0;
	unsigned char *five = xmalloc(n5 + 6);
	uint32_t acc = 0, chk;
	int bits = 0;
	char *out;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			five[pos++] = (acc >> bits) & 31;
		}
	}
	if (bits > 0)
		five[pos++] = (acc << (5 - bits)) & 31;
	chk = bech32_hrp_checksum(hrp, hrp_len);
	for (size_t i = 0; i < pos; i++)
		chk = bech32_polymod_step(chk, five[i]);
	for (int i = 0; i < 6; i++)
		chk = bech32_polymod_step(chk, 0);
	chk ^= 1;
	for (int i = 0; i < 6; i++)
		five[pos + i] = (chk >> (5 * (5 - i))) & 31;
	out = xmalloc(hrp_len + 1 + pos + 6 + 1);
	memcpy(out, hrp, hrp_len);
	out[hrp_len] = '1';
	for (size_t i = 0; i < pos + 6; i++)
		out[hrp_len + 1 + i] = bech32_charset[five[i]];
	out[hrp_len + 1 + pos + 6] = '\0';
	if (upper)
		for (char *p = out; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
	OPENSSL_cleanse(five, n5 + 6);
	free(five);
	return out;
}

/*
 * Decode text (one case only) that must carry hrp and exactly AGE_KEY_LEN bytes. Returns 0,
 * or -1 with a reason.
 */
static int bech32_decode_key(const char *text, const char *hrp, unsigned char out[AGE_KEY_LEN],
                             struct error *err)
{
	size_t len = strlen(text), hrp_len = strlen(hrp), n = 0;
	int has_lower = 0, has_upper = 0, bits = 0;
	uint32_t chk, acc = 0;
	char lower[256];
	const char *sep;

	if (len >= sizeof(lower)) {
		error_set(err, "too long");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 33 || c > 126) {
			error_set(err, "not bech32 text");
			return -1;
		}
		has_lower |= c >= 'a' && c <= 'z';
		has_upper |= c >= 'A' && c <= 'Z';
		lower[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	lower[len] = '\0';
	if (has_lower && has_upper) {
		error_set(err, "mixed upper and lower case");
		return -1;
	}
	sep = strrchr(lower, '1');
	if (sep == NULL || (size_t)(sep - lower) != hrp_len || memcmp(lower, hrp, hrp_len) != 0) {
		error_set(err, "does not start with %s1", hrp);
		return -1;
	}
	/* 32 bytes are 52 five-bit groups, and the checksum six more. */
	if (strlen(sep + 1) != 52 + 6) {
		error_set(err, "wrong length for a key");
		return -1;
	}
	chk = bech32_hrp_checksum(hrp, hrp_len);
	for (const char *p = sep + 1; *p; p++) {
		const char *q = strchr(bech32_charset, *p);

		if (q == NULL) {
			error_set(err, "'%c' is not a bech32 character", *p);
			OPENSSL_cleanse(lower, sizeof(lower));
			return -1;
		}
		chk = bech32_polymod_step(chk, (unsigned)(q - bech32_charset));
		if ((size_t)(p - (sep + 1)) < 52) {
			acc = (acc << 5) | (uint32_t)(q - bech32_charset);
			bits += 5;
			if (bits >= 8) {
				bits -= 8;
				out[n++] = (unsigned char)(acc >> bits);
			}
		}
	}
	OPENSSL_cleanse(lower, sizeof(lower));
	if (chk != 1) {
		error_set(err, "bad checksum");
		return -1;
	}
	if (n != AGE_KEY_LEN || (acc & ((1u << bits) - 1)) != 0) {
		error_set(err, "bad padding");
		return -1;
	}
	return 0;
}

/* ---- base64 without padding, canonical only (as age writes and requires) ---- */

static char *b64_encode(const unsigned char *in, size_t len)
{
	char *out = xmalloc(len / 3 * 4 + 4 + 1), *o = out;
	size_t i = 0;

	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = b64_alphabet[(v >> 6) & 63];
		*o++ = b64_alphabet[v & 63];
	}
	if (len - i == 1) {
		*o++ = b64_alphabet[in[i] >> 2];
		*o++ = b64_alphabet[(in[i] & 3) << 4];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];

		*o++ = b64_alphabet[v >> 10];
		*o++ = b64_alphabet[(v >> 4) & 63];
		*o++ = b64_alphabet[(v & 15) << 2];
	}
	*o = '\0';
	return out;
}

/* Decode len characters into out (room for len*3/4 bytes); -1 for anything not canonical. */
int age_b64_decode(const char *in, size_t len, unsigned char *out, size_t *out_len)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	if (len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		const char *q = in[i] ? memchr(b64_alphabet, in[i], 64) : NULL;

		if (q == NULL)
			return -1;
		acc = (acc << 6) | (uint32_t)(q - b64_alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	*out_len = n;
	return 0;
}

/* ---- primitives ---- */

int age_hkdf(const unsigned char *ikm, size_t ikm_len, const unsigned char *salt, size_t salt_len,
             const char *info, unsigned char *out, size_t out_len, struct error *err)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[5], *p = params;
	int ret = -1;

	if (kctx == NULL) {
		error_set_openssl(err, "HKDF");
		goto out;
	}
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
	if (salt_len > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
		                                         salt_len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, out_len, params) != 1) {
		error_set_openssl(err, "HKDF");
		goto out;
	}
	ret = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ret;
}

/*
 * ChaCha20-Poly1305 of len bytes with a 12-byte nonce: encrypt appends the tag to out;
 * decrypt takes len + TAG_LEN bytes and returns 1 when the tag does not match.
 */
int age_chacha(EVP_CIPHER_CTX *ctx, int encrypt, const unsigned char key[32],
               const unsigned char nonce[12], const unsigned char *in, size_t len,
               unsigned char *out, struct error *err)
{
	int n = 0, fin = 0;

	if (EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, nonce, encrypt) != 1 ||
	    (!encrypt &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, (void *)(in + len)) != 1) ||
	    (len > 0 && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)) {
		error_set_openssl(err, "ChaCha20-Poly1305");
		return -1;
	}
	if (EVP_CipherFinal_ex(ctx, out + n, &fin) != 1) {
		if (!encrypt) {
			ERR_clear_error();
			return 1;
		}
		error_set_openssl(err, "ChaCha20-Poly1305");
		return -1;
	}
	if (encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, out + len) != 1) {
		error_set_openssl(err, "ChaCha20-Poly1305 tag");
		return -1;
	}
	return 0;
}

/* X25519 of a secret key and a public share; -1 also for the all-zero result age forbids. */
int age_x25519(const unsigned char priv[32], const unsigned char pub[32], unsigned char out[32],
               struct error *err)
{
	EVP_PKEY *sk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, 32);
	EVP_PKEY_CTX *ctx = sk ? EVP_PKEY_CTX_new(sk, NULL) : NULL;
	static const unsigned char zero[32];
	size_t len = 32;
	int ret = -1;

	if (pk == NULL || ctx == NULL || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, pk) != 1 || EVP_PKEY_derive(ctx, out, &len) != 1 ||
	    len != 32) {
		error_set_openssl(err, "X25519");
		goto out;
	}
	if (CRYPTO_memcmp(out, zero, 32) == 0) {
		error_set(err, "X25519: a low-order share");
		goto out;
	}
	ret = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(sk);
	return ret;
}

static int x25519_public(const unsigned char priv[32], unsigned char pub[32], struct error *err)
{
	EVP_PKEY *sk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	size_t len = 32;
	int ret = 0;

	if (sk == NULL || EVP_PKEY_get_raw_public_key(sk, pub, &len) != 1 || len != 32) {
		error_set_openssl(err, "X25519 public key");
		ret = -1;
	}
	EVP_PKEY_free(sk);
	return ret;
}

/* The wrapping key of an X25519 stanza: HKDF(shared, share || recipient, X25519 info). */
int age_x25519_wrap_key(const unsigned char shared[32], const unsigned char share[32],
                        const unsigned char recipient[32], unsigned char key[32], struct error *err)
{
	unsigned char salt[64];

	memcpy(salt, share, 32);
	memcpy(salt + 32, recipient, 32);
	return age_hkdf(shared, 32, salt, sizeof(salt), AGE_X25519_INFO, key, 32, err);
}

int age_header_mac(const unsigned char file_key[FILE_KEY_LEN], const void *header, size_t len,
                   unsigned char mac[MAC_LEN], struct error *err)
{
	unsigned char key[32];
	unsigned int mac_len = 0;
	int ret = 0;

	if (age_hkdf(file_key, FILE_KEY_LEN, NULL, 0, "header", key, sizeof(key), err) < 0)
		return -1;
	if (HMAC(EVP_sha256(), key, sizeof(key), header, len, mac, &mac_len) == NULL ||
	    mac_len != MAC_LEN) {
		error_set_openssl(err, "HMAC-SHA256");
		ret = -1;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

/* The STREAM nonce of chunk counter: 11 bytes big-endian, then the last-chunk flag. */
void age_stream_nonce(uint64_t counter, int last, unsigned char nonce[12])
{
	memset(nonce, 0, 12);
	for (int i = 0; i < 8; i++)
		nonce[10 - i] = (unsigned char)(counter >> (8 * i));
	nonce[11] = last ? 1 : 0;
}

/* ---- identities ---- */

int age_recipient_parse(const char *text, struct age_recipient *r, struct error *err)
{
	if (bech32_decode_key(text, "age", r->pub, err) < 0) {
		error_prefix(err, "'%s' is not an age recipient (age1...)", text);
		return -1;
	}
	return 0;
}

char *age_recipient_format(const struct age_recipient *r)
{
	return bech32_encode("age", r->pub, AGE_KEY_LEN, 0);
}

static int identity_add(struct age_identity *id, const char *text, struct error *err)
{
	struct error why = {{0}};

	if (id->n == MAX_IDENTITIES) {
		error_set(err, "more than %d keys", MAX_IDENTITIES);
		return -1;
	}
	if (bech32_decode_key(text, "age-secret-key-", id->keys[id->n], &why) < 0) {
		error_set(err, "not an age secret key (AGE-SECRET-KEY-1...): %s", why.msg);
		return -1;
	}
	if (x25519_public(id->keys[id->n], id->pubs[id->n], err) < 0)
		return -1;
	id->n++;
	return 0;
}

int age_identity_parse(const char *text, struct age_identity **out, struct error *err)
{
	struct age_identity *id = xcalloc(1, sizeof(*id));

	*out = NULL;
	if (identity_add(id, text, err) < 0) {
		age_identity_free(id);
		return -1;
	}
	*out = id;
	return 0;
}

int age_identity_load(const char *path, struct age_identity **out, struct error *err)
{
	struct age_identity *id = NULL;
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	int ret = -1, lineno = 0;

	*out = NULL;
	if (secrets_read_private(path, IDENTITY_FILE_MAX, "an age identity file", &buf, &len, err) <
	    0)
		return -1;
	id = xcalloc(1, sizeof(*id));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t l = strlen(line);

		lineno++;
		if (l > 0 && line[l - 1] == '\r')
			line[--l] = '\0';
		if (l == 0 || line[0] == '#')
			continue;
		if (identity_add(id, line, err) < 0) {
			error_prefix(err, "%s:%d", path, lineno);
			goto out;
		}
	}
	if (id->n == 0) {
		error_set(err, "%s: no age secret key (AGE-SECRET-KEY-1...) in the file", path);
		goto out;
	}
	*out = id;
	id = NULL;
	ret = 0;
out:
	secrets_free(buf, IDENTITY_FILE_MAX + 1);
	age_identity_free(id);
	return ret;
}

void age_identity_recipient(const struct age_identity *id, struct age_recipient *r)
{
	memcpy(r->pub, id->pubs[0], AGE_KEY_LEN);
}

int age_identity_generate(struct age_identity **out, char **text_out, struct error *err)
{
	struct age_identity *id = xcalloc(1, sizeof(*id));

	*out = NULL;
	if (RAND_bytes(id->keys[0], AGE_KEY_LEN) != 1) {
		error_set_openssl(err, "random key");
		age_identity_free(id);
		return -1;
	}
	if (x25519_public(id->keys[0], id->pubs[0], err) < 0) {
		age_identity_free(id);
		return -1;
	}
	id->n = 1;
	*text_out = bech32_encode("age-secret-key-", id->keys[0], AGE_KEY_LEN, 1);
	*out = id;
	return 0;
}

void age_identity_free(struct age_identity *id)
{
	if (id == NULL)
		return;
	OPENSSL_cleanse(id, sizeof(*id));
	free(id);
}

/* ---- encryption ---- */

struct age_encryptor {
	age_output_fn output;
	void *ctx;
	EVP_CIPHER_CTX *cipher;
	char *header; /* written with the first output */
	size_t header_len;
	unsigned char nonce[NONCE_LEN];
	unsigned char payload_key[32];
	unsigned char chunk[CHUNK_LEN];
	unsigned char sealed[SEALED_CHUNK_LEN];
	size_t chunk_len;
	uint64_t counter;
	int finished;
};

/* One X25519 stanza wrapping file_key for recipient, appended to sb. */
static int x25519_stanza(struct strbuf *sb, const unsigned char file_key[FILE_KEY_LEN],
                         const struct age_recipient *r, EVP_CIPHER_CTX *cipher, struct error *err)
{
	unsigned char eph[32], share[32], shared[32], key[32], body[FILE_KEY_LEN + TAG_LEN];
	static const unsigned char zero_nonce[12];
	char *share64 = NULL, *body64 = NULL;
	int ret = -1;

	if (RAND_bytes(eph, sizeof(eph)) != 1) {
		error_set_openssl(err, "random ephemeral key");
		goto out;
	}
	if (x25519_public(eph, share, err) < 0 || age_x25519(eph, r->pub, shared, err) < 0 ||
	    age_x25519_wrap_key(shared, share, r->pub, key, err) < 0 ||
	    age_chacha(cipher, 1, key, zero_nonce, file_key, FILE_KEY_LEN, body, err) != 0)
		goto out;
	share64 = b64_encode(share, sizeof(share));
	body64 = b64_encode(body, sizeof(body));
	strbuf_addf(sb, "-> X25519 %s\n%s\n", share64, body64);
	ret = 0;
out:
	OPENSSL_cleanse(eph, sizeof(eph));
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(key, sizeof(key));
	free(share64);
	free(body64);
	return ret;
}

int age_encryptor_new(struct age_encryptor **out, const struct age_recipient *recipients, size_t n,
                      age_output_fn output, void *ctx, struct error *err)
{
	struct age_encryptor *e = xcalloc(1, sizeof(*e));
	unsigned char file_key[FILE_KEY_LEN], mac[MAC_LEN];
	struct strbuf sb = STRBUF_INIT;
	char *mac64;
	int ret = -1;

	*out = NULL;
	e->output = output;
	e->ctx = ctx;
	if (n == 0) {
		error_set(err, "age: no recipient");
		goto out;
	}
	if ((e->cipher = EVP_CIPHER_CTX_new()) == NULL) {
		error_set_openssl(err, "age");
		goto out;
	}
	if (RAND_bytes(file_key, sizeof(file_key)) != 1 ||
	    RAND_bytes(e->nonce, sizeof(e->nonce)) != 1) {
		error_set_openssl(err, "age: random file key");
		goto out;
	}
	strbuf_addstr(&sb, AGE_VERSION_LINE "\n");
	for (size_t i = 0; i < n; i++)
		if (x25519_stanza(&sb, file_key, &recipients[i], e->cipher, err) < 0)
			goto out;
	strbuf_addstr(&sb, "---");
	if (age_header_mac(file_key, sb.buf, sb.len, mac, err) < 0 ||
	    age_hkdf(file_key, FILE_KEY_LEN, e->nonce, NONCE_LEN, "payload", e->payload_key,
	             sizeof(e->payload_key), err) < 0)
		goto out;
	mac64 = b64_encode(mac, sizeof(mac));
	strbuf_addf(&sb, " %s\n", mac64);
	free(mac64);
	e->header_len = sb.len;
	e->header = strbuf_detach(&sb);
	*out = e;
	e = NULL;
	ret = 0;
out:
	OPENSSL_cleanse(file_key, sizeof(file_key));
	strbuf_release(&sb);
	age_encryptor_free(e);
	return ret;
}

/* The header and nonce, once, before the first chunk. */
static int encryptor_start(struct age_encryptor *e, struct error *err)
{
	if (e->header == NULL)
		return 0;
	if (e->output(e->ctx, e->header, e->header_len, err) < 0 ||
	    e->output(e->ctx, e->nonce, NONCE_LEN, err) < 0)
		return -1;
	free(e->header);
	e->header = NULL;
	return 0;
}

static int encryptor_seal(struct age_encryptor *e, int last, struct error *err)
{
	unsigned char nonce[12];

	if (e->counter == UINT64_MAX >> 8 && !last) {
		error_set(err, "age: the stream is too long");
		return -1;
	}
	age_stream_nonce(e->counter++, last, nonce);
	if (age_chacha(e->cipher, 1, e->payload_key, nonce, e->chunk, e->chunk_len, e->sealed,
	               err) != 0)
		return -1;
	if (e->output(e->ctx, e->sealed, e->chunk_len + TAG_LEN, err) < 0)
		return -1;
	e->chunk_len = 0;
	return 0;
}

int age_encryptor_write(struct age_encryptor *e, const void *buf, size_t len, struct error *err)
{
	const unsigned char *p = buf;

	if (e->finished) {
		error_set(err, "age: write after finish");
		return -1;
	}
	if (encryptor_start(e, err) < 0)
		return -1;
	while (len > 0) {
		size_t take;

		/* A full chunk is sealed only when more follows: the last one carries the flag. */
		if (e->chunk_len == CHUNK_LEN && encryptor_seal(e, 0, err) < 0)
			return -1;
		take = CHUNK_LEN - e->chunk_len < len ? CHUNK_LEN - e->chunk_len : len;
		memcpy(e->chunk + e->chunk_len, p, take);
		e->chunk_len += take;
		p += take;
		len -= take;
	}
	return 0;
}

int age_encryptor_finish(struct age_encryptor *e, struct error *err)
{
	if (e->finished) {
		error_set(err, "age: finished twice");
		return -1;
	}
	e->finished = 1;
	if (encryptor_start(e, err) < 0)
		return -1;
	return encryptor_seal(e, 1, err);
}

void age_encryptor_free(struct age_encryptor *e)
{
	if (e == NULL)
		return;
	EVP_CIPHER_CTX_free(e->cipher);
	free(e->header);
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
}
