/*
 * A receiver's inbox (logpack receive): bundles arrive in one directory with their companion
 * files (the ".sha256" sidecar, a label, anything named "<stem>.*"); each complete one is
 * verified by a confined reader (series/inbox-reader.h) and moved, with every companion, its
 * verdict (text and JSON) and a signed receipt, into a directory of its own under the
 * accepted or the rejected directory.
 *
 * A group is taken only when the bundle's sidecar is there and no file of it has changed for
 * the settle time (their ctime, which a copy cannot set back). Files whose name starts with a
 * dot are never taken: a sender that writes under a dot-name and renames into the inbox is
 * never seen half-written.
 *
 * Moving is crash-safe: the group's files are first renamed into INBOX/.logpack-receive/<stem>
 * (one directory per bundle), the verdict is written there (verdict.json last), and that
 * directory is renamed into accepted/ or rejected/ as one unit. A run that is killed at any
 * point leaves each bundle either in the inbox, in its staging directory, or wholly moved;
 * the next run finishes what a staging directory holds before it takes anything new.
 */
#ifndef LOGPACK_INBOX_H
#define LOGPACK_INBOX_H

#include <stdint.h>

#include <jansson.h>

#include "base/util.h"
#include "series/inbox-reader.h"
#include "trust/sign.h"

/* The staging directory inside the inbox. */
#define INBOX_STAGING ".logpack-receive"

struct inbox_options {
	const char *inbox;
	const char *accepted;
	const char *rejected;
	int64_t settle; /* seconds without a change before a group is taken */
	struct reader_options reader;
	struct reader_keys keys;
	struct signer *signer; /* NULL: no receipts */
};

/* One bundle dealt with, as the command reports it. */
struct inbox_outcome {
	const char *bundle;   /* the bundle file's name */
	int accepted;         /* else rejected */
	const char *reason;   /* the verdict line, or why there is none */
	const char *dest;     /* the directory it is in now */
	const json_t *record; /* what verdict.json holds */
};
typedef void (*inbox_report_fn)(void *ctx, const struct inbox_outcome *o);

struct inbox;

/*
 * Open the three directories (on one file system: everything moves by rename), lock the
 * inbox against a second receiver, and finish what a killed run left in the staging
 * directory (reported through report). Returns 0, or -1 with err.
 */
int inbox_open(struct inbox **out, const struct inbox_options *opt, inbox_report_fn report,
               void *ctx, struct error *err);
/*
 * One pass over the inbox: every complete group is verified and moved, and reported. *waiting
 * counts the groups not complete yet. A failure with one group (an I/O error) stops the pass
 * with -1 and err; a rejected bundle is no failure.
 */
int inbox_scan(struct inbox *ib, inbox_report_fn report, void *ctx, size_t *waiting,
               struct error *err);
/* An inotify descriptor on the inbox (created on the first call); owned by ib. -1 with err. */
int inbox_watch_fd(struct inbox *ib, struct error *err);
/* Read the pending events off the inotify descriptor (their content does not matter). */
void inbox_watch_drain(struct inbox *ib);
void inbox_close(struct inbox *ib);

#endif
