/* The receiver's key options of verify, show and extract. */
#include "config.h"

#include "base/exitcode.h"
#include "base/secrets.h"
#include "cmd/key-opts.h"

int key_opts_option(struct decrypt_key *k, int c, const char *arg)
{
	switch (c) {
	case 'k':
		k->key = arg;
		return 0;
	case KEY_OPT_CERT:
		k->cert = arg;
		return 0;
	case KEY_OPT_PASSPHRASE_FILE:
		k->passphrase_file = arg;
		return 0;
	default:
		return 1;
	}
}

int key_opts_check(const struct decrypt_key *k, const struct command *cmd)
{
	if (k->key == NULL && (k->cert || k->passphrase_file))
		return command_usage_error(cmd, "--cert and --passphrase-file go with --key");
	return LP_EXIT_OK;
}

/* A key is 45 characters or so; a few lines of room for white space. */
#define JOURNAL_KEY_FILE_MAX 1024

struct journal_seal_key *key_opts_journal_key(const char *path, struct error *err)
{
	struct journal_seal_key *k;
	char *text;
	size_t len;

	if (journal_seal_key_looks_like(path)) {
		error_set(err, "the option takes a file that holds the verification key, not the "
		               "key itself (a key on the command line is seen by every user)");
		return NULL;
	}
	if (secrets_read_own_private(path, JOURNAL_KEY_FILE_MAX, "a journal verification key",
	                             &text, &len, err) < 0)
		return NULL;
	k = journal_seal_key_new(text, err);
	secrets_free(text, JOURNAL_KEY_FILE_MAX + 1);
	if (k == NULL)
		error_prefix(err, "%s", path);
	return k;
}
