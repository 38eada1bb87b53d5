/* Transfers over libcurl: HTTPS PUT, SFTP and S3, with verified peers and bounded retries. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "transport/upload.h"

#define RESPONSE_MAX (64 * 1024)
#define DEFAULT_PART_SIZE ((uint64_t)64 * 1024 * 1024)
#define S3_MAX_PARTS 10000
#define MAX_BACKOFF 60.0

struct upload {
	struct upload_options opt;
	enum upload_scheme scheme;
	char *display; /* the target as the user gave it, without credentials */
	char *base;    /* URL that names are appended to, without a trailing '/' */
	int exact;     /* https with a query (a pre-signed URL): PUT to it as given */
	int form;      /* https --method post: a multipart form to the URL as given */
	/* SFTP */
	char *sftp_dir; /* the directory for quote commands: "" (home), "dir/" or "/abs/dir/" */
	char *sftp_user;
	char *identity;
	char *known_hosts;
	char *host_key_sha256;
	char *passphrase;
	/* HTTPS */
	char *user;
	char *password;
	char *token;
	/* S3 */
	char *s3_prefix; /* key prefix, "" or ending in '/' */
	char *s3_region;
	char *sigv4;
	char *aws_userpwd; /* "KEY:SECRET" for CURLOPT_USERPWD */
	char *aws_session_token;
};

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
	int resume;            /* SFTP: continue what an earlier attempt left */
	const char *form_name; /* POST the body as a form file of this name */
	int cleanup;           /* tidying after a failure: one attempt, even when interrupted */
	struct body *compare;  /* a download compared byte for byte with this, not kept */
	uint64_t compared;     /* bytes that matched so far */
	int mismatch;
	CURLcode last_code; /* of the last attempt */
	int nobody;
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

static void strfree(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

enum upload_scheme upload_get_scheme(const struct upload *up)
{
	return up->scheme;
}

const char *upload_target(const struct upload *up)
{
	return up->display;
}

void upload_result_release(struct upload_result *res)
{
	if (res == NULL)
		return;
	free(res->remote);
	res->remote = NULL;
}

/* Percent-encode everything but RFC 3986 unreserved characters (and '/' when keep_slash). */
static void url_encode(struct strbuf *sb, const char *s, int keep_slash)
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

static char *home_path(const char *rel)
{
	const char *home = getenv("HOME");

	if (home == NULL || *home == '\0')
		return NULL;
	return xasprintf("%s/%s", home, rel);
}

/* A file of secrets must not be readable by others. */
static int check_secret_file(const char *path, struct error *err)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		error_set(err, "%s: group or others may read it; refusing to use it (chmod 600)",
		          path);
		return -1;
	}
	return 0;
}

/* "key=value" lines of --credentials; unknown keys are errors so typos are seen. */
static int load_credentials_file(struct upload *up, const char *path, struct error *err)
{
	char *text = NULL, *line, *next;
	size_t len;
	int ret = -1, lineno = 0;

	if (check_secret_file(path, err) != 0)
		return -1;
	if (read_small_file(path, 64 * 1024, &text, &len) != 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (line = text; line && *line; line = next) {
		char *eq, *end;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		end = line + strlen(line);
		while (end > line && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			error_set(err, "%s: line %d: expected key=value", path, lineno);
			goto out;
		}
		*eq = '\0';
		if (strcmp(line, "user") == 0) {
			strfree(up->user);
			up->user = xstrdup(eq + 1);
		} else if (strcmp(line, "password") == 0) {
			strfree(up->password);
			up->password = xstrdup(eq + 1);
		} else if (strcmp(line, "token") == 0) {
			strfree(up->token);
			up->token = xstrdup(eq + 1);
		} else if (strcmp(line, "passphrase") == 0) {
			strfree(up->passphrase);
			up->passphrase = xstrdup(eq + 1);
		} else if (strcmp(line, "aws_access_key_id") == 0 ||
		           strcmp(line, "aws_secret_access_key") == 0 ||
		           strcmp(line, "aws_session_token") == 0) {
			error_set(err,
			          "%s: line %d: S3 keys come from the AWS environment variables or "
			          "credentials file",
			          path, lineno);
			goto out;
		} else {
			error_set(err, "%s: line %d: unknown key '%s'", path, lineno, line);
			goto out;
		}
	}
	ret = 0;
out:
	if (text) {
		OPENSSL_cleanse(text, len);
		free(text);
	}
	return ret;
}

/* AWS credentials: the environment first, then the shared credentials file's profile. */
static int load_aws_credentials(struct upload *up, struct error *err)
{
	const char *key = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");
	const char *profile = getenv("AWS_PROFILE");
	char *path = NULL, *text = NULL, *line, *next, *file_key = NULL, *file_secret = NULL,
	     *file_token = NULL;
	size_t len = 0;
	int in_profile = 0, ret = -1;

	if (key && *key && secret && *secret) {
		up->aws_userpwd = xasprintf("%s:%s", key, secret);
		if (token && *token)
			up->aws_session_token = xstrdup(token);
		return 0;
	}
	if (profile == NULL || *profile == '\0')
		profile = "default";
	if (getenv("AWS_SHARED_CREDENTIALS_FILE") && *getenv("AWS_SHARED_CREDENTIALS_FILE"))
		path = xstrdup(getenv("AWS_SHARED_CREDENTIALS_FILE"));
	else
		path = home_path(".aws/credentials");
	if (path == NULL || access(path, F_OK) != 0) {
		error_set(err,
		          "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
		          "or write them to ~/.aws/credentials");
		goto out;
	}
	if (check_secret_file(path, err) != 0)
		goto out;
	if (read_small_file(path, 1024 * 1024, &text, &len) != 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (line = text; line && *line; line = next) {
		char *eq, *k, *v, *end;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		end = line + strlen(line);
		while (end > line && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*line == '[') {
			size_t plen = strlen(profile);

			in_profile = strncmp(line + 1, profile, plen) == 0 && line[1 + plen] == ']';
			continue;
		}
		if (!in_profile || (eq = strchr(line, '=')) == NULL)
			continue;
		k = line;
		v = eq + 1;
		for (end = eq; end > k && isspace((unsigned char)end[-1]);)
			end--;
		*end = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		if (strcmp(k, "aws_access_key_id") == 0) {
			strfree(file_key);
			file_key = xstrdup(v);
		} else if (strcmp(k, "aws_secret_access_key") == 0) {
			strfree(file_secret);
			file_secret = xstrdup(v);
		} else if (strcmp(k, "aws_session_token") == 0) {
			strfree(file_token);
			file_token = xstrdup(v);
		}
	}
	if (file_key == NULL || file_secret == NULL) {
		error_set(err, "%s: no aws_access_key_id and aws_secret_access_key in profile [%s]",
		          path, profile);
		goto out;
	}
	up->aws_userpwd = xasprintf("%s:%s", file_key, file_secret);
	if (file_token) {
		up->aws_session_token = file_token;
		file_token = NULL;
	}
	ret = 0;
out:
	if (text) {
		OPENSSL_cleanse(text, len);
		free(text);
	}
	strfree(file_key);
	strfree(file_secret);
	strfree(file_token);
	free(path);
	return ret;
}

/* Take an environment secret into an owned copy. */
static void take_env(char **dst, const char *name)
{
	const char *v = getenv(name);

	if (v && *v) {
		strfree(*dst);
		*dst = xstrdup(v);
	}
}

static int open_https(struct upload *up, CURLU *u, struct error *err)
{
	char *user = NULL, *password = NULL, *query = NULL, *fragment = NULL, *url = NULL;
	int ret = -1;

	curl_url_get(u, CURLUPART_PASSWORD, &password, 0);
	if (password) {
		error_set(err,
		          "%s: a password in the URL would show in the process list; put it "
		          "in LOGPACK_UPLOAD_PASSWORD or a --credentials file",
		          up->display);
		/* The display form must not keep it either. */
		goto out;
	}
	curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0);
	if (fragment)
		curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if (user) {
		up->user = xstrdup(user);
		curl_url_set(u, CURLUPART_USER, NULL, 0);
	}
	if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		error_set(err, "%s: not a valid URL", up->display);
		goto out;
	}
	up->exact = query != NULL;
	up->base = xstrdup(url);
	if (up->exact) {
		/* A pre-signed URL's query is a credential: never show it. */
		char *bare = NULL;

		curl_url_set(u, CURLUPART_QUERY, NULL, 0);
		if (curl_url_get(u, CURLUPART_URL, &bare, 0) == CURLUE_OK) {
			free(up->display);
			up->display = xasprintf("%s?[redacted]", bare);
		}
		curl_free(bare);
	}
	if (!up->exact && !up->form) {
		size_t n = strlen(up->base);

		while (n > 0 && up->base[n - 1] == '/')
			up->base[--n] = '\0';
	}
	take_env(&up->user, "LOGPACK_UPLOAD_USER");
	take_env(&up->password, "LOGPACK_UPLOAD_PASSWORD");
	take_env(&up->token, "LOGPACK_UPLOAD_TOKEN");
	if (up->opt.credentials_file && load_credentials_file(up, up->opt.credentials_file, err))
		goto out;
	if (up->password && up->user == NULL) {
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

static int open_sftp(struct upload *up, CURLU *u, struct error *err)
{
	char *user = NULL, *password = NULL, *path = NULL, *url = NULL;
	const char *p;
	size_t n;
	int ret = -1;

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
	up->sftp_user = xstrdup(user);
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
	up->sftp_dir = xasprintf("%s%s", p, n > 0 && p[n - 1] != '/' ? "/" : "");
	if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		error_set(err, "%s: not a valid URL", up->display);
		goto out;
	}
	up->base = xstrdup(url);
	n = strlen(up->base);
	while (n > 0 && up->base[n - 1] == '/')
		up->base[--n] = '\0';

	if (up->opt.identity)
		up->identity = xstrdup(up->opt.identity);
	else if ((up->identity = home_path(".ssh/id_ed25519")) == NULL) {
		error_set(err, "no HOME: give the private key with --identity FILE");
		goto out;
	}
	if (access(up->identity, R_OK) != 0) {
		error_set(err, "%s: %s (give the private key with --identity FILE)", up->identity,
		          strerror(errno));
		goto out;
	}
	if (check_secret_file(up->identity, err) != 0)
		goto out;
	if (up->opt.host_key_sha256) {
		const char *fp = up->opt.host_key_sha256;

		if (strncmp(fp, "SHA256:", 7) == 0)
			fp += 7;
		n = strspn(fp, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
		if (n != strlen(fp) || (n != 43 && n != 44)) {
			error_set(err, "--host-key-sha256: expected the base64 SHA-256 of the host "
			               "key, as 'ssh-keygen -lf' prints it");
			goto out;
		}
		up->host_key_sha256 = xstrdup(fp);
	}
	if (up->opt.known_hosts)
		up->known_hosts = xstrdup(up->opt.known_hosts);
	else if (up->host_key_sha256 == NULL)
		up->known_hosts = home_path(".ssh/known_hosts");
	if (up->known_hosts && access(up->known_hosts, R_OK) != 0) {
		error_set(err,
		          "%s: %s; the host key must be known: give --known-hosts FILE or "
		          "--host-key-sha256 BASE64",
		          up->known_hosts, strerror(errno));
		goto out;
	}
	if (up->known_hosts == NULL && up->host_key_sha256 == NULL) {
		error_set(err, "the host key must be known: give --known-hosts FILE or "
		               "--host-key-sha256 BASE64");
		goto out;
	}
	take_env(&up->passphrase, "LOGPACK_SSH_PASSPHRASE");
	if (up->opt.credentials_file && load_credentials_file(up, up->opt.credentials_file, err))
		goto out;
	ret = 0;
out:
	curl_free(user);
	curl_free(password);
	curl_free(path);
	curl_free(url);
	return ret;
}

static int open_s3(struct upload *up, CURLU *u, struct error *err)
{
	char *bucket = NULL, *path = NULL, *user = NULL, *query = NULL, *ep_scheme = NULL,
	     *ep_path = NULL, *ep_url = NULL;
	CURLU *ep = NULL;
	const char *region = up->opt.s3_region, *p;
	struct strbuf sb = STRBUF_INIT;
	int ret = -1;
	size_t n;

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
	up->s3_prefix = xasprintf("%s%s", p, n > 0 && p[n - 1] != '/' ? "/" : "");

	if (region == NULL || *region == '\0')
		region = getenv("AWS_REGION");
	if (region == NULL || *region == '\0')
		region = getenv("AWS_DEFAULT_REGION");
	if (region == NULL || *region == '\0')
		region = "us-east-1";
	if (strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region)) {
		error_set(err, "--s3-region: '%s' is not a region name", region);
		goto out;
	}
	up->s3_region = xstrdup(region);
	up->sigv4 = xasprintf("aws:amz:%s:s3", region);

	if (up->opt.s3_endpoint) {
		/* A custom endpoint: path-style, https://endpoint/bucket/key. */
		ep = curl_url();
		if (curl_url_set(ep, CURLUPART_URL, up->opt.s3_endpoint, 0) != CURLUE_OK ||
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
		curl_url_set(ep, CURLUPART_PATH, NULL, 0);
		curl_url_get(ep, CURLUPART_URL, &ep_url, 0);
		strbuf_addstr(&sb, ep_url);
		while (sb.len > 0 && sb.buf[sb.len - 1] == '/')
			sb.buf[--sb.len] = '\0';
		strbuf_addch(&sb, '/');
		url_encode(&sb, bucket, 0);
	} else {
		/* AWS itself: virtual-hosted style, https://bucket.s3.region.amazonaws.com/key. */
		if (strspn(bucket, "abcdefghijklmnopqrstuvwxyz0123456789-.") != strlen(bucket)) {
			error_set(err, "%s: '%s' is not a valid bucket name", up->display, bucket);
			goto out;
		}
		strbuf_addf(&sb, "https://%s.s3.%s.amazonaws.com", bucket, region);
	}
	up->base = strbuf_detach(&sb);
	if (load_aws_credentials(up, err) != 0)
		goto out;
	ret = 0;
out:
	strbuf_release(&sb);
	curl_free(bucket);
	curl_free(path);
	curl_free(user);
	curl_free(query);
	curl_free(ep_scheme);
	curl_free(ep_path);
	curl_free(ep_url);
	curl_url_cleanup(ep);
	return ret;
}

int upload_open(struct upload **out, const struct upload_options *opt, struct error *err)
{
	struct upload *up = xcalloc(1, sizeof(*up));
	CURLU *u = NULL;
	char *scheme = NULL;
	const char *url = opt->url;
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
	if (!global_init_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			error_set(err, "cannot initialise libcurl");
			goto out;
		}
		global_init_done = 1;
	}
	/* Until parsed, show only the scheme and host part, in case a password hides in it. */
	up->display = xstrdup(url);
	if (strchr(url, '@')) {
		const char *at = strrchr(url, '@'), *colon = strstr(url, "://");

		if (colon && colon < at) {
			free(up->display);
			up->display = xasprintf("%.*s://%s", (int)(colon - url), url, at + 1);
		}
	}
	if (str_has_prefix(url, "s3://")) {
		/* libcurl does not know s3://; parse it as if it were https. */
		char *as_https = xasprintf("https://%s", url + 5);

		u = curl_url();
		if (curl_url_set(u, CURLUPART_URL, as_https, 0) != CURLUE_OK) {
			free(as_https);
			error_set(err, "%s: not a valid s3://BUCKET[/PREFIX]", up->display);
			goto out;
		}
		free(as_https);
		up->scheme = UPLOAD_S3;
		if (opt->post_form)
			error_set(err, "--method post is for https:// targets");
		else
			ret = open_s3(up, u, err);
		goto out;
	}
	u = curl_url();
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		error_set(err, "%s: not a valid URL", up->display);
		goto out;
	}
	if (opt->post_form && strcmp(scheme, "https") != 0) {
		error_set(err, "--method post is for https:// targets");
		goto out;
	}
	if (opt->s3_endpoint || opt->s3_region) {
		error_set(err, "--s3-endpoint and --s3-region are for s3:// targets");
		goto out;
	}
	if (strcmp(scheme, "https") == 0) {
		up->scheme = UPLOAD_HTTPS;
		up->form = opt->post_form;
		ret = open_https(up, u, err);
	} else if (strcmp(scheme, "sftp") == 0) {
		up->scheme = UPLOAD_SFTP;
		ret = open_sftp(up, u, err);
	} else if (strcmp(scheme, "http") == 0) {
		error_set(err, "%s: plain http is refused; bundles and credentials go over https",
		          up->display);
	} else {
		error_set(err, "%s: unsupported scheme '%s' (https, sftp or s3)", up->display,
		          scheme);
	}
	if (ret == 0 && up->scheme != UPLOAD_SFTP &&
	    (opt->known_hosts || opt->host_key_sha256 || opt->identity)) {
		error_set(err, "--known-hosts, --host-key-sha256 and --identity are for sftp:// "
		               "targets");
		ret = -1;
	}
out:
	curl_free(scheme);
	curl_url_cleanup(u);
	if (ret == 0 && up->scheme == UPLOAD_SFTP && (opt->cacert || opt->pin_pubkey)) {
		error_set(err, "--cacert and --pin-pubkey are for TLS targets; SFTP verifies the "
		               "host key");
		ret = -1;
	}
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
	free(up->display);
	free(up->base);
	free(up->sftp_dir);
	free(up->sftp_user);
	free(up->identity);
	free(up->known_hosts);
	free(up->host_key_sha256);
	strfree(up->passphrase);
	strfree(up->user);
	strfree(up->password);
	strfree(up->token);
	free(up->s3_prefix);
	free(up->s3_region);
	free(up->sigv4);
	strfree(up->aws_userpwd);
	strfree(up->aws_session_token);
	free(up);
}

/* --- one request, with retries --- */

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

static size_t response_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct request *rq = arg;
	size_t n = size * nmemb;

	if (rq->compare) {
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

/* Header names whose values are secrets in a trace. */
static int header_is_secret(const char *line, size_t len)
{
	static const char *const names[] = {"authorization:", "proxy-authorization:", "cookie:",
	                                    "set-cookie:", "x-amz-security-token:"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);

		if (len >= n && strncasecmp(line, names[i], n) == 0)
			return 1;
	}
	return 0;
}

/*
 * The libcurl trace, line by line, with the values of credential headers replaced. Bodies are
 * never shown: they are bundle bytes, or S3 answers that may echo request details.
 */
static int trace_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct request *rq = arg;
	const struct upload_hooks *hooks = &rq->up->opt.hooks;
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
		char *line;

		while (end < size && data[end] != '\n')
			end++;
		len = end - start;
		while (len > 0 && (data[start + len - 1] == '\r'))
			len--;
		if (len > 0) {
			if (type != CURLINFO_TEXT && header_is_secret(data + start, len)) {
				const char *colon = memchr(data + start, ':', len);

				line = xasprintf("%s%.*s: [redacted]", prefix,
				                 (int)(colon - (data + start)), data + start);
			} else if (type == CURLINFO_HEADER_OUT && rq->up->exact &&
			           memchr(data + start, '?', len)) {
				/* The request line of a pre-signed URL: its query is a credential.
				 */
				const char *q = memchr(data + start, '?', len);

				line = xasprintf("%s%.*s?[redacted]", prefix,
				                 (int)(q - (data + start)), data + start);
			} else {
				line = xasprintf("%s%.*s", prefix, (int)len, data + start);
			}
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

		raw = xmalloc(inlen);
		n = EVP_DecodeBlock(raw, (const unsigned char *)key->key, (int)inlen);
		if (n < 0)
			goto out;
		rawlen = (size_t)n;
		/* EVP_DecodeBlock counts padding as zero bytes. */
		for (size_t i = inlen; i > 0 && key->key[i - 1] == '='; i--)
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

static int setopt_failed;

#define SETOPT(h, opt, val)                                          \
	do {                                                         \
		if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK) \
			setopt_failed = 1;                           \
	} while (0)

/* One attempt of a request. Returns the libcurl code; the HTTP status is in rq->status. */
static CURLcode request_once(struct upload *up, struct request *rq, char *errbuf)
{
	CURL *h = curl_easy_init();
	curl_mime *mime = NULL;
	CURLcode cc;

	errbuf[0] = '\0';
	rq->status = 0;
	rq->content_length = -1;
	rq->etag[0] = '\0';
	rq->host_key_status = -1;
	rq->host_key_fpr[0] = '\0';
	strbuf_reset(&rq->response);
	if (h == NULL)
		return CURLE_OUT_OF_MEMORY;
	setopt_failed = 0;
	SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(h, CURLOPT_URL, rq->url);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT, up->opt.connect_timeout);
	SETOPT(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	SETOPT(h, CURLOPT_LOW_SPEED_TIME, up->opt.stall_timeout);
	SETOPT(h, CURLOPT_WRITEFUNCTION, response_write);
	SETOPT(h, CURLOPT_WRITEDATA, rq);
	SETOPT(h, CURLOPT_HEADERFUNCTION, header_read);
	SETOPT(h, CURLOPT_HEADERDATA, rq);
	SETOPT(h, CURLOPT_USERAGENT, "logpack/" PACKAGE_VERSION);
	if (up->opt.limit_rate)
		SETOPT(h, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)up->opt.limit_rate);
	if (up->opt.trace && up->opt.hooks.trace) {
		SETOPT(h, CURLOPT_DEBUGFUNCTION, trace_cb);
		SETOPT(h, CURLOPT_DEBUGDATA, rq);
		SETOPT(h, CURLOPT_VERBOSE, 1L);
	}
	/* Every request: the callback also stops a transfer on an interrupt. */
	SETOPT(h, CURLOPT_NOPROGRESS, 0L);
	SETOPT(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
	SETOPT(h, CURLOPT_XFERINFODATA, rq);
	if (up->scheme == UPLOAD_SFTP) {
		SETOPT(h, CURLOPT_PROTOCOLS_STR, "sftp");
		SETOPT(h, CURLOPT_SSH_AUTH_TYPES, (long)CURLSSH_AUTH_PUBLICKEY);
		SETOPT(h, CURLOPT_SSH_PRIVATE_KEYFILE, up->identity);
		if (up->passphrase)
			SETOPT(h, CURLOPT_KEYPASSWD, up->passphrase);
		if (up->known_hosts) {
			SETOPT(h, CURLOPT_SSH_KNOWNHOSTS, up->known_hosts);
			SETOPT(h, CURLOPT_SSH_KEYFUNCTION, ssh_key_cb);
			SETOPT(h, CURLOPT_SSH_KEYDATA, rq);
		}
		if (up->host_key_sha256)
			SETOPT(h, CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256, up->host_key_sha256);
		if (rq->quote)
			SETOPT(h, CURLOPT_QUOTE, rq->quote);
		if (rq->postquote)
			SETOPT(h, CURLOPT_POSTQUOTE, rq->postquote);
		SETOPT(h, CURLOPT_FTP_CREATE_MISSING_DIRS, 0L);
	} else {
		SETOPT(h, CURLOPT_PROTOCOLS_STR, "https");
		SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
		SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
		SETOPT(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
		if (up->opt.cacert) {
			/* The system's CA directory stays trusted beside this file. */
			SETOPT(h, CURLOPT_CAINFO, up->opt.cacert);
		}
		if (up->opt.pin_pubkey)
			SETOPT(h, CURLOPT_PINNEDPUBLICKEY, up->opt.pin_pubkey);
		if (up->scheme == UPLOAD_S3) {
			SETOPT(h, CURLOPT_AWS_SIGV4, up->sigv4);
			SETOPT(h, CURLOPT_USERPWD, up->aws_userpwd);
		} else if (up->token) {
			SETOPT(h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
			SETOPT(h, CURLOPT_XOAUTH2_BEARER, up->token);
		} else if (up->user) {
			SETOPT(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
			SETOPT(h, CURLOPT_USERNAME, up->user);
			if (up->password)
				SETOPT(h, CURLOPT_PASSWORD, up->password);
		}
		if (rq->headers)
			SETOPT(h, CURLOPT_HTTPHEADER, rq->headers);
	}
	if (rq->nobody)
		SETOPT(h, CURLOPT_NOBODY, 1L);
	if (rq->body && rq->form_name) {
		curl_mimepart *part;

		rq->body->pos = 0;
		rq->body->read_error = 0;
		if ((mime = curl_mime_init(h)) == NULL ||
		    (part = curl_mime_addpart(mime)) == NULL ||
		    curl_mime_name(part, up->opt.form_field ? up->opt.form_field : "file") ||
		    curl_mime_filename(part, rq->form_name) ||
		    curl_mime_type(part, "application/octet-stream") ||
		    curl_mime_data_cb(part, (curl_off_t)rq->body->length, body_read, body_seek,
		                      NULL, rq->body))
			setopt_failed = 1;
		SETOPT(h, CURLOPT_MIMEPOST, mime);
	} else if (rq->body) {
		SETOPT(h, CURLOPT_UPLOAD, 1L);
		SETOPT(h, CURLOPT_READFUNCTION, body_read);
		SETOPT(h, CURLOPT_READDATA, rq->body);
		SETOPT(h, CURLOPT_SEEKFUNCTION, body_seek);
		SETOPT(h, CURLOPT_SEEKDATA, rq->body);
		SETOPT(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rq->body->length);
		rq->body->pos = 0;
		rq->body->read_error = 0;
		if (rq->resume)
			SETOPT(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)-1);
	} else if (rq->post_data) {
		SETOPT(h, CURLOPT_POSTFIELDS, rq->post_data);
		SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->post_len);
	}
	if (rq->method && strcmp(rq->method, "DELETE") == 0)
		SETOPT(h, CURLOPT_CUSTOMREQUEST, "DELETE");
	if (setopt_failed) {
		snprintf(errbuf, CURL_ERROR_SIZE, "libcurl lacks a needed option");
		curl_easy_cleanup(h);
		curl_mime_free(mime);
		return CURLE_NOT_BUILT_IN;
	}
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rq->status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &rq->content_length);
	curl_easy_cleanup(h);
	curl_mime_free(mime);
	return cc;
}

/* Failures that another attempt may cure: the network, the server's load, a restart. */
static int curl_code_transient(CURLcode cc, enum upload_scheme scheme)
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
	case CURLE_SSH:
	case CURLE_UPLOAD_FAILED:
		/* libssh2 reports a dropped connection mid-transfer this way. */
		return scheme == UPLOAD_SFTP;
	default:
		return 0;
	}
}

static int http_status_transient(long status)
{
	return status >= 500 || status == 408 || status == 429;
}

/* The text between <tag> and </tag> in an S3 XML answer, into out. */
static int xml_value(const char *xml, const char *tag, char *out, size_t outlen)
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
	char code[128] = "", msg[256] = "";

	if (cc == CURLE_OK && rq->status >= 300) {
		if (up->scheme == UPLOAD_S3) {
			xml_value(rq->response.buf, "Code", code, sizeof(code));
			xml_value(rq->response.buf, "Message", msg, sizeof(msg));
		}
		if (rq->status == 401)
			snprintf(out, outlen,
			         "authentication failed (HTTP 401): check the credentials");
		else if (rq->status == 403 && strcmp(code, "SignatureDoesNotMatch") == 0)
			snprintf(out, outlen,
			         "the server rejected the request signature (HTTP 403 "
			         "SignatureDoesNotMatch): check the secret access key and region");
		else if (rq->status == 403 && strcmp(code, "InvalidAccessKeyId") == 0)
			snprintf(out, outlen,
			         "the server does not know the access key (HTTP 403 "
			         "InvalidAccessKeyId): check AWS_ACCESS_KEY_ID");
		else if (rq->status == 403)
			snprintf(out, outlen, "permission denied (HTTP 403%s%s)", *code ? " " : "",
			         code);
		else if (rq->status == 404)
			snprintf(out, outlen, "not found (HTTP 404%s%s): does the %s exist?",
			         *code ? " " : "", code,
			         up->scheme == UPLOAD_S3 ? "bucket" : "directory");
		else if (*code)
			snprintf(out, outlen, "HTTP %ld %s%s%s", rq->status, code, *msg ? ": " : "",
			         msg);
		else
			snprintf(out, outlen, "HTTP %ld", rq->status);
		return;
	}
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		if (up->scheme != UPLOAD_SFTP) {
			snprintf(out, outlen,
			         "the server's certificate is not trusted (%s); give its CA with "
			         "--cacert FILE",
			         detail);
		} else if (rq->host_key_status == CURLKHMATCH_MISMATCH) {
			snprintf(out, outlen,
			         "the host key DOES NOT MATCH the one in %s (offered SHA256:%s); "
			         "refusing to connect",
			         up->known_hosts, rq->host_key_fpr);
		} else if (rq->host_key_status == CURLKHMATCH_MISSING) {
			snprintf(out, outlen,
			         "the host key is not in %s (offered SHA256:%s); check it out of "
			         "band "
			         "and add it, or give --host-key-sha256",
			         up->known_hosts, rq->host_key_fpr);
		} else {
			snprintf(out, outlen, "the host key was refused (%s)", detail);
		}
		return;
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		snprintf(out, outlen, "the server's public key does not match --pin-pubkey (%s)",
		         detail);
		return;
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(out, outlen, "cannot load the CA file (%s)", detail);
		return;
	case CURLE_LOGIN_DENIED: {
		char *pub = xasprintf("%s.pub", up->identity);
		char *text = NULL;
		size_t len;
		int rsa = 0;

		if (read_small_file(pub, 16384, &text, &len) == 0)
			rsa = str_has_prefix(text, "ssh-rsa");
		free(text);
		free(pub);
		snprintf(out, outlen, "the server refused the key %s for user %s (%s)%s",
		         up->identity, up->sftp_user, detail,
		         rsa ? "; this libssh2 cannot sign with RSA SHA-2, which current servers "
		               "require: use an ed25519 key"
		             : "");
		return;
	}
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

/* Run a request until it succeeds, fails for good, or the retries are used up. */
static int request_run(struct upload *up, struct request *rq, struct error *err)
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
		if (cc != CURLE_OK && rq->status >= 400 && up->scheme != UPLOAD_SFTP)
			cc = CURLE_OK;
		describe_failure(up, rq, cc, errbuf, reason, sizeof(reason));
		transient = cc == CURLE_OK ? http_status_transient(rq->status)
		                           : curl_code_transient(cc, up->scheme);
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
		/* SFTP: keep what reached the server and send only the rest. */
		if (up->scheme == UPLOAD_SFTP && rq->body)
			rq->resume = 1;
	}
}

static void request_release(struct request *rq)
{
	free(rq->url);
	curl_slist_free_all(rq->headers);
	curl_slist_free_all(rq->quote);
	curl_slist_free_all(rq->postquote);
	strbuf_release(&rq->response);
	memset(rq, 0, sizeof(*rq));
}

/* The URL of a name under the target. */
static char *object_url(struct upload *up, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	if (up->exact || up->form)
		return xstrdup(up->base);
	strbuf_addstr(&sb, up->base);
	strbuf_addch(&sb, '/');
	if (up->scheme == UPLOAD_S3)
		url_encode(&sb, up->s3_prefix, 1);
	url_encode(&sb, name, 0);
	return strbuf_detach(&sb);
}

static char *sftp_quote_path(struct upload *up, const char *name)
{
	return xasprintf("\"%s%s\"", up->sftp_dir, name);
}

/* Ask the remote side how big name is. */
static int remote_size(struct upload *up, const char *name, curl_off_t *size, struct error *err)
{
	struct request rq = {0};
	int ret = -1;

	rq.what = name;
	rq.method = "HEAD";
	rq.nobody = 1;
	rq.url = object_url(up, name);
	if (up->scheme == UPLOAD_S3)
		rq.headers =
		        curl_slist_append(rq.headers, "x-amz-content-sha256: "
		                                      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4"
		                                      "649b934ca495991b7852b855");
	if (up->scheme == UPLOAD_S3 && up->aws_session_token) {
		char *h = xasprintf("x-amz-security-token: %s", up->aws_session_token);

		rq.headers = curl_slist_append(rq.headers, h);
		strfree(h);
	}
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
		EVP_DigestUpdate(md5, buf, (size_t)n);
		EVP_DigestUpdate(sha, buf, (size_t)n);
		done += (uint64_t)n;
	}
	EVP_DigestFinal_ex(md5, out, &outlen);
	for (unsigned int i = 0; i < outlen; i++)
		snprintf(md5_hex + 2 * i, 3, "%02x", out[i]);
	EVP_DigestFinal_ex(sha, out, &outlen);
	for (unsigned int i = 0; i < outlen; i++)
		snprintf(sha_hex + 2 * i, 3, "%02x", out[i]);
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

static void s3_add_headers(struct upload *up, struct request *rq, const char *sha_hex)
{
	char *h = xasprintf("x-amz-content-sha256: %s", sha_hex);

	rq->headers = curl_slist_append(rq->headers, h);
	free(h);
	if (up->aws_session_token) {
		h = xasprintf("x-amz-security-token: %s", up->aws_session_token);
		rq->headers = curl_slist_append(rq->headers, h);
		strfree(h);
	}
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
	rq.url = object_url(up, tmpname);
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

/* One PUT (HTTPS, S3) or SFTP upload of a body as name, without the size check. */
static int send_single(struct upload *up, struct body *body, const char *name, const char *sha_hex,
                       const char *md5_hex, struct upload_result *res, struct error *err)
{
	struct request rq = {0};
	char *tmpname = NULL, *from = NULL, *to = NULL, *cmd = NULL;
	int ret = -1;

	rq.what = name;
	rq.method = "PUT";
	rq.body = body;
	if (up->scheme == UPLOAD_SFTP && strpbrk(name, "\"\r\n")) {
		error_set(err, "%s: a name with '\"' or a line end cannot be sent over SFTP", name);
		goto out;
	}
	if (up->scheme == UPLOAD_SFTP) {
		/*
		 * Write under a temporary name and rename when complete, so that a file under
		 * the final name is always whole; a retry appends to what arrived.
		 */
		tmpname = xasprintf("%s.part", name);
		rq.url = object_url(up, tmpname);
		from = sftp_quote_path(up, tmpname);
		to = sftp_quote_path(up, name);
		/*
		 * SFTP's rename does not replace: remove an older copy first ('*': that may
		 * fail, when there is none).
		 */
		cmd = xasprintf("*rm %s", to);
		rq.postquote = curl_slist_append(NULL, cmd);
		free(cmd);
		cmd = xasprintf("rename %s %s", from, to);
		rq.postquote = curl_slist_append(rq.postquote, cmd);
		/* What an earlier run left is kept only when it is byte for byte ours. */
		if (sftp_verified_prefix(up, body, name, tmpname, &res->resumed_from, err) != 0)
			goto out;
		rq.resume = res->resumed_from > 0;
	} else {
		rq.url = object_url(up, name);
		if (up->scheme == UPLOAD_S3)
			s3_add_headers(up, &rq, sha_hex);
		if (up->form) {
			rq.method = "POST";
			rq.form_name = name;
		}
	}
	if (request_run(up, &rq, err) != 0)
		goto out;
	res->attempts = rq.attempts;
	if (up->scheme == UPLOAD_S3 && md5_hex) {
		if (!etag_matches(rq.etag, md5_hex)) {
			error_set(err,
			          "%s: the server's ETag %s does not match the MD5 of what was "
			          "sent",
			          name, rq.etag);
			goto out;
		}
		res->hash_checked = 1;
	}
	ret = 0;
out:
	free(tmpname);
	free(from);
	free(to);
	free(cmd);
	request_release(&rq);
	return ret;
}

/* S3 multipart: create, send each part with its own retries, complete; abort on failure. */
static int send_multipart(struct upload *up, struct body *body, const char *name,
                          struct upload_result *res, struct error *err)
{
	uint64_t part_size = up->opt.part_size ? up->opt.part_size : DEFAULT_PART_SIZE;
	uint64_t nparts;
	struct request rq = {0};
	struct strbuf xml = STRBUF_INIT, sb = STRBUF_INIT;
	char upload_id[512] = "", sha_hex[SHA256_HEX_LEN + 1], md5_hex[33];
	char *object = object_url(up, name), *enc_id = NULL, *part_what = NULL;
	int ret = -1, created = 0;

	while ((body->length + part_size - 1) / part_size > S3_MAX_PARTS)
		part_size *= 2;
	nparts = (body->length + part_size - 1) / part_size;

	rq.what = name;
	rq.method = "POST";
	rq.url = xasprintf("%s?uploads=", object);
	rq.post_data = "";
	rq.post_len = 0;
	sha256_hex("", 0, sha_hex, NULL);
	s3_add_headers(up, &rq, sha_hex);
	if (request_run(up, &rq, err) != 0) {
		error_prefix(err, "starting a multipart upload");
		goto out;
	}
	if (xml_value(rq.response.buf, "UploadId", upload_id, sizeof(upload_id)) != 0 ||
	    !*upload_id) {
		error_set(err, "%s: the server's answer to a multipart upload has no UploadId",
		          name);
		goto out;
	}
	created = 1;
	url_encode(&sb, upload_id, 0);
	enc_id = strbuf_detach(&sb);
	request_release(&rq);

	strbuf_addstr(&xml, "<CompleteMultipartUpload>");
	for (uint64_t i = 0; i < nparts; i++) {
		struct body part = *body;
		uint64_t off = i * part_size;

		part.offset = body->offset + off;
		part.length = body->length - off < part_size ? body->length - off : part_size;
		if (hash_region(part.fd, part.offset, part.length, md5_hex, sha_hex, err) != 0) {
			error_prefix(err, "%s", name);
			goto out;
		}
		free(part_what);
		part_what = xasprintf("%s (part %llu of %llu)", name, (unsigned long long)(i + 1),
		                      (unsigned long long)nparts);
		rq.what = part_what;
		rq.method = "PUT";
		rq.body = &part;
		/* SigV4 wants the query sorted by name: partNumber before uploadId. */
		rq.url = xasprintf("%s?partNumber=%llu&uploadId=%s", object,
		                   (unsigned long long)(i + 1), enc_id);
		s3_add_headers(up, &rq, sha_hex);
		if (request_run(up, &rq, err) != 0)
			goto out;
		if (!etag_matches(rq.etag, md5_hex)) {
			error_set(err,
			          "%s: part %llu: the server's ETag %s does not match the MD5 "
			          "of what was sent",
			          name, (unsigned long long)(i + 1), rq.etag);
			goto out;
		}
		if ((int)rq.attempts > res->attempts)
			res->attempts = rq.attempts;
		strbuf_addf(&xml, "<Part><PartNumber>%llu</PartNumber><ETag>\"%s\"</ETag></Part>",
		            (unsigned long long)(i + 1), md5_hex);
		request_release(&rq);
	}
	strbuf_addstr(&xml, "</CompleteMultipartUpload>");

	rq.what = name;
	rq.method = "POST";
	rq.url = xasprintf("%s?uploadId=%s", object, enc_id);
	rq.post_data = xml.buf;
	rq.post_len = xml.len;
	sha256_hex(xml.buf, xml.len, sha_hex, NULL);
	s3_add_headers(up, &rq, sha_hex);
	rq.headers = curl_slist_append(rq.headers, "Content-Type: application/xml");
	if (request_run(up, &rq, err) != 0) {
		error_prefix(err, "completing the multipart upload");
		goto out;
	}
	/* S3 may answer 200 with an error document when completion fails late. */
	if (rq.response.buf && strstr(rq.response.buf, "<Error>")) {
		char code[128] = "";

		xml_value(rq.response.buf, "Code", code, sizeof(code));
		error_set(err, "%s: completing the multipart upload failed: %s", name, code);
		goto out;
	}
	res->parts = (int)nparts;
	res->hash_checked = 1;
	created = 0;
	ret = 0;
out:
	request_release(&rq);
	if (created) {
		/* Free the parts on the server; a failure here changes nothing for the caller. */
		struct error ignored;

		rq.what = name;
		rq.method = "DELETE";
		rq.cleanup = 1;
		rq.url = xasprintf("%s?uploadId=%s", object, enc_id);
		sha256_hex("", 0, sha_hex, NULL);
		s3_add_headers(up, &rq, sha_hex);
		request_run(up, &rq, &ignored);
		request_release(&rq);
	}
	strbuf_release(&xml);
	free(part_what);
	free(enc_id);
	free(object);
	return ret;
}

/* Send a body, then check that the remote side holds exactly its size. */
static int send_body(struct upload *up, struct body *body, const char *name, const char *sha_hex,
                     struct upload_result *res, struct error *err)
{
	uint64_t part_size = up->opt.part_size ? up->opt.part_size : DEFAULT_PART_SIZE;
	char md5_hex[33], sha_check[SHA256_HEX_LEN + 1];
	curl_off_t size = -1;

	memset(res, 0, sizeof(*res));
	if (up->scheme == UPLOAD_S3 && body->length > part_size) {
		if (send_multipart(up, body, name, res, err) != 0)
			return -1;
	} else {
		const char *md5 = NULL;

		if (up->scheme == UPLOAD_S3) {
			if (body->mem) {
				unsigned char d[16];
				unsigned int dl = 0;

				EVP_Digest(body->mem, body->length, d, &dl, EVP_md5(), NULL);
				for (unsigned int i = 0; i < dl; i++)
					snprintf(md5_hex + 2 * i, 3, "%02x", d[i]);
			} else if (hash_region(body->fd, body->offset, body->length, md5_hex,
			                       sha_check, err) != 0) {
				error_prefix(err, "%s", name);
				return -1;
			} else if (sha_hex && strcmp(sha_check, sha_hex) != 0) {
				error_set(err, "%s: changed since its hash was taken", name);
				return -1;
			}
			md5 = md5_hex;
		}
		if (send_single(up, body, name, sha_hex, md5, res, err) != 0)
			return -1;
	}
	if (up->exact || up->form) {
		/*
		 * A pre-signed URL allows only the PUT it was made for, and a form has no URL of
		 * its own to ask: the success answer to the whole body is all there is.
		 */
		res->bytes = body->length;
	} else {
		if (remote_size(up, name, &size, err) != 0)
			return -1;
		if (size < 0) {
			error_set(err,
			          "%s: the server does not report its size, so a complete "
			          "upload cannot be confirmed",
			          name);
			return -1;
		}
		if ((uint64_t)size != body->length) {
			error_set(err, "%s: the server holds %lld bytes, not %llu: not complete",
			          name, (long long)size, (unsigned long long)body->length);
			return -1;
		}
		res->bytes = (uint64_t)size;
	}
	res->remote = up->exact || up->form ? xstrdup(up->display) : object_url(up, name);
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
	unsigned char rnd[8];
	char name[64], sha_hex[SHA256_HEX_LEN + 1];
	static const char probe[] = "logpack write test; safe to delete\n";
	struct request rq = {0};
	struct upload_result res = {0};
	struct body body = {0};
	int ret = -1;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		error_set_openssl(err, "random probe name");
		return -1;
	}
	snprintf(name, sizeof(name), ".logpack-probe-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0],
	         rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	if (up->exact) {
		/*
		 * A pre-signed URL names one object: writing a probe there would take its place.
		 * Check the connection and TLS only; any HTTP answer shows the server is there.
		 */
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
	body.fd = -1;
	body.mem = (const unsigned char *)probe;
	body.length = sizeof(probe) - 1;
	if (sha256_hex(probe, sizeof(probe) - 1, sha_hex, err) != 0)
		return -1;
	if (send_body(up, &body, name, sha_hex, &res, err) != 0) {
		error_prefix(err, "writing a probe file to %s", up->display);
		goto out;
	}
	if (up->form) {
		/* A form drop offers no way to remove a file: the probe stays. */
		ret = 0;
		goto out;
	}
	/* Remove the probe again. */
	rq.what = name;
	if (up->scheme == UPLOAD_SFTP) {
		char *path = sftp_quote_path(up, name), *cmd = xasprintf("rm %s", path);

		rq.method = "QUOTE";
		rq.nobody = 1;
		rq.url = xasprintf("%s/", up->base);
		rq.quote = curl_slist_append(NULL, cmd);
		free(path);
		free(cmd);
	} else {
		rq.method = "DELETE";
		rq.url = object_url(up, name);
		if (up->scheme == UPLOAD_S3)
			s3_add_headers(up, &rq,
			               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495"
			               "991b7852b855");
	}
	if (request_run(up, &rq, err) != 0) {
		error_prefix(err, "the probe %s was written but could not be removed", name);
		goto out;
	}
	ret = 0;
out:
	upload_result_release(&res);
	request_release(&rq);
	return ret;
}
