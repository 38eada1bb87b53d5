/* The coverage report's calls, queued to a thread of their own. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/thread.h"
#include "report/coverage-queue.h"

/*
 * The calls travel in batches: each call is written into the reader's current batch (its
 * arguments, then its path or its bytes), and a batch is handed over only when it is full or
 * the queue is drained. A call a batch would wake the analyser three times a file: at many
 * small files those wake-ups cost more than the analysis saved the reader. At most
 * QUEUE_BATCHES batches of BATCH_BYTES exist (12 MiB: room for a large compressed generation,
 * whose inflating then overlaps the reading of the logs after it); the reader waits for a free
 * one when the analysis falls behind.
 */
#define BATCH_BYTES (256 * 1024)
#define QUEUE_BATCHES 48
/*
 * A file analysed elsewhere waits for its close with all its analysis state (kilobytes, 64 KiB
 * for an .evtx chunk), which a close's few bytes in a batch do not account for: at most this
 * many wait, however far the analysis thread is behind.
 */
#define PENDING_CLOSES 32

enum queue_op { OP_BEGIN, OP_DATA, OP_END, OP_PRESENT, OP_CLOSE };

/* A call's head in a batch; its path and reason (each with its NUL) or its bytes follow. */
struct call_head {
	enum queue_op op;
	int64_t mtime;
	uint64_t size, offset;
	size_t path_len, why_len, data_len; /* path_len and why_len count the NUL; 0: none */
	struct cov_file *file;              /* OP_CLOSE's */
};

struct batch {
	unsigned char *buf;
	size_t len, cap;
	struct batch *next;
};

struct coverage_queue {
	struct coverage *cov;
	int threaded;
	pthread_t thread;
	struct batch *filling; /* the reader's, not yet handed over */
	pthread_mutex_t lock;
	pthread_cond_t queued; /* a batch was handed over, or stop */
	pthread_cond_t done;   /* a batch was analysed */
	struct batch *full_head, *full_tail;
	struct batch *free_list;
	int n_batches;        /* allocated, at most QUEUE_BATCHES */
	int analysing;        /* the analyser holds a batch */
	int analyser_waiting; /* it waits on queued */
	int reader_waiting;   /* the reader waits on done */
	int stop;
	uint64_t closes_queued; /* the reader's count of OP_CLOSE */
	uint64_t closes_run;    /* the analyser's, under lock */
};

/* One call on the report: from a batch on the analyser, or in line without a thread. */
static void run(struct coverage *cov, const struct call_head *h, const char *path, const char *why,
                const void *data)
{
	switch (h->op) {
	case OP_BEGIN:
		coverage_file_begin(cov, path, h->mtime, h->size, h->offset);
		break;
	case OP_DATA:
		coverage_file_data(cov, data, h->data_len);
		break;
	case OP_END:
		coverage_file_end(cov);
		break;
	case OP_PRESENT:
		coverage_file_present(cov, path, why);
		break;
	case OP_CLOSE:
		coverage_close_file(cov, h->file);
		break;
	}
}

/* Run the call at p; the next one's start. *op: what it was. */
static const unsigned char *run_call(struct coverage *cov, const unsigned char *p,
                                     enum queue_op *op)
{
	struct call_head h;
	const char *path, *why;

	memcpy(&h, p, sizeof(h));
	*op = h.op;
	p += sizeof(h);
	path = h.path_len ? (const char *)p : NULL;
	p += h.path_len;
	why = h.why_len ? (const char *)p : NULL;
	p += h.why_len;
	run(cov, &h, path, why, p);
	return p + h.data_len;
}

/* Run a batch's calls; the number of OP_CLOSE among them. */
static uint64_t run_batch(struct coverage *cov, const struct batch *b)
{
	uint64_t closes = 0;

	for (const unsigned char *p = b->buf; p < b->buf + b->len;) {
		enum queue_op op;

		p = run_call(cov, p, &op);
		closes += op == OP_CLOSE;
	}
	return closes;
}

static void *analyser(void *arg)
{
	struct coverage_queue *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct batch *b;
		uint64_t closes;

		while (q->full_head == NULL && !q->stop) {
			q->analyser_waiting = 1;
			pthread_cond_wait(&q->queued, &q->lock);
			q->analyser_waiting = 0;
		}
		if (q->full_head == NULL)
			break;
		b = q->full_head;
		q->full_head = b->next;
		if (q->full_head == NULL)
			q->full_tail = NULL;
		q->analysing = 1;
		pthread_mutex_unlock(&q->lock);
		closes = run_batch(q->cov, b);
		pthread_mutex_lock(&q->lock);
		q->analysing = 0;
		q->closes_run += closes;
		b->len = 0;
		b->next = q->free_list;
		q->free_list = b;
		if (q->reader_waiting)
			pthread_cond_signal(&q->done);
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

/* The reader waits (under the lock) until the analyser is done with a batch. */
static void reader_wait(struct coverage_queue *q)
{
	q->reader_waiting = 1;
	pthread_cond_wait(&q->done, &q->lock);
	q->reader_waiting = 0;
}

/* Hand the reader's batch to the analyser (when it holds anything). */
static void hand_over(struct coverage_queue *q)
{
	struct batch *b = q->filling;

	if (b == NULL || b->len == 0)
		return;
	q->filling = NULL;
	pthread_mutex_lock(&q->lock);
	b->next = NULL;
	if (q->full_tail)
		q->full_tail->next = b;
	else
		q->full_head = b;
	q->full_tail = b;
	if (q->analyser_waiting)
		pthread_cond_signal(&q->queued);
	pthread_mutex_unlock(&q->lock);
}

/* A batch with room for need bytes: the current one, or the next free one. */
static struct batch *room_for(struct coverage_queue *q, size_t need)
{
	struct batch *b = q->filling;

	if (b && b->cap - b->len >= need)
		return b;
	hand_over(q);
	pthread_mutex_lock(&q->lock);
	while (q->free_list == NULL && q->n_batches >= QUEUE_BATCHES) {
		reader_wait(q);
	}
	b = q->free_list;
	if (b)
		q->free_list = b->next;
	else
		q->n_batches++;
	pthread_mutex_unlock(&q->lock);
	if (b == NULL) {
		b = xcalloc(1, sizeof(*b));
		b->buf = xmalloc(BATCH_BYTES);
		b->cap = BATCH_BYTES;
	}
	if (b->cap < need) { /* a path longer than a batch: this batch grows for it */
		b->buf = xrealloc(b->buf, need);
		b->cap = need;
	}
	b->len = 0;
	q->filling = b;
	return b;
}

static void queue_call(struct coverage_queue *q, enum queue_op op, const char *path,
                       const char *why, int64_t mtime, uint64_t size, uint64_t offset,
                       struct cov_file *file)
{
	struct call_head h = {.op = op,
	                      .mtime = mtime,
	                      .size = size,
	                      .offset = offset,
	                      .path_len = path ? strlen(path) + 1 : 0,
	                      .why_len = why ? strlen(why) + 1 : 0,
	                      .file = file};
	struct batch *b;

	if (!q->threaded) {
		run(q->cov, &h, path, why, NULL);
		return;
	}
	b = room_for(q, sizeof(h) + h.path_len + h.why_len);
	memcpy(b->buf + b->len, &h, sizeof(h));
	b->len += sizeof(h);
	if (path)
		memcpy(b->buf + b->len, path, h.path_len);
	b->len += h.path_len;
	if (why)
		memcpy(b->buf + b->len, why, h.why_len);
	b->len += h.why_len;
}

void coverage_queue_begin(struct coverage_queue *q, const char *path, int64_t mtime, uint64_t size,
                          uint64_t offset)
{
	queue_call(q, OP_BEGIN, path, NULL, mtime, size, offset, NULL);
}

void coverage_queue_end(struct coverage_queue *q)
{
	queue_call(q, OP_END, NULL, NULL, 0, 0, 0, NULL);
}

void coverage_queue_present(struct coverage_queue *q, const char *path, const char *why)
{
	queue_call(q, OP_PRESENT, path, why, 0, 0, 0, NULL);
}

void coverage_queue_close(struct coverage_queue *q, struct cov_file *f)
{
	queue_call(q, OP_CLOSE, NULL, NULL, 0, 0, 0, f);
	if (!q->threaded)
		return;
	q->closes_queued++;
	pthread_mutex_lock(&q->lock);
	if (q->closes_queued - q->closes_run > PENDING_CLOSES) {
		pthread_mutex_unlock(&q->lock);
		hand_over(q);
		pthread_mutex_lock(&q->lock);
		while (q->closes_queued - q->closes_run > PENDING_CLOSES) {
			reader_wait(q);
		}
	}
	pthread_mutex_unlock(&q->lock);
}

void coverage_queue_data(struct coverage_queue *q, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (!q->threaded) {
		coverage_file_data(q->cov, buf, len);
		return;
	}
	/* The bytes are split across batches as they fit; the analysis takes them in any pieces. */
	while (len > 0) {
		struct call_head h = {.op = OP_DATA};
		struct batch *b = q->filling;
		size_t n;

		if (b == NULL || b->cap - b->len < sizeof(h) + 4096)
			b = room_for(q, sizeof(h) + 4096);
		n = b->cap - b->len - sizeof(h);
		if (n > len)
			n = len;
		h.data_len = n;
		memcpy(b->buf + b->len, &h, sizeof(h));
		memcpy(b->buf + b->len + sizeof(h), p, n);
		b->len += sizeof(h) + n;
		p += n;
		len -= n;
	}
}

void coverage_queue_drain(struct coverage_queue *q)
{
	if (q == NULL || !q->threaded)
		return;
	hand_over(q);
	pthread_mutex_lock(&q->lock);
	while (q->full_head || q->analysing) {
		reader_wait(q);
	}
	pthread_mutex_unlock(&q->lock);
}

static void batches_free(struct batch *b)
{
	while (b) {
		struct batch *next = b->next;

		free(b->buf);
		free(b);
		b = next;
	}
}

void coverage_queue_free(struct coverage_queue *q)
{
	if (q == NULL)
		return;
	if (q->threaded) {
		hand_over(q);
		pthread_mutex_lock(&q->lock);
		q->stop = 1;
		pthread_cond_signal(&q->queued);
		pthread_mutex_unlock(&q->lock);
		pthread_join(q->thread, NULL);
		pthread_cond_destroy(&q->done);
		pthread_cond_destroy(&q->queued);
		pthread_mutex_destroy(&q->lock);
		batches_free(q->full_head);
		batches_free(q->free_list);
		batches_free(q->filling);
	}
	free(q);
}
