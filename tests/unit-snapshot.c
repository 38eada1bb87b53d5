/* Unit tests: rotation families, and quoting in systemd units and cron entries. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "series/schedule.h"
#include "series/snapshot.h"
#include "tap.h"

static void base_is(const char *path, const char *want)
{
	char *got = snapshot_rotation_base(path);

	is_str(got, want, "rotation base of %s", path);
	free(got);
}

int main(void)
{
	const char *args[] = {"--state", "/var/lib/log pack/st%1$x", "--output", "/srv/it's"};
	struct schedule_spec spec = {
	        .name = "logpack-snapshot",
	        .every = "15m",
	        .every_seconds = 900,
	        .logpack = "/usr/bin/logpack",
	        .args = args,
	        .n_args = 4,
	        .state_dir = "/var/lib/log pack/st%1$x",
	        .output_dir = "/srv/it's",
	        .root = "/",
	};
	struct error err;
	char *text, *cron, *field;

	base_is("var/log/syslog", "var/log/syslog");
	base_is("var/log/syslog.1", "var/log/syslog");
	base_is("var/log/syslog.12.gz", "var/log/syslog");
	base_is("var/log/auth.log-20240501", "var/log/auth.log");
	base_is("var/log/auth.log-20240501.xz", "var/log/auth.log");
	base_is("var/log/app-1.log", "var/log/app-1.log");
	base_is("var/log/dpkg.log.zst", "var/log/dpkg.log");
	base_is("1", "1");

	text = schedule_service_text(&spec);
	ok(strstr(text, "\nExecStart=/usr/bin/logpack --quiet snapshot --state "
	                "\"/var/lib/log pack/st%%1$$x\" --output \"/srv/it's\"\n") != NULL,
	   "ExecStart quotes blanks, doubles %% and $");
	ok(strstr(text, "\nReadWritePaths=\"/var/lib/log pack/st%%1$x\" \"/srv/it's\"\n") != NULL,
	   "ReadWritePaths quoted the same way, but $ kept single (no variables there)");
	ok(strncmp(text, SCHEDULE_MARKER "\n", strlen(SCHEDULE_MARKER) + 1) == 0,
	   "the service starts with the marker");
	field = schedule_file_field(text, "state");
	is_str(field, "/var/lib/log pack/st%1$x", "the state field reads back");
	free(field);
	free(text);

	text = schedule_timer_text(&spec);
	ok(strstr(text, "\nOnUnitActiveSec=900s\n") != NULL, "timer interval in seconds");
	free(text);

	ok(schedule_cron_text(&spec, &cron, &err) == 0, "cron text for 15m");
	ok(strstr(cron, "\n*/15 * * * * root /usr/bin/logpack --quiet snapshot --state "
	                "'/var/lib/log pack/st\\%1$x' --output '/srv/it'\\''s'\n") != NULL,
	   "cron quotes for sh and escapes %%");
	free(cron);
	spec.every_seconds = 7 * 60;
	spec.every = "7m";
	ok(schedule_cron_text(&spec, &cron, &err) < 0 && cron == NULL, "7m is refused for cron");
	spec.every = NULL;
	spec.on_calendar = "weekly";
	ok(schedule_cron_text(&spec, &cron, &err) == 0 && strstr(cron, "\n@weekly root ") != NULL,
	   "weekly calendar as @weekly");
	free(cron);
	return tap_done();
}
