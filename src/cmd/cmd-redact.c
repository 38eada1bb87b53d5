/* logpack redact: a pseudonymised bundle derived from a verified one (first version). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "bundle/redact.h"
#include "cmd/command.h"
#include "cmd/signals.h"
#include "trust/pseudo.h"

static int cmd_redact(int argc, char **argv);

const struct command command_redact = {
        .name = "redact",
        .usage = "redact --key INCIDENT.key --map MAPFILE [--keep ADDR|CIDR]... [--words FILE] "
                 "[-o DIR] BUNDLE",
        .summary = "derive a pseudonymised bundle (first version: plain-text files only)",
        .help = "Options:\n"
                "  -k, --key FILE     the incident key (logpack keygen --incident)\n"
                "  -m, --map FILE     write the private reverse map here (mode 0600; never\n"
                "                     inside the output directory, never over a file)\n"
                "      --keep ADDR    keep an address or range (CIDR) in clear; repeatable\n"
                "      --words FILE   names to replace, one a line ('#' starts a comment)\n"
                "  -o, --out DIR      where the derived bundle goes (default: .)\n"
                "  -h, --help         this text\n"
                "\n"
                "The source is verified first; an INVALID source is refused (exit 4). Plain-text\n"
                "payload files are redacted line by line; every other member is dropped and\n"
                "listed. Pseudonymised data is still personal data: see docs/redaction.md.\n",
        .run = cmd_redact,
};

enum { OPT_KEEP = 256, OPT_WORDS };

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

static int cmd_redact(int argc, char **argv)
{
	static const struct option options[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"keep", required_argument, NULL, OPT_KEEP},
	        {"key", required_argument, NULL, 'k'},
	        {"map", required_argument, NULL, 'm'},
	        {"out", required_argument, NULL, 'o'},
	        {"words", required_argument, NULL, OPT_WORDS},
	        {NULL, 0, NULL, 0},
	};
	struct redact_options ro = {0};
	struct redact_summary sum = {0};
	const char *key_path = NULL, *words_path = NULL;
	const char **keep = NULL;
	char *words_text = NULL, **words = NULL;
	size_t n_keep = 0, n_words = 0;
	uint8_t key[PSEUDO_KEY_LEN];
	struct error err = {{0}};
	enum redact_status st;
	int c, rc = LP_EXIT_FAILURE;

	ro.output_dir = ".";
	while ((c = command_getopt(argc, argv, "hk:m:o:", options)) != -1) {
		switch (c) {
		case 'h':
			command_print_help(&command_redact, stdout);
			free(keep);
			return LP_EXIT_OK;
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
		default:
			free(keep);
			return command_option_error(&command_redact);
		}
	}
	if (optind + 1 != argc || key_path == NULL || ro.map_path == NULL) {
		free(keep);
		return command_usage_error(&command_redact, optind + 1 != argc
		                                                    ? "one BUNDLE is needed"
		                                                    : "--key and --map are needed");
	}
	ro.source_path = argv[optind];
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
	for (size_t i = 0; i < sum.n_dropped; i++)
		log_warn("dropped (not plain text): %s", sum.dropped[i]);
	log_info("redacted %llu plain-text files, dropped %zu members; reverse map %s (mode 0600)",
	         (unsigned long long)sum.transformed, sum.n_dropped, ro.map_path);
	printf("%s\n", sum.bundle_path);
	rc = LP_EXIT_OK;
out:
	OPENSSL_cleanse(key, sizeof(key));
	redact_summary_free(&sum);
	free(keep);
	free(words);
	free(words_text);
	return rc;
}
