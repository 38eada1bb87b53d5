/* Facts about the host whose logs are collected, read from under the root, never the live /. */
#ifndef LOGPACK_HOST_H
#define LOGPACK_HOST_H

#include <sys/types.h>

#include "base/util.h"

struct host_facts {
	int live;         /* the root is this running system's "/" */
	char *hostname;   /* never NULL ("unknown" at worst) */
	char *os_id;      /* os-release ID, lowercased; NULL when absent */
	char *os_id_like; /* os-release ID_LIKE, space separated */
	char *os_name;    /* NAME */
	char *os_version; /* VERSION_ID */
	char *os_pretty;  /* PRETTY_NAME */
	char *kernel;     /* uname -r, live hosts only */
	char *arch;       /* uname -m, live hosts only */
	char *timezone;   /* "Europe/Stockholm", from etc/timezone or the etc/localtime link */
};

int host_facts_gather(int root_fd, struct host_facts *hf, struct error *err);
void host_facts_free(struct host_facts *hf);

/* A file-system-safe form of the host name for bundle file names. Caller frees. */
char *host_name_for_file(const char *hostname);

/* User and group names from the root's own etc/passwd and etc/group. */
struct userdb;

struct userdb *userdb_load(int root_fd);
/* The name for an id, or NULL when the root does not list it. Owned by db. */
const char *userdb_user(const struct userdb *db, uid_t uid);
const char *userdb_group(const struct userdb *db, gid_t gid);
/* Home directories listed in etc/passwd, absolute, deduplicated; owned by db. */
size_t userdb_homes(const struct userdb *db, const char *const **homes_out);
void userdb_free(struct userdb *db);

#endif
