/* CMS signing and verification, trust anchors, and key generation (OpenSSL 3). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ui.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/secrets.h"
#include "trust/sign.h"

#define KEY_FILE_MAX (1024 * 1024)
#define PASSPHRASE_MAX 1024

struct signer {
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) * chain;
	char *subject;
};

struct trust_store {
	X509_STORE *store;
};

/* A subject or issuer as "/O=Org/CN=Name", with anything unprintable shown as \xHH. */
static char *name_text(const X509_NAME *name)
{
	static const char digits[] = "0123456789abcdef";
	struct strbuf sb = STRBUF_INIT;
	char *raw = X509_NAME_oneline(name, NULL, 0);

	if (raw == NULL)
		return xstrdup("(unreadable name)");
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
		if (*p < 0x20 || *p > 0x7e) {
			char esc[4] = {'\\', 'x', digits[*p >> 4], digits[*p & 15]};

			strbuf_add(&sb, esc, 4);
		} else {
			strbuf_addch(&sb, (char)*p);
		}
	}
	OPENSSL_free(raw);
	return strbuf_detach(&sb);
}

static int64_t asn1_time_epoch(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/*
 * Read a small secret file (what: "a private key", "a passphrase file") whole into a buffer the
 * caller wipes and frees. A file that group or others may read is refused: its secret may
 * already be known to others. From here on the process holds a secret, so it stops being
 * dumpable (no core file, no ptrace attach by other processes of the same user).
 */
static int read_secret_file(const char *path, const char *what, char **out, size_t *len_out,
                            struct error *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	char chunk[4096];
	int fd, ret = -1;

	if (secrets_protect_process(err) < 0)
		return -1;
	/* O_NONBLOCK: a FIFO put where the file should be must not hang us at open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		error_set(err, "%s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		error_set(
		        err,
		        "%s: permissions %04o are too open: %s must not be accessible by group or "
		        "others (run: chmod 600 %s)",
		        path, (unsigned int)(st.st_mode & 07777), what, path);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (sb.len + (size_t)n > KEY_FILE_MAX) {
			error_set(err, "%s: too large for a key or passphrase file", path);
			goto out;
		}
		/* Grow first so that no copy of the secret is left in a freed buffer. */
		if (sb.len + (size_t)n + 1 > sb.cap) {
			struct strbuf bigger = STRBUF_INIT;

			strbuf_grow(&bigger, KEY_FILE_MAX);
			strbuf_add(&bigger, sb.buf ? sb.buf : "", sb.len);
			if (sb.buf)
				OPENSSL_cleanse(sb.buf, sb.cap);
			strbuf_release(&sb);
			sb = bigger;
		}
		strbuf_add(&sb, chunk, (size_t)n);
	}
	*len_out = sb.len;
	*out = strbuf_detach(&sb);
	ret = 0;
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	if (ret < 0 && sb.buf) {
		OPENSSL_cleanse(sb.buf, sb.cap);
		strbuf_release(&sb);
	}
	close(fd);
	return ret;
}

int sign_read_passphrase(const char *file, int prompt, const char *prompt_text, char **out,
                         size_t *len_out, struct error *err)
{
	const char *env;
	char *buf = NULL;
	size_t len = 0;

	*out = NULL;
	*len_out = 0;
	if (file) {
		if (read_secret_file(file, "a passphrase file", &buf, &len, err) < 0)
			return -1;
		/* The first line only: a trailing newline is not part of the passphrase. */
		char *nl = memchr(buf, '\n', len);
		if (nl) {
			OPENSSL_cleanse(nl, len - (size_t)(nl - buf));
			len = (size_t)(nl - buf);
		}
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
		*out = buf;
		*len_out = len;
		return 0;
	}
	env = getenv(SIGN_PASSPHRASE_ENV);
	if (env) {
		*out = xstrdup(env);
		*len_out = strlen(env);
		return 0;
	}
	if (!prompt)
		return 0;
	buf = xmalloc(PASSPHRASE_MAX);
	/* EVP_read_pw_string talks to the terminal itself, not to stdin. */
	if (EVP_read_pw_string(buf, PASSPHRASE_MAX, prompt_text, 0) != 0) {
		OPENSSL_cleanse(buf, PASSPHRASE_MAX);
		free(buf);
		error_set(err,
		          "no passphrase: none given by --passphrase-file or $%s, and no "
		          "terminal to ask on",
		          SIGN_PASSPHRASE_ENV);
		return -1;
	}
	*out = buf;
	*len_out = strlen(buf);
	return 0;
}

struct passphrase_request {
	const char *file;
	const char *key_path;
	int asked;
	int failed;
	struct error err;
};

/* OpenSSL asks for the passphrase only when the key is encrypted. */
static int passphrase_cb(char *buf, int size, int rwflag, void *userdata)
{
	struct passphrase_request *req = userdata;
	char prompt[512];
	char *pass = NULL;
	size_t len = 0;

	if (req->asked++) /* a wrong passphrase: do not loop */
		return -1;
	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", req->key_path);
	if (sign_read_passphrase(req->file, 1, prompt, &pass, &len, &req->err) < 0) {
		req->failed = 1;
		return -1;
	}
	if (pass == NULL || len > (size_t)size) {
		if (pass) {
			OPENSSL_cleanse(pass, len);
			free(pass);
		}
		error_set(&req->err, "passphrase unusable");
		req->failed = 1;
		return -1;
	}
	memcpy(buf, pass, len);
	OPENSSL_cleanse(pass, len);
	free(pass);
	return (int)len;
}

/* Read every PEM certificate of a file (at least one). */
static int read_cert_file(const char *path, STACK_OF(X509) * *out, struct error *err)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	BIO *bio = BIO_new_file(path, "rb");
	X509 *x;

	if (certs == NULL || bio == NULL) {
		error_set_openssl(err, "%s: cannot open", path);
		goto fail;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		sk_X509_push(certs, x);
	/* The loop ends on "no start line" at the end of the file; anything else is an error. */
	if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
		ERR_clear_error();
	if (ERR_peek_error() != 0 || sk_X509_num(certs) == 0) {
		if (ERR_peek_error() != 0)
			error_set_openssl(err, "%s: not a PEM certificate file", path);
		else
			error_set(err, "%s: no PEM certificate in it", path);
		goto fail;
	}
	BIO_free(bio);
	*out = certs;
	return 0;
fail:
	BIO_free(bio);
	sk_X509_pop_free(certs, X509_free);
	return -1;
}

int signer_load(struct signer **out, const struct signer_options *opt, struct error *err)
{
	struct signer *s = xcalloc(1, sizeof(*s));
	struct passphrase_request req = {.file = opt->passphrase_file, .key_path = opt->key_path};
	STACK_OF(X509) *certs = NULL;
	char *keybuf = NULL;
	size_t keylen = 0;
	BIO *bio = NULL;
	int type;

	if (read_secret_file(opt->key_path, "a private key", &keybuf, &keylen, err) < 0)
		goto fail;
	bio = BIO_new_mem_buf(keybuf, (int)keylen);
	if (bio == NULL) {
		error_set_openssl(err, "%s", opt->key_path);
		goto fail;
	}
	s->key = PEM_read_bio_PrivateKey(bio, NULL, passphrase_cb, &req);
	if (s->key == NULL) {
		if (req.failed)
			error_set(err, "%s: %s", opt->key_path, req.err.msg);
		else if (req.asked)
			error_set_openssl(err, "%s: cannot decrypt the key (wrong passphrase?)",
			                  opt->key_path);
		else
			error_set_openssl(err, "%s: not a PEM private key", opt->key_path);
		goto fail;
	}
	type = EVP_PKEY_get_base_id(s->key);
	if (type != EVP_PKEY_EC && type != EVP_PKEY_RSA && type != EVP_PKEY_RSA_PSS) {
		error_set(err,
		          "%s: a %s key cannot sign CMS with OpenSSL 3.0; use ECDSA P-256 "
		          "(logpack keygen) or RSA",
		          opt->key_path, OBJ_nid2sn(type));
		goto fail;
	}
	if (read_cert_file(opt->cert_path, &certs, err) < 0)
		goto fail;
	s->cert = sk_X509_shift(certs);
	/* Certificates after the first in the cert file count as chain too. */
	s->chain = certs;
	certs = NULL;
	if (X509_check_private_key(s->cert, s->key) != 1) {
		error_set_openssl(err, "%s does not belong to the key %s", opt->cert_path,
		                  opt->key_path);
		goto fail;
	}
	if (opt->chain_path) {
		if (read_cert_file(opt->chain_path, &certs, err) < 0)
			goto fail;
		while (sk_X509_num(certs) > 0)
			sk_X509_push(s->chain, sk_X509_shift(certs));
		sk_X509_free(certs);
		certs = NULL;
	}
	s->subject = name_text(X509_get_subject_name(s->cert));
	BIO_free(bio);
	OPENSSL_cleanse(keybuf, keylen);
	free(keybuf);
	*out = s;
	return 0;
fail:
	BIO_free(bio);
	if (keybuf) {
		OPENSSL_cleanse(keybuf, keylen);
		free(keybuf);
	}
	sk_X509_pop_free(certs, X509_free);
	signer_free(s);
	return -1;
}

void signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key); /* OpenSSL wipes key material when it frees it */
	X509_free(s->cert);
	sk_X509_pop_free(s->chain, X509_free);
	free(s->subject);
	free(s);
}

const char *signer_subject(const struct signer *s)
{
	return s->subject;
}

int signer_sign(void *ctx, const void *data, size_t len, unsigned char **der, size_t *der_len,
                struct error *err)
{
	struct signer *s = ctx;
	const unsigned int flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
	int type = EVP_PKEY_get_base_id(s->key), ret = -1, n;
	unsigned char *buf = NULL;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	BIO *in = NULL;

	if (len > INT32_MAX) {
		error_set(err, "signing: content too large");
		return -1;
	}
	in = BIO_new_mem_buf(data, (int)len);
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (in == NULL || cms == NULL) {
		error_set_openssl(err, "signing");
		goto out;
	}
	/* CMS_KEY_PARAM lets us choose PSS padding for RSA before the signature is made. */
	si = CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(),
	                     flags | (type == EVP_PKEY_EC ? 0 : CMS_KEY_PARAM));
	if (si == NULL) {
		error_set_openssl(err, "signing with %s", s->subject);
		goto out;
	}
	if (type != EVP_PKEY_EC) {
		EVP_PKEY_CTX *pctx = CMS_SignerInfo_get0_pkey_ctx(si);

		if (pctx == NULL ||
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0) {
			error_set_openssl(err, "signing: RSA-PSS");
			goto out;
		}
	}
	for (int i = 0; i < sk_X509_num(s->chain); i++) {
		if (CMS_add1_cert(cms, sk_X509_value(s->chain, i)) != 1) {
			error_set_openssl(err, "signing: adding the chain");
			goto out;
		}
	}
	if (CMS_final(cms, in, NULL, flags) != 1) {
		error_set_openssl(err, "signing");
		goto out;
	}
	n = i2d_CMS_ContentInfo(cms, &buf);
	if (n <= 0) {
		error_set_openssl(err, "signing: encoding");
		goto out;
	}
	*der = xmalloc((size_t)n);
	memcpy(*der, buf, (size_t)n);
	*der_len = (size_t)n;
	ret = 0;
out:
	OPENSSL_free(buf);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return ret;
}

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

	if (read_cert_file(path, &certs, err) < 0)
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
		return asn1_time_epoch((const ASN1_TIME *)t->value.asn1_string);
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
		char *who = name_text(X509_get_subject_name(cert));

		chk->trust_reason = xasprintf("impostor: a trusted certificate for %s exists, but "
		                              "with another key",
		                              who);
		free(who);
	} else if (X509_STORE_CTX_get_error_depth(ctx) > 0 &&
	           X509_STORE_CTX_get_current_cert(ctx)) {
		char *who = name_text(X509_get_subject_name(X509_STORE_CTX_get_current_cert(ctx)));

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
			chk->subject = name_text(X509_get_subject_name(sk_X509_value(signers, 0)));
		goto out;
	}
	signers = CMS_get0_signers(cms);
	if (signers == NULL || sk_X509_num(signers) != 1) {
		chk->failure = xstrdup("cannot identify the signer");
		goto out;
	}
	cert = sk_X509_value(signers, 0);
	chk->signature_ok = 1;
	chk->subject = name_text(X509_get_subject_name(cert));
	chk->issuer = name_text(X509_get_issuer_name(cert));
	chk->signing_time =
	        signer_info_signing_time(sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0));
	chk->not_after = asn1_time_epoch(X509_get0_notAfter(cert));
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

/* Create path exclusively with mode; -1 with err if it exists. */
static int create_file(const char *path, mode_t mode, const void *data, size_t len,
                       struct error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
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
	int ret = -1, key_written = 0;

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
	    add_ext(x, &v3, NID_key_usage, "critical,digitalSignature,nonRepudiation", err) < 0 ||
	    add_ext(x, &v3, NID_ext_key_usage, "emailProtection,codeSigning," SIGN_EKU_LOGPACK_OID,
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
	if (create_file(opt->key_path, 0600, kdata, (size_t)klen, err) < 0)
		goto out;
	key_written = 1;
	if (create_file(opt->cert_path, 0644, cdata, (size_t)clen, err) < 0)
		goto out;
	ret = 0;
out:
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
