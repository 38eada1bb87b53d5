/* Periodic snapshots: systemd units and cron entries. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic-file.h"
#include "series/schedule.h"

/* Characters that need no quoting, in a systemd command line or a shell one. */
static int plain_arg(const char *arg)
{
	if (*arg == '\0')
		return 0;
	for (const char *p = arg; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./"
		            ":=,+@-",
		            *p))
			return 0;
	return 1;
}

/* An argument for ExecStart=: double quotes with C escapes; % and $ doubled (specifiers,
 * variables). */
static void add_systemd_arg(struct strbuf *sb, const char *arg)
{
	int plain = plain_arg(arg);

	if (!plain)
		strbuf_addch(sb, '"');
	for (const char *p = arg; *p; p++) {
		if (*p == '%' || *p == '$')
			strbuf_addch(sb, *p);
		else if (!plain && (*p == '"' || *p == '\\'))
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *p);
	}
	if (!plain)
		strbuf_addch(sb, '"');
}

/*
 * A path in ReadOnlyPaths= or ReadWritePaths=: quoted as in ExecStart=, % doubled (specifiers
 * are expanded there), but $ kept as it is (no variables are expanded there, so "$$" would name
 * another path).
 */
static void add_systemd_path(struct strbuf *sb, const char *path)
{
	int plain = plain_arg(path);

	if (!plain)
		strbuf_addch(sb, '"');
	for (const char *p = path; *p; p++) {
		if (*p == '%')
			strbuf_addch(sb, '%');
		else if (!plain && (*p == '"' || *p == '\\'))
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *p);
	}
	if (!plain)
		strbuf_addch(sb, '"');
}

/* An argument for /bin/sh in a crontab: single quotes; % escaped (cron makes it a newline). */
static void add_cron_arg(struct strbuf *sb, const char *arg)
{
	int plain = plain_arg(arg);

	if (!plain)
		strbuf_addch(sb, '\'');
	for (const char *p = arg; *p; p++) {
		if (*p == '\'')
			strbuf_addstr(sb, "'\\''");
		else if (*p == '%')
			strbuf_addstr(sb, "\\%");
		else
			strbuf_addch(sb, *p);
	}
	if (!plain)
		strbuf_addch(sb, '\'');
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int schedule_spec_check(const struct schedule_spec *s, struct error *err)
{
	const char *fields[] = {s->name,      s->every,      s->on_calendar, s->logpack,
	                        s->state_dir, s->output_dir, s->root};
	static const char *const names[] = {
	        "the name",       "--every",         "--on-calendar", "the logpack binary's path",
	        "the state path", "the output path", "the root path"};

	/* Never echoed: the text itself could drive the terminal. */
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i] && has_control(fields[i])) {
			error_set(err, "control characters in %s: not written into a schedule",
			          names[i]);
			return -1;
		}
	for (size_t i = 0; i < s->n_args; i++)
		if (has_control(s->args[i])) {
			error_set(err,
			          "control characters in snapshot argument %zu: not written into a "
			          "schedule",
			          i + 1);
			return -1;
		}
	return 0;
}

static void add_fields(struct strbuf *sb, const struct schedule_spec *s)
{
	strbuf_addf(sb, "%s\n", SCHEDULE_MARKER);
	if (s->every)
		strbuf_addf(sb, "# logpack-schedule: every %s\n", s->every);
	else
		strbuf_addf(sb, "# logpack-schedule: on-calendar %s\n", s->on_calendar);
	strbuf_addf(sb, "# logpack-state: %s\n# logpack-output: %s\n", s->state_dir, s->output_dir);
}

char *schedule_service_text(const struct schedule_spec *s)
{
	struct strbuf sb = STRBUF_INIT;

	add_fields(&sb, s);
	strbuf_addstr(&sb, "[Unit]\n"
	                   "Description=logpack snapshot: preserve new log bytes in a chained "
	                   "bundle\n"
	                   "After=local-fs.target\n"
	                   "\n"
	                   "[Service]\n"
	                   "Type=oneshot\n"
	                   "ExecStart=");
	add_systemd_arg(&sb, s->logpack);
	strbuf_addstr(&sb, " --quiet snapshot");
	for (size_t i = 0; i < s->n_args; i++) {
		strbuf_addch(&sb, ' ');
		add_systemd_arg(&sb, s->args[i]);
	}
	strbuf_addstr(&sb,
	              "\n"
	              "# Exit 7: the snapshot was taken and found anomalies (see the bundle's\n"
	              "# logpack/anomalies.jsonl); the unit shows as failed so that it is seen.\n");
	/* --nice asks for the lowest CPU priority; without it a snapshot still yields to the
	 * host's own work. Either way the disk serves it only when nobody else asks. */
	strbuf_addstr(&sb, s->nice ? "Nice=19\n" : "Nice=10\n");
	strbuf_addstr(&sb,
	              "IOSchedulingClass=idle\n"
	              "UMask=0077\n"
	              "# Read every log, and read without touching access times; nothing else.\n"
	              "CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_FOWNER\n"
	              "NoNewPrivileges=yes\n"
	              "ProtectSystem=strict\n"
	              "ProtectHome=read-only\n"
	              "PrivateTmp=yes\n"
	              "PrivateDevices=yes\n");
	if (!s->network)
		strbuf_addstr(&sb, "PrivateNetwork=yes\n");
	strbuf_addstr(&sb, "ProtectKernelTunables=yes\n"
	                   "ProtectKernelModules=yes\n"
	                   "ProtectKernelLogs=yes\n"
	                   "ProtectControlGroups=yes\n"
	                   "ProtectClock=yes\n"
	                   "ProtectHostname=yes\n");
	/* An upload needs the network (and DNS through it); nothing else does. */
	strbuf_addstr(&sb, s->network ? "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n"
	                              : "RestrictAddressFamilies=AF_UNIX\n");
	strbuf_addstr(&sb, "RestrictNamespaces=yes\n"
	                   "RestrictRealtime=yes\n"
	                   "RestrictSUIDSGID=yes\n"
	                   "LockPersonality=yes\n"
	                   "SystemCallArchitectures=native\n"
	                   "ReadOnlyPaths=");
	add_systemd_path(&sb, s->root);
	strbuf_addstr(&sb, "\nReadWritePaths=");
	add_systemd_path(&sb, s->state_dir);
	strbuf_addch(&sb, ' ');
	add_systemd_path(&sb, s->output_dir);
	strbuf_addch(&sb, '\n');
	return strbuf_detach(&sb);
}

char *schedule_timer_text(const struct schedule_spec *s)
{
	struct strbuf sb = STRBUF_INIT;

	add_fields(&sb, s);
	strbuf_addf(&sb,
	            "[Unit]\n"
	            "Description=Periodic logpack snapshot (%s)\n"
	            "\n"
	            "[Timer]\n",
	            s->name);
	if (s->every)
		strbuf_addf(&sb, "OnBootSec=%llds\nOnUnitActiveSec=%llds\n",
		            (long long)s->every_seconds, (long long)s->every_seconds);
	else
		strbuf_addf(&sb, "OnCalendar=%s\nPersistent=true\n", s->on_calendar);
	strbuf_addstr(&sb, "AccuracySec=1s\n"
	                   "\n"
	                   "[Install]\n"
	                   "WantedBy=timers.target\n");
	return strbuf_detach(&sb);
}

int schedule_cron_text(const struct schedule_spec *s, char **out, struct error *err)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t n = s->every_seconds;
	char when[64];

	*out = NULL;
	if (s->on_calendar) {
		static const char *const named[] = {"hourly", "daily", "weekly", "monthly"};
		size_t i;

		for (i = 0; i < 4 && strcmp(s->on_calendar, named[i]) != 0; i++)
			;
		if (i == 4) {
			error_set(err,
			          "cron cannot express --on-calendar '%s': use --every, or "
			          "hourly, daily, weekly or monthly",
			          s->on_calendar);
			return -1;
		}
		snprintf(when, sizeof(when), "@%s", named[i]);
	} else if (n % 60 == 0 && n / 60 >= 1 && n / 60 < 60 && 60 % (n / 60) == 0) {
		snprintf(when, sizeof(when), n == 60 ? "* * * * *" : "*/%lld * * * *",
		         (long long)(n / 60));
	} else if (n % 3600 == 0 && n / 3600 >= 1 && n / 3600 < 24 && 24 % (n / 3600) == 0) {
		snprintf(when, sizeof(when), n == 3600 ? "0 * * * *" : "0 */%lld * * *",
		         (long long)(n / 3600));
	} else if (n == 86400) {
		snprintf(when, sizeof(when), "0 0 * * *");
	} else if (n == 7 * 86400) {
		snprintf(when, sizeof(when), "0 0 * * 0");
	} else {
		error_set(err,
		          "cron cannot run every %s: use minutes that divide an hour (1m..30m), "
		          "hours that divide a day (1h..12h), 1d or 1w",
		          s->every);
		return -1;
	}
	add_fields(&sb, s);
	strbuf_addstr(&sb, "SHELL=/bin/sh\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n");
	strbuf_addf(&sb, "%s root ", when);
	add_cron_arg(&sb, s->logpack);
	strbuf_addstr(&sb, " --quiet snapshot");
	for (size_t i = 0; i < s->n_args; i++) {
		strbuf_addch(&sb, ' ');
		add_cron_arg(&sb, s->args[i]);
	}
	strbuf_addch(&sb, '\n');
	*out = strbuf_detach(&sb);
	return 0;
}

int schedule_systemd_running(void)
{
	struct stat st;

	return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

int schedule_read_file(const char *dir, const char *name, char **text, struct error *err)
{
	char *path = xasprintf("%s/%s", dir, name);
	size_t len;
	int rc = -1;

	*text = NULL;
	if (read_small_file(path, 1024 * 1024, text, &len) < 0) {
		if (errno == ENOENT)
			rc = 0;
		else
			error_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!str_has_prefix(*text, SCHEDULE_MARKER)) {
		error_set(err, "%s was not written by logpack schedule: left alone", path);
		free(*text);
		*text = NULL;
		goto out;
	}
	rc = 1;
out:
	free(path);
	return rc;
}

int schedule_write_file(const char *dir, const char *name, const char *text, struct error *err)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *old = NULL;
	int rc = -1;

	/* Only a file logpack wrote is replaced, and only when it would change. */
	if (schedule_read_file(dir, name, &old, err) < 0)
		goto out;
	if (old && strcmp(old, text) == 0) {
		rc = 0;
		goto out;
	}
	rc = atomic_file_write(path, text, strlen(text), 0644, ATOMIC_FILE_REPLACE, err) < 0 ? -1
	                                                                                     : 1;
out:
	free(old);
	free(path);
	return rc;
}

int schedule_remove_file(const char *dir, const char *name, struct error *err)
{
	char *text = NULL, *path;
	int rc = schedule_read_file(dir, name, &text, err);

	free(text);
	if (rc <= 0)
		return rc;
	path = xasprintf("%s/%s", dir, name);
	if (unlink(path) < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	free(path);
	return rc;
}

char *schedule_file_field(const char *text, const char *key)
{
	char *want = xasprintf("\n# logpack-%s: ", key);
	const char *p = strstr(text, want), *end;
	char *value = NULL;

	if (p) {
		p += strlen(want);
		end = strchr(p, '\n');
		value = end ? xstrndup(p, (size_t)(end - p)) : xstrdup(p);
	}
	free(want);
	return value;
}
