/* The outcome of a bundle as verify, show and extract report it: lines, JSON, exit codes. */
#ifndef LOGPACK_VERDICT_H
#define LOGPACK_VERDICT_H

#include <stdint.h>

#include <jansson.h>

#include "bundle/bundle-read.h"

/* The exit code of an outcome (0, 4, 5 or 6). */
int verdict_exit(enum bundle_outcome o);
/* The worse of two exit codes: 4, then 3, then 5, then 6, then 0. */
int verdict_worst_exit(int a, int b);
/* "valid, signed by /CN=x, trusted", "INVALID: reasons...". Caller frees. */
char *verdict_line(const struct bundle_report *rep);
/* The report as a JSON object (a new reference). */
json_t *verdict_json(const char *path, const struct bundle_report *rep);
/* Parse a --max-* value: a count, or a size ("10G") when is_size. Returns 0 or -1. */
int verdict_parse_limit(const char *opt, const char *arg, int is_size, uint64_t *out);

#endif
