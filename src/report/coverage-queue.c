/* The coverage report's calls, queued to a thread of their own. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/thread.h"
#include "report/coverage-queue.h"

/* Slots in flight, and the most bytes one carries (the reader's chunk is 1 MiB). */
#define QUEUE_SLOTS 4
#define QUEUE_CHUNK (1024 * 1024)

enum queue_op { OP_BEGIN, OP_DATA, OP_END, OP_PRESENT };

struct queue_slot {
	enum queue_op op;
	char *path, *why;
	int64_t mtime;
	uint64_t size, offset;
	unsigned char *buf; /* QUEUE_CHUNK bytes, allocated at the first data */
	size_t len;
};

struct coverage_queue {
	struct coverage *cov;
	int threaded;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t queued; /* a slot was filled, or stop */
	pthread_cond_t done;   /* a slot was analysed */
	struct queue_slot slots[QUEUE_SLOTS];
	uint64_t n_queued, n_done;
	int stop;
};

static void run(struct coverage *cov, struct queue_slot *s)
{
	switch (s->op) {
	case OP_BEGIN:
		coverage_file_begin(cov, s->path, s->mtime, s->size, s->offset);
		break;
	case OP_DATA:
		coverage_file_data(cov, s->buf, s->len);
		break;
	case OP_END:
		coverage_file_end(cov);
		break;
	case OP_PRESENT:
		coverage_file_present(cov, s->path, s->why);
		break;
	}
	free(s->path);
	free(s->why);
	s->path = s->why = NULL;
}

static void *analyser(void *arg)
{
	struct coverage_queue *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct queue_slot *s;

		while (q->n_done == q->n_queued && !q->stop)
			pthread_cond_wait(&q->queued, &q->lock);
		if (q->n_done == q->n_queued)
			break;
		s = &q->slots[q->n_done % QUEUE_SLOTS];
		pthread_mutex_unlock(&q->lock);
		run(q->cov, s);
		pthread_mutex_lock(&q->lock);
		q->n_done++;
		pthread_cond_broadcast(&q->done);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int coverage_queue_new(struct coverage_queue **out, struct coverage *cov, int threaded,
                       struct error *err)
{
	struct coverage_queue *q = xcalloc(1, sizeof(*q));
	int rc;

	*out = NULL;
	q->cov = cov;
	if (threaded) {
		pthread_mutex_init(&q->lock, NULL);
		pthread_cond_init(&q->queued, NULL);
		pthread_cond_init(&q->done, NULL);
		rc = thread_start(&q->thread, analyser, q);
		if (rc != 0) {
			error_set(err, "cannot start the coverage thread: %s", strerror(rc));
			pthread_cond_destroy(&q->done);
			pthread_cond_destroy(&q->queued);
			pthread_mutex_destroy(&q->lock);
			free(q);
			return -1;
		}
		q->threaded = 1;
	}
	*out = q;
	return 0;
}

/* The next slot to fill, once the analyser is done with what it held. */
static struct queue_slot *slot_take(struct coverage_queue *q)
{
	pthread_mutex_lock(&q->lock);
	while (q->n_queued - q->n_done >= QUEUE_SLOTS)
		pthread_cond_wait(&q->done, &q->lock);
	pthread_mutex_unlock(&q->lock);
	return &q->slots[q->n_queued % QUEUE_SLOTS];
}

static void slot_give(struct coverage_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->n_queued++;
	pthread_cond_signal(&q->queued);
	pthread_mutex_unlock(&q->lock);
}

static void queue_op(struct coverage_queue *q, enum queue_op op, const char *path, const char *why,
                     int64_t mtime, uint64_t size, uint64_t offset)
{
	struct queue_slot *s, inline_slot;

	s = q->threaded ? slot_take(q) : &inline_slot;
	s->op = op;
	s->path = path ? xstrdup(path) : NULL;
	s->why = why ? xstrdup(why) : NULL;
	s->mtime = mtime;
	s->size = size;
	s->offset = offset;
	if (q->threaded)
		slot_give(q);
	else
		run(q->cov, s);
}

void coverage_queue_begin(struct coverage_queue *q, const char *path, int64_t mtime, uint64_t size,
                          uint64_t offset)
{
	queue_op(q, OP_BEGIN, path, NULL, mtime, size, offset);
}

void coverage_queue_end(struct coverage_queue *q)
{
	queue_op(q, OP_END, NULL, NULL, 0, 0, 0);
}

void coverage_queue_present(struct coverage_queue *q, const char *path, const char *why)
{
	queue_op(q, OP_PRESENT, path, why, 0, 0, 0);
}

void coverage_queue_data(struct coverage_queue *q, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (!q->threaded) {
		coverage_file_data(q->cov, buf, len);
		return;
	}
	while (len > 0) {
		struct queue_slot *s = slot_take(q);
		size_t n = len < QUEUE_CHUNK ? len : QUEUE_CHUNK;

		if (s->buf == NULL)
			s->buf = xmalloc(QUEUE_CHUNK);
		memcpy(s->buf, p, n);
		s->op = OP_DATA;
		s->path = s->why = NULL;
		s->len = n;
		slot_give(q);
		p += n;
		len -= n;
	}
}

void coverage_queue_drain(struct coverage_queue *q)
{
	if (q == NULL || !q->threaded)
		return;
	pthread_mutex_lock(&q->lock);
	while (q->n_done < q->n_queued)
		pthread_cond_wait(&q->done, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

void coverage_queue_free(struct coverage_queue *q)
{
	if (q == NULL)
		return;
	if (q->threaded) {
		pthread_mutex_lock(&q->lock);
		q->stop = 1;
		pthread_cond_signal(&q->queued);
		pthread_mutex_unlock(&q->lock);
		pthread_join(q->thread, NULL);
		pthread_cond_destroy(&q->done);
		pthread_cond_destroy(&q->queued);
		pthread_mutex_destroy(&q->lock);
	}
	for (int i = 0; i < QUEUE_SLOTS; i++) {
		free(q->slots[i].buf);
		free(q->slots[i].path);
		free(q->slots[i].why);
	}
	free(q);
}
