/* What every command shares: its help, its usage errors, and its getopt loop. */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "base/util.h"
#include "cmd/command.h"

void command_print_help(const struct command *cmd, FILE *fp)
{
	fprintf(fp, "usage: logpack %s\n\n%s.\n", cmd->usage, cmd->summary);
	if (cmd->print_help) {
		fputc('\n', fp);
		cmd->print_help(fp);
	} else if (cmd->help) {
		fprintf(fp, "\n%s", cmd->help);
	}
}

int command_usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("logpack: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: logpack %s\n(see 'logpack %s --help')\n", cmd->usage, cmd->name);
	return LP_EXIT_USAGE;
}

void command_more_verbose(void)
{
	log_level = log_level < LOG_NORMAL ? LOG_VERBOSE : log_level + 1;
}

void command_quiet(void)
{
	log_level = LOG_QUIET;
}

/* "-v", "-vvq", "--verbose", "--quiet": an argument made only of the global verbosity flags. */
static int is_verbosity_flags(const char *arg)
{
	if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "--quiet") == 0)
		return 1;
	if (arg[0] != '-' || arg[1] == '\0')
		return 0;
	return strspn(arg + 1, "vq") == strlen(arg + 1);
}

void command_take_leading_verbosity(int *argc, char ***argv)
{
	while (*argc > 1 && is_verbosity_flags((*argv)[1])) {
		const char *arg = (*argv)[1];

		if (strcmp(arg, "--verbose") == 0)
			command_more_verbose();
		else if (strcmp(arg, "--quiet") == 0)
			command_quiet();
		else
			for (const char *f = arg + 1; *f; f++)
				*f == 'v' ? command_more_verbose() : command_quiet();
		(*argv)[1] = (*argv)[0];
		(*argv)++;
		(*argc)--;
	}
}

/*
 * The command's tables with -v/--verbose and -q/--quiet added, built once per table. A
 * process runs one command, so one slot is enough; the memory stays reachable until exit.
 */
static struct {
	const char *shortopts;
	const struct option *longopts;
	char *merged_short;
	struct option *merged_long;
	int take_v, take_q;
	char bad[80]; /* the option command_option_error names */
	int missing;  /* it lacked its value (else it is unknown) */
} getopt_state;

static int command_owns(const char *shortopts, const struct option *longopts, int letter,
                        const char *name)
{
	if (strchr(shortopts, letter))
		return 1;
	for (const struct option *o = longopts; o->name; o++)
		if (o->val == letter || strcmp(o->name, name) == 0)
			return 1;
	return 0;
}

static void getopt_prepare(const char *shortopts, const struct option *longopts)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;
	const char *p = shortopts;

	if (getopt_state.shortopts == shortopts && getopt_state.longopts == longopts)
		return;
	free(getopt_state.merged_short);
	free(getopt_state.merged_long);
	getopt_state.shortopts = shortopts;
	getopt_state.longopts = longopts;
	/* A leading '+' or '-' stays first; ':' after it tells a missing value from an unknown
	 * option. */
	if (*p == '+' || *p == '-')
		strbuf_addch(&sb, *p++);
	strbuf_addch(&sb, ':');
	if (*p == ':')
		p++;
	strbuf_addstr(&sb, p);
	getopt_state.take_v = !command_owns(shortopts, longopts, 'v', "verbose");
	getopt_state.take_q = !command_owns(shortopts, longopts, 'q', "quiet");
	if (getopt_state.take_v)
		strbuf_addch(&sb, 'v');
	if (getopt_state.take_q)
		strbuf_addch(&sb, 'q');
	getopt_state.merged_short = strbuf_detach(&sb);
	while (longopts[n].name)
		n++;
	getopt_state.merged_long = xreallocarray(NULL, n + 3, sizeof(struct option));
	memcpy(getopt_state.merged_long, longopts, n * sizeof(struct option));
	if (getopt_state.take_v)
		getopt_state.merged_long[n++] = (struct option){"verbose", no_argument, NULL, 'v'};
	if (getopt_state.take_q)
		getopt_state.merged_long[n++] = (struct option){"quiet", no_argument, NULL, 'q'};
	getopt_state.merged_long[n] = (struct option){NULL, 0, NULL, 0};
}

/* Remember which option went wrong, as the user wrote it (a long one without its "=value"). */
static void getopt_note_bad(char **argv, int missing)
{
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;

	getopt_state.missing = missing;
	if (arg && strncmp(arg, "--", 2) == 0 && (missing || optopt == 0))
		snprintf(getopt_state.bad, sizeof(getopt_state.bad), "%.*s", (int)strcspn(arg, "="),
		         arg);
	else
		snprintf(getopt_state.bad, sizeof(getopt_state.bad), "-%c", optopt);
}

int command_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	int c;

	getopt_prepare(shortopts, longopts);
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, getopt_state.merged_short, getopt_state.merged_long,
		                NULL);
		if (c == 'v' && getopt_state.take_v)
			command_more_verbose();
		else if (c == 'q' && getopt_state.take_q)
			command_quiet();
		else
			break;
	}
	if (c == '?' || c == ':') {
		getopt_note_bad(argv, c == ':');
		return '?';
	}
	return c;
}

const char *command_option_problem(void)
{
	static char text[128];

	if (getopt_state.missing)
		snprintf(text, sizeof(text), "option '%s' needs a value", getopt_state.bad);
	else
		snprintf(text, sizeof(text), "unknown option '%s'", getopt_state.bad);
	return text;
}

int command_option_error(const struct command *cmd)
{
	return command_usage_error(cmd, "%s", command_option_problem());
}
