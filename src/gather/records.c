/* The collection's own records: files.jsonl, bodyfile.txt, collection.log and host.json. */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/log.h"
#include "bundle/manifest.h"
#include "gather/containers.h"
#include "gather/records.h"

/* "2024-05-01T12:00:00.123456789Z" into buf, which holds ISO_TIME_MAX bytes. */
#define ISO_TIME_MAX 64

static void iso_time(const struct timespec *ts, char buf[ISO_TIME_MAX])
{
	size_t n;

	format_iso8601((int64_t)ts->tv_sec, buf, 40);
	n = strlen(buf) - 1; /* before the Z */
	/* Nanoseconds from the kernel are below 10^9; anything else as printf wrote it. */
	if (ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L) {
		snprintf(buf + n, ISO_TIME_MAX - n, ".%09ldZ", ts->tv_nsec);
		return;
	}
	buf[n] = '.';
	put_digits(buf + n + 1, ts->tv_nsec, 9);
	buf[n + 10] = 'Z';
	buf[n + 11] = '\0';
}

/*
 * Names from the source tree may hold line breaks, terminal controls or bytes that are not
 * UTF-8: escaped as bag names are, so that one event is one line and the tag file stays UTF-8.
 */
void records_log(struct records *r, const char *fmt, ...)
{
	char stamp[32], *text;
	va_list ap;
	int changed;

	if (r->log == NULL)
		return;
	format_iso8601((int64_t)time(NULL), stamp, sizeof(stamp));
	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	/* The coverage summary writes a line a file: the escaped text goes to a kept buffer. */
	strbuf_reset(&r->log_line);
	bagname_encode_to(&r->log_line, text, strlen(text), &changed);
	fprintf(r->log, "%s %s\n", stamp, r->log_line.buf);
	free(text);
}

char *records_shown_path(const char *path)
{
	int changed;

	return bagname_encode(path, strlen(path), &changed);
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

struct json_line *record_new(struct records *r, const struct walk_entry *e, const struct stat *st,
                             const struct timespec *btime, char **bagname_out)
{
	char mode[8], t[ISO_TIME_MAX];
	int escaped, escaped_path, shortened;
	char *bagname = bagname_for_path(e->path, strlen(e->path), &escaped, &shortened);
	const char *owner = userdb_user(r->users, st->st_uid);
	const char *group = userdb_group(r->users, st->st_gid);
	struct json_line *rec = &r->rec;

	strbuf_reset(&r->rec_path);
	strbuf_addch(&r->rec_path, '/');
	bagname_encode_to(&r->rec_path, e->path, strlen(e->path), &escaped_path);
	for (int k = 0; k < 4; k++)
		mode[k] = (char)('0' + ((st->st_mode >> (9 - 3 * k)) & 7));
	mode[4] = '\0';
	json_line_begin(rec);
	json_line_str(rec, "path", r->rec_path.buf);
	if (escaped_path)
		json_line_bool(rec, "path_escaped", 1);
	if (shortened)
		json_line_bool(rec, "path_shortened", 1);
	json_line_str(rec, "category", e->rule->category);
	json_line_str(rec, "rule", e->rule->pattern);
	json_line_str(rec, "rule_origin", e->rule->origin);
	if (e->container) {
		const struct container *c = e->container;
		json_t *facts = json_pack("{s:s,s:o,s:o,s:I}", "id", c->id, "name",
		                          c->name ? json_string(c->name) : json_null(), "image",
		                          c->image ? json_string(c->image) : json_null(), "pid",
		                          (json_int_t)c->pid);

		json_line_value(rec, "container", facts);
		json_decref(facts);
	}
	if (e->home_not_in_passwd) {
		int esc;
		char *home =
		        bagname_encode(e->home_not_in_passwd, strlen(e->home_not_in_passwd), &esc);

		json_line_str(rec, "home", home);
		json_line_str(rec, "home_status", "not in passwd");
		free(home);
	}
	json_line_str(rec, "type", file_type_name(st->st_mode));
	json_line_str(rec, "mode", mode);
	json_line_int(rec, "uid", (long long)st->st_uid);
	json_line_int(rec, "gid", (long long)st->st_gid);
	if (owner == NULL)
		json_line_null(rec, "owner");
	else
		json_line_str(rec, "owner", owner);
	if (group == NULL)
		json_line_null(rec, "group");
	else
		json_line_str(rec, "group", group);
	json_line_int(rec, "inode", (long long)st->st_ino);
	json_line_int(rec, "links", (long long)st->st_nlink);
	json_line_int(rec, "size", (long long)st->st_size);
	iso_time(&st->st_mtim, t);
	json_line_str(rec, "mtime", t);
	iso_time(&st->st_atim, t);
	json_line_str(rec, "atime", t);
	iso_time(&st->st_ctim, t);
	json_line_str(rec, "ctime", t);
	if (btime && btime->tv_sec) {
		iso_time(btime, t);
		json_line_str(rec, "btime", t);
	}
	*bagname_out = bagname;
	return rec;
}

int record_write(struct records *r, struct error *err)
{
	size_t len;
	const char *text = json_line_end(&r->rec, &len);

	if (fwrite(text, 1, len, r->files_jsonl) != len || putc('\n', r->files_jsonl) == EOF) {
		error_set(err, "files.jsonl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* '|' separates the body file's columns: escaped the way bag names escape other bytes. */
static void body_text(FILE *out, const char *text)
{
	for (;;) {
		size_t run = strcspn(text, "|");

		fwrite(text, 1, run, out);
		if (text[run] == '\0')
			return;
		fputs("\\x7c", out);
		text += run + 1;
	}
}

/* A body file line for the record's path (as files.jsonl writes it: escaped, with a '/'). */
void record_body_line(struct records *r, const struct stat *st, const struct timespec *btime,
                      const char *link_target)
{
	const char *path = r->rec_path.buf;
	char mode[13];

	body_mode(st->st_mode, mode);
	fputs("0|", r->bodyfile);
	body_text(r->bodyfile, path);
	if (link_target) {
		fputs(" -> ", r->bodyfile);
		body_text(r->bodyfile, link_target);
	}
	{
		/*
		 * The numbers by hand: at many small files, printf's formatting of a file's records
		 * was a tenth of the reading thread. 32: the mode (12) and the separators.
		 */
		char line[32 + 8 * FORMAT_INT_MAX], *p = line;
		const long long times[] = {(long long)st->st_size, (long long)st->st_atim.tv_sec,
		                           (long long)st->st_mtim.tv_sec,
		                           (long long)st->st_ctim.tv_sec,
		                           (long long)(btime ? btime->tv_sec : 0)};

		*p++ = '|';
		p += format_uint(p, (unsigned long long)st->st_ino);
		*p++ = '|';
		memcpy(p, mode, strlen(mode));
		p += strlen(mode);
		*p++ = '|';
		p += format_uint(p, (unsigned long)st->st_uid);
		*p++ = '|';
		p += format_uint(p, (unsigned long)st->st_gid);
		for (size_t k = 0; k < sizeof(times) / sizeof(times[0]); k++) {
			*p++ = '|';
			p += format_int(p, times[k]);
		}
		*p++ = '\n';
		fwrite(line, 1, (size_t)(p - line), r->bodyfile);
	}
}

int record_skip(struct records *r, const struct walk_entry *e, const char *status,
                const char *reason, struct error *err)
{
	char *bagname;
	struct json_line *rec = record_new(r, e, &e->st, NULL, &bagname);
	int rc;

	json_line_str(rec, "status", status);
	if (reason)
		json_line_str(rec, "reason", reason);
	if (e->kind == ENTRY_LINK) {
		int esc;
		char *target = bagname_encode(e->link_target, strlen(e->link_target), &esc);

		json_line_str(rec, "link_target", target);
		record_body_line(r, &e->st, NULL, target);
		free(target);
	}
	rc = record_write(r, err);
	free(bagname);
	return rc;
}

int record_hook_skip(struct records *r, const struct walk_entry *e, struct collect_decision *d,
                     struct error *err)
{
	char *bagname;
	struct json_line *rec = record_new(r, e, &e->st, NULL, &bagname);
	int rc;

	json_line_str(rec, "status", d->status ? d->status : "skipped");
	if (d->reason)
		json_line_str(rec, "reason", d->reason);
	if (d->record)
		json_line_update(rec, d->record);
	json_decref(d->record);
	d->record = NULL;
	rc = record_write(r, err);
	free(bagname);
	return rc;
}

char *records_host_json(const struct host_record *h)
{
	const struct collect_options *opt = h->opt;
	json_t *root = json_object(), *os = json_object(), *prof = json_object();
	json_t *files = json_array(), *argv = json_array(), *user = json_object();
	json_t *absent = json_array();
	char t[32];
	char *text;

	json_object_set_new(root, "format_version", json_integer(1));
	json_object_set_new(root, "logpack_version", json_string(PACKAGE_VERSION));
	json_object_set_new(root, "hostname", json_string(h->host->hostname));
	json_object_set_new(os, "id", h->host->os_id ? json_string(h->host->os_id) : json_null());
	json_object_set_new(os, "id_like",
	                    h->host->os_id_like ? json_string(h->host->os_id_like) : json_null());
	json_object_set_new(os, "name",
	                    h->host->os_name ? json_string(h->host->os_name) : json_null());
	json_object_set_new(os, "version",
	                    h->host->os_version ? json_string(h->host->os_version) : json_null());
	json_object_set_new(os, "pretty_name",
	                    h->host->os_pretty ? json_string(h->host->os_pretty) : json_null());
	json_object_set_new(root, "os", os);
	json_object_set_new(root, "live", json_boolean(h->host->live));
	json_object_set_new(root, "kernel",
	                    h->host->kernel ? json_string(h->host->kernel) : json_null());
	json_object_set_new(root, "architecture",
	                    h->host->arch ? json_string(h->host->arch) : json_null());
	json_object_set_new(root, "timezone",
	                    h->host->timezone ? json_string(h->host->timezone) : json_null());
	json_object_set_new(root, "root", json_string(h->root_path));
	json_object_set_new(root, "collection_start",
	                    json_string(format_iso8601(h->started, t, sizeof(t))));
	json_object_set_new(root, "collection_end",
	                    json_string(format_iso8601(h->finished, t, sizeof(t))));
	for (int i = 0; i < command_line_argc; i++) {
		int esc;
		char *arg =
		        bagname_encode(command_line_argv[i], strlen(command_line_argv[i]), &esc);

		json_array_append_new(argv, json_string(arg));
		free(arg);
	}
	json_object_set_new(root, "command_line", argv);
	json_object_set_new(prof, "name", json_string(h->profile->name));
	json_object_set_new(prof, "sha256", json_string(h->profile->files[0].sha256));
	json_object_set_new(prof, "chosen_because", json_string(h->profile_reason));
	for (size_t i = 0; i < h->profile->n_files; i++)
		json_array_append_new(files,
		                      json_pack("{s:s,s:s}", "name", h->profile->files[i].name,
		                                "sha256", h->profile->files[i].sha256));
	json_object_set_new(prof, "files", files);
	json_object_set_new(root, "profile", prof);
	for (size_t i = 0; i < h->walk->n_absent; i++)
		json_array_append_new(absent, json_pack("{s:s,s:s}", "category",
		                                        h->walk->absent[i]->category, "pattern",
		                                        h->walk->absent[i]->pattern));
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
	if (h->priority) {
		/* What was in force, whether asked for (--nice, --io-rate) or inherited (a
		 * scheduler's Nice=, ionice). */
		json_t *li = json_object();

		json_object_set_new(li, "requested", json_boolean(opt->nice || opt->io_rate));
		json_object_set_new(li, "nice", json_integer(h->priority->nice));
		json_object_set_new(li, "io_class", json_string(h->priority->io_class));
		json_object_set_new(li, "io_level", json_integer(h->priority->io_level));
		json_object_set_new(li, "io_rate",
		                    opt->io_rate ? json_integer((json_int_t)opt->io_rate)
		                                 : json_null());
		json_object_set_new(root, "low_impact", li);
	}
	text = json_dumps(root, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(root);
	return text;
}

static FILE *temp_stream(const char *dir, const char *what, char **buf, struct error *err)
{
	int fd = temp_fd_in(dir);
	FILE *fp = fd >= 0 ? fdopen(fd, "w+") : NULL;

	if (fp == NULL) {
		error_set(err, "temporary file for %s in %s: %s", what, dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	/* Records are batched: one write per 64 KiB of lines rather than per 4 KiB. */
	*buf = stream_buffer(fp, 65536);
	return fp;
}

static int add_tag_stream(struct bag_writer *bag, const char *name, FILE *fp, struct error *err)
{
	if (fflush(fp) != 0) {
		error_set(err, "%s: %s", name, strerror(errno));
		return -1;
	}
	return bag_add_tag_fd(bag, name, fileno(fp), err);
}

int records_open(struct records *r, const char *dir, const struct userdb *users,
                 const struct collect_observer *observer, struct error *err)
{
	memset(r, 0, sizeof(*r));
	r->users = users;
	r->observer = observer;
	if ((r->files_jsonl = temp_stream(dir, "files.jsonl", &r->bufs[0], err)) == NULL ||
	    (r->log = temp_stream(dir, "collection.log", &r->bufs[1], err)) == NULL ||
	    (r->bodyfile = temp_stream(dir, "bodyfile.txt", &r->bufs[2], err)) == NULL)
		return -1;
	return 0;
}

void records_close(struct records *r)
{
	if (r->files_jsonl)
		fclose(r->files_jsonl);
	if (r->log)
		fclose(r->log);
	if (r->bodyfile)
		fclose(r->bodyfile);
	for (int i = 0; i < 3; i++)
		free(r->bufs[i]);
	json_line_release(&r->rec);
	strbuf_release(&r->rec_path);
	strbuf_release(&r->scratch);
	strbuf_release(&r->log_line);
	memset(r, 0, sizeof(*r));
}

int records_add_to_bag(struct records *r, struct bag_writer *bag, struct error *err)
{
	if (add_tag_stream(bag, "logpack/files.jsonl", r->files_jsonl, err) < 0 ||
	    add_tag_stream(bag, "logpack/collection.log", r->log, err) < 0 ||
	    add_tag_stream(bag, "logpack/bodyfile.txt", r->bodyfile, err) < 0)
		return -1;
	return 0;
}

void records_note(struct records *r, enum collect_note kind, const char *fmt, ...)
{
	char *text;
	va_list ap;

	if (r->observer == NULL || r->observer->note == NULL)
		return;
	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	r->observer->note(r->observer->ctx, kind, text);
	free(text);
}
