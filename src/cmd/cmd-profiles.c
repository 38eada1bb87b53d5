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

#include "base/atomic-file.h"
#include "base/exitcode.h"
#include "base/log.h"
#include "cmd/command.h"
#include "gather/detect.h"
#include "gather/profile-import.h"
#include "gather/profile.h"

struct profiles_options {
	const char *subcommand;
	const char *root;
	int json;
	/* import */
	const char *os;
	const char *output;
	const char *template_path;
	const char *category;
	const char *name;
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

/* Read the definitions files; a file that cannot be read is exit 3, one that is refused 4. */
static int import_read(struct fa_set *set, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		struct error err = {{0}};
		char *text = NULL;
		size_t len = 0;

		if (read_small_file(argv[i], FA_MAX_FILE_SIZE, &text, &len) < 0) {
			int e = errno;

			if (e == EFBIG) {
				log_error("%s: larger than %u MiB: refused", argv[i],
				          FA_MAX_FILE_SIZE >> 20);
				return LP_EXIT_INVALID;
			}
			log_error("cannot read %s: %s", argv[i], read_small_strerror(e));
			return LP_EXIT_FAILURE;
		}
		if (fa_set_parse(set, argv[i], text, len, &err) < 0) {
			log_error("%s", err.msg);
			free(text);
			return LP_EXIT_INVALID;
		}
		free(text);
	}
	return LP_EXIT_OK;
}

static json_t *import_json(const struct fa_import_result *r, const char *output)
{
	json_t *paths = json_array(), *skipped = json_array();
	size_t converted = 0;

	for (size_t i = 0; i < r->n_paths; i++) {
		const struct fa_path_result *p = &r->paths[i];

		converted += p->pattern != NULL;
		json_array_append_new(paths,
		                      json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:s?}", "artifact",
		                                p->artifact, "origin", p->origin, "type", p->type,
		                                "path", p->path, "pattern", p->pattern, "status",
		                                p->pattern ? "converted" : "reported", "reason",
		                                p->reason));
	}
	for (size_t i = 0; i < r->n_skipped; i++)
		json_array_append_new(skipped,
		                      json_pack("{s:s, s:s, s:s, s:s}", "artifact",
		                                r->skipped[i].artifact, "origin",
		                                r->skipped[i].origin, "type", r->skipped[i].type,
		                                "reason", r->skipped[i].reason));
	return json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:s?, s:s?}", "definitions",
	                 (json_int_t)r->n_definitions, "documents_not_read",
	                 (json_int_t)r->n_unreadable, "converted", (json_int_t)converted,
	                 "reported", (json_int_t)(r->n_paths - converted), "paths", paths,
	                 "skipped", skipped, "output", output, "profile",
	                 output ? NULL : r->profile);
}

static int profiles_import(const struct profiles_options *o, int argc, char **argv)
{
	struct fa_import_options io = {.os = o->os, .category = o->category, .name = o->name};
	struct fa_import_result res;
	struct fa_set *set = fa_set_new();
	struct error err = {{0}};
	char *template_text = NULL;
	size_t len = 0, converted = 0;
	int rc = import_read(set, argc, argv);

	if (rc != LP_EXIT_OK)
		goto out;
	if (o->template_path &&
	    read_small_file(o->template_path, 1 << 20, &template_text, &len) < 0) {
		log_error("cannot read --template %s: %s", o->template_path,
		          read_small_strerror(errno));
		rc = LP_EXIT_FAILURE;
		goto out;
	}
	if (fa_import(set, &io, o->template_path, template_text, &res, &err) < 0) {
		log_error("%s", err.msg);
		rc = LP_EXIT_INVALID;
		goto out;
	}
	/* What was not taken, on stderr in every mode: the profile may be on stdout. */
	for (size_t i = 0; i < res.n_skipped; i++) {
		if (strcmp(res.skipped[i].type, "document") == 0)
			log_warn("not taken: the document at %s: %s", res.skipped[i].origin,
			         res.skipped[i].reason);
		else
			log_warn("skipped %s (%s): %s", res.skipped[i].artifact,
			         res.skipped[i].origin, res.skipped[i].reason);
	}
	for (size_t i = 0; i < res.n_paths; i++) {
		if (res.paths[i].pattern) {
			converted++;
			continue;
		}
		log_warn("not converted: %s (%s) %s: %s", res.paths[i].artifact,
		         res.paths[i].origin, res.paths[i].path, res.paths[i].reason);
	}
	log_info("%zu definitions: %zu paths converted, %zu reported, %zu sources skipped",
	         res.n_definitions, converted, res.n_paths - converted, res.n_skipped);
	if (o->output && atomic_file_write(o->output, res.profile, strlen(res.profile), 0644,
	                                   ATOMIC_FILE_REPLACE, &err) < 0) {
		log_error("%s", err.msg);
		rc = LP_EXIT_FAILURE;
	} else if (o->json) {
		if (print_json(import_json(&res, o->output)) < 0)
			rc = LP_EXIT_FAILURE;
	} else if (!o->output) {
		if (fputs(res.profile, stdout) == EOF || fflush(stdout) != 0) {
			log_error("cannot write the profile to stdout: %s", strerror(errno));
			rc = LP_EXIT_FAILURE;
		}
	}
	/* A document that could not be read is a definition the profile lacks. */
	if (rc == LP_EXIT_OK && res.n_unreadable)
		rc = LP_EXIT_PARTIAL;
	fa_import_result_free(&res);
out:
	free(template_text);
	fa_set_free(set);
	return rc;
}

static int cmd_profiles(int argc, char **argv)
{
	static const struct option options[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"json", no_argument, NULL, 'j'},
	        {"root", required_argument, NULL, 'r'},
	        {"os", required_argument, NULL, 'O'},
	        {"output", required_argument, NULL, 'o'},
	        {"template", required_argument, NULL, 'T'},
	        {"category", required_argument, NULL, 'C'},
	        {"name", required_argument, NULL, 'N'},
	        {NULL, 0, NULL, 0},
	};
	struct profiles_options o = {0};
	int c;

	command_take_leading_verbosity(&argc, &argv);
	if (argc < 2) {
		return command_usage_error(
		        &command_profiles,
		        "profiles needs a subcommand: list, show, check, detect, import");
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		command_print_help(&command_profiles, stdout);
		return LP_EXIT_OK;
	}
	o.subcommand = argv[1];
	if (strcmp(o.subcommand, "list") != 0 && strcmp(o.subcommand, "show") != 0 &&
	    strcmp(o.subcommand, "check") != 0 && strcmp(o.subcommand, "detect") != 0 &&
	    strcmp(o.subcommand, "import") != 0)
		return command_usage_error(&command_profiles, "unknown subcommand '%s'",
		                           o.subcommand);
	argc--;
	argv++;
	optind = 0;
	while ((c = command_getopt(argc, argv, "hjr:o:", options)) != -1) {
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
		case 'O':
			o.os = optarg;
			break;
		case 'o':
			o.output = optarg;
			break;
		case 'T':
			o.template_path = optarg;
			break;
		case 'C':
			o.category = optarg;
			break;
		case 'N':
			o.name = optarg;
			break;
		default:
			return command_option_error(&command_profiles);
		}
	}
	argc -= optind;
	argv += optind;
	if (o.root && strcmp(o.subcommand, "detect") != 0)
		return command_usage_error(&command_profiles, "--root is for 'profiles detect'");
	if ((o.os || o.output || o.template_path || o.category || o.name) &&
	    strcmp(o.subcommand, "import") != 0)
		return command_usage_error(&command_profiles,
		                           "--os, --output, --template, --category and --name are "
		                           "for 'profiles import'");
	if (strcmp(o.subcommand, "import") == 0) {
		static const char *const oses[] = {"linux", "darwin", "windows", "esxi"};
		size_t k = 0;

		if (o.os) {
			for (; k < 4 && strcmp(o.os, oses[k]) != 0; k++)
				;
			if (k == 4)
				return command_usage_error(
				        &command_profiles,
				        "--os %s: one of linux, darwin, windows, esxi", o.os);
		}
		if (o.category) {
			for (const char *ch = o.category; *ch; ch++)
				if (!((*ch >= 'a' && *ch <= 'z') || (*ch >= '0' && *ch <= '9') ||
				      *ch == '-' || *ch == '_'))
					return command_usage_error(
					        &command_profiles,
					        "--category %s: lowercase letters, digits, - and _",
					        o.category);
			if (!o.category[0])
				return command_usage_error(&command_profiles,
				                           "--category is empty");
		}
		if (o.name && (!o.name[0] || strpbrk(o.name, " \t\n\"#")))
			return command_usage_error(&command_profiles,
			                           "--name %s: one word without quotes or '#'",
			                           o.name);
		if (o.template_path && (o.category || o.name))
			return command_usage_error(&command_profiles,
			                           "--template gives the name and the categories; "
			                           "--category and --name are for a profile made "
			                           "whole");
		if (argc == 0)
			return command_usage_error(&command_profiles,
			                           "profiles import needs a definitions FILE.yaml");
		return profiles_import(&o, argc, argv);
	}
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
        .usage = "profiles list | show NAME|FILE... | check FILE... | detect [--root DIR] | import "
                 "FILE.yaml... [--os OS] [-o OUT] [--template FILE] [--json]",
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
                "                       most specific match won. Exit 3 when none matches\n"
                "  import FILE.yaml...  ForensicArtifacts definitions into a profile: FILE,\n"
                "                       DIRECTORY and PATH sources become rules, groups are\n"
                "                       expanded, path variables mapped; what cannot be taken\n"
                "                       (registry, WMI, commands, unmappable variables) is\n"
                "                       listed on stderr with the reason. Exit 0 when written\n"
                "                       (skips allowed), 1 when written but a document was\n"
                "                       not valid YAML or not a definition (it is reported),\n"
                "                       3 when a file cannot be read or\n"
                "                       written, 4 when a definitions file is refused (bad\n"
                "                       YAML, aliases, over a bound) or a template names a\n"
                "                       definition no file has\n\n"
                "Options:\n"
                "  -j, --json           machine-readable output (list, show, check, detect,\n"
                "                       import: what was converted, reported and skipped)\n"
                "  -r, --root DIR       the mounted image or root to examine (detect)\n"
                "  --os OS              import: only definitions for linux, darwin, windows\n"
                "                       or esxi (supported_os); default: every system\n"
                "  -o, --output OUT     import: write the profile to OUT (atomically), not\n"
                "                       to stdout\n"
                "  --template FILE      import: a profile whose 'artifact NAME...' lines are\n"
                "                       replaced by those definitions' rules\n"
                "  --category NAME      import: the section of the rules (default artifacts)\n"
                "  --name NAME          import: the profile's name (default\n"
                "                       forensic-artifacts)\n"
                "  -h, --help           this text\n\n"
                "Stock profiles are read from the directory in LOGPACK_PROFILE_DIR, if set.\n"
                "The format is described in docs/profile-format.md.\n",
        .run = cmd_profiles,
};
