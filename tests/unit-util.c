/* Unit tests: sizes, times, durations and buffers. */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "tap.h"

/* format_iso8601 against gmtime_r and strftime, which it replaces, at many instants. */
static void test_format_iso8601_differential(void)
{
	static const int64_t edges[] = {0,
	                                -1,
	                                86399,
	                                86400,
	                                951782400 /* 2000-02-29 */,
	                                4107542399 /* 2100-02-28T23:59:59 */,
	                                -30610224000 /* 1000-01-01 */,
	                                -30610224001,
	                                253402300799 /* 9999-12-31T23:59:59 */,
	                                253402300800,
	                                -62135596800 /* 0001-01-01 */,
	                                INT64_C(1) << 40,
	                                INT64_MIN,
	                                INT64_MAX};
	char got[64], want[64];
	uint64_t seed = 99;
	size_t wrong = 0;

	for (size_t i = 0; i < 200000 + sizeof(edges) / sizeof(edges[0]); i++) {
		int64_t t;
		time_t tt;
		struct tm tm;

		if (i < sizeof(edges) / sizeof(edges[0])) {
			t = edges[i];
		} else {
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			/* From year 1 to year 10000 and a little beyond. */
			t = (int64_t)(seed >> 11) % INT64_C(316000000000) - INT64_C(62135596800);
		}
		tt = (time_t)t;
		if (gmtime_r(&tt, &tm) == NULL ||
		    strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(want, sizeof(want), "@%lld", (long long)t);
		format_iso8601(t, got, sizeof(got));
		if (strcmp(got, want) != 0 && wrong++ < 3)
			printf("#   %lld: got %s, want %s\n", (long long)t, got, want);
	}
	ok(wrong == 0, "format_iso8601 writes what gmtime_r and strftime write (200,000 instants)");
}

/* format_int and format_uint against snprintf's %lld and %llu: the edges, then 1,000,000. */
static void test_format_int(void)
{
	static const long long edges[] = {
	        0, 1, -1, 9, 10, -10, 99, 100, 4294967295LL, LLONG_MAX, LLONG_MIN, LLONG_MIN + 1};
	size_t wrong = 0;
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < 1000000 + sizeof(edges) / sizeof(edges[0]); i++) {
		char want[32], got[FORMAT_INT_MAX + 1];
		long long v;
		size_t n;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		/* Every length of number: the random value cut to a random count of bits. */
		v = i < sizeof(edges) / sizeof(edges[0]) ? edges[i] : (long long)(x >> (x % 64));
		n = format_int(got, v);
		got[n] = '\0';
		snprintf(want, sizeof(want), "%lld", v);
		wrong += strcmp(got, want) != 0;
		n = format_uint(got, (unsigned long long)v);
		got[n] = '\0';
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		wrong += strcmp(got, want) != 0;
	}
	ok(wrong == 0, "format_int and format_uint write what %%lld and %%llu do (%zu differ)",
	   wrong);
	strbuf_addstr(&sb, "n=");
	strbuf_addint(&sb, LLONG_MIN);
	strbuf_addch(&sb, ',');
	strbuf_adduint(&sb, ULLONG_MAX);
	is_str(sb.buf, "n=-9223372036854775808,18446744073709551615",
	       "strbuf_addint and strbuf_adduint append, NUL-terminated");
	strbuf_release(&sb);
	{
		char *a = xjoin("var/log", '/', "syslog"), *b = xjoin("", '\0', ""),
		     *c = xjoin("data", '\0', "/x");

		is_str(a, "var/log/syslog", "xjoin: a, the separator, b");
		ok(b[0] == '\0' && strcmp(c, "data/x") == 0, "xjoin: no separator when it is NUL");
		free(a);
		free(b);
		free(c);
	}
}

int main(void)
{
	uint64_t size;
	int64_t t;
	char buf[64];
	struct strbuf sb = STRBUF_INIT;

	ok(parse_size("0", &size) == 0 && size == 0, "plain zero");
	ok(parse_size("512", &size) == 0 && size == 512, "plain bytes");
	ok(parse_size("64K", &size) == 0 && size == 65536, "K suffix");
	ok(parse_size("2M", &size) == 0 && size == 2 * 1048576, "M suffix");
	ok(parse_size("1.5G", &size) == 0 && size == 1610612736ULL, "fractional G");
	ok(parse_size("1GiB", &size) == 0 && size == 1073741824ULL, "GiB spelling");
	ok(parse_size("", &size) < 0, "empty size rejected");
	ok(parse_size("-1", &size) < 0, "negative size rejected");
	ok(parse_size("10Q", &size) < 0, "unknown unit rejected");
	ok(parse_size("99999999999T", &size) < 0, "overflowing size rejected");

	ok(parse_iso8601("1970-01-01", &t) == 0 && t == 0, "epoch date");
	ok(parse_iso8601("2024-02-29T12:30:00Z", &t) == 0 && t == 1709209800, "leap day UTC");
	ok(parse_iso8601("2024-02-29 14:30:00+02:00", &t) == 0 && t == 1709209800, "offset");
	ok(parse_iso8601("2024-02-29T12:30", &t) == 0 && t == 1709209800, "no seconds");
	ok(parse_iso8601("2023-02-29", &t) < 0, "not a leap year");
	ok(parse_iso8601("2024-13-01", &t) < 0, "month 13");
	ok(parse_iso8601("2024-01-01T25:00", &t) < 0, "hour 25");
	ok(parse_iso8601("yesterday", &t) < 0, "words rejected");
	ok(parse_iso8601("2024-01-01Tjunk", &t) < 0, "trailing junk rejected");
	is_str(format_iso8601(1709209800, buf, sizeof(buf)), "2024-02-29T12:30:00Z", "format UTC");
	test_format_iso8601_differential();
	test_format_int();

	ok(parse_duration("90", &t) == 0 && t == 90, "plain seconds");
	ok(parse_duration("15m", &t) == 0 && t == 900, "minutes");
	ok(parse_duration("2d", &t) == 0 && t == 172800, "days");
	ok(parse_duration("1x", &t) < 0, "bad unit");
	ok(parse_duration("0", &t) < 0, "zero duration rejected");

	strbuf_addstr(&sb, "abc");
	strbuf_addf(&sb, "-%d-", 42);
	strbuf_addch(&sb, 'z');
	is_str(sb.buf, "abc-42-z", "strbuf appends");
	char *s = strbuf_detach(&sb);
	ok(sb.buf == NULL && sb.len == 0, "detach resets");
	free(s);
	is_str(format_size(1536, buf, sizeof(buf)), "1.5 KiB", "format_size");

	/* xasprintf formats short results once on the stack: check both sides of that size. */
	int all_same = 1;

	for (size_t n = 250; n <= 260; n++) {
		char *want = xmalloc(n + 1), *got;

		memset(want, 'a', n);
		want[n - 2] = '4';
		want[n - 1] = '2';
		want[n] = '\0';
		got = xasprintf("%.*s%d", (int)(n - 2), want, 42);
		all_same &= strcmp(got, want) == 0;
		free(got);
		free(want);
	}
	ok(all_same, "xasprintf, 250 to 260 bytes (either side of its stack buffer)");
	s = xasprintf("%s/%s", "top", "data/var/log/syslog");
	is_str(s, "top/data/var/log/syslog", "xasprintf, short");
	free(s);
	s = xasprintf("%0300d", 7);
	ok(strlen(s) == 300 && s[0] == '0' && s[299] == '7',
	   "xasprintf, longer than the stack buffer");
	free(s);
	return tap_done();
}
