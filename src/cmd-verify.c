/* logpack verify: are these bundles complete, unaltered, signed, and by whom? */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bundle-read.h"
#include "cmd-trust.h"
#include "command.h"
#include "exitcode.h"
#include "log.h"
#include "sign.h"

static int cmd_verify(int argc, char **argv);

const struct command command_verify = {
        .name = "verify",
        .usage = "verify [--trust FILE|DIR] [--json] BUNDLE|BAGDIR...",
        .summary = "check that bundles are complete, unaltered and signed by a trusted signer",
        .help = "Options:\n"
                "  -t, --trust FILE|DIR   trusted signers: PEM certificates in a file, or the\n"
                "                         *.pem/*.crt/*.cer files of a directory\n"
                "      --json             one JSON document on stdout\n"
                "      --max-members N    stop past N members (default 1000000)\n"
                "      --max-size SIZE    stop past SIZE bytes of content (default 1T)\n"
                "      --max-ratio N      stop past a compression ratio of N (default 1000)\n"
                "  -h, --help             this text\n"
                "\n"
                "Each BUNDLE is a logpack bundle (or any tar of one BagIt bag, compressed or "
                "not);\n"
                "each BAGDIR a bag directory. One line per argument, a summary after several.\n"
                "\n"
                "Exit: 0 valid, signed and trusted; 5 valid and signed but NOT trusted; 6 valid\n"
                "but unsigned; 4 INVALID; 3 could not be read; 2 usage. With several bundles,\n"
                "the worst: 4, then 3, then 5, then 6, then 0.\n",
        .run = cmd_verify,
};

enum {
	OPT_JSON = 256,
	OPT_MAX_MEMBERS,
	OPT_MAX_RATIO,
	OPT_MAX_SIZE,
};

struct verify_cli {
	const char *trust_path;
	int json;
	struct bundle_limits limits;
};

int trust_worst_exit(int a, int b)
{
	/* Worst first. */
	static const int order[] = {LP_EXIT_INVALID, LP_EXIT_FAILURE, LP_EXIT_UNTRUSTED,
	                            LP_EXIT_UNSIGNED, LP_EXIT_OK};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (a == order[i] || b == order[i])
			return order[i];
	return a > b ? a : b;
}

int trust_outcome_exit(enum bundle_outcome o)
{
	switch (o) {
	case BUNDLE_VALID_TRUSTED:
		return LP_EXIT_OK;
	case BUNDLE_VALID_UNTRUSTED:
		return LP_EXIT_UNTRUSTED;
	case BUNDLE_VALID_UNSIGNED:
		return LP_EXIT_UNSIGNED;
	case BUNDLE_INVALID:
		break;
	}
	return LP_EXIT_INVALID;
}

/* Notes on the signer's certificate, for a valid signed bundle ("certificate expired ..."). */
static void cert_notes(const struct sign_check *sig, struct strbuf *sb)
{
	char when[32];

	if (sig->expired)
		strbuf_addf(sb, "; certificate expired %s",
		            format_iso8601(sig->not_after, when, sizeof(when)));
	if (sig->not_yet_valid)
		strbuf_addstr(sb, "; certificate not yet valid");
}

char *trust_outcome_line(const struct bundle_report *rep)
{
	struct strbuf sb = STRBUF_INIT;

	switch (rep->outcome) {
	case BUNDLE_VALID_TRUSTED:
		strbuf_addf(&sb, "valid, signed by %s, trusted", rep->sig.subject);
		cert_notes(&rep->sig, &sb);
		break;
	case BUNDLE_VALID_UNTRUSTED:
		strbuf_addf(&sb, "valid, signed by %s, NOT trusted (%s", rep->sig.subject,
		            rep->sig.trust_reason ? rep->sig.trust_reason : "unknown signer");
		cert_notes(&rep->sig, &sb);
		strbuf_addch(&sb, ')');
		break;
	case BUNDLE_VALID_UNSIGNED:
		strbuf_addstr(&sb, "valid, unsigned");
		break;
	case BUNDLE_INVALID:
		strbuf_addstr(&sb, "INVALID: ");
		for (size_t i = 0; i < rep->n_problems; i++)
			strbuf_addf(&sb, "%s%s", i ? "; " : "", rep->problems[i]);
		if (rep->n_problems_total > rep->n_problems)
			strbuf_addf(&sb, "; and %zu more problems",
			            rep->n_problems_total - rep->n_problems);
		break;
	}
	return strbuf_detach(&sb);
}

static const char *outcome_name(enum bundle_outcome o)
{
	switch (o) {
	case BUNDLE_VALID_TRUSTED:
		return "trusted";
	case BUNDLE_VALID_UNTRUSTED:
		return "untrusted";
	case BUNDLE_VALID_UNSIGNED:
		return "unsigned";
	case BUNDLE_INVALID:
		break;
	}
	return "invalid";
}

json_t *trust_report_json(const char *path, const struct bundle_report *rep)
{
	json_t *o = json_object(), *problems = json_array();
	char when[32];

	json_object_set_new(o, "path", json_string(path));
	json_object_set_new(o, "outcome", json_string(outcome_name(rep->outcome)));
	json_object_set_new(o, "exit_code", json_integer(trust_outcome_exit(rep->outcome)));
	json_object_set_new(o, "bag",
	                    rep->top_dir ? json_stringn(rep->top_dir, strlen(rep->top_dir))
	                                 : json_null());
	json_object_set_new(o, "signed", json_boolean(rep->is_signed));
	if (rep->is_signed && rep->sig.subject) {
		json_t *s = json_object();

		json_object_set_new(s, "subject", json_string(rep->sig.subject));
		json_object_set_new(s, "issuer",
		                    rep->sig.issuer ? json_string(rep->sig.issuer) : json_null());
		json_object_set_new(s, "signature_ok", json_boolean(rep->sig.signature_ok));
		json_object_set_new(s, "trusted", json_boolean(rep->sig.trusted));
		json_object_set_new(s, "trust_reason",
		                    rep->sig.trust_reason ? json_string(rep->sig.trust_reason)
		                                          : json_null());
		json_object_set_new(s, "signing_time",
		                    rep->sig.signing_time
		                            ? json_string(format_iso8601(rep->sig.signing_time,
		                                                         when, sizeof(when)))
		                            : json_null());
		json_object_set_new(
		        s, "not_after",
		        json_string(format_iso8601(rep->sig.not_after, when, sizeof(when))));
		json_object_set_new(s, "expired", json_boolean(rep->sig.expired));
		json_object_set_new(o, "signer", s);
	}
	for (size_t i = 0; i < rep->n_problems; i++)
		json_array_append_new(problems, json_string(rep->problems[i]));
	json_object_set_new(o, "problems", problems);
	json_object_set_new(o, "problems_total", json_integer((json_int_t)rep->n_problems_total));
	json_object_set_new(o, "members", json_integer((json_int_t)rep->members));
	json_object_set_new(o, "payload_files", json_integer((json_int_t)rep->payload_files));
	json_object_set_new(o, "payload_bytes", json_integer((json_int_t)rep->payload_bytes));
	json_object_set_new(o, "tagmanifest_sha256",
	                    rep->tagmanifest_sha256 ? json_string(rep->tagmanifest_sha256)
	                                            : json_null());
	return o;
}

int trust_parse_limit(const char *opt, const char *arg, int is_size, uint64_t *out)
{
	char *end;

	if (is_size)
		return parse_size(arg, out) == 0 && *out > 0 ? 0 : -1;
	if (arg[0] < '0' || arg[0] > '9')
		return -1;
	*out = strtoull(arg, &end, 10);
	(void)opt;
	return *end == '\0' && *out > 0 ? 0 : -1;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option options[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"max-members", required_argument, NULL, OPT_MAX_MEMBERS},
	        {"max-ratio", required_argument, NULL, OPT_MAX_RATIO},
	        {"max-size", required_argument, NULL, OPT_MAX_SIZE},
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

	bundle_read_utf8_names();
	bundle_limits_default(&cli.limits);
	while ((c = getopt_long(argc, argv, "ht:", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			command_print_help(&command_verify, stdout);
			return LP_EXIT_OK;
		case 't':
			cli.trust_path = optarg;
			break;
		case OPT_JSON:
			cli.json = 1;
			break;
		case OPT_MAX_MEMBERS:
			if (trust_parse_limit("--max-members", optarg, 0, &cli.limits.max_members))
				return command_usage_error(&command_verify,
				                           "--max-members: not a count: '%s'",
				                           optarg);
			break;
		case OPT_MAX_RATIO:
			if (trust_parse_limit("--max-ratio", optarg, 0, &cli.limits.max_ratio))
				return command_usage_error(
				        &command_verify, "--max-ratio: not a number: '%s'", optarg);
			break;
		case OPT_MAX_SIZE:
			if (trust_parse_limit("--max-size", optarg, 1, &cli.limits.max_size))
				return command_usage_error(&command_verify,
				                           "--max-size: not a size: '%s'", optarg);
			break;
		default:
			return command_usage_error(&command_verify, "unknown option");
		}
	}
	if (optind >= argc)
		return command_usage_error(&command_verify, "no bundle given");
	if (cli.trust_path && trust_store_load(&trust, cli.trust_path, &err) < 0) {
		log_error("--trust %s", err.msg);
		return LP_EXIT_FAILURE;
	}
	ropt.limits = cli.limits;
	ropt.trust = trust;
	if (cli.json)
		jlist = json_array();
	for (int i = optind; i < argc; i++) {
		struct bundle_report rep;
		int this_code;

		if (bundle_read_path(argv[i], &ropt, &rep, &err) < 0) {
			n_failed++;
			code = trust_worst_exit(code, LP_EXIT_FAILURE);
			if (jlist) {
				json_array_append_new(jlist, json_pack("{s:s,s:s,s:i,s:s}", "path",
				                                       argv[i], "outcome", "error",
				                                       "exit_code", LP_EXIT_FAILURE,
				                                       "error", err.msg));
			} else {
				printf("%s: cannot read: %s\n", argv[i], err.msg);
			}
			continue;
		}
		this_code = trust_outcome_exit(rep.outcome);
		code = trust_worst_exit(code, this_code);
		counts[rep.outcome]++;
		if (jlist) {
			json_array_append_new(jlist, trust_report_json(argv[i], &rep));
		} else {
			char *line = trust_outcome_line(&rep);

			printf("%s: %s\n", argv[i], line);
			free(line);
		}
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
