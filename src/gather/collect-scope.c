/*
 * What a collection takes beyond the profile's rules: every unclaimed file under the system log
 * directories, the logs inside running containers, and the expected files whose absence has a
 * known reason.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gather/collect-private.h"
#include "gather/rootfs.h"

/* The system log directories: every regular file below them is taken, claimed or not. */
static const char *const log_dirs[] = {"/var/log", "/var/adm", "/private/var/log"};

/*
 * The profile's rules, then one rule per log directory in category "other": the first rule
 * that matches a file wins, so these take only what no profile rule names.
 */
void collect_add_other_rules(struct collection *c)
{
	size_t n = sizeof(log_dirs) / sizeof(log_dirs[0]);

	c->other_rules = xcalloc(n, sizeof(*c->other_rules));
	for (size_t i = 0; i < n; i++) {
		c->other_rules[i].pattern = xasprintf("%s/**", log_dirs[i]);
		c->other_rules[i].category = xstrdup("other");
		c->other_rules[i].origin = xstrdup("(unclaimed files under the log directories)");
	}
	c->n_other_rules = n;
	c->n_rules = c->profile->n_rules + n;
	c->rules = xcalloc(c->n_rules, sizeof(*c->rules));
	if (c->profile->n_rules)
		memcpy(c->rules, c->profile->rules, c->profile->n_rules * sizeof(*c->rules));
	memcpy(c->rules + c->profile->n_rules, c->other_rules, n * sizeof(*c->rules));
}

/* Does the root configure a syslog daemon (rsyslog, syslog-ng, sysklogd, BusyBox)? */
static int syslog_configured(int root_fd)
{
	static const char *const configs[] = {
	        "etc/rsyslog.conf", "etc/rsyslog.d",      "etc/syslog-ng/syslog-ng.conf",
	        "etc/syslog.conf",  "etc/syslog-ng.conf",
	};

	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		int fd = rootfs_open(root_fd, configs[i], O_RDONLY | O_NONBLOCK);

		if (fd >= 0) {
			close(fd);
			return 1;
		}
	}
	return 0;
}

int collect_is_journal(const char *path)
{
	return (str_has_prefix(path, "var/log/journal/") ||
	        str_has_prefix(path, "run/log/journal/")) &&
	       (str_has_suffix(path, ".journal") || str_has_suffix(path, ".journal~"));
}

/*
 * Debian 12 and later install no syslog daemon: auth events go to the journal only. A missing
 * file that a syslog daemon writes (rule option "syslog") is then no finding, as long as the
 * journal is taken; with a syslog daemon configured it stays one.
 */
void collect_explain_absent(struct collection *c)
{
	struct walk_result *w = &c->walk;
	size_t kept = 0;
	int no_syslog = -1;

	for (size_t i = 0; i < w->n_absent; i++) {
		const struct rule *r = w->absent[i];

		if (r->flags & RULE_SYSLOG) {
			if (no_syslog < 0)
				no_syslog = !syslog_configured(c->root_fd) && c->survey.journal;
			if (no_syslog) {
				struct collect_summary *s = c->sum;

				s->explained = xreallocarray(s->explained, s->n_explained + 1,
				                             sizeof(*s->explained));
				s->explained[s->n_explained++] =
				        xasprintf("%s\t%s\t%s", r->category, r->pattern,
				                  strcmp(r->category, "auth") == 0
				                          ? "auth events are in the journal (no "
				                            "syslog daemon is "
				                            "configured)"
				                          : "its events are in the journal (no "
				                            "syslog daemon is "
				                            "configured)");
				continue;
			}
		}
		w->absent[kept++] = r;
	}
	w->n_absent = kept;
}

/* Is the category among those --category chose (or are all chosen)? */
int collect_category_wanted(const struct collect_options *opt, const char *category)
{
	if (opt->categories == NULL)
		return 1;
	for (size_t i = 0; i < opt->n_categories; i++)
		if (strcmp(opt->categories[i], category) == 0)
			return 1;
	return 0;
}

static void container_note(struct collection *c, const char *fmt, ...) LP_ATTR_PRINTF(2, 3);

/* A line for collection.log, which is not open yet while the walk runs. */
static void container_note(struct collection *c, const char *fmt, ...)
{
	va_list ap;

	c->container_notes = xreallocarray(c->container_notes, c->n_container_notes + 1,
	                                   sizeof(*c->container_notes));
	va_start(ap, fmt);
	c->container_notes[c->n_container_notes++] = xvasprintf(fmt, ap);
	va_end(ap);
}

/*
 * Is relpath the same directory under both roots? Snap applications run with a root of their
 * own, into which the host's /var/log is bind-mounted: taking it again would double the host's
 * logs.
 */
static int same_dir(int root_a, int root_b, const char *relpath)
{
	struct stat a, b;
	int fa = rootfs_open(root_a, relpath, O_RDONLY | O_DIRECTORY);
	int fb = rootfs_open(root_b, relpath, O_RDONLY | O_DIRECTORY);
	int same = fa >= 0 && fb >= 0 && fstat(fa, &a) == 0 && fstat(fb, &b) == 0 &&
	           a.st_dev == b.st_dev && a.st_ino == b.st_ino;

	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

/*
 * On a live host: the log directory of each running container, walked under the container's
 * own root (/proc/PID/root, never leaving it), stored as containers/ID/var/log/...
 */
void collect_add_container_logs(struct collection *c, const struct walk_options *host_wo)
{
	struct walk_result *w = &c->walk;

	containers_find("/proc", c->root_fd, &c->containers);
	if (c->containers.count == 0)
		return;
	c->container_rule.pattern = xstrdup("/var/log/**");
	c->container_rule.category = xstrdup("container");
	c->container_rule.origin = xstrdup("(log directory of a running container)");
	for (size_t k = 0; k < c->containers.count; k++) {
		const struct container *ct = &c->containers.items[k];
		struct walk_options wo = *host_wo;
		struct walk_result r;
		struct error ignored = {{0}};

		if (same_dir(c->root_fd, ct->root_fd, "var/log")) {
			container_note(c,
			               "container %s (pid %ld) shares the host's /var/log: not "
			               "taken twice",
			               ct->id, ct->pid);
			continue;
		}
		container_note(c,
		               "container %s (name %s, image %s, pid %ld): its /var/log under "
		               "containers/%s/",
		               ct->id, ct->name ? ct->name : "unknown",
		               ct->image ? ct->image : "unknown", ct->pid, ct->id);
		wo.root_fd = ct->root_fd;
		/* Kept in memory: a container's own log directory is one directory. */
		wo.spill_dir = NULL;
		wo.homes = NULL;
		wo.n_homes = 0;
		if (walk_rules(&wo, &c->container_rule, 1, NULL, 0, &r, &ignored) < 0)
			continue;
		w->entries = xreallocarray(w->entries, w->count + r.count + 1, sizeof(*w->entries));
		for (size_t i = 0; i < r.count; i++) {
			struct walk_entry *e = &w->entries[w->count++];

			*e = r.entries[i];
			e->source_path = e->path;
			e->path = xasprintf("containers/%s/%s", ct->id, e->source_path);
			e->container = ct;
			e->seq = w->next_seq++;
		}
		for (size_t i = 0; i < r.n_errors; i++) {
			w->errors = xreallocarray(w->errors, w->n_errors + 1, sizeof(*w->errors));
			w->errors[w->n_errors++] =
			        xasprintf("containers/%s/%s", ct->id, r.errors[i]);
			free(r.errors[i]);
		}
		for (size_t i = 0; i < r.n_unlisted_homes; i++)
			free(r.unlisted_homes[i]);
		free(r.unlisted_homes);
		for (size_t i = 0; i < r.n_mounts; i++)
			free(r.mounts[i]);
		free(r.mounts);
		free(r.errors);
		free(r.absent);
		free(r.entries);
	}
	/* Back in path order; a host path that happens to be named like one is kept: its seq is
	 * lower. */
	walk_result_sort(w);
}
