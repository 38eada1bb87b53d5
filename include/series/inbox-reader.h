/*
 * receive's bundle reader, run apart from the process that holds the keys: a fresh copy of
 * logpack (exec'd, so no key is in its memory) that gets the bundle's bytes, already
 * decrypted, through a socket and answers with the verdict as JSON. The reader confines
 * itself (cmd-receive.c, with base/sandbox.c) before it reads a byte; this side starts it,
 * feeds it, bounds it in time and kills it when the time is up.
 *
 * The decryption is one step (reader_decrypt_*): age now; other wrappings go there too.
 */
#ifndef LOGPACK_INBOX_READER_H
#define LOGPACK_INBOX_READER_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "base/util.h"
#include "bundle/source.h"
#include "trust/age.h"
#include "trust/cms-envelope.h"
#include "trust/openpgp.h"

/* The environment variable that, when set to 1, makes the reader stop itself (SIGSTOP) once
 * confined and before reading: tests look at its descriptors and credentials then. */
#define READER_TEST_STOP_ENV "LOGPACK_TEST_READER_STOP"

struct reader_options {
	const char *exe;        /* the logpack binary to run ("/proc/self/exe") */
	const char *trust_path; /* NULL: no trust anchors */
	const char *require;    /* "trusted", "signed" or "valid" */
	struct bundle_limits limits;
	int drop_user; /* run the reader as uid/gid */
	uid_t uid;
	gid_t gid;
	uint64_t max_memory;  /* the reader's address space, bytes */
	uint64_t cpu_seconds; /* the reader's CPU time */
	int64_t timeout;      /* wall-clock seconds before it is killed */
};

/* The receiver's keys, for the decryption step. */
struct reader_keys {
	const struct age_identity *age;   /* NULL: age bundles cannot be decrypted */
	const struct openpgp_secret *pgp; /* NULL: OpenPGP bundles (.gpg) cannot be decrypted */
	const struct cms_identity *cms;   /* NULL: X.509 pairs (.enc + .p7m) cannot be decrypted */
};

/* An X.509 pair's header (X.p7m) is at most this large: recipients and a tag, no content. */
#define READER_CMS_HEADER_MAX (1024 * 1024)

struct reader_result {
	char raw_sha256[65]; /* of the bundle file as received (always, when 0 is returned) */
	uint64_t raw_bytes;
	/* Why no verdict could be had: the file cannot be decrypted, the reader ran out of time
	 * or died. NULL when the reader gave a verdict. */
	char *failure;
	json_t *verdict;  /* the reader's verdict_json, when failure is NULL */
	char *line;       /* its verdict_line */
	int outcome;      /* enum bundle_outcome */
	pid_t reader_pid; /* for messages */
};

/*
 * Is name (a file in the inbox) a bundle, and is it wrapped? Returns the length of its
 * bundle suffix (".tar.zst", ".age", ...) and sets *encrypted, or 0 for other names.
 */
size_t reader_bundle_suffix(const char *name, int *encrypted);

/*
 * Read the bundle file open on fd (named name, for the decryption step and messages), decrypt
 * it when needed, and have a reader verify it. For an X.509 pair, fd is the content (X.enc)
 * and cms_header the bytes of X.p7m (NULL when it did not come). Returns 0 with res filled
 * (the caller frees it with reader_result_free): either a verdict, or res->failure saying why
 * there is none. -1 with err only when the bundle could not be read or the reader not started.
 */
int reader_verify(int fd, const char *name, const unsigned char *cms_header, size_t cms_header_len,
                  const struct reader_options *opt, const struct reader_keys *keys,
                  struct reader_result *res, struct error *err);
void reader_result_free(struct reader_result *res);

#endif
