/*
 * Where collect finds its signing key: the command line first, then the environment
 * (LOGPACK_SIGN_KEY, LOGPACK_SIGN_CERT, LOGPACK_SIGN_CHAIN, LOGPACK_PASSPHRASE_FILE), then a
 * config file (--config FILE, or /etc/logpack/logpack.conf when it exists) with lines such as
 * "sign-key = /etc/logpack/signing.key", so that scheduled runs can sign.
 */
#ifndef LOGPACK_SIGN_CONFIG_H
#define LOGPACK_SIGN_CONFIG_H

#include "base/util.h"

#define SIGN_CONFIG_DEFAULT "/etc/logpack/logpack.conf"

struct sign_settings {
	char *key;
	char *cert;
	char *chain;
	char *passphrase_file;
};

/*
 * Fill the settings not yet set from the environment, then from the config file. config NULL
 * means the default file, read only when it exists. Returns 0, or -1 with err (an unreadable
 * or malformed config file, a key without a certificate or the reverse).
 */
int sign_settings_resolve(struct sign_settings *s, const char *config, struct error *err);
void sign_settings_free(struct sign_settings *s);

struct signer;

/*
 * Resolve the settings and, when they name a key and load_key is set, load the signer, so
 * that a bad key or passphrase fails before anything is collected. *out is NULL when there is
 * nothing to sign with. Returns 0, or -1 with err ("signing key: ..." for a key that fails).
 */
int sign_settings_load(struct sign_settings *s, const char *config, int load_key,
                       struct signer **out, struct error *err);

#endif
