/* How many CPUs this process may use: affinity, then a cgroup v2 quota. */
#include "config.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cpus.h"
#include "base/util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

int cpus_from_cpu_max(const char *text)
{
	char *end;
	unsigned long long quota, period;

	if (strncmp(text, "max", 3) == 0)
		return 0;
	quota = strtoull(text, &end, 10);
	if (end == text || *end != ' ')
		return 0;
	period = strtoull(end + 1, &end, 10);
	if (period == 0 || quota == 0 || (*end != '\n' && *end != '\0'))
		return 0;
	/* A quota of 1.5 CPUs keeps two busy part of the time: round up. */
	quota = (quota + period - 1) / period;
	return quota > 4096 ? 4096 : (int)quota;
}

/*
 * The tightest cpu.max from this process's cgroup v2 directory up to the root (a parent's
 * quota bounds its children), or 0 when none is set or the hierarchy is not mounted.
 */
static int cgroup_cpu_limit(void)
{
	char *text = NULL, *path = NULL, *p;
	size_t len;
	int limit = 0;

	if (read_small_file("/proc/self/cgroup", 64 * 1024, &text, &len) < 0)
		return 0;
	/* The v2 line is "0::/path"; v1 lines have a controller name between the colons. */
	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, "0::/", 4) == 0)
			break;
	if (p == NULL || *p == '\0')
		goto out;
	p += 3;
	p[strcspn(p, "\n")] = '\0';
	if (strstr(p, "/..") != NULL)
		goto out;
	path = xasprintf(CGROUP_ROOT "%s", strcmp(p, "/") == 0 ? "" : p);
	for (;;) {
		char *file = xasprintf("%s/cpu.max", path), *max = NULL, *slash;
		size_t max_len;
		int cpus = 0;

		if (read_small_file(file, 256, &max, &max_len) == 0)
			cpus = cpus_from_cpu_max(max);
		free(max);
		free(file);
		if (cpus > 0 && (limit == 0 || cpus < limit))
			limit = cpus;
		slash = strrchr(path, '/');
		if (strcmp(path, CGROUP_ROOT) == 0 || slash == NULL)
			break;
		*slash = '\0';
	}
out:
	free(path);
	free(text);
	return limit;
}

int cpus_available(void)
{
	cpu_set_t set;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	int cpus = online > 0 ? (int)online : 1, quota;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		cpus = CPU_COUNT(&set);
	quota = cgroup_cpu_limit();
	if (quota > 0 && quota < cpus)
		cpus = quota;
	return cpus > 0 ? cpus : 1;
}
