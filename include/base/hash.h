/* Streaming SHA-256 (OpenSSL EVP), with lowercase hex output as sha256sum prints it. */
#ifndef LOGPACK_HASH_H
#define LOGPACK_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "base/util.h"

#define SHA256_HEX_LEN 64

struct sha256 {
	EVP_MD_CTX *ctx;
};

/* Start a hash. Returns 0, or -1 with the OpenSSL reason in err. */
int sha256_init(struct sha256 *h, struct error *err);
void sha256_update(struct sha256 *h, const void *data, size_t len);
/* Finish into hex[65] and release the context. */
void sha256_final_hex(struct sha256 *h, char hex[SHA256_HEX_LEN + 1]);
/*
 * The same for a context used over and over (a hash per member of a bag): sha256_restart
 * starts again on the context kept by sha256_final_keep, or makes one; sha256_discard frees
 * it in the end. Allocating a context per file cost more than hashing a small one.
 */
int sha256_restart(struct sha256 *h, struct error *err);
void sha256_final_keep(struct sha256 *h, char hex[SHA256_HEX_LEN + 1]);
/* Release without finishing (error paths). */
void sha256_discard(struct sha256 *h);
/* One-shot hash of a buffer into hex[65]. */
int sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1], struct error *err);
/*
 * Hash the regular file at path into hex[65], its size into *size (when not NULL). A symbolic
 * link is not followed, and a FIFO or device is refused without blocking on it: -1 with err
 * naming the path and the reason.
 */
int sha256_file(const char *path, uint64_t *size, char hex[SHA256_HEX_LEN + 1], struct error *err);
/* Is text exactly 64 lowercase or uppercase hex digits? */
int sha256_hex_valid(const char *text);

#endif
