/*
 * The FSPRG key generator behind journald's seals, shared by journal-seal.c only: the secrets a
 * verification key regenerates, the state of an epoch and its HMAC key.
 */
#ifndef LOGPACK_REPORT_JOURNAL_FSPRG_H
#define LOGPACK_REPORT_JOURNAL_FSPRG_H

#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "base/util.h"
#include "report/journal-seal.h"

#define SEED_LEN 12
#define JOURNAL_FSPRG_KEY_LEN 32

struct journal_seal_key {
	uint8_t seed[SEED_LEN];
	uint64_t start_usec, interval_usec;
	BIGNUM *p, *q, *n, *x0, *p_inv_q;
	EVP_MAC *hmac;
};

/* x0^(2^epoch) mod n into x: through p and q, where 2^epoch reduces mod p-1 and q-1. */
int journal_fsprg_seek(const struct journal_seal_key *k, uint64_t epoch, BIGNUM *x, BN_CTX *bn);
/* The HMAC key of the state (x, epoch). */
int journal_fsprg_key(const struct journal_seal_key *k, const BIGNUM *x, uint64_t epoch,
                      unsigned char key[JOURNAL_FSPRG_KEY_LEN], struct error *err);

#endif
