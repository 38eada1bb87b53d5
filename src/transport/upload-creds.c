/* Secrets for uploads: where they come from, who may read their files, and the redacted trace. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "transport/upload-creds.h"

void secret_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static void text_free(char *text, size_t len)
{
	if (text) {
		OPENSSL_cleanse(text, len);
		free(text);
	}
}

int secret_file_check(const char *path, struct error *err)
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

void creds_take_env(char **dst, const char *name)
{
	const char *v = getenv(name);

	if (v && *v) {
		secret_free(*dst);
		*dst = xstrdup(v);
	}
}

static void set_secret(char **dst, const char *value)
{
	secret_free(*dst);
	*dst = xstrdup(value);
}

/* Unknown keys are errors, so that a typo is seen rather than ignored. */
int creds_load_file(struct upload_creds *c, const char *path, struct error *err)
{
	char *text = NULL, *line, *next;
	size_t len = 0;
	int ret = -1, lineno = 0;

	if (secret_file_check(path, err) != 0)
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
			set_secret(&c->user, eq + 1);
		} else if (strcmp(line, "password") == 0) {
			set_secret(&c->password, eq + 1);
		} else if (strcmp(line, "token") == 0) {
			set_secret(&c->token, eq + 1);
		} else if (strcmp(line, "passphrase") == 0) {
			set_secret(&c->passphrase, eq + 1);
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
	text_free(text, len);
	return ret;
}

void creds_release(struct upload_creds *c)
{
	secret_free(c->user);
	secret_free(c->password);
	secret_free(c->token);
	secret_free(c->passphrase);
	memset(c, 0, sizeof(*c));
}

static char *aws_credentials_path(void)
{
	const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE");
	const char *home = getenv("HOME");

	if (file && *file)
		return xstrdup(file);
	if (home == NULL || *home == '\0')
		return NULL;
	return xasprintf("%s/.aws/credentials", home);
}

/* The key, secret and token of one [profile] of an AWS credentials file's text. */
static void aws_parse_profile(char *text, const char *profile, struct aws_creds *file_creds,
                              char **file_secret)
{
	char *line, *next;
	int in_profile = 0;

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
		if (strcmp(k, "aws_access_key_id") == 0)
			set_secret(&file_creds->key_id, v);
		else if (strcmp(k, "aws_secret_access_key") == 0)
			set_secret(file_secret, v);
		else if (strcmp(k, "aws_session_token") == 0)
			set_secret(&file_creds->session_token, v);
	}
}

int aws_creds_load(struct aws_creds *c, struct error *err)
{
	const char *key = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");
	const char *profile = getenv("AWS_PROFILE");
	struct aws_creds file_creds = {0};
	char *path = NULL, *text = NULL, *file_secret = NULL;
	size_t len = 0;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (key && *key && secret && *secret) {
		c->key_id = xstrdup(key);
		c->userpwd = xasprintf("%s:%s", key, secret);
		if (token && *token)
			c->session_token = xstrdup(token);
		return 0;
	}
	if (profile == NULL || *profile == '\0')
		profile = "default";
	path = aws_credentials_path();
	if (path == NULL || access(path, F_OK) != 0) {
		error_set(err,
		          "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
		          "or write them to ~/.aws/credentials");
		goto out;
	}
	if (secret_file_check(path, err) != 0)
		goto out;
	if (read_small_file(path, 1024 * 1024, &text, &len) != 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	aws_parse_profile(text, profile, &file_creds, &file_secret);
	if (file_creds.key_id == NULL || file_secret == NULL) {
		error_set(err, "%s: no aws_access_key_id and aws_secret_access_key in profile [%s]",
		          path, profile);
		goto out;
	}
	c->userpwd = xasprintf("%s:%s", file_creds.key_id, file_secret);
	c->key_id = file_creds.key_id;
	c->session_token = file_creds.session_token;
	memset(&file_creds, 0, sizeof(file_creds));
	ret = 0;
out:
	text_free(text, len);
	aws_creds_release(&file_creds);
	secret_free(file_secret);
	free(path);
	return ret;
}

void aws_creds_release(struct aws_creds *c)
{
	secret_free(c->key_id);
	secret_free(c->userpwd);
	secret_free(c->session_token);
	memset(c, 0, sizeof(*c));
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

char *redact_trace_line(const char *prefix, const char *line, size_t len, int is_header,
                        char *const *redact, int n_redact)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0;

	strbuf_addstr(&sb, prefix);
	if (is_header && header_is_secret(line, len)) {
		const char *colon = memchr(line, ':', len);

		strbuf_add(&sb, line, (size_t)(colon - line));
		strbuf_addstr(&sb, ": [redacted]");
		return strbuf_detach(&sb);
	}
	/* libcurl names the user it authenticates as; for S3 that is the access key ID. */
	while (i < len) {
		size_t hit = 0;

		for (int k = 0; k < n_redact && !hit; k++) {
			size_t n = strlen(redact[k]);

			if (n > 0 && n <= len - i && memcmp(line + i, redact[k], n) == 0)
				hit = n;
		}
		if (hit) {
			strbuf_addstr(&sb, "[redacted]");
			i += hit;
		} else {
			strbuf_addch(&sb, line[i++]);
		}
	}
	return strbuf_detach(&sb);
}
