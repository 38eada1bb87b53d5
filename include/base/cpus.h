/*
 * How many CPUs this process may use: the CPUs its affinity mask allows (sched_getaffinity,
 * as taskset and cpusets set it), cut to a cgroup v2 CPU quota (cpu.max) when one is in force,
 * so that workers are sized to what the process gets, not to what the machine has.
 */
#ifndef LOGPACK_CPUS_H
#define LOGPACK_CPUS_H

/* At least 1. */
int cpus_available(void);

/*
 * The CPUs a cgroup v2 cpu.max text allows ("max 100000" or "QUOTA PERIOD"), rounded up, or 0
 * for no limit (or text that is not a cpu.max line).
 */
int cpus_from_cpu_max(const char *text);

#endif
