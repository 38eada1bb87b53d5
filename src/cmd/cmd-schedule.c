/* logpack schedule: install, show or remove a periodic snapshot (systemd timer, or cron). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "bundle/bag.h"
#include "cmd/command.h"
#include "series/schedule.h"

extern char **environ;

static int cmd_schedule(int argc, char **argv);

const struct command command_schedule = {
        .name = "schedule",
        .usage = "schedule install (--every DURATION|--on-calendar SPEC) --state DIR -o DIR "
                 "[SNAPSHOT OPTIONS] | status | remove",
        .summary = "install, show or remove a periodic snapshot (systemd timer, or cron)",
        .help = "Actions:\n"
                "  install    write a systemd service and timer (where systemd runs, and enable\n"
                "             them), or else a cron entry in /etc/cron.d, that run\n"
                "             'logpack snapshot' with the snapshot options given\n"
                "  status     what is installed, its schedule, and the series' last snapshot\n"
                "  remove     disable and remove what install wrote (never the state or the\n"
                "             bundles)\n"
                "\n"
                "Options:\n"
                "      --every DURATION    run every DURATION (15m, 1h, 1d), from boot on\n"
                "      --on-calendar SPEC  run at a systemd calendar time (\"*-*-* 02:00\";\n"
                "                          cron: hourly, daily, weekly or monthly)\n"
                "      --name NAME         several schedules: logpack-snapshot-NAME\n"
                "      --systemd           write systemd units even if systemd is not running\n"
                "      --cron              write a cron entry even where systemd runs\n"
                "      --unit-dir DIR      where units go (default /etc/systemd/system; then\n"
                "                          systemctl is left to you)\n"
                "      --cron-dir DIR      where the cron entry goes (default /etc/cron.d)\n"
                "  -n, --dry-run           print what would be written or removed\n"
                "      --json              status: a machine-readable report\n"
                "  -h, --help              this text\n"
                "\n"
                "Snapshot options (see 'logpack snapshot --help'): --state DIR and -o DIR are\n"
                "required; --root, --profile, --compress, --level, --exclude, --category,\n"
                "--force, --keep, --keep-for and the signing options (--sign-key, --sign-cert,\n"
                "--sign-chain, --passphrase-file, --config) are passed on. Paths are made\n"
                "absolute.\n"
                "The service runs in a sandbox: the system read-only (ProtectSystem=strict),\n"
                "only the state and output directories writable, private /tmp, no new\n"
                "privileges, no network. See docs/snapshots.md.\n"
                "\n"
                "Exit: 0 done, 2 usage, 3 failed.\n",
        .run = cmd_schedule,
};

/* Snapshot options passed through; kind 1: a path made absolute; 2: a path if it has a '/'. */
static const struct passthrough {
	const char *name;
	char short_name;
	int has_arg;
	int kind;
} snapshot_options[] = {
        {"category", 0, 1, 0},        {"compress", 'c', 1, 0}, {"config", 0, 1, 1},
        {"exclude", 'x', 1, 0},       {"force", 'f', 0, 0},    {"keep", 0, 1, 0},
        {"keep-for", 0, 1, 0},        {"level", 0, 1, 0},      {"output", 'o', 1, 1},
        {"passphrase-file", 0, 1, 1}, {"profile", 'p', 1, 2},  {"root", 'r', 1, 1},
        {"sign-cert", 0, 1, 1},       {"sign-chain", 0, 1, 1}, {"sign-key", 0, 1, 1},
        {"state", 's', 1, 1},
};

struct schedule_cli {
	const char *action;
	const char *every, *on_calendar, *name_suffix, *unit_dir, *cron_dir;
	int force_systemd, force_cron, dry_run, json;
	char **args; /* snapshot arguments, owned */
	size_t n_args;
	char *state_dir, *output_dir, *root;
	char *name;
	char *logpack;
};

static void schedule_cli_free(struct schedule_cli *cli)
{
	for (size_t i = 0; i < cli->n_args; i++)
		free(cli->args[i]);
	free(cli->args);
	free(cli->state_dir);
	free(cli->output_dir);
	free(cli->root);
	free(cli->name);
	free(cli->logpack);
}

static void add_arg(struct schedule_cli *cli, const char *arg)
{
	cli->args = xreallocarray(cli->args, cli->n_args + 1, sizeof(*cli->args));
	cli->args[cli->n_args++] = xstrdup(arg);
}

/* An absolute, clean path for p (which need not exist yet). Caller frees. */
static char *absolute(const char *p)
{
	char *real = realpath(p, NULL), cwd[PATH_MAX];

	if (real)
		return real;
	if (p[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(p);
	return xasprintf("%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, p);
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Take one option of install/status/remove; *i moves past its value. 0, or an exit code. */
static int parse_option(struct schedule_cli *cli, int argc, char **argv, int *i)
{
	char *arg = argv[*i], *value = NULL, *eq;
	const char *name;
	size_t name_len;
	const struct passthrough *p = NULL;

	if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
		command_print_help(&command_schedule, stdout);
		return -1;
	}
	if (arg[0] != '-' || arg[1] == '\0')
		return command_usage_error(&command_schedule, "unexpected argument '%s'", arg);
	if (arg[1] == '-') {
		name = arg + 2;
		eq = strchr(name, '=');
		name_len = eq ? (size_t)(eq - name) : strlen(name);
		if (eq)
			value = eq + 1;
		for (size_t k = 0; k < sizeof(snapshot_options) / sizeof(*p) && !p; k++)
			if (strlen(snapshot_options[k].name) == name_len &&
			    strncmp(snapshot_options[k].name, name, name_len) == 0)
				p = &snapshot_options[k];
	} else {
		name = NULL;
		name_len = 0;
		for (size_t k = 0; k < sizeof(snapshot_options) / sizeof(*p) && !p; k++)
			if (snapshot_options[k].short_name == arg[1])
				p = &snapshot_options[k];
		if (p && arg[2])
			value = arg + 2;
		if (p == NULL && strcmp(arg, "-n") == 0) {
			cli->dry_run = 1;
			return 0;
		}
		if (p == NULL)
			return command_usage_error(&command_schedule, "unknown option '%s'", arg);
	}
#define IS(opt) (name && strlen(opt) == name_len && strncmp(name, opt, name_len) == 0)
	if (IS("dry-run") || IS("systemd") || IS("cron") || IS("json") || (p && !p->has_arg)) {
		if (value)
			return command_usage_error(&command_schedule, "'%s' takes no value", arg);
		if (p)
			add_arg(cli, "--force");
		else
			*(IS("dry-run")   ? &cli->dry_run
			  : IS("systemd") ? &cli->force_systemd
			  : IS("cron")    ? &cli->force_cron
			                  : &cli->json) = 1;
		return 0;
	}
	if (!p && !IS("every") && !IS("on-calendar") && !IS("name") && !IS("unit-dir") &&
	    !IS("cron-dir"))
		return command_usage_error(&command_schedule, "unknown option '%s'", arg);
	if (value == NULL) {
		if (*i + 1 >= argc)
			return command_usage_error(&command_schedule, "option '%s' needs a value",
			                           arg);
		value = argv[++*i];
	}
	if (has_control(value))
		return command_usage_error(&command_schedule,
		                           "'%s': control characters in the "
		                           "value",
		                           arg);
	if (IS("every"))
		cli->every = value;
	else if (IS("on-calendar"))
		cli->on_calendar = value;
	else if (IS("name"))
		cli->name_suffix = value;
	else if (IS("unit-dir"))
		cli->unit_dir = value;
	else if (IS("cron-dir"))
		cli->cron_dir = value;
	else {
		char *opt = xasprintf("--%s", p->name);
		char *abs = p->kind == 1 || (p->kind == 2 && strchr(value, '/')) ? absolute(value)
		                                                                 : xstrdup(value);

		add_arg(cli, opt);
		add_arg(cli, abs);
		if (strcmp(p->name, "state") == 0) {
			free(cli->state_dir);
			cli->state_dir = xstrdup(abs);
		} else if (strcmp(p->name, "output") == 0) {
			free(cli->output_dir);
			cli->output_dir = xstrdup(abs);
		} else if (strcmp(p->name, "root") == 0) {
			free(cli->root);
			cli->root = xstrdup(abs);
		} else if (strcmp(p->name, "compress") == 0 && !bag_compression_valid(value)) {
			free(opt);
			free(abs);
			return command_usage_error(&command_schedule,
			                           "--compress: '%s' is not zstd, gzip, xz or none",
			                           value);
		} else if (strcmp(p->name, "keep-for") == 0) {
			int64_t secs;

			if (parse_duration(value, &secs) < 0 || secs <= 0) {
				free(opt);
				free(abs);
				return command_usage_error(&command_schedule,
				                           "--keep-for: '%s' is not a duration",
				                           value);
			}
		}
		free(opt);
		free(abs);
	}
#undef IS
	return 0;
}

/* Run a program (no shell); its exit status, or -1 if it could not be started. */
static int run_program(char *const argv[], int quiet)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;

	posix_spawn_file_actions_init(&fa);
	if (quiet) {
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	}
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int use_systemd(const struct schedule_cli *cli)
{
	if (cli->force_systemd || cli->unit_dir)
		return 1;
	if (cli->force_cron || cli->cron_dir)
		return 0;
	return schedule_systemd_running();
}

/* systemctl acts only on the real unit directory of a running systemd. */
static int manage_systemd(const struct schedule_cli *cli)
{
	return cli->unit_dir == NULL && schedule_systemd_running();
}

static int make_private_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -1;
	return mkdir(dir, 0700);
}

static int do_install(struct schedule_cli *cli)
{
	struct schedule_spec spec = {0};
	const char *unit_dir = cli->unit_dir ? cli->unit_dir : "/etc/systemd/system";
	const char *cron_dir = cli->cron_dir ? cli->cron_dir : "/etc/cron.d";
	char *service = NULL, *timer = NULL, *cron = NULL, *sname = NULL, *tname = NULL;
	struct error err = {{0}};
	int rc = LP_EXIT_FAILURE;

	if (!!cli->every == !!cli->on_calendar)
		return command_usage_error(&command_schedule,
		                           "install needs one of --every or --on-calendar");
	if (cli->every &&
	    (parse_duration(cli->every, &spec.every_seconds) < 0 || spec.every_seconds < 60))
		return command_usage_error(&command_schedule,
		                           "--every: '%s' is not a duration of a minute or more "
		                           "(15m, 1h, 1d)",
		                           cli->every);
	if (!cli->state_dir || !cli->output_dir)
		return command_usage_error(&command_schedule,
		                           "install needs --state DIR and -o DIR: where the series "
		                           "keeps its state, and where bundles go");
	if (use_systemd(cli) && cli->on_calendar) {
		char *check[] = {"systemd-analyze", "calendar", (char *)cli->on_calendar, NULL};
		int r = run_program(check, 1);

		if (r > 0)
			return command_usage_error(
			        &command_schedule,
			        "--on-calendar: systemd does not understand '%s' "
			        "(see systemd.time(7))",
			        cli->on_calendar);
	}
	spec.name = cli->name;
	spec.every = cli->every;
	spec.on_calendar = cli->on_calendar;
	spec.logpack = cli->logpack;
	spec.args = (const char *const *)cli->args;
	spec.n_args = cli->n_args;
	spec.state_dir = cli->state_dir;
	spec.output_dir = cli->output_dir;
	spec.root = cli->root ? cli->root : "/";
	if (use_systemd(cli)) {
		service = schedule_service_text(&spec);
		timer = schedule_timer_text(&spec);
		sname = xasprintf("%s.service", cli->name);
		tname = xasprintf("%s.timer", cli->name);
		if (cli->dry_run) {
			printf("==> %s/%s <==\n%s\n==> %s/%s <==\n%s", unit_dir, sname, service,
			       unit_dir, tname, timer);
			rc = LP_EXIT_OK;
			goto out;
		}
	} else {
		if (schedule_cron_text(&spec, &cron, &err) < 0) {
			rc = command_usage_error(&command_schedule, "%s", err.msg);
			goto out;
		}
		if (cli->dry_run) {
			printf("==> %s/%s <==\n%s", cron_dir, cli->name, cron);
			rc = LP_EXIT_OK;
			goto out;
		}
	}
	if (make_private_dir(cli->state_dir) < 0 || make_private_dir(cli->output_dir) < 0) {
		log_error("cannot create %s or %s: %s", cli->state_dir, cli->output_dir,
		          strerror(errno));
		goto out;
	}
	if (service) {
		if (schedule_write_file(unit_dir, sname, service, &err) < 0 ||
		    schedule_write_file(unit_dir, tname, timer, &err) < 0) {
			log_error("%s", err.msg);
			goto out;
		}
		printf("wrote %s/%s\nwrote %s/%s\n", unit_dir, sname, unit_dir, tname);
		if (manage_systemd(cli)) {
			char *reload[] = {"systemctl", "daemon-reload", NULL};
			char *enable[] = {"systemctl", "enable", "--now", tname, NULL};

			if (run_program(reload, 0) != 0 || run_program(enable, 0) != 0) {
				log_error("systemctl could not enable %s", tname);
				goto out;
			}
			printf("enabled and started %s\n", tname);
		} else {
			log_info("to enable it: systemctl daemon-reload && systemctl enable --now "
			         "%s",
			         tname);
		}
	} else {
		if (schedule_write_file(cron_dir, cli->name, cron, &err) < 0) {
			log_error("%s", err.msg);
			goto out;
		}
		printf("wrote %s/%s\n", cron_dir, cli->name);
	}
	rc = LP_EXIT_OK;
out:
	free(service);
	free(timer);
	free(cron);
	free(sname);
	free(tname);
	return rc;
}

static int do_remove(struct schedule_cli *cli)
{
	const char *unit_dir = cli->unit_dir ? cli->unit_dir : "/etc/systemd/system";
	const char *cron_dir = cli->cron_dir ? cli->cron_dir : "/etc/cron.d";
	char *names[2], *text;
	struct error err = {{0}};
	int rc = LP_EXIT_OK, found = 0;

	names[0] = xasprintf("%s.timer", cli->name);
	names[1] = xasprintf("%s.service", cli->name);
	if (!cli->dry_run && manage_systemd(cli) &&
	    schedule_read_file(unit_dir, names[0], &text, &err) > 0) {
		char *disable[] = {"systemctl", "disable", "--now", names[0], NULL};

		free(text);
		if (run_program(disable, 0) != 0)
			log_warn("systemctl could not disable %s", names[0]);
	}
	for (int i = 0; i < 3; i++) {
		const char *dir = i < 2 ? unit_dir : cron_dir;
		const char *name = i < 2 ? names[i] : cli->name;
		int r;

		if (cli->dry_run) {
			r = schedule_read_file(dir, name, &text, &err);
			free(text);
			if (r > 0)
				printf("would remove %s/%s\n", dir, name);
		} else {
			r = schedule_remove_file(dir, name, &err);
			if (r > 0)
				printf("removed %s/%s\n", dir, name);
		}
		if (r < 0) {
			log_error("%s", err.msg);
			rc = LP_EXIT_FAILURE;
		}
		found |= r > 0;
	}
	if (!cli->dry_run && found && manage_systemd(cli)) {
		char *reload[] = {"systemctl", "daemon-reload", NULL};

		(void)run_program(reload, 0);
	}
	if (!found && rc == LP_EXIT_OK)
		log_info("no schedule %s is installed", cli->name);
	free(names[0]);
	free(names[1]);
	return rc;
}

/* What the series' state says: its last snapshot. */
static json_t *state_summary(const char *state_dir)
{
	char *path = xasprintf("%s/state.json", state_dir), *text = NULL;
	size_t len;
	json_t *st, *o = json_object(), *bundles, *last;

	if (read_small_file(path, 256 * 1024 * 1024, &text, &len) < 0) {
		json_object_set_new(
		        o, "error",
		        json_string(errno == ENOENT ? "no snapshot yet" : strerror(errno)));
		goto out;
	}
	st = json_loadb(text, len, 0, NULL);
	bundles = json_object_get(st, "bundles");
	last = json_array_get(bundles, json_array_size(bundles) - 1);
	if (st == NULL) {
		json_object_set_new(o, "error", json_string("state.json is damaged"));
		goto out;
	}
	json_object_set(o, "series", json_object_get(st, "series"));
	json_object_set(o, "sequence", json_object_get(st, "sequence"));
	if (last) {
		char t[32];

		json_object_set(o, "last_bundle", json_object_get(last, "path"));
		json_object_set_new(
		        o, "last_time",
		        json_string(format_iso8601(
		                (int64_t)json_integer_value(json_object_get(last, "created")), t,
		                sizeof(t))));
	}
	json_decref(st);
out:
	free(text);
	free(path);
	return o;
}

static int do_status(struct schedule_cli *cli)
{
	const char *unit_dir = cli->unit_dir ? cli->unit_dir : "/etc/systemd/system";
	const char *cron_dir = cli->cron_dir ? cli->cron_dir : "/etc/cron.d";
	char *tname = xasprintf("%s.timer", cli->name);
	json_t *report = json_array();
	struct error err = {{0}};
	int rc = LP_EXIT_OK;

	for (int i = 0; i < 2; i++) {
		const char *dir = i == 0 ? unit_dir : cron_dir;
		const char *name = i == 0 ? tname : cli->name;
		char *text = NULL, *when, *state, *output;
		json_t *o;
		int r = schedule_read_file(dir, name, &text, &err);

		if (r < 0) {
			log_error("%s", err.msg);
			rc = LP_EXIT_FAILURE;
		}
		if (r <= 0)
			continue;
		when = schedule_file_field(text, "schedule");
		state = schedule_file_field(text, "state");
		output = schedule_file_field(text, "output");
		o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kind", i == 0 ? "systemd" : "cron", "file",
		              name, "schedule", when ? when : "?", "state", state ? state : "?",
		              "output", output ? output : "?");
		json_object_set_new(o, "dir", json_string(dir));
		if (state)
			json_object_set_new(o, "series", state_summary(state));
		if (i == 0 && manage_systemd(cli)) {
			char *active[] = {"systemctl", "is-active", "--quiet", tname, NULL};

			json_object_set_new(o, "active", json_boolean(run_program(active, 1) == 0));
		}
		json_array_append_new(report, o);
		free(when);
		free(state);
		free(output);
		free(text);
	}
	if (cli->json) {
		json_t *o = json_pack("{s:s,s:O}", "name", cli->name, "installed", report);

		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		size_t i;
		json_t *o;

		if (json_array_size(report) == 0)
			printf("%s: not installed\n", cli->name);
		json_array_foreach(report, i, o)
		{
			json_t *series = json_object_get(o, "series");
			const char *errtext = json_string_value(json_object_get(series, "error"));

			printf("%s: %s, %s/%s, %s\n", cli->name,
			       json_string_value(json_object_get(o, "kind")),
			       json_string_value(json_object_get(o, "dir")),
			       json_string_value(json_object_get(o, "file")),
			       json_string_value(json_object_get(o, "schedule")));
			if (json_object_get(o, "active"))
				printf("  timer: %s\n", json_is_true(json_object_get(o, "active"))
				                                ? "active"
				                                : "NOT active");
			printf("  state: %s\n  output: %s\n",
			       json_string_value(json_object_get(o, "state")),
			       json_string_value(json_object_get(o, "output")));
			if (errtext)
				printf("  last snapshot: %s\n", errtext);
			else
				printf("  last snapshot: %lld of series %s, %s\n",
				       (long long)json_integer_value(
				               json_object_get(series, "sequence")),
				       json_string_value(json_object_get(series, "series")),
				       json_string_value(json_object_get(series, "last_time")));
		}
	}
	json_decref(report);
	free(tname);
	return rc;
}

static int cmd_schedule(int argc, char **argv)
{
	struct schedule_cli cli;
	int rc;

	memset(&cli, 0, sizeof(cli));
	if (argc < 2) {
		rc = command_usage_error(&command_schedule, "which action: install, status or "
		                                            "remove?");
		goto out;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		command_print_help(&command_schedule, stdout);
		rc = LP_EXIT_OK;
		goto out;
	}
	cli.action = argv[1];
	if (strcmp(cli.action, "install") != 0 && strcmp(cli.action, "status") != 0 &&
	    strcmp(cli.action, "remove") != 0) {
		rc = command_usage_error(&command_schedule, "unknown action '%s'", cli.action);
		goto out;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			continue;
		rc = parse_option(&cli, argc, argv, &i);
		if (rc == -1) {
			rc = LP_EXIT_OK; /* --help */
			goto out;
		}
		if (rc != 0)
			goto out;
	}
	if (strcmp(cli.action, "install") != 0 && (cli.n_args || cli.every || cli.on_calendar)) {
		rc = command_usage_error(&command_schedule,
		                         "%s takes only --name, --unit-dir, --cron-dir, --dry-run "
		                         "and --json",
		                         cli.action);
		goto out;
	}
	if (cli.name_suffix &&
	    (cli.name_suffix[0] == '\0' ||
	     strspn(cli.name_suffix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
	                             "QRSTUVWXYZ0123456789_-") != strlen(cli.name_suffix))) {
		rc = command_usage_error(&command_schedule,
		                         "--name: letters, digits, '-' and '_' only (cron ignores "
		                         "other file names)");
		goto out;
	}
	if (cli.force_systemd && cli.force_cron) {
		rc = command_usage_error(&command_schedule, "--systemd or --cron, not both");
		goto out;
	}
	cli.name = cli.name_suffix ? xasprintf("logpack-snapshot-%s", cli.name_suffix)
	                           : xstrdup("logpack-snapshot");
	cli.logpack = realpath("/proc/self/exe", NULL);
	if (cli.logpack == NULL) {
		log_error("cannot find the logpack binary's path: %s", strerror(errno));
		rc = LP_EXIT_FAILURE;
		goto out;
	}
	if (strcmp(cli.action, "install") == 0)
		rc = do_install(&cli);
	else if (strcmp(cli.action, "remove") == 0)
		rc = do_remove(&cli);
	else
		rc = do_status(&cli);
out:
	schedule_cli_free(&cli);
	return rc;
}
