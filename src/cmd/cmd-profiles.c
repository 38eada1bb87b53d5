/* logpack profiles: list, show and check profiles; say which one a root would use. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "cmd/command.h"
#include "gather/detect.h"
#include "gather/profile.h"

struct profiles_options {
	const char *subcommand;
	const char *root;
	int json;
};

/* Print a JSON value on stdout, one document per line. Returns 0 or -1. */
static int print_json(json_t *doc)
{
	int rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) == 0 ? 0 : -1;

	fputc('\n', stdout);
	json_decref(doc);
	if (rc < 0)
		log_error("cannot write JSON to stdout");
	return rc;
}

/* A size as a profile writes it: "2G", "100M", "512K", or bytes. */
static void format_rule_size(uint64_t size, char *buf, size_t len)
{
	static const char units[] = "TGMK";
	uint64_t unit = (uint64_t)1 << 40;

	for (size_t i = 0; i < 4; i++, unit >>= 10) {
		if (size % unit == 0) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(size / unit), units[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)size);
}

static int profiles_list(const struct profiles_options *o)
{
	struct error err = {{0}};
	char **names = NULL;
	size_t n = 0;
	json_t *arr = o->json ? json_array() : NULL;
	int rc = LP_EXIT_OK;

	if (profile_list(&names, &n, &err) < 0) {
		log_error("%s", err.msg);
		json_decref(arr);
		return LP_EXIT_FAILURE;
	}
	for (size_t i = 0; i < n; i++) {
		struct profile *p = NULL;

		if (profile_load(names[i], &p, &err) < 0) {
			log_error("%s", err.msg);
			rc = LP_EXIT_FAILURE;
			continue;
		}
		if (arr) {
			json_t *m = json_array();

			for (size_t j = 0; j < p->n_matches; j++)
				json_array_append_new(m, json_sprintf("%s=%s", p->matches[j].key,
				                                      p->matches[j].value));
			json_array_append_new(arr,
			                      json_pack("{s:s, s:s?, s:o, s:s}", "name", names[i],
			                                "description", p->description, "match", m,
			                                "path", p->files[0].path));
		} else {
			printf("%-10s %s\n", names[i], p->description ? p->description : "");
		}
		profile_free(p);
	}
	if (arr && print_json(arr) < 0)
		rc = LP_EXIT_FAILURE;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* Print a resolved profile as profile text: what is printed parses back to the same rules. */
static void show_text(const struct profile *p)
{
	printf("# profile %s, includes resolved\n", p->name);
	for (size_t i = 0; i < p->n_files; i++)
		printf("# %s %s sha256:%s\n", i ? "includes" : "file    ", p->files[i].path,
		       p->files[i].sha256);
	printf("name %s\n", p->name);
	if (p->description)
		printf("description %s\n", p->description);
	for (size_t i = 0; i < p->n_matches;) {
		size_t j = i;

		printf("match");
		for (; j < p->n_matches && p->matches[j].line == p->matches[i].line; j++)
			printf(" %s=%s", p->matches[j].key, p->matches[j].value);
		printf("\n");
		i = j;
	}
	/* Rules carry their own case flag, so the default no longer matters; say it anyway. */
	printf("case %s\n", p->nocase ? "insensitive" : "sensitive");
	/* Rules in their order, a section header at each change: the first rule that matches a
	 * file decides its category, so regrouping them could change what a file counts as. */
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct rule *r = &p->rules[i];
		struct strbuf line = STRBUF_INIT;
		char size[32];

		if (i == 0 || strcmp(r->category, p->rules[i - 1].category) != 0)
			printf("\n[%s]\n", r->category);
		if (strpbrk(r->pattern, " \t\"\\")) {
			strbuf_addch(&line, '"');
			for (const char *s = r->pattern; *s; s++) {
				if (*s == '"' || *s == '\\')
					strbuf_addch(&line, '\\');
				strbuf_addch(&line, *s);
			}
			strbuf_addch(&line, '"');
		} else {
			strbuf_addstr(&line, r->pattern);
		}
		strbuf_addstr(&line, r->flags & RULE_EXPECTED ? " expected" : " optional");
		strbuf_addstr(&line, r->flags & RULE_NOCASE ? " nocase" : " case");
		if (r->flags & RULE_SYSLOG)
			strbuf_addstr(&line, " syslog");
		if (r->max_size) {
			format_rule_size(r->max_size, size, sizeof(size));
			strbuf_addf(&line, " max-size=%s", size);
		}
		printf("%-60s # %s\n", line.buf, r->origin);
		strbuf_release(&line);
	}
}

static json_t *show_json(const struct profile *p)
{
	json_t *files = json_array(), *matches = json_array(), *includes = json_array();
	json_t *rules = json_array();

	for (size_t i = 0; i < p->n_files; i++)
		json_array_append_new(files,
		                      json_pack("{s:s, s:s, s:s}", "name", p->files[i].name, "path",
		                                p->files[i].path, "sha256", p->files[i].sha256));
	for (size_t i = 0; i < p->n_matches; i++)
		json_array_append_new(
		        matches, json_pack("{s:s, s:s, s:i}", "key", p->matches[i].key, "value",
		                           p->matches[i].value, "line", p->matches[i].line));
	for (size_t i = 0; i < p->n_includes; i++)
		json_array_append_new(includes, json_string(p->includes[i]));
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct rule *r = &p->rules[i];

		json_array_append_new(
		        rules,
		        json_pack("{s:s, s:s, s:I, s:b, s:b, s:b, s:s}", "pattern", r->pattern,
		                  "category", r->category, "max_size", (json_int_t)r->max_size,
		                  "expected", (r->flags & RULE_EXPECTED) != 0, "nocase",
		                  (r->flags & RULE_NOCASE) != 0, "syslog",
		                  (r->flags & RULE_SYSLOG) != 0, "origin", r->origin));
	}
	return json_pack("{s:s, s:s?, s:b, s:o, s:o, s:o, s:o}", "name", p->name, "description",
	                 p->description, "case_insensitive", p->nocase, "files", files, "match",
	                 matches, "includes", includes, "rules", rules);
}

static int profiles_show(const struct profiles_options *o, int argc, char **argv)
{
	int rc = LP_EXIT_OK;

	for (int i = 0; i < argc; i++) {
		struct error err = {{0}};
		struct profile *p = NULL;

		if (profile_load(argv[i], &p, &err) < 0) {
			log_error("%s", err.msg);
			rc = LP_EXIT_FAILURE;
			continue;
		}
		if (i > 0 && !o->json)
			printf("\n");
		if (o->json) {
			if (print_json(show_json(p)) < 0)
				rc = LP_EXIT_FAILURE;
		} else {
			show_text(p);
		}
		profile_free(p);
	}
	return rc;
}

static int profiles_check(const struct profiles_options *o, int argc, char **argv)
{
	json_t *arr = o->json ? json_array() : NULL;
	int rc = LP_EXIT_OK;

	for (int i = 0; i < argc; i++) {
		struct profile_issue *issues = NULL;
		struct error err = {{0}};
		size_t n = 0;
		int fatal = profile_check(argv[i], &issues, &n, &err);
		json_t *list = arr ? json_array() : NULL;

		if (fatal < 0) {
			log_error("%s", err.msg);
			json_decref(list);
			if (rc != LP_EXIT_INVALID)
				rc = LP_EXIT_FAILURE;
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			const char *kind = issues[k].fatal ? "error" : "warning";

			if (list)
				json_array_append_new(list,
				                      json_pack("{s:i, s:s, s:s}", "line",
				                                issues[k].line, "severity", kind,
				                                "message", issues[k].message));
			else if (issues[k].line)
				printf("%s:%d: %s: %s\n", argv[i], issues[k].line, kind,
				       issues[k].message);
			else
				printf("%s: %s: %s\n", argv[i], kind, issues[k].message);
		}
		if (list)
			json_array_append_new(arr, json_pack("{s:s, s:b, s:o}", "file", argv[i],
			                                     "valid", fatal == 0, "issues", list));
		else if (fatal == 0)
			printf("%s: ok%s\n", argv[i], n ? " (with warnings)" : "");
		if (fatal > 0)
			rc = LP_EXIT_INVALID;
		profile_issues_free(issues, n);
	}
	if (arr && print_json(arr) < 0 && rc == LP_EXIT_OK)
		rc = LP_EXIT_FAILURE;
	return rc;
}

static const char *tier_name(enum detect_tier t)
{
	switch (t) {
	case DETECT_ID:
		return "id";
	case DETECT_ID_LIKE:
		return "id_like";
	case DETECT_MARKER:
		return "marker";
	default:
		return "none";
	}
}

static int profiles_detect(const struct profiles_options *o)
{
	const char *root = o->root ? o->root : "/";
	struct detect_result res;
	struct error err = {{0}};
	int root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (root_fd < 0) {
		log_error("--root %s: %s", root, strerror(errno));
		return LP_EXIT_FAILURE;
	}
	if (detect_run(root_fd, &res, &err) < 0) {
		log_error("%s", err.msg);
		close(root_fd);
		return LP_EXIT_FAILURE;
	}
	close(root_fd);
	rc = res.chosen ? LP_EXIT_OK : LP_EXIT_FAILURE;
	if (o->json) {
		json_t *ev = json_array(), *cands = json_array();

		for (size_t i = 0; i < res.n_evidence; i++)
			json_array_append_new(ev, json_string(res.evidence[i]));
		for (size_t i = 0; i < res.n_candidates; i++)
			json_array_append_new(cands, json_pack("{s:s, s:s, s:s}", "profile",
			                                       res.candidates[i].profile, "match",
			                                       tier_name(res.candidates[i].tier),
			                                       "why", res.candidates[i].why));
		if (print_json(json_pack("{s:s, s:s?, s:s, s:o, s:o}", "root", root, "profile",
		                         res.chosen, "reason", res.reason, "evidence", ev,
		                         "candidates", cands)) < 0)
			rc = LP_EXIT_FAILURE;
	} else {
		printf("root: %s\n", root);
		printf("profile: %s\n", res.chosen ? res.chosen : "(none)");
		printf("reason: %s\n", res.reason);
		printf("evidence:\n");
		for (size_t i = 0; i < res.n_evidence; i++)
			printf("  %s\n", res.evidence[i]);
		if (res.n_candidates) {
			printf("candidates, best first:\n");
			for (size_t i = 0; i < res.n_candidates; i++)
				printf("  %-8s %-8s %s\n", res.candidates[i].profile,
				       tier_name(res.candidates[i].tier), res.candidates[i].why);
		}
	}
	if (!res.chosen)
		log_error("%s", res.reason);
	detect_result_free(&res);
	return rc;
}

static int cmd_profiles(int argc, char **argv)
{
	static const struct option options[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"json", no_argument, NULL, 'j'},
	        {"root", required_argument, NULL, 'r'},
	        {NULL, 0, NULL, 0},
	};
	struct profiles_options o = {0};
	int c;

	command_take_leading_verbosity(&argc, &argv);
	if (argc < 2) {
		return command_usage_error(
		        &command_profiles,
		        "profiles needs a subcommand: list, show, check, detect");
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		command_print_help(&command_profiles, stdout);
		return LP_EXIT_OK;
	}
	o.subcommand = argv[1];
	if (strcmp(o.subcommand, "list") != 0 && strcmp(o.subcommand, "show") != 0 &&
	    strcmp(o.subcommand, "check") != 0 && strcmp(o.subcommand, "detect") != 0)
		return command_usage_error(&command_profiles, "unknown subcommand '%s'",
		                           o.subcommand);
	argc--;
	argv++;
	optind = 0;
	while ((c = command_getopt(argc, argv, "hjr:", options)) != -1) {
		switch (c) {
		case 'h':
			command_print_help(&command_profiles, stdout);
			return LP_EXIT_OK;
		case 'j':
			o.json = 1;
			break;
		case 'r':
			o.root = optarg;
			break;
		default:
			return command_option_error(&command_profiles);
		}
	}
	argc -= optind;
	argv += optind;
	if (o.root && strcmp(o.subcommand, "detect") != 0)
		return command_usage_error(&command_profiles, "--root is for 'profiles detect'");
	if (strcmp(o.subcommand, "list") == 0 || strcmp(o.subcommand, "detect") == 0) {
		if (argc > 0)
			return command_usage_error(&command_profiles,
			                           "profiles %s takes no arguments ('%s')",
			                           o.subcommand, argv[0]);
		return o.subcommand[0] == 'l' ? profiles_list(&o) : profiles_detect(&o);
	}
	if (argc == 0)
		return command_usage_error(&command_profiles, "profiles %s needs %s", o.subcommand,
		                           o.subcommand[0] == 's' ? "a profile NAME or FILE"
		                                                  : "a FILE");
	if (strcmp(o.subcommand, "show") == 0)
		return profiles_show(&o, argc, argv);
	return profiles_check(&o, argc, argv);
}

const struct command command_profiles = {
        .name = "profiles",
        .usage = "profiles list | show NAME|FILE... | check FILE... | detect [--root DIR] [--json]",
        .summary = "list, show and check profiles; say which one a root would use",
        .help = "Subcommands:\n"
                "  list                 the stock profiles and what they cover\n"
                "  show NAME|FILE...    a profile with its includes resolved, as profile text\n"
                "                       (each rule with its options and the file:line it came "
                "from)\n"
                "  check FILE...        every syntax and sanity problem, with line numbers:\n"
                "                       unknown keys, bad sizes, patterns escaping the root,\n"
                "                       missing includes, include cycles; warnings for rules "
                "given\n"
                "                       twice. Exit 0 when valid (warnings allowed), 4 when not\n"
                "  detect [--root DIR]  the profile 'collect --profile auto' would use for the\n"
                "                       system under DIR (default /), the evidence, and why the\n"
                "                       most specific match won. Exit 3 when none matches\n\n"
                "Options:\n"
                "  --json               machine-readable output (list, show, check, detect)\n"
                "  --root DIR           the mounted image or root to examine (detect)\n"
                "  -h, --help           this text\n\n"
                "Stock profiles are read from the directory in LOGPACK_PROFILE_DIR, if set.\n"
                "The format is described in docs/profile-format.md.\n",
        .run = cmd_profiles,
};
