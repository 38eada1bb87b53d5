/* The collection options shared by collect, snapshot and schedule. */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "bundle/bag.h"
#include "cmd/collect-opts.h"
#include "trust/encrypt-config.h"

#define SNAPSHOTS (COLLECT_CMD_SNAPSHOT | COLLECT_CMD_SCHEDULE)
/* Why a series takes files whole: docs/snapshots.md. */
#define WHOLE_FILES "a series must hold every byte of a file to prove that nothing was left out"
#define SERIES_ONLY "it belongs to a series: see 'logpack snapshot'"

#define OPT COLLECT_OPT

/* Sorted by long name (tests/unit-collect-opts checks it). */
const struct collect_opt collect_opts[] = {
        {OPT("backwards", COLLECT_OPT_BACKWARDS, COLLECT_ARG_TEXT, "DURATION",
             "coverage: report a line older than an earlier\none by more (default 5m)")},
        {OPT("category", COLLECT_OPT_CATEGORY, COLLECT_ARG_TEXT, "LIST",
             "only these categories (comma separated)")},
        {OPT("compress", 'c', COLLECT_ARG_TEXT, "ALGO", "zstd (default), gzip, xz or none")},
        {OPT("config", COLLECT_OPT_CONFIG, COLLECT_ARG_PATH, "FILE",
             "signing and encryption settings (default\n/etc/logpack/logpack.conf)")},
        {OPT("dry-run", 'n', COLLECT_ARG_NONE, NULL, "list what would be collected; write nothing"),
         .refused = SNAPSHOTS,
         .why = "a snapshot moves its series on; 'logpack collect --dry-run' lists what a "
                "profile takes"},
        {OPT("encrypt-to", COLLECT_OPT_ENCRYPT_TO, COLLECT_ARG_RECIPIENT, "R",
             "encrypt to R (repeatable, kinds mixed): an age\n"
             "recipient (age1...), an OpenPGP public key file or\n"
             "an X.509 certificate; writes logpack-<random id>\n"
             ".gpg, .age, or .enc with .p7m (one file per kind)"),
         .series_help = "encrypt each bundle to R (repeatable, kinds mixed):\n"
                        "age1..., an OpenPGP key or an X.509 certificate\n"
                        "file; the series' state stays readable without\n"
                        "a key (see docs/snapshots.md)"},
        {OPT("exclude", 'x', COLLECT_ARG_TEXT, "PATTERN", "leave out matching paths (repeatable)")},
        {OPT("force", 'f', COLLECT_ARG_NONE, NULL,
             "write even if the space estimate says it will\nnot fit")},
        {OPT("gap", COLLECT_OPT_GAP, COLLECT_ARG_TEXT, "DURATION",
             "coverage: report silences of a log at least this\nlong (default 1h)")},
        {OPT("help", 'h', COLLECT_ARG_NONE, NULL, "this text")},
        {OPT("incident", COLLECT_OPT_INCIDENT, COLLECT_ARG_PATH, "FILE",
             "add the incident report for CERT-SE (see 'logpack\n"
             "incident'); a report that fails its check stops\n"
             "collect before anything is read (exit 3)"),
         .series_help = "add the incident report (see 'logpack incident') to\n"
                        "each bundle; a report that fails its check stops"},
        {OPT("include-secrets", COLLECT_OPT_INCLUDE_SECRETS, COLLECT_ARG_NONE, NULL,
             "also take the files that may hold secrets\n"
             "(shadow, private keys, cluster credentials...);\n"
             "by default they are listed as withheld")},
        {OPT("io-rate", COLLECT_OPT_IO_RATE, COLLECT_ARG_TEXT, "RATE",
             "read sources at most RATE bytes a second (such as\n"
             "20M: K, M, G are 1024-based); see --nice")},
        {OPT("jobs", 'j', COLLECT_ARG_TEXT, "N",
             "threads that hash and compress (default: one per\nCPU this process may use; "
             "1: none, all in one)")},
        {OPT("json", COLLECT_OPT_JSON, COLLECT_ARG_NONE, NULL,
             "a machine-readable summary on stdout")},
        {OPT("keep", COLLECT_OPT_KEEP, COLLECT_ARG_TEXT, "N",
             "then remove all but the newest N bundles of\nthe series"),
         .refused = COLLECT_CMD_COLLECT, .why = SERIES_ONLY},
        {OPT("keep-for", COLLECT_OPT_KEEP_FOR, COLLECT_ARG_TEXT, "DURATION",
             "then remove bundles older than DURATION (7d, 12h)"),
         .refused = COLLECT_CMD_COLLECT, .why = SERIES_ONLY},
        {OPT("keep-name", COLLECT_OPT_KEEP_NAME, COLLECT_ARG_NONE, NULL,
             "name the encrypted file as a plain bundle\n(host, time), plus its suffix")},
        {OPT("label", COLLECT_OPT_LABEL, COLLECT_ARG_NONE, NULL,
             "write a signed label beside the encrypted files\n"
             "(each one's name, size and SHA-256: see 'logpack\n"
             "encrypt --label'); needs a signing key")},
        {OPT("label-case", COLLECT_OPT_LABEL_CASE, COLLECT_ARG_TEXT, "REF",
             "put a case reference into the label")},
        {OPT("label-recipients", COLLECT_OPT_LABEL_RECIPIENTS, COLLECT_ARG_NONE, NULL,
             "put the recipients into the label (this undoes\nage's recipient privacy)")},
        {OPT("label-tlp", COLLECT_OPT_LABEL_TLP, COLLECT_ARG_TEXT, "TLP",
             "put the TLP (CLEAR, GREEN, AMBER, AMBER+STRICT,\nRED) into the label")},
        {OPT("level", COLLECT_OPT_LEVEL, COLLECT_ARG_TEXT, "N", "compression level")},
        {OPT("max-file-size", COLLECT_OPT_MAX_FILE_SIZE, COLLECT_ARG_TEXT, "SIZE",
             "keep only the last SIZE bytes of larger files"),
         .refused = SNAPSHOTS, .why = WHOLE_FILES},
        {OPT("nice", COLLECT_OPT_NICE, COLLECT_ARG_NONE, NULL,
             "low impact: the lowest CPU priority (nice 19)\nand the idle I/O class")},
        {OPT("no-coverage", COLLECT_OPT_NO_COVERAGE, COLLECT_ARG_NONE, NULL,
             "no logpack/coverage.json (the time spans, gaps\nand clock of the logs)")},
        {OPT("no-other", COLLECT_OPT_NO_OTHER, COLLECT_ARG_NONE, NULL,
             "list the files under the log directories that no\n"
             "rule names, without taking them")},
        {OPT("one-file-system", COLLECT_OPT_ONE_FILE_SYSTEM, COLLECT_ARG_NONE, NULL,
             "stay on the root's file system: never descend into\na mount point under it")},
        {OPT("output", 'o', COLLECT_ARG_PATH, "DIR|FILE",
             "where to write the bundle: FILE ends in .tar,\n.tar.zst, .tar.gz or .tar.xz; "
             "anything else is a\ndirectory, created when missing (default: the\ncurrent "
             "directory)"),
         .series_metavar = "DIR",
         .series_help = "where to write the bundles (default: the current\ndirectory)"},
        {OPT("passphrase-file", COLLECT_OPT_PASSPHRASE_FILE, COLLECT_ARG_PATH, "F",
             "the key's passphrase (else $LOGPACK_KEY_PASSPHRASE,\nelse asked on the terminal)")},
        {OPT("profile", 'p', COLLECT_ARG_NAME_OR_PATH, "NAME|FILE",
             "which logs to take (default: detected from the root)")},
        {OPT("root", 'r', COLLECT_ARG_PATH, "DIR",
             "the system to collect from: / (default) or a mounted\nimage")},
        {OPT("sign-cert", COLLECT_OPT_SIGN_CERT, COLLECT_ARG_PATH, "CERT",
             "the signer's certificate (PEM)")},
        {OPT("sign-chain", COLLECT_OPT_SIGN_CHAIN, COLLECT_ARG_PATH, "FILE",
             "intermediate certificates to include (PEM)")},
        {OPT("sign-key", COLLECT_OPT_SIGN_KEY, COLLECT_ARG_PATH, "KEY",
             "sign the bundle with this private key (PEM,\nmode 0600)"),
         .series_help = "sign each bundle with this private key (PEM, 0600)"},
        {OPT("since", COLLECT_OPT_SINCE, COLLECT_ARG_TEXT, "TIME",
             "only files modified at or after TIME (ISO 8601)"),
         .refused = SNAPSHOTS, .why = WHOLE_FILES},
        {OPT("skip-large", COLLECT_OPT_SKIP_LARGE, COLLECT_ARG_NONE, NULL,
             "skip files over --max-file-size instead"),
         .refused = SNAPSHOTS, .why = WHOLE_FILES},
        {OPT("state", 's', COLLECT_ARG_PATH, "DIR",
             "the series' state (created mode 0700; required)"),
         .refused = COLLECT_CMD_COLLECT, .why = SERIES_ONLY},
        {OPT("until", COLLECT_OPT_UNTIL, COLLECT_ARG_TEXT, "TIME",
             "only files modified at or before TIME"),
         .refused = SNAPSHOTS, .why = WHOLE_FILES},
        {OPT("upload", COLLECT_OPT_UPLOAD, COLLECT_ARG_TEXT, "URL",
             "check URL before collecting (see 'logpack upload\n"
             "--test'), send the bundle there after; the upload\n"
             "options of 'logpack upload' apply"),
         .series_help = "check URL before the snapshot (see 'logpack upload\n"
                        "--test'), send the bundle there after; the upload\n"
                        "options of 'logpack upload' apply"},
};
const size_t collect_opts_count = sizeof(collect_opts) / sizeof(collect_opts[0]);

static const struct option upload_long[] = {
        UPLOAD_CLI_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
};

/* What the upload options are beyond their getopt entry: the paths, and what a series refuses. */
static const struct {
	int id;
	enum collect_arg arg;
	unsigned refused;
	const char *why;
} upload_notes[] = {
        {UPLOAD_OPT_CACERT, COLLECT_ARG_PATH, 0, NULL},
        {UPLOAD_OPT_CREDENTIALS, COLLECT_ARG_PATH, 0, NULL},
        {UPLOAD_OPT_DELETE_AFTER, COLLECT_ARG_NONE, SNAPSHOTS,
         "the series keeps its bundles; see --keep"},
        {UPLOAD_OPT_IDENTITY, COLLECT_ARG_PATH, 0, NULL},
        {UPLOAD_OPT_KNOWN_HOSTS, COLLECT_ARG_PATH, 0, NULL},
};

/* A schedule runs a snapshot, so it refuses what a snapshot refuses. */
static int refuses(unsigned refused, unsigned who)
{
	if (who & COLLECT_CMD_SCHEDULE)
		who |= COLLECT_CMD_SNAPSHOT;
	return (refused & who) != 0;
}

static const struct collect_opt *shared_by_id(int c)
{
	for (size_t i = 0; i < collect_opts_count; i++)
		if (collect_opts[i].id == c)
			return &collect_opts[i];
	return NULL;
}

int collect_opt_describe(unsigned who, int c, struct collect_opt_info *info)
{
	const struct collect_opt *o = shared_by_id(c);

	if (o) {
		info->name = o->name;
		info->arg = o->arg;
		info->refused = refuses(o->refused, who) ? o->why : NULL;
		return 0;
	}
	for (const struct option *u = upload_long; u->name; u++) {
		if (u->val != c)
			continue;
		info->name = u->name;
		info->arg = u->has_arg ? COLLECT_ARG_TEXT : COLLECT_ARG_NONE;
		info->refused = NULL;
		for (size_t i = 0; i < sizeof(upload_notes) / sizeof(upload_notes[0]); i++) {
			if (upload_notes[i].id != c)
				continue;
			info->arg = upload_notes[i].arg;
			info->refused =
			        refuses(upload_notes[i].refused, who) ? upload_notes[i].why : NULL;
		}
		return 0;
	}
	return -1;
}

static int overridden(const char *name, const struct collect_opt *own, size_t n_own)
{
	for (size_t i = 0; i < n_own; i++)
		if (strcmp(own[i].name, name) == 0)
			return 1;
	return 0;
}

static int option_cmp(const void *a, const void *b)
{
	return strcmp(((const struct option *)a)->name, ((const struct option *)b)->name);
}

static void add_short(struct strbuf *sb, int id, int has_arg)
{
	if (id > 0 && id < 128 && isalnum(id)) {
		strbuf_addch(sb, (char)id);
		if (has_arg)
			strbuf_addch(sb, ':');
	}
}

void collect_opts_tables(unsigned who, const struct collect_opt *own, size_t n_own,
                         struct option **longopts, char **shortopts)
{
	size_t n_upload = sizeof(upload_long) / sizeof(upload_long[0]) - 1, n = 0;
	struct option *lo =
	        xreallocarray(NULL, collect_opts_count + n_upload + n_own + 1, sizeof(*lo));
	struct strbuf sb = STRBUF_INIT;

	(void)who; /* refused options stay in, to be refused with their reason */
	for (size_t i = 0; i < collect_opts_count; i++) {
		const struct collect_opt *o = &collect_opts[i];

		if (overridden(o->name, own, n_own))
			continue;
		lo[n++] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
		                          o->id};
		add_short(&sb, o->id, o->arg != COLLECT_ARG_NONE);
	}
	for (size_t i = 0; i < n_upload; i++)
		if (!overridden(upload_long[i].name, own, n_own))
			lo[n++] = upload_long[i];
	for (size_t i = 0; i < n_own; i++) {
		lo[n++] = (struct option){own[i].name, own[i].arg ? required_argument : no_argument,
		                          NULL, own[i].id};
		add_short(&sb, own[i].id, own[i].arg != COLLECT_ARG_NONE);
	}
	qsort(lo, n, sizeof(*lo), option_cmp);
	lo[n] = (struct option){NULL, 0, NULL, 0};
	*longopts = lo;
	*shortopts = strbuf_detach(&sb);
}

/* One option's lines: "  -c, --compress ALGO     text", the text in a column of its own. */
static void print_one(FILE *fp, const struct collect_opt *o, unsigned who)
{
	enum { COLUMN = 28 };
	int series = (who & (COLLECT_CMD_SNAPSHOT | COLLECT_CMD_SCHEDULE)) != 0;
	const char *metavar = series && o->series_metavar ? o->series_metavar : o->metavar;
	const char *help = series && o->series_help ? o->series_help : o->help;
	char left[64];
	int len;

	if (o->id > 0 && o->id < 128 && isalnum(o->id))
		len = snprintf(left, sizeof(left), "  -%c, --%s%s%s", o->id, o->name,
		               metavar ? " " : "", metavar ? metavar : "");
	else
		len = snprintf(left, sizeof(left), "      --%s%s%s", o->name, metavar ? " " : "",
		               metavar ? metavar : "");
	fprintf(fp, "%s%*s", left, len < COLUMN - 1 ? COLUMN - len : 2, "");
	for (const char *line = help; *line;) {
		size_t n = strcspn(line, "\n");

		fprintf(fp, "%.*s\n", (int)n, line);
		line += n;
		if (*line == '\n' && *++line)
			fprintf(fp, "%*s", COLUMN, "");
	}
}

static int help_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct collect_opt *const *)a)->name,
	              (*(const struct collect_opt *const *)b)->name);
}

void collect_opts_print_help(FILE *fp, unsigned who, const struct collect_opt *own, size_t n_own,
                             int with_shared)
{
	const struct collect_opt **list =
	        xreallocarray(NULL, collect_opts_count + n_own, sizeof(*list));
	size_t n = 0;

	for (size_t i = 0; with_shared && i < collect_opts_count; i++)
		if (!refuses(collect_opts[i].refused, who) &&
		    !overridden(collect_opts[i].name, own, n_own))
			list[n++] = &collect_opts[i];
	for (size_t i = 0; i < n_own; i++)
		list[n++] = &own[i];
	qsort(list, n, sizeof(*list), help_cmp);
	for (size_t i = 0; i < n; i++)
		print_one(fp, list[i], who);
	free(list);
}

void collect_opts_print_names(FILE *fp, unsigned who, const struct collect_opt *own, size_t n_own)
{
	size_t col = 0;
	int first = 1;

	for (size_t i = 0; i < collect_opts_count; i++) {
		const struct collect_opt *o = &collect_opts[i];
		size_t len = strlen(o->name) + 4;

		if (refuses(o->refused, who) || overridden(o->name, own, n_own) || o->id == 'h')
			continue;
		if (!first && col + len > 76) {
			fputs(",\n", fp);
			col = 0;
		} else if (!first) {
			fputs(", ", fp);
			col += 2;
		}
		col += (size_t)fprintf(fp, "--%s", o->name);
		first = 0;
	}
	fputc('\n', fp);
}

void collect_cli_init(struct collect_cli *cli, struct collect_options *opt)
{
	memset(cli, 0, sizeof(*cli));
	cli->opt = opt;
	opt->root = "/";
	opt->compression = "zstd";
	opt->level = -1;
	upload_cli_init(&cli->upload);
}

/* A read rate: a size (20M), optionally "/s"; below 1 KiB a second nothing would be read. */
static int parse_io_rate(const char *arg, uint64_t *out)
{
	char text[64];
	size_t len = strlen(arg);

	if (len >= sizeof(text))
		return -1;
	memcpy(text, arg, len + 1);
	if (len > 2 && strcmp(text + len - 2, "/s") == 0)
		text[len - 2] = '\0';
	return parse_size(text, out) < 0 || *out < 1024 ? -1 : 0;
}

static int take_value(struct collect_cli *cli, const struct command *cmd, int c, const char *arg)
{
	struct collect_options *opt = cli->opt;
	char *end;

	switch (c) {
	case 'c':
		if (!bag_compression_valid(arg))
			return command_usage_error(
			        cmd, "--compress: '%s' is not zstd, gzip, xz or none", arg);
		opt->compression = arg;
		return 0;
	case 'f':
		opt->force = 1;
		return 0;
	case 'j': {
		long jobs = strtol(arg, &end, 10);

		if (*arg < '0' || *arg > '9' || *end || jobs < 1 || jobs > 256)
			return command_usage_error(
			        cmd, "--jobs: '%s' is not a number from 1 to 256", arg);
		opt->jobs = (int)jobs;
		return 0;
	}
	case 'n':
		opt->dry_run = 1;
		return 0;
	case 'o':
		opt->output = arg;
		return 0;
	case 'p':
		opt->profile = arg;
		return 0;
	case 'r':
		opt->root = arg;
		return 0;
	case 's':
		cli->state_dir = arg;
		return 0;
	case 'x':
		cli->excludes =
		        xreallocarray(cli->excludes, cli->n_excludes + 1, sizeof(*cli->excludes));
		cli->excludes[cli->n_excludes++] = arg;
		return 0;
	case COLLECT_OPT_CATEGORY:
		cli->n_categories = list_split(arg, ',', &cli->category_text, &cli->categories);
		if (cli->n_categories == 0)
			return command_usage_error(cmd,
			                           "--category needs a list such as auth,system");
		return 0;
	case COLLECT_OPT_CONFIG:
		cli->config = arg;
		return 0;
	case COLLECT_OPT_INCIDENT:
		cli->incident = arg;
		return 0;
	case COLLECT_OPT_ENCRYPT_TO:
	case COLLECT_OPT_KEEP_NAME: {
		struct error err = {{0}};
		int which = c == COLLECT_OPT_ENCRYPT_TO ? ENCRYPT_OPT_TO : ENCRYPT_OPT_KEEP_NAME;

		if (encrypt_opts_option(&cli->recipients, which, arg, &err) < 0)
			return command_usage_error(cmd, "%s", err.msg);
		return 0;
	}
	case COLLECT_OPT_LABEL:
	case COLLECT_OPT_LABEL_CASE:
	case COLLECT_OPT_LABEL_RECIPIENTS:
	case COLLECT_OPT_LABEL_TLP: {
		struct error err = {{0}};
		int which = c == COLLECT_OPT_LABEL        ? ENCRYPT_OPT_LABEL
		            : c == COLLECT_OPT_LABEL_CASE ? ENCRYPT_OPT_LABEL_CASE
		            : c == COLLECT_OPT_LABEL_TLP  ? ENCRYPT_OPT_LABEL_TLP
		                                          : ENCRYPT_OPT_LABEL_RECIPIENTS;

		if (encrypt_opts_label_option(&cli->label, which, arg, &err) < 0)
			return command_usage_error(cmd, "%s", err.msg);
		return 0;
	}
	case COLLECT_OPT_IO_RATE:
		if (parse_io_rate(arg, &opt->io_rate) < 0)
			return command_usage_error(cmd,
			                           "--io-rate: '%s' is not a rate of at least 1K a "
			                           "second (such as 500K, 20M, 1G)",
			                           arg);
		return 0;
	case COLLECT_OPT_INCLUDE_SECRETS:
		opt->include_secrets = 1;
		return 0;
	case COLLECT_OPT_NO_OTHER:
		opt->no_other = 1;
		return 0;
	case COLLECT_OPT_JSON:
		cli->json = 1;
		return 0;
	case COLLECT_OPT_KEEP:
		cli->keep = strtoull(arg, &end, 10);
		if (*arg < '0' || *arg > '9' || *end || cli->keep == 0)
			return command_usage_error(cmd, "--keep: '%s' is not a count of at least 1",
			                           arg);
		return 0;
	case COLLECT_OPT_KEEP_FOR:
		if (parse_duration(arg, &cli->keep_for) < 0 || cli->keep_for <= 0)
			return command_usage_error(
			        cmd,
			        "--keep-for: '%s' is not a duration (such as 90m, "
			        "12h, 7d, 2w)",
			        arg);
		return 0;
	case COLLECT_OPT_LEVEL:
		opt->level = (int)strtol(arg, &end, 10);
		if (*arg == '\0' || *end || opt->level < 0 || opt->level > 22)
			return command_usage_error(
			        cmd, "--level: '%s' is not a number from 0 to 22", arg);
		return 0;
	case COLLECT_OPT_MAX_FILE_SIZE:
		if (parse_size(arg, &opt->max_file_size) < 0 || opt->max_file_size == 0)
			return command_usage_error(cmd,
			                           "--max-file-size: '%s' is not a size (such as "
			                           "512K, 100M, 2G)",
			                           arg);
		return 0;
	case COLLECT_OPT_NICE:
		opt->nice = 1;
		return 0;
	case COLLECT_OPT_SINCE:
	case COLLECT_OPT_UNTIL:
		if (parse_iso8601(arg, c == COLLECT_OPT_SINCE ? &opt->since : &opt->until) < 0)
			return command_usage_error(
			        cmd,
			        "--%s: '%s' is not an ISO 8601 date or date-time "
			        "(2024-05-01, 2024-05-01T12:00:00Z)",
			        c == COLLECT_OPT_SINCE ? "since" : "until", arg);
		*(c == COLLECT_OPT_SINCE ? &opt->has_since : &opt->has_until) = 1;
		return 0;
	case COLLECT_OPT_SKIP_LARGE:
		opt->skip_large = 1;
		return 0;
	case COLLECT_OPT_ONE_FILE_SYSTEM:
		opt->one_file_system = 1;
		return 0;
	case COLLECT_OPT_BACKWARDS:
	case COLLECT_OPT_GAP: {
		int64_t *slot = c == COLLECT_OPT_GAP ? &opt->coverage.gap_seconds
		                                     : &opt->coverage.backwards_seconds;

		if (parse_duration(arg, slot) < 0 || *slot <= 0)
			return command_usage_error(
			        cmd,
			        "--%s: '%s' is not a duration (such as 90s, 15m, "
			        "1h)",
			        c == COLLECT_OPT_GAP ? "gap" : "backwards", arg);
		return 0;
	}
	case COLLECT_OPT_NO_COVERAGE:
		opt->no_coverage = 1;
		return 0;
	case COLLECT_OPT_PASSPHRASE_FILE:
	case COLLECT_OPT_SIGN_CERT:
	case COLLECT_OPT_SIGN_CHAIN:
	case COLLECT_OPT_SIGN_KEY: {
		char **slot = c == COLLECT_OPT_PASSPHRASE_FILE ? &cli->sign.passphrase_file
		              : c == COLLECT_OPT_SIGN_CERT     ? &cli->sign.cert
		              : c == COLLECT_OPT_SIGN_CHAIN    ? &cli->sign.chain
		                                               : &cli->sign.key;

		free(*slot);
		*slot = xstrdup(arg);
		return 0;
	}
	case COLLECT_OPT_UPLOAD:
		cli->upload.to = arg;
		return 0;
	default: {
		struct error err = {{0}};
		int r = upload_cli_option(&cli->upload, c, arg, &err);

		return r > 0 ? command_usage_error(cmd, "%s", err.msg) : r;
	}
	}
}

int collect_cli_option(struct collect_cli *cli, const struct command *cmd, unsigned who, int c,
                       const char *arg)
{
	struct collect_opt_info info;

	if (collect_opt_describe(who, c, &info) < 0)
		return -1;
	if (info.refused)
		return command_usage_error(cmd, "--%s does not go with %s (%s)", info.name,
		                           who == COLLECT_CMD_COLLECT ? "collect" : "snapshots",
		                           info.refused);
	return take_value(cli, cmd, c, arg);
}

int collect_cli_finish(struct collect_cli *cli, const struct command *cmd, unsigned who)
{
	struct collect_options *opt = cli->opt;

	if (opt->skip_large && opt->max_file_size == 0)
		return command_usage_error(cmd, "--skip-large needs --max-file-size");
	if (opt->has_since && opt->has_until && opt->since > opt->until)
		return command_usage_error(cmd, "--since is later than --until");
	if (who == COLLECT_CMD_COLLECT && cli->upload.to == NULL && cli->upload.delete_after)
		return command_usage_error(cmd, "--delete-after-upload needs --upload");
	{
		struct error err = {{0}};

		/* As the signing settings: a config file that cannot be used is a failure (3). */
		if (encrypt_settings_resolve(&cli->recipients, cli->config, &err) < 0) {
			log_error("%s", err.msg);
			return LP_EXIT_FAILURE;
		}
		/* schedule checks them here too, and passes them on as they were given. */
		if (encrypt_opts_apply(&cli->recipients, opt, &err) < 0 ||
		    encrypt_opts_label_check(&cli->label, &cli->recipients, &err) < 0)
			return command_usage_error(cmd, "%s", err.msg);
	}
	opt->excludes = cli->excludes;
	opt->n_excludes = cli->n_excludes;
	opt->categories = (const char *const *)cli->categories;
	opt->n_categories = cli->n_categories;
	return 0;
}

int collect_cli_prepare(struct collect_cli *cli, int load_key)
{
	struct collect_options *opt = cli->opt;
	struct error err = {{0}};

	/* The report is checked before anything is read. */
	if (cli->incident && incident_attach(cli->incident, opt, &cli->incident_att, &err) < 0) {
		for (size_t i = 0;
		     cli->incident_att.report && i < cli->incident_att.report->n_problems; i++)
			fprintf(stderr, "%s: %s\n", cli->incident,
			        cli->incident_att.report->problems[i].message);
		log_error("%s", err.msg);
		return LP_EXIT_FAILURE;
	}
	/* Who the bundle is encrypted to goes into bag-info.txt, signed with the rest. */
	encrypt_opts_record(&cli->recipients, opt);
	/* Load the key before anything is read, so a bad key or passphrase fails at once. */
	if (sign_settings_load(&cli->sign, cli->config, load_key, &cli->signer, &err) < 0) {
		log_error("%s", err.msg);
		return LP_EXIT_FAILURE;
	}
	if (load_key && cli->label.wanted && cli->signer == NULL) {
		log_error(
		        "--label needs a signing key (--sign-key and --sign-cert, or sign-key and "
		        "sign-cert in the config file)");
		return LP_EXIT_USAGE;
	}
	if (cli->signer) {
		opt->sign = signer_sign;
		opt->sign_ctx = cli->signer;
		log_verbose("signing as %s", signer_subject(cli->signer));
	}
	return 0;
}

int collect_cli_write_label(struct collect_cli *cli, const char *bundle_path, char **label_path)
{
	struct error err = {{0}};
	char *path = NULL;
	int rc;

	*label_path = NULL;
	if (!cli->label.wanted || bundle_path == NULL)
		return 0;
	rc = encrypt_opts_write_label(&cli->label, &cli->recipients, bundle_path, cli->signer,
	                              &path, &err);
	if (rc < 0) {
		log_error("label %s: %s (the encrypted files are kept)", path, err.msg);
		free(path);
		return LP_EXIT_FAILURE;
	}
	log_info("label: %s", path);
	*label_path = path;
	return 0;
}

void collect_cli_free(struct collect_cli *cli)
{
	free(cli->excludes);
	free(cli->categories);
	free(cli->category_text);
	sign_settings_free(&cli->sign);
	signer_free(cli->signer);
	incident_attachment_free(&cli->incident_att);
	recipients_free(&cli->recipients);
}
