/* logpack receive: a receiver's inbox; verify arrivals, sort them, sign receipts. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "base/printable.h"
#include "base/sandbox.h"
#include "bundle/bundle-read.h"
#include "bundle/verdict.h"
#include "cmd/command.h"
#include "cmd/signals.h"
#include "series/inbox.h"
#include "trust/age.h"
#include "trust/cms-envelope.h"
#include "trust/openpgp.h"
#include "trust/sign-config.h"
#include "trust/sign.h"

static int cmd_receive(int argc, char **argv);

const struct command command_receive = {
        .name = "receive",
        .usage = "receive --inbox DIR --accepted DIR --rejected DIR [--trust FILE|DIR] "
                 "[--key KEY] [--require LEVEL] [--sign-key KEY --sign-cert CERT] [--watch] "
                 "[--json]",
        .summary = "verify the bundles arriving in an inbox, sort them, sign receipts",
        .help = "Options:\n"
                "      --inbox DIR         where bundles arrive, each with its companions\n"
                "                          (NAME.tar.zst and NAME.tar.zst.sha256, labels, ...)\n"
                "      --accepted DIR      where accepted bundles go, one directory each\n"
                "      --rejected DIR      where rejected bundles go (same file system)\n"
                "  -t, --trust FILE|DIR    trusted signers (as for verify)\n"
                "      --require LEVEL     accept only bundles that are at least LEVEL: trusted,\n"
                "                          signed or valid (default: trusted with --trust)\n"
                "  -k, --key KEY           the receiver's key, to decrypt bundles: an age "
                "identity\n"
                "                          (.age bundles) or an OpenPGP secret key as gpg\n"
                "                          --export-secret-keys writes it (.gpg bundles; its\n"
                "                          passphrase from $LOGPACK_KEY_PASSPHRASE), or an\n"
                "                          X.509 private key, PEM (.enc bundles with their\n"
                "                          .p7m header); one of each kind at most\n"
                "      --sign-key KEY      sign a receipt for every bundle with this key ...\n"
                "      --sign-cert CERT    ... and certificate (or LOGPACK_SIGN_KEY/_CERT, or\n"
                "                          the config file, as for collect)\n"
                "      --passphrase-file F the signing key's passphrase\n"
                "      --config FILE       the config file (default /etc/logpack/logpack.conf)\n"
                "      --settle DURATION   take a bundle only when its sidecar is there and\n"
                "                          none of its files changed for DURATION (default 30s)\n"
                "      --watch             keep watching the inbox (inotify) until stopped\n"
                "      --json              one JSON line per bundle (its verdict.json)\n"
                "      --allow-root        run as root anyway (the reader still runs as\n"
                "                          --reader-user)\n"
                "      --reader-user USER  the reader's user when run as root (default nobody)\n"
                "      --reader-memory SIZE  the reader's address space (default 2G)\n"
                "      --reader-cpu DURATION the reader's CPU time (default 1h)\n"
                "      --reader-timeout DURATION  wall-clock time per bundle (default 2h)\n"
                "      --max-members N, --max-size SIZE, --max-ratio N   as for verify\n"
                "      --print-unit        print a systemd service for --watch with these\n"
                "                          options, and exit\n"
                "  -h, --help              this text\n"
                "\n"
                "Each bundle is read by a separate, confined process that holds no key. See\n"
                "docs/receive.md.\n"
                "\n"
                "Exit: 0 every bundle taken was accepted (or none was there), 4 one or more\n"
                "were rejected, 3 failure (I/O, keys, a second receiver on the inbox), 2 usage.\n",
        .run = cmd_receive,
};

enum {
	OPT_ACCEPTED = 256,
	OPT_ALLOW_ROOT,
	OPT_CONFIG,
	OPT_INBOX,
	OPT_JSON,
	OPT_LABEL,
	OPT_MAX_MEMBERS,
	OPT_MAX_RATIO,
	OPT_MAX_SIZE,
	OPT_PARENT_PID,
	OPT_PASSPHRASE_FILE,
	OPT_PRINT_UNIT,
	OPT_READER_CHILD,
	OPT_READER_CPU,
	OPT_READER_MEMORY,
	OPT_READER_TIMEOUT,
	OPT_READER_UID,
	OPT_READER_USER,
	OPT_REJECTED,
	OPT_REQUIRE,
	OPT_SETTLE,
	OPT_SIGN_CERT,
	OPT_SIGN_KEY,
	OPT_WATCH,
};

struct receive_cli {
	const char *inbox, *accepted, *rejected, *trust_path, *config;
	const char *key_paths[3]; /* --key: one age, one OpenPGP and one X.509 key at most */
	size_t n_keys;
	const char *reader_user;
	struct sign_settings sign;
	const char *require;
	int json, watch, allow_root, print_unit;
	int64_t settle, reader_cpu, reader_timeout;
	uint64_t reader_memory;
	struct bundle_limits limits;
	/* The reader's side (internal). */
	int reader_child;
	const char *label;
	long parent_pid;
	int has_uid;
	unsigned long uid, gid;
	/* What happened. */
	size_t accepted_n, rejected_n;
};

/* Print one decided bundle. */
static void report_outcome(void *ctx, const struct inbox_outcome *o)
{
	struct receive_cli *cli = ctx;

	if (o->accepted)
		cli->accepted_n++;
	else
		cli->rejected_n++;
	if (cli->json) {
		json_dumpf(o->record, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
	} else {
		char *name = printable(o->bundle ? o->bundle : "?");
		char *reason = printable(o->reason ? o->reason : "");
		char *dest = printable(o->dest);

		printf("%s: %s: %s -> %s\n", name, o->accepted ? "accepted" : "rejected", reason,
		       dest);
		free(name);
		free(reason);
		free(dest);
	}
	fflush(stdout);
}

/* The reader's answer, on its socket; the parent decides what it means. */
static void reader_answer(json_t *doc)
{
	json_dumpfd(doc, STDOUT_FILENO, JSON_COMPACT);
	json_decref(doc);
}

static int reader_fail(const char *what, const struct error *err)
{
	reader_answer(json_pack("{s:s++}", "error", what, ": ", err->msg));
	return LP_EXIT_OK;
}

/*
 * The reader: confine this process, then verify the bundle on standard input and answer on
 * standard output (both the socket to the parent). Nothing here holds a key: it is a fresh
 * logpack, started with an environment of nothing but test settings.
 */
static int reader_main(const struct receive_cli *cli)
{
	struct sandbox_limits lim = {cli->reader_memory, (uint64_t)cli->reader_cpu};
	struct bundle_read_options ropt = {0};
	struct trust_store *trust = NULL;
	struct bundle_report rep;
	enum verdict_require req;
	struct error err;
	int as_skipped;
	char *line;
	json_t *doc;

	if (sandbox_die_with_parent((pid_t)cli->parent_pid, &err) < 0)
		return LP_EXIT_FAILURE;
	if (sandbox_close_from(3, &err) < 0 || sandbox_set_limits(&lim, &as_skipped, &err) < 0)
		return reader_fail("confining the reader", &err);
	if (cli->trust_path && trust_store_load(&trust, cli->trust_path, &err) < 0)
		return reader_fail("--trust", &err);
	if (cli->has_uid && sandbox_drop_user((uid_t)cli->uid, (gid_t)cli->gid, &err) < 0)
		return reader_fail("confining the reader", &err);
	/* The name table's key comes from the DRBG: seed it while files can still be opened. */
	if (RAND_status() != 1) {
		error_set(&err, "no random numbers");
		return reader_fail("confining the reader", &err);
	}
	if (sandbox_no_new_privs(&err) < 0 || sandbox_seccomp(&err) < 0)
		return reader_fail("confining the reader", &err);
	if (getenv(READER_TEST_STOP_ENV) && strcmp(getenv(READER_TEST_STOP_ENV), "1") == 0)
		raise(SIGSTOP);
	if (verdict_parse_require(cli->require ? cli->require : "valid", &req) < 0)
		req = VERDICT_REQUIRE_TRUSTED;
	ropt.limits = cli->limits;
	ropt.trust = trust;
	if (bundle_read_fd(STDIN_FILENO, cli->label ? cli->label : "-", &ropt, &rep, &err) < 0) {
		trust_store_free(trust);
		reader_answer(json_pack("{s:s}", "error", err.msg));
		return LP_EXIT_OK;
	}
	line = verdict_line(&rep);
	doc = json_pack("{s:i,s:s,s:o}", "outcome", (int)rep.outcome, "line", line, "verdict",
	                verdict_json(cli->label ? cli->label : "-", &rep, req));
	reader_answer(doc);
	free(line);
	bundle_report_free(&rep);
	trust_store_free(trust);
	return LP_EXIT_OK;
}

/* A value of ExecStart= as systemd reads it: quoted, with \, " escaped, % and $ doubled. */
static void unit_arg(struct strbuf *sb, const char *arg)
{
	strbuf_addch(sb, '"');
	for (const char *p = arg; *p; p++) {
		if (*p == '\\' || *p == '"')
			strbuf_addch(sb, '\\');
		if (*p == '%' || *p == '$')
			strbuf_addch(sb, *p);
		strbuf_addch(sb, *p);
	}
	strbuf_addch(sb, '"');
}

/* " --opt VALUE" for the unit, VALUE made absolute when it is a path (the service runs in /). */
static int unit_opt(struct strbuf *sb, const char *opt, const char *value, int is_path)
{
	char *abs = is_path ? realpath(value, NULL) : NULL;

	if (is_path && abs == NULL) {
		log_error("%s %s: %s", opt, value, strerror(errno));
		return -1;
	}
	strbuf_addf(sb, " %s ", opt);
	unit_arg(sb, abs ? abs : value);
	free(abs);
	return 0;
}

/*
 * The service for --watch: this command's settings (paths made absolute) under the sandbox of
 * the snapshot units, writing only in the three directories.
 */
static int print_unit(const struct receive_cli *cli)
{
	struct strbuf sb = STRBUF_INIT;
	char *exe = realpath("/proc/self/exe", NULL);
	char num[64];
	int rc = -1;

	strbuf_addstr(&sb, "# logpack receive --watch: verify the bundles arriving in an inbox\n"
	                   "[Unit]\n"
	                   "Description=logpack receive: verify and sort arriving bundles\n"
	                   "After=local-fs.target\n"
	                   "\n"
	                   "[Service]\n"
	                   "Type=simple\n"
	                   "ExecStart=");
	unit_arg(&sb, exe ? exe : "logpack");
	strbuf_addstr(&sb, " receive --watch");
	if (unit_opt(&sb, "--inbox", cli->inbox, 1) < 0 ||
	    unit_opt(&sb, "--accepted", cli->accepted, 1) < 0 ||
	    unit_opt(&sb, "--rejected", cli->rejected, 1) < 0 ||
	    (cli->trust_path && unit_opt(&sb, "--trust", cli->trust_path, 1) < 0) ||
	    (cli->require && unit_opt(&sb, "--require", cli->require, 0) < 0) ||
	    (cli->n_keys > 0 && unit_opt(&sb, "--key", cli->key_paths[0], 1) < 0) ||
	    (cli->n_keys > 1 && unit_opt(&sb, "--key", cli->key_paths[1], 1) < 0) ||
	    (cli->n_keys > 2 && unit_opt(&sb, "--key", cli->key_paths[2], 1) < 0) ||
	    (cli->sign.key && unit_opt(&sb, "--sign-key", cli->sign.key, 1) < 0) ||
	    (cli->sign.cert && unit_opt(&sb, "--sign-cert", cli->sign.cert, 1) < 0) ||
	    (cli->sign.passphrase_file &&
	     unit_opt(&sb, "--passphrase-file", cli->sign.passphrase_file, 1) < 0) ||
	    (cli->config && unit_opt(&sb, "--config", cli->config, 1) < 0))
		goto out;
	snprintf(num, sizeof(num), "%llds", (long long)cli->settle);
	unit_opt(&sb, "--settle", num, 0);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)cli->reader_memory);
	unit_opt(&sb, "--reader-memory", num, 0);
	snprintf(num, sizeof(num), "%llds", (long long)cli->reader_cpu);
	unit_opt(&sb, "--reader-cpu", num, 0);
	snprintf(num, sizeof(num), "%llds", (long long)cli->reader_timeout);
	unit_opt(&sb, "--reader-timeout", num, 0);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)cli->limits.max_members);
	unit_opt(&sb, "--max-members", num, 0);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)cli->limits.max_size);
	unit_opt(&sb, "--max-size", num, 0);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)cli->limits.max_ratio);
	unit_opt(&sb, "--max-ratio", num, 0);
	if (cli->json)
		strbuf_addstr(&sb, " --json");
	if (cli->allow_root) {
		strbuf_addstr(&sb, " --allow-root");
		unit_opt(&sb, "--reader-user", cli->reader_user, 0);
	}
	strbuf_addstr(&sb, "\n"
	                   "Restart=on-failure\n"
	                   "# Run it as a user of its own that owns the three directories and the\n"
	                   "# keys (receive refuses root unless --allow-root is given):\n"
	                   "#User=logpack-receive\n"
	                   "UMask=0077\n"
	                   "CapabilityBoundingSet=\n"
	                   "NoNewPrivileges=yes\n"
	                   "ProtectSystem=strict\n"
	                   "ProtectHome=read-only\n"
	                   "PrivateTmp=yes\n"
	                   "PrivateDevices=yes\n"
	                   "PrivateNetwork=yes\n"
	                   "ProtectKernelTunables=yes\n"
	                   "ProtectKernelModules=yes\n"
	                   "ProtectKernelLogs=yes\n"
	                   "ProtectControlGroups=yes\n"
	                   "ProtectClock=yes\n"
	                   "ProtectHostname=yes\n"
	                   "RestrictAddressFamilies=AF_UNIX\n"
	                   "RestrictNamespaces=yes\n"
	                   "RestrictRealtime=yes\n"
	                   "RestrictSUIDSGID=yes\n"
	                   "LockPersonality=yes\n"
	                   "SystemCallArchitectures=native\n"
	                   "ReadWritePaths=");
	/* The same three, absolute, once more. */
	for (int i = 0; i < 3; i++) {
		const char *dir = i == 0 ? cli->inbox : i == 1 ? cli->accepted : cli->rejected;
		char *abs = realpath(dir, NULL);

		if (abs == NULL) {
			log_error("%s: %s", dir, strerror(errno));
			goto out;
		}
		if (i)
			strbuf_addch(&sb, ' ');
		unit_arg(&sb, abs);
		free(abs);
	}
	strbuf_addstr(&sb, "\n\n[Install]\nWantedBy=multi-user.target\n");
	fputs(sb.buf, stdout);
	rc = 0;
out:
	strbuf_release(&sb);
	free(exe);
	return rc < 0 ? LP_EXIT_FAILURE : LP_EXIT_OK;
}

static int parse_duration_opt(const char *opt, const char *arg, int64_t *out)
{
	if (strcmp(arg, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (parse_duration(arg, out) < 0 || *out < 0)
		return command_usage_error(&command_receive, "%s: not a duration: '%s'", opt, arg);
	return 0;
}

static int parse_args(int argc, char **argv, struct receive_cli *cli)
{
	static const struct option options[] = {
	        {"accepted", required_argument, NULL, OPT_ACCEPTED},
	        {"allow-root", no_argument, NULL, OPT_ALLOW_ROOT},
	        {"config", required_argument, NULL, OPT_CONFIG},
	        {"help", no_argument, NULL, 'h'},
	        {"inbox", required_argument, NULL, OPT_INBOX},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"key", required_argument, NULL, 'k'},
	        {"label", required_argument, NULL, OPT_LABEL},
	        {"max-members", required_argument, NULL, OPT_MAX_MEMBERS},
	        {"max-ratio", required_argument, NULL, OPT_MAX_RATIO},
	        {"max-size", required_argument, NULL, OPT_MAX_SIZE},
	        {"parent-pid", required_argument, NULL, OPT_PARENT_PID},
	        {"passphrase-file", required_argument, NULL, OPT_PASSPHRASE_FILE},
	        {"print-unit", no_argument, NULL, OPT_PRINT_UNIT},
	        {"reader-child", no_argument, NULL, OPT_READER_CHILD},
	        {"reader-cpu", required_argument, NULL, OPT_READER_CPU},
	        {"reader-memory", required_argument, NULL, OPT_READER_MEMORY},
	        {"reader-timeout", required_argument, NULL, OPT_READER_TIMEOUT},
	        {"reader-uid", required_argument, NULL, OPT_READER_UID},
	        {"reader-user", required_argument, NULL, OPT_READER_USER},
	        {"rejected", required_argument, NULL, OPT_REJECTED},
	        {"require", required_argument, NULL, OPT_REQUIRE},
	        {"settle", required_argument, NULL, OPT_SETTLE},
	        {"sign-cert", required_argument, NULL, OPT_SIGN_CERT},
	        {"sign-key", required_argument, NULL, OPT_SIGN_KEY},
	        {"trust", required_argument, NULL, 't'},
	        {"watch", no_argument, NULL, OPT_WATCH},
	        {NULL, 0, NULL, 0},
	};
	enum verdict_require req;
	int c;

	while ((c = command_getopt(argc, argv, "hk:t:", options)) != -1) {
		switch (c) {
		case 'h':
			command_print_help(&command_receive, stdout);
			return -2;
		case 'k':
			if (cli->n_keys == 3) {
				command_usage_error(
				        &command_receive,
				        "--key: one age identity, one OpenPGP key and one "
				        "X.509 key at most");
				return LP_EXIT_USAGE;
			}
			cli->key_paths[cli->n_keys++] = optarg;
			break;
		case 't':
			cli->trust_path = optarg;
			break;
		case OPT_ACCEPTED:
			cli->accepted = optarg;
			break;
		case OPT_ALLOW_ROOT:
			cli->allow_root = 1;
			break;
		case OPT_CONFIG:
			cli->config = optarg;
			break;
		case OPT_INBOX:
			cli->inbox = optarg;
			break;
		case OPT_JSON:
			cli->json = 1;
			break;
		case OPT_LABEL:
			cli->label = optarg;
			break;
		case OPT_MAX_MEMBERS:
			if (verdict_parse_limit("--max-members", optarg, 0,
			                        &cli->limits.max_members))
				return command_usage_error(&command_receive,
				                           "--max-members: not a count: '%s'",
				                           optarg);
			break;
		case OPT_MAX_RATIO:
			if (verdict_parse_limit("--max-ratio", optarg, 0, &cli->limits.max_ratio))
				return command_usage_error(&command_receive,
				                           "--max-ratio: not a number: '%s'",
				                           optarg);
			break;
		case OPT_MAX_SIZE:
			if (verdict_parse_limit("--max-size", optarg, 1, &cli->limits.max_size))
				return command_usage_error(&command_receive,
				                           "--max-size: not a size: '%s'", optarg);
			break;
		case OPT_PARENT_PID:
			cli->parent_pid = strtol(optarg, NULL, 10);
			break;
		case OPT_PASSPHRASE_FILE:
			cli->sign.passphrase_file = xstrdup(optarg);
			break;
		case OPT_PRINT_UNIT:
			cli->print_unit = 1;
			break;
		case OPT_READER_CHILD:
			cli->reader_child = 1;
			break;
		case OPT_READER_CPU:
			if (parse_duration_opt("--reader-cpu", optarg, &cli->reader_cpu))
				return LP_EXIT_USAGE;
			break;
		case OPT_READER_MEMORY:
			if (parse_size(optarg, &cli->reader_memory) < 0)
				return command_usage_error(&command_receive,
				                           "--reader-memory: not a size: '%s'",
				                           optarg);
			break;
		case OPT_READER_TIMEOUT:
			if (parse_duration_opt("--reader-timeout", optarg, &cli->reader_timeout))
				return LP_EXIT_USAGE;
			break;
		case OPT_READER_UID:
			if (sscanf(optarg, "%lu:%lu", &cli->uid, &cli->gid) != 2)
				return LP_EXIT_USAGE;
			cli->has_uid = 1;
			break;
		case OPT_READER_USER:
			cli->reader_user = optarg;
			break;
		case OPT_REJECTED:
			cli->rejected = optarg;
			break;
		case OPT_REQUIRE:
			if (verdict_parse_require(optarg, &req) < 0)
				return command_usage_error(
				        &command_receive,
				        "--require: not trusted, signed or valid: '%s'", optarg);
			cli->require = optarg;
			break;
		case OPT_SETTLE:
			if (parse_duration_opt("--settle", optarg, &cli->settle))
				return LP_EXIT_USAGE;
			break;
		case OPT_SIGN_CERT:
			cli->sign.cert = xstrdup(optarg);
			break;
		case OPT_SIGN_KEY:
			cli->sign.key = xstrdup(optarg);
			break;
		case OPT_WATCH:
			cli->watch = 1;
			break;
		default:
			return command_option_error(&command_receive);
		}
	}
	if (cli->reader_child)
		return 0;
	if (optind < argc)
		return command_usage_error(&command_receive, "unexpected argument '%s'",
		                           argv[optind]);
	if (!cli->inbox || !cli->accepted || !cli->rejected)
		return command_usage_error(&command_receive,
		                           "--inbox, --accepted and --rejected are all needed");
	if (cli->reader_timeout == 0 || cli->reader_cpu == 0)
		return command_usage_error(&command_receive,
		                           "--reader-timeout and --reader-cpu must be above 0");
	return 0;
}

/* Wait for the inbox to change, or for timeout_ms; 0, or -1 when stopping. */
static int watch_wait(struct inbox *ib, int timeout_ms)
{
	struct error err;
	int fd = inbox_watch_fd(ib, &err), stop;
	struct pollfd p = {fd, POLLIN, 0};
	struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
	sigset_t block, old;

	if (fd < 0) {
		log_error("%s", err.msg);
		return -1;
	}
	/* A stop asked for between the check and the wait must end the wait: the signals are
	 * blocked until ppoll lets them in atomically. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (!signals_stop_requested() && ppoll(&p, 1, &ts, &old) > 0)
		inbox_watch_drain(ib);
	stop = signals_stop_requested();
	sigprocmask(SIG_SETMASK, &old, NULL);
	return stop ? -1 : 0;
}

/* A receiver's key has no terminal to ask on: its passphrase comes from the environment. */
static int env_passphrase(void *ctx, const char *fingerprint, char **pass, size_t *len,
                          struct error *err)
{
	(void)ctx;
	if (sign_read_passphrase(NULL, 0, NULL, pass, len, err) < 0)
		return -1;
	if (*pass == NULL) {
		error_set(err,
		          "the OpenPGP key %s is protected by a passphrase: set "
		          "LOGPACK_KEY_PASSPHRASE",
		          fingerprint);
		return -1;
	}
	return 0;
}

/*
 * --key PATH: an age identity, else an OpenPGP secret key, else an X.509 private key (PEM, for
 * .enc/.p7m pairs); one of each kind at most.
 */
static int load_key(const char *path, struct age_identity **age, struct openpgp_secret **pgp,
                    struct cms_identity **cms)
{
	struct error age_err = {{0}}, pgp_err = {{0}}, cms_err = {{0}};
	struct age_identity *a = NULL;
	struct openpgp_secret *p = NULL;
	struct cms_identity *c = NULL;

	if (age_identity_load(path, &a, &age_err) == 0) {
		if (*age) {
			age_identity_free(a);
			log_error("--key %s: a second age identity (one of each kind at most)",
			          path);
			return -1;
		}
		*age = a;
		return 0;
	}
	if (openpgp_secret_load(path, env_passphrase, NULL, &p, &pgp_err) == 0) {
		if (*pgp) {
			openpgp_secret_free(p);
			log_error("--key %s: a second OpenPGP key (one of each kind at most)",
			          path);
			return -1;
		}
		*pgp = p;
		return 0;
	}
	if (cms_identity_load(path, NULL, NULL, &c, &cms_err) == 0) {
		if (*cms) {
			cms_identity_free(c);
			log_error("--key %s: a second X.509 private key (one of each kind at most)",
			          path);
			return -1;
		}
		*cms = c;
		return 0;
	}
	log_error("--key %s; as an OpenPGP key: %s; as an X.509 private key: %s", age_err.msg,
	          pgp_err.msg, cms_err.msg);
	return -1;
}

static int cmd_receive(int argc, char **argv)
{
	struct receive_cli cli = {0};
	struct inbox_options opt = {0};
	struct age_identity *age = NULL;
	struct openpgp_secret *pgp = NULL;
	struct cms_identity *cms = NULL;
	struct signer *signer = NULL;
	struct inbox *ib = NULL;
	struct error err;
	size_t waiting = 0;
	int rc, code = LP_EXIT_FAILURE;

	cli.settle = 30;
	cli.reader_memory = (uint64_t)2 << 30;
	cli.reader_cpu = 3600;
	cli.reader_timeout = 7200;
	cli.reader_user = "nobody";
	bundle_limits_default(&cli.limits);
	if ((rc = parse_args(argc, argv, &cli)) != 0) {
		sign_settings_free(&cli.sign);
		return rc == -2 ? LP_EXIT_OK : rc;
	}
	if (cli.reader_child) {
		sign_settings_free(&cli.sign);
		return reader_main(&cli);
	}
	if (cli.print_unit) {
		code = print_unit(&cli);
		goto out;
	}
	/* The process that holds the keys never parses a bundle; running it as root makes any
	 * mistake in that separation everyone's problem: it must be asked for. */
	if (geteuid() == 0 && !cli.allow_root) {
		log_error("receive: refusing to run as root (it takes hostile input); run it as a "
		          "user of its own, or give --allow-root");
		code = LP_EXIT_USAGE;
		goto out;
	}
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam(cli.reader_user);

		if (pw == NULL || pw->pw_uid == 0) {
			log_error("--reader-user %s: %s", cli.reader_user,
			          pw ? "must not be root" : "no such user");
			goto out;
		}
		opt.reader.drop_user = 1;
		opt.reader.uid = pw->pw_uid;
		opt.reader.gid = pw->pw_gid;
	}
	for (size_t i = 0; i < cli.n_keys; i++)
		if (load_key(cli.key_paths[i], &age, &pgp, &cms) < 0)
			goto out;
	if (sign_settings_load(&cli.sign, cli.config, 1, &signer, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	opt.inbox = cli.inbox;
	opt.accepted = cli.accepted;
	opt.rejected = cli.rejected;
	opt.settle = cli.settle;
	opt.signer = signer;
	opt.keys.age = age;
	opt.keys.pgp = pgp;
	opt.keys.cms = cms;
	opt.reader.exe = "/proc/self/exe";
	opt.reader.trust_path = cli.trust_path;
	opt.reader.require = cli.require ? cli.require : cli.trust_path ? "trusted" : "valid";
	opt.reader.limits = cli.limits;
	opt.reader.max_memory = cli.reader_memory;
	opt.reader.cpu_seconds = (uint64_t)cli.reader_cpu;
	opt.reader.timeout = cli.reader_timeout;
	if (cli.watch)
		signals_install_receive_stop();
	if (inbox_open(&ib, &opt, report_outcome, &cli, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	for (;;) {
		if (inbox_scan(ib, report_outcome, &cli, &waiting, &err) < 0) {
			log_error("%s", err.msg);
			goto out;
		}
		if (!cli.watch)
			break;
		/* A group still settling is looked at again when its time is up. */
		if (watch_wait(ib, waiting ? (int)(cli.settle * 1000 + 200) : 60000) < 0)
			break;
	}
	if (waiting)
		log_info("%zu bundle%s not complete yet, left in the inbox", waiting,
		         waiting == 1 ? "" : "s");
	code = cli.rejected_n ? LP_EXIT_INVALID : LP_EXIT_OK;
out:
	inbox_close(ib);
	signer_free(signer);
	age_identity_free(age);
	openpgp_secret_free(pgp);
	cms_identity_free(cms);
	sign_settings_free(&cli.sign);
	return code;
}
