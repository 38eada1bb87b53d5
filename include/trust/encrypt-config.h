/*
 * Encryption settings from the config file (the one of trust/sign-config.h: --config FILE, or
 * /etc/logpack/logpack.conf when it exists), so that scheduled snapshots can encrypt:
 *
 *   encrypt-to = /etc/logpack/cert-se.asc     (repeatable; an age1... recipient, or a file)
 *   keep-name = yes                           (yes or no)
 *
 * The command line wins: any --encrypt-to given there replaces every encrypt-to of the file,
 * and --keep-name given there is not undone by "keep-name = no".
 */
#ifndef LOGPACK_ENCRYPT_CONFIG_H
#define LOGPACK_ENCRYPT_CONFIG_H

#include "base/util.h"
#include "trust/recipients.h"

/*
 * Add the file's settings to r, which holds the command line's. config NULL means the default
 * file, read only when it exists. Returns 0, or -1 with err (an unreadable file, a bad value,
 * a recipient that recipients_add refuses, named with the file and line).
 */
int encrypt_settings_resolve(struct recipients *r, const char *config, struct error *err);

#endif
