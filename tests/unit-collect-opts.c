/* Unit tests: the collection option table shared by collect, snapshot and schedule. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/exitcode.h"
#include "cmd/collect-opts.h"
#include "tap.h"

static const unsigned commands[] = {COLLECT_CMD_COLLECT, COLLECT_CMD_SNAPSHOT,
                                    COLLECT_CMD_SCHEDULE};

static void check_tables(unsigned who)
{
	struct option *lo;
	char *so;
	int sorted = 1, unique_vals = 1, letters = 1;
	size_t n = 0;

	collect_opts_tables(who, NULL, 0, &lo, &so);
	for (; lo[n].name; n++) {
		if (n > 0 && strcmp(lo[n - 1].name, lo[n].name) >= 0)
			sorted = 0;
		for (size_t k = 0; k < n; k++)
			if (lo[k].val == lo[n].val)
				unique_vals = 0;
	}
	for (const char *p = so; *p; p++)
		if (*p != ':' && strchr(p + 1, *p))
			letters = 0;
	ok(sorted, "command %u: long options sorted, no name twice", who);
	ok(unique_vals, "command %u: no getopt value twice", who);
	ok(letters && strstr(so, "c:") && strstr(so, "x:") && strstr(so, "f") && !strstr(so, "f:"),
	   "command %u: short options '%s', each once, values marked", who, so);
	ok(n > 40, "command %u: %zu long options, upload ones included", who, n);
	free(lo);
	free(so);
}

static int help_fits(unsigned who)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	int fits = 1;

	collect_opts_print_help(fp, who, NULL, 0, 1);
	collect_opts_print_names(fp, who, NULL, 0);
	fclose(fp);
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL || nl - line > 80)
			fits = 0;
		if (nl == NULL)
			break;
	}
	free(text);
	return fits && len > 1000;
}

int main(void)
{
	struct collect_opt_info info;
	struct collect_options opt = {0};
	struct collect_cli cli;
	int sorted = 1, described = 1, reasons = 1;

	for (size_t i = 0; i < collect_opts_count; i++) {
		const struct collect_opt *o = &collect_opts[i];

		if (i > 0 && strcmp(collect_opts[i - 1].name, o->name) >= 0)
			sorted = 0;
		if (o->help == NULL || (o->arg != COLLECT_ARG_NONE) != (o->metavar != NULL))
			described = 0;
		if ((o->refused != 0) != (o->why != NULL))
			reasons = 0;
	}
	ok(sorted, "the shared table is sorted by long name");
	ok(described, "every option has help, and a value name exactly when it takes a value");
	ok(reasons, "every refusal has its reason");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		check_tables(commands[i]);
		ok(help_fits(commands[i]), "command %u: help lines fit in 80 columns", commands[i]);
	}

	ok(collect_opt_describe(COLLECT_CMD_SNAPSHOT, COLLECT_OPT_SINCE, &info) == 0 &&
	           strcmp(info.name, "since") == 0 && info.refused &&
	           strstr(info.refused, "every byte"),
	   "snapshot refuses --since, with the reason");
	ok(collect_opt_describe(COLLECT_CMD_SCHEDULE, COLLECT_OPT_MAX_FILE_SIZE, &info) == 0 &&
	           info.refused,
	   "schedule refuses what snapshot refuses");
	ok(collect_opt_describe(COLLECT_CMD_COLLECT, COLLECT_OPT_SINCE, &info) == 0 &&
	           info.refused == NULL,
	   "collect takes --since");
	ok(collect_opt_describe(COLLECT_CMD_COLLECT, 's', &info) == 0 && info.refused,
	   "collect refuses --state");
	ok(collect_opt_describe(COLLECT_CMD_SCHEDULE, COLLECT_OPT_INCIDENT, &info) == 0 &&
	           info.arg == COLLECT_ARG_PATH && info.refused == NULL,
	   "--incident is a path, passed on by schedule");
	ok(collect_opt_describe(COLLECT_CMD_SCHEDULE, UPLOAD_OPT_CACERT, &info) == 0 &&
	           strcmp(info.name, "cacert") == 0 && info.arg == COLLECT_ARG_PATH,
	   "--cacert (an upload option) is a path");
	ok(collect_opt_describe(COLLECT_CMD_SCHEDULE, UPLOAD_OPT_RETRIES, &info) == 0 &&
	           info.arg == COLLECT_ARG_TEXT,
	   "--retries is a value, not a path");
	ok(collect_opt_describe(COLLECT_CMD_SNAPSHOT, UPLOAD_OPT_DELETE_AFTER, &info) == 0 &&
	           info.refused && strstr(info.refused, "--keep"),
	   "snapshot refuses --delete-after-upload");
	ok(collect_opt_describe(COLLECT_CMD_COLLECT, UPLOAD_OPT_DELETE_AFTER, &info) == 0 &&
	           info.refused == NULL,
	   "collect takes --delete-after-upload");
	ok(collect_opt_describe(COLLECT_CMD_COLLECT, 'Z', &info) < 0, "'Z' is no option");
	ok(collect_opt_describe(COLLECT_CMD_COLLECT, COLLECT_OPT_UPLOAD + 1, &info) < 0,
	   "a value past the table is no option");

	collect_cli_init(&cli, &opt);
	ok(strcmp(opt.root, "/") == 0 && strcmp(opt.compression, "zstd") == 0 && opt.level == -1,
	   "collect's defaults");
	ok(collect_cli_option(&cli, &command_collect, COLLECT_CMD_COLLECT, 'c', "xz") == 0 &&
	           strcmp(opt.compression, "xz") == 0,
	   "--compress xz");
	ok(collect_cli_option(&cli, &command_collect, COLLECT_CMD_COLLECT, 'c', "rar") ==
	           LP_EXIT_USAGE,
	   "--compress rar is a usage error");
	ok(collect_cli_option(&cli, &command_collect, COLLECT_CMD_COLLECT, 'x', "*.gz") == 0 &&
	           collect_cli_option(&cli, &command_collect, COLLECT_CMD_COLLECT, 'x', "*.xz") ==
	                   0 &&
	           cli.n_excludes == 2,
	   "--exclude repeats");
	ok(collect_cli_option(&cli, &command_collect, COLLECT_CMD_COLLECT, COLLECT_OPT_CATEGORY,
	                      "auth,system") == 0 &&
	           collect_cli_option(&cli, &command_collect, COLLECT_CMD_COLLECT,
	                              COLLECT_OPT_CATEGORY, "auth") == 0 &&
	           cli.n_categories == 1,
	   "the last --category wins");
	ok(collect_cli_option(&cli, &command_collect, COLLECT_CMD_COLLECT, COLLECT_OPT_SINCE,
	                      "2024-05-01") == 0 &&
	           opt.has_since && opt.since == 1714521600,
	   "--since 2024-05-01");
	ok(collect_cli_option(&cli, &command_snapshot, COLLECT_CMD_SNAPSHOT, COLLECT_OPT_UNTIL,
	                      "2024-05-01") == LP_EXIT_USAGE &&
	           !opt.has_until,
	   "snapshot: --until is refused and sets nothing");
	ok(collect_cli_option(&cli, &command_collect, COLLECT_CMD_COLLECT, UPLOAD_OPT_RETRIES,
	                      "7") == 0 &&
	           cli.upload.retries == 7,
	   "upload options go to the upload settings");
	ok(collect_cli_option(&cli, &command_collect, COLLECT_CMD_COLLECT, 'Z', "") == -1,
	   "not a collection option: -1");
	ok(collect_cli_option(&cli, &command_collect, COLLECT_CMD_COLLECT, COLLECT_OPT_SKIP_LARGE,
	                      NULL) == 0 &&
	           collect_cli_finish(&cli, &command_collect, COLLECT_CMD_COLLECT) == LP_EXIT_USAGE,
	   "--skip-large without --max-file-size");
	ok(collect_cli_option(&cli, &command_collect, COLLECT_CMD_COLLECT,
	                      COLLECT_OPT_MAX_FILE_SIZE, "1M") == 0 &&
	           collect_cli_finish(&cli, &command_collect, COLLECT_CMD_COLLECT) == 0 &&
	           opt.n_excludes == 2 && opt.n_categories == 1 &&
	           strcmp(opt.categories[0], "auth") == 0,
	   "finish points the options at the lists");
	collect_cli_free(&cli);
	return tap_done();
}
