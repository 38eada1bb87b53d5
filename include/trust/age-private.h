/* What age.c and age-decrypt.c share: the format's constants and its primitives. */
#ifndef LOGPACK_AGE_PRIVATE_H
#define LOGPACK_AGE_PRIVATE_H

#include <stdint.h>

#include <openssl/evp.h>

#include "base/util.h"
#include "trust/age.h"

#define AGE_VERSION_LINE "age-encryption.org/v1"
#define AGE_X25519_INFO "age-encryption.org/v1/X25519"
#define FILE_KEY_LEN 16
#define TAG_LEN 16
#define NONCE_LEN 16
#define CHUNK_LEN 65536
#define SEALED_CHUNK_LEN (CHUNK_LEN + TAG_LEN)
#define MAC_LEN 32
#define MAX_IDENTITIES 64

struct age_identity {
	size_t n;
	unsigned char keys[MAX_IDENTITIES][AGE_KEY_LEN];
	unsigned char pubs[MAX_IDENTITIES][AGE_KEY_LEN];
};

/* HKDF-SHA256 (an empty salt when salt_len is 0). */
int age_hkdf(const unsigned char *ikm, size_t ikm_len, const unsigned char *salt, size_t salt_len,
             const char *info, unsigned char *out, size_t out_len, struct error *err);
/*
 * ChaCha20-Poly1305 of len bytes with a 12-byte nonce: encrypt appends the tag to out;
 * decrypt takes len + TAG_LEN bytes and returns 1 when the tag does not match.
 */
int age_chacha(EVP_CIPHER_CTX *ctx, int encrypt, const unsigned char key[32],
               const unsigned char nonce[12], const unsigned char *in, size_t len,
               unsigned char *out, struct error *err);
/* X25519; -1 also for the all-zero result age forbids. */
int age_x25519(const unsigned char priv[32], const unsigned char pub[32], unsigned char out[32],
               struct error *err);
/* The wrapping key of an X25519 stanza. */
int age_x25519_wrap_key(const unsigned char shared[32], const unsigned char share[32],
                        const unsigned char recipient[32], unsigned char key[32],
                        struct error *err);
/* HMAC-SHA256 of the header text under the file key's "header" key. */
int age_header_mac(const unsigned char file_key[FILE_KEY_LEN], const void *header, size_t len,
                   unsigned char mac[MAC_LEN], struct error *err);
/* The STREAM nonce of a chunk: 11 bytes of counter, big-endian, then the last-chunk flag. */
void age_stream_nonce(uint64_t counter, int last, unsigned char nonce[12]);
/* Canonical unpadded base64 of len characters into out; -1 for anything else. */
int age_b64_decode(const char *in, size_t len, unsigned char *out, size_t *out_len);

#endif
