/* Low-impact mode: lowest CPU and I/O priority, and a token bucket on reads from sources. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include "gather/throttle.h"

/*
 * ioprio_set(2) has no libc wrapper (glibc and musl alike); the values are the kernel's ABI
 * from linux/ioprio.h, spelt out so that no kernel header is needed.
 */
#define LP_IOPRIO_WHO_PROCESS 1
#define LP_IOPRIO_CLASS_SHIFT 13
#define LP_IOPRIO_CLASS_NONE 0
#define LP_IOPRIO_CLASS_RT 1
#define LP_IOPRIO_CLASS_BE 2
#define LP_IOPRIO_CLASS_IDLE 3

int throttle_lower_priority(struct error *err)
{
	/* Nice 19 is the lowest priority; raising the nice value needs no privilege. */
	errno = 0;
	if (setpriority(PRIO_PROCESS, 0, 19) < 0) {
		error_set(err, "--nice: setpriority: %s", strerror(errno));
		return -1;
	}
#if defined(__linux__) && defined(SYS_ioprio_set)
	/* Idle: the disk serves logpack only when nobody else asks for it (any user may choose
	 * it for their own process since Linux 2.6.25). */
	if (syscall(SYS_ioprio_set, LP_IOPRIO_WHO_PROCESS, 0,
	            LP_IOPRIO_CLASS_IDLE << LP_IOPRIO_CLASS_SHIFT) < 0) {
		error_set(err, "--nice: ioprio_set (the idle I/O class): %s", strerror(errno));
		return -1;
	}
#endif
	return 0;
}

void throttle_priority_get(struct throttle_priority *p)
{
	int v;

	errno = 0;
	v = getpriority(PRIO_PROCESS, 0);
	p->nice = errno ? 0 : v;
	p->io_class = "unknown";
	p->io_level = 0;
#if defined(__linux__) && defined(SYS_ioprio_get)
	v = (int)syscall(SYS_ioprio_get, LP_IOPRIO_WHO_PROCESS, 0);
	if (v >= 0) {
		static const char *const classes[] = {"none", "realtime", "best-effort", "idle"};
		int cls = v >> LP_IOPRIO_CLASS_SHIFT;

		p->io_class = cls >= 0 && cls <= LP_IOPRIO_CLASS_IDLE ? classes[cls] : "unknown";
		p->io_level = v & ((1 << LP_IOPRIO_CLASS_SHIFT) - 1);
	}
#endif
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void rate_limit_init(struct rate_limit *rl, uint64_t rate)
{
	memset(rl, 0, sizeof(*rl));
	rl->rate = rate;
	if (rate == 0)
		return;
	/* A tenth of a second's worth: short bursts, so the disk sees an even rate; never less
	 * than a page, so a tiny cap still makes progress. */
	rl->burst = rate / 10 > 4096 ? rate / 10 : 4096;
	rl->tokens = (double)rl->burst;
	rl->last_ns = now_ns();
}

size_t rate_limit_chunk(const struct rate_limit *rl, size_t max)
{
	if (rl->rate == 0 || rl->burst >= max)
		return max;
	return (size_t)rl->burst;
}

void rate_limit_spend(struct rate_limit *rl, size_t n)
{
	int64_t now;

	if (rl->rate == 0)
		return;
	now = now_ns();
	rl->tokens += (double)(now - rl->last_ns) * (double)rl->rate / 1e9;
	if (rl->tokens > (double)rl->burst)
		rl->tokens = (double)rl->burst;
	rl->last_ns = now;
	rl->tokens -= (double)n;
	if (rl->tokens < 0) {
		/* Sleep until the debt is paid; the refill at the next call counts the time. */
		double wait = -rl->tokens / (double)rl->rate;
		struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		rl->waited_ns += (uint64_t)(wait * 1e9);
	}
}
