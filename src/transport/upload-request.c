/* The request engine: one libcurl handle per attempt, and bounded retries with backoff. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "transport/upload-creds.h"
#include "transport/upload-request.h"

#define RESPONSE_MAX (64 * 1024)
#define MAX_BACKOFF 60.0

static int global_init_done;
static volatile sig_atomic_t interrupted;

void upload_interrupt(void)
{
	interrupted = 1;
}

int upload_interrupted(void)
{
	return interrupted != 0;
}

int request_interrupted(void)
{
	return interrupted != 0;
}

int request_global_init(struct error *err)
{
	if (global_init_done)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		error_set(err, "cannot initialise libcurl");
		return -1;
	}
	global_init_done = 1;
	return 0;
}

static size_t body_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct body *b = arg;
	size_t want = size * nitems, done = 0;

	if (want > b->length - b->pos)
		want = (size_t)(b->length - b->pos);
	if (b->mem) {
		memcpy(buf, b->mem + b->pos, want);
		b->pos += want;
		return want;
	}
	while (done < want) {
		ssize_t n = pread(b->fd, buf + done, want - done, (off_t)(b->offset + b->pos));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* The file shrank or cannot be read: never send a short body as whole. */
			b->read_error = n < 0 ? errno : EIO;
			return CURL_READFUNC_ABORT;
		}
		done += (size_t)n;
		b->pos += (uint64_t)n;
	}
	return done;
}

static int body_seek(void *arg, curl_off_t offset, int origin)
{
	struct body *b = arg;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > b->length)
		return CURL_SEEKFUNC_FAIL;
	b->pos = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* A download compared with the local file instead of kept: stop at the first difference. */
static size_t compare_write(struct request *rq, const char *data, size_t n)
{
	unsigned char local[16384];
	size_t done = 0;

	while (done < n) {
		size_t want = n - done < sizeof(local) ? n - done : sizeof(local);
		ssize_t got;

		if (rq->compared + want > rq->compare->length) {
			rq->mismatch = 1;
			return 0;
		}
		got = pread(rq->compare->fd, local, want,
		            (off_t)(rq->compare->offset + rq->compared));
		if (got != (ssize_t)want || memcmp(local, data + done, want) != 0) {
			rq->mismatch = 1;
			return 0; /* stop the download: CURLE_WRITE_ERROR */
		}
		done += want;
		rq->compared += want;
	}
	return n;
}

static size_t response_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct request *rq = arg;
	size_t n = size * nmemb;

	if (rq->compare)
		return compare_write(rq, data, n);
	if (rq->response.len < RESPONSE_MAX)
		strbuf_add(&rq->response, data,
		           n < RESPONSE_MAX - rq->response.len ? n
		                                               : RESPONSE_MAX - rq->response.len);
	return n;
}

static size_t header_read(char *data, size_t size, size_t nmemb, void *arg)
{
	struct request *rq = arg;
	size_t n = size * nmemb;

	if (n > 5 && strncasecmp(data, "etag:", 5) == 0) {
		size_t i = 5, j = 0;

		while (i < n && (data[i] == ' ' || data[i] == '\t'))
			i++;
		while (i < n && data[i] != '\r' && data[i] != '\n' && j + 1 < sizeof(rq->etag))
			rq->etag[j++] = data[i++];
		rq->etag[j] = '\0';
	}
	return n;
}

/*
 * The libcurl trace, line by line, with the values of credential headers replaced. Bodies are
 * never shown: they are bundle bytes, or S3 answers that may echo request details.
 */
static int trace_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct request *rq = arg;
	struct upload *up = rq->up;
	const struct upload_hooks *hooks = &up->opt.hooks;
	const char *prefix;
	size_t start = 0;

	switch (type) {
	case CURLINFO_TEXT:
		prefix = "* ";
		break;
	case CURLINFO_HEADER_OUT:
		prefix = "> ";
		break;
	case CURLINFO_HEADER_IN:
		prefix = "< ";
		break;
	default:
		return 0;
	}
	while (start < size) {
		size_t end = start, len;
		const char *q;
		char *line;

		while (end < size && data[end] != '\n')
			end++;
		len = end - start;
		while (len > 0 && (data[start + len - 1] == '\r'))
			len--;
		/* The request line of a pre-signed URL: its query is a credential. */
		if (len > 0 && type == CURLINFO_HEADER_OUT && up->hide_query &&
		    (q = memchr(data + start, '?', len)) != NULL) {
			char *head = redact_trace_line(prefix, data + start,
			                               (size_t)(q - (data + start)), 0, up->redact,
			                               up->n_redact);

			line = xasprintf("%s?[redacted]", head);
			free(head);
		} else if (len > 0) {
			line = redact_trace_line(prefix, data + start, len, type != CURLINFO_TEXT,
			                         up->redact, up->n_redact);
		} else {
			line = NULL;
		}
		if (line) {
			hooks->trace(hooks->ctx, line);
			free(line);
		}
		start = end + 1;
	}
	return 0;
}

static int progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	struct request *rq = arg;
	const struct upload_hooks *hooks = &rq->up->opt.hooks;

	if (interrupted && !rq->cleanup)
		return 1; /* stop the transfer: CURLE_ABORTED_BY_CALLBACK */
	if (rq->body && hooks->progress && ultotal > 0)
		hooks->progress(hooks->ctx, rq->what, (uint64_t)ulnow, (uint64_t)ultotal);
	return 0;
}

void request_setup_tls(struct upload *up, CURL *h, struct request *rq)
{
	REQUEST_SETOPT(rq, h, CURLOPT_PROTOCOLS_STR, "https");
	REQUEST_SETOPT(rq, h, CURLOPT_SSL_VERIFYPEER, 1L);
	REQUEST_SETOPT(rq, h, CURLOPT_SSL_VERIFYHOST, 2L);
	REQUEST_SETOPT(rq, h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	/* The system's CA directory stays trusted beside this file. */
	if (up->opt.cacert)
		REQUEST_SETOPT(rq, h, CURLOPT_CAINFO, up->opt.cacert);
	if (up->opt.pin_pubkey)
		REQUEST_SETOPT(rq, h, CURLOPT_PINNEDPUBLICKEY, up->opt.pin_pubkey);
	if (rq->headers)
		REQUEST_SETOPT(rq, h, CURLOPT_HTTPHEADER, rq->headers);
}

/* The request body: a form part, an upload read from the body, or fixed POST data. */
static curl_mime *setup_body(struct upload *up, CURL *h, struct request *rq)
{
	curl_mime *mime = NULL;
	curl_mimepart *part;

	if (rq->body && rq->form_name) {
		rq->body->pos = 0;
		rq->body->read_error = 0;
		if ((mime = curl_mime_init(h)) == NULL ||
		    (part = curl_mime_addpart(mime)) == NULL ||
		    curl_mime_name(part, up->opt.form_field ? up->opt.form_field : "file") ||
		    curl_mime_filename(part, rq->form_name) ||
		    curl_mime_type(part, "application/octet-stream") ||
		    curl_mime_data_cb(part, (curl_off_t)rq->body->length, body_read, body_seek,
		                      NULL, rq->body))
			rq->setopt_failed = 1;
		REQUEST_SETOPT(rq, h, CURLOPT_MIMEPOST, mime);
	} else if (rq->body) {
		REQUEST_SETOPT(rq, h, CURLOPT_UPLOAD, 1L);
		REQUEST_SETOPT(rq, h, CURLOPT_READFUNCTION, body_read);
		REQUEST_SETOPT(rq, h, CURLOPT_READDATA, rq->body);
		REQUEST_SETOPT(rq, h, CURLOPT_SEEKFUNCTION, body_seek);
		REQUEST_SETOPT(rq, h, CURLOPT_SEEKDATA, rq->body);
		REQUEST_SETOPT(rq, h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rq->body->length);
		rq->body->pos = 0;
		rq->body->read_error = 0;
		if (rq->resume)
			REQUEST_SETOPT(rq, h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)-1);
	} else if (rq->post_data) {
		REQUEST_SETOPT(rq, h, CURLOPT_POSTFIELDS, rq->post_data);
		REQUEST_SETOPT(rq, h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->post_len);
	}
	return mime;
}

CURLcode request_once(struct upload *up, struct request *rq, char *errbuf)
{
	CURL *h = curl_easy_init();
	curl_mime *mime = NULL;
	CURLcode cc;

	errbuf[0] = '\0';
	rq->up = up;
	rq->status = 0;
	rq->content_length = -1;
	rq->etag[0] = '\0';
	rq->host_key_status = -1;
	rq->host_key_fpr[0] = '\0';
	rq->setopt_failed = 0;
	strbuf_reset(&rq->response);
	if (h == NULL)
		return CURLE_OUT_OF_MEMORY;
	REQUEST_SETOPT(rq, h, CURLOPT_ERRORBUFFER, errbuf);
	REQUEST_SETOPT(rq, h, CURLOPT_URL, rq->url);
	REQUEST_SETOPT(rq, h, CURLOPT_NOSIGNAL, 1L);
	REQUEST_SETOPT(rq, h, CURLOPT_FOLLOWLOCATION, 0L);
	REQUEST_SETOPT(rq, h, CURLOPT_CONNECTTIMEOUT, up->opt.connect_timeout);
	REQUEST_SETOPT(rq, h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	REQUEST_SETOPT(rq, h, CURLOPT_LOW_SPEED_TIME, up->opt.stall_timeout);
	REQUEST_SETOPT(rq, h, CURLOPT_WRITEFUNCTION, response_write);
	REQUEST_SETOPT(rq, h, CURLOPT_WRITEDATA, rq);
	REQUEST_SETOPT(rq, h, CURLOPT_HEADERFUNCTION, header_read);
	REQUEST_SETOPT(rq, h, CURLOPT_HEADERDATA, rq);
	REQUEST_SETOPT(rq, h, CURLOPT_USERAGENT, "logpack/" PACKAGE_VERSION);
	if (up->opt.limit_rate)
		REQUEST_SETOPT(rq, h, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)up->opt.limit_rate);
	if (up->opt.trace && up->opt.hooks.trace) {
		REQUEST_SETOPT(rq, h, CURLOPT_DEBUGFUNCTION, trace_cb);
		REQUEST_SETOPT(rq, h, CURLOPT_DEBUGDATA, rq);
		REQUEST_SETOPT(rq, h, CURLOPT_VERBOSE, 1L);
	}
	/* Every request: the callback also stops a transfer on an interrupt. */
	REQUEST_SETOPT(rq, h, CURLOPT_NOPROGRESS, 0L);
	REQUEST_SETOPT(rq, h, CURLOPT_XFERINFOFUNCTION, progress_cb);
	REQUEST_SETOPT(rq, h, CURLOPT_XFERINFODATA, rq);
	up->ops->configure(up, h, rq);
	if (rq->nobody)
		REQUEST_SETOPT(rq, h, CURLOPT_NOBODY, 1L);
	mime = setup_body(up, h, rq);
	if (rq->method && strcmp(rq->method, "DELETE") == 0)
		REQUEST_SETOPT(rq, h, CURLOPT_CUSTOMREQUEST, "DELETE");
	if (rq->setopt_failed) {
		snprintf(errbuf, CURL_ERROR_SIZE, "libcurl lacks a needed option");
		curl_easy_cleanup(h);
		curl_mime_free(mime);
		return CURLE_NOT_BUILT_IN;
	}
	cc = curl_easy_perform(h);
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rq->status) != CURLE_OK)
		rq->status = 0;
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &rq->content_length) !=
	    CURLE_OK)
		rq->content_length = -1;
	curl_easy_cleanup(h);
	curl_mime_free(mime);
	return cc;
}

/* Failures that another attempt may cure: the network, the server's load, a restart. */
static int curl_code_transient(const struct upload *up, CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_COULDNT_RESOLVE_HOST:
		return 1;
	default:
		return up->ops->transient && up->ops->transient(cc);
	}
}

static int http_status_transient(long status)
{
	return status >= 500 || status == 408 || status == 429;
}

int upload_xml_value(const char *xml, const char *tag, char *out, size_t outlen)
{
	char open[64], close[64];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if (xml == NULL || (a = strstr(xml, open)) == NULL)
		return -1;
	a += strlen(open);
	if ((b = strstr(a, close)) == NULL)
		return -1;
	snprintf(out, outlen, "%.*s", (int)(b - a), a);
	return 0;
}

/* A clear reason for a failed attempt, naming what to check where that is known. */
static void describe_failure(struct upload *up, struct request *rq, CURLcode cc, const char *errbuf,
                             char *out, size_t outlen)
{
	const char *detail = errbuf && *errbuf ? errbuf : curl_easy_strerror(cc);

	if (up->ops->describe && up->ops->describe(up, rq, cc, detail, out, outlen))
		return;
	if (cc == CURLE_OK && rq->status >= 300) {
		if (rq->status == 401)
			snprintf(out, outlen,
			         "authentication failed (HTTP 401): check the credentials");
		else if (rq->status == 403)
			snprintf(out, outlen, "permission denied (HTTP 403)");
		else if (rq->status == 404)
			snprintf(out, outlen, "not found (HTTP 404): does the directory exist?");
		else
			snprintf(out, outlen, "HTTP %ld", rq->status);
		return;
	}
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(out, outlen,
		         "the server's certificate is not trusted (%s); give its CA with "
		         "--cacert FILE",
		         detail);
		return;
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		snprintf(out, outlen, "the server's public key does not match --pin-pubkey (%s)",
		         detail);
		return;
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(out, outlen, "cannot load the CA file (%s)", detail);
		return;
	case CURLE_REMOTE_ACCESS_DENIED:
		snprintf(out, outlen, "permission denied on the server (%s)", detail);
		return;
	case CURLE_REMOTE_FILE_NOT_FOUND:
		snprintf(out, outlen, "not found on the server (%s): does the directory exist?",
		         detail);
		return;
	case CURLE_QUOTE_ERROR:
		snprintf(out, outlen, "a remote file operation failed (%s)", detail);
		return;
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_READ_ERROR:
		if (rq->body && rq->body->read_error) {
			snprintf(out, outlen, "reading the local file: %s",
			         strerror(rq->body->read_error));
			return;
		}
		break;
	default:
		break;
	}
	snprintf(out, outlen, "%s", detail);
}

static void sleep_seconds(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !interrupted)
		;
}

/* The wait before attempt n+1: base * 2^(n-1), capped, with jitter down to half of it. */
static double backoff_delay(double base, int attempt)
{
	double d = base;
	unsigned int r = 0;

	for (int i = 1; i < attempt && d < MAX_BACKOFF; i++)
		d *= 2;

	if (d > MAX_BACKOFF)
		d = MAX_BACKOFF;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (unsigned int)rand();
	return d / 2 + d / 2 * ((double)r / (double)UINT32_MAX);
}

int request_run(struct upload *up, struct request *rq, struct error *err)
{
	char errbuf[CURL_ERROR_SIZE], reason[768];
	int max_attempts = up->opt.retries + 1;

	rq->up = up;
	for (int attempt = 1;; attempt++) {
		CURLcode cc;
		int transient;
		double delay;

		if (interrupted && !rq->cleanup) {
			error_set(err, "%s: interrupted", rq->what);
			return -1;
		}
		rq->attempts = attempt;
		cc = request_once(up, rq, errbuf);
		rq->last_code = cc;
		if (cc == CURLE_OK && (rq->status == 0 || (rq->status >= 200 && rq->status < 300)))
			return 0;
		/*
		 * A server may answer 401 and close while the body is still being sent: the send
		 * then fails, but the answer it gave is what counts.
		 */
		if (cc != CURLE_OK && rq->status >= 400 && up->ops->http)
			cc = CURLE_OK;
		describe_failure(up, rq, cc, errbuf, reason, sizeof(reason));
		transient = cc == CURLE_OK ? http_status_transient(rq->status)
		                           : curl_code_transient(up, cc);
		if (interrupted && !rq->cleanup) {
			error_set(err, "%s: interrupted", rq->what);
			return -1;
		}
		if (rq->cleanup)
			transient = 0;
		if (!transient || attempt >= max_attempts) {
			if (transient && max_attempts > 1)
				error_set(err, "%s: %s (gave up after %d attempts)", rq->what,
				          reason, attempt);
			else
				error_set(err, "%s: %s", rq->what, reason);
			return -1;
		}
		delay = backoff_delay(up->opt.retry_delay, attempt);
		if (up->opt.hooks.retry)
			up->opt.hooks.retry(up->opt.hooks.ctx, rq->what, attempt, max_attempts,
			                    delay, reason);
		sleep_seconds(delay);
		if (rq->resume_on_retry && rq->body)
			rq->resume = 1;
	}
}

void request_release(struct request *rq)
{
	free(rq->url);
	curl_slist_free_all(rq->headers);
	curl_slist_free_all(rq->quote);
	curl_slist_free_all(rq->postquote);
	strbuf_release(&rq->response);
	memset(rq, 0, sizeof(*rq));
}
