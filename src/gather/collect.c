/*
 * The collection pipeline, orchestrated: root, host facts, profile, walk, space check, then the
 * bag; each source is read by source.c and every record written by records.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "base/cpus.h"
#include <openssl/crypto.h>

#include "bundle/manifest.h"
#include "gather/accounts.h"
#include "gather/collect-private.h"
#include "gather/containers.h"
#include "gather/coverage-host.h"
#include "gather/detect.h"
#include "gather/host.h"
#include "gather/profile.h"
#include "gather/records.h"
#include "gather/rootfs.h"
#include "gather/secrets.h"
#include "gather/source.h"
#include "gather/throttle.h"
#include "gather/walk.h"

static void note(const struct collection *c, enum collect_note kind, const char *fmt, ...)
        LP_ATTR_PRINTF(3, 4);

/* Tell the observer, when there is one (only cmd/ prints). */
static void note(const struct collection *c, enum collect_note kind, const char *fmt, ...)
{
	const struct collect_observer *o = c->opt->observer;
	va_list ap;
	char *text;

	if (o == NULL || o->note == NULL)
		return;
	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	o->note(o->ctx, kind, text);
	free(text);
}

static void progress(const struct collection *c, enum collect_progress_phase phase, uint64_t items,
                     uint64_t bytes)
{
	const struct collect_observer *o = c->opt->observer;

	if (o && o->progress)
		o->progress(o->ctx, phase, items, bytes);
}

/* The stock profile that fits the root best, and why (see detect.h). */
static int choose_profile(struct collection *c, char **name_out, char **reason_out,
                          struct error *err)
{
	if (detect_profile(c->root_fd, name_out, reason_out, err) < 0) {
		error_prefix(err, "%s", c->root_path);
		return -1;
	}
	return 0;
}

/*
 * Does -o name the bundle file itself (by its extension) rather than a directory? When the
 * bundle is encrypted, the encrypted file's extension (".age", ".gpg") names it too.
 */
static int names_bundle_file(const char *out, const char *encrypted_suffix)
{
	static const char *const suffixes[] = {".tar", ".tar.zst", ".tar.gz", ".tar.xz"};

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (str_has_suffix(out, suffixes[i]) && strlen(out) > strlen(suffixes[i]))
			return 1;
	return encrypted_suffix && *encrypted_suffix && str_has_suffix(out, encrypted_suffix) &&
	       strlen(out) > strlen(encrypted_suffix);
}

/* Create dir and its missing parents (0700 each); an existing directory is fine. */
static int make_output_dir(const char *dir, struct error *err)
{
	char *copy = xstrdup(dir);
	struct stat st;
	int rc = -1;

	for (char *p = copy + 1;; p++) {
		int last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
			error_set(err, "output directory %s: %s", copy, strerror(errno));
			goto out;
		}
		if (last)
			break;
		*p = '/';
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		error_set(err, "output directory %s: %s", dir,
		          stat(dir, &st) < 0 ? strerror(errno) : "not a directory");
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/*
 * Where the bundle goes: -o ending in .tar, .tar.zst, .tar.gz or .tar.xz (or, encrypted, .age
 * or .gpg) is the bundle file, any other -o a directory (created when missing) for a bundle
 * named after host and time.
 */
static int resolve_output(struct collection *c, struct error *err)
{
	const struct collect_options *opt = c->opt;
	const char *out = opt->output ? opt->output : ".";
	struct stat st;
	char stamp[32];
	time_t t = (time_t)c->sum->started;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (!names_bundle_file(out, opt->make_filter ? opt->filter_suffix : NULL)) {
		char *host = host_name_for_file(c->host.hostname), *tag = NULL;

		/* A dry run writes nothing, not even the directory. */
		if (!opt->dry_run && make_output_dir(out, err) < 0) {
			free(host);
			return -1;
		}
		if (opt->name_tag && *opt->name_tag)
			tag = host_name_for_file(opt->name_tag);
		/* "-o out/" names the directory out: its bundle is out/logpack-..., not out//... */
		{
			size_t len = strlen(out);

			while (len > 1 && out[len - 1] == '/')
				len--;
			c->output_dir = xstrndup(out, len);
		}
		if (opt->make_filter && !opt->keep_name) {
			/* An encrypted file's name says nothing of the host it came from. */
			unsigned char id[8];

			if (getentropy(id, sizeof(id)) < 0) {
				error_set(err, "random file name: %s", strerror(errno));
				free(host);
				free(tag);
				return -1;
			}
			c->output_path = xasprintf(
			        "%s/logpack-%02x%02x%02x%02x%02x%02x%02x%02x%s",
			        strcmp(c->output_dir, "/") == 0 ? "" : c->output_dir, id[0], id[1],
			        id[2], id[3], id[4], id[5], id[6], id[7], opt->filter_suffix);
		} else {
			c->output_path =
			        xasprintf("%s/logpack-%s%s%s-%s%s%s",
			                  strcmp(c->output_dir, "/") == 0 ? "" : c->output_dir,
			                  host, tag ? "-" : "", tag ? tag : "", stamp,
			                  bag_compression_suffix(opt->compression),
			                  opt->make_filter ? opt->filter_suffix : "");
		}
		free(host);
		free(tag);
	} else {
		c->output_dir = path_dirname(out);
		if (stat(c->output_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			error_set(err, "output directory %s: %s", c->output_dir,
			          stat(c->output_dir, &st) < 0 ? strerror(errno)
			                                       : "not a directory");
			return -1;
		}
		c->output_path = xstrdup(out);
	}
	return 0;
}

/* Is the entry outside --since/--until? Then say why in *why. */
static int outside_window(const struct collect_options *opt, const struct stat *st,
                          const char **why)
{
	if (opt->has_since && st->st_mtime < opt->since) {
		*why = "modified before --since";
		return 1;
	}
	if (opt->has_until && st->st_mtime > opt->until) {
		*why = "modified after --until";
		return 1;
	}
	return 0;
}

/*
 * One read of the whole list for what is needed before the files are: progress totals, the
 * bundle's likely size (stored sizes, with a guess at compression for plain text), whether the
 * journal and the account files are among the files. The list may be on disk: each read of it
 * costs a pass over the temporary file.
 */
static int survey_list(struct collection *c, struct error *err)
{
	static const char *const packed[] = {".gz", ".xz", ".zst", ".bz2", ".lz4", ".zip", ".7z"};
	struct list_survey *sv = &c->survey;
	int compressed = strcmp(c->opt->compression, "none") != 0, rc;
	struct walk_cursor *cur = walk_cursor_open(&c->walk);
	const struct walk_entry *e;

	memset(sv, 0, sizeof(*sv));
	sv->estimate = 1024 * 1024;
	while ((rc = walk_cursor_next(cur, &e, err)) > 0) {
		uint64_t size = (uint64_t)e->st.st_size, limit;
		int already = 0;
		const char *why;

		if (e->kind != ENTRY_FILE)
			continue;
		sv->n_files++;
		sv->file_bytes += size;
		sv->journal |= collect_is_journal(e->path);
		sv->shadow |= strcmp(e->path, "etc/shadow") == 0;
		sv->master_passwd |= strcmp(e->path, "etc/master.passwd") == 0;
		if (outside_window(c->opt, &e->st, &why))
			continue;
		limit = source_size_limit(c->opt->max_file_size, e->rule);
		if (limit && size > limit)
			size = c->opt->skip_large ? 0 : limit;
		for (size_t k = 0; k < sizeof(packed) / sizeof(packed[0]); k++)
			already |= str_has_suffix(e->path, packed[k]);
		/* Text logs shrink several times over; be conservative and count half. */
		sv->estimate += (compressed && !already ? size / 2 : size) + 1536;
	}
	walk_cursor_free(cur);
	return rc;
}

static int check_space(struct collection *c, struct error *err)
{
	struct statvfs vfs;
	uint64_t avail;
	char need[32], have[32];

	c->sum->estimate_bytes =
	        c->has_planned ? 1024 * 1024 + c->planned_bytes + 1536 * (uint64_t)c->walk.count
	                       : c->survey.estimate;
	if (statvfs(c->output_dir, &vfs) < 0) {
		error_set(err, "%s: %s", c->output_dir, strerror(errno));
		return -1;
	}
	avail = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
	if (c->sum->estimate_bytes > avail && !c->opt->force) {
		error_set(err,
		          "not enough space in %s: the bundle needs about %s, %s is free (--force "
		          "to try anyway, or -o elsewhere)",
		          c->output_dir, format_size(c->sum->estimate_bytes, need, sizeof(need)),
		          format_size(avail, have, sizeof(have)));
		return -1;
	}
	return 0;
}

static void plan_line(struct collection *c, const struct walk_entry *e, uint64_t size)
{
	struct collect_summary *s = c->sum;
	char *shown = records_shown_path(e->path);

	s->planned = xreallocarray(s->planned, s->n_planned + 1, sizeof(*s->planned));
	s->planned[s->n_planned++] =
	        xasprintf("%s\t%llu\t/%s", e->rule->category, (unsigned long long)size, shown);
	free(shown);
}

/* Was e reached only by the sweep of the log directories (no profile rule names it)? */
static int is_other(const struct collection *c, const struct walk_entry *e)
{
	return c->n_other_rules && e->rule >= c->rules + (c->n_rules - c->n_other_rules) &&
	       e->rule < c->rules + c->n_rules;
}

/* --no-other: an unclaimed log is listed, not taken (unless its name says it is a secret). */
static int list_other(struct collection *c, const struct walk_entry *e, struct error *err)
{
	const char *secret = c->opt->include_secrets ? NULL : secrets_by_path(e->path);

	if (secret)
		return source_withhold(&c->reader, e, secret, err);
	c->sum->files_other_listed++;
	return record_skip(&c->records, e, "listed",
	                   "unclaimed file under a log directory, not taken (--no-other)", err);
}

static int run_entries(struct collection *c, struct error *err)
{
	uint64_t items = 0;
	struct walk_cursor *cur;
	const struct walk_entry *e;
	const char *why;
	int rc;

	progress(c, COLLECT_PROGRESS_BEGIN, c->survey.n_files, c->survey.file_bytes);
	cur = walk_cursor_open(&c->walk);
	while ((rc = walk_cursor_next(cur, &e, err)) > 0) {
		switch (e->kind) {
		case ENTRY_FILE:
			if (outside_window(c->opt, &e->st, &why)) {
				c->sum->files_skipped++;
				rc = record_skip(&c->records, e, "skipped", why, err);
			} else if (is_other(c, e) && c->opt->no_other) {
				rc = list_other(c, e, err);
			} else {
				uint64_t before = c->sum->files_collected;

				rc = source_store(&c->reader, e, err);
				if (is_other(c, e) && c->sum->files_collected > before)
					c->sum->files_other++;
				items++;
			}
			break;
		case ENTRY_LINK:
			c->sum->links++;
			rc = record_skip(&c->records, e, "link",
			                 "symbolic link: recorded, not followed", err);
			records_log(&c->records, "link /%s -> %s (not followed)", e->path,
			            e->link_target);
			break;
		case ENTRY_SPECIAL:
		case ENTRY_EXCLUDED:
			c->sum->files_skipped++;
			rc = record_skip(&c->records, e, "skipped", e->why, err);
			records_log(&c->records, "skipped /%s: %s", e->path, e->why);
			break;
		}
		if (rc < 0)
			break;
		progress(c, COLLECT_PROGRESS_STEP, items, c->reader.bytes_done);
	}
	walk_cursor_free(cur);
	if (rc < 0)
		return -1;
	progress(c, COLLECT_PROGRESS_END, items, c->reader.bytes_done);
	return 0;
}

/* A dry run keeps the walk in memory (no output directory is made), so its cursor cannot fail. */
static void dry_run_plan(struct collection *c)
{
	struct walk_cursor *cur = walk_cursor_open(&c->walk);
	const struct walk_entry *e;
	struct error ignored = {{0}};
	const char *why;

	while (walk_cursor_next(cur, &e, &ignored) > 0) {
		uint64_t size = (uint64_t)e->st.st_size,
		         limit = source_size_limit(c->opt->max_file_size, e->rule);

		if (e->kind != ENTRY_FILE || outside_window(c->opt, &e->st, &why)) {
			c->sum->files_skipped++;
			continue;
		}
		/* By name only: a dry run opens nothing, so content checks happen at collection. */
		if (!c->opt->include_secrets && (why = secrets_by_path(e->path)) != NULL) {
			c->sum->files_withheld++;
			continue;
		}
		if (is_other(c, e) && c->opt->no_other) {
			c->sum->files_other_listed++;
			continue;
		}
		if (is_other(c, e))
			c->sum->files_other++;
		if (limit && size > limit) {
			if (c->opt->skip_large) {
				c->sum->files_skipped++;
				continue;
			}
			size = limit;
			c->sum->files_truncated++;
		}
		plan_line(c, e, size);
		c->sum->files_collected++;
		c->sum->bytes_collected += size;
	}
	walk_cursor_free(cur);
}

/* Tell the run log what the walk found missing or could not read. */
static void note_walk_findings(struct collection *c)
{
	for (size_t i = 0; i < c->walk.n_absent; i++) {
		const struct rule *r = c->walk.absent[i];

		records_log(&c->records, "expected but absent [%s]: %s (profile rule %s)",
		            r->category, r->pattern, r->origin);
	}
	for (size_t i = 0; i < c->sum->n_explained; i++) {
		char *line = xstrdup(c->sum->explained[i]), *pat = strchr(line, '\t'), *why;

		*pat++ = '\0';
		why = strchr(pat, '\t');
		*why++ = '\0';
		records_log(&c->records, "absent [%s]: %s: %s", line, pat, why);
		free(line);
	}
	for (size_t i = 0; i < c->n_container_notes; i++)
		records_log(&c->records, "%s", c->container_notes[i]);
	for (size_t i = 0; i < c->walk.n_unlisted_homes; i++)
		records_log(&c->records, "home directory %s is not in the root's passwd: taken too",
		            c->walk.unlisted_homes[i]);
	for (size_t i = 0; i < c->walk.n_errors; i++) {
		char *shown = records_shown_path(c->walk.errors[i]);

		note(c, COLLECT_NOTE_WARNING, "cannot read directory /%s", shown);
		free(shown);
		records_log(&c->records, "cannot read directory /%s", c->walk.errors[i]);
		c->partial = 1;
	}
}

static void collection_free(struct collection *c)
{
	if (c->root_fd >= 0)
		close(c->root_fd);
	free(c->root_path);
	host_facts_free(&c->host);
	profile_free(c->profile);
	free(c->rules);
	for (size_t i = 0; i < c->n_other_rules; i++) {
		free(c->other_rules[i].pattern);
		free(c->other_rules[i].category);
		free(c->other_rules[i].origin);
	}
	free(c->other_rules);
	free(c->container_rule.pattern);
	free(c->container_rule.category);
	free(c->container_rule.origin);
	containers_free(&c->containers);
	for (size_t i = 0; i < c->n_container_notes; i++)
		free(c->container_notes[i]);
	free(c->container_notes);
	userdb_free(c->users);
	walk_result_free(&c->walk);
	bag_writer_abort(c->bag);
	records_close(&c->records);
	source_reader_release(&c->reader);
	free(c->output_dir);
	free(c->output_path);
}

static int open_root(struct collection *c, struct error *err)
{
	const char *root = c->opt->root ? c->opt->root : "/";
	struct stat st;

	c->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME);
	if (c->root_fd < 0 && errno == EPERM)
		c->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->root_fd < 0) {
		error_set(err, "--root %s: %s", root, strerror(errno));
		return -1;
	}
	if (fstat(c->root_fd, &st) < 0) {
		error_set(err, "--root %s: %s", root, strerror(errno));
		return -1;
	}
	c->root_path = realpath(root, NULL);
	if (c->root_path == NULL)
		c->root_path = xstrdup(root);
	return 0;
}

static int select_profile(struct collection *c, struct error *err)
{
	const char *want = c->opt->profile;
	char *name = NULL, *reason = NULL;

	if (want == NULL || strcmp(want, "auto") == 0) {
		if (choose_profile(c, &name, &reason, err) < 0)
			return -1;
	} else {
		name = xstrdup(want);
		reason = xstrdup("given with --profile");
	}
	if (profile_load(name, &c->profile, err) < 0) {
		free(name);
		free(reason);
		return -1;
	}
	c->sum->profile = name;
	c->sum->profile_reason = reason;
	return 0;
}

/* Say in collection.log what priorities and read-rate cap the run had. */
static void log_low_impact(struct collection *c)
{
	const struct throttle_priority *p = &c->priority;
	char rate[48] = "not capped", level[16] = "";

	if (c->opt->io_rate)
		snprintf(rate, sizeof(rate), "at most %llu bytes a second",
		         (unsigned long long)c->opt->io_rate);
	if (strcmp(p->io_class, "best-effort") == 0 || strcmp(p->io_class, "realtime") == 0)
		snprintf(level, sizeof(level), " level %d", p->io_level);
	records_log(&c->records, "%s: nice %d, I/O class %s%s, read rate %s",
	            c->opt->nice || c->opt->io_rate ? "low-impact mode" : "priority", p->nice,
	            p->io_class, level, rate);
}

/*
 * logpack/accounts.json: the account dates of the root's shadow file (or BSD master.passwd)
 * when the walk reached it, whether or not the file itself is withheld. Never the hashes.
 */
static int add_accounts(struct collection *c, struct error *err)
{
	static const struct {
		const char *path;
		enum accounts_source kind;
	} sources[] = {
	        {"etc/shadow", ACCOUNTS_SHADOW},
	        {"etc/master.passwd", ACCOUNTS_MASTER_PASSWD},
	};
	const int found[] = {c->survey.shadow, c->survey.master_passwd}; /* in sources' order */

	for (size_t s = 0; s < sizeof(sources) / sizeof(sources[0]); s++) {
		char *text = NULL, *json, *shown;
		size_t len = 0;
		int rc;

		if (!found[s])
			continue;
		if (rootfs_read_small(c->root_fd, sources[s].path, 64u << 20, &text, &len) < 0) {
			records_log(&c->records, "no accounts.json: /%s: %s", sources[s].path,
			            strerror(errno));
			return 0;
		}
		shown = xasprintf("/%s", sources[s].path);
		json = accounts_json(text, len, sources[s].kind, shown);
		OPENSSL_cleanse(text, len);
		free(text);
		free(shown);
		rc = bag_add_tag_file(c->bag, "logpack/accounts.json", json, strlen(json), err);
		free(json);
		if (rc == 0)
			records_log(&c->records,
			            "logpack/accounts.json: account dates from /%s (no hashes)",
			            sources[s].path);
		return rc;
	}
	return 0;
}

static int write_bundle(struct collection *c, struct error *err)
{
	const struct collect_options *opt = c->opt;
	struct bag_writer_options bo = {0};
	struct sink_filter *filter = NULL;
	struct bag_result res;
	char *top, *host, stamp[32], t[32], level[16];
	time_t started = (time_t)c->sum->started;
	struct tm tm;
	int rc;

	gmtime_r(&started, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	host = host_name_for_file(c->host.hostname);
	top = xasprintf("logpack-%s-%s", host, stamp);
	free(host);
	bo.output_path = c->output_path;
	bo.top_dir = top;
	bo.compression = opt->compression;
	bo.level = opt->level;
	if (opt->level >= 0)
		snprintf(level, sizeof(level), "%d", opt->level);
	else
		snprintf(level, sizeof(level), "default");
	/* Resolved once, so that collection.log says what the writer used. */
	bo.jobs = opt->jobs > 0 ? opt->jobs : cpus_available();
	bo.bagging_time = c->sum->started;
	bo.sign = opt->sign;
	bo.sign_ctx = opt->sign_ctx;
	if (opt->hooks && opt->hooks->sealed) {
		bo.sealed = opt->hooks->sealed;
		bo.sealed_ctx = opt->hooks->ctx;
	}
	if (opt->make_filter) {
		if (opt->make_filter(opt->filter_ctx, &filter, err) < 0) {
			free(top);
			return -1;
		}
		bo.filters = &filter;
		bo.n_filters = 1;
	}
	rc = bag_writer_open(&c->bag, &bo, err);
	free(top);
	if (rc < 0)
		return -1;
	if (records_open(&c->records, c->output_dir, c->users, opt->observer, err) < 0)
		return -1;
	records_log(&c->records, "logpack %s collecting from %s (host %s) with profile %s: %s",
	            PACKAGE_VERSION, c->root_path, c->host.hostname, c->profile->name,
	            c->sum->profile_reason);
	records_log(&c->records, "compression %s, level %s; %d job%s hashing and compressing (%s)",
	            opt->compression, level, bo.jobs, bo.jobs == 1 ? "" : "s",
	            opt->jobs > 0 ? "-j" : "one per CPU this process may use");
	log_low_impact(c);
	note_walk_findings(c);
	source_reader_init(&c->reader, c->root_fd, opt, c->bag, &c->records, c->sum);
	if (run_entries(c, err) < 0)
		return -1;
	if (c->reader.partial)
		c->partial = 1;
	coverage_queue_drain(c->reader.coverage_queue);
	if (c->reader.coverage &&
	    coverage_host_finish(c->reader.coverage, c->root_fd, strcmp(c->root_path, "/") == 0,
	                         (int64_t)time(NULL), c->bag, &c->records, err) < 0)
		return -1;
	if (opt->hooks && opt->hooks->finish &&
	    opt->hooks->finish(opt->hooks->ctx, c->bag, c->records.log, err) < 0)
		return -1;
	if (add_accounts(c, err) < 0)
		return -1;
	c->sum->finished = (int64_t)time(NULL);
	if (c->n_other_rules)
		records_log(&c->records,
		            "unclaimed files under the log directories: %llu taken (category "
		            "other), %llu listed only",
		            (unsigned long long)c->sum->files_other,
		            (unsigned long long)c->sum->files_other_listed);
	records_log(&c->records,
	            "withheld: %llu files that may hold secrets (listed in files.jsonl; "
	            "--include-secrets takes them)",
	            (unsigned long long)c->sum->files_withheld);
	records_log(
	        &c->records,
	        "done: %llu files, %llu bytes collected; %llu skipped, %llu unreadable, %llu links",
	        (unsigned long long)c->sum->files_collected,
	        (unsigned long long)c->sum->bytes_collected,
	        (unsigned long long)c->sum->files_skipped,
	        (unsigned long long)c->sum->files_unreadable, (unsigned long long)c->sum->links);
	if (records_add_to_bag(&c->records, c->bag, err) < 0)
		return -1;
	{
		struct host_record hr = {
		        .host = &c->host,
		        .root_path = c->root_path,
		        .profile = c->profile,
		        .profile_reason = c->sum->profile_reason,
		        .walk = &c->walk,
		        .opt = opt,
		        .priority = &c->priority,
		        .started = c->sum->started,
		        .finished = c->sum->finished,
		};
		char *hj = records_host_json(&hr);
		int r = bag_add_tag_file(c->bag, "logpack/host.json", hj, strlen(hj), err);

		free(hj);
		if (r < 0)
			return -1;
	}
	for (size_t i = 0; i < opt->n_extra_tags; i++)
		if (bag_add_tag_file(c->bag, opt->extra_tags[i].name, opt->extra_tags[i].data,
		                     opt->extra_tags[i].len, err) < 0)
			return -1;
	for (size_t i = 0; i < opt->n_extra_info; i++)
		bag_info_add(c->bag, opt->extra_info[i].key, opt->extra_info[i].value);
	bag_info_add(c->bag, "LogPack-Host", c->host.hostname);
	if (c->host.os_pretty)
		bag_info_add(c->bag, "LogPack-OS", c->host.os_pretty);
	bag_info_add(c->bag, "LogPack-Profile", c->profile->name);
	bag_info_add(c->bag, "LogPack-Collection-Start",
	             format_iso8601(c->sum->started, t, sizeof(t)));
	bag_info_add(c->bag, "LogPack-Collection-End",
	             format_iso8601(c->sum->finished, t, sizeof(t)));
	if (c->partial)
		bag_info_add(c->bag, "LogPack-Partial", "yes: some sources could not be read");
	rc = bag_writer_finish(c->bag, &res, err);
	c->bag = NULL;
	if (rc < 0)
		return -1;
	memcpy(c->sum->bundle_sha256, res.bundle_sha256, sizeof(res.bundle_sha256));
	memcpy(c->sum->tagmanifest_sha256, res.tagmanifest_sha256, sizeof(res.tagmanifest_sha256));
	c->sum->bundle_bytes = res.bundle_bytes;
	c->sum->bundle_path = xstrdup(c->output_path);
	c->sum->sidecar_path = res.sidecar_path;
	return 0;
}

int collect_run(const struct collect_options *opt, struct collect_summary *sum, struct error *err)
{
	struct collection c = {0};
	struct walk_options wo = {0};
	struct stat out_st;
	int rc = -1;

	memset(sum, 0, sizeof(*sum));
	c.opt = opt;
	c.sum = sum;
	c.root_fd = -1;
	sum->started = (int64_t)time(NULL);
	/* First, before the sink starts its threads: they inherit the priorities. */
	if (opt->nice && throttle_lower_priority(err) < 0)
		goto out;
	throttle_priority_get(&c.priority);
	if (open_root(&c, err) < 0)
		goto out;
	if (host_facts_gather(c.root_fd, &c.host, err) < 0)
		goto out;
	sum->hostname = xstrdup(c.host.hostname);
	if (select_profile(&c, err) < 0)
		goto out;
	note(&c, COLLECT_NOTE_VERBOSE, "profile %s: %s", sum->profile, sum->profile_reason);
	c.users = userdb_load(c.root_fd);
	if (resolve_output(&c, err) < 0)
		goto out;
	wo.root_fd = c.root_fd;
	wo.excludes = opt->excludes;
	wo.n_excludes = opt->n_excludes;
	wo.n_homes = userdb_homes(c.users, (const char *const **)&wo.homes);
	wo.one_file_system = opt->one_file_system;
	wo.stat_helper = (opt->jobs > 0 ? opt->jobs : cpus_available()) > 1;
	/* Only the bundle itself (with its temporary file and sidecar) is left out. */
	if (stat(c.output_dir, &out_st) == 0) {
		wo.out_name = path_basename(c.output_path);
		wo.out_dev = out_st.st_dev;
		wo.out_ino = out_st.st_ino;
	}
	collect_add_other_rules(&c);
	/* The snapshot planner indexes the list, and a dry run makes no output directory: both
	 * keep it in memory. */
	if (!opt->dry_run && !(opt->hooks && opt->hooks->plan))
		wo.spill_dir = c.output_dir;
	if (walk_rules(&wo, c.rules, c.n_rules, opt->categories, opt->n_categories, &c.walk, err) <
	    0)
		goto out;
	sum->mounts_left_out = opt->one_file_system;
	for (size_t i = 0; i < c.walk.n_mounts; i++) {
		sum->mounts = xreallocarray(sum->mounts, sum->n_mounts + 1, sizeof(*sum->mounts));
		sum->mounts[sum->n_mounts++] = xasprintf("/%s", c.walk.mounts[i]);
	}
	if (c.host.live && collect_category_wanted(opt, "container"))
		collect_add_container_logs(&c, &wo);
	if (survey_list(&c, err) < 0)
		goto out;
	collect_explain_absent(&c);
	for (size_t i = 0; i < c.walk.n_absent; i++) {
		sum->absent = xreallocarray(sum->absent, sum->n_absent + 1, sizeof(*sum->absent));
		sum->absent[sum->n_absent++] =
		        xasprintf("%s\t%s", c.walk.absent[i]->category, c.walk.absent[i]->pattern);
	}
	if (opt->dry_run) {
		sum->estimate_bytes = c.survey.estimate;
		dry_run_plan(&c);
		rc = 0;
		goto out;
	}
	if (opt->hooks && opt->hooks->plan) {
		if (opt->hooks->plan(opt->hooks->ctx, c.root_fd, &c.walk, &c.planned_bytes, err) <
		    0)
			goto out;
		c.has_planned = 1;
	}
	if (check_space(&c, err) < 0)
		goto out;
	if (write_bundle(&c, err) < 0)
		goto out;
	rc = c.partial ? 1 : 0;
out:
	collection_free(&c);
	return rc;
}

void collect_summary_free(struct collect_summary *sum)
{
	free(sum->bundle_path);
	free(sum->sidecar_path);
	free(sum->profile);
	free(sum->profile_reason);
	free(sum->hostname);
	for (size_t i = 0; i < sum->n_absent; i++)
		free(sum->absent[i]);
	free(sum->absent);
	for (size_t i = 0; i < sum->n_planned; i++)
		free(sum->planned[i]);
	free(sum->planned);
	for (size_t i = 0; i < sum->n_mounts; i++)
		free(sum->mounts[i]);
	free(sum->mounts);
	for (size_t i = 0; i < sum->n_explained; i++)
		free(sum->explained[i]);
	free(sum->explained);
	for (size_t i = 0; i < sum->n_withheld; i++)
		free(sum->withheld[i]);
	free(sum->withheld);
	memset(sum, 0, sizeof(*sum));
}
