/*
 * One file's state in the coverage report, shared by coverage.c (the accumulator fed buffer by
 * buffer) and coverage-record.c (the file's record in coverage.json, made at its end).
 */
#ifndef LOGPACK_COVERAGE_FILE_H
#define LOGPACK_COVERAGE_FILE_H

#include <stdint.h>

#include <jansson.h>
#include <zstd.h>

#include "report/coverage-private.h"
#include "report/evtx.h"
#include "report/journalfile.h"
#include "report/logformat.h"
#include "report/utmp.h"

/* The start of a line kept for parsing: every time stamp logpack reads is near the start. */
#define LINE_KEEP 4096
#define INFLATE_CHUNK 65536
/* Decompression stops (and says so) past this ratio: a bomb cannot keep the read busy. */
#define MAX_RATIO 200
#define RATIO_SLACK (16u * 1024 * 1024)
/* Boot IDs kept per journal file. */
#define MAX_BOOT_IDS 64

enum kind { KIND_SNIFF, KIND_TEXT, KIND_UTMP, KIND_JOURNAL, KIND_EVTX, KIND_OTHER };
enum packing { PACK_NONE, PACK_GZIP, PACK_ZSTD, PACK_OTHER };

struct timeline {
	uint64_t events;
	int have;
	int64_t first, last, newest, oldest;
	uint64_t local, zoned;
	/* Lines without a year (RFC 3164): wraps over New Year counted as they come. */
	int yearless;
	int64_t base_year, wraps;
	int prev_month;
	int shift_valid;
	int64_t shift_year, shift_early, shift_late; /* year_shift's cache */
	uint64_t gaps;
	struct cov_gap gap[COVERAGE_KEEP];
	uint64_t backwards;
	struct cov_back back[COVERAGE_KEEP];
};

struct cov_file {
	const struct coverage_options *opt; /* the report's, read only */
	char *path;
	int64_t mtime;
	uint64_t size, offset;
	enum packing packing;
	enum kind kind;
	uint64_t fed, analysed; /* bytes fed (as stored), bytes analysed (decompressed) */
	int stopped;            /* analysis stopped early: why */
	const char *stop_why;
	struct gunzip *gz;
	ZSTD_DStream *zd;
	unsigned char *out; /* decompressed chunk */
	unsigned char sniff[8];
	size_t sniff_len;
	/* Text. */
	char *line;
	size_t line_len;
	int line_over;
	uint64_t lines, long_lines, empty, directives, unparsable;
	uint64_t unparsable_at[COVERAGE_KEEP];
	uint64_t formats[LOGFORMAT_COUNT];
	enum logformat current;
	struct logformat_memo memo; /* the last minute read */
	int w3c;
	/* NUL runs (text only: binary formats hold zeros by design). */
	int in_nul;
	uint64_t nul_start, nul_len, nul_runs, nul_bytes;
	struct cov_run nul[COVERAGE_KEEP];
	/* Records. */
	unsigned char rec[UTMP_RECORD_SIZE];
	size_t rec_len;
	uint64_t records, cleared, empty_type, bad_type;
	uint64_t cleared_at[COVERAGE_KEEP];
	uint64_t types[10];
	struct journal_scan journal;
	uint8_t (*boot_ids)[16];
	size_t n_boot_ids;
	uint64_t boot_ids_more;
	struct evtx_scan evtx;
	struct timeline tl;
};

/* The parts of a file's record: its time line, and what its kind adds (with findings). */
json_t *cov_timeline_json(const struct timeline *tl, json_t *rec);
void cov_text_json(struct cov_file *f, json_t *rec, json_t *findings);
void cov_utmp_json(struct cov_file *f, json_t *rec, json_t *findings);
void cov_journal_json(struct cov_file *f, json_t *rec, json_t *findings);
void cov_evtx_json(struct cov_file *f, json_t *rec, json_t *findings);

#endif
