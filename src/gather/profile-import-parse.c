/*
 * ForensicArtifacts definitions read from YAML: libyaml's event parser builds a small tree per
 * document (bounded in size, depth and count; aliases refused), which is then taken apart into
 * definitions. A document that cannot be read is reported and the others are taken.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "gather/profile-import-private.h"

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

struct fa_set *fa_set_new(void)
{
	return xcalloc(1, sizeof(struct fa_set));
}

void fa_strv_free(char **v, size_t n)
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
	fa_strv_free(d->oses, d->n_oses);
	fa_strv_free(d->urls, d->n_urls);
	for (size_t i = 0; i < d->n_sources; i++) {
		free(d->sources[i].type);
		fa_strv_free(d->sources[i].oses, d->sources[i].n_oses);
		fa_strv_free(d->sources[i].items, d->sources[i].n_items);
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
	fa_strv_free(set->files, set->n_files);
	free(set);
}

const struct fa_def *fa_set_find(const struct fa_set *set, const char *name)
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
			fa_strv_free(*out, i);
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
	if ((dup = fa_set_find(set, name->value))) {
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
