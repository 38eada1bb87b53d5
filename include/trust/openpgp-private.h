/* What openpgp.c (keys) and openpgp-encrypt.c (messages) share. */
#ifndef LOGPACK_OPENPGP_PRIVATE_H
#define LOGPACK_OPENPGP_PRIVATE_H

#include <stddef.h>

#include "base/util.h"
#include "trust/openpgp.h"

/* The packet at *p (old or new format, definite length): tag and body; *p moves past it. */
int pgp_next_packet(const unsigned char **p, const unsigned char *end, int *tag,
                    const unsigned char **body, size_t *len, struct error *err);
/* The chosen key's RSA modulus and exponent, and its key ID (8 bytes), owned by k. */
int pgp_key_rsa(const struct openpgp_key *k, const unsigned char **n, size_t *n_len,
                const unsigned char **e, size_t *e_len, const unsigned char **key_id);

/* The chosen key's algorithm: 1 (RSA) or 18 (ECDH on Curve25519). */
int pgp_key_algo(const struct openpgp_key *k);
/* The chosen ECDH key: its point (32 bytes, native X25519), KDF hash and key-wrap algorithm
 * IDs, and its fingerprint (20 bytes), owned by k. */
void pgp_key_ecdh(const struct openpgp_key *k, const unsigned char **pub, int *kdf_hash,
                  int *kdf_sym, const unsigned char **fpr);

/*
 * The binary inside ASCII armor that starts with the line begin ("-----BEGIN PGP ... BLOCK-----"),
 * its CRC-24 checked; what names the expected thing in the error. *out: the caller frees it.
 */
int pgp_dearmor(const unsigned char *data, size_t len, const char *begin, const char *what,
                unsigned char **out, size_t *out_len, struct error *err);

/*
 * Open a PKESK v3 packet's body with the secret keys: 1 with the session key's algorithm and
 * bytes (*key_len of them, at most 32) when one key opens it, and the primary fingerprint of
 * that key in *fpr_hex (owned by s); 0 when no key is its recipient or the result does not check;
 * -1 with err set when the packet is malformed.
 */
int pgp_secret_open_pkesk(const struct openpgp_secret *s, const unsigned char *body, size_t len,
                          int *sym, unsigned char key[32], size_t *key_len, const char **fpr_hex,
                          struct error *err);

#endif
