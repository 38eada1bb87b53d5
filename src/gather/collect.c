/* The collection pipeline: profile, walk, read once, hash and archive, tag files. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/log.h"
#include "bundle/manifest.h"
#include "gather/collect.h"
#include "gather/detect.h"
#include "gather/host.h"
#include "gather/profile.h"
#include "gather/rootfs.h"
#include "gather/walk.h"

#define READ_CHUNK (1024 * 1024)

/* Everything one run holds; freed in collect_run. */
struct collection {
	const struct collect_options *opt;
	struct collect_summary *sum;
	int root_fd;
	char *root_path;
	struct host_facts host;
	struct profile *profile;
	struct userdb *users;
	struct walk_result walk;
	struct bag_writer *bag;
	FILE *files_jsonl;
	FILE *log;
	FILE *bodyfile;
	char *buf;
	char *output_dir;
	char *output_path;
	int partial;
	uint64_t planned_bytes; /* what the plan hook will store, when there is one */
	int has_planned;
};

static void iso_time(const struct timespec *ts, char *buf, size_t len)
{
	char base[32];

	format_iso8601((int64_t)ts->tv_sec, base, sizeof(base));
	base[strlen(base) - 1] = '\0'; /* drop the Z */
	snprintf(buf, len, "%s.%09ldZ", base, ts->tv_nsec);
}

static void run_log(struct collection *c, const char *fmt, ...) LP_ATTR_PRINTF(2, 3);

/*
 * A line in collection.log, stamped with the time. Names from the source tree may hold line
 * breaks, terminal controls or bytes that are not UTF-8: escaped as bag names are, so that one
 * event is one line and the tag file stays UTF-8.
 */
static void run_log(struct collection *c, const char *fmt, ...)
{
	char stamp[32], *text, *safe;
	va_list ap;
	int changed;

	if (c->log == NULL)
		return;
	format_iso8601((int64_t)time(NULL), stamp, sizeof(stamp));
	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	safe = bagname_encode(text, strlen(text), &changed);
	fprintf(c->log, "%s %s\n", stamp, safe);
	free(safe);
	free(text);
}

/* A source path for the terminal: escaped like a bag name. Caller frees. */
static char *shown_path(const char *path)
{
	int changed;

	return bagname_encode(path, strlen(path), &changed);
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
	if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
		char *host = host_name_for_file(c->host.hostname), *tag = NULL;

		if (opt->name_tag && *opt->name_tag)
			tag = host_name_for_file(opt->name_tag);
		c->output_dir = xstrdup(out);
		if (opt->make_filter && !opt->keep_name) {
			/* An encrypted file's name says nothing of the host it came from. */
			unsigned char id[8];

			if (getentropy(id, sizeof(id)) < 0) {
				error_set(err, "random file name: %s", strerror(errno));
				free(host);
				free(tag);
				return -1;
			}
			c->output_path = xasprintf("%s/logpack-%02x%02x%02x%02x%02x%02x%02x%02x%s",
			                           out, id[0], id[1], id[2], id[3], id[4], id[5],
			                           id[6], id[7], opt->filter_suffix);
		} else {
			c->output_path = xasprintf("%s/logpack-%s%s%s-%s%s%s", out, host,
			                           tag ? "-" : "", tag ? tag : "", stamp,
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

static const char *file_type_name(mode_t mode)
{
	if (S_ISREG(mode))
		return "file";
	if (S_ISLNK(mode))
		return "symlink";
	if (S_ISDIR(mode))
		return "directory";
	if (S_ISFIFO(mode))
		return "fifo";
	if (S_ISSOCK(mode))
		return "socket";
	if (S_ISCHR(mode))
		return "char-device";
	if (S_ISBLK(mode))
		return "block-device";
	return "unknown";
}

/* The Sleuth Kit body file's mode column: "r/rrw-r--r--". */
static void body_mode(mode_t mode, char out[13])
{
	char t = S_ISREG(mode)    ? 'r'
	         : S_ISLNK(mode)  ? 'l'
	         : S_ISDIR(mode)  ? 'd'
	         : S_ISFIFO(mode) ? 'p'
	         : S_ISSOCK(mode) ? 's'
	         : S_ISCHR(mode)  ? 'c'
	         : S_ISBLK(mode)  ? 'b'
	                          : '-';
	const char *rwx = "rwxrwxrwx";

	out[0] = t;
	out[1] = '/';
	out[2] = t;
	for (int i = 0; i < 9; i++)
		out[3 + i] = (mode & (1 << (8 - i))) ? rwx[i] : '-';
	out[12] = '\0';
}

/* Birth time, where statx has it; 0 otherwise. */
static void birth_time(int dir_or_fd, const char *name, struct timespec *out)
{
	out->tv_sec = 0;
	out->tv_nsec = 0;
#if defined(HAVE_STATX) && defined(STATX_BTIME)
	struct statx sx;
	int flags = name ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH;

	if (statx(dir_or_fd, name ? name : "", flags, STATX_BTIME, &sx) == 0 &&
	    (sx.stx_mask & STATX_BTIME)) {
		out->tv_sec = sx.stx_btime.tv_sec;
		out->tv_nsec = sx.stx_btime.tv_nsec;
	}
#else
	(void)dir_or_fd;
	(void)name;
#endif
}

/* The fields every record has: names, rule, and the metadata of st. */
static json_t *record_new(struct collection *c, const struct walk_entry *e, const struct stat *st,
                          const struct timespec *btime, char **bagname_out)
{
	char mode[8], t[48];
	int escaped, escaped_path, shortened;
	char *bagname = bagname_for_path(e->path, strlen(e->path), &escaped, &shortened);
	char *path_text = bagname_encode(e->path, strlen(e->path), &escaped_path);
	char *host_path = xasprintf("/%s", path_text);
	const char *owner = userdb_user(c->users, st->st_uid);
	const char *group = userdb_group(c->users, st->st_gid);
	json_t *rec = json_object();

	snprintf(mode, sizeof(mode), "%04o", (unsigned)(st->st_mode & 07777));
	json_object_set_new(rec, "path", json_string(host_path));
	if (escaped_path)
		json_object_set_new(rec, "path_escaped", json_true());
	if (shortened)
		json_object_set_new(rec, "path_shortened", json_true());
	json_object_set_new(rec, "category", json_string(e->rule->category));
	json_object_set_new(rec, "rule", json_string(e->rule->pattern));
	json_object_set_new(rec, "rule_origin", json_string(e->rule->origin));
	json_object_set_new(rec, "type", json_string(file_type_name(st->st_mode)));
	json_object_set_new(rec, "mode", json_string(mode));
	json_object_set_new(rec, "uid", json_integer((json_int_t)st->st_uid));
	json_object_set_new(rec, "gid", json_integer((json_int_t)st->st_gid));
	json_object_set_new(rec, "owner", owner ? json_string(owner) : json_null());
	json_object_set_new(rec, "group", group ? json_string(group) : json_null());
	json_object_set_new(rec, "inode", json_integer((json_int_t)st->st_ino));
	json_object_set_new(rec, "links", json_integer((json_int_t)st->st_nlink));
	json_object_set_new(rec, "size", json_integer((json_int_t)st->st_size));
	iso_time(&st->st_mtim, t, sizeof(t));
	json_object_set_new(rec, "mtime", json_string(t));
	iso_time(&st->st_atim, t, sizeof(t));
	json_object_set_new(rec, "atime", json_string(t));
	iso_time(&st->st_ctim, t, sizeof(t));
	json_object_set_new(rec, "ctime", json_string(t));
	if (btime && btime->tv_sec) {
		iso_time(btime, t, sizeof(t));
		json_object_set_new(rec, "btime", json_string(t));
	}
	free(host_path);
	free(path_text);
	*bagname_out = bagname;
	return rec;
}

static int record_write(struct collection *c, json_t *rec, struct error *err)
{
	char *line = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII);

	if (line == NULL || fprintf(c->files_jsonl, "%s\n", line) < 0) {
		error_set(err, "files.jsonl: %s", line ? strerror(errno) : "cannot encode record");
		free(line);
		return -1;
	}
	free(line);
	return 0;
}

/* A body file line for the record's path (as files.jsonl writes it: escaped, with a '/'). */
static void body_line(struct collection *c, const json_t *rec, const struct stat *st,
                      const struct timespec *btime, const char *link_target)
{
	const char *path = json_string_value(json_object_get(rec, "path"));
	char mode[13];

	body_mode(st->st_mode, mode);
	fputs("0|", c->bodyfile);
	/* '|' separates the columns: escape it the way bag names escape other bytes. */
	for (const char *p = path; *p; p++)
		*p == '|' ? fputs("\\x7c", c->bodyfile) : fputc(*p, c->bodyfile);
	if (link_target) {
		fputs(" -> ", c->bodyfile);
		for (const char *p = link_target; *p; p++)
			*p == '|' ? fputs("\\x7c", c->bodyfile) : fputc(*p, c->bodyfile);
	}
	fprintf(c->bodyfile, "|%llu|%s|%lu|%lu|%lld|%lld|%lld|%lld|%lld\n",
	        (unsigned long long)st->st_ino, mode, (unsigned long)st->st_uid,
	        (unsigned long)st->st_gid, (long long)st->st_size, (long long)st->st_atim.tv_sec,
	        (long long)st->st_mtim.tv_sec, (long long)st->st_ctim.tv_sec,
	        (long long)(btime ? btime->tv_sec : 0));
}

static int skip_record(struct collection *c, const struct walk_entry *e, const char *status,
                       const char *reason, struct error *err)
{
	char *bagname;
	json_t *rec = record_new(c, e, &e->st, NULL, &bagname);
	int rc;

	json_object_set_new(rec, "status", json_string(status));
	if (reason)
		json_object_set_new(rec, "reason", json_string(reason));
	if (e->kind == ENTRY_LINK) {
		int esc;
		char *target = bagname_encode(e->link_target, strlen(e->link_target), &esc);

		json_object_set_new(rec, "link_target", json_string(target));
		body_line(c, rec, &e->st, NULL, target);
		free(target);
	}
	rc = record_write(c, rec, err);
	json_decref(rec);
	free(bagname);
	return rc;
}

/* A source that a hook chose not to store (snapshot: unchanged, already held). */
static int hook_skip_record(struct collection *c, const struct walk_entry *e,
                            struct collect_decision *d, struct error *err)
{
	char *bagname;
	json_t *rec = record_new(c, e, &e->st, NULL, &bagname);
	int rc;

	json_object_set_new(rec, "status", json_string(d->status ? d->status : "skipped"));
	if (d->reason)
		json_object_set_new(rec, "reason", json_string(d->reason));
	if (d->record)
		json_object_update(rec, d->record);
	json_decref(d->record);
	d->record = NULL;
	rc = record_write(c, rec, err);
	json_decref(rec);
	free(bagname);
	return rc;
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

static uint64_t size_limit(const struct collect_options *opt, const struct rule *r)
{
	return r->max_size ? r->max_size : opt->max_file_size;
}

/* Read one source once: the same bytes go to the hash and to the archive. */
static int store_file(struct collection *c, const struct walk_entry *e, uint64_t *bytes_done,
                      struct error *err)
{
	const struct collect_options *opt = c->opt;
	const int base_flags = O_RDONLY | O_NONBLOCK | O_NOCTTY;
	int fd, read_errno = 0, grew = 0;
	struct stat st, after;
	struct timespec btime;
	uint64_t size, stored, offset = 0, limit, left, padding = 0;
	char hex[SHA256_HEX_LEN + 1], *bagname = NULL;
	json_t *rec = NULL;
	const struct collect_hooks *hooks = opt->hooks;
	struct collect_decision d = {0};
	int rc = -1;

	fd = rootfs_open(c->root_fd, e->path, base_flags);
	if (fd < 0) {
		int saved = errno;

		if (saved == ENOENT)
			return skip_record(c, e, "skipped", "vanished before it could be read",
			                   err);
		c->partial = 1;
		c->sum->files_unreadable++;
		{
			char *shown = shown_path(e->path);

			log_warn("/%s: %s", shown, strerror(saved));
			free(shown);
		}
		run_log(c, "unreadable /%s: %s", e->path, strerror(saved));
		{
			char *bn;
			json_t *r = record_new(c, e, &e->st, NULL, &bn);

			json_object_set_new(r, "status", json_string("unreadable"));
			json_object_set_new(r, "error", json_string(strerror(saved)));
			rc = record_write(c, r, err);
			json_decref(r);
			free(bn);
		}
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return skip_record(c, e, "skipped", "no longer a regular file", err);
	}
	birth_time(fd, NULL, &btime);
	size = (uint64_t)st.st_size;
	stored = size;
	limit = size_limit(opt, e->rule);
	if (hooks && hooks->decide) {
		if (hooks->decide(hooks->ctx, e, fd, &st, &d, err) < 0) {
			close(fd);
			json_decref(d.record);
			return -1;
		}
		if (d.take == COLLECT_TAKE_SKIP) {
			close(fd);
			return hook_skip_record(c, e, &d, err);
		}
		if (d.take == COLLECT_TAKE_SEGMENT) {
			offset = d.offset;
			stored = d.length;
			limit = 0;
			if (lseek(fd, (off_t)offset, SEEK_SET) < 0) {
				read_errno = errno;
				offset = 0;
			}
		}
	}
	if (limit && size > limit) {
		if (opt->skip_large) {
			close(fd);
			c->sum->files_skipped++;
			run_log(c, "skipped /%s: %llu bytes, larger than the limit (--skip-large)",
			        e->path, (unsigned long long)size);
			return skip_record(c, e, "skipped",
			                   "larger than the size limit (--skip-large)", err);
		}
		/* Keep the end: the newest lines of a log are the ones an incident needs. */
		offset = size - limit;
		stored = limit;
		if (lseek(fd, (off_t)offset, SEEK_SET) < 0) {
			read_errno = errno;
			offset = 0;
		}
	}
	rec = record_new(c, e, &st, &btime, &bagname);
	if (bag_payload_begin(c->bag, bagname, stored, (int64_t)st.st_mtime, err) < 0)
		goto out;
	for (left = stored; left > 0 && read_errno == 0;) {
		ssize_t n = read(fd, c->buf, left < READ_CHUNK ? (size_t)left : READ_CHUNK);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			read_errno = errno;
			break;
		}
		if (n == 0)
			break;
		if (bag_payload_write(c->bag, c->buf, (size_t)n, err) < 0)
			goto out;
		if (hooks && hooks->data)
			hooks->data(hooks->ctx, c->buf, (size_t)n);
		left -= (uint64_t)n;
		*bytes_done += (uint64_t)n;
	}
	/* A file that shrank (or failed) mid-read is padded with zeros to the size announced
	 * in the archive header, as GNU tar does; the record says how much is padding. */
	if (left > 0) {
		padding = left;
		memset(c->buf, 0, left < READ_CHUNK ? (size_t)left : READ_CHUNK);
		while (left > 0) {
			size_t n = left < READ_CHUNK ? (size_t)left : READ_CHUNK;

			if (bag_payload_write(c->bag, c->buf, n, err) < 0)
				goto out;
			left -= n;
		}
	}
	if (bag_payload_end(c->bag, hex, err) < 0)
		goto out;
	if (hooks && hooks->stored &&
	    hooks->stored(hooks->ctx, e, &st, offset, stored - padding, padding, hex, err) < 0)
		goto out;
	if (d.record) {
		json_object_update(rec, d.record);
		json_decref(d.record);
		d.record = NULL;
	}
	if (fstat(fd, &after) == 0 && after.st_size > st.st_size)
		grew = 1;
	json_object_set_new(rec, "status", json_string(read_errno ? "unreadable" : "collected"));
	{
		char *bp = xasprintf("data/%s", bagname);

		json_object_set_new(rec, "bag_path", json_string(bp));
		free(bp);
	}
	json_object_set_new(rec, "stored_size", json_integer((json_int_t)stored));
	json_object_set_new(rec, "sha256", json_string(hex));
	if (d.take == COLLECT_TAKE_WHOLE && (offset || stored < size)) {
		json_object_set_new(rec, "truncated", json_true());
		json_object_set_new(rec, "offset", json_integer((json_int_t)offset));
		c->sum->files_truncated++;
		run_log(c, "truncated /%s: kept the last %llu of %llu bytes", e->path,
		        (unsigned long long)stored, (unsigned long long)size);
	}
	if (grew) {
		json_object_set_new(rec, "grew", json_true());
		run_log(c, "/%s grew while it was read; stored the %llu bytes present at open",
		        e->path, (unsigned long long)size);
	}
	if (padding) {
		json_object_set_new(rec, "shrank", json_true());
		json_object_set_new(rec, "padding", json_integer((json_int_t)padding));
		run_log(c, "/%s ended %llu bytes early; padded with zeros", e->path,
		        (unsigned long long)padding);
	}
	if (read_errno) {
		json_object_set_new(rec, "error", json_string(strerror(read_errno)));
		c->partial = 1;
		c->sum->files_unreadable++;
		{
			char *shown = shown_path(e->path);

			log_warn("/%s: %s", shown, strerror(read_errno));
			free(shown);
		}
		run_log(c, "read error in /%s: %s", e->path, strerror(read_errno));
	} else {
		c->sum->files_collected++;
		c->sum->bytes_collected += stored;
	}
	if (record_write(c, rec, err) < 0)
		goto out;
	body_line(c, rec, &st, &btime, NULL);
	rc = 0;
out:
	close(fd);
	json_decref(rec);
	json_decref(d.record);
	free(bagname);
	return rc;
}

static char *host_json(struct collection *c)
{
	const struct collect_options *opt = c->opt;
	json_t *root = json_object(), *os = json_object(), *prof = json_object();
	json_t *files = json_array(), *argv = json_array(), *user = json_object();
	json_t *absent = json_array();
	char t[32];
	char *text;

	json_object_set_new(root, "format_version", json_integer(1));
	json_object_set_new(root, "logpack_version", json_string(PACKAGE_VERSION));
	json_object_set_new(root, "hostname", json_string(c->host.hostname));
	json_object_set_new(os, "id", c->host.os_id ? json_string(c->host.os_id) : json_null());
	json_object_set_new(os, "id_like",
	                    c->host.os_id_like ? json_string(c->host.os_id_like) : json_null());
	json_object_set_new(os, "name",
	                    c->host.os_name ? json_string(c->host.os_name) : json_null());
	json_object_set_new(os, "version",
	                    c->host.os_version ? json_string(c->host.os_version) : json_null());
	json_object_set_new(os, "pretty_name",
	                    c->host.os_pretty ? json_string(c->host.os_pretty) : json_null());
	json_object_set_new(root, "os", os);
	json_object_set_new(root, "live", json_boolean(c->host.live));
	json_object_set_new(root, "kernel",
	                    c->host.kernel ? json_string(c->host.kernel) : json_null());
	json_object_set_new(root, "architecture",
	                    c->host.arch ? json_string(c->host.arch) : json_null());
	json_object_set_new(root, "timezone",
	                    c->host.timezone ? json_string(c->host.timezone) : json_null());
	json_object_set_new(root, "root", json_string(c->root_path));
	json_object_set_new(root, "collection_start",
	                    json_string(format_iso8601(c->sum->started, t, sizeof(t))));
	json_object_set_new(root, "collection_end",
	                    json_string(format_iso8601(c->sum->finished, t, sizeof(t))));
	for (int i = 0; i < command_line_argc; i++) {
		int esc;
		char *arg =
		        bagname_encode(command_line_argv[i], strlen(command_line_argv[i]), &esc);

		json_array_append_new(argv, json_string(arg));
		free(arg);
	}
	json_object_set_new(root, "command_line", argv);
	json_object_set_new(prof, "name", json_string(c->profile->name));
	json_object_set_new(prof, "sha256", json_string(c->profile->files[0].sha256));
	json_object_set_new(prof, "chosen_because", json_string(c->sum->profile_reason));
	for (size_t i = 0; i < c->profile->n_files; i++)
		json_array_append_new(files,
		                      json_pack("{s:s,s:s}", "name", c->profile->files[i].name,
		                                "sha256", c->profile->files[i].sha256));
	json_object_set_new(prof, "files", files);
	json_object_set_new(root, "profile", prof);
	for (size_t i = 0; i < c->walk.n_absent; i++)
		json_array_append_new(absent, json_pack("{s:s,s:s}", "category",
		                                        c->walk.absent[i]->category, "pattern",
		                                        c->walk.absent[i]->pattern));
	json_object_set_new(root, "expected_absent", absent);
	json_object_set_new(user, "uid", json_integer((json_int_t)getuid()));
	json_object_set_new(user, "euid", json_integer((json_int_t)geteuid()));
	{
		/* The collector's own account, from the system logpack runs on (not the root). */
		struct passwd *pw = getpwuid(geteuid());

		json_object_set_new(user, "name", pw ? json_string(pw->pw_name) : json_null());
	}
	{
		const char *env_user = getenv("SUDO_USER");

		json_object_set_new(user, "sudo_user",
		                    env_user ? json_string(env_user) : json_null());
	}
	json_object_set_new(root, "user", user);
	if (opt->has_since)
		json_object_set_new(root, "since",
		                    json_string(format_iso8601(opt->since, t, sizeof(t))));
	if (opt->has_until)
		json_object_set_new(root, "until",
		                    json_string(format_iso8601(opt->until, t, sizeof(t))));
	if (opt->max_file_size)
		json_object_set_new(root, "max_file_size",
		                    json_integer((json_int_t)opt->max_file_size));
	text = json_dumps(root, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(root);
	return text;
}

/* How big the bundle may get: stored sizes, with a guess at compression for plain text. */
static uint64_t estimate_output(const struct collection *c)
{
	static const char *const packed[] = {".gz", ".xz", ".zst", ".bz2", ".lz4", ".zip", ".7z"};
	uint64_t total = 1024 * 1024;
	int compressed = strcmp(c->opt->compression, "none") != 0;

	if (c->has_planned)
		return total + c->planned_bytes + 1536 * (uint64_t)c->walk.count;
	for (size_t i = 0; i < c->walk.count; i++) {
		const struct walk_entry *e = &c->walk.entries[i];
		uint64_t size = (uint64_t)e->st.st_size, limit;
		int already = 0;
		const char *why;

		if (e->kind != ENTRY_FILE || outside_window(c->opt, &e->st, &why))
			continue;
		limit = size_limit(c->opt, e->rule);
		if (limit && size > limit)
			size = c->opt->skip_large ? 0 : limit;
		for (size_t k = 0; k < sizeof(packed) / sizeof(packed[0]); k++)
			already |= str_has_suffix(e->path, packed[k]);
		/* Text logs shrink several times over; be conservative and count half. */
		total += (compressed && !already ? size / 2 : size) + 1536;
	}
	return total;
}

static int check_space(struct collection *c, struct error *err)
{
	struct statvfs vfs;
	uint64_t avail;
	char need[32], have[32];

	c->sum->estimate_bytes = estimate_output(c);
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

static void on_signal(int sig)
{
	static const char msg[] = "\nlogpack: interrupted; the partial bundle was removed\n";

	bag_writer_signal_cleanup();
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(sig == SIGINT ? 130 : 128 + sig);
}

static void install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A file size limit should fail a write with EFBIG, not kill us mid-bundle. */
	signal(SIGXFSZ, SIG_IGN);
}

static FILE *temp_stream(const char *dir, const char *what, struct error *err)
{
	int fd = temp_fd_in(dir);
	FILE *fp = fd >= 0 ? fdopen(fd, "w+") : NULL;

	if (fp == NULL) {
		error_set(err, "temporary file for %s in %s: %s", what, dir, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return fp;
}

static int add_tag_stream(struct collection *c, const char *name, FILE *fp, struct error *err)
{
	if (fflush(fp) != 0) {
		error_set(err, "%s: %s", name, strerror(errno));
		return -1;
	}
	return bag_add_tag_fd(c->bag, name, fileno(fp), err);
}

static void plan_line(struct collection *c, const struct walk_entry *e, uint64_t size)
{
	struct collect_summary *s = c->sum;
	char *shown = shown_path(e->path);

	s->planned = xreallocarray(s->planned, s->n_planned + 1, sizeof(*s->planned));
	s->planned[s->n_planned++] =
	        xasprintf("%s\t%llu\t/%s", e->rule->category, (unsigned long long)size, shown);
	free(shown);
}

static int run_entries(struct collection *c, struct error *err)
{
	struct progress progress;
	uint64_t total = 0, done = 0, items = 0, n_files = 0;
	const char *why;

	for (size_t i = 0; i < c->walk.count; i++)
		if (c->walk.entries[i].kind == ENTRY_FILE) {
			total += (uint64_t)c->walk.entries[i].st.st_size;
			n_files++;
		}
	progress_start(&progress, "collecting", n_files, total, c->opt->progress);
	for (size_t i = 0; i < c->walk.count; i++) {
		const struct walk_entry *e = &c->walk.entries[i];
		int rc = 0;

		switch (e->kind) {
		case ENTRY_FILE:
			if (outside_window(c->opt, &e->st, &why)) {
				c->sum->files_skipped++;
				rc = skip_record(c, e, "skipped", why, err);
			} else {
				rc = store_file(c, e, &done, err);
				items++;
			}
			break;
		case ENTRY_LINK:
			c->sum->links++;
			rc = skip_record(c, e, "link", "symbolic link: recorded, not followed",
			                 err);
			run_log(c, "link /%s -> %s (not followed)", e->path, e->link_target);
			break;
		case ENTRY_SPECIAL:
		case ENTRY_EXCLUDED:
			c->sum->files_skipped++;
			rc = skip_record(c, e, "skipped", e->why, err);
			run_log(c, "skipped /%s: %s", e->path, e->why);
			break;
		}
		if (rc < 0)
			return -1;
		progress_update(&progress, items, done);
	}
	progress_end(&progress);
	return 0;
}

static void dry_run_plan(struct collection *c)
{
	const char *why;

	for (size_t i = 0; i < c->walk.count; i++) {
		const struct walk_entry *e = &c->walk.entries[i];
		uint64_t size = (uint64_t)e->st.st_size, limit = size_limit(c->opt, e->rule);

		if (e->kind != ENTRY_FILE || outside_window(c->opt, &e->st, &why)) {
			c->sum->files_skipped++;
			continue;
		}
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
}

/* Tell the run log what the walk found missing or could not read. */
static void note_walk_findings(struct collection *c)
{
	for (size_t i = 0; i < c->walk.n_absent; i++) {
		const struct rule *r = c->walk.absent[i];

		run_log(c, "expected but absent [%s]: %s (profile rule %s)", r->category,
		        r->pattern, r->origin);
	}
	for (size_t i = 0; i < c->walk.n_errors; i++) {
		char *shown = shown_path(c->walk.errors[i]);

		log_warn("cannot read directory /%s", shown);
		free(shown);
		run_log(c, "cannot read directory /%s", c->walk.errors[i]);
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
	userdb_free(c->users);
	walk_result_free(&c->walk);
	bag_writer_abort(c->bag);
	if (c->files_jsonl)
		fclose(c->files_jsonl);
	if (c->log)
		fclose(c->log);
	if (c->bodyfile)
		fclose(c->bodyfile);
	free(c->buf);
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

static int write_bundle(struct collection *c, struct error *err)
{
	const struct collect_options *opt = c->opt;
	struct bag_writer_options bo = {0};
	struct sink_filter *filter = NULL;
	struct bag_result res;
	char *top, *host, stamp[32], t[32];
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
	bo.bagging_time = c->sum->started;
	bo.sign = opt->sign;
	bo.sign_ctx = opt->sign_ctx;
	if (opt->make_filter) {
		if (opt->make_filter(opt->filter_ctx, &filter, err) < 0) {
			free(top);
			return -1;
		}
		bo.filters = &filter;
		bo.n_filters = 1;
	}
	install_signal_handlers();
	rc = bag_writer_open(&c->bag, &bo, err);
	free(top);
	if (rc < 0)
		return -1;
	if ((c->files_jsonl = temp_stream(c->output_dir, "files.jsonl", err)) == NULL ||
	    (c->log = temp_stream(c->output_dir, "collection.log", err)) == NULL ||
	    (c->bodyfile = temp_stream(c->output_dir, "bodyfile.txt", err)) == NULL)
		return -1;
	run_log(c, "logpack %s collecting from %s (host %s) with profile %s: %s", PACKAGE_VERSION,
	        c->root_path, c->host.hostname, c->profile->name, c->sum->profile_reason);
	note_walk_findings(c);
	c->buf = xmalloc(READ_CHUNK);
	if (run_entries(c, err) < 0)
		return -1;
	if (opt->hooks && opt->hooks->finish &&
	    opt->hooks->finish(opt->hooks->ctx, c->bag, c->log, err) < 0)
		return -1;
	c->sum->finished = (int64_t)time(NULL);
	run_log(c,
	        "done: %llu files, %llu bytes collected; %llu skipped, %llu unreadable, %llu links",
	        (unsigned long long)c->sum->files_collected,
	        (unsigned long long)c->sum->bytes_collected,
	        (unsigned long long)c->sum->files_skipped,
	        (unsigned long long)c->sum->files_unreadable, (unsigned long long)c->sum->links);
	if (add_tag_stream(c, "logpack/files.jsonl", c->files_jsonl, err) < 0 ||
	    add_tag_stream(c, "logpack/collection.log", c->log, err) < 0 ||
	    add_tag_stream(c, "logpack/bodyfile.txt", c->bodyfile, err) < 0)
		return -1;
	{
		char *hj = host_json(c);
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
	if (open_root(&c, err) < 0)
		goto out;
	if (host_facts_gather(c.root_fd, &c.host, err) < 0)
		goto out;
	sum->hostname = xstrdup(c.host.hostname);
	if (select_profile(&c, err) < 0)
		goto out;
	log_verbose("profile %s: %s", sum->profile, sum->profile_reason);
	c.users = userdb_load(c.root_fd);
	if (resolve_output(&c, err) < 0)
		goto out;
	wo.root_fd = c.root_fd;
	wo.excludes = opt->excludes;
	wo.n_excludes = opt->n_excludes;
	wo.n_homes = userdb_homes(c.users, (const char *const **)&wo.homes);
	if (stat(c.output_dir, &out_st) == 0) {
		struct stat root_st;

		/* The output directory is left out, unless it is the root itself (then only the
		 * bundle is: it does not exist yet while the walk lists what to read). */
		if (fstat(c.root_fd, &root_st) == 0 &&
		    !(root_st.st_dev == out_st.st_dev && root_st.st_ino == out_st.st_ino)) {
			wo.skip_dir_dev = out_st.st_dev;
			wo.skip_dir_ino = out_st.st_ino;
			wo.skip_dir_set = 1;
		}
	}
	if (walk_rules(&wo, c.profile->rules, c.profile->n_rules, opt->categories,
	               opt->n_categories, &c.walk, err) < 0)
		goto out;
	for (size_t i = 0; i < c.walk.n_absent; i++) {
		sum->absent = xreallocarray(sum->absent, sum->n_absent + 1, sizeof(*sum->absent));
		sum->absent[sum->n_absent++] =
		        xasprintf("%s\t%s", c.walk.absent[i]->category, c.walk.absent[i]->pattern);
	}
	if (opt->dry_run) {
		sum->estimate_bytes = estimate_output(&c);
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
	memset(sum, 0, sizeof(*sum));
}
