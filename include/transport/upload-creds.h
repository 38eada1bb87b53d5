/*
 * Secrets for uploads: the environment, a --credentials file and the AWS shared credentials
 * file; files of secrets must not be readable by group or others, and copies are wiped.
 */
#ifndef LOGPACK_UPLOAD_CREDS_H
#define LOGPACK_UPLOAD_CREDS_H

#include <stddef.h>

#include "base/util.h"

struct upload_creds {
	char *user;
	char *password;
	char *token;
	char *passphrase;
};

struct aws_creds {
	char *key_id;
	char *userpwd; /* "KEY:SECRET" for CURLOPT_USERPWD */
	char *session_token;
};

/* Wipe and free a secret string; NULL is fine. */
void secret_free(char *s);
/* Refuse a file of secrets that group or others may read. Returns 0 or -1 with err. */
int secret_file_check(const char *path, struct error *err);
/* Replace *dst with a copy of the environment variable name when it is set and not empty. */
void creds_take_env(char **dst, const char *name);
/* "key=value" lines of --credentials: user, password, token, passphrase. */
int creds_load_file(struct upload_creds *c, const char *path, struct error *err);
void creds_release(struct upload_creds *c);
/* The environment first, then the AWS_PROFILE of the shared credentials file. */
int aws_creds_load(struct aws_creds *c, struct error *err);
void aws_creds_release(struct aws_creds *c);

/*
 * A trace line with the values of credential headers and every string in redact[] replaced
 * by "[redacted]"; the caller frees it.
 */
char *redact_trace_line(const char *prefix, const char *line, size_t len, int is_header,
                        char *const *redact, int n_redact);

#endif
