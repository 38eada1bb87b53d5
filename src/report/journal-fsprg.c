/*
 * FSPRG, the seekable sequential key generator of Marson and Poettering ("Practical Secure
 * Logging", IACR ePrint 2013/397) as systemd uses it: from the 12-byte seed, two 768-bit primes
 * p, q = 3 (mod 4) (n = pq, 1536 bits) and a square x0 mod n; the state of epoch e is
 * x0^(2^e) mod n, computed through p and q by the Chinese remainder theorem; the HMAC key of an
 * epoch is SHA-256 of the state (n, x, e, big-endian) and a zero index and counter. Also the
 * verification key's text, parsed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "report/journal-fsprg.h"

#define SECPAR 1536 /* bits of n: what journalctl --setup-keys makes */
#define NBYTES (SECPAR / 8)
#define PBYTES (SECPAR / 16)
#define STATE_LEN (2 * NBYTES + 8)
/* The index det_randomize is given for p, q and x0. */
enum { GEN_P = 1, GEN_Q = 2, GEN_X = 3 };

static void store_be32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static void store_be64(unsigned char *p, uint64_t v)
{
	store_be32(p, (uint32_t)(v >> 32));
	store_be32(p + 4, (uint32_t)v);
}

/* SHA-256(seed || idx || counter), for counter = 0, 1, ...: len bytes of it into out. */
static int det_randomize(unsigned char *out, size_t len, const unsigned char *seed, size_t seed_len,
                         uint32_t idx, struct error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ret = -1;

	if (md == NULL) {
		error_set_openssl(err, "SHA-256");
		return -1;
	}
	for (uint32_t ctr = 0; len > 0; ctr++) {
		unsigned char be[8], digest[32];
		size_t take = len < sizeof(digest) ? len : sizeof(digest);

		store_be32(be, idx);
		store_be32(be + 4, ctr);
		if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
		    EVP_DigestUpdate(md, seed, seed_len) != 1 ||
		    EVP_DigestUpdate(md, be, sizeof(be)) != 1 ||
		    EVP_DigestFinal_ex(md, digest, NULL) != 1) {
			error_set_openssl(err, "SHA-256");
			goto out;
		}
		memcpy(out, digest, take);
		OPENSSL_cleanse(digest, sizeof(digest));
		out += take;
		len -= take;
	}
	ret = 0;
out:
	EVP_MD_CTX_free(md);
	return ret;
}

/* The first prime = 3 (mod 4) from the seed's bytes for idx, its top two bits set. */
static BIGNUM *prime_3mod4(const uint8_t seed[SEED_LEN], uint32_t idx, BN_CTX *bn,
                           struct error *err)
{
	unsigned char buf[PBYTES];
	BIGNUM *p = NULL;
	int r;

	if (det_randomize(buf, sizeof(buf), seed, SEED_LEN, idx, err) < 0)
		return NULL;
	buf[0] |= 0xc0;
	buf[sizeof(buf) - 1] |= 0x03;
	p = BN_bin2bn(buf, sizeof(buf), NULL);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (p == NULL) {
		error_set_openssl(err, "FSPRG prime");
		return NULL;
	}
	while ((r = BN_check_prime(p, bn, NULL)) == 0)
		if (BN_add_word(p, 4) != 1) {
			r = -1;
			break;
		}
	if (r < 0) {
		error_set_openssl(err, "FSPRG prime");
		BN_clear_free(p);
		return NULL;
	}
	return p;
}

void journal_seal_key_free(struct journal_seal_key *k)
{
	if (k == NULL)
		return;
	BN_clear_free(k->p);
	BN_clear_free(k->q);
	BN_free(k->n);
	BN_clear_free(k->x0);
	BN_clear_free(k->p_inv_q);
	EVP_MAC_free(k->hmac);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

/* A hex number of 1 to 16 digits at *s, which moves past it. */
static int parse_hex64(const char **s, uint64_t *out)
{
	int digits = 0, v;

	*out = 0;
	while ((v = hex_digit_value(**s)) >= 0) {
		if (++digits > 16)
			return -1;
		*out = *out << 4 | (uint64_t)v;
		(*s)++;
	}
	return digits ? 0 : -1;
}

/* The text of a verification key into k's seed, start and interval. */
static int key_parse(const char *text, struct journal_seal_key *k, struct error *err)
{
	const char *s = text;
	uint64_t start, interval;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	for (int i = 0; i < SEED_LEN; i++) {
		int hi, lo;

		while (*s == '-')
			s++;
		if ((hi = hex_digit_value(s[0])) < 0 || (lo = hex_digit_value(s[1])) < 0) {
			error_set(err,
			          "not a journal verification key (the seed is 12 bytes of hex)");
			return -1;
		}
		k->seed[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	if (*s++ != '/' || parse_hex64(&s, &start) < 0 || *s++ != '-' ||
	    parse_hex64(&s, &interval) < 0) {
		error_set(err, "not a journal verification key (SEED/START-INTERVAL, in hex)");
		return -1;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s != '\0') {
		error_set(err, "not a journal verification key (more after it)");
		return -1;
	}
	if (start == 0 || interval == 0 || start > UINT64_MAX / interval) {
		error_set(err, "not a journal verification key (its start or interval is out of "
		               "range)");
		return -1;
	}
	k->start_usec = start * interval;
	k->interval_usec = interval;
	return 0;
}

int journal_seal_key_looks_like(const char *text)
{
	struct journal_seal_key k;
	struct error err;
	int r = key_parse(text, &k, &err) == 0;

	OPENSSL_cleanse(&k, sizeof(k));
	return r;
}

struct journal_seal_key *journal_seal_key_new(const char *text, struct error *err)
{
	struct journal_seal_key *k = xcalloc(1, sizeof(*k));
	unsigned char buf[NBYTES];
	BN_CTX *bn = NULL;
	int ok = 0;

	if (key_parse(text, k, err) < 0)
		goto out;
	if ((bn = BN_CTX_new()) == NULL) {
		error_set_openssl(err, "FSPRG");
		goto out;
	}
	if ((k->p = prime_3mod4(k->seed, GEN_P, bn, err)) == NULL ||
	    (k->q = prime_3mod4(k->seed, GEN_Q, bn, err)) == NULL)
		goto out;
	/* x0: a number below n (its top bit cleared), squared. */
	if (det_randomize(buf, sizeof(buf), k->seed, SEED_LEN, GEN_X, err) < 0)
		goto out;
	buf[0] &= 0x7f;
	if ((k->n = BN_new()) == NULL || (k->x0 = BN_bin2bn(buf, sizeof(buf), NULL)) == NULL ||
	    BN_mul(k->n, k->p, k->q, bn) != 1 || BN_mod_sqr(k->x0, k->x0, k->n, bn) != 1 ||
	    (k->p_inv_q = BN_mod_inverse(NULL, k->p, k->q, bn)) == NULL) {
		error_set_openssl(err, "FSPRG");
		goto out;
	}
	if (BN_num_bits(k->n) != SECPAR) {
		error_set(err, "FSPRG: the modulus is not %d bits", SECPAR);
		goto out;
	}
	if ((k->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL) {
		error_set_openssl(err, "HMAC");
		goto out;
	}
	ok = 1;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	BN_CTX_free(bn);
	if (!ok) {
		journal_seal_key_free(k);
		return NULL;
	}
	return k;
}

/* x0^(2^epoch) mod n into x: through p and q, where 2^epoch reduces mod p-1 and q-1. */
int journal_fsprg_seek(const struct journal_seal_key *k, uint64_t epoch, BIGNUM *x, BN_CTX *bn)
{
	BIGNUM *e, *two, *phi, *xp, *xq, *a;
	int ok = 0;

	BN_CTX_start(bn);
	e = BN_CTX_get(bn);
	two = BN_CTX_get(bn);
	phi = BN_CTX_get(bn);
	xp = BN_CTX_get(bn);
	xq = BN_CTX_get(bn);
	a = BN_CTX_get(bn);
	if (a == NULL || BN_set_word(two, 2) != 1)
		goto out;
	/* BN_set_word takes a BN_ULONG, which may be 32 bits. */
	if (BN_set_word(e, (BN_ULONG)(epoch >> 32)) != 1 || BN_lshift(e, e, 32) != 1 ||
	    BN_add_word(e, (BN_ULONG)(epoch & 0xffffffffu)) != 1)
		goto out;
	/*
	 * The exponent reduced mod p-1 and the base are secrets: the exponentiations mod p and q
	 * (odd) run in constant time. The reductions of 2^epoch (epoch is public) cannot: their
	 * moduli are even, which the constant-time path does not take.
	 */
	if (BN_sub(phi, k->p, BN_value_one()) != 1 || BN_mod_exp(a, two, e, phi, bn) != 1 ||
	    BN_nnmod(xp, k->x0, k->p, bn) != 1)
		goto out;
	BN_set_flags(a, BN_FLG_CONSTTIME);
	BN_set_flags(xp, BN_FLG_CONSTTIME);
	if (BN_mod_exp(xp, xp, a, k->p, bn) != 1)
		goto out;
	if (BN_sub(phi, k->q, BN_value_one()) != 1 || BN_mod_exp(a, two, e, phi, bn) != 1 ||
	    BN_nnmod(xq, k->x0, k->q, bn) != 1)
		goto out;
	BN_set_flags(xq, BN_FLG_CONSTTIME);
	if (BN_mod_exp(xq, xq, a, k->q, bn) != 1)
		goto out;
	/* x = xp + p * ((xq - xp) / p mod q) */
	if (BN_mod_sub(a, xq, xp, k->q, bn) != 1 || BN_mod_mul(a, a, k->p_inv_q, k->q, bn) != 1 ||
	    BN_mul(x, k->p, a, bn) != 1 || BN_add(x, x, xp) != 1)
		goto out;
	ok = 1;
out:
	if (xp)
		BN_clear(xp);
	if (xq)
		BN_clear(xq);
	BN_CTX_end(bn);
	return ok ? 0 : -1;
}

/* The HMAC key of the state (x, epoch). */
int journal_fsprg_key(const struct journal_seal_key *k, const BIGNUM *x, uint64_t epoch,
                      unsigned char key[JOURNAL_FSPRG_KEY_LEN], struct error *err)
{
	unsigned char state[STATE_LEN];
	int r;

	if (BN_bn2binpad(k->n, state, NBYTES) != NBYTES ||
	    BN_bn2binpad(x, state + NBYTES, NBYTES) != NBYTES) {
		error_set_openssl(err, "FSPRG state");
		return -1;
	}
	store_be64(state + 2 * NBYTES, epoch);
	r = det_randomize(key, JOURNAL_FSPRG_KEY_LEN, state, sizeof(state), 0, err);
	OPENSSL_cleanse(state, sizeof(state));
	return r;
}
