/* OS detection under a root: os-release, marker files, and the most specific stock profile. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/printable.h"
#include "gather/detect.h"
#include "gather/os-release.h"
#include "gather/profile.h"

#define DETECT_MAX_LINKS 40
#define DETECT_MAX_DEPTH 256
#define DETECT_MAX_READ (64 * 1024)

enum resolve_mode { RESOLVE_EXISTS, RESOLVE_DIR, RESOLVE_FILE };

/* Take the next component off the front of *todo into comp; 0 when none is left. */
static int next_component(const char **todo, char *comp, size_t size)
{
	const char *s = *todo, *end;
	size_t len;

	while (*s == '/')
		s++;
	if (*s == '\0') {
		*todo = s;
		return 0;
	}
	end = strchr(s, '/');
	len = end ? (size_t)(end - s) : strlen(s);
	if (len >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(comp, s, len);
	comp[len] = '\0';
	*todo = s + len;
	return 1;
}

/* Is anything but slashes left? */
static int more_components(const char *todo)
{
	while (*todo == '/')
		todo++;
	return *todo != '\0';
}

/*
 * openat without following a final link and, where the kernel lets us (as owner or root),
 * without changing the access time: looking must leave no trace on the evidence.
 */
static int openat_quiet(int dir_fd, const char *name, int flags)
{
	int fd;

	flags |= O_NOFOLLOW | O_CLOEXEC;
#ifdef O_NOATIME
	fd = openat(dir_fd, name, flags | O_NOATIME);
	if (fd >= 0 || errno != EPERM)
		return fd;
#endif
	fd = openat(dir_fd, name, flags);
	return fd;
}

/* Open a regular file read-only; non-blocking, so that a FIFO swapped in cannot hang us. */
static int open_source_file(int dir_fd, const char *name)
{
	return openat_quiet(dir_fd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY);
}

/* Find, in the directory dir_fd, an entry whose name equals name without regard to case. */
static int find_nocase(int dir_fd, char *name, size_t size)
{
	int fd = openat_quiet(dir_fd, ".", O_RDONLY | O_DIRECTORY);
	struct dirent *de;
	DIR *d;
	int found = 0;

	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcasecmp(de->d_name, name) == 0 && strlen(de->d_name) < size) {
			strcpy(name, de->d_name);
			found = 1;
			break;
		}
	}
	closedir(d);
	return found;
}

/*
 * Walk path below root_fd component by component, as described for detect_open_in_root. Returns
 * an fd (RESOLVE_DIR, RESOLVE_FILE), 0 (RESOLVE_EXISTS), or -1 with errno.
 */
static int resolve_in_root(int root_fd, const char *path, int nocase, enum resolve_mode mode,
                           char **resolved_out)
{
	int fds[DETECT_MAX_DEPTH];
	char *names[DETECT_MAX_DEPTH];
	int depth = 0, links = 0, result = -1, saved_errno = 0;
	struct strbuf todo_buf = STRBUF_INIT;
	const char *todo;
	char comp[NAME_MAX + 1];

	strbuf_addstr(&todo_buf, path);
	todo = todo_buf.buf;
	for (;;) {
		int cur = depth ? fds[depth - 1] : root_fd;
		struct stat st;
		int r = next_component(&todo, comp, sizeof(comp));

		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			/* ".." at the root stays at the root, as the kernel does at "/". */
			if (depth > 0) {
				depth--;
				close(fds[depth]);
				free(names[depth]);
			}
			continue;
		}
		if (fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT || !nocase || !find_nocase(cur, comp, sizeof(comp)) ||
			    fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno == 0)
					errno = ENOENT;
				goto fail;
			}
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n;
			struct strbuf next = STRBUF_INIT;

			if (++links > DETECT_MAX_LINKS) {
				errno = ELOOP;
				goto fail;
			}
			n = readlinkat(cur, comp, target, sizeof(target));
			if (n < 0)
				goto fail;
			if ((size_t)n >= sizeof(target)) {
				errno = ENAMETOOLONG;
				goto fail;
			}
			target[n] = '\0';
			/* An absolute target means the root's "/", never the live one. */
			if (target[0] == '/') {
				while (depth > 0) {
					depth--;
					close(fds[depth]);
					free(names[depth]);
				}
			}
			strbuf_addstr(&next, target);
			strbuf_addch(&next, '/');
			strbuf_addstr(&next, todo);
			strbuf_release(&todo_buf);
			todo_buf = next;
			todo = todo_buf.buf;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int fd;

			if (depth >= DETECT_MAX_DEPTH) {
				errno = ENAMETOOLONG;
				goto fail;
			}
			fd = openat_quiet(cur, comp, O_RDONLY | O_DIRECTORY);
			if (fd < 0)
				goto fail;
			fds[depth] = fd;
			names[depth] = xstrdup(comp);
			depth++;
			continue;
		}
		/* Not a directory: it must be the last component. */
		if (more_components(todo)) {
			errno = ENOTDIR;
			goto fail;
		}
		if (mode == RESOLVE_DIR) {
			errno = ENOTDIR;
			goto fail;
		}
		if (mode == RESOLVE_FILE) {
			int fd;

			if (!S_ISREG(st.st_mode)) {
				errno = EINVAL;
				goto fail;
			}
			fd = open_source_file(cur, comp);
			if (fd < 0)
				goto fail;
			/* The type seen before opening proves nothing: check what was opened. */
			if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
				close(fd);
				errno = EINVAL;
				goto fail;
			}
			result = fd;
		} else {
			result = 0;
		}
		/* Record the final name for resolved_out; it has no directory fd. */
		if (depth < DETECT_MAX_DEPTH) {
			fds[depth] = -1;
			names[depth] = xstrdup(comp);
			depth++;
		}
		goto done;
	}
	/* The path named a directory (or the root itself). */
	if (mode == RESOLVE_FILE) {
		errno = EISDIR;
		goto fail;
	}
	if (mode == RESOLVE_DIR) {
		result =
		        openat_quiet(depth ? fds[depth - 1] : root_fd, ".", O_RDONLY | O_DIRECTORY);
		if (result < 0)
			goto fail;
	} else {
		result = 0;
	}
done:
	if (resolved_out) {
		struct strbuf sb = STRBUF_INIT;

		for (int i = 0; i < depth; i++) {
			if (i)
				strbuf_addch(&sb, '/');
			strbuf_addstr(&sb, names[i]);
		}
		*resolved_out = strbuf_detach(&sb);
	}
	goto out;
fail:
	saved_errno = errno;
	result = -1;
out:
	while (depth > 0) {
		depth--;
		if (fds[depth] >= 0)
			close(fds[depth]);
		free(names[depth]);
	}
	strbuf_release(&todo_buf);
	if (result < 0)
		errno = saved_errno;
	return result;
}

int detect_open_in_root(int root_fd, const char *path, int nocase, int want_dir,
                        char **resolved_out)
{
	return resolve_in_root(root_fd, path, nocase, want_dir ? RESOLVE_DIR : RESOLVE_FILE,
	                       resolved_out);
}

int detect_exists_in_root(int root_fd, const char *path, int nocase, char **resolved_out)
{
	if (resolve_in_root(root_fd, path, nocase, RESOLVE_EXISTS, resolved_out) == 0)
		return 1;
	return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : -1;
}

/* A small marker file below the root, links resolved inside it; larger ones say nothing. */
static int read_in_root(int root_fd, const char *path, int nocase, char **text_out)
{
	int fd = detect_open_in_root(root_fd, path, nocase, 0, NULL), rc, saved;

	if (fd < 0)
		return -1;
	rc = read_fd_small(fd, DETECT_MAX_READ, text_out, NULL);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Control characters would let a hostile image forge our output lines. */
static void printable_only(char *s)
{
	for (; s && *s; s++)
		if (iscntrl((unsigned char)*s))
			*s = '?';
}

static void evidence_add(struct detect_result *res, char *text)
{
	for (size_t i = 0; i < res->n_evidence; i++) {
		if (strcmp(res->evidence[i], text) == 0) {
			free(text);
			return;
		}
	}
	res->evidence = xreallocarray(res->evidence, res->n_evidence + 1, sizeof(*res->evidence));
	res->evidence[res->n_evidence++] = text;
}

/* At most max bytes of s, made printable, for evidence lines a hostile root cannot forge. */
static void add_printable(struct strbuf *sb, const char *s, size_t max)
{
	char *shown = printable_text(s, strnlen(s, max), 0, 0);

	strbuf_addstr(sb, shown);
	free(shown);
}

/* A short description of what a known marker file says: a version, a release line. */
static void marker_detail(int root_fd, const char *path, int nocase, struct strbuf *sb)
{
	char *text = NULL, *p, *q;

	if (read_in_root(root_fd, path, nocase, &text) < 0)
		return;
	if (str_has_suffix(path, "SystemVersion.plist")) {
		static const char *const keys[] = {"ProductName", "ProductVersion"};

		strbuf_addch(sb, ':');
		for (size_t i = 0; i < 2; i++) {
			char *key = xasprintf("<key>%s</key>", keys[i]);

			p = strstr(text, key);
			free(key);
			if (p && (p = strstr(p, "<string>")) != NULL &&
			    (q = strstr(p, "</string>")) != NULL) {
				*q = '\0';
				strbuf_addf(sb, " %s=", keys[i]);
				add_printable(sb, p + 8, 64);
				*q = '<';
			}
		}
	} else if (str_has_suffix(path, "freebsd-version")) {
		p = strstr(text, "USERLAND_VERSION=");
		if (p) {
			p += strlen("USERLAND_VERSION=");
			p += strspn(p, "\"");
			strbuf_addstr(sb, ": USERLAND_VERSION=");
			add_printable(sb, p, strcspn(p, "\"\n"));
		}
	} else if (str_has_suffix(path, "release") || str_has_suffix(path, "buildInfo")) {
		p = text + strspn(text, " \t\r\n");
		if (*p) {
			strbuf_addstr(sb, ": \"");
			add_printable(sb, p, strcspn(p, "\r\n") < 100 ? strcspn(p, "\r\n") : 100);
			strbuf_addch(sb, '"');
		}
	}
	free(text);
}

/* Is word one of the blank-separated words of list? Its position, or -1. */
static int word_position(const char *list, const char *word)
{
	size_t wlen = strlen(word);
	int pos = 0;

	while (list && *list) {
		size_t len;

		list += strspn(list, " \t");
		len = strcspn(list, " \t");
		if (len == 0)
			break;
		if (len == wlen && strncmp(list, word, len) == 0)
			return pos;
		pos++;
		list += len;
	}
	return -1;
}

/* How one profile matches the root: its best match line. */
static void score_profile(int root_fd, const struct profile *p, const struct os_release *osr,
                          int have_osr, struct detect_result *res, struct detect_candidate *c)
{
	/* os-release(5): "If not set, a default of ID=linux may be used." */
	const char *id = osr->id && *osr->id ? osr->id : "linux";
	const char *id_text = osr->id && *osr->id ? "" : " (unset: os-release(5) default)";

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < p->n_matches;) {
		int line = p->matches[i].line, files = 0, files_ok = 1, has_ids = 0;
		enum detect_tier tier = DETECT_NONE;
		int rank = 0;
		struct strbuf why = STRBUF_INIT, brief = STRBUF_INIT;
		size_t j;

		for (j = i; j < p->n_matches && p->matches[j].line == line; j++) {
			const struct profile_match *m = &p->matches[j];

			if (strcmp(m->key, "file") == 0) {
				struct strbuf ev = STRBUF_INIT;
				char *resolved = NULL;

				files++;
				if (detect_exists_in_root(root_fd, m->value + 1, p->nocase,
				                          &resolved) != 1) {
					files_ok = 0;
					free(resolved);
					continue;
				}
				strbuf_addf(&ev, "%s: present", resolved);
				if (strcmp(resolved, m->value + 1) != 0)
					strbuf_addf(&ev, " (looked for %s)", m->value);
				marker_detail(root_fd, resolved, 0, &ev);
				evidence_add(res, strbuf_detach(&ev));
				free(resolved);
				continue;
			}
			has_ids = 1;
			if (!have_osr)
				continue;
			if (strcmp(m->key, "id") == 0 && strcmp(m->value, id) == 0) {
				if (tier < DETECT_ID) {
					tier = DETECT_ID;
					strbuf_reset(&why);
					strbuf_addf(&why, "os-release ID=%s%s matches 'id=%s'", id,
					            id_text, m->value);
					strbuf_reset(&brief);
					strbuf_addf(&brief, "os-release ID=%s%s", id, id_text);
				}
			} else if (strcmp(m->value, id) == 0) {
				if (tier < DETECT_ID_LIKE || (tier == DETECT_ID_LIKE && rank > 0)) {
					tier = DETECT_ID_LIKE;
					rank = 0;
					strbuf_reset(&why);
					strbuf_addf(&why, "os-release ID=%s matches 'id_like=%s'",
					            id, m->value);
					strbuf_reset(&brief);
					strbuf_addf(&brief, "os-release ID=%s, a family %s names",
					            id, p->name);
				}
			} else {
				int pos = word_position(osr->id_like, m->value);

				if (pos >= 0 && (tier < DETECT_ID_LIKE ||
				                 (tier == DETECT_ID_LIKE && pos + 1 < rank))) {
					tier = DETECT_ID_LIKE;
					rank = pos + 1;
					strbuf_reset(&why);
					strbuf_addf(&why, "os-release ID_LIKE=\"%s\" names '%s'",
					            osr->id_like, m->value);
					strbuf_reset(&brief);
					strbuf_addf(&brief, "os-release ID_LIKE=\"%s\"",
					            osr->id_like);
				}
			}
		}
		if (!has_ids && files > 0) {
			tier = DETECT_MARKER;
			strbuf_addstr(&why, "marker files present:");
			strbuf_addstr(&brief, files > 1 ? "marker files" : "marker file");
			for (size_t k = i; k < j; k++) {
				strbuf_addf(&why, " %s", p->matches[k].value);
				strbuf_addf(&brief, " %s", p->matches[k].value);
			}
		}
		if (!files_ok)
			tier = DETECT_NONE;
		else if (has_ids && files > 0 && tier != DETECT_NONE)
			strbuf_addf(&why, ", with %d marker file%s", files, files > 1 ? "s" : "");
		if (tier != DETECT_NONE &&
		    (tier > c->tier ||
		     (tier == c->tier && (rank < c->like_rank || files > c->marker_count)))) {
			free(c->why);
			free(c->brief);
			c->tier = tier;
			c->like_rank = rank;
			c->marker_count = files;
			c->why = xasprintf("%s (%s line %d)", why.buf, p->name, line);
			c->brief = xstrdup(brief.buf);
		}
		strbuf_release(&why);
		strbuf_release(&brief);
		i = j;
	}
	if (c->tier != DETECT_NONE)
		c->profile = xstrdup(p->name);
}

/* Does profile a include profile b, directly or not? Then a is the more specific. */
static int profile_includes(const struct profile *a, const char *b)
{
	for (size_t i = 1; i < a->n_files; i++)
		if (strcmp(a->files[i].name, b) == 0)
			return 1;
	return 0;
}

struct scored {
	struct detect_candidate c;
	const struct profile *p;
};

static int compare_scored(const void *va, const void *vb)
{
	const struct scored *a = va, *b = vb;

	if (a->c.tier != b->c.tier)
		return a->c.tier > b->c.tier ? -1 : 1;
	if (a->c.tier == DETECT_ID_LIKE && a->c.like_rank != b->c.like_rank)
		return a->c.like_rank < b->c.like_rank ? -1 : 1;
	if (a->c.marker_count != b->c.marker_count)
		return a->c.marker_count > b->c.marker_count ? -1 : 1;
	if (profile_includes(a->p, b->c.profile))
		return -1;
	if (profile_includes(b->p, a->c.profile))
		return 1;
	return strcmp(a->c.profile, b->c.profile);
}

static const char *tier_text(enum detect_tier t)
{
	switch (t) {
	case DETECT_ID:
		return "an exact os-release ID match";
	case DETECT_ID_LIKE:
		return "an os-release ID_LIKE family match";
	case DETECT_MARKER:
		return "a marker-file match";
	default:
		return "no match";
	}
}

/* Why the first of the sorted candidates beat the second. */
static char *why_first_won(const struct scored *win, const struct scored *next,
                           const struct os_release *osr)
{
	const char *a = win->c.profile, *b = next->c.profile;

	if (win->c.tier != next->c.tier)
		return xasprintf("%s beat %s: %s is more specific than %s", a, b,
		                 tier_text(win->c.tier), tier_text(next->c.tier));
	if (win->c.tier == DETECT_ID_LIKE && win->c.like_rank != next->c.like_rank)
		return xasprintf("%s beat %s: os-release ID_LIKE=\"%s\" lists %s's family first "
		                 "(most similar first, os-release(5))",
		                 a, b, osr->id_like ? osr->id_like : "", a);
	if (win->c.marker_count != next->c.marker_count)
		return xasprintf("%s beat %s: it matched %d marker files, %s only %d", a, b,
		                 win->c.marker_count, b, next->c.marker_count);
	if (profile_includes(win->p, b))
		return xasprintf("%s beat %s: %s includes %s, so it is the more specific", a, b, a,
		                 b);
	return xasprintf("%s and %s match equally well (%s); %s chosen by name, "
	                 "use --profile to choose",
	                 a, b, tier_text(win->c.tier), a);
}

void detect_result_free(struct detect_result *res)
{
	for (size_t i = 0; i < res->n_evidence; i++)
		free(res->evidence[i]);
	free(res->evidence);
	for (size_t i = 0; i < res->n_candidates; i++) {
		free(res->candidates[i].profile);
		free(res->candidates[i].why);
		free(res->candidates[i].brief);
	}
	free(res->candidates);
	free(res->chosen);
	free(res->reason);
	free(res->summary);
	memset(res, 0, sizeof(*res));
}

int detect_run(int root_fd, struct detect_result *res, struct error *err)
{
	struct os_release osr = {0};
	struct profile **profiles = NULL;
	struct scored *scored = NULL;
	char **names = NULL;
	size_t n_names = 0, n_loaded = 0, n_scored = 0;
	int have_osr, rc = -1;

	memset(res, 0, sizeof(*res));
	if (profile_list(&names, &n_names, err) < 0)
		return -1;
	profiles = xcalloc(n_names ? n_names : 1, sizeof(*profiles));
	for (; n_loaded < n_names; n_loaded++) {
		if (profile_load(names[n_loaded], &profiles[n_loaded], err) < 0)
			goto out;
	}
	have_osr = os_release_read(root_fd, &osr);
	printable_only(osr.id);
	printable_only(osr.id_like);
	printable_only(osr.version_id);
	printable_only(osr.pretty_name);
	if (have_osr) {
		struct strbuf ev = STRBUF_INIT;

		strbuf_addf(&ev, "%s: ID=", osr.path);
		add_printable(&ev, osr.id ? osr.id : "(unset)", 64);
		if (osr.id_like) {
			strbuf_addstr(&ev, " ID_LIKE=\"");
			add_printable(&ev, osr.id_like, 128);
			strbuf_addch(&ev, '"');
		}
		if (osr.version_id) {
			strbuf_addstr(&ev, " VERSION_ID=");
			add_printable(&ev, osr.version_id, 64);
		}
		if (osr.pretty_name) {
			strbuf_addstr(&ev, " PRETTY_NAME=\"");
			add_printable(&ev, osr.pretty_name, 128);
			strbuf_addch(&ev, '"');
		}
		evidence_add(res, strbuf_detach(&ev));
	} else {
		evidence_add(res, xstrdup("no os-release (looked for etc/os-release and "
		                          "usr/lib/os-release)"));
	}
	scored = xcalloc(n_loaded ? n_loaded : 1, sizeof(*scored));
	for (size_t i = 0; i < n_loaded; i++) {
		struct detect_candidate c;

		score_profile(root_fd, profiles[i], &osr, have_osr, res, &c);
		if (c.tier == DETECT_NONE) {
			free(c.why);
			free(c.brief);
			continue;
		}
		scored[n_scored].c = c;
		scored[n_scored].p = profiles[i];
		n_scored++;
	}
	qsort(scored, n_scored, sizeof(*scored), compare_scored);
	res->candidates = xcalloc(n_scored ? n_scored : 1, sizeof(*res->candidates));
	for (size_t i = 0; i < n_scored; i++)
		res->candidates[i] = scored[i].c;
	res->n_candidates = n_scored;
	if (n_scored == 0 && have_osr) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addstr(&sb, "no profile matches: os-release ID=");
		add_printable(&sb, osr.id ? osr.id : "", 64);
		if (osr.id_like) {
			strbuf_addstr(&sb, " ID_LIKE=\"");
			add_printable(&sb, osr.id_like, 128);
			strbuf_addch(&sb, '"');
		}
		strbuf_addstr(&sb,
		              " names none, and no profile's marker files exist under the root");
		res->reason = strbuf_detach(&sb);
	} else if (n_scored == 0) {
		res->reason = xstrdup("no profile matches: no os-release, and no profile's marker "
		                      "files exist under the root");
	} else {
		res->chosen = xstrdup(scored[0].c.profile);
		if (n_scored == 1) {
			res->reason =
			        xasprintf("%s; the only profile that matches", scored[0].c.why);
			res->summary = xstrdup(scored[0].c.brief);
		} else {
			char *won = why_first_won(&scored[0], &scored[1], &osr);

			res->reason = xasprintf("%s; %s", scored[0].c.why, won);
			res->summary = xasprintf("%s; %s", scored[0].c.brief, won);
			free(won);
		}
	}
	rc = 0;
out:
	free(scored);
	for (size_t i = 0; i < n_loaded; i++)
		profile_free(profiles[i]);
	free(profiles);
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	os_release_free(&osr);
	if (rc < 0)
		detect_result_free(res);
	return rc;
}

int detect_profile(int root_fd, char **name_out, char **reason_out, struct error *err)
{
	struct detect_result res;

	if (detect_run(root_fd, &res, err) < 0)
		return -1;
	if (res.chosen == NULL) {
		error_set(err, "%s (use --profile NAME)", res.reason);
		detect_result_free(&res);
		return -1;
	}
	*name_out = res.chosen;
	*reason_out = res.summary;
	res.chosen = NULL;
	res.summary = NULL;
	detect_result_free(&res);
	return 0;
}
