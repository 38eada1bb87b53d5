/*
 * The names redaction replaces everywhere without being told: read from the source bundle as
 * it is verified (host.json, accounts.json, the collected passwd, hosts and login.defs files,
 * the user names of logins in wtmp and utmp), and listed in the tokeniser once the source is
 * judged valid. The rules are in docs/redaction.md, "Names from the bundle".
 */
#ifndef LOGPACK_REDACT_NAMES_H
#define LOGPACK_REDACT_NAMES_H

#include <stddef.h>

#include <jansson.h>

#include "base/util.h"
#include "trust/tokenise.h"

/* The files read for names. */
enum name_source {
	NAMES_NONE,
	NAMES_HOST,     /* logpack/host.json */
	NAMES_ACCOUNTS, /* logpack/accounts.json */
	NAMES_PASSWD,   /* data/etc/passwd */
	NAMES_PASSWD_OLD,
	NAMES_ETC_HOSTS,
	NAMES_INCIDENT,   /* logpack/incident.json: the reporter's names, whether carried or not */
	NAMES_LOGIN_DEFS, /* data/etc/login.defs: where people's uids begin (UID_MIN) */
	NAMES_COUNT
};

/* The most distinct user names of logins (wtmp, utmp) that are listed as accounts. */
#define REDACT_LOGIN_USERS_MAX 65536

/* What was read of each file, and the login names (a set). */
struct redact_names {
	struct strbuf text[NAMES_COUNT];
	int too_big[NAMES_COUNT];
	json_t *login_users;
	json_t *login_hosts;
};

void redact_names_init(struct redact_names *n);
void redact_names_release(struct redact_names *n);
/* Which file a bundle member is (NAMES_NONE: none of them). */
enum name_source redact_name_source(const char *member);
/* The next bytes of that file (beyond a bound, the file is marked too big to read). */
void redact_names_feed(struct redact_names *n, enum name_source src, const void *buf, size_t len);
/*
 * A login's user name and host text (sshd writes the client's name with UseDNS yes): 0, or -1
 * when REDACT_LOGIN_USERS_MAX user names or host texts are already held.
 */
int redact_names_login(struct redact_names *n, const char *user, const char *host);
/* Texts that are replaced as they stand in the carried tag files (they hold spaces). */
struct redact_literals {
	char *root;  /* host.json's collection root */
	char *phone; /* the incident report's contact telephone number */
};

/*
 * Every name read, listed in tk (a person's account to be replaced anywhere, a system account
 * only where an account is named; the incident report's contact person, organisation, e-mail
 * domain and references as words and a host name); lit gets the texts above, those found
 * (free them). 0, or -1 with err (a file too big, or a JSON tag file not a JSON object).
 */
int redact_names_list(struct tokeniser *tk, const struct redact_names *n,
                      struct redact_literals *lit, struct error *err);

/* The uid people's accounts begin at: login.defs' UID_MIN, or 1000 without one. */
#define REDACT_UID_MIN_DEFAULT 1000
unsigned long redact_uid_min(const struct redact_names *n);
/* Is a passwd uid field a person's (uid_min and up, but for 60000 to 65535 and "no uid")? */
int redact_person_uid(const char *uid, size_t n, unsigned long uid_min);
/* Where each field of a passwd line starts (start[k] is one past field k-1's end). */
size_t redact_passwd_fields(const char *l, size_t n, size_t start[8]);
/*
 * Is the passwd line l (its fields at f, from redact_passwd_fields) a person's account? Its uid
 * as redact_person_uid says; or, from uid 100 up, a home under /home, /Users or /export/home
 * with a shell that logs in.
 */
int redact_person_account(const char *l, const size_t f[8], unsigned long uid_min);

#endif
