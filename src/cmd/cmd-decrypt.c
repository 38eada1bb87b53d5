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
#include "trust/cms-envelope.h"
#include "trust/openpgp.h"
#include "trust/sign.h"

static int cmd_decrypt(int argc, char **argv);

const struct command command_decrypt = {
        .name = "decrypt",
        .usage = "decrypt --key KEY [--cert CERT] [--passphrase-file FILE] [-o DIR|FILE] FILE",
        .summary = "decrypt an encrypted bundle (age, OpenPGP, CMS) with the receiver's key",
        .help = "Options:\n"
                "  -k, --key KEY           for an age file: the identity file "
                "(AGE-SECRET-KEY-1...,\n"
                "                          as age-keygen writes it); for an OpenPGP file: the\n"
                "                          secret key, as gpg --export-secret-keys writes it\n"
                "                          (armored or binary); for a CMS pair (X.p7m and\n"
                "                          X.enc): the PEM private key. Mode 0600.\n"
                "      --cert CERT         the receiver's certificate, for a CMS pair\n"
                "                          (optional: without it every recipient is tried)\n"
                "      --passphrase-file FILE  the OpenPGP key's passphrase (first line; mode\n"
                "                          0600); else $LOGPACK_KEY_PASSPHRASE, else asked on\n"
                "                          the terminal\n"
                "  -o, --output DIR|FILE   where to write the bundle (default: beside FILE,\n"
                "                          without .age, .gpg, .enc or .p7m, with the\n"
                "                          suffix of its compression)\n"
                "  -h, --help              this text\n"
                "\n"
                "FILE may be - for standard input; its first bytes say whether it is age or\n"
                "OpenPGP. FILE X.p7m (or X.enc beside it) is a CMS header and its content.\n"
                "The bundle is written under a temporary name and takes its final name only\n"
                "after the cipher's last check (age's last chunk, OpenPGP's modification\n"
                "detection code, the CMS content's authentication tag): an altered or truncated\n"
                "file leaves nothing behind.\n"
                "\n"
                "Exit: 0 decrypted, 2 usage, 3 failed (I/O, unusable key), 4 the file was altered\n"
                "or truncated, or is not encrypted to the key, 130 interrupted.\n",
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
	if (str_has_suffix(stem, ".age") || str_has_suffix(stem, ".gpg") ||
	    str_has_suffix(stem, ".pgp") || str_has_suffix(stem, ".enc") ||
	    str_has_suffix(stem, ".p7m"))
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

/* One of the two decryptors, behind the same three calls. */
struct decryptor {
	struct age_decryptor *age;
	struct openpgp_decryptor *pgp;
};

static int decryptor_write(struct decryptor *d, const void *buf, size_t len, struct error *err)
{
	return d->age ? age_decryptor_write(d->age, buf, len, err)
	              : openpgp_decryptor_write(d->pgp, buf, len, err);
}

static int decryptor_finish(struct decryptor *d, struct error *err)
{
	return d->age ? age_decryptor_finish(d->age, err) : openpgp_decryptor_finish(d->pgp, err);
}

/*
 * Decrypt in (whose first bytes, already read, are in head) to run's output; 1 when the file
 * itself is at fault (altered, truncated, not to this key).
 */
static int decrypt_stream(int fd, const unsigned char *head, size_t head_len, struct decryptor *d,
                          struct decrypt_run *run, struct error *err)
{
	unsigned char *buf = xmalloc(65536);
	int ret = -1;

	if (head_len > 0 && decryptor_write(d, head, head_len, err) < 0) {
		ret = run->output_failed ? -1 : 1;
		goto out;
	}
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
		if (decryptor_write(d, buf, (size_t)n, err) < 0) {
			ret = run->output_failed ? -1 : 1;
			goto out;
		}
	}
	if (decryptor_finish(d, err) < 0) {
		ret = run->output_failed ? -1 : 1;
		goto out;
	}
	if (run->af == NULL && write_plain(run, "", 0, err) < 0)
		goto out;
	ret = 0;
out:
	free(buf);
	return ret;
}

/* "X.p7m" or "X.enc" (with X.p7m beside it): the CMS header's path, else NULL. */
static char *cms_header_of(const char *input)
{
	size_t len = strlen(input);
	char *p7m;

	if (str_has_suffix(input, ".p7m"))
		return xstrdup(input);
	if (!str_has_suffix(input, ".enc"))
		return NULL;
	p7m = xasprintf("%.*s.p7m", (int)(len - 4), input);
	if (access(p7m, F_OK) == 0)
		return p7m;
	free(p7m);
	return NULL;
}

/*
 * A CMS pair: the header read whole (bounded), the content streamed from X.enc; 1 when the
 * pair itself is at fault.
 */
static int decrypt_cms(const char *header_path, const struct cms_identity *id,
                       struct decrypt_run *run, struct error *err)
{
	char *header = NULL, *enc_path = NULL;
	size_t header_len = 0;
	int enc_fd = -1, fault = 0, ret = -1;

	if (read_small_file(header_path, CMS_SINGLE_FILE_MAX, &header, &header_len) < 0) {
		if (errno == EFBIG) {
			error_set(
			        err,
			        "%s: a CMS file larger than %d MiB: only the detached form (a .p7m "
			        "header and an .enc file) is read at any size",
			        header_path, CMS_SINGLE_FILE_MAX / (1024 * 1024));
			ret = 1;
		} else
			error_set(err, "%s: %s", header_path, strerror(errno));
		goto out;
	}
	enc_path = xasprintf("%.*s.enc", (int)(strlen(header_path) - 4), header_path);
	enc_fd = open(enc_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (enc_fd < 0 && errno != ENOENT) {
		error_set(err, "%s: %s", enc_path, strerror(errno));
		goto out;
	}
	if (cms_decrypt_detached((const unsigned char *)header, header_len, enc_fd, id, write_plain,
	                         run, &fault, err) < 0) {
		ret = fault && !run->output_failed ? 1 : -1;
		goto out;
	}
	if (run->af == NULL && write_plain(run, "", 0, err) < 0)
		goto out;
	ret = 0;
out:
	if (enc_fd >= 0)
		close(enc_fd);
	free(enc_path);
	free(header);
	return ret;
}

/* The OpenPGP key's passphrase, from --passphrase-file, the environment, or the terminal. */
static int ask_passphrase(void *ctx, const char *fingerprint, char **pass, size_t *len,
                          struct error *err)
{
	char prompt[120];

	snprintf(prompt, sizeof(prompt), "Passphrase for OpenPGP key %s: ", fingerprint);
	return sign_read_passphrase(ctx, 1, prompt, pass, len, err);
}

/* Up to len bytes from the start of fd (fewer only at the end of the input). */
static ssize_t read_head(int fd, unsigned char *buf, size_t len)
{
	size_t have = 0;

	while (have < len) {
		ssize_t n = read(fd, buf + have, len - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	return (ssize_t)have;
}

static int cmd_decrypt(int argc, char **argv)
{
	static const struct option options[] = {
	        {"cert", required_argument, NULL, 'C'},
	        {"help", no_argument, NULL, 'h'},
	        {"key", required_argument, NULL, 'k'},
	        {"output", required_argument, NULL, 'o'},
	        {"passphrase-file", required_argument, NULL, 'P'},
	        {NULL, 0, NULL, 0},
	};
	struct decrypt_run run = {0};
	struct age_identity *id = NULL;
	struct openpgp_secret *secret = NULL;
	struct cms_identity *cms_id = NULL;
	char *cms_header = NULL;
	struct decryptor dec = {0};
	struct error err = {{0}};
	const char *key = NULL, *passphrase_file = NULL, *cert = NULL;
	char hex[SHA256_HEX_LEN + 1];
	unsigned char head[64];
	ssize_t head_len;
	int c, fd = -1, rc, is_age;

	while ((c = command_getopt(argc, argv, "hk:o:", options)) != -1) {
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
		case 'P':
			passphrase_file = optarg;
			break;
		case 'C':
			cert = optarg;
			break;
		default:
			return command_option_error(&command_decrypt);
		}
	}
	if (optind + 1 != argc)
		return command_usage_error(&command_decrypt, "give one encrypted file");
	if (key == NULL)
		return command_usage_error(&command_decrypt, "--key KEY is needed");
	run.input = argv[optind];
	signals_install_file_cleanup();
	rc = LP_EXIT_FAILURE;
	if (sha256_init(&run.hash, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	if ((cms_header = cms_header_of(run.input)) != NULL) {
		if (cms_identity_load(key, cert, passphrase_file, &cms_id, &err) < 0) {
			log_error("%s", err.msg);
			goto out;
		}
		switch (decrypt_cms(cms_header, cms_id, &run, &err)) {
		case 0:
			goto done;
		case 1:
			log_error("%s: %s; nothing written", run.input, err.msg);
			rc = LP_EXIT_INVALID;
			goto out;
		default:
			log_error("%s: %s; nothing written", run.input, err.msg);
			goto out;
		}
	}
	if (strcmp(run.input, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(run.input, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		log_error("%s: %s", run.input, strerror(errno));
		goto out;
	}
	/* The format is in the first bytes: age's version line, else OpenPGP packets. */
	if ((head_len = read_head(fd, head, sizeof(head))) < 0) {
		log_error("%s: %s", run.input, strerror(errno));
		goto out;
	}
	is_age = (size_t)head_len >= strlen("age-encryption.org/v1") &&
	         memcmp(head, "age-encryption.org/v1", strlen("age-encryption.org/v1")) == 0;
	if (!is_age && !(head_len > 0 && (head[0] & 0x80)) &&
	    !(head_len > 5 && memcmp(head, "-----", 5) == 0)) {
		log_error("%s: not an age file (age-encryption.org/v1) nor an OpenPGP message; "
		          "nothing "
		          "written",
		          run.input);
		rc = LP_EXIT_INVALID;
		goto out;
	}
	if (is_age ? age_identity_load(key, &id, &err)
	           : openpgp_secret_load(key, ask_passphrase, (void *)passphrase_file, &secret,
	                                 &err)) {
		log_error("%s", err.msg);
		goto out;
	}
	if (is_age ? age_decryptor_new(&dec.age, id, write_plain, &run, &err)
	           : openpgp_decryptor_new(&dec.pgp, secret, write_plain, &run, &err)) {
		log_error("%s", err.msg);
		goto out;
	}
	switch (decrypt_stream(fd, head, (size_t)head_len, &dec, &run, &err)) {
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
done:
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
	if (dec.pgp)
		log_info("opened with the key %s", openpgp_decryptor_key(dec.pgp));
	rc = LP_EXIT_OK;
out:
	atomic_file_rollback(run.af);
	sha256_discard(&run.hash);
	if (fd > STDIN_FILENO)
		close(fd);
	free(run.output_path);
	age_decryptor_free(dec.age);
	openpgp_decryptor_free(dec.pgp);
	age_identity_free(id);
	openpgp_secret_free(secret);
	cms_identity_free(cms_id);
	free(cms_header);
	return rc;
}
