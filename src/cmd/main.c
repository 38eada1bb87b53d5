/* Global options, the command table and dispatch. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "cmd/command.h"
#include "cmd/version.h"

/*
 * Sorted by name; "help" is handled here. One entry a line: clang-format would pack eight or
 * more into columns.
 */
/* clang-format off */
static const struct command *const commands[] = {
	&command_collect,
	&command_decrypt,
	&command_encrypt,
	&command_extract,
	&command_incident,
	&command_journal,
	&command_keygen,
	&command_profiles,
	&command_receive,
	&command_redact,
	&command_schedule,
	&command_show,
	&command_snapshot,
	&command_upload,
	&command_verify,
	&command_verify_receipt,
	NULL,
};
/* clang-format on */

static void print_main_usage(FILE *fp)
{
	size_t width = 0; /* the longest name: the summaries in one column */

	fprintf(fp, "usage: logpack [--verbose|--quiet] COMMAND [OPTIONS]\n"
	            "       logpack --help | --version | help COMMAND\n\n"
	            "Collect a host's logs into a signed, verifiable bundle, and check bundles.\n\n"
	            "Commands:\n");
	for (size_t i = 0; commands[i]; i++)
		if (strlen(commands[i]->name) > width)
			width = strlen(commands[i]->name);
	for (size_t i = 0; commands[i]; i++)
		fprintf(fp, "  %-*s %s\n", (int)width, commands[i]->name, commands[i]->summary);
	fprintf(fp, "\nGlobal options:\n"
	            "  -v, --verbose   say more (repeat for debug output)\n"
	            "  -q, --quiet     only errors\n"
	            "                  (-v and -q are taken after the command name too)\n"
	            "  -h, --help      this text\n"
	            "  -V, --version   the version\n\n"
	            "Run 'logpack help COMMAND' for a command's options. Exit codes: see "
	            "logpack(1).\n");
}

/* Find a command by exact name or unambiguous prefix; names the candidates when ambiguous. */
static const struct command *command_find(const char *name)
{
	const struct command *found = NULL;
	size_t len = strlen(name), matches = 0;

	for (size_t i = 0; commands[i]; i++) {
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
		if (strncmp(commands[i]->name, name, len) == 0) {
			found = commands[i];
			matches++;
		}
	}
	if (matches == 1)
		return found;
	if (matches > 1) {
		fprintf(stderr, "logpack: ambiguous command '%s', could be:", name);
		for (size_t i = 0; commands[i]; i++)
			if (strncmp(commands[i]->name, name, len) == 0)
				fprintf(stderr, " %s", commands[i]->name);
		fputc('\n', stderr);
	} else {
		fprintf(stderr, "logpack: unknown command '%s'\n", name);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	const struct command *cmd;
	int c, want_version = 0;

	if (crypto_init_no_config() < 0)
		return LP_EXIT_FAILURE;
	locale_use_utf8();
	command_line_argc = argc;
	command_line_argv = argv;
	/* '+': stop at the command name; its options belong to it. */
	while ((c = command_getopt(argc, argv, "+hqvV", options)) != -1) {
		switch (c) {
		case 'h':
			print_main_usage(stdout);
			return LP_EXIT_OK;
		case 'q':
			command_quiet();
			break;
		case 'v':
			command_more_verbose();
			break;
		case 'V':
			want_version = 1; /* after the loop: --version --verbose says more */
			break;
		default:
			fprintf(stderr, "logpack: %s\n", command_option_problem());
			print_main_usage(stderr);
			return LP_EXIT_USAGE;
		}
	}
	if (want_version) {
		version_print(stdout, log_level >= LOG_VERBOSE);
		return LP_EXIT_OK;
	}
	if (optind >= argc) {
		print_main_usage(stderr);
		return LP_EXIT_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		if (optind + 1 >= argc) {
			print_main_usage(stdout);
			return LP_EXIT_OK;
		}
		if ((cmd = command_find(argv[optind + 1])) == NULL)
			return LP_EXIT_USAGE;
		command_print_help(cmd, stdout);
		return LP_EXIT_OK;
	}
	if ((cmd = command_find(argv[optind])) == NULL) {
		print_main_usage(stderr);
		return LP_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	optind = 0; /* reset getopt for the command's own parser */
	return cmd->run(argc, argv);
}
