/*
 * ForensicArtifacts definitions (YAML, read with libyaml's event parser) converted into a
 * logpack profile: FILE, DIRECTORY and PATH sources become rules, ARTIFACT_GROUP sources are
 * expanded, path variables are mapped where the profile format can say the same thing, and
 * every source or path that cannot be taken is reported with the reason. The mapping is
 * documented in docs/profile-format.md ("ForensicArtifacts definitions").
 *
 * The definitions are untrusted input: files, documents, nodes, depth and scalars are bounded,
 * and anchors and aliases are refused.
 */
#ifndef LOGPACK_PROFILE_IMPORT_H
#define LOGPACK_PROFILE_IMPORT_H

#include <stddef.h>

#include "base/util.h"

/* Bounds on what one definitions file may hold; beyond them the file is refused. */
#define FA_MAX_FILE_SIZE (8u << 20)
#define FA_MAX_DOCUMENTS 20000
#define FA_MAX_NODES 100000 /* per document */
#define FA_MAX_DEPTH 32
#define FA_MAX_SCALAR (64u << 10)
#define FA_MAX_GROUP_DEPTH 16 /* ARTIFACT_GROUP inside ARTIFACT_GROUP */

struct fa_set; /* the definitions read so far, from one or more files */

struct fa_set *fa_set_new(void);
void fa_set_free(struct fa_set *set);

/*
 * Read the definitions of one file's text into set. file names the file in messages and
 * origins. A document that is not valid YAML, or not a definition, is kept as a problem (given
 * to fa_import's skipped, type "document") and the other documents taken. Returns 0, or -1
 * with "FILE:LINE: reason" in err (one line) when the file is refused as a whole: larger than
 * the bounds, a NUL byte, anchors or aliases; nothing of a refused file is kept.
 */
int fa_set_parse(struct fa_set *set, const char *file, const char *text, size_t len,
                 struct error *err);

/* One path that became a rule, or did not. */
struct fa_path_result {
	char *artifact; /* the definition's name */
	char *origin;   /* "linux.yaml:12" */
	char *type;     /* FILE, DIRECTORY or PATH */
	char *path;     /* as written in the definition */
	char *pattern;  /* the rule, or NULL when reported */
	char *reason;   /* why not (reported), or a note on how it was mapped; may be NULL */
};

/* A source logpack cannot take (registry, WMI, commands, ...), or a group problem. */
struct fa_skipped {
	char *artifact;
	char *origin;
	char *type;
	char *reason;
};

struct fa_import_options {
	const char *os;       /* "linux", "darwin", "windows", "esxi", or NULL for every system */
	const char *category; /* the section of the rules when there is no template */
	const char *name;     /* the profile's name directive */
};

struct fa_import_result {
	char *profile; /* the profile text */
	struct fa_path_result *paths;
	size_t n_paths;
	struct fa_skipped *skipped;
	size_t n_skipped;
	size_t n_definitions; /* definitions converted (after --os filtering) */
	size_t n_unreadable;  /* documents not taken (in skipped, type "document") */
};

/*
 * Convert every definition of set (for o->os), or, with template (a logpack profile whose
 * "artifact NAME..." lines name definitions), that profile with each such line replaced by the
 * rules of those definitions. Returns 0; or -1 with err when the template names a definition
 * that no file defines, or has an artifact line outside a section ("TEMPLATE:LINE: reason").
 */
int fa_import(const struct fa_set *set, const struct fa_import_options *o,
              const char *template_name, const char *template_text, struct fa_import_result *out,
              struct error *err);
void fa_import_result_free(struct fa_import_result *r);

#endif
