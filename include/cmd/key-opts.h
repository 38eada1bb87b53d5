/*
 * The receiver's key options that verify, show and extract share: --key, --cert and
 * --passphrase-file, read into a struct decrypt_key.
 */
#ifndef LOGPACK_KEY_OPTS_H
#define LOGPACK_KEY_OPTS_H

#include <getopt.h>

#include "bundle/source-decrypt.h"
#include "cmd/command.h"
#include "report/journal-seal.h"

/* Option values of --cert and --passphrase-file: clear of each command's own (256 on). */
enum { KEY_OPT_CERT = 0x4b00, KEY_OPT_PASSPHRASE_FILE };

/* The three entries for a command's option table. */
#define KEY_LONG_OPTIONS                                                                        \
	{"cert", required_argument, NULL, KEY_OPT_CERT}, {"key", required_argument, NULL, 'k'}, \
	{                                                                                       \
		"passphrase-file", required_argument, NULL, KEY_OPT_PASSPHRASE_FILE             \
	}

/* Take option c (with its argument) if it is one of them: 0, else 1. */
int key_opts_option(struct decrypt_key *k, int c, const char *arg);
/* After parsing: --cert and --passphrase-file without --key are a usage error (its code). */
int key_opts_check(const struct decrypt_key *k, const struct command *cmd);

/*
 * A journald verification key (journalctl --setup-keys) from path: a regular file owned by
 * this user that nobody else may read, never an argument, since it regenerates every sealing
 * key. NULL with err naming the file and the reason (the key itself is never quoted).
 */
struct journal_seal_key *key_opts_journal_key(const char *path, struct error *err);

#endif
