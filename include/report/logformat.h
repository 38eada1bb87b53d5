/*
 * Recognising one log line and reading its time: RFC 3164 and RFC 5424 syslog, syslog with an
 * ISO 8601 stamp, auditd, nginx/Apache combined, W3C extended (IIS) and JSON lines with a time
 * field. Every parser reads attacker-written bytes: it looks only at the len bytes given (no NUL
 * needed), never allocates, and accepts or refuses without reading past the end.
 */
#ifndef LOGPACK_REPORT_LOGFORMAT_H
#define LOGPACK_REPORT_LOGFORMAT_H

#include <stddef.h>
#include <stdint.h>

enum logformat {
	LOGFORMAT_NONE,
	LOGFORMAT_RFC3164,  /* "<13>Jan  2 03:04:05 host tag: text" (no year, local time) */
	LOGFORMAT_RFC5424,  /* "<13>1 2024-01-02T03:04:05.1Z host app - - - text" */
	LOGFORMAT_ISO,      /* "2024-01-02T03:04:05+01:00 host tag: text" (rsyslog RFC 3339) */
	LOGFORMAT_AUDITD,   /* "type=USER_LOGIN msg=audit(1704164645.123:42): ..." */
	LOGFORMAT_COMBINED, /* "1.2.3.4 - - [02/Jan/2024:03:04:05 +0000] \"GET / ...\" ..." */
	LOGFORMAT_W3C,      /* "2024-01-02 03:04:05 ..." after "#Fields:" (UTC) */
	LOGFORMAT_JSON,     /* {"time": "2024-01-02T03:04:05Z", ...} or an epoch number */
	LOGFORMAT_COUNT
};

/* The name used in coverage.json: "rfc3164", "rfc5424", ... ("none" for LOGFORMAT_NONE). */
const char *logformat_name(enum logformat f);

struct logline_time {
	int64_t epoch; /* seconds; for a local time, as if the wall clock were UTC */
	int local;     /* the line has no zone: its wall-clock time is the host's */
	int no_year;   /* RFC 3164: epoch is in the year 2000 (a leap year); the caller moves it */
	int month;     /* 1..12, with no_year */
};

/*
 * The last minute read in one format: most lines of a log share their date, hour and minute
 * with the line before, and then only the seconds need reading. The memo holds the stamp's
 * bytes up to its seconds and what they were read as; the same bytes are read the same way
 * anywhere, so a hit gives what a full read would. A zeroed memo holds nothing.
 */
struct logformat_memo {
	enum logformat format;
	size_t len;
	char key[20];
	int64_t minute; /* the epoch of the minute's start, before any zone */
	int month;
	uint64_t hits; /* lines read through the memo (for the tests) */
};

/*
 * Read the time of one line (without its newline) in format f. 1 when the line is of that
 * format and its time was read, 0 when not. memo (or NULL) is used and kept up to date.
 */
int logformat_parse_memo(enum logformat f, const char *line, size_t len, struct logline_time *t,
                         struct logformat_memo *memo);
/* The same without a memo. */
int logformat_parse(enum logformat f, const char *line, size_t len, struct logline_time *t);

/* The year and month of an epoch (UTC). */
void logformat_civil_from_epoch(int64_t epoch, int64_t *year, int *month);
/* The same wall-clock time years later (or earlier, with years < 0). */
int64_t logformat_add_years(int64_t epoch, int64_t years);

#endif
