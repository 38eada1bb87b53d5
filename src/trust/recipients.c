/* The --encrypt-to list. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trust/recipients.h"

int recipients_add(struct recipients *r, const char *spec, struct error *err)
{
	struct age_recipient one;

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
	return r->n_age > 0 || r->n_pgp > 0;
}

int recipients_check(const struct recipients *r, struct error *err)
{
	if (r->n_age > 0 && r->n_pgp > 0) {
		error_set(err,
		          "--encrypt-to: age and OpenPGP recipients together are not supported "
		          "yet (each kind needs a file of its own)");
		return -1;
	}
	return 0;
}

const char *recipients_suffix(const struct recipients *r)
{
	return r->n_pgp > 0 ? ".gpg" : ".age";
}

void recipients_free(struct recipients *r)
{
	free(r->age);
	r->age = NULL;
	r->n_age = 0;
	for (size_t i = 0; i < r->n_pgp; i++)
		openpgp_key_free(r->pgp[i]);
	free(r->pgp);
	r->pgp = NULL;
	r->n_pgp = 0;
}
