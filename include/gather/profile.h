/*
 * Profiles: which paths to collect on an OS family, by category. The format is documented in
 * docs/profile-format.md; a profile may include others, and its rules come after theirs.
 */
#ifndef LOGPACK_PROFILE_H
#define LOGPACK_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"
#include "base/util.h"

enum rule_flag {
	RULE_EXPECTED = 1 << 0, /* absent is itself a finding, noted in collection.log */
	RULE_NOCASE = 1 << 1,   /* match names without regard to case */
	/*
	 * Written by a syslog daemon: when no syslog daemon is configured in the root and the
	 * journal is taken, its absence is explained (the events are in the journal), not a
	 * finding.
	 */
	RULE_SYSLOG = 1 << 2,
};

struct rule {
	char *pattern;      /* "/var/log/auth.log*", "~/.bash_history": always inside the root */
	char *category;     /* "system", "auth", "application", ... */
	uint64_t max_size;  /* 0: the command's --max-file-size applies */
	unsigned int flags; /* enum rule_flag */
	char *origin;       /* "debian:12", the profile file and line that defined it */
};

/*
 * One term of a "match" line. The terms of one line form a group: the group holds when any of
 * its id/id_like terms names the root's os-release, and all of its file terms exist.
 */
struct profile_match {
	char *key; /* "id", "id_like" or "file" */
	char *value;
	int line; /* the line of the profile that gave it: the group */
};

/* One file read while loading a profile: the profile itself and each include. */
struct profile_file {
	char *name;
	char *path;
	char sha256[SHA256_HEX_LEN + 1];
};

struct profile {
	char *name;
	char *description;
	int nocase; /* "case insensitive": the default for this profile's own rules */
	struct profile_match *matches;
	size_t n_matches;
	char **includes;
	int *include_lines; /* where each include was written, for error messages */
	size_t n_includes;
	struct rule *rules; /* after profile_load: included rules first */
	size_t n_rules;
	struct profile_file *files; /* [0] is the profile itself */
	size_t n_files;
};

/* The directory that holds the stock profiles (installed, or the source tree's). */
const char *profile_dir(void);

/*
 * Parse profile text. name labels the origin of rules; line numbers are given in errors.
 * Includes are not resolved. Returns 0, or -1 with "line N: reason" in err.
 */
int profile_parse(const char *text, size_t len, const char *name, struct profile **out,
                  struct error *err);

/*
 * Load a profile by stock name ("debian"), by a bare name of a file in the current directory
 * (only when no stock profile has that name: a planted file named "debian" never overrides the
 * stock one), or by file path (anything with a '/'), and resolve its includes from the stock
 * directory (or beside the file). Include cycles are errors.
 */
int profile_load(const char *name_or_path, struct profile **out, struct error *err);
void profile_free(struct profile *p);

/* The stock profile names, sorted. Caller frees the array and each name. */
int profile_list(char ***names_out, size_t *count_out, struct error *err);

/* One finding of profile_check. */
struct profile_issue {
	int line;  /* 0: the file as a whole */
	int fatal; /* an error (the profile would not load); otherwise a warning */
	char *message;
};

/*
 * Check a profile file (a stock name or a path) for everything that would stop it loading, not
 * just the first problem: syntax errors, bad sizes and patterns, patterns escaping the root,
 * includes that are missing or form a cycle; and for sanity problems that would not, such as a
 * rule given twice or a profile that collects nothing. Issues are sorted by line. Returns the
 * number of fatal issues, or -1 with err when the file cannot be read at all.
 */
int profile_check(const char *name_or_path, struct profile_issue **issues_out, size_t *count_out,
                  struct error *err);
void profile_issues_free(struct profile_issue *issues, size_t count);

#endif
