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
#include "cmd/collect-opts.h"
#include "cmd/command.h"
#include "series/schedule.h"

extern char **environ;

static int cmd_schedule(int argc, char **argv);
static void print_help(FILE *fp);

const struct command command_schedule = {
        .name = "schedule",
        .usage = "schedule install (--every DURATION|--on-calendar SPEC) --state DIR -o DIR "
                 "[SNAPSHOT OPTIONS] | status | remove",
        .summary = "install, show or remove a periodic snapshot (systemd timer, or cron)",
        .print_help = print_help,
        .run = cmd_schedule,
};

enum {
	SCHEDULE_OPT_CRON = 0x1200,
	SCHEDULE_OPT_CRON_DIR,
	SCHEDULE_OPT_EVERY,
	SCHEDULE_OPT_JSON,
	SCHEDULE_OPT_NAME,
	SCHEDULE_OPT_ON_CALENDAR,
	SCHEDULE_OPT_SYSTEMD,
	SCHEDULE_OPT_UNIT_DIR,
};

/* schedule's own options; every other snapshot option is passed on (collect-opts.c). */
static const struct collect_opt schedule_options[] = {
        {COLLECT_OPT("cron", SCHEDULE_OPT_CRON, COLLECT_ARG_NONE, NULL,
                     "write a cron entry even where systemd runs")},
        {COLLECT_OPT("cron-dir", SCHEDULE_OPT_CRON_DIR, COLLECT_ARG_TEXT, "DIR",
                     "where the cron entry goes (default /etc/cron.d)")},
        {COLLECT_OPT("dry-run", 'n', COLLECT_ARG_NONE, NULL,
                     "print what would be written or removed")},
        {COLLECT_OPT("every", SCHEDULE_OPT_EVERY, COLLECT_ARG_TEXT, "DURATION",
                     "run every DURATION (15m, 1h, 1d), from boot on")},
        {COLLECT_OPT("help", 'h', COLLECT_ARG_NONE, NULL, "this text")},
        {COLLECT_OPT("json", SCHEDULE_OPT_JSON, COLLECT_ARG_NONE, NULL,
                     "status: a machine-readable report")},
        {COLLECT_OPT("name", SCHEDULE_OPT_NAME, COLLECT_ARG_TEXT, "NAME",
                     "several schedules: logpack-snapshot-NAME")},
        {COLLECT_OPT("on-calendar", SCHEDULE_OPT_ON_CALENDAR, COLLECT_ARG_TEXT, "SPEC",
                     "run at a systemd calendar time (\"*-*-* 02:00\";\n"
                     "cron: hourly, daily, weekly or monthly)")},
        {COLLECT_OPT("systemd", SCHEDULE_OPT_SYSTEMD, COLLECT_ARG_NONE, NULL,
                     "write systemd units even if systemd is not running")},
        {COLLECT_OPT("unit-dir", SCHEDULE_OPT_UNIT_DIR, COLLECT_ARG_TEXT, "DIR",
                     "where units go (default /etc/systemd/system; then\n"
                     "systemctl is left to you)")},
};
#define N_SCHEDULE_OPTIONS (sizeof(schedule_options) / sizeof(schedule_options[0]))

static void print_help(FILE *fp)
{
	fputs("Actions:\n"
	      "  install    write a systemd service and timer (where systemd runs, and enable\n"
	      "             them), or else a cron entry in /etc/cron.d, that run\n"
	      "             'logpack snapshot' with the snapshot options given\n"
	      "  status     what is installed, its schedule, and the series' last snapshot\n"
	      "  remove     disable and remove what install wrote (never the state or the\n"
	      "             bundles)\n"
	      "\n"
	      "Options:\n",
	      fp);
	collect_opts_print_help(fp, COLLECT_CMD_SCHEDULE, schedule_options, N_SCHEDULE_OPTIONS, 0);
	fputs("\n"
	      "Snapshot options (see 'logpack snapshot --help'): --state DIR and -o DIR are\n"
	      "required; these are passed on, paths made absolute:\n",
	      fp);
	collect_opts_print_names(fp, COLLECT_CMD_SCHEDULE, schedule_options, N_SCHEDULE_OPTIONS);
	fputs("and with --upload URL the upload options of 'logpack upload' (but not\n"
	      "--delete-after-upload). A scheduled run does not see this shell's environment:\n"
	      "give upload secrets with --credentials FILE.\n"
	      "The service runs in a sandbox: the system read-only (ProtectSystem=strict),\n"
	      "only the state and output directories writable, private /tmp, no new\n"
	      "privileges, no network (with --upload: IPv4 and IPv6 only). The units are\n"
	      "checked with systemd-analyze verify, where it exists, before they are\n"
	      "installed. See docs/snapshots.md.\n"
	      "\n"
	      "Exit: 0 done, 2 usage, 3 failed.\n",
	      fp);
}

struct schedule_cli {
	const char *action;
	const char *every, *on_calendar, *name_suffix, *unit_dir, *cron_dir;
	int force_systemd, force_cron, dry_run, json;
	char **args; /* snapshot arguments, owned */
	size_t n_args;
	char *state_dir, *output_dir, *root;
	char *name;
	char *logpack;
	/* snapshot's options as snapshot would read them, to check them now and not at 2 am */
	struct collect_options snapshot_opt;
	struct collect_cli snapshot;
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
	collect_cli_free(&cli->snapshot);
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

/*
 * Why a URL cannot go into a schedule, or NULL. The unit and the cron entry are readable by
 * every user, and a pre-signed URL is good for one object only.
 */
static const char *url_refusal(const char *url)
{
	const char *host = strstr(url, "://"), *end;

	if (strchr(url, '?'))
		return "a pre-signed URL (one with a query) is good for one bundle, and the "
		       "installed files are readable by every user";
	if (host) {
		host += 3;
		end = host + strcspn(host, "/");
		for (const char *at = host; at < end; at++)
			if (*at == '@' && memchr(host, ':', (size_t)(at - host)))
				return "a password in the URL would be readable by every user in "
				       "the "
				       "installed files; give it with --credentials FILE";
	}
	return NULL;
}

/* Pass a snapshot option on, its paths made absolute. 0, or an exit code. */
static int pass_on(struct schedule_cli *cli, int c, const char *value)
{
	struct collect_opt_info info;
	char *opt, *abs;
	int rc;

	if (collect_opt_describe(COLLECT_CMD_SCHEDULE, c, &info) < 0)
		return command_usage_error(&command_schedule, "unknown option");
	/* The same checks as snapshot's, so that a bad value is refused now. */
	if ((rc = collect_cli_option(&cli->snapshot, &command_schedule, COLLECT_CMD_SCHEDULE, c,
	                             value)) != 0)
		return rc;
	opt = xasprintf("--%s", info.name);
	add_arg(cli, opt);
	free(opt);
	if (info.arg == COLLECT_ARG_NONE)
		return 0;
	if (c == COLLECT_OPT_UPLOAD && url_refusal(value))
		return command_usage_error(&command_schedule, "--upload: %s", url_refusal(value));
	abs = info.arg == COLLECT_ARG_PATH ||
	                      (info.arg == COLLECT_ARG_NAME_OR_PATH && strchr(value, '/')) ||
	                      (info.arg == COLLECT_ARG_RECIPIENT && !str_has_prefix(value, "age1"))
	              ? absolute(value)
	              : xstrdup(value);
	/* The current directory or a link's target may bring what the argument did not. */
	if (has_control(abs)) {
		free(abs);
		return command_usage_error(
		        &command_schedule,
		        "--%s: the absolute path of '%s' holds control characters", info.name,
		        value);
	}
	add_arg(cli, abs);
	if (c == 's') {
		free(cli->state_dir);
		cli->state_dir = abs;
	} else if (c == 'o') {
		free(cli->output_dir);
		cli->output_dir = abs;
	} else if (c == 'r') {
		free(cli->root);
		cli->root = abs;
	} else {
		free(abs);
	}
	return 0;
}

/* The long name of one of schedule's options or of a snapshot option, for messages. */
static const char *option_name(int c)
{
	struct collect_opt_info info;

	for (size_t i = 0; i < N_SCHEDULE_OPTIONS; i++)
		if (schedule_options[i].id == c)
			return schedule_options[i].name;
	return collect_opt_describe(COLLECT_CMD_SCHEDULE, c, &info) == 0 ? info.name : "?";
}

/* Take one getopt result. 0, or an exit code (-1: --help was printed). */
static int take_option(struct schedule_cli *cli, int c)
{
	const char **slot = NULL;

	if (c != '?' && optarg && has_control(optarg))
		return command_usage_error(&command_schedule,
		                           "'--%s': control characters in the value",
		                           option_name(c));
	switch (c) {
	case 'h':
		command_print_help(&command_schedule, stdout);
		return -1;
	case '?':
		return command_option_error(&command_schedule);
	case 'n':
		cli->dry_run = 1;
		return 0;
	case SCHEDULE_OPT_CRON:
		cli->force_cron = 1;
		return 0;
	case SCHEDULE_OPT_JSON:
		cli->json = 1;
		return 0;
	case SCHEDULE_OPT_SYSTEMD:
		cli->force_systemd = 1;
		return 0;
	case SCHEDULE_OPT_CRON_DIR:
		slot = &cli->cron_dir;
		break;
	case SCHEDULE_OPT_EVERY:
		slot = &cli->every;
		break;
	case SCHEDULE_OPT_NAME:
		slot = &cli->name_suffix;
		break;
	case SCHEDULE_OPT_ON_CALENDAR:
		slot = &cli->on_calendar;
		break;
	case SCHEDULE_OPT_UNIT_DIR:
		slot = &cli->unit_dir;
		break;
	default:
		return pass_on(cli, c, optarg);
	}
	*slot = optarg;
	return 0;
}

/*
 * Run a program (no shell), its output to the file output ("/dev/null" to silence it) or, when
 * output is NULL, to ours. Its exit status; -1 if it did not exit; -2 if it could not be started.
 */
static int run_program(char *const argv[], const char *output)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;

	posix_spawn_file_actions_init(&fa);
	if (output) {
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, output,
		                                 O_WRONLY | O_CREAT | O_TRUNC, 0600);
		posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	}
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -2;
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

/*
 * Check the units with systemd-analyze verify, where it exists, before they are installed: a
 * unit it rejects, or a setting it warns that systemd would ignore, is not installed. The
 * units are checked in a private directory, so that nothing is in place until they pass.
 * 0: they pass, or there is no systemd-analyze; -1: rejected (reported).
 */
static int verify_units(const char *sname, const char *service, const char *tname,
                        const char *timer)
{
	/* TMPDIR as every tool honours it, when it is an absolute path; else /tmp. */
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/logpack-verify.XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
	char *spath = NULL, *tpath = NULL, *opath = NULL, *output = NULL;
	struct error err = {{0}};
	size_t len = 0;
	int r, rc = -1;

	if (mkdtemp(dir) == NULL) {
		log_error("cannot check the units: %s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	spath = xasprintf("%s/%s", dir, sname);
	tpath = xasprintf("%s/%s", dir, tname);
	opath = xasprintf("%s/verify.out", dir);
	if (schedule_write_file(dir, sname, service, &err) < 0 ||
	    schedule_write_file(dir, tname, timer, &err) < 0) {
		log_error("cannot check the units: %s", err.msg);
		goto out;
	}
	{
		char *verify[] = {"systemd-analyze", "verify", spath, tpath, NULL};

		r = run_program(verify, opath);
	}
	if (r == -2) {
		log_verbose("no systemd-analyze: the units are not checked");
		rc = 0;
		goto out;
	}
	if (read_small_file(opath, 64 * 1024, &output, &len) < 0)
		len = 0;
	if (r == 0 && len == 0) {
		rc = 0;
		goto out;
	}
	log_error("systemd-analyze verify %s the units (exit %d); nothing installed%s%.*s",
	          r == 0 ? "warns about" : "rejects", r, len ? ":\n" : "",
	          (int)(len && output[len - 1] == '\n' ? len - 1 : len), len ? output : "");
out:
	unlink(spath);
	unlink(tpath);
	unlink(opath);
	rmdir(dir);
	free(dir);
	free(spath);
	free(tpath);
	free(opath);
	free(output);
	return rc;
}

/* "wrote DIR/NAME", or "unchanged DIR/NAME" when it already held the same text (a second
 * install of the same schedule changes nothing: configuration tools check for this word). */
static void print_written(int written, const char *dir, const char *name)
{
	printf("%s %s/%s\n", written ? "wrote" : "unchanged", dir, name);
}

/* For --dry-run, on stderr beside the text: whether install would write dir/name. */
static void say_would_write(const char *dir, const char *name, const char *text)
{
	struct error err = {{0}};
	char *old = NULL;
	int r = schedule_read_file(dir, name, &old, &err);

	if (r < 0)
		log_info("%s", err.msg);
	else if (r > 0 && strcmp(old, text) == 0)
		log_info("unchanged %s/%s", dir, name);
	else
		log_info("would write %s/%s", dir, name);
	free(old);
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
		int r = run_program(check, "/dev/null");

		if (r > 0)
			return command_usage_error(
			        &command_schedule,
			        "--on-calendar: systemd does not understand '%s' "
			        "(see systemd.time(7))",
			        cli->on_calendar);
	}
	/* What would stop every scheduled snapshot (a report that fails its check, signing
	 * settings that do not resolve) stops the install instead. */
	if ((rc = collect_cli_prepare(&cli->snapshot, 0)) != 0) {
		log_error("nothing installed: every scheduled snapshot would fail the same way");
		return rc;
	}
	rc = LP_EXIT_FAILURE;
	spec.name = cli->name;
	spec.every = cli->every;
	spec.on_calendar = cli->on_calendar;
	spec.logpack = cli->logpack;
	spec.args = (const char *const *)cli->args;
	spec.n_args = cli->n_args;
	spec.state_dir = cli->state_dir;
	spec.output_dir = cli->output_dir;
	spec.root = cli->root ? cli->root : "/";
	spec.network = cli->snapshot.upload.to != NULL;
	spec.nice = cli->snapshot_opt.nice;
	if (spec.network && cli->snapshot.upload.credentials == NULL)
		log_info("the scheduled snapshot will not see this shell's environment: give "
		         "upload secrets with --credentials FILE");
	if (schedule_spec_check(&spec, &err) < 0) {
		rc = command_usage_error(&command_schedule, "%s", err.msg);
		goto out;
	}
	if (use_systemd(cli)) {
		service = schedule_service_text(&spec);
		timer = schedule_timer_text(&spec);
		sname = xasprintf("%s.service", cli->name);
		tname = xasprintf("%s.timer", cli->name);
		if (cli->dry_run) {
			printf("==> %s/%s <==\n%s\n==> %s/%s <==\n%s", unit_dir, sname, service,
			       unit_dir, tname, timer);
			say_would_write(unit_dir, sname, service);
			say_would_write(unit_dir, tname, timer);
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
			say_would_write(cron_dir, cli->name, cron);
			rc = LP_EXIT_OK;
			goto out;
		}
	}
	if (service && verify_units(sname, service, tname, timer) < 0)
		goto out;
	if (make_private_dir(cli->state_dir) < 0 || make_private_dir(cli->output_dir) < 0) {
		log_error("cannot create %s or %s: %s", cli->state_dir, cli->output_dir,
		          strerror(errno));
		goto out;
	}
	if (service) {
		int ws = schedule_write_file(unit_dir, sname, service, &err);
		int wt = ws < 0 ? -1 : schedule_write_file(unit_dir, tname, timer, &err);

		if (ws < 0 || wt < 0) {
			log_error("%s", err.msg);
			goto out;
		}
		print_written(ws, unit_dir, sname);
		print_written(wt, unit_dir, tname);
		if (manage_systemd(cli)) {
			char *reload[] = {"systemctl", "daemon-reload", NULL};
			char *enable[] = {"systemctl", "enable", "--now", tname, NULL};

			if (run_program(reload, NULL) != 0 || run_program(enable, NULL) != 0) {
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
		int w = schedule_write_file(cron_dir, cli->name, cron, &err);

		if (w < 0) {
			log_error("%s", err.msg);
			goto out;
		}
		print_written(w, cron_dir, cli->name);
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
		if (run_program(disable, NULL) != 0)
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

		(void)run_program(reload, NULL);
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

			json_object_set_new(o, "active",
			                    json_boolean(run_program(active, "/dev/null") == 0));
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
	struct option *longopts = NULL;
	char *shortopts = NULL;
	int c, rc = LP_EXIT_OK;

	memset(&cli, 0, sizeof(cli));
	collect_cli_init(&cli.snapshot, &cli.snapshot_opt);
	collect_opts_tables(COLLECT_CMD_SCHEDULE, schedule_options, N_SCHEDULE_OPTIONS, &longopts,
	                    &shortopts);
	while ((c = command_getopt(argc, argv, shortopts, longopts)) != -1)
		if ((rc = take_option(&cli, c)) != 0)
			break;
	if (rc == -1) {
		rc = LP_EXIT_OK; /* --help */
		goto out;
	}
	if (rc != 0)
		goto out;
	if (optind >= argc) {
		rc = command_usage_error(&command_schedule, "which action: install, status or "
		                                            "remove?");
		goto out;
	}
	cli.action = argv[optind];
	if (strcmp(cli.action, "install") != 0 && strcmp(cli.action, "status") != 0 &&
	    strcmp(cli.action, "remove") != 0) {
		rc = command_usage_error(&command_schedule, "unknown action '%s'", cli.action);
		goto out;
	}
	if (optind + 1 < argc) {
		rc = command_usage_error(&command_schedule, "unexpected argument '%s'",
		                         argv[optind + 1]);
		goto out;
	}
	if (strcmp(cli.action, "install") != 0 && (cli.n_args || cli.every || cli.on_calendar)) {
		rc = command_usage_error(&command_schedule,
		                         "%s takes only --name, --unit-dir, --cron-dir, --dry-run "
		                         "and --json",
		                         cli.action);
		goto out;
	}
	if ((rc = collect_cli_finish(&cli.snapshot, &command_schedule, COLLECT_CMD_SCHEDULE)) != 0)
		goto out;
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
	if (has_control(cli.logpack)) {
		log_error("the logpack binary's path holds control characters: not written down");
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
	free(longopts);
	free(shortopts);
	return rc;
}
