/* Login records (wtmp, btmp, utmp, lastlog) rewritten in place for redaction. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "bundle/redact-login.h"

/* glibc's struct utmp: the same offsets on every Linux architecture glibc supports. */
enum {
	UTMP_SIZE = 384,
	UTMP_TYPE = 0,
	UTMP_LINE = 8,
	UTMP_LINE_LEN = 32,
	UTMP_ID = 40,
	UTMP_ID_LEN = 4,
	UTMP_USER = 44,
	UTMP_USER_LEN = 32,
	UTMP_HOST = 76,
	UTMP_HOST_LEN = 256,
	UTMP_ADDR = 348,
	UTMP_RESERVED = 364,
	UTMP_RESERVED_LEN = 20,
	UTMP_TYPE_MAX = 9, /* ACCOUNTING */
	INIT_PROCESS = 5,
	LOGIN_PROCESS = 6,
	USER_PROCESS = 7,
};

/* struct lastlog: a 32-bit time, the terminal, the host. */
enum { LASTLOG_SIZE = 292, LASTLOG_LINE = 4, LASTLOG_LINE_LEN = 32, LASTLOG_HOST = 36 };
enum { LASTLOG_HOST_LEN = 256 };

/*
 * Is base the stem itself, a rotation of it ("wtmp.1", "btmp-20261101"), or one of extra?
 * Other names that start the same (wtmp.db, an SQLite file; wtmpx, Solaris's records) are
 * no glibc records.
 */
static int login_name(const char *base, const char *stem, const char *extra)
{
	size_t n = strlen(stem);

	if (strncmp(base, stem, n) != 0)
		return 0;
	base += n;
	if (*base == '\0' || (extra && strcmp(base, extra) == 0))
		return 1;
	if (*base != '.' && *base != '-')
		return 0;
	if (*++base == '\0')
		return 0;
	for (; *base; base++)
		if (*base < '0' || *base > '9')
			return 0;
	return 1;
}

enum login_kind login_kind_of(const char *name)
{
	const char *base = path_basename(name);

	if (login_name(base, "wtmp", NULL) || login_name(base, "btmp", NULL) ||
	    login_name(base, "utmp", NULL))
		return LOGIN_UTMP;
	if (login_name(base, "lastlog", ".records"))
		return LOGIN_LASTLOG;
	return LOGIN_NONE;
}

size_t login_record_size(enum login_kind kind)
{
	return kind == LOGIN_UTMP ? UTMP_SIZE : kind == LOGIN_LASTLOG ? LASTLOG_SIZE : 0;
}

void login_records_begin(struct login_records *lr, enum login_kind kind, const char *name)
{
	const char *base = path_basename(name);

	memset(lr, 0, sizeof(*lr));
	lr->kind = kind;
	lr->list_users = str_has_prefix(base, "wtmp") || str_has_prefix(base, "utmp");
}

/* A text field of the record through the tokeniser: noted, or replaced and padded with NULs. */
static int host_field(uint8_t *field, size_t size, struct tokeniser *tk, struct strbuf *scratch,
                      int rewrite, struct error *err)
{
	size_t len = strnlen((const char *)field, size);

	if (!rewrite)
		return len ? tokeniser_scan(tk, (const char *)field, len, err) : 0;
	/* What follows the text's NUL is no text, but may be anything: it goes. */
	memset(field + len, 0, size - len);
	if (len == 0)
		return 0;
	strbuf_reset(scratch);
	if (tokeniser_line(tk, (const char *)field, len, scratch, err) < 0)
		return -1;
	/* A token longer than the name it replaced may not fit: the end is cut, never kept. */
	memset(field, 0, size);
	memcpy(field, scratch->buf, scratch->len < size ? scratch->len : size);
	return 0;
}

/* ut_addr_v6: an IPv4 address in its first four bytes and zeros after, or an IPv6 address. */
static int addr_field(uint8_t *field, struct tokeniser *tk, int rewrite, struct error *err)
{
	static const uint8_t zero[16];
	struct ipaddr in = {0}, out;

	if (memcmp(field, zero, 16) == 0)
		return 0;
	if (memcmp(field + 4, zero, 12) == 0) {
		in.family = 4;
		memcpy(in.b, field, 4);
	} else {
		in.family = 6;
		memcpy(in.b, field, 16);
	}
	if (tokeniser_address(tk, &in, rewrite ? &out : NULL, err) < 0)
		return -1;
	if (rewrite)
		memcpy(field, out.b, in.family == 4 ? 4 : 16);
	return 0;
}

static int utmp_record(struct login_records *lr, uint8_t *rec, struct tokeniser *tk,
                       struct strbuf *users, struct strbuf *out, struct strbuf *scratch,
                       struct error *err)
{
	static const char *const no_one[] = {"reboot", "shutdown", "runlevel", "LOGIN"};
	size_t ulen = strnlen((const char *)rec + UTMP_USER, UTMP_USER_LEN);
	int16_t type;

	memcpy(&type, rec + UTMP_TYPE, sizeof(type));
	if (type < 0 || type > UTMP_TYPE_MAX) {
		lr->bad = 1;
		snprintf(lr->why, sizeof(lr->why), "record %llu has type %d: not glibc's utmp",
		         (unsigned long long)lr->records + 1, type);
		return 0;
	}
	if (out == NULL && users && lr->list_users && type == USER_PROCESS && ulen > 0) {
		strbuf_add(users, (const char *)rec + UTMP_USER, ulen);
		strbuf_addch(users, '\0');
		strbuf_add(users, (const char *)rec + UTMP_HOST,
		           strnlen((const char *)rec + UTMP_HOST, UTMP_HOST_LEN));
		strbuf_addch(users, '\0');
	}
	/*
	 * The words that name no one stay ("reboot", "shutdown", "runlevel", a getty's "LOGIN"),
	 * so that last reads those records as before; any other user is replaced, whatever the
	 * record's type. A failed login's user (btmp) may be a name, or a password typed into it.
	 */
	for (size_t i = 0; i < sizeof(no_one) / sizeof(no_one[0]); i++)
		if (ulen == strlen(no_one[i]) && memcmp(rec + UTMP_USER, no_one[i], ulen) == 0)
			ulen = 0;
	if (out) {
		size_t n = strnlen((const char *)rec + UTMP_USER, UTMP_USER_LEN);

		memset(rec + UTMP_USER + n, 0, UTMP_USER_LEN - n);
		n = strnlen((const char *)rec + UTMP_ID, UTMP_ID_LEN);
		memset(rec + UTMP_ID + n, 0, UTMP_ID_LEN - n);
		memset(rec + UTMP_RESERVED, 0, UTMP_RESERVED_LEN);
	}
	if (out && ulen > 0) {
		char token[PSEUDO_TOKEN_MAX + 1];
		int r = tokeniser_field(tk, PSEUDO_USERS, (const char *)rec + UTMP_USER, ulen,
		                        token, err);

		if (r < 0)
			return -1;
		if (r == 0) { /* 1: a kept name, left as it is */
			memset(rec + UTMP_USER, 0, UTMP_USER_LEN);
			memcpy(rec + UTMP_USER, token, strlen(token));
		}
	}
	if (host_field(rec + UTMP_LINE, UTMP_LINE_LEN, tk, scratch, out != NULL, err) < 0 ||
	    host_field(rec + UTMP_HOST, UTMP_HOST_LEN, tk, scratch, out != NULL, err) < 0 ||
	    addr_field(rec + UTMP_ADDR, tk, out != NULL, err) < 0)
		return -1;
	return 0;
}

static int one_record(struct login_records *lr, uint8_t *rec, struct tokeniser *tk,
                      struct strbuf *users, struct strbuf *out, struct strbuf *scratch,
                      struct error *err)
{
	int rc;

	if (lr->bad)
		return 0; /* the member is dropped: nothing more of it is read */
	if (lr->kind == LOGIN_UTMP)
		rc = utmp_record(lr, rec, tk, users, out, scratch, err);
	else
		rc = host_field(rec + LASTLOG_LINE, LASTLOG_LINE_LEN, tk, scratch, out != NULL,
		                err) < 0 ||
		                     host_field(rec + LASTLOG_HOST, LASTLOG_HOST_LEN, tk, scratch,
		                                out != NULL, err) < 0
		             ? -1
		             : 0;
	if (rc < 0) {
		error_prefix(err, "login record %llu", (unsigned long long)lr->records + 1);
		return -1;
	}
	if (out)
		strbuf_add(out, rec, login_record_size(lr->kind));
	lr->records++;
	return 0;
}

int login_records_data(struct login_records *lr, const void *buf, size_t len, struct tokeniser *tk,
                       struct strbuf *users, struct strbuf *out, struct error *err)
{
	const uint8_t *p = buf;
	size_t size = login_record_size(lr->kind);
	struct strbuf scratch = STRBUF_INIT;
	int rc = -1;

	while (len > 0) {
		size_t take = size - lr->n_held < len ? size - lr->n_held : len;

		memcpy(lr->held + lr->n_held, p, take);
		lr->n_held += take;
		p += take;
		len -= take;
		if (lr->n_held < size)
			break;
		lr->n_held = 0;
		if (one_record(lr, lr->held, tk, users, out, &scratch, err) < 0)
			goto out;
	}
	rc = 0;
out:
	strbuf_release(&scratch);
	return rc;
}

int login_records_end(const struct login_records *lr, struct error *err)
{
	if (lr->bad) {
		error_set(err, "%s", lr->why);
		return -1;
	}
	if (lr->n_held == 0)
		return 0;
	error_set(err, "not whole login records of %zu bytes (%zu bytes over)",
	          login_record_size(lr->kind), lr->n_held);
	return -1;
}
