/*
 * ForensicArtifacts definitions (read by profile-import-parse.c) into a logpack profile: each
 * path is mapped to a profile pattern and checked with the profile parser itself, so what is
 * written always loads.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gather/profile-import-private.h"
#include "gather/profile.h"

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
			const struct fa_def *m = fa_set_find(e->set, s->items[k]);
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
			const struct fa_def *d = fa_set_find(e->set, w);

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
	fa_strv_free(e.patterns, e.n_patterns);
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
