/* Signing settings from the environment and a config file. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/keyvalue.h"
#include "trust/sign-config.h"
#include "trust/sign.h"

#define CONFIG_MAX (256 * 1024)

static void take_env(char **field, const char *name)
{
	const char *v = getenv(name);

	if (*field == NULL && v && *v)
		*field = xstrdup(v);
}

struct config_reader {
	struct sign_settings *s;
	const char *path;
	struct error *err;
};

/* One line of the config file. Keys this module does not know are left for others. */
static int config_entry(void *ctx, struct kv_item *item)
{
	struct config_reader *cr = ctx;
	struct sign_settings *s = cr->s;
	char **field = NULL;

	if (item->kind != KV_ENTRY) {
		error_set(cr->err, "config %s: a line is not 'key = value': %.60s", cr->path,
		          item->text);
		return -1;
	}
	if (strcmp(item->key, "sign-key") == 0)
		field = &s->key;
	else if (strcmp(item->key, "sign-cert") == 0)
		field = &s->cert;
	else if (strcmp(item->key, "sign-chain") == 0)
		field = &s->chain;
	else if (strcmp(item->key, "passphrase-file") == 0)
		field = &s->passphrase_file;
	else if (strcmp(item->key, "passphrase") == 0) {
		error_set(cr->err,
		          "config %s: a passphrase is never kept in the config; use "
		          "passphrase-file = FILE (mode 0600)",
		          cr->path);
		return -1;
	}
	if (field && *field == NULL && *item->value) {
		*field = item->value;
		item->value = NULL;
	}
	return 0;
}

/* "key = value" lines; '#' starts a comment. */
static int read_config(struct sign_settings *s, const char *path, struct error *err)
{
	static const struct kv_format format = {.separator = '=', .blanks = " \t\n\v\f\r"};
	struct config_reader cr = {s, path, err};
	char *text = NULL;
	size_t len;
	int rc;

	if (read_small_file(path, CONFIG_MAX, &text, &len) < 0) {
		error_set(err, "config %s: %s", path, strerror(errno));
		return -1;
	}
	/* A config file is text: reading stops at a NUL byte. */
	rc = kv_parse(text, strlen(text), &format, config_entry, &cr);
	free(text);
	return rc == 0 ? 0 : -1;
}

int sign_settings_resolve(struct sign_settings *s, const char *config, struct error *err)
{
	take_env(&s->key, "LOGPACK_SIGN_KEY");
	take_env(&s->cert, "LOGPACK_SIGN_CERT");
	take_env(&s->chain, "LOGPACK_SIGN_CHAIN");
	take_env(&s->passphrase_file, "LOGPACK_PASSPHRASE_FILE");
	if (config == NULL && access(SIGN_CONFIG_DEFAULT, F_OK) == 0)
		config = SIGN_CONFIG_DEFAULT;
	if (config && read_config(s, config, err) < 0)
		return -1;
	if ((s->key == NULL) != (s->cert == NULL)) {
		error_set(err,
		          "signing needs both a key and a certificate (--sign-key and "
		          "--sign-cert); only the %s was given",
		          s->key ? "key" : "certificate");
		return -1;
	}
	if (s->chain && s->key == NULL) {
		error_set(err, "--sign-chain needs --sign-key and --sign-cert");
		return -1;
	}
	return 0;
}

void sign_settings_free(struct sign_settings *s)
{
	free(s->key);
	free(s->cert);
	free(s->chain);
	free(s->passphrase_file);
	s->key = s->cert = s->chain = s->passphrase_file = NULL;
}

int sign_settings_load(struct sign_settings *s, const char *config, int load_key,
                       struct signer **out, struct error *err)
{
	struct signer_options so = {0};

	*out = NULL;
	if (sign_settings_resolve(s, config, err) < 0)
		return -1;
	if (s->key == NULL || !load_key)
		return 0;
	so.key_path = s->key;
	so.cert_path = s->cert;
	so.chain_path = s->chain;
	so.passphrase_file = s->passphrase_file;
	if (signer_load(out, &so, err) < 0) {
		error_prefix(err, "signing key");
		return -1;
	}
	return 0;
}
