/*
 * The per-file accumulator of the coverage report: decompression (gzip, zstd) on the fly,
 * the file's kind from its first bytes or name, and for text logs a line splitter that keeps at
 * most LINE_KEEP bytes of any line, so memory stays bounded whatever the input.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "base/gunzip.h"
#include "base/util.h"
#include "report/coverage-file.h"
#include "report/journalfile.h"
#include "report/logformat.h"
#include "report/utmp.h"

static void file_free(struct cov_file *f)
{
	if (f == NULL)
		return;
	gunzip_free(f->gz);
	ZSTD_freeDStream(f->zd);
	free(f->out);
	free(f->line);
	free(f->boot_ids);
	evtx_scan_free(&f->evtx);
	free(f->path);
	free(f);
}

struct coverage *coverage_new(const struct coverage_options *opt)
{
	struct coverage *cov = xcalloc(1, sizeof(*cov));
	const char *tmp = getenv("TMPDIR");

	cov->opt.gap_seconds = COVERAGE_DEFAULT_GAP;
	cov->opt.backwards_seconds = COVERAGE_DEFAULT_BACKWARDS;
	if (opt && opt->gap_seconds > 0)
		cov->opt.gap_seconds = opt->gap_seconds;
	if (opt && opt->backwards_seconds > 0)
		cov->opt.backwards_seconds = opt->backwards_seconds;
	cov->spill_dir = xstrdup(opt && opt->spill_dir  ? opt->spill_dir
	                         : tmp && tmp[0] == '/' ? tmp
	                                                : "/tmp");
	cov->opt.spill_dir = cov->spill_dir;
	cov->extra = json_object();
	cov->seals = json_array();
	return cov;
}

void coverage_free(struct coverage *cov)
{
	if (cov == NULL)
		return;
	file_free(cov->cur);
	if (cov->records)
		fclose(cov->records);
	if (cov->summary)
		fclose(cov->summary);
	if (cov->done)
		fclose(cov->done);
	free(cov->records_buf);
	free(cov->summary_buf);
	free(cov->done_buf);
	json_decref(cov->extra);
	json_decref(cov->seals);
	free(cov->spill_dir);
	free(cov);
}

void coverage_file_present(struct coverage *cov, const char *path, const char *why)
{
	struct cov_done facts = {0};

	cov_done_add(cov, path, why ? why : "not read", &facts);
}

json_t *coverage_seals(struct coverage *cov)
{
	return cov->seals;
}

void coverage_set(struct coverage *cov, const char *key, json_t *value)
{
	json_object_set_new(cov->extra, key, value ? value : json_null());
}

static enum packing packing_of(const char *path)
{
	if (str_has_suffix(path, ".gz"))
		return PACK_GZIP;
	if (str_has_suffix(path, ".zst"))
		return PACK_ZSTD;
	if (str_has_suffix(path, ".xz") || str_has_suffix(path, ".bz2") ||
	    str_has_suffix(path, ".lz4") || str_has_suffix(path, ".zip"))
		return PACK_OTHER;
	return PACK_NONE;
}

struct cov_file *coverage_open_file(const struct coverage *cov, const char *path, int64_t mtime,
                                    uint64_t size, uint64_t offset)
{
	struct cov_file *f = xcalloc(1, sizeof(*f));
	int64_t y;
	int m;

	f->opt = &cov->opt;
	f->path = xstrdup(path);
	f->mtime = mtime;
	f->size = size;
	f->offset = offset;
	f->packing = packing_of(path);
	f->kind = KIND_SNIFF;
	f->current = LOGFORMAT_NONE;
	logformat_civil_from_epoch(mtime, &y, &m);
	f->tl.base_year = y;
	if (f->packing == PACK_OTHER || (f->packing != PACK_NONE && offset != 0)) {
		f->stopped = 1;
		f->stop_why = f->packing == PACK_OTHER
		                      ? "compressed in a format not decompressed here"
		                      : "only part of the compressed file was read";
		return f;
	}
	if (f->packing == PACK_GZIP) {
		f->gz = gunzip_new(GUNZIP_BEST);
		if (f->gz == NULL) {
			f->stopped = 1;
			f->stop_why = "cannot start the gzip decompressor";
			return f;
		}
	} else if (f->packing == PACK_ZSTD) {
		f->zd = ZSTD_createDStream();
		/* A frame may ask for a window of up to 2 GiB: 16 MiB (what zstd -19 uses at
		 * most without --long) keeps the memory per file bounded. */
		if (f->zd == NULL || ZSTD_isError(ZSTD_initDStream(f->zd)) ||
		    ZSTD_isError(ZSTD_DCtx_setParameter(f->zd, ZSTD_d_windowLogMax, 24))) {
			f->stopped = 1;
			f->stop_why = "cannot start the zstd decompressor";
			return f;
		}
	}
	if (f->packing == PACK_ZSTD)
		f->out = xmalloc(INFLATE_CHUNK);
	return f;
}

int coverage_inflates(const char *path)
{
	enum packing p = packing_of(path);

	return p == PACK_GZIP || p == PACK_ZSTD;
}

void coverage_file_begin(struct coverage *cov, const char *path, int64_t mtime, uint64_t size,
                         uint64_t offset)
{
	file_free(cov->cur);
	cov->cur = coverage_open_file(cov, path, mtime, size, offset);
}

void coverage_discard_file(struct cov_file *f)
{
	file_free(f);
}

/* --- the time line ------------------------------------------------------------------- */

static void keep_gap(struct timeline *tl, int64_t after, int64_t before, uint64_t line)
{
	int64_t secs = before - after;
	size_t n = tl->gaps < COVERAGE_KEEP ? (size_t)tl->gaps : COVERAGE_KEEP, at = n;

	tl->gaps++;
	/* The largest kept, in descending order. */
	while (at > 0 && tl->gap[at - 1].seconds < secs)
		at--;
	if (at >= COVERAGE_KEEP)
		return;
	if (n == COVERAGE_KEEP)
		n--;
	memmove(&tl->gap[at + 1], &tl->gap[at], (n - at) * sizeof(tl->gap[0]));
	tl->gap[at] = (struct cov_gap){after, before, secs, line};
}

static void keep_back(struct timeline *tl, int64_t when, int64_t newest, uint64_t line)
{
	int64_t secs = newest - when;
	size_t n = tl->backwards < COVERAGE_KEEP ? (size_t)tl->backwards : COVERAGE_KEEP, at = n;

	tl->backwards++;
	while (at > 0 && tl->back[at - 1].seconds < secs)
		at--;
	if (at >= COVERAGE_KEEP)
		return;
	if (n == COVERAGE_KEEP)
		n--;
	memmove(&tl->back[at + 1], &tl->back[at], (n - at) * sizeof(tl->back[0]));
	tl->back[at] = (struct cov_back){when, newest, secs, line};
}

/*
 * Seconds from a time in 2000 to the same wall-clock time in year: the same for every date of
 * January and February, and for every date from March on, so two numbers per year, cached
 * (this runs once per line).
 */
static int64_t year_shift(struct timeline *tl, int64_t year, int month)
{
	if (!tl->shift_valid || tl->shift_year != year) {
		tl->shift_year = year;
		tl->shift_valid = 1;
		tl->shift_early =
		        (days_from_civil(year, 1, 1) - days_from_civil(2000, 1, 1)) * 86400;
		tl->shift_late =
		        (days_from_civil(year, 3, 1) - days_from_civil(2000, 3, 1)) * 86400;
	}
	return month <= 2 ? tl->shift_early : tl->shift_late;
}

/* One event at epoch (already in its year), line (or record) number n. */
static void event_at(const struct coverage_options *opt, struct timeline *tl, int64_t epoch,
                     uint64_t n)
{
	tl->events++;
	if (!tl->have) {
		tl->have = 1;
		tl->first = tl->last = tl->newest = tl->oldest = epoch;
		return;
	}
	if (epoch > tl->newest) {
		if (epoch - tl->newest >= opt->gap_seconds)
			keep_gap(tl, tl->newest, epoch, n);
		tl->newest = epoch;
	} else if (tl->newest - epoch > opt->backwards_seconds) {
		keep_back(tl, epoch, tl->newest, n);
	}
	if (epoch < tl->oldest)
		tl->oldest = epoch;
	tl->last = epoch;
}

static void event_line(struct cov_file *f, const struct logline_time *t)
{
	struct timeline *tl = &f->tl;
	int64_t epoch = t->epoch;

	if (t->local)
		tl->local++;
	else
		tl->zoned++;
	if (t->no_year) {
		/* A month far back is the next year (Dec -> Jan); far ahead, the year before. */
		if (tl->prev_month && t->month < tl->prev_month - 6)
			tl->wraps++;
		else if (tl->prev_month && t->month > tl->prev_month + 6)
			tl->wraps--;
		tl->prev_month = t->month;
		tl->yearless = 1;
		epoch += year_shift(tl, tl->base_year + tl->wraps, t->month);
	}
	event_at(f->opt, tl, epoch, f->lines);
}

/* Every time of the line moved by years (the year of lines without one, settled at the end). */
static void timeline_shift(struct timeline *tl, int64_t years)
{
	size_t ng = tl->gaps < COVERAGE_KEEP ? (size_t)tl->gaps : COVERAGE_KEEP;
	size_t nb = tl->backwards < COVERAGE_KEEP ? (size_t)tl->backwards : COVERAGE_KEEP;

	if (years == 0)
		return;
	tl->first = logformat_add_years(tl->first, years);
	tl->last = logformat_add_years(tl->last, years);
	tl->newest = logformat_add_years(tl->newest, years);
	tl->oldest = logformat_add_years(tl->oldest, years);
	for (size_t i = 0; i < ng; i++) {
		tl->gap[i].after = logformat_add_years(tl->gap[i].after, years);
		tl->gap[i].before = logformat_add_years(tl->gap[i].before, years);
	}
	for (size_t i = 0; i < nb; i++) {
		tl->back[i].when = logformat_add_years(tl->back[i].when, years);
		tl->back[i].newest = logformat_add_years(tl->back[i].newest, years);
	}
}

/*
 * Lines without a year: the file was last written at its mtime, so its last line is of the
 * mtime's year, or of the year before when its date falls after the mtime (a file written last
 * on 2 January whose last line says 31 December). Rotation keeps a generation's mtime, so each
 * generation gets its own year. Returns the year of the last line.
 */
static int64_t settle_year(struct cov_file *f)
{
	struct timeline *tl = &f->tl;
	int64_t year = tl->base_year + tl->wraps, want = tl->base_year;

	if (!tl->have)
		return year;
	if (logformat_add_years(tl->last, want - year) > f->mtime + 86400)
		want--;
	timeline_shift(tl, want - year);
	return want;
}

/* --- text lines ---------------------------------------------------------------------- */

static const enum logformat try_order[] = {
        LOGFORMAT_RFC5424, LOGFORMAT_RFC3164,  LOGFORMAT_ISO, LOGFORMAT_AUDITD,
        LOGFORMAT_JSON,    LOGFORMAT_COMBINED, LOGFORMAT_W3C,
};

static int w3c_directive(const char *p, size_t len)
{
	static const char *const names[] = {"#Fields:", "#Version:",    "#Software:", "#Date:",
	                                    "#Remark:", "#Start-Date:", "#End-Date:"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);

		if (len >= n && memcmp(p, names[i], n) == 0)
			return 1;
	}
	return 0;
}

/* One line, its first len bytes (at most LINE_KEEP) without the newline. */
static void text_line(struct cov_file *f, const char *p, size_t len)
{
	struct logline_time t;

	f->lines++;
	/* A line that starts after a run of NULs (a wiped region) is read from after them. */
	while (len > 0 && *p == '\0') {
		p++;
		len--;
	}
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len == 0) {
		f->empty++;
		return;
	}
	if (*p == '#' && w3c_directive(p, len)) {
		f->w3c = 1;
		f->directives++;
		return;
	}
	if (f->current != LOGFORMAT_NONE &&
	    logformat_parse_memo(f->current, p, len, &t, &f->memo)) {
		f->formats[f->current]++;
		event_line(f, &t);
		return;
	}
	for (size_t i = 0; i < sizeof(try_order) / sizeof(try_order[0]); i++) {
		enum logformat lf = try_order[i];

		/* Without #Fields: a "date time" line is ISO syslog; with it, W3C (UTC). */
		if (f->w3c && lf == LOGFORMAT_ISO)
			lf = LOGFORMAT_W3C;
		else if (lf == LOGFORMAT_W3C && !f->w3c)
			continue;
		if (lf == f->current || !logformat_parse_memo(lf, p, len, &t, &f->memo))
			continue;
		f->current = lf;
		f->formats[lf]++;
		event_line(f, &t);
		return;
	}
	if (f->unparsable < COVERAGE_KEEP)
		f->unparsable_at[f->unparsable] = f->lines;
	f->unparsable++;
}

static void nul_run_end(struct cov_file *f)
{
	size_t n = f->nul_runs < COVERAGE_KEEP ? (size_t)f->nul_runs : COVERAGE_KEEP, at = n;

	f->in_nul = 0;
	f->nul_runs++;
	f->nul_bytes += f->nul_len;
	while (at > 0 && f->nul[at - 1].length < f->nul_len)
		at--;
	if (at >= COVERAGE_KEEP)
		return;
	if (n == COVERAGE_KEEP)
		n--;
	memmove(&f->nul[at + 1], &f->nul[at], (n - at) * sizeof(f->nul[0]));
	f->nul[at] = (struct cov_run){f->nul_start, f->nul_len};
}

/* Runs of NUL bytes in buf, which starts at offset base of the analysed stream. */
static void text_nuls(struct cov_file *f, const char *buf, size_t len, uint64_t base)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		if (f->in_nul) {
			while (p < end && *p == '\0')
				p++;
			f->nul_len = (uint64_t)(p - buf) + base - f->nul_start;
			if (p < end)
				nul_run_end(f);
			continue;
		}
		p = memchr(p, '\0', (size_t)(end - p));
		if (p == NULL)
			break;
		f->in_nul = 1;
		f->nul_start = base + (uint64_t)(p - buf);
	}
}

static void line_keep(struct cov_file *f, const char *p, size_t n)
{
	size_t room = LINE_KEEP - f->line_len;

	/* NULs before a line's text (a wiped region) are not kept: the text after them is. */
	while (f->line_len == 0 && !f->line_over && n > 0 && *p == '\0') {
		p++;
		n--;
	}

	if (n > room) {
		n = room;
		f->line_over = 1;
	}
	memcpy(f->line + f->line_len, p, n);
	f->line_len += n;
}

static void text_feed(struct cov_file *f, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	text_nuls(f, buf, len, f->analysed);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL) {
			line_keep(f, p, (size_t)(end - p));
			return;
		}
		if (f->line_len == 0 && !f->line_over) {
			/* The whole line is in this buffer: parse it where it is. */
			const char *text = p;
			size_t n;

			while (text < nl && *text == '\0')
				text++;
			n = (size_t)(nl - text);

			if (n > LINE_KEEP) {
				n = LINE_KEEP;
				f->long_lines++;
			}
			text_line(f, text, n);
		} else {
			line_keep(f, p, (size_t)(nl - p));
			if (f->line_over)
				f->long_lines++;
			text_line(f, f->line, f->line_len);
			f->line_len = 0;
			f->line_over = 0;
		}
		p = nl + 1;
	}
}

/* --- records ------------------------------------------------------------------------- */

static void utmp_record(struct cov_file *f)
{
	struct utmp_info u;

	utmp_parse(f->rec, &u);
	f->records++;
	if (u.cleared) {
		if (f->cleared < COVERAGE_KEEP)
			f->cleared_at[f->cleared] = f->analysed - UTMP_RECORD_SIZE;
		f->cleared++;
		return;
	}
	if (u.type >= 0 && u.type <= 9)
		f->types[u.type]++;
	else
		f->bad_type++;
	if (u.valid)
		event_at(f->opt, &f->tl, u.epoch, f->records);
}

static void utmp_feed(struct cov_file *f, const unsigned char *p, size_t len)
{
	while (len > 0) {
		size_t take = UTMP_RECORD_SIZE - f->rec_len;

		take = take < len ? take : len;
		memcpy(f->rec + f->rec_len, p, take);
		f->rec_len += take;
		f->analysed += take;
		p += take;
		len -= take;
		if (f->rec_len == UTMP_RECORD_SIZE) {
			utmp_record(f);
			f->rec_len = 0;
		}
	}
}

/*
 * Binary files the profiles collect that are no log of lines: lastlog, faillog, tallylog
 * (arrays indexed by UID, zero where unused), and journal files whose header is not in
 * what was read (only their end was kept).
 */
static int binary_name(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strncmp(base, "lastlog", 7) == 0 || strncmp(base, "faillog", 7) == 0 ||
	       strncmp(base, "tallylog", 8) == 0 || str_has_suffix(base, ".journal") ||
	       str_has_suffix(base, ".journal~");
}

/* An entry of the journal file being walked (ctx: the file). */
static void journal_entry(void *ctx, uint64_t realtime, const uint8_t boot_id[16])
{
	struct cov_file *f = ctx;
	size_t i;

	for (i = 0; i < f->n_boot_ids; i++)
		if (memcmp(f->boot_ids[i], boot_id, 16) == 0)
			break;
	if (i == f->n_boot_ids) {
		if (f->n_boot_ids < MAX_BOOT_IDS) {
			f->boot_ids = xreallocarray(f->boot_ids, f->n_boot_ids + 1, 16);
			memcpy(f->boot_ids[f->n_boot_ids++], boot_id, 16);
		} else {
			f->boot_ids_more++;
		}
	}
	event_at(f->opt, &f->tl, (int64_t)(realtime / 1000000), f->journal.entries_seen);
}

/* A record of the .evtx file being walked (ctx: the file). */
static void evtx_record(void *ctx, uint64_t record_id, int64_t written)
{
	struct cov_file *f = ctx;

	event_at(f->opt, &f->tl, written, record_id);
}

/* --- dispatch ------------------------------------------------------------------------ */

static void choose_kind(struct cov_file *f)
{
	if (f->sniff_len >= 8 && memcmp(f->sniff, JOURNAL_SIGNATURE, 8) == 0) {
		f->kind = KIND_JOURNAL;
		journal_scan_init(&f->journal, journal_entry, f);
	} else if (f->sniff_len >= 8 && memcmp(f->sniff, "ElfFile", 8) == 0) {
		f->kind = KIND_EVTX;
		evtx_scan_init(&f->evtx, evtx_record, f);
	} else if (utmp_name(f->path)) {
		f->kind = KIND_UTMP;
	} else if (binary_name(f->path)) {
		f->kind = KIND_OTHER;
	} else {
		f->kind = KIND_TEXT;
		f->line = xmalloc(LINE_KEEP);
	}
}

/* Analyse decompressed bytes, in file order from the first fed. */
static void analyse(struct cov_file *f, const unsigned char *p, size_t len)
{
	if (f->kind == KIND_SNIFF) {
		size_t take = sizeof(f->sniff) - f->sniff_len;

		take = take < len ? take : len;
		memcpy(f->sniff + f->sniff_len, p, take);
		f->sniff_len += take;
		if (f->sniff_len < sizeof(f->sniff))
			return;
		choose_kind(f);
		/* Replay the sniffed bytes, then the rest of this buffer. */
		analyse(f, f->sniff, f->sniff_len - take);
		analyse(f, p, len);
		return;
	}
	switch (f->kind) {
	case KIND_TEXT:
		text_feed(f, (const char *)p, len);
		f->analysed += len;
		break;
	case KIND_UTMP:
		utmp_feed(f, p, len);
		break;
	case KIND_JOURNAL:
		journal_scan_feed(&f->journal, p, len);
		f->analysed += len;
		break;
	case KIND_EVTX:
		evtx_scan_feed(&f->evtx, p, len);
		f->analysed += len;
		break;
	case KIND_SNIFF:
	case KIND_OTHER:
		f->analysed += len;
		break;
	}
}

static int too_much(struct cov_file *f)
{
	if (f->analysed > RATIO_SLACK && f->analysed / MAX_RATIO > f->fed) {
		f->stopped = 1;
		f->stop_why = "decompressed more than 200 times the compressed size";
		return 1;
	}
	return 0;
}

/* A piece of a generation's decompressed text: analysed, unless it is too much. */
static int take_decoded(void *arg, const unsigned char *buf, size_t len)
{
	struct cov_file *f = arg;

	analyse(f, buf, len);
	return f->stopped || too_much(f);
}

static void feed_gzip(struct cov_file *f, const void *buf, size_t len)
{
	if (gunzip_feed(f->gz, buf, len, take_decoded, f) < 0) {
		f->stopped = 1;
		f->stop_why = "gzip data is damaged";
	}
}

static void feed_zstd(struct cov_file *f, const void *buf, size_t len)
{
	ZSTD_inBuffer in = {buf, len, 0};
	ZSTD_outBuffer out;

	/* A full buffer may leave output held back: go on until one comes back short. */
	do {
		size_t r;

		out = (ZSTD_outBuffer){f->out, INFLATE_CHUNK, 0};
		r = ZSTD_decompressStream(f->zd, &out, &in);
		if (ZSTD_isError(r)) {
			f->stopped = 1;
			f->stop_why = "zstd data is damaged";
			return;
		}
		analyse(f, f->out, out.pos);
		if (too_much(f))
			return;
	} while ((in.pos < in.size || out.pos == out.size) && !f->stopped);
}

void coverage_file_data(struct coverage *cov, const void *buf, size_t len)
{
	if (cov->cur)
		coverage_feed_file(cov->cur, buf, len);
}

void coverage_feed_file(struct cov_file *f, const void *buf, size_t len)
{
	f->fed += len;
	if (f->stopped)
		return;
	switch (f->packing) {
	case PACK_GZIP:
		feed_gzip(f, buf, len);
		break;
	case PACK_ZSTD:
		feed_zstd(f, buf, len);
		break;
	case PACK_NONE:
		analyse(f, buf, len);
		break;
	case PACK_OTHER:
		break;
	}
}

void coverage_file_end(struct coverage *cov)
{
	struct cov_file *f = cov->cur;

	cov->cur = NULL;
	if (f)
		coverage_close_file(cov, f);
}

void coverage_close_file(struct coverage *cov, struct cov_file *f)
{
	json_t *rec, *findings;
	struct cov_done facts = {0};
	int64_t year = 0;

	if (str_has_suffix(f->path, ".logsig") || strstr(f->path, ".logsig.parts/"))
		json_array_append_new(cov->seals,
		                      json_pack("{s:o,s:s}", "path", json_sprintf("/%s", f->path),
		                                "kind", "rsyslog KSI signature (lmsig_ksi_ls12)"));
	if (f->kind == KIND_SNIFF && !f->stopped && f->sniff_len > 0) {
		/* A file shorter than the sniff: analyse what there is. */
		size_t n = f->sniff_len;

		f->sniff_len = sizeof(f->sniff);
		choose_kind(f);
		analyse(f, f->sniff, n);
	}
	if (f->kind == KIND_TEXT && (f->line_len > 0 || f->line_over)) {
		if (f->line_over)
			f->long_lines++;
		text_line(f, f->line, f->line_len);
	}
	if (f->in_nul)
		nul_run_end(f);
	if (f->tl.yearless)
		year = settle_year(f);
	rec = json_object();
	findings = json_array();
	json_object_set_new(rec, "path", json_sprintf("/%s", f->path));
	if (f->packing != PACK_NONE)
		json_object_set_new(rec, "compression",
		                    json_string(f->packing == PACK_GZIP   ? "gzip"
		                                : f->packing == PACK_ZSTD ? "zstd"
		                                                          : "other"));
	if (f->offset)
		json_object_set_new(rec, "from_offset", json_integer((json_int_t)f->offset));
	json_object_set_new(rec, "bytes_analysed", json_integer((json_int_t)f->analysed));
	if (f->stopped) {
		json_object_set_new(rec, "not_analysed", json_string(f->stop_why));
		json_object_set_new(rec, "format", json_string("unknown"));
	} else {
		switch (f->kind) {
		case KIND_TEXT:
			cov_text_json(f, rec, findings);
			break;
		case KIND_UTMP:
			cov_utmp_json(f, rec, findings);
			break;
		case KIND_JOURNAL:
			cov_journal_json(f, rec, findings);
			break;
		case KIND_EVTX:
			evtx_scan_end(&f->evtx);
			cov_evtx_json(f, rec, findings);
			break;
		case KIND_SNIFF:
			json_object_set_new(rec, "format", json_string("empty"));
			break;
		case KIND_OTHER:
			json_object_set_new(rec, "format", json_string("binary"));
			break;
		}
	}
	cov_timeline_json(&f->tl, rec);
	if (f->tl.yearless)
		json_object_set_new(rec, "year",
		                    json_pack("{s:s,s:I}", "source",
		                              "file mtime (lines have no year)", "last_event_year",
		                              (json_int_t)year));
	if (f->tl.gaps)
		json_array_append_new(findings, json_string("gaps"));
	if (f->tl.backwards)
		json_array_append_new(findings, json_string("backwards"));
	json_object_set_new(rec, "findings", findings);
	cov_spill_record(cov, rec);
	json_decref(rec);
	facts.have = f->tl.have != 0;
	facts.first = f->tl.oldest;
	facts.last = f->tl.newest;
	facts.whole = f->offset == 0 && !f->stopped;
	facts.local = f->tl.local && !f->tl.zoned;
	cov_done_add(cov, f->path, NULL, &facts);
	if (f->tl.have && (!cov->have_newest || f->tl.newest > cov->newest)) {
		cov->have_newest = 1;
		cov->newest = f->tl.newest;
		cov->newest_local = f->tl.local > 0;
	}
	file_free(f);
}
