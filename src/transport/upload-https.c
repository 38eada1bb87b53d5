/*
 * HTTPS targets: a PUT to DIR/<name> (WebDAV drops), a PUT to a pre-signed URL as it is, or a
 * multipart form POSTed to the URL as it is. Basic or bearer authentication.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "transport/upload-creds.h"
#include "transport/upload-request.h"

struct https_target {
	struct upload_creds creds;
};

static const struct upload_scheme_ops https_presigned_ops;
static const struct upload_scheme_ops https_form_ops;

static void https_close(void *priv)
{
	struct https_target *t = priv;

	if (t == NULL)
		return;
	creds_release(&t->creds);
	free(t);
}

/* Drop the query from the display form: a pre-signed URL's query is a credential. */
static void hide_query(struct upload *up, CURLU *u)
{
	char *bare = NULL;

	if (curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &bare, 0) == CURLUE_OK) {
		free(up->display);
		up->display = xasprintf("%s?[redacted]", bare);
	} else {
		free(up->display);
		up->display = xstrdup("https://[redacted]");
	}
	curl_free(bare);
	up->hide_query = 1;
}

static int https_open(struct upload *up, CURLU *u, struct error *err)
{
	struct https_target *t = xcalloc(1, sizeof(*t));
	char *user = NULL, *password = NULL, *query = NULL, *fragment = NULL, *url = NULL;
	int ret = -1;

	up->priv = t;
	curl_url_get(u, CURLUPART_PASSWORD, &password, 0);
	if (password) {
		error_set(err,
		          "%s: a password in the URL would show in the process list; put it "
		          "in LOGPACK_UPLOAD_PASSWORD or a --credentials file",
		          up->display);
		goto out;
	}
	curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0);
	if (fragment && curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK) {
		error_set(err, "%s: not a valid URL", up->display);
		goto out;
	}
	if (user) {
		t->creds.user = xstrdup(user);
		if (curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK) {
			error_set(err, "%s: not a valid URL", up->display);
			goto out;
		}
	}
	if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		error_set(err, "%s: not a valid URL", up->display);
		goto out;
	}
	up->base = xstrdup(url);
	if (query) {
		up->ops = &https_presigned_ops;
		hide_query(up, u);
	} else if (up->opt.post_form) {
		up->ops = &https_form_ops;
	} else {
		size_t n = strlen(up->base);

		while (n > 0 && up->base[n - 1] == '/')
			up->base[--n] = '\0';
	}
	creds_take_env(&t->creds.user, "LOGPACK_UPLOAD_USER");
	creds_take_env(&t->creds.password, "LOGPACK_UPLOAD_PASSWORD");
	creds_take_env(&t->creds.token, "LOGPACK_UPLOAD_TOKEN");
	if (up->opt.credentials_file && creds_load_file(&t->creds, up->opt.credentials_file, err))
		goto out;
	if (t->creds.password && t->creds.user == NULL) {
		error_set(err, "a password is given but no user: set LOGPACK_UPLOAD_USER or put "
		               "the user in the URL");
		goto out;
	}
	ret = 0;
out:
	curl_free(user);
	curl_free(password);
	curl_free(query);
	curl_free(fragment);
	curl_free(url);
	return ret;
}

static void https_configure(struct upload *up, CURL *h, struct request *rq)
{
	const struct https_target *t = up->priv;

	request_setup_tls(up, h, rq);
	if (t->creds.token) {
		REQUEST_SETOPT(rq, h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		REQUEST_SETOPT(rq, h, CURLOPT_XOAUTH2_BEARER, t->creds.token);
	} else if (t->creds.user) {
		REQUEST_SETOPT(rq, h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		REQUEST_SETOPT(rq, h, CURLOPT_USERNAME, t->creds.user);
		if (t->creds.password)
			REQUEST_SETOPT(rq, h, CURLOPT_PASSWORD, t->creds.password);
	}
}

static char *https_object_url(struct upload *up, const char *name)
{
	return upload_url_under(up, NULL, name);
}

/* A pre-signed URL or a form names one place: every name goes there. */
static char *https_exact_url(struct upload *up, const char *name)
{
	return xstrdup(up->base);
}

static int https_send(struct upload *up, struct body *body, const char *name, const char *sha_hex,
                      struct upload_result *res, struct error *err)
{
	struct request rq = {0};
	int ret = -1;

	rq.what = name;
	rq.method = "PUT";
	rq.body = body;
	rq.url = up->ops->object_url(up, name);
	if (up->opt.post_form) {
		rq.method = "POST";
		rq.form_name = name;
	}
	if (request_run(up, &rq, err) != 0)
		goto out;
	res->attempts = rq.attempts;
	ret = 0;
out:
	request_release(&rq);
	return ret;
}

static int https_remote_size(struct upload *up, const char *name, curl_off_t *size,
                             struct error *err)
{
	struct request rq = {0};
	int ret = -1;

	rq.what = name;
	rq.method = "HEAD";
	rq.nobody = 1;
	rq.url = up->ops->object_url(up, name);
	if (request_run(up, &rq, err) != 0) {
		error_prefix(err, "checking the remote size");
		goto out;
	}
	*size = rq.content_length;
	ret = 0;
out:
	request_release(&rq);
	return ret;
}

static int https_remove(struct upload *up, const char *name, struct error *err)
{
	struct request rq = {0};
	int ret;

	rq.what = name;
	rq.method = "DELETE";
	rq.url = up->ops->object_url(up, name);
	ret = request_run(up, &rq, err);
	request_release(&rq);
	return ret;
}

/*
 * A pre-signed URL names one object: writing a probe there would take its place. Check the
 * connection and TLS only; any HTTP answer shows the server is there.
 */
static int https_presigned_probe(struct upload *up, struct error *err)
{
	struct request rq = {0};
	int ret;

	rq.what = "probe";
	rq.method = "HEAD";
	rq.nobody = 1;
	rq.url = xstrdup(up->base);
	ret = request_run(up, &rq, err);
	if (ret != 0 && rq.status != 0)
		ret = 0;
	request_release(&rq);
	return ret;
}

const struct upload_scheme_ops upload_https_ops = {
        .name = "https",
        .scheme = UPLOAD_HTTPS,
        .open = https_open,
        .takes = TAKES_TLS | TAKES_FORM,
        .close = https_close,
        .configure = https_configure,
        .object_url = https_object_url,
        .send = https_send,
        .remote_size = https_remote_size,
        .remove = https_remove,
        .http = 1,
};

/* A pre-signed URL allows only the PUT it was made for: nothing to ask, nothing to remove. */
static const struct upload_scheme_ops https_presigned_ops = {
        .name = "https",
        .scheme = UPLOAD_HTTPS,
        .open = https_open,
        .takes = TAKES_TLS | TAKES_FORM,
        .close = https_close,
        .configure = https_configure,
        .object_url = https_exact_url,
        .send = https_send,
        .probe = https_presigned_probe,
        .http = 1,
        .one_object = 1,
};

/* A form has no URL of its own to ask, and offers no way to remove a file. */
static const struct upload_scheme_ops https_form_ops = {
        .name = "https",
        .scheme = UPLOAD_HTTPS,
        .open = https_open,
        .takes = TAKES_TLS | TAKES_FORM,
        .close = https_close,
        .configure = https_configure,
        .object_url = https_exact_url,
        .send = https_send,
        .http = 1,
};
