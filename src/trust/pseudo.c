/* Keyed pseudonymisation primitives: incident key, HKDF subkeys, HMAC tokens. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "base/atomic-file.h"
#include "base/secrets.h"
#include "trust/pseudo.h"

/* Fixed salt: it names the scheme, so a future scheme's subkeys differ from these. */
static const char scheme_salt[] = "logpack-redact-v1";
static const char key_tag[] = "logpack-incident-key-1";

static const char *const type_names[PSEUDO_TYPE_COUNT] = {
        "addresses", "users", "hosts", "email", "mac", "words", "link",
};

static const char *const token_prefixes[PSEUDO_TYPE_COUNT] = {
        NULL, "user-", "host-", "mail-", NULL, "word-", NULL,
};

const char *pseudo_type_name(enum pseudo_type type)
{
	return (unsigned)type < PSEUDO_TYPE_COUNT ? type_names[type] : "?";
}

int pseudo_hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len,
                       uint8_t out[32], struct error *err)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t out_len = 0;
	int rc = -1;

	if (mac == NULL) {
		error_set_openssl(err, "HMAC");
		return -1;
	}
	ctx = EVP_MAC_CTX_new(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx == NULL || EVP_MAC_init(ctx, key, key_len, params) != 1 ||
	    EVP_MAC_update(ctx, data, len) != 1 || EVP_MAC_final(ctx, out, &out_len, 32) != 1 ||
	    out_len != 32) {
		error_set_openssl(err, "HMAC-SHA256");
		goto out;
	}
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

int pseudo_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                       const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len,
                       struct error *err)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[5], *p = params;
	int rc = -1;

	if (kdf == NULL) {
		error_set_openssl(err, "HKDF");
		return -1;
	}
	ctx = EVP_KDF_CTX_new(kdf);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
	/* An empty info or salt is passed as absent: RFC 5869 treats both the same. */
	if (info_len > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
		                                         info_len);
	if (salt != NULL && salt_len > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
		                                         salt_len);
	*p = OSSL_PARAM_construct_end();
	if (ctx == NULL || EVP_KDF_derive(ctx, out, out_len, params) != 1) {
		error_set_openssl(err, "HKDF-SHA256");
		goto out;
	}
	rc = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

/* An HMAC-SHA256 context keyed with key, ready for EVP_MAC_update. */
static EVP_MAC_CTX *keyed_hmac(EVP_MAC *mac, const uint8_t *key, size_t key_len, struct error *err)
{
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx == NULL || EVP_MAC_init(ctx, key, key_len, params) != 1) {
		error_set_openssl(err, "HMAC-SHA256 key");
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* HMAC-SHA256 with a keyed context: restarted with the key it holds, so never re-keyed. */
static int keyed_hmac_run(EVP_MAC_CTX *ctx, const void *data, size_t len, uint8_t out[32],
                          struct error *err)
{
	size_t out_len = 0;

	/* A NULL key restarts HMAC with the key set before (OpenSSL 3's HMAC provider). */
	if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1 || EVP_MAC_update(ctx, data, len) != 1 ||
	    EVP_MAC_final(ctx, out, &out_len, 32) != 1 || out_len != 32) {
		error_set_openssl(err, "HMAC-SHA256");
		return -1;
	}
	return 0;
}

int pseudo_keys_derive(const uint8_t key[PSEUDO_KEY_LEN], struct pseudo_keys *keys,
                       struct error *err)
{
	uint8_t id[8];
	EVP_MAC *mac;

	memset(keys, 0, sizeof(*keys));
	for (int t = 0; t < PSEUDO_TYPE_COUNT; t++)
		if (pseudo_hkdf_sha256((const uint8_t *)scheme_salt, strlen(scheme_salt), key,
		                       PSEUDO_KEY_LEN, (const uint8_t *)type_names[t],
		                       strlen(type_names[t]), keys->sub[t], PSEUDO_KEY_LEN,
		                       err) < 0) {
			pseudo_keys_wipe(keys);
			return -1;
		}
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL) {
		error_set_openssl(err, "HMAC");
		pseudo_keys_wipe(keys);
		return -1;
	}
	for (int t = 0; t < PSEUDO_TYPE_COUNT; t++) {
		keys->mac[t] = keyed_hmac(mac, keys->sub[t], PSEUDO_KEY_LEN, err);
		if (keys->mac[t] == NULL) {
			EVP_MAC_free(mac);
			pseudo_keys_wipe(keys);
			return -1;
		}
	}
	/* Each context holds its own reference to the algorithm. */
	EVP_MAC_free(mac);
	/* The identifier is one more derived value: it names the key and reveals nothing of it. */
	if (pseudo_hkdf_sha256((const uint8_t *)scheme_salt, strlen(scheme_salt), key,
	                       PSEUDO_KEY_LEN, (const uint8_t *)"key-id", 6, id, sizeof(id),
	                       err) < 0) {
		pseudo_keys_wipe(keys);
		return -1;
	}
	hex_encode(id, sizeof(id), keys->key_id);
	return 0;
}

void pseudo_keys_wipe(struct pseudo_keys *keys)
{
	/* EVP_MAC_CTX_free cleanses the key copy the context holds. */
	for (int t = 0; t < PSEUDO_TYPE_COUNT; t++)
		EVP_MAC_CTX_free(keys->mac[t]);
	OPENSSL_cleanse(keys, sizeof(*keys));
}

int pseudo_token(const struct pseudo_keys *keys, enum pseudo_type type, const char *value,
                 size_t len, char out[PSEUDO_TOKEN_MAX + 1], struct error *err)
{
	/* The RFC 4648 base32 alphabet in lower case: a token is a valid user name, host label
	 * and e-mail local part. */
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	const char *prefix;
	uint8_t mac[32];
	char lower[256];
	const void *data = value;
	uint64_t bits = 0;
	size_t n;

	if ((unsigned)type >= PSEUDO_TYPE_COUNT || token_prefixes[type] == NULL) {
		error_set(err, "no token for %s", pseudo_type_name(type));
		return -1;
	}
	prefix = token_prefixes[type];
	/* Host names are case-insensitive (RFC 4343): Web01 and web01 are one host. */
	if (type == PSEUDO_HOSTS && len <= sizeof(lower)) {
		for (size_t i = 0; i < len; i++)
			lower[i] = (value[i] >= 'A' && value[i] <= 'Z') ? (char)(value[i] + 32)
			                                                : value[i];
		data = lower;
	}
	if (keyed_hmac_run(keys->mac[type], data, len, mac, err) < 0)
		return -1;
	for (int i = 0; i < 8; i++)
		bits = bits << 8 | mac[i];
	n = strlen(prefix);
	memcpy(out, prefix, n);
	for (int i = 0; i < 10; i++)
		out[n++] = b32[(bits >> (64 - 5 * (i + 1))) & 31];
	out[n] = '\0';
	OPENSSL_cleanse(lower, sizeof(lower));
	return 0;
}

int pseudo_mac(const struct pseudo_keys *keys, const uint8_t in[6], uint8_t out[6],
               struct error *err)
{
	uint8_t mac[32];

	if (keyed_hmac_run(keys->mac[PSEUDO_MAC], in, 6, mac, err) < 0)
		return -1;
	memcpy(out, mac, 6);
	/* Locally administered (bit 1 set), unicast (bit 0 clear): never a vendor's address. */
	out[0] = (uint8_t)((out[0] & 0xfc) | 0x02);
	return 0;
}

int pseudo_key_parse(const char *text, size_t len, uint8_t key[PSEUDO_KEY_LEN], struct error *err)
{
	const char *p = text, *end = text + len;
	size_t tag_len = strlen(key_tag);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end;
		size_t n = (size_t)(line_end - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0 || p[0] == '#') {
			p = eol ? eol + 1 : end;
			continue;
		}
		if (n != tag_len + 1 + 2 * PSEUDO_KEY_LEN || memcmp(p, key_tag, tag_len) != 0 ||
		    p[tag_len] != ' ') {
			error_set(err, "not an incident key (expected a line '%s <64 hex digits>')",
			          key_tag);
			return -1;
		}
		for (size_t i = 0; i < PSEUDO_KEY_LEN; i++) {
			int hi = hex_digit_value(p[tag_len + 1 + 2 * i]);
			int lo = hex_digit_value(p[tag_len + 2 + 2 * i]);

			if (hi < 0 || lo < 0) {
				OPENSSL_cleanse(key, PSEUDO_KEY_LEN);
				error_set(err, "incident key: not a hexadecimal digit in the key");
				return -1;
			}
			key[i] = (uint8_t)(hi << 4 | lo);
		}
		/* Exactly one key: two files run together must not silently give the first one's
		 * pseudonyms, nor anything but comments follow the key. */
		for (p = eol ? eol + 1 : end; p < end;) {
			eol = memchr(p, '\n', (size_t)(end - p));
			n = (size_t)((eol ? eol : end) - p);
			if (n > 0 && p[n - 1] == '\r')
				n--;
			if (n > 0 && p[0] != '#') {
				OPENSSL_cleanse(key, PSEUDO_KEY_LEN);
				error_set(err,
				          "not an incident key (more than one line: one '%s' "
				          "line and comments are expected)",
				          key_tag);
				return -1;
			}
			p = eol ? eol + 1 : end;
		}
		return 0;
	}
	error_set(err, "not an incident key (no '%s' line)", key_tag);
	return -1;
}

int pseudo_key_load(const char *path, uint8_t key[PSEUDO_KEY_LEN], struct error *err)
{
	const size_t max = 4096;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (secrets_protect_process(err) < 0)
		return -1;
	if (secrets_read_private(path, max, "an incident key", &text, &len, err) < 0)
		return -1;
	rc = pseudo_key_parse(text, len, key, err);
	if (rc < 0)
		error_prefix(err, "%s", path);
	secrets_free(text, max + 1);
	return rc;
}

int pseudo_key_generate(const char *path, char key_id_out[PSEUDO_KEY_ID_LEN + 1], struct error *err)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t key[PSEUDO_KEY_LEN];
	struct pseudo_keys keys;
	struct strbuf sb = STRBUF_INIT;
	char line[2 * PSEUDO_KEY_LEN + 1];
	int rc = -1;

	if (RAND_priv_bytes(key, sizeof(key)) != 1) {
		error_set_openssl(err, "random bytes for the incident key");
		return -1;
	}
	if (pseudo_keys_derive(key, &keys, err) < 0)
		goto out;
	for (size_t i = 0; i < PSEUDO_KEY_LEN; i++) {
		line[2 * i] = hex[key[i] >> 4];
		line[2 * i + 1] = hex[key[i] & 15];
	}
	line[2 * PSEUDO_KEY_LEN] = '\0';
	/* Sized once so that the secret is never copied by a reallocation. */
	strbuf_grow(&sb, 512);
	strbuf_addf(&sb,
	            "# logpack incident key: the secret behind every pseudonym of one incident.\n"
	            "# Keep it with the incident's records; never put it into a bundle.\n"
	            "# key id: %s\n"
	            "%s %s\n",
	            keys.key_id, key_tag, line);
	if (atomic_file_write(path, sb.buf, sb.len, 0600, 0, err) < 0)
		goto out;
	if (key_id_out)
		memcpy(key_id_out, keys.key_id, PSEUDO_KEY_ID_LEN + 1);
	rc = 0;
out:
	if (sb.buf)
		OPENSSL_cleanse(sb.buf, sb.cap);
	strbuf_release(&sb);
	OPENSSL_cleanse(line, sizeof(line));
	OPENSSL_cleanse(key, sizeof(key));
	pseudo_keys_wipe(&keys);
	return rc;
}
