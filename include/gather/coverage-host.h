/*
 * The coverage report's host-wide parts, read from the root at the end of a collection (the
 * time daemons' configuration and state, the time zone, forwarding in the logging daemons'
 * configuration; on a live host the kernel's clock status), and the report itself written as
 * the tag file logpack/coverage.json with its summary in collection.log.
 */
#ifndef LOGPACK_GATHER_COVERAGE_HOST_H
#define LOGPACK_GATHER_COVERAGE_HOST_H

#include <stdint.h>

#include "base/util.h"
#include "bundle/bag.h"
#include "gather/records.h"
#include "report/coverage.h"

#define COVERAGE_TAG_NAME "logpack/coverage.json"

/*
 * Finish cov (the logs it was fed) with what root_fd holds (live: the root is this host's
 * own "/", so the kernel is asked too), add logpack/coverage.json to bag and its summary to
 * collection.log. 0, or -1 when the tag file cannot be added.
 */
int coverage_host_finish(struct coverage *cov, int root_fd, int live, int64_t collected_at,
                         struct bag_writer *bag, struct records *records, struct error *err);

#endif
