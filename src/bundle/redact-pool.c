/*
 * The line pool: a ring of batch slots. The caller fills the slot at sequence number
 * `submitted` and submits it; workers take submitted slots in order (`taken`); the retirer
 * thread hands the done ones out in order (`retired`). At most n_slots batches are in flight,
 * so the memory is bounded whatever the file's size.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/thread.h"
#include "bundle/redact-pool.h"

/* A batch is handed to a worker once it holds this much text. */
#define BATCH_BYTES (256u << 10)
#define WORKERS_MAX 16

struct piece {
	size_t at, len;
	int nl;
};

struct slot {
	struct strbuf in, out;
	struct piece *pieces;
	size_t n, cap;
	int done;
	int failed;
	struct error err;
};

struct line_pool {
	pthread_mutex_t mutex;
	/* work: a batch was submitted (workers); done: a batch was redacted (the retirer);
	 * space: a batch was retired (the caller, waiting for a free slot or the end). */
	pthread_cond_t work, done, space;
	pthread_mutex_t shared; /* the tokenisers' lock (tokeniser_worker) */
	pthread_t threads[WORKERS_MAX], retirer;
	int retirer_started;
	struct tokeniser *tk[WORKERS_MAX];
	int workers;
	int stop;
	struct slot *slots;
	size_t n_slots;
	/* Sequence numbers; slot of s: s % n_slots. */
	size_t submitted, taken, retired;
	int filling; /* the slot at `submitted` holds lines not yet submitted (the caller's) */
	line_pool_out out;
	void *ctx;
	int failed; /* the first error since line_pool_finish, in err */
	struct error err;
};

static void slot_reset(struct slot *s)
{
	strbuf_reset(&s->in);
	strbuf_reset(&s->out);
	s->n = 0;
	s->done = 0;
	s->failed = 0;
	s->err.msg[0] = '\0';
}

static void batch_run(struct tokeniser *tk, struct slot *s, int scan)
{
	for (size_t i = 0; i < s->n && !s->failed; i++) {
		const struct piece *p = &s->pieces[i];
		const char *l = s->in.buf + p->at;
		int rc = scan ? tokeniser_scan(tk, l, p->len, &s->err)
		              : tokeniser_line(tk, l, p->len, &s->out, &s->err);

		if (rc < 0)
			s->failed = 1;
		else if (!scan && p->nl)
			strbuf_addch(&s->out, '\n');
	}
}

struct worker_arg {
	struct line_pool *pl;
	int index;
};

static void *worker_main(void *arg)
{
	struct line_pool *pl = ((struct worker_arg *)arg)->pl;
	struct tokeniser *tk = pl->tk[((struct worker_arg *)arg)->index];

	free(arg);
	for (;;) {
		struct slot *s;
		int scan;

		pthread_mutex_lock(&pl->mutex);
		while (!pl->stop && pl->taken == pl->submitted)
			pthread_cond_wait(&pl->work, &pl->mutex);
		if (pl->taken == pl->submitted) { /* stopping, nothing left */
			pthread_mutex_unlock(&pl->mutex);
			return NULL;
		}
		s = &pl->slots[pl->taken++ % pl->n_slots];
		scan = pl->out == NULL;
		pthread_mutex_unlock(&pl->mutex);

		batch_run(tk, s, scan);

		pthread_mutex_lock(&pl->mutex);
		s->done = 1;
		pthread_cond_broadcast(&pl->done);
		pthread_mutex_unlock(&pl->mutex);
	}
}

/*
 * The retirer: the redacted batches, in their order, to the output (which may be slow: a
 * gzip rotation is compressed again there), while the caller reads on and the workers redact.
 */
static void *retirer_main(void *arg)
{
	struct line_pool *pl = arg;

	pthread_mutex_lock(&pl->mutex);
	for (;;) {
		struct slot *s = &pl->slots[pl->retired % pl->n_slots];
		line_pool_out out;
		void *ctx;
		int skip;
		struct error e = {{0}};

		while (!(pl->retired < pl->submitted && s->done) &&
		       !(pl->stop && pl->retired == pl->submitted))
			pthread_cond_wait(&pl->done, &pl->mutex);
		if (pl->retired == pl->submitted) /* stopping, nothing left */
			break;
		out = pl->out;
		ctx = pl->ctx;
		skip = pl->failed;
		pthread_mutex_unlock(&pl->mutex);

		if (s->failed) {
			e = s->err;
			skip = -1;
		} else if (!skip && out && s->out.len > 0 &&
		           out(ctx, s->out.buf, s->out.len, &e) < 0) {
			skip = -1;
		}
		slot_reset(s);

		pthread_mutex_lock(&pl->mutex);
		if (skip < 0 && !pl->failed) {
			pl->failed = 1;
			pl->err = e;
		}
		pl->retired++;
		pthread_cond_broadcast(&pl->space);
	}
	pthread_mutex_unlock(&pl->mutex);
	return NULL;
}

struct line_pool *line_pool_new(struct tokeniser *tk, int workers, struct error *err)
{
	struct line_pool *pl = xcalloc(1, sizeof(*pl));
	int rc;

	if (workers < 1)
		workers = 1;
	if (workers > WORKERS_MAX)
		workers = WORKERS_MAX;
	pthread_mutex_init(&pl->mutex, NULL);
	pthread_mutex_init(&pl->shared, NULL);
	pthread_cond_init(&pl->work, NULL);
	pthread_cond_init(&pl->done, NULL);
	pthread_cond_init(&pl->space, NULL);
	/* Two batches a worker keep every worker busy while one is filled and one retired. */
	pl->n_slots = (size_t)workers * 2 + 2;
	pl->slots = xcalloc(pl->n_slots, sizeof(*pl->slots));
	for (size_t i = 0; i < pl->n_slots; i++) {
		pl->slots[i].in = (struct strbuf)STRBUF_INIT;
		pl->slots[i].out = (struct strbuf)STRBUF_INIT;
	}
	rc = thread_start(&pl->retirer, retirer_main, pl);
	if (rc != 0) {
		error_set(err, "cannot start a redaction thread: %s", strerror(rc));
		line_pool_free(pl);
		return NULL;
	}
	pl->retirer_started = 1;
	for (int i = 0; i < workers; i++) {
		struct worker_arg *a = xcalloc(1, sizeof(*a));

		a->pl = pl;
		a->index = i;
		pl->tk[i] = tokeniser_worker(tk, &pl->shared);
		rc = thread_start(&pl->threads[i], worker_main, a);
		if (rc != 0) {
			free(a);
			tokeniser_free(pl->tk[i]);
			pl->tk[i] = NULL;
			if (i == 0) {
				error_set(err, "cannot start a redaction thread: %s", strerror(rc));
				line_pool_free(pl);
				return NULL;
			}
			break;
		}
		pl->workers = i + 1;
	}
	return pl;
}

void line_pool_begin(struct line_pool *pl, line_pool_out out, void *ctx)
{
	pthread_mutex_lock(&pl->mutex);
	pl->out = out;
	pl->ctx = ctx;
	pthread_mutex_unlock(&pl->mutex);
}

static void submit(struct line_pool *pl)
{
	pthread_mutex_lock(&pl->mutex);
	pl->submitted++;
	pl->filling = 0;
	pthread_cond_signal(&pl->work);
	pthread_mutex_unlock(&pl->mutex);
}

int line_pool_line(struct line_pool *pl, const char *l, size_t n, int nl, struct error *err)
{
	struct slot *s;

	if (!pl->filling) {
		int failed;

		/* The ring is full: wait for the oldest batch to go. */
		pthread_mutex_lock(&pl->mutex);
		while (pl->submitted - pl->retired == pl->n_slots)
			pthread_cond_wait(&pl->space, &pl->mutex);
		failed = pl->failed;
		if (failed)
			*err = pl->err;
		pthread_mutex_unlock(&pl->mutex);
		if (failed)
			return -1;
		pl->filling = 1;
	}
	s = &pl->slots[pl->submitted % pl->n_slots];
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->pieces = xreallocarray(s->pieces, s->cap, sizeof(*s->pieces));
	}
	s->pieces[s->n++] = (struct piece){s->in.len, n, nl};
	strbuf_add(&s->in, l, n);
	if (s->in.len >= BATCH_BYTES)
		submit(pl);
	return 0;
}

int line_pool_finish(struct line_pool *pl, struct error *err)
{
	int rc = 0;

	if (pl->filling)
		submit(pl);
	/* Every batch is waited for, even after an error: the pool is idle again. */
	pthread_mutex_lock(&pl->mutex);
	while (pl->retired < pl->submitted)
		pthread_cond_wait(&pl->space, &pl->mutex);
	if (pl->failed) {
		*err = pl->err;
		pl->failed = 0;
		rc = -1;
	}
	pthread_mutex_unlock(&pl->mutex);
	return rc;
}

void line_pool_free(struct line_pool *pl)
{
	if (pl == NULL)
		return;
	pthread_mutex_lock(&pl->mutex);
	pl->stop = 1;
	pl->failed = 1; /* what is still in flight is not handed out */
	pthread_cond_broadcast(&pl->work);
	pthread_cond_broadcast(&pl->done);
	pthread_mutex_unlock(&pl->mutex);
	for (int i = 0; i < pl->workers; i++)
		pthread_join(pl->threads[i], NULL);
	if (pl->retirer_started)
		pthread_join(pl->retirer, NULL);
	for (int i = 0; i < WORKERS_MAX; i++)
		tokeniser_free(pl->tk[i]);
	for (size_t i = 0; i < pl->n_slots; i++) {
		strbuf_release(&pl->slots[i].in);
		strbuf_release(&pl->slots[i].out);
		free(pl->slots[i].pieces);
	}
	free(pl->slots);
	pthread_cond_destroy(&pl->work);
	pthread_cond_destroy(&pl->done);
	pthread_cond_destroy(&pl->space);
	pthread_mutex_destroy(&pl->mutex);
	pthread_mutex_destroy(&pl->shared);
	free(pl);
}
