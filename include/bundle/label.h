/*
 * The outer label of encrypted bundle files (docs/encryption.md, "The label"): a small JSON
 * file beside them, "<stem>.label.json", with a detached CMS signature "<stem>.label.json.p7s",
 * saying what the sender chose to disclose before anyone decrypts: each encrypted file's name,
 * size and SHA-256, and on request the TLP, a case reference and the recipients. Reading one
 * checks the signature and the files it names; the bundle inside stays unchecked.
 */
#ifndef LOGPACK_LABEL_H
#define LOGPACK_LABEL_H

#include <stddef.h>

#include "base/util.h"
#include "bundle/bag.h"
#include "trust/sign.h"

#define LABEL_SUFFIX ".label.json"
#define LABEL_MAX_FILES 16

struct label_options {
	const char *tlp;         /* "TLP:AMBER", or NULL */
	const char *case_ref;    /* or NULL */
	char *const *recipients; /* "openpgp:<fingerprint>", ...; NULL: not disclosed */
	size_t n_recipients;
};

/*
 * The label's path for the encrypted file main_path ("X.gpg" -> "X.label.json"; suffix is the
 * encrypted file's). Caller frees.
 */
char *label_path_for(const char *main_path, const char *suffix);

/*
 * Write the label for files (paths in one directory) at label_path, and its signature by sign
 * beside it, each atomically and mode 0644 (a label is for anyone who handles the files).
 * Returns 0, or -1 with err (then neither is left).
 */
int label_write(const char *label_path, char *const *files, size_t n_files,
                const struct label_options *opt, bag_sign_fn sign, void *sign_ctx,
                struct error *err);

/*
 * The label that path stands for: path itself when it ends in .label.json, the label beside
 * an encrypted file (.gpg, .age, .enc, .p7m) when there is one; else NULL. Caller frees.
 */
char *label_find(const char *path);

struct label_report {
	struct sign_check sig; /* valid when is_signed */
	int is_signed;         /* the .p7s is there and could be examined */
	char *tlp, *case_ref;  /* as the label says (NULL: not said); printable */
	char **recipients;     /* printable */
	size_t n_recipients;
	size_t n_files, n_files_intact;
	char **problems; /* each a line: what is wrong; none: the label and its files are intact */
	size_t n_problems;
};

/*
 * Check the label at path: its signature (trust may be NULL), its form, and the size and
 * SHA-256 of each file it names (read from the label's directory, as a stream). Problems go
 * into rep; -1 only when the label cannot be read at all (err says why).
 */
int label_check(const char *path, const struct trust_store *trust, struct label_report *rep,
                struct error *err);
void label_report_free(struct label_report *rep);

#endif
