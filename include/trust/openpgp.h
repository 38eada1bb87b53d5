/*
 * OpenPGP (RFC 4880) encryption to a public key, on OpenSSL: a PKESK v3 per recipient (to the
 * key's encryption subkey: RSA, or ECDH on Curve25519 per RFC 6637), then one SEIPD v1 packet with
 * MDC, AES-256, holding an uncompressed literal data packet. Stock `gpg --decrypt` (GnuPG 2.2)
 * reads it. Streaming: both the literal and the encrypted packet use partial body lengths of 64
 * KiB, so memory stays bounded whatever the size.
 */
#ifndef LOGPACK_OPENPGP_H
#define LOGPACK_OPENPGP_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* Longest key file read (armored or binary): a CERT's key with many signatures fits. */
#define OPENPGP_KEY_FILE_MAX (1024 * 1024)

/* A recipient: the key chosen to encrypt to, and the certificate it belongs to. */
struct openpgp_key;

/*
 * Read a public key (a transferable public key, armored or binary) and choose its newest
 * valid RSA or Curve25519 encryption subkey (or the primary key if it may encrypt). A key that is
 * revoked, expired at now, or has no usable encryption key is refused with the reason.
 */
int openpgp_key_load(const char *path, int64_t now, struct openpgp_key **out, struct error *err);
/* The same from bytes in memory (for tests); name is for messages. */
int openpgp_key_parse(const unsigned char *data, size_t len, const char *name, int64_t now,
                      struct openpgp_key **out, struct error *err);
/* The primary key's fingerprint (40 upper-case hex digits), and the chosen key's. */
const char *openpgp_key_fingerprint(const struct openpgp_key *k);
const char *openpgp_key_subkey_fingerprint(const struct openpgp_key *k);
void openpgp_key_free(struct openpgp_key *k);

typedef int (*openpgp_output_fn)(void *ctx, const void *buf, size_t len, struct error *err);

struct openpgp_encryptor;

/* Encrypt to n keys; the PKESK packets go out with the first write or finish. */
int openpgp_encryptor_new(struct openpgp_encryptor **out, struct openpgp_key *const *keys, size_t n,
                          openpgp_output_fn output, void *ctx, struct error *err);
int openpgp_encryptor_write(struct openpgp_encryptor *e, const void *buf, size_t len,
                            struct error *err);
/* The last literal bytes, the MDC, the end of the encrypted packet. */
int openpgp_encryptor_finish(struct openpgp_encryptor *e, struct error *err);
void openpgp_encryptor_free(struct openpgp_encryptor *e);

/* The receiver's secret keys, as `gpg --export-secret-keys` writes them (armored or binary). */
struct openpgp_secret;

/*
 * Asked once, when a key is protected by a passphrase: *pass (the caller of the loader wipes and
 * frees it) and its length. Returns 0, or -1 with err set.
 */
typedef int (*openpgp_passphrase_fn)(void *ctx, const char *fingerprint, char **pass, size_t *len,
                                     struct error *err);

/*
 * Read secret keys: unprotected, or protected with a passphrase (S2K iterated and salted, or
 * salted, with AES and a SHA-1 check, as GnuPG exports them). Only RSA and ECDH Curve25519 keys
 * are kept, those that can decrypt; a file others may read is refused.
 */
int openpgp_secret_load(const char *path, openpgp_passphrase_fn pass, void *pass_ctx,
                        struct openpgp_secret **out, struct error *err);
/* The same from bytes in memory (for tests and fuzzing); name is for messages. */
int openpgp_secret_parse(const unsigned char *data, size_t len, const char *name,
                         openpgp_passphrase_fn pass, void *pass_ctx, struct openpgp_secret **out,
                         struct error *err);
/* Wipe and free. Safe on NULL. */
void openpgp_secret_free(struct openpgp_secret *s);

struct openpgp_decryptor;

/*
 * Decrypt a message (PKESK to RSA or ECDH Curve25519, SEIPD v1 with MDC; uncompressed, ZIP or
 * ZLIB inside, as gpg writes by default) with s, which must outlive the decryptor. The literal
 * data goes to output as it is decrypted: it is whole and authentic only when
 * openpgp_decryptor_finish succeeds (the MDC is checked there, at the very end).
 */
int openpgp_decryptor_new(struct openpgp_decryptor **out, const struct openpgp_secret *s,
                          openpgp_output_fn output, void *ctx, struct error *err);
int openpgp_decryptor_write(struct openpgp_decryptor *d, const void *buf, size_t len,
                            struct error *err);
int openpgp_decryptor_finish(struct openpgp_decryptor *d, struct error *err);
/* After the session key was found: the primary fingerprint of the key that opened it, or NULL. */
const char *openpgp_decryptor_key(const struct openpgp_decryptor *d);
void openpgp_decryptor_free(struct openpgp_decryptor *d);

/*
 * Who a binary OpenPGP message is to, from its first bytes: "OpenPGP key ID 0123456789ABCDEF"
 * for each PKESK (the encryption subkey's ID, in the clear), comma-separated; NULL when none is
 * found. The caller frees it.
 */
char *openpgp_message_recipients(const unsigned char *head, size_t len);

#endif
