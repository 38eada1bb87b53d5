/* The snapshot state file and its directory: load, check, save atomically, lock. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/atomic-file.h"
#include "bundle/manifest.h"
#include "series/state.h"

#define STATE_FORMAT "logpack-snapshot-state/1"
#define STATE_MAX (256 * 1024 * 1024)

void tracked_file_free(struct tracked_file *t)
{
	free(t->id);
	free(t->path);
}

void tracked_file_copy(struct tracked_file *dst, const struct tracked_file *src)
{
	*dst = *src;
	dst->id = xstrdup(src->id);
	dst->path = xstrdup(src->path);
}

void state_free(struct series_state *st)
{
	for (size_t i = 0; i < st->n_files; i++)
		tracked_file_free(&st->files[i]);
	free(st->files);
	for (size_t i = 0; i < st->n_bundles; i++)
		free(st->bundles[i].path);
	free(st->bundles);
	free(st->root);
	memset(st, 0, sizeof(*st));
}

struct tracked_file *state_add_file(struct series_state *st)
{
	if (st->n_files == st->cap_files) {
		st->cap_files = st->cap_files ? 2 * st->cap_files : 64;
		st->files = xreallocarray(st->files, st->cap_files, sizeof(*st->files));
	}
	memset(&st->files[st->n_files], 0, sizeof(st->files[0]));
	return &st->files[st->n_files++];
}

void state_add_bundle(struct series_state *st, uint64_t sequence, const char *path, int64_t created)
{
	st->bundles = xreallocarray(st->bundles, st->n_bundles + 1, sizeof(*st->bundles));
	st->bundles[st->n_bundles].sequence = sequence;
	st->bundles[st->n_bundles].path = xstrdup(path);
	st->bundles[st->n_bundles].created = created;
	st->n_bundles++;
}

json_t *state_to_json(const struct series_state *st)
{
	json_t *o = json_object(), *files = json_array(), *bundles = json_array();

	json_object_set_new(o, "format", json_string(STATE_FORMAT));
	json_object_set_new(o, "series", json_string(st->series));
	json_object_set_new(o, "sequence", json_integer((json_int_t)st->sequence));
	json_object_set_new(o, "last_tagmanifest_sha256", json_string(st->last_tagmanifest));
	json_object_set_new(o, "root", json_string(st->root ? st->root : ""));
	for (size_t i = 0; i < st->n_files; i++) {
		const struct tracked_file *t = &st->files[i];
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

static int hex_field(json_t *o, const char *key, char out[SHA256_HEX_LEN + 1])
{
	const char *v = json_string_value(json_object_get(o, key));

	if (v == NULL || !sha256_hex_valid(v))
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

/* One record of "files"; -1 when a field is missing or out of range. */
static int tracked_from_json(json_t *v, struct tracked_file *t)
{
	const char *id = json_string_value(json_object_get(v, "id"));
	const char *path = json_string_value(json_object_get(v, "path"));
	size_t raw_len;

	if (id == NULL || path == NULL)
		return -1;
	t->id = xstrdup(id);
	if (bagname_decode(path, &t->path, &raw_len) < 0) {
		t->path = NULL;
		return -1;
	}
	/* A NUL inside the decoded name would make it a different path. */
	if (strlen(t->path) != raw_len || uint_field(v, "dev", &t->dev) < 0 ||
	    uint_field(v, "ino", &t->ino) < 0 || uint_field(v, "size", &t->size) < 0 ||
	    uint_field(v, "head_len", &t->head_len) < 0 ||
	    time_field(v, "mtime", &t->mtime_s, &t->mtime_ns) < 0 ||
	    time_field(v, "ctime", &t->ctime_s, &t->ctime_ns) < 0 ||
	    hex_field(v, "head_sha256", t->head) < 0 ||
	    hex_field(v, "prefix_sha256", t->prefix) < 0 || t->head_len > SNAPSHOT_HEAD_BYTES ||
	    t->head_len > t->size)
		return -1;
	t->compressed = json_is_true(json_object_get(v, "compressed"));
	return 0;
}

int state_from_json(json_t *o, struct series_state *st, struct error *err)
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
	    hex_field(o, "last_tagmanifest_sha256", st->last_tagmanifest) < 0 ||
	    !json_is_array(files) || !json_is_array(bundles)) {
		error_set(err, "a series, sequence, root, tagmanifest hash or list is missing or "
		               "malformed");
		state_free(st);
		return -1;
	}
	strcpy(st->series, series);
	st->root = xstrdup(root);
	json_array_foreach(files, i, v)
	{
		if (tracked_from_json(v, state_add_file(st)) < 0) {
			error_set(err, "file record %zu is malformed", i + 1);
			state_free(st);
			return -1;
		}
	}
	json_array_foreach(bundles, i, v)
	{
		const char *path = json_string_value(json_object_get(v, "path"));
		uint64_t seq, created;

		if (path == NULL || uint_field(v, "sequence", &seq) < 0 ||
		    uint_field(v, "created", &created) < 0) {
			error_set(err, "bundle record %zu is malformed", i + 1);
			state_free(st);
			return -1;
		}
		state_add_bundle(st, seq, path, (int64_t)created);
	}
	return 0;
}

int state_parse(const char *text, size_t len, struct series_state *st, struct error *err)
{
	json_error_t jerr;
	json_t *o = json_loadb(text, len, 0, &jerr);
	int rc;

	memset(st, 0, sizeof(*st));
	if (o == NULL || !json_is_object(o)) {
		error_set(err, "%s, line %d", o ? "not a JSON object" : jerr.text, jerr.line);
		json_decref(o);
		return -1;
	}
	rc = state_from_json(o, st, err);
	json_decref(o);
	return rc;
}

/*
 * Remove the temporaries a killed run left in the state directory: ".state.json.XXXXXX" and
 * ".pending.json.XXXXXX" (atomic_file's names), or ".state.json.tmp" from older versions.
 * Only called holding the lock, so no other run is writing them.
 */
static void state_dir_remove_leftovers(struct state_dir *sd)
{
	static const char *const names[] = {".state.json.", ".pending.json."};
	int fd = fcntl(sd->fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char **found = NULL;
	size_t n_found = 0;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	/* Listed first, removed after: removing while reading may skip entries. */
	while ((de = readdir(d)) != NULL)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (str_has_prefix(de->d_name, names[i]) &&
			    (strlen(de->d_name) == strlen(names[i]) + 6 ||
			     strcmp(de->d_name + strlen(names[i]), "tmp") == 0)) {
				found = xreallocarray(found, n_found + 1, sizeof(*found));
				found[n_found++] = xstrdup(de->d_name);
			}
	closedir(d);
	for (size_t i = 0; i < n_found; i++) {
		unlinkat(sd->fd, found[i], 0);
		free(found[i]);
	}
	free(found);
}

int state_dir_open(struct state_dir *sd, const char *dir, struct error *err)
{
	struct stat st;

	sd->path = dir;
	sd->fd = sd->lock_fd = -1;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		error_set(err, "--state %s: %s", dir, strerror(errno));
		return -1;
	}
	sd->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (sd->fd < 0 || fstat(sd->fd, &st) < 0) {
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
	sd->lock_fd = openat(sd->fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (sd->lock_fd < 0) {
		error_set(err, "%s/lock: %s", dir, strerror(errno));
		return -1;
	}
	if (flock(sd->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		error_set(err, "%s/lock: %s", dir,
		          errno == EWOULDBLOCK ? "another snapshot with this state is running"
		                               : strerror(errno));
		return -1;
	}
	state_dir_remove_leftovers(sd);
	return 0;
}

void state_dir_close(struct state_dir *sd)
{
	if (sd->lock_fd >= 0)
		close(sd->lock_fd); /* releases the lock */
	if (sd->fd >= 0)
		close(sd->fd);
	sd->lock_fd = sd->fd = -1;
}

int state_dir_read_json(struct state_dir *sd, const char *name, json_t **out, struct error *err)
{
	char *path = xasprintf("%s/%s", sd->path, name), *text = NULL;
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

int state_dir_write_json(struct state_dir *sd, const char *name, json_t *o, struct error *err)
{
	char *text = json_dumps(o, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	struct atomic_file *af = NULL;
	int rc = -1;

	if (text == NULL) {
		error_set(err, "%s/%s: cannot encode", sd->path, name);
		return -1;
	}
	if (atomic_file_openat(&af, sd->fd, sd->path, name, 0600, ATOMIC_FILE_REPLACE, err) < 0)
		goto out;
	if (write_all(atomic_file_fd(af), text, strlen(text)) < 0 ||
	    write_all(atomic_file_fd(af), "\n", 1) < 0) {
		error_set(err, "%s: %s", atomic_file_temp_path(af), strerror(errno));
		atomic_file_rollback(af);
		goto out;
	}
	rc = atomic_file_commit(af, err);
out:
	free(text);
	return rc;
}

int state_dir_remove(struct state_dir *sd, const char *name, struct error *err)
{
	if (unlinkat(sd->fd, name, 0) < 0 || fsync(sd->fd) < 0) {
		error_set(err, "%s/%s: %s", sd->path, name, strerror(errno));
		return -1;
	}
	return 0;
}

int state_dir_load(struct state_dir *sd, struct series_state *st, struct error *err)
{
	json_t *o;
	int rc = state_dir_read_json(sd, "state.json", &o, err);
	struct error why;

	memset(st, 0, sizeof(*st));
	if (rc <= 0)
		return rc;
	if (state_from_json(o, st, &why) < 0) {
		error_set(err,
		          "%s/state.json is damaged (%s); it is left as it is: move it aside to "
		          "start a new series",
		          sd->path, why.msg);
		json_decref(o);
		return -1;
	}
	json_decref(o);
	return 1;
}
