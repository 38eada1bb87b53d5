/* Unit tests: the profile parser, including hostile input. */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "gather/profile.h"
#include "tap.h"

static int parse(const char *text, struct profile **p, struct error *err)
{
	*p = NULL;
	return profile_parse(text, strlen(text), "test", p, err);
}

static void rejects(const char *text, const char *line_text, const char *what)
{
	struct profile *p;
	struct error err = {{0}};

	ok(parse(text, &p, &err) < 0 && strstr(err.msg, line_text) != NULL, "rejects %s (%s)", what,
	   err.msg);
	profile_free(p);
}

int main(void)
{
	struct profile *p;
	struct error err = {{0}};
	const char *good = "# comment\n"
	                   "description Test systems\n"
	                   "match id=debian id_like=debian\n"
	                   "include linux\n"
	                   "\n"
	                   "[auth]\n"
	                   "/var/log/auth.log*   expected\n"
	                   "\"/Program Files/x y/*.log\" nocase max-size=2M\n"
	                   "[application]\n"
	                   "~/.bash_history\n"
	                   "/var/log/nginx/**\n";

	ok(parse(good, &p, &err) == 0, "parses a good profile (%s)", err.msg);
	if (p) {
		ok(p->n_rules == 4, "four rules");
		ok(p->n_matches == 2, "two match terms");
		ok(p->n_includes == 1 && strcmp(p->includes[0], "linux") == 0, "include recorded");
		is_str(p->rules[0].category, "auth", "category of first rule");
		ok(p->rules[0].flags & RULE_EXPECTED, "expected flag");
		is_str(p->rules[1].pattern, "/Program Files/x y/*.log", "quoted pattern");
		ok((p->rules[1].flags & RULE_NOCASE) && p->rules[1].max_size == 2 * 1048576,
		   "nocase and max-size");
		is_str(p->rules[2].pattern, "~/.bash_history", "home pattern");
		is_str(p->rules[3].origin, "test:11", "origin has the line number");
	}
	profile_free(p);

	rejects("[auth]\n/var/log/x bogus\n", "line 2", "unknown rule option");
	rejects("frob x\n", "line 1", "unknown key");
	rejects("[auth]\n/var/log/x max-size=lots\n", "line 2", "bad size");
	rejects("[auth]\n/var/../etc/shadow\n", "line 2", "pattern with ..");
	rejects("[auth]\nvar/log/x\n", "line 2", "relative pattern");
	rejects("/var/log/x\n", "line 1", "pattern before a category");
	rejects("[Auth Logs]\n", "line 1", "bad category name");
	rejects("match os=debian\n", "line 1", "unknown match key");
	rejects("include ../etc/passwd\n", "line 1", "include with a path");
	rejects("[auth]\n\"/var/log/x\n", "line 2", "unterminated quote");
	rejects("[auth]\n/var/log/x\nname late\n", "line 3", "directive after a category");
	rejects("[auth]\n/var/log/a**b\n", "line 2", "** inside a name");
	rejects("[auth]\n/var/log/[ab\n", "line 2", "unterminated [");
	rejects("[auth]\n/var/log/\n", "line 2", "trailing slash");
	rejects("[auth]\n~/../x\n", "line 2", "home pattern with ..");
	rejects("match file=/../etc/passwd\n", "line 1", "marker file with ..");
	rejects("match file=/etc/*-release\n", "line 1", "wildcard marker file");
	rejects("[auth]\nvar/log/x\n", "must start with", "a relative pattern, said as such");
	{
		static const char nul_text[] = "[auth]\n/x\n/var/\0log\n";

		p = NULL;
		ok(profile_parse(nul_text, sizeof(nul_text) - 1, "nul", &p, &err) < 0 &&
		           strstr(err.msg, "line 3") != NULL,
		   "a NUL byte is named with its line (%s)", err.msg);
		profile_free(p);
	}
	ok(parse("[auth]\n/var/log/[!a]x/**/y.log expected # trailing comment\n/a/\\[x\n", &p,
	         &err) == 0,
	   "classes, '**', escaped '[' and a trailing comment parse (%s)", err.msg);
	if (p)
		ok(p->n_rules == 2 && (p->rules[0].flags & RULE_EXPECTED),
		   "two rules, expected kept");
	profile_free(p);
	ok(parse("match id=a id=b\nmatch file=/x file=/y\n[s]\n/z\n", &p, &err) == 0 && p &&
	           p->n_matches == 4 && p->matches[0].line == 1 && p->matches[1].line == 1 &&
	           p->matches[2].line == 2 && p->matches[3].line == 2,
	   "match terms remember their line (their group)");
	profile_free(p);

	/* Arbitrary bytes never crash the parser; each either parses or names a line. */
	srand(1);
	int sane = 1;
	for (int i = 0; i < 20000; i++) {
		char buf[256];
		size_t len = (size_t)(rand() % (int)sizeof(buf));
		static const char alphabet[] = "[]/~\"=\\ \t\n#*?abcdemx-.";

		for (size_t j = 0; j < len; j++)
			buf[j] = (rand() % 4) ? alphabet[rand() % (int)(sizeof(alphabet) - 1)]
			                      : (char)(rand() % 256);
		err.msg[0] = '\0';
		p = NULL;
		if (profile_parse(buf, len, "fuzz", &p, &err) < 0) {
			if (strstr(err.msg, "line ") == NULL && strstr(err.msg, "NUL") == NULL)
				sane = 0;
		}
		profile_free(p);
	}
	ok(sane, "20000 random inputs: no crash, every error names a line");

	/* profile_check goes on past each error: arbitrary files never crash it, never loop, and
	 * every issue it reports carries a line inside the file (or 0 for the whole file). */
	{
		char path[] = "/tmp/logpack-unit-check.XXXXXX";
		int fd = mkstemp(path), check_sane = fd >= 0;

		for (int i = 0; i < 2000 && check_sane; i++) {
			char buf[512];
			size_t len = (size_t)(rand() % (int)sizeof(buf)), n = 0;
			static const char alphabet[] = "[]/~\"=\\ \t\n\n\n#*?abcdemx-.";
			struct profile_issue *issues = NULL;
			int lines = 1, fatal;

			for (size_t j = 0; j < len; j++) {
				buf[j] = (rand() % 6)
				                 ? alphabet[rand() % (int)(sizeof(alphabet) - 1)]
				                 : (char)(rand() % 256);
				lines += buf[j] == '\n';
			}
			if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, len, 0) != (ssize_t)len) {
				check_sane = 0;
				break;
			}
			fatal = profile_check(path, &issues, &n, &err);
			if (fatal < 0)
				check_sane = 0;
			for (size_t k = 0; fatal >= 0 && k < n; k++)
				if (issues[k].line < 0 || issues[k].line > lines)
					check_sane = 0;
			if (fatal > 0 && n == 0)
				check_sane = 0;
			profile_issues_free(issues, n);
		}
		ok(check_sane,
		   "2000 random files: profile_check reports every issue at a real line");
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
	}
	return tap_done();
}
