/*
 * Redaction, first version: a derived bundle from a verified one, with every plain-text payload
 * file's lines (and every payload path) passed through the tokeniser (trust/tokenise.h), every
 * other member dropped and listed, the private reverse map written beside, and
 * logpack/redaction.json linking the result to its source by keyed commitments. See
 * docs/redaction.md.
 */
#ifndef LOGPACK_REDACT_H
#define LOGPACK_REDACT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/util.h"
#include "bundle/bag.h"
#include "trust/pseudo.h"

struct redact_options {
	const char *source_path; /* the bundle to redact */
	const uint8_t *key;      /* the incident key, PSEUDO_KEY_LEN bytes */
	const char *map_path;    /* the reverse map to create (0600), outside output_dir */
	const char *output_dir;  /* where the derived bundle goes */
	const char *const *keep; /* addresses and ranges kept in clear */
	size_t n_keep;
	const char *const *words; /* names to replace (as custom words) */
	size_t n_words;
	int64_t now; /* epoch seconds: the bundle's name and bagging time */
	/* "TLP:AMBER" for the derived bag-info; NULL: the source's LogPack-TLP, if any. */
	const char *tlp;
	int keep_contacts;      /* carry Source-Organization and Contact-* from the source */
	int keep_incident;      /* carry the incident report (incident.json, .txt), redacted */
	int name_source_signer; /* LogPack-Source-Signer: the source's signer subject */
	int jobs;               /* threads that tokenise (1: none but the caller); 0: one a CPU */
	/* The redactor's signature over the derived bag (NULL: unsigned); never the source's. */
	bag_sign_fn sign;
	void *sign_ctx;
	/*
	 * A journal file (fd, size bytes) as journald's export text, piece by piece to write:
	 * 0, or -1 with err (the journal's fault, or write's). The reader is the report layer's,
	 * so the command passes it in; NULL: journal files are dropped.
	 */
	int (*journal_export)(int fd, uint64_t size,
	                      int (*write)(void *ctx, const void *buf, size_t len,
	                                   struct error *err),
	                      void *ctx, struct error *err);
};

enum redact_status {
	REDACT_OK,
	REDACT_FAILED,         /* err says why */
	REDACT_SOURCE_INVALID, /* the source did not verify: nothing was written */
};

/* A member of the source that was not carried: its name (as in the bag), and why. */
struct redact_dropped {
	char *name;
	char *reason; /* "not plain text" where there is nothing more precise to say */
};

struct redact_summary {
	char *bundle_path;
	char bundle_sha256[SHA256_HEX_LEN + 1];
	uint64_t bundle_bytes;
	char source_tagmanifest_sha256[SHA256_HEX_LEN + 1];
	char key_id[PSEUDO_KEY_ID_LEN + 1];
	uint64_t transformed;  /* payload files carried, redacted */
	uint64_t replacements; /* distinct (type, original) pairs in the reverse map */
	struct redact_dropped *dropped;
	size_t n_dropped;
};

enum redact_status redact_bundle(const struct redact_options *opt, struct redact_summary *sum,
                                 struct error *err);
void redact_summary_free(struct redact_summary *sum);

/* The link to a source file: HMAC-SHA256(link subkey, "<name>\n<sha256>") in hex. */
int redact_link(const struct pseudo_keys *keys, const char *name, const char *sha256, char hex[65],
                struct error *err);

struct redact_link_report {
	char *source_tagmanifest_sha256; /* what redaction.json says it was derived from */
	size_t links;                    /* entries in redaction.json */
	size_t matched;                  /* of them, matching one file of the source each */
	char **problems;                 /* each link that does not hold, in words */
	size_t n_problems;
};

/*
 * Check every link of a derived bundle (logpack/redaction.json) against its source with the
 * incident key: both must be valid bundles; each entry's link must match exactly one payload
 * file of the source, each source payload file must be accounted for, each carried entry must
 * be in the derived payload and each dropped one not, and the source's tag manifest must be the
 * one named. Returns 0 with r filled (r->n_problems == 0: every link holds); -1 with err when a
 * bundle cannot be read; -2 with err when one is not valid, or the derived one has no or a
 * malformed redaction.json.
 */
int redact_links_check(const char *derived_path, const char *source_path,
                       const uint8_t key[PSEUDO_KEY_LEN], struct redact_link_report *r,
                       struct error *err);
void redact_link_report_free(struct redact_link_report *r);

/*
 * Look a replacement up in a reverse map that redact wrote: print "type<TAB>original" to out for
 * each entry whose replacement is token. The map must have been written under key_id (its first
 * line says which). Returns the number of entries found, or -1 with err.
 */
long redact_reveal(const char *map_path, const char *key_id, const char *token, FILE *out,
                   struct error *err);

#endif
