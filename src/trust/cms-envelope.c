/* CMS AuthEnvelopedData with AES-256-GCM and a detached ciphertext: writing and reading. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/secrets.h"
#include "trust/cms-envelope.h"
#include "trust/sign.h"

/* What one read through the cipher BIO takes, and all the decryptor holds of the content. */
#define CMS_READ_PIECE (64 * 1024)

#define CERT_FILE_MAX (256 * 1024)

struct cms_recipient {
	X509 *cert;
	int is_ec;
	char fpr[65];
};

/* A BIO that hands what is written to it to an output callback. */
struct out_sink {
	cms_output_fn fn;
	void *ctx;
	struct error *err;
	int failed;
};

struct cms_encryptor {
	CMS_ContentInfo *cms;
	BIO_METHOD *method;
	BIO *out;  /* the output BIO, until CMS_dataInit puts the cipher in front of it */
	BIO *cont; /* the cipher BIO chained to out */
	struct out_sink sink;
	struct error sink_err;
	uint64_t written;
};

struct cms_identity {
	EVP_PKEY *key;
	X509 *cert;
	char fpr[65]; /* the certificate's SHA-256, or "" without one */
};

static int sink_write(BIO *b, const char *buf, int len)
{
	struct out_sink *s = BIO_get_data(b);

	if (len <= 0)
		return 0;
	if (s->fn(s->ctx, buf, (size_t)len, s->err) < 0) {
		s->failed = 1;
		return -1;
	}
	return len;
}

static long sink_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int sink_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *sink_method(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "logpack output");

	if (m == NULL || BIO_meth_set_write(m, sink_write) != 1 ||
	    BIO_meth_set_ctrl(m, sink_ctrl) != 1 || BIO_meth_set_create(m, sink_create) != 1) {
		BIO_meth_free(m);
		return NULL;
	}
	return m;
}

/* A certificate from PEM or DER bytes. */
static X509 *cert_parse(const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	BIO *bio;
	X509 *x;

	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL)
		return x;
	ERR_clear_error();
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return x;
}

int cms_recipient_load(const char *path, struct cms_recipient **out, struct error *err)
{
	struct cms_recipient *r = NULL;
	unsigned char md[32];
	unsigned int md_len = 0;
	char *data = NULL;
	size_t len = 0;
	EVP_PKEY *pk;
	uint32_t ku;

	*out = NULL;
	if (read_small_file(path, CERT_FILE_MAX, &data, &len) < 0) {
		error_set(err, "%s: %s", path,
		          errno ? strerror(errno) : "too large for a certificate");
		return -1;
	}
	r = xcalloc(1, sizeof(*r));
	if ((r->cert = cert_parse(data, len)) == NULL) {
		error_set_openssl(err, "%s: not an X.509 certificate (PEM or DER)", path);
		goto fail;
	}
	if ((pk = X509_get0_pubkey(r->cert)) == NULL) {
		error_set_openssl(err, "%s: the certificate's public key", path);
		goto fail;
	}
	ku = X509_get_key_usage(r->cert);
	if (EVP_PKEY_is_a(pk, "RSA")) {
		if (!(ku & KU_KEY_ENCIPHERMENT)) {
			error_set(err,
			          "%s: the certificate's key usage does not allow keyEncipherment: "
			          "it "
			          "is not for encryption",
			          path);
			goto fail;
		}
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		r->is_ec = 1;
		if (!(ku & KU_KEY_AGREEMENT)) {
			error_set(err,
			          "%s: the certificate's key usage does not allow keyAgreement: it "
			          "is "
			          "not for encryption",
			          path);
			goto fail;
		}
	} else {
		error_set(err, "%s: the certificate's key is neither RSA nor EC", path);
		goto fail;
	}
	if (X509_digest(r->cert, EVP_sha256(), md, &md_len) != 1 || md_len != 32) {
		error_set_openssl(err, "%s: fingerprint", path);
		goto fail;
	}
	hex_encode(md, 32, r->fpr);
	free(data);
	*out = r;
	return 0;
fail:
	free(data);
	cms_recipient_free(r);
	return -1;
}

const char *cms_recipient_fingerprint(const struct cms_recipient *r)
{
	return r->fpr;
}

void cms_recipient_free(struct cms_recipient *r)
{
	if (r == NULL)
		return;
	X509_free(r->cert);
	free(r);
}

/* The key transport or agreement parameters that OpenSSL does not choose by default. */
static int set_recipient_params(CMS_RecipientInfo *ri, const struct cms_recipient *r,
                                struct error *err)
{
	EVP_PKEY_CTX *pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);

	if (pctx == NULL) {
		error_set_openssl(err, "CMS recipient %s", r->fpr);
		return -1;
	}
	if (r->is_ec) {
		if (EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256()) <= 0) {
			error_set_openssl(err, "ECDH KDF for %s", r->fpr);
			return -1;
		}
		return 0;
	}
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0) {
		error_set_openssl(err, "RSA-OAEP for %s", r->fpr);
		return -1;
	}
	return 0;
}

int cms_encryptor_new(struct cms_encryptor **out, struct cms_recipient *const *recipients, size_t n,
                      cms_output_fn output, void *ctx, struct error *err)
{
	struct cms_encryptor *e = xcalloc(1, sizeof(*e));

	*out = NULL;
	if (n == 0) {
		error_set(err, "CMS: no recipient");
		goto fail;
	}
	e->sink.fn = output;
	e->sink.ctx = ctx;
	e->sink.err = &e->sink_err;
	if ((e->cms = CMS_AuthEnvelopedData_create(EVP_aes_256_gcm())) == NULL) {
		error_set_openssl(err, "CMS AuthEnvelopedData");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		CMS_RecipientInfo *ri =
		        CMS_add1_recipient_cert(e->cms, recipients[i]->cert, CMS_KEY_PARAM);

		if (ri == NULL) {
			error_set_openssl(err, "CMS recipient %s", recipients[i]->fpr);
			goto fail;
		}
		if (set_recipient_params(ri, recipients[i], err) < 0)
			goto fail;
	}
	/* Detached: the header will not carry the ciphertext, which goes to output instead. */
	if (CMS_set_detached(e->cms, 1) != 1 || (e->method = sink_method()) == NULL ||
	    (e->out = BIO_new(e->method)) == NULL) {
		error_set_openssl(err, "CMS");
		goto fail;
	}
	BIO_set_data(e->out, &e->sink);
	if ((e->cont = CMS_dataInit(e->cms, e->out)) == NULL) {
		error_set_openssl(err, "CMS: encrypting the content key");
		goto fail;
	}
	e->out = NULL; /* part of the chain now */
	*out = e;
	return 0;
fail:
	cms_encryptor_free(e);
	return -1;
}

int cms_encryptor_write(struct cms_encryptor *e, const void *buf, size_t len, struct error *err)
{
	const char *p = buf;

	if (len > CMS_GCM_MAX_BYTES - e->written) {
		error_set(err,
		          "the bundle is larger than OpenSSL can decrypt as CMS (1.5 GiB): encrypt "
		          "it to an OpenPGP key or an age recipient instead");
		return -1;
	}
	while (len > 0) {
		int take = len > INT_MAX / 2 ? INT_MAX / 2 : (int)len, n;

		n = BIO_write(e->cont, p, take);
		if (n != take) {
			if (e->sink.failed)
				error_set(err, "%s", e->sink_err.msg);
			else
				error_set_openssl(err, "CMS: AES-256-GCM");
			return -1;
		}
		p += n;
		len -= (size_t)n;
		e->written += (uint64_t)n;
	}
	return 0;
}

int cms_encryptor_finish(struct cms_encryptor *e, unsigned char **header, size_t *header_len,
                         struct error *err)
{
	unsigned char *der = NULL;
	int len;

	*header = NULL;
	*header_len = 0;
	if (BIO_flush(e->cont) != 1 || CMS_dataFinal(e->cms, e->cont) != 1) {
		if (e->sink.failed)
			error_set(err, "%s", e->sink_err.msg);
		else
			error_set_openssl(err, "CMS: the end of the encryption");
		return -1;
	}
	if ((len = i2d_CMS_ContentInfo(e->cms, &der)) <= 0) {
		error_set_openssl(err, "CMS: the header");
		return -1;
	}
	*header = xmalloc((size_t)len);
	memcpy(*header, der, (size_t)len);
	*header_len = (size_t)len;
	OPENSSL_free(der);
	return 0;
}

void cms_encryptor_free(struct cms_encryptor *e)
{
	if (e == NULL)
		return;
	BIO_free_all(e->cont);
	BIO_free(e->out);
	CMS_ContentInfo_free(e->cms);
	BIO_meth_free(e->method);
	free(e);
}

struct pass_request {
	const char *file;
	const char *path;
	struct error *err;
	int failed;
};

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	struct pass_request *req = u;
	char *pass = NULL, prompt[300];
	size_t len = 0;

	(void)rwflag;
	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", req->path);
	if (sign_read_passphrase(req->file, 1, prompt, &pass, &len, req->err) < 0 || pass == NULL) {
		req->failed = 1;
		return -1;
	}
	if (len > (size_t)size)
		len = (size_t)size;
	memcpy(buf, pass, len);
	OPENSSL_cleanse(pass, len);
	free(pass);
	return (int)len;
}

int cms_identity_load(const char *key_path, const char *cert_path, const char *pass_file,
                      struct cms_identity **out, struct error *err)
{
	struct cms_identity *id = xcalloc(1, sizeof(*id));
	struct pass_request req = {pass_file, key_path, err, 0};
	char *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	int fd;

	*out = NULL;
	if ((fd = secrets_open_private(key_path, err)) < 0)
		goto fail;
	close(fd);
	if ((bio = BIO_new_file(key_path, "r")) == NULL ||
	    (id->key = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, &req)) == NULL) {
		if (!req.failed)
			error_set_openssl(err, "%s: not a PEM private key, or a wrong passphrase",
			                  key_path);
		goto fail;
	}
	if (cert_path) {
		if (read_small_file(cert_path, CERT_FILE_MAX, &data, &len) < 0) {
			error_set(err, "%s: %s", cert_path,
			          errno ? strerror(errno) : "too large for a certificate");
			goto fail;
		}
		if ((id->cert = cert_parse(data, len)) == NULL) {
			error_set_openssl(err, "%s: not an X.509 certificate", cert_path);
			goto fail;
		}
		if (X509_check_private_key(id->cert, id->key) != 1) {
			error_set(err, "%s: the certificate is not the one of the key %s",
			          cert_path, key_path);
			goto fail;
		}
		{
			unsigned char md[EVP_MAX_MD_SIZE];
			unsigned md_len = 0;

			if (X509_digest(id->cert, EVP_sha256(), md, &md_len) != 1 || md_len != 32) {
				error_set_openssl(err, "%s: fingerprint", cert_path);
				goto fail;
			}
			hex_encode(md, 32, id->fpr);
		}
	}
	free(data);
	BIO_free(bio);
	*out = id;
	return 0;
fail:
	free(data);
	BIO_free(bio);
	cms_identity_free(id);
	return -1;
}

const char *cms_identity_fingerprint(const struct cms_identity *id)
{
	return id->fpr[0] ? id->fpr : NULL;
}

void cms_identity_free(struct cms_identity *id)
{
	if (id == NULL)
		return;
	EVP_PKEY_free(id->key);
	X509_free(id->cert);
	free(id);
}

/*
 * Why CMS_decrypt failed, from OpenSSL's error queue: 1 no recipient opened with the key (the
 * key transport or agreement failed), 0 the content did not authenticate (the cipher BIO fails
 * at the tag without queueing an error), -1 anything else (its first error's text in first).
 */
static int decrypt_failure(char *first, size_t first_len)
{
	unsigned long e;
	int recipient = 0, any = 0;

	while ((e = ERR_peek_error()) != 0) {
		if (!any)
			ERR_error_string_n(e, first, first_len);
		int lib = ERR_GET_LIB(e);

		if (lib == ERR_LIB_RSA || lib == ERR_LIB_PROV || lib == ERR_LIB_EC ||
		    (lib == ERR_LIB_CMS && ERR_GET_REASON(e) == CMS_R_NO_MATCHING_RECIPIENT))
			recipient = 1;
		any = 1;
		if (recipient)
			break;
		ERR_get_error();
	}
	if (recipient) {
		ERR_clear_error();
		return 1;
	}
	return any ? -1 : 0;
}

/* Does a recipient of the header name cert (by issuer and serial, or key identifier)? */
static int names_cert(CMS_ContentInfo *cms, X509 *cert)
{
	STACK_OF(CMS_RecipientInfo) *ris = CMS_get0_RecipientInfos(cms);

	for (int i = 0; ris && i < sk_CMS_RecipientInfo_num(ris); i++) {
		CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(ris, i);

		if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS &&
		    CMS_RecipientInfo_ktri_cert_cmp(ri, cert) == 0)
			return 1;
		if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_AGREE) {
			STACK_OF(CMS_RecipientEncryptedKey) *reks =
			        CMS_RecipientInfo_kari_get0_reks(ri);

			for (int k = 0; k < sk_CMS_RecipientEncryptedKey_num(reks); k++)
				if (CMS_RecipientEncryptedKey_cert_cmp(
				            sk_CMS_RecipientEncryptedKey_value(reks, k), cert) == 0)
					return 1;
		}
	}
	return 0;
}

int cms_decrypt_detached(const unsigned char *header, size_t header_len, int enc_fd,
                         const struct cms_identity *id, cms_output_fn output, void *ctx,
                         int *file_fault, struct error *err)
{
	const unsigned char *p = header;
	CMS_ContentInfo *cms = NULL;
	BIO *in = NULL, *cont = NULL;
	char *buf = NULL;
	int ret = -1, nid, detached;

	*file_fault = 1;
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)header_len)) == NULL) {
		error_set_openssl(err, "not a CMS header (DER)");
		goto out;
	}
	nid = OBJ_obj2nid(CMS_get0_type(cms));
	if (nid == NID_pkcs7_enveloped) {
		error_set(err,
		          "CMS EnvelopedData, which has no authentication (CBC without a MAC): "
		          "refused; AuthEnvelopedData (AES-GCM) is read");
		goto out;
	}
	if (nid != NID_id_smime_ct_authEnvelopedData) {
		error_set(err, "a CMS header of another type than AuthEnvelopedData");
		goto out;
	}
	/*
	 * With the certificate, a header to others is told apart from altered content: for an
	 * ECDH recipient, OpenSSL fails both the same way (the key unwrap fails).
	 */
	if (id->cert && !names_cert(cms, id->cert)) {
		error_set(err, "the file is not encrypted to this key (no recipient of the header "
		               "names its certificate)");
		goto out;
	}
	/* A single file carries its content: it was read whole, within the caller's bound. */
	if (CMS_is_detached(cms) && enc_fd < 0) {
		error_set(err, "the content file (.enc) of the CMS header is missing");
		goto out;
	}
	*file_fault = 0;
	detached = CMS_is_detached(cms);
	if (detached && (in = BIO_new_fd(enc_fd, BIO_NOCLOSE)) == NULL) {
		error_set_openssl(err, "CMS");
		goto out;
	}
	ERR_clear_error();
	/*
	 * Not CMS_decrypt, which OpenSSL 3.0 runs through a memory buffer (the whole plaintext, and
	 * a failure past 2 GiB): the content key is opened here, and the content read through
	 * CMS_dataInit's cipher BIO in fixed-size pieces, so that memory stays bounded at any
	 * size. The plaintext goes to the caller as it comes; the GCM tag is judged at the end,
	 * and the caller keeps everything unnamed until then. CMS_decrypt without key, certificate
	 * or BIOs only records CMS_DEBUG_DECRYPT (a key that is no recipient is then an error, not
	 * a random content key); it wants content present, so a detached header is given an empty
	 * one for that call.
	 */
	if ((detached && CMS_set_detached(cms, 0) != 1) ||
	    CMS_decrypt(cms, NULL, NULL, NULL, NULL, CMS_DEBUG_DECRYPT) != 1 ||
	    (detached && CMS_set_detached(cms, 1) != 1) ||
	    CMS_decrypt_set1_pkey_and_peer(cms, id->key, id->cert, NULL) != 1) {
		char first[256] = "";

		*file_fault = 1;
		if (decrypt_failure(first, sizeof(first)) == -1)
			error_set(err, "CMS decryption: %s", first);
		else
			error_set(err, "the file is not encrypted to this key (no recipient of the "
			               "header opens with it, or the header was altered)");
		goto out;
	}
	if ((cont = CMS_dataInit(cms, in)) == NULL) {
		*file_fault = 1;
		error_set_openssl(err, "CMS content");
		goto out;
	}
	buf = xmalloc(CMS_READ_PIECE);
	for (;;) {
		int n = BIO_read(cont, buf, CMS_READ_PIECE);

		if (n > 0) {
			if (output(ctx, buf, (size_t)n, err) < 0)
				goto out;
			continue;
		}
		/* The cipher BIO's status is its final check: for GCM, the tag. */
		if (n < 0 || BIO_get_cipher_status(cont) <= 0) {
			char first[256] = "";

			*file_fault = 1;
			if (decrypt_failure(first, sizeof(first)) == -1) {
				error_set(err, "CMS decryption: %s", first);
			} else {
				*file_fault = 2;
				error_set(err, "the encrypted data does not authenticate (AES-GCM "
				               "tag): the file was altered or truncated");
			}
			goto out;
		}
		break;
	}
	ret = 0;
out:
	/* The chain CMS_dataInit put in front of the content BIO, then that BIO. */
	while (cont != NULL && cont != in) {
		BIO *next = BIO_pop(cont);

		BIO_free(cont);
		cont = next;
	}
	BIO_free(in);
	free(buf);
	CMS_ContentInfo_free(cms);
	return ret;
}

/* One recipient's identifier: an issuer and serial, or a subject key identifier. */
static void add_rid(struct strbuf *sb, const ASN1_OCTET_STRING *keyid, X509_NAME *issuer,
                    const ASN1_INTEGER *serial)
{
	if (sb->len)
		strbuf_addstr(sb, ", ");
	if (issuer && serial) {
		char name[256];
		BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
		char *hex = bn ? BN_bn2hex(bn) : NULL;

		X509_NAME_oneline(issuer, name, sizeof(name));
		strbuf_addf(sb, "X.509 issuer %s serial %s", name, hex ? hex : "?");
		OPENSSL_free(hex);
		BN_free(bn);
	} else if (keyid) {
		strbuf_addstr(sb, "X.509 subject key ID ");
		for (int i = 0; i < ASN1_STRING_length(keyid); i++)
			strbuf_addf(sb, "%02X", ASN1_STRING_get0_data(keyid)[i]);
	} else
		strbuf_addstr(sb, "an X.509 recipient of another kind");
}

char *cms_header_recipients(const unsigned char *header, size_t header_len)
{
	const unsigned char *p = header;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)header_len);
	STACK_OF(CMS_RecipientInfo) * ris;
	struct strbuf sb = STRBUF_INIT;

	if (cms == NULL || (ris = CMS_get0_RecipientInfos(cms)) == NULL) {
		CMS_ContentInfo_free(cms);
		ERR_clear_error();
		return NULL;
	}
	for (int i = 0; i < sk_CMS_RecipientInfo_num(ris); i++) {
		CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(ris, i);
		ASN1_OCTET_STRING *keyid = NULL;
		X509_NAME *issuer = NULL;
		ASN1_INTEGER *serial = NULL;

		if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS) {
			if (CMS_RecipientInfo_ktri_get0_signer_id(ri, &keyid, &issuer, &serial) ==
			    1)
				add_rid(&sb, keyid, issuer, serial);
		} else if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_AGREE) {
			STACK_OF(CMS_RecipientEncryptedKey) *reks =
			        CMS_RecipientInfo_kari_get0_reks(ri);

			for (int k = 0; k < sk_CMS_RecipientEncryptedKey_num(reks); k++) {
				CMS_RecipientEncryptedKey *rek =
				        sk_CMS_RecipientEncryptedKey_value(reks, k);

				keyid = NULL;
				issuer = NULL;
				serial = NULL;
				if (CMS_RecipientEncryptedKey_get0_id(rek, &keyid, NULL, NULL,
				                                      &issuer, &serial) == 1)
					add_rid(&sb, keyid, issuer, serial);
			}
		} else
			add_rid(&sb, NULL, NULL, NULL);
	}
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	if (sb.len == 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}
