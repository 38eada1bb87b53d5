/*
 * Receipts: what a receiver says back to a sender about one bundle, as a small text file of
 * "Key: value" lines (the bundle's name and SHA-256, accepted or rejected, the verdict, the
 * time, the receiver) with a detached CMS signature (DER) beside it, which stock
 * `openssl cms -verify -binary -inform DER -in R.p7s -content R` checks.
 */
#ifndef LOGPACK_RECEIPT_H
#define LOGPACK_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "trust/sign.h"

#define RECEIPT_VERSION "1"

struct receipt {
	char *bundle; /* the bundle file's name as received (no directory) */
	char bundle_sha256[65];
	char *disposition; /* "accepted" or "rejected" */
	char *verdict;     /* the verdict line ("valid, signed by ..., trusted", "INVALID: ...") */
	int64_t received;  /* when the receiver decided, seconds since the epoch */
	char *receiver;    /* the receiver's identity: its certificate's subject */
};

/* The receipt's text; values are made one printable line each. Caller frees. */
char *receipt_format(const struct receipt *r);
/* Parse a receipt's text into r (which the caller frees with receipt_free). 0, or -1 with err. */
int receipt_parse(const char *text, size_t len, struct receipt *r, struct error *err);
void receipt_free(struct receipt *r);

#endif
