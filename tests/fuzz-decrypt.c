/*
 * libFuzzer target for the parsers of encrypted input: an OpenPGP message (decrypted with a
 * fixed Curve25519 key, so that a seed encrypted to it reaches the packets inside), an OpenPGP
 * secret key and public key, an age file (with a fixed identity), and a CMS header; the OpenPGP
 * message and the CMS header also through what verify says without a key (their recipients,
 * openpgp_message_recipients and cms_header_recipients). The first
 * byte chooses the parser; the rest is its input. Any bytes must give an answer without a
 * crash, a leak or unbounded memory. Build and run with tests/fuzz-decrypt.sh ("make fuzz").
 *
 * The keys are test keys made for this file only; tests/fuzz-decrypt.sh reads them from here
 * (between the FUZZ-KEY markers) to encrypt its seeds.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "trust/age.h"
#include "trust/cms-envelope.h"
#include "trust/openpgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FUZZ-KEY-AGE */
static const char age_key[] =
        "AGE-SECRET-KEY-1PULYGR0HHFYXNW9V4WV9DRZVT88C3UWTYN2EXX8JD946PK4YGNTS5WFRG8";
/* FUZZ-KEY-PGP-BEGIN */
static const char pgp_key[] = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n"
                              "\n"
                              "lFgEaw148hYJKwYBBAHaRw8BAQdA9EUbMu03OfVLSX1R/ypd2PE+xKQkheFPXnXH\n"
                              "HK5ZP+MAAQD0zHSnV0PWYtu+kEft4M+jZ3Bk3427R+aVRJeYuCsC+BLRtBdGdXp6\n"
                              "IDxmdXp6QGV4YW1wbGUub3JnPoiQBBMWCAA4FiEElXSroTSa+tW9mMDVYCdYcowd\n"
                              "KSgFAmsNePICGwMFCwkIBwIGFQoJCAsCBBYCAwECHgECF4AACgkQYCdYcowdKShl\n"
                              "sAD+LiO+tJ45hfGubn2ZCPV0w18Yf5mD/cIGxNqowCAd1NYA/RxgMcsRmRuii/GR\n"
                              "osS7QaQHeNA0FWpQ+urZUfWhTAkJnF0Eaw148hIKKwYBBAGXVQEFAQEHQLguqaue\n"
                              "6ZofwVrup/ByiFxI615vDPwSfEk9tyyr5ElUAwEIBwAA/3CZVcP5E7jEnhUvE4HS\n"
                              "id7fWDggr9W+EhRzQPOB1J+gEYiIeAQYFggAIBYhBJV0q6E0mvrVvZjA1WAnWHKM\n"
                              "HSkoBQJrDXjyAhsMAAoJEGAnWHKMHSkoMz4BAMEoPfVWpAbvOUnNFXaArCwG0taI\n"
                              "chSAVMm2UEl5ca3/AP9sRemb/M15hCa8tOJ6F0T1cZuu15fEihDuC5N9yQdODA==\n"
                              "=hUR4\n"
                              "-----END PGP PRIVATE KEY BLOCK-----\n";
/* FUZZ-KEY-PGP-END */

static struct age_identity *age_id;
static struct openpgp_secret *pgp_secret;
static struct cms_identity *cms_id;

/* Output is counted and dropped: only the parsing is under test. */
static int sink(void *ctx, const void *buf, size_t len, struct error *err)
{
	(void)ctx;
	(void)buf;
	(void)len;
	(void)err;
	return 0;
}

/* A fresh P-256 key in a private temporary file, for cms_identity_load. */
static void make_cms_identity(void)
{
	char path[] = "/tmp/logpack-fuzz-cms-XXXXXX";
	EVP_PKEY *k = EVP_EC_gen("P-256");
	struct error err;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (k == NULL || f == NULL || PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1)
		abort();
	fclose(f);
	if (cms_identity_load(path, NULL, NULL, &cms_id, &err) < 0)
		abort();
	unlink(path);
	EVP_PKEY_free(k);
}

static void init(void)
{
	struct error err;

	if (age_identity_parse(age_key, &age_id, &err) < 0 ||
	    openpgp_secret_parse((const unsigned char *)pgp_key, strlen(pgp_key), "fuzz", NULL,
	                         NULL, &pgp_secret, &err) < 0) {
		fprintf(stderr, "fuzz-decrypt: %s\n", err.msg);
		abort();
	}
	make_cms_identity();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct error err = {{0}};
	struct openpgp_decryptor *pd = NULL;
	struct age_decryptor *ad = NULL;
	struct openpgp_secret *s = NULL;
	struct openpgp_key *k = NULL;
	int fault;

	if (!once++)
		init();
	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		/* In two pieces, to cross the push parser's buffer boundaries too. */
		openpgp_decryptor_new(&pd, pgp_secret, sink, NULL, &err);
		if (openpgp_decryptor_write(pd, data + 1, (size - 1) / 2, &err) == 0 &&
		    openpgp_decryptor_write(pd, data + 1 + (size - 1) / 2,
		                            size - 1 - (size - 1) / 2, &err) == 0)
			openpgp_decryptor_finish(pd, &err);
		openpgp_decryptor_free(pd);
		/* What verify says of a file without a key: the session key packets' IDs. */
		free(openpgp_message_recipients(data + 1, size - 1));
		break;
	case 1:
		if (openpgp_secret_parse(data + 1, size - 1, "fuzz", NULL, NULL, &s, &err) == 0)
			openpgp_secret_free(s);
		break;
	case 2:
		if (openpgp_key_parse(data + 1, size - 1, "fuzz", 0, &k, &err) == 0)
			openpgp_key_free(k);
		break;
	case 3:
		if (age_decryptor_new(&ad, age_id, sink, NULL, &err) == 0 &&
		    age_decryptor_write(ad, data + 1, size - 1, &err) == 0)
			age_decryptor_finish(ad, &err);
		age_decryptor_free(ad);
		break;
	default:
		cms_decrypt_detached(data + 1, size - 1, -1, cms_id, sink, NULL, &fault, &err);
		free(cms_header_recipients(data + 1, size - 1));
		break;
	}
	return 0;
}
