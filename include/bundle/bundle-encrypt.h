/*
 * Encrypting a bundle file that already exists (logpack encrypt): its bytes go once through
 * the encryption filter of the sink (bundle/sink-encrypt.c) to the encrypted file(s); no
 * plaintext copy is written. The names of encrypted files are chosen here too.
 */
#ifndef LOGPACK_BUNDLE_ENCRYPT_H
#define LOGPACK_BUNDLE_ENCRYPT_H

#include "base/util.h"
#include "bundle/sink.h"
#include "trust/recipients.h"

/*
 * The encrypted file's path in dir: "logpack-<16 random hex digits><suffix>", a name that says
 * nothing of the host; or, when keep is set, "<keep><suffix>" (keep: a bundle's file name).
 * Returns the path (caller frees), or NULL with err.
 */
char *bundle_encrypted_name(const char *dir, const char *keep, const char *suffix,
                            struct error *err);

/*
 * Every file that encrypting to r with main_path as the bundle file writes (not the .sha256
 * files): main_path, the other kinds' files with the same stem (.gpg, .age, .enc), and the
 * CMS header (.p7m) beside the .enc. *out (caller frees each and the array) holds *n paths.
 */
void bundle_encrypted_files(const struct recipients *r, const char *main_path, char ***out,
                            size_t *n);

/*
 * Read the bundle open on fd from offset 0 to its end through filter (owned from this call on)
 * into out_path, with its .sha256 beside it. The bytes read must have the SHA-256 expect (the
 * hash of the bundle as it was verified): otherwise, or on any failure, nothing is left under
 * out_path. Returns 0 with res filled (release with sink_result_release), or -1 with err.
 */
int bundle_encrypt_fd(int fd, const char *label, const char *expect_sha256, const char *out_path,
                      struct sink_filter *filter, struct sink_result *res, struct error *err);

#endif
