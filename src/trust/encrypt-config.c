/* Encryption settings from the config file. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/keyvalue.h"
#include "trust/encrypt-config.h"
#include "trust/sign-config.h"

#define CONFIG_MAX (256 * 1024)

struct encrypt_reader {
	struct recipients *r;
	int take_recipients; /* none came from the command line */
	int keep_name_given; /* --keep-name came from the command line */
	const char *path;
	struct error *err;
};

/* One line of the config file; keys of other modules (sign-key, ...) are left alone. */
static int config_entry(void *ctx, struct kv_item *item)
{
	struct encrypt_reader *er = ctx;

	/* A line that is not "key = value" is reported by the signing settings' reader. */
	if (item->kind != KV_ENTRY)
		return 0;
	if (strcmp(item->key, "encrypt-to") == 0) {
		if (!er->take_recipients)
			return 0;
		if (recipients_add(er->r, item->value, er->err) < 0) {
			error_prefix(er->err, "config %s, line %d: encrypt-to", er->path,
			             item->line);
			return -1;
		}
	} else if (strcmp(item->key, "keep-name") == 0) {
		int yes = strcmp(item->value, "yes") == 0 || strcmp(item->value, "true") == 0;

		if (!yes && strcmp(item->value, "no") != 0 && strcmp(item->value, "false") != 0) {
			error_set(er->err,
			          "config %s, line %d: keep-name: '%.40s' is not yes or no",
			          er->path, item->line, item->value);
			return -1;
		}
		if (!er->keep_name_given)
			er->r->keep_name = yes;
	}
	return 0;
}

int encrypt_settings_resolve(struct recipients *r, const char *config, struct error *err)
{
	static const struct kv_format format = {.separator = '=', .blanks = " \t\n\v\f\r"};
	struct encrypt_reader er = {r, !recipients_any(r), r->keep_name, config, err};
	char *text = NULL;
	size_t len;
	int rc;

	if (config == NULL && access(SIGN_CONFIG_DEFAULT, F_OK) == 0)
		config = SIGN_CONFIG_DEFAULT;
	if (config == NULL)
		return 0;
	er.path = config;
	if (read_small_file(config, CONFIG_MAX, &text, &len) < 0) {
		error_set(err, "config %s: %s", config, read_small_strerror(errno));
		return -1;
	}
	/* A config file is text: reading stops at a NUL byte. */
	rc = kv_parse(text, strlen(text), &format, config_entry, &er);
	free(text);
	return rc == 0 ? 0 : -1;
}
