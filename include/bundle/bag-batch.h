/*
 * Small members written into the archive on a thread of their own, in batches (bundle/bag.c).
 *
 * At many small files the thread that reads them spends about a sixth of its time in the
 * archive writer's header code, work that needs no system call and can run beside the reading.
 * The caller appends whole members (name, time, bytes) to a batch; a full batch goes to the
 * thread, which hands each member to write_fn in the order added, while the caller fills the
 * other batch. The thread owns the archive from the first member added until bag_batch_sync
 * returns: only then may the caller write anything else into it.
 *
 * A member that write_fn refuses stops the thread's work: nothing more is written, and the next
 * hand-over (bag_batch_end with a full batch, bag_batch_sync) returns -1 with its error.
 */
#ifndef LOGPACK_BAG_BATCH_H
#define LOGPACK_BAG_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* The largest member that goes through a batch; a larger one is written by the caller. */
#define BAG_BATCH_MEMBER_MAX (64 * 1024)

/* Writes one member into the archive, on the batch thread. 0, or -1 with err. */
typedef int (*bag_batch_write_fn)(void *ctx, const char *name, int64_t mtime, const void *data,
                                  size_t size, struct error *err);

struct bag_batch;

/* Start the thread. 0, or -1 with err. */
int bag_batch_new(struct bag_batch **out, bag_batch_write_fn write_fn, void *ctx,
                  struct error *err);
/* A member of size bytes (at most BAG_BATCH_MEMBER_MAX) begins: its bytes follow. */
void bag_batch_begin(struct bag_batch *bb, const char *name, size_t name_len, size_t size,
                     int64_t mtime);
/* Bytes of the member begun: size of them in all before bag_batch_end. */
void bag_batch_add(struct bag_batch *bb, const void *data, size_t len);
/* The member begun and not ended is left out (it did not get its bytes): what was added before
 * stays. Nothing happens when none is. */
void bag_batch_drop(struct bag_batch *bb);
/* The member is complete; a full batch goes to the thread. 0, or -1 with the thread's error. */
int bag_batch_end(struct bag_batch *bb, struct error *err);
/* Every member added is written when this returns 0; -1 with the thread's error. */
int bag_batch_sync(struct bag_batch *bb, struct error *err);
/* Stop the thread once it has written the batch it holds (if any; the filling one is dropped),
 * and free everything. Safe on NULL. */
void bag_batch_free(struct bag_batch *bb);

#endif
