/* The --encrypt-to list. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trust/recipients.h"

/* Does the file hold an X.509 certificate (PEM, or DER: a SEQUENCE) rather than an OpenPGP key? */
static int looks_like_cert(const char *path)
{
	char *data = NULL;
	size_t len = 0;
	int yes;

	if (read_small_file(path, 1024 * 1024, &data, &len) < 0)
		return 0;
	yes = (len > 0 && (unsigned char)data[0] == 0x30) ||
	      memmem(data, len, "-----BEGIN CERTIFICATE-----", 27) != NULL;
	free(data);
	return yes;
}

static int add_cert(struct recipients *r, const char *spec, struct error *err)
{
	struct cms_recipient *c;

	if (cms_recipient_load(spec, &c, err) < 0) {
		error_prefix(err, "--encrypt-to");
		return -1;
	}
	for (size_t i = 0; i < r->n_x509; i++)
		if (strcmp(cms_recipient_fingerprint(r->x509[i]), cms_recipient_fingerprint(c)) ==
		    0) {
			cms_recipient_free(c);
			return 0;
		}
	r->x509 = xreallocarray(r->x509, r->n_x509 + 1, sizeof(*r->x509));
	r->x509[r->n_x509++] = c;
	return 0;
}

int recipients_add(struct recipients *r, const char *spec, struct error *err)
{
	struct age_recipient one;

	if (strncmp(spec, "age1", 4) != 0 && looks_like_cert(spec))
		return add_cert(r, spec, err);
	if (strncmp(spec, "age1", 4) != 0) {
		struct openpgp_key *k;

		if (openpgp_key_load(spec, (int64_t)time(NULL), &k, err) < 0) {
			error_prefix(err, "--encrypt-to");
			return -1;
		}
		for (size_t i = 0; i < r->n_pgp; i++)
			if (strcmp(openpgp_key_subkey_fingerprint(r->pgp[i]),
			           openpgp_key_subkey_fingerprint(k)) == 0) {
				openpgp_key_free(k);
				return 0;
			}
		r->pgp = xreallocarray(r->pgp, r->n_pgp + 1, sizeof(*r->pgp));
		r->pgp[r->n_pgp++] = k;
		return 0;
	}
	if (age_recipient_parse(spec, &one, err) < 0)
		return -1;
	for (size_t i = 0; i < r->n_age; i++)
		if (memcmp(r->age[i].pub, one.pub, AGE_KEY_LEN) == 0)
			return 0;
	r->age = xreallocarray(r->age, r->n_age + 1, sizeof(*r->age));
	r->age[r->n_age++] = one;
	return 0;
}

int recipients_any(const struct recipients *r)
{
	return r->n_age > 0 || r->n_pgp > 0 || r->n_x509 > 0;
}

int recipients_check(const struct recipients *r, struct error *err)
{
	(void)r;
	(void)err;
	return 0;
}

const char *recipients_suffix(const struct recipients *r)
{
	return r->n_pgp > 0 ? ".gpg" : r->n_age > 0 ? ".age" : ".enc";
}

void recipients_record(struct recipients *r)
{
	size_t n = r->n_pgp + r->n_age + r->n_x509, k = 0;

	if (r->record_values)
		return;
	r->record_values = xcalloc(n + 1, sizeof(*r->record_values));
	for (size_t i = 0; i < r->n_pgp; i++)
		r->record_values[k++] = xasprintf("openpgp:%s", openpgp_key_fingerprint(r->pgp[i]));
	for (size_t i = 0; i < r->n_age; i++) {
		char *text = age_recipient_format(&r->age[i]);

		r->record_values[k++] = xasprintf("age:%s", text);
		free(text);
	}
	for (size_t i = 0; i < r->n_x509; i++)
		r->record_values[k++] =
		        xasprintf("x509-sha256:%s", cms_recipient_fingerprint(r->x509[i]));
	r->n_record_values = k;
}

void recipients_free(struct recipients *r)
{
	for (size_t i = 0; i < r->n_record_values; i++)
		free(r->record_values[i]);
	free(r->record_values);
	free(r->record_fields);
	r->record_values = NULL;
	r->record_fields = NULL;
	r->n_record_values = 0;
	free(r->age);
	r->age = NULL;
	r->n_age = 0;
	for (size_t i = 0; i < r->n_pgp; i++)
		openpgp_key_free(r->pgp[i]);
	free(r->pgp);
	r->pgp = NULL;
	r->n_pgp = 0;
	for (size_t i = 0; i < r->n_x509; i++)
		cms_recipient_free(r->x509[i]);
	free(r->x509);
	r->x509 = NULL;
	r->n_x509 = 0;
}
