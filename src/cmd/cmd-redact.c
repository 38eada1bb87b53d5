/* logpack redact: a pseudonymised bundle derived from a verified one (first version). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "base/printable.h"
#include "bundle/names.h"
#include "bundle/redact.h"
#include "cmd/command.h"
#include "cmd/signals.h"
#include "report/incident.h"
#include "report/journal-export.h"
#include "trust/pseudo.h"
#include "trust/sign.h"

static int cmd_redact(int argc, char **argv);

const struct command command_redact = {
        .name = "redact",
        .usage =
                "redact --key INCIDENT.key --map MAPFILE [--keep ADDR|CIDR|NAME]... [--words FILE] "
                "[--tlp LABEL] [--keep-incident] [--keep-contacts] [--name-source-signer] [-j N] "
                "[--json] "
                "[--sign-key KEY --sign-cert CERT] [-o DIR] BUNDLE | "
                "redact --reveal TOKEN --key INCIDENT.key --map MAPFILE",
        .summary = "derive a pseudonymised bundle (logs, login records, journals, tag files)",
        .help = "Options:\n"
                "  -k, --key FILE     the incident key (logpack keygen --incident)\n"
                "  -m, --map FILE     write the private reverse map here (mode 0600; never\n"
                "                     inside the output directory, never over a file)\n"
                "      --keep VALUE   keep in clear: an address, a range (CIDR), or a name (a\n"
                "                     domain, a word), even a listed one; repeatable\n"
                "      --keep-incident  carry the incident report, redacted like a log (its\n"
                "                     reporter's names are replaced; other names stay unless\n"
                "                     listed with --words: read it)\n"
                "      --keep-contacts  carry the source's Source-Organization and Contact-*\n"
                "                     bag-info fields (left out by default)\n"
                "      --name-source-signer  name the source's signer in bag-info\n"
                "                     (LogPack-Source-Signer; left out by default)\n"
                "      --tlp LABEL    the derived bundle's TLP (CLEAR, GREEN, AMBER,\n"
                "                     AMBER+STRICT, RED); default: the source's, if any\n"
                "      --words FILE   names to replace, one a line ('#' starts a comment)\n"
                "  -j, --jobs N       threads that tokenise (default: one per CPU this\n"
                "                     process may use; 1: none, all in one)\n"
                "  -o, --out DIR      where the derived bundle goes (default: .)\n"
                "      --json         what was written as one JSON document on stdout\n"
                "                     (bundle, sha256, map, key_id, derived_from, signer,\n"
                "                     files_redacted, replacements, dropped); else its path\n"
                "      --reveal TOKEN print the type and original of a replacement, from the\n"
                "                     map (which must have been written under --key); exit 1\n"
                "                     when the map does not hold it\n"
                "      --sign-key KEY     sign the derived bundle with this private key (PEM)\n"
                "      --sign-cert CERT   the signer's certificate (PEM)\n"
                "      --sign-chain FILE  intermediate certificates to include (PEM)\n"
                "      --passphrase-file F  the signing key's passphrase\n"
                "  -h, --help         this text\n"
                "\n"
                "The source is verified first; an INVALID source is refused (exit 4). Plain-text\n"
                "payload files are redacted line by line (percent-encoded and base64 text\n"
                "decoded and encoded again), wtmp, btmp, utmp and lastlog record by record\n"
                "(same size, read by last and utmpdump), and gzip, xz, zstd and bzip2 ones\n"
                "of either kind are decompressed, redacted and compressed again in their\n"
                "format; every other member is dropped and listed. The derived bundle is\n"
                "signed only with the key given here (never with the source's signature, nor\n"
                "with a key from the configuration file), and does not name the source's\n"
                "signer. Pseudonymised data is still personal data: see docs/redaction.md.\n",
        .run = cmd_redact,
};

/* redact's journal reader: logpack's own, over the spooled file (bundle/redact.h). */
static int export_journal(int fd, uint64_t size,
                          int (*write)(void *ctx, const void *buf, size_t len, struct error *err),
                          void *ctx, struct error *err)
{
	struct journal_fd_reader *reader = malloc(sizeof(*reader));
	struct journal_export_counts counts;
	int r;

	if (reader == NULL) {
		error_set(err, "out of memory");
		return -1;
	}
	journal_fd_reader_init(reader, fd);
	r = journal_export(journal_read_fd, reader, size, write, ctx, &counts, err);
	free(reader);
	return r;
}

enum {
	OPT_KEEP = 256,
	OPT_WORDS,
	OPT_REVEAL,
	OPT_SIGN_KEY,
	OPT_SIGN_CERT,
	OPT_SIGN_CHAIN,
	OPT_PASSPHRASE_FILE,
	OPT_TLP,
	OPT_KEEP_CONTACTS,
	OPT_KEEP_INCIDENT,
	OPT_NAME_SOURCE_SIGNER,
	OPT_JSON
};

/* The names of a --words file: one a line, '#' comments and blank lines skipped. */
static int read_words(const char *path, char **text, char ***words, size_t *n)
{
	size_t len = 0;
	char *p, *line;

	if (read_small_file(path, 16u << 20, text, &len) < 0) {
		log_error("--words %s: %s", path, read_small_strerror(errno));
		return -1;
	}
	for (p = *text; (line = strsep(&p, "\n")) != NULL;) {
		size_t l = strlen(line);

		while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
			line[--l] = '\0';
		if (l == 0 || line[0] == '#')
			continue;
		*words = xreallocarray(*words, *n + 1, sizeof(char *));
		(*words)[(*n)++] = line;
	}
	return 0;
}

/* --reveal: the originals behind one replacement, from a map of this key. */
static int reveal_token(const char *token, const char *key_path, const char *map_path)
{
	uint8_t key[PSEUDO_KEY_LEN];
	struct pseudo_keys keys;
	struct error err = {{0}};
	long found;

	if (pseudo_key_load(key_path, key, &err) < 0) {
		log_error("--key %s", err.msg);
		return LP_EXIT_FAILURE;
	}
	if (pseudo_keys_derive(key, &keys, &err) < 0) {
		OPENSSL_cleanse(key, sizeof(key));
		log_error("--key %s: %s", key_path, err.msg);
		return LP_EXIT_FAILURE;
	}
	OPENSSL_cleanse(key, sizeof(key));
	found = redact_reveal(map_path, keys.key_id, token, stdout, &err);
	pseudo_keys_wipe(&keys);
	if (found < 0) {
		log_error("%s", err.msg);
		return LP_EXIT_FAILURE;
	}
	if (found == 0) {
		log_error("%s: the map %s holds no such replacement", token, map_path);
		return LP_EXIT_PARTIAL;
	}
	return LP_EXIT_OK;
}

/* --json: what was written, for scripts (one document on stdout). 0, or -1 (out of memory). */
static int print_summary_json(const struct redact_summary *sum, const char *map_path,
                              const char *signer)
{
	json_t *o = json_object(), *dropped = json_array();
	char *text;
	int bad = o == NULL || dropped == NULL;

	bad |= json_object_set_new(o, "bundle", bundle_json_text(sum->bundle_path)) < 0;
	bad |= json_object_set_new(o, "sha256", json_string(sum->bundle_sha256)) < 0;
	bad |= json_object_set_new(o, "bundle_bytes", json_integer((json_int_t)sum->bundle_bytes)) <
	       0;
	bad |= json_object_set_new(o, "map", bundle_json_text(map_path)) < 0;
	bad |= json_object_set_new(o, "key_id", json_string(sum->key_id)) < 0;
	bad |= json_object_set_new(o, "derived_from",
	                           sum->source_tagmanifest_sha256[0]
	                                   ? json_string(sum->source_tagmanifest_sha256)
	                                   : json_null()) < 0;
	bad |= json_object_set_new(o, "signed", json_boolean(signer != NULL)) < 0;
	bad |= json_object_set_new(o, "signer", signer ? bundle_json_text(signer) : json_null()) <
	       0;
	bad |= json_object_set_new(o, "files_redacted",
	                           json_integer((json_int_t)sum->transformed)) < 0;
	bad |= json_object_set_new(o, "replacements", json_integer((json_int_t)sum->replacements)) <
	       0;
	for (size_t i = 0; i < sum->n_dropped; i++) {
		json_t *d = json_object();

		bad |= d == NULL ||
		       json_object_set_new(d, "path", bundle_json_text(sum->dropped[i].name)) < 0 ||
		       json_object_set_new(d, "reason", bundle_json_text(sum->dropped[i].reason)) <
		               0;
		bad |= json_array_append_new(dropped, d) < 0;
	}
	bad |= json_object_set(o, "dropped", dropped) < 0;
	json_decref(dropped);
	text = bad ? NULL : json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL)
		return -1;
	printf("%s\n", text);
	free(text);
	return 0;
}

static int cmd_redact(int argc, char **argv)
{
	static const struct option options[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"jobs", required_argument, NULL, 'j'},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"keep", required_argument, NULL, OPT_KEEP},
	        {"keep-contacts", no_argument, NULL, OPT_KEEP_CONTACTS},
	        {"keep-incident", no_argument, NULL, OPT_KEEP_INCIDENT},
	        {"key", required_argument, NULL, 'k'},
	        {"map", required_argument, NULL, 'm'},
	        {"name-source-signer", no_argument, NULL, OPT_NAME_SOURCE_SIGNER},
	        {"out", required_argument, NULL, 'o'},
	        {"passphrase-file", required_argument, NULL, OPT_PASSPHRASE_FILE},
	        {"reveal", required_argument, NULL, OPT_REVEAL},
	        {"sign-cert", required_argument, NULL, OPT_SIGN_CERT},
	        {"sign-chain", required_argument, NULL, OPT_SIGN_CHAIN},
	        {"sign-key", required_argument, NULL, OPT_SIGN_KEY},
	        {"tlp", required_argument, NULL, OPT_TLP},
	        {"words", required_argument, NULL, OPT_WORDS},
	        {NULL, 0, NULL, 0},
	};
	struct redact_options ro = {0};
	struct redact_summary sum = {0};
	const char *key_path = NULL, *words_path = NULL, *reveal = NULL;
	struct {
		const char *key, *cert, *chain, *passphrase_file;
	} sign = {0};
	struct signer *signer = NULL;
	const char **keep = NULL;
	char *words_text = NULL, **words = NULL;
	size_t n_keep = 0, n_words = 0;
	uint8_t key[PSEUDO_KEY_LEN];
	struct error err = {{0}};
	enum redact_status st;
	int c, json = 0, rc = LP_EXIT_FAILURE;

	ro.output_dir = ".";
	ro.journal_export = export_journal;
	while ((c = command_getopt(argc, argv, "hj:k:m:o:", options)) != -1) {
		switch (c) {
		case 'h':
			command_print_help(&command_redact, stdout);
			free(keep);
			return LP_EXIT_OK;
		case 'j': {
			char *end;
			long jobs = strtol(optarg, &end, 10);

			if (*optarg < '0' || *optarg > '9' || *end || jobs < 1 || jobs > 256) {
				free(keep);
				return command_usage_error(
				        &command_redact,
				        "--jobs: '%s' is not a number from 1 to 256", optarg);
			}
			ro.jobs = (int)jobs;
			break;
		}
		case 'k':
			key_path = optarg;
			break;
		case 'm':
			ro.map_path = optarg;
			break;
		case 'o':
			ro.output_dir = optarg;
			break;
		case OPT_KEEP:
			keep = xreallocarray(keep, n_keep + 1, sizeof(*keep));
			keep[n_keep++] = optarg;
			break;
		case OPT_WORDS:
			words_path = optarg;
			break;
		case OPT_REVEAL:
			reveal = optarg;
			break;
		case OPT_TLP:
			if ((ro.tlp = incident_tlp_label(optarg)) == NULL) {
				free(keep);
				return command_usage_error(
				        &command_redact,
				        "--tlp: '%s' is not CLEAR, GREEN, AMBER, "
				        "AMBER+STRICT or RED",
				        optarg);
			}
			break;
		case OPT_KEEP_INCIDENT:
			ro.keep_incident = 1;
			break;
		case OPT_KEEP_CONTACTS:
			ro.keep_contacts = 1;
			break;
		case OPT_NAME_SOURCE_SIGNER:
			ro.name_source_signer = 1;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_SIGN_KEY:
			sign.key = optarg;
			break;
		case OPT_SIGN_CERT:
			sign.cert = optarg;
			break;
		case OPT_SIGN_CHAIN:
			sign.chain = optarg;
			break;
		case OPT_PASSPHRASE_FILE:
			sign.passphrase_file = optarg;
			break;
		default:
			free(keep);
			return command_option_error(&command_redact);
		}
	}
	if (reveal) {
		free(keep);
		if (optind != argc || key_path == NULL || ro.map_path == NULL)
			return command_usage_error(
			        &command_redact, optind != argc ? "--reveal takes no BUNDLE"
			                                        : "--reveal needs --key and --map");
		return reveal_token(reveal, key_path, ro.map_path);
	}
	if (optind + 1 != argc || key_path == NULL || ro.map_path == NULL) {
		free(keep);
		return command_usage_error(&command_redact, optind + 1 != argc
		                                                    ? "one BUNDLE is needed"
		                                                    : "--key and --map are needed");
	}
	if ((sign.key == NULL) != (sign.cert == NULL) ||
	    ((sign.chain || sign.passphrase_file) && !sign.key)) {
		free(keep);
		return command_usage_error(&command_redact,
		                           "--sign-key and --sign-cert go together (and "
		                           "--sign-chain and --passphrase-file need them)");
	}
	ro.source_path = argv[optind];
	/* Only the key named here: the configuration file's key is the collecting host's. */
	if (sign.key) {
		struct signer_options so = {.key_path = sign.key,
		                            .cert_path = sign.cert,
		                            .chain_path = sign.chain,
		                            .passphrase_file = sign.passphrase_file};

		if (signer_load(&signer, &so, &err) < 0) {
			log_error("signing key: %s", err.msg);
			goto out;
		}
		ro.sign = signer_sign;
		ro.sign_ctx = signer;
	}
	if (words_path && read_words(words_path, &words_text, &words, &n_words) < 0)
		goto out;
	if (pseudo_key_load(key_path, key, &err) < 0) {
		log_error("--key %s", err.msg);
		goto out;
	}
	ro.key = key;
	ro.keep = keep;
	ro.n_keep = n_keep;
	ro.words = (const char *const *)words;
	ro.n_words = n_words;
	ro.now = (int64_t)time(NULL);
	signals_install_bundle_cleanup();
	st = redact_bundle(&ro, &sum, &err);
	OPENSSL_cleanse(key, sizeof(key));
	if (st != REDACT_OK) {
		log_error("%s", err.msg);
		rc = st == REDACT_SOURCE_INVALID ? LP_EXIT_INVALID : LP_EXIT_FAILURE;
		goto out;
	}
	for (size_t i = 0; i < sum.n_dropped; i++) {
		const struct redact_dropped *d = &sum.dropped[i];
		/* The names are a stranger's: terminal controls in them are shown, not sent. */
		char *name = printable(d->name), *reason = printable(d->reason);

		if (strcmp(d->reason, "not plain text") == 0)
			log_warn("dropped (not plain text): %s", name);
		else
			log_warn("dropped (not plain text): %s: %s", name, reason);
		free(name);
		free(reason);
	}
	log_info("redacted %llu plain-text files, dropped %zu members; reverse map %s (mode 0600)",
	         (unsigned long long)sum.transformed, sum.n_dropped, ro.map_path);
	if (signer)
		log_info("signed by %s", signer_subject(signer));
	else
		log_info("not signed (give --sign-key and --sign-cert)");
	if (!json) {
		printf("%s\n", sum.bundle_path);
	} else if (print_summary_json(&sum, ro.map_path, signer ? signer_subject(signer) : NULL) <
	           0) {
		log_error("--json: out of memory: the bundle %s and the map %s are written",
		          sum.bundle_path, ro.map_path);
		goto out;
	}
	rc = LP_EXIT_OK;
out:
	signer_free(signer);
	OPENSSL_cleanse(key, sizeof(key));
	redact_summary_free(&sum);
	free(keep);
	free(words);
	free(words_text);
	return rc;
}
