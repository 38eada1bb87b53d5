/* The signed outer label of encrypted bundle files: writing it, and checking one. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/atomic-file.h"
#include "base/hash.h"
#include "base/printable.h"
#include "bundle/label.h"

#define LABEL_MAX_BYTES (64 * 1024)
#define LABEL_SIG_MAX_BYTES (256 * 1024)
#define LABEL_FORMAT 1

static const char *const encrypted_suffixes[] = {".gpg", ".age", ".enc", ".p7m"};

char *label_path_for(const char *main_path, const char *suffix)
{
	size_t stem = strlen(main_path);

	if (str_has_suffix(main_path, suffix))
		stem -= strlen(suffix);
	return xasprintf("%.*s%s", (int)stem, main_path, LABEL_SUFFIX);
}

int label_write(const char *label_path, char *const *files, size_t n_files,
                const struct label_options *opt, bag_sign_fn sign, void *sign_ctx,
                struct error *err)
{
	json_t *doc = json_object(), *list = json_array();
	char stamp[32], *text = NULL, *sig_path = xasprintf("%s.p7s", label_path);
	unsigned char *der = NULL;
	size_t der_len = 0;
	int rc = -1;

	json_object_set_new(doc, "logpack-label", json_integer(LABEL_FORMAT));
	json_object_set_new(doc, "created",
	                    json_string(format_iso8601((int64_t)time(NULL), stamp, sizeof(stamp))));
	for (size_t i = 0; i < n_files; i++) {
		char hex[SHA256_HEX_LEN + 1];
		uint64_t size;

		if (sha256_file(files[i], &size, hex, err) < 0)
			goto out;
		json_array_append_new(list,
		                      json_pack("{s:s,s:I,s:s}", "name", path_basename(files[i]),
		                                "bytes", (json_int_t)size, "sha256", hex));
	}
	json_object_set_new(doc, "files", list);
	list = NULL;
	if (opt->tlp)
		json_object_set_new(doc, "tlp", json_string(opt->tlp));
	if (opt->case_ref)
		json_object_set_new(doc, "case", json_string(opt->case_ref));
	if (opt->recipients) {
		json_t *to = json_array();

		for (size_t i = 0; i < opt->n_recipients; i++)
			json_array_append_new(to, json_string(opt->recipients[i]));
		json_object_set_new(doc, "encrypted-to", to);
	}
	text = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (text == NULL) {
		error_set(err, "%s: the label could not be formatted", label_path);
		goto out;
	}
	{
		size_t len = strlen(text);

		text = xrealloc(text, len + 2);
		memcpy(text + len, "\n", 2);
	}
	if (sign(sign_ctx, text, strlen(text), &der, &der_len, err) < 0) {
		error_prefix(err, "signing the label");
		goto out;
	}
	/* The signature first: a label is only ever seen with its signature beside it. */
	if (atomic_file_write(sig_path, der, der_len, 0644, 0, err) < 0)
		goto out;
	if (atomic_file_write(label_path, text, strlen(text), 0644, 0, err) < 0) {
		unlink(sig_path);
		goto out;
	}
	rc = 0;
out:
	json_decref(list);
	json_decref(doc);
	free(text);
	free(der);
	free(sig_path);
	return rc;
}

char *label_find(const char *path)
{
	if (str_has_suffix(path, LABEL_SUFFIX))
		return xstrdup(path);
	for (size_t i = 0; i < sizeof(encrypted_suffixes) / sizeof(encrypted_suffixes[0]); i++) {
		char *label;

		if (!str_has_suffix(path, encrypted_suffixes[i]))
			continue;
		label = label_path_for(path, encrypted_suffixes[i]);
		if (access(label, F_OK) == 0)
			return label;
		free(label);
	}
	return NULL;
}

static void problem(struct label_report *rep, const char *fmt, ...) LP_ATTR_PRINTF(2, 3);

static void problem(struct label_report *rep, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rep->problems = xreallocarray(rep->problems, rep->n_problems + 1, sizeof(*rep->problems));
	rep->problems[rep->n_problems++] = printable(buf);
}

/* A file name in a label: one plain name in the label's directory, nothing else. */
static int plain_name(const char *name)
{
	return *name && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0 && strlen(name) < 256;
}

static void check_files(const char *dir, json_t *files, struct label_report *rep)
{
	size_t i;
	json_t *f;

	if (!json_is_array(files) || json_array_size(files) == 0 ||
	    json_array_size(files) > LABEL_MAX_FILES) {
		problem(rep, "the label names no files, or more than %d", LABEL_MAX_FILES);
		return;
	}
	json_array_foreach(files, i, f)
	{
		const char *name = json_string_value(json_object_get(f, "name"));
		const char *want = json_string_value(json_object_get(f, "sha256"));
		json_t *bytes = json_object_get(f, "bytes");
		char hex[SHA256_HEX_LEN + 1], *path;
		struct error err = {{0}};
		uint64_t size;

		rep->n_files++;
		if (name == NULL || !plain_name(name) || want == NULL || !sha256_hex_valid(want) ||
		    !json_is_integer(bytes) || json_integer_value(bytes) < 0) {
			problem(rep, "file %zu of the label is malformed", i + 1);
			continue;
		}
		path = xasprintf("%s/%s", dir, name);
		if (sha256_file(path, &size, hex, &err) < 0)
			problem(rep, "%s", err.msg);
		else if (size != (uint64_t)json_integer_value(bytes))
			problem(rep, "%s: %llu bytes, the label says %lld: altered or truncated",
			        name, (unsigned long long)size,
			        (long long)json_integer_value(bytes));
		else if (strcmp(hex, want) != 0)
			problem(rep, "%s: SHA-256 %s, the label says %s: altered", name, hex, want);
		else
			rep->n_files_intact++;
		free(path);
	}
}

int label_check(const char *path, const struct trust_store *trust, struct label_report *rep,
                struct error *err)
{
	char *text = NULL, *sig = NULL, *sig_path = xasprintf("%s.p7s", path), *dir;
	size_t len = 0, sig_len = 0;
	json_error_t jerr;
	json_t *doc = NULL, *to;
	const char *s;
	int rc = -1;

	memset(rep, 0, sizeof(*rep));
	if (read_small_file(path, LABEL_MAX_BYTES, &text, &len) < 0) {
		error_set(err, "%s: %s", path, read_small_strerror(errno));
		goto out;
	}
	rc = 0;
	/* The signature first: nothing the label says counts before it is checked. */
	if (read_small_file(sig_path, LABEL_SIG_MAX_BYTES, &sig, &sig_len) < 0) {
		problem(rep, "%s: %s: the label is not signed", sig_path,
		        read_small_strerror(errno));
	} else if (sign_check_detached(sig, sig_len, text, len, trust, &rep->sig, err) < 0) {
		problem(rep, "%s: the signature could not be checked: %s", sig_path, err->msg);
	} else {
		rep->is_signed = 1;
		if (!rep->sig.signature_ok)
			problem(rep, "%s: the signature does not match the label: %s", sig_path,
			        rep->sig.failure ? rep->sig.failure : "no reason given");
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL || !json_is_object(doc) ||
	    json_integer_value(json_object_get(doc, "logpack-label")) != LABEL_FORMAT) {
		problem(rep, "%s is not a logpack label (format %d)", path, LABEL_FORMAT);
		goto out;
	}
	if ((s = json_string_value(json_object_get(doc, "tlp"))) != NULL)
		rep->tlp = printable(s);
	if ((s = json_string_value(json_object_get(doc, "case"))) != NULL)
		rep->case_ref = printable(s);
	to = json_object_get(doc, "encrypted-to");
	if (json_is_array(to)) {
		size_t i;
		json_t *v;

		json_array_foreach(to, i, v)
		{
			if (!json_is_string(v) || i >= 64)
				continue;
			rep->recipients = xreallocarray(rep->recipients, rep->n_recipients + 1,
			                                sizeof(*rep->recipients));
			rep->recipients[rep->n_recipients++] = printable(json_string_value(v));
		}
	}
	dir = path_dirname(path);
	check_files(dir, json_object_get(doc, "files"), rep);
	free(dir);
out:
	json_decref(doc);
	free(text);
	free(sig);
	free(sig_path);
	return rc;
}

void label_report_free(struct label_report *rep)
{
	sign_check_free(&rep->sig);
	free(rep->tlp);
	free(rep->case_ref);
	for (size_t i = 0; i < rep->n_recipients; i++)
		free(rep->recipients[i]);
	free(rep->recipients);
	for (size_t i = 0; i < rep->n_problems; i++)
		free(rep->problems[i]);
	free(rep->problems);
	memset(rep, 0, sizeof(*rep));
}
