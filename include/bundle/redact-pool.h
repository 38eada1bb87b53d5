/*
 * The lines of one file through several tokenisers at once. The lines are gathered into
 * batches of about 256 KiB; worker threads, each with its own tokeniser_worker, scan or redact
 * a batch line by line (exactly as one tokeniser would, line for line), and the redacted
 * batches are handed out in their order. The address map must be sealed before redacting, so
 * that the result does not depend on which worker meets an address first.
 */
#ifndef LOGPACK_REDACT_POOL_H
#define LOGPACK_REDACT_POOL_H

#include <stddef.h>

#include "base/util.h"
#include "trust/tokenise.h"

struct line_pool;

/* Where the redacted text goes, in order: 0, or -1 with err. */
typedef int (*line_pool_out)(void *ctx, const char *buf, size_t len, struct error *err);

/* workers threads (at least 1) on tokenisers made from tk. NULL with err when none starts. */
struct line_pool *line_pool_new(struct tokeniser *tk, int workers, struct error *err);
/*
 * The lines that follow are scanned (out NULL: their addresses are noted) or redacted onto
 * out. The pool must be idle: new, or after line_pool_finish.
 */
void line_pool_begin(struct line_pool *pl, line_pool_out out, void *ctx);
/* One line (nl: it ended with a newline, which the output keeps). 0, or -1 with err. */
int line_pool_line(struct line_pool *pl, const char *l, size_t n, int nl, struct error *err);
/* Waits for every line given, and hands the rest out. 0, or -1 with the first error met. */
int line_pool_finish(struct line_pool *pl, struct error *err);
/* Stops and joins the workers (the lines in flight are dropped). */
void line_pool_free(struct line_pool *pl);

#endif
