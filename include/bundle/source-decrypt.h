/*
 * An encrypted bundle (OpenPGP .gpg, age .age, or a detached CMS pair X.p7m + X.enc) read as a
 * stream through the receiver's key: the plaintext goes straight into the source's reader, never
 * to disk. A wrong key is refused at open, before the reader sees a byte; the plaintext is
 * authentic only once source_decryption_finish succeeds (the MDC, age's last chunk, the GCM
 * tag), so a caller judges nothing as valid, and renames nothing into place, before that.
 *
 *	source_open_decrypting(&src, &dec, path, &key, &lim, &err);
 *	bundle_verify_source(src, NULL, &opt, &rep, &err);
 *	source_close(src);   // first: its decompressing thread may be reading the filter
 *	ok = source_decryption_finish(dec, &err) == 0;
 *	source_decryption_free(dec);
 *
 * Memory: age and OpenPGP are fed in small pieces, so at most what one piece decrypts to is
 * held (a compressed OpenPGP message, as gpg writes by default: at most about 16 MiB). A CMS pair
 * is decrypted by OpenSSL 3.0's CMS_decrypt, which holds the whole content in memory before it
 * gives any of it out (as logpack decrypt does; the writer limits such bundles to 1.5 GiB).
 */
#ifndef LOGPACK_SOURCE_DECRYPT_H
#define LOGPACK_SOURCE_DECRYPT_H

#include "base/util.h"
#include "bundle/source.h"

/* The receiver's key, as --key, --cert and --passphrase-file name it (logpack decrypt's). */
struct decrypt_key {
	const char *key;             /* age identity, OpenPGP secret key, or PEM private key */
	const char *cert;            /* for a CMS pair: the receiver's certificate, or NULL */
	const char *passphrase_file; /* or NULL: $LOGPACK_KEY_PASSPHRASE, else the terminal */
};

enum source_cipher { SOURCE_PLAIN, SOURCE_AGE, SOURCE_OPENPGP, SOURCE_CMS };

/* "age", "openpgp", "cms", or "none". */
const char *source_cipher_name(enum source_cipher c);

/*
 * What the file at path is, without consuming anything: a CMS pair by its name (X.p7m, or X.enc
 * with X.p7m beside it), else age or OpenPGP by its first bytes; SOURCE_PLAIN for anything else,
 * and for whatever cannot be looked at without reading it (a pipe).
 */
enum source_cipher source_cipher_of(const char *path);

/*
 * Who an encrypted file is addressed to, as far as it says in the clear: for OpenPGP the key IDs
 * of its PKESK packets ("openpgp key ID 0123456789ABCDEF"), for CMS the recipients' issuer and
 * serial or key identifier, for age that it does not say. The caller frees the text.
 */
char *source_encrypted_to(const char *path, enum source_cipher c);

struct source_decryption;

/*
 * Open path ("-": standard input) for reading through key: *out reads the plaintext, *dec
 * (freed after the source is closed) finishes the decryption. A plain bundle on a pipe is read
 * as it is. -1 with err when the file cannot be opened, is not to this key, or its header is
 * broken: then nothing has been read by anyone.
 */
int source_open_decrypting(struct source **out, struct source_decryption **dec, const char *path,
                           const struct decrypt_key *key, const struct bundle_limits *lim,
                           struct error *err);
/*
 * After source_close: read what the reader left, and authenticate the whole. 0, or -1 with err
 * (altered, truncated).
 */
int source_decryption_finish(struct source_decryption *d, struct error *err);
/* The cipher that was read. */
enum source_cipher source_decryption_cipher(const struct source_decryption *d);
/*
 * The key that opened it, as LogPack-Encrypted-To records recipients ("openpgp:<fingerprint>",
 * "age:age1...", "x509-sha256:<fingerprint>"), or NULL when it cannot be told (a CMS key given
 * without its certificate, a plain bundle). Owned by d.
 */
const char *source_decryption_key(const struct source_decryption *d);
void source_decryption_free(struct source_decryption *d);

#endif
