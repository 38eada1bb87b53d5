/* What `logpack --version` says, and the process-wide set-up every command relies on. */
#ifndef LOGPACK_VERSION_H
#define LOGPACK_VERSION_H

#include <stdio.h>

/*
 * Initialise OpenSSL without reading any configuration file (OPENSSL_CONF included), so that
 * nothing of the host (a config naming provider modules, engines) gets into the process; call
 * before any other OpenSSL or libcurl use. Returns 0, or -1 with the reason printed.
 */
int crypto_init_no_config(void);

/* "logpack VERSION"; with verbose, the library versions (and, in the static binary, the
 * Debian source packages it was built from). */
void version_print(FILE *fp, int verbose);

#endif
