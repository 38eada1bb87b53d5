/*
 * verify of encrypted files that have a label (bundle/label.h): "verify X.label.json", or
 * "verify X.gpg" with X.label.json beside it, checks the label's signature and the encrypted
 * files' sizes and hashes, and says that the contents are not verifiable without the key.
 */
#ifndef LOGPACK_VERIFY_LABEL_H
#define LOGPACK_VERIFY_LABEL_H

#include <stddef.h>

#include <jansson.h>

#include "trust/sign.h"

/*
 * Check and report (a line each on stdout, or an object each appended to jlist when it is set)
 * the arguments that are labels or have one; the others go to *rest (caller frees the array)
 * for the bundle verifier; with have_key (verify --key), only X.label.json arguments are labels
 * and encrypted files go to the verifier. Returns the worst exit code of the labels: 0 when there
 * were none, 9 for an intact label (the contents are not checked), 4 for a label or file found
 * altered, 3 for a label that cannot be read.
 */
int verify_labels(const char *const *args, size_t n, const struct trust_store *trust, int have_key,
                  json_t *jlist, const char ***rest, size_t *n_rest);

#endif
