/*
 * The collection options shared by collect, snapshot and schedule: one table that makes their
 * getopt tables, their help and schedule's pass-through, and one parser, so that the three
 * cannot drift apart. A per-command mask says which options a command refuses, and why.
 */
#ifndef LOGPACK_COLLECT_OPTS_H
#define LOGPACK_COLLECT_OPTS_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd/command.h"
#include "cmd/encrypt-opts.h"
#include "cmd/incident-attach.h"
#include "cmd/upload-opts.h"
#include "gather/collect.h"
#include "trust/sign-config.h"
#include "trust/sign.h"

/* The commands that share the options, as bits of a mask. */
enum collect_cmd {
	COLLECT_CMD_COLLECT = 1 << 0,
	COLLECT_CMD_SNAPSHOT = 1 << 1,
	/* schedule takes what snapshot takes, and passes it on */
	COLLECT_CMD_SCHEDULE = 1 << 2,
};

/* What an option's value is; schedule makes paths absolute before it writes them down. */
enum collect_arg {
	COLLECT_ARG_NONE,
	COLLECT_ARG_TEXT,
	COLLECT_ARG_PATH,
	COLLECT_ARG_NAME_OR_PATH, /* a path when it holds a '/' (--profile) */
	COLLECT_ARG_RECIPIENT,    /* a path unless it is an age recipient, age1... (--encrypt-to) */
};

/* getopt values of the options without a short letter (the upload ones are 0x1100 on). */
enum collect_opt_id {
	COLLECT_OPT_BACKWARDS = 0x1000,
	COLLECT_OPT_CATEGORY,
	COLLECT_OPT_CONFIG,
	COLLECT_OPT_ENCRYPT_TO,
	COLLECT_OPT_GAP,
	COLLECT_OPT_INCIDENT,
	COLLECT_OPT_IO_RATE,
	COLLECT_OPT_INCLUDE_SECRETS,
	COLLECT_OPT_JSON,
	COLLECT_OPT_KEEP,
	COLLECT_OPT_KEEP_FOR,
	COLLECT_OPT_KEEP_NAME,
	COLLECT_OPT_LABEL,
	COLLECT_OPT_LABEL_CASE,
	COLLECT_OPT_LABEL_RECIPIENTS,
	COLLECT_OPT_LABEL_TLP,
	COLLECT_OPT_LEVEL,
	COLLECT_OPT_MAX_FILE_SIZE,
	COLLECT_OPT_ONE_FILE_SYSTEM,
	COLLECT_OPT_NICE,
	COLLECT_OPT_NO_OTHER,
	COLLECT_OPT_NO_COVERAGE,
	COLLECT_OPT_PASSPHRASE_FILE,
	COLLECT_OPT_SIGN_CERT,
	COLLECT_OPT_SIGN_CHAIN,
	COLLECT_OPT_SIGN_KEY,
	COLLECT_OPT_SINCE,
	COLLECT_OPT_SKIP_LARGE,
	COLLECT_OPT_UNTIL,
	COLLECT_OPT_UPLOAD,
};

struct collect_opt {
	const char *name;
	int id; /* getopt's value: the short letter, or a COLLECT_OPT_* */
	enum collect_arg arg;
	const char *metavar; /* the value's name in the help */
	const char *help;    /* lines separated by '\n' */
	/* For snapshot and schedule, when they differ from collect's. */
	const char *series_metavar, *series_help;
	unsigned refused; /* the commands (COLLECT_CMD_*) that refuse it */
	const char *why;  /* and why */
};

/* An entry's first fields: name, getopt value, value kind, the value's name, help. */
#define COLLECT_OPT(n, i, a, m, h) .name = n, .id = i, .arg = a, .metavar = m, .help = h

/* The shared table, sorted by long name, and its size. */
extern const struct collect_opt collect_opts[];
extern const size_t collect_opts_count;

/* What an option (a shared or an upload one) is to command `who`. */
struct collect_opt_info {
	const char *name; /* the long name */
	enum collect_arg arg;
	const char *refused; /* why `who` refuses it, or NULL */
};

/* Describe getopt value c for `who`: 0, or -1 when c is not a collection or upload option. */
int collect_opt_describe(unsigned who, int c, struct collect_opt_info *info);

/*
 * The getopt tables for command `who`: the shared options, the upload options, and the
 * command's own (own[], which win over a shared option of the same name), sorted by long name.
 * Refused options are in them too, so that their refusal can give its reason. Caller frees.
 */
void collect_opts_tables(unsigned who, const struct collect_opt *own, size_t n_own,
                         struct option **longopts, char **shortopts);
/* The option list for --help: the shared options `who` takes (with_shared) and own[]. */
void collect_opts_print_help(FILE *fp, unsigned who, const struct collect_opt *own, size_t n_own,
                             int with_shared);
/* The names of the shared options `who` takes that own[] does not override, as a wrapped list. */
void collect_opts_print_names(FILE *fp, unsigned who, const struct collect_opt *own, size_t n_own);

/* Everything the collection options set, for collect and snapshot alike. */
struct collect_cli {
	struct collect_options *opt; /* filled in place */
	const char **excludes;
	size_t n_excludes;
	char **categories;
	size_t n_categories;
	char *category_text;
	int json;
	const char *config;
	struct sign_settings sign;
	struct signer *signer;
	const char *incident;
	struct incident_attachment incident_att;
	struct upload_cli upload;
	struct recipients recipients; /* --encrypt-to */
	struct encrypt_label label;   /* --label */
	/* the series (snapshot) */
	const char *state_dir;
	uint64_t keep;
	int64_t keep_for;
};

/* Start with collect's defaults; opt is where the collection's options go. */
void collect_cli_init(struct collect_cli *cli, struct collect_options *opt);
/*
 * Take one getopt result for cmd (whose bit is who). Returns 0 when it was a collection or
 * upload option, -1 when it is not one, or else the exit code after a usage error (printed).
 */
int collect_cli_option(struct collect_cli *cli, const struct command *cmd, unsigned who, int c,
                       const char *arg);
/* The checks between options, once all are read; then opt points at the lists. 0 or exit code. */
int collect_cli_finish(struct collect_cli *cli, const struct command *cmd, unsigned who);
/*
 * Before anything is read: check and attach the incident report, load the signing key (and
 * ask for its passphrase when load_key). Reports on stderr; returns 0 or an exit code.
 */
int collect_cli_prepare(struct collect_cli *cli, int load_key);
/*
 * After a bundle was written to bundle_path: its label, when --label asked for one, its path
 * in *label_path (caller frees; NULL when none was written). Reports on stderr; returns 0 or
 * an exit code.
 */
int collect_cli_write_label(struct collect_cli *cli, const char *bundle_path, char **label_path);
void collect_cli_free(struct collect_cli *cli);

#endif
