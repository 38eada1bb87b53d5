/* logpack extract: verify a bundle, then unpack it safely into a directory. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "bundle/bundle-read.h"
#include "bundle/stage.h"
#include "bundle/verdict.h"
#include "cmd/cmd-chain.h"
#include "cmd/command.h"
#include "cmd/key-opts.h"
#include "cmd/signals.h"
#include "trust/sign.h"

static int cmd_extract(int argc, char **argv);

const struct command command_extract = {
        .name = "extract",
        .usage = "extract [--force] [--trust FILE|DIR] [--require LEVEL] [--key KEY [--cert "
                 "CERT] [--passphrase-file FILE]] BUNDLE|- DIR | --chain BUNDLE|DIR... DIR",
        .summary = "verify a bundle, then unpack it safely into a directory",
        .help = "Options:\n"
                "      --cert CERT        with --key for a CMS pair: the receiver's certificate\n"
                "      --chain            rebuild the files of a series of snapshots from their\n"
                "                         segments (each at its latest path; content later\n"
                "                         wiped beside it as PATH.~ID~), reading each bundle\n"
                "                         once; nothing unless every bundle and the chain are\n"
                "                         whole, and never over a name already in DIR\n"
                "  -f, --force            extract even an INVALID bundle (still never outside "
                "DIR,\n"
                "                         never over an existing file, never a link or device)\n"
                "  -k, --key KEY          extract an encrypted bundle (X.gpg, X.age, or the CMS\n"
                "                         pair X.p7m + X.enc, named by either) as it is\n"
                "                         decrypted, with the key logpack decrypt takes; no\n"
                "                         decrypted bundle is ever written\n"
                "  -t, --trust FILE|DIR   trusted signers, as for verify\n"
                "      --max-members N    as for verify\n"
                "      --max-memory SIZE  as for verify\n"
                "      --max-size SIZE    as for verify\n"
                "      --max-ratio N      as for verify\n"
                "      --ratio-after SIZE as for verify\n"
                "      --passphrase-file FILE  the key's passphrase, as for verify\n"
                "      --require LEVEL    as for verify: trusted, signed or valid\n"
                "  -h, --help             this text\n"
                "\n"
                "BUNDLE may be \"-\" (standard input) or a FIFO: it is read once, and what is\n"
                "written is what was verified. The bag is written into a private staging\n"
                "directory in DIR (created, mode 0700, if needed) and renamed to DIR/<bag name>\n"
                "only when the verdict allows it; nothing already in DIR is replaced or\n"
                "followed. Extracted files are private to you (mode 0600), their times are\n"
                "restored, their owners not. SIGINT, SIGTERM or SIGHUP remove the staging\n"
                "directory. An encrypted bundle is renamed into place only after the cipher's\n"
                "check at its very end (MDC, age's last chunk, GCM tag); when that fails the\n"
                "staging directory is removed, even with --force. A wrong key is refused\n"
                "before anything is written.\n"
                "\n"
                "Exit: as verify once extracted (0 the bundle meets the required level, else\n"
                "5 NOT trusted, 6 unsigned); 4 INVALID, 8 incomplete (fetch.txt), 9 could not\n"
                "be checked (nothing extracted unless --force); 3 a file could not be\n"
                "written, or an encrypted bundle could not be opened (no --key, not encrypted\n"
                "to the key, a damaged header).\n",
        .run = cmd_extract,
};

enum {
	OPT_MAX_MEMBERS = 256,
	OPT_MAX_MEMORY,
	OPT_MAX_RATIO,
	OPT_MAX_SIZE,
	OPT_CHAIN,
	OPT_RATIO_AFTER,
	OPT_REQUIRE,
};

struct extract_cli {
	const char *bundle;
	const char *dir;
	const char *trust_path;
	int force;
	int chain;
	int has_require;
	enum verdict_require require;
	struct bundle_limits limits;
	struct decrypt_key key; /* key.key NULL: no --key */
};

/* Extraction as the verifier reads: each member goes into the staging directory. */
struct extract_pass {
	const char *bundle;
	struct stage *stage;
	long failed; /* members that could not be written */
	int writing; /* the current file is being written */
	struct timespec mtime;
	int has_mtime;
};

static void extract_found(void *ctx, const char *name, const struct source_member *m)
{
	struct extract_pass *x = ctx;
	struct error err;

	x->has_mtime = m->has_mtime;
	x->mtime = m->mtime;
	if (m->type == SOURCE_DIR &&
	    stage_dir(x->stage, name, m->has_mtime ? &m->mtime : NULL, &err) < 0) {
		char *shown = bundle_printable_name(err.msg);

		log_warn("not extracted: %s", shown);
		free(shown);
		x->failed++;
	}
}

static void extract_begin(void *ctx, const char *name, uint64_t size)
{
	struct extract_pass *x = ctx;
	struct error err;

	(void)size;
	x->writing = stage_file_begin(x->stage, name, x->has_mtime ? &x->mtime : NULL, &err) == 0;
	if (!x->writing) {
		char *shown = bundle_printable_name(err.msg);

		log_warn("not extracted: %s", shown);
		free(shown);
		x->failed++;
	}
}

static void extract_data(void *ctx, const void *buf, size_t len)
{
	struct extract_pass *x = ctx;
	struct error err;

	if (x->writing && stage_file_write(x->stage, buf, len, &err) < 0) {
		char *shown = bundle_printable_name(err.msg);

		log_warn("%s", shown);
		free(shown);
		x->writing = 0;
		stage_file_end(x->stage, &err);
		x->failed++;
	}
}

static void extract_end(void *ctx, const char *sha256_hex)
{
	struct extract_pass *x = ctx;
	struct error err;

	(void)sha256_hex;
	if (x->writing && stage_file_end(x->stage, &err) < 0) {
		char *shown = bundle_printable_name(err.msg);

		log_warn("%s", shown);
		free(shown);
		x->failed++;
	}
	x->writing = 0;
}

/* A member never written: said as extract always has (with --force, the user sees why). */
static void extract_refused(void *ctx, const struct source_member *m)
{
	char *shown = bundle_printable_name(m->name);
	const char *why = m->refusal == SOURCE_LINK        ? "is a link"
	                  : m->refusal == SOURCE_DUPLICATE ? "already exists (never overwritten)"
	                                                   : m->refused;

	(void)ctx;
	log_warn("not extracted: '%s' %s", shown, why);
	free(shown);
}

static int cmd_extract(int argc, char **argv)
{
	static const struct option options[] = {
	        {"chain", no_argument, NULL, OPT_CHAIN},
	        {"force", no_argument, NULL, 'f'},
	        {"help", no_argument, NULL, 'h'},
	        {"max-members", required_argument, NULL, OPT_MAX_MEMBERS},
	        {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
	        {"max-ratio", required_argument, NULL, OPT_MAX_RATIO},
	        {"max-size", required_argument, NULL, OPT_MAX_SIZE},
	        {"ratio-after", required_argument, NULL, OPT_RATIO_AFTER},
	        {"require", required_argument, NULL, OPT_REQUIRE},
	        {"trust", required_argument, NULL, 't'},
	        KEY_LONG_OPTIONS,
	        {NULL, 0, NULL, 0},
	};
	struct extract_cli cli = {0};
	struct extract_pass pass = {0};
	const struct bundle_visitor visitor = {
	        .ctx = &pass,
	        .member_begin = extract_begin,
	        .member_data = extract_data,
	        .member_end = extract_end,
	        .member_found = extract_found,
	        .member_refused = extract_refused,
	};
	struct bundle_read_options ropt = {0};
	struct trust_store *trust = NULL;
	struct bundle_report rep = {0};
	struct source *src = NULL;
	struct source_decryption *dec = NULL;
	enum source_cipher cipher = SOURCE_PLAIN;
	struct stat st;
	char *line = NULL;
	struct error err;
	int c, rc = LP_EXIT_FAILURE, have_rep = 0, is_file, fail_rc;

	bundle_limits_default(&cli.limits);
	while ((c = command_getopt(argc, argv, "fhk:t:", options)) != -1) {
		if (key_opts_option(&cli.key, c, optarg) == 0)
			continue;
		switch (c) {
		case OPT_CHAIN:
			cli.chain = 1;
			break;
		case 'f':
			cli.force = 1;
			break;
		case 'h':
			command_print_help(&command_extract, stdout);
			return LP_EXIT_OK;
		case 't':
			cli.trust_path = optarg;
			break;
		case OPT_MAX_MEMBERS:
			if (verdict_parse_limit("--max-members", optarg, 0,
			                        &cli.limits.max_members))
				return command_usage_error(&command_extract,
				                           "--max-members: not a count: '%s'",
				                           optarg);
			break;
		case OPT_MAX_RATIO:
			if (verdict_parse_limit("--max-ratio", optarg, 0, &cli.limits.max_ratio))
				return command_usage_error(&command_extract,
				                           "--max-ratio: not a number: '%s'",
				                           optarg);
			break;
		case OPT_MAX_MEMORY:
			if (verdict_parse_limit("--max-memory", optarg, 1, &cli.limits.max_memory))
				return command_usage_error(
				        &command_extract, "--max-memory: not a size: '%s'", optarg);
			break;
		case OPT_RATIO_AFTER:
			if (verdict_parse_limit("--ratio-after", optarg, 1,
			                        &cli.limits.ratio_after))
				return command_usage_error(&command_extract,
				                           "--ratio-after: not a size: '%s'",
				                           optarg);
			break;
		case OPT_MAX_SIZE:
			if (verdict_parse_limit("--max-size", optarg, 1, &cli.limits.max_size))
				return command_usage_error(&command_extract,
				                           "--max-size: not a size: '%s'", optarg);
			break;
		case OPT_REQUIRE:
			if (verdict_parse_require(optarg, &cli.require) < 0)
				return command_usage_error(
				        &command_extract,
				        "--require: not trusted, signed or valid: '%s'", optarg);
			cli.has_require = 1;
			break;
		default:
			return command_option_error(&command_extract);
		}
	}
	if (key_opts_check(&cli.key, &command_extract) != LP_EXIT_OK)
		return LP_EXIT_USAGE;
	if (cli.chain) {
		if (cli.force)
			return command_usage_error(
			        &command_extract,
			        "--chain rebuilds only from a whole, valid series: "
			        "no --force");
		if (argc - optind < 2)
			return command_usage_error(&command_extract, "need bundles and a DIR");
		if (cli.trust_path && trust_store_load(&trust, cli.trust_path, &err) < 0) {
			log_error("--trust %s", err.msg);
			return LP_EXIT_FAILURE;
		}
		ropt.limits = cli.limits;
		ropt.trust = trust;
		ropt.key = cli.key.key ? &cli.key : NULL;
		umask(077);
		signals_install_extract_cleanup();
		rc = chain_cmd_extract(
		        (const char *const *)argv + optind, (size_t)(argc - optind - 1), &ropt,
		        argv[argc - 1],
		        cli.has_require ? cli.require : verdict_default_require(trust != NULL), 0);
		trust_store_free(trust);
		return rc;
	}
	if (argc - optind != 2)
		return command_usage_error(&command_extract, "need a BUNDLE and a DIR");
	cli.bundle = argv[optind];
	cli.dir = argv[optind + 1];
	if (cli.trust_path && trust_store_load(&trust, cli.trust_path, &err) < 0) {
		log_error("--trust %s", err.msg);
		return LP_EXIT_FAILURE;
	}
	/*
	 * One pass: the bytes written into the staging directory are the bytes verified, so a
	 * bundle cannot change between a check and a copy, and a pipe ("-", a FIFO) works.
	 */
	if (strcmp(cli.bundle, "-") != 0)
		cipher = source_cipher_of(cli.bundle);
	if (cli.key.key == NULL && cipher != SOURCE_PLAIN) {
		char *to = source_encrypted_to(cli.bundle, cipher);

		log_error("%s: encrypted to %s; nothing extracted (give --key KEY)", cli.bundle,
		          to);
		free(to);
		goto out;
	}
	/* With a key, a pipe may be encrypted too: its first bytes say (plain ones pass). */
	if (cli.key.key && (cipher != SOURCE_PLAIN || strcmp(cli.bundle, "-") == 0 ||
	                    (stat(cli.bundle, &st) == 0 && !S_ISREG(st.st_mode)))) {
		if (source_open_decrypting(&src, &dec, cli.bundle, &cli.key, &cli.limits, &err) <
		    0) {
			log_error("%s: %s; nothing extracted", cli.bundle, err.msg);
			goto out;
		}
	} else if (strcmp(cli.bundle, "-") == 0
	                   ? source_open_fd(&src, 0, "-", &cli.limits, &err)
	                   : source_open_path(&src, cli.bundle, &cli.limits, &err)) {
		log_error("%s", err.msg);
		goto out;
	}
	if (source_is_dir(src)) {
		log_error("%s: not a bundle file (a bag directory needs no extracting)",
		          cli.bundle);
		goto out;
	}
	is_file = dec == NULL && strcmp(cli.bundle, "-") != 0 && stat(cli.bundle, &st) == 0 &&
	          S_ISREG(st.st_mode);
	if (is_file && source_hash_raw(src, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	umask(077);
	signals_install_extract_cleanup();
	if (stage_open(&pass.stage, cli.dir, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	pass.bundle = cli.bundle;
	ropt.limits = cli.limits;
	ropt.trust = trust;
	ropt.visitor = &visitor;
	if (bundle_verify_source(src, is_file ? cli.bundle : NULL, &ropt, &rep, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	have_rep = 1;
	if (dec) {
		/* The source first: its decompressing thread may still be reading the cipher. */
		source_close(src);
		src = NULL;
		if (bundle_report_decryption(&rep, dec) < 0) {
			line = verdict_line(&rep);
			log_error("%s: %s", cli.bundle, line);
			log_error("the encrypted file does not authenticate: nothing extracted");
			rc = LP_EXIT_INVALID;
			goto out;
		}
	}
	line = verdict_line(&rep);
	if (!bundle_outcome_valid(rep.outcome) && !cli.force) {
		log_error("%s: %s", cli.bundle, line);
		log_error("refusing to extract %s bundle (--force extracts it anyway)",
		          rep.outcome == BUNDLE_INVALID ? "an INVALID"
		                                        : "an unchecked or incomplete");
		rc = verdict_exit(rep.outcome, VERDICT_REQUIRE_VALID);
		goto out;
	}
	if (!bundle_outcome_valid(rep.outcome))
		log_warn("%s: %s; extracting anyway (--force)", cli.bundle, line);
	else
		log_info("%s: %s", cli.bundle, line);
	/* A forced bundle that is not valid keeps its code (INVALID is the worst). */
	fail_rc = bundle_outcome_valid(rep.outcome)
	                  ? LP_EXIT_FAILURE
	                  : verdict_exit(rep.outcome, VERDICT_REQUIRE_VALID);
	if (pass.failed != 0) {
		log_error("%s: %ld members could not be extracted into %s (nothing extracted)",
		          cli.bundle, pass.failed, cli.dir);
		rc = fail_rc;
		goto out;
	}
	if (rep.top_dir == NULL) {
		log_error("%s: no bag to extract", cli.bundle);
		rc = fail_rc;
		goto out;
	}
	if (stage_commit(pass.stage, rep.top_dir, &err) < 0) {
		char *shown = bundle_printable_name(err.msg);

		log_error("not extracted: %s", shown);
		free(shown);
		rc = fail_rc;
		goto out;
	}
	{
		/* The bag's name comes from the bundle: escaped, as everywhere else. */
		char *shown_top = bundle_printable_name(rep.top_dir);

		printf("%s/%s\n", cli.dir, shown_top);
		free(shown_top);
	}
	rc = verdict_exit(rep.outcome,
	                  cli.has_require ? cli.require : verdict_default_require(trust != NULL));
out:
	stage_close(pass.stage);
	source_close(src);
	source_decryption_free(dec);
	if (have_rep)
		bundle_report_free(&rep);
	free(line);
	trust_store_free(trust);
	return rc;
}
