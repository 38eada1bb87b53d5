/* Unit tests: opening paths inside a root without ever leaving it, and os-release detection. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gather/detect.h"
#include "tap.h"

static char base[64];

/* Write text to base/rel, creating nothing else. */
static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	fp = fopen(path, "w");
	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
}

static void dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
}

static void link_to(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	if (symlink(target, path) < 0) {
		perror(path);
		exit(1);
	}
}

/* Read what opening rel under root gives: the first line of the file, or "errno:N". */
static char *open_read(int root_fd, const char *rel, int nocase, char **resolved)
{
	static char buf[256];
	int fd = detect_open_in_root(root_fd, rel, nocase, 0, resolved);
	ssize_t n;

	if (fd < 0) {
		snprintf(buf, sizeof(buf), "errno:%d", errno);
		return buf;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

int main(void)
{
	char outside[600], errno_text[32], *resolved = NULL;
	struct detect_result res;
	struct error err = {{0}};
	int root_fd, fd;

	strcpy(base, "/tmp/logpack-unit-detect.XXXXXX");
	if (mkdtemp(base) == NULL)
		return 1;
	/* base/secret is outside the root base/root. */
	put("secret", "OUTSIDE\n");
	dir("root");
	dir("root/etc");
	dir("root/usr");
	dir("root/usr/lib");
	dir("root/Windows");
	dir("root/Windows/system32");
	dir("root/Windows/system32/CONFIG");
	put("root/usr/lib/os-release", "inside\n");
	put("root/Windows/system32/CONFIG/system", "hive\n");
	link_to("/usr/lib/os-release", "root/etc/abs");
	link_to("../usr/lib/os-release", "root/etc/rel");
	link_to("../../../../../../../../secret", "root/etc/climb");
	snprintf(outside, sizeof(outside), "%s/secret", base);
	link_to(outside, "root/etc/outside-abs");
	link_to("loop2", "root/etc/loop1");
	link_to("loop1", "root/etc/loop2");
	link_to("..", "root/etc/up");
	link_to("/", "root/etc/top");
	dir("root/etc/fifo-dir");
	snprintf(outside, sizeof(outside), "%s/root/etc/fifo", base);
	if (mkfifo(outside, 0600) < 0)
		return 1;
	snprintf(outside, sizeof(outside), "%s/root", base);
	root_fd = open(outside, O_RDONLY | O_DIRECTORY);
	if (root_fd < 0)
		return 1;

	is_str(open_read(root_fd, "usr/lib/os-release", 0, NULL), "inside", "a plain path");
	is_str(open_read(root_fd, "etc/abs", 0, &resolved), "inside",
	       "an absolute link resolves against the root");
	is_str(resolved, "usr/lib/os-release", "and says where it led");
	free(resolved);
	resolved = NULL;
	is_str(open_read(root_fd, "etc/rel", 0, NULL), "inside", "a relative link");
	snprintf(errno_text, sizeof(errno_text), "errno:%d", ENOENT);
	is_str(open_read(root_fd, "etc/climb", 0, NULL), errno_text,
	       "a link climbing out with .. stops at the root (no secret)");
	is_str(open_read(root_fd, "etc/outside-abs", 0, NULL), errno_text,
	       "an absolute link to a live path is looked for inside the root");
	is_str(open_read(root_fd, "../secret", 0, NULL), errno_text,
	       "a leading .. stays at the root");
	is_str(open_read(root_fd, "etc/up/etc/up/../../usr/lib/os-release", 0, NULL), "inside",
	       "links to .. and / inside the root work");
	is_str(open_read(root_fd, "etc/top/usr/lib/os-release", 0, NULL), "inside", "a link to /");
	snprintf(errno_text, sizeof(errno_text), "errno:%d", ELOOP);
	is_str(open_read(root_fd, "etc/loop1", 0, NULL), errno_text, "a link loop is ELOOP");
	snprintf(errno_text, sizeof(errno_text), "errno:%d", EINVAL);
	is_str(open_read(root_fd, "etc/fifo", 0, NULL), errno_text,
	       "a FIFO is refused, not opened (no hang)");
	snprintf(errno_text, sizeof(errno_text), "errno:%d", EISDIR);
	is_str(open_read(root_fd, "etc/fifo-dir", 0, NULL), errno_text, "a directory is no file");
	snprintf(errno_text, sizeof(errno_text), "errno:%d", ENOTDIR);
	is_str(open_read(root_fd, "usr/lib/os-release/x", 0, NULL), errno_text,
	       "a file in the middle of a path is ENOTDIR");
	snprintf(errno_text, sizeof(errno_text), "errno:%d", ENOENT);
	is_str(open_read(root_fd, "windows/SYSTEM32/config/SYSTEM", 0, NULL), errno_text,
	       "case matters by default");
	is_str(open_read(root_fd, "windows/SYSTEM32/config/SYSTEM", 1, &resolved), "hive",
	       "nocase finds Windows/system32/CONFIG/system");
	is_str(resolved, "Windows/system32/CONFIG/system", "with the names as they are on disk");
	free(resolved);
	resolved = NULL;
	fd = detect_open_in_root(root_fd, "etc/up", 0, 1, NULL);
	ok(fd >= 0, "a directory opens as a directory through a link");
	if (fd >= 0)
		close(fd);
	ok(detect_exists_in_root(root_fd, "etc/fifo", 0, NULL) == 1, "a FIFO exists");
	ok(detect_exists_in_root(root_fd, "etc/climb", 0, NULL) == 0,
	   "a dangling escape does not exist");
	ok(detect_exists_in_root(root_fd, "etc/loop1", 0, NULL) == 0, "a loop does not exist");

	/* Detection through the stock profiles, from the source tree. */
	setenv("LOGPACK_PROFILE_DIR", LOGPACK_SOURCE_DIR "/profiles", 1);
	put("root/usr/lib/os-release",
	    "# comment\nID='rhel'\nID_LIKE=\"fedora\"\nPRETTY_NAME=\"Red "
	    "Hat \\\"Enterprise\\\" Linux\"\n");
	ok(detect_run(root_fd, &res, &err) == 0, "detect_run (%s)", err.msg);
	is_str(res.chosen, "rhel", "single-quoted ID");
	ok(res.n_evidence >= 1 && strstr(res.evidence[0], "Red Hat \"Enterprise\" Linux") != NULL,
	   "escaped quotes in os-release values (%s)", res.n_evidence ? res.evidence[0] : "");
	ok(res.n_candidates == 2 && res.candidates[1].tier == DETECT_MARKER &&
	           strcmp(res.candidates[1].profile, "windows") == 0,
	   "then the Windows marker");
	ok(res.summary && strcmp(res.summary, "os-release ID=rhel; rhel beat windows: an exact "
	                                      "os-release ID match is more specific than a "
	                                      "marker-file match") == 0,
	   "the summary is short and says why (%s)", res.summary ? res.summary : "");
	detect_result_free(&res);
	{
		char *name = NULL, *reason = NULL;

		ok(detect_profile(root_fd, &name, &reason, &err) == 0 &&
		           strcmp(name, "rhel") == 0 && strstr(reason, "ID=rhel") != NULL,
		   "detect_profile: %s (%s)", name ? name : "-", reason ? reason : err.msg);
		free(name);
		free(reason);
	}
	unlinkat(root_fd, "usr/lib/os-release", 0);
	{
		char *name = NULL, *reason = NULL;

		ok(detect_profile(root_fd, &name, &reason, &err) == 0 &&
		           strcmp(name, "windows") == 0,
		   "without os-release, the Windows hive decides: %s", name ? name : err.msg);
		free(name);
		free(reason);
	}
	close(root_fd);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
		if (system(cmd) != 0)
			return 1;
	}
	return tap_done();
}
