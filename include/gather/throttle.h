/*
 * Low-impact mode: the lowest CPU priority and the idle I/O class for the whole process, and a
 * cap on the rate at which sources are read (a token bucket), so that a collection on a
 * server that is still serving leaves the CPU and the disk to the server's own work.
 */
#ifndef LOGPACK_THROTTLE_H
#define LOGPACK_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* The priorities in force, as read back from the kernel. */
struct throttle_priority {
	int nice;             /* the process's nice value */
	const char *io_class; /* "idle", "best-effort", "realtime", "none" or "unknown" (static) */
	int io_level;         /* within best-effort and realtime: 0 (highest) to 7 */
};

/*
 * Lower this process to nice 19 and the idle I/O class. Call before any thread starts: on
 * Linux both are per thread, and only threads made afterwards inherit them. -1 with err.
 */
int throttle_lower_priority(struct error *err);
/* Read back the priorities in force (never fails: what cannot be read is "unknown"). */
void throttle_priority_get(struct throttle_priority *p);

/* A read-rate cap: at most rate bytes a second on average, in bursts of at most burst. */
struct rate_limit {
	uint64_t rate; /* bytes a second; 0: no cap */
	uint64_t burst;
	double tokens;      /* bytes that may be read now without waiting; negative: owed */
	int64_t last_ns;    /* monotonic time of the last refill */
	uint64_t waited_ns; /* total time spent waiting, for the record */
};

void rate_limit_init(struct rate_limit *rl, uint64_t rate);
/* How much to ask of the next read, at most max: no more than one burst. */
size_t rate_limit_chunk(const struct rate_limit *rl, size_t max);
/* Count n bytes just read, and sleep as long as they overdraw the bucket. */
void rate_limit_spend(struct rate_limit *rl, size_t n);

#endif
