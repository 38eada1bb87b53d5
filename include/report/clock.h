/*
 * The clock at collection, from what the root holds: which time daemon is configured (chrony,
 * ntpd, systemd-timesyncd), its servers and state files, the time zone and where it came from;
 * and on a live host the kernel's synchronisation status. The files are read by the caller
 * (gather/coverage-host.c); this module only parses their text, which may be anything.
 */
#ifndef LOGPACK_REPORT_CLOCK_H
#define LOGPACK_REPORT_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * The servers a time daemon's configuration names: "server", "pool" and "peer" lines of
 * chrony.conf and ntp.conf, NTP= and FallbackNTP= of timesyncd.conf (kind "timesyncd").
 * Appends strings to servers.
 */
void clock_config_servers(const char *kind, const char *text, size_t len, json_t *servers);

/* What the kernel said (adjtimex, read only). */
struct clock_kernel {
	int synchronised; /* STA_UNSYNC clear and the state not TIME_ERROR */
	long offset_us, maxerror_us, esterror_us;
	int status;
};

/* The kernel's status as JSON. */
json_t *clock_kernel_json(const struct clock_kernel *k);

/*
 * The one-line summary for a clock object whose "daemons" (each with "name", "configured",
 * "enabled", "servers") and optional "kernel" are filled: set as its "summary".
 */
void clock_summarise(json_t *clock);

#endif
