/*
 * An encrypted bundle read as a stream: the decryptors (trust/) push plaintext to a callback,
 * the source pulls its compressed bytes through a filter; this joins the two.
 *
 * age and OpenPGP decrypt in this thread: the filter feeds the decryptor small pieces of the
 * file and hands out what they decrypt to. A CMS pair is decrypted on a thread of its own,
 * because cms_decrypt_detached reads the .enc file itself (through OpenSSL's cipher BIO); its
 * plaintext comes through a pipe, and whether the GCM tag checked is known when the thread is
 * joined.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/thread.h"
#include "bundle/source-decrypt.h"
#include "trust/age.h"
#include "trust/cms-envelope.h"
#include "trust/openpgp.h"
#include "trust/sign.h"

/*
 * The piece of the file fed to a decryptor at once. Small, because what one piece decrypts to
 * is held until the reader takes it: a compressed OpenPGP message may inflate about 1000-fold.
 */
#define FEED_CHUNK 8192
#define HEAD_LEN 64
#define AGE_MAGIC "age-encryption.org/v1"

struct source_decryption {
	enum source_cipher cipher;
	char *label;
	int fd, own_fd;
	struct age_identity *age_id;
	struct age_decryptor *age;
	struct openpgp_secret *pgp_secret;
	struct openpgp_decryptor *pgp;
	struct cms_identity *cms_id;
	char *key_text;

	/* plaintext decrypted and not yet taken by the reader */
	unsigned char *out;
	size_t out_len, out_off, out_cap;
	unsigned char *feed;
	unsigned char head[HEAD_LEN]; /* the first bytes, read to tell the format */
	size_t head_len;
	int ended; /* the input ended and authenticated */
	int failed;
	struct error fail;

	/* CMS: the decrypting thread and the pipe its plaintext comes through */
	char *header;
	size_t header_len;
	int enc_fd;
	int pipe_rd, pipe_wr;
	pthread_t thread;
	int thread_running;
	int thread_rc;
	int thread_fault;
	struct error thread_err;
};

const char *source_cipher_name(enum source_cipher c)
{
	switch (c) {
	case SOURCE_AGE:
		return "age";
	case SOURCE_OPENPGP:
		return "openpgp";
	case SOURCE_CMS:
		return "cms";
	case SOURCE_PLAIN:
		break;
	}
	return "none";
}

/* "X.p7m", or "X.enc" with X.p7m beside it: the header's path, else NULL. */
static char *cms_header_path(const char *path)
{
	size_t len = strlen(path);
	char *p7m;

	if (str_has_suffix(path, ".p7m"))
		return xstrdup(path);
	if (!str_has_suffix(path, ".enc"))
		return NULL;
	p7m = xasprintf("%.*s.p7m", (int)(len - 4), path);
	if (access(p7m, F_OK) == 0)
		return p7m;
	free(p7m);
	return NULL;
}

/* The format the first bytes say: age's version line, an OpenPGP packet or armor, or neither. */
static enum source_cipher cipher_of_head(const unsigned char *p, size_t len)
{
	if (len >= strlen(AGE_MAGIC) && memcmp(p, AGE_MAGIC, strlen(AGE_MAGIC)) == 0)
		return SOURCE_AGE;
	if (len >= 27 && memcmp(p, "-----BEGIN PGP MESSAGE-----", 27) == 0)
		return SOURCE_OPENPGP;
	/* A first packet that is a PKESK (1) or SKESK (3), old or new format. */
	if (len > 0 && (p[0] & 0x80)) {
		int tag = (p[0] & 0x40) ? (p[0] & 0x3f) : ((p[0] >> 2) & 0x0f);

		if (tag == 1 || tag == 3)
			return SOURCE_OPENPGP;
	}
	return SOURCE_PLAIN;
}

/* What the name says, for a file whose first bytes do not (damaged at its start). */
static enum source_cipher cipher_of_name(const char *path)
{
	if (str_has_suffix(path, ".age"))
		return SOURCE_AGE;
	if (str_has_suffix(path, ".gpg") || str_has_suffix(path, ".pgp"))
		return SOURCE_OPENPGP;
	return SOURCE_PLAIN;
}

enum source_cipher source_cipher_of(const char *path)
{
	unsigned char head[HEAD_LEN];
	struct stat st;
	char *p7m = cms_header_path(path);
	ssize_t n;
	int fd;

	if (p7m) {
		free(p7m);
		return SOURCE_CMS;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return SOURCE_PLAIN;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return SOURCE_PLAIN;
	}
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n > 0 && cipher_of_head(head, (size_t)n) != SOURCE_PLAIN)
		return cipher_of_head(head, (size_t)n);
	return cipher_of_name(path);
}

char *source_encrypted_to(const char *path, enum source_cipher c)
{
	char *data = NULL, *p7m, *text;
	size_t len = 0;

	switch (c) {
	case SOURCE_AGE:
		return xstrdup("age recipients (an age file does not name them)");
	case SOURCE_OPENPGP:
		/* The PKESK packets come first: the file's head holds them. */
		{
			int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
			unsigned char *buf = xmalloc(65536);
			ssize_t n = fd < 0 ? -1 : pread(fd, buf, 65536, 0);

			if (fd >= 0)
				close(fd);
			text = n > 0 ? openpgp_message_recipients(buf, (size_t)n) : NULL;
			free(buf);
		}
		return text ? text
		            : xstrdup("OpenPGP recipients (no session key packet at its start)");
	case SOURCE_CMS:
		p7m = cms_header_path(path);
		if (p7m == NULL || read_small_file(p7m, CMS_SINGLE_FILE_MAX, &data, &len) < 0) {
			free(p7m);
			return xstrdup("X.509 recipients (the CMS header cannot be read)");
		}
		free(p7m);
		text = cms_header_recipients((const unsigned char *)data, len);
		free(data);
		return text ? text : xstrdup("X.509 recipients (the CMS header names none)");
	case SOURCE_PLAIN:
		break;
	}
	return xstrdup("nobody");
}

/* Decrypted bytes, kept until the reader takes them. */
static int take_plain(void *ctx, const void *buf, size_t len, struct error *err)
{
	struct source_decryption *d = ctx;

	(void)err;
	if (d->out_len + len > d->out_cap) {
		/* Grown by hand, so that no plaintext stays behind in freed memory. */
		size_t cap = (d->out_len + len) * 2;
		unsigned char *grown = xmalloc(cap);

		if (d->out) {
			memcpy(grown, d->out, d->out_len);
			OPENSSL_cleanse(d->out, d->out_cap);
			free(d->out);
		}
		d->out = grown;
		d->out_cap = cap;
	}
	memcpy(d->out + d->out_len, buf, len);
	d->out_len += len;
	return 0;
}

static int pump_failed(struct source_decryption *d, const struct error *e)
{
	d->failed = 1;
	d->fail = *e;
	return -1;
}

static ssize_t read_retry(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Join the CMS thread; its verdict is the pair's. */
static int cms_join(struct source_decryption *d)
{
	if (!d->thread_running)
		return 0;
	pthread_join(d->thread, NULL);
	d->thread_running = 0;
	return d->thread_rc;
}

/* One step: read a piece of the input and decrypt it, or finish at its end. 0 or -1. */
static int pump(struct source_decryption *d)
{
	struct error e;
	ssize_t n;
	int rc;

	if (d->cipher == SOURCE_CMS) {
		n = read_retry(d->pipe_rd, d->feed, FEED_CHUNK);
		if (n < 0) {
			error_set(&e, "%s: %s", d->label, strerror(errno));
			return pump_failed(d, &e);
		}
		if (n == 0) {
			if (cms_join(d) < 0)
				return pump_failed(d, &d->thread_err);
			d->ended = 1;
			return 0;
		}
		return take_plain(d, d->feed, (size_t)n, &e);
	}
	if (d->head_len > 0) {
		memcpy(d->feed, d->head, d->head_len);
		n = (ssize_t)d->head_len;
		d->head_len = 0;
	} else if ((n = read_retry(d->fd, d->feed, FEED_CHUNK)) < 0) {
		error_set(&e, "%s: %s", d->label, strerror(errno));
		return pump_failed(d, &e);
	}
	if (d->cipher == SOURCE_PLAIN) {
		if (n == 0)
			d->ended = 1;
		return take_plain(d, d->feed, (size_t)n, &e);
	}
	if (n == 0) {
		rc = d->age ? age_decryptor_finish(d->age, &e)
		            : openpgp_decryptor_finish(d->pgp, &e);
		if (rc < 0)
			return pump_failed(d, &e);
		d->ended = 1;
		return 0;
	}
	rc = d->age ? age_decryptor_write(d->age, d->feed, (size_t)n, &e)
	            : openpgp_decryptor_write(d->pgp, d->feed, (size_t)n, &e);
	return rc < 0 ? pump_failed(d, &e) : 0;
}

/* The source's filter: the plaintext, in order; the decryptor's failure is the stream's. */
static ssize_t filter_read(void *ctx, struct source_stream *below, void *buf, size_t len,
                           struct error *err)
{
	struct source_decryption *d = ctx;
	size_t give;

	/* The file is read here, not from below: its decryption began before the source. */
	(void)below;
	while (d->out_off == d->out_len && !d->ended && !d->failed) {
		d->out_off = d->out_len = 0;
		pump(d);
	}
	if (d->out_off == d->out_len) {
		if (d->failed) {
			*err = d->fail;
			return -1;
		}
		return 0;
	}
	give = d->out_len - d->out_off;
	if (give > len)
		give = len;
	memcpy(buf, d->out + d->out_off, give);
	d->out_off += give;
	return (ssize_t)give;
}

/* The OpenPGP key's passphrase, from --passphrase-file, the environment, or the terminal. */
static int ask_passphrase(void *ctx, const char *fingerprint, char **pass, size_t *len,
                          struct error *err)
{
	char prompt[120];

	snprintf(prompt, sizeof(prompt), "Passphrase for OpenPGP key %s: ", fingerprint);
	return sign_read_passphrase(ctx, 1, prompt, pass, len, err);
}

/* The CMS pair decrypted into the pipe; the thread's result is read after the join. */
static int cms_to_pipe(void *ctx, const void *buf, size_t len, struct error *err)
{
	struct source_decryption *d = ctx;

	if (write_all(d->pipe_wr, buf, len) < 0) {
		error_set(err, "%s: the reader stopped: %s", d->label, strerror(errno));
		return -1;
	}
	return 0;
}

static void *cms_worker(void *arg)
{
	struct source_decryption *d = arg;

	d->thread_rc =
	        cms_decrypt_detached((const unsigned char *)d->header, d->header_len, d->enc_fd,
	                             d->cms_id, cms_to_pipe, d, &d->thread_fault, &d->thread_err);
	close(d->pipe_wr);
	d->pipe_wr = -1;
	return NULL;
}

/* Read the CMS header, open the content and start decrypting on a thread. */
static int cms_start(struct source_decryption *d, const char *path, const struct decrypt_key *key,
                     struct error *err)
{
	char *p7m = cms_header_path(path), *enc;
	int fds[2];
	int rc;

	if (cms_identity_load(key->key, key->cert, key->passphrase_file, &d->cms_id, err) < 0) {
		free(p7m);
		return -1;
	}
	if (d->cms_id && cms_identity_fingerprint(d->cms_id))
		d->key_text = xasprintf("x509-sha256:%s", cms_identity_fingerprint(d->cms_id));
	if (read_small_file(p7m, CMS_SINGLE_FILE_MAX, &d->header, &d->header_len) < 0) {
		error_set(err, "%s: %s", p7m,
		          errno == EFBIG ? "a CMS header larger than the single-file limit"
		                         : strerror(errno));
		free(p7m);
		return -1;
	}
	enc = xasprintf("%.*s.enc", (int)(strlen(p7m) - 4), p7m);
	free(p7m);
	d->enc_fd = open(enc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (d->enc_fd < 0 && errno != ENOENT) {
		error_set(err, "%s: %s", enc, strerror(errno));
		free(enc);
		return -1;
	}
	free(enc);
	if (pipe(fds) < 0) {
		error_set(err, "pipe: %s", strerror(errno));
		return -1;
	}
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	d->pipe_rd = fds[0];
	d->pipe_wr = fds[1];
	/* The thread takes no signals (a SIGPIPE when the reader stops stays its own). */
	rc = thread_start(&d->thread, cms_worker, d);
	if (rc != 0) {
		error_set(err, "cannot start the CMS decryption: %s", strerror(rc));
		return -1;
	}
	d->thread_running = 1;
	return 0;
}

/* Open an age file or OpenPGP message (or a plain stream) on d->fd, its head already read. */
static int stream_start(struct source_decryption *d, const struct decrypt_key *key,
                        struct error *err)
{

	switch (d->cipher) {
	case SOURCE_AGE:
		if (age_identity_load(key->key, &d->age_id, err) < 0 ||
		    age_decryptor_new(&d->age, d->age_id, take_plain, d, err) < 0)
			return -1;
		return 0;
	case SOURCE_OPENPGP:
		if (openpgp_secret_load(key->key, ask_passphrase, (void *)key->passphrase_file,
		                        &d->pgp_secret, err) < 0 ||
		    openpgp_decryptor_new(&d->pgp, d->pgp_secret, take_plain, d, err) < 0)
			return -1;
		return 0;
	default:
		return 0;
	}
}

/* Did the key open the file, so that any failure since is in its contents? */
static int key_opened(const struct source_decryption *d)
{
	switch (d->cipher) {
	case SOURCE_AGE:
		return age_decryptor_opened(d->age);
	case SOURCE_OPENPGP:
		return openpgp_decryptor_key(d->pgp) != NULL;
	case SOURCE_CMS:
		return d->thread_fault == 2;
	case SOURCE_PLAIN:
		break;
	}
	return 0;
}

int source_open_decrypting(struct source **out, struct source_decryption **dec, const char *path,
                           const struct decrypt_key *key, const struct bundle_limits *lim,
                           struct error *err)
{
	struct source_decryption *d = xcalloc(1, sizeof(*d));
	struct source_filter filter = {.read = filter_read};
	struct age_recipient r;
	char *p7m = strcmp(path, "-") == 0 ? NULL : cms_header_path(path);

	*out = NULL;
	*dec = NULL;
	d->label = xstrdup(path);
	d->fd = d->enc_fd = d->pipe_rd = d->pipe_wr = -1;
	d->feed = xmalloc(FEED_CHUNK);
	if (p7m) {
		free(p7m);
		d->cipher = SOURCE_CMS;
		if (cms_start(d, path, key, err) < 0)
			goto fail;
		/* The source reads the pipe through the filter; its own fd is never read. */
		d->fd = d->pipe_rd;
	} else {
		ssize_t n = 0;

		if (strcmp(path, "-") == 0)
			d->fd = STDIN_FILENO;
		else if ((d->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
			error_set(err, "%s: %s", path, strerror(errno));
			goto fail;
		} else
			d->own_fd = 1;
		while (d->head_len < HEAD_LEN &&
		       (n = read_retry(d->fd, d->head + d->head_len, HEAD_LEN - d->head_len)) > 0)
			d->head_len += (size_t)n;
		if (n < 0) {
			error_set(err, "%s: %s", path, strerror(errno));
			goto fail;
		}
		d->cipher = cipher_of_head(d->head, d->head_len);
		if (d->cipher == SOURCE_PLAIN)
			d->cipher = cipher_of_name(path);
		if (stream_start(d, key, err) < 0)
			goto fail;
	}
	/*
	 * Decrypt up to the first plaintext: a wrong key or a broken header fails here, before
	 * anyone reads. A failure past the header (the key opened it) is the contents', which the
	 * reader meets at its first read and judges INVALID.
	 */
	while (d->out_len == 0 && !d->ended && !d->failed)
		pump(d);
	if (d->failed && !key_opened(d)) {
		*err = d->fail;
		goto fail;
	}
	if (d->pgp && openpgp_decryptor_key(d->pgp))
		d->key_text = xasprintf("openpgp:%s", openpgp_decryptor_key(d->pgp));
	/* Of an identity file with several keys, the one that opened the file. */
	if (d->age && age_decryptor_recipient(d->age, &r) == 0) {
		char *text = age_recipient_format(&r);

		d->key_text = xasprintf("age:%s", text);
		free(text);
	}
	if (source_open_fd(out, d->fd, path, lim, err) < 0)
		goto fail;
	filter.ctx = d;
	if (source_add_filter(*out, &filter, err) < 0) {
		source_close(*out);
		*out = NULL;
		goto fail;
	}
	*dec = d;
	return 0;
fail:
	source_decryption_free(d);
	return -1;
}

int source_decryption_finish(struct source_decryption *d, struct error *err)
{
	while (!d->ended && !d->failed) {
		d->out_off = d->out_len = 0;
		pump(d);
	}
	if (d->failed) {
		*err = d->fail;
		return -1;
	}
	return 0;
}

enum source_cipher source_decryption_cipher(const struct source_decryption *d)
{
	return d->cipher;
}

const char *source_decryption_key(const struct source_decryption *d)
{
	return d->key_text;
}

void source_decryption_free(struct source_decryption *d)
{
	if (d == NULL)
		return;
	if (d->thread_running) {
		/* The thread stops at its next write, which fails once nobody reads. */
		close(d->pipe_rd);
		d->pipe_rd = -1;
		cms_join(d);
	}
	if (d->pipe_rd >= 0)
		close(d->pipe_rd);
	if (d->pipe_wr >= 0)
		close(d->pipe_wr);
	if (d->enc_fd >= 0)
		close(d->enc_fd);
	if (d->own_fd)
		close(d->fd);
	age_decryptor_free(d->age);
	openpgp_decryptor_free(d->pgp);
	age_identity_free(d->age_id);
	openpgp_secret_free(d->pgp_secret);
	cms_identity_free(d->cms_id);
	if (d->out) {
		/* Plaintext of a confidential bundle: not left in freed memory. */
		OPENSSL_cleanse(d->out, d->out_cap);
		free(d->out);
	}
	free(d->feed);
	free(d->header);
	free(d->key_text);
	free(d->label);
	free(d);
}
