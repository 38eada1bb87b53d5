/*
 * ForensicArtifacts definitions into a logpack profile. The YAML is read with libyaml's event
 * parser into a small tree per document (bounded), which is then taken apart into definitions;
 * the conversion maps each path to a profile pattern and checks the pattern with the profile
 * parser itself, so what is written always loads.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "gather/profile-import.h"
#include "gather/profile.h"

/* --- a bounded YAML tree --- */

enum ynode_kind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ynode_kind kind;
	int line;
	char *value;          /* Y_SCALAR */
	struct ynode **items; /* Y_SEQ: the items; Y_MAP: key, value, key, value, ... */
	size_t n;
	size_t cap;
};

static void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		ynode_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

static void ynode_add(struct ynode *parent, struct ynode *child)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 8;
		parent->items = xreallocarray(parent->items, parent->cap, sizeof(*parent->items));
	}
	parent->items[parent->n++] = child;
}

/* The value of key in a mapping, or NULL. */
static const struct ynode *ymap_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->items[i]->kind == Y_SCALAR && strcmp(map->items[i]->value, key) == 0)
			return map->items[i + 1];
	return NULL;
}

/* --- definitions --- */

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

struct fa_set *fa_set_new(void)
{
	return xcalloc(1, sizeof(struct fa_set));
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void def_release(struct fa_def *d)
{
	free(d->name);
	free(d->doc);
	free(d->file);
	strv_free(d->oses, d->n_oses);
	strv_free(d->urls, d->n_urls);
	for (size_t i = 0; i < d->n_sources; i++) {
		free(d->sources[i].type);
		strv_free(d->sources[i].oses, d->sources[i].n_oses);
		strv_free(d->sources[i].items, d->sources[i].n_items);
	}
	free(d->sources);
}

void fa_set_free(struct fa_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		def_release(&set->defs[i]);
	free(set->defs);
	for (size_t i = 0; i < set->n_problems; i++) {
		free(set->problems[i].file);
		free(set->problems[i].message);
	}
	free(set->problems);
	strv_free(set->files, set->n_files);
	free(set);
}

static const struct fa_def *set_find(const struct fa_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->defs[i].name, name) == 0)
			return &set->defs[i];
	return NULL;
}

/* A list of scalars (a sequence, or one scalar). Returns 0, or -1 with err. */
static int take_strings(const struct ynode *n, const char *file, const char *what, char ***out,
                        size_t *count, struct error *err)
{
	*out = NULL;
	*count = 0;
	if (!n)
		return 0;
	if (n->kind == Y_SCALAR) {
		*out = xcalloc(1, sizeof(char *));
		(*out)[0] = xstrdup(n->value);
		*count = 1;
		return 0;
	}
	if (n->kind != Y_SEQ) {
		error_set(err, "%s:%d: %s must be a list of strings", file, n->line, what);
		return -1;
	}
	*out = xcalloc(n->n ? n->n : 1, sizeof(char *));
	for (size_t i = 0; i < n->n; i++) {
		if (n->items[i]->kind != Y_SCALAR) {
			error_set(err, "%s:%d: %s must be a list of strings", file,
			          n->items[i]->line, what);
			strv_free(*out, i);
			*out = NULL;
			*count = 0;
			return -1;
		}
		(*out)[i] = xstrdup(n->items[i]->value);
		*count = i + 1;
	}
	return 0;
}

static int take_source(const struct ynode *n, const char *file, struct fa_source *s,
                       struct error *err)
{
	const struct ynode *type = ymap_get(n, "type"), *attrs = ymap_get(n, "attributes");
	const struct ynode *items, *sep;

	if (n->kind != Y_MAP) {
		error_set(err, "%s:%d: a source must be a mapping", file, n->line);
		return -1;
	}
	if (!type || type->kind != Y_SCALAR || !type->value[0]) {
		error_set(err, "%s:%d: a source has no type", file, n->line);
		return -1;
	}
	s->type = xstrdup(type->value);
	s->line = n->line;
	if (take_strings(ymap_get(n, "supported_os"), file, "supported_os", &s->oses, &s->n_oses,
	                 err) < 0)
		return -1;
	if (attrs && attrs->kind != Y_MAP) {
		error_set(err, "%s:%d: attributes must be a mapping", file, attrs->line);
		return -1;
	}
	items = ymap_get(attrs, strcmp(s->type, "ARTIFACT_GROUP") == 0 ? "names" : "paths");
	if (take_strings(items, file, strcmp(s->type, "ARTIFACT_GROUP") == 0 ? "names" : "paths",
	                 &s->items, &s->n_items, err) < 0)
		return -1;
	sep = ymap_get(attrs, "separator");
	if (sep && sep->kind == Y_SCALAR && strcmp(sep->value, "\\") == 0)
		s->backslash = 1;
	return 0;
}

/* One document's tree into a definition appended to set. */
static int take_definition(struct fa_set *set, const struct ynode *root, const char *file,
                           struct error *err)
{
	const struct ynode *name, *doc, *sources;
	const struct fa_def *dup;
	struct fa_def d = {0};

	if (!root || (root->kind == Y_SCALAR && !root->value[0]))
		return 0; /* an empty document */
	if (root->kind != Y_MAP) {
		error_set(err, "%s:%d: a definition must be a mapping", file, root->line);
		return -1;
	}
	name = ymap_get(root, "name");
	sources = ymap_get(root, "sources");
	doc = ymap_get(root, "doc");
	if (!name || name->kind != Y_SCALAR || !name->value[0]) {
		error_set(err, "%s:%d: a definition has no name", file, root->line);
		return -1;
	}
	if ((dup = set_find(set, name->value))) {
		error_set(err, "%s:%d: definition %s is defined already (%s:%d)", file, root->line,
		          name->value, dup->file, dup->line);
		return -1;
	}
	if (!sources || sources->kind != Y_SEQ) {
		error_set(err, "%s:%d: definition %s has no list of sources", file, root->line,
		          name->value);
		return -1;
	}
	d.name = xstrdup(name->value);
	d.doc = doc && doc->kind == Y_SCALAR ? xstrdup(doc->value) : NULL;
	d.file = xstrdup(file);
	d.line = root->line;
	if (take_strings(ymap_get(root, "supported_os"), file, "supported_os", &d.oses, &d.n_oses,
	                 err) < 0 ||
	    take_strings(ymap_get(root, "urls"), file, "urls", &d.urls, &d.n_urls, err) < 0) {
		def_release(&d);
		return -1;
	}
	d.sources = xcalloc(sources->n ? sources->n : 1, sizeof(*d.sources));
	for (size_t i = 0; i < sources->n; i++) {
		d.n_sources = i + 1;
		if (take_source(sources->items[i], file, &d.sources[i], err) < 0) {
			def_release(&d);
			return -1;
		}
	}
	set->defs = xreallocarray(set->defs, set->n + 1, sizeof(*set->defs));
	set->defs[set->n++] = d;
	return 0;
}

/*
 * Parse one piece of a file (the documents between two "---" lines), whose first line is line
 * first_line of the file. Returns 0; 1 when a document is not valid YAML or not a definition
 * (err says why: the document is reported and the rest of the file taken); -1 when the file is
 * refused as a whole (aliases, anchors, a bound exceeded: signs of a hostile file, not a slip).
 */
static int parse_piece(struct fa_set *set, const char *file, const char *text, size_t len,
                       int first_line, size_t *documents, struct error *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct ynode *stack[FA_MAX_DEPTH + 1], *root = NULL;
	size_t depth = 0, nodes = 0;
	int rc = 0, done = 0;

	if (!yaml_parser_initialize(&parser)) {
		error_set(err, "%s: cannot initialise the YAML parser", file);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done) {
		struct ynode *node = NULL;
		int line;

		if (!yaml_parser_parse(&parser, &ev)) {
			error_set(err, "%s:%lu: YAML: %s%s%s", file,
			          (unsigned long)parser.problem_mark.line +
			                  (unsigned long)first_line,
			          parser.problem ? parser.problem : "malformed",
			          parser.context ? " " : "", parser.context ? parser.context : "");
			rc = 1;
			goto out;
		}
		line = (int)ev.start_mark.line + first_line;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++*documents > FA_MAX_DOCUMENTS) {
				error_set(err, "%s:%d: more than %d documents: refused", file, line,
				          FA_MAX_DOCUMENTS);
				rc = -1;
			}
			nodes = 0;
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (take_definition(set, root, file, err) < 0)
				rc = 1;
			ynode_free(root);
			root = NULL;
			break;
		case YAML_ALIAS_EVENT:
			/* libyaml does not expand aliases, but a consumer that did would be open to
			 * an alias bomb; definitions never need them. */
			error_set(err, "%s:%d: YAML aliases (*%s) are not accepted in definitions",
			          file, line, (const char *)ev.data.alias.anchor);
			rc = -1;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			const yaml_char_t *anchor = ev.type == YAML_SCALAR_EVENT
			                                    ? ev.data.scalar.anchor
			                            : ev.type == YAML_SEQUENCE_START_EVENT
			                                    ? ev.data.sequence_start.anchor
			                                    : ev.data.mapping_start.anchor;

			if (anchor) {
				error_set(
				        err,
				        "%s:%d: YAML anchors (&%s) are not accepted in definitions",
				        file, line, (const char *)anchor);
				rc = -1;
				break;
			}
			if (++nodes > FA_MAX_NODES) {
				error_set(err, "%s:%d: a document of more than %d nodes: refused",
				          file, line, FA_MAX_NODES);
				rc = -1;
				break;
			}
			if (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length > FA_MAX_SCALAR) {
				error_set(err, "%s:%d: a string longer than %u KiB: refused", file,
				          line, FA_MAX_SCALAR >> 10);
				rc = -1;
				break;
			}
			if (ev.type != YAML_SCALAR_EVENT && depth >= FA_MAX_DEPTH) {
				error_set(err, "%s:%d: nested deeper than %d: refused", file, line,
				          FA_MAX_DEPTH);
				rc = -1;
				break;
			}
			node = xcalloc(1, sizeof(*node));
			node->line = line;
			if (ev.type == YAML_SCALAR_EVENT) {
				node->kind = Y_SCALAR;
				node->value = xstrndup((const char *)ev.data.scalar.value,
				                       ev.data.scalar.length);
			} else {
				node->kind = ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
			}
			if (depth > 0)
				ynode_add(stack[depth - 1], node);
			else if (!root)
				root = node;
			else
				ynode_free(node); /* cannot happen: one root per document */
			if (node->kind != Y_SCALAR)
				stack[depth++] = node;
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (rc != 0)
			break;
	}
out:
	ynode_free(root);
	yaml_parser_delete(&parser);
	return rc;
}

static void add_problem(struct fa_set *set, const char *file, int line, const char *msg)
{
	set->problems = xreallocarray(set->problems, set->n_problems + 1, sizeof(*set->problems));
	set->problems[set->n_problems].file = xstrdup(file);
	set->problems[set->n_problems].line = line;
	set->problems[set->n_problems++].message = xstrdup(msg);
}

/* A line that starts a document ("---" alone or before content) starts a piece. */
static int starts_document(const char *line, size_t len)
{
	return len >= 3 && memcmp(line, "---", 3) == 0 &&
	       (len == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r' ||
	        line[3] == '\n');
}

/*
 * Read one file's documents. Each piece between "---" lines is parsed on its own, so that one
 * document libyaml cannot read (the definitions have one, valid for other parsers) costs only
 * that definition, which is reported; a "---" at the start of a line always ends a document
 * in YAML, so no document is cut in two.
 */
int fa_set_parse(struct fa_set *set, const char *file, const char *text, size_t len,
                 struct error *err)
{
	size_t first_def = set->n, first_problem = set->n_problems, documents = 0, at = 0;
	int line = 1;

	if (len > FA_MAX_FILE_SIZE) {
		error_set(err, "%s: larger than %u MiB: refused", file, FA_MAX_FILE_SIZE >> 20);
		return -1;
	}
	if (memchr(text, '\0', len)) {
		const char *nul = memchr(text, '\0', len);
		int nul_line = 1;

		for (const char *c = text; c < nul; c++)
			nul_line += *c == '\n';
		error_set(err, "%s:%d: a NUL byte: not YAML text", file, nul_line);
		return -1;
	}
	while (at < len) {
		size_t end = at, piece_lines = 0;
		int rc;

		/* The piece: from at to the next line that starts a document (not the first). */
		for (;;) {
			const char *nl = memchr(text + end, '\n', len - end);
			size_t next = nl ? (size_t)(nl - text) + 1 : len;

			piece_lines++;
			end = next;
			if (end >= len || starts_document(text + end, len - end))
				break;
		}
		rc = parse_piece(set, file, text + at, end - at, line, &documents, err);
		if (rc < 0) {
			/* Nothing of a refused file is kept. */
			for (size_t i = first_def; i < set->n; i++)
				def_release(&set->defs[i]);
			set->n = first_def;
			for (size_t i = first_problem; i < set->n_problems; i++) {
				free(set->problems[i].file);
				free(set->problems[i].message);
			}
			set->n_problems = first_problem;
			return -1;
		}
		if (rc > 0)
			add_problem(set, file, line, err->msg);
		line += (int)piece_lines;
		at = end;
	}
	set->files = xreallocarray(set->files, set->n_files + 1, sizeof(char *));
	set->files[set->n_files++] = xstrdup(file);
	return 0;
}

/* --- conversion --- */

struct emitter {
	const struct fa_set *set;
	const struct fa_import_options *o;
	struct fa_import_result *res;
	struct strbuf *out;
	const char *category;
	unsigned char *visited; /* per definition */
	const struct fa_def *stack[FA_MAX_GROUP_DEPTH + 2];
	size_t depth;
	char **patterns; /* written already, to write each once */
	size_t n_patterns;
};

static int os_in(char *const *oses, size_t n, const char *os)
{
	if (!os || n == 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(oses[i], os) == 0)
			return 1;
	return 0;
}

static char *origin_of(const struct fa_def *d, int line)
{
	return xasprintf("%s:%d", d->file, line);
}

static void add_skipped(struct emitter *e, const struct fa_def *d, int line, const char *type,
                        char *reason)
{
	struct fa_import_result *r = e->res;
	struct fa_skipped *s;

	r->skipped = xreallocarray(r->skipped, r->n_skipped + 1, sizeof(*r->skipped));
	s = &r->skipped[r->n_skipped++];
	s->artifact = xstrdup(d->name);
	s->origin = origin_of(d, line);
	s->type = xstrdup(type);
	s->reason = reason;
}

/* Text from a definition in a comment: one line, no control characters, bounded. */
static void add_comment_text(struct strbuf *sb, const char *s, size_t max)
{
	size_t n = 0;

	for (; *s && *s != '\n' && n < max; s++, n++)
		strbuf_addch(sb, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
	if (*s && *s != '\n')
		strbuf_addstr(sb, "...");
}

/* The path variables a profile can say. Windows' defaults are the system volume's usual
 * layout (the windows profile reads a mounted image of it). */
static const struct {
	const char *var;
	const char *to;
} var_map[] = {
        {"users.homedir", "~"},
        {"users.userprofile", "~"},
        {"users.appdata", "~/AppData/Roaming"},
        {"users.localappdata", "~/AppData/Local"},
        {"users.temp", "~/AppData/Local/Temp"},
        {"environ_systemroot", "/Windows"},
        {"environ_windir", "/Windows"},
        {"environ_systemdrive", ""},
        {"environ_programfiles", "/Program Files"},
        {"environ_programfilesx86", "/Program Files (x86)"},
        {"environ_programdata", "/ProgramData"},
        {"environ_allusersappdata", "/ProgramData"},
        {"environ_allusersprofile", "/ProgramData"},
};

/* Why a variable that has no mapping cannot have one. */
static char *unmapped_reason(const char *var)
{
	if (strcmp(var, "users.sid") == 0)
		return xstrdup(
		        "%%users.sid%% cannot be mapped: a user's SID is known only from the "
		        "registry, which logpack does not read, and a pattern cannot stand "
		        "for it");
	if (strcmp(var, "users.username") == 0)
		return xstrdup("%%users.username%% cannot be mapped: a profile names a user only "
		               "through the home directory (~/), never by the name alone");
	return xasprintf("%%%%%s%%%% cannot be mapped: logpack's profile format has no such "
	                 "variable",
	                 var);
}

/*
 * One definition path into a pattern. Returns the pattern, or NULL with *reason saying why
 * not; *note says how a loose mapping was made (may stay NULL).
 */
static char *map_path(const char *raw, const struct fa_source *s, char **reason, char **note)
{
	struct strbuf sb = STRBUF_INIT, pat = STRBUF_INIT;
	const char *p = raw;
	char *copy, *save = NULL, *comp;
	int starred = 0;

	*reason = NULL;
	*note = NULL;
	for (const char *c = raw; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			*reason = xstrdup("a control character in the path");
			return NULL;
		}
	}
	while (*p) {
		const char *end;

		if (p[0] == '%' && p[1] == '%' && (end = strstr(p + 2, "%%"))) {
			char *var = xstrndup(p + 2, (size_t)(end - p - 2));
			size_t k;

			for (k = 0; k < sizeof(var_map) / sizeof(var_map[0]); k++)
				if (strcmp(var_map[k].var, var) == 0)
					break;
			if (k == sizeof(var_map) / sizeof(var_map[0])) {
				*reason = unmapped_reason(var);
			} else if (p != raw) {
				*reason = xasprintf(
				        "%%%%%s%%%% not at the start of the path: a profile "
				        "has it only as a leading %s",
				        var, var_map[k].to[0] ? var_map[k].to : "/");
			} else {
				strbuf_addstr(&sb, var_map[k].to);
				if (var_map[k].to[0] == '/' || !var_map[k].to[0])
					*note = xasprintf(
					        "%%%%%s%%%% taken as %s, its usual place", var,
					        var_map[k].to[0] ? var_map[k].to : "the root");
			}
			free(var);
			if (*reason) {
				strbuf_release(&sb);
				free(*note);
				*note = NULL;
				return NULL;
			}
			p = end + 2;
			continue;
		}
		if (*p == '\\' && s->backslash)
			strbuf_addch(&sb, '/');
		else
			strbuf_addch(&sb, *p);
		p++;
	}
	if (strchr(sb.buf ? sb.buf : "", '\\')) {
		*reason = xstrdup("a backslash in a path with '/' separators");
		strbuf_release(&sb);
		free(*note);
		*note = NULL;
		return NULL;
	}
	if (!sb.buf || (sb.buf[0] != '/' && !(sb.buf[0] == '~' && sb.buf[1] == '/'))) {
		*reason =
		        xasprintf("not an absolute path ('%s'): a pattern starts at the root or at "
		                  "~/",
		                  sb.buf ? sb.buf : "");
		strbuf_release(&sb);
		free(*note);
		*note = NULL;
		return NULL;
	}
	/* Components: empty ones (a doubled or trailing '/') dropped; "**" and "**N" (up to N
	 * levels, 3 by default) become "**", every depth: a superset. */
	copy = strbuf_detach(&sb);
	if (copy[0] == '~')
		strbuf_addch(&pat, '~');
	for (comp = strtok_r(copy[0] == '~' ? copy + 1 : copy, "/", &save); comp;
	     comp = strtok_r(NULL, "/", &save)) {
		if (comp[0] == '*' && comp[1] == '*' &&
		    strspn(comp + 2, "0123456789") == strlen(comp + 2)) {
			strbuf_addstr(&pat, "/**");
			starred = 1;
			continue;
		}
		strbuf_addch(&pat, '/');
		strbuf_addstr(&pat, comp);
	}
	free(copy);
	if (!pat.buf || strcmp(pat.buf, "~") == 0 || strcmp(pat.buf, "/") == 0) {
		*reason = xstrdup("the path names the root or a home directory itself");
		strbuf_release(&pat);
		free(*note);
		*note = NULL;
		return NULL;
	}
	if (strcmp(s->type, "DIRECTORY") == 0) {
		strbuf_addstr(&pat, "/*");
		if (!*note)
			*note = xstrdup("DIRECTORY: the files directly in it");
	}
	if (starred && !*note)
		*note = xstrdup("** (a bounded depth in ForensicArtifacts) taken as every depth");
	return strbuf_detach(&pat);
}

/* The pattern as a rule line says it: quoted when it holds blanks or quotes. */
static void add_pattern(struct strbuf *sb, const char *pattern)
{
	if (!strpbrk(pattern, " \t\"\\")) {
		strbuf_addstr(sb, pattern);
		return;
	}
	strbuf_addch(sb, '"');
	for (const char *c = pattern; *c; c++) {
		if (*c == '"' || *c == '\\')
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *c);
	}
	strbuf_addch(sb, '"');
}

/* Check a rule line with the profile parser itself. Returns NULL, or why it is refused. */
static char *rule_refused(const char *line)
{
	struct strbuf sb = STRBUF_INIT;
	struct profile *p = NULL;
	struct error err = {{0}};
	char *reason = NULL;

	strbuf_addf(&sb, "[x]\n%s\n", line);
	if (profile_parse(sb.buf, sb.len, "import", &p, &err) < 0) {
		const char *m = err.msg;

		if (strncmp(m, "line 2: ", 8) == 0)
			m += 8;
		reason = xasprintf("not a valid pattern: %s", m);
	}
	profile_free(p);
	strbuf_release(&sb);
	return reason;
}

/* Rules should match without regard to case for systems whose file names do not care. */
static int def_nocase(const struct fa_def *d, const struct fa_import_options *o)
{
	if (o->os)
		return 0; /* the header's case directive says it */
	if (d->n_oses == 0)
		return 0;
	for (size_t i = 0; i < d->n_oses; i++)
		if (strcasecmp(d->oses[i], "Windows") != 0 && strcasecmp(d->oses[i], "Darwin") != 0)
			return 0;
	return 1;
}

static void add_path(struct emitter *e, const struct fa_def *d, const struct fa_source *s,
                     const char *raw)
{
	struct fa_import_result *r = e->res;
	struct fa_path_result *pr;
	char *reason = NULL, *note = NULL, *pattern = map_path(raw, s, &reason, &note);

	if (pattern) {
		struct strbuf line = STRBUF_INIT;
		int dup = 0;

		add_pattern(&line, pattern);
		if (def_nocase(d, e->o))
			strbuf_addstr(&line, " nocase");
		if ((reason = rule_refused(line.buf))) {
			free(pattern);
			pattern = NULL;
			free(note);
			note = NULL;
		} else {
			for (size_t i = 0; i < e->n_patterns && !dup; i++)
				dup = strcmp(e->patterns[i], line.buf) == 0;
			if (dup) {
				strbuf_addstr(e->out, "# (written above already) ");
			} else {
				e->patterns = xreallocarray(e->patterns, e->n_patterns + 1,
				                            sizeof(char *));
				e->patterns[e->n_patterns++] = xstrdup(line.buf);
			}
			strbuf_addf(e->out, "%s\n", line.buf);
		}
		strbuf_release(&line);
	}
	if (!pattern) {
		strbuf_addstr(e->out, "# not converted: ");
		add_comment_text(e->out, raw, 300);
		strbuf_addstr(e->out, "\n");
	}
	r->paths = xreallocarray(r->paths, r->n_paths + 1, sizeof(*r->paths));
	pr = &r->paths[r->n_paths++];
	pr->artifact = xstrdup(d->name);
	pr->origin = origin_of(d, s->line);
	pr->type = xstrdup(s->type);
	pr->path = xstrdup(raw);
	pr->pattern = pattern;
	pr->reason = pattern ? note : reason;
}

static char *skip_reason(const char *type)
{
	if (strncmp(type, "REGISTRY_", 9) == 0)
		return xasprintf("%s: the Windows registry; logpack takes files (the hives "
		                 "themselves are files the windows profile takes)",
		                 type);
	if (strcmp(type, "WMI") == 0)
		return xstrdup("WMI: a query to a running Windows system; logpack reads files");
	if (strcmp(type, "COMMAND") == 0)
		return xstrdup("COMMAND: runs a program; logpack never runs the system's programs");
	return xasprintf("%s: not a source of files logpack can take", type);
}

static size_t def_index(const struct fa_set *set, const struct fa_def *d)
{
	return (size_t)(d - set->defs);
}

static void emit_def(struct emitter *e, const struct fa_def *d)
{
	e->visited[def_index(e->set, d)] = 1;
	e->stack[e->depth++] = d;
	e->res->n_definitions++;
	/* Every word from a definition goes through add_comment_text: a newline in a name or a
	 * type would otherwise end the comment and start a rule. */
	strbuf_addstr(e->out, "\n# ForensicArtifacts ");
	add_comment_text(e->out, d->name, 200);
	strbuf_addstr(e->out, " (");
	add_comment_text(e->out, d->file, 300);
	strbuf_addf(e->out, ":%d)", d->line);
	if (d->doc) {
		strbuf_addstr(e->out, ": ");
		add_comment_text(e->out, d->doc, 200);
	}
	strbuf_addch(e->out, '\n');
	for (size_t i = 0; i < d->n_urls; i++) {
		strbuf_addstr(e->out, "# ");
		add_comment_text(e->out, d->urls[i], 300);
		strbuf_addch(e->out, '\n');
	}
	for (size_t i = 0; i < d->n_sources; i++) {
		const struct fa_source *s = &d->sources[i];

		if (!os_in(s->oses, s->n_oses, e->o->os))
			continue;
		if (strcmp(s->type, "FILE") == 0 || strcmp(s->type, "DIRECTORY") == 0 ||
		    strcmp(s->type, "PATH") == 0) {
			for (size_t k = 0; k < s->n_items; k++)
				add_path(e, d, s, s->items[k]);
			continue;
		}
		if (strcmp(s->type, "ARTIFACT_GROUP") != 0) {
			add_skipped(e, d, s->line, s->type, skip_reason(s->type));
			strbuf_addstr(e->out, "# skipped: ");
			add_comment_text(e->out, s->type, 100);
			strbuf_addstr(e->out, " source\n");
			continue;
		}
		for (size_t k = 0; k < s->n_items; k++) {
			const struct fa_def *m = set_find(e->set, s->items[k]);
			size_t j;

			if (!m) {
				add_skipped(e, d, s->line, s->type,
				            xasprintf("ARTIFACT_GROUP names %s, which none of the "
				                      "given files defines",
				                      s->items[k]));
				continue;
			}
			for (j = 0; j < e->depth && e->stack[j] != m; j++)
				;
			if (j < e->depth) {
				struct strbuf cyc = STRBUF_INIT;

				for (; j < e->depth; j++)
					strbuf_addf(&cyc, "%s -> ", e->stack[j]->name);
				strbuf_addstr(&cyc, m->name);
				add_skipped(e, d, s->line, s->type,
				            xasprintf("group cycle: %s (not followed)", cyc.buf));
				strbuf_release(&cyc);
				continue;
			}
			if (e->visited[def_index(e->set, m)] ||
			    !os_in(m->oses, m->n_oses, e->o->os))
				continue; /* written once; or for another system */
			if (e->depth > FA_MAX_GROUP_DEPTH) {
				add_skipped(
				        e, d, s->line, s->type,
				        xasprintf("%s: groups nested deeper than %d (not followed)",
				                  m->name, FA_MAX_GROUP_DEPTH));
				continue;
			}
			emit_def(e, m);
		}
	}
	e->depth--;
}

/* The first word of a line, and where the rest begins. */
static int line_is_artifact(const char *line, const char **rest)
{
	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, "artifact", 8) != 0 || (line[8] != ' ' && line[8] != '\t'))
		return 0;
	*rest = line + 9;
	return 1;
}

static int import_template(struct emitter *e, const char *tname, const char *text,
                           struct error *err)
{
	const char *p = text;
	int lineno = 0;
	char *category = NULL;

	while (*p) {
		const char *nl = strchr(p, '\n'), *rest;
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, len), *t = line;

		lineno++;
		p += len + (nl ? 1 : 0);
		while (*t == ' ' || *t == '\t')
			t++;
		if (*t == '[' && strchr(t, ']')) {
			free(category);
			category = xstrndup(t + 1, (size_t)(strchr(t, ']') - t - 1));
		}
		if (!line_is_artifact(line, &rest)) {
			strbuf_addf(e->out, "%s\n", line);
			free(line);
			continue;
		}
		if (!category) {
			error_set(err,
			          "%s:%d: an artifact line before any [section]: its rules need a "
			          "category",
			          tname, lineno);
			free(line);
			free(category);
			return -1;
		}
		strbuf_addf(e->out, "# %s (resolved by logpack profiles import)\n", t);
		for (char *save = NULL, *w = strtok_r((char *)rest, " \t\r", &save); w && *w != '#';
		     w = strtok_r(NULL, " \t\r", &save)) {
			const struct fa_def *d = set_find(e->set, w);

			if (!d) {
				error_set(err,
				          "%s:%d: artifact %s: none of the given files defines it",
				          tname, lineno, w);
				free(line);
				free(category);
				return -1;
			}
			if (!os_in(d->oses, d->n_oses, e->o->os)) {
				add_skipped(e, d, d->line, "definition",
				            xasprintf("not for %s (supported_os)", e->o->os));
				continue;
			}
			if (!e->visited[def_index(e->set, d)])
				emit_def(e, d);
		}
		free(line);
	}
	free(category);
	return 0;
}

int fa_import(const struct fa_set *set, const struct fa_import_options *o,
              const char *template_name, const char *template_text, struct fa_import_result *out,
              struct error *err)
{
	struct strbuf text = STRBUF_INIT;
	struct emitter e = {0};
	int rc = 0;

	memset(out, 0, sizeof(*out));
	e.set = set;
	e.o = o;
	e.res = out;
	e.out = &text;
	e.visited = xcalloc(set->n ? set->n : 1, 1);
	strbuf_addstr(&text,
	              "# Made by 'logpack profiles import' from ForensicArtifacts definitions "
	              "(github.com/ForensicArtifacts/artifacts, Apache 2.0):\n");
	for (size_t i = 0; i < set->n_files; i++) {
		strbuf_addstr(&text, "#   ");
		add_comment_text(&text, set->files[i], 300);
		strbuf_addch(&text, '\n');
	}
	if (o->os)
		strbuf_addf(&text, "# for %s (supported_os)\n", o->os);
	for (size_t i = 0; i < set->n_problems; i++) {
		struct fa_skipped *sk;

		out->skipped = xreallocarray(out->skipped, out->n_skipped + 1, sizeof(*sk));
		sk = &out->skipped[out->n_skipped++];
		sk->artifact = xstrdup("(document)");
		sk->origin = xasprintf("%s:%d", set->problems[i].file, set->problems[i].line);
		sk->type = xstrdup("document");
		sk->reason = xstrdup(set->problems[i].message);
		out->n_unreadable++;
		strbuf_addstr(&text, "# a document not taken: ");
		add_comment_text(&text, set->problems[i].message, 300);
		strbuf_addch(&text, '\n');
	}
	if (template_text) {
		rc = import_template(&e, template_name, template_text, err);
	} else {
		strbuf_addf(&text, "name %s\n", o->name ? o->name : "forensic-artifacts");
		strbuf_addf(&text, "description ForensicArtifacts definitions%s%s\n",
		            o->os ? " for " : "", o->os ? o->os : "");
		strbuf_addf(&text, "case %s\n",
		            o->os && (strcasecmp(o->os, "darwin") == 0 ||
		                      strcasecmp(o->os, "windows") == 0)
		                    ? "insensitive"
		                    : "sensitive");
		strbuf_addf(&text, "\n[%s]\n", o->category ? o->category : "artifacts");
		for (size_t i = 0; i < set->n; i++)
			if (!e.visited[i] && os_in(set->defs[i].oses, set->defs[i].n_oses, o->os))
				emit_def(&e, &set->defs[i]);
	}
	free(e.visited);
	strv_free(e.patterns, e.n_patterns);
	if (rc < 0) {
		strbuf_release(&text);
		fa_import_result_free(out);
		return -1;
	}
	out->profile = strbuf_detach(&text);
	return 0;
}

void fa_import_result_free(struct fa_import_result *r)
{
	for (size_t i = 0; i < r->n_paths; i++) {
		free(r->paths[i].artifact);
		free(r->paths[i].origin);
		free(r->paths[i].type);
		free(r->paths[i].path);
		free(r->paths[i].pattern);
		free(r->paths[i].reason);
	}
	free(r->paths);
	for (size_t i = 0; i < r->n_skipped; i++) {
		free(r->skipped[i].artifact);
		free(r->skipped[i].origin);
		free(r->skipped[i].type);
		free(r->skipped[i].reason);
	}
	free(r->skipped);
	free(r->profile);
	memset(r, 0, sizeof(*r));
}
