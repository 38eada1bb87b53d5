/* Showing a collection on the terminal as it runs: warnings, --verbose detail, progress. */
#ifndef LOGPACK_COLLECT_TERMINAL_H
#define LOGPACK_COLLECT_TERMINAL_H

#include "gather/collect.h"

/*
 * Point co->observer at the terminal: warnings through log_warn, detail through log_verbose,
 * and a progress meter when co->progress allows it. One collection at a time per process.
 */
void collect_terminal_attach(struct collect_options *co);

#endif
