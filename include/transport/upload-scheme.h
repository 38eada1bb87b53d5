/*
 * Inside the upload module: the target as each scheme sees it, and the operations every scheme
 * provides. upload.c holds the generic steps (open, send and confirm, probe) and calls a
 * scheme only through its table, so a new scheme is one new file and one line in the list.
 */
#ifndef LOGPACK_UPLOAD_SCHEME_H
#define LOGPACK_UPLOAD_SCHEME_H

#include <curl/curl.h>

#include "transport/upload.h"

struct body;
struct request;

struct upload {
	struct upload_options opt;
	const struct upload_scheme_ops *ops;
	char *display; /* the target as the user gave it, without credentials */
	char *base;    /* URL that names are appended to, without a trailing '/' */
	void *priv;    /* the scheme's own state, freed by ops->close */
	/*
	 * Strings never to appear in the trace (an access key ID, a pre-signed query): each is
	 * replaced by "[redacted]". Owned, wiped on close.
	 */
	char *redact[4];
	int n_redact;
	int hide_query; /* the URL's query is a credential (pre-signed): hide it in the trace */
};

/* Which of the scheme-specific options a scheme takes; the others are refused. */
enum upload_scheme_takes {
	TAKES_TLS = 1,  /* --cacert, --pin-pubkey */
	TAKES_SSH = 2,  /* --known-hosts, --host-key-sha256, --identity */
	TAKES_FORM = 4, /* --method post, --form-field */
	TAKES_S3 = 8,   /* --s3-endpoint, --s3-region */
};

struct upload_scheme_ops {
	const char *name; /* the URL scheme, "https" */
	enum upload_scheme scheme;
	/* Take what the scheme needs from the parsed URL, load the credentials, set up->base. */
	int (*open)(struct upload *up, CURLU *u, struct error *err);
	void (*close)(void *priv);
	/* The protocol, peer verification and authentication options of every request. */
	void (*configure)(struct upload *up, CURL *h, struct request *rq);
	/* The URL of a name under the target; the caller frees it. */
	char *(*object_url)(struct upload *up, const char *name);
	/* Send a body as name; the size check follows in the generic code. */
	int (*send)(struct upload *up, struct body *body, const char *name, const char *sha_hex,
	            struct upload_result *res, struct error *err);
	/*
	 * The size the remote side holds of name (-1: not reported). NULL when the target can
	 * not be asked (a pre-signed URL, a form): the answer to the whole body is all there is.
	 */
	int (*remote_size)(struct upload *up, const char *name, curl_off_t *size,
	                   struct error *err);
	/* Remove name again (the --test probe); NULL when the target offers no way to. */
	int (*remove)(struct upload *up, const char *name, struct error *err);
	/* A pre-flight of its own instead of writing a probe file; usually NULL. */
	int (*probe)(struct upload *up, struct error *err);
	/* Failures another attempt may cure beyond the common ones; may be NULL. */
	int (*transient)(CURLcode cc);
	/* A reason for a failed attempt when the scheme knows better: 1 when out was set. */
	int (*describe)(struct upload *up, const struct request *rq, CURLcode cc,
	                const char *detail, char *out, size_t outlen);
	unsigned takes; /* enum upload_scheme_takes */
	int http;       /* answers carry an HTTP status worth reading after a failed send */
	int one_object; /* the URL names one object: no sidecar can go beside it */
};

extern const struct upload_scheme_ops upload_https_ops;
extern const struct upload_scheme_ops upload_sftp_ops;
extern const struct upload_scheme_ops upload_s3_ops;

/* Percent-encode all but RFC 3986 unreserved characters (and '/' when keep_slash). */
void upload_url_encode(struct strbuf *sb, const char *s, int keep_slash);
/* base + '/' + the encoded name: the object URL of a target with a directory. */
char *upload_url_under(const struct upload *up, const char *prefix, const char *name);
/* Never show s in a trace. */
void upload_redact_add(struct upload *up, const char *s);

#endif
