/* SHA-256 on a thread of its own, over a ring of buffers the caller fills. */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash-thread.h"
#include "base/thread.h"

/* Four chunks in flight: the reader fills one while the hasher works through the others. */
#define RING 4

/*
 * A tapped chunk goes to the hash and to the tap in pieces of this size, each piece to both in
 * turn: the tap then reads bytes the hash has just brought into the cache.
 */
#define TAP_PIECE (128 * 1024)

struct ring_slot {
	unsigned char *buf;
	size_t len;
	struct sha256 *hash;
	hash_thread_tap_fn tap;
	void *tap_ctx;
};

struct hash_thread {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t queued; /* a chunk was submitted, or stop */
	pthread_cond_t hashed; /* a chunk was hashed */
	struct ring_slot slots[RING];
	uint64_t n_submitted, n_hashed;
	int stop;
};

static void *hash_worker(void *arg)
{
	struct hash_thread *ht = arg;

	pthread_mutex_lock(&ht->lock);
	for (;;) {
		struct ring_slot *s;

		while (ht->n_hashed == ht->n_submitted && !ht->stop)
			pthread_cond_wait(&ht->queued, &ht->lock);
		if (ht->n_hashed == ht->n_submitted)
			break;
		s = &ht->slots[ht->n_hashed % RING];
		pthread_mutex_unlock(&ht->lock);
		if (s->tap == NULL) {
			sha256_update(s->hash, s->buf, s->len);
		} else {
			for (size_t at = 0; at < s->len; at += TAP_PIECE) {
				size_t n = s->len - at < TAP_PIECE ? s->len - at : TAP_PIECE;

				sha256_update(s->hash, s->buf + at, n);
				s->tap(s->tap_ctx, s->buf + at, n);
			}
		}
		pthread_mutex_lock(&ht->lock);
		ht->n_hashed++;
		pthread_cond_broadcast(&ht->hashed);
	}
	pthread_mutex_unlock(&ht->lock);
	return NULL;
}

int hash_thread_new(struct hash_thread **out, struct error *err)
{
	struct hash_thread *ht = xcalloc(1, sizeof(*ht));
	int rc;

	*out = NULL;
	for (int i = 0; i < RING; i++)
		ht->slots[i].buf = xmalloc(HASH_THREAD_CHUNK);
	pthread_mutex_init(&ht->lock, NULL);
	pthread_cond_init(&ht->queued, NULL);
	pthread_cond_init(&ht->hashed, NULL);
	rc = thread_start(&ht->thread, hash_worker, ht);
	if (rc != 0) {
		error_set(err, "cannot start the hashing thread: %s", strerror(rc));
		pthread_cond_destroy(&ht->hashed);
		pthread_cond_destroy(&ht->queued);
		pthread_mutex_destroy(&ht->lock);
		for (int i = 0; i < RING; i++)
			free(ht->slots[i].buf);
		free(ht);
		return -1;
	}
	*out = ht;
	return 0;
}

unsigned char *hash_thread_buffer(struct hash_thread *ht)
{
	pthread_mutex_lock(&ht->lock);
	/* The slot is free once its previous chunk, RING submissions ago, is hashed. */
	while (ht->n_submitted - ht->n_hashed >= RING)
		pthread_cond_wait(&ht->hashed, &ht->lock);
	pthread_mutex_unlock(&ht->lock);
	return ht->slots[ht->n_submitted % RING].buf;
}

int hash_thread_is_buffer(const struct hash_thread *ht, const void *p)
{
	return p == ht->slots[ht->n_submitted % RING].buf;
}

void hash_thread_submit(struct hash_thread *ht, struct sha256 *h, size_t len)
{
	hash_thread_submit_tapped(ht, h, len, NULL, NULL);
}

void hash_thread_submit_tapped(struct hash_thread *ht, struct sha256 *h, size_t len,
                               hash_thread_tap_fn tap, void *ctx)
{
	struct ring_slot *s = &ht->slots[ht->n_submitted % RING];

	pthread_mutex_lock(&ht->lock);
	s->len = len;
	s->hash = h;
	s->tap = tap;
	s->tap_ctx = ctx;
	ht->n_submitted++;
	pthread_cond_signal(&ht->queued);
	pthread_mutex_unlock(&ht->lock);
}

void hash_thread_wait(struct hash_thread *ht)
{
	pthread_mutex_lock(&ht->lock);
	while (ht->n_hashed < ht->n_submitted)
		pthread_cond_wait(&ht->hashed, &ht->lock);
	pthread_mutex_unlock(&ht->lock);
}

void hash_thread_free(struct hash_thread *ht)
{
	if (ht == NULL)
		return;
	pthread_mutex_lock(&ht->lock);
	ht->stop = 1;
	pthread_cond_signal(&ht->queued);
	pthread_mutex_unlock(&ht->lock);
	pthread_join(ht->thread, NULL);
	pthread_cond_destroy(&ht->hashed);
	pthread_cond_destroy(&ht->queued);
	pthread_mutex_destroy(&ht->lock);
	for (int i = 0; i < RING; i++)
		free(ht->slots[i].buf);
	free(ht);
}
