/* Checking a profile: every error with its line, and warnings about rules that cannot work. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gather/profile-builtin.h"
#include "gather/profile-private.h"
#include "gather/profile.h"

void profile_issues_free(struct profile_issue *issues, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(issues[i].message);
	free(issues);
}

static void LP_ATTR_PRINTF(5, 6) issue_add(struct profile_issue **issues, size_t *count, int line,
                                           int fatal, const char *fmt, ...)
{
	va_list ap;

	*issues = xreallocarray(*issues, *count + 1, sizeof(**issues));
	(*issues)[*count].line = line;
	(*issues)[*count].fatal = fatal;
	va_start(ap, fmt);
	(*issues)[*count].message = xvasprintf(fmt, ap);
	va_end(ap);
	(*count)++;
}

/* The message without its leading "line N: ", which an issue carries apart. */
static const char *without_line_prefix(const char *msg)
{
	const char *p = msg;

	if (!str_has_prefix(p, "line "))
		return msg;
	p += 5;
	while (isdigit((unsigned char)*p))
		p++;
	return str_has_prefix(p, ": ") ? p + 2 : msg;
}

/* The line number at the end of a rule's origin ("debian:12"). */
static int origin_line(const char *origin)
{
	const char *colon = strrchr(origin, ':');

	return colon ? atoi(colon + 1) : 0;
}

/*
 * Replace line `line` of text so that parsing can go on past it: a bad section header becomes a
 * harmless one (its rules then still get checked), anything else a comment.
 */
static void neutralise_line(struct strbuf *text, int line)
{
	struct strbuf out = STRBUF_INIT;
	const char *pos = text->buf, *end = text->buf + text->len;
	int n = 0;

	while (pos < end) {
		const char *nl = memchr(pos, '\n', (size_t)(end - pos));
		size_t llen = nl ? (size_t)(nl - pos) : (size_t)(end - pos);

		if (++n == line) {
			const char *s = pos;

			while (s < pos + llen && (*s == ' ' || *s == '\t'))
				s++;
			strbuf_addstr(&out, s < pos + llen && *s == '[' ? "[invalid]" : "#");
		} else {
			strbuf_add(&out, pos, llen);
		}
		if (nl)
			strbuf_addch(&out, '\n');
		pos += llen + (nl ? 1 : 0);
	}
	strbuf_release(text);
	*text = out;
}

/* Warnings about a profile that parses: rules given twice, IDs that can never match. */
static void check_sanity(const struct profile *p, int fatal, struct profile_issue **issues,
                         size_t *count)
{
	/* With errors, rules were dropped: "collects nothing" would be noise. */
	if (p->n_rules == 0 && p->n_includes == 0 && fatal == 0)
		issue_add(issues, count, 0, 0, "collects nothing: no rules and no includes");
	for (size_t i = 0; i < p->n_matches; i++) {
		const char *v = p->matches[i].value;

		if (strcmp(p->matches[i].key, "file") == 0)
			continue;
		for (; *v; v++) {
			if (!(islower((unsigned char)*v) || isdigit((unsigned char)*v) ||
			      strchr("._-", *v))) {
				issue_add(issues, count, p->matches[i].line, 0,
				          "%s=%s can never match: os-release IDs are lowercase "
				          "letters, digits, '.', '_' and '-' (os-release(5))",
				          p->matches[i].key, p->matches[i].value);
				break;
			}
		}
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		for (size_t j = 0; j < i; j++) {
			if (strcmp(p->rules[i].pattern, p->rules[j].pattern) != 0)
				continue;
			if (strcmp(p->rules[i].category, p->rules[j].category) == 0)
				issue_add(issues, count, origin_line(p->rules[i].origin), 0,
				          "'%s' repeats the rule of line %d", p->rules[i].pattern,
				          origin_line(p->rules[j].origin));
			else
				issue_add(issues, count, origin_line(p->rules[i].origin), 0,
				          "'%s' is already in [%s] at line %d; a file is collected "
				          "once, under the first",
				          p->rules[i].pattern, p->rules[j].category,
				          origin_line(p->rules[j].origin));
			break;
		}
	}
}

/* Load each include of p, as profile_load would, and report what fails at its line. */
static int check_includes(const struct profile *p, const char *path, const char *name,
                          struct profile_issue **issues, size_t *count)
{
	int fatal = 0;

	for (size_t i = 0; i < p->n_includes; i++) {
		struct profile *sub = xcalloc(1, sizeof(*sub));
		const char *chain[PROFILE_MAX_DEPTH];
		char *ipath = profile_include_path(path, p->includes[i]);
		struct error err = {{0}};
		int bad_line = 0;

		chain[0] = name;
		if (profile_load_into(sub, ipath, p->includes[i], chain, 1, &bad_line, &err) < 0) {
			issue_add(issues, count, p->include_lines[i], 1, "include %s: %s",
			          p->includes[i], err.msg);
			fatal++;
		}
		free(ipath);
		profile_free(sub);
	}
	return fatal;
}

int profile_check(const char *name_or_path, struct profile_issue **issues_out, size_t *count_out,
                  struct error *err)
{
	struct profile_issue *issues = NULL;
	struct strbuf work = STRBUF_INIT;
	struct profile *p = NULL, *full = NULL;
	char *path, *name, *text = NULL;
	size_t count = 0, len;
	int fatal = 0, rc = -1;

	profile_locate(name_or_path, &path, &name);
	if (profile_text_read(path, PROFILE_MAX_BYTES, &text, &len) < 0) {
		if (errno == EFBIG)
			error_set(err, "%s: larger than %d bytes, not a profile", path,
			          PROFILE_MAX_BYTES);
		else
			error_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	strbuf_add(&work, text, len);
	/* Parse, and after each error parse again without the bad line, to report them all. */
	for (int round = 0; round < 100; round++) {
		struct error perr = {{0}};
		int line = 0;

		if (profile_parse_line(work.buf, work.len, name, &p, &line, &perr) == 0)
			break;
		p = NULL;
		issue_add(&issues, &count, line, 1, "%s", without_line_prefix(perr.msg));
		fatal++;
		if (line == 0)
			break;
		neutralise_line(&work, line);
	}
	if (p != NULL) {
		check_sanity(p, fatal, &issues, &count);
		fatal += check_includes(p, path, name, &issues, &count);
	}
	/* With everything loading, look for rules that an include already has. */
	if (fatal == 0 && profile_load(path, &full, err) == 0) {
		for (size_t i = 0; i < full->n_rules; i++) {
			const struct rule *r = &full->rules[i];

			if (!str_has_prefix(r->origin, name) || r->origin[strlen(name)] != ':')
				continue;
			for (size_t j = 0; j < i; j++) {
				if (strcmp(full->rules[j].pattern, r->pattern) == 0 &&
				    strcmp(full->rules[j].origin, r->origin) != 0 &&
				    !(str_has_prefix(full->rules[j].origin, name) &&
				      full->rules[j].origin[strlen(name)] == ':')) {
					issue_add(&issues, &count, origin_line(r->origin), 0,
					          "'%s' is already collected by an include (%s)",
					          r->pattern, full->rules[j].origin);
					break;
				}
			}
		}
	}
	/* Sort by line, keeping the order of issues on one line (insertion sort: few issues). */
	for (size_t i = 1; i < count; i++) {
		struct profile_issue t = issues[i];
		size_t j = i;

		for (; j > 0 && issues[j - 1].line > t.line; j--)
			issues[j] = issues[j - 1];
		issues[j] = t;
	}
	*issues_out = issues;
	*count_out = count;
	issues = NULL;
	rc = fatal;
out:
	profile_issues_free(issues, issues ? count : 0);
	profile_free(p);
	profile_free(full);
	strbuf_release(&work);
	free(text);
	free(path);
	free(name);
	return rc;
}
