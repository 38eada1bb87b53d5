/*
 * age (age-encryption.org/v1) with X25519 recipients, on OpenSSL primitives: a streaming
 * encryptor and decryptor that hand their output to a callback, so that neither ever holds
 * more than one 64 KiB chunk. The reference reader and writer are the stock `age` tool.
 *
 * Decryption releases each chunk's plaintext once that chunk is authenticated; the stream is
 * whole only when age_decryptor_finish succeeds (the last chunk carries the end flag), so a
 * caller keeps what it wrote provisional until then.
 */
#ifndef LOGPACK_AGE_H
#define LOGPACK_AGE_H

#include <stddef.h>

#include "base/util.h"

#define AGE_KEY_LEN 32
/* Longest header the decryptor accepts: a few stanzas per recipient, with room for grease. */
#define AGE_HEADER_MAX 65536

struct age_recipient {
	unsigned char pub[AGE_KEY_LEN];
};

/* "age1..." (bech32) into r. Returns 0, or -1 with the reason in err. */
int age_recipient_parse(const char *text, struct age_recipient *r, struct error *err);
/* The "age1..." text of a public key; the caller frees it. */
char *age_recipient_format(const struct age_recipient *r);

/* One or more X25519 secret keys, as read from an identity file. */
struct age_identity;

/*
 * Read an identity file: "AGE-SECRET-KEY-1..." lines, '#' comments and blank lines (what
 * age-keygen writes). A file that group or others may read is refused.
 */
int age_identity_load(const char *path, struct age_identity **out, struct error *err);
/* One secret key from its text, for tests and callers that hold the key already. */
int age_identity_parse(const char *text, struct age_identity **out, struct error *err);
/* The public key of the identity's first secret key. */
void age_identity_recipient(const struct age_identity *id, struct age_recipient *r);
/* Make a new secret key; *text_out (the caller frees it) is its "AGE-SECRET-KEY-1..." text. */
int age_identity_generate(struct age_identity **out, char **text_out, struct error *err);
/* Wipe and free. Safe on NULL. */
void age_identity_free(struct age_identity *id);

/* Where the encryptor and decryptor put their output. Returns 0, or -1 with err set. */
typedef int (*age_output_fn)(void *ctx, const void *buf, size_t len, struct error *err);

struct age_encryptor;

/* Encrypt to n recipients (n >= 1). The header goes out with the first write or finish. */
int age_encryptor_new(struct age_encryptor **out, const struct age_recipient *recipients, size_t n,
                      age_output_fn output, void *ctx, struct error *err);
int age_encryptor_write(struct age_encryptor *e, const void *buf, size_t len, struct error *err);
/* Encrypt and pass on the last chunk, flagged as last. */
int age_encryptor_finish(struct age_encryptor *e, struct error *err);
/* Wipe and free. Safe on NULL. */
void age_encryptor_free(struct age_encryptor *e);

struct age_decryptor;

/* Decrypt with any of the identity's keys; id must outlive the decryptor. */
int age_decryptor_new(struct age_decryptor **out, const struct age_identity *id,
                      age_output_fn output, void *ctx, struct error *err);
/* Feed the file's bytes in any pieces; plaintext goes out chunk by chunk, authenticated. */
int age_decryptor_write(struct age_decryptor *d, const void *buf, size_t len, struct error *err);
/* The input has ended: authenticate the last chunk. Only then is the plaintext complete. */
int age_decryptor_finish(struct age_decryptor *d, struct error *err);
/* Did one of the identity's keys open the header (so that a failure since is the payload's)? */
int age_decryptor_opened(const struct age_decryptor *d);
/* The public key of the identity's key that opened the file: 0, or -1 before one did. */
int age_decryptor_recipient(const struct age_decryptor *d, struct age_recipient *r);
/* Wipe and free. Safe on NULL. */
void age_decryptor_free(struct age_decryptor *d);

#endif
