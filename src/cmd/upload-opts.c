/*
 * The command side of uploading: the options shared by the commands that upload, and the
 * session that checks a bundle locally, sends it, and reports progress, retries and results.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hash.h"
#include "bundle/bundle-encrypt.h"
#include "cmd/signals.h"
#include "cmd/upload-opts.h"

void upload_cli_init(struct upload_cli *cli)
{
	memset(cli, 0, sizeof(*cli));
	cli->retries = 4;
	cli->retry_delay = 1.0;
	cli->connect_timeout = 30;
}

static int parse_count(const char *arg, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

int upload_cli_option(struct upload_cli *cli, int c, const char *arg, struct error *err)
{
	long v;
	char *end;

	switch (c) {
	case UPLOAD_OPT_TO:
		cli->to = arg;
		return 0;
	case UPLOAD_OPT_CACERT:
		cli->cacert = arg;
		return 0;
	case UPLOAD_OPT_PIN_PUBKEY:
		if (strncmp(arg, "sha256//", 8) != 0) {
			error_set(err, "--pin-pubkey: expected sha256//BASE64");
			return 1;
		}
		cli->pin_pubkey = arg;
		return 0;
	case UPLOAD_OPT_KNOWN_HOSTS:
		cli->known_hosts = arg;
		return 0;
	case UPLOAD_OPT_HOST_KEY_SHA256:
		cli->host_key_sha256 = arg;
		return 0;
	case UPLOAD_OPT_IDENTITY:
		cli->identity = arg;
		return 0;
	case UPLOAD_OPT_CREDENTIALS:
		cli->credentials = arg;
		return 0;
	case UPLOAD_OPT_DELETE_AFTER:
		cli->delete_after = 1;
		return 0;
	case UPLOAD_OPT_METHOD:
		if (strcmp(arg, "put") != 0 && strcmp(arg, "post") != 0) {
			error_set(err, "--method: '%s' is not put or post", arg);
			return 1;
		}
		cli->post_form = strcmp(arg, "post") == 0;
		return 0;
	case UPLOAD_OPT_FORM_FIELD:
		if (*arg == '\0' || strpbrk(arg, "\"\r\n")) {
			error_set(err, "--form-field: '%s' is not a field name", arg);
			return 1;
		}
		cli->form_field = arg;
		return 0;
	case UPLOAD_OPT_S3_ENDPOINT:
		cli->s3_endpoint = arg;
		return 0;
	case UPLOAD_OPT_S3_REGION:
		cli->s3_region = arg;
		return 0;
	case UPLOAD_OPT_PART_SIZE:
		if (parse_size(arg, &cli->part_size) != 0 || cli->part_size < 1024) {
			error_set(err, "--part-size: '%s' is not a size of at least 1K", arg);
			return 1;
		}
		return 0;
	case UPLOAD_OPT_LIMIT_RATE:
		if (parse_size(arg, &cli->limit_rate) != 0 || cli->limit_rate == 0) {
			error_set(err, "--limit-rate: '%s' is not a size per second", arg);
			return 1;
		}
		return 0;
	case UPLOAD_OPT_RETRIES:
		if (parse_count(arg, 100, &v) != 0) {
			error_set(err, "--retries: '%s' is not a number from 0 to 100", arg);
			return 1;
		}
		cli->retries = (int)v;
		return 0;
	case UPLOAD_OPT_RETRY_DELAY:
		errno = 0;
		cli->retry_delay = strtod(arg, &end);
		if (errno || end == arg || *end || !(cli->retry_delay >= 0) ||
		    cli->retry_delay > 3600) {
			error_set(err, "--retry-delay: '%s' is not a number of seconds", arg);
			return 1;
		}
		return 0;
	case UPLOAD_OPT_CONNECT_TIMEOUT:
		if (parse_count(arg, 3600, &v) != 0 || v == 0) {
			error_set(err, "--connect-timeout: '%s' is not a number of seconds", arg);
			return 1;
		}
		cli->connect_timeout = v;
		return 0;
	default:
		return -1;
	}
}

void upload_cli_options(const struct upload_cli *cli, struct upload_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->url = cli->to;
	opt->cacert = cli->cacert;
	opt->pin_pubkey = cli->pin_pubkey;
	opt->known_hosts = cli->known_hosts;
	opt->host_key_sha256 = cli->host_key_sha256;
	opt->identity = cli->identity;
	opt->credentials_file = cli->credentials;
	opt->s3_endpoint = cli->s3_endpoint;
	opt->s3_region = cli->s3_region;
	opt->part_size = cli->part_size;
	opt->limit_rate = cli->limit_rate;
	opt->retries = cli->retries;
	opt->retry_delay = cli->retry_delay;
	opt->connect_timeout = cli->connect_timeout;
	opt->post_form = cli->post_form;
	opt->form_field = cli->form_field;
}

/* The local check before sending: the bundle's hash, and the sidecar that must agree. */
struct bundle_local {
	char sha256[SHA256_HEX_LEN + 1];
	char *sidecar_path;
	char *sidecar;
	size_t sidecar_len;
	int sidecar_exists;
};

static void bundle_local_release(struct bundle_local *bl)
{
	free(bl->sidecar_path);
	free(bl->sidecar);
	memset(bl, 0, sizeof(*bl));
}

/*
 * The bundle's hash (taken as known, or read from the file) and its sidecar, read or made; a
 * sidecar that disagrees stops the send.
 */
static int bundle_local_check(const char *path, const char *name, const char *known_sha256,
                              struct bundle_local *bl, struct error *err)
{
	memset(bl, 0, sizeof(*bl));
	/* A writer that could not give its hash gets the same check as a bundle given by hand. */
	if (known_sha256 && sha256_hex_valid(known_sha256))
		snprintf(bl->sha256, sizeof(bl->sha256), "%s", known_sha256);
	else if (sha256_file(path, NULL, bl->sha256, err) != 0)
		return -1;

	bl->sidecar_path = xasprintf("%s.sha256", path);
	if (read_small_file(bl->sidecar_path, 64 * 1024, &bl->sidecar, &bl->sidecar_len) == 0) {
		bl->sidecar_exists = 1;
		if (bl->sidecar_len < SHA256_HEX_LEN ||
		    strncasecmp(bl->sidecar, bl->sha256, SHA256_HEX_LEN) != 0) {
			error_set(err, "%s: does not match its sidecar %s; not sent", path,
			          bl->sidecar_path);
			return -1;
		}
	} else if (errno == ENOENT) {
		/* No sidecar: make the line sha256sum -c reads, so the drop can check. */
		bl->sidecar = xasprintf("%s  %s\n", bl->sha256, name);
		bl->sidecar_len = strlen(bl->sidecar);
	} else {
		error_set(err, "%s: %s", bl->sidecar_path, strerror(errno));
		return -1;
	}
	return 0;
}

static void on_trace(void *ctx, const char *line)
{
	fprintf(stderr, "%s\n", line);
}

static void on_retry(void *ctx, const char *what, int attempt, int max_attempts, double delay,
                     const char *reason)
{
	struct progress *p = ctx;

	progress_end(p);
	log_warn("%s: attempt %d of %d failed: %s; retrying in %.1fs", what, attempt, max_attempts,
	         reason, delay);
}

static void on_progress(void *ctx, const char *name, uint64_t sent, uint64_t total)
{
	struct progress *p = ctx;

	if (p->total_bytes != total)
		progress_start(p, name, 1, total, 1);
	progress_update(p, 0, sent);
}

int upload_session_send(struct upload_session *s, const char *path, const char *sha256,
                        json_t *results)
{
	struct upload *up = s->up;
	struct progress *prog = &s->prog;
	struct bundle_local bl;
	struct upload_result res = {0}, side = {0};
	struct error err = {{0}};
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	char *side_name = NULL;
	int ok = 0, deleted = 0, r;
	json_t *jb = json_object();

	signals_install_upload_stop();
	json_object_set_new(jb, "bundle", json_string(path));
	if (bundle_local_check(path, name, sha256, &bl, &err) != 0)
		goto out;
	json_object_set_new(jb, "sha256", json_string(bl.sha256));
	log_verbose("%s: sha256 %s", path, bl.sha256);
	prog->total_bytes = 0;
	if (upload_file(up, path, name, bl.sha256, &res, &err) != 0) {
		progress_end(prog);
		goto out;
	}
	progress_end(prog);
	if (upload_names_one_object(up)) {
		log_warn("%s: a pre-signed URL names one object; the .sha256 sidecar was not sent",
		         name);
	} else {
		side_name = xasprintf("%s.sha256", name);
		r = upload_buffer(up, bl.sidecar, bl.sidecar_len, side_name, &side, &err);
		progress_end(prog);
		if (r != 0)
			goto out;
	}
	ok = 1;
	json_object_set_new(jb, "remote", json_string(res.remote));
	json_object_set_new(jb, "bytes", json_integer((json_int_t)res.bytes));
	json_object_set_new(jb, "attempts", json_integer(res.attempts));
	json_object_set_new(jb, "parts", json_integer(res.parts));
	json_object_set_new(jb, "hash_checked", json_boolean(res.hash_checked));
	json_object_set_new(jb, "resumed_from", json_integer((json_int_t)res.resumed_from));
	if (res.resumed_from)
		log_info("%s: resumed after the %llu bytes an earlier run left (checked byte for "
		         "byte)",
		         name, (unsigned long long)res.resumed_from);
	if (s->print_results)
		printf("%s -> %s (%llu bytes%s)\n", path, res.remote, (unsigned long long)res.bytes,
		       res.hash_checked ? ", hash checked by the server" : ", size checked");
	else
		log_info("uploaded %s to %s (%llu bytes%s)", path, res.remote,
		         (unsigned long long)res.bytes,
		         res.hash_checked ? ", hash checked by the server" : ", size checked");
	if (s->cli->delete_after) {
		/* Only now: the remote side holds the full size of both files. */
		if (unlink(path) != 0) {
			log_warn("%s: uploaded, but cannot delete: %s", path, strerror(errno));
		} else {
			deleted = 1;
			if (bl.sidecar_exists && unlink(bl.sidecar_path) != 0)
				log_warn("%s: cannot delete: %s", bl.sidecar_path, strerror(errno));
			log_info("%s: deleted after the verified upload", path);
		}
	}
out:
	if (upload_interrupted())
		s->interrupted = 1;
	json_object_set_new(jb, "ok", json_boolean(ok));
	json_object_set_new(jb, "deleted", json_boolean(deleted));
	if (!ok) {
		json_object_set_new(jb, "error", json_string(err.msg));
		log_error("%s: not uploaded: %s%s", path, err.msg,
		          access(path, F_OK) == 0 ? " (the local bundle is kept)" : "");
	}
	if (results)
		json_array_append_new(results, jb);
	else
		json_decref(jb);
	free(side_name);
	upload_result_release(&res);
	upload_result_release(&side);
	bundle_local_release(&bl);
	return ok ? 0 : -1;
}

int upload_session_open(struct upload_session *s, const struct upload_cli *cli, int preflight)
{
	struct upload_options uo;
	struct error err = {{0}};

	s->cli = cli;
	s->up = NULL;
	memset(&s->prog, 0, sizeof(s->prog));
	upload_cli_options(cli, &uo);
	uo.hooks.ctx = &s->prog;
	uo.hooks.trace = on_trace;
	uo.hooks.retry = on_retry;
	uo.hooks.progress = on_progress;
	uo.trace = log_level >= LOG_VERBOSE;
	if (upload_open(&s->up, &uo, &err) != 0) {
		log_error("%s", err.msg);
		return -1;
	}
	if (preflight && upload_test(s->up, &err) != 0) {
		log_error("pre-flight failed: %s", err.msg);
		upload_close(s->up);
		s->up = NULL;
		return -1;
	}
	return 0;
}

int upload_session_send_written(struct upload_session *s, const struct recipients *r,
                                const char *path, const char *sha256, const char *label,
                                json_t *results)
{
	char **files = NULL, *sig = NULL;
	size_t n = 0;
	int rc;

	if ((rc = upload_session_send(s, path, sha256, results)) != 0)
		return rc;
	if (r && recipients_any(r))
		bundle_encrypted_files(r, path, &files, &n);
	/* files[0] is the bundle file itself, sent above. */
	for (size_t i = 0; i < n; i++)
		if (rc == 0 && strcmp(files[i], path) != 0 && !s->interrupted)
			rc = upload_session_send(s, files[i], NULL, results);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	if (rc == 0 && label && !s->interrupted) {
		sig = xasprintf("%s.p7s", label);
		rc = upload_session_send(s, label, NULL, results);
		if (rc == 0 && !s->interrupted)
			rc = upload_session_send(s, sig, NULL, results);
		free(sig);
	}
	return rc;
}

void upload_session_close(struct upload_session *s)
{
	upload_close(s->up);
	s->up = NULL;
}
