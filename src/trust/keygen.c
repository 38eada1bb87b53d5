/* Making a new signing key and a self-signed certificate for it. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/atomic-file.h"
#include "trust/sign.h"

/* Parse "/O=Org/CN=Name" (a backslash escapes the next character) into an X509_NAME. */
static X509_NAME *parse_subject(const char *text, struct error *err)
{
	X509_NAME *name = X509_NAME_new();
	struct strbuf field = STRBUF_INIT;
	const char *p = text;

	if (name == NULL)
		return NULL;
	if (*p != '/') {
		error_set(err, "subject '%s': must start with '/', e.g. \"/O=Org/CN=Name\"", text);
		goto fail;
	}
	p++;
	while (*p) {
		char *eq;

		strbuf_reset(&field);
		while (*p && *p != '/') {
			if (*p == '\\' && p[1])
				p++;
			strbuf_addch(&field, *p++);
		}
		if (*p == '/')
			p++;
		eq = field.buf ? strchr(field.buf, '=') : NULL;
		if (eq == NULL || eq == field.buf || eq[1] == '\0') {
			error_set(err, "subject '%s': each part must be KEY=value", text);
			goto fail;
		}
		*eq = '\0';
		if (X509_NAME_add_entry_by_txt(name, field.buf, MBSTRING_UTF8,
		                               (const unsigned char *)eq + 1, -1, -1, 0) != 1) {
			error_set_openssl(err, "subject '%s': attribute '%s'", text, field.buf);
			goto fail;
		}
	}
	if (X509_NAME_entry_count(name) == 0) {
		error_set(err, "subject '%s' is empty", text);
		goto fail;
	}
	strbuf_release(&field);
	return name;
fail:
	strbuf_release(&field);
	X509_NAME_free(name);
	return NULL;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, struct error *err)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);

	if (ext == NULL || X509_add_ext(x, ext, -1) != 1) {
		X509_EXTENSION_free(ext);
		error_set_openssl(err, "certificate extension %s", value);
		return -1;
	}
	X509_EXTENSION_free(ext);
	return 0;
}

int sign_keygen(const struct keygen_options *opt, struct error *err)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *name = NULL;
	BIGNUM *serial = NULL;
	BIO *kbio = NULL, *cbio = NULL;
	X509V3_CTX v3;
	char *kdata, *cdata;
	long klen, clen;
	struct atomic_file *kfile = NULL, *cfile = NULL;
	int ret = -1, rc, key_written = 0;

	if (opt->days <= 0) {
		error_set(err, "--days must be a positive number of days");
		return -1;
	}
	if ((name = parse_subject(opt->subject, err)) == NULL)
		goto out;
	key = EVP_EC_gen("P-256");
	x = X509_new();
	serial = BN_new();
	if (key == NULL || x == NULL || serial == NULL) {
		error_set_openssl(err, "key generation");
		goto out;
	}
	/* A random positive 127-bit serial: unique without a CA database. */
	if (BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) == NULL ||
	    X509_set_version(x, X509_VERSION_3) != 1 || X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), opt->days, 0, NULL) == NULL) {
		error_set_openssl(err, "certificate");
		goto out;
	}
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if (add_ext(x, &v3, NID_basic_constraints, "critical,CA:FALSE", err) < 0 ||
	    add_ext(x, &v3, NID_key_usage,
	            opt->encryption ? "critical,keyAgreement"
	                            : "critical,digitalSignature,nonRepudiation",
	            err) < 0 ||
	    add_ext(x, &v3, NID_ext_key_usage,
	            opt->encryption ? "emailProtection"
	                            : "emailProtection,codeSigning," SIGN_EKU_LOGPACK_OID,
	            err) < 0 ||
	    add_ext(x, &v3, NID_subject_key_identifier, "hash", err) < 0 ||
	    add_ext(x, &v3, NID_authority_key_identifier, "keyid:always", err) < 0)
		goto out;
	if (X509_sign(x, key, EVP_sha256()) <= 0) {
		error_set_openssl(err, "self-signing the certificate");
		goto out;
	}
	kbio = BIO_new(BIO_s_secmem());
	cbio = BIO_new(BIO_s_mem());
	if (kbio == NULL || cbio == NULL) {
		error_set_openssl(err, "key generation");
		goto out;
	}
	if (opt->passphrase
	            ? PEM_write_bio_PKCS8PrivateKey(kbio, key, EVP_aes_256_cbc(), opt->passphrase,
	                                            (int)opt->passphrase_len, NULL, NULL) != 1
	            : PEM_write_bio_PrivateKey(kbio, key, NULL, NULL, 0, NULL, NULL) != 1) {
		error_set_openssl(err, "writing the key");
		goto out;
	}
	if (PEM_write_bio_X509(cbio, x) != 1) {
		error_set_openssl(err, "writing the certificate");
		goto out;
	}
	klen = BIO_get_mem_data(kbio, &kdata);
	clen = BIO_get_mem_data(cbio, &cdata);
	/*
	 * Both files are written under temporary names first (the key's is 0600 from the
	 * start) and an existing key or certificate is refused before either is written, so a
	 * crash leaves no partial key and nothing is ever replaced.
	 */
	if (atomic_file_open(&kfile, opt->key_path, 0600, 0, err) < 0 ||
	    atomic_file_open(&cfile, opt->cert_path, 0644, 0, err) < 0)
		goto out;
	if (write_all(atomic_file_fd(kfile), kdata, (size_t)klen) < 0) {
		error_set(err, "%s: %s", atomic_file_temp_path(kfile), strerror(errno));
		goto out;
	}
	if (write_all(atomic_file_fd(cfile), cdata, (size_t)clen) < 0) {
		error_set(err, "%s: %s", atomic_file_temp_path(cfile), strerror(errno));
		goto out;
	}
	rc = atomic_file_commit(kfile, err);
	kfile = NULL;
	if (rc < 0)
		goto out;
	key_written = 1;
	rc = atomic_file_commit(cfile, err);
	cfile = NULL;
	if (rc < 0)
		goto out;
	ret = 0;
out:
	atomic_file_rollback(kfile);
	atomic_file_rollback(cfile);
	if (ret < 0 && key_written)
		unlink(opt->key_path);
	BIO_free(kbio); /* a secure-heap BIO: wiped on free */
	BIO_free(cbio);
	BN_free(serial);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(key);
	return ret;
}
