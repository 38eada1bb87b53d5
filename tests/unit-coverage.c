/*
 * Unit tests for the coverage report's parsers: line formats and their times (report/
 * logformat.c), the calendar arithmetic, the accumulator fed in pieces of any size, the rotation
 * sets read back from their temporary file (and its failures), and the summary of documents
 * that are not what they should be.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <zlib.h>
#include <zstd.h>

#include "report/coverage-queue.h"
#include "report/coverage.h"
#include "report/forwarding.h"
#include "report/logformat.h"
#include "tap.h"

/* The epoch of a line in format f, or -1 when it does not parse. */
static long long when(enum logformat f, const char *line)
{
	struct logline_time t;

	return logformat_parse(f, line, strlen(line), &t) ? (long long)t.epoch : -1;
}

static void test_formats(void)
{
	struct logline_time t;
	const char *l = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed";

	ok(logformat_parse(LOGFORMAT_RFC3164, l, strlen(l), &t) && t.no_year && t.local &&
	           t.month == 10,
	   "RFC 3164 with a PRI: no year, local time, month 10");
	ok(when(LOGFORMAT_RFC3164, "Feb 29 00:00:00 h a: leap") ==
	           days_from_civil(2000, 2, 29) * 86400,
	   "RFC 3164 times are in the year 2000 until the caller moves them (29 February kept)");
	ok(when(LOGFORMAT_RFC3164, "Oct 11 22:14:15") > 0, "RFC 3164 stamp at the end of a line");
	ok(when(LOGFORMAT_RFC3164, "Oct 11 22:14:1") < 0, "a cut RFC 3164 stamp does not parse");
	ok(when(LOGFORMAT_RFC3164, "Oct 32 22:14:15 h") < 0, "day 32 does not parse");
	ok(when(LOGFORMAT_RFC5424, "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com su - "
	                           "ID47 - x") == 1065910455,
	   "RFC 5424 (the RFC's own example)");
	ok(when(LOGFORMAT_RFC5424, "<165>1 2003-08-24T05:14:15.000003-07:00 host app - - -") ==
	           1061727255,
	   "RFC 5424 with an offset");
	ok(when(LOGFORMAT_ISO, "2024-01-02T03:04:05+0100 host tag: x") == 1704161045,
	   "ISO syslog with +hhmm");
	ok(logformat_parse(LOGFORMAT_ISO, "2024-01-02 03:04:05,123 INFO x", 30, &t) && t.local,
	   "ISO date space time without a zone is local");
	ok(when(LOGFORMAT_ISO, "2024-01-02T03:04:05Zjunk") < 0,
	   "a stamp glued to text is no ISO line");
	ok(when(LOGFORMAT_AUDITD, "type=SYSCALL msg=audit(1704164645.123:42): arch=c000003e") ==
	           1704164645,
	   "auditd");
	ok(when(LOGFORMAT_AUDITD, "type=SYSCALL msg=audit(:42):") < 0, "auditd without a time");
	ok(when(LOGFORMAT_COMBINED, "::1 - bob [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" "
	                            "200 2326") == 971211336,
	   "combined with a negative offset (Apache's own example)");
	ok(when(LOGFORMAT_COMBINED, "[10/Oct/2000:13:55:36 -0700] \"GET\"") < 0,
	   "combined needs fields before the time");
	ok(when(LOGFORMAT_W3C, "2024-01-02 03:04:05 GET /") == 1704164645, "W3C is UTC");
	ok(when(LOGFORMAT_JSON, "{\"level\":\"info\",\"time\":\"2024-01-02T03:04:05Z\"}") ==
	           1704164645,
	   "JSON with a time string");
	ok(when(LOGFORMAT_JSON, "{\"ts\": 1704164645123}") == 1704164645,
	   "JSON with an epoch in milliseconds");
	ok(when(LOGFORMAT_JSON, "{\"ts\": 1704164645123456789}") == 1704164645,
	   "JSON with an epoch in nanoseconds");
	/* 19 nines: once a signed overflow (the sanitizers stop on it). */
	ok(when(LOGFORMAT_JSON, "{\"ts\": 9999999999999999999}") == 9999999999LL,
	   "JSON with an epoch of 19 nines reads without overflow");
	ok(when(LOGFORMAT_JSON, "{\"msg\":\"no time\"}") < 0, "JSON without a time");
}

/*
 * The minute memo gives what a full read gives: lines of every format, each a stamp of the
 * line before with a byte or two changed (a second, a minute, a separator, a digit turned
 * into a letter), read in sequence with one memo and each alone without it.
 */
static void test_memo(void)
{
	static const char *const seeds[] = {
	        "<13>Mar  3 10:00:59 h a: x",
	        "Dec 27 03:45:43 db01 systemd[1]: x",
	        "<165>1 2003-10-11T22:14:15.003Z host su - ID47 - x",
	        "2024-01-02T03:04:05+01:00 host tag: x",
	        "2024-01-02 03:04:05,123 INFO x",
	        "6.213.51.48 - - [23/Feb/2024:10:09:15 +0000] \"GET / HTTP/1.1\" 200 1",
	        "{\"time\":\"2024-01-02T03:04:59Z\",\"a\":1}",
	};
	static const char alphabet[] = "01234567890123456789012345: -T/Zx<>[]";
	unsigned long seed = 42, differ = 0, hits = 0, parsed = 0;

	for (size_t k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
		/* One memo for all formats, as a file's lines are tried in one, then others. */
		struct logformat_memo memo = {0};
		char line[128];
		size_t len = strlen(seeds[k]);

		memcpy(line, seeds[k], len + 1);
		for (int i = 0; i < 20000; i++) {
			/* Mostly the stamp's first 40 bytes, where the memo's key lies. */
			for (int m = 0; m < 1 + i % 2; m++) {
				seed = seed * 6364136223846793005UL + 1442695040888963407UL;
				line[(seed >> 33) % (len < 40 ? len : 40)] =
				        alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
			}
			if (i % 4 == 0)
				memcpy(line, seeds[k], len + 1);
			for (enum logformat f = LOGFORMAT_RFC3164; f < LOGFORMAT_COUNT; f++) {
				struct logline_time a, b;
				int ra, rb;

				ra = logformat_parse_memo(f, line, len, &a, &memo);
				rb = logformat_parse(f, line, len, &b);
				if (ra != rb || (ra && memcmp(&a, &b, sizeof(a)) != 0))
					differ++;
				parsed += (unsigned long)rb;
			}
		}
		hits += memo.hits;
	}
	ok(differ == 0 && parsed > 10000 && hits > 10000,
	   "the minute memo reads %lu mutated lines as a full read does (%lu differ, %lu read "
	   "through the memo)",
	   parsed, differ, hits);
}

static void test_calendar(void)
{
	int64_t y;
	int m;

	logformat_civil_from_epoch(951782400, &y, &m); /* 2000-02-29 */
	ok(y == 2000 && m == 2, "civil_from_epoch");
	logformat_civil_from_epoch(-1, &y, &m);
	ok(y == 1969 && m == 12, "civil_from_epoch before 1970");
	ok(logformat_add_years(days_from_civil(2000, 3, 1) * 86400 + 5, 25) ==
	           days_from_civil(2025, 3, 1) * 86400 + 5,
	   "add_years keeps month, day and time");
	ok(logformat_add_years(days_from_civil(2000, 12, 31) * 86400, -1) ==
	           days_from_civil(1999, 12, 31) * 86400,
	   "add_years backwards");
}

/* The same log fed whole and one byte at a time gives the same document. */
static void test_pieces(void)
{
	static const char log[] = "Mar  3 00:00:01 h a: x\n\0\0\0Mar  3 05:00:00 h a: y\n"
	                          "garbage\r\nMar  3 01:00:00 h a: back\nMar  3 05:00:01 h a: z";
	char *a, *b;
	json_t *d;

	for (int pass = 0; pass < 2; pass++) {
		struct coverage *cov = coverage_new(NULL);

		coverage_file_begin(cov, "var/log/syslog", 1772536000, sizeof(log) - 1, 0);
		if (pass == 0)
			coverage_file_data(cov, log, sizeof(log) - 1);
		else
			for (size_t i = 0; i < sizeof(log) - 1; i++)
				coverage_file_data(cov, log + i, 1);
		coverage_file_end(cov);
		d = coverage_document(cov, 1772600000);
		json_object_del(d, "collected_at");
		*(pass ? &b : &a) = json_dumps(d, JSON_SORT_KEYS | JSON_COMPACT);
		json_decref(d);
		coverage_free(cov);
	}
	ok(a && b && strcmp(a, b) == 0, "fed whole or byte by byte: the same report");
	ok(a && strstr(a, "\"events\":4") && strstr(a, "\"nul_runs\":{\"bytes\":3,\"count\":1") &&
	           strstr(a, "\"findings\":[\"nul_runs\",\"unparsable_lines\",\"gaps\","
	                     "\"backwards\"]"),
	   "events, the NUL run and every finding");
	if (a && !strstr(a, "\"events\":4"))
		printf("# %s\n", a);
	free(a);
	free(b);
}

/* A path longer than PATH_MAX: "<4996 d>/x.log" plus suffix. */
static char *long_path(const char *suffix)
{
	char *p = xmalloc(5000 + strlen(suffix) + 8);

	memset(p, 'd', 4996);
	strcpy(p + 4996, "/x.log");
	strcat(p, suffix);
	return p;
}

/* The rotation sets come back from their temporary file whole, however long the paths. */
static void test_long_paths(void)
{
	static const char log[] = "Mar  3 00:00:01 h a: x\n";
	struct coverage *cov = coverage_new(NULL);
	char *live = long_path(""), *one = long_path(".1"), *four = long_path(".4.gz");
	json_t *d, *set, *gens, *missing = json_pack("[i,i]", 2, 3);
	const char *base, *oldest, *why;

	coverage_file_begin(cov, one, 1772536000, sizeof(log) - 1, 0);
	coverage_file_data(cov, log, sizeof(log) - 1);
	coverage_file_end(cov);
	coverage_file_begin(cov, "var/log/alone.log", 1772536000, 0, 0);
	coverage_file_end(cov);
	coverage_file_present(cov, four, "unchanged");
	coverage_file_begin(cov, live, 1772536000, sizeof(log) - 1, 0);
	coverage_file_data(cov, log, sizeof(log) - 1);
	coverage_file_end(cov);
	d = coverage_document(cov, 1772600000);
	set = json_array_get(json_object_get(d, "rotation_sets"), 0);
	base = json_string_value(json_object_get(set, "base"));
	gens = json_object_get(set, "generations");
	oldest = json_string_value(json_object_get(json_array_get(gens, 0), "path"));
	why = json_string_value(json_object_get(json_array_get(gens, 0), "not_read"));
	ok(json_array_size(json_object_get(d, "rotation_sets")) == 1 && base &&
	           strlen(base) == 5003 && strcmp(base + 1, live) == 0,
	   "one rotation set, its base (a path over 5000 bytes) whole");
	ok(json_array_size(gens) == 3 && oldest && strcmp(oldest + 1, four) == 0 && why &&
	           strcmp(why, "unchanged") == 0 &&
	           json_object_get(json_array_get(gens, 0), "first_event") == NULL &&
	           json_object_get(json_array_get(gens, 2), "first_event") != NULL,
	   "its generations oldest first, with the reason and the times");
	ok(json_equal(json_object_get(set, "missing_generations"), missing),
	   "generations 2 and 3 missing");
	json_decref(missing);
	json_decref(d);
	coverage_free(cov);
	free(live);
	free(one);
	free(four);
}

/* len bytes of text as a gzip member (level 1), in a strbuf. */
static void gzip_into(struct strbuf *out, const char *text, size_t len)
{
	z_stream z = {0};
	size_t cap = compressBound((uLong)len) + 64;

	strbuf_grow(out, cap);
	deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)text;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->buf + out->len;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	out->len += z.total_out;
	deflateEnd(&z);
}

/* A compressed generation through the queue, in pieces of 5000 bytes. */
static void queue_packed(struct coverage_queue *q, const char *name, const struct strbuf *packed)
{
	coverage_queue_begin(q, name, 1772536000, packed->len, 0);
	for (size_t at = 0; at < packed->len; at += 5000)
		coverage_queue_data(q, packed->buf + at,
		                    packed->len - at < 5000 ? packed->len - at : 5000);
	coverage_queue_end(q);
}

/* One scripted run of calls, straight to the report (q NULL) or through a queue. */
/*
 * apart: every 30th small file is analysed apart (as the hashing thread does) and closed
 * through the queue, more of them than may wait at once.
 */
static char *queue_script(int threaded, int apart)
{
	struct coverage *cov = coverage_new(NULL);
	struct coverage_queue *q = NULL;
	struct error err;
	struct strbuf big = STRBUF_INIT;
	char *huge = xmalloc(300 * 1024 + 16), name[64], *out;
	json_t *d;

	if (coverage_queue_new(&q, cov, threaded, &err) < 0)
		return NULL;
	/* 9 MiB of lines, more than the queue holds, so the reader waits for batches. */
	for (int i = 0; big.len < 9 * 1024 * 1024; i++)
		strbuf_addf(&big, "Mar  3 %02d:%02d:%02d h a: line %d\n", i / 3600 % 24,
		            i / 60 % 60, i % 60, i);
	/* A path longer than a batch. */
	memset(huge, 'p', 300 * 1024);
	strcpy(huge + 300 * 1024, "/x.log");
	for (int i = 0; i < 3000; i++) { /* many small files: many calls a batch */
		snprintf(name, sizeof(name), "var/log/app/f%04d.log", i);
		if (apart && i % 30 == 5) {
			struct cov_file *f = coverage_open_file(cov, name, 1772536000, 40, 0);

			coverage_feed_file(f, big.buf + (size_t)i * 40, 40);
			coverage_queue_close(q, f);
		} else {
			coverage_queue_begin(q, name, 1772536000, 40, 0);
			coverage_queue_data(q, big.buf + (size_t)i * 40, 40);
			coverage_queue_end(q);
		}
		if (i % 1000 == 0)
			coverage_queue_present(q, name, "unchanged");
		if (i % 700 == 0) {
			/* Compressed generations among the small files: inflated by the
			 * analysis, and reported in read order. */
			struct strbuf gz = STRBUF_INIT;
			size_t len = (size_t)(i + 1) * 3000;

			gzip_into(&gz, big.buf + i, len);
			snprintf(name, sizeof(name), "var/log/app/f%04d.log.1.gz", i);
			queue_packed(q, name, &gz);
			/* The same bytes read from an offset: not inflated, on the plain lane. */
			snprintf(name, sizeof(name), "var/log/app/f%04d.log.2.gz", i);
			coverage_queue_begin(q, name, 1772536000, gz.len, 100);
			coverage_queue_data(q, gz.buf + 100, gz.len - 100);
			coverage_queue_end(q);
			strbuf_release(&gz);
		}
		if (i == 1500) {
			size_t len = 200000, cap = ZSTD_compressBound(len);
			struct strbuf zst = STRBUF_INIT;

			strbuf_grow(&zst, cap);
			zst.len = ZSTD_compress(zst.buf, cap, big.buf, len, 1);
			queue_packed(q, "var/log/app/mid.log.1.zst", &zst);
			strbuf_release(&zst);
		}
	}
	coverage_queue_begin(q, huge, 1772536000, big.len, 0);
	coverage_queue_data(q, big.buf, 7);                   /* odd pieces */
	coverage_queue_data(q, big.buf + 7, 3 * 1024 * 1024); /* one call over many batches */
	coverage_queue_data(q, big.buf + 7 + 3 * 1024 * 1024, big.len - 7 - 3 * 1024 * 1024);
	coverage_queue_end(q);
	coverage_queue_present(q, "var/log/gone.log.2.gz", "unchanged");
	coverage_queue_drain(q);
	d = coverage_document(cov, 1772600000);
	json_object_del(d, "collected_at");
	out = json_dumps(d, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(d);
	coverage_queue_free(q);
	coverage_free(cov);
	strbuf_release(&big);
	free(huge);
	return out;
}

/* Events and last event of a log's one record, "events last_event". */
static char *events_of(const char *name, const void *buf, size_t len)
{
	struct coverage *cov = coverage_new(NULL);
	json_t *d, *rec;
	char *out = NULL;

	coverage_file_begin(cov, name, 1772536000, len, 0);
	coverage_file_data(cov, buf, len);
	coverage_file_end(cov);
	d = coverage_document(cov, 1772600000);
	rec = json_array_get(json_object_get(d, "logs"), 0);
	if (rec)
		out = xasprintf("%lld %s",
		                (long long)json_integer_value(json_object_get(rec, "events")),
		                json_string_value(json_object_get(rec, "last_event")));
	json_decref(d);
	coverage_free(cov);
	return out;
}

/*
 * A generation fed in one piece: the decoder fills its output buffer many times over from
 * input it has already taken, and what it still holds when the input is used up must be
 * analysed too (the newest lines, at the end).
 */
static void test_packed_whole(void)
{
	struct strbuf text = STRBUF_INIT, gz = STRBUF_INIT, zst = STRBUF_INIT;
	char *plain, *from_gz, *from_zst;
	size_t cap;

	for (int i = 0; text.len < 2 * 1024 * 1024; i++)
		strbuf_addf(&text, "Mar  3 %02d:%02d:%02d h a: line\n", i / 3600 % 24, i / 60 % 60,
		            i % 60);
	strbuf_addstr(&text, "Mar  4 23:59:59 h a: the newest line\n");
	gzip_into(&gz, text.buf, text.len);
	cap = ZSTD_compressBound(text.len);
	strbuf_grow(&zst, cap);
	zst.len = ZSTD_compress(zst.buf, cap, text.buf, text.len, 19);
	plain = events_of("var/log/syslog", text.buf, text.len);
	from_gz = events_of("var/log/syslog.2.gz", gz.buf, gz.len);
	from_zst = events_of("var/log/syslog.2.zst", zst.buf, zst.len);
	ok(plain && strstr(plain, "-03-04T23:59:59"),
	   "the plain log's newest line is its last event");
	ok(plain && from_gz && strcmp(plain, from_gz) == 0,
	   "gzip in one piece: the same events as the text (%s; %s)", plain ? plain : "-",
	   from_gz ? from_gz : "-");
	ok(plain && from_zst && strcmp(plain, from_zst) == 0,
	   "zstd in one piece: the same events as the text (%s; %s)", plain ? plain : "-",
	   from_zst ? from_zst : "-");
	free(plain);
	free(from_gz);
	free(from_zst);
	strbuf_release(&text);
	strbuf_release(&gz);
	strbuf_release(&zst);
}

/* A gzip generation whose check value was changed: reported as damaged, not analysed. */
static void test_damaged_gz(void)
{
	struct strbuf text = STRBUF_INIT, gz = STRBUF_INIT;
	struct coverage *cov = coverage_new(NULL);
	const char *why = NULL;
	json_t *d, *rec;

	for (int i = 0; i < 2000; i++)
		strbuf_addf(&text, "Mar  3 10:%02d:%02d h a: line %d\n", i / 60 % 60, i % 60, i);
	gzip_into(&gz, text.buf, text.len);
	gz.buf[gz.len - 8] ^= 0x01; /* the trailer's CRC-32 */
	coverage_file_begin(cov, "var/log/syslog.2.gz", 1772536000, gz.len, 0);
	coverage_file_data(cov, gz.buf, gz.len);
	coverage_file_end(cov);
	d = coverage_document(cov, 1772600000);
	rec = json_array_get(json_object_get(d, "logs"), 0);
	if (rec)
		why = json_string_value(json_object_get(rec, "not_analysed"));
	ok(why && strcmp(why, "gzip data is damaged") == 0,
	   "a .gz generation with a wrong CRC: \"not_analysed\": \"gzip data is damaged\" (%s)",
	   why ? why : "none");
	json_decref(d);
	coverage_free(cov);
	strbuf_release(&text);
	strbuf_release(&gz);
}

/* The queue's thread gives the report the calls in their order, whole, however batched. */
static void test_queue(void)
{
	char *inline_doc = queue_script(0, 0), *threaded_doc = queue_script(1, 0);
	char *apart_doc = queue_script(1, 1), *apart_inline_doc = queue_script(0, 1);

	ok(inline_doc && strstr(inline_doc, "\"/var/log/app/f2999.log\"") &&
	           strstr(inline_doc, "/x.log\"") && strstr(inline_doc, "gone.log.2.gz"),
	   "the scripted run reports its small files, its long path and what was present");
	ok(inline_doc && strstr(inline_doc, "\"/var/log/app/f2100.log.1.gz\"") &&
	           strstr(inline_doc, "\"/var/log/app/mid.log.1.zst\"") &&
	           strstr(inline_doc, "\"compression\":\"gzip\"") &&
	           strstr(inline_doc, "only part of the compressed file was read"),
	   "and its compressed generations, inflated or (read from an offset) not");
	ok(inline_doc && threaded_doc && strcmp(inline_doc, threaded_doc) == 0,
	   "through the thread (batched, past the queue's size): the same report");
	ok(inline_doc && apart_doc && apart_inline_doc && strcmp(inline_doc, apart_doc) == 0 &&
	           strcmp(inline_doc, apart_inline_doc) == 0,
	   "with 100 of the files analysed apart and closed through the queue, with and without "
	   "its thread: the same report, in the same order");
	free(inline_doc);
	free(threaded_doc);
	free(apart_doc);
	free(apart_inline_doc);
}

/* coverage_write's output to a stream, with the size it announced. */
struct stream_out {
	FILE *f;
	uint64_t announced, written;
	int begun;
};

static int stream_begin(void *ctx, uint64_t size, struct error *err)
{
	struct stream_out *so = ctx;

	(void)err;
	so->announced = size;
	so->begun++;
	return 0;
}

static int stream_write(void *ctx, const void *buf, size_t len, struct error *err)
{
	struct stream_out *so = ctx;

	(void)err;
	so->written += len;
	return fwrite(buf, 1, len, so->f) == len ? 0 : -1;
}

/* n files present, not read (each only in the rotation sets' file), then the document. */
static int present_then_write(const char *spill_dir, int n, const char *path, struct error *err)
{
	struct coverage_options o = {0, 0, spill_dir};
	struct coverage *cov = coverage_new(&o);
	struct stream_out so = {fopen("/dev/null", "w"), 0, 0, 0};
	struct coverage_out out = {stream_begin, stream_write, &so};
	int rc = -1;

	for (int i = 0; i < n; i++)
		coverage_file_present(cov, path, "unchanged");
	if (so.f) {
		rc = coverage_write(cov, 1772600000, &out, NULL, NULL, err);
		fclose(so.f);
	}
	coverage_free(cov);
	return rc;
}

/*
 * The document written in pieces (its records copied from the spill file) is the document
 * coverage_document makes, in exactly the size announced first: with no log, one, and many.
 */
static void test_written(void)
{
	static const int counts[] = {0, 1, 3, 2500};
	static const char log[] = "2026-03-01T10:00:00+00:00 host sshd[1]: one\n"
	                          "2026-03-01T10:00:05+00:00 host sshd[1]: two\n";

	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		struct coverage_options o = {0, 0, "/tmp"};
		struct coverage *cov = coverage_new(&o);
		struct stream_out so = {0};
		struct coverage_out out = {stream_begin, stream_write, &so};
		struct error err = {{0}};
		char *text = NULL, *want = NULL, *got = NULL;
		size_t len = 0;
		json_t *written = NULL, *doc;
		int rc;

		so.f = open_memstream(&text, &len);
		for (int i = 0; i < counts[c]; i++) {
			char path[64];

			snprintf(path, sizeof(path), "var/log/app/f%d.log", i);
			coverage_file_begin(cov, path, 1772536000, sizeof(log) - 1, 0);
			coverage_file_data(cov, log, sizeof(log) - 1);
			coverage_file_end(cov);
		}
		rc = coverage_write(cov, 1772600000, &out, NULL, NULL, &err);
		fclose(so.f);
		doc = coverage_document(cov, 1772600000);
		if (rc == 0)
			written = json_loadb(text, len, 0, NULL);
		if (doc && written) {
			want = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);
			got = json_dumps(written, JSON_SORT_KEYS | JSON_COMPACT);
		}
		ok(rc == 0 && so.begun == 1 && so.announced == len && so.written == len,
		   "%d logs: the size announced is the size written (%llu, %zu)", counts[c],
		   (unsigned long long)so.announced, len);
		ok(want && got && strcmp(want, got) == 0 &&
		           json_array_size(json_object_get(written, "logs")) == (size_t)counts[c],
		   "%d logs: the text read back is the document", counts[c]);
		ok(counts[c] < 2 ||
		           (text && strstr(text, "\n    },\n    {") == NULL &&
		            strstr(text, "}, {") == NULL && strstr(text, "},\n    {\"path\"")),
		   "%d logs: a record a line, each after a comma and a line break", counts[c]);
		json_decref(doc);
		json_decref(written);
		free(want);
		free(got);
		free(text);
		coverage_free(cov);
	}
}

/* A temporary file that cannot be opened or written fails the report, never drops a file. */
static void test_done_file_fails(void)
{
	struct coverage_options o = {0, 0, "/nonexistent/logpack-unit"};
	struct coverage *cov = coverage_new(&o);
	struct rlimit old, small;
	struct error err = {{0}};
	char *path = long_path(".1");
	int rc[2];

	coverage_file_present(cov, "var/log/x.log.1", "unchanged");
	ok(coverage_document(cov, 1772600000) == NULL, "no directory for it: no document");
	coverage_free(cov);
	ok(present_then_write("/nonexistent/logpack-unit", 1, "var/log/x.log.1", &err) < 0 &&
	           strstr(err.msg, "temporary file in /nonexistent/logpack-unit"),
	   "no directory for it: coverage_write fails, saying why");
	/*
	 * A file size limit (the process's: restored before anything is printed) stands for a full
	 * disk. With none at all, one short record waits in the stdio buffer until the rotation
	 * sets flush it; with 16 KiB, 40 records of 5 KiB overflow any stdio buffer (glibc's is 4
	 * KiB) while they are added.
	 */
	if (getrlimit(RLIMIT_FSIZE, &old) != 0) {
		ok(0, "getrlimit");
		free(path);
		return;
	}
	small = old;
	small.rlim_cur = 0;
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &small) == 0) {
		struct error e2 = {{0}};

		rc[0] = present_then_write(NULL, 1, "var/log/x.log.1", &err);
		small.rlim_cur = 16384;
		rc[1] = setrlimit(RLIMIT_FSIZE, &small) == 0
		                ? present_then_write(NULL, 40, path, &e2)
		                : 0;
		(void)setrlimit(RLIMIT_FSIZE, &old);
		signal(SIGXFSZ, SIG_DFL);
		ok(rc[0] < 0 && strstr(err.msg, "temporary file in"),
		   "a write that fails when the rotation sets read the file fails the report: %s",
		   err.msg);
		ok(rc[1] < 0 && strstr(e2.msg, "temporary file in"),
		   "a write that fails as files are added fails the report: %s", e2.msg);
	} else {
		signal(SIGXFSZ, SIG_DFL);
		ok(0, "setrlimit");
	}
	free(path);
}

static void test_hostile_documents(void)
{
	static const char *const docs[] = {
	        "[]",
	        "{\"logs\":7}",
	        "{\"logs\":[1,\"x\",{\"gaps\":{\"count\":\"many\"}}]}",
	        "{\"logs\":[{\"path\":\"\\u001b[31m\",\"gaps\":{\"count\":1,\"largest\":[{}]}}]}",
	        ("{\"rotation_sets\":[{\"base\":null,\"missing_generations\":[\"a\"]}],"
	         "\"forwarding\":[{}],\"seals\":[7],\"clock\":{},\"time_zone\":[]}"),
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *d = json_loads(docs[i], 0, NULL);
		char *s = coverage_summary(d);

		ok(s != NULL && strchr(s, '\033') == NULL, "summary of hostile document %zu", i);
		free(s);
		json_decref(d);
	}
}

static void test_forwarding(void)
{
	static const char conf[] = "*.*  @@[2001:db8::1]:514\n# *.* @commented:514\n"
	                           "mail.* @(z9)relay.example:10514;RSYSLOG_ForwardFormat\n";
	json_t *out = json_array();
	char *s;

	forwarding_parse(FORWARDING_RSYSLOG, "/etc/rsyslog.conf", conf, sizeof(conf) - 1, out);
	s = json_dumps(out, JSON_COMPACT);
	ok(json_array_size(out) == 2, "two destinations, the comment left out");
	ok(s && strstr(s, "\"[2001:db8::1]:514\"") && strstr(s, "\"relay.example:10514\"") &&
	           strstr(s, "\"line\":3"),
	   "IPv6 in brackets, options and template left out, line numbers");
	free(s);
	json_decref(out);
}

int main(void)
{
	test_formats();
	test_calendar();
	test_pieces();
	test_long_paths();
	test_done_file_fails();
	test_written();
	test_hostile_documents();
	test_forwarding();
	test_queue();
	test_packed_whole();
	test_damaged_gz();
	test_memo();
	return tap_done();
}
