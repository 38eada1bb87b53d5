/* Who a bundle is encrypted to: the --encrypt-to values, parsed and checked before collecting. */
#ifndef LOGPACK_RECIPIENTS_H
#define LOGPACK_RECIPIENTS_H

#include <stddef.h>

#include "base/util.h"
#include "trust/age.h"
#include "trust/cms-envelope.h"
#include "trust/openpgp.h"

struct recipients {
	struct age_recipient *age;
	size_t n_age;
	struct openpgp_key **pgp;
	size_t n_pgp;
	struct cms_recipient **x509;
	size_t n_x509;
	int keep_name; /* name the encrypted file as the plain bundle would be, plus the suffix */
	/* The "LogPack-Encrypted-To" values put into bag-info.txt, and the field array that
	 * holds them (the caller's type), owned here so that they live as long as the list. */
	char **record_values;
	size_t n_record_values;
	void *record_fields;
};

/*
 * Add one recipient: "age1...", a file with an X.509 certificate (PEM or DER), or a file with an
 * OpenPGP public key (armored or binary), refused when it is expired, revoked or cannot encrypt.
 * Returns 0, or -1 with the reason.
 */
int recipients_add(struct recipients *r, const char *spec, struct error *err);
/* Kept for callers: recipients of any kinds may be mixed (one encrypted file per kind). */
int recipients_check(const struct recipients *r, struct error *err);
/* Is there anyone to encrypt to? */
int recipients_any(const struct recipients *r);
/*
 * The bundle file's suffix, of the first kind present: ".gpg" (OpenPGP), ".age", or ".enc"
 * (X.509; its CMS header: ".p7m"). Files for the other kinds get the same stem.
 */
const char *recipients_suffix(const struct recipients *r);
/*
 * What bag-info.txt records of each recipient, one value each: "openpgp:<primary fingerprint>",
 * "age:<age1...>", "x509-sha256:<certificate fingerprint>". Kept in r->record_values.
 */
void recipients_record(struct recipients *r);
void recipients_free(struct recipients *r);

#endif
