/* logpack verify: are these bundles complete, unaltered, signed, and by whom? */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "base/printable.h"
#include "bundle/bundle-read.h"
#include "bundle/verdict.h"
#include "cmd/cmd-chain.h"
#include "cmd/command.h"
#include "report/incident.h"
#include "trust/sign.h"

static int cmd_verify(int argc, char **argv);

const struct command command_verify = {
        .name = "verify",
        .usage = "verify [--trust FILE|DIR] [--require LEVEL] [--json] [--chain] "
                 "BUNDLE|BAGDIR...",
        .summary = "check that bundles are complete, unaltered and signed by a trusted signer",
        .help = "Options:\n"
                "      --chain            the bundles (or the bundles in a DIR) are one series of\n"
                "                         snapshots: verify each, then the chain (sequence,\n"
                "                         links, one series), and list its anomalies\n"
                "  -t, --trust FILE|DIR   trusted signers: PEM certificates in a file, or the\n"
                "                         *.pem/*.crt/*.cer files of a directory\n"
                "      --json             one JSON document on stdout\n"
                "      --max-members N    stop past N members (default 1000000)\n"
                "      --max-size SIZE    stop past SIZE bytes of content (default 1T)\n"
                "      --max-ratio N      stop past a compression ratio of N (default 1000)\n"
                "      --require LEVEL    exit 0 only for bundles that are at least LEVEL:\n"
                "                         trusted, signed or valid (default: trusted with\n"
                "                         --trust, else valid, which proves integrity, not\n"
                "                         origin)\n"
                "  -h, --help             this text\n"
                "\n"
                "Each BUNDLE is a logpack bundle (or any tar of one BagIt bag, compressed or "
                "not);\n"
                "each BAGDIR a bag directory; - reads a bundle from standard input (gpg -d X.gpg\n"
                "| logpack verify -). One line per argument, a summary after several.\n"
                "\n"
                "Exit: 0 the bundle meets the required level; else 5 valid and signed but NOT\n"
                "trusted; 6 valid but unsigned; 4 INVALID; 3 could not be read; 2 usage. With\n"
                "several bundles, the worst: 4, then 3, then 5, then 6, then 0.\n"
                "With --chain: 4 a bundle or the chain is INVALID, 3 unreadable, 7 whole but\n"
                "anomalies were recorded, else as above.\n",
        .run = cmd_verify,
};

enum {
	OPT_JSON = 256,
	OPT_MAX_MEMBERS,
	OPT_MAX_RATIO,
	OPT_MAX_SIZE,
	OPT_CHAIN,
	OPT_REQUIRE,
};

struct verify_cli {
	const char *trust_path;
	int json;
	int chain;
	int has_require;
	enum verdict_require require;
	struct bundle_limits limits;
};

/* The progress meter (drawn only on a terminal): members and content bytes checked so far. */
static void verify_progress(void *ctx, uint64_t bytes_read, uint64_t members)
{
	progress_update(ctx, members, bytes_read);
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option options[] = {
	        {"chain", no_argument, NULL, OPT_CHAIN},
	        {"help", no_argument, NULL, 'h'},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"max-members", required_argument, NULL, OPT_MAX_MEMBERS},
	        {"max-ratio", required_argument, NULL, OPT_MAX_RATIO},
	        {"max-size", required_argument, NULL, OPT_MAX_SIZE},
	        {"require", required_argument, NULL, OPT_REQUIRE},
	        {"trust", required_argument, NULL, 't'},
	        {NULL, 0, NULL, 0},
	};
	struct verify_cli cli = {0};
	struct bundle_read_options ropt = {0};
	struct trust_store *trust = NULL;
	size_t counts[4] = {0}, n_failed = 0;
	json_t *jlist = NULL;
	struct error err;
	int c, code = LP_EXIT_OK;

	bundle_limits_default(&cli.limits);
	while ((c = command_getopt(argc, argv, "ht:", options)) != -1) {
		switch (c) {
		case 'h':
			command_print_help(&command_verify, stdout);
			return LP_EXIT_OK;
		case 't':
			cli.trust_path = optarg;
			break;
		case OPT_CHAIN:
			cli.chain = 1;
			break;
		case OPT_JSON:
			cli.json = 1;
			break;
		case OPT_MAX_MEMBERS:
			if (verdict_parse_limit("--max-members", optarg, 0,
			                        &cli.limits.max_members))
				return command_usage_error(&command_verify,
				                           "--max-members: not a count: '%s'",
				                           optarg);
			break;
		case OPT_MAX_RATIO:
			if (verdict_parse_limit("--max-ratio", optarg, 0, &cli.limits.max_ratio))
				return command_usage_error(
				        &command_verify, "--max-ratio: not a number: '%s'", optarg);
			break;
		case OPT_MAX_SIZE:
			if (verdict_parse_limit("--max-size", optarg, 1, &cli.limits.max_size))
				return command_usage_error(&command_verify,
				                           "--max-size: not a size: '%s'", optarg);
			break;
		case OPT_REQUIRE:
			if (verdict_parse_require(optarg, &cli.require) < 0)
				return command_usage_error(
				        &command_verify,
				        "--require: not trusted, signed or valid: '%s'", optarg);
			cli.has_require = 1;
			break;
		default:
			return command_option_error(&command_verify);
		}
	}
	if (optind >= argc)
		return command_usage_error(&command_verify, "no bundle given");
	if (cli.trust_path && trust_store_load(&trust, cli.trust_path, &err) < 0) {
		log_error("--trust %s", err.msg);
		return LP_EXIT_FAILURE;
	}
	if (!cli.has_require)
		cli.require = verdict_default_require(trust != NULL);
	ropt.limits = cli.limits;
	ropt.trust = trust;
	if (cli.chain) {
		code = chain_cmd_verify((const char *const *)argv + optind, (size_t)(argc - optind),
		                        &ropt, cli.require, cli.json);
		trust_store_free(trust);
		return code;
	}
	if (cli.json)
		jlist = json_array();
	for (int i = optind; i < argc; i++) {
		struct bundle_report rep;
		int this_code;

		struct progress meter;
		int read_rc;
		const char *tlp;
		/* A file name can hold terminal controls too: it is shown like a bundle's names. */
		char *shown = printable(argv[i]);
		char *shown_err;

		progress_start(&meter, shown, 0, 0, !cli.json);
		ropt.progress = verify_progress;
		ropt.progress_ctx = &meter;
		/* "-": standard input, a pipe or a file, read as the stream it is. */
		read_rc = bundle_read_path(strcmp(argv[i], "-") == 0 ? "/dev/stdin" : argv[i],
		                           &ropt, &rep, &err);
		progress_end(&meter);
		if (read_rc < 0) {
			n_failed++;
			code = verdict_worst_exit(code, LP_EXIT_FAILURE);
			if (jlist) {
				json_array_append_new(jlist, json_pack("{s:s,s:s,s:i,s:s}", "path",
				                                       argv[i], "outcome", "error",
				                                       "exit_code", LP_EXIT_FAILURE,
				                                       "error", err.msg));
			} else {
				shown_err = printable(err.msg);
				printf("%s: cannot read: %s\n", shown, shown_err);
				free(shown_err);
			}
			free(shown);
			continue;
		}
		this_code = verdict_exit(rep.outcome, cli.require);
		code = verdict_worst_exit(code, this_code);
		counts[rep.outcome]++;
		/* The sharing label, beside the verdict: only a valid bundle's label is its
		 * sender's word; an INVALID one's is shown as a claim. */
		tlp = incident_tlp_label(bundle_report_info(&rep, "LogPack-TLP"));
		if (jlist) {
			json_t *o = verdict_json(argv[i], &rep, cli.require);

			json_object_set_new(o, "tlp", tlp ? json_string(tlp) : json_null());
			json_array_append_new(jlist, o);
		} else {
			char *line = verdict_line(&rep);

			if (tlp == NULL)
				printf("%s: %s\n", shown, line);
			else if (rep.outcome == BUNDLE_INVALID)
				printf("%s: %s; claims %s\n", shown, line, tlp);
			else
				printf("%s: %s; %s\n", shown, line, tlp);
			free(line);
		}
		free(shown);
		bundle_report_free(&rep);
	}
	if (jlist) {
		json_t *doc =
		        json_pack("{s:o,s:{s:I,s:I,s:I,s:I,s:I},s:i}", "bundles", jlist, "summary",
		                  "trusted", (json_int_t)counts[BUNDLE_VALID_TRUSTED], "untrusted",
		                  (json_int_t)counts[BUNDLE_VALID_UNTRUSTED], "unsigned",
		                  (json_int_t)counts[BUNDLE_VALID_UNSIGNED], "invalid",
		                  (json_int_t)counts[BUNDLE_INVALID], "unreadable",
		                  (json_int_t)n_failed, "exit_code", code);

		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(doc);
	} else if (argc - optind > 1) {
		printf("%d bundles: %zu trusted, %zu NOT trusted, %zu unsigned, %zu INVALID, %zu "
		       "unreadable\n",
		       argc - optind, counts[BUNDLE_VALID_TRUSTED], counts[BUNDLE_VALID_UNTRUSTED],
		       counts[BUNDLE_VALID_UNSIGNED], counts[BUNDLE_INVALID], n_failed);
	}
	trust_store_free(trust);
	return code;
}
