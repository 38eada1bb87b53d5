/* Who a bundle is encrypted to: the --encrypt-to values, parsed and checked before collecting. */
#ifndef LOGPACK_RECIPIENTS_H
#define LOGPACK_RECIPIENTS_H

#include <stddef.h>

#include "base/util.h"
#include "trust/age.h"

struct recipients {
	struct age_recipient *age;
	size_t n_age;
	int keep_name; /* name the encrypted file as the plain bundle would be, plus the suffix */
};

/* Add one recipient: "age1..." (more kinds to come). Returns 0, or -1 with the reason. */
int recipients_add(struct recipients *r, const char *spec, struct error *err);
/* Is there anyone to encrypt to? */
int recipients_any(const struct recipients *r);
/* The encrypted file's suffix: ".age". */
const char *recipients_suffix(const struct recipients *r);
void recipients_free(struct recipients *r);

#endif
