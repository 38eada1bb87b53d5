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

#include "base/util.h"
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
};

enum redact_status {
	REDACT_OK,
	REDACT_FAILED,         /* err says why */
	REDACT_SOURCE_INVALID, /* the source did not verify: nothing was written */
};

struct redact_summary {
	char *bundle_path;
	uint64_t transformed;
	char **dropped; /* the source's member names (as in the bag) that were not carried */
	size_t n_dropped;
};

enum redact_status redact_bundle(const struct redact_options *opt, struct redact_summary *sum,
                                 struct error *err);
void redact_summary_free(struct redact_summary *sum);

#endif
