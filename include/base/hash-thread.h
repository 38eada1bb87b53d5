/*
 * SHA-256 on a thread of its own, over buffers that the caller fills once and then reads
 * again for another consumer (the archive and its compressor): the same bytes go to the hash
 * and to the bundle without a copy, and hashing runs beside compressing instead of before it.
 *
 * The buffers form a ring. hash_thread_buffer hands out the next one (waiting until the
 * hasher is done with it); hash_thread_submit queues its first len bytes for a hash; the
 * caller may go on reading them, never writing, until its next hash_thread_buffer call.
 * Chunks are hashed in the order submitted. A struct sha256 given to submit belongs to the
 * hasher thread until hash_thread_wait returns: only then may the caller update, finish or
 * discard it.
 */
#ifndef LOGPACK_HASH_THREAD_H
#define LOGPACK_HASH_THREAD_H

#include <stddef.h>

#include "base/hash.h"
#include "base/util.h"

#define HASH_THREAD_CHUNK (1024 * 1024)

struct hash_thread;

/* Start the thread. Returns 0, or -1 with the reason in err. */
int hash_thread_new(struct hash_thread **out, struct error *err);
/* The next buffer to fill, HASH_THREAD_CHUNK bytes; the same one until it is submitted. */
unsigned char *hash_thread_buffer(struct hash_thread *ht);
/* Is p the start of the buffer hash_thread_buffer hands out now? */
int hash_thread_is_buffer(const struct hash_thread *ht, const void *p);
/*
 * Takes the bytes of a chunk on the hashing thread, just after they were hashed: a second
 * reader of the same bytes while they are still in the CPU's cache.
 */
typedef void (*hash_thread_tap_fn)(void *ctx, const unsigned char *buf, size_t len);

/* Hash the first len bytes of the buffer handed out into h. */
void hash_thread_submit(struct hash_thread *ht, struct sha256 *h, size_t len);
/* The same, and tap(ctx, ...) is given those bytes too, in the order of the chunks. */
void hash_thread_submit_tapped(struct hash_thread *ht, struct sha256 *h, size_t len,
                               hash_thread_tap_fn tap, void *ctx);
/* Wait until every chunk submitted is hashed. */
void hash_thread_wait(struct hash_thread *ht);
/* Finish what is queued, stop the thread and free everything. Safe on NULL. */
void hash_thread_free(struct hash_thread *ht);

#endif
