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

#endif
