/* Small members written into the archive on a thread of their own, in batches. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/thread.h"
#include "bundle/bag-batch.h"

/*
 * A batch goes to the thread once it holds this much: some hundreds of small members, so that
 * the hand-over (a lock and a wake-up on each side) is paid once for all of them.
 */
#define BATCH_BYTES (256 * 1024)

/* A member in a batch: this head, its name and a NUL, then its bytes. */
struct member_head {
	size_t size;
	int64_t mtime;
	size_t name_len;
};

struct bag_batch {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t handed;  /* a batch was handed over, or stop */
	pthread_cond_t written; /* the thread's batch is written */
	struct strbuf filling;  /* the caller's */
	struct strbuf pending;  /* the thread's while busy */
	size_t member_at;       /* where the member being added begins in filling */
	int member_open;        /* one is being added: begun, not yet ended or dropped */
	int busy;               /* pending holds members to write */
	int stop;
	int failed; /* write_fn refused a member: err says why */
	struct error err;
	bag_batch_write_fn write_fn;
	void *ctx;
};

/* Every member of the batch, in order, until one is refused. */
static int write_batch(struct bag_batch *bb, const struct strbuf *batch, struct error *err)
{
	size_t at = 0;

	while (at < batch->len) {
		struct member_head head;
		const char *name;

		memcpy(&head, batch->buf + at, sizeof(head));
		name = batch->buf + at + sizeof(head);
		at += sizeof(head) + head.name_len + 1;
		if (at > batch->len || head.size > batch->len - at) {
			error_set(err, "internal error: a member runs past the end of its batch");
			return -1;
		}
		if (bb->write_fn(bb->ctx, name, head.mtime, batch->buf + at, head.size, err) < 0)
			return -1;
		at += head.size;
	}
	return 0;
}

static void *batch_worker(void *arg)
{
	struct bag_batch *bb = arg;
	struct error err;
	int failed = 0;

	pthread_mutex_lock(&bb->lock);
	for (;;) {
		while (!bb->busy && !bb->stop)
			pthread_cond_wait(&bb->handed, &bb->lock);
		if (!bb->busy)
			break;
		pthread_mutex_unlock(&bb->lock);
		/* After a refusal nothing more is written: the bundle is abandoned. */
		if (!failed && write_batch(bb, &bb->pending, &err) < 0)
			failed = 1;
		pthread_mutex_lock(&bb->lock);
		if (failed && !bb->failed) {
			bb->failed = 1;
			bb->err = err;
		}
		strbuf_reset(&bb->pending);
		bb->busy = 0;
		pthread_cond_broadcast(&bb->written);
	}
	pthread_mutex_unlock(&bb->lock);
	return NULL;
}

int bag_batch_new(struct bag_batch **out, bag_batch_write_fn write_fn, void *ctx, struct error *err)
{
	struct bag_batch *bb = xcalloc(1, sizeof(*bb));
	int rc;

	*out = NULL;
	bb->write_fn = write_fn;
	bb->ctx = ctx;
	pthread_mutex_init(&bb->lock, NULL);
	pthread_cond_init(&bb->handed, NULL);
	pthread_cond_init(&bb->written, NULL);
	rc = thread_start(&bb->thread, batch_worker, bb);
	if (rc != 0) {
		error_set(err, "cannot start the archive's batch thread: %s", strerror(rc));
		pthread_cond_destroy(&bb->written);
		pthread_cond_destroy(&bb->handed);
		pthread_mutex_destroy(&bb->lock);
		free(bb);
		return -1;
	}
	*out = bb;
	return 0;
}

void bag_batch_begin(struct bag_batch *bb, const char *name, size_t name_len, size_t size,
                     int64_t mtime)
{
	struct member_head head = {.size = size, .mtime = mtime, .name_len = name_len};

	bb->member_at = bb->filling.len;
	bb->member_open = 1;
	strbuf_grow(&bb->filling, sizeof(head) + name_len + 1 + size);
	strbuf_add(&bb->filling, &head, sizeof(head));
	strbuf_add(&bb->filling, name, name_len);
	strbuf_addch(&bb->filling, '\0');
}

void bag_batch_add(struct bag_batch *bb, const void *data, size_t len)
{
	strbuf_add(&bb->filling, data, len);
}

void bag_batch_drop(struct bag_batch *bb)
{
	if (!bb->member_open)
		return;
	bb->member_open = 0;
	bb->filling.len = bb->member_at;
	if (bb->filling.buf)
		bb->filling.buf[bb->member_at] = '\0';
}

/* Wait until the thread is idle: 0, or -1 with its error. The lock is held on return. */
static int wait_idle(struct bag_batch *bb, struct error *err)
{
	pthread_mutex_lock(&bb->lock);
	while (bb->busy)
		pthread_cond_wait(&bb->written, &bb->lock);
	if (bb->failed) {
		*err = bb->err;
		return -1;
	}
	return 0;
}

/* The filling batch goes to the thread, once it has written the one before. */
static int hand_over(struct bag_batch *bb, struct error *err)
{
	struct strbuf empty;
	int rc = wait_idle(bb, err);

	if (rc == 0) {
		empty = bb->pending;
		bb->pending = bb->filling;
		bb->filling = empty;
		bb->busy = 1;
		pthread_cond_signal(&bb->handed);
	}
	pthread_mutex_unlock(&bb->lock);
	return rc;
}

int bag_batch_end(struct bag_batch *bb, struct error *err)
{
	bb->member_open = 0;
	return bb->filling.len >= BATCH_BYTES ? hand_over(bb, err) : 0;
}

int bag_batch_sync(struct bag_batch *bb, struct error *err)
{
	int rc = bb->filling.len > 0 ? hand_over(bb, err) : 0;

	if (rc == 0) {
		rc = wait_idle(bb, err);
		pthread_mutex_unlock(&bb->lock);
	}
	return rc;
}

void bag_batch_free(struct bag_batch *bb)
{
	if (bb == NULL)
		return;
	pthread_mutex_lock(&bb->lock);
	bb->stop = 1;
	pthread_cond_signal(&bb->handed);
	pthread_mutex_unlock(&bb->lock);
	pthread_join(bb->thread, NULL);
	pthread_cond_destroy(&bb->written);
	pthread_cond_destroy(&bb->handed);
	pthread_mutex_destroy(&bb->lock);
	strbuf_release(&bb->filling);
	strbuf_release(&bb->pending);
	free(bb);
}
