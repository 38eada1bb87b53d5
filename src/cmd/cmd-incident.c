/* logpack incident: write, fill in and check the first-contact report for CERT-SE. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/atomic-file.h"
#include "base/exitcode.h"
#include "base/log.h"
#include "cmd/command.h"
#include "report/incident.h"

#define INCIDENT_DEFAULT_FILE "incident-report.txt"

struct incident_options {
	const char *action; /* "init", "ask" or "check" */
	const char *file;
	int lang; /* enum incident_lang, or -1: not given */
	int json;
};

/* Fill opt; 0 to go on, or -1 to stop at once with *code (after --help, or a usage error). */
static int parse_options(int argc, char **argv, struct incident_options *opt, int *code)
{
	static const struct option options[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"json", no_argument, NULL, 'j'},
	        {"lang", required_argument, NULL, 'l'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	opt->lang = -1;
	command_take_leading_verbosity(&argc, &argv);
	/* The action comes first: "logpack incident init --lang sv FILE". */
	if (argc < 2) {
		*code = command_usage_error(&command_incident, "%s",
		                            "incident: say init, ask, check or show");
		return -1;
	}
	opt->action = argv[1];
	if (strcmp(opt->action, "--help") == 0 || strcmp(opt->action, "-h") == 0) {
		command_print_help(&command_incident, stdout);
		*code = LP_EXIT_OK;
		return -1;
	}
	if (strcmp(opt->action, "init") != 0 && strcmp(opt->action, "ask") != 0 &&
	    strcmp(opt->action, "check") != 0 && strcmp(opt->action, "show") != 0) {
		*code = command_usage_error(
		        &command_incident,
		        "incident: unknown action '%s' (init, ask, check or show)", opt->action);
		return -1;
	}
	argc--;
	argv++;
	optind = 0;
	while ((c = command_getopt(argc, argv, "hjl:", options)) != -1) {
		switch (c) {
		case 'h':
			command_print_help(&command_incident, stdout);
			*code = LP_EXIT_OK;
			return -1;
		case 'j':
			opt->json = 1;
			break;
		case 'l':
			if (strcmp(optarg, "en") == 0)
				opt->lang = INCIDENT_LANG_EN;
			else if (strcmp(optarg, "sv") == 0)
				opt->lang = INCIDENT_LANG_SV;
			else {
				*code = command_usage_error(&command_incident,
				                            "--lang: '%s' is not en or sv", optarg);
				return -1;
			}
			break;
		default:
			*code = command_option_error(&command_incident);
			return -1;
		}
	}
	if (optind + 1 < argc) {
		*code = command_usage_error(&command_incident,
		                            "incident: one file at most, got '%s' too",
		                            argv[optind + 1]);
		return -1;
	}
	opt->file = optind < argc ? argv[optind] : NULL;
	if (strcmp(opt->action, "check") == 0 || strcmp(opt->action, "show") == 0) {
		if (opt->file == NULL) {
			*code = command_usage_error(&command_incident, "%s",
			                            "incident check: which file?");
			return -1;
		}
		if (opt->lang >= 0) {
			*code = command_usage_error(&command_incident, "%s",
			                            "incident check: --lang is for init and ask");
			return -1;
		}
	} else if (opt->json) {
		*code = command_usage_error(&command_incident,
		                            "incident %s: --json is for check and show",
		                            opt->action);
		return -1;
	}
	return 0;
}

/*
 * Write text to path, never over an existing file, mode 0600: the report names people and
 * may be TLP:RED. A crash leaves either no file or the whole of it.
 */
static int write_new_file(const char *path, const char *text, struct error *err)
{
	struct stat st;

	if (atomic_file_write(path, text, strlen(text), 0600, 0, err) == 0)
		return 0;
	if (lstat(path, &st) == 0)
		error_set(err,
		          "%s: already exists; not overwriting it (edit it, or use "
		          "'logpack incident ask %s' to go through it again)",
		          path, path);
	return -1;
}

/* Replace path with text (mode 0600): readers see the old file or the whole new one. */
static int replace_file(const char *path, const char *text, struct error *err)
{
	return atomic_file_write(path, text, strlen(text), 0600, ATOMIC_FILE_REPLACE, err);
}

static int incident_init(const struct incident_options *opt)
{
	const char *path = opt->file ? opt->file : INCIDENT_DEFAULT_FILE;
	char *text = incident_format(NULL, opt->lang == INCIDENT_LANG_SV ? INCIDENT_LANG_SV
	                                                                 : INCIDENT_LANG_EN);
	struct error err;
	int rc = LP_EXIT_OK;

	if (strcmp(path, "-") == 0) {
		fputs(text, stdout);
	} else if (write_new_file(path, text, &err) < 0) {
		log_error("%s", err.msg);
		rc = LP_EXIT_FAILURE;
	} else {
		log_info("wrote %s: fill it in, then run 'logpack incident check %s'", path, path);
	}
	free(text);
	return rc;
}

/* Print problems, one line each, prefixed with the file name. */
static void print_problems(const char *path, const struct incident *inc, FILE *fp)
{
	for (size_t i = 0; i < inc->n_problems; i++)
		fprintf(fp, "%s: %s\n", path, inc->problems[i].message);
}

static int incident_check(const struct incident_options *opt)
{
	struct incident *inc = NULL;
	struct error err;
	int rc;

	if (incident_load(opt->file, &inc, &err) < 0) {
		log_error("%s", err.msg);
		return LP_EXIT_FAILURE;
	}
	rc = inc->n_problems == 0 ? LP_EXIT_OK : LP_EXIT_INVALID;
	if (opt->json) {
		json_t *root = json_object(), *list = json_array();
		char *out;

		for (size_t i = 0; i < inc->n_problems; i++)
			json_array_append_new(list,
			                      json_pack("{s:i,s:s}", "line", inc->problems[i].line,
			                                "message", inc->problems[i].message));
		json_object_set_new(root, "file", json_string(opt->file));
		json_object_set_new(root, "ok", json_boolean(inc->n_problems == 0));
		json_object_set_new(root, "tlp", inc->tlp[0] ? json_string(inc->tlp) : json_null());
		json_object_set_new(root, "problems", list);
		out = json_dumps(root, JSON_INDENT(2));
		if (out)
			puts(out);
		free(out);
		json_decref(root);
	} else if (inc->n_problems > 0) {
		print_problems(opt->file, inc, stdout);
		fprintf(stdout, "%s: %zu problem%s\n", opt->file, inc->n_problems,
		        inc->n_problems == 1 ? "" : "s");
	} else {
		printf("%s: ok, %s\n", opt->file, inc->tlp);
	}
	incident_free(inc);
	return rc;
}

/* Print what the bundle would carry: incident.txt, or incident.json with --json. */
static int incident_show(const struct incident_options *opt)
{
	struct incident *inc = NULL;
	struct error err;
	char *text;

	if (incident_load(opt->file, &inc, &err) < 0) {
		log_error("%s", err.msg);
		return LP_EXIT_FAILURE;
	}
	if (inc->n_problems > 0) {
		print_problems(opt->file, inc, stderr);
		incident_free(inc);
		return LP_EXIT_INVALID;
	}
	text = opt->json ? incident_to_json(inc) : incident_to_text(inc);
	fputs(text, stdout);
	free(text);
	incident_free(inc);
	return LP_EXIT_OK;
}

/* ---- incident ask ---- */

/* Read one line from the terminal without its line end and trailing blanks. -1 at EOF. */
static int read_answer_line(char **line)
{
	size_t cap = 0;
	ssize_t n;

	*line = NULL;
	n = getline(line, &cap, stdin);
	if (n < 0) {
		free(*line);
		*line = NULL;
		return -1;
	}
	while (n > 0 && strchr("\r\n \t", (*line)[n - 1]) != NULL)
		(*line)[--n] = '\0';
	return 0;
}

/* Remove the indentation common to all non-empty lines, as the file parser does. */
static char *strip_common_indent(char **lines, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	size_t indent = SIZE_MAX;

	for (size_t i = 0; i < n; i++) {
		size_t k = strspn(lines[i], " \t");

		if (lines[i][0] != '\0' && k < indent)
			indent = k;
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strbuf_addch(&sb, '\n');
		if (lines[i][0] != '\0')
			strbuf_addstr(&sb, lines[i] + indent);
	}
	return strbuf_detach(&sb);
}

/*
 * Read a multi-line answer: lines until an empty one; "." alone is a paragraph break.
 * *answer is NULL when the first line is empty (keep the default). -1 at EOF.
 */
static int read_answer_lines(char **answer)
{
	char **lines = NULL, *line;
	size_t n = 0;
	int rc = 0;

	*answer = NULL;
	for (;;) {
		if (read_answer_line(&line) < 0) {
			if (n == 0) {
				rc = -1;
				goto out;
			}
			break;
		}
		if (line[0] == '\0') {
			free(line);
			break;
		}
		if (strcmp(line, ".") == 0)
			line[0] = '\0';
		lines = xreallocarray(lines, n + 1, sizeof(*lines));
		lines[n++] = line;
		printf("  ");
		fflush(stdout);
	}
	/* Paragraph breaks at the very end mean nothing. */
	while (n > 0 && lines[n - 1][0] == '\0')
		free(lines[--n]);
	if (n > 0) {
		size_t skip = 0;

		while (lines[skip][0] == '\0')
			skip++;
		*answer = strip_common_indent(lines + skip, n - skip);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return rc;
}

static const char *const ask_text[][2] = {
        {"CERT-SE's first-contact questions, for the report file ",
         "CERT-SE:s frågor vid första kontakten, till rapportfilen "},
        {"required", "obligatorisk"},
        {"current answer", "nuvarande svar"},
        {"Enter keeps the answer in [brackets]; '-' clears an optional answer.\n"
         "Longer answers take several lines: end them with an empty line ('.' alone makes\n"
         "an empty line inside the answer).\n",
         "Enter behåller svaret inom [hakparentes]; '-' tömmer ett frivilligt svar.\n"
         "Längre svar kan ta flera rader: avsluta med en tom rad ('.' ensam ger en\n"
         "tom rad inne i svaret).\n"},
};

/* Ask one field until the answer passes its check. Returns 0, or -1 at end of input. */
static int ask_field(enum incident_field f, enum incident_lang lang, char **value)
{
	const struct incident_field_info *fi = incident_field_info(f);

	printf("\n%s%s%s%s\n", fi->question[lang], fi->required ? " (" : "",
	       fi->required ? ask_text[1][lang] : "", fi->required ? ")" : "");
	if (fi->hint[lang])
		printf("  %s\n", fi->hint[lang]);
	if (f == INCIDENT_TLP)
		printf("  TLP:CLEAR  TLP:GREEN  TLP:AMBER  TLP:AMBER+STRICT  TLP:RED\n");
	for (;;) {
		char *answer, *why;

		if (fi->multiline) {
			if (*value && **value) {
				char *p = *value;

				printf("  [%s:]\n", ask_text[2][lang]);
				while (*p) {
					size_t n = strcspn(p, "\n");

					printf("  | %.*s\n", (int)n, p);
					p += n;
					if (*p)
						p++;
				}
			}
			printf("> ");
			fflush(stdout);
			if (read_answer_lines(&answer) < 0)
				return -1;
		} else {
			if (*value && **value)
				printf("[%s] ", *value);
			printf("> ");
			fflush(stdout);
			if (read_answer_line(&answer) < 0)
				return -1;
			if (answer[0] == '\0') {
				free(answer);
				answer = NULL;
			} else {
				/* Leading blanks are typing noise in a one-line answer. */
				char *start = answer + strspn(answer, " \t");

				memmove(answer, start, strlen(start) + 1);
			}
		}
		if (answer && strcmp(answer, "-") == 0) {
			free(answer);
			answer = xstrdup("");
		}
		if (answer == NULL)
			answer = xstrdup(*value ? *value : "");
		if (incident_check_value(f, answer, &why) == 0) {
			free(*value);
			*value = answer;
			return 0;
		}
		printf("  %s\n", why);
		free(why);
		free(answer);
	}
}

static int incident_ask(const struct incident_options *opt)
{
	const char *path = opt->file ? opt->file : INCIDENT_DEFAULT_FILE;
	struct incident *inc = NULL, *written = NULL;
	enum incident_lang lang = INCIDENT_LANG_EN;
	struct error err;
	char *text = NULL;
	int rc = LP_EXIT_FAILURE, exists;

	if (!isatty(STDIN_FILENO)) {
		log_error("incident ask needs a terminal to ask on; to fill in the report with an "
		          "editor, write the template with 'logpack incident init %s'",
		          path);
		return LP_EXIT_USAGE;
	}
	exists = access(path, F_OK) == 0;
	if (exists) {
		if (incident_load(path, &inc, &err) < 0) {
			log_error("%s", err.msg);
			goto out;
		}
		if (inc->value[INCIDENT_LANGUAGE] &&
		    strcmp(inc->value[INCIDENT_LANGUAGE], "sv") == 0)
			lang = INCIDENT_LANG_SV;
	} else {
		inc = incident_parse("", 0);
	}
	if (opt->lang >= 0)
		lang = opt->lang;
	printf("%s%s\n%s", ask_text[0][lang], path, ask_text[3][lang]);
	for (int f = 0; f < INCIDENT_N_FIELDS; f++) {
		if (f == INCIDENT_LANGUAGE)
			continue;
		if (ask_field(f, lang, &inc->value[f]) < 0) {
			log_error("end of input: nothing written to %s", path);
			goto out;
		}
	}
	free(inc->value[INCIDENT_LANGUAGE]);
	inc->value[INCIDENT_LANGUAGE] = xstrdup(lang == INCIDENT_LANG_SV ? "sv" : "en");
	text = incident_format(inc, lang);
	if ((exists ? replace_file(path, text, &err) : write_new_file(path, text, &err)) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	/* Every answer passed its check; the whole file should too. */
	written = incident_parse(text, strlen(text));
	if (written->n_problems > 0) {
		print_problems(path, written, stderr);
		rc = LP_EXIT_INVALID;
		goto out;
	}
	printf("\nwrote %s (%s); put it in the bundle with 'logpack collect --incident %s'\n", path,
	       written->tlp, path);
	rc = LP_EXIT_OK;
out:
	free(text);
	incident_free(written);
	incident_free(inc);
	return rc;
}

static int cmd_incident(int argc, char **argv)
{
	struct incident_options opt = {0};
	int code;

	if (parse_options(argc, argv, &opt, &code) < 0)
		return code;
	if (strcmp(opt.action, "init") == 0)
		return incident_init(&opt);
	if (strcmp(opt.action, "ask") == 0)
		return incident_ask(&opt);
	if (strcmp(opt.action, "show") == 0)
		return incident_show(&opt);
	return incident_check(&opt);
}

const struct command command_incident = {
        .name = "incident",
        .usage = "incident init|ask|check|show [--lang en|sv] [--json] [FILE]",
        .summary = "write, fill in and check the incident report for CERT-SE",
        .help = "Actions:\n"
                "  init [FILE]    write the commented template to FILE "
                "(default " INCIDENT_DEFAULT_FILE ";\n"
                "                 '-' for standard output); never overwrites a file\n"
                "  ask [FILE]     ask the questions on the terminal, with the answers already in\n"
                "                 FILE as defaults, and write FILE\n"
                "  check FILE     report every problem in FILE, with its line number\n"
                "  show FILE      print the report as it goes into the bundle: incident.txt,\n"
                "                 or incident.json with --json\n"
                "\n"
                "Options:\n"
                "  -h, --help       this text\n"
                "  -j, --json       check: print the result as JSON; show: print incident.json\n"
                "  -l, --lang LANG  init, ask: en (English, the default) or sv (Swedish)\n"
                "\n"
                "Put the report into a bundle with 'logpack collect --incident FILE'. The format "
                "and\n"
                "what to send where: docs/cert-se.md.\n"
                "\n"
                "Exit codes: 0 the report is complete and valid (check) or written (init, ask);\n"
                "2 usage, or ask without a terminal; 3 a file could not be read or written;\n"
                "4 check (or show) found problems.\n",
        .run = cmd_incident,
};
