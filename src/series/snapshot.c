/* Incremental snapshots: the state of the series, what changed since, and the chain. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/rand.h>

#include "base/hash.h"
#include "bundle/manifest.h"
#include "gather/host.h"
#include "gather/rootfs.h"
#include "gather/walk.h"
#include "series/snapshot.h"

#define STATE_FORMAT "logpack-snapshot-state/1"
#define STATE_MAX (256 * 1024 * 1024)
#define READ_CHUNK (1024 * 1024)

/* One file the series holds: where it was, what it was, and the hashes of what is held. */
struct tracked {
	char *id; /* stable within the series: "<sequence>.<n>" of the snapshot that first saw it */
	char *path; /* raw bytes, relative to the root */
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
	uint64_t head_len;               /* min(size, SNAPSHOT_HEAD_BYTES) */
	char head[SHA256_HEX_LEN + 1];   /* of the first head_len bytes */
	char prefix[SHA256_HEX_LEN + 1]; /* of the first size bytes: everything held */
	int compressed;                  /* a compressed rotated copy of content held */
};

struct bundle_entry {
	uint64_t sequence;
	char *path;
	int64_t created;
};

struct state {
	char series[SNAPSHOT_SERIES_LEN + 1];
	uint64_t sequence;
	char last_tagmanifest[SHA256_HEX_LEN + 1];
	char *root;
	struct tracked *files;
	size_t n_files, cap_files;
	struct bundle_entry *bundles;
	size_t n_bundles;
};

enum plan_act {
	ACT_NONE,      /* not a regular file in the walk */
	ACT_NEW,       /* take it whole */
	ACT_UNCHANGED, /* same inode, size, mtime and ctime: not read at all */
	ACT_CONTINUE,  /* holds a tracked file's content as its prefix: take what follows */
	ACT_HELD,      /* a compressed copy of exactly what a tracked file held: skip */
};

struct plan_item {
	enum plan_act act;
	const struct tracked *from;
	char *id;
	const char *kind; /* files.jsonl "snapshot" field */
	uint64_t offset;
	struct sha256 prefix; /* over [0, offset) once planned; continued over what is stored */
	int has_prefix;
	unsigned char *head; /* the first bytes (decompressed for a .gz candidate) */
	size_t head_len;
	int head_read, head_failed, is_compressed;
	dev_t dev;
	ino_t ino;
	struct tracked held; /* ACT_HELD: the compressed file's own hashes */
	int done;
};

struct snap {
	const struct snapshot_options *opt;
	struct snapshot_summary *sum;
	struct state old, next;
	int state_fd, lock_fd;
	char *state_path, *intent_path;
	char *bundle_path;
	const struct walk_result *walk;
	struct plan_item *items;
	size_t n_items;
	struct plan_item *cur;
	uint64_t next_id;
	struct strbuf segments, anomalies, notes;
	char **rotated_bases;
	size_t n_rotated_bases;
	char *buf;
};

/* ---- small helpers ---- */

static char *path_text(const char *raw)
{
	int esc;
	char *enc = bagname_encode(raw, strlen(raw), &esc);
	char *out = xasprintf("/%s", enc);

	free(enc);
	return out;
}

/* The hex digest of h so far, leaving h to be continued. */
static void sha256_peek_hex(struct sha256 *h, char hex[SHA256_HEX_LEN + 1])
{
	struct sha256 copy;

	copy.ctx = EVP_MD_CTX_new();
	if (copy.ctx == NULL || EVP_MD_CTX_copy_ex(copy.ctx, h->ctx) != 1)
		abort();
	sha256_final_hex(&copy, hex);
}

static void note(struct snap *s, const char *fmt, ...) LP_ATTR_PRINTF(2, 3);

/* A line for collection.log. */
static void note(struct snap *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	strbuf_addstr(&s->notes, line);
	strbuf_addch(&s->notes, '\n');
	free(line);
}

static void json_line(struct strbuf *sb, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);

	if (text == NULL)
		abort();
	strbuf_addstr(sb, text);
	strbuf_addch(sb, '\n');
	free(text);
	json_decref(o);
}

static void anomaly(struct snap *s, const char *kind, const char *raw_path, const char *id,
                    uint64_t held, int64_t now_size, const char *fmt, ...) LP_ATTR_PRINTF(7, 8);

/* Record an anomaly: for anomalies.jsonl, collection.log and the summary. */
static void anomaly(struct snap *s, const char *kind, const char *raw_path, const char *id,
                    uint64_t held, int64_t now_size, const char *fmt, ...)
{
	struct snapshot_summary *sum = s->sum;
	char *path = path_text(raw_path), *detail;
	va_list ap;
	json_t *o;

	va_start(ap, fmt);
	detail = xvasprintf(fmt, ap);
	va_end(ap);
	o = json_pack("{s:I,s:s,s:s,s:s,s:I,s:s}", "sequence", (json_int_t)s->next.sequence, "kind",
	              kind, "path", path, "file_id", id, "held_size", (json_int_t)held, "detail",
	              detail);
	json_object_set_new(o, "current_size",
	                    now_size >= 0 ? json_integer((json_int_t)now_size) : json_null());
	json_line(&s->anomalies, o);
	note(s, "ANOMALY %s %s: %s", kind, path, detail);
	sum->anomalies =
	        xreallocarray(sum->anomalies, sum->n_anomalies + 1, sizeof(*sum->anomalies));
	sum->anomalies[sum->n_anomalies].kind = xstrdup(kind);
	sum->anomalies[sum->n_anomalies].path = path;
	sum->anomalies[sum->n_anomalies].detail = detail;
	sum->n_anomalies++;
}

static void tracked_free(struct tracked *t)
{
	free(t->id);
	free(t->path);
}

static void state_free(struct state *st)
{
	for (size_t i = 0; i < st->n_files; i++)
		tracked_free(&st->files[i]);
	free(st->files);
	for (size_t i = 0; i < st->n_bundles; i++)
		free(st->bundles[i].path);
	free(st->bundles);
	free(st->root);
	memset(st, 0, sizeof(*st));
}

static struct tracked *state_add(struct state *st)
{
	if (st->n_files == st->cap_files) {
		st->cap_files = st->cap_files ? 2 * st->cap_files : 64;
		st->files = xreallocarray(st->files, st->cap_files, sizeof(*st->files));
	}
	memset(&st->files[st->n_files], 0, sizeof(st->files[0]));
	return &st->files[st->n_files++];
}

static void tracked_copy(struct tracked *dst, const struct tracked *src)
{
	*dst = *src;
	dst->id = xstrdup(src->id);
	dst->path = xstrdup(src->path);
}

/* ---- the state file ---- */

static json_t *state_to_json(const struct state *st)
{
	json_t *o = json_object(), *files = json_array(), *bundles = json_array();

	json_object_set_new(o, "format", json_string(STATE_FORMAT));
	json_object_set_new(o, "series", json_string(st->series));
	json_object_set_new(o, "sequence", json_integer((json_int_t)st->sequence));
	json_object_set_new(o, "last_tagmanifest_sha256", json_string(st->last_tagmanifest));
	json_object_set_new(o, "root", json_string(st->root ? st->root : ""));
	for (size_t i = 0; i < st->n_files; i++) {
		const struct tracked *t = &st->files[i];
		int esc;
		char *p = bagname_encode(t->path, strlen(t->path), &esc);

		json_array_append_new(
		        files,
		        json_pack("{s:s,s:s,s:I,s:I,s:I,s:[I,I],s:[I,I],s:I,s:s,s:s,s:b}", "id",
		                  t->id, "path", p, "dev", (json_int_t)t->dev, "ino",
		                  (json_int_t)t->ino, "size", (json_int_t)t->size, "mtime",
		                  (json_int_t)t->mtime_s, (json_int_t)t->mtime_ns, "ctime",
		                  (json_int_t)t->ctime_s, (json_int_t)t->ctime_ns, "head_len",
		                  (json_int_t)t->head_len, "head_sha256", t->head, "prefix_sha256",
		                  t->prefix, "compressed", t->compressed));
		free(p);
	}
	json_object_set_new(o, "files", files);
	for (size_t i = 0; i < st->n_bundles; i++)
		json_array_append_new(bundles, json_pack("{s:I,s:s,s:I}", "sequence",
		                                         (json_int_t)st->bundles[i].sequence,
		                                         "path", st->bundles[i].path, "created",
		                                         (json_int_t)st->bundles[i].created));
	json_object_set_new(o, "bundles", bundles);
	return o;
}

static int hex_field(json_t *o, const char *key, char out[SHA256_HEX_LEN + 1], int empty_ok)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (v == NULL || !((empty_ok && *v == '\0') || sha256_hex_valid(v)))
		return -1;
	strcpy(out, v);
	return 0;
}

static int uint_field(json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int time_field(json_t *o, const char *key, int64_t *sec, int64_t *nsec)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_array(v) || json_array_size(v) != 2 ||
	    !json_is_integer(json_array_get(v, 0)) || !json_is_integer(json_array_get(v, 1)))
		return -1;
	*sec = (int64_t)json_integer_value(json_array_get(v, 0));
	*nsec = (int64_t)json_integer_value(json_array_get(v, 1));
	return 0;
}

/* Fill st from its JSON form; -1 with the reason in err when anything is off. */
static int state_from_json(json_t *o, struct state *st, struct error *err)
{
	const char *fmt = json_string_value(json_object_get(o, "format"));
	const char *series = json_string_value(json_object_get(o, "series"));
	const char *root = json_string_value(json_object_get(o, "root"));
	json_t *files = json_object_get(o, "files"), *bundles = json_object_get(o, "bundles");
	size_t i;
	json_t *v;

	memset(st, 0, sizeof(*st));
	if (fmt == NULL || strcmp(fmt, STATE_FORMAT) != 0) {
		error_set(err, "unknown format (want \"%s\")", STATE_FORMAT);
		return -1;
	}
	if (series == NULL || strlen(series) != SNAPSHOT_SERIES_LEN ||
	    strspn(series, "0123456789abcdef") != SNAPSHOT_SERIES_LEN || root == NULL ||
	    uint_field(o, "sequence", &st->sequence) < 0 || st->sequence == 0 ||
	    hex_field(o, "last_tagmanifest_sha256", st->last_tagmanifest, 0) < 0 ||
	    !json_is_array(files) || !json_is_array(bundles)) {
		error_set(err, "a series, sequence, root, tagmanifest hash or list is missing or "
		               "malformed");
		return -1;
	}
	strcpy(st->series, series);
	st->root = xstrdup(root);
	json_array_foreach(files, i, v)
	{
		struct tracked *t = state_add(st);
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *path = json_string_value(json_object_get(v, "path"));
		size_t raw_len;

		if (id == NULL || path == NULL || bagname_decode(path, &t->path, &raw_len) < 0 ||
		    strlen(t->path) != raw_len || uint_field(v, "dev", &t->dev) < 0 ||
		    uint_field(v, "ino", &t->ino) < 0 || uint_field(v, "size", &t->size) < 0 ||
		    uint_field(v, "head_len", &t->head_len) < 0 ||
		    time_field(v, "mtime", &t->mtime_s, &t->mtime_ns) < 0 ||
		    time_field(v, "ctime", &t->ctime_s, &t->ctime_ns) < 0 ||
		    hex_field(v, "head_sha256", t->head, 0) < 0 ||
		    hex_field(v, "prefix_sha256", t->prefix, 0) < 0 ||
		    t->head_len > SNAPSHOT_HEAD_BYTES || t->head_len > t->size) {
			error_set(err, "file record %zu is malformed", i + 1);
			t->id = xstrdup("");
			return -1;
		}
		t->id = xstrdup(id);
		t->compressed = json_is_true(json_object_get(v, "compressed"));
	}
	json_array_foreach(bundles, i, v)
	{
		const char *path = json_string_value(json_object_get(v, "path"));
		uint64_t seq, created;

		if (path == NULL || uint_field(v, "sequence", &seq) < 0 ||
		    uint_field(v, "created", &created) < 0) {
			error_set(err, "bundle record %zu is malformed", i + 1);
			return -1;
		}
		st->bundles = xreallocarray(st->bundles, st->n_bundles + 1, sizeof(*st->bundles));
		st->bundles[st->n_bundles].sequence = seq;
		st->bundles[st->n_bundles].path = xstrdup(path);
		st->bundles[st->n_bundles].created = (int64_t)created;
		st->n_bundles++;
	}
	return 0;
}

/* Write name in the state directory atomically: temporary file, fsync, rename, fsync dir. */
static int state_write_file(struct snap *s, const char *name, json_t *o, struct error *err)
{
	char *text = json_dumps(o, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	char tmp[64];
	int fd = -1, rc = -1;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	if (text == NULL) {
		error_set(err, "%s/%s: cannot encode", s->opt->state_dir, name);
		return -1;
	}
	fd = openat(s->state_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write_all(fd, text, strlen(text)) < 0 || write_all(fd, "\n", 1) < 0 ||
	    fsync(fd) < 0 || close(fd) < 0) {
		error_set(err, "%s/%s: %s", s->opt->state_dir, tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlinkat(s->state_fd, tmp, 0);
		goto out;
	}
	if (renameat(s->state_fd, tmp, s->state_fd, name) < 0 || fsync(s->state_fd) < 0) {
		error_set(err, "%s/%s: %s", s->opt->state_dir, name, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}

/* Load a JSON file of the state directory: 1 loaded, 0 absent, -1 damaged or unreadable. */
static int state_read_json(struct snap *s, const char *name, json_t **out, struct error *err)
{
	char *path = xasprintf("%s/%s", s->opt->state_dir, name), *text = NULL;
	size_t len;
	json_error_t jerr;
	int rc = -1;

	*out = NULL;
	if (read_small_file(path, STATE_MAX, &text, &len) < 0) {
		if (errno == ENOENT)
			rc = 0;
		else
			error_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	*out = json_loadb(text, len, 0, &jerr);
	if (*out == NULL || !json_is_object(*out)) {
		error_set(err,
		          "%s is damaged (%s, line %d); it is left as it is: move it aside to "
		          "start a new series",
		          path, *out ? "not a JSON object" : jerr.text, jerr.line);
		json_decref(*out);
		*out = NULL;
		goto out;
	}
	rc = 1;
out:
	free(text);
	free(path);
	return rc;
}

/* Open (creating, mode 0700) and lock the state directory. */
static int state_open(struct snap *s, struct error *err)
{
	const char *dir = s->opt->state_dir;
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		error_set(err, "--state %s: %s", dir, strerror(errno));
		return -1;
	}
	s->state_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (s->state_fd < 0 || fstat(s->state_fd, &st) < 0) {
		error_set(err, "--state %s: %s", dir, strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		error_set(err,
		          "--state %s: must be owned by this user and private (mode 0700, it is "
		          "%04o)",
		          dir, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	s->lock_fd = openat(s->state_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lock_fd < 0) {
		error_set(err, "%s/lock: %s", dir, strerror(errno));
		return -1;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		error_set(err, "%s/lock: %s", dir,
		          errno == EWOULDBLOCK ? "another snapshot with this state is running"
		                               : strerror(errno));
		return -1;
	}
	s->state_path = xasprintf("%s/state.json", dir);
	s->intent_path = xasprintf("%s/pending.json", dir);
	return 0;
}

static int state_load(struct snap *s, struct error *err)
{
	json_t *o;
	int rc = state_read_json(s, "state.json", &o, err);
	struct error why;

	if (rc <= 0)
		return rc;
	if (state_from_json(o, &s->old, &why) < 0) {
		error_set(err,
		          "%s is damaged (%s); it is left as it is: move it aside to start a new "
		          "series",
		          s->state_path, why.msg);
		json_decref(o);
		return -1;
	}
	json_decref(o);
	return 1;
}

/* ---- recovery of a run that was killed after its bundle was complete ---- */

/* The SHA-256 of the tagmanifest inside a bundle, and its series and sequence. */
static int bundle_chain_fields(const char *path, char tagmanifest[SHA256_HEX_LEN + 1],
                               char **series, uint64_t *sequence, struct error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int rc = -1, r, found = 0;
	char buf[65536];

	*series = NULL;
	*sequence = 0;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		error_set(err, "%s: %s", path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ae), *slash = strchr(name, '/');
		struct strbuf info = STRBUF_INIT;
		struct sha256 h;
		ssize_t n;
		int is_tm, is_info;

		if (slash == NULL)
			continue;
		is_tm = strcmp(slash + 1, "tagmanifest-sha256.txt") == 0;
		is_info = strcmp(slash + 1, "bag-info.txt") == 0;
		if (!is_tm && !is_info)
			continue;
		if (sha256_init(&h, err) < 0)
			goto out;
		while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
			sha256_update(&h, buf, (size_t)n);
			if (is_info && info.len < 1024 * 1024)
				strbuf_add(&info, buf, (size_t)n);
		}
		if (n < 0) {
			error_set(err, "%s: %s", path, archive_error_string(a));
			sha256_discard(&h);
			strbuf_release(&info);
			goto out;
		}
		if (is_tm) {
			sha256_final_hex(&h, tagmanifest);
			found = 1;
		} else {
			char *save = NULL;

			sha256_discard(&h);
			for (char *line = strtok_r(info.buf, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save)) {
				if (str_has_prefix(line, "LogPack-Snapshot-Series: ")) {
					free(*series);
					*series = xstrdup(line + 25);
				} else if (str_has_prefix(line, "LogPack-Snapshot-Sequence: ")) {
					*sequence = strtoull(line + 27, NULL, 10);
				}
			}
		}
		strbuf_release(&info);
	}
	if (r != ARCHIVE_EOF) {
		error_set(err, "%s: %s", path, archive_error_string(a));
		goto out;
	}
	if (!found) {
		error_set(err, "%s: no tagmanifest-sha256.txt", path);
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}

/* Write <bundle>.sha256 if the run died before it could. */
static int write_sidecar(const char *bundle, struct error *err)
{
	char *side = xasprintf("%s.sha256", bundle), hex[SHA256_HEX_LEN + 1];
	int fd = -1, out = -1, rc = -1;
	struct sha256 h;
	char buf[65536];
	ssize_t n;

	if (access(side, F_OK) == 0) {
		rc = 0;
		goto done;
	}
	if ((fd = open(bundle, O_RDONLY | O_CLOEXEC)) < 0 || sha256_init(&h, err) < 0) {
		if (fd < 0)
			error_set(err, "%s: %s", bundle, strerror(errno));
		goto done;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(&h, buf, (size_t)n);
	sha256_final_hex(&h, hex);
	{
		char *line = xasprintf("%s  %s\n", hex, path_basename(bundle));

		out = open(side, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (out < 0 || write_all(out, line, strlen(line)) < 0 || fsync(out) < 0) {
			error_set(err, "%s: %s", side, strerror(errno));
			free(line);
			goto done;
		}
		free(line);
	}
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	if (out >= 0)
		close(out);
	free(side);
	return rc;
}

/* Remove the temporary files a killed run left for bundle (".<name>.XXXXXX"). */
static void remove_leftovers(const char *bundle)
{
	char *dir = path_dirname(bundle);
	char *prefix = xasprintf(".%s.", path_basename(bundle));
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL)
		if (str_has_prefix(de->d_name, prefix) &&
		    strlen(de->d_name) == strlen(prefix) + 6) {
			char *p = xasprintf("%s/%s", dir, de->d_name);

			unlink(p);
			free(p);
		}
	if (d)
		closedir(d);
	free(prefix);
	free(dir);
}

/*
 * Remove what killed runs of this series left in the output directory: temporary bundles and
 * sidecars (".logpack-<host>-snapshot-<series>-...XXXXXX"). Holding the series' lock, no other
 * run of it can be writing them.
 */
static void remove_series_leftovers(const char *dir, const char *series)
{
	char *marker = xasprintf("-snapshot-%.8s-", series);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		const char *dot = strrchr(de->d_name, '.');

		if (str_has_prefix(de->d_name, ".logpack-") && strstr(de->d_name, marker) && dot &&
		    strlen(dot) == 7) {
			char *p = xasprintf("%s/%s", dir, de->d_name);

			unlink(p);
			free(p);
		}
	}
	if (d)
		closedir(d);
	free(marker);
}

/*
 * A run writes pending.json (the state as it will be) before its bundle is renamed, and turns
 * it into state.json after. Finding one means a run was killed in between: adopt its bundle
 * if it was completed, else forget it. Either way no byte is lost or taken twice.
 */
static int recover(struct snap *s, struct error *err)
{
	json_t *o, *pending;
	const char *bundle;
	uint64_t seq;
	struct state st;
	struct error why;
	int rc = state_read_json(s, "pending.json", &o, err);

	memset(&st, 0, sizeof(st));
	if (rc <= 0)
		return rc;
	rc = -1;
	pending = json_object_get(o, "pending");
	bundle = json_string_value(json_object_get(pending, "bundle"));
	if (bundle == NULL || uint_field(pending, "sequence", &seq) < 0 ||
	    state_from_json(o, &st, &why) < 0) {
		error_set(err, "%s is damaged; it is left as it is", s->intent_path);
		json_decref(o);
		return -1;
	}
	if (seq <= s->old.sequence || access(bundle, F_OK) < 0) {
		/* Already committed, or the bundle never got its final name. */
		remove_leftovers(bundle);
		state_free(&st);
	} else {
		char tm[SHA256_HEX_LEN + 1], *series;
		uint64_t bseq;

		if (bundle_chain_fields(bundle, tm, &series, &bseq, err) < 0)
			goto out;
		if (series == NULL || strcmp(series, st.series) != 0 || bseq != seq) {
			error_set(err, "%s does not hold snapshot %llu of series %s", bundle,
			          (unsigned long long)seq, st.series);
			free(series);
			goto out;
		}
		free(series);
		if (write_sidecar(bundle, err) < 0)
			goto out;
		memcpy(st.last_tagmanifest, tm, sizeof(tm));
		{
			json_t *j = state_to_json(&st);
			int w = state_write_file(s, "state.json", j, err);

			json_decref(j);
			if (w < 0)
				goto out;
		}
		state_free(&s->old);
		s->old = st;
		memset(&st, 0, sizeof(st));
		s->sum->recovered = xstrdup(bundle);
	}
	if (unlinkat(s->state_fd, "pending.json", 0) < 0 || fsync(s->state_fd) < 0) {
		error_set(err, "%s: %s", s->intent_path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	state_free(&st);
	json_decref(o);
	return rc;
}

/* ---- reading sources for the plan ---- */

/* Hash the first len bytes of fd into h (started here), keeping up to SNAPSHOT_HEAD_BYTES of
 * them in head. 0, or -1 when the file is shorter or unreadable. */
static int hash_prefix(struct snap *s, int fd, uint64_t len, struct plan_item *it,
                       struct error *err)
{
	uint64_t done = 0;

	if (sha256_init(&it->prefix, err) < 0)
		return -1;
	it->has_prefix = 1;
	if (it->head == NULL)
		it->head = xmalloc(SNAPSHOT_HEAD_BYTES);
	it->head_len = 0;
	while (done < len) {
		size_t want = len - done < READ_CHUNK ? (size_t)(len - done) : READ_CHUNK;
		ssize_t n = pread(fd, s->buf, want, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		sha256_update(&it->prefix, s->buf, (size_t)n);
		if (it->head_len < SNAPSHOT_HEAD_BYTES) {
			size_t take = SNAPSHOT_HEAD_BYTES - it->head_len;

			take = take < (size_t)n ? take : (size_t)n;
			memcpy(it->head + it->head_len, s->buf, take);
			it->head_len += take;
		}
		done += (uint64_t)n;
	}
	return 0;
}

static void item_reset(struct plan_item *it)
{
	if (it->has_prefix)
		sha256_discard(&it->prefix);
	it->has_prefix = 0;
}

static int open_entry(int root_fd, const struct walk_entry *e, struct stat *st)
{
	int fd = rootfs_open(root_fd, e->path, O_RDONLY | O_NONBLOCK | O_NOCTTY);

	if (fd >= 0 && (fstat(fd, st) < 0 || !S_ISREG(st->st_mode))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Is this the name of a file compressed by rotation (gzip, xz, zstd, bzip2)? */
static int compressed_name(const char *path)
{
	return str_has_suffix(path, ".gz") || str_has_suffix(path, ".xz") ||
	       str_has_suffix(path, ".zst") || str_has_suffix(path, ".bz2");
}

/*
 * Decompress a rotated file (gzip, xz, zstd or bzip2, through libarchive's raw format). Keeps
 * the first SNAPSHOT_HEAD_BYTES decompressed bytes in it->head; with head_only, stops there.
 * Otherwise hashes the first want bytes into it->prefix (started here) and counts in *total
 * what it decompressed, stopping as soon as that is more than want (a bomb cannot make it
 * read on). 0, or -1 when the file is not (or not complete) compressed data.
 */
static int compressed_scan(struct snap *s, int fd, int head_only, uint64_t want,
                           struct plan_item *it, uint64_t *total, struct error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int rc = -1;

	*total = 0;
	if (it->head == NULL)
		it->head = xmalloc(SNAPSHOT_HEAD_BYTES);
	it->head_len = 0;
	if (!head_only) {
		if (sha256_init(&it->prefix, err) < 0)
			goto done;
		it->has_prefix = 1;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ae) != ARCHIVE_OK ||
	    archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE)
		goto done;
	for (;;) {
		la_ssize_t n = archive_read_data(a, s->buf, READ_CHUNK);
		size_t got;

		if (n < 0)
			break;
		if (n == 0) {
			rc = 0;
			break;
		}
		got = (size_t)n;
		if (it->head_len < SNAPSHOT_HEAD_BYTES) {
			size_t take = SNAPSHOT_HEAD_BYTES - it->head_len;

			take = take < got ? take : got;
			memcpy(it->head + it->head_len, s->buf, take);
			it->head_len += take;
		}
		if (head_only && it->head_len >= SNAPSHOT_HEAD_BYTES) {
			rc = 0;
			break;
		}
		if (!head_only && *total < want) {
			uint64_t take = want - *total < got ? want - *total : got;

			sha256_update(&it->prefix, s->buf, (size_t)take);
		}
		*total += got;
		if (!head_only && *total > want) {
			rc = 0;
			break;
		}
	}
done:
	archive_read_free(a);
	return rc;
}

/* The head and prefix hashes of a whole file, as a tracked record has them. */
static int hash_whole(struct snap *s, int fd, const struct stat *st, struct tracked *t,
                      struct error *err)
{
	struct plan_item tmp;
	int rc;

	memset(&tmp, 0, sizeof(tmp));
	rc = hash_prefix(s, fd, (uint64_t)st->st_size, &tmp, err);
	if (rc == 0) {
		t->size = (uint64_t)st->st_size;
		t->head_len = tmp.head_len;
		sha256_final_hex(&tmp.prefix, t->prefix);
		tmp.has_prefix = 0;
		if (sha256_hex(tmp.head, tmp.head_len, t->head, err) < 0)
			rc = -1;
	}
	item_reset(&tmp);
	free(tmp.head);
	return rc;
}

static void stat_into(struct tracked *t, const char *path, const struct stat *st)
{
	free(t->path);
	t->path = xstrdup(path);
	t->dev = (uint64_t)st->st_dev;
	t->ino = (uint64_t)st->st_ino;
	t->mtime_s = (int64_t)st->st_mtim.tv_sec;
	t->mtime_ns = (int64_t)st->st_mtim.tv_nsec;
	t->ctime_s = (int64_t)st->st_ctim.tv_sec;
	t->ctime_ns = (int64_t)st->st_ctim.tv_nsec;
}

static int same_inode(const struct tracked *t, const struct stat *st)
{
	return t->dev == (uint64_t)st->st_dev && t->ino == (uint64_t)st->st_ino;
}

static int unchanged(const struct tracked *t, const struct stat *st)
{
	return same_inode(t, st) && t->size == (uint64_t)st->st_size &&
	       t->mtime_s == (int64_t)st->st_mtim.tv_sec &&
	       t->mtime_ns == (int64_t)st->st_mtim.tv_nsec &&
	       t->ctime_s == (int64_t)st->st_ctim.tv_sec &&
	       t->ctime_ns == (int64_t)st->st_ctim.tv_nsec;
}

static char *new_id(struct snap *s)
{
	return xasprintf("%llu.%llu", (unsigned long long)s->next.sequence,
	                 (unsigned long long)++s->next_id);
}

static void to_new(struct snap *s, struct plan_item *it)
{
	item_reset(it);
	it->act = ACT_NEW;
	it->from = NULL;
	it->kind = "new";
	it->offset = 0;
	free(it->id);
	it->id = new_id(s);
}

char *snapshot_rotation_base(const char *path)
{
	static const char *const packed[] = {".gz", ".xz", ".bz2", ".zst", ".lz4", ".Z"};
	char *base = xstrdup(path);
	size_t len = strlen(base), digits = 0;

	for (size_t k = 0; k < sizeof(packed) / sizeof(packed[0]); k++)
		if (str_has_suffix(base, packed[k])) {
			len -= strlen(packed[k]);
			base[len] = '\0';
			break;
		}
	while (digits < len && isdigit((unsigned char)base[len - 1 - digits]))
		digits++;
	if (digits > 0 && digits < len && base[len - 1 - digits] == '.')
		base[len - 1 - digits] = '\0';
	else if (digits >= 8 && digits < len && base[len - 1 - digits] == '-')
		base[len - 1 - digits] = '\0';
	return base;
}

static void rotation_seen(struct snap *s, const char *path)
{
	s->rotated_bases =
	        xreallocarray(s->rotated_bases, s->n_rotated_bases + 1, sizeof(*s->rotated_bases));
	s->rotated_bases[s->n_rotated_bases++] = snapshot_rotation_base(path);
}

/* Was path an old generation of a log whose rotation this run saw? Then it aged out. */
static int expired_generation(struct snap *s, const char *path)
{
	char *base = snapshot_rotation_base(path);
	int found = 0;

	if (strcmp(base, path) != 0)
		for (size_t i = 0; i < s->n_rotated_bases && !found; i++)
			found = strcmp(s->rotated_bases[i], base) == 0;
	free(base);
	return found;
}

/* Read a candidate's head once: raw bytes, or decompressed for a .gz file. */
static void candidate_head(struct snap *s, int root_fd, const struct walk_entry *e,
                           struct plan_item *it)
{
	struct stat st;
	struct error ignored;
	uint64_t total;
	int fd;

	if (it->head_read)
		return;
	it->head_read = 1;
	it->is_compressed = compressed_name(e->path);
	if ((fd = open_entry(root_fd, e, &st)) < 0) {
		it->head_failed = 1;
		return;
	}
	if (it->is_compressed) {
		if (compressed_scan(s, fd, 1, 0, it, &total, &ignored) < 0)
			it->head_failed = 1;
	} else {
		ssize_t n;

		if (it->head == NULL)
			it->head = xmalloc(SNAPSHOT_HEAD_BYTES);
		n = pread(fd, it->head, SNAPSHOT_HEAD_BYTES, 0);
		if (n < 0)
			it->head_failed = 1;
		else
			it->head_len = (size_t)n;
	}
	close(fd);
}

static int head_matches(const struct plan_item *it, const struct tracked *t)
{
	char hex[SHA256_HEX_LEN + 1];
	struct error ignored;

	if (it->head_failed || it->head_len < t->head_len ||
	    sha256_hex(it->head, (size_t)t->head_len, hex, &ignored) < 0)
		return 0;
	return strcmp(hex, t->head) == 0;
}

/*
 * Is candidate item (a file the state does not know by inode) a copy of t's held content,
 * plain or gzip-compressed? Then it takes over t's identity. 1 yes, 0 no, -1 error.
 */
static int claim_copy(struct snap *s, int root_fd, const struct walk_entry *e, struct plan_item *it,
                      const struct tracked *t, struct error *err)
{
	struct stat st;
	char hex[SHA256_HEX_LEN + 1];
	uint64_t total = 0;
	int fd, rc = 0;

	candidate_head(s, root_fd, e, it);
	if (!head_matches(it, t))
		return 0;
	if (!it->is_compressed && (uint64_t)e->st.st_size < t->size)
		return 0;
	if ((fd = open_entry(root_fd, e, &st)) < 0)
		return 0;
	if (it->is_compressed) {
		if (compressed_scan(s, fd, 0, t->size, it, &total, err) < 0 || total < t->size)
			goto out;
	} else if (hash_prefix(s, fd, t->size, it, err) < 0) {
		goto out;
	}
	sha256_peek_hex(&it->prefix, hex);
	if (strcmp(hex, t->prefix) != 0)
		goto out;
	rc = 1;
	it->from = t;
	free(it->id);
	it->id = xstrdup(t->id);
	it->dev = st.st_dev;
	it->ino = st.st_ino;
	if (it->is_compressed && total == t->size) {
		it->act = ACT_HELD;
		it->kind = "compressed";
		item_reset(it);
		memset(&it->held, 0, sizeof(it->held));
		it->held.id = xstrdup(t->id);
		stat_into(&it->held, e->path, &st);
		it->held.compressed = 1;
		if (hash_whole(s, fd, &st, &it->held, err) < 0) {
			tracked_free(&it->held);
			memset(&it->held, 0, sizeof(it->held));
			rc = -1;
		}
	} else if (it->is_compressed) {
		/* It holds more than the series has: take the compressed file whole. */
		note(s,
		     "%s: a compressed copy of what the series holds of %s, and more: taken whole",
		     e->path, t->path);
		to_new(s, it);
		it->kind = "compressed-new";
	} else {
		it->act = ACT_CONTINUE;
		it->kind = "copied";
		it->offset = t->size;
	}
out:
	if (rc == 0)
		item_reset(it);
	close(fd);
	return rc;
}

/* The old state's files ordered by inode, to find a file by (dev, ino) quickly. */
static const struct state *inode_order_state;

static int inode_cmp(const void *a, const void *b)
{
	const struct tracked *x = &inode_order_state->files[*(const size_t *)a];
	const struct tracked *y = &inode_order_state->files[*(const size_t *)b];

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static size_t *inode_index(const struct state *old)
{
	size_t *order = xcalloc(old->n_files + 1, sizeof(*order));

	for (size_t k = 0; k < old->n_files; k++)
		order[k] = k;
	inode_order_state = old;
	qsort(order, old->n_files, sizeof(*order), inode_cmp);
	inode_order_state = NULL;
	return order;
}

/* The first entry of the old state with st's inode that is still open; old->n_files if none. */
static size_t inode_find(const struct state *old, const size_t *order, const int *taken,
                         const struct stat *st)
{
	size_t lo = 0, hi = old->n_files;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct tracked *t = &old->files[order[mid]];

		if (t->dev < (uint64_t)st->st_dev ||
		    (t->dev == (uint64_t)st->st_dev && t->ino < (uint64_t)st->st_ino))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < old->n_files && same_inode(&old->files[order[lo]], st); lo++)
		if (!taken[order[lo]])
			return order[lo];
	return old->n_files;
}

enum old_status { OLD_OPEN, OLD_OK, OLD_TRUNCATED, OLD_REWRITTEN, OLD_VANISHED, OLD_EXPLAINED };

/* After the walk: decide, for every file, what the snapshot takes and what is an anomaly. */
static int snap_plan(void *ctx, int root_fd, const struct walk_result *walk, uint64_t *store_bytes,
                     struct error *err)
{
	struct snap *s = ctx;
	const struct state *old = &s->old;
	enum old_status *status = xcalloc(old->n_files + 1, sizeof(*status));
	size_t *where = xcalloc(old->n_files + 1, sizeof(*where));
	size_t *order = inode_index(old);
	int *taken = xcalloc(old->n_files + 1, sizeof(*taken));
	int rc = -1;

	s->walk = walk;
	s->n_items = walk->count;
	s->items = xcalloc(walk->count + 1, sizeof(*s->items));
	for (size_t i = 0; i < walk->count; i++) {
		const struct walk_entry *e = &walk->entries[i];
		struct plan_item *it = &s->items[i];
		const struct tracked *t = NULL;
		size_t k;

		if (e->kind != ENTRY_FILE)
			continue;
		it->dev = e->st.st_dev;
		it->ino = e->st.st_ino;
		k = inode_find(old, order, taken, &e->st);
		if (k == old->n_files) {
			it->act = ACT_NEW;
			it->kind = "new";
			continue;
		}
		t = &old->files[k];
		taken[k] = 1;
		where[k] = i;
		it->from = t;
		it->id = xstrdup(t->id);
		if (unchanged(t, &e->st)) {
			it->act = ACT_UNCHANGED;
			it->kind = "unchanged";
			status[k] = OLD_OK;
		} else if ((uint64_t)e->st.st_size < t->size) {
			status[k] = OLD_TRUNCATED;
			to_new(s, it);
		} else {
			struct stat st;
			char hex[SHA256_HEX_LEN + 1];
			int fd = open_entry(root_fd, e, &st);

			if (fd < 0) {
				/* Unreadable now: keep what the series holds, compare next time. */
				it->act = ACT_NONE;
				status[k] = OLD_OK;
				continue;
			}
			if (!same_inode(t, &st) || hash_prefix(s, fd, t->size, it, err) < 0) {
				close(fd);
				status[k] = OLD_REWRITTEN;
				to_new(s, it);
				continue;
			}
			close(fd);
			sha256_peek_hex(&it->prefix, hex);
			if (strcmp(hex, t->prefix) == 0) {
				it->act = ACT_CONTINUE;
				it->kind = "appended";
				it->offset = t->size;
				status[k] = OLD_OK;
			} else {
				status[k] = OLD_REWRITTEN;
				to_new(s, it);
			}
		}
		if (it->from && strcmp(it->from->path, e->path) != 0) {
			it->kind = "rotated";
			rotation_seen(s, it->from->path);
		}
	}
	for (size_t k = 0; k < old->n_files; k++)
		if (status[k] == OLD_OPEN)
			status[k] = OLD_VANISHED;
	/* Content the state held that is no longer where it was: a copy (copytruncate), or a
	 * compressed copy, explains it; look among the files the state does not know. */
	for (size_t k = 0; k < old->n_files; k++) {
		const struct tracked *t = &old->files[k];

		if (status[k] == OLD_OK || t->size == 0 || t->compressed)
			continue;
		for (size_t i = 0; i < walk->count && status[k] != OLD_EXPLAINED; i++) {
			struct plan_item *it = &s->items[i];
			int r;

			if (walk->entries[i].kind != ENTRY_FILE || it->act != ACT_NEW ||
			    it->from != NULL || str_has_prefix(it->kind, "compressed"))
				continue;
			r = claim_copy(s, root_fd, &walk->entries[i], it, t, err);
			if (r < 0)
				goto out;
			if (r > 0 || str_has_prefix(it->kind, "compressed")) {
				status[k] = OLD_EXPLAINED;
				rotation_seen(s, t->path);
				note(s, "%s: rotated to %s (%s)", t->path, walk->entries[i].path,
				     it->act == ACT_HELD ? "compressed" : it->kind);
			}
		}
	}
	for (size_t k = 0; k < old->n_files; k++) {
		const struct tracked *t = &old->files[k];
		const struct walk_entry *now = NULL;

		if (status[k] == OLD_TRUNCATED || status[k] == OLD_REWRITTEN)
			now = &walk->entries[where[k]];
		for (size_t i = 0; i < walk->count && !now; i++)
			if (strcmp(walk->entries[i].path, t->path) == 0)
				now = &walk->entries[i];
		switch (status[k]) {
		case OLD_TRUNCATED:
			anomaly(s, "truncated", t->path, t->id, t->size, (int64_t)now->st.st_size,
			        "shrank from %llu to %llu bytes; what it held is in earlier "
			        "snapshots",
			        (unsigned long long)t->size, (unsigned long long)now->st.st_size);
			break;
		case OLD_REWRITTEN:
			anomaly(s, "rewritten", t->path, t->id, t->size, (int64_t)now->st.st_size,
			        "the first %llu bytes, held by earlier snapshots, were changed in "
			        "place",
			        (unsigned long long)t->size);
			break;
		case OLD_VANISHED:
			if (now)
				anomaly(s, "replaced", t->path, t->id, t->size,
				        (int64_t)now->st.st_size,
				        "replaced by a different file that does not begin with the "
				        "%llu "
				        "bytes earlier snapshots hold",
				        (unsigned long long)t->size);
			else if (expired_generation(s, t->path))
				note(s, "%s: an old rotated generation, removed by rotation",
				     t->path);
			else
				anomaly(s, "disappeared", t->path, t->id, t->size, -1,
				        "deleted (not by rotation); its %llu bytes are in earlier "
				        "snapshots",
				        (unsigned long long)t->size);
			break;
		default:
			break;
		}
	}
	*store_bytes = 0;
	for (size_t i = 0; i < walk->count; i++) {
		const struct plan_item *it = &s->items[i];
		uint64_t size = (uint64_t)walk->entries[i].st.st_size;

		if (it->act == ACT_NEW && it->id == NULL)
			s->items[i].id = new_id(s);
		if (it->act == ACT_NEW)
			*store_bytes += size;
		else if (it->act == ACT_CONTINUE && size > it->offset)
			*store_bytes += size - it->offset;
	}
	rc = 0;
out:
	free(status);
	free(where);
	free(order);
	free(taken);
	return rc;
}

static void segment_event(struct snap *s, const struct plan_item *it, const char *path,
                          const char *event)
{
	char *p = path_text(path), *from = path_text(it->from->path);

	json_line(&s->segments, json_pack("{s:s,s:s,s:s,s:s}", "file_id", it->id, "path", p,
	                                  "event", event, "from", from));
	free(p);
	free(from);
}

/* Track a file whose content the series already holds in full (nothing stored now). */
static void track_held(struct snap *s, struct plan_item *it, const struct walk_entry *e,
                       const struct stat *st)
{
	struct tracked *t = state_add(&s->next);

	if (it->act == ACT_HELD) {
		*t = it->held;
		memset(&it->held, 0, sizeof(it->held));
		segment_event(s, it, e->path, "compressed");
		s->sum->files_rotated++;
		return;
	}
	tracked_copy(t, it->from);
	stat_into(t, e->path, st);
	if (strcmp(it->from->path, e->path) != 0) {
		segment_event(s, it, e->path, "renamed");
		s->sum->files_rotated++;
	} else {
		s->sum->files_unchanged++;
	}
}

static int snap_decide(void *ctx, const struct walk_entry *e, int fd, const struct stat *st,
                       struct collect_decision *d, struct error *err)
{
	struct snap *s = ctx;
	struct plan_item *it = &s->items[e - s->walk->entries];

	(void)fd;
	s->cur = it;
	it->done = 1;
	if (it->act != ACT_NEW && it->act != ACT_NONE &&
	    (st->st_dev != it->dev || st->st_ino != it->ino)) {
		note(s, "%s was replaced while the snapshot ran: taken whole", e->path);
		to_new(s, it);
	}
	if (it->act == ACT_NONE)
		to_new(s, it);
	if (it->act == ACT_CONTINUE && (uint64_t)st->st_size < it->offset) {
		anomaly(s, "truncated", e->path, it->id, it->offset, (int64_t)st->st_size,
		        "shrank from %llu to %llu bytes while the snapshot ran",
		        (unsigned long long)it->offset, (unsigned long long)st->st_size);
		to_new(s, it);
	}
	d->record = json_pack("{s:s,s:s}", "snapshot", it->kind, "file_id", it->id);
	if (it->act == ACT_UNCHANGED || it->act == ACT_HELD ||
	    (it->act == ACT_CONTINUE && (uint64_t)st->st_size == it->offset)) {
		d->take = COLLECT_TAKE_SKIP;
		d->status = it->act == ACT_HELD ? "held" : "unchanged";
		d->reason = it->act == ACT_HELD
		                    ? "a compressed copy of bytes earlier snapshots hold"
		                    : "earlier snapshots hold every byte";
		track_held(s, it, e, st);
		item_reset(it);
		s->cur = NULL;
		return 0;
	}
	if (it->act == ACT_CONTINUE) {
		d->take = COLLECT_TAKE_SEGMENT;
		d->offset = it->offset;
		d->length = (uint64_t)st->st_size - it->offset;
		json_object_set_new(d->record, "segment_offset",
		                    json_integer((json_int_t)it->offset));
		return 0;
	}
	d->take = COLLECT_TAKE_WHOLE;
	if (sha256_init(&it->prefix, err) < 0)
		return -1;
	it->has_prefix = 1;
	if (it->head == NULL)
		it->head = xmalloc(SNAPSHOT_HEAD_BYTES);
	it->head_len = 0;
	return 0;
}

static void snap_data(void *ctx, const void *buf, size_t len)
{
	struct snap *s = ctx;
	struct plan_item *it = s->cur;

	if (it == NULL || !it->has_prefix)
		return;
	sha256_update(&it->prefix, buf, len);
	if (it->head_len < SNAPSHOT_HEAD_BYTES) {
		size_t take = SNAPSHOT_HEAD_BYTES - it->head_len;

		take = take < len ? take : len;
		memcpy(it->head + it->head_len, buf, take);
		it->head_len += take;
	}
}

static int snap_stored(void *ctx, const struct walk_entry *e, const struct stat *st,
                       uint64_t offset, uint64_t stored, uint64_t padding, const char *sha256,
                       struct error *err)
{
	struct snap *s = ctx;
	struct plan_item *it = s->cur;
	struct tracked *t;
	char *p, *bag, *bagname;
	int esc, shortened;
	json_t *o;

	(void)padding;
	if (it == NULL || !it->has_prefix)
		return 0;
	if (offset != it->offset) {
		error_set(err, "/%s: stored from offset %llu, planned %llu", e->path,
		          (unsigned long long)offset, (unsigned long long)it->offset);
		return -1;
	}
	t = state_add(&s->next);
	t->id = xstrdup(it->id);
	stat_into(t, e->path, st);
	t->size = offset + stored;
	sha256_final_hex(&it->prefix, t->prefix);
	it->has_prefix = 0;
	t->head_len = t->size < SNAPSHOT_HEAD_BYTES ? t->size : SNAPSHOT_HEAD_BYTES;
	if (t->head_len > it->head_len || sha256_hex(it->head, t->head_len, t->head, err) < 0) {
		error_set(err, "/%s: head of the file not seen", e->path);
		return -1;
	}
	t->compressed = 0;
	p = path_text(e->path);
	bagname = bagname_for_path(e->path, strlen(e->path), &esc, &shortened);
	bag = xasprintf("data/%s", bagname);
	o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:I,s:s}", "file_id", it->id, "path", p,
	              "event", it->act == ACT_NEW ? "whole" : "segment", "bag_path", bag, "offset",
	              (json_int_t)offset, "length", (json_int_t)stored, "sha256", sha256, "size",
	              (json_int_t)t->size, "prefix_sha256", t->prefix);
	if (it->from && strcmp(it->from->path, e->path) != 0) {
		char *from = path_text(it->from->path);

		json_object_set_new(o, "from", json_string(from));
		free(from);
		s->sum->files_rotated++;
	}
	json_line(&s->segments, o);
	if (it->act == ACT_NEW)
		s->sum->files_new++;
	else
		s->sum->files_appended++;
	s->sum->bytes_new += stored;
	free(p);
	free(bag);
	free(bagname);
	s->cur = NULL;
	return 0;
}

static json_t *pending_json(struct snap *s)
{
	json_t *o = state_to_json(&s->next);

	json_object_set_new(o, "pending",
	                    json_pack("{s:I,s:s}", "sequence", (json_int_t)s->next.sequence,
	                              "bundle", s->bundle_path));
	return o;
}

static int snap_finish(void *ctx, struct bag_writer *bag, FILE *log, struct error *err)
{
	struct snap *s = ctx;
	char num[32], stamp[32];
	int rc;

	/* Files the plan kept but that could not be read now: the series still holds them. */
	for (size_t i = 0; i < s->n_items; i++) {
		struct plan_item *it = &s->items[i];

		if (it->from && !it->done && it->act != ACT_NEW && it->act != ACT_HELD)
			tracked_copy(state_add(&s->next), it->from);
	}
	format_iso8601((int64_t)time(NULL), stamp, sizeof(stamp));
	fprintf(log, "%s snapshot %llu of series %s%s%s\n", stamp,
	        (unsigned long long)s->next.sequence, s->next.series,
	        s->sum->previous[0] ? ", previous tagmanifest sha256 " : " (the first)",
	        s->sum->previous);
	for (char *line = s->notes.buf, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		fprintf(log, "%s %.*s\n", stamp, (int)(nl - line), line);
	}
	if (bag_add_tag_file(bag, "logpack/segments.jsonl", s->segments.buf ? s->segments.buf : "",
	                     s->segments.len, err) < 0 ||
	    bag_add_tag_file(bag, "logpack/anomalies.jsonl",
	                     s->anomalies.buf ? s->anomalies.buf : "", s->anomalies.len, err) < 0)
		return -1;
	bag_info_add(bag, "LogPack-Snapshot-Series", s->next.series);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)s->next.sequence);
	bag_info_add(bag, "LogPack-Snapshot-Sequence", num);
	if (s->sum->previous[0])
		bag_info_add(bag, "LogPack-Snapshot-Previous", s->sum->previous);
	snprintf(num, sizeof(num), "%zu", s->sum->n_anomalies);
	bag_info_add(bag, "LogPack-Snapshot-Anomalies", num);
	/* From here the bundle may get its final name at any moment: say what it will be. */
	s->next.bundles =
	        xreallocarray(s->next.bundles, s->next.n_bundles + 1, sizeof(*s->next.bundles));
	s->next.bundles[s->next.n_bundles].sequence = s->next.sequence;
	s->next.bundles[s->next.n_bundles].path = xstrdup(s->bundle_path);
	s->next.bundles[s->next.n_bundles].created = (int64_t)time(NULL);
	s->next.n_bundles++;
	{
		json_t *o = pending_json(s);

		rc = state_write_file(s, "pending.json", o, err);
		json_decref(o);
	}
	return rc;
}

/* Remove the oldest bundles beyond --keep, or older than --keep-for; never the newest. */
static void retention(struct snap *s)
{
	struct state *st = &s->next;
	int64_t now = (int64_t)time(NULL);
	size_t kept = 0;
	int changed = 0;
	struct error ignored;

	for (size_t i = 0; i < st->n_bundles; i++) {
		struct bundle_entry *b = &st->bundles[i];
		size_t newer = st->n_bundles - 1 - i;
		int drop = (s->opt->keep && newer >= s->opt->keep) ||
		           (s->opt->keep_for && newer > 0 && b->created < now - s->opt->keep_for);
		char *side = xasprintf("%s.sha256", b->path);

		if (drop && (unlink(b->path) == 0 || errno == ENOENT)) {
			unlink(side);
			s->sum->removed = xreallocarray(s->sum->removed, s->sum->n_removed + 1,
			                                sizeof(*s->sum->removed));
			s->sum->removed[s->sum->n_removed++] = b->path;
			changed = 1;
		} else {
			st->bundles[kept++] = *b;
		}
		free(side);
	}
	st->n_bundles = kept;
	if (changed) {
		json_t *o = state_to_json(st);

		/* A failure here only delays the removal of the list entries to the next run. */
		(void)state_write_file(s, "state.json", o, &ignored);
		json_decref(o);
	}
}

static int make_bundle_path(struct snap *s, struct error *err)
{
	const struct collect_options *co = &s->opt->collect;
	const char *dir = co->output ? co->output : ".";
	struct host_facts hf;
	struct stat st;
	char stamp[32], *host, *absdir;
	time_t now = time(NULL);
	struct tm tm;
	int root_fd;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		error_set(err, "-o %s: %s; a snapshot needs an output directory", dir,
		          stat(dir, &st) < 0 ? strerror(errno) : "not a directory");
		return -1;
	}
	root_fd = open(co->root ? co->root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		error_set(err, "--root %s: %s", co->root ? co->root : "/", strerror(errno));
		return -1;
	}
	memset(&hf, 0, sizeof(hf));
	if (host_facts_gather(root_fd, &hf, err) < 0) {
		close(root_fd);
		return -1;
	}
	close(root_fd);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	host = host_name_for_file(hf.hostname);
	absdir = realpath(dir, NULL);
	/* The series in the name keeps series apart that share an output directory. */
	s->bundle_path = xasprintf("%s/logpack-%s-snapshot-%.8s-%06llu-%s%s", absdir ? absdir : dir,
	                           host, s->next.series, (unsigned long long)s->next.sequence,
	                           stamp, bag_compression_suffix(co->compression));
	remove_series_leftovers(absdir ? absdir : dir, s->next.series);
	free(absdir);
	free(host);
	host_facts_free(&hf);
	return 0;
}

static void snap_free(struct snap *s)
{
	state_free(&s->old);
	state_free(&s->next);
	for (size_t i = 0; i < s->n_items; i++) {
		item_reset(&s->items[i]);
		free(s->items[i].id);
		free(s->items[i].head);
		tracked_free(&s->items[i].held);
	}
	free(s->items);
	strbuf_release(&s->segments);
	strbuf_release(&s->anomalies);
	strbuf_release(&s->notes);
	for (size_t i = 0; i < s->n_rotated_bases; i++)
		free(s->rotated_bases[i]);
	free(s->rotated_bases);
	free(s->state_path);
	free(s->intent_path);
	free(s->bundle_path);
	free(s->buf);
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* releases the lock */
	if (s->state_fd >= 0)
		close(s->state_fd);
}

/*
 * When the state directory is inside the root, an --exclude pattern for it: state.json is
 * replaced on every run and would look like a log replaced by an intruder. NULL otherwise.
 */
static char *state_exclude(const char *root, const char *state_dir)
{
	char *state = realpath(state_dir, NULL), *pattern = NULL;
	size_t len = strlen(root);
	struct strbuf sb = STRBUF_INIT;

	if (state == NULL)
		return NULL;
	if (strcmp(root, "/") == 0)
		len = 0;
	if (strncmp(state, root, len) == 0 && state[len] == '/') {
		for (const char *p = state + len; *p; p++) {
			if (strchr("*?[\\", *p))
				strbuf_addch(&sb, '\\');
			strbuf_addch(&sb, *p);
		}
		strbuf_addstr(&sb, "/*");
		pattern = strbuf_detach(&sb);
	}
	free(state);
	return pattern;
}

int snapshot_run(const struct snapshot_options *opt, struct snapshot_summary *sum,
                 struct error *err)
{
	struct snap s;
	struct collect_options co = opt->collect;
	struct collect_hooks hooks = {0};
	char *root = NULL, *exclude = NULL;
	const char **excludes = NULL;
	int rc = -1, crc;

	memset(sum, 0, sizeof(*sum));
	memset(&s, 0, sizeof(s));
	s.opt = opt;
	s.sum = sum;
	s.state_fd = s.lock_fd = -1;
	s.buf = xmalloc(READ_CHUNK);
	if (state_open(&s, err) < 0 || state_load(&s, err) < 0 || recover(&s, err) < 0)
		goto out;
	root = realpath(co.root ? co.root : "/", NULL);
	if (root == NULL) {
		error_set(err, "--root %s: %s", co.root ? co.root : "/", strerror(errno));
		goto out;
	}
	if (s.old.sequence) {
		if (strcmp(s.old.root, root) != 0) {
			error_set(err, "%s belongs to a series of --root %s, not %s", s.state_path,
			          s.old.root, root);
			goto out;
		}
		memcpy(s.next.series, s.old.series, sizeof(s.next.series));
		memcpy(sum->previous, s.old.last_tagmanifest, sizeof(sum->previous));
		for (size_t i = 0; i < s.old.n_bundles; i++) {
			s.next.bundles = xreallocarray(s.next.bundles, s.next.n_bundles + 1,
			                               sizeof(*s.next.bundles));
			s.next.bundles[s.next.n_bundles] = s.old.bundles[i];
			s.next.bundles[s.next.n_bundles++].path = xstrdup(s.old.bundles[i].path);
		}
	} else {
		unsigned char id[SNAPSHOT_SERIES_LEN / 2];

		if (RAND_bytes(id, sizeof(id)) != 1) {
			error_set_openssl(err, "random series id");
			goto out;
		}
		for (size_t i = 0; i < sizeof(id); i++)
			snprintf(s.next.series + 2 * i, 3, "%02x", id[i]);
	}
	s.next.sequence = s.old.sequence + 1;
	s.next.root = xstrdup(root);
	memset(s.next.last_tagmanifest, '0', SHA256_HEX_LEN);
	memcpy(sum->series, s.next.series, sizeof(sum->series));
	sum->sequence = s.next.sequence;
	if (make_bundle_path(&s, err) < 0)
		goto out;
	hooks.ctx = &s;
	hooks.plan = snap_plan;
	hooks.decide = snap_decide;
	hooks.data = snap_data;
	hooks.stored = snap_stored;
	hooks.finish = snap_finish;
	co.output = s.bundle_path;
	co.hooks = &hooks;
	if ((exclude = state_exclude(root, opt->state_dir)) != NULL) {
		excludes = xcalloc(co.n_excludes + 1, sizeof(*excludes));
		for (size_t i = 0; i < co.n_excludes; i++)
			excludes[i] = co.excludes[i];
		excludes[co.n_excludes++] = exclude;
		co.excludes = excludes;
	}
	crc = collect_run(&co, &sum->collect, err);
	if (crc < 0) {
		/* Nothing got its final name: the pending state must not be adopted. */
		unlinkat(s.state_fd, "pending.json", 0);
		goto out;
	}
	memcpy(s.next.last_tagmanifest, sum->collect.tagmanifest_sha256, SHA256_HEX_LEN + 1);
	{
		json_t *o = state_to_json(&s.next);
		int w = state_write_file(&s, "state.json", o, err);

		json_decref(o);
		if (w < 0)
			goto out;
	}
	if (unlinkat(s.state_fd, "pending.json", 0) < 0 || fsync(s.state_fd) < 0) {
		error_set(err, "%s: %s", s.intent_path, strerror(errno));
		goto out;
	}
	retention(&s);
	rc = crc;
out:
	free(root);
	free(exclude);
	free(excludes);
	snap_free(&s);
	return rc;
}

void snapshot_summary_free(struct snapshot_summary *sum)
{
	collect_summary_free(&sum->collect);
	for (size_t i = 0; i < sum->n_anomalies; i++) {
		free(sum->anomalies[i].kind);
		free(sum->anomalies[i].path);
		free(sum->anomalies[i].detail);
	}
	free(sum->anomalies);
	free(sum->recovered);
	for (size_t i = 0; i < sum->n_removed; i++)
		free(sum->removed[i]);
	free(sum->removed);
	memset(sum, 0, sizeof(*sum));
}
