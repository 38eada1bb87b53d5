/*
 * receive's bundle reader: start it (a fresh logpack, so that no key is in its memory), feed it
 * the decrypted bundle through a socket, collect its verdict, and kill it when its time is up.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/hash.h"
#include "series/inbox-reader.h"

/* The verdict of a reader is a small JSON document; more is not a verdict. */
#define RESULT_MAX (4u << 20)
#define CHUNK 65536

size_t reader_bundle_suffix(const char *name, int *encrypted)
{
	static const char *const plain[] = {".tar", ".tar.zst", ".tar.gz", ".tgz", ".tar.xz"};
	static const char *const wrapped[] = {".age", ".gpg", ".enc"};
	size_t len = strlen(name);

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (len > strlen(plain[i]) && str_has_suffix(name, plain[i])) {
			*encrypted = 0;
			return strlen(plain[i]);
		}
	for (size_t i = 0; i < sizeof(wrapped) / sizeof(wrapped[0]); i++)
		if (len > strlen(wrapped[i]) && str_has_suffix(name, wrapped[i])) {
			*encrypted = 1;
			return strlen(wrapped[i]);
		}
	return 0;
}

/* The decryption step: a pass-through for a plain bundle, else the decryptor of its kind. */
struct decrypt_step {
	struct age_decryptor *age;
	struct openpgp_decryptor *pgp;
	age_output_fn output;
	void *ctx;
};

static int decrypt_new(struct decrypt_step *ds, const char *name, const struct reader_keys *keys,
                       age_output_fn output, void *ctx, struct error *err)
{
	int encrypted = 0;

	memset(ds, 0, sizeof(*ds));
	ds->output = output;
	ds->ctx = ctx;
	if (reader_bundle_suffix(name, &encrypted) == 0 || !encrypted)
		return 0;
	if (str_has_suffix(name, ".gpg")) {
		if (keys->pgp == NULL) {
			error_set(err,
			          "an OpenPGP-encrypted bundle, and no OpenPGP key (--key) was "
			          "given");
			return -1;
		}
		return openpgp_decryptor_new(&ds->pgp, keys->pgp, output, ctx, err);
	}
	if (keys->age == NULL) {
		error_set(err, "an age-encrypted bundle, and no age key (--key) was given");
		return -1;
	}
	return age_decryptor_new(&ds->age, keys->age, output, ctx, err);
}

static int decrypt_write(struct decrypt_step *ds, const void *buf, size_t len, struct error *err)
{
	if (ds->age)
		return age_decryptor_write(ds->age, buf, len, err);
	if (ds->pgp)
		return openpgp_decryptor_write(ds->pgp, buf, len, err);
	return ds->output(ds->ctx, buf, len, err);
}

/* The end of the input: only now is a decrypted stream authenticated as a whole. */
static int decrypt_finish(struct decrypt_step *ds, struct error *err)
{
	if (ds->pgp)
		return openpgp_decryptor_finish(ds->pgp, err);
	return ds->age ? age_decryptor_finish(ds->age, err) : 0;
}

static void decrypt_free(struct decrypt_step *ds)
{
	age_decryptor_free(ds->age);
	openpgp_decryptor_free(ds->pgp);
	ds->age = NULL;
	ds->pgp = NULL;
}

/* The reader as seen from here: its socket, its answer so far, its deadline. */
struct feed {
	int sock;
	int gone;      /* it stopped reading (it has its verdict, or it died) */
	int eof;       /* its answer is complete */
	int timed_out; /* its time ran out */
	struct timespec deadline;
	struct strbuf answer;
};

static int ms_left(const struct feed *f)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(f->deadline.tv_sec - now.tv_sec) * 1000 +
	     (f->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

static int deadline_passed(const struct feed *f)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > f->deadline.tv_sec ||
	       (now.tv_sec == f->deadline.tv_sec && now.tv_nsec >= f->deadline.tv_nsec);
}

/* Take what the reader has written. 0, or -1 when its answer is too long. */
static int take_answer(struct feed *f, struct error *err)
{
	char buf[CHUNK];
	ssize_t n = recv(f->sock, buf, sizeof(buf), MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		f->eof = 1;
		return 0;
	}
	if (n < 0)
		return 0;
	if (f->answer.len + (size_t)n > RESULT_MAX) {
		error_set(err, "the reader's answer is over %u bytes", RESULT_MAX);
		return -1;
	}
	strbuf_add(&f->answer, buf, (size_t)n);
	return 0;
}

/* Wait for the socket; 0 when it is ready, -1 when the time is up. */
static int wait_ready(struct feed *f, short events, short *revents)
{
	struct pollfd p = {f->sock, events, 0};

	for (;;) {
		int rc;

		if (deadline_passed(f)) {
			f->timed_out = 1;
			return -1;
		}
		rc = poll(&p, 1, ms_left(f));
		if (rc > 0) {
			*revents = p.revents;
			return 0;
		}
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* An age_output_fn: the plaintext, to the reader. */
static int feed_send(void *ctx, const void *buf, size_t len, struct error *err)
{
	struct feed *f = ctx;
	const char *p = buf;

	while (len > 0 && !f->gone) {
		short rev = 0;
		ssize_t n;

		if (wait_ready(f, POLLOUT | POLLIN, &rev) < 0) {
			error_set(err, "the reader did not finish in time");
			return -1;
		}
		if (rev & POLLIN) {
			if (take_answer(f, err) < 0)
				return -1;
			if (f->eof)
				f->gone = 1;
		}
		if (!(rev & POLLOUT)) {
			if (rev & (POLLHUP | POLLERR))
				f->gone = 1;
			continue;
		}
		n = send(f->sock, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (n < 0) {
			/* EPIPE, ECONNRESET: it has stopped reading; its answer says why. */
			f->gone = 1;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

extern char **environ;

/*
 * The reader's environment: nothing of ours (a passphrase may be there), only the test hook
 * and sanitizer settings. LeakSanitizer stops the world with ptrace at exit, which the
 * reader's seccomp filter refuses: leak checking is off there (verify's tests cover the same
 * reading code with it on).
 */
static char **reader_env(void)
{
	static const char *const keep[] = {READER_TEST_STOP_ENV, "UBSAN_OPTIONS"};
	const char *asan = getenv("ASAN_OPTIONS");
	char **env = xcalloc(sizeof(keep) / sizeof(keep[0]) + 3, sizeof(char *));
	size_t n = 0;

	env[n++] = xstrdup("PATH=/usr/bin:/bin");
	env[n++] = asan ? xasprintf("ASAN_OPTIONS=%s:detect_leaks=0", asan)
	                : xstrdup("ASAN_OPTIONS=detect_leaks=0");
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		const char *v = getenv(keep[i]);

		if (v)
			env[n++] = xasprintf("%s=%s", keep[i], v);
	}
	return env;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Start the reader on socket end child_sock. */
static int spawn_reader(const struct reader_options *opt, const char *name, int child_sock,
                        pid_t *pid, struct error *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	char **argv = xcalloc(40, sizeof(char *)), **env = reader_env();
	size_t n = 0;
	int rc;

	argv[n++] = xstrdup("logpack");
	argv[n++] = xstrdup("-q");
	argv[n++] = xstrdup("receive");
	argv[n++] = xstrdup("--reader-child");
	argv[n++] = xasprintf("--parent-pid=%ld", (long)getpid());
	argv[n++] = xasprintf("--label=%s", name);
	argv[n++] = xasprintf("--require=%s", opt->require);
	if (opt->trust_path)
		argv[n++] = xasprintf("--trust=%s", opt->trust_path);
	argv[n++] = xasprintf("--max-members=%llu", (unsigned long long)opt->limits.max_members);
	argv[n++] = xasprintf("--max-size=%llu", (unsigned long long)opt->limits.max_size);
	argv[n++] = xasprintf("--max-ratio=%llu", (unsigned long long)opt->limits.max_ratio);
	argv[n++] = xasprintf("--reader-memory=%llu", (unsigned long long)opt->max_memory);
	argv[n++] = xasprintf("--reader-cpu=%llu", (unsigned long long)opt->cpu_seconds);
	if (opt->drop_user)
		argv[n++] = xasprintf("--reader-uid=%lu:%lu", (unsigned long)opt->uid,
		                      (unsigned long)opt->gid);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, child_sock, 0);
	posix_spawn_file_actions_adddup2(&fa, child_sock, 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(pid, opt->exe, &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	strv_free(argv);
	strv_free(env);
	if (rc != 0) {
		error_set(err, "cannot start the bundle reader %s: %s", opt->exe, strerror(rc));
		return -1;
	}
	return 0;
}

/* Why the reader ended without an answer. Caller frees. */
static char *reader_death(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		if (sig == SIGXCPU)
			return xstrdup("the bundle reader ran out of CPU time");
		if (sig == SIGSYS)
			return xstrdup("the bundle reader made a forbidden system call");
		return xasprintf("the bundle reader was killed by signal %d (out of memory, or a "
		                 "crash)",
		                 sig);
	}
	return xasprintf("the bundle reader failed with exit code %d", WEXITSTATUS(status));
}

/* Read the reader's answer into res; 0, or -1 with the reason in res->failure. */
static void parse_answer(const struct strbuf *answer, struct reader_result *res)
{
	json_error_t jerr;
	json_t *doc = json_loadb(answer->buf ? answer->buf : "", answer->len, 0, &jerr);
	json_t *v;

	if (doc == NULL || !json_is_object(doc)) {
		res->failure = xstrdup("the bundle reader gave no verdict");
		json_decref(doc);
		return;
	}
	if (json_is_string(v = json_object_get(doc, "error"))) {
		res->failure = xasprintf("cannot read: %s", json_string_value(v));
	} else if (json_is_object(json_object_get(doc, "verdict")) &&
	           json_is_string(json_object_get(doc, "line")) &&
	           json_is_integer(json_object_get(doc, "outcome"))) {
		res->verdict = json_incref(json_object_get(doc, "verdict"));
		res->line = xstrdup(json_string_value(json_object_get(doc, "line")));
		res->outcome = (int)json_integer_value(json_object_get(doc, "outcome"));
	} else {
		res->failure = xstrdup("the bundle reader gave no verdict");
	}
	json_decref(doc);
}

/* The raw bytes of the file open on fd, hashed to its end for the receipt; 0 or -1. */
static int hash_rest(int fd, const char *name, unsigned char *buf, struct sha256 *raw,
                     struct reader_result *res, struct error *err)
{
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, "%s: %s", name, strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		sha256_update(raw, buf, (size_t)n);
		res->raw_bytes += (uint64_t)n;
	}
}

/*
 * An X.509 pair: the CMS decryptor reads the content itself (from the start of fd) and pushes
 * the plaintext to the reader. The raw file is hashed first, in a pass of its own.
 */
static int decrypt_cms(int fd, const char *name, const unsigned char *header, size_t header_len,
                       const struct reader_keys *keys, struct feed *f, unsigned char *buf,
                       struct sha256 *raw, struct reader_result *res, struct error *err)
{
	struct error why = {{0}};
	int fault = 0;

	if (hash_rest(fd, name, buf, raw, res, err) < 0)
		return -1;
	if (header == NULL) {
		res->failure = xstrdup("cannot decrypt: an X.509 pair without its header (.p7m)");
		return 0;
	}
	if (keys->cms == NULL) {
		res->failure =
		        xstrdup("cannot decrypt: an X.509-encrypted bundle, and no private key "
		                "(--key) was given");
		return 0;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		error_set(err, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (cms_decrypt_detached(header, header_len, fd, keys->cms, feed_send, f, &fault, &why) < 0)
		res->failure = f->timed_out ? xstrdup("the bundle reader did not finish in time")
		                            : xasprintf("cannot decrypt: %s", why.msg);
	return 0;
}

int reader_verify(int fd, const char *name, const unsigned char *cms_header, size_t cms_header_len,
                  const struct reader_options *opt, const struct reader_keys *keys,
                  struct reader_result *res, struct error *err)
{
	struct feed f = {.sock = -1, .answer = STRBUF_INIT};
	struct decrypt_step ds = {0};
	struct sha256 raw;
	struct error why;
	unsigned char *buf = NULL;
	int sv[2] = {-1, -1}, status = 0, ret = -1, have_ds = 0, failed = 0;
	pid_t pid = -1;

	memset(res, 0, sizeof(*res));
	if (sha256_init(&raw, err) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		error_set(err, "socketpair: %s", strerror(errno));
		goto out;
	}
	if (spawn_reader(opt, name, sv[1], &pid, err) < 0)
		goto out;
	res->reader_pid = pid;
	close(sv[1]);
	sv[1] = -1;
	f.sock = sv[0];
	clock_gettime(CLOCK_MONOTONIC, &f.deadline);
	f.deadline.tv_sec += opt->timeout;
	buf = xmalloc(CHUNK);
	if (str_has_suffix(name, ".enc")) {
		if (decrypt_cms(fd, name, cms_header, cms_header_len, keys, &f, buf, &raw, res,
		                err) < 0)
			goto out;
		failed = res->failure != NULL;
		goto fed;
	}
	if (decrypt_new(&ds, name, keys, feed_send, &f, &why) < 0) {
		res->failure = xasprintf("cannot decrypt: %s", why.msg);
		failed = 1;
	}
	have_ds = 1;
	/* Every byte of the file is hashed, even after a failure, for the receipt. */
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, "%s: %s", name, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		sha256_update(&raw, buf, (size_t)n);
		res->raw_bytes += (uint64_t)n;
		if (!failed && decrypt_write(&ds, buf, (size_t)n, &why) < 0) {
			res->failure = f.timed_out
			                       ? xstrdup("the bundle reader did not finish in time")
			                       : xasprintf("cannot decrypt: %s", why.msg);
			failed = 1;
		}
	}
	if (!failed && decrypt_finish(&ds, &why) < 0) {
		res->failure = f.timed_out ? xstrdup("the bundle reader did not finish in time")
		                           : xasprintf("cannot decrypt: %s", why.msg);
		failed = 1;
	}
fed:
	shutdown(f.sock, SHUT_WR);
	while (!failed && !f.eof) {
		short rev = 0;

		if (wait_ready(&f, POLLIN, &rev) < 0) {
			res->failure = xstrdup("the bundle reader did not finish in time");
			failed = 1;
			break;
		}
		if (take_answer(&f, &why) < 0) {
			res->failure = xstrdup(why.msg);
			failed = 1;
		}
	}
	/* A reader that is not needed any more, or out of time, is not waited for. */
	if (failed)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (!failed) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			parse_answer(&f.answer, res);
		else
			res->failure = reader_death(status);
	}
	ret = 0;
out:
	sha256_final_hex(&raw, res->raw_sha256);
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (have_ds)
		decrypt_free(&ds);
	free(buf);
	strbuf_release(&f.answer);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (ret < 0)
		reader_result_free(res);
	return ret;
}

void reader_result_free(struct reader_result *res)
{
	free(res->failure);
	free(res->line);
	json_decref(res->verdict);
	memset(res, 0, sizeof(*res));
}
