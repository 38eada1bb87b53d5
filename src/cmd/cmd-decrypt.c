/* logpack decrypt: an encrypted bundle back to the bundle, kept only once it authenticates. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic-file.h"
#include "base/exitcode.h"
#include "base/hash.h"
#include "base/log.h"
#include "cmd/command.h"
#include "cmd/signals.h"
#include "trust/age.h"

static int cmd_decrypt(int argc, char **argv);

const struct command command_decrypt = {
        .name = "decrypt",
        .usage = "decrypt --key KEY [-o DIR|FILE] FILE",
        .summary = "decrypt an encrypted bundle (age) with the receiver's key",
        .help = "Options:\n"
                "  -k, --key KEY           the age identity file (AGE-SECRET-KEY-1..., as\n"
                "                          age-keygen writes it; mode 0600)\n"
                "  -o, --output DIR|FILE   where to write the bundle (default: beside FILE,\n"
                "                          without .age, with the suffix of its compression)\n"
                "  -h, --help              this text\n"
                "\n"
                "FILE may be - for standard input. The bundle is written under a temporary name\n"
                "and takes its final name only after the last chunk authenticated: an altered or\n"
                "truncated file leaves nothing behind.\n"
                "\n"
                "Exit: 0 decrypted, 2 usage, 3 failed (I/O, wrong key), 4 the file was altered or\n"
                "truncated, 130 interrupted.\n",
        .run = cmd_decrypt,
};

struct decrypt_run {
	const char *input;  /* as given, for messages */
	const char *output; /* -o, or NULL */
	char *output_path;  /* chosen at the first plaintext byte */
	struct atomic_file *af;
	struct sha256 hash;
	uint64_t bytes;
	int output_failed; /* the failure was in writing, not in the file */
};

/* The suffix that the bundle's first bytes call for, when the name does not say. */
static const char *sniff_suffix(const unsigned char *p, size_t len)
{
	if (len >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return ".tar.zst";
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return ".tar.gz";
	if (len >= 6 && memcmp(p,
	                       "\xfd"
	                       "7zXZ\0",
	                       6) == 0)
		return ".tar.xz";
	return ".tar";
}

/* The output name: -o as a file, or in -o's directory (or FILE's), FILE's name less .age. */
static char *output_name(const struct decrypt_run *run, const unsigned char *p, size_t len)
{
	const char *in = strcmp(run->input, "-") == 0 ? "logpack-decrypted" : run->input;
	const char *base = path_basename(in);
	struct stat st;
	char *dir, *stem, *path;

	if (run->output && !(stat(run->output, &st) == 0 && S_ISDIR(st.st_mode)))
		return xstrdup(run->output);
	dir = run->output                    ? xstrdup(run->output)
	      : strcmp(run->input, "-") == 0 ? xstrdup(".")
	                                     : path_dirname(in);
	stem = xstrdup(base);
	if (str_has_suffix(stem, ".age"))
		stem[strlen(stem) - 4] = '\0';
	if (strstr(stem, ".tar") != NULL)
		path = xasprintf("%s/%s", dir, stem);
	else
		path = xasprintf("%s/%s%s", dir, stem, sniff_suffix(p, len));
	free(dir);
	free(stem);
	return path;
}

static int write_plain(void *ctx, const void *buf, size_t len, struct error *err)
{
	struct decrypt_run *run = ctx;

	if (run->af == NULL) {
		run->output_path = output_name(run, buf, len);
		if (atomic_file_open(&run->af, run->output_path, 0600, 0, err) < 0) {
			run->output_failed = 1;
			return -1;
		}
	}
	if (write_all(atomic_file_fd(run->af), buf, len) < 0) {
		error_set(err, "%s: %s", atomic_file_temp_path(run->af), strerror(errno));
		run->output_failed = 1;
		return -1;
	}
	sha256_update(&run->hash, buf, len);
	run->bytes += len;
	return 0;
}

/* Decrypt in to run's output; 1 when the file itself is at fault (altered, not age). */
static int decrypt_stream(int fd, const struct age_identity *id, struct decrypt_run *run,
                          struct error *err)
{
	struct age_decryptor *d = NULL;
	unsigned char *buf = xmalloc(65536);
	int ret = -1;

	if (age_decryptor_new(&d, id, write_plain, run, err) < 0)
		goto out;
	for (;;) {
		ssize_t n = read(fd, buf, 65536);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, "%s: %s", run->input, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (age_decryptor_write(d, buf, (size_t)n, err) < 0) {
			ret = run->output_failed ? -1 : 1;
			goto out;
		}
	}
	if (age_decryptor_finish(d, err) < 0) {
		ret = run->output_failed ? -1 : 1;
		goto out;
	}
	if (run->af == NULL && write_plain(run, "", 0, err) < 0)
		goto out;
	ret = 0;
out:
	age_decryptor_free(d);
	free(buf);
	return ret;
}

static int cmd_decrypt(int argc, char **argv)
{
	static const struct option options[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"key", required_argument, NULL, 'k'},
	        {"output", required_argument, NULL, 'o'},
	        {NULL, 0, NULL, 0},
	};
	struct decrypt_run run = {0};
	struct age_identity *id = NULL;
	struct error err = {{0}};
	const char *key = NULL;
	char hex[SHA256_HEX_LEN + 1];
	int c, fd = -1, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hk:o:", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			command_print_help(&command_decrypt, stdout);
			return LP_EXIT_OK;
		case 'k':
			key = optarg;
			break;
		case 'o':
			run.output = optarg;
			break;
		case ':':
			return command_usage_error(&command_decrypt, "option '%s' needs a value",
			                           argv[optind - 1]);
		default:
			return command_usage_error(&command_decrypt, "unknown option '%s'",
			                           argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return command_usage_error(&command_decrypt, "give one encrypted file");
	if (key == NULL)
		return command_usage_error(&command_decrypt, "--key KEY is needed");
	run.input = argv[optind];
	if (age_identity_load(key, &id, &err) < 0) {
		log_error("%s", err.msg);
		return LP_EXIT_FAILURE;
	}
	signals_install_file_cleanup();
	rc = LP_EXIT_FAILURE;
	if (strcmp(run.input, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(run.input, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		log_error("%s: %s", run.input, strerror(errno));
		goto out;
	}
	if (sha256_init(&run.hash, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	switch (decrypt_stream(fd, id, &run, &err)) {
	case 0:
		break;
	case 1:
		log_error("%s: %s; nothing written", run.input, err.msg);
		rc = LP_EXIT_INVALID;
		goto out;
	default:
		log_error("%s: %s; nothing written", run.input, err.msg);
		goto out;
	}
	sha256_final_hex(&run.hash, hex);
	if (atomic_file_commit(run.af, &err) < 0) {
		run.af = NULL;
		log_error("%s", err.msg);
		goto out;
	}
	run.af = NULL;
	printf("%s\n", run.output_path);
	log_info("decrypted %s: %llu bytes, sha256 %s", run.input, (unsigned long long)run.bytes,
	         hex);
	rc = LP_EXIT_OK;
out:
	atomic_file_rollback(run.af);
	sha256_discard(&run.hash);
	if (fd > STDIN_FILENO)
		close(fd);
	free(run.output_path);
	age_identity_free(id);
	return rc;
}
