/*
 * Sending bundles to a remote drop with libcurl: an HTTPS PUT (WebDAV drops), SFTP with key
 * authentication, or an S3 bucket (SigV4, multipart for large files). Nothing here prints: the
 * caller hears of progress, retries and the trace through struct upload_hooks.
 *
 * Every peer is verified: TLS always, SSH host keys from a known_hosts file or a SHA-256
 * fingerprint. Secrets come from the environment or from files, never from the command line,
 * and the trace given to the caller has them redacted. Transient failures (timeouts, resets,
 * HTTP 5xx) are retried with exponential backoff and jitter; authentication and permission
 * errors are not. A file only counts as sent when the remote side reports its full size.
 */
#ifndef LOGPACK_UPLOAD_H
#define LOGPACK_UPLOAD_H

#include <stdint.h>

#include "base/hash.h"
#include "base/util.h"

enum upload_scheme { UPLOAD_HTTPS, UPLOAD_SFTP, UPLOAD_S3 };

/* What the caller hears while a transfer runs. Every member may be NULL. */
struct upload_hooks {
	void *ctx;
	/* One line of the protocol trace, secrets already replaced by "[redacted]". */
	void (*trace)(void *ctx, const char *line);
	/* A transient failure; the next attempt follows after delay seconds. */
	void (*retry)(void *ctx, const char *what, int attempt, int max_attempts, double delay,
	              const char *reason);
	/* Bytes of the current file sent so far. */
	void (*progress)(void *ctx, const char *name, uint64_t sent, uint64_t total);
};

struct upload_options {
	const char *url;             /* https://host/dir, sftp://user@host[:port]/dir, s3://b/pfx */
	const char *cacert;          /* PEM file of CA certificates trusted besides the system's */
	const char *pin_pubkey;      /* "sha256//BASE64[;sha256//...]" */
	const char *known_hosts;     /* SFTP; NULL: ~/.ssh/known_hosts unless host_key_sha256 */
	const char *host_key_sha256; /* SFTP: base64 SHA-256 of the host key ("SHA256:" allowed) */
	const char *identity;        /* SFTP private key; NULL: ~/.ssh/id_ed25519 */
	const char *credentials_file; /* "user=", "password=", "token=", "passphrase=" lines */
	const char *s3_endpoint;      /* https://host[:port]; path-style addressing */
	const char *s3_region;        /* NULL: $AWS_REGION, $AWS_DEFAULT_REGION or us-east-1 */
	uint64_t part_size;           /* S3 multipart part size; 0: 64 MiB */
	uint64_t limit_rate;          /* bytes per second; 0: no limit */
	int retries;                  /* attempts after the first, for each request */
	double retry_delay;           /* seconds before the first retry; doubles each time */
	long connect_timeout;         /* seconds */
	long stall_timeout;           /* give up an attempt that sends nothing for this long */
	int post_form;                /* https: POST a multipart form instead of a PUT */
	const char *form_field;       /* the form's file field; NULL: "file" */
	int trace;                    /* pass the protocol trace to hooks.trace */
	struct upload_hooks hooks;
};

struct upload_result {
	uint64_t bytes;        /* the size the remote side reports */
	int attempts;          /* attempts of the main transfer */
	int parts;             /* S3 multipart: number of parts; 0 for a single request */
	int hash_checked;      /* the remote side confirmed the content hash, not only the size */
	uint64_t resumed_from; /* SFTP: bytes of an earlier run's NAME.part, verified and kept */
	char *remote;          /* where it went (a URL without credentials); free with free() */
};

struct upload;

/* Parse opt->url, load the credentials and check the options. Returns 0 or -1 with err. */
int upload_open(struct upload **out, const struct upload_options *opt, struct error *err);
void upload_close(struct upload *up);

enum upload_scheme upload_get_scheme(const struct upload *up);
/* The target as given, without credentials. Owned by up. */
const char *upload_target(const struct upload *up);
/* Does the target name one object (a pre-signed URL), so that no sidecar can go beside it? */
int upload_names_one_object(const struct upload *up);

/*
 * Pre-flight: reach the target, verify its identity and credentials, and write then remove a
 * small probe file. Returns 0, or -1 with the reason in err.
 */
int upload_test(struct upload *up, struct error *err);

/*
 * Send the file at path as name, then check the size the remote side reports. sha256 is the
 * file's hash (S3 sends it for the server to check). Returns 0, or -1 with err.
 */
int upload_file(struct upload *up, const char *path, const char *name,
                const char sha256[SHA256_HEX_LEN + 1], struct upload_result *res,
                struct error *err);

/* Send len bytes from memory as name (the .sha256 sidecar), checked the same way. */
int upload_buffer(struct upload *up, const void *data, size_t len, const char *name,
                  struct upload_result *res, struct error *err);

void upload_result_release(struct upload_result *res);

/*
 * Stop the running transfer and any later one (each then fails with "interrupted"); an S3
 * multipart upload is still aborted on the server. Async-signal-safe: for signal handlers.
 */
void upload_interrupt(void);
int upload_interrupted(void);

#endif
