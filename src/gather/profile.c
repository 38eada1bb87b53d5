/* Profile parsing, include resolution and lookup of the stock profiles (checks: profile-check.c).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gather/profile-builtin.h"
#include "gather/profile-private.h"
#include "gather/profile.h"

const char *profile_dir(void)
{
	static char *dir;
	char exe[PATH_MAX];
	ssize_t n;
	const char *env = getenv("LOGPACK_PROFILE_DIR");

	if (env && *env)
		return env;
	if (profile_builtin_enabled())
		return PROFILE_BUILTIN_DIR;
	if (dir)
		return dir;
	/* A binary still in its build tree uses the source tree's profiles, so tests and
	 * developers never pick up an older installed copy by accident. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		size_t blen = strlen(LOGPACK_BUILD_DIR);

		exe[n] = '\0';
		if (strncmp(exe, LOGPACK_BUILD_DIR, blen) == 0 && exe[blen] == '/') {
			dir = xstrdup(LOGPACK_SOURCE_DIR "/profiles");
			return dir;
		}
	}
	dir = xstrdup(LOGPACK_PKGDATA_DIR "/profiles");
	return dir;
}

static void rule_free_fields(struct rule *r)
{
	free(r->pattern);
	free(r->category);
	free(r->origin);
}

void profile_free(struct profile *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->description);
	for (size_t i = 0; i < p->n_matches; i++) {
		free(p->matches[i].key);
		free(p->matches[i].value);
	}
	free(p->matches);
	for (size_t i = 0; i < p->n_includes; i++)
		free(p->includes[i]);
	free(p->includes);
	free(p->include_lines);
	for (size_t i = 0; i < p->n_rules; i++)
		rule_free_fields(&p->rules[i]);
	free(p->rules);
	for (size_t i = 0; i < p->n_files; i++) {
		free(p->files[i].name);
		free(p->files[i].path);
	}
	free(p->files);
	free(p);
}

/* Split the next blank-separated word off *p; a word may be "double quoted" to hold blanks. */
static int next_word(char **p, char **word, struct error *err, int line)
{
	char *s = *p, *out;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0') {
		*word = NULL;
		*p = s;
		return 0;
	}
	if (*s == '"') {
		out = *word = ++s;
		while (*s && *s != '"') {
			if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				s++;
			*out++ = *s++;
		}
		if (*s != '"') {
			error_set(err, "line %d: unterminated quote", line);
			return -1;
		}
		s++;
		if (*s != '\0' && *s != ' ' && *s != '\t') {
			error_set(err, "line %d: text after closing quote", line);
			return -1;
		}
		*out = '\0';
		if (*s)
			s++;
	} else {
		*word = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
	}
	*p = s;
	return 0;
}

/*
 * Is the glob well formed: "**" only as a whole component (it means any depth, which inside a
 * name would be ambiguous), every '[' closed within its component?
 */
static int pattern_syntax_ok(const char *pattern, const char **why)
{
	const char *comp = pattern;

	while (*comp) {
		const char *end = strchr(comp, '/');
		size_t len = end ? (size_t)(end - comp) : strlen(comp);

		for (size_t i = 0; i < len; i++) {
			if (comp[i] == '\\') {
				i++;
				continue;
			}
			if (comp[i] == '*' && i + 1 < len && comp[i + 1] == '*' && len != 2) {
				*why = "uses '**' inside a name (it must be a whole path "
				       "component)";
				return 0;
			}
			if (comp[i] == '[') {
				size_t j = i + 1;

				if (j < len && (comp[j] == '!' || comp[j] == '^'))
					j++;
				if (j < len && comp[j] == ']')
					j++;
				while (j < len && comp[j] != ']')
					j++;
				if (j >= len) {
					*why = "has a '[' without its ']' (write \\[ for a literal "
					       "one)";
					return 0;
				}
				i = j;
			}
		}
		comp += len;
		while (*comp == '/')
			comp++;
	}
	return 1;
}

/* Is the pattern confined to the root: absolute or "~/", and without "." or ".." parts? */
static int pattern_is_safe(const char *pattern, const char **why)
{
	const char *p;

	if (str_has_prefix(pattern, "~/"))
		p = pattern + 1;
	else if (pattern[0] == '/')
		p = pattern;
	else {
		*why = "must start with '/' or '~/'";
		return 0;
	}
	while (*p) {
		const char *end;
		size_t len;

		while (*p == '/')
			p++;
		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
			*why = "'.' and '..' would leave the root";
			return 0;
		}
		p += len;
	}
	if (strcmp(pattern, "/") == 0 || strcmp(pattern, "~/") == 0) {
		*why = "names a directory, not files";
		return 0;
	}
	if (str_has_suffix(pattern, "/")) {
		*why = "ends with '/' (use DIR/** for every file below a directory)";
		return 0;
	}
	return pattern_syntax_ok(pattern, why);
}

static int valid_category(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-' ||
		      *s == '_'))
			return 0;
	return 1;
}

static int parse_rule_line(struct profile *p, char *rest, const char *category, const char *name,
                           int line, struct error *err)
{
	struct rule r = {0};
	const char *why;
	char *word;

	if (next_word(&rest, &word, err, line) < 0)
		return -1;
	if (!pattern_is_safe(word, &why)) {
		error_set(err, "line %d: pattern '%s' %s", line, word, why);
		return -1;
	}
	if (category == NULL) {
		error_set(err, "line %d: pattern '%s' before any [category]", line, word);
		return -1;
	}
	r.pattern = xstrdup(word);
	r.flags = p->nocase ? RULE_NOCASE : 0;
	for (;;) {
		if (next_word(&rest, &word, err, line) < 0)
			goto fail;
		/* A word starting with '#' begins a comment, as a whole line does. */
		if (word == NULL || word[0] == '#')
			break;
		if (str_has_prefix(word, "max-size=")) {
			if (parse_size(word + 9, &r.max_size) < 0 || r.max_size == 0) {
				error_set(err, "line %d: bad size '%s' (try 512K, 100M, 2G)", line,
				          word + 9);
				goto fail;
			}
		} else if (strcmp(word, "expected") == 0) {
			r.flags |= RULE_EXPECTED;
		} else if (strcmp(word, "optional") == 0) {
			r.flags &= ~(unsigned)RULE_EXPECTED;
		} else if (strcmp(word, "nocase") == 0) {
			r.flags |= RULE_NOCASE;
		} else if (strcmp(word, "case") == 0) {
			r.flags &= ~(unsigned)RULE_NOCASE;
		} else if (strcmp(word, "syslog") == 0) {
			r.flags |= RULE_SYSLOG;
		} else {
			error_set(err, "line %d: unknown rule option '%s'", line, word);
			goto fail;
		}
	}
	r.category = xstrdup(category);
	r.origin = xasprintf("%s:%d", name, line);
	p->rules = xreallocarray(p->rules, p->n_rules + 1, sizeof(*p->rules));
	p->rules[p->n_rules++] = r;
	return 0;
fail:
	rule_free_fields(&r);
	return -1;
}

/* A marker file is looked up literally under the root: no wildcards, no way out of it. */
static int match_file_ok(const char *path)
{
	const char *why;

	if (strpbrk(path, "*?[\\") != NULL)
		return 0;
	return pattern_is_safe(path, &why);
}

static int parse_directive(struct profile *p, const char *key, char *rest, int line,
                           struct error *err)
{
	char *word;

	if (strcmp(key, "name") == 0 || strcmp(key, "description") == 0) {
		while (*rest == ' ' || *rest == '\t')
			rest++;
		if (*rest == '\0') {
			error_set(err, "line %d: '%s' needs a value", line, key);
			return -1;
		}
		char **field = key[0] == 'n' ? &p->name : &p->description;
		free(*field);
		*field = xstrdup(rest);
		return 0;
	}
	if (strcmp(key, "include") == 0) {
		int n = 0;

		while (next_word(&rest, &word, err, line) == 0 && word) {
			if (strchr(word, '/') || word[0] == '.') {
				error_set(err, "line %d: include takes a profile name, not a path",
				          line);
				return -1;
			}
			p->includes =
			        xreallocarray(p->includes, p->n_includes + 1, sizeof(*p->includes));
			p->include_lines = xreallocarray(p->include_lines, p->n_includes + 1,
			                                 sizeof(*p->include_lines));
			p->include_lines[p->n_includes] = line;
			p->includes[p->n_includes++] = xstrdup(word);
			n++;
		}
		if (err->msg[0] && n == 0)
			return -1;
		if (n == 0) {
			error_set(err, "line %d: include needs a profile name", line);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "match") == 0) {
		int n = 0;

		for (;;) {
			char *eq;

			if (next_word(&rest, &word, err, line) < 0)
				return -1;
			if (word == NULL)
				break;
			eq = strchr(word, '=');
			if (eq == NULL || eq[1] == '\0') {
				error_set(err, "line %d: match takes KEY=VALUE, not '%s'", line,
				          word);
				return -1;
			}
			*eq = '\0';
			if (strcmp(word, "id") != 0 && strcmp(word, "id_like") != 0 &&
			    strcmp(word, "file") != 0) {
				error_set(err,
				          "line %d: unknown match key '%s' (id, id_like, file)",
				          line, word);
				return -1;
			}
			if (strcmp(word, "file") == 0 && eq[1] != '/') {
				error_set(err, "line %d: match file= needs an absolute path", line);
				return -1;
			}
			if (strcmp(word, "file") == 0 && !match_file_ok(eq + 1)) {
				error_set(err,
				          "line %d: match file=%s must be a plain path inside the "
				          "root "
				          "(no '.', '..' or wildcards)",
				          line, eq + 1);
				return -1;
			}
			p->matches =
			        xreallocarray(p->matches, p->n_matches + 1, sizeof(*p->matches));
			p->matches[p->n_matches].key = xstrdup(word);
			p->matches[p->n_matches].value = xstrdup(eq + 1);
			p->matches[p->n_matches].line = line;
			p->n_matches++;
			n++;
		}
		if (n == 0) {
			error_set(err, "line %d: match needs KEY=VALUE", line);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "case") == 0) {
		if (next_word(&rest, &word, err, line) < 0)
			return -1;
		if (word && strcmp(word, "insensitive") == 0)
			p->nocase = 1;
		else if (word && strcmp(word, "sensitive") == 0)
			p->nocase = 0;
		else {
			error_set(err, "line %d: case takes 'sensitive' or 'insensitive'", line);
			return -1;
		}
		return 0;
	}
	error_set(err, "line %d: unknown key '%s'", line, key);
	return -1;
}

/* Is key one of the directives that may only come before the first section? */
static int is_directive(const char *key)
{
	static const char *const keys[] = {"name", "description", "match", "include", "case"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

/* profile_parse, also saying which line was bad (0 when the text as a whole is). */
int profile_parse_line(const char *text, size_t len, const char *name, struct profile **out,
                       int *bad_line, struct error *err)
{
	struct profile *p = xcalloc(1, sizeof(*p));
	char *category = NULL;
	const char *pos = text, *end = text + len, *nul;
	int line = 0;

	err->msg[0] = '\0';
	*bad_line = 0;
	if ((nul = memchr(text, '\0', len)) != NULL) {
		/* Text is NUL-terminated line by line below: a NUL would hide the rest of a line.
		 */
		*bad_line = 1;
		for (const char *q = text; q < nul; q++)
			*bad_line += *q == '\n';
		error_set(err, "line %d: NUL byte (a profile is text)", *bad_line);
		goto fail;
	}
	while (pos < end) {
		const char *nl = memchr(pos, '\n', (size_t)(end - pos));
		size_t llen = nl ? (size_t)(nl - pos) : (size_t)(end - pos);
		char *buf = xstrndup(pos, llen), *s = buf, *e;
		int rc = 0;

		line++;
		pos += llen + (nl ? 1 : 0);
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#') {
			free(buf);
			continue;
		}
		if (*s == '[') {
			char *close = strchr(s, ']');

			if (close == NULL || close[1] != '\0') {
				error_set(err, "line %d: malformed section header", line);
				rc = -1;
			} else {
				*close = '\0';
				if (!valid_category(s + 1)) {
					error_set(err,
					          "line %d: bad category '%s' (lowercase letters, "
					          "digits, '-' and '_')",
					          line, s + 1);
					rc = -1;
				} else {
					free(category);
					category = xstrdup(s + 1);
				}
			}
		} else if (*s == '/' || *s == '~' || *s == '"') {
			rc = parse_rule_line(p, s, category, name, line, err);
		} else {
			char *key = s;

			while (*s && *s != ' ' && *s != '\t')
				s++;
			if (*s)
				*s++ = '\0';
			if (strcmp(key, "artifact") == 0) {
				/* A template for the importer, not yet a profile. */
				error_set(err,
				          "line %d: 'artifact' lines name ForensicArtifacts "
				          "definitions: resolve them with 'logpack profiles import "
				          "--template FILE DEFINITIONS.yaml...'",
				          line);
				rc = -1;
			} else if (category != NULL && !is_directive(key)) {
				error_set(err,
				          "line %d: pattern '%s' must start with '/' or '~/' "
				          "(or be quoted)",
				          line, key);
				rc = -1;
			} else if (category != NULL) {
				error_set(err,
				          "line %d: '%s' must come before the first [category]",
				          line, key);
				rc = -1;
			} else {
				rc = parse_directive(p, key, s, line, err);
			}
		}
		free(buf);
		if (rc < 0) {
			*bad_line = line;
			goto fail;
		}
	}
	free(category);
	if (p->name == NULL)
		p->name = xstrdup(name);
	*out = p;
	return 0;
fail:
	free(category);
	profile_free(p);
	return -1;
}

int profile_parse(const char *text, size_t len, const char *name, struct profile **out,
                  struct error *err)
{
	int bad_line;

	return profile_parse_line(text, len, name, out, &bad_line, err);
}

/* Where an include written in the file at including_path is found: the stock directory first,
 * then beside the including file. */
char *profile_include_path(const char *including_path, const char *name)
{
	char *ipath = xasprintf("%s/%s", profile_dir(), name);
	char *dir, *slash;

	if (profile_text_exists(ipath))
		return ipath;
	free(ipath);
	dir = xstrdup(including_path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	ipath = xasprintf("%s/%s", dir, name);
	free(dir);
	return ipath;
}

/*
 * Load one file and, depth first, what it includes; chain holds the names being loaded. On
 * failure *bad_line is the line of the top file that led to it (0 when none does).
 */
int profile_load_into(struct profile *top, const char *path, const char *name, const char **chain,
                      int depth, int *bad_line, struct error *err)
{
	struct profile *p = NULL;
	char *text = NULL;
	size_t len;
	int rc = -1, line;

	for (int i = 0; i < depth; i++) {
		if (strcmp(chain[i], name) == 0) {
			struct strbuf sb = STRBUF_INIT;

			for (int j = i; j < depth; j++)
				strbuf_addf(&sb, "%s -> ", chain[j]);
			strbuf_addstr(&sb, name);
			error_set(err, "include cycle: %s", sb.buf);
			strbuf_release(&sb);
			return -1;
		}
	}
	if (depth >= PROFILE_MAX_DEPTH) {
		error_set(err, "includes nested deeper than %d", PROFILE_MAX_DEPTH);
		return -1;
	}
	/* A profile reached twice by different routes (a diamond) gives its rules once. */
	for (size_t i = 0; depth > 0 && i < top->n_files; i++)
		if (strcmp(top->files[i].path, path) == 0)
			return 0;
	if (profile_text_read(path, PROFILE_MAX_BYTES, &text, &len) < 0) {
		if (errno == ENOENT)
			error_set(err, "profile '%s' not found (looked for %s)", name, path);
		else if (errno == EFBIG)
			error_set(err, "%s: larger than %d bytes, not a profile", path,
			          PROFILE_MAX_BYTES);
		else
			error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (profile_parse_line(text, len, name, &p, &line, err) < 0) {
		if (depth == 0)
			*bad_line = line;
		error_prefix(err, "%s", path);
		goto out;
	}
	top->files = xreallocarray(top->files, top->n_files + 1, sizeof(*top->files));
	top->files[top->n_files].name = xstrdup(p->name);
	top->files[top->n_files].path = xstrdup(path);
	if (sha256_hex(text, len, top->files[top->n_files].sha256, err) < 0)
		goto out;
	top->n_files++;
	chain[depth] = name;
	for (size_t i = 0; i < p->n_includes; i++) {
		char *ipath = profile_include_path(path, p->includes[i]);

		rc = profile_load_into(top, ipath, p->includes[i], chain, depth + 1, bad_line, err);
		free(ipath);
		if (rc < 0) {
			if (depth == 0)
				*bad_line = p->include_lines[i];
			error_prefix(err, "%s: line %d: include %s", path, p->include_lines[i],
			             p->includes[i]);
			goto out;
		}
		rc = -1;
	}
	if (depth == 0) {
		top->name = xstrdup(p->name);
		top->description = p->description ? xstrdup(p->description) : NULL;
		top->nocase = p->nocase;
		top->matches = p->matches;
		top->n_matches = p->n_matches;
		p->matches = NULL;
		p->n_matches = 0;
		top->includes = p->includes;
		top->include_lines = p->include_lines;
		top->n_includes = p->n_includes;
		p->includes = NULL;
		p->include_lines = NULL;
		p->n_includes = 0;
	}
	if (p->n_rules > 0) {
		top->rules =
		        xreallocarray(top->rules, top->n_rules + p->n_rules, sizeof(*top->rules));
		memcpy(top->rules + top->n_rules, p->rules, p->n_rules * sizeof(*p->rules));
		top->n_rules += p->n_rules;
		p->n_rules = 0;
	}
	rc = 0;
out:
	free(text);
	profile_free(p);
	return rc;
}

/*
 * The file a name or path refers to, and the name that labels it. A path with a '/' is a file;
 * a bare name is the stock profile of that name when there is one (so that a file planted in
 * the current directory cannot stand in for it), else a file of that name in the current
 * directory, else the stock path (whose absence the loader reports).
 */
void profile_locate(const char *name_or_path, char **path, char **name)
{
	struct stat st;

	if (strchr(name_or_path, '/')) {
		const char *base = strrchr(name_or_path, '/') + 1;

		*path = xstrdup(name_or_path);
		*name = xstrdup(*base ? base : name_or_path);
		return;
	}
	*path = xasprintf("%s/%s", profile_dir(), name_or_path);
	*name = xstrdup(name_or_path);
	if (!profile_text_exists(*path) && stat(name_or_path, &st) == 0 && !S_ISDIR(st.st_mode)) {
		free(*path);
		*path = xasprintf("./%s", name_or_path);
	}
}

int profile_load(const char *name_or_path, struct profile **out, struct error *err)
{
	struct profile *top = xcalloc(1, sizeof(*top));
	const char *chain[PROFILE_MAX_DEPTH];
	char *path, *name;
	int bad_line = 0;

	profile_locate(name_or_path, &path, &name);
	if (profile_load_into(top, path, name, chain, 0, &bad_line, err) < 0) {
		free(path);
		free(name);
		profile_free(top);
		return -1;
	}
	free(path);
	free(name);
	*out = top;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int profile_list(char ***names_out, size_t *count_out, struct error *err)
{
	const char *dir = profile_dir();
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	if (strcmp(dir, PROFILE_BUILTIN_DIR) == 0) {
		profile_builtin_list(names_out, count_out);
		qsort(*names_out, *count_out, sizeof(**names_out), cmp_str);
		return 0;
	}
	if ((d = opendir(dir)) == NULL) {
		error_set(err, "profile directory %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strchr(de->d_name, '~') ||
		    str_has_suffix(de->d_name, ".md"))
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	*names_out = names;
	*count_out = n;
	return 0;
}
