/* The coverage report's host-wide parts and its tag file. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/timex.h>
#endif

#include "gather/coverage-host.h"
#include "gather/rootfs.h"
#include "report/clock.h"
#include "report/forwarding.h"

/* Configuration files are small; anything larger is not read. */
#define CONFIG_MAX (1024 * 1024)
/* Files read from one ".d" directory. */
#define CONFIG_DIR_MAX 100

static int exists(int root_fd, const char *relpath, struct stat *st)
{
	const char *base;
	int dir_fd = rootfs_open_parent(root_fd, relpath, &base), rc;

	if (dir_fd < 0)
		return 0;
	rc = fstatat(dir_fd, base, st, AT_SYMLINK_NOFOLLOW) == 0;
	close(dir_fd);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Call fn on relpath's text, then on each "*.conf" in dir in name order (dir may be NULL). */
static void each_config(int root_fd, const char *relpath, const char *dir,
                        void (*fn)(void *ctx, const char *shown, const char *text, size_t len),
                        void *ctx)
{
	char *text, **names = NULL;
	size_t len, n = 0;
	int dfd;
	DIR *d;
	struct dirent *de;

	if (relpath && rootfs_read_small(root_fd, relpath, CONFIG_MAX, &text, &len) == 0) {
		char *shown = xasprintf("/%s", relpath);

		fn(ctx, shown, text, len);
		free(shown);
		free(text);
	}
	if (dir == NULL || (dfd = rootfs_open(root_fd, dir, O_RDONLY | O_DIRECTORY)) < 0)
		return;
	d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL && n < CONFIG_DIR_MAX)
		if (str_has_suffix(de->d_name, ".conf") && de->d_name[0] != '.') {
			names = xreallocarray(names, n + 1, sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		char *rel = xasprintf("%s/%s", dir, names[i]);

		if (rootfs_read_small(root_fd, rel, CONFIG_MAX, &text, &len) == 0) {
			char *shown = xasprintf("/%s", rel);

			fn(ctx, shown, text, len);
			free(shown);
			free(text);
		}
		free(rel);
		free(names[i]);
	}
	free(names);
}

struct daemon_ctx {
	const char *kind;
	json_t *servers;
	json_t *files;
};

static void daemon_config(void *ctx, const char *shown, const char *text, size_t len)
{
	struct daemon_ctx *dc = ctx;

	json_array_append_new(dc->files, json_string(shown));
	clock_config_servers(dc->kind, text, len, dc->servers);
}

/* One time daemon: its configuration files, servers, state files and whether it is enabled. */
static json_t *time_daemon(int root_fd, const char *name, const char *kind,
                           const char *const *configs, const char *config_dir,
                           const char *const *states, const char *const *units)
{
	struct daemon_ctx dc = {kind, json_array(), json_array()};
	json_t *d = json_object(), *state = json_array();
	int enabled = 0;
	struct stat st;

	for (size_t i = 0; configs[i]; i++)
		each_config(root_fd, configs[i], i == 0 ? config_dir : NULL, daemon_config, &dc);
	for (size_t i = 0; states[i]; i++)
		if (exists(root_fd, states[i], &st)) {
			char t[40];

			json_array_append_new(
			        state,
			        json_pack("{s:o,s:s}", "path", json_sprintf("/%s", states[i]),
			                  "modified",
			                  format_iso8601((int64_t)st.st_mtime, t, sizeof(t))));
		}
	for (size_t i = 0; units[i]; i++)
		enabled |= exists(root_fd, units[i], &st);
	json_object_set_new(d, "name", json_string(name));
	json_object_set_new(d, "configured",
	                    json_boolean(json_array_size(dc.files) > 0 || enabled));
	json_object_set_new(d, "enabled", json_boolean(enabled));
	json_object_set_new(d, "config_files", dc.files);
	json_object_set_new(d, "servers", dc.servers);
	json_object_set_new(d, "state_files", state);
	return d;
}

static json_t *clock_report(int root_fd, int live)
{
	static const char *const chrony_conf[] = {"etc/chrony/chrony.conf", "etc/chrony.conf",
	                                          NULL};
	static const char *const chrony_state[] = {"var/lib/chrony/drift",
	                                           "var/lib/chrony/chrony.drift", NULL};
	static const char *const chrony_units[] = {
	        "etc/systemd/system/multi-user.target.wants/chrony.service",
	        "etc/systemd/system/multi-user.target.wants/chronyd.service", NULL};
	static const char *const ntp_conf[] = {"etc/ntp.conf", "etc/ntpsec/ntp.conf", NULL};
	static const char *const ntp_state[] = {"var/lib/ntp/ntp.drift", "var/lib/ntpsec/ntp.drift",
	                                        NULL};
	static const char *const ntp_units[] = {
	        "etc/systemd/system/multi-user.target.wants/ntp.service",
	        "etc/systemd/system/multi-user.target.wants/ntpd.service",
	        "etc/systemd/system/multi-user.target.wants/ntpsec.service", NULL};
	static const char *const tsd_conf[] = {"etc/systemd/timesyncd.conf", NULL};
	static const char *const tsd_state[] = {"var/lib/systemd/timesync/clock", NULL};
	static const char *const tsd_units[] = {
	        "etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service", NULL};
	json_t *clock = json_object(), *daemons = json_array();

	json_array_append_new(daemons,
	                      time_daemon(root_fd, "chrony", "chrony", chrony_conf,
	                                  "etc/chrony/conf.d", chrony_state, chrony_units));
	json_array_append_new(daemons, time_daemon(root_fd, "ntpd", "ntpd", ntp_conf, NULL,
	                                           ntp_state, ntp_units));
	json_array_append_new(daemons,
	                      time_daemon(root_fd, "systemd-timesyncd", "timesyncd", tsd_conf,
	                                  "etc/systemd/timesyncd.conf.d", tsd_state, tsd_units));
	json_object_set_new(clock, "daemons", daemons);
#ifdef __linux__
	if (live) {
		/* modes 0: read only, allowed to anyone. */
		struct timex tx = {0};
		int state = adjtimex(&tx);

		if (state >= 0) {
			struct clock_kernel k = {
			        .synchronised = !(tx.status & STA_UNSYNC) && state != TIME_ERROR,
			        .offset_us = (tx.status & STA_NANO) ? tx.offset / 1000 : tx.offset,
			        .maxerror_us = tx.maxerror,
			        .esterror_us = tx.esterror,
			        .status = tx.status,
			};

			json_object_set_new(clock, "kernel", clock_kernel_json(&k));
		} else {
			json_object_set_new(clock, "kernel",
			                    json_pack("{s:s}", "error", strerror(errno)));
		}
	}
#else
	(void)live;
#endif
	clock_summarise(clock);
	return clock;
}

/* A short printable copy of a name read from the root (a link target, /etc/timezone). */
static json_t *clean_name(const char *s, size_t n)
{
	struct strbuf sb = {0};
	json_t *v;

	for (size_t i = 0; i < n && i < 200; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n' || c == '\r')
			break;
		if (c >= 0x20 && c < 0x7f)
			strbuf_addch(&sb, (char)c);
		else
			strbuf_addf(&sb, "\\x%02x", c);
	}
	v = json_string(sb.buf ? sb.buf : "");
	strbuf_release(&sb);
	return v;
}

static json_t *time_zone(int root_fd)
{
	char *text, target[512];
	size_t len;
	const char *base;
	struct stat st;
	int dir_fd;
	ssize_t n = -1;

	if (rootfs_read_small(root_fd, "etc/timezone", 4096, &text, &len) == 0) {
		json_t *tz = json_pack("{s:o,s:s}", "name", clean_name(text, len), "source",
		                       "/etc/timezone");

		free(text);
		return tz;
	}
	dir_fd = rootfs_open_parent(root_fd, "etc/localtime", &base);
	if (dir_fd >= 0) {
		n = readlinkat(dir_fd, base, target, sizeof(target) - 1);
		close(dir_fd);
	}
	if (n > 0) {
		const char *zi;

		target[n] = '\0';
		zi = strstr(target, "zoneinfo/");
		return json_pack("{s:o,s:s}", "name",
		                 clean_name(zi ? zi + 9 : target, strlen(zi ? zi + 9 : target)),
		                 "source", "/etc/localtime (symbolic link)");
	}
	if (exists(root_fd, "etc/localtime", &st))
		return json_pack("{s:s,s:s}", "name", "unknown (a copy of a zone file)", "source",
		                 "/etc/localtime");
	return json_pack("{s:s,s:s}", "name", "UTC", "source",
	                 "none: no /etc/timezone or /etc/localtime, so the C library's default");
}

struct forward_ctx {
	enum forwarding_kind kind;
	json_t *out;
};

static void forward_config(void *ctx, const char *shown, const char *text, size_t len)
{
	struct forward_ctx *fc = ctx;

	forwarding_parse(fc->kind, shown, text, len, fc->out);
}

static void slog_config(void *ctx, const char *shown, const char *text, size_t len)
{
	forwarding_slog_macs(shown, text, len, ctx);
}

static json_t *forwarding(int root_fd)
{
	static const struct {
		enum forwarding_kind kind;
		const char *file, *dir;
	} configs[] = {
	        {FORWARDING_RSYSLOG, "etc/rsyslog.conf", "etc/rsyslog.d"},
	        {FORWARDING_SYSLOG_NG, "etc/syslog-ng/syslog-ng.conf", "etc/syslog-ng/conf.d"},
	        {FORWARDING_JOURNALD, "etc/systemd/journald.conf", "etc/systemd/journald.conf.d"},
	        {FORWARDING_JOURNAL_UPLOAD, "etc/systemd/journal-upload.conf",
	         "etc/systemd/journal-upload.conf.d"},
	        {FORWARDING_AUDISP_REMOTE, "etc/audit/audisp-remote.conf", NULL},
	        {FORWARDING_AUDISP_REMOTE, "etc/audisp/audisp-remote.conf", NULL},
	};
	struct forward_ctx fc = {0, json_array()};

	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		fc.kind = configs[i].kind;
		each_config(root_fd, configs[i].file, configs[i].dir, forward_config, &fc);
	}
	return fc.out;
}

static void log_line(void *ctx, const char *text)
{
	records_log(ctx, "%s", text);
}

static int tag_begin(void *bag, uint64_t size, struct error *err)
{
	return bag_tag_begin(bag, COVERAGE_TAG_NAME, size, err);
}

static int tag_write(void *bag, const void *buf, size_t len, struct error *err)
{
	return bag_tag_write(bag, buf, len, err);
}

int coverage_host_finish(struct coverage *cov, int root_fd, int live, int64_t collected_at,
                         struct bag_writer *bag, struct records *records, struct error *err)
{
	/* Straight into the bag: at 100,000 logs the document is some 50 MB. */
	struct coverage_out out = {tag_begin, tag_write, bag};

	coverage_set(cov, "time_zone", time_zone(root_fd));
	coverage_set(cov, "clock", clock_report(root_fd, live));
	coverage_set(cov, "forwarding", forwarding(root_fd));
	each_config(root_fd, "etc/syslog-ng/syslog-ng.conf", "etc/syslog-ng/conf.d", slog_config,
	            coverage_seals(cov));
	records_log(records, "coverage of the logs (logpack/coverage.json):");
	if (coverage_write(cov, collected_at, &out, log_line, records, err) < 0)
		return -1;
	return bag_tag_end(bag, err);
}
