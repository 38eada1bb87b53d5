/*
 * Keys, certificates and CMS signatures: load a signing key (refusing one that others can
 * read), sign the tag manifest as a detached CMS SignedData (DER), verify such a signature and
 * decide whether its signer chains to a trust anchor, and make a new key and certificate.
 */
#ifndef LOGPACK_SIGN_H
#define LOGPACK_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/*
 * The extended key usage that marks a certificate as one for signing logpack bundles (an OID
 * under the UUID arc 2.25, which needs no registration). emailProtection, codeSigning and
 * anyExtendedKeyUsage are accepted too; a certificate with only other uses (a TLS server's) is
 * never trusted as a signer. docs/signing.md documents it.
 */
#define SIGN_EKU_LOGPACK_OID "2.25.206148685855623484717259061867089240605"

/* The environment variable that may hold the key's passphrase. */
#define SIGN_PASSPHRASE_ENV "LOGPACK_KEY_PASSPHRASE"

struct signer;

struct signer_options {
	const char *key_path;
	const char *cert_path;
	const char *chain_path;      /* NULL, or PEM certificates to include after the signer's */
	const char *passphrase_file; /* NULL: the environment, then a terminal prompt */
};

/*
 * Load the key, certificate and chain, and check that the key matches the certificate. The key
 * file must not be readable by group or others. Returns 0, or -1 with the reason in err.
 */
int signer_load(struct signer **out, const struct signer_options *opt, struct error *err);
void signer_free(struct signer *s);
/* The signer's subject ("/O=Org/CN=Name"); owned by s. */
const char *signer_subject(const struct signer *s);

/*
 * A bag_sign_fn (include/bag.h): ctx is a struct signer. Puts a detached CMS SignedData (DER)
 * over data in *der (caller frees with free()), with the signer's certificate, the chain and
 * the signing time. RSA keys sign with PSS.
 */
int signer_sign(void *ctx, const void *data, size_t len, unsigned char **der, size_t *der_len,
                struct error *err);

/*
 * Read a passphrase: from the file (its first line), else from $LOGPACK_KEY_PASSPHRASE, else
 * from the terminal when prompt is set. *out is NULL when none was found and prompt is unset.
 * The caller wipes it with OPENSSL_cleanse and frees it.
 */
int sign_read_passphrase(const char *file, int prompt, const char *prompt_text, char **out,
                         size_t *len_out, struct error *err);

/* Trust anchors: PEM certificates from a file, or from every .pem, .crt or .cer file of a
 * directory. */
struct trust_store;
int trust_store_load(struct trust_store **out, const char *path, struct error *err);
void trust_store_free(struct trust_store *ts);

struct sign_check {
	int signature_ok;     /* the signature is over exactly this content, by the cert it names */
	char *subject;        /* signer subject, "/O=Org/CN=Name"; printable ASCII only */
	char *issuer;         /* signer issuer, same form */
	int64_t signing_time; /* from the signed attributes; 0 when absent */
	int64_t not_after;    /* the signer certificate's expiry */
	int expired;          /* the signer certificate has expired (now) */
	int not_yet_valid;
	int trusted;        /* chains to an anchor in the trust store, valid now */
	char *trust_reason; /* why not trusted ("no --trust given", "certificate has expired") */
	char *failure;      /* why signature_ok is 0 */
};

/*
 * Check a detached CMS signature (DER) over content. Fills chk in every case where the input
 * could be examined (a bad signature is chk->signature_ok == 0 with chk->failure, not -1).
 * trust may be NULL. Returns -1 only when the check itself could not run.
 */
int sign_check_detached(const void *p7s, size_t p7s_len, const void *content, size_t content_len,
                        const struct trust_store *trust, struct sign_check *chk, struct error *err);
void sign_check_free(struct sign_check *chk);

struct keygen_options {
	const char *key_path;  /* written with mode 0600; must not exist */
	const char *cert_path; /* must not exist */
	const char *subject;   /* "/O=Org/CN=Name/emailAddress=a@b" */
	int days;
	const char *passphrase; /* NULL: the key is written unencrypted */
	size_t passphrase_len;
	int encryption; /* a receiver's key: keyAgreement (ECDH), not for signing */
};

/*
 * Make a P-256 key and a self-signed certificate fit for signing bundles (ECDSA), or with
 * opt->encryption for receiving them (ECDH: --encrypt-to CERT).
 */
int sign_keygen(const struct keygen_options *opt, struct error *err);

#endif
