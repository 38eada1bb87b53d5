/*
 * The generic steps of an upload: choose the scheme, send a file or a buffer and confirm the
 * size the remote side holds, and the --test probe. Everything a scheme does differently is in
 * its operations table (upload-https.c, upload-sftp.c, upload-s3.c).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "transport/upload-request.h"
#include "transport/upload-scheme.h"

static const struct upload_scheme_ops *const schemes[] = {
        &upload_https_ops,
        &upload_sftp_ops,
        &upload_s3_ops,
};

enum upload_scheme upload_get_scheme(const struct upload *up)
{
	return up->ops->scheme;
}

const char *upload_target(const struct upload *up)
{
	return up->display;
}

int upload_names_one_object(const struct upload *up)
{
	return up->ops->one_object;
}

void upload_result_release(struct upload_result *res)
{
	if (res == NULL)
		return;
	free(res->remote);
	res->remote = NULL;
}

void upload_url_encode(struct strbuf *sb, const char *s, int keep_slash)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
		    (keep_slash && c == '/'))
			strbuf_addch(sb, (char)c);
		else
			strbuf_addf(sb, "%%%02X", c);
	}
}

char *upload_url_under(const struct upload *up, const char *prefix, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, up->base);
	strbuf_addch(&sb, '/');
	if (prefix)
		upload_url_encode(&sb, prefix, 1);
	upload_url_encode(&sb, name, 0);
	return strbuf_detach(&sb);
}

void upload_redact_add(struct upload *up, const char *s)
{
	if (s && *s && up->n_redact < (int)(sizeof(up->redact) / sizeof(up->redact[0])))
		up->redact[up->n_redact++] = xstrdup(s);
}

/* Until parsed, show only the scheme and host part, in case a password hides in it. */
static char *display_form(const char *url)
{
	const char *at = strrchr(url, '@'), *colon = strstr(url, "://");

	if (at && colon && colon < at)
		return xasprintf("%.*s://%s", (int)(colon - url), url, at + 1);
	return xstrdup(url);
}

/* Options that only some schemes use are refused elsewhere, so that a mistake is seen. */
static int check_scheme_options(const struct upload *up, struct error *err)
{
	const struct upload_options *opt = &up->opt;

	if (opt->post_form && !(up->ops->takes & TAKES_FORM)) {
		error_set(err, "--method post is for https:// targets");
		return -1;
	}
	if ((opt->s3_endpoint || opt->s3_region) && !(up->ops->takes & TAKES_S3)) {
		error_set(err, "--s3-endpoint and --s3-region are for s3:// targets");
		return -1;
	}
	return 0;
}

static int check_peer_options(const struct upload *up, struct error *err)
{
	const struct upload_options *opt = &up->opt;

	if ((opt->known_hosts || opt->host_key_sha256 || opt->identity) &&
	    !(up->ops->takes & TAKES_SSH)) {
		error_set(err, "--known-hosts, --host-key-sha256 and --identity are for sftp:// "
		               "targets");
		return -1;
	}
	if ((opt->cacert || opt->pin_pubkey) && !(up->ops->takes & TAKES_TLS)) {
		error_set(err, "--cacert and --pin-pubkey are for TLS targets; SFTP verifies the "
		               "host key");
		return -1;
	}
	return 0;
}

/* Parse url into u and find its scheme's operations. */
static int parse_target(struct upload *up, const char *url, CURLU *u, struct error *err)
{
	char *scheme = NULL, *as_https = NULL;
	int ret = -1;

	if (str_has_prefix(url, "s3://")) {
		/* libcurl does not know s3://; parse it as if it were https. */
		as_https = xasprintf("https://%s", url + 5);
		if (curl_url_set(u, CURLUPART_URL, as_https, 0) != CURLUE_OK) {
			error_set(err, "%s: not a valid s3://BUCKET[/PREFIX]", up->display);
			goto out;
		}
		up->ops = &upload_s3_ops;
		ret = 0;
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		error_set(err, "%s: not a valid URL", up->display);
		goto out;
	}
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strcmp(scheme, schemes[i]->name) == 0)
			up->ops = schemes[i];
	if (up->ops)
		ret = 0;
	else if (strcmp(scheme, "http") == 0)
		error_set(err, "%s: plain http is refused; bundles and credentials go over https",
		          up->display);
	else
		error_set(err, "%s: unsupported scheme '%s' (https, sftp or s3)", up->display,
		          scheme);
out:
	free(as_https);
	curl_free(scheme);
	return ret;
}

int upload_open(struct upload **out, const struct upload_options *opt, struct error *err)
{
	struct upload *up = xcalloc(1, sizeof(*up));
	CURLU *u = NULL;
	int ret = -1;

	*out = NULL;
	up->opt = *opt;
	if (up->opt.retries < 0)
		up->opt.retries = 0;
	if (up->opt.retry_delay < 0)
		up->opt.retry_delay = 0;
	if (up->opt.connect_timeout <= 0)
		up->opt.connect_timeout = 30;
	if (up->opt.stall_timeout <= 0)
		up->opt.stall_timeout = 60;
	up->display = display_form(opt->url);
	if (request_global_init(err) != 0)
		goto out;
	if ((u = curl_url()) == NULL) {
		error_set(err, "out of memory parsing a URL");
		goto out;
	}
	if (parse_target(up, opt->url, u, err) != 0 || check_scheme_options(up, err) != 0)
		goto out;
	if (up->ops->open(up, u, err) != 0 || check_peer_options(up, err) != 0)
		goto out;
	ret = 0;
out:
	curl_url_cleanup(u);
	if (ret != 0) {
		upload_close(up);
		return -1;
	}
	*out = up;
	return 0;
}

void upload_close(struct upload *up)
{
	if (up == NULL)
		return;
	if (up->ops && up->ops->close)
		up->ops->close(up->priv);
	for (int i = 0; i < up->n_redact; i++) {
		OPENSSL_cleanse(up->redact[i], strlen(up->redact[i]));
		free(up->redact[i]);
	}
	free(up->display);
	free(up->base);
	free(up);
}

/* Send a body, then check that the remote side holds exactly its size. */
static int send_body(struct upload *up, struct body *body, const char *name, const char *sha_hex,
                     struct upload_result *res, struct error *err)
{
	curl_off_t size = -1;

	memset(res, 0, sizeof(*res));
	if (up->ops->send(up, body, name, sha_hex, res, err) != 0)
		return -1;
	if (up->ops->remote_size == NULL) {
		res->bytes = body->length;
		res->remote = xstrdup(up->display);
		return 0;
	}
	if (up->ops->remote_size(up, name, &size, err) != 0)
		return -1;
	if (size < 0) {
		error_set(err,
		          "%s: the server does not report its size, so a complete upload cannot "
		          "be confirmed",
		          name);
		return -1;
	}
	if ((uint64_t)size != body->length) {
		error_set(err, "%s: the server holds %lld bytes, not %llu: not complete", name,
		          (long long)size, (unsigned long long)body->length);
		return -1;
	}
	res->bytes = (uint64_t)size;
	res->remote = up->ops->object_url(up, name);
	return 0;
}

int upload_file(struct upload *up, const char *path, const char *name,
                const char sha256[SHA256_HEX_LEN + 1], struct upload_result *res, struct error *err)
{
	struct body body = {0};
	struct stat st;
	int fd, ret;

	memset(res, 0, sizeof(*res));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		error_set(err, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	body.fd = fd;
	body.length = (uint64_t)st.st_size;
	ret = send_body(up, &body, name, sha256, res, err);
	close(fd);
	return ret;
}

int upload_buffer(struct upload *up, const void *data, size_t len, const char *name,
                  struct upload_result *res, struct error *err)
{
	struct body body = {0};
	char sha_hex[SHA256_HEX_LEN + 1];

	body.fd = -1;
	body.mem = data;
	body.length = len;
	if (sha256_hex(data, len, sha_hex, err) != 0)
		return -1;
	return send_body(up, &body, name, sha_hex, res, err);
}

int upload_test(struct upload *up, struct error *err)
{
	static const char probe[] = "logpack write test; safe to delete\n";
	unsigned char rnd[8];
	char name[64], sha_hex[SHA256_HEX_LEN + 1];
	struct upload_result res = {0};
	struct body body = {0};
	int ret = -1;

	if (up->ops->probe)
		return up->ops->probe(up, err);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		error_set_openssl(err, "random probe name");
		return -1;
	}
	snprintf(name, sizeof(name), ".logpack-probe-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0],
	         rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	body.fd = -1;
	body.mem = (const unsigned char *)probe;
	body.length = sizeof(probe) - 1;
	if (sha256_hex(probe, sizeof(probe) - 1, sha_hex, err) != 0)
		return -1;
	if (send_body(up, &body, name, sha_hex, &res, err) != 0) {
		error_prefix(err, "writing a probe file to %s", up->display);
		goto out;
	}
	/* A target without a way to remove files (a form drop) keeps the probe. */
	if (up->ops->remove && up->ops->remove(up, name, err) != 0) {
		error_prefix(err, "the probe %s was written but could not be removed", name);
		goto out;
	}
	ret = 0;
out:
	upload_result_release(&res);
	return ret;
}
