/* The encryption options of the commands that write bundles (collect, snapshot, encrypt). */
#ifndef LOGPACK_ENCRYPT_OPTS_H
#define LOGPACK_ENCRYPT_OPTS_H

#include <getopt.h>

#include "base/util.h"
#include "gather/collect.h"
#include "trust/recipients.h"

enum {
	ENCRYPT_OPT_TO = 0x1200,
	ENCRYPT_OPT_KEEP_NAME,
	ENCRYPT_OPT_LABEL,
	ENCRYPT_OPT_LABEL_CASE,
	ENCRYPT_OPT_LABEL_RECIPIENTS,
	ENCRYPT_OPT_LABEL_TLP,
};

/* --label and what goes into it (docs/encryption.md, "The label"). */
struct encrypt_label {
	int wanted;
	const char *tlp; /* canonical: "TLP:AMBER" */
	const char *case_ref;
	int recipients; /* disclose them */
};

struct signer;

#define ENCRYPT_OPTS_LONG_OPTIONS                                     \
	{"encrypt-to", required_argument, NULL, ENCRYPT_OPT_TO},      \
	{                                                             \
		"keep-name", no_argument, NULL, ENCRYPT_OPT_KEEP_NAME \
	}

#define ENCRYPT_OPTS_HELP                                                                         \
	"      --encrypt-to R      encrypt the bundle to R (repeatable, kinds mixed): an age\n"   \
	"                          recipient (age1...), a file with an OpenPGP public key, or\n"  \
	"                          an X.509 certificate; writes logpack-<random id>.gpg, .age,\n" \
	"                          or .enc with .p7m (one file per kind)\n"                       \
	"      --keep-name         name the encrypted file after the host, as a plain bundle\n"

/* Take option c if it is one of ours: 0 taken, 1 not ours, -1 a bad value (err says why). */
int encrypt_opts_option(struct recipients *r, int c, const char *arg, struct error *err);
/* The same for the label options (ENCRYPT_OPT_LABEL*). */
int encrypt_opts_label_option(struct encrypt_label *l, int c, const char *arg, struct error *err);
/* After the options (and the config file): -1 with err when the label options do not fit. */
int encrypt_opts_label_check(const struct encrypt_label *l, const struct recipients *r,
                             struct error *err);
/*
 * Write the label for the files that encrypting to r with main_path as the bundle file wrote,
 * signed by signer. *label_path (caller frees) names it. Returns 0, or -1 with err.
 */
int encrypt_opts_write_label(const struct encrypt_label *l, struct recipients *r,
                             const char *main_path, struct signer *signer, char **label_path,
                             struct error *err);
/*
 * After the options (and encrypt_settings_resolve, for the config file's): hand the recipients
 * to the collection (nothing when there are none).
 */
int encrypt_opts_apply(struct recipients *r, struct collect_options *opt, struct error *err);

/*
 * Record the recipients in bag-info.txt (LogPack-Encrypted-To, signed with the bag), after
 * whatever opt->extra_info holds already (the incident's fields). Call after those are set.
 */
void encrypt_opts_record(struct recipients *r, struct collect_options *opt);

#endif
