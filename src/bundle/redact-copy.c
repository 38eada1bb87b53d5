/* Pass 2's members copied into the derived bag on a thread of their own (bundle/redact-copy.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/thread.h"
#include "bundle/redact-copy.h"

struct copy_job {
	int fd;
	char *name; /* the payload path under data/, or the tag file's name */
	int tag;
	int64_t mtime;
};

struct redact_copier {
	struct bag_writer *bw;
	const char *dir;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	/* The member handed over: taken at once, so that the reader redacts the next one while
	 * it is copied (two temporary files at most: one copied, one written). */
	struct copy_job waiting;
	int has_waiting;
	int busy, stop, failed;
	atomic_int cancel; /* abort: the copy under way stops at its next piece */
	struct error err;  /* the first failure */
};

static void job_release(struct copy_job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	free(j->name);
	j->fd = -1;
	j->name = NULL;
}

/* The temporary file fd into the bag as the payload begun; 1 when cancelled. */
static int copy_fd(struct redact_copier *c, int fd, struct error *err)
{
	for (;;) {
		size_t size;
		void *buf = bag_payload_buffer(c->bw, &size);
		ssize_t n;

		if (atomic_load(&c->cancel))
			return 1;
		n = read(fd, buf, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, "%s: temporary file: %s", c->dir, strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		if (bag_payload_write(c->bw, buf, (size_t)n, err) < 0)
			return -1;
	}
}

/* One member into the bag: 0, 1 when cancelled, or -1 with err. */
static int copy_job(struct redact_copier *c, struct copy_job *j, struct error *err)
{
	off_t size = lseek(j->fd, 0, SEEK_END);
	char sha[SHA256_HEX_LEN + 1];
	int rc;

	err->msg[0] = '\0';
	if (j->tag) {
		if (size >= 0 && lseek(j->fd, 0, SEEK_SET) == 0 &&
		    bag_add_tag_fd(c->bw, j->name, j->fd, err) == 0)
			return 0;
	} else if (size >= 0 && lseek(j->fd, 0, SEEK_SET) == 0 &&
	           bag_payload_begin(c->bw, j->name, (uint64_t)size, j->mtime, err) == 0 &&
	           (rc = copy_fd(c, j->fd, err)) >= 0) {
		if (rc == 1)
			return 1;
		if (bag_payload_end(c->bw, sha, err) == 0)
			return 0;
	}
	if (err->msg[0] == '\0')
		error_set(err, "%s: temporary file: %s", c->dir, strerror(errno));
	return -1;
}

static void *copier_main(void *arg)
{
	struct redact_copier *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		struct copy_job j;
		struct error e;
		int rc;

		while (!c->has_waiting && !c->stop)
			pthread_cond_wait(&c->changed, &c->lock);
		if (!c->has_waiting)
			break;
		j = c->waiting;
		c->has_waiting = 0;
		c->busy = 1;
		pthread_cond_broadcast(&c->changed);
		pthread_mutex_unlock(&c->lock);
		/* A cancelled copy (1) is no failure of its own: the run failed elsewhere. */
		rc = c->failed || atomic_load(&c->cancel) ? 1 : copy_job(c, &j, &e);
		job_release(&j);
		pthread_mutex_lock(&c->lock);
		if (rc < 0 && !c->failed) {
			c->failed = 1;
			c->err = e;
		}
		c->busy = 0;
		pthread_cond_broadcast(&c->changed);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int redact_copier_start(struct redact_copier **out, struct bag_writer *bw, const char *dir,
                        struct error *err)
{
	struct redact_copier *c = xcalloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	c->bw = bw;
	c->dir = dir;
	c->waiting.fd = -1;
	atomic_init(&c->cancel, 0);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->changed, NULL);
	rc = thread_start(&c->thread, copier_main, c);
	if (rc != 0) {
		error_set(err, "cannot start the copying thread: %s", strerror(rc));
		pthread_cond_destroy(&c->changed);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return -1;
	}
	*out = c;
	return 0;
}

static int give(struct redact_copier *c, struct copy_job j, struct error *err)
{
	pthread_mutex_lock(&c->lock);
	while ((c->has_waiting || c->busy) && !c->failed)
		pthread_cond_wait(&c->changed, &c->lock);
	if (c->failed) {
		*err = c->err;
		pthread_mutex_unlock(&c->lock);
		job_release(&j);
		return -1;
	}
	c->waiting = j;
	c->has_waiting = 1;
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int redact_copier_payload(struct redact_copier *c, int fd, char *path, int64_t mtime,
                          struct error *err)
{
	return give(c, (struct copy_job){fd, path, 0, mtime}, err);
}

int redact_copier_tag(struct redact_copier *c, int fd, char *name, struct error *err)
{
	return give(c, (struct copy_job){fd, name, 1, 0}, err);
}

static int stop(struct redact_copier *c, int wait, struct error *err)
{
	int rc;

	if (!wait)
		atomic_store(&c->cancel, 1);
	pthread_mutex_lock(&c->lock);
	while (wait && (c->has_waiting || c->busy) && !c->failed)
		pthread_cond_wait(&c->changed, &c->lock);
	/* What still waits is dropped (the copies stopped: the run fails). */
	if (!wait && c->has_waiting) {
		c->has_waiting = 0;
		job_release(&c->waiting);
	}
	c->stop = 1;
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	rc = c->failed ? -1 : 0;
	if (rc < 0 && err)
		*err = c->err;
	if (c->has_waiting)
		job_release(&c->waiting);
	pthread_cond_destroy(&c->changed);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return rc;
}

int redact_copier_finish(struct redact_copier *c, struct error *err)
{
	return stop(c, 1, err);
}

void redact_copier_abort(struct redact_copier *c, struct error *err)
{
	if (c)
		stop(c, 0, err);
}
