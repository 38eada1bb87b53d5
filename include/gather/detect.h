/*
 * Which stock profile fits the system under a root: read its os-release, look for marker files,
 * and let the most specific match win. Nothing is followed out of the root.
 */
#ifndef LOGPACK_DETECT_H
#define LOGPACK_DETECT_H

#include <stddef.h>

#include "base/util.h"

/* How a profile matched, weakest first. */
enum detect_tier {
	DETECT_NONE = 0,
	DETECT_MARKER = 1,  /* the profile's marker files all exist */
	DETECT_ID_LIKE = 2, /* os-release ID_LIKE (or ID) names the profile's family */
	DETECT_ID = 3,      /* os-release ID is one the profile names */
};

/* A profile that matched, and how. */
struct detect_candidate {
	char *profile;
	enum detect_tier tier;
	int like_rank;    /* DETECT_ID_LIKE: position of the word in ID_LIKE (0 = first) */
	int marker_count; /* marker files that had to exist for the match */
	char *why;        /* "os-release ID=ubuntu matches 'id=ubuntu' (debian line 10)" */
	char *brief;      /* the same, short: "os-release ID=ubuntu" */
};

struct detect_result {
	char **evidence; /* what was found under the root: "etc/os-release: ID=ubuntu ..." */
	size_t n_evidence;
	struct detect_candidate *candidates; /* best first */
	size_t n_candidates;
	char *chosen;  /* NULL when nothing matched */
	char *reason;  /* why the chosen profile won, with profile lines; or why nothing matched */
	char *summary; /* the same in brief, for one-line messages: "os-release ID=ubuntu" */
};

/*
 * Match every stock profile against the tree under root_fd. Returns 0 (even when nothing
 * matched: res->chosen is then NULL), or -1 with err when a profile cannot be loaded.
 */
int detect_run(int root_fd, struct detect_result *res, struct error *err);
void detect_result_free(struct detect_result *res);

/*
 * The stock profile for the tree under root_fd, and a short line saying why ("os-release
 * ID=ubuntu", and when others matched too, why it beat the runner-up); both the caller's to
 * free. Returns 0, or -1 with err, including when no profile matches.
 */
int detect_profile(int root_fd, char **name_out, char **reason_out, struct error *err);

/*
 * Open path (relative to the root, '/'-separated) below root_fd without ever leaving the root:
 * every component is opened with O_NOFOLLOW; a symbolic link is read and resolved against the
 * root (an absolute target starts again at the root, ".." stops at it). With nocase, a component
 * not found is looked for without regard to case. want_dir: open a directory, else a regular
 * file (read-only, non-blocking). resolved_out (may be NULL) receives the path actually opened.
 * Returns an fd, or -1 with errno (ENOENT, ELOOP, ENOTDIR, EINVAL for other file types...).
 */
int detect_open_in_root(int root_fd, const char *path, int nocase, int want_dir,
                        char **resolved_out);

/* Does path exist below root_fd (any type; links resolved inside the root)? 1, 0 or -1. */
int detect_exists_in_root(int root_fd, const char *path, int nocase, char **resolved_out);

#endif
