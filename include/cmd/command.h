/* The command table: one entry per subcommand, each defined in its own src/cmd-*.c. */
#ifndef LOGPACK_COMMAND_H
#define LOGPACK_COMMAND_H

#include <getopt.h>
#include <stdio.h>

struct command {
	const char *name;
	const char *usage;   /* one line, after "logpack " */
	const char *summary; /* what it does, for "logpack --help" */
	const char *help;    /* the full option list for "logpack COMMAND --help" */
	/* Instead of help: for commands whose option list is made from an option table. */
	void (*print_help)(FILE *fp);
	int (*run)(int argc, char **argv);
};

extern const struct command command_collect;
extern const struct command command_decrypt;
extern const struct command command_encrypt;
extern const struct command command_verify;
extern const struct command command_verify_receipt;
extern const struct command command_show;
extern const struct command command_extract;
extern const struct command command_keygen;
extern const struct command command_profiles;
extern const struct command command_receive;
extern const struct command command_redact;
extern const struct command command_incident;
extern const struct command command_journal;
extern const struct command command_snapshot;
extern const struct command command_schedule;
extern const struct command command_upload;

/* Print "usage: logpack <usage>" and the help text of cmd to fp. */
void command_print_help(const struct command *cmd, FILE *fp);
/* For a bad option or argument: the reason and the usage line on stderr. Returns LP_EXIT_USAGE. */
int command_usage_error(const struct command *cmd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/*
 * getopt_long for a command's own options, with what every command shares: the global
 * -v/--verbose and -q/--quiet are taken here, after the command name as before it (unless the
 * command has a -v or -q of its own, which it then gets), and nothing is printed. Returns as
 * getopt_long does, except that an unknown option and a missing value both return '?': pass
 * that to command_option_error.
 */
int command_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
/*
 * The one message for the '?' that command_getopt returned: "unknown option '--x'" or
 * "option '--x' needs a value", with cmd's usage. Returns LP_EXIT_USAGE.
 */
int command_option_error(const struct command *cmd);
/* The same message alone, for main's own options. */
const char *command_option_problem(void);

/*
 * For commands that read a subcommand first ("profiles list", "incident check"): take the
 * global -v/-q given between the command name and the subcommand ("-v", "-vv", "--verbose",
 * "-q", "--quiet"), so that argv[1] is the subcommand. argv[0] moves up over what was taken.
 */
void command_take_leading_verbosity(int *argc, char ***argv);
/* The global -v (say more; repeat for debug output) and -q (only errors). */
void command_more_verbose(void);
void command_quiet(void);

#endif
