/*
 * Reading one source once: opened inside the root without following links or blocking, its
 * type checked on what was opened, cut to the size limit, and read in chunks whose bytes go
 * both to the hash and to the archive, so that what is stored is exactly what was hashed.
 */
#ifndef LOGPACK_SOURCE_H
#define LOGPACK_SOURCE_H

#include <stdint.h>

#include "base/util.h"
#include "bundle/bag.h"
#include "gather/collect.h"
#include "gather/records.h"
#include "gather/rootfs.h"
#include "gather/throttle.h"
#include "gather/walk.h"
#include "report/coverage-queue.h"

struct source_reader {
	int root_fd;
	uint64_t max_file_size;            /* 0: no limit, unless the rule has one */
	int skip_large;                    /* over the limit: skip rather than keep the end */
	int include_secrets;               /* take files that may hold secrets (secrets.h) */
	const struct collect_hooks *hooks; /* snapshot's per-source decisions, or NULL */
	struct bag_writer *bag;
	struct records *records;
	struct collect_summary *sum; /* the counters of collected, skipped, unreadable files */
	int partial;                 /* set when a source could not be read */
	uint64_t bytes_done;         /* bytes read from sources so far */
	struct rate_limit rate;      /* --io-rate */
	struct rootfs_dirs dirs;     /* the parents of the last source, kept open for siblings */
	struct coverage *coverage;   /* fed each source's bytes as they are read; NULL: off */
	struct coverage_queue *coverage_queue; /* how: on a thread of its own with two CPUs */
	char *buf;
};

void source_reader_init(struct source_reader *sr, int root_fd, const struct collect_options *opt,
                        struct bag_writer *bag, struct records *records,
                        struct collect_summary *sum);
void source_reader_release(struct source_reader *sr);

/* The size limit for a rule's sources: its max-size, or the run's; 0 for none. */
uint64_t source_size_limit(uint64_t max_file_size, const struct rule *r);

/*
 * Store one walked file: a payload member and its records, or a record of why it was not
 * stored. A source that cannot be read is recorded and makes the run partial; -1 only when
 * the bundle or the records cannot be written.
 */
int source_store(struct source_reader *sr, const struct walk_entry *e, struct error *err);

/* Record e as withheld (it may hold secrets: why), never stored; counted in the summary. */
int source_withhold(struct source_reader *sr, const struct walk_entry *e, const char *why,
                    struct error *err);

#endif
