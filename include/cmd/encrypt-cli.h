/* The encryption options that collect (and later snapshot) share: --encrypt-to, --keep-name. */
#ifndef LOGPACK_ENCRYPT_CLI_H
#define LOGPACK_ENCRYPT_CLI_H

#include <getopt.h>

#include "base/util.h"
#include "gather/collect.h"
#include "trust/recipients.h"

enum {
	ENCRYPT_OPT_TO = 0x1200,
	ENCRYPT_OPT_KEEP_NAME,
};

#define ENCRYPT_CLI_LONG_OPTIONS                                      \
	{"encrypt-to", required_argument, NULL, ENCRYPT_OPT_TO},      \
	{                                                             \
		"keep-name", no_argument, NULL, ENCRYPT_OPT_KEEP_NAME \
	}

#define ENCRYPT_CLI_HELP                                                                        \
	"      --encrypt-to R      encrypt the bundle to R (repeatable, one kind): an age\n"    \
	"                          recipient (age1...) or a file with an OpenPGP public key;\n" \
	"                          writes logpack-<random id>.age or .gpg\n"                    \
	"      --keep-name         name the encrypted file after the host, as a plain bundle\n"

/* Take option c if it is one of ours: 0 taken, 1 not ours, -1 a bad value (err says why). */
int encrypt_cli_option(struct recipients *r, int c, const char *arg, struct error *err);
/* After the options: hand the recipients to the collection (nothing when there are none). */
int encrypt_cli_apply(struct recipients *r, struct collect_options *opt, struct error *err);

#endif
