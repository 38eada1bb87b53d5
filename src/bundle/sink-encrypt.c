/* The age and OpenPGP encryptors behind the sink's filter interface. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include <string.h>

#include "base/atomic-file.h"
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

int sink_encrypt_filter_new(const struct recipients *r, struct sink_filter **out, struct error *err)
{
	struct age_filter *af;

	*out = NULL;
	if (recipients_check(r, err) < 0)
		return -1;
	if (r->n_pgp > 0)
		return pgp_filter_new(r, out, err);
	if (r->n_x509 > 0)
		return cms_filter_new(r, out, err);
	af = xcalloc(1, sizeof(*af));
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
