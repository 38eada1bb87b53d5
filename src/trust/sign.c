/* Signing keys, passphrases and CMS signing (OpenSSL 3); trust anchors and checks are in
 * truststore.c, key generation in keygen.c. */
#include "config.h"

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
#include "trust/sign-util.h"
#include "trust/sign.h"

#define KEY_FILE_MAX (1024 * 1024)
#define PASSPHRASE_MAX 1024

struct signer {
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) * chain;
	char *subject;
};

/* A subject or issuer as "/O=Org/CN=Name", with anything unprintable shown as \xHH. */
char *sign_name_text(const X509_NAME *name)
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

/* A certificate time as seconds since the epoch; 0 when unreadable. */
int64_t sign_asn1_time_epoch(const ASN1_TIME *t)
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
int sign_read_cert_file(const char *path, STACK_OF(X509) * *out, struct error *err)
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
	if (sign_read_cert_file(opt->cert_path, &certs, err) < 0)
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
		if (sign_read_cert_file(opt->chain_path, &certs, err) < 0)
			goto fail;
		while (sk_X509_num(certs) > 0)
			sk_X509_push(s->chain, sk_X509_shift(certs));
		sk_X509_free(certs);
		certs = NULL;
	}
	s->subject = sign_name_text(X509_get_subject_name(s->cert));
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
