/*
 * X.509 recipients: CMS AuthEnvelopedData (RFC 5083) with AES-256-GCM, the ciphertext detached
 * from the header: `openssl cms -decrypt -inform DER -binary -in X.p7m -content X.enc -inkey K
 * -recip C` reads it past the 2 GB limit of a single-file CMS. (OpenSSL 3.0's decryption still
 * holds about twice the content in memory, there and in cms_decrypt_detached: bench/README.md.)
 * Writing streams in bounded memory. RSA recipients get RSA-OAEP with SHA-256 (OpenSSL's default is
 * PKCS#1 v1.5), EC ones ECDH with a SHA-256 KDF (the default is SHA-1).
 */
#ifndef LOGPACK_CMS_ENVELOPE_H
#define LOGPACK_CMS_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* The largest single-file CMS read: it is held whole in memory. */
#define CMS_SINGLE_FILE_MAX (16 * 1024 * 1024)

/*
 * The most an X.509 bundle may hold. One GCM invocation may cover 64 GiB, but OpenSSL 3.0
 * decrypts AuthEnvelopedData into one memory buffer, which it will not grow past 0x5ffffffc
 * bytes (BUF_MEM_grow): a larger bundle could be written but neither stock openssl cms nor
 * logpack decrypt (the same call) could open it. 1.5 GiB less 1 MiB.
 */
#define CMS_GCM_MAX_BYTES (UINT64_C(1535) << 20)

struct cms_recipient;

/*
 * Read a certificate (PEM or DER) to encrypt to: an RSA key whose key usage, when given, allows
 * keyEncipherment, or an EC key whose key usage allows keyAgreement. Anything else is refused.
 */
int cms_recipient_load(const char *path, struct cms_recipient **out, struct error *err);
/* The certificate's SHA-256 fingerprint, 64 lower-case hex digits; owned by r. */
const char *cms_recipient_fingerprint(const struct cms_recipient *r);
void cms_recipient_free(struct cms_recipient *r);

typedef int (*cms_output_fn)(void *ctx, const void *buf, size_t len, struct error *err);

struct cms_encryptor;

/* Encrypt to n recipients; the ciphertext goes to output as it is made. */
int cms_encryptor_new(struct cms_encryptor **out, struct cms_recipient *const *recipients, size_t n,
                      cms_output_fn output, void *ctx, struct error *err);
/* More plaintext; refused past CMS_GCM_MAX_BYTES, with the formats that have no such limit. */
int cms_encryptor_write(struct cms_encryptor *e, const void *buf, size_t len, struct error *err);
/* The end: the last ciphertext, then *header (DER, the .p7m; the caller frees it). */
int cms_encryptor_finish(struct cms_encryptor *e, unsigned char **header, size_t *header_len,
                         struct error *err);
void cms_encryptor_free(struct cms_encryptor *e);

/* The receiver's private key (PEM); pass_file as for signing keys (NULL: environment, terminal). */
struct cms_identity;
int cms_identity_load(const char *key_path, const char *cert_path, const char *pass_file,
                      struct cms_identity **out, struct error *err);
/* The SHA-256 fingerprint of the certificate given with the key, or NULL without one. */
const char *cms_identity_fingerprint(const struct cms_identity *id);
void cms_identity_free(struct cms_identity *id);

/*
 * Decrypt a detached pair: the header's bytes, and the ciphertext read from enc_fd, the plaintext
 * going to output. A header that carries its content (a single-file CMS, as `openssl cms
 * -encrypt` writes it) is decrypted from the header alone; enc_fd is then unused (-1). It is whole
 * and authentic only when this returns 0 (the GCM tag is checked at the end). *file_fault is set
 * when the pair is at fault (altered, truncated, not to this key), rather than the output or the
 * system: 2 when the key opened it and the content failed its tag, else 1.
 */
int cms_decrypt_detached(const unsigned char *header, size_t header_len, int enc_fd,
                         const struct cms_identity *id, cms_output_fn output, void *ctx,
                         int *file_fault, struct error *err);

/*
 * Who a CMS header is to, as it says in the clear: "X.509 issuer /CN=x serial 1A2B" or "X.509
 * subject key ID ..." per recipient, comma-separated; NULL when it is not a CMS header with
 * recipients. The caller frees it.
 */
char *cms_header_recipients(const unsigned char *header, size_t header_len);

#endif
