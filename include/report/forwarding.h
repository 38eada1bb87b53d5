/*
 * Where copies of the logs go, from the logging daemons' configuration: rsyslog (legacy "@" and
 * "@@" actions, :omrelp:, and action(type="omfwd"/"omrelp")), syslog-ng network destinations,
 * journald's ForwardToSyslog, systemd-journal-upload's URL and audisp-remote's remote_server.
 * Each destination found is appended to out as {"destination", "via", "file", "line"}. The
 * text is the configuration file's, which may hold anything.
 */
#ifndef LOGPACK_REPORT_FORWARDING_H
#define LOGPACK_REPORT_FORWARDING_H

#include <stddef.h>

#include <jansson.h>

enum forwarding_kind {
	FORWARDING_RSYSLOG,
	FORWARDING_SYSLOG_NG,
	FORWARDING_JOURNALD,
	FORWARDING_JOURNAL_UPLOAD,
	FORWARDING_AUDISP_REMOTE,
};

/* Parse one configuration file (file: its path as shown, "/etc/rsyslog.conf"). */
void forwarding_parse(enum forwarding_kind kind, const char *file, const char *text, size_t len,
                      json_t *out);

/*
 * syslog-ng's secure logging: the MAC files its $(slog ...) template functions name
 * ("-m FILE", "--mac-file FILE"), appended to seals as {"path", "kind", "file"}.
 */
void forwarding_slog_macs(const char *file, const char *text, size_t len, json_t *seals);

#endif
