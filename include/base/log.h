/* Messages to the user, verbosity, and progress on a terminal. */
#ifndef LOGPACK_LOG_H
#define LOGPACK_LOG_H

#include <stdint.h>

#include "base/util.h"

enum log_level { LOG_QUIET = -1, LOG_NORMAL = 0, LOG_VERBOSE = 1, LOG_DEBUG = 2 };

extern int log_level;

/* The command line as given, for host.json ("logpack collect --root /mnt"); set by main. */
extern int command_line_argc;
extern char **command_line_argv;

/* "logpack: error: ..." on stderr, always shown. */
void log_error(const char *fmt, ...) LP_ATTR_PRINTF(1, 2);
/* "logpack: warning: ..." on stderr, hidden by --quiet. */
void log_warn(const char *fmt, ...) LP_ATTR_PRINTF(1, 2);
/* Plain progress text on stderr, hidden by --quiet. */
void log_info(const char *fmt, ...) LP_ATTR_PRINTF(1, 2);
/* Only with --verbose. */
void log_verbose(const char *fmt, ...) LP_ATTR_PRINTF(1, 2);

/*
 * A one-line progress meter, drawn on stderr only when stderr is a terminal and the level is
 * not quiet. Calls are cheap; redrawing is limited to a few times a second.
 */
struct progress {
	int enabled;
	const char *what;
	uint64_t total_bytes;
	uint64_t done_bytes;
	uint64_t total_items;
	uint64_t done_items;
	int64_t last_draw_ms;
};

void progress_start(struct progress *p, const char *what, uint64_t total_items,
                    uint64_t total_bytes, int allowed);
void progress_update(struct progress *p, uint64_t items, uint64_t bytes);
void progress_end(struct progress *p);

#endif
