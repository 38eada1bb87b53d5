/*
 * Login records for redaction: wtmp, btmp and utmp (glibc's struct utmp, 384 bytes a record on
 * 64-bit and 32-bit Linux alike) and lastlog (struct lastlog, 292 bytes). Each record is
 * rewritten in place, so that `last`, `lastb`, `utmpdump` and `lastlog` still read the file:
 * its size, type, terminal, process id and times stay; the user name becomes its user token,
 * the host text goes through the tokeniser as a line does, and the binary address is mapped
 * as the same address in a line is. The record layouts are in docs/redaction.md.
 */
#ifndef LOGPACK_REDACT_LOGIN_H
#define LOGPACK_REDACT_LOGIN_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "trust/tokenise.h"

enum login_kind { LOGIN_NONE, LOGIN_UTMP, LOGIN_LASTLOG };

/*
 * The kind a payload name says: wtmp, btmp, utmp or lastlog, or a rotation of one ("wtmp.1",
 * "btmp-20261101"), or "lastlog.records". Not wtmp.db (SQLite), wtmpx (Solaris), a .gz.
 */
enum login_kind login_kind_of(const char *name);

/* The bytes of one record of kind. */
size_t login_record_size(enum login_kind kind);

/* One member's records as they stream by: a record cut across two pieces is held. */
struct login_records {
	enum login_kind kind;
	/* wtmp and utmp (not btmp, failed logins): the names of logins, to list as accounts. */
	int list_users;
	uint8_t held[384];
	size_t n_held;
	uint64_t records;
	int bad; /* a record that is not glibc's: the member is dropped, why says why */
	char why[96];
};

void login_records_begin(struct login_records *lr, enum login_kind kind, const char *name);

/*
 * The next bytes of the member. Without out (the first pass), each record's host text and
 * address are noted through tokeniser_scan, and with users set each login's user name and
 * host text (empty for a local login) are appended to users, a NUL after each. With out, each
 * whole record is appended to out, rewritten. Returns 0, or -1 with err.
 */
int login_records_data(struct login_records *lr, const void *buf, size_t len, struct tokeniser *tk,
                       struct strbuf *users, struct strbuf *out, struct error *err);

/*
 * The end of the member: 0, or -1 with err when it does not end on a whole record, or when a
 * record is not glibc's (a utmp type outside 0 to 9): such a member can only be dropped.
 */
int login_records_end(const struct login_records *lr, struct error *err);

#endif
