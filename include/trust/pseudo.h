/*
 * Keyed pseudonymisation primitives: the per-incident key (32 random bytes in a text file),
 * its per-type subkeys (HKDF-SHA256), HMAC-SHA256, and the tokens built from them. The same
 * key gives the same token for the same value in every file and every bundle; without the key
 * a token cannot be computed from a guessed value. See docs/redaction.md.
 */
#ifndef LOGPACK_PSEUDO_H
#define LOGPACK_PSEUDO_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

#define PSEUDO_KEY_LEN 32
#define PSEUDO_KEY_ID_LEN 16 /* hex characters */
/* The longest token pseudo_token writes, without its NUL. */
#define PSEUDO_TOKEN_MAX 16

/* What a value is: each type has its own subkey, so equal text of two types never links. */
enum pseudo_type {
	PSEUDO_ADDRESSES,
	PSEUDO_USERS,
	PSEUDO_HOSTS,
	PSEUDO_EMAIL,
	PSEUDO_MAC,
	PSEUDO_WORDS,
	PSEUDO_LINK,
	PSEUDO_TYPE_COUNT
};

struct evp_mac_ctx_st;

struct pseudo_keys {
	uint8_t sub[PSEUDO_TYPE_COUNT][PSEUDO_KEY_LEN];
	char key_id[PSEUDO_KEY_ID_LEN + 1];
	/*
	 * An HMAC-SHA256 context keyed with each subkey, reinitialised for every token: fetching
	 * HMAC and setting the key per token cost more than hashing the token. So the tokens of
	 * one pseudo_keys are made by one thread at a time.
	 */
	struct evp_mac_ctx_st *mac[PSEUDO_TYPE_COUNT];
};

/* The HKDF info string of a type ("addresses", "users", ...). */
const char *pseudo_type_name(enum pseudo_type type);

/* HMAC-SHA256 (RFC 2104) through EVP_MAC. Returns 0, or -1 with OpenSSL's reason. */
int pseudo_hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len,
                       uint8_t out[32], struct error *err);
/* HKDF-SHA256 (RFC 5869), extract and expand, through EVP_KDF. salt may be NULL (no salt). */
int pseudo_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                       const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len,
                       struct error *err);

/*
 * Every subkey and the key's identifier from the incident key. Wipe with pseudo_keys_wipe (it
 * also frees the keyed contexts), before deriving into the same keys again.
 */
int pseudo_keys_derive(const uint8_t key[PSEUDO_KEY_LEN], struct pseudo_keys *keys,
                       struct error *err);
void pseudo_keys_wipe(struct pseudo_keys *keys);

/*
 * A token for value: the type's prefix ("user-", "host-", "mail-", "word-") and 10 base32
 * characters (50 bits) of HMAC-SHA256(subkey, value). Host names are hashed in lower case.
 * Only for PSEUDO_USERS, PSEUDO_HOSTS, PSEUDO_EMAIL and PSEUDO_WORDS. out holds
 * PSEUDO_TOKEN_MAX + 1 bytes. Returns 0, or -1 (OpenSSL failure) with the reason.
 */
int pseudo_token(const struct pseudo_keys *keys, enum pseudo_type type, const char *value,
                 size_t len, char out[PSEUDO_TOKEN_MAX + 1], struct error *err);
/*
 * A MAC address's replacement: 6 bytes of HMAC-SHA256(MAC subkey, the 6 bytes), made a locally
 * administered unicast address (so it can never be a vendor's real one).
 */
int pseudo_mac(const struct pseudo_keys *keys, const uint8_t in[6], uint8_t out[6],
               struct error *err);

/*
 * Make a new incident key file at path: mode 0600, never replacing an existing file. The text
 * form is documented in docs/redaction.md. key_id_out (may be NULL) receives the identifier.
 */
int pseudo_key_generate(const char *path, char key_id_out[PSEUDO_KEY_ID_LEN + 1],
                        struct error *err);
/* Read an incident key file (private: mode 0600 or stricter, as every key). */
int pseudo_key_load(const char *path, uint8_t key[PSEUDO_KEY_LEN], struct error *err);
/* Parse the text form of an incident key. */
int pseudo_key_parse(const char *text, size_t len, uint8_t key[PSEUDO_KEY_LEN], struct error *err);

#endif
