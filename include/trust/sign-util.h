/* Helpers shared by the signing, trust and key generation code of src/trust (not a public API). */
#ifndef LOGPACK_SIGN_UTIL_H
#define LOGPACK_SIGN_UTIL_H

#include <stdint.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "base/util.h"

/* A subject or issuer as "/O=Org/CN=Name", with anything unprintable shown as \xHH; the
 * caller frees it. */
char *sign_name_text(const X509_NAME *name);
/* A certificate time as seconds since the epoch; 0 when unreadable. */
int64_t sign_asn1_time_epoch(const ASN1_TIME *t);
/* Read every PEM certificate of path (at least one) into a new stack *out; the caller frees
 * it with sk_X509_pop_free(*out, X509_free). */
int sign_read_cert_file(const char *path, STACK_OF(X509) * *out, struct error *err);

#endif
