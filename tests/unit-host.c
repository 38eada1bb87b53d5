/* Unit tests: host facts and the user database, read from a root the test builds. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gather/host.h"
#include "gather/os-release.h"
#include "tap.h"

static char base[64];

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	unlink(path);
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
	unlink(path);
	if (symlink(target, path) < 0) {
		perror(path);
		exit(1);
	}
}

static void gone(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	unlink(path);
}

static struct host_facts gather(int root_fd)
{
	struct host_facts hf;
	struct error err = {{0}};

	if (host_facts_gather(root_fd, &hf, &err) < 0) {
		printf("# host_facts_gather: %s\n", err.msg);
		memset(&hf, 0, sizeof(hf));
	}
	return hf;
}

static void os_release_text(void)
{
	struct os_release o = {0};

	os_release_parse("ID=debian\n"
	                 "  # indented comment\n"
	                 "ID=Ubuntu\n"
	                 "ID_LIKE=\"Debian FOO\"\n"
	                 "NAME='single \\ quoted'\n"
	                 "PRETTY_NAME=\"a \\\"b\\\" \\$c \\d\"  # trailing comment\n"
	                 "VERSION_ID=1\\ 2\n"
	                 "NOT_A_KEY\n"
	                 "VERSION_ID_EXTRA=9\n",
	                 &o);
	is_str(o.id, "ubuntu", "os-release: the last ID wins, lowercased");
	is_str(o.id_like, "debian foo", "os-release: ID_LIKE lowercased, quotes removed");
	is_str(o.name, "single \\ quoted", "os-release: single quotes keep backslashes");
	is_str(o.pretty_name, "a \"b\" $c \\d",
	       "os-release: double quotes undo \\\" and \\$ only; a trailing comment is dropped");
	is_str(o.version_id, "1 2", "os-release: an unquoted backslash escapes the next character");
	os_release_free(&o);
}

int main(void)
{
	struct host_facts hf;
	struct userdb *db;
	const char *const *homes;
	size_t n_homes;
	char *s;
	int root_fd;

	os_release_text();

	strcpy(base, "/tmp/logpack-unit-host.XXXXXX");
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	dir("etc");
	dir("usr");
	dir("usr/lib");
	dir("usr/share");
	dir("usr/share/zoneinfo");
	dir("usr/share/zoneinfo/Europe");
	root_fd = open(base, O_RDONLY | O_DIRECTORY);
	if (root_fd < 0) {
		perror(base);
		return 1;
	}

	/* An empty root: nothing is known, but a host name is always there. */
	hf = gather(root_fd);
	is_str(hf.hostname, "unknown", "an empty root: the host name is 'unknown'");
	ok(hf.os_id == NULL && hf.os_pretty == NULL && hf.timezone == NULL,
	   "an empty root: no OS and no time zone");
	ok(!hf.live && hf.kernel == NULL, "a root that is not / is not live: no uname facts");
	host_facts_free(&hf);

	put("usr/lib/os-release", "ID=rhel\nPRETTY_NAME=\"Red Hat\"\n");
	put("etc/hostname", "  web-01.example  \n second line\n");
	put("etc/timezone", "Europe/Stockholm\n");
	hf = gather(root_fd);
	is_str(hf.os_id, "rhel", "usr/lib/os-release is read when etc/os-release is absent");
	is_str(hf.os_pretty, "Red Hat", "PRETTY_NAME unquoted");
	is_str(hf.hostname, "web-01.example", "etc/hostname: the first line, trimmed");
	is_str(hf.timezone, "Europe/Stockholm", "the time zone from etc/timezone");
	host_facts_free(&hf);

	put("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nID=Ubuntu\nNAME=\"Ubuntu\"\n");
	hf = gather(root_fd);
	is_str(hf.os_id, "ubuntu", "etc/os-release wins over usr/lib; its last ID, lowercased");
	is_str(hf.os_version, "12", "VERSION_ID");
	ok(hf.os_pretty == NULL, "a field etc/os-release lacks is not taken from usr/lib");
	host_facts_free(&hf);

	/* The usual layout: etc/os-release a link into usr/lib, absolute, read inside the root. */
	put("usr/lib/os-release", "ID=alpine\n");
	link_to("/usr/lib/os-release", "etc/os-release");
	hf = gather(root_fd);
	is_str(hf.os_id, "alpine", "an absolute etc/os-release link is resolved inside the root");
	host_facts_free(&hf);

	gone("etc/timezone");
	put("usr/share/zoneinfo/Europe/Oslo", "TZif");
	link_to("/usr/share/zoneinfo/Europe/Oslo", "etc/localtime");
	gone("etc/hostname");
	put("etc/myname", "obsd.example\n");
	hf = gather(root_fd);
	is_str(hf.timezone, "Europe/Oslo", "without etc/timezone, the etc/localtime link names it");
	is_str(hf.hostname, "obsd.example", "without etc/hostname, etc/myname (OpenBSD) names it");
	host_facts_free(&hf);

	put("etc/hostname", "evil\033[31mname\n");
	put("etc/os-release", "ID=x\nPRETTY_NAME=\"a\001b\"\n");
	hf = gather(root_fd);
	is_str(hf.hostname, "evil\\x1b[31mname", "control bytes in a host name are escaped");
	is_str(hf.os_pretty, "a\\x01b", "control bytes in os-release values are escaped");
	host_facts_free(&hf);

	/* A FIFO where a small file is expected is not opened (it would block). */
	gone("etc/hostname");
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/etc/hostname", base);
		if (mkfifo(path, 0644) < 0)
			perror(path);
	}
	hf = gather(root_fd);
	is_str(hf.hostname, "obsd.example", "a FIFO as etc/hostname is passed over, not read");
	host_facts_free(&hf);

	put("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
	                  "alice:x:1000:1000::/home/alice:/bin/sh\n"
	                  "alice2:x:1001:1000::/home/alice:/bin/sh\n"
	                  "daemon:x:1:1::/:/usr/sbin/nologin\n"
	                  "+nis::::::\n"
	                  "bad:x:notanumber:0::/home/bad:/bin/sh\n"
	                  "# comment:x:5:5::/home/c:/bin/sh\n"
	                  "esc\033:x:2000:2000::/home/e:/bin/sh\n");
	put("etc/group", "root:x:0:\nstaff:x:1000:alice\n");
	db = userdb_load(root_fd);
	is_str(userdb_user(db, 0), "root", "uid 0 is the root's own root");
	is_str(userdb_user(db, 1000), "alice", "a uid from the root's passwd");
	ok(userdb_user(db, 4242) == NULL, "an unknown uid has no name");
	is_str(userdb_group(db, 1000), "staff", "a gid from the root's group");
	is_str(userdb_user(db, 2000), "esc\\x1b", "a user name with a control byte is escaped");
	n_homes = userdb_homes(db, &homes);
	{
		char list[512] = "";

		for (size_t i = 0; i < n_homes; i++) {
			strcat(list, i ? " " : "");
			strcat(list, homes[i]);
		}
		is_str(list, "/home/alice /home/e /root",
		       "homes: absolute, sorted, each once; '/', '+' entries, bad ids and comments "
		       "left out");
	}
	userdb_free(db);

	s = host_name_for_file("web 01/../x");
	is_str(s, "web_01_.._x", "a host name for a file name: only safe characters");
	free(s);
	s = host_name_for_file(".hidden");
	is_str(s, ".hiddenhost", "a host name for a file name never starts a dot file alone");
	free(s);

	close(root_fd);
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
		if (system(cmd) != 0)
			ok(0, "clean up %s", base);
	}
	return tap_done();
}
