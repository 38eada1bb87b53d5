/*
 * What the ForensicArtifacts importer's two halves share: the definitions read from YAML
 * (gather/profile-import-parse.c) and taken apart into a profile (gather/profile-import.c).
 */
#ifndef LOGPACK_PROFILE_IMPORT_PRIVATE_H
#define LOGPACK_PROFILE_IMPORT_PRIVATE_H

#include <stddef.h>

#include "gather/profile-import.h"

struct fa_source {
	char *type;
	int line;
	char **oses; /* the source's own supported_os, if any */
	size_t n_oses;
	char **items; /* paths (FILE, DIRECTORY, PATH) or names (ARTIFACT_GROUP) */
	size_t n_items;
	int backslash; /* separator '\' */
};

struct fa_def {
	char *name;
	char *doc;
	char *file;
	int line;
	char **oses;
	size_t n_oses;
	char **urls;
	size_t n_urls;
	struct fa_source *sources;
	size_t n_sources;
};

/* A document that was not taken: not YAML libyaml reads, or not a definition. */
struct fa_problem {
	char *file;
	int line; /* where the document starts */
	char *message;
};

struct fa_set {
	struct fa_def *defs;
	size_t n;
	struct fa_problem *problems;
	size_t n_problems;
	char **files;
	size_t n_files;
};

/* The definition named name in set, or NULL. */
const struct fa_def *fa_set_find(const struct fa_set *set, const char *name);
/* Free n strings and their array. */
void fa_strv_free(char **v, size_t n);

#endif
