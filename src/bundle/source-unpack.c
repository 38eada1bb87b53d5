/* Decompression on a thread of its own, beside the tar reader and the hashing of members. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "base/cpus.h"
#include "base/thread.h"
#include "bundle/source-private.h"

/* Decompress into the slots, in order, until the end, a failure or stop. */
static void *unpack_worker(void *arg)
{
	struct source *src = arg;
	struct unpacker *u = src->unpack;

	pthread_mutex_lock(&u->lock);
	for (;;) {
		struct unpack_slot *s;
		const char *msg;

		while (!u->stop && u->n_filled - u->n_released >= UNPACK_SLOTS)
			pthread_cond_wait(&u->freed, &u->lock);
		if (u->stop)
			break;
		s = &u->slots[u->n_filled % UNPACK_SLOTS];
		pthread_mutex_unlock(&u->lock);
		s->n = archive_read_data(src->raw, s->buf, UNPACK_CHUNK);
		s->compressed = (uint64_t)archive_filter_bytes(src->raw, -1);
		if (s->n < 0) {
			msg = archive_error_string(src->raw);
			snprintf(s->error, sizeof(s->error), "%s", msg ? msg : "cannot decompress");
		}
		pthread_mutex_lock(&u->lock);
		u->n_filled++;
		pthread_cond_signal(&u->filled);
		if (s->n <= 0)
			break;
	}
	u->ended = 1;
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

/* Start decompressing on a thread of its own. Returns 0, or -1 (then raw is read here). */
int source_unpack_start(struct source *src)
{
	struct unpacker *u = xcalloc(1, sizeof(*u));
	int rc;

	for (int i = 0; i < UNPACK_SLOTS; i++)
		u->slots[i].buf = xmalloc(UNPACK_CHUNK);
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->filled, NULL);
	pthread_cond_init(&u->freed, NULL);
	src->unpack = u;
	rc = thread_start(&u->thread, unpack_worker, src);
	if (rc != 0) {
		src->unpack = NULL;
		pthread_cond_destroy(&u->freed);
		pthread_cond_destroy(&u->filled);
		pthread_mutex_destroy(&u->lock);
		for (int i = 0; i < UNPACK_SLOTS; i++)
			free(u->slots[i].buf);
		free(u);
		return -1;
	}
	return 0;
}

/* Stop the decompressing thread (it finishes the chunk it is on) and free it. */
void source_unpack_stop(struct source *src)
{
	struct unpacker *u = src->unpack;

	if (u == NULL)
		return;
	pthread_mutex_lock(&u->lock);
	u->stop = 1;
	pthread_cond_signal(&u->freed);
	pthread_mutex_unlock(&u->lock);
	pthread_join(u->thread, NULL);
	pthread_cond_destroy(&u->freed);
	pthread_cond_destroy(&u->filled);
	pthread_mutex_destroy(&u->lock);
	for (int i = 0; i < UNPACK_SLOTS; i++)
		free(u->slots[i].buf);
	free(u);
	src->unpack = NULL;
}

/*
 * The next chunk of the decompressed stream into src->chunk: its length, 0 at the end, or -1
 * with the reason in src->read_err. The chunk stays readable until the next call.
 */
la_ssize_t source_raw_next(struct source *src)
{
	struct unpacker *u = src->unpack;
	struct unpack_slot *s;

	if (u == NULL) {
		la_ssize_t n = archive_read_data(src->raw, src->dbuf, CHUNK);

		if (n < 0) {
			const char *msg = archive_error_string(src->raw);

			error_set(&src->read_err, "%s", msg ? msg : "cannot decompress");
		}
		src->chunk = src->dbuf;
		return n;
	}
	pthread_mutex_lock(&u->lock);
	s = &u->slots[u->n_released % UNPACK_SLOTS];
	/* The end or a failure stays where it is: every later call sees it again. */
	if (u->holding && s->n > 0) {
		u->n_released++;
		u->holding = 0;
		pthread_cond_signal(&u->freed);
	}
	while (u->n_filled == u->n_released)
		pthread_cond_wait(&u->filled, &u->lock);
	u->holding = 1;
	pthread_mutex_unlock(&u->lock);
	s = &u->slots[u->n_released % UNPACK_SLOTS];
	src->compressed = s->compressed;
	if (s->n < 0)
		error_set(&src->read_err, "%s", s->error);
	src->chunk = s->buf;
	return s->n;
}

/* How many compressed bytes are behind what the tar reader was given. */
uint64_t source_raw_compressed(const struct source *src)
{
	if (src->unpack)
		return src->compressed;
	return (uint64_t)archive_filter_bytes(src->raw, -1);
}

/* Is decompressing beside the tar reader worth a thread, and safe to stop at any time? */
int source_unpack_wanted(const struct source *src)
{
	struct stat st;

	if (cpus_available() < 2)
		return 0;
	if (src->kind == KIND_MEMORY)
		return 1;
	/* A pipe may block its reader for good; a thread stuck there could not be stopped. */
	return src->kind == KIND_FD && fstat(src->fd, &st) == 0 && S_ISREG(st.st_mode);
}
