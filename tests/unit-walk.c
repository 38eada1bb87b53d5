/* Unit tests: expanding profile patterns under a root the test builds, never leaving it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gather/walk.h"
#include "tap.h"

static char base[64];

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	fp = fopen(path, "w");
	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
}

static void dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
}

static void link_to(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	if (symlink(target, path) < 0) {
		perror(path);
		exit(1);
	}
}

static const char *kind_name(enum entry_kind k)
{
	return k == ENTRY_FILE      ? "file"
	       : k == ENTRY_LINK    ? "link"
	       : k == ENTRY_SPECIAL ? "special"
	                            : "excluded";
}

/* "path=kind" entries in the cursor's order, links with "->target", joined by spaces. */
static void describe(const struct walk_result *res, char *out, size_t size)
{
	struct walk_cursor *cur = walk_cursor_open(res);
	const struct walk_entry *e;
	struct error err = {{0}};
	int rc, first = 1;

	out[0] = '\0';
	while ((rc = walk_cursor_next(cur, &e, &err)) > 0) {
		size_t len = strlen(out);

		snprintf(out + len, size - len, "%s%s=%s%s%s", first ? "" : " ", e->path,
		         kind_name(e->kind), e->link_target ? "->" : "",
		         e->link_target ? e->link_target : "");
		first = 0;
	}
	if (rc < 0)
		snprintf(out, size, "cursor error: %s", err.msg);
	walk_cursor_free(cur);
}

/*
 * Walk one pattern (or several, separated by '|') and describe the result in one line:
 * "path=kind" entries in the walk's order, links with "->target", joined by spaces. The walk
 * runs three times: in memory, and with its list on disk in runs of one and of two entries;
 * when they differ, the line says so (and every expectation fails).
 */
static char *walk_desc(int root_fd, const char *patterns, const char *const *homes, size_t n_homes,
                       const char *const *excludes, size_t n_excludes, struct walk_result *keep)
{
	static char out[4096];
	static const char *const run_sizes[] = {"1", "2"};
	char spilled[4096];
	struct walk_options wo = {0};
	struct walk_result res;
	struct rule rules[8];
	struct error err = {{0}};
	char *copy = strdup(patterns), *save = NULL;
	size_t n = 0;

	for (char *p = strtok_r(copy, "|", &save); p && n < 8; p = strtok_r(NULL, "|", &save)) {
		rules[n].pattern = p;
		rules[n].category = "system";
		rules[n].max_size = 0;
		rules[n].flags = RULE_EXPECTED;
		rules[n].origin = "unit:1";
		n++;
	}
	wo.root_fd = root_fd;
	wo.homes = homes;
	wo.n_homes = n_homes;
	wo.excludes = excludes;
	wo.n_excludes = n_excludes;
	out[0] = '\0';
	for (size_t k = 0; k < sizeof(run_sizes) / sizeof(run_sizes[0]); k++) {
		struct walk_options spill = wo;

		spill.spill_dir = "/tmp";
		setenv("LOGPACK_TEST_WALK_RUN", run_sizes[k], 1);
		if (walk_rules(&spill, rules, n, NULL, 0, &res, &err) < 0) {
			snprintf(out, sizeof(out), "error: %s", err.msg);
			unsetenv("LOGPACK_TEST_WALK_RUN");
			free(copy);
			return out;
		}
		unsetenv("LOGPACK_TEST_WALK_RUN");
		describe(&res, spilled, sizeof(spilled));
		walk_result_free(&res);
		if (k > 0 && strcmp(out, spilled) != 0) {
			char first[4096];

			snprintf(first, sizeof(first), "%s", out);
			snprintf(out, sizeof(out), "runs of 1 and 2 differ: %.1000s / %.1000s",
			         first, spilled);
			free(copy);
			return out;
		}
		strcpy(out, spilled);
	}
	if (walk_rules(&wo, rules, n, NULL, 0, &res, &err) < 0) {
		snprintf(out, sizeof(out), "error: %s", err.msg);
		free(copy);
		return out;
	}
	if (walk_spilled(&res)) {
		snprintf(out, sizeof(out), "in memory, yet spilled");
		walk_result_free(&res);
		free(copy);
		return out;
	}
	describe(&res, spilled, sizeof(spilled));
	if (strcmp(out, spilled) != 0) {
		char runs[4096];

		snprintf(runs, sizeof(runs), "%s", out);
		snprintf(out, sizeof(out), "memory and runs differ: %.1000s / %.1000s", spilled,
		         runs);
		walk_result_free(&res);
		free(copy);
		return out;
	}
	if (keep) {
		*keep = res;
		/* The rules live on this stack frame: absent[] must not outlive it. */
		keep->n_absent = res.n_absent;
		keep->absent = NULL;
		free(res.absent);
	} else {
		walk_result_free(&res);
	}
	free(copy);
	return out;
}

/*
 * The list of var/log/many, walked by two overlapping rules, as one string with each entry's
 * path, kind and inode: stat_helper as given, the list in memory (run NULL) or on disk in
 * runs of run entries. NULL on an error.
 */
static char *walk_many(int root_fd, int stat_helper, const char *run)
{
	struct rule rules[2] = {{.pattern = "/var/log/many/*.log", .category = "system"},
	                        {.pattern = "/var/log/many/*", .category = "system"}};
	struct walk_options wo = {.root_fd = root_fd, .stat_helper = stat_helper};
	struct walk_result res;
	struct walk_cursor *cur;
	const struct walk_entry *e;
	struct error err = {{0}};
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int rc;

	if (run) {
		wo.spill_dir = "/tmp";
		setenv("LOGPACK_TEST_WALK_RUN", run, 1);
	}
	rc = walk_rules(&wo, rules, 2, NULL, 0, &res, &err);
	unsetenv("LOGPACK_TEST_WALK_RUN");
	if (rc < 0) {
		fclose(out);
		free(text);
		return NULL;
	}
	cur = walk_cursor_open(&res);
	while ((rc = walk_cursor_next(cur, &e, &err)) > 0)
		fprintf(out, "%s=%s:%llu:%s\n", e->path, kind_name(e->kind),
		        (unsigned long long)e->st.st_ino, e->rule->pattern);
	walk_cursor_free(cur);
	walk_result_free(&res);
	fclose(out);
	if (rc < 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Walk rules[0..n) over the root into res: 0, or -1. */
static int walk_rules_of(int root_fd, struct rule *rules, size_t n, struct walk_result *res)
{
	struct walk_options wo = {.root_fd = root_fd, .stat_helper = 1};
	struct error err = {{0}};

	return walk_rules(&wo, rules, n, NULL, 0, res, &err);
}

/* Every entry of res has the rule pattern; the count of entries. */
static size_t entries_of_rule(const struct walk_result *res, const char *pattern, int *all)
{
	*all = 1;
	for (size_t i = 0; i < res->count; i++)
		*all &= strcmp(res->entries[i].rule->pattern, pattern) == 0;
	return res->count;
}

/*
 * A rule that takes a directory whole (/var/log/many/ then "**"): a later rule does not walk
 * it again, and lists nothing new; an expected later rule still learns whether it matches.
 */
static void test_taken_whole(int root_fd)
{
	struct rule rules[4] = {{.pattern = "/var/log/many/**", .category = "system"},
	                        {.pattern = "/var/log/many/*.log", .category = "system"},
	                        {.pattern = "/var/log/many/f0001.log",
	                         .category = "system",
	                         .flags = RULE_EXPECTED},
	                        {.pattern = "/var/log/many/none.log",
	                         .category = "system",
	                         .flags = RULE_EXPECTED}};
	struct rule deep[2] = {{.pattern = "/var/log/deep2/**", .category = "system"},
	                       {.pattern = "/var/log/deep2/**", .category = "other"}};
	struct walk_result res;
	int all, fd, rc;

	rc = walk_rules_of(root_fd, rules, 4, &res);
	ok(rc == 0 && entries_of_rule(&res, "/var/log/many/**", &all) == 701 && all,
	   "every file of the directory is the whole rule's, listed once");
	ok(rc == 0 && res.n_absent == 1 &&
	           strcmp(res.absent[0]->pattern, "/var/log/many/none.log") == 0,
	   "an expected rule below it that matches is not absent; one that does not is");
	if (rc == 0)
		walk_result_free(&res);
	/* 520 levels: past the walk's depth limit, which each walk of them reports. */
	dir("var/log/deep2");
	fd = openat(root_fd, "var/log/deep2", O_RDONLY | O_DIRECTORY);
	for (int k = 0; fd >= 0 && k < 520; k++) {
		int sub;

		if (mkdirat(fd, "d", 0755) < 0 && errno != EEXIST)
			break;
		sub = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = sub;
	}
	if (fd >= 0)
		close(fd);
	rc = walk_rules_of(root_fd, deep, 2, &res);
	ok(rc == 0 && res.n_errors == 1,
	   "a later rule does not walk the directory again: its error is reported once (%zu)",
	   rc == 0 ? res.n_errors : 0);
	if (rc == 0)
		walk_result_free(&res);
	deep[1].flags = RULE_EXPECTED;
	rc = walk_rules_of(root_fd, deep, 2, &res);
	ok(rc == 0 && res.n_errors == 2, "an expected later rule walks it (%zu errors)",
	   rc == 0 ? res.n_errors : 0);
	if (rc == 0)
		walk_result_free(&res);
	/* The whole root: a later rule walks nothing again. */
	deep[0].pattern = "/**";
	deep[1].flags = 0;
	rc = walk_rules_of(root_fd, deep, 2, &res);
	ok(rc == 0 && res.n_errors == 1,
	   "after a rule for the whole root, the later one walks nothing (%zu errors)",
	   rc == 0 ? res.n_errors : 0);
	if (rc == 0)
		walk_result_free(&res);
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; text && *text; text++)
		n += *text == '\n';
	return n;
}

static char *walk1(int root_fd, const char *patterns)
{
	return walk_desc(root_fd, patterns, NULL, 0, NULL, 0, NULL);
}

int main(void)
{
	static const char *const homes[] = {"/home/alice", "/home/bob", "/../escape"};
	static const char *const excludes[] = {"*.gz", "/var/log/deep/x/**"};
	struct walk_result res;
	char outside[600];
	int root_fd;

	strcpy(base, "/tmp/logpack-unit-walk.XXXXXX");
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	dir("etc");
	dir("var");
	dir("var/log");
	put("var/log/a.log", "a\n");
	put("var/log/b.log", "b\n");
	put("var/log/ab.txt", "ab\n");
	put("var/log/c1.log", "c1\n");
	put("var/log/c2.log", "c2\n");
	put("var/log/cx.log", "cx\n");
	put("var/log/old.log.1.gz", "gz\n");
	dir("var/log/deep");
	dir("var/log/deep/x");
	dir("var/log/deep/x/y");
	put("var/log/deep/top.log", "t\n");
	put("var/log/deep/x/y/z.log", "z\n");
	dir("home");
	dir("home/alice");
	dir("home/bob");
	dir("Users");
	dir("Users/carol");
	put("home/alice/.bash_history", "ls\n");
	put("home/bob/.bash_history", "ls\n");
	put("Users/carol/.bash_history", "ls\n");
	/* Outside the root, for links that try to leave it. */
	snprintf(outside, sizeof(outside), "%s.outside", base);
	mkdir(outside, 0755);
	{
		char path[700];
		FILE *fp;

		snprintf(path, sizeof(path), "%s/secret.log", outside);
		fp = fopen(path, "w");
		fputs("secret\n", fp);
		fclose(fp);
	}
	dir("var/log/links");
	link_to("../../../../../../secret.log", "var/log/links/escape.log");
	link_to("/etc/shadow", "var/log/links/abs.log");
	link_to("loop.log", "var/log/links/loop.log");
	link_to(".", "var/log/links/self");
	/* The live /tmp, where the outside directory is, through more ".." than the root has. */
	link_to("../../../../../../tmp", "var/log/links/outdir");
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/var/log/fifo.log", base);
		if (mkfifo(path, 0644) < 0) {
			perror(path);
			return 1;
		}
	}
	root_fd = open(base, O_RDONLY | O_DIRECTORY);
	if (root_fd < 0) {
		perror(base);
		return 1;
	}

	is_str(walk1(root_fd, "/var/log/*.log"),
	       "var/log/a.log=file var/log/b.log=file var/log/c1.log=file var/log/c2.log=file "
	       "var/log/cx.log=file var/log/fifo.log=special",
	       "'*' matches within one directory, never '/', and reports a FIFO as special");
	is_str(walk1(root_fd, "/var/log/c?.log"),
	       "var/log/c1.log=file var/log/c2.log=file var/log/cx.log=file",
	       "'?' matches exactly one character");
	is_str(walk1(root_fd, "/var/log/c[12].log"), "var/log/c1.log=file var/log/c2.log=file",
	       "'[...]' matches one of the listed characters");
	is_str(walk1(root_fd, "/var/log/c[!1].log"), "var/log/c2.log=file var/log/cx.log=file",
	       "'[!...]' matches any character but those listed");
	is_str(walk1(root_fd, "/var/log/deep/**"),
	       "var/log/deep/top.log=file var/log/deep/x/y/z.log=file",
	       "a trailing '**' takes every file at any depth below");
	is_str(walk1(root_fd, "/var/log/**/z.log"), "var/log/deep/x/y/z.log=file",
	       "'**' in the middle matches any number of directories");
	is_str(walk1(root_fd, "/var/log/deep/**/top.log"), "var/log/deep/top.log=file",
	       "'**' also matches zero directories");
	is_str(walk1(root_fd, "/var/log/a.log|/var/log/*.log|/var/log/a*"),
	       "var/log/a.log=file var/log/ab.txt=file var/log/b.log=file var/log/c1.log=file "
	       "var/log/c2.log=file var/log/cx.log=file var/log/fifo.log=special",
	       "a path matched by several rules is listed once, sorted");
	is_str(walk_desc(root_fd, "~/.bash_history", homes, 3, NULL, 0, NULL),
	       "Users/carol/.bash_history=file home/alice/.bash_history=file "
	       "home/bob/.bash_history=file",
	       "'~/' expands to each home given and each directory under /Users; a home "
	       "with '..' is not followed out");
	is_str(walk1(root_fd, "/var/log/links/*"),
	       "var/log/links/abs.log=link->/etc/shadow "
	       "var/log/links/escape.log=link->../../../../../../secret.log "
	       "var/log/links/loop.log=link->loop.log "
	       "var/log/links/outdir=link->../../../../../../tmp var/log/links/self=link->.",
	       "links (escaping, absolute, a loop) are recorded with their targets");
	{
		char pattern[700];

		/* The outside directory's name, as if the link led there within the root. */
		snprintf(pattern, sizeof(pattern), "/var/log/links/outdir/%s/*.log",
		         strrchr(outside, '/') + 1);
		is_str(walk1(root_fd, pattern), "var/log/links/outdir=link->../../../../../../tmp",
		       "a link on the way to a pattern's files is recorded, not entered");
	}
	is_str(walk1(root_fd, "/var/log/links/self/self/self/*.log"), "var/log/links/self=link->.",
	       "a directory link loop is recorded once, not entered");
	is_str(walk1(root_fd, "/var/log/links/**"),
	       "var/log/links/abs.log=link->/etc/shadow "
	       "var/log/links/escape.log=link->../../../../../../secret.log "
	       "var/log/links/loop.log=link->loop.log "
	       "var/log/links/outdir=link->../../../../../../tmp "
	       "var/log/links/self=link->.",
	       "'**' descends real directories only: linked ones are listed, not walked");
	is_str(walk1(root_fd, "/../../etc/*|/var/log/../../*.log"), "",
	       "'..' in a pattern does not climb out of the root");
	is_str(walk_desc(root_fd, "/var/log/**", NULL, 0, excludes, 2, NULL),
	       "var/log/a.log=file var/log/ab.txt=file var/log/b.log=file var/log/c1.log=file "
	       "var/log/c2.log=file var/log/cx.log=file var/log/deep/top.log=file "
	       "var/log/deep/x/y/z.log=excluded var/log/fifo.log=special "
	       "var/log/links/abs.log=link->/etc/shadow "
	       "var/log/links/escape.log=link->../../../../../../secret.log "
	       "var/log/links/loop.log=link->loop.log "
	       "var/log/links/outdir=link->../../../../../../tmp "
	       "var/log/links/self=link->. var/log/old.log.1.gz=excluded",
	       "--exclude by name and by whole path marks entries as excluded");
	{
		/* 700 files and a few others in one directory: their lstat calls are shared with a
		 * helper thread in batches, and the list must be what one thread makes. */
		char name[64], *alone, *shared, *shared_runs, *alone_runs;

		dir("var/log/many");
		dir("var/log/many/sub.log");
		link_to("f0001.log", "var/log/many/link.log");
		for (int k = 0; k < 700; k++) {
			snprintf(name, sizeof(name), "var/log/many/f%04d.%s", k,
			         k % 7 ? "log" : "txt");
			put(name, "x\n");
		}
		alone = walk_many(root_fd, 0, NULL);
		shared = walk_many(root_fd, 1, NULL);
		shared_runs = walk_many(root_fd, 1, "7");
		alone_runs = walk_many(root_fd, 0, "300");
		ok(alone && count_lines(alone) == 701,
		   "one thread lists the 700 files and the link (%zu)", count_lines(alone));
		ok(alone && strstr(alone, "var/log/many/f0007.txt=file:") &&
		           strstr(strstr(alone, "var/log/many/f0007.txt=file:"),
		                  ":/var/log/many/*\n") &&
		           strstr(alone, "var/log/many/f0008.log=file:") &&
		           strstr(strstr(alone, "var/log/many/f0008.log=file:"),
		                  ":/var/log/many/*.log\n") &&
		           strstr(alone, "var/log/many/link.log=link:"),
		   "each file is the first matching rule's, the link is a link");
		{
			struct stat st;
			char want[128];

			snprintf(name, sizeof(name), "%s/var/log/many/f0500.log", base);
			snprintf(want, sizeof(want), "var/log/many/f0500.log=file:%llu:",
			         lstat(name, &st) == 0 ? (unsigned long long)st.st_ino : 0ULL);
			ok(alone && strstr(alone, want), "a file's entry has its own inode");
		}
		ok(alone && shared && strcmp(alone, shared) == 0,
		   "with the helper thread, the same list: paths, kinds, inodes, rules");
		ok(alone && shared_runs && strcmp(alone, shared_runs) == 0,
		   "with the helper and the list on disk in runs of 7, the same list");
		ok(alone && alone_runs && strcmp(alone, alone_runs) == 0,
		   "one thread, the list on disk in runs of 300, the same list");
		free(alone);
		free(shared);
		free(shared_runs);
		free(alone_runs);
		test_taken_whole(root_fd);
	}
	walk_desc(root_fd, "/var/log/none*|/var/log/a.log", NULL, 0, NULL, 0, &res);
	ok(res.n_absent == 1, "an expected rule that matches nothing is reported absent (%zu)",
	   res.n_absent);
	walk_result_free(&res);

	close(root_fd);
	{
		char cmd[1400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", base, outside);
		if (system(cmd) != 0)
			ok(0, "clean up %s", base);
	}
	return tap_done();
}
