/* Trust anchors, and checking a detached CMS signature and whether its signer is trusted. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "trust/sign-util.h"
#include "trust/sign.h"

struct trust_store {
	X509_STORE *store;
};

/* Is this a name a trust directory's certificate file would have? */
static int trust_file_name(const char *name)
{
	size_t i = 0;

	if (name[0] == '.')
		return 0;
	if (str_has_suffix(name, ".pem") || str_has_suffix(name, ".crt") ||
	    str_has_suffix(name, ".cer"))
		return 1;
	/* c_rehash / openssl rehash names: 8 hex digits, a dot, a number. */
	while (i < 8 && strchr("0123456789abcdef", name[i]) && name[i])
		i++;
	if (i != 8 || name[8] != '.' || name[9] == '\0')
		return 0;
	for (i = 9; name[i]; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	return 1;
}

static int trust_add_file(X509_STORE *store, const char *path, int *count, struct error *err)
{
	STACK_OF(X509) *certs = NULL;

	if (sign_read_cert_file(path, &certs, err) < 0)
		return -1;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		if (X509_STORE_add_cert(store, sk_X509_value(certs, i)) != 1) {
			/* The same anchor twice (a file and its rehash link) is harmless. */
			unsigned long e = ERR_peek_last_error();

			if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
				error_set_openssl(err, "%s", path);
				sk_X509_pop_free(certs, X509_free);
				return -1;
			}
			ERR_clear_error();
		}
		(*count)++;
	}
	sk_X509_pop_free(certs, X509_free);
	return 0;
}

int trust_store_load(struct trust_store **out, const char *path, struct error *err)
{
	struct trust_store *ts = xcalloc(1, sizeof(*ts));
	struct stat st;
	int count = 0;
	DIR *dir = NULL;

	ts->store = X509_STORE_new();
	if (ts->store == NULL) {
		error_set_openssl(err, "trust store");
		goto fail;
	}
	if (stat(path, &st) < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent *de;

		if ((dir = opendir(path)) == NULL) {
			error_set(err, "%s: %s", path, strerror(errno));
			goto fail;
		}
		while ((errno = 0, de = readdir(dir)) != NULL) {
			char *file;

			if (!trust_file_name(de->d_name))
				continue;
			file = xasprintf("%s/%s", path, de->d_name);
			if (stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
			    trust_add_file(ts->store, file, &count, err) < 0) {
				free(file);
				goto fail;
			}
			free(file);
		}
		closedir(dir);
		dir = NULL;
		if (count == 0) {
			error_set(err,
			          "%s: no certificates (*.pem, *.crt, *.cer) in this directory",
			          path);
			goto fail;
		}
	} else if (trust_add_file(ts->store, path, &count, err) < 0) {
		goto fail;
	}
	*out = ts;
	return 0;
fail:
	if (dir)
		closedir(dir);
	trust_store_free(ts);
	return -1;
}

void trust_store_free(struct trust_store *ts)
{
	if (ts == NULL)
		return;
	X509_STORE_free(ts->store);
	free(ts);
}

void sign_check_free(struct sign_check *chk)
{
	free(chk->subject);
	free(chk->issuer);
	free(chk->trust_reason);
	free(chk->failure);
	memset(chk, 0, sizeof(*chk));
}

static int64_t signer_info_signing_time(CMS_SignerInfo *si)
{
	int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *t;

	if (idx < 0 || (attr = CMS_signed_get_attr(si, idx)) == NULL ||
	    (t = X509_ATTRIBUTE_get0_type(attr, 0)) == NULL)
		return 0;
	if (t->type == V_ASN1_UTCTIME || t->type == V_ASN1_GENERALIZEDTIME)
		return sign_asn1_time_epoch((const ASN1_TIME *)t->value.asn1_string);
	return 0;
}

/*
 * Is cert meant for signing documents? Without an extendedKeyUsage any use is allowed (the key
 * usage was checked already); with one, it must name a use that covers signed files. A TLS
 * server certificate (serverAuth only) from a trusted CA must not make a bundle trusted.
 */
static int eku_fits_documents(X509 *cert)
{
	EXTENDED_KEY_USAGE *eku;
	int crit = 0, fits = 0;

	eku = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL);
	if (eku == NULL)
		return crit == -1; /* -1: absent; -2 (several) or a parse error: refuse */
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku) && !fits; i++) {
		ASN1_OBJECT *use = sk_ASN1_OBJECT_value(eku, i);
		char oid[128];
		int nid = OBJ_obj2nid(use);

		if (nid == NID_email_protect || nid == NID_code_sign ||
		    nid == NID_anyExtendedKeyUsage)
			fits = 1;
		else if (OBJ_obj2txt(oid, sizeof(oid), use, 1) > 0 &&
		         strcmp(oid, SIGN_EKU_LOGPACK_OID) == 0)
			fits = 1;
	}
	EXTENDED_KEY_USAGE_free(eku);
	return fits;
}

/*
 * Does the trust store hold a certificate with cert's subject but not cert's key? Then cert
 * claims a trusted signer's name without its key: an impostor, which a plain chain error
 * ("self-signed certificate") would not make plain.
 */
static int store_has_other_key_for(X509_STORE *store, X509 *cert)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(store);
	const EVP_PKEY *key = X509_get0_pubkey(cert);
	int same_name = 0;

	for (int i = 0; objs && i < sk_X509_OBJECT_num(objs); i++) {
		X509 *anchor = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

		if (anchor == NULL ||
		    X509_NAME_cmp(X509_get_subject_name(anchor), X509_get_subject_name(cert)) != 0)
			continue;
		if (key && X509_get0_pubkey(anchor) &&
		    EVP_PKEY_eq(X509_get0_pubkey(anchor), key) == 1)
			return 0;
		same_name = 1;
	}
	return same_name;
}

/* Does cert chain to an anchor in trust, using the bundle's certificates as intermediates? */
static void check_trust(X509 *cert, STACK_OF(X509) * untrusted, const struct trust_store *trust,
                        struct sign_check *chk)
{
	X509_STORE_CTX *ctx = NULL;
	int code;

	if (trust == NULL) {
		chk->trust_reason = xstrdup("no trust anchors given (--trust)");
		return;
	}
	if ((X509_get_extension_flags(cert) & EXFLAG_KUSAGE) &&
	    (X509_get_key_usage(cert) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
		chk->trust_reason = xstrdup("the certificate's key usage does not allow signing");
		return;
	}
	if (!eku_fits_documents(cert)) {
		chk->trust_reason =
		        xstrdup("the certificate's extended key usage is not for signing "
		                "documents (it needs emailProtection, codeSigning, "
		                "anyExtendedKeyUsage or " SIGN_EKU_LOGPACK_OID ")");
		return;
	}
	ctx = X509_STORE_CTX_new();
	if (ctx == NULL || X509_STORE_CTX_init(ctx, trust->store, cert, untrusted) != 1) {
		chk->trust_reason = xstrdup("cannot build a certificate chain (OpenSSL error)");
		ERR_clear_error();
		goto out;
	}
	/* An anchor may be an intermediate or a partner's own certificate, not only a root. */
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_PARTIAL_CHAIN);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	if (X509_verify_cert(ctx) == 1) {
		chk->trusted = 1;
		goto out;
	}
	code = X509_STORE_CTX_get_error(ctx);
	if (store_has_other_key_for(trust->store, cert)) {
		char *who = sign_name_text(X509_get_subject_name(cert));

		chk->trust_reason = xasprintf("impostor: a trusted certificate for %s exists, but "
		                              "with another key",
		                              who);
		free(who);
	} else if (X509_STORE_CTX_get_error_depth(ctx) > 0 &&
	           X509_STORE_CTX_get_current_cert(ctx)) {
		char *who =
		        sign_name_text(X509_get_subject_name(X509_STORE_CTX_get_current_cert(ctx)));

		chk->trust_reason =
		        xasprintf("%s (certificate %s)", X509_verify_cert_error_string(code), who);
		free(who);
	} else {
		chk->trust_reason = xstrdup(X509_verify_cert_error_string(code));
	}
	ERR_clear_error();
out:
	X509_STORE_CTX_free(ctx);
}

int sign_check_detached(const void *p7s, size_t p7s_len, const void *content, size_t content_len,
                        const struct trust_store *trust, struct sign_check *chk, struct error *err)
{
	const unsigned char *p = p7s;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) * infos;
	STACK_OF(X509) *signers = NULL, *certs = NULL;
	BIO *data = NULL;
	X509 *cert;

	memset(chk, 0, sizeof(*chk));
	if (p7s_len > INT32_MAX || content_len > INT32_MAX) {
		chk->failure = xstrdup("signature or signed content too large");
		return 0;
	}
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)p7s_len);
	if (cms == NULL || p != (const unsigned char *)p7s + p7s_len) {
		chk->failure = xstrdup("the signature file is not a DER CMS structure");
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		chk->failure = xstrdup("the signature file is not CMS SignedData");
		goto out;
	}
	if (CMS_is_detached(cms) != 1) {
		chk->failure =
		        xstrdup("the signature is not detached (it carries its own content)");
		goto out;
	}
	infos = CMS_get0_SignerInfos(cms);
	if (infos == NULL || sk_CMS_SignerInfo_num(infos) != 1) {
		chk->failure = xasprintf("the signature has %d signers; expected exactly one",
		                         infos ? sk_CMS_SignerInfo_num(infos) : 0);
		goto out;
	}
	data = BIO_new_mem_buf(content, (int)content_len);
	if (data == NULL) {
		error_set_openssl(err, "signature check");
		CMS_ContentInfo_free(cms);
		return -1;
	}
	/*
	 * First the signature alone: it must be over exactly this content, made by the key of the
	 * certificate it names. Trust in that certificate is decided separately below, so that
	 * "forged" and "not trusted" are told apart.
	 */
	if (CMS_verify(cms, NULL, NULL, data, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		char buf[256];
		unsigned long e = ERR_peek_last_error();

		ERR_error_string_n(e, buf, sizeof(buf));
		if (ERR_GET_REASON(e) == CMS_R_CONTENT_VERIFY_ERROR ||
		    ERR_GET_REASON(e) == CMS_R_VERIFICATION_FAILURE)
			chk->failure = xasprintf("the signature does not match the tag manifest "
			                         "(%s)",
			                         buf);
		else if (ERR_GET_REASON(e) == CMS_R_SIGNER_CERTIFICATE_NOT_FOUND)
			chk->failure = xstrdup("the signer's certificate is not in the signature");
		else
			chk->failure = xasprintf("the signature does not verify (%s)", buf);
		ERR_clear_error();
		/* Name the claimed signer when it can be found, to help the report. */
		signers = CMS_get0_signers(cms);
		if (signers && sk_X509_num(signers) == 1 && sk_X509_value(signers, 0))
			chk->subject =
			        sign_name_text(X509_get_subject_name(sk_X509_value(signers, 0)));
		goto out;
	}
	signers = CMS_get0_signers(cms);
	if (signers == NULL || sk_X509_num(signers) != 1) {
		chk->failure = xstrdup("cannot identify the signer");
		goto out;
	}
	cert = sk_X509_value(signers, 0);
	chk->signature_ok = 1;
	chk->subject = sign_name_text(X509_get_subject_name(cert));
	chk->issuer = sign_name_text(X509_get_issuer_name(cert));
	chk->signing_time =
	        signer_info_signing_time(sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0));
	chk->not_after = sign_asn1_time_epoch(X509_get0_notAfter(cert));
	chk->expired = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
	chk->not_yet_valid = X509_cmp_current_time(X509_get0_notBefore(cert)) > 0;
	certs = CMS_get1_certs(cms);
	check_trust(cert, certs, trust, chk);
out:
	ERR_clear_error();
	sk_X509_free(signers);
	sk_X509_pop_free(certs, X509_free);
	BIO_free(data);
	CMS_ContentInfo_free(cms);
	return 0;
}
