/*
 * libFuzzer target for the coverage report's parsers, which all read attacker-written bytes:
 * the first byte chooses what the rest is taken as (a text log, a wtmp file, a journal file,
 * a gzip or zstd generation, a configuration file for the clock or forwarding, or a
 * coverage.json read back by 'show'). Each must finish without a crash or a leak, fed in
 * pieces of any size. Logs are also read as a journal file by the export-text reader. Build and run
 * it with tests/fuzz-coverage.sh ("make fuzz" runs both).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/clock.h"
#include "report/coverage.h"
#include "report/forwarding.h"
#include "report/journal-export.h"
#include "report/logformat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
        "var/log/syslog",      "var/log/wtmp",         "var/log/journal/m/system.journal",
        "var/log/syslog.2.gz", "var/log/syslog.3.zst", "var/log/app.log",
        "var/log/syslog.1",    "var/log/x.logsig",
};

/* Feed the report in pieces whose sizes come from the input too. */
static void feed_log(const uint8_t *data, size_t size, uint8_t sel)
{
	struct coverage_options o = {.gap_seconds = 60, .backwards_seconds = 1};
	struct coverage *cov = coverage_new(&o);
	size_t step = 1 + (sel >> 3) * 37;
	json_t *doc;
	char *summary, *text;

	coverage_file_begin(cov, names[sel % 8], 1772500000, size, 0);
	for (size_t at = 0; at < size; at += step)
		coverage_file_data(cov, data + at, size - at < step ? size - at : step);
	coverage_file_end(cov);
	/* A second generation so that the rotation sets have something to compare. */
	coverage_file_begin(cov, names[(sel + 6) % 8], 1772400000, size, 0);
	coverage_file_data(cov, data, size);
	coverage_file_end(cov);
	doc = coverage_document(cov, 1772600000);
	summary = coverage_summary(doc);
	text = json_dumps(doc, JSON_COMPACT);
	free(summary);
	free(text);
	json_decref(doc);
	coverage_free(cov);
}

struct memory_file {
	const uint8_t *data;
	size_t size;
};

static int read_memory(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct memory_file *m = ctx;

	if (off > m->size || len > m->size - off)
		return -1;
	memcpy(buf, m->data + off, len);
	return 0;
}

static int discard(void *ctx, const void *buf, size_t len, struct error *err)
{
	(void)ctx;
	(void)buf;
	(void)len;
	(void)err;
	return 0;
}

/* The whole input as a journal file, turned into export text that goes nowhere. */
static void export_journal(const uint8_t *data, size_t size)
{
	struct memory_file m = {data, size};
	struct journal_export_counts counts;
	struct error err;

	journal_export(read_memory, &m, size, discard, NULL, &counts, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sel;
	json_t *out;

	if (size == 0)
		return 0;
	sel = data[0];
	data++;
	size--;
	switch (sel % 4) {
	case 0:
	case 1:
		feed_log(data, size, sel >> 1);
		export_journal(data, size);
		break;
	case 2:
		out = json_array();
		forwarding_parse((enum forwarding_kind)((sel >> 2) % 5), "/f", (const char *)data,
		                 size, out);
		forwarding_slog_macs("/f", (const char *)data, size, out);
		clock_config_servers((sel >> 2) & 1 ? "timesyncd" : "chrony", (const char *)data,
		                     size, out);
		json_decref(out);
		break;
	case 3: {
		json_t *doc = json_loadb((const char *)data, size, 0, NULL);
		char *summary = coverage_summary(doc);
		struct logline_time t;

		free(summary);
		json_decref(doc);
		struct logformat_memo memo = {0};

		/* Each line in every format, with one memo as a file keeps it: a memo must give
		 * what a full read gives. */
		for (const char *line = (const char *)data, *end = line + size; line < end;) {
			const char *nl = memchr(line, '\n', (size_t)(end - line));
			size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);

			for (int f = 1; f < LOGFORMAT_COUNT; f++) {
				struct logline_time m;
				int rf = logformat_parse((enum logformat)f, line, len, &t);
				int rm = logformat_parse_memo((enum logformat)f, line, len, &m,
				                              &memo);

				if (rf != rm || (rf && memcmp(&t, &m, sizeof(t)) != 0))
					abort();
			}
			line += len + 1;
		}
		break;
	}
	}
	return 0;
}
