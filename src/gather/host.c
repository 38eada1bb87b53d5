/* Host facts (os-release, hostname, time zone, kernel) and the root's user database. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bundle/manifest.h"
#include "gather/host.h"
#include "gather/os-release.h"
#include "gather/rootfs.h"

#define SMALL_FILE_MAX (256 * 1024)
#define USERDB_FILE_MAX (16 * 1024 * 1024)

/* The first line of a small file under the root, trimmed; NULL if absent or empty. */
static char *first_line(int root_fd, const char *relpath)
{
	char *text, *s, *e;

	if (rootfs_read_small(root_fd, relpath, SMALL_FILE_MAX, &text, NULL) < 0)
		return NULL;
	s = text;
	while (isspace((unsigned char)*s))
		s++;
	e = s;
	while (*e && *e != '\n' && *e != '\r')
		e++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	s = e > s ? xstrndup(s, (size_t)(e - s)) : NULL;
	free(text);
	return s;
}

static int root_is_live(int root_fd)
{
	struct stat a, b;

	return fstat(root_fd, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/*
 * Text from a hostile root goes into JSON, bag-info.txt and onto terminals: control bytes and
 * bytes that are not UTF-8 become \xHH, as in bag names.
 */
static void clean_text(char **field)
{
	char *clean;
	int changed;

	if (*field == NULL)
		return;
	clean = bagname_encode(*field, strlen(*field), &changed);
	free(*field);
	*field = clean;
}

int host_facts_gather(int root_fd, struct host_facts *hf, struct error *err)
{
	struct os_release osr;
	struct utsname uts;

	memset(hf, 0, sizeof(*hf));
	hf->live = root_is_live(root_fd);
	/* The same reading detection makes, so host.json describes the OS it chose by. */
	if (os_release_read(root_fd, &osr)) {
		hf->os_id = osr.id;
		hf->os_id_like = osr.id_like;
		hf->os_name = osr.name;
		hf->os_version = osr.version_id;
		hf->os_pretty = osr.pretty_name;
		free(osr.path);
	}
	if (hf->live && uname(&uts) == 0) {
		hf->kernel = xstrdup(uts.release);
		hf->arch = xstrdup(uts.machine);
		hf->hostname = xstrdup(uts.nodename);
	}
	if (hf->hostname == NULL)
		hf->hostname = first_line(root_fd, "etc/hostname");
	if (hf->hostname == NULL)
		hf->hostname = first_line(root_fd, "etc/myname"); /* OpenBSD */
	if (hf->hostname == NULL)
		hf->hostname = xstrdup("unknown");
	hf->timezone = first_line(root_fd, "etc/timezone");
	if (hf->timezone == NULL) {
		char target[512];
		const char *base;
		int dir_fd = rootfs_open_parent(root_fd, "etc/localtime", &base);
		ssize_t n = dir_fd < 0 ? -1 : readlinkat(dir_fd, base, target, sizeof(target) - 1);

		if (dir_fd >= 0)
			close(dir_fd);
		if (n > 0) {
			const char *zi;

			target[n] = '\0';
			zi = strstr(target, "zoneinfo/");
			hf->timezone = xstrdup(zi ? zi + 9 : target);
		}
	}
	clean_text(&hf->hostname);
	clean_text(&hf->os_id);
	clean_text(&hf->os_id_like);
	clean_text(&hf->os_name);
	clean_text(&hf->os_version);
	clean_text(&hf->os_pretty);
	clean_text(&hf->timezone);
	return 0;
}

void host_facts_free(struct host_facts *hf)
{
	free(hf->hostname);
	free(hf->os_id);
	free(hf->os_id_like);
	free(hf->os_name);
	free(hf->os_version);
	free(hf->os_pretty);
	free(hf->kernel);
	free(hf->arch);
	free(hf->timezone);
	memset(hf, 0, sizeof(*hf));
}

char *host_name_for_file(const char *hostname)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = hostname; *p && sb.len < 64; p++) {
		unsigned char c = (unsigned char)*p;

		strbuf_addch(&sb, (isalnum(c) || c == '-' || c == '.' || c == '_') ? (char)c : '_');
	}
	if (sb.len == 0 || sb.buf[0] == '.')
		strbuf_addstr(&sb, "host");
	return strbuf_detach(&sb);
}

struct id_name {
	unsigned long id;
	char *name;
};

struct userdb {
	struct id_name *users, *groups;
	size_t n_users, n_groups;
	size_t cap_users, cap_groups, cap_homes;
	char **homes;
	size_t n_homes;
};

/* Room for one more element; doubling, as a passwd may have hundreds of thousands of lines. */
static void *grow(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 64;
	return xreallocarray(v, *cap, size);
}

/* Parse "name:x:id:..." lines; for passwd also collect field 6, the home directory. */
static void parse_colon_file(struct userdb *db, char *text, int is_passwd)
{
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *fields[7] = {0}, *p = line, *end;
		int n = 0;
		unsigned long id;

		while (n < 7) {
			fields[n++] = p;
			p = strchr(p, ':');
			if (p == NULL)
				break;
			*p++ = '\0';
		}
		if (n < 3 || fields[0][0] == '\0' || fields[0][0] == '#' || fields[0][0] == '+')
			continue;
		errno = 0;
		id = strtoul(fields[2], &end, 10);
		if (errno || end == fields[2] || *end)
			continue;
		if (is_passwd) {
			db->users =
			        grow(db->users, db->n_users, &db->cap_users, sizeof(*db->users));
			db->users[db->n_users].id = id;
			db->users[db->n_users].name = xstrdup(fields[0]);
			clean_text(&db->users[db->n_users++].name);
			/* Duplicates are dropped at the end: a check per line is quadratic. */
			if (n >= 6 && fields[5][0] == '/' && strcmp(fields[5], "/") != 0) {
				db->homes = grow(db->homes, db->n_homes, &db->cap_homes,
				                 sizeof(*db->homes));
				db->homes[db->n_homes++] = xstrdup(fields[5]);
			}
		} else {
			db->groups = grow(db->groups, db->n_groups, &db->cap_groups,
			                  sizeof(*db->groups));
			db->groups[db->n_groups].id = id;
			db->groups[db->n_groups].name = xstrdup(fields[0]);
			clean_text(&db->groups[db->n_groups++].name);
		}
	}
}

static void homes_dedupe(struct userdb *db)
{
	size_t out = 0;

	if (db->n_homes < 2)
		return;
	qsort(db->homes, db->n_homes, sizeof(*db->homes), str_ptr_cmp);
	for (size_t i = 0; i < db->n_homes; i++) {
		if (out > 0 && strcmp(db->homes[out - 1], db->homes[i]) == 0)
			free(db->homes[i]);
		else
			db->homes[out++] = db->homes[i];
	}
	db->n_homes = out;
}

struct userdb *userdb_load(int root_fd)
{
	struct userdb *db = xcalloc(1, sizeof(*db));
	char *text;

	if (rootfs_read_small(root_fd, "etc/passwd", USERDB_FILE_MAX, &text, NULL) == 0) {
		parse_colon_file(db, text, 1);
		free(text);
		homes_dedupe(db);
	}
	if (rootfs_read_small(root_fd, "etc/group", USERDB_FILE_MAX, &text, NULL) == 0) {
		parse_colon_file(db, text, 0);
		free(text);
	}
	return db;
}

static const char *lookup(const struct id_name *v, size_t n, unsigned long id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			return v[i].name;
	return NULL;
}

const char *userdb_user(const struct userdb *db, uid_t uid)
{
	return lookup(db->users, db->n_users, uid);
}

const char *userdb_group(const struct userdb *db, gid_t gid)
{
	return lookup(db->groups, db->n_groups, gid);
}

size_t userdb_homes(const struct userdb *db, const char *const **homes_out)
{
	*homes_out = (const char *const *)db->homes;
	return db->n_homes;
}

void userdb_free(struct userdb *db)
{
	if (db == NULL)
		return;
	for (size_t i = 0; i < db->n_users; i++)
		free(db->users[i].name);
	for (size_t i = 0; i < db->n_groups; i++)
		free(db->groups[i].name);
	for (size_t i = 0; i < db->n_homes; i++)
		free(db->homes[i]);
	free(db->users);
	free(db->groups);
	free(db->homes);
	free(db);
}
