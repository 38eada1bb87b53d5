/* Line formats of text logs and the times in them; bounded by len, never by a NUL. */
#include "config.h"

#include <string.h>

#include "base/util.h"
#include "report/logformat.h"

static const char *const format_names[LOGFORMAT_COUNT] = {
        [LOGFORMAT_NONE] = "none",       [LOGFORMAT_RFC3164] = "rfc3164",
        [LOGFORMAT_RFC5424] = "rfc5424", [LOGFORMAT_ISO] = "iso-syslog",
        [LOGFORMAT_AUDITD] = "auditd",   [LOGFORMAT_COMBINED] = "combined",
        [LOGFORMAT_W3C] = "w3c",         [LOGFORMAT_JSON] = "json",
};

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

const char *logformat_name(enum logformat f)
{
	return f < LOGFORMAT_COUNT ? format_names[f] : "none";
}

void logformat_civil_from_epoch(int64_t epoch, int64_t *year, int *month)
{
	int day;

	civil_from_days(days_from_epoch(epoch), year, month, &day);
}

int64_t logformat_add_years(int64_t epoch, int64_t years)
{
	int64_t days = days_from_epoch(epoch), y;
	int m, d;

	if (years == 0)
		return epoch;
	civil_from_days(days, &y, &m, &d);
	return days_from_civil(y + years, m, d) * 86400 + (epoch - days * 86400);
}

/* A cursor over the line: every read checks the end. */
struct cur {
	const char *p, *end;
	enum logformat format;
	struct logformat_memo *memo;
};

/* When the next n bytes are the memo's, step over them and give the minute they were read as. */
static int memo_hit(struct cur *c, size_t n, int64_t *minute, int *month)
{
	const struct logformat_memo *m = c->memo;

	if (m == NULL || m->format != c->format || m->len != n || (size_t)(c->end - c->p) < n ||
	    memcmp(c->p, m->key, n) != 0)
		return 0;
	c->p += n;
	*minute = m->minute;
	*month = m->month;
	c->memo->hits++;
	return 1;
}

/* The bytes from from to the cursor were read as minute (and month). */
static void memo_keep(struct cur *c, const char *from, int64_t minute, int month)
{
	struct logformat_memo *m = c->memo;
	size_t n = (size_t)(c->p - from);

	if (m == NULL || n > sizeof(m->key))
		return;
	m->format = c->format;
	m->len = n;
	memcpy(m->key, from, n);
	m->minute = minute;
	m->month = month;
}

static int digits(struct cur *c, int n, int *out)
{
	int v = 0;

	if (c->end - c->p < n)
		return 0;
	for (int i = 0; i < n; i++) {
		if (c->p[i] < '0' || c->p[i] > '9')
			return 0;
		v = v * 10 + (c->p[i] - '0');
	}
	c->p += n;
	*out = v;
	return 1;
}

static int lit(struct cur *c, char ch)
{
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return 1;
	}
	return 0;
}

static int month_abbrev(struct cur *c, int *mon)
{
	if (c->end - c->p < 3)
		return 0;
	for (int i = 0; i < 12; i++)
		if (memcmp(c->p, months + 3 * i, 3) == 0) {
			c->p += 3;
			*mon = i + 1;
			return 1;
		}
	return 0;
}

static int valid_time(int mon, int day, int h, int mi, int s)
{
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && h <= 23 && mi <= 59 && s <= 60;
}

/* "<PRI>" of syslog, when present: 1 to 3 digits in angle brackets. */
static void skip_pri(struct cur *c)
{
	const char *p = c->p;

	if (p >= c->end || *p != '<')
		return;
	for (p++; p < c->end && p - c->p <= 4 && *p >= '0' && *p <= '9'; p++)
		;
	if (p < c->end && *p == '>' && p - c->p >= 2)
		c->p = p + 1;
}

/*
 * "YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|+hh:mm|+hhmm]": the time, and whether it had a zone.
 * sep is 'T', ' ' or 0 for either.
 */
static int iso_stamp(struct cur *c, char sep, struct logline_time *t)
{
	int y, mon, d, h, mi, s, oh, om, sign;
	int64_t epoch;
	const char *from = c->p;

	/* "YYYY-MM-DDThh:mm:" */
	if (!memo_hit(c, 17, &epoch, &mon)) {
		if (!digits(c, 4, &y) || !lit(c, '-') || !digits(c, 2, &mon) || !lit(c, '-') ||
		    !digits(c, 2, &d))
			return 0;
		if (c->p >= c->end || (sep ? *c->p != sep : (*c->p != 'T' && *c->p != ' ')))
			return 0;
		c->p++;
		if (!digits(c, 2, &h) || !lit(c, ':') || !digits(c, 2, &mi) || !lit(c, ':') ||
		    !valid_time(mon, d, h, mi, 0))
			return 0;
		epoch = days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60;
		memo_keep(c, from, epoch, 0);
	}
	if (!digits(c, 2, &s) || s > 60)
		return 0;
	if (lit(c, '.') || lit(c, ','))
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	epoch += s;
	t->local = 1;
	if (lit(c, 'Z') || lit(c, 'z')) {
		t->local = 0;
	} else if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
		sign = *c->p == '-' ? -1 : 1;
		c->p++;
		if (!digits(c, 2, &oh))
			return 0;
		lit(c, ':');
		if (!digits(c, 2, &om) || oh > 23 || om > 59)
			return 0;
		epoch -= sign * (oh * 3600 + om * 60);
		t->local = 0;
	}
	t->epoch = epoch;
	return 1;
}

/* "Mmm dd hh:mm:ss" (the day space-padded), RFC 3164's TIMESTAMP. */
static int parse_rfc3164(struct cur *c, struct logline_time *t)
{
	/* Days from 1970 to 1 January 2000 (10957), and to each month of that leap year. */
	static const int before_month[12] = {0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335};
	int mon, d, h, mi, s;
	int64_t minute;
	const char *from;

	skip_pri(c);
	from = c->p;
	/* "Mmm dd hh:mm:" */
	if (!memo_hit(c, 13, &minute, &mon)) {
		if (!month_abbrev(c, &mon) || !lit(c, ' '))
			return 0;
		if (lit(c, ' ')) {
			if (!digits(c, 1, &d))
				return 0;
		} else if (!digits(c, 2, &d)) {
			return 0;
		}
		if (!lit(c, ' ') || !digits(c, 2, &h) || !lit(c, ':') || !digits(c, 2, &mi) ||
		    !lit(c, ':') || !valid_time(mon, d, h, mi, 0))
			return 0;
		minute = (int64_t)(10957 + before_month[mon - 1] + d - 1) * 86400 + h * 3600 +
		         mi * 60;
		memo_keep(c, from, minute, mon);
	}
	if (!digits(c, 2, &s) || s > 60)
		return 0;
	if (c->p < c->end && *c->p != ' ')
		return 0;
	t->epoch = minute + s;
	t->local = 1;
	t->no_year = 1;
	t->month = mon;
	return 1;
}

static int parse_rfc5424(struct cur *c, struct logline_time *t)
{
	const char *start = c->p;

	skip_pri(c);
	if (c->p == start || !lit(c, '1') || !lit(c, ' '))
		return 0;
	return iso_stamp(c, 'T', t);
}

static int parse_iso(struct cur *c, struct logline_time *t)
{
	skip_pri(c);
	if (!iso_stamp(c, 0, t))
		return 0;
	return c->p == c->end || *c->p == ' ' || *c->p == '\t';
}

/* "... msg=audit(1704164645.123:42): ...": the epoch seconds. */
static int parse_auditd(struct cur *c, struct logline_time *t)
{
	static const char key[] = "msg=audit(";
	size_t klen = sizeof(key) - 1;
	int64_t v = 0;
	int n = 0;

	if (c->end - c->p < 5 || memcmp(c->p, "type=", 5) != 0)
		return 0;
	/* The key comes early: within the first 64 bytes after "type=". */
	for (const char *p = c->p; p + klen <= c->end && p - c->p < 64; p++)
		if (memcmp(p, key, klen) == 0) {
			for (p += klen; p < c->end && *p >= '0' && *p <= '9' && n < 12; p++, n++)
				v = v * 10 + (*p - '0');
			if (n == 0 || p >= c->end || (*p != '.' && *p != ':'))
				return 0;
			t->epoch = v;
			t->local = 0;
			return 1;
		}
	return 0;
}

/* "[02/Jan/2024:03:04:05 +0100]" after the first fields, then a quoted request. */
static int parse_combined(struct cur *c, struct logline_time *t)
{
	const char *open = NULL;
	int d, mon, y, h, mi, s, oh, om, sign;
	int64_t epoch;

	for (const char *p = c->p; p < c->end && p - c->p < 512; p++)
		if (*p == '[') {
			open = p;
			break;
		}
	if (open == NULL || open == c->p || open[-1] != ' ')
		return 0;
	c->p = open + 1;
	/* "dd/Mon/yyyy:hh:mm:" */
	if (!memo_hit(c, 18, &epoch, &mon)) {
		if (!digits(c, 2, &d) || !lit(c, '/') || !month_abbrev(c, &mon) || !lit(c, '/') ||
		    !digits(c, 4, &y) || !lit(c, ':') || !digits(c, 2, &h) || !lit(c, ':') ||
		    !digits(c, 2, &mi) || !lit(c, ':') || !valid_time(mon, d, h, mi, 0))
			return 0;
		epoch = days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60;
		memo_keep(c, open + 1, epoch, mon);
	}
	if (!digits(c, 2, &s) || s > 60 || !lit(c, ' '))
		return 0;
	if (c->p >= c->end || (*c->p != '+' && *c->p != '-'))
		return 0;
	sign = *c->p++ == '-' ? -1 : 1;
	if (!digits(c, 2, &oh) || !digits(c, 2, &om) || !lit(c, ']') || !lit(c, ' ') ||
	    !lit(c, '"'))
		return 0;
	t->epoch = epoch + s - sign * (oh * 3600 + om * 60);
	t->local = 0;
	return 1;
}

/* W3C extended: "date time ..." in UTC, as IIS writes it. */
static int parse_w3c(struct cur *c, struct logline_time *t)
{
	if (!iso_stamp(c, ' ', t) || (c->p < c->end && *c->p != ' '))
		return 0;
	t->local = 0;
	return 1;
}

/* The value after a JSON key named like a time, at the top level or not (a cheap scan). */
static int parse_json(struct cur *c, struct logline_time *t)
{
	static const char *const keys[] = {"\"@timestamp\"", "\"timestamp\"", "\"time\"",
	                                   "\"ts\"",         "\"datetime\"",  "\"date\""};

	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
	if (c->p >= c->end || *c->p != '{')
		return 0;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		size_t klen = strlen(keys[k]);

		for (const char *p = c->p; p + klen <= c->end; p++) {
			struct cur v;

			if (*p != '"' || memcmp(p, keys[k], klen) != 0)
				continue;
			v = *c;
			v.p = p + klen;
			while (v.p < v.end && (*v.p == ' ' || *v.p == '\t'))
				v.p++;
			if (!lit(&v, ':'))
				continue;
			while (v.p < v.end && (*v.p == ' ' || *v.p == '\t'))
				v.p++;
			if (lit(&v, '"'))
				return iso_stamp(&v, 0, t);
			if (v.p < v.end && *v.p >= '0' && *v.p <= '9') {
				/* Unsigned: 19 digits (nanoseconds) may exceed INT64_MAX. */
				uint64_t n = 0;
				int nd = 0;

				for (; v.p < v.end && *v.p >= '0' && *v.p <= '9' && nd < 19;
				     v.p++, nd++)
					n = n * 10 + (uint64_t)(*v.p - '0');
				/* Milliseconds, microseconds or nanoseconds since the epoch. */
				while (n > 100000000000ULL)
					n /= 1000;
				t->epoch = (int64_t)n;
				t->local = 0;
				return 1;
			}
		}
	}
	return 0;
}

int logformat_parse(enum logformat f, const char *line, size_t len, struct logline_time *t)
{
	return logformat_parse_memo(f, line, len, t, NULL);
}

int logformat_parse_memo(enum logformat f, const char *line, size_t len, struct logline_time *t,
                         struct logformat_memo *memo)
{
	struct cur c = {line, line + len, f, memo};

	memset(t, 0, sizeof(*t));
	switch (f) {
	case LOGFORMAT_RFC3164:
		return parse_rfc3164(&c, t);
	case LOGFORMAT_RFC5424:
		return parse_rfc5424(&c, t);
	case LOGFORMAT_ISO:
		return parse_iso(&c, t);
	case LOGFORMAT_AUDITD:
		return parse_auditd(&c, t);
	case LOGFORMAT_COMBINED:
		return parse_combined(&c, t);
	case LOGFORMAT_W3C:
		return parse_w3c(&c, t);
	case LOGFORMAT_JSON:
		return parse_json(&c, t);
	case LOGFORMAT_NONE:
	case LOGFORMAT_COUNT:
		break;
	}
	return 0;
}
