/* A compressed member decompressed on its own thread as pass 1 reads it (bundle/redact-unpack.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/thread.h"
#include "bundle/redact-unpack.h"

/* Pieces in flight between the reader and the thread: the reader runs ahead by this many. */
#define UNPACK_SLOTS 4

struct redact_unpack {
	enum redact_compression kind;
	uint64_t max_out;
	int (*fn)(void *ctx, const void *buf, size_t len);
	void *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a piece was pushed or taken, the end came, the thread stopped */
	struct strbuf slots[UNPACK_SLOTS];
	size_t head, count; /* the oldest piece, and how many are waiting */
	size_t taken;       /* of the oldest piece, what the thread has read */
	int end;            /* no more pieces will come */
	int stopped;        /* the thread reads no more: pieces are dropped */
	int rc;
	struct error err;
};

/* The thread's reader: the pushed bytes in order, 0 at the end. */
static ssize_t unpack_read(void *arg, void *buf, size_t cap, struct error *err)
{
	struct redact_unpack *u = arg;
	struct strbuf *s;
	size_t n;

	(void)err;
	pthread_mutex_lock(&u->lock);
	while (u->count == 0 && !u->end)
		pthread_cond_wait(&u->changed, &u->lock);
	if (u->count == 0) {
		pthread_mutex_unlock(&u->lock);
		return 0;
	}
	s = &u->slots[u->head];
	pthread_mutex_unlock(&u->lock);
	/* The oldest piece is the thread's alone until it is given back. */
	n = s->len - u->taken < cap ? s->len - u->taken : cap;
	memcpy(buf, s->buf + u->taken, n);
	u->taken += n;
	if (u->taken == s->len) {
		pthread_mutex_lock(&u->lock);
		u->taken = 0;
		u->head = (u->head + 1) % UNPACK_SLOTS;
		u->count--;
		pthread_cond_broadcast(&u->changed);
		pthread_mutex_unlock(&u->lock);
	}
	return (ssize_t)n;
}

static void *unpack_thread(void *arg)
{
	struct redact_unpack *u = arg;

	/* No hash: pass 1 hashes the member's bytes as it reads them, before they are pushed. */
	u->rc = redact_decompress_from(unpack_read, u, u->kind, u->max_out, u->fn, u->ctx, NULL,
	                               &u->err);
	pthread_mutex_lock(&u->lock);
	u->stopped = 1;
	pthread_cond_broadcast(&u->changed);
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

int redact_unpack_start(struct redact_unpack **out, enum redact_compression kind, uint64_t max_out,
                        int (*fn)(void *ctx, const void *buf, size_t len), void *ctx,
                        struct error *err)
{
	struct redact_unpack *u = xcalloc(1, sizeof(*u));
	int rc;

	*out = NULL;
	u->kind = kind;
	u->max_out = max_out;
	u->fn = fn;
	u->ctx = ctx;
	for (int i = 0; i < UNPACK_SLOTS; i++)
		u->slots[i] = (struct strbuf)STRBUF_INIT;
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->changed, NULL);
	rc = thread_start(&u->thread, unpack_thread, u);
	if (rc != 0) {
		error_set(err, "cannot start a decompression thread: %s", strerror(rc));
		pthread_cond_destroy(&u->changed);
		pthread_mutex_destroy(&u->lock);
		free(u);
		return -1;
	}
	*out = u;
	return 0;
}

void redact_unpack_push(struct redact_unpack *u, const void *buf, size_t len)
{
	struct strbuf *s;

	if (len == 0)
		return;
	pthread_mutex_lock(&u->lock);
	while (u->count == UNPACK_SLOTS && !u->stopped)
		pthread_cond_wait(&u->changed, &u->lock);
	if (u->stopped) {
		pthread_mutex_unlock(&u->lock);
		return;
	}
	s = &u->slots[(u->head + u->count) % UNPACK_SLOTS];
	pthread_mutex_unlock(&u->lock);
	/* A free slot is the reader's alone until it is counted. */
	strbuf_reset(s);
	strbuf_add(s, buf, len);
	pthread_mutex_lock(&u->lock);
	u->count++;
	pthread_cond_broadcast(&u->changed);
	pthread_mutex_unlock(&u->lock);
}

int redact_unpack_finish(struct redact_unpack *u, struct error *err)
{
	int rc;

	pthread_mutex_lock(&u->lock);
	u->end = 1;
	pthread_cond_broadcast(&u->changed);
	pthread_mutex_unlock(&u->lock);
	pthread_join(u->thread, NULL);
	rc = u->rc;
	if (rc < 0)
		*err = u->err;
	for (int i = 0; i < UNPACK_SLOTS; i++)
		strbuf_release(&u->slots[i]);
	pthread_cond_destroy(&u->changed);
	pthread_mutex_destroy(&u->lock);
	free(u);
	return rc;
}
