/* Expanding profile patterns under a root, without following links. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "bundle/names.h"
#include "gather/rootfs.h"
#include "gather/walk-runs.h"
#include "gather/walk-stat.h"
#include "gather/walk.h"

#define WALK_MAX_DEPTH 512
/* Entries in memory before a batch goes to disk: some 8 MiB with their paths. */
#define WALK_RUN_ENTRIES 32768
/* Files of one directory stated together, when a helper shares the calls. */
#define STAT_BATCH 256

struct walker {
	const struct walk_options *opt;
	struct walk_result *res;
	size_t cap;
	const struct rule *rule;
	const struct rule *rules; /* all of them, for the runs on disk */
	size_t n_rules;
	/* With opt->spill_dir: a full batch of entries goes to disk as a sorted run. */
	size_t run_entries;
	int spill_failed; /* the runs could not be written: spill_err says why */
	struct error spill_err;
	char **comps;
	size_t n_comps;
	int nocase;
	int matched;
	struct strbuf path; /* the directory being matched, relative to the root, no trailing '/' */
	int depth;
	dev_t root_dev;
	const char *home_unlisted; /* the home being expanded, when passwd does not list it */
	/*
	 * The paths listed so far: open addressing over entry indexes (+1; 0 is empty), at most
	 * half full, hashed with a random key so that names chosen on the host cannot make the
	 * probes long. A profile's rules overlap (the sweep of the log directories meets every
	 * file another rule named): without it each path met twice cost a second 208-byte entry
	 * until the sort dropped it, twice the memory at many files.
	 */
	uint32_t *seen;
	size_t n_seen;
	unsigned char seen_key[16];
	/*
	 * The directories an earlier rule took whole (a pattern like /var/log/ then "**"): every
	 * file below them is listed already, with that rule, which wins. A later rule does not
	 * walk them again.
	 */
	char **taken_whole;
	size_t n_taken_whole;
	/* The files of a directory being stated together (match_files). */
	struct walk_stat *stat_helper;
	const char *batch_names[STAT_BATCH];
	char *batch_paths[STAT_BATCH];
	size_t batch_slots[STAT_BATCH];
	struct stat batch_st[STAT_BATCH];
	int batch_err[STAT_BATCH];
};

/* The slot of path: where it is, or the empty one where it would go. */
static size_t seen_slot(const struct walker *w, const char *path)
{
	size_t mask = w->n_seen - 1;
	size_t i = (size_t)siphash24(w->seen_key, path, strlen(path)) & mask;

	while (w->seen[i] != 0 && strcmp(w->res->entries[w->seen[i] - 1].path, path) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Make room for n more paths. 0, or -1 past what 32-bit indexes hold (four billion paths,
 * which memory cannot: the final sort still drops copies then). */
static int seen_grow(struct walker *w, size_t n)
{
	size_t count = w->res->count;

	if (count + n >= UINT32_MAX / 2)
		return -1;
	if ((count + n) * 2 <= w->n_seen)
		return 0;
	free(w->seen);
	w->n_seen = w->n_seen ? w->n_seen * 2 : 1024;
	while ((count + n) * 2 > w->n_seen)
		w->n_seen *= 2;
	w->seen = xcalloc(w->n_seen, sizeof(*w->seen));
	for (size_t k = 0; k < count; k++)
		w->seen[seen_slot(w, w->res->entries[k].path)] = (uint32_t)(k + 1);
	return 0;
}

/* Note a mount point met on the walk (each once). */
static void note_mount(struct walker *w, const char *name)
{
	char *path = w->path.len ? xasprintf("%s/%s", w->path.buf, name) : xstrdup(name);

	for (size_t i = 0; i < w->res->n_mounts; i++)
		if (strcmp(w->res->mounts[i], path) == 0) {
			free(path);
			return;
		}
	w->res->mounts = xreallocarray(w->res->mounts, w->res->n_mounts + 1, sizeof(char *));
	w->res->mounts[w->res->n_mounts++] = path;
}

static int has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

int walk_excluded(const char *pattern, const char *path)
{
	const char *base;

	if (strchr(pattern, '/')) {
		/* A pattern "/var/log/x.gz" is matched against "var/log/x.gz": drop its leading
		 * slash. */
		const char *pat = pattern[0] == '/' ? pattern + 1 : pattern;

		return fnmatch_bytes(pat, path, 0) == 0;
	}
	base = strrchr(path, '/');
	return fnmatch_bytes(pattern, base ? base + 1 : path, 0) == 0;
}

static void walk_error(struct walker *w, const char *name, int errnum)
{
	struct walk_result *r = w->res;

	r->errors = xreallocarray(r->errors, r->n_errors + 1, sizeof(*r->errors));
	r->errors[r->n_errors++] =
	        xasprintf("%s%s%s: %s", w->path.buf ? w->path.buf : "",
	                  w->path.len && name ? "/" : "", name ? name : "", strerror(errnum));
}

static char *path_join(const struct strbuf *dir, const char *name)
{
	return dir->len ? xjoin(dir->buf, '/', name) : xstrdup(name);
}

/* The batch size; LOGPACK_TEST_WALK_RUN=N makes it N, so that tests meet many runs. */
static size_t walk_run_entries(void)
{
	const char *test = getenv("LOGPACK_TEST_WALK_RUN");
	char *end;
	unsigned long n;

	if (test == NULL)
		return WALK_RUN_ENTRIES;
	n = strtoul(test, &end, 10);
	return *end == '\0' && n > 0 ? (size_t)n : WALK_RUN_ENTRIES;
}

/*
 * The batch in memory is full: sort it and write it to disk as a run. Memory then holds one
 * batch, whatever the count; a path met again in a later batch is dropped when the runs are
 * merged (walk_cursor), the first rule's entry kept as here.
 */
static void spill_batch(struct walker *w)
{
	struct walk_result *r = w->res;

	if (r->runs == NULL)
		r->runs = walk_runs_new(w->opt->spill_dir, w->rules, w->n_rules, &w->spill_err);
	walk_entries_sort(r->entries, &r->count);
	if (r->runs == NULL || walk_runs_write(r->runs, r->entries, r->count, &w->spill_err) < 0) {
		w->spill_failed = 1;
		return;
	}
	for (size_t i = 0; i < r->count; i++)
		walk_entry_release(&r->entries[i]);
	r->count = 0;
	if (w->seen)
		memset(w->seen, 0, w->n_seen * sizeof(*w->seen));
}

/*
 * Before up to n new entries: a full batch goes to disk, and the table of paths met gets room
 * for n more, so that the slots found for them hold until they are added. 0, or -1 when the
 * walk already failed. *n is cut to what the batch in memory still takes.
 */
static int make_room(struct walker *w, size_t *n, int *seen_ok)
{
	struct walk_result *r = w->res;

	if (w->spill_failed) {
		w->matched = 1;
		return -1; /* the walk fails: no use growing the list in memory */
	}
	if (w->run_entries && r->count >= w->run_entries) {
		spill_batch(w);
		if (w->spill_failed) {
			w->matched = 1;
			return -1;
		}
	}
	if (w->run_entries && *n > w->run_entries - r->count)
		*n = w->run_entries - r->count;
	*seen_ok = seen_grow(w, *n) == 0;
	return 0;
}

/*
 * The path of name in the current directory, for an entry: NULL when it was met before (by
 * this rule or an earlier one: the first rule that met it has it). *slot is its place in the
 * table of paths met (SIZE_MAX without one).
 */
static char *unseen_path(struct walker *w, const char *name, int seen_ok, size_t *slot)
{
	char *path = path_join(&w->path, name);

	*slot = SIZE_MAX;
	if (seen_ok) {
		*slot = seen_slot(w, path);
		if (w->seen[*slot] != 0) {
			w->matched = 1;
			free(path);
			return NULL;
		}
	}
	return path;
}

/* unseen_path for one name, after make_room; NULL too when the walk already failed. */
static char *new_entry_path(struct walker *w, const char *name, size_t *slot)
{
	size_t one = 1;
	int seen_ok;

	*slot = SIZE_MAX;
	if (make_room(w, &one, &seen_ok) < 0)
		return NULL;
	return unseen_path(w, name, seen_ok, slot);
}

/*
 * A path that matched a rule, from new_entry_path (path is taken over); own_output: the bundle
 * being written (never collected).
 */
static void add_entry_at(struct walker *w, int dir_fd, const char *name, char *path, size_t slot,
                         const struct stat *st, int own_output)
{
	struct walk_result *r = w->res;
	struct walk_entry *e;

	w->matched = 1;
	if (r->count == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 256;
		r->entries = xreallocarray(r->entries, w->cap, sizeof(*r->entries));
	}
	e = &r->entries[r->count];
	memset(e, 0, sizeof(*e));
	e->seq = r->next_seq++;
	e->path = path;
	r->count++;
	if (slot != SIZE_MAX)
		w->seen[slot] = (uint32_t)r->count;
	e->rule = w->rule;
	e->st = *st;
	e->home_not_in_passwd = w->home_unlisted ? xstrdup(w->home_unlisted) : NULL;
	if (S_ISREG(st->st_mode)) {
		e->kind = ENTRY_FILE;
	} else if (S_ISLNK(st->st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(dir_fd, name, target, sizeof(target) - 1);

		e->kind = ENTRY_LINK;
		e->link_target = xstrndup(target, n > 0 ? (size_t)n : 0);
	} else {
		e->kind = ENTRY_SPECIAL;
		e->why = S_ISFIFO(st->st_mode)   ? "FIFO"
		         : S_ISSOCK(st->st_mode) ? "socket"
		         : S_ISCHR(st->st_mode)  ? "character device"
		         : S_ISBLK(st->st_mode)  ? "block device"
		                                 : "not a regular file";
	}
	for (size_t i = 0; i < w->opt->n_excludes; i++) {
		if (walk_excluded(w->opt->excludes[i], e->path)) {
			e->kind = ENTRY_EXCLUDED;
			e->why = "excluded by --exclude";
			break;
		}
	}
	if (own_output) {
		e->kind = ENTRY_EXCLUDED;
		e->why = "logpack's own output";
	}
}

static void add_entry(struct walker *w, int dir_fd, const char *name, const struct stat *st,
                      int own_output)
{
	size_t slot;
	char *path = new_entry_path(w, name, &slot);

	if (path)
		add_entry_at(w, dir_fd, name, path, slot, st, own_output);
}

/*
 * The names in a directory, without "." and "..", and their types as readdir gives them
 * (DT_UNKNOWN where the file system does not say; *types may be NULL). NULL with errno on
 * failure. The names and the array are one allocation, which free() frees: at 100,000 files
 * a copy of each name on its own cost as many allocations.
 */
static char **list_dir(int dir_fd, size_t *count, unsigned char **types)
{
	int fd = dup(dir_fd);
	DIR *d;
	struct dirent *de;
	struct strbuf text = STRBUF_INIT;
	size_t *at = NULL;
	unsigned char *type = NULL;
	size_t n = 0, cap = 0;
	char **names;

	if (fd < 0)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		int saved = errno;

		close(fd);
		errno = saved;
		return NULL;
	}
	rewinddir(d);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			/* Doubling: a directory of 100,000 logs is not 100,000 reallocations. */
			cap = cap ? cap * 2 : 64;
			at = xreallocarray(at, cap, sizeof(*at));
			type = xreallocarray(type, cap, sizeof(*type));
		}
		type[n] = de->d_type;
		at[n++] = text.len;
		strbuf_add(&text, de->d_name, strlen(de->d_name) + 1);
	}
	closedir(d);
	/* The pointers first, then the text they point into. */
	names = xmalloc((n + 1) * sizeof(*names) + text.len);
	if (text.len)
		memcpy(names + n + 1, text.buf, text.len);
	for (size_t k = 0; k < n; k++)
		names[k] = (char *)(names + n + 1) + at[k];
	names[n] = NULL;
	strbuf_release(&text);
	free(at);
	*count = n;
	if (types)
		*types = type;
	else
		free(type);
	return names;
}

/* Is name in dir_fd the bundle being written, its temporary file or its sidecar? */
static int is_output_file(const struct walker *w, int dir_fd, const char *name)
{
	const char *out = w->opt->out_name;
	size_t len = out ? strlen(out) : 0;
	struct stat dir_st;
	int named;

	if (out == NULL)
		return 0;
	named = strcmp(name, out) == 0 ||
	        (strncmp(name, out, len) == 0 && strcmp(name + len, ".sha256") == 0) ||
	        (name[0] == '.' && strncmp(name + 1, out, len) == 0 && name[len + 1] == '.');
	return named && fstat(dir_fd, &dir_st) == 0 && dir_st.st_dev == w->opt->out_dev &&
	       dir_st.st_ino == w->opt->out_ino;
}

static void match_at(struct walker *w, int dir_fd, size_t i);

/*
 * The directory a rule takes whole ("var/log" for /var/log/ then "**", "" for / then "**"), or
 * NULL: a pattern of plain names, then a last "**", matched as written (not a home's, not
 * case-folded).
 */
static char *whole_dir(const struct rule *r)
{
	const char *p = r->pattern;
	size_t len = strlen(p);

	if ((r->flags & RULE_NOCASE) || p[0] != '/' || len < 3 || strcmp(p + len - 3, "/**") != 0)
		return NULL;
	if (len == 3)
		return xstrdup(""); /* the whole root */
	p++;
	len -= 4;
	for (size_t i = 0; i < len; i++)
		if (strchr("*?[\\", p[i]) != NULL)
			return NULL;
	/* Only plain names: no ".", "..", or empty one. */
	for (const char *c = p, *end = p + len; c < end;) {
		const char *slash = memchr(c, '/', (size_t)(end - c));
		size_t n = slash ? (size_t)(slash - c) : (size_t)(end - c);

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return NULL;
		c += n + 1;
	}
	return xstrndup(p, len);
}

/* Is the directory being matched below one an earlier rule took whole? */
static int taken_whole(const struct walker *w)
{
	for (size_t k = 0; k < w->n_taken_whole; k++) {
		const char *d = w->taken_whole[k];
		size_t n = strlen(d);

		if (n == 0 || (strncmp(w->path.buf ? w->path.buf : "", d, n) == 0 &&
		               (w->path.buf[n] == '\0' || w->path.buf[n] == '/')))
			return 1;
	}
	return 0;
}

/* Descend into the real directory name (never a link) and match component i there. */
static void descend(struct walker *w, int dir_fd, const char *name, const struct stat *st, size_t i)
{
	size_t saved_len = w->path.len;
	int sub;

	if (w->depth >= WALK_MAX_DEPTH) {
		walk_error(w, name, ELOOP);
		return;
	}
	if (st->st_dev != w->root_dev) {
		note_mount(w, name);
		if (w->opt->one_file_system)
			return;
	}
	sub = rootfs_openat(dir_fd, name, O_RDONLY | O_DIRECTORY);
	if (sub < 0) {
		if (errno != ENOENT)
			walk_error(w, name, errno);
		return;
	}
	if (w->path.len)
		strbuf_addch(&w->path, '/');
	strbuf_addstr(&w->path, name);
	w->depth++;
	match_at(w, sub, i);
	w->depth--;
	w->path.len = saved_len;
	w->path.buf[saved_len] = '\0';
	close(sub);
}

/*
 * Component i matched name in dir_fd, whose lstat gave st (or failed with errnum): a last
 * component is an entry (path and slot from unseen_path, taken over), others are descended.
 */
static void found_name(struct walker *w, int dir_fd, const char *name, size_t i, char *path,
                       size_t slot, const struct stat *st, int errnum)
{
	if (errnum) {
		if (errnum != ENOENT)
			walk_error(w, name, errnum);
		free(path);
		return;
	}
	if (i + 1 == w->n_comps) {
		if (S_ISDIR(st->st_mode))
			free(path);
		else
			add_entry_at(w, dir_fd, name, path, slot, st,
			             is_output_file(w, dir_fd, name));
	} else if (S_ISDIR(st->st_mode)) {
		descend(w, dir_fd, name, st, i + 1);
	} else if (S_ISLNK(st->st_mode)) {
		add_entry(w, dir_fd, name, st, 0); /* a link on the way: recorded, not followed */
	}
}

/* Component i matched name in dir_fd. */
static void matched_name(struct walker *w, int dir_fd, const char *name, size_t i)
{
	size_t slot = 0;
	char *path = NULL;
	struct stat st;
	int errnum;

	/*
	 * A path met before needs no second stat: the log directories' catch-all rules walk
	 * again what the profile's rules have taken, most of it.
	 */
	if (i + 1 == w->n_comps && (path = new_entry_path(w, name, &slot)) == NULL)
		return;
	errnum = fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ? errno : 0;
	found_name(w, dir_fd, name, i, path, slot, &st, errnum);
}

/*
 * The names that match the last component i, as matched_name would take them one by one, but
 * in batches whose lstat calls the helper thread shares.
 */
static void match_files(struct walker *w, int dir_fd, char **names, size_t n, size_t i)
{
	int flags = w->nocase ? FNM_CASEFOLD : 0;
	/* "*" (a "**" rule's last part) takes every name: no call to fnmatch for each. */
	int every = strcmp(w->comps[i], "*") == 0;
	size_t k = 0;

	while (k < n) {
		size_t want = STAT_BATCH, m = 0;
		int seen_ok;

		if (make_room(w, &want, &seen_ok) < 0)
			return;
		for (; k < n && m < want; k++) {
			if (!every && fnmatch_bytes(w->comps[i], names[k], flags) != 0)
				continue;
			w->batch_paths[m] = unseen_path(w, names[k], seen_ok, &w->batch_slots[m]);
			if (w->batch_paths[m])
				w->batch_names[m++] = names[k];
		}
		walk_stat_names(w->stat_helper, dir_fd, w->batch_names, m, w->batch_st,
		                w->batch_err);
		for (size_t j = 0; j < m; j++) {
			size_t slot = w->batch_slots[j];

			/* An earlier file of the batch took the free slot found for this one. */
			if (slot != SIZE_MAX && w->seen[slot] != 0)
				slot = seen_slot(w, w->batch_paths[j]);
			found_name(w, dir_fd, w->batch_names[j], i, w->batch_paths[j], slot,
			           &w->batch_st[j], w->batch_err[j]);
		}
	}
}

static void match_at(struct walker *w, int dir_fd, size_t i)
{
	const char *comp = w->comps[i];
	unsigned char *types = NULL;
	char **names;
	size_t n;

	/* A home directory from the root's own passwd may say "/../x": openat would follow "..". */
	if (strcmp(comp, "..") == 0 || strcmp(comp, ".") == 0)
		return;
	/* Nothing new below: only an expected rule walks on, to learn whether it matches. */
	if (w->n_taken_whole && !(w->rule->flags & RULE_EXPECTED) && taken_whole(w))
		return;
	if (!has_glob(comp) && !w->nocase) {
		matched_name(w, dir_fd, comp, i);
		return;
	}
	if ((names = list_dir(dir_fd, &n, &types)) == NULL) {
		walk_error(w, NULL, errno);
		return;
	}
	if (strcmp(comp, "**") == 0) {
		match_at(w, dir_fd, i + 1); /* zero directories */
		for (size_t k = 0; k < n; k++) {
			struct stat st;

			/* readdir's type spares a stat of every file; descend still opens with
			 * O_DIRECTORY and O_NOFOLLOW, so a type that changed since is refused. */
			if (types[k] != DT_DIR && types[k] != DT_UNKNOWN)
				continue;
			if (fstatat(dir_fd, names[k], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISDIR(st.st_mode))
				descend(w, dir_fd, names[k], &st, i);
		}
	} else if (i + 1 == w->n_comps) {
		match_files(w, dir_fd, names, n, i);
	} else {
		int flags = w->nocase ? FNM_CASEFOLD : 0;

		for (size_t k = 0; k < n; k++)
			if (fnmatch_bytes(comp, names[k], flags) == 0)
				matched_name(w, dir_fd, names[k], i);
	}
	free(names);
	free(types);
}

/* Split an absolute pattern into components; a trailing "**" means "**" + "*". */
static void split_pattern(struct walker *w, const char *pattern)
{
	char *copy = xstrdup(pattern), *save = NULL;

	w->n_comps = 0;
	w->comps = NULL;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (w->n_comps > 0 && strcmp(c, "**") == 0 &&
		    strcmp(w->comps[w->n_comps - 1], "**") == 0)
			continue; /* "**" / "**" is one "**" */
		w->comps = xreallocarray(w->comps, w->n_comps + 2, sizeof(*w->comps));
		w->comps[w->n_comps++] = xstrdup(c);
	}
	if (w->n_comps > 0 && strcmp(w->comps[w->n_comps - 1], "**") == 0)
		w->comps[w->n_comps++] = xstrdup("*");
	free(copy);
}

static void walk_one(struct walker *w, const char *pattern)
{
	int root = dup(w->opt->root_fd);

	if (root < 0) {
		walk_error(w, NULL, errno);
		return;
	}
	split_pattern(w, pattern);
	strbuf_reset(&w->path);
	if (w->n_comps > 0)
		match_at(w, root, 0);
	for (size_t i = 0; i < w->n_comps; i++)
		free(w->comps[i]);
	free(w->comps);
	w->comps = NULL;
	close(root);
}

/* A home without its trailing slashes ("/home/a/" is "/home/a"). Caller frees. */
static char *home_key(const char *home)
{
	size_t len = strlen(home);

	while (len > 1 && home[len - 1] == '/')
		len--;
	return xstrndup(home, len);
}

static int cmp_home(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}
/*
 * Add each real directory in the root's parent (a relative path, "home" or "export/home")
 * that listed (passwd's homes, sorted, without trailing slashes) does not name; parent is
 * matched without regard to case when nocase ("Users" on macOS and Windows images).
 */
static void add_unlisted_homes(const struct walk_options *opt, const char *parent, int nocase,
                               char ***homes, size_t *n, char **listed, size_t n_listed,
                               struct walk_result *res)
{
	const char *slash = strchr(parent, '/');
	char *first = slash ? xstrndup(parent, (size_t)(slash - parent)) : xstrdup(parent);
	char **names;
	size_t count;
	int fd = -1;

	/* Only the first component may differ in case ("Users", "users"). */
	if ((names = list_dir(opt->root_fd, &count, NULL)) == NULL)
		goto out;
	for (size_t i = 0; i < count && fd < 0; i++) {
		int hit = nocase ? strcasecmp(names[i], first) == 0 : strcmp(names[i], first) == 0;
		char *rel;

		if (!hit)
			continue;
		rel = slash ? xasprintf("%s%s", names[i], slash) : xstrdup(names[i]);
		fd = rootfs_open(opt->root_fd, rel, O_RDONLY | O_DIRECTORY);
		if (fd >= 0) {
			char **users;
			size_t n_users;

			if ((users = list_dir(fd, &n_users, NULL)) != NULL) {
				for (size_t k = 0; k < n_users; k++) {
					struct stat st;
					char *home;

					if (fstatat(fd, users[k], &st, AT_SYMLINK_NOFOLLOW) < 0 ||
					    !S_ISDIR(st.st_mode))
						continue;
					home = xasprintf("/%s/%s", rel, users[k]);
					/* A sorted copy of passwd's homes: passwd may list
					 * hundreds of thousands, and so may /home. */
					if (bsearch(&home, listed, n_listed, sizeof(*listed),
					            cmp_home) != NULL) {
						free(home);
						continue;
					}
					*homes = xreallocarray(*homes, *n + 1, sizeof(**homes));
					(*homes)[(*n)++] = home;
					res->unlisted_homes = xreallocarray(
					        res->unlisted_homes, res->n_unlisted_homes + 1,
					        sizeof(*res->unlisted_homes));
					res->unlisted_homes[res->n_unlisted_homes++] =
					        xstrdup(home);
				}
				free(users);
			}
		}
		free(rel);
	}
	free(names);
out:
	if (fd >= 0)
		close(fd);
	free(first);
}

/*
 * Home directories: the root's passwd entries, then each directory under /home, /Users (any
 * case) and /export/home that passwd does not list: directory-service users (SSSD, LDAP, AD)
 * and accounts an intruder deleted keep their homes there. *n_listed_out says how many of the
 * homes came from passwd.
 */
static char **collect_homes(const struct walk_options *opt, size_t *n_out, size_t *n_listed_out,
                            struct walk_result *res)
{
	char **homes = xreallocarray(NULL, opt->n_homes + 1, sizeof(*homes));
	char **listed = xreallocarray(NULL, opt->n_homes + 1, sizeof(*listed));
	size_t n = 0;

	/* At once: the root's passwd may list hundreds of thousands of homes. */
	for (size_t i = 0; i < opt->n_homes; i++) {
		homes[n] = xstrdup(opt->homes[i]);
		listed[n++] = home_key(opt->homes[i]);
	}
	qsort(listed, n, sizeof(*listed), cmp_home);
	*n_listed_out = n;
	/* A home found under one parent is not found again under another: the parents differ. */
	add_unlisted_homes(opt, "home", 0, &homes, &n, listed, *n_listed_out, res);
	add_unlisted_homes(opt, "Users", 1, &homes, &n, listed, *n_listed_out, res);
	add_unlisted_homes(opt, "export/home", 0, &homes, &n, listed, *n_listed_out, res);
	for (size_t i = 0; i < *n_listed_out; i++)
		free(listed[i]);
	free(listed);
	*n_out = n;
	return homes;
}

void walk_result_sort(struct walk_result *res)
{
	walk_entries_sort(res->entries, &res->count);
}

int walk_rules(const struct walk_options *opt, const struct rule *rules, size_t n_rules,
               const char *const *categories, size_t n_categories, struct walk_result *res,
               struct error *err)
{
	struct walker w = {0};
	char **homes;
	size_t n_homes, n_listed;
	signed char *home_state; /* 0: not looked at, 1: may hold something, -1: absent */

	memset(res, 0, sizeof(*res));
	w.opt = opt;
	w.res = res;
	w.rules = rules;
	w.n_rules = n_rules;
	if (opt->spill_dir)
		w.run_entries = walk_run_entries();
	/* Without random bytes the table still works; only its defence against chosen names
	 * is lost, so the walk goes on. */
	if (RAND_bytes(w.seen_key, sizeof(w.seen_key)) != 1)
		memset(w.seen_key, 0x5a, sizeof(w.seen_key));
	{
		struct stat root_st;

		if (fstat(opt->root_fd, &root_st) < 0) {
			error_set(err, "the root: %s", strerror(errno));
			return -1;
		}
		w.root_dev = root_st.st_dev;
	}
	if (opt->stat_helper)
		w.stat_helper = walk_stat_new();
	homes = collect_homes(opt, &n_homes, &n_listed, res);
	home_state = xcalloc(n_homes ? n_homes : 1, 1);
	for (size_t i = 0; i < n_rules; i++) {
		const struct rule *r = &rules[i];
		int wanted = categories == NULL;

		for (size_t c = 0; c < n_categories && !wanted; c++)
			wanted = strcmp(categories[c], r->category) == 0;
		if (!wanted)
			continue;
		w.rule = r;
		w.nocase = (r->flags & RULE_NOCASE) != 0;
		w.matched = 0;
		if (str_has_prefix(r->pattern, "~/")) {
			for (size_t h = 0; h < n_homes; h++) {
				char *pat;

				/* A passwd may list 100,000 homes that do not exist: each is
				 * looked up once, not once per "~/" rule. Only a missing home
				 * is passed over; a link on the way is still walked to, and
				 * recorded. */
				if (home_state[h] == 0) {
					int fd = rootfs_open(opt->root_fd, homes[h] + 1,
					                     O_RDONLY | O_DIRECTORY);

					home_state[h] = fd < 0 && errno == ENOENT ? -1 : 1;
					if (fd >= 0)
						close(fd);
				}
				if (home_state[h] < 0)
					continue;
				pat = xasprintf("%s%s", homes[h], r->pattern + 1);

				w.home_unlisted = h >= n_listed ? homes[h] : NULL;
				walk_one(&w, pat);
				w.home_unlisted = NULL;
				free(pat);
			}
		} else {
			char *whole = whole_dir(r);

			walk_one(&w, r->pattern);
			if (whole) {
				w.taken_whole = xreallocarray(w.taken_whole, w.n_taken_whole + 1,
				                              sizeof(*w.taken_whole));
				w.taken_whole[w.n_taken_whole++] = whole;
			}
		}
		if (!w.matched && (r->flags & RULE_EXPECTED)) {
			res->absent =
			        xreallocarray(res->absent, res->n_absent + 1, sizeof(*res->absent));
			res->absent[res->n_absent++] = r;
		}
	}
	free(w.seen);
	w.seen = NULL;
	walk_stat_free(w.stat_helper);
	for (size_t k = 0; k < w.n_taken_whole; k++)
		free(w.taken_whole[k]);
	free(w.taken_whole);
	walk_entries_sort(res->entries, &res->count);
	/* The walk grew the array by doubling: give back what the entries do not use. */
	if (res->count > 0 && res->count < w.cap)
		res->entries = xreallocarray(res->entries, res->count, sizeof(*res->entries));
	if (res->n_mounts > 1)
		qsort(res->mounts, res->n_mounts, sizeof(*res->mounts), str_ptr_cmp);
	for (size_t h = 0; h < n_homes; h++)
		free(homes[h]);
	free(homes);
	free(home_state);
	strbuf_release(&w.path);
	if (w.spill_failed) {
		error_set(err, "%s", w.spill_err.msg);
		walk_result_free(res);
		return -1;
	}
	return 0;
}

void walk_result_free(struct walk_result *res)
{
	for (size_t i = 0; i < res->count; i++)
		walk_entry_release(&res->entries[i]);
	free(res->entries);
	walk_runs_free(res->runs);
	free(res->absent);
	for (size_t i = 0; i < res->n_unlisted_homes; i++)
		free(res->unlisted_homes[i]);
	free(res->unlisted_homes);
	for (size_t i = 0; i < res->n_errors; i++)
		free(res->errors[i]);
	free(res->errors);
	for (size_t i = 0; i < res->n_mounts; i++)
		free(res->mounts[i]);
	free(res->mounts);
	memset(res, 0, sizeof(*res));
}
