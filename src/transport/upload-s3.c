/*
 * S3 targets: AWS SigV4 (by libcurl), the SHA-256 of every body in x-amz-content-sha256, every
 * ETag checked against the MD5 of what was sent, and multipart uploads above --part-size.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "transport/upload-creds.h"
#include "transport/upload-request.h"

#define DEFAULT_PART_SIZE ((uint64_t)64 * 1024 * 1024)
#define S3_MAX_PARTS 10000
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct s3_target {
	char *prefix; /* key prefix, "" or ending in '/' */
	char *sigv4;
	struct aws_creds creds;
};

static void s3_close(void *priv)
{
	struct s3_target *t = priv;

	if (t == NULL)
		return;
	free(t->prefix);
	free(t->sigv4);
	aws_creds_release(&t->creds);
	free(t);
}

static const char *s3_region(const struct upload *up)
{
	const char *region = up->opt.s3_region;

	if (region == NULL || *region == '\0')
		region = getenv("AWS_REGION");
	if (region == NULL || *region == '\0')
		region = getenv("AWS_DEFAULT_REGION");
	if (region == NULL || *region == '\0')
		region = "us-east-1";
	return region;
}

/* A custom endpoint is addressed path-style: https://endpoint/bucket/key. */
static int s3_endpoint_base(const struct upload *up, const char *bucket, struct strbuf *sb,
                            struct error *err)
{
	char *ep_scheme = NULL, *ep_path = NULL, *ep_url = NULL;
	CURLU *ep = curl_url();
	int ret = -1;

	if (ep == NULL || curl_url_set(ep, CURLUPART_URL, up->opt.s3_endpoint, 0) != CURLUE_OK ||
	    curl_url_get(ep, CURLUPART_SCHEME, &ep_scheme, 0) != CURLUE_OK) {
		error_set(err, "--s3-endpoint: '%s' is not a URL", up->opt.s3_endpoint);
		goto out;
	}
	if (strcmp(ep_scheme, "https") != 0) {
		error_set(err, "--s3-endpoint: only https:// is accepted (the keys sign "
		               "requests that must not be read or replayed)");
		goto out;
	}
	curl_url_get(ep, CURLUPART_PATH, &ep_path, 0);
	if (ep_path && strcmp(ep_path, "/") != 0) {
		error_set(err, "--s3-endpoint: give only https://HOST[:PORT]");
		goto out;
	}
	if (curl_url_set(ep, CURLUPART_PATH, NULL, 0) != CURLUE_OK ||
	    curl_url_get(ep, CURLUPART_URL, &ep_url, 0) != CURLUE_OK) {
		error_set(err, "--s3-endpoint: '%s' is not a URL", up->opt.s3_endpoint);
		goto out;
	}
	strbuf_addstr(sb, ep_url);
	while (sb->len > 0 && sb->buf[sb->len - 1] == '/')
		sb->buf[--sb->len] = '\0';
	strbuf_addch(sb, '/');
	upload_url_encode(sb, bucket, 0);
	ret = 0;
out:
	curl_free(ep_scheme);
	curl_free(ep_path);
	curl_free(ep_url);
	curl_url_cleanup(ep);
	return ret;
}

static int s3_open(struct upload *up, CURLU *u, struct error *err)
{
	struct s3_target *t = xcalloc(1, sizeof(*t));
	char *bucket = NULL, *path = NULL, *user = NULL, *query = NULL;
	const char *region = s3_region(up), *p;
	struct strbuf sb = STRBUF_INIT;
	int ret = -1;
	size_t n;

	up->priv = t;
	curl_url_get(u, CURLUPART_USER, &user, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	if (user || query) {
		error_set(err,
		          "%s: expected s3://BUCKET[/PREFIX]; credentials come from the AWS "
		          "environment variables or credentials file",
		          up->display);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &bucket, 0) != CURLUE_OK || !bucket || !*bucket) {
		error_set(err, "%s: name the bucket: s3://BUCKET[/PREFIX]", up->display);
		goto out;
	}
	curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE);
	p = path ? path : "";
	while (*p == '/')
		p++;
	n = strlen(p);
	t->prefix = xasprintf("%s%s", p, n > 0 && p[n - 1] != '/' ? "/" : "");
	if (strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region)) {
		error_set(err, "--s3-region: '%s' is not a region name", region);
		goto out;
	}
	t->sigv4 = xasprintf("aws:amz:%s:s3", region);
	if (up->opt.s3_endpoint) {
		if (s3_endpoint_base(up, bucket, &sb, err) != 0)
			goto out;
	} else {
		/* AWS itself: virtual-hosted style, https://bucket.s3.region.amazonaws.com/key. */
		if (strspn(bucket, "abcdefghijklmnopqrstuvwxyz0123456789-.") != strlen(bucket)) {
			error_set(err, "%s: '%s' is not a valid bucket name", up->display, bucket);
			goto out;
		}
		strbuf_addf(&sb, "https://%s.s3.%s.amazonaws.com", bucket, region);
	}
	up->base = strbuf_detach(&sb);
	if (aws_creds_load(&t->creds, err) != 0)
		goto out;
	/* libcurl names the user in its trace: here that is the access key ID. */
	upload_redact_add(up, t->creds.key_id);
	ret = 0;
out:
	strbuf_release(&sb);
	curl_free(bucket);
	curl_free(path);
	curl_free(user);
	curl_free(query);
	return ret;
}

static void s3_configure(struct upload *up, CURL *h, struct request *rq)
{
	const struct s3_target *t = up->priv;

	request_setup_tls(up, h, rq);
	REQUEST_SETOPT(rq, h, CURLOPT_AWS_SIGV4, t->sigv4);
	REQUEST_SETOPT(rq, h, CURLOPT_USERPWD, t->creds.userpwd);
}

static char *s3_object_url(struct upload *up, const char *name)
{
	const struct s3_target *t = up->priv;

	return upload_url_under(up, t->prefix, name);
}

/* Every S3 request carries its body's SHA-256, and the session token when there is one. */
static void s3_add_headers(struct upload *up, struct request *rq, const char *sha_hex)
{
	const struct s3_target *t = up->priv;
	char *h = xasprintf("x-amz-content-sha256: %s", sha_hex);

	rq->headers = curl_slist_append(rq->headers, h);
	free(h);
	if (t->creds.session_token) {
		h = xasprintf("x-amz-security-token: %s", t->creds.session_token);
		rq->headers = curl_slist_append(rq->headers, h);
		secret_free(h);
	}
}

static void to_hex(const unsigned char *d, unsigned int n, char *out)
{
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* Hex MD5 and SHA-256 of a file region, read once. */
static int hash_region(int fd, uint64_t offset, uint64_t length, char md5_hex[33],
                       char sha_hex[SHA256_HEX_LEN + 1], struct error *err)
{
	EVP_MD_CTX *md5 = EVP_MD_CTX_new(), *sha = EVP_MD_CTX_new();
	unsigned char buf[65536], out[EVP_MAX_MD_SIZE];
	unsigned int outlen;
	uint64_t done = 0;
	int ret = -1;

	if (!md5 || !sha || !EVP_DigestInit_ex(md5, EVP_md5(), NULL) ||
	    !EVP_DigestInit_ex(sha, EVP_sha256(), NULL)) {
		error_set_openssl(err, "hashing");
		goto out;
	}
	while (done < length) {
		size_t want = length - done < sizeof(buf) ? (size_t)(length - done) : sizeof(buf);
		ssize_t n = pread(fd, buf, want, (off_t)(offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error_set(err, "reading: %s", n < 0 ? strerror(errno) : "the file shrank");
			goto out;
		}
		if (!EVP_DigestUpdate(md5, buf, (size_t)n) ||
		    !EVP_DigestUpdate(sha, buf, (size_t)n)) {
			error_set_openssl(err, "hashing");
			goto out;
		}
		done += (uint64_t)n;
	}
	if (!EVP_DigestFinal_ex(md5, out, &outlen)) {
		error_set_openssl(err, "hashing");
		goto out;
	}
	to_hex(out, outlen, md5_hex);
	if (!EVP_DigestFinal_ex(sha, out, &outlen)) {
		error_set_openssl(err, "hashing");
		goto out;
	}
	to_hex(out, outlen, sha_hex);
	ret = 0;
out:
	EVP_MD_CTX_free(md5);
	EVP_MD_CTX_free(sha);
	return ret;
}

/* Does an S3 ETag ("\"hex\"") name this MD5? */
static int etag_matches(const char *etag, const char *md5_hex)
{
	char clean[64];
	size_t j = 0;

	for (const char *p = etag; *p && j + 1 < sizeof(clean); p++)
		if (*p != '"')
			clean[j++] = (char)tolower((unsigned char)*p);
	clean[j] = '\0';
	return strcmp(clean, md5_hex) == 0;
}

/* The MD5 the ETag must show; a file must still have the SHA-256 it was sent with. */
static int s3_body_md5(struct body *body, const char *name, const char *sha_hex, char md5_hex[33],
                       struct error *err)
{
	char sha_check[SHA256_HEX_LEN + 1];

	if (body->mem) {
		unsigned char d[EVP_MAX_MD_SIZE];
		unsigned int dl = 0;

		if (!EVP_Digest(body->mem, body->length, d, &dl, EVP_md5(), NULL)) {
			error_set_openssl(err, "%s: hashing", name);
			return -1;
		}
		to_hex(d, dl, md5_hex);
		return 0;
	}
	if (hash_region(body->fd, body->offset, body->length, md5_hex, sha_check, err) != 0) {
		error_prefix(err, "%s", name);
		return -1;
	}
	if (sha_hex && strcmp(sha_check, sha_hex) != 0) {
		error_set(err, "%s: changed since its hash was taken", name);
		return -1;
	}
	return 0;
}

static int s3_send_single(struct upload *up, struct body *body, const char *name,
                          const char *sha_hex, struct upload_result *res, struct error *err)
{
	struct request rq = {0};
	char md5_hex[33];
	int ret = -1;

	if (s3_body_md5(body, name, sha_hex, md5_hex, err) != 0)
		return -1;
	rq.what = name;
	rq.method = "PUT";
	rq.body = body;
	rq.url = s3_object_url(up, name);
	s3_add_headers(up, &rq, sha_hex);
	if (request_run(up, &rq, err) != 0)
		goto out;
	res->attempts = rq.attempts;
	if (!etag_matches(rq.etag, md5_hex)) {
		error_set(err, "%s: the server's ETag %s does not match the MD5 of what was sent",
		          name, rq.etag);
		goto out;
	}
	res->hash_checked = 1;
	ret = 0;
out:
	request_release(&rq);
	return ret;
}

/* Start a multipart upload: its UploadId, URL-encoded, into *enc_id. */
static int s3_multipart_create(struct upload *up, const char *object, const char *name,
                               char **enc_id, struct error *err)
{
	struct request rq = {0};
	struct strbuf sb = STRBUF_INIT;
	char upload_id[512] = "";
	int ret = -1;

	rq.what = name;
	rq.method = "POST";
	rq.url = xasprintf("%s?uploads=", object);
	rq.post_data = "";
	rq.post_len = 0;
	s3_add_headers(up, &rq, EMPTY_SHA256);
	if (request_run(up, &rq, err) != 0) {
		error_prefix(err, "starting a multipart upload");
		goto out;
	}
	if (upload_xml_value(rq.response.buf, "UploadId", upload_id, sizeof(upload_id)) != 0 ||
	    !*upload_id) {
		error_set(err, "%s: the server's answer to a multipart upload has no UploadId",
		          name);
		goto out;
	}
	upload_url_encode(&sb, upload_id, 0);
	*enc_id = strbuf_detach(&sb);
	ret = 0;
out:
	request_release(&rq);
	return ret;
}

/* Send part i (from 0) with its own retries; its ETag goes into the completion document. */
static int s3_multipart_part(struct upload *up, struct body *body, const char *object,
                             const char *name, const char *enc_id, uint64_t i, uint64_t nparts,
                             uint64_t part_size, struct strbuf *xml, struct upload_result *res,
                             struct error *err)
{
	struct request rq = {0};
	struct body part = *body;
	uint64_t off = i * part_size;
	char sha_hex[SHA256_HEX_LEN + 1], md5_hex[33];
	char *what = NULL;
	int ret = -1;

	part.offset = body->offset + off;
	part.length = body->length - off < part_size ? body->length - off : part_size;
	if (hash_region(part.fd, part.offset, part.length, md5_hex, sha_hex, err) != 0) {
		error_prefix(err, "%s", name);
		return -1;
	}
	what = xasprintf("%s (part %llu of %llu)", name, (unsigned long long)(i + 1),
	                 (unsigned long long)nparts);
	rq.what = what;
	rq.method = "PUT";
	rq.body = &part;
	/* SigV4 wants the query sorted by name: partNumber before uploadId. */
	rq.url = xasprintf("%s?partNumber=%llu&uploadId=%s", object, (unsigned long long)(i + 1),
	                   enc_id);
	s3_add_headers(up, &rq, sha_hex);
	if (request_run(up, &rq, err) != 0)
		goto out;
	if (!etag_matches(rq.etag, md5_hex)) {
		error_set(err,
		          "%s: part %llu: the server's ETag %s does not match the MD5 of what "
		          "was sent",
		          name, (unsigned long long)(i + 1), rq.etag);
		goto out;
	}
	if (rq.attempts > res->attempts)
		res->attempts = rq.attempts;
	strbuf_addf(xml, "<Part><PartNumber>%llu</PartNumber><ETag>\"%s\"</ETag></Part>",
	            (unsigned long long)(i + 1), md5_hex);
	ret = 0;
out:
	request_release(&rq);
	free(what);
	return ret;
}

static int s3_multipart_complete(struct upload *up, const char *object, const char *name,
                                 const char *enc_id, const struct strbuf *xml, struct error *err)
{
	struct request rq = {0};
	char sha_hex[SHA256_HEX_LEN + 1];
	int ret = -1;

	rq.what = name;
	rq.method = "POST";
	rq.url = xasprintf("%s?uploadId=%s", object, enc_id);
	rq.post_data = xml->buf;
	rq.post_len = xml->len;
	if (sha256_hex(xml->buf, xml->len, sha_hex, err) != 0)
		goto out;
	s3_add_headers(up, &rq, sha_hex);
	rq.headers = curl_slist_append(rq.headers, "Content-Type: application/xml");
	if (request_run(up, &rq, err) != 0) {
		error_prefix(err, "completing the multipart upload");
		goto out;
	}
	/* S3 may answer 200 with an error document when completion fails late. */
	if (rq.response.buf && strstr(rq.response.buf, "<Error>")) {
		char code[128] = "";

		upload_xml_value(rq.response.buf, "Code", code, sizeof(code));
		error_set(err, "%s: completing the multipart upload failed: %s", name, code);
		goto out;
	}
	ret = 0;
out:
	request_release(&rq);
	return ret;
}

/* Free the parts on the server; a failure here changes nothing for the caller. */
static void s3_multipart_abort(struct upload *up, const char *object, const char *name,
                               const char *enc_id)
{
	struct request rq = {0};
	struct error ignored;

	rq.what = name;
	rq.method = "DELETE";
	rq.cleanup = 1;
	rq.url = xasprintf("%s?uploadId=%s", object, enc_id);
	s3_add_headers(up, &rq, EMPTY_SHA256);
	request_run(up, &rq, &ignored);
	request_release(&rq);
}

/* Multipart: create, send each part with its own retries, complete; abort on failure. */
static int s3_send_multipart(struct upload *up, struct body *body, const char *name,
                             uint64_t part_size, struct upload_result *res, struct error *err)
{
	struct strbuf xml = STRBUF_INIT;
	char *object = s3_object_url(up, name), *enc_id = NULL;
	uint64_t nparts;
	int ret = -1;

	while ((body->length + part_size - 1) / part_size > S3_MAX_PARTS)
		part_size *= 2;
	nparts = (body->length + part_size - 1) / part_size;
	if (s3_multipart_create(up, object, name, &enc_id, err) != 0)
		goto out;
	strbuf_addstr(&xml, "<CompleteMultipartUpload>");
	for (uint64_t i = 0; i < nparts; i++)
		if (s3_multipart_part(up, body, object, name, enc_id, i, nparts, part_size, &xml,
		                      res, err) != 0)
			goto out;
	strbuf_addstr(&xml, "</CompleteMultipartUpload>");
	if (s3_multipart_complete(up, object, name, enc_id, &xml, err) != 0)
		goto out;
	res->parts = (int)nparts;
	res->hash_checked = 1;
	ret = 0;
out:
	if (ret != 0 && enc_id)
		s3_multipart_abort(up, object, name, enc_id);
	strbuf_release(&xml);
	free(enc_id);
	free(object);
	return ret;
}

static int s3_send(struct upload *up, struct body *body, const char *name, const char *sha_hex,
                   struct upload_result *res, struct error *err)
{
	uint64_t part_size = up->opt.part_size ? up->opt.part_size : DEFAULT_PART_SIZE;

	if (body->length > part_size)
		return s3_send_multipart(up, body, name, part_size, res, err);
	return s3_send_single(up, body, name, sha_hex, res, err);
}

static int s3_remote_size(struct upload *up, const char *name, curl_off_t *size, struct error *err)
{
	struct request rq = {0};
	int ret = -1;

	rq.what = name;
	rq.method = "HEAD";
	rq.nobody = 1;
	rq.url = s3_object_url(up, name);
	s3_add_headers(up, &rq, EMPTY_SHA256);
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

static int s3_remove(struct upload *up, const char *name, struct error *err)
{
	struct request rq = {0};
	int ret;

	rq.what = name;
	rq.method = "DELETE";
	rq.url = s3_object_url(up, name);
	s3_add_headers(up, &rq, EMPTY_SHA256);
	ret = request_run(up, &rq, err);
	request_release(&rq);
	return ret;
}

/* S3 names its errors in an XML answer; say what to check for the common ones. */
static int s3_describe(struct upload *up, const struct request *rq, CURLcode cc, const char *detail,
                       char *out, size_t outlen)
{
	char code[128] = "", msg[256] = "";

	if (cc != CURLE_OK || rq->status < 300 || rq->status == 401)
		return 0;
	upload_xml_value(rq->response.buf, "Code", code, sizeof(code));
	upload_xml_value(rq->response.buf, "Message", msg, sizeof(msg));
	if (rq->status == 403 && strcmp(code, "SignatureDoesNotMatch") == 0)
		snprintf(out, outlen,
		         "the server rejected the request signature (HTTP 403 "
		         "SignatureDoesNotMatch): check the secret access key and region");
	else if (rq->status == 403 && strcmp(code, "InvalidAccessKeyId") == 0)
		snprintf(out, outlen,
		         "the server does not know the access key (HTTP 403 "
		         "InvalidAccessKeyId): check AWS_ACCESS_KEY_ID");
	else if (rq->status == 403)
		snprintf(out, outlen, "permission denied (HTTP 403%s%s)", *code ? " " : "", code);
	else if (rq->status == 404)
		snprintf(out, outlen, "not found (HTTP 404%s%s): does the bucket exist?",
		         *code ? " " : "", code);
	else if (*code)
		snprintf(out, outlen, "HTTP %ld %s%s%s", rq->status, code, *msg ? ": " : "", msg);
	else
		return 0;
	return 1;
}

const struct upload_scheme_ops upload_s3_ops = {
        .name = "s3",
        .scheme = UPLOAD_S3,
        .open = s3_open,
        .takes = TAKES_TLS | TAKES_S3,
        .close = s3_close,
        .configure = s3_configure,
        .object_url = s3_object_url,
        .send = s3_send,
        .remote_size = s3_remote_size,
        .remove = s3_remove,
        .describe = s3_describe,
        .http = 1,
};
