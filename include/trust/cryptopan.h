/*
 * Crypto-PAn: prefix-preserving pseudonymisation of addresses (Xu, Fan, Ammar, Moon, 2002),
 * with AES-128 as the pseudorandom function as in the reference implementation, and the same
 * construction over 128 bits for IPv6. Two addresses that share their first k bits map to two
 * that share their first k bits; the map is a permutation of the 32- or 128-bit space.
 */
#ifndef LOGPACK_CRYPTOPAN_H
#define LOGPACK_CRYPTOPAN_H

#include <stdint.h>

#include "base/util.h"

struct cryptopan;

/* key: 16 bytes of AES key, then 16 bytes whose encryption is the padding block. */
struct cryptopan *cryptopan_new(const uint8_t key[32], struct error *err);
void cryptopan_free(struct cryptopan *cp);
/*
 * Map an address of bits (32 or 128) bits, network byte order, in to out (bits / 8 bytes; they
 * may be the same buffer). Returns 0, or -1 with OpenSSL's reason.
 */
int cryptopan_map(struct cryptopan *cp, const uint8_t *in, uint8_t *out, unsigned bits,
                  struct error *err);

#endif
