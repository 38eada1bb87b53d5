/* logpack upload: send bundles and their .sha256 sidecars to an HTTPS, SFTP or S3 drop. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "command.h"
#include "exitcode.h"
#include "hash.h"
#include "log.h"
#include "upload-cli.h"
#include "upload.h"

struct upload_cmd {
	struct upload_cli cli;
	int test;
	int json;
	int delete_after;
};

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

/* Hash the bundle and read (or make) its sidecar; a sidecar that disagrees stops the send. */
static int bundle_local_check(const char *path, const char *name, struct bundle_local *bl,
                              struct error *err)
{
	unsigned char buf[65536];
	struct sha256 h;
	struct stat st;
	ssize_t n;
	int fd;

	memset(bl, 0, sizeof(*bl));
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
	if (sha256_init(&h, err) != 0) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_set(err, "%s: %s", path, strerror(errno));
			sha256_discard(&h);
			close(fd);
			return -1;
		}
		sha256_update(&h, buf, (size_t)n);
	}
	close(fd);
	sha256_final_hex(&h, bl->sha256);

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

static int upload_one(struct upload *up, struct upload_cmd *uc, const char *path,
                      struct progress *prog, json_t *jarr)
{
	struct bundle_local bl;
	struct upload_result res = {0}, side = {0};
	struct error err = {{0}};
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	char *side_name = NULL;
	int ok = 0, deleted = 0;
	json_t *jb = json_object();

	json_object_set_new(jb, "bundle", json_string(path));
	if (bundle_local_check(path, name, &bl, &err) != 0)
		goto out;
	json_object_set_new(jb, "sha256", json_string(bl.sha256));
	log_verbose("%s: sha256 %s", path, bl.sha256);
	prog->total_bytes = 0;
	if (upload_file(up, path, name, bl.sha256, &res, &err) != 0) {
		progress_end(prog);
		goto out;
	}
	progress_end(prog);
	if (upload_get_scheme(up) == UPLOAD_HTTPS && upload_target(up) &&
	    strchr(upload_target(up), '?')) {
		log_warn("%s: a pre-signed URL names one object; the .sha256 sidecar was not sent",
		         name);
	} else {
		side_name = xasprintf("%s.sha256", name);
		if (upload_buffer(up, bl.sidecar, bl.sidecar_len, side_name, &side, &err) != 0)
			goto out;
	}
	ok = 1;
	json_object_set_new(jb, "remote", json_string(res.remote));
	json_object_set_new(jb, "bytes", json_integer((json_int_t)res.bytes));
	json_object_set_new(jb, "attempts", json_integer(res.attempts));
	json_object_set_new(jb, "parts", json_integer(res.parts));
	json_object_set_new(jb, "hash_checked", json_boolean(res.hash_checked));
	if (!uc->json)
		printf("%s -> %s (%llu bytes%s)\n", path, res.remote, (unsigned long long)res.bytes,
		       res.hash_checked ? ", hash checked by the server" : ", size checked");
	if (uc->delete_after) {
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
	json_object_set_new(jb, "ok", json_boolean(ok));
	json_object_set_new(jb, "deleted", json_boolean(deleted));
	if (!ok) {
		json_object_set_new(jb, "error", json_string(err.msg));
		log_error("%s: not uploaded: %s%s", path, err.msg,
		          access(path, F_OK) == 0 ? " (the local bundle is kept)" : "");
	}
	json_array_append_new(jarr, jb);
	free(side_name);
	upload_result_release(&res);
	upload_result_release(&side);
	bundle_local_release(&bl);
	return ok ? 0 : -1;
}

static int cmd_upload(int argc, char **argv)
{
	static const struct option options[] = {
	        UPLOAD_CLI_LONG_OPTIONS,
	        {"delete-after-upload", no_argument, NULL, 'D'},
	        {"help", no_argument, NULL, 'h'},
	        {"json", no_argument, NULL, 'j'},
	        {"test", no_argument, NULL, 'T'},
	        {"to", required_argument, NULL, UPLOAD_OPT_TO},
	        {"verbose", no_argument, NULL, 'v'},
	        {NULL, 0, NULL, 0},
	};
	struct upload_cmd uc = {0};
	struct upload_options uo;
	struct upload *up = NULL;
	struct progress prog = {0};
	struct error err = {{0}};
	json_t *jarr = NULL, *jroot = NULL;
	int c, ret = LP_EXIT_FAILURE, failed = 0, r;

	upload_cli_init(&uc.cli);
	while ((c = getopt_long(argc, argv, "hv", options, NULL)) != -1) {
		switch (c) {
		case 'D':
			uc.delete_after = 1;
			break;
		case 'h':
			command_print_help(&command_upload, stdout);
			return LP_EXIT_OK;
		case 'j':
			uc.json = 1;
			break;
		case 'T':
			uc.test = 1;
			break;
		case 'v':
			log_level = log_level < LOG_NORMAL ? LOG_VERBOSE : log_level + 1;
			break;
		default:
			r = upload_cli_option(&uc.cli, c, optarg, &err);
			if (r == 0)
				break;
			if (r > 0)
				return command_usage_error(&command_upload, "%s", err.msg);
			return command_usage_error(&command_upload, "unknown option");
		}
	}
	if (uc.cli.to == NULL)
		return command_usage_error(&command_upload, "--to URL is required");
	if (uc.test && optind < argc)
		return command_usage_error(&command_upload,
		                           "--test checks the target only; give no bundles");
	if (!uc.test && optind >= argc)
		return command_usage_error(&command_upload, "no bundles given");
	if (uc.test && uc.delete_after)
		return command_usage_error(&command_upload,
		                           "--delete-after-upload makes no sense with --test");

	upload_cli_options(&uc.cli, &uo);
	uo.hooks.ctx = &prog;
	uo.hooks.trace = on_trace;
	uo.hooks.retry = on_retry;
	uo.hooks.progress = on_progress;
	uo.trace = log_level >= LOG_VERBOSE;
	if (upload_open(&up, &uo, &err) != 0) {
		log_error("%s", err.msg);
		return LP_EXIT_FAILURE;
	}
	if (strchr(uc.cli.to, '?') && upload_get_scheme(up) == UPLOAD_HTTPS && argc - optind > 1) {
		upload_close(up);
		return command_usage_error(&command_upload,
		                           "a URL with a query (pre-signed) takes one bundle");
	}
	jroot = json_object();
	json_object_set_new(jroot, "target", json_string(upload_target(up)));
	if (uc.test) {
		r = upload_test(up, &err);
		json_object_set_new(jroot, "test", json_true());
		json_object_set_new(jroot, "ok", json_boolean(r == 0));
		if (r != 0) {
			json_object_set_new(jroot, "error", json_string(err.msg));
			log_error("pre-flight failed: %s", err.msg);
		} else if (!uc.json) {
			printf("%s: reachable, identity verified, writable\n", upload_target(up));
		}
		ret = r == 0 ? LP_EXIT_OK : LP_EXIT_FAILURE;
		goto out;
	}
	jarr = json_array();
	for (int i = optind; i < argc; i++)
		if (upload_one(up, &uc, argv[i], &prog, jarr) != 0)
			failed++;
	json_object_set_new(jroot, "ok", json_boolean(failed == 0));
	json_object_set_new(jroot, "bundles", jarr);
	ret = failed ? LP_EXIT_FAILURE : LP_EXIT_OK;
out:
	if (uc.json) {
		json_dumpf(jroot, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	}
	json_decref(jroot);
	upload_close(up);
	return ret;
}

const struct command command_upload = {
        .name = "upload",
        .usage = "upload --to URL [OPTIONS] BUNDLE... | upload --test --to URL [OPTIONS]",
        .summary = "send bundles to an HTTPS, SFTP or S3 drop, verifying the peer",
        .help = "Targets:\n"
                "  https://HOST[:PORT]/DIR       PUT to DIR/<bundle name> (WebDAV drops); a URL "
                "with\n"
                "                                a query (pre-signed) is used as it is, for one "
                "bundle\n"
                "  sftp://USER@HOST[:PORT]/DIR   key authentication; /~/DIR is under the home\n"
                "  s3://BUCKET[/PREFIX]          AWS SigV4; multipart above --part-size\n"
                "\n"
                "Each bundle's .sha256 sidecar goes along (made when missing; a sidecar that does\n"
                "not match the bundle stops its upload). A file counts as sent only when the "
                "server\n"
                "reports its full size; S3 also confirms the content hash.\n"
                "\n"
                "Options:\n"
                "      --to URL               where to send (required)\n"
                "      --test                 pre-flight: reach the target, verify it, write and\n"
                "                             remove a probe file; send nothing\n"
                "      --delete-after-upload  delete the local bundle and sidecar once the upload\n"
                "                             is verified\n"
                "      --json                 print the result as JSON on stdout\n"
                "  -v, --verbose              say more, with a protocol trace (credentials "
                "redacted)\n" UPLOAD_CLI_HELP "\n"
                "Credentials never go on the command line:\n"
                "  https  LOGPACK_UPLOAD_USER and LOGPACK_UPLOAD_PASSWORD (basic), or\n"
                "         LOGPACK_UPLOAD_TOKEN (bearer); or a --credentials file\n"
                "  sftp   the --identity key; its passphrase in LOGPACK_SSH_PASSPHRASE or the "
                "file\n"
                "  s3     AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN], or the\n"
                "         profile AWS_PROFILE (default 'default') of ~/.aws/credentials\n"
                "A --credentials file holds user=, password=, token= and passphrase= lines and "
                "must\n"
                "not be readable by group or others.\n"
                "\n"
                "Exit: 0 all sent and verified, 2 usage, 3 a bundle was not sent (it is kept).\n",
        .run = cmd_upload,
};
