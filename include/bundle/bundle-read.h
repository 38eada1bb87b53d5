/*
 * Reading and verifying a bundle (a tar of one BagIt bag, any compression libarchive knows) or a
 * bag directory, in one streaming pass: nothing is written to disk and no file's content is held
 * in memory, only one hash per file. Every failure found is named; a bundle is hostile until the
 * pass ends, so member names, types, counts, sizes and the compression ratio are all checked.
 * verify, show and extract share this reader.
 */
#ifndef LOGPACK_BUNDLE_READ_H
#define LOGPACK_BUNDLE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "bundle/names.h"
#include "bundle/source-decrypt.h"
#include "bundle/source.h"
#include "bundle/tagfile.h"
#include "trust/sign.h"

/*
 * Optional: see each regular-file member's bytes as they are verified. name is relative to the
 * bag's top directory ("logpack/host.json", "data/var/log/syslog"); only members with a safe
 * name are shown. Nothing seen here is verified until the pass has ended.
 */
struct bundle_visitor {
	void *ctx;
	void (*member_begin)(void *ctx, const char *name, uint64_t size);
	void (*member_data)(void *ctx, const void *buf, size_t len);
	/* sha256_hex: the member's SHA-256 as the reader computed it; NULL when it has none (the
	 * archive broke inside the member, or OpenSSL failed). */
	void (*member_end)(void *ctx, const char *sha256_hex);
	/* Optional: every member inside the bag (files and directories), before member_begin. */
	void (*member_found)(void *ctx, const char *name, const struct source_member *m);
	/* Optional: a member the source refused (m->name as stored in the bundle). */
	void (*member_refused)(void *ctx, const struct source_member *m);
};

struct bundle_read_options {
	struct bundle_limits limits;
	const struct trust_store *trust; /* NULL: a signed bundle is "NOT trusted" */
	const struct bundle_visitor *visitor;
	/* Optional: told after each chunk how far the pass has got (content bytes, members). */
	void (*progress)(void *ctx, uint64_t bytes_read, uint64_t members);
	void *progress_ctx;
	/*
	 * Optional: the receiver's key. bundle_read_path then reads an encrypted bundle (.gpg,
	 * .age, a CMS pair) through it as a stream, and reports the key in rep->decrypted_with.
	 */
	const struct decrypt_key *key;
};

enum bundle_outcome {
	BUNDLE_VALID_TRUSTED,
	BUNDLE_VALID_UNTRUSTED,
	BUNDLE_VALID_UNSIGNED,
	BUNDLE_INVALID,
	/* Nothing found wrong, but fetch.txt names files that are not there yet: never valid. */
	BUNDLE_INCOMPLETE,
	/*
	 * Nothing found wrong, but a stream (a pipe) held a manifest after the files it lists,
	 * and those files were gone before it came: they could not be checked. Never valid.
	 */
	BUNDLE_UNCHECKED,
};
#define BUNDLE_N_OUTCOMES 6

/* Is the outcome one of the valid ones (trusted, untrusted, unsigned)? */
int bundle_outcome_valid(enum bundle_outcome o);

#define BUNDLE_MAX_PROBLEMS 50

struct bundle_report {
	enum bundle_outcome outcome;
	char *top_dir;           /* the bag's directory name, NULL if none was found */
	char **problems;         /* why INVALID; printable text, the first BUNDLE_MAX_PROBLEMS */
	size_t n_problems;       /* how many are stored */
	size_t n_problems_total; /* how many were found */
	char **warnings;         /* doubts that do not make it INVALID; printable text */
	size_t n_warnings;
	int is_signed;         /* a tagmanifest-sha256.txt.p7s was present */
	struct sign_check sig; /* when is_signed */
	uint64_t members;
	uint64_t payload_files;
	uint64_t payload_bytes;
	uint64_t total_bytes;      /* of all members, uncompressed */
	struct bundle_field *info; /* bag-info.txt, in order */
	size_t n_info;
	char *tagmanifest_sha256; /* of tagmanifest-sha256.txt, when present */
	char *raw_sha256;         /* of the whole input, when the source hashed it (a file) */
	uint64_t files_to_fetch;  /* BUNDLE_INCOMPLETE: fetch.txt entries not present */
	uint64_t files_unchecked; /* BUNDLE_UNCHECKED: payload files not checked */
	/*
	 * Tag files of a signed bag that its tag manifest does not list, so that the signature
	 * does not cover them: what they say is never a fact (the first BUNDLE_MAX_PROBLEMS).
	 */
	char **uncovered;
	size_t n_uncovered, n_uncovered_total;
	/*
	 * An encrypted bundle read with opt->key: its cipher ("openpgp", "age", "cms"; NULL when
	 * it was not encrypted), the key that opened it as LogPack-Encrypted-To records
	 * recipients (NULL when that cannot be told), and whether bag-info.txt names that key:
	 * 1 yes, 0 no (a re-addressed bundle: a warning), -1 cannot tell (no such field, or an
	 * unknown key).
	 */
	const char *cipher;
	char *decrypted_with;
	int among_recipients;
};

/* Is this tag file (a name in the bag) outside what the signature covers? */
int bundle_report_uncovered(const struct bundle_report *rep, const char *name);

/*
 * The verifier: verify what src yields, to its end. When sidecar_of is set (the bundle's
 * path), src must hash its raw bytes (source_hash_raw), and "<sidecar_of>.sha256" is checked
 * when present. Returns 0 with the outcome in rep (which the caller frees with
 * bundle_report_free); -1 only when err must be reported instead (no randomness, no memory).
 */
int bundle_verify_source(struct source *src, const char *sidecar_of,
                         const struct bundle_read_options *opt, struct bundle_report *rep,
                         struct error *err);

/*
 * Verify a bundle file or a bag directory. Returns 0 with the outcome in rep (which the caller
 * frees with bundle_report_free), or -1 when path cannot be opened at all. An encrypted file
 * is read through opt->key; without one it is -1, err saying "encrypted to ...; contents not
 * verifiable". With opt->key, a wrong key is -1 too (the contents were never seen).
 */
int bundle_read_path(const char *path, const struct bundle_read_options *opt,
                     struct bundle_report *rep, struct error *err);
/*
 * The same for the bundle file path, already open on fd (read from its current offset): what
 * is verified is what fd holds, even if path is replaced meanwhile. <path>.sha256 is checked.
 */
int bundle_read_open_file(int fd, const char *path, const struct bundle_read_options *opt,
                          struct bundle_report *rep, struct error *err);
/* The same for a bundle already open (read from its current offset). */
int bundle_read_fd(int fd, const char *label, const struct bundle_read_options *opt,
                   struct bundle_report *rep, struct error *err);
/* The same for a bundle in memory (tests, the fuzz target). */
int bundle_read_memory(const void *buf, size_t len, const struct bundle_read_options *opt,
                       struct bundle_report *rep, struct error *err);
void bundle_report_free(struct bundle_report *rep);

/*
 * After the verifier ran over a source_open_decrypting source, and the source was closed:
 * authenticate the rest of the encrypted file (an altered or truncated one makes the bundle
 * INVALID), then fill rep's cipher, decrypted_with and among_recipients (a key that bag-info.txt
 * does not name adds a warning). 0 when the file authenticated, -1 when not.
 */
int bundle_report_decryption(struct bundle_report *rep, struct source_decryption *dec);

/*
 * The SHA-256 "<path>.sha256" beside a bundle states (lowercase) into hex: 1 when found, 0 when
 * there is none, -1 when it is there but malformed (or not a small regular file).
 */
int bundle_sidecar_read(const char *path, char hex[65]);

/* The bag-info.txt value of key (first occurrence, case-insensitive), or NULL. */
const char *bundle_report_info(const struct bundle_report *rep, const char *key);

#endif
