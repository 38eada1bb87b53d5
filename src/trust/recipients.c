/* The --encrypt-to list. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "trust/recipients.h"

int recipients_add(struct recipients *r, const char *spec, struct error *err)
{
	struct age_recipient one;

	if (strncmp(spec, "age1", 4) != 0) {
		error_set(err,
		          "--encrypt-to '%s': not an age recipient (age1...); OpenPGP and X.509 "
		          "recipients are not supported yet",
		          spec);
		return -1;
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
	return r->n_age > 0;
}

const char *recipients_suffix(const struct recipients *r)
{
	(void)r;
	return ".age";
}

void recipients_free(struct recipients *r)
{
	free(r->age);
	r->age = NULL;
	r->n_age = 0;
}
