/* Crash recovery: the pending record, adopting a finished bundle, removing what a kill left. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/atomic-file.h"
#include "bundle/bundle-read.h"
#include "bundle/source.h"
#include "series/recovery.h"

#define PENDING "pending.json"

void recovery_crash_point(const char *point)
{
	const char *want = getenv("LOGPACK_TEST_CRASH_AT");

	if (want != NULL && strcmp(want, point) == 0)
		raise(SIGKILL);
}

int recovery_write_pending(struct state_dir *sd, const struct series_state *next,
                           const char *bundle, int encrypted, struct error *err)
{
	json_t *o = state_to_json(next);
	int rc;

	json_object_set_new(o, "pending",
	                    json_pack("{s:I,s:s,s:b}", "sequence", (json_int_t)next->sequence,
	                              "bundle", bundle, "encrypted", encrypted));
	rc = state_dir_write_json(sd, PENDING, o, err);
	json_decref(o);
	return rc;
}

int recovery_drop_pending(struct state_dir *sd, struct error *err)
{
	if (unlinkat(sd->fd, PENDING, 0) < 0 && errno != ENOENT) {
		error_set(err, "%s/%s: %s", sd->path, PENDING, strerror(errno));
		return -1;
	}
	return 0;
}

void recovery_bundle_free(struct recovery_bundle *rb)
{
	free(rb->series);
	memset(rb, 0, sizeof(*rb));
}

int recovery_read_bundle(const char *path, struct recovery_bundle *rb, struct error *err)
{
	struct bundle_read_options opt;
	struct bundle_report rep;
	struct source *src = NULL;
	const char *series, *sequence;
	char stated[SHA256_HEX_LEN + 1];
	int rc = -1, sidecar;

	memset(rb, 0, sizeof(*rb));
	memset(&opt, 0, sizeof(opt));
	memset(&rep, 0, sizeof(rep));
	bundle_limits_default(&opt.limits);
	if (source_open_path(&src, path, &opt.limits, err) < 0)
		return -1;
	/* The whole file's hash comes from the same pass, for the sidecar. */
	if (source_hash_raw(src, err) < 0 || bundle_verify_source(src, NULL, &opt, &rep, err) < 0)
		goto out;
	/* A bundle that does not verify is not adopted: the series must not continue after it. */
	if (rep.outcome == BUNDLE_INVALID) {
		error_set(err, "%s is INVALID: %s", path,
		          rep.n_problems ? rep.problems[0] : "no reason given");
		goto out;
	}
	if (rep.raw_sha256 == NULL) {
		error_set(err, "%s: the whole file could not be hashed", path);
		goto out;
	}
	memcpy(rb->bundle_sha256, rep.raw_sha256, SHA256_HEX_LEN + 1);
	sidecar = bundle_sidecar_read(path, stated);
	if (sidecar < 0 || (sidecar == 1 && strcmp(stated, rb->bundle_sha256) != 0)) {
		error_set(err, "%s: the .sha256 file beside it is malformed or does not match it",
		          path);
		goto out;
	}
	rb->has_sidecar = sidecar == 1;
	if (rep.tagmanifest_sha256 == NULL || !sha256_hex_valid(rep.tagmanifest_sha256)) {
		error_set(err, "%s: no tagmanifest-sha256.txt", path);
		goto out;
	}
	memcpy(rb->tagmanifest, rep.tagmanifest_sha256, SHA256_HEX_LEN + 1);
	series = bundle_report_info(&rep, "LogPack-Snapshot-Series");
	sequence = bundle_report_info(&rep, "LogPack-Snapshot-Sequence");
	rb->series = series ? xstrdup(series) : NULL;
	rb->sequence = sequence ? strtoull(sequence, NULL, 10) : 0;
	rc = 0;
out:
	bundle_report_free(&rep);
	source_close(src);
	return rc;
}

/*
 * Write <bundle>.sha256 (the run died before it could) the way the writer does: a temporary
 * file, fsync, rename, fsync of the directory, so that a kill here leaves no half sidecar
 * (the temporary file is a leftover of the series, removed by the next run).
 */
static int sidecar_write(const char *bundle, const char *hex, struct error *err)
{
	char *side = xasprintf("%s.sha256", bundle);
	char *line = xasprintf("%s  %s\n", hex, path_basename(bundle));
	int rc = atomic_file_write(side, line, strlen(line), 0600, ATOMIC_FILE_REPLACE, err);

	free(line);
	free(side);
	return rc;
}

/* An encrypted bundle's kinds: its file, and the files beside it with the same stem. */
static const char *const encrypted_suffixes[] = {".gpg", ".age", ".enc", ".p7m"};

/* bundle's name without the suffix of an encrypted file; caller frees. */
static char *bundle_stem(const char *bundle)
{
	const char *base = path_basename(bundle);

	for (size_t i = 0; i < sizeof(encrypted_suffixes) / sizeof(encrypted_suffixes[0]); i++)
		if (str_has_suffix(base, encrypted_suffixes[i]))
			return xstrndup(base, strlen(base) - strlen(encrypted_suffixes[i]));
	return xstrdup(base);
}

/* Is name ".<stem><one of the kinds' suffixes, or none>.XXXXXX", a temporary of bundle's? */
static int bundle_temp_name(const char *name, const char *stem)
{
	size_t len = strlen(name), stem_len = strlen(stem), rest;

	if (name[0] != '.' || strncmp(name + 1, stem, stem_len) != 0 || len < stem_len + 8)
		return 0;
	rest = len - 1 - stem_len - 7; /* between the stem and ".XXXXXX" */
	if (name[len - 7] != '.')
		return 0;
	if (rest == 0)
		return 1;
	for (size_t i = 0; i < sizeof(encrypted_suffixes) / sizeof(encrypted_suffixes[0]); i++)
		if (rest == 4 && strncmp(name + 1 + stem_len, encrypted_suffixes[i], 4) == 0)
			return 1;
	return 0;
}

/*
 * Remove the temporary files a killed run left for bundle (".<name>.XXXXXX"), and for an
 * encrypted one those of the files beside it (".<stem>.age.XXXXXX", ".<stem>.p7m.XXXXXX").
 */
static void remove_bundle_temps(const char *bundle)
{
	char *dir = path_dirname(bundle);
	char *stem = bundle_stem(bundle);
	char *prefix = xasprintf(".%s.", path_basename(bundle));
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL)
		if ((str_has_prefix(de->d_name, prefix) &&
		     strlen(de->d_name) == strlen(prefix) + 6) ||
		    bundle_temp_name(de->d_name, stem)) {
			char *p = xasprintf("%s/%s", dir, de->d_name);

			unlink(p);
			free(p);
		}
	if (d)
		closedir(d);
	free(prefix);
	free(stem);
	free(dir);
}

/*
 * Holding the series' lock, no other run of it can be writing these: temporary bundles and
 * sidecars (".logpack-<host>-snapshot-<series>-...XXXXXX").
 */
void recovery_remove_leftovers(const char *dir, const char *series)
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
 * The files of the other kinds are committed just before the bundle file: when it never got
 * its final name, they belong to no snapshot (the next one takes the same bytes again).
 */
static void remove_orphans(const char *bundle)
{
	char *dir = path_dirname(bundle), *stem = bundle_stem(bundle);

	for (size_t i = 0; i < sizeof(encrypted_suffixes) / sizeof(encrypted_suffixes[0]); i++) {
		char *p = xasprintf("%s/%s%s", dir, stem, encrypted_suffixes[i]);
		char *side = xasprintf("%s.sha256", p);

		unlink(p);
		unlink(side);
		free(side);
		free(p);
	}
	free(stem);
	free(dir);
}

static int hash_is_zero(const char *hex)
{
	return strspn(hex, "0") == SHA256_HEX_LEN;
}

/*
 * The pending bundle is encrypted: this host holds no key to read it, and needs none. The
 * pending record was written when the bag was complete, with its tag manifest's hash, and
 * the file has its final name only once the encryptor's last block and tag are on disk; its
 * name is random and recorded in the record alone. So the state comes from the record; the
 * file is only hashed, for its .sha256.
 */
static int adopt_encrypted(const char *bundle, struct series_state *st, struct error *err)
{
	char hex[SHA256_HEX_LEN + 1], stated[SHA256_HEX_LEN + 1];
	int sidecar;

	if (!sha256_hex_valid(st->last_tagmanifest) || hash_is_zero(st->last_tagmanifest)) {
		error_set(err, "pending.json does not record the tag manifest of %s", bundle);
		return -1;
	}
	if (sha256_file(bundle, NULL, hex, err) < 0)
		return -1;
	sidecar = bundle_sidecar_read(bundle, stated);
	if (sidecar < 0 || (sidecar == 1 && strcmp(stated, hex) != 0)) {
		error_set(err, "%s: the .sha256 file beside it is malformed or does not match it",
		          bundle);
		return -1;
	}
	return sidecar == 1 ? 0 : sidecar_write(bundle, hex, err);
}

/* The pending bundle got its final name: check it is the snapshot pending says, adopt it. */
static int adopt(struct state_dir *sd, const char *bundle, uint64_t seq, int encrypted,
                 struct series_state *st, struct error *err)
{
	struct recovery_bundle rb;
	json_t *j;
	int rc;

	if (encrypted) {
		if (adopt_encrypted(bundle, st, err) < 0)
			return -1;
		goto commit;
	}
	if (recovery_read_bundle(bundle, &rb, err) < 0)
		return -1;
	/* The record names the tag manifest (runs before it did not: all zeros). */
	if (rb.series == NULL || strcmp(rb.series, st->series) != 0 || rb.sequence != seq ||
	    (!hash_is_zero(st->last_tagmanifest) &&
	     strcmp(st->last_tagmanifest, rb.tagmanifest) != 0)) {
		error_set(err, "%s does not hold snapshot %llu of series %s", bundle,
		          (unsigned long long)seq, st->series);
		recovery_bundle_free(&rb);
		return -1;
	}
	memcpy(st->last_tagmanifest, rb.tagmanifest, sizeof(rb.tagmanifest));
	if (!rb.has_sidecar && sidecar_write(bundle, rb.bundle_sha256, err) < 0) {
		recovery_bundle_free(&rb);
		return -1;
	}
	recovery_bundle_free(&rb);
commit:
	j = state_to_json(st);
	rc = state_dir_write_json(sd, "state.json", j, err);
	json_decref(j);
	return rc;
}

int recovery_resolve(struct state_dir *sd, struct series_state *old, char **adopted,
                     struct error *err)
{
	json_t *o, *pending;
	const char *bundle;
	uint64_t seq;
	struct series_state st;
	struct error why;
	int rc = state_dir_read_json(sd, PENDING, &o, err);

	*adopted = NULL;
	memset(&st, 0, sizeof(st));
	if (rc <= 0)
		return rc;
	rc = -1;
	pending = json_object_get(o, "pending");
	bundle = json_string_value(json_object_get(pending, "bundle"));
	if (bundle == NULL || !json_is_integer(json_object_get(pending, "sequence")) ||
	    json_integer_value(json_object_get(pending, "sequence")) < 0 ||
	    state_from_json(o, &st, &why) < 0) {
		error_set(err, "%s/%s is damaged; it is left as it is", sd->path, PENDING);
		json_decref(o);
		return -1;
	}
	seq = (uint64_t)json_integer_value(json_object_get(pending, "sequence"));
	if (seq <= old->sequence || access(bundle, F_OK) < 0) {
		/* Already committed, or the bundle never got its final name. */
		remove_bundle_temps(bundle);
		if (seq > old->sequence && json_is_true(json_object_get(pending, "encrypted")))
			remove_orphans(bundle);
	} else {
		if (adopt(sd, bundle, seq, json_is_true(json_object_get(pending, "encrypted")), &st,
		          err) < 0)
			goto out;
		state_free(old);
		*old = st;
		memset(&st, 0, sizeof(st));
		*adopted = xstrdup(bundle);
	}
	rc = state_dir_remove(sd, PENDING, err);
out:
	state_free(&st);
	json_decref(o);
	return rc;
}
