/*
 * The request engine of the upload module: one libcurl easy handle per attempt with the
 * common settings (timeouts, rate limit, TLS, the redacted trace, progress and interruption),
 * and the loop that retries transient failures with backoff and jitter.
 */
#ifndef LOGPACK_UPLOAD_REQUEST_H
#define LOGPACK_UPLOAD_REQUEST_H

#include <curl/curl.h>

#include "transport/upload-scheme.h"

/* Where the bytes of a request body come from: a file region or memory. */
struct body {
	int fd;
	uint64_t offset;
	uint64_t length;
	const unsigned char *mem;
	uint64_t pos;
	int read_error;
};

struct request {
	const char *what; /* for messages: the file name or "probe" */
	const char *method;
	char *url;
	struct curl_slist *headers;
	struct curl_slist *quote; /* SFTP commands before the transfer */
	struct curl_slist *postquote;
	struct body *body;
	const char *post_data;
	size_t post_len;
	int resume;            /* continue what an earlier attempt left */
	int resume_on_retry;   /* SFTP: a retry keeps what reached the server */
	const char *form_name; /* POST the body as a form file of this name */
	int cleanup;           /* tidying after a failure: one attempt, even when interrupted */
	struct body *compare;  /* a download compared byte for byte with this, not kept */
	uint64_t compared;     /* bytes that matched so far */
	int mismatch;
	CURLcode last_code; /* of the last attempt */
	int nobody;
	int setopt_failed;
	/* results of the last attempt */
	long status;
	curl_off_t content_length;
	char etag[160];
	struct strbuf response;
	int attempts;
	int host_key_status; /* SFTP: the CURLKHMATCH_* of the last check, or -1 */
	char host_key_fpr[64];
	struct upload *up;
};

/* Set an option of a request's handle; a failure is remembered and fails the attempt. */
#define REQUEST_SETOPT(rq, h, opt, val)                              \
	do {                                                         \
		if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK) \
			(rq)->setopt_failed = 1;                     \
	} while (0)

/* Initialise libcurl once for the process. */
int request_global_init(struct error *err);
/* Peer verification for TLS targets: TLS 1.2 or later, --cacert, --pin-pubkey. */
void request_setup_tls(struct upload *up, CURL *h, struct request *rq);
/* One attempt. Returns the libcurl code; the HTTP status is in rq->status. */
CURLcode request_once(struct upload *up, struct request *rq, char *errbuf);
/* Run a request until it succeeds, fails for good, or the retries are used up. */
int request_run(struct upload *up, struct request *rq, struct error *err);
void request_release(struct request *rq);
/* Has upload_interrupt been called? */
int request_interrupted(void);

/* The text between <tag> and </tag> in an XML answer, into out. */
int upload_xml_value(const char *xml, const char *tag, char *out, size_t outlen);

#endif
