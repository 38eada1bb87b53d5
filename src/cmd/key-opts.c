/* The receiver's key options of verify, show and extract. */
#include "config.h"

#include "base/exitcode.h"
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
