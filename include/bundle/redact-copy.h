/*
 * Pass 2 of redaction hands each finished member (its redacted bytes in a temporary file) to a
 * thread of its own that copies it into the derived bag, so that the next member is redacted
 * while this one is compressed and hashed into the bundle. The bag writer is the thread's alone
 * from redact_copier_start to redact_copier_finish; members go in in the order they are given.
 */
#ifndef LOGPACK_REDACT_COPY_H
#define LOGPACK_REDACT_COPY_H

#include <stdint.h>

#include "base/util.h"
#include "bundle/bag.h"

struct redact_copier;

/* dir: where the temporary files are (for messages). 0, or -1 with err. */
int redact_copier_start(struct redact_copier **out, struct bag_writer *bw, const char *dir,
                        struct error *err);
/*
 * The temporary file fd becomes the payload file "data/<path>" (mtime: the bag's time), or, for
 * redact_copier_tag, the tag file name. Both take fd (closed when copied) and their string.
 * Waits until the member given before is copied (so at most two temporary files exist: one
 * copied, one written). -1 with err when an earlier copy failed: nothing more is taken, and
 * the run should stop.
 */
int redact_copier_payload(struct redact_copier *c, int fd, char *path, int64_t mtime,
                          struct error *err);
int redact_copier_tag(struct redact_copier *c, int fd, char *name, struct error *err);
/* Waits for every member given, stops the thread and frees c: 0, or -1 with err. */
int redact_copier_finish(struct redact_copier *c, struct error *err);
/*
 * Stops without waiting for the copies (after a failure elsewhere; the copy under way stops at
 * its next piece); safe on NULL. When a copy had failed on its own, err (if not NULL) gets
 * its error: it came first in the bundle's order.
 */
void redact_copier_abort(struct redact_copier *c, struct error *err);

#endif
