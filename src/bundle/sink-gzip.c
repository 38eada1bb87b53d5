/* gzip on several cores: independent deflate blocks in one gzip member (see sink-gzip.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/thread.h"
#include "bundle/sink-gzip.h"

/* pigz's block size: large enough that the dictionary handover costs little ratio. */
#define GZ_BLOCK (128 * 1024)
#define GZ_DICT (32 * 1024)
#define GZ_DEFAULT_LEVEL 6

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

/* One block on its way: filled by the writer, deflated by a worker, written by the writer. */
struct gz_slot {
	enum slot_state state;
	uint64_t seq;
	int last;
	unsigned char *in, *dict;
	size_t in_len, dict_len;
	unsigned char *out;
	size_t out_len, out_size;
	uLong crc;
	char error[128]; /* a worker's failure, empty when none */
};

struct gz_stage {
	struct sink_filter f;
	int level;
	int n_threads;
	pthread_t *threads;
	int n_started;
	pthread_mutex_t lock;
	pthread_cond_t work;  /* a slot was queued, or stop */
	pthread_cond_t ready; /* a slot is done */
	int stop;
	struct gz_slot *slots;
	size_t n_slots;
	uint64_t next_fill;  /* the sequence number of the block being filled */
	uint64_t next_write; /* the next block to write out */
	z_stream inline_z;   /* the deflater with no threads */
	int inline_ready;
	uLong crc;
	uint64_t total;
	int header_done;
	/* the last GZ_DICT bytes of the previous block, the next block's dictionary */
	unsigned char dict[GZ_DICT];
	size_t dict_len;
};

static struct gz_slot *slot_of(struct gz_stage *g, uint64_t seq)
{
	return &g->slots[seq % g->n_slots];
}

/* Deflate one block as raw deflate ending on a byte boundary (or the final block). */
static void deflate_block(z_stream *z, struct gz_slot *s)
{
	int rc;

	s->crc = crc32(0L, Z_NULL, 0);
	s->crc = crc32(s->crc, s->in, (uInt)s->in_len);
	s->out_len = 0;
	if (deflateReset(z) != Z_OK) {
		snprintf(s->error, sizeof(s->error), "deflateReset: %s",
		         z->msg ? z->msg : "failed");
		return;
	}
	if (s->dict_len > 0 && deflateSetDictionary(z, s->dict, (uInt)s->dict_len) != Z_OK) {
		snprintf(s->error, sizeof(s->error), "deflateSetDictionary: %s",
		         z->msg ? z->msg : "failed");
		return;
	}
	z->next_in = s->in;
	z->avail_in = (uInt)s->in_len;
	for (;;) {
		if (s->out_len == s->out_size) {
			s->out_size *= 2;
			s->out = xrealloc(s->out, s->out_size);
		}
		z->next_out = s->out + s->out_len;
		z->avail_out = (uInt)(s->out_size - s->out_len);
		rc = deflate(z, s->last ? Z_FINISH : Z_SYNC_FLUSH);
		s->out_len = s->out_size - z->avail_out;
		if (rc == Z_STREAM_END)
			return;
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			snprintf(s->error, sizeof(s->error), "deflate: %s",
			         z->msg ? z->msg : "failed");
			return;
		}
		/* A sync flush is complete when deflate left output space unused. */
		if (!s->last && z->avail_in == 0 && z->avail_out > 0)
			return;
	}
}

static int deflater_init(z_stream *z, int level)
{
	memset(z, 0, sizeof(*z));
	/* Raw deflate (negative window bits): the gzip header and trailer are written here. */
	return deflateInit2(z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

/* A worker: take the oldest queued block, deflate it, mark it done; until stop. */
static void *gz_worker(void *arg)
{
	struct gz_stage *g = arg;
	z_stream z;
	int ok = deflater_init(&z, g->level) == Z_OK;

	pthread_mutex_lock(&g->lock);
	for (;;) {
		struct gz_slot *s = NULL;

		while (!g->stop) {
			/* Blocks are queued in order, so the first queued one from next_write on
			 * is the oldest. */
			for (uint64_t q = g->next_write; q < g->next_fill && s == NULL; q++)
				if (slot_of(g, q)->state == SLOT_QUEUED)
					s = slot_of(g, q);
			if (s)
				break;
			pthread_cond_wait(&g->work, &g->lock);
		}
		if (g->stop)
			break;
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&g->lock);
		if (ok)
			deflate_block(&z, s);
		else
			snprintf(s->error, sizeof(s->error), "cannot start a deflate stream");
		pthread_mutex_lock(&g->lock);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&g->ready);
	}
	pthread_mutex_unlock(&g->lock);
	if (ok)
		deflateEnd(&z);
	return NULL;
}

/* The 10-byte gzip header: no name, no time (the bytes depend on the input alone), Unix. */
static int write_header(struct gz_stage *g, struct error *err)
{
	unsigned char h[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

	h[8] = g->level == 9 ? 2 : g->level == 1 ? 4 : 0;
	g->header_done = 1;
	return sink_filter_pass(&g->f, h, sizeof(h), err);
}

/*
 * Write out the oldest block if it is done (waiting for it when wait is set). Returns 1 when
 * one was written, 0 when none was ready, -1 on failure.
 */
static int write_next(struct gz_stage *g, int wait, struct error *err)
{
	struct gz_slot *s = slot_of(g, g->next_write);

	if (g->next_write == g->next_fill)
		return 0;
	if (g->n_threads > 0) {
		int done;

		pthread_mutex_lock(&g->lock);
		while (wait && s->state != SLOT_DONE)
			pthread_cond_wait(&g->ready, &g->lock);
		done = s->state == SLOT_DONE;
		pthread_mutex_unlock(&g->lock);
		if (!done)
			return 0;
	}
	if (s->error[0]) {
		error_set(err, "gzip compression: %s", s->error);
		return -1;
	}
	g->crc = crc32_combine(g->crc, s->crc, (z_off_t)s->in_len);
	if (sink_filter_pass(&g->f, s->out, s->out_len, err) < 0)
		return -1;
	s->in_len = 0;
	if (g->n_threads > 0)
		pthread_mutex_lock(&g->lock);
	s->state = SLOT_FREE;
	g->next_write++;
	if (g->n_threads > 0)
		pthread_mutex_unlock(&g->lock);
	return 1;
}

/* Hand the block being filled to a worker (or deflate it here) and start the next one. */
static int submit(struct gz_stage *g, int last, struct error *err)
{
	struct gz_slot *s = slot_of(g, g->next_fill);
	int rc;

	if (!g->header_done && write_header(g, err) < 0)
		return -1;
	s->last = last;
	s->seq = g->next_fill;
	s->error[0] = '\0';
	memcpy(s->dict, g->dict, g->dict_len);
	s->dict_len = g->dict_len;
	/* The next block's dictionary: the last 32 KiB of everything before it. */
	if (s->in_len >= GZ_DICT) {
		memcpy(g->dict, s->in + s->in_len - GZ_DICT, GZ_DICT);
		g->dict_len = GZ_DICT;
	} else {
		size_t keep = g->dict_len + s->in_len > GZ_DICT ? GZ_DICT - s->in_len : g->dict_len;

		memmove(g->dict, g->dict + g->dict_len - keep, keep);
		memcpy(g->dict + keep, s->in, s->in_len);
		g->dict_len = keep + s->in_len;
	}
	g->total += s->in_len;
	if (g->n_threads == 0) {
		deflate_block(&g->inline_z, s);
		s->state = SLOT_DONE;
		g->next_fill++;
		return write_next(g, 0, err) < 0 ? -1 : 0;
	}
	pthread_mutex_lock(&g->lock);
	s->state = SLOT_QUEUED;
	g->next_fill++;
	pthread_cond_signal(&g->work);
	pthread_mutex_unlock(&g->lock);
	/* Write what is done; while every slot is taken, wait for the oldest. */
	while ((rc = write_next(g, g->next_fill - g->next_write >= g->n_slots, err)) > 0)
		;
	return rc;
}

static int gz_write(struct sink_filter *f, const void *buf, size_t len, struct error *err)
{
	struct gz_stage *g = (struct gz_stage *)f;
	const unsigned char *p = buf;

	while (len > 0) {
		struct gz_slot *s = slot_of(g, g->next_fill);
		size_t n = GZ_BLOCK - s->in_len < len ? GZ_BLOCK - s->in_len : len;

		memcpy(s->in + s->in_len, p, n);
		s->in_len += n;
		p += n;
		len -= n;
		if (s->in_len == GZ_BLOCK && submit(g, 0, err) < 0)
			return -1;
	}
	return 0;
}

/* The last block (perhaps empty) ends the deflate stream; then CRC-32 and length, LSB first. */
static int gz_finish(struct sink_filter *f, struct error *err)
{
	struct gz_stage *g = (struct gz_stage *)f;
	unsigned char trailer[8];
	int rc;

	if (submit(g, 1, err) < 0)
		return -1;
	while ((rc = write_next(g, 1, err)) > 0)
		;
	if (rc < 0)
		return -1;
	for (int i = 0; i < 4; i++) {
		trailer[i] = (unsigned char)(g->crc >> (8 * i));
		trailer[4 + i] = (unsigned char)(g->total >> (8 * i));
	}
	return sink_filter_pass(&g->f, trailer, sizeof(trailer), err);
}

static void gz_free(struct sink_filter *f)
{
	struct gz_stage *g = (struct gz_stage *)f;

	if (g->n_started > 0) {
		pthread_mutex_lock(&g->lock);
		g->stop = 1;
		pthread_cond_broadcast(&g->work);
		pthread_mutex_unlock(&g->lock);
		for (int i = 0; i < g->n_started; i++)
			pthread_join(g->threads[i], NULL);
	}
	if (g->n_threads > 0) {
		pthread_cond_destroy(&g->ready);
		pthread_cond_destroy(&g->work);
		pthread_mutex_destroy(&g->lock);
	}
	if (g->inline_ready)
		deflateEnd(&g->inline_z);
	for (size_t i = 0; i < g->n_slots; i++) {
		free(g->slots[i].in);
		free(g->slots[i].dict);
		free(g->slots[i].out);
	}
	free(g->slots);
	free(g->threads);
	free(g);
}

struct sink_filter *sink_gzip_new(int level, int workers, struct error *err)
{
	struct gz_stage *g = xcalloc(1, sizeof(*g));

	g->f.write = gz_write;
	g->f.finish = gz_finish;
	g->f.free = gz_free;
	g->level = level >= 0 ? level : GZ_DEFAULT_LEVEL;
	g->crc = crc32(0L, Z_NULL, 0);
	if (g->level > 9) {
		error_set(err, "compression level %d for gzip: not from 0 to 9", g->level);
		goto fail;
	}
	g->n_threads = workers > 1 ? workers : 0;
	/* Two blocks per worker keep every worker busy while the oldest is written out. */
	g->n_slots = g->n_threads > 0 ? 2 * (size_t)g->n_threads + 1 : 1;
	g->slots = xcalloc(g->n_slots, sizeof(*g->slots));
	for (size_t i = 0; i < g->n_slots; i++) {
		g->slots[i].in = xmalloc(GZ_BLOCK);
		g->slots[i].dict = xmalloc(GZ_DICT);
		g->slots[i].out_size = GZ_BLOCK + GZ_BLOCK / 8 + 64;
		g->slots[i].out = xmalloc(g->slots[i].out_size);
	}
	if (g->n_threads == 0) {
		if (deflater_init(&g->inline_z, g->level) != Z_OK) {
			error_set(err, "gzip compression: cannot start a deflate stream");
			goto fail;
		}
		g->inline_ready = 1;
		return &g->f;
	}
	g->threads = xcalloc((size_t)g->n_threads, sizeof(*g->threads));
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->work, NULL);
	pthread_cond_init(&g->ready, NULL);
	for (; g->n_started < g->n_threads; g->n_started++) {
		int rc = thread_start(&g->threads[g->n_started], gz_worker, g);

		if (rc != 0) {
			error_set(err, "gzip compression: cannot start a thread: %s", strerror(rc));
			goto fail;
		}
	}
	return &g->f;
fail:
	gz_free(&g->f);
	return NULL;
}
