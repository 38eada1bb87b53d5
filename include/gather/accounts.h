/*
 * The account dates of a root's shadow file (or BSD master.passwd), as evidence that can leave
 * the host: when each password was last changed, when the account expires, whether it is
 * locked. The password hashes themselves are never copied.
 */
#ifndef LOGPACK_ACCOUNTS_H
#define LOGPACK_ACCOUNTS_H

#include <stddef.h>

enum accounts_source {
	ACCOUNTS_SHADOW,        /* shadow(5): name:hash:lastchg:min:max:warn:inactive:expire: */
	ACCOUNTS_MASTER_PASSWD, /* BSD master.passwd(5): name:hash:uid:gid:class:change:expire:...
	                         */
};

/*
 * accounts.json's text for the file text (from path, as shown) of the given kind. Lines that
 * are not records are counted, not copied. Caller frees.
 */
char *accounts_json(const char *text, size_t len, enum accounts_source kind, const char *path);

#endif
