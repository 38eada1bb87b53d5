/* The outcome of a bundle as verify, show and extract report it: lines, JSON, exit codes. */
#ifndef LOGPACK_VERDICT_H
#define LOGPACK_VERDICT_H

#include <stdint.h>

#include <jansson.h>

#include "bundle/bundle-read.h"

/* The least a bundle must be for verify and extract to exit 0 (--require). */
enum verdict_require {
	VERDICT_REQUIRE_VALID,   /* complete and unaltered: proves integrity, not origin */
	VERDICT_REQUIRE_SIGNED,  /* valid and signed, by anyone */
	VERDICT_REQUIRE_TRUSTED, /* valid and signed by a trusted signer */
};

/* Parse a --require value ("trusted", "signed", "valid"). Returns 0 or -1. */
int verdict_parse_require(const char *arg, enum verdict_require *out);
/* The default level: trusted when trust anchors are given, valid otherwise. */
enum verdict_require verdict_default_require(int have_trust);
/*
 * The exit code of an outcome under a required level: 0 when the outcome meets it, else 5
 * (valid, signed, not trusted), 6 (valid, unsigned), 4 (INVALID, whatever the level), 8
 * (incomplete: files to fetch) or 9 (could not be checked in one pass of a stream).
 */
int verdict_exit(enum bundle_outcome o, enum verdict_require req);
/* The worse of two exit codes: 4, then 3, 9, 8, 7 (a journal's seal failed), 5, 6, then 0. */
int verdict_worst_exit(int a, int b);
/* "valid, signed by /CN=x, trusted", "INVALID: reasons...". Caller frees. */
char *verdict_line(const struct bundle_report *rep);
/* The report as a JSON object (a new reference); "exit_code" is verdict_exit(outcome, req). */
json_t *verdict_json(const char *path, const struct bundle_report *rep, enum verdict_require req);
/* Parse a --max-* value: a count, or a size ("10G") when is_size. Returns 0 or -1. */
int verdict_parse_limit(const char *opt, const char *arg, int is_size, uint64_t *out);

#endif
