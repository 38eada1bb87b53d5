/* The coverage report's state, shared by its files (coverage.c, coverage-doc.c) only. */
#ifndef LOGPACK_REPORT_COVERAGE_PRIVATE_H
#define LOGPACK_REPORT_COVERAGE_PRIVATE_H

#include <stdint.h>

#include <jansson.h>

#include "report/coverage.h"

struct cov_gap {
	int64_t after, before, seconds;
	uint64_t line;
};

struct cov_back {
	int64_t when, newest, seconds;
	uint64_t line;
};

struct cov_run {
	uint64_t offset, length;
};

/* A file done: what the rotation sets need of it. */
struct cov_done {
	char *path;     /* relative to the root */
	json_t *record; /* NULL: present, not read (coverage_file_present) */
	char *why;      /* why not read */
	int have;       /* it has events */
	int whole;      /* it was read from its start (not a segment, not skipped) */
	int64_t first, last;
	int local; /* its times are wall-clock times of unknown zone */
};

struct cov_file;

struct coverage {
	struct coverage_options opt;
	struct cov_file *cur;
	json_t *logs;  /* one record per file, in order */
	json_t *extra; /* clock, time zone, forwarding */
	json_t *seals; /* signature and MAC files met among the logs */
	struct cov_done *done;
	size_t n_done;
	int have_newest, newest_local;
	int64_t newest;
};

/* An ISO 8601 time; without the "Z" when local (a wall-clock time of unknown zone). */
json_t *coverage_time_json(int64_t epoch, int local);

#endif
