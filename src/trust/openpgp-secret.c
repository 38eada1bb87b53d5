/* OpenPGP secret keys (RFC 4880 5.5.3): reading what gpg exports, opening session keys. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "base/secrets.h"
#include "trust/openpgp-private.h"
#include "trust/openpgp.h"

#define ARMOR_SECRET "-----BEGIN PGP PRIVATE KEY BLOCK-----"
#define MAX_SECRET_KEYS 64
#define ALGO_RSA 1
#define ALGO_RSA_E 2
#define ALGO_ECDH 18

static const unsigned char cv25519_oid[] = {0x2B, 0x06, 0x01, 0x04, 0x01,
                                            0x97, 0x55, 0x01, 0x05, 0x01};

struct pgp_secret_key {
	unsigned char fpr[20];
	char primary_hex[41]; /* the certificate it belongs to, for messages and checks */
	int algo;
	EVP_PKEY *pkey; /* RSA or X25519, with its secret */
	int kdf_hash, kdf_sym;
};

struct openpgp_secret {
	struct pgp_secret_key keys[MAX_SECRET_KEYS];
	size_t n;
	size_t n_stubs; /* keys whose secret is not in the file (on a card, or not exported) */
	char current_primary[41];
	/* the passphrase, asked at most once */
	openpgp_passphrase_fn ask;
	void *ask_ctx;
	char *pass;
	size_t pass_len;
	int asked;
};

static void hex40(const unsigned char fpr[20], char out[41])
{
	static const char digits[] = "0123456789ABCDEF";

	for (int i = 0; i < 20; i++) {
		out[2 * i] = digits[fpr[i] >> 4];
		out[2 * i + 1] = digits[fpr[i] & 15];
	}
	out[40] = '\0';
}

/* The MPI at *p: its bytes (within the data) and length; *p moves past it. */
static int mpi(const unsigned char **p, const unsigned char *end, const unsigned char **bytes,
               size_t *len)
{
	size_t bits;

	if (end - *p < 2)
		return -1;
	bits = (size_t)(*p)[0] << 8 | (*p)[1];
	*len = (bits + 7) / 8;
	if ((size_t)(end - *p - 2) < *len)
		return -1;
	*bytes = *p + 2;
	*p += 2 + *len;
	return 0;
}

/* Past the public fields of a v4 key of algorithm algo; -1 when they do not parse or the
 * algorithm is unknown. */
static int skip_public(int algo, const unsigned char **p, const unsigned char *end)
{
	const unsigned char *b;
	size_t l;
	int n_mpi;

	switch (algo) {
	case 1:
	case 2:
	case 3:
		n_mpi = 2;
		break;
	case 16:
		n_mpi = 3;
		break;
	case 17:
		n_mpi = 4;
		break;
	case 18:
	case 19:
	case 22:
		if (end - *p < 1 || (*p)[0] == 0 || (*p)[0] == 0xff || end - *p - 1 < (*p)[0])
			return -1;
		*p += 1 + (*p)[0];
		if (mpi(p, end, &b, &l) < 0)
			return -1;
		if (algo == 18) {
			if (end - *p < 1 || end - *p - 1 < (*p)[0])
				return -1;
			*p += 1 + (*p)[0];
		}
		return 0;
	default:
		return -1;
	}
	for (int i = 0; i < n_mpi; i++)
		if (mpi(p, end, &b, &l) < 0)
			return -1;
	return 0;
}

static const EVP_MD *hash_by_id(int id)
{
	switch (id) {
	case 2:
		return EVP_sha1();
	case 8:
		return EVP_sha256();
	case 9:
		return EVP_sha384();
	case 10:
		return EVP_sha512();
	case 11:
		return EVP_sha224();
	default:
		return NULL;
	}
}

static const EVP_CIPHER *aes_cfb_by_id(int id)
{
	switch (id) {
	case 7:
		return EVP_aes_128_cfb128();
	case 8:
		return EVP_aes_192_cfb128();
	case 9:
		return EVP_aes_256_cfb128();
	default:
		return NULL;
	}
}

/*
 * String-to-key (RFC 4880 3.7.1): simple (0), salted (1) or iterated and salted (3). The
 * iterated input is salt || passphrase repeated to count bytes; it is hashed from a buffer of
 * whole repetitions, so that gpg's usual 65 million bytes take a few large updates.
 */
static int s2k_derive(int type, const EVP_MD *md, const unsigned char *salt, size_t count,
                      const char *pass, size_t pass_len, unsigned char *key, size_t key_len,
                      struct error *err)
{
	size_t unit = (type == 0 ? 0 : 8) + pass_len, reps, buf_len, done = 0;
	unsigned char *buf, zero = 0, dig[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int dig_len = 0;
	int ret = -1;

	if (type != 3 || count < unit)
		count = unit;
	reps = unit == 0 ? 1 : (16384 + unit - 1) / unit;
	buf_len = reps * unit;
	buf = xmalloc(buf_len + 1);
	for (size_t i = 0; i < reps && unit > 0; i++) {
		if (type != 0)
			memcpy(buf + i * unit, salt, 8);
		memcpy(buf + i * unit + (type == 0 ? 0 : 8), pass, pass_len);
	}
	for (size_t preload = 0; done < key_len; preload++) {
		size_t left = count, take;

		if (ctx == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1)
			goto fail;
		for (size_t i = 0; i < preload; i++)
			if (EVP_DigestUpdate(ctx, &zero, 1) != 1)
				goto fail;
		while (left > 0) {
			take = left < buf_len ? left : buf_len;
			if (EVP_DigestUpdate(ctx, buf, take) != 1)
				goto fail;
			left -= take;
		}
		if (EVP_DigestFinal_ex(ctx, dig, &dig_len) != 1)
			goto fail;
		take = key_len - done < dig_len ? key_len - done : dig_len;
		memcpy(key + done, dig, take);
		done += take;
	}
	ret = 0;
	goto out;
fail:
	error_set_openssl(err, "string-to-key");
out:
	OPENSSL_cleanse(buf, buf_len);
	OPENSSL_cleanse(dig, sizeof(dig));
	free(buf);
	EVP_MD_CTX_free(ctx);
	return ret;
}

/* RSA from its OpenPGP parts; OpenPGP's u is p^-1 mod q, OpenSSL wants q^-1 mod p. */
static int rsa_private(const unsigned char *n, size_t n_len, const unsigned char *e, size_t e_len,
                       const unsigned char *secret, size_t secret_len, EVP_PKEY **out,
                       struct error *err)
{
	const unsigned char *p = secret, *end = secret + secret_len, *d_b, *p_b, *q_b, *u_b;
	size_t d_l, p_l, q_l, u_l;
	BIGNUM *bn[8] = {0};
	BN_CTX *bctx = BN_CTX_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int ret = -1;

	*out = NULL;
	if (mpi(&p, end, &d_b, &d_l) < 0 || mpi(&p, end, &p_b, &p_l) < 0 ||
	    mpi(&p, end, &q_b, &q_l) < 0 || mpi(&p, end, &u_b, &u_l) < 0) {
		error_set(err, "a malformed RSA secret key");
		goto out;
	}
	for (int i = 0; i < 8; i++)
		bn[i] = BN_secure_new();
	/* 0 n, 1 e, 2 d, 3 p, 4 q, 5 d mod p-1, 6 d mod q-1, 7 q^-1 mod p */
	if (bctx == NULL || bld == NULL || bn[7] == NULL || !BN_bin2bn(n, (int)n_len, bn[0]) ||
	    !BN_bin2bn(e, (int)e_len, bn[1]) || !BN_bin2bn(d_b, (int)d_l, bn[2]) ||
	    !BN_bin2bn(p_b, (int)p_l, bn[3]) || !BN_bin2bn(q_b, (int)q_l, bn[4]) ||
	    BN_is_zero(bn[3]) || BN_is_zero(bn[4]) || BN_is_one(bn[3]) || BN_is_one(bn[4]) ||
	    !BN_sub(bn[5], bn[3], BN_value_one()) || !BN_mod(bn[5], bn[2], bn[5], bctx) ||
	    !BN_sub(bn[6], bn[4], BN_value_one()) || !BN_mod(bn[6], bn[2], bn[6], bctx) ||
	    BN_mod_inverse(bn[7], bn[4], bn[3], bctx) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn[0]) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn[1]) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, bn[2]) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, bn[3]) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, bn[4]) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, bn[5]) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, bn[6]) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, bn[7]) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, out, EVP_PKEY_KEYPAIR, params) != 1) {
		error_set_openssl(err, "an RSA secret key");
		goto out;
	}
	ret = 0;
out:
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	for (int i = 0; i < 8; i++)
		BN_clear_free(bn[i]);
	BN_CTX_free(bctx);
	return ret;
}

/*
 * An ECDH Curve25519 secret: GnuPG stores the native (little-endian) scalar reversed, as a
 * big-endian MPI. The public key derived from it must be the one the packet carries.
 */
static int x25519_private(const unsigned char *pub, const unsigned char *secret, size_t secret_len,
                          EVP_PKEY **out, struct error *err)
{
	const unsigned char *p = secret, *b;
	unsigned char native[32], derived[32];
	size_t l, dlen = sizeof(derived);

	*out = NULL;
	if (mpi(&p, secret + secret_len, &b, &l) < 0 || l > 32) {
		error_set(err, "a malformed Curve25519 secret key");
		return -1;
	}
	memset(native, 0, sizeof(native));
	for (size_t i = 0; i < l; i++)
		native[i] = b[l - 1 - i];
	*out = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, native, 32);
	OPENSSL_cleanse(native, sizeof(native));
	if (*out == NULL || EVP_PKEY_get_raw_public_key(*out, derived, &dlen) != 1) {
		error_set_openssl(err, "a Curve25519 secret key");
		return -1;
	}
	if (memcmp(derived, pub, 32) != 0) {
		error_set(err, "the Curve25519 secret key does not belong to its public key");
		return -1;
	}
	return 0;
}

/* The passphrase, asked once; -1 when none can be had. */
static int passphrase(struct openpgp_secret *s, const char *fpr_hex, struct error *err)
{
	if (s->asked)
		return s->pass ? 0 : -1;
	s->asked = 1;
	if (s->ask == NULL || s->ask(s->ask_ctx, fpr_hex, &s->pass, &s->pass_len, err) < 0 ||
	    s->pass == NULL) {
		if (s->pass == NULL && err->msg[0] == '\0')
			error_set(err, "key %s is protected by a passphrase, and none was given",
			          fpr_hex);
		return -1;
	}
	return 0;
}

/*
 * The secret fields after the public ones: in the clear with a 2-byte sum (usage 0), or
 * encrypted under a passphrase (usage 254: a SHA-1 hash inside; 255: a sum). *plain is the
 * caller's to wipe and free. 1 when the secret is not in the packet (GnuPG's stub, S2K 101).
 */
static int unlock(struct openpgp_secret *s, const char *fpr_hex, const unsigned char *p,
                  const unsigned char *end, unsigned char **plain, size_t *plain_len,
                  struct error *err)
{
	const EVP_CIPHER *cipher;
	const EVP_MD *md = NULL;
	const unsigned char *salt = NULL, *iv;
	unsigned char key[32], dig[20];
	EVP_CIPHER_CTX *cctx = NULL;
	size_t count = 0, check_len, len;
	unsigned sum = 0;
	int usage, type, outl = 0, ret = -1;

	*plain = NULL;
	if (p >= end) {
		error_set(err, "key %s: no secret part", fpr_hex);
		return -1;
	}
	usage = *p++;
	if (usage == 0) {
		len = (size_t)(end - p);
		if (len < 2) {
			error_set(err, "key %s: a truncated secret part", fpr_hex);
			return -1;
		}
		*plain = xmalloc(len);
		memcpy(*plain, p, len);
		*plain_len = len;
		check_len = 2;
		goto check;
	}
	if (usage != 254 && usage != 255) {
		error_set(err, "key %s: an old form of secret key protection, not supported",
		          fpr_hex);
		return -1;
	}
	if (end - p < 2) {
		error_set(err, "key %s: a truncated secret part", fpr_hex);
		return -1;
	}
	cipher = aes_cfb_by_id(p[0]);
	type = p[1];
	p += 2;
	if (type == 101)
		return 1;
	if (type != 0 && type != 1 && type != 3) {
		error_set(err, "key %s: string-to-key type %d, not supported", fpr_hex, type);
		return -1;
	}
	if (end - p < 1 + (type == 0 ? 0 : 8) + (type == 3 ? 1 : 0)) {
		error_set(err, "key %s: a truncated secret part", fpr_hex);
		return -1;
	}
	md = hash_by_id(p[0]);
	p++;
	if (type != 0) {
		salt = p;
		p += 8;
	}
	if (type == 3) {
		count = (size_t)(16 + (p[0] & 15)) << ((p[0] >> 4) + 6);
		p++;
	}
	if (cipher == NULL || md == NULL) {
		error_set(err,
		          "key %s is protected with a cipher or hash other than AES and SHA-1/2, "
		          "not supported: export it again with gpg --s2k-cipher-algo AES256",
		          fpr_hex);
		return -1;
	}
	if (end - p < 16 + 2) {
		error_set(err, "key %s: a truncated secret part", fpr_hex);
		return -1;
	}
	iv = p;
	p += 16;
	if (passphrase(s, fpr_hex, err) < 0)
		return -1;
	if (s2k_derive(type, md, salt, count, s->pass, s->pass_len, key,
	               (size_t)EVP_CIPHER_get_key_length(cipher), err) < 0)
		return -1;
	len = (size_t)(end - p);
	*plain = xmalloc(len);
	*plain_len = len;
	if ((cctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(cctx, cipher, NULL, key, iv) != 1 ||
	    EVP_DecryptUpdate(cctx, *plain, &outl, p, (int)len) != 1 || (size_t)outl != len) {
		error_set_openssl(err, "key %s: decrypting the secret part", fpr_hex);
		goto out;
	}
	check_len = usage == 254 ? 20 : 2;
check:
	if (*plain_len < check_len) {
		error_set(err, "key %s: a truncated secret part", fpr_hex);
		goto out;
	}
	*plain_len -= check_len;
	if (check_len == 20) {
		if (EVP_Digest(*plain, *plain_len, dig, NULL, EVP_sha1(), NULL) != 1) {
			error_set_openssl(err, "SHA-1");
			goto out;
		}
		if (CRYPTO_memcmp(dig, *plain + *plain_len, 20) != 0)
			goto wrong;
	} else {
		for (size_t i = 0; i < *plain_len; i++)
			sum += (*plain)[i];
		if ((((*plain)[*plain_len] << 8 | (*plain)[*plain_len + 1]) & 0xffff) !=
		    (sum & 0xffff))
			goto wrong;
	}
	ret = 0;
	goto out;
wrong:
	if (usage == 0)
		error_set(err, "key %s: the secret part's checksum does not match (damaged)",
		          fpr_hex);
	else
		error_set(err, "key %s: the passphrase is wrong (or the key is damaged)", fpr_hex);
out:
	OPENSSL_cleanse(key, sizeof(key));
	EVP_CIPHER_CTX_free(cctx);
	if (ret < 0 && *plain) {
		OPENSSL_cleanse(*plain, len);
		free(*plain);
		*plain = NULL;
	}
	return ret;
}

/* One secret key or subkey packet; RSA and ECDH Curve25519 ones are kept. */
static int secret_packet(struct openpgp_secret *s, int tag, const unsigned char *body, size_t len,
                         struct error *err)
{
	const unsigned char *p = body + 6, *end = body + len, *pub_end, *n = NULL, *e = NULL;
	unsigned char hdr[3], fpr[20], *plain = NULL;
	size_t n_len = 0, e_len = 0, plain_len = 0;
	struct pgp_secret_key *k;
	char hex[41];
	int algo, rc, ret = -1;

	if (len < 6 || body[0] != 4)
		return 0; /* v3 or v5: not read, as if absent */
	algo = body[5];
	if (skip_public(algo, &p, end) < 0)
		return 0;
	pub_end = p;
	hdr[0] = 0x99;
	hdr[1] = (unsigned char)((pub_end - body) >> 8);
	hdr[2] = (unsigned char)(pub_end - body);
	{
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		int ok = md && EVP_DigestInit_ex(md, EVP_sha1(), NULL) == 1 &&
		         EVP_DigestUpdate(md, hdr, 3) == 1 &&
		         EVP_DigestUpdate(md, body, (size_t)(pub_end - body)) == 1 &&
		         EVP_DigestFinal_ex(md, fpr, NULL) == 1;

		EVP_MD_CTX_free(md);
		if (!ok) {
			error_set_openssl(err, "key fingerprint");
			return -1;
		}
	}
	hex40(fpr, hex);
	if (tag == 5)
		memcpy(s->current_primary, hex, sizeof(hex));
	if (algo == ALGO_ECDH) {
		const unsigned char *q = body + 6;

		/* oid, a 263-bit MPI (0x40 and the point), the KDF parameters (3, 1, hash, wrap) */
		if (pub_end - q != 11 + 2 + 33 + 4 || q[0] != sizeof(cv25519_oid) ||
		    memcmp(q + 1, cv25519_oid, sizeof(cv25519_oid)) != 0 || q[11] != 1 ||
		    q[12] != 7 || q[13] != 0x40 || q[46] != 3 || q[47] != 1)
			return 0; /* ECDH on another curve: not usable here */
	} else if (algo == ALGO_RSA || algo == ALGO_RSA_E) {
		const unsigned char *q = body + 6;

		if (mpi(&q, end, &n, &n_len) < 0 || mpi(&q, end, &e, &e_len) < 0)
			return 0;
	} else {
		return 0;
	}
	if (s->n == MAX_SECRET_KEYS) {
		error_set(err, "more than %d secret keys", MAX_SECRET_KEYS);
		return -1;
	}
	rc = unlock(s, hex, pub_end, end, &plain, &plain_len, err);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		s->n_stubs++;
		return 0;
	}
	k = &s->keys[s->n];
	memset(k, 0, sizeof(*k));
	memcpy(k->fpr, fpr, 20);
	memcpy(k->primary_hex, s->current_primary[0] ? s->current_primary : hex, 41);
	k->algo = algo == ALGO_ECDH ? ALGO_ECDH : ALGO_RSA;
	if (algo == ALGO_ECDH) {
		k->kdf_hash = body[6 + 48];
		k->kdf_sym = body[6 + 49];
		if (hash_by_id(k->kdf_hash) == NULL || k->kdf_sym < 7 || k->kdf_sym > 9) {
			ret = 0; /* KDF parameters this reader cannot use: skip the key */
			goto out;
		}
		if (x25519_private(body + 6 + 14, plain, plain_len, &k->pkey, err) < 0)
			goto fail;
	} else if (rsa_private(n, n_len, e, e_len, plain, plain_len, &k->pkey, err) < 0) {
		goto fail;
	}
	s->n++;
	ret = 0;
	goto out;
fail:
	error_prefix(err, "key %s", hex);
	EVP_PKEY_free(k->pkey);
	k->pkey = NULL;
out:
	if (plain) {
		OPENSSL_cleanse(plain, plain_len);
		free(plain);
	}
	return ret;
}

int openpgp_secret_parse(const unsigned char *data, size_t len, const char *name,
                         openpgp_passphrase_fn pass, void *pass_ctx, struct openpgp_secret **out,
                         struct error *err)
{
	struct openpgp_secret *s = xcalloc(1, sizeof(*s));
	unsigned char *bin = NULL;
	size_t bin_len = len;
	const unsigned char *p, *end;
	int seen_public = 0, seen_secret = 0;

	*out = NULL;
	s->ask = pass;
	s->ask_ctx = pass_ctx;
	if (len > 0 && !(data[0] & 0x80)) {
		if (pgp_dearmor(data, len, ARMOR_SECRET, "secret key", &bin, &bin_len, err) < 0)
			goto fail;
		data = bin;
	}
	p = data;
	end = data + bin_len;
	while (p < end) {
		const unsigned char *body;
		size_t blen;
		int tag;

		if (pgp_next_packet(&p, end, &tag, &body, &blen, err) < 0)
			goto fail;
		if (tag == 6 || tag == 14)
			seen_public = 1;
		if (tag != 5 && tag != 7)
			continue;
		seen_secret = 1;
		if (secret_packet(s, tag, body, blen, err) < 0)
			goto fail;
	}
	if (!seen_secret) {
		error_set(err, seen_public
		                       ? "a public key, not a secret key (export the secret key "
		                         "with gpg --export-secret-keys)"
		                       : "no OpenPGP secret key in the file");
		goto fail;
	}
	if (s->n == 0) {
		error_set(err,
		          s->n_stubs ? "the file holds no usable secret key: the secret parts are "
		                       "not in it (kept on a smartcard, or exported without them)"
		                     : "the file holds no RSA or ECDH Curve25519 secret key");
		goto fail;
	}
	if (s->pass) {
		OPENSSL_cleanse(s->pass, s->pass_len);
		free(s->pass);
		s->pass = NULL;
	}
	free(bin);
	*out = s;
	return 0;
fail:
	error_prefix(err, "%s", name);
	if (bin) {
		OPENSSL_cleanse(bin, bin_len);
		free(bin);
	}
	openpgp_secret_free(s);
	return -1;
}

int openpgp_secret_load(const char *path, openpgp_passphrase_fn pass, void *pass_ctx,
                        struct openpgp_secret **out, struct error *err)
{
	char *buf;
	size_t len;
	int ret;

	*out = NULL;
	if (secrets_read_private(path, OPENPGP_KEY_FILE_MAX, "a key file", &buf, &len, err) < 0)
		return -1;
	ret = openpgp_secret_parse((const unsigned char *)buf, len, path, pass, pass_ctx, out, err);
	secrets_free(buf, OPENPGP_KEY_FILE_MAX + 1);
	return ret;
}

void openpgp_secret_free(struct openpgp_secret *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		EVP_PKEY_free(s->keys[i].pkey);
	if (s->pass) {
		OPENSSL_cleanse(s->pass, s->pass_len);
		free(s->pass);
	}
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

/* The session key block (algorithm, key, 2-byte sum): 1 and its parts when it checks. */
static int session_block(const unsigned char *m, size_t len, int *sym, unsigned char key[32],
                         size_t *key_len)
{
	size_t kl;
	unsigned sum = 0;

	if (len < 1)
		return 0;
	kl = m[0] == 7 ? 16 : m[0] == 8 ? 24 : m[0] == 9 ? 32 : 0;
	if (kl == 0 || len != 1 + kl + 2)
		return 0;
	for (size_t i = 0; i < kl; i++)
		sum += m[1 + i];
	if ((sum & 0xffff) != ((unsigned)m[1 + kl] << 8 | m[2 + kl]))
		return 0;
	*sym = m[0];
	memcpy(key, m + 1, kl);
	*key_len = kl;
	return 1;
}

static int open_rsa(const struct pgp_secret_key *k, const unsigned char *c, size_t c_len, int *sym,
                    unsigned char key[32], size_t *key_len)
{
	unsigned char m[1024];
	size_t m_len = sizeof(m), mod = (size_t)EVP_PKEY_get_size(k->pkey);
	unsigned char *padded;
	EVP_PKEY_CTX *ctx;
	int found = 0;

	/* The MPI drops leading zeros; RSA wants the ciphertext at the modulus' length. */
	if (c_len > mod || mod > 2048)
		return 0;
	padded = xcalloc(1, mod);
	memcpy(padded + (mod - c_len), c, c_len);
	if ((ctx = EVP_PKEY_CTX_new(k->pkey, NULL)) != NULL && EVP_PKEY_decrypt_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_decrypt(ctx, m, &m_len, padded, mod) == 1)
		found = session_block(m, m_len, sym, key, key_len);
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_cleanse(m, sizeof(m));
	free(padded);
	return found;
}

/* RFC 6637: the key-wrapping key from the shared secret and the recipient key's parameters. */
static int open_ecdh(const struct pgp_secret_key *k, const unsigned char *eph,
                     const unsigned char *wrapped, size_t wrapped_len, int *sym,
                     unsigned char key[32], size_t *key_len)
{
	static const char *const wraps[] = {"AES-128-WRAP", "AES-192-WRAP", "AES-256-WRAP"};
	unsigned char shared[32], kek[EVP_MAX_MD_SIZE], m[64], params[11 + 1 + 4 + 20 + 20];
	unsigned char counter[4] = {0, 0, 0, 1};
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *dctx = NULL;
	EVP_CIPHER *wrap = NULL;
	EVP_CIPHER_CTX *wctx = NULL;
	EVP_MD_CTX *md = NULL;
	size_t shared_len = sizeof(shared), plen = 0;
	int m_len = 0, fin = 0, found = 0, pad;

	if (wrapped_len < 24 || wrapped_len > 56 || wrapped_len % 8 != 0)
		return 0;
	params[plen++] = sizeof(cv25519_oid);
	memcpy(params + plen, cv25519_oid, sizeof(cv25519_oid));
	plen += sizeof(cv25519_oid);
	params[plen++] = ALGO_ECDH;
	params[plen++] = 3;
	params[plen++] = 1;
	params[plen++] = (unsigned char)k->kdf_hash;
	params[plen++] = (unsigned char)k->kdf_sym;
	memcpy(params + plen, "Anonymous Sender    ", 20);
	plen += 20;
	memcpy(params + plen, k->fpr, 20);
	plen += 20;
	if ((peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, eph, 32)) == NULL ||
	    (dctx = EVP_PKEY_CTX_new(k->pkey, NULL)) == NULL || EVP_PKEY_derive_init(dctx) != 1 ||
	    EVP_PKEY_derive_set_peer(dctx, peer) != 1 ||
	    EVP_PKEY_derive(dctx, shared, &shared_len) != 1 || shared_len != 32 ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, hash_by_id(k->kdf_hash), NULL) != 1 ||
	    EVP_DigestUpdate(md, counter, 4) != 1 || EVP_DigestUpdate(md, shared, 32) != 1 ||
	    EVP_DigestUpdate(md, params, plen) != 1 || EVP_DigestFinal_ex(md, kek, NULL) != 1 ||
	    (wrap = EVP_CIPHER_fetch(NULL, wraps[k->kdf_sym - 7], NULL)) == NULL ||
	    (wctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex2(wctx, wrap, kek, NULL, NULL) != 1 ||
	    EVP_DecryptUpdate(wctx, m, &m_len, wrapped, (int)wrapped_len) != 1 ||
	    EVP_DecryptFinal_ex(wctx, m + m_len, &fin) != 1)
		goto out;
	m_len += fin;
	/* PKCS#5 padding to a multiple of 8 */
	pad = m_len > 0 ? m[m_len - 1] : 0;
	if (pad < 1 || pad > 8 || pad > m_len)
		goto out;
	for (int i = 0; i < pad; i++)
		if (m[m_len - 1 - i] != pad)
			goto out;
	found = session_block(m, (size_t)(m_len - pad), sym, key, key_len);
out:
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(kek, sizeof(kek));
	OPENSSL_cleanse(m, sizeof(m));
	EVP_CIPHER_CTX_free(wctx);
	EVP_CIPHER_free(wrap);
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(peer);
	return found;
}

int pgp_secret_open_pkesk(const struct openpgp_secret *s, const unsigned char *body, size_t len,
                          int *sym, unsigned char key[32], size_t *key_len, const char **fpr_hex,
                          struct error *err)
{
	static const unsigned char wildcard[8];
	const unsigned char *p, *end, *key_id, *c, *wrapped = NULL;
	size_t c_len, wrapped_len = 0;
	int algo;

	if (body == NULL || len < 10 || body[0] != 3) {
		error_set(err, "a public-key encrypted session key packet that is not version 3");
		return -1;
	}
	end = body + len;
	key_id = body + 1;
	algo = body[9];
	p = body + 10;
	if (algo != ALGO_RSA && algo != ALGO_RSA_E && algo != ALGO_ECDH)
		return 0;
	if (mpi(&p, end, &c, &c_len) < 0) {
		error_set(err, "a malformed public-key encrypted session key packet");
		return -1;
	}
	if (algo == ALGO_ECDH) {
		if (c_len != 33 || c[0] != 0x40 || end - p < 1 || (size_t)(end - p - 1) != p[0]) {
			error_set(err, "a malformed ECDH session key packet");
			return -1;
		}
		wrapped = p + 1;
		wrapped_len = p[0];
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct pgp_secret_key *k = &s->keys[i];
		int found;

		if ((k->algo == ALGO_ECDH) != (algo == ALGO_ECDH))
			continue;
		if (memcmp(key_id, k->fpr + 12, 8) != 0 && memcmp(key_id, wildcard, 8) != 0)
			continue;
		found = algo == ALGO_ECDH
		                ? open_ecdh(k, c + 1, wrapped, wrapped_len, sym, key, key_len)
		                : open_rsa(k, c, c_len, sym, key, key_len);
		if (found) {
			*fpr_hex = k->primary_hex;
			return 1;
		}
	}
	return 0;
}
