/* The command table: one entry per subcommand, each defined in its own src/cmd-*.c. */
#ifndef LOGPACK_COMMAND_H
#define LOGPACK_COMMAND_H

#include <stdio.h>

struct command {
	const char *name;
	const char *usage;   /* one line, after "logpack " */
	const char *summary; /* what it does, for "logpack --help" */
	const char *help;    /* the full option list for "logpack COMMAND --help" */
	int (*run)(int argc, char **argv);
};

extern const struct command command_collect;
extern const struct command command_decrypt;
extern const struct command command_verify;
extern const struct command command_show;
extern const struct command command_extract;
extern const struct command command_keygen;
extern const struct command command_profiles;
extern const struct command command_incident;
extern const struct command command_snapshot;
extern const struct command command_schedule;
extern const struct command command_upload;

/* Print "usage: logpack <usage>" and the help text of cmd to fp. */
void command_print_help(const struct command *cmd, FILE *fp);
/* For a bad option or argument: the reason and the usage line on stderr. Returns LP_EXIT_USAGE. */
int command_usage_error(const struct command *cmd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

#endif
