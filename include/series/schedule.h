/*
 * Periodic snapshots: the systemd service and timer, or the cron entry, that run
 * `logpack snapshot` on a schedule; writing, reading back and removing them.
 */
#ifndef LOGPACK_SCHEDULE_H
#define LOGPACK_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* The first line of every file logpack writes here; files without it are never touched. */
#define SCHEDULE_MARKER \
	"# Written by logpack schedule install; remove with: logpack schedule remove"

struct schedule_spec {
	const char *name;  /* unit and cron file name: "logpack-snapshot[-NAME]" */
	const char *every; /* a duration ("15m"), or NULL */
	int64_t every_seconds;
	const char *on_calendar; /* a systemd calendar spec, or NULL */
	const char *logpack;     /* absolute path of the logpack binary */
	const char *const *args; /* snapshot's arguments, paths absolute */
	size_t n_args;
	const char *state_dir, *output_dir, *root; /* absolute */
	int network; /* the snapshot uploads: the service may use IPv4 and IPv6 */
	int nice;    /* --nice passed on: the unit asks for the lowest priority too */
};

/*
 * -1 (err says which) when a string of s holds a control character: each is written on one
 * line of a unit or of /etc/cron.d, where a newline would begin a setting or a job of its own.
 */
int schedule_spec_check(const struct schedule_spec *s, struct error *err);
/* The text of <name>.service, <name>.timer and the cron.d entry. Caller frees. */
char *schedule_service_text(const struct schedule_spec *s);
char *schedule_timer_text(const struct schedule_spec *s);
/* -1 when the schedule cannot be said in cron (err says why). */
int schedule_cron_text(const struct schedule_spec *s, char **out, struct error *err);

/* Is systemd the running init (sd_booted)? */
int schedule_systemd_running(void);

/*
 * Write dir/name (mode 0644) atomically. An existing file is replaced only if logpack wrote
 * it (it starts with SCHEDULE_MARKER); one that already holds text is left as it is, so that
 * installing the same schedule twice changes nothing. Returns 1 written, 0 unchanged, or -1
 * with err.
 */
int schedule_write_file(const char *dir, const char *name, const char *text, struct error *err);
/* Remove dir/name if logpack wrote it: 1 removed, 0 absent, -1 foreign or error (err). */
int schedule_remove_file(const char *dir, const char *name, struct error *err);
/* Read dir/name if logpack wrote it: 1 read (caller frees *text), 0 absent, -1 error. */
int schedule_read_file(const char *dir, const char *name, char **text, struct error *err);
/* The value of a "# logpack-KEY: value" line of a file schedule wrote. Caller frees. */
char *schedule_file_field(const char *text, const char *key);

#endif
