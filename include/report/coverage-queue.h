/*
 * The coverage report fed from the reading thread but analysed on a thread of its own: the
 * lines of a log are parsed and its compressed generations inflated while the next buffer is
 * read, hashed and compressed, instead of in between. Each call is queued in order with a copy
 * of its bytes, in batches handed over when full or drained (sixteen of 256 KiB at most; the
 * reader waits when the analysis falls behind).
 * Without a thread (one CPU, -j 1) the calls go straight to the report.
 */
#ifndef LOGPACK_REPORT_COVERAGE_QUEUE_H
#define LOGPACK_REPORT_COVERAGE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "report/coverage.h"

struct coverage_queue;

/* A queue in front of cov (which stays the caller's). 0, or -1 with err set. */
int coverage_queue_new(struct coverage_queue **out, struct coverage *cov, int threaded,
                       struct error *err);
/* As coverage_file_begin, coverage_file_data, coverage_file_end, coverage_file_present. */
void coverage_queue_begin(struct coverage_queue *q, const char *path, int64_t mtime, uint64_t size,
                          uint64_t offset);
void coverage_queue_data(struct coverage_queue *q, const void *buf, size_t len);
void coverage_queue_end(struct coverage_queue *q);
void coverage_queue_present(struct coverage_queue *q, const char *path, const char *why);
/*
 * As coverage_close_file, in its turn among the calls queued: for a file analysed elsewhere
 * (coverage_open_file), once nothing else uses f. The queue takes f.
 */
void coverage_queue_close(struct coverage_queue *q, struct cov_file *f);
/* Wait until everything queued is analysed: the report may then be finished. */
void coverage_queue_drain(struct coverage_queue *q);
/* Drain, stop the thread, free the queue (not the report). Safe on NULL. */
void coverage_queue_free(struct coverage_queue *q);

#endif
