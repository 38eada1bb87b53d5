/*
 * A compressed payload file decompressed on a thread of its own while pass 1 of redaction
 * reads it: the reader pushes the member's bytes as they go by, the thread decompresses them
 * (bundle/redact-stream.h) and hands the decompressed bytes to a callback. So the rotations are
 * scanned in the one read that verifies the source, not in a second read of it.
 */
#ifndef LOGPACK_REDACT_UNPACK_H
#define LOGPACK_REDACT_UNPACK_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "bundle/redact-stream.h"

struct redact_unpack;

/*
 * Start the thread: the bytes pushed are decompressed as kind, at most max_out of them, and fn
 * gets them on the thread (fn returns -1 to stop, with err, the error given to finish). fn must
 * not share unlocked state with the caller until redact_unpack_finish. 0, or -1 with err (the
 * thread could not start).
 */
int redact_unpack_start(struct redact_unpack **out, enum redact_compression kind, uint64_t max_out,
                        int (*fn)(void *ctx, const void *buf, size_t len), void *ctx,
                        struct error *err);
/* The member's next bytes (copied). Waits while the thread is behind; once it stopped, drops. */
void redact_unpack_push(struct redact_unpack *u, const void *buf, size_t len);
/*
 * The member's bytes ended: waits for the thread and frees u. Returns as redact_decompress: 0;
 * -1 with err (fn stopped); -2 with err when the bytes are not a whole, valid stream of that
 * compression (or too big), a member to drop.
 */
int redact_unpack_finish(struct redact_unpack *u, struct error *err);

#endif
