/* logpack verify: are these bundles complete, unaltered, signed, and by whom? */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "base/printable.h"
#include "bundle/bundle-read.h"
#include "bundle/redact.h"
#include "bundle/verdict.h"
#include "cmd/cmd-chain.h"
#include "cmd/command.h"
#include "cmd/key-opts.h"
#include "cmd/verify-batch.h"
#include "cmd/verify-label.h"
#include "report/incident.h"
#include "trust/pseudo.h"
#include "trust/sign.h"

static int cmd_verify(int argc, char **argv);

const struct command command_verify = {
        .name = "verify",
        .usage = "verify [--trust FILE|DIR] [--require LEVEL] [--json] [--parallel N] "
                 "[--chain] [--key KEY [--cert CERT] [--passphrase-file FILE]] "
                 "[--journal-verify-key FILE] BUNDLE|BAGDIR|DIR... | "
                 "verify --source ORIGINAL --key INCIDENT.key DERIVED",
        .summary = "check that bundles are complete, unaltered and signed by a trusted signer",
        .help = "Options:\n"
                "      --cert CERT        with --key for a CMS pair: the receiver's certificate\n"
                "                         (needed to check that it is a named recipient)\n"
                "      --chain            the bundles (or the bundles in a DIR) are one series of\n"
                "                         snapshots: verify each, then the chain (sequence,\n"
                "                         links, one series), and list its anomalies\n"
                "  -t, --trust FILE|DIR   trusted signers: PEM certificates in a file, or the\n"
                "                         *.pem/*.crt/*.cer files of a directory\n"
                "      --journal-verify-key FILE  check the seal (Forward Secure Sealing) of\n"
                "                         every journal file in the bundle with the key that\n"
                "                         journalctl --setup-keys printed, read from FILE (mode\n"
                "                         0600 or stricter, yours); one line per journal file\n"
                "                         after the verdict\n"
                "      --json             one JSON document on stdout\n"
                "  -k, --key KEY          read encrypted bundles (X.gpg, X.age, or the CMS pair\n"
                "                         X.p7m + X.enc, named by either) with the receiver's\n"
                "                         key, as logpack decrypt takes it; nothing decrypted\n"
                "                         touches the disk\n"
                "      --max-members N    stop past N members (default 2000000)\n"
                "      --max-memory SIZE  stop when the names and checksums kept need more\n"
                "                         than SIZE of memory (default 128M)\n"
                "      --max-size SIZE    stop past SIZE bytes of content (default 1T)\n"
                "      --max-ratio N      stop past a compression ratio of N (default 1000),\n"
                "                         judged once past --ratio-after of content\n"
                "      --ratio-after SIZE the content read before the ratio is judged\n"
                "                         (default 4G): honest runs of zeros pass\n"
                "      --parallel N       check N bundles at once, each in its own process\n"
                "                         (default 1)\n"
                "      --passphrase-file FILE  the key's passphrase (first line; mode 0600);\n"
                "                         else $LOGPACK_KEY_PASSPHRASE, else the terminal\n"
                "      --source ORIGINAL  DERIVED was made by logpack redact: check every link\n"
                "                         of its logpack/redaction.json against ORIGINAL, with\n"
                "                         the incident key given by --key (exit 4 when one does\n"
                "                         not hold); both must be valid, neither encrypted\n"
                "      --require LEVEL    exit 0 only for bundles that are at least LEVEL:\n"
                "                         trusted, signed or valid (default: trusted with\n"
                "                         --trust, else valid, which proves integrity, not\n"
                "                         origin)\n"
                "  -h, --help             this text\n"
                "\n"
                "Each BUNDLE is a logpack bundle (or any tar of one BagIt bag, compressed or "
                "not);\n"
                "each BAGDIR a bag directory (one with bagit.txt); any other DIR stands for the\n"
                "bundle files in it, by name; - reads a bundle from standard input (gpg -d\n"
                "X.gpg | logpack verify -). One line per bundle; after several, a table\n"
                "(host, time, signer, trust, TLP, case, verdict) and the counts. A label\n"
                "(X.label.json, see 'logpack encrypt --label'), or an encrypted file with its\n"
                "label beside it, is checked as a label: its signature, each file's size and\n"
                "SHA-256; exit 9 when intact (the contents are not verifiable), 4 if not;\n"
                "with --key an encrypted file is decrypted and judged instead.\n"
                "An encrypted bundle is judged only after the cipher's own check at its very\n"
                "end (OpenPGP's MDC, age's last chunk, the GCM tag). One decrypted with a key\n"
                "that its bag-info.txt does not name among the recipients (LogPack-Encrypted-To)\n"
                "gets a warning; the verdict and exit code stay those of its contents.\n"
                "\n"
                "Exit: 0 the bundle meets the required level; else 5 valid and signed but NOT\n"
                "trusted; 6 valid but unsigned; 4 INVALID (also: the encrypted file was\n"
                "altered or truncated); 8 incomplete (fetch.txt lists files not there); 9\n"
                "could not check (a pipe whose manifest comes after its payload); 7 with\n"
                "--journal-verify-key: a journal file's seal failed (altered before it was\n"
                "collected; JOURNAL SEAL FAILED, whatever --require); 3 could not be read\n"
                "(also: encrypted and no --key, or not encrypted to the key); 2 usage (also:\n"
                "a key file readable by others). With several bundles, the worst:\n"
                "4, then 3, 9, 8, 7, 5, 6, then 0.\n"
                "With --chain: 4 a bundle or the chain is INVALID, 3 unreadable, 7 whole but\n"
                "anomalies were recorded, else as above.\n",
        .run = cmd_verify,
};

enum {
	OPT_JSON = 256,
	OPT_MAX_MEMBERS,
	OPT_MAX_MEMORY,
	OPT_MAX_RATIO,
	OPT_RATIO_AFTER,
	OPT_MAX_SIZE,
	OPT_CHAIN,
	OPT_REQUIRE,
	OPT_PARALLEL,
	OPT_JOURNAL_VERIFY_KEY,
	OPT_SOURCE,
};

struct verify_cli {
	const char *trust_path;
	int json;
	int chain;
	int has_require;
	unsigned parallel; /* bundles checked at once, each by its own process */
	enum verdict_require require;
	struct bundle_limits limits;
	struct decrypt_key key; /* key.key NULL: no --key */
	const char *journal_key_path;
	const char *source_path; /* --source: DERIVED's original; key.key is the incident key */
};

/*
 * verify --source ORIGINAL --key INCIDENT.key DERIVED: the derived bundle's own verdict, then
 * every link of its redaction.json against the original. Here --key is the incident key: the
 * link check reads both bundles as they are, so neither may be encrypted (decrypt first).
 */
static int verify_derived(struct verify_cli *cli, int n, char **paths)
{
	struct verify_batch batch = {0};
	struct bundle_read_options ropt = {0};
	struct trust_store *trust = NULL;
	struct redact_link_report links;
	uint8_t key[PSEUDO_KEY_LEN];
	struct error err = {{0}};
	const struct verify_item *it;
	int code, rc;

	/* No operand at all is refused before this, as for any verify. */
	if (n != 1) {
		/* A glob like "out/x.tar.*" also takes the .sha256 sidecar: name what came. */
		int sidecar = 0;

		for (int i = 0; i < n; i++)
			sidecar |= str_has_suffix(paths[i], ".sha256");
		return command_usage_error(
		        &command_verify, "--source checks one DERIVED bundle, got %d (%s %s%s)%s",
		        n, paths[0], paths[1], n > 2 ? " ..." : "",
		        sidecar ? ": give the bundle, not its .sha256 sidecar" : "");
	}
	if (cli->key.key == NULL)
		return command_usage_error(&command_verify,
		                           "--source needs the incident key (--key INCIDENT.key)");
	if (cli->chain || cli->journal_key_path || cli->key.cert || cli->key.passphrase_file)
		return command_usage_error(&command_verify,
		                           "--source goes with --key, --trust, --require and "
		                           "--json only");
	if (pseudo_key_load(cli->key.key, key, &err) < 0) {
		log_error("--key %s (with --source, --key is the incident key)", err.msg);
		return LP_EXIT_USAGE;
	}
	if (cli->trust_path && trust_store_load(&trust, cli->trust_path, &err) < 0) {
		OPENSSL_cleanse(key, sizeof(key));
		log_error("--trust %s", err.msg);
		return LP_EXIT_FAILURE;
	}
	if (!cli->has_require)
		cli->require = verdict_default_require(trust != NULL);
	ropt.limits = cli->limits;
	ropt.trust = trust;
	batch.items = xcalloc(1, sizeof(*batch.items));
	batch.items[0].path = xstrdup(paths[0]);
	batch.n = 1;
	verify_batch_run(&batch, &ropt, cli->require, 1, cli->json);
	it = &batch.items[0];
	code = it->code;
	rc = redact_links_check(paths[0], cli->source_path, key, &links, &err);
	if (rc < 0) {
		char *shown = printable(err.msg);

		log_error("links of %s: %s", paths[0], shown);
		free(shown);
		code = verdict_worst_exit(code, rc == -2 ? LP_EXIT_INVALID : LP_EXIT_FAILURE);
	} else if (links.n_problems > 0) {
		code = verdict_worst_exit(code, LP_EXIT_INVALID);
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (cli->json) {
		json_t *problems = json_array();

		for (size_t i = 0; i < links.n_problems; i++)
			json_array_append_new(problems, json_string(links.problems[i]));
		json_object_set_new(
		        it->doc, "links",
		        json_pack("{s:s, s:s?, s:I, s:I, s:o, s:b}", "source", cli->source_path,
		                  "derived_from", links.source_tagmanifest_sha256, "checked",
		                  (json_int_t)links.links, "matched", (json_int_t)links.matched,
		                  "problems", problems, "hold",
		                  rc == 0 && links.source_tagmanifest_sha256 &&
		                          links.n_problems == 0));
		json_object_set_new(it->doc, "exit_code", json_integer(code));
		json_dumpf(it->doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
	} else {
		char *src = printable(cli->source_path);

		printf("%s\n", it->line);
		/* A check that failed part way (rc < 0, said above) holds nothing. */
		if (rc == 0 && links.source_tagmanifest_sha256 && links.n_problems == 0)
			printf("links: all %zu hold: derived from %s\n", links.links, src);
		else if (rc == 0 && links.source_tagmanifest_sha256)
			printf("links: %zu of %zu DO NOT HOLD against %s\n", links.n_problems,
			       links.links, src);
		for (size_t i = 0; i < links.n_problems; i++) {
			char *p = printable(links.problems[i]);

			printf("  %s\n", p);
			free(p);
		}
		free(src);
	}
	redact_link_report_free(&links);
	verify_batch_free(&batch);
	trust_store_free(trust);
	return code;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option options[] = {
	        {"chain", no_argument, NULL, OPT_CHAIN},
	        {"help", no_argument, NULL, 'h'},
	        {"journal-verify-key", required_argument, NULL, OPT_JOURNAL_VERIFY_KEY},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"max-members", required_argument, NULL, OPT_MAX_MEMBERS},
	        {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
	        {"max-ratio", required_argument, NULL, OPT_MAX_RATIO},
	        {"max-size", required_argument, NULL, OPT_MAX_SIZE},
	        {"parallel", required_argument, NULL, OPT_PARALLEL},
	        {"ratio-after", required_argument, NULL, OPT_RATIO_AFTER},
	        {"require", required_argument, NULL, OPT_REQUIRE},
	        {"source", required_argument, NULL, OPT_SOURCE},
	        {"trust", required_argument, NULL, 't'},
	        KEY_LONG_OPTIONS,
	        {NULL, 0, NULL, 0},
	};
	struct verify_cli cli = {.parallel = 1};
	struct verify_batch batch = {0};
	struct bundle_read_options ropt = {0};
	struct trust_store *trust = NULL;
	struct journal_seal_key *seal_key = NULL;
	size_t counts[BUNDLE_N_OUTCOMES] = {0}, n_failed = 0, n_seal_failed = 0;
	json_t *jlist = NULL;
	const char **rest = NULL;
	size_t n_rest = 0;
	struct error err;
	int c, code = LP_EXIT_OK;

	bundle_limits_default(&cli.limits);
	while ((c = command_getopt(argc, argv, "hk:t:", options)) != -1) {
		if (key_opts_option(&cli.key, c, optarg) == 0)
			continue;
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
		case OPT_JOURNAL_VERIFY_KEY:
			cli.journal_key_path = optarg;
			break;
		case OPT_SOURCE:
			cli.source_path = optarg;
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
		case OPT_MAX_MEMORY:
			if (verdict_parse_limit("--max-memory", optarg, 1, &cli.limits.max_memory))
				return command_usage_error(
				        &command_verify, "--max-memory: not a size: '%s'", optarg);
			break;
		case OPT_RATIO_AFTER:
			if (verdict_parse_limit("--ratio-after", optarg, 1,
			                        &cli.limits.ratio_after))
				return command_usage_error(
				        &command_verify, "--ratio-after: not a size: '%s'", optarg);
			break;
		case OPT_MAX_SIZE:
			if (verdict_parse_limit("--max-size", optarg, 1, &cli.limits.max_size))
				return command_usage_error(&command_verify,
				                           "--max-size: not a size: '%s'", optarg);
			break;
		case OPT_PARALLEL: {
			uint64_t n;

			if (verdict_parse_limit("--parallel", optarg, 0, &n) || n < 1 || n > 256)
				return command_usage_error(
				        &command_verify,
				        "--parallel: not a count from 1 to 256: '%s'", optarg);
			cli.parallel = (unsigned)n;
			break;
		}
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
	if (cli.source_path)
		return verify_derived(&cli, argc - optind, argv + optind);
	if (key_opts_check(&cli.key, &command_verify) != LP_EXIT_OK)
		return LP_EXIT_USAGE;
	if (cli.journal_key_path && cli.chain)
		return command_usage_error(&command_verify,
		                           "--journal-verify-key does not go with --chain");
	if (cli.journal_key_path &&
	    (seal_key = key_opts_journal_key(cli.journal_key_path, &err)) == NULL) {
		log_error("%s", err.msg);
		return LP_EXIT_USAGE;
	}
	batch.seal_key = seal_key;
	if (cli.trust_path && trust_store_load(&trust, cli.trust_path, &err) < 0) {
		log_error("--trust %s", err.msg);
		journal_seal_key_free(seal_key);
		return LP_EXIT_FAILURE;
	}
	if (!cli.has_require)
		cli.require = verdict_default_require(trust != NULL);
	ropt.limits = cli.limits;
	ropt.trust = trust;
	ropt.key = cli.key.key ? &cli.key : NULL;
	if (cli.chain) {
		code = chain_cmd_verify((const char *const *)argv + optind, (size_t)(argc - optind),
		                        &ropt, cli.require, cli.json);
		trust_store_free(trust);
		return code;
	}
	if (cli.json)
		jlist = json_array();
	/* Encrypted files with a label: the label is checked, the contents cannot be. */
	code = verify_labels((const char *const *)argv + optind, (size_t)(argc - optind), trust,
	                     ropt.key != NULL, jlist, &rest, &n_rest);
	if (n_rest && verify_batch_expand(&batch, rest, n_rest, &err) < 0) {
		log_error("%s", err.msg);
		trust_store_free(trust);
		journal_seal_key_free(seal_key);
		verify_batch_free(&batch);
		json_decref(jlist);
		free(rest);
		return LP_EXIT_FAILURE;
	}
	free(rest);
	verify_batch_run(&batch, &ropt, cli.require, cli.parallel, cli.json);
	for (size_t i = 0; i < batch.n; i++) {
		const struct verify_item *it = &batch.items[i];

		code = verdict_worst_exit(code, it->code);
		if (json_integer_value(json_object_get(it->doc, "journal_seal_failed")) > 0)
			n_seal_failed++;
		if (it->outcome < 0)
			n_failed++;
		else
			counts[it->outcome]++;
		if (jlist)
			json_array_append(jlist, it->doc);
		else
			printf("%s\n", it->line);
	}
	if (jlist) {
		json_t *doc =
		        json_pack("{s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:i}", "bundles", jlist,
		                  "summary", "trusted", (json_int_t)counts[BUNDLE_VALID_TRUSTED],
		                  "untrusted", (json_int_t)counts[BUNDLE_VALID_UNTRUSTED],
		                  "unsigned", (json_int_t)counts[BUNDLE_VALID_UNSIGNED], "invalid",
		                  (json_int_t)counts[BUNDLE_INVALID], "incomplete",
		                  (json_int_t)counts[BUNDLE_INCOMPLETE], "unchecked",
		                  (json_int_t)counts[BUNDLE_UNCHECKED], "unreadable",
		                  (json_int_t)n_failed, "exit_code", code);

		if (seal_key)
			json_object_set_new(json_object_get(doc, "summary"), "journal_seal_failed",
			                    json_integer((json_int_t)n_seal_failed));
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(doc);
	} else if (batch.n > 1) {
		putchar('\n');
		verify_batch_print_table(&batch, stdout);
		printf("%zu bundles: %zu trusted, %zu NOT trusted, %zu unsigned, %zu INVALID, %zu "
		       "unreadable",
		       batch.n, counts[BUNDLE_VALID_TRUSTED], counts[BUNDLE_VALID_UNTRUSTED],
		       counts[BUNDLE_VALID_UNSIGNED], counts[BUNDLE_INVALID], n_failed);
		if (counts[BUNDLE_INCOMPLETE] || counts[BUNDLE_UNCHECKED])
			printf(", %zu incomplete, %zu not checked", counts[BUNDLE_INCOMPLETE],
			       counts[BUNDLE_UNCHECKED]);
		if (n_seal_failed)
			printf("; %zu with a JOURNAL SEAL FAILED", n_seal_failed);
		putchar('\n');
	}
	journal_seal_key_free(seal_key);
	verify_batch_free(&batch);
	trust_store_free(trust);
	return code;
}
