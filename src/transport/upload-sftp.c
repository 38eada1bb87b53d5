/*
 * SFTP targets: key authentication, the host key checked against known_hosts or a SHA-256
 * fingerprint, files written as NAME.part and renamed when whole.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "transport/upload-creds.h"
#include "transport/upload-request.h"

struct sftp_target {
	char *dir; /* the directory for quote commands: "" (home), "dir/" or "/abs/dir/" */
	char *user;
	char *identity;
	char *known_hosts;
	char *host_key_sha256;
	struct upload_creds creds; /* the key's passphrase */
};

static void sftp_close(void *priv)
{
	struct sftp_target *t = priv;

	if (t == NULL)
		return;
	free(t->dir);
	free(t->user);
	free(t->identity);
	free(t->known_hosts);
	free(t->host_key_sha256);
	creds_release(&t->creds);
	free(t);
}

static char *home_path(const char *rel)
{
	const char *home = getenv("HOME");

	if (home == NULL || *home == '\0')
		return NULL;
	return xasprintf("%s/%s", home, rel);
}

/* The host key: a fingerprint given, a known_hosts file, or both; one of them is required. */
static int sftp_open_host_key(struct upload *up, struct sftp_target *t, struct error *err)
{
	if (up->opt.host_key_sha256) {
		const char *fp = up->opt.host_key_sha256;
		size_t n;

		if (strncmp(fp, "SHA256:", 7) == 0)
			fp += 7;
		n = strspn(fp, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
		if (n != strlen(fp) || (n != 43 && n != 44)) {
			error_set(err, "--host-key-sha256: expected the base64 SHA-256 of the host "
			               "key, as 'ssh-keygen -lf' prints it");
			return -1;
		}
		t->host_key_sha256 = xstrdup(fp);
	}
	if (up->opt.known_hosts)
		t->known_hosts = xstrdup(up->opt.known_hosts);
	else if (t->host_key_sha256 == NULL)
		t->known_hosts = home_path(".ssh/known_hosts");
	if (t->known_hosts && access(t->known_hosts, R_OK) != 0) {
		error_set(err,
		          "%s: %s; the host key must be known: give --known-hosts FILE or "
		          "--host-key-sha256 BASE64",
		          t->known_hosts, strerror(errno));
		return -1;
	}
	if (t->known_hosts == NULL && t->host_key_sha256 == NULL) {
		error_set(err, "the host key must be known: give --known-hosts FILE or "
		               "--host-key-sha256 BASE64");
		return -1;
	}
	return 0;
}

static int sftp_open(struct upload *up, CURLU *u, struct error *err)
{
	struct sftp_target *t = xcalloc(1, sizeof(*t));
	char *user = NULL, *password = NULL, *path = NULL, *url = NULL;
	const char *p;
	size_t n;
	int ret = -1;

	up->priv = t;
	curl_url_get(u, CURLUPART_PASSWORD, &password, 0);
	if (password) {
		error_set(err,
		          "%s: passwords are not used for SFTP; logpack authenticates with a "
		          "key (--identity)",
		          up->display);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE) != CURLUE_OK || !user ||
	    !*user) {
		error_set(err, "%s: name the user: sftp://USER@HOST/DIR", up->display);
		goto out;
	}
	t->user = xstrdup(user);
	curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE);
	p = path ? path : "/";
	if (strpbrk(p, "\"\r\n")) {
		error_set(err, "%s: the remote directory may not contain '\"' or line ends",
		          up->display);
		goto out;
	}
	/* libcurl reads "/~/dir" as relative to the home directory; quote commands do too. */
	if (strncmp(p, "/~/", 3) == 0 || strcmp(p, "/~") == 0)
		p += strlen(p) >= 3 ? 3 : 2;
	n = strlen(p);
	t->dir = xasprintf("%s%s", p, n > 0 && p[n - 1] != '/' ? "/" : "");
	if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		error_set(err, "%s: not a valid URL", up->display);
		goto out;
	}
	up->base = xstrdup(url);
	n = strlen(up->base);
	while (n > 0 && up->base[n - 1] == '/')
		up->base[--n] = '\0';

	if (up->opt.identity)
		t->identity = xstrdup(up->opt.identity);
	else if ((t->identity = home_path(".ssh/id_ed25519")) == NULL) {
		error_set(err, "no HOME: give the private key with --identity FILE");
		goto out;
	}
	if (access(t->identity, R_OK) != 0) {
		error_set(err, "%s: %s (give the private key with --identity FILE)", t->identity,
		          strerror(errno));
		goto out;
	}
	if (secret_file_check(t->identity, err) != 0 || sftp_open_host_key(up, t, err) != 0)
		goto out;
	creds_take_env(&t->creds.passphrase, "LOGPACK_SSH_PASSPHRASE");
	if (up->opt.credentials_file && creds_load_file(&t->creds, up->opt.credentials_file, err))
		goto out;
	ret = 0;
out:
	curl_free(user);
	curl_free(password);
	curl_free(path);
	curl_free(url);
	return ret;
}

/* Base64 (no padding) of the SHA-256 of a host key, as ssh-keygen -l prints it. */
static void host_key_fingerprint(const struct curl_khkey *key, char *out, size_t outlen)
{
	unsigned char *raw = NULL, md[32], b64[64];
	size_t rawlen;
	unsigned int mdlen = 0;
	int n;

	out[0] = '\0';
	if (key->len == 0) {
		size_t inlen = strlen(key->key);

		raw = xmalloc(inlen + 1);
		n = EVP_DecodeBlock(raw, (const unsigned char *)key->key, (int)inlen);
		if (n < 0)
			goto out;
		rawlen = (size_t)n;
		/* EVP_DecodeBlock counts padding as zero bytes. */
		for (size_t i = inlen; i > 0 && key->key[i - 1] == '=' && rawlen > 0; i--)
			rawlen--;
	} else {
		raw = xmalloc(key->len);
		memcpy(raw, key->key, key->len);
		rawlen = key->len;
	}
	if (!EVP_Digest(raw, rawlen, md, &mdlen, EVP_sha256(), NULL))
		goto out;
	n = EVP_EncodeBlock(b64, md, (int)mdlen);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(out, outlen, "%.*s", n, (const char *)b64);
out:
	free(raw);
}

/* Accept a host key only when known_hosts holds exactly it: never add, never ask. */
static int ssh_key_cb(CURL *h, const struct curl_khkey *knownkey, const struct curl_khkey *foundkey,
                      enum curl_khmatch match, void *arg)
{
	struct request *rq = arg;

	rq->host_key_status = (int)match;
	if (foundkey)
		host_key_fingerprint(foundkey, rq->host_key_fpr, sizeof(rq->host_key_fpr));
	return match == CURLKHMATCH_OK ? CURLKHSTAT_FINE : CURLKHSTAT_REJECT;
}

static void sftp_configure(struct upload *up, CURL *h, struct request *rq)
{
	const struct sftp_target *t = up->priv;

	REQUEST_SETOPT(rq, h, CURLOPT_PROTOCOLS_STR, "sftp");
	REQUEST_SETOPT(rq, h, CURLOPT_SSH_AUTH_TYPES, (long)CURLSSH_AUTH_PUBLICKEY);
	REQUEST_SETOPT(rq, h, CURLOPT_SSH_PRIVATE_KEYFILE, t->identity);
	if (t->creds.passphrase)
		REQUEST_SETOPT(rq, h, CURLOPT_KEYPASSWD, t->creds.passphrase);
	if (t->known_hosts) {
		REQUEST_SETOPT(rq, h, CURLOPT_SSH_KNOWNHOSTS, t->known_hosts);
		REQUEST_SETOPT(rq, h, CURLOPT_SSH_KEYFUNCTION, ssh_key_cb);
		REQUEST_SETOPT(rq, h, CURLOPT_SSH_KEYDATA, rq);
	}
	if (t->host_key_sha256)
		REQUEST_SETOPT(rq, h, CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256, t->host_key_sha256);
	if (rq->quote)
		REQUEST_SETOPT(rq, h, CURLOPT_QUOTE, rq->quote);
	if (rq->postquote)
		REQUEST_SETOPT(rq, h, CURLOPT_POSTQUOTE, rq->postquote);
	REQUEST_SETOPT(rq, h, CURLOPT_FTP_CREATE_MISSING_DIRS, 0L);
}

static char *sftp_object_url(struct upload *up, const char *name)
{
	return upload_url_under(up, NULL, name);
}

static char *sftp_quote_path(const struct upload *up, const char *name)
{
	const struct sftp_target *t = up->priv;

	return xasprintf("\"%s%s\"", t->dir, name);
}

/*
 * How much of an earlier run's NAME.part can be kept: its size, when every byte of it equals
 * the start of the local file (read back and compared, since SFTP offers no remote hash), or
 * 0 to start over. Asking is the first contact with the server, so its failures (the host
 * key, the login, the server down) are the upload's: -1 with err.
 */
static int sftp_verified_prefix(struct upload *up, struct body *body, const char *name,
                                const char *tmpname, uint64_t *keep, struct error *err)
{
	struct request rq = {0};
	char errbuf[CURL_ERROR_SIZE];
	curl_off_t size;
	int ret = 0;

	*keep = 0;
	rq.what = name;
	rq.method = "STAT";
	rq.nobody = 1;
	rq.url = sftp_object_url(up, tmpname);
	if (request_run(up, &rq, err) != 0) {
		/* No NAME.part: nothing to resume, and no error. */
		if (rq.last_code != CURLE_REMOTE_FILE_NOT_FOUND)
			ret = -1;
		goto out;
	}
	size = rq.content_length;
	if (body->mem || size <= 0 || (uint64_t)size >= body->length)
		goto out;
	rq.nobody = 0;
	rq.method = "GET";
	rq.compare = body;
	rq.compared = 0;
	rq.mismatch = 0;
	if (request_once(up, &rq, errbuf) == CURLE_OK && !rq.mismatch &&
	    rq.compared == (uint64_t)size)
		*keep = (uint64_t)size;
out:
	request_release(&rq);
	return ret;
}

/*
 * Write under a temporary name and rename when complete, so that a file under the final name
 * is always whole; a retry appends to what arrived.
 */
static int sftp_send(struct upload *up, struct body *body, const char *name, const char *sha_hex,
                     struct upload_result *res, struct error *err)
{
	struct request rq = {0};
	char *tmpname = NULL, *from = NULL, *to = NULL, *cmd = NULL;
	int ret = -1;

	if (strpbrk(name, "\"\r\n")) {
		error_set(err, "%s: a name with '\"' or a line end cannot be sent over SFTP", name);
		return -1;
	}
	rq.what = name;
	rq.method = "PUT";
	rq.body = body;
	rq.resume_on_retry = 1;
	tmpname = xasprintf("%s.part", name);
	rq.url = sftp_object_url(up, tmpname);
	from = sftp_quote_path(up, tmpname);
	to = sftp_quote_path(up, name);
	/* SFTP's rename does not replace: remove an older copy first ('*': none is fine). */
	cmd = xasprintf("*rm %s", to);
	rq.postquote = curl_slist_append(NULL, cmd);
	free(cmd);
	cmd = xasprintf("rename %s %s", from, to);
	rq.postquote = curl_slist_append(rq.postquote, cmd);
	/* What an earlier run left is kept only when it is byte for byte ours. */
	if (sftp_verified_prefix(up, body, name, tmpname, &res->resumed_from, err) != 0)
		goto out;
	rq.resume = res->resumed_from > 0;
	if (request_run(up, &rq, err) != 0)
		goto out;
	res->attempts = rq.attempts;
	ret = 0;
out:
	free(tmpname);
	free(from);
	free(to);
	free(cmd);
	request_release(&rq);
	return ret;
}

static int sftp_remote_size(struct upload *up, const char *name, curl_off_t *size,
                            struct error *err)
{
	struct request rq = {0};
	int ret = -1;

	rq.what = name;
	rq.method = "HEAD";
	rq.nobody = 1;
	rq.url = sftp_object_url(up, name);
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

static int sftp_remove(struct upload *up, const char *name, struct error *err)
{
	struct request rq = {0};
	char *path = sftp_quote_path(up, name), *cmd = xasprintf("rm %s", path);
	int ret;

	rq.what = name;
	rq.method = "QUOTE";
	rq.nobody = 1;
	rq.url = xasprintf("%s/", up->base);
	rq.quote = curl_slist_append(NULL, cmd);
	ret = request_run(up, &rq, err);
	request_release(&rq);
	free(path);
	free(cmd);
	return ret;
}

/* libssh2 reports a dropped connection mid-transfer this way. */
static int sftp_transient(CURLcode cc)
{
	return cc == CURLE_SSH || cc == CURLE_UPLOAD_FAILED;
}

static int sftp_describe(struct upload *up, const struct request *rq, CURLcode cc,
                         const char *detail, char *out, size_t outlen)
{
	const struct sftp_target *t = up->priv;
	char *pub, *text = NULL;
	size_t len;
	int rsa = 0;

	if (cc == CURLE_PEER_FAILED_VERIFICATION) {
		if (rq->host_key_status == CURLKHMATCH_MISMATCH)
			snprintf(out, outlen,
			         "the host key DOES NOT MATCH the one in %s (offered SHA256:%s); "
			         "refusing to connect",
			         t->known_hosts, rq->host_key_fpr);
		else if (rq->host_key_status == CURLKHMATCH_MISSING)
			snprintf(out, outlen,
			         "the host key is not in %s (offered SHA256:%s); check it out of "
			         "band and add it, or give --host-key-sha256",
			         t->known_hosts, rq->host_key_fpr);
		else
			snprintf(out, outlen, "the host key was refused (%s)", detail);
		return 1;
	}
	if (cc != CURLE_LOGIN_DENIED)
		return 0;
	pub = xasprintf("%s.pub", t->identity);
	if (read_small_file(pub, 16384, &text, &len) == 0)
		rsa = str_has_prefix(text, "ssh-rsa");
	free(text);
	free(pub);
	snprintf(out, outlen, "the server refused the key %s for user %s (%s)%s", t->identity,
	         t->user, detail,
	         rsa ? "; this libssh2 cannot sign with RSA SHA-2, which current servers "
	               "require: use an ed25519 key"
	             : "");
	return 1;
}

const struct upload_scheme_ops upload_sftp_ops = {
        .name = "sftp",
        .scheme = UPLOAD_SFTP,
        .open = sftp_open,
        .takes = TAKES_SSH,
        .close = sftp_close,
        .configure = sftp_configure,
        .object_url = sftp_object_url,
        .send = sftp_send,
        .remote_size = sftp_remote_size,
        .remove = sftp_remove,
        .transient = sftp_transient,
        .describe = sftp_describe,
};
