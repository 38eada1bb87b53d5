/* The age and OpenPGP encryptors behind the sink's filter interface. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include <errno.h>
#include <string.h>

#include "base/atomic-file.h"
#include "base/hash.h"
#include "bundle/sink-encrypt.h"
#include "trust/age.h"
#include "trust/cms-envelope.h"
#include "trust/openpgp.h"

struct age_filter {
	struct sink_filter base;
	struct age_encryptor *enc;
};

static int filter_output(void *ctx, const void *buf, size_t len, struct error *err)
{
	return sink_filter_pass(ctx, buf, len, err);
}

static int age_filter_write(struct sink_filter *f, const void *buf, size_t len, struct error *err)
{
	return age_encryptor_write(((struct age_filter *)f)->enc, buf, len, err);
}

static int age_filter_finish(struct sink_filter *f, struct error *err)
{
	return age_encryptor_finish(((struct age_filter *)f)->enc, err);
}

static void age_filter_free(struct sink_filter *f)
{
	age_encryptor_free(((struct age_filter *)f)->enc);
	free(f);
}

struct pgp_filter {
	struct sink_filter base;
	struct openpgp_encryptor *enc;
};

static int pgp_filter_write(struct sink_filter *f, const void *buf, size_t len, struct error *err)
{
	return openpgp_encryptor_write(((struct pgp_filter *)f)->enc, buf, len, err);
}

static int pgp_filter_finish(struct sink_filter *f, struct error *err)
{
	return openpgp_encryptor_finish(((struct pgp_filter *)f)->enc, err);
}

static void pgp_filter_free(struct sink_filter *f)
{
	openpgp_encryptor_free(((struct pgp_filter *)f)->enc);
	free(f);
}

static int pgp_filter_new(const struct recipients *r, struct sink_filter **out, struct error *err)
{
	struct pgp_filter *pf = xcalloc(1, sizeof(*pf));

	pf->base.write = pgp_filter_write;
	pf->base.finish = pgp_filter_finish;
	pf->base.free = pgp_filter_free;
	if (openpgp_encryptor_new(&pf->enc, r->pgp, r->n_pgp, filter_output, &pf->base, err) < 0) {
		free(pf);
		return -1;
	}
	*out = &pf->base;
	return 0;
}

struct cms_filter {
	struct sink_filter base;
	struct cms_encryptor *enc;
};

static int cms_filter_write(struct sink_filter *f, const void *buf, size_t len, struct error *err)
{
	return cms_encryptor_write(((struct cms_filter *)f)->enc, buf, len, err);
}

/* "X.enc" -> "X.p7m"; any other name gets ".p7m" added. */
static char *header_path(const char *path)
{
	size_t len = strlen(path);

	if (str_has_suffix(path, ".enc"))
		return xasprintf("%.*s.p7m", (int)(len - 4), path);
	return xasprintf("%s.p7m", path);
}

/*
 * The ciphertext went to the file; the header (recipients, GCM tag) goes beside it, written
 * before the sink renames the file into place: a header without its file is harmless, a file
 * without its header could not be opened.
 */
static int cms_filter_finish(struct sink_filter *f, struct error *err)
{
	struct cms_filter *cf = (struct cms_filter *)f;
	unsigned char *header = NULL;
	size_t header_len = 0;
	char *path;
	int rc;

	if (cms_encryptor_finish(cf->enc, &header, &header_len, err) < 0)
		return -1;
	path = header_path(f->path);
	rc = atomic_file_write(path, header, header_len, 0600, 0, err);
	free(path);
	free(header);
	return rc;
}

static void cms_filter_free(struct sink_filter *f)
{
	cms_encryptor_free(((struct cms_filter *)f)->enc);
	free(f);
}

static int cms_filter_new(const struct recipients *r, struct sink_filter **out, struct error *err)
{
	struct cms_filter *cf = xcalloc(1, sizeof(*cf));

	cf->base.write = cms_filter_write;
	cf->base.finish = cms_filter_finish;
	cf->base.free = cms_filter_free;
	if (cms_encryptor_new(&cf->enc, r->x509, r->n_x509, filter_output, &cf->base, err) < 0) {
		free(cf);
		return -1;
	}
	*out = &cf->base;
	return 0;
}

static int age_filter_new(const struct recipients *r, struct sink_filter **out, struct error *err)
{
	struct age_filter *af = xcalloc(1, sizeof(*af));

	af->base.write = age_filter_write;
	af->base.finish = age_filter_finish;
	af->base.free = age_filter_free;
	/* The encryptor passes its output to the filter's next stage, which the sink sets later. */
	if (age_encryptor_new(&af->enc, r->age, r->n_age, filter_output, &af->base, err) < 0) {
		free(af);
		return -1;
	}
	*out = &af->base;
	return 0;
}

/*
 * Several kinds of recipients: the compressed stream is teed, in the same pass, into one
 * encrypted file per kind. The first kind (OpenPGP, else age, else X.509) goes on down the
 * sink to the bundle file; each other kind writes a file of its own beside it, with the same
 * stem and its own suffix (and .sha256), committed just before the bundle file is.
 */
struct side_file {
	struct sink_filter base; /* the last stage of a side encryptor: a file */
	struct atomic_file *af;
	struct sha256 hash;
	char *path;
};

struct side {
	struct sink_filter *enc;
	struct side_file file;
	const char *suffix;
};

struct tee_filter {
	struct sink_filter base;
	struct sink_filter *main;
	const char *main_suffix;
	struct side sides[2];
	size_t n_sides;
	int paths_set;
};

static int side_file_write(struct sink_filter *f, const void *buf, size_t len, struct error *err)
{
	struct side_file *sf = (struct side_file *)f;

	if (sf->af == NULL && atomic_file_open(&sf->af, sf->path, 0600, 0, err) < 0)
		return -1;
	if (len > 0 && write_all(atomic_file_fd(sf->af), buf, len) < 0) {
		error_set(err, "%s: %s", atomic_file_temp_path(sf->af), strerror(errno));
		return -1;
	}
	sha256_update(&sf->hash, buf, len);
	return 0;
}

/* The side files' names, from the bundle file's: its stem with each kind's suffix. */
static void tee_set_paths(struct tee_filter *t)
{
	size_t stem;

	if (t->paths_set)
		return;
	t->paths_set = 1;
	stem = strlen(t->base.path);
	if (str_has_suffix(t->base.path, t->main_suffix))
		stem -= strlen(t->main_suffix);
	t->main->next = t->base.next;
	t->main->path = t->base.path;
	for (size_t i = 0; i < t->n_sides; i++) {
		struct side *sd = &t->sides[i];

		sd->file.path = xasprintf("%.*s%s", (int)stem, t->base.path, sd->suffix);
		sd->enc->next = &sd->file.base;
		sd->enc->path = sd->file.path;
	}
}

static int tee_write(struct sink_filter *f, const void *buf, size_t len, struct error *err)
{
	struct tee_filter *t = (struct tee_filter *)f;

	tee_set_paths(t);
	for (size_t i = 0; i < t->n_sides; i++)
		if (t->sides[i].enc->write(t->sides[i].enc, buf, len, err) < 0)
			return -1;
	return t->main->write(t->main, buf, len, err);
}

static int tee_finish(struct sink_filter *f, struct error *err)
{
	struct tee_filter *t = (struct tee_filter *)f;

	tee_set_paths(t);
	for (size_t i = 0; i < t->n_sides; i++) {
		struct side *sd = &t->sides[i];
		char hex[SHA256_HEX_LEN + 1], *side, *line;
		int rc;

		if (sd->enc->finish(sd->enc, err) < 0 ||
		    side_file_write(&sd->file.base, "", 0, err) < 0)
			return -1;
		sha256_final_hex(&sd->file.hash, hex);
		rc = atomic_file_commit(sd->file.af, err);
		sd->file.af = NULL;
		if (rc < 0)
			return -1;
		side = xasprintf("%s.sha256", sd->file.path);
		line = xasprintf("%s  %s\n", hex, path_basename(sd->file.path));
		rc = atomic_file_write(side, line, strlen(line), 0600, 0, err);
		free(side);
		free(line);
		if (rc < 0)
			return -1;
	}
	return t->main->finish(t->main, err);
}

static void tee_free(struct sink_filter *f)
{
	struct tee_filter *t = (struct tee_filter *)f;

	for (size_t i = 0; i < t->n_sides; i++) {
		t->sides[i].enc->free(t->sides[i].enc);
		atomic_file_rollback(t->sides[i].file.af);
		sha256_discard(&t->sides[i].file.hash);
		free(t->sides[i].file.path);
	}
	if (t->main)
		t->main->free(t->main);
	free(t);
}

typedef int (*kind_new_fn)(const struct recipients *r, struct sink_filter **out, struct error *err);

static int tee_filter_new(const struct recipients *r, struct sink_filter **out, struct error *err)
{
	struct tee_filter *t = xcalloc(1, sizeof(*t));
	struct {
		size_t n;
		kind_new_fn make;
		const char *suffix;
	} kinds[] = {
	        {r->n_pgp, pgp_filter_new, ".gpg"},
	        {r->n_age, age_filter_new, ".age"},
	        {r->n_x509, cms_filter_new, ".enc"},
	};

	t->base.write = tee_write;
	t->base.finish = tee_finish;
	t->base.free = tee_free;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct sink_filter *k;

		if (kinds[i].n == 0)
			continue;
		if (kinds[i].make(r, &k, err) < 0)
			goto fail;
		if (t->main == NULL) {
			t->main = k;
			t->main_suffix = kinds[i].suffix;
			continue;
		}
		t->sides[t->n_sides].enc = k;
		t->sides[t->n_sides].suffix = kinds[i].suffix;
		t->sides[t->n_sides].file.base.write = side_file_write;
		if (sha256_init(&t->sides[t->n_sides].file.hash, err) < 0) {
			k->free(k);
			goto fail;
		}
		t->n_sides++;
	}
	*out = &t->base;
	return 0;
fail:
	tee_free(&t->base);
	return -1;
}

int sink_encrypt_filter_new(const struct recipients *r, struct sink_filter **out, struct error *err)
{
	*out = NULL;
	if ((r->n_age > 0) + (r->n_pgp > 0) + (r->n_x509 > 0) > 1)
		return tee_filter_new(r, out, err);
	if (r->n_pgp > 0)
		return pgp_filter_new(r, out, err);
	if (r->n_x509 > 0)
		return cms_filter_new(r, out, err);
	return age_filter_new(r, out, err);
}
