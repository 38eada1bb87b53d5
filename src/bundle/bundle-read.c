/*
 * Reading a bundle: the source opened on a path, an fd or memory, and the verifier run over it.
 * Thin wrappers for the commands, which mostly want a verdict for a path.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hash.h"
#include "bundle/bundle-read.h"

/*
 * The expected SHA-256 of the whole bundle from "<bundle>.sha256" beside it, when there is
 * one: it catches what the tar format cannot, such as a cut in the trailing padding.
 * Returns 1 when found (hex filled), 0 when absent, -1 when present but malformed.
 */
int bundle_sidecar_read(const char *path, char hex[SHA256_HEX_LEN + 1])
{
	char *side = xasprintf("%s.sha256", path), text[SHA256_HEX_LEN + 1];
	size_t len = 0;
	struct stat st;
	int fd = -1, ret = 0;

	if (access(side, F_OK) != 0)
		goto out;
	ret = -1;
	/* It comes with the bundle: a FIFO there must not hang verify, nor a device be opened. */
	if (stat(side, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 64 * 1024)
		goto out;
	fd = open(side, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto out;
	while (len < sizeof(text)) {
		ssize_t n = read(fd, text + len, sizeof(text) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (len < SHA256_HEX_LEN + 1)
		goto out;
	memcpy(hex, text, SHA256_HEX_LEN);
	hex[SHA256_HEX_LEN] = '\0';
	if (!sha256_hex_valid(hex) || (text[SHA256_HEX_LEN] != ' ' && text[SHA256_HEX_LEN] != '\t'))
		goto out;
	for (int i = 0; i < SHA256_HEX_LEN; i++)
		if (hex[i] >= 'A' && hex[i] <= 'F')
			hex[i] = (char)(hex[i] - 'A' + 'a');
	ret = 1;
out:
	if (fd >= 0)
		close(fd);
	free(side);
	return ret;
}

/* Verify what src yields and close it; sidecar_of as for bundle_verify_source. */
static int verify_and_close(struct source *src, const char *sidecar_of,
                            const struct bundle_read_options *opt, struct bundle_report *rep,
                            struct error *err)
{
	int ret = -1;

	if (sidecar_of && source_hash_raw(src, err) < 0)
		goto out;
	ret = bundle_verify_source(src, sidecar_of, opt, rep, err);
out:
	source_close(src);
	return ret;
}

/* Add a problem found after the pass: the bundle becomes INVALID. */
static void add_problem(struct bundle_report *rep, char *text)
{
	rep->outcome = BUNDLE_INVALID;
	for (size_t i = 0; i < rep->n_problems; i++)
		if (strstr(rep->problems[i], text)) {
			free(text);
			return;
		}
	rep->n_problems_total++;
	if (rep->n_problems >= BUNDLE_MAX_PROBLEMS) {
		free(text);
		return;
	}
	rep->problems = xreallocarray(rep->problems, rep->n_problems + 1, sizeof(char *));
	rep->problems[rep->n_problems++] = text;
}

int bundle_report_decryption(struct bundle_report *rep, struct source_decryption *dec)
{
	struct error ferr;
	const char *key = source_decryption_key(dec);
	int named = 0;

	rep->cipher = source_decryption_cipher(dec) == SOURCE_PLAIN
	                      ? NULL
	                      : source_cipher_name(source_decryption_cipher(dec));
	rep->among_recipients = -1;
	rep->decrypted_with = key && rep->cipher ? xstrdup(key) : NULL;
	if (source_decryption_finish(dec, &ferr) < 0) {
		/* The reader may have met it already, as the end of its stream. */
		add_problem(rep, xstrdup(ferr.msg));
		return -1;
	}
	if (rep->cipher == NULL)
		return 0;
	for (size_t i = 0; i < rep->n_info; i++) {
		if (strcasecmp(rep->info[i].key, "LogPack-Encrypted-To") != 0)
			continue;
		named = 1;
		if (key && strcasecmp(rep->info[i].value, key) == 0)
			rep->among_recipients = 1;
	}
	if (named && key == NULL) {
		rep->warnings = xreallocarray(rep->warnings, rep->n_warnings + 1, sizeof(char *));
		rep->warnings[rep->n_warnings++] =
		        xstrdup("the key that opened it is not known without its certificate "
		                "(--cert): not checked against the recipients the signer named");
	}
	if (named && key && rep->among_recipients != 1) {
		rep->among_recipients = 0;
		rep->warnings = xreallocarray(rep->warnings, rep->n_warnings + 1, sizeof(char *));
		rep->warnings[rep->n_warnings++] =
		        xasprintf("decrypted with a key not among the recipients the signer named "
		                  "(%s; bag-info.txt names others in LogPack-Encrypted-To)",
		                  key);
	}
	return 0;
}

/* An encrypted bundle (or a stream, which may be one) read through opt->key. */
static int read_decrypting(const char *path, const struct bundle_read_options *opt,
                           struct bundle_report *rep, struct error *err)
{
	struct source_decryption *dec;
	struct source *src;
	int ret;

	if (source_open_decrypting(&src, &dec, path, opt->key, &opt->limits, err) < 0)
		return -1;
	ret = bundle_verify_source(src, NULL, opt, rep, err);
	source_close(src);
	if (ret == 0)
		bundle_report_decryption(rep, dec);
	source_decryption_free(dec);
	return ret;
}

int bundle_read_path(const char *path, const struct bundle_read_options *opt,
                     struct bundle_report *rep, struct error *err)
{
	enum source_cipher cipher = source_cipher_of(path);
	struct source *src;
	struct stat st;

	if (opt->key && (cipher != SOURCE_PLAIN || strcmp(path, "-") == 0 ||
	                 (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))))
		return read_decrypting(path, opt, rep, err);
	if (cipher != SOURCE_PLAIN) {
		char *to = source_encrypted_to(path, cipher);

		error_set(err, "%s: encrypted to %s; contents not verifiable (give --key KEY)",
		          path, to);
		free(to);
		return -1;
	}
	if (source_open_path(&src, path, &opt->limits, err) < 0)
		return -1;
	/* Only a regular file has a sidecar; a pipe's bytes come once. */
	return verify_and_close(
	        src,
	        !source_is_dir(src) && stat(path, &st) == 0 && S_ISREG(st.st_mode) ? path : NULL,
	        opt, rep, err);
}

int bundle_read_open_file(int fd, const char *path, const struct bundle_read_options *opt,
                          struct bundle_report *rep, struct error *err)
{
	struct source *src;

	if (source_open_fd(&src, fd, path, &opt->limits, err) < 0)
		return -1;
	return verify_and_close(src, path, opt, rep, err);
}

int bundle_read_fd(int fd, const char *label, const struct bundle_read_options *opt,
                   struct bundle_report *rep, struct error *err)
{
	struct source *src;

	if (source_open_fd(&src, fd, label, &opt->limits, err) < 0)
		return -1;
	return verify_and_close(src, NULL, opt, rep, err);
}

int bundle_read_memory(const void *buf, size_t len, const struct bundle_read_options *opt,
                       struct bundle_report *rep, struct error *err)
{
	struct source *src;

	if (source_open_memory(&src, buf, len, &opt->limits, err) < 0)
		return -1;
	return verify_and_close(src, NULL, opt, rep, err);
}

void bundle_report_free(struct bundle_report *rep)
{
	for (size_t i = 0; i < rep->n_problems; i++)
		free(rep->problems[i]);
	free(rep->problems);
	for (size_t i = 0; i < rep->n_warnings; i++)
		free(rep->warnings[i]);
	free(rep->warnings);
	for (size_t i = 0; i < rep->n_info; i++) {
		free(rep->info[i].key);
		free(rep->info[i].value);
	}
	free(rep->info);
	free(rep->top_dir);
	free(rep->tagmanifest_sha256);
	free(rep->raw_sha256);
	free(rep->decrypted_with);
	for (size_t i = 0; i < rep->n_uncovered; i++)
		free(rep->uncovered[i]);
	free(rep->uncovered);
	sign_check_free(&rep->sig);
	memset(rep, 0, sizeof(*rep));
}

const char *bundle_report_info(const struct bundle_report *rep, const char *key)
{
	return tag_fields_get(rep->info, rep->n_info, key);
}

int bundle_outcome_valid(enum bundle_outcome o)
{
	return o == BUNDLE_VALID_TRUSTED || o == BUNDLE_VALID_UNTRUSTED ||
	       o == BUNDLE_VALID_UNSIGNED;
}

int bundle_report_uncovered(const struct bundle_report *rep, const char *name)
{
	/* Past the first ones kept, any may be: say so of every one. */
	if (rep->n_uncovered_total > rep->n_uncovered)
		return 1;
	for (size_t i = 0; i < rep->n_uncovered; i++)
		if (strcmp(rep->uncovered[i], name) == 0)
			return 1;
	return 0;
}
