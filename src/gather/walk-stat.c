/* The walk's lstat calls, shared with one helper thread (walk-stat.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "base/thread.h"
#include "base/util.h"
#include "gather/walk-stat.h"

#define STAT_ALONE_BELOW 32

struct walk_stat {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the helper waits here for a batch, or for the end */
	pthread_cond_t done; /* the walk waits here for the helper to leave a batch */
	unsigned long batch; /* incremented for each batch given */
	unsigned long left;  /* the last batch the helper has left */
	int quit;
	/* The batch: the next name to stat is taken by whichever thread is free first. */
	int dir_fd;
	const char *const *names;
	size_t n;
	struct stat *st;
	int *err;
	atomic_size_t next;
};

static void stat_one(int dir_fd, const char *const *names, size_t k, struct stat *st, int *err)
{
	if (names[k])
		err[k] = fstatat(dir_fd, names[k], &st[k], AT_SYMLINK_NOFOLLOW) < 0 ? errno : 0;
}

/* The batch's names not yet taken, one at a time, until none is left. */
static void stat_some(struct walk_stat *ws, int dir_fd, const char *const *names, size_t n,
                      struct stat *st, int *err)
{
	for (size_t k; (k = atomic_fetch_add(&ws->next, 1)) < n;)
		stat_one(dir_fd, names, k, st, err);
}

static void *helper(void *arg)
{
	struct walk_stat *ws = arg;
	unsigned long seen = 0;

	pthread_mutex_lock(&ws->lock);
	for (;;) {
		while (!ws->quit && ws->batch == seen)
			pthread_cond_wait(&ws->wake, &ws->lock);
		if (ws->quit)
			break;
		seen = ws->batch;
		pthread_mutex_unlock(&ws->lock);
		stat_some(ws, ws->dir_fd, ws->names, ws->n, ws->st, ws->err);
		pthread_mutex_lock(&ws->lock);
		ws->left = seen;
		pthread_cond_signal(&ws->done);
	}
	pthread_mutex_unlock(&ws->lock);
	return NULL;
}

struct walk_stat *walk_stat_new(void)
{
	struct walk_stat *ws = xcalloc(1, sizeof(*ws));

	pthread_mutex_init(&ws->lock, NULL);
	pthread_cond_init(&ws->wake, NULL);
	pthread_cond_init(&ws->done, NULL);
	if (thread_start(&ws->thread, helper, ws) != 0) {
		pthread_cond_destroy(&ws->done);
		pthread_cond_destroy(&ws->wake);
		pthread_mutex_destroy(&ws->lock);
		free(ws);
		return NULL;
	}
	return ws;
}

void walk_stat_names(struct walk_stat *ws, int dir_fd, const char *const *names, size_t n,
                     struct stat *st, int *err)
{
	unsigned long batch;

	/* Waking the helper costs more than a few calls. */
	if (ws == NULL || n < STAT_ALONE_BELOW) {
		for (size_t k = 0; k < n; k++)
			stat_one(dir_fd, names, k, st, err);
		return;
	}
	pthread_mutex_lock(&ws->lock);
	ws->dir_fd = dir_fd;
	ws->names = names;
	ws->n = n;
	ws->st = st;
	ws->err = err;
	atomic_store(&ws->next, 0);
	batch = ++ws->batch;
	pthread_cond_signal(&ws->wake);
	pthread_mutex_unlock(&ws->lock);
	stat_some(ws, dir_fd, names, n, st, err);
	/* The helper may still be in its last call, or not have woken yet: the batch's arrays
	 * are the caller's, so it must have left them before this returns. */
	pthread_mutex_lock(&ws->lock);
	while (ws->left != batch)
		pthread_cond_wait(&ws->done, &ws->lock);
	pthread_mutex_unlock(&ws->lock);
}

void walk_stat_free(struct walk_stat *ws)
{
	if (ws == NULL)
		return;
	pthread_mutex_lock(&ws->lock);
	ws->quit = 1;
	pthread_cond_signal(&ws->wake);
	pthread_mutex_unlock(&ws->lock);
	pthread_join(ws->thread, NULL);
	pthread_cond_destroy(&ws->done);
	pthread_cond_destroy(&ws->wake);
	pthread_mutex_destroy(&ws->lock);
	free(ws);
}
