/* A series of snapshot bundles: verify each and the chain; rebuild files from segments. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "bundle/bundle-read.h"
#include "bundle/manifest.h"
#include "bundle/stage.h"
#include "bundle/verdict.h"
#include "report/coverage.h"
#include "series/chain.h"

#define TAG_MAX (64 * 1024 * 1024)
#define CHUNK 65536

/* What the pass over a bundle kept: the names of its members and the tag files chains need. */
struct bag_read {
	char **names; /* relative to the bag's top directory, sorted */
	size_t n_names, cap_names;
	struct strbuf segments, anomalies, coverage;
	int too_big;
	size_t index; /* extract: its payload is staged under in/<index>/ */
};

/* Where a staged payload member's bytes go when rebuilding. */
struct target {
	const char *bag_path; /* "data/..." */
	int fd;
	uint64_t offset, length;
};

/* The visitor's state during one pass. */
struct visit {
	struct bag_read *br;
	struct strbuf *keep;
	struct stage *stage; /* extract: payload members are written here as they are read */
	int staging;         /* the current member is being staged */
	struct error stage_err;
	int stage_failed;
};

static void problem(struct chain_report *rep, const char *fmt, ...) LP_ATTR_PRINTF(2, 3);

static void problem(struct chain_report *rep, const char *fmt, ...)
{
	va_list ap;

	rep->problems = xreallocarray(rep->problems, rep->n_problems + 1, sizeof(char *));
	va_start(ap, fmt);
	rep->problems[rep->n_problems++] = xvasprintf(fmt, ap);
	va_end(ap);
}

static void bag_read_free(struct bag_read *br)
{
	for (size_t i = 0; i < br->n_names; i++)
		free(br->names[i]);
	free(br->names);
	strbuf_release(&br->segments);
	strbuf_release(&br->anomalies);
	strbuf_release(&br->coverage);
	memset(br, 0, sizeof(*br));
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The member's name as stored in the bag, or NULL when the bag has no such member. */
static const char *member_find(const struct bag_read *br, const char *name)
{
	char *const *found =
	        br->n_names ? bsearch(&name, br->names, br->n_names, sizeof(char *), name_cmp)
	                    : NULL;

	return found ? *found : NULL;
}

/* A name inside the bag that cannot escape a directory: no "..", "." or empty component. */
static int name_safe(const char *name)
{
	const char *p = name;

	if (*p == '/' || *p == '\0')
		return 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += len + (slash ? 1 : 0);
		if (slash && *p == '\0')
			return 0;
	}
	return 1;
}

static void visit_begin(void *ctx, const char *name, uint64_t size)
{
	struct visit *v = ctx;
	struct bag_read *br = v->br;

	(void)size;
	if (br->n_names == br->cap_names) {
		br->cap_names = br->cap_names ? 2 * br->cap_names : 64;
		br->names = xreallocarray(br->names, br->cap_names, sizeof(char *));
	}
	br->names[br->n_names++] = xstrdup(name);
	v->keep = strcmp(name, "logpack/segments.jsonl") == 0    ? &br->segments
	          : strcmp(name, "logpack/anomalies.jsonl") == 0 ? &br->anomalies
	          : strcmp(name, "logpack/coverage.json") == 0   ? &br->coverage
	                                                         : NULL;
	v->staging = 0;
	if (v->stage && !v->stage_failed && strncmp(name, "data/", 5) == 0 && name_safe(name)) {
		char *rel = xasprintf("in/%zu/%s", br->index, name);

		if (stage_file_begin(v->stage, rel, NULL, &v->stage_err) < 0)
			v->stage_failed = 1;
		else
			v->staging = 1;
		free(rel);
	}
}

static void visit_data(void *ctx, const void *buf, size_t len)
{
	struct visit *v = ctx;

	if (v->keep) {
		if (v->keep->len + len <= TAG_MAX)
			strbuf_add(v->keep, buf, len);
		else
			v->br->too_big = 1;
	}
	if (v->staging && stage_file_write(v->stage, buf, len, &v->stage_err) < 0) {
		v->staging = 0;
		v->stage_failed = 1;
	}
}

static void visit_end(void *ctx, const char *sha256_hex)
{
	struct visit *v = ctx;

	(void)sha256_hex;
	if (v->staging && stage_file_end(v->stage, &v->stage_err) < 0)
		v->stage_failed = 1;
	v->staging = 0;
	v->keep = NULL;
}

/*
 * The one verifying pass over a bundle (the shared reader: manifests, signature, limits),
 * keeping what the chain needs. With a stage, its payload members are also written under
 * in/<br->index>/ there as they are hashed: what a rebuild reads later is what was verified.
 * 0 with the reader's verdict in out, or -1 when the bundle cannot be read or staged.
 */
static int read_bundle(const char *path, const struct bundle_read_options *ropt,
                       struct bag_read *br, struct stage *stage, struct bundle_report *out,
                       struct error *err)
{
	struct bundle_read_options opt = *ropt;
	struct bundle_visitor visitor = {0};
	struct visit v = {0};

	v.br = br;
	v.stage = stage;
	visitor.ctx = &v;
	visitor.member_begin = visit_begin;
	visitor.member_data = visit_data;
	visitor.member_end = visit_end;
	opt.visitor = &visitor;
	if (bundle_read_path(path, &opt, out, err) < 0)
		return -1;
	if (v.stage_failed) {
		if (v.staging)
			stage_file_end(stage, err);
		error_set(err, "staging what %s holds: %s", path, v.stage_err.msg);
		bundle_report_free(out);
		return -1;
	}
	if (br->n_names > 0)
		qsort(br->names, br->n_names, sizeof(char *), name_cmp);
	return 0;
}

static int bundle_cmp(const void *a, const void *b)
{
	const struct chain_bundle *x = a, *y = b;

	return x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
}

static void add_lines(char ***list, size_t *n, const struct strbuf *sb)
{
	for (const char *line = sb->buf; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len) {
			*list = xreallocarray(*list, *n + 1, sizeof(char *));
			(*list)[(*n)++] = xstrndup(line, len);
		}
		line = nl ? nl + 1 : NULL;
	}
}

static int check_segments(struct bag_read *reads, size_t n, struct chain_report *rep,
                          struct error *err);

/* Pass one over every bundle; the reads are kept (in sequence order) for extract. */
static char *info_copy(const struct bundle_report *r, const char *key)
{
	const char *v = bundle_report_info(r, key);

	return v ? xstrdup(v) : NULL;
}

static int verify_all(const char *const *paths, size_t n, const struct bundle_read_options *ropt,
                      struct stage *stage, struct chain_report *rep, struct bag_read **reads_out,
                      struct error *err)
{
	struct bag_read *reads = xcalloc(n + 1, sizeof(*reads));
	int rc = -1;

	memset(rep, 0, sizeof(*rep));
	rep->bundles = xcalloc(n + 1, sizeof(*rep->bundles));
	for (size_t i = 0; i < n; i++) {
		struct chain_bundle *b = &rep->bundles[i];
		struct bag_read *br = &reads[i];
		struct bundle_report r;
		char *seq;

		b->path = xstrdup(paths[i]);
		br->index = i;
		if (read_bundle(paths[i], ropt, br, stage, &r, err) < 0) {
			/* What was filled in so far is the report's, freed with it. */
			rep->n_bundles = i + 1;
			goto out;
		}
		b->outcome = r.outcome;
		b->verdict = verdict_line(&r);
		b->intact = bundle_outcome_valid(r.outcome);
		if (!b->intact)
			problem(rep, "%s: %s", paths[i], b->verdict);
		if (br->too_big)
			problem(rep, "%s: segments.jsonl or anomalies.jsonl is too large",
			        paths[i]);
		if (r.tagmanifest_sha256 && sha256_hex_valid(r.tagmanifest_sha256))
			strcpy(b->tagmanifest_sha256, r.tagmanifest_sha256);
		b->series = info_copy(&r, "LogPack-Snapshot-Series");
		b->previous = info_copy(&r, "LogPack-Snapshot-Previous");
		seq = info_copy(&r, "LogPack-Snapshot-Sequence");
		b->sequence = seq ? strtoull(seq, NULL, 10) : 0;
		bundle_report_free(&r);
		if (b->series == NULL || b->sequence == 0)
			problem(rep, "%s: not a snapshot (no series or sequence in bag-info.txt)",
			        paths[i]);
		free(seq);
		for (const char *l = br->segments.buf; l && *l;
		     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			b->segments++;
		for (const char *l = br->anomalies.buf; l && *l;
		     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			b->anomalies++;
		/* Only a verified bundle's coverage counts towards the series' time. */
		if (b->intact && br->coverage.len &&
		    coverage_span(br->coverage.buf, br->coverage.len, &b->events_from,
		                  &b->events_to)) {
			b->has_events = 1;
			if (!rep->has_events || b->events_from < rep->events_from)
				rep->events_from = b->events_from;
			if (!rep->has_events || b->events_to > rep->events_to)
				rep->events_to = b->events_to;
			rep->has_events = 1;
		}
	}
	rep->n_bundles = n;
	{
		/* Sort bundles and reads together by sequence (few bundles: a simple sort). */
		struct chain_bundle *bs = rep->bundles;

		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (bundle_cmp(&bs[j], &bs[i]) < 0) {
					struct chain_bundle tb = bs[i];
					struct bag_read tr = reads[i];

					bs[i] = bs[j];
					bs[j] = tb;
					reads[i] = reads[j];
					reads[j] = tr;
				}
	}
	for (size_t i = 0; i < n; i++) {
		struct chain_bundle *b = &rep->bundles[i];

		if (!b->series)
			continue;
		if (strcmp(b->series, rep->bundles[0].series ? rep->bundles[0].series : "") != 0)
			problem(rep, "%s: series %s, not %s: more than one series", b->path,
			        b->series, rep->bundles[0].series);
		if (b->sequence != (uint64_t)i + 1)
			problem(rep, "%s: sequence %llu where %zu was expected: %s", b->path,
			        (unsigned long long)b->sequence, i + 1,
			        i > 0 && b->sequence == rep->bundles[i - 1].sequence
			                ? "a snapshot appears twice"
			                : "a snapshot is missing");
		if (i == 0 && b->previous)
			problem(rep, "%s: the first snapshot names a previous one", b->path);
		if (i > 0 && (b->previous == NULL ||
		              strcmp(b->previous, rep->bundles[i - 1].tagmanifest_sha256) != 0))
			problem(rep,
			        "%s: does not link to %s (its previous tagmanifest sha256 is %s, "
			        "that bundle's is %s): a snapshot was replaced, removed or "
			        "reordered",
			        b->path, rep->bundles[i - 1].path,
			        b->previous ? b->previous : "none",
			        rep->bundles[i - 1].tagmanifest_sha256);
		add_lines(&rep->anomalies, &rep->n_anomalies, &reads[i].anomalies);
	}
	if (n == 0)
		problem(rep, "no bundles given");
	if (check_segments(reads, n, rep, err) < 0)
		goto out;
	*reads_out = reads;
	reads = NULL;
	rc = 0;
out:
	if (reads) {
		for (size_t i = 0; i < n; i++)
			bag_read_free(&reads[i]);
		free(reads);
	}
	return rc;
}

int chain_verify(const char *const *bundles, size_t n, const struct bundle_read_options *ropt,
                 struct chain_report *rep, struct error *err)
{
	struct bag_read *reads = NULL;

	if (verify_all(bundles, n, ropt, NULL, rep, &reads, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		bag_read_free(&reads[i]);
	free(reads);
	return 0;
}

static int has_tar_suffix(const char *name)
{
	static const char *const suffixes[] = {".tar", ".tar.zst", ".tar.gz", ".tar.xz"};

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (str_has_suffix(name, suffixes[i]))
			return 1;
	return 0;
}

int chain_list_bundles(const char *const *paths, size_t n, char ***out, size_t *n_out,
                       struct error *err)
{
	char **list = NULL;
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;

		if (stat(paths[i], &st) < 0) {
			error_set(err, "%s: %s", paths[i], strerror(errno));
			goto fail;
		}
		if (!S_ISDIR(st.st_mode)) {
			list = xreallocarray(list, count + 1, sizeof(char *));
			list[count++] = xstrdup(paths[i]);
			continue;
		}
		if ((d = opendir(paths[i])) == NULL) {
			error_set(err, "%s: %s", paths[i], strerror(errno));
			goto fail;
		}
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' && has_tar_suffix(de->d_name)) {
				list = xreallocarray(list, count + 1, sizeof(char *));
				list[count++] = xasprintf("%s/%s", paths[i], de->d_name);
			}
		closedir(d);
	}
	if (count > 0)
		qsort(list, count, sizeof(char *), str_ptr_cmp);
	*out = list;
	*n_out = count;
	return 0;
fail:
	for (size_t i = 0; i < count; i++)
		free(list[i]);
	free(list);
	return -1;
}

/* ---- extract ---- */

struct xfile {
	char *id;
	char *path; /* raw, relative: the latest path */
	uint64_t last_seq;
	uint64_t size;
	char expect[SHA256_HEX_LEN + 1];
	int fd;
	char *tmp;
	char *final;
};

struct xstate {
	int dir_fd; /* where files are rebuilt under temporary names, or -1 when only checking */
	int out_fd; /* where they get their names */
	struct xfile *files;
	size_t n_files;
};

static struct xfile *xfile_get(struct xstate *x, const char *id, struct error *err)
{
	struct xfile *f;

	for (size_t i = 0; i < x->n_files; i++)
		if (strcmp(x->files[i].id, id) == 0)
			return &x->files[i];
	if (strspn(id, "0123456789.") != strlen(id) || *id == '\0' || strlen(id) > 40) {
		error_set(err, "malformed file id in segments.jsonl");
		return NULL;
	}
	x->files = xreallocarray(x->files, x->n_files + 1, sizeof(*x->files));
	f = &x->files[x->n_files++];
	memset(f, 0, sizeof(*f));
	f->id = xstrdup(id);
	f->fd = -1;
	if (x->dir_fd < 0)
		return f; /* only checking the records */
	/* Not an atomic_file: a rebuilt file is filled out of order (segments arrive in bundle
	 * order, not file order) and then hard-linked under its name in out/. The unit that is
	 * made durable and renamed into place is the whole staging directory (stage.c), which a
	 * failed check or a signal removes with everything in it. */
	f->tmp = xasprintf(".logpack-chain-%s", id);
	f->fd = openat(x->dir_fd, f->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f->fd < 0) {
		error_set(err, "%s: %s", f->tmp, strerror(errno));
		return NULL;
	}
	return f;
}

/* The raw relative path from a segments.jsonl "path" ("/" + bag name encoding). */
static char *record_path(const char *text)
{
	char *raw;
	size_t len;

	if (text == NULL || text[0] != '/' || bagname_decode(text + 1, &raw, &len) < 0)
		return NULL;
	if (strlen(raw) != len || !name_safe(raw)) {
		free(raw);
		return NULL;
	}
	return raw;
}

/* Read one bundle's segments.jsonl into targets for its payload, and update the files. */
static int plan_bundle(struct xstate *x, const struct bag_read *br, uint64_t seq,
                       struct target **targets, size_t *n_targets, struct chain_report *rep,
                       const char *bundle, struct error *err)
{
	for (const char *line = br->segments.buf; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		json_t *o = json_loadb(line, len, 0, NULL);
		const char *id = json_string_value(json_object_get(o, "file_id"));
		const char *event = json_string_value(json_object_get(o, "event"));
		char *raw = record_path(json_string_value(json_object_get(o, "path")));
		struct xfile *f;

		line = nl ? nl + 1 : NULL;
		if (o == NULL || id == NULL || event == NULL || raw == NULL) {
			problem(rep, "%s: malformed segments.jsonl record", bundle);
			json_decref(o);
			free(raw);
			continue;
		}
		if ((f = xfile_get(x, id, err)) == NULL) {
			json_decref(o);
			free(raw);
			return -1;
		}
		f->last_seq = seq;
		if (strcmp(event, "compressed") == 0) {
			/* Named as it is once decompressed. */
			static const char *const packed[] = {".gz", ".xz", ".zst", ".bz2"};

			for (size_t k = 0; k < sizeof(packed) / sizeof(packed[0]); k++)
				if (str_has_suffix(raw, packed[k])) {
					raw[strlen(raw) - strlen(packed[k])] = '\0';
					break;
				}
		}
		free(f->path);
		f->path = raw;
		raw = NULL;
		if (strcmp(event, "whole") == 0 || strcmp(event, "segment") == 0) {
			const char *bag = json_string_value(json_object_get(o, "bag_path"));
			const char *prefix = json_string_value(json_object_get(o, "prefix_sha256"));
			json_int_t off = json_integer_value(json_object_get(o, "offset"));
			json_int_t length = json_integer_value(json_object_get(o, "length"));
			struct target *t;

			if (bag == NULL || prefix == NULL || !sha256_hex_valid(prefix) || off < 0 ||
			    length < 0 || member_find(br, bag) == NULL) {
				problem(rep, "%s: segment record for %s names no payload", bundle,
				        f->path);
			} else if ((uint64_t)off != f->size) {
				problem(rep,
				        "%s: segment of %s at offset %lld, but %llu bytes were "
				        "held: "
				        "bytes are missing or repeated",
				        bundle, f->path, (long long)off,
				        (unsigned long long)f->size);
			} else {
				*targets =
				        xreallocarray(*targets, *n_targets + 1, sizeof(**targets));
				t = &(*targets)[(*n_targets)++];
				t->bag_path = member_find(br, bag);
				t->fd = f->fd;
				t->offset = (uint64_t)off;
				t->length = (uint64_t)length;
				f->size += (uint64_t)length;
				strcpy(f->expect, prefix);
			}
		}
		free(raw);
		json_decref(o);
	}
	return 0;
}

static int xfile_cmp(const void *a, const void *b)
{
	const struct xfile *x = a, *y = b;

	if (x->last_seq != y->last_seq)
		return x->last_seq > y->last_seq ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Create the directories of rel under dir_fd; the parent's fd, or -1. */
static int make_parents(int dir_fd, const char *rel, const char **base)
{
	char *copy = xstrdup(rel), *p = copy, *slash;
	int fd = dup(dir_fd);

	while (fd >= 0 && (slash = strchr(p, '/')) != NULL) {
		int next;

		*slash = '\0';
		if (mkdirat(fd, p, 0700) < 0 && errno != EEXIST) {
			close(fd);
			fd = -1;
			break;
		}
		next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*base = rel + (p - copy);
	free(copy);
	return fd;
}

static int name_taken(struct xstate *x, size_t upto, const char *name)
{
	for (size_t i = 0; i < upto; i++)
		if (x->files[i].final && strcmp(x->files[i].final, name) == 0)
			return 1;
	return 0;
}

/* Check each rebuilt file against its last recorded SHA-256, then give it its name. */
static int place_files(struct xstate *x, struct chain_report *rep, struct error *err)
{
	char *buf = xmalloc(CHUNK);
	int rc = -1;

	if (x->n_files > 0)
		qsort(x->files, x->n_files, sizeof(*x->files), xfile_cmp);
	for (size_t i = 0; i < x->n_files; i++) {
		struct xfile *f = &x->files[i];
		char hex[SHA256_HEX_LEN + 1];
		struct sha256 h;
		uint64_t pos = 0;
		ssize_t n;
		const char *base;
		int parent;

		if (f->path == NULL)
			continue;
		if (sha256_init(&h, err) < 0)
			goto out;
		while ((n = pread(f->fd, buf, CHUNK, (off_t)pos)) > 0) {
			sha256_update(&h, buf, (size_t)n);
			pos += (uint64_t)n;
		}
		sha256_final_hex(&h, hex);
		if (f->size > 0 && (pos != f->size || strcmp(hex, f->expect) != 0)) {
			problem(rep,
			        "/%s (file %s): rebuilt content does not match its recorded "
			        "SHA-256",
			        f->path, f->id);
			continue;
		}
		f->final = name_taken(x, i, f->path) ? xasprintf("%s.~%s~", f->path, f->id)
		                                     : xstrdup(f->path);
		parent = make_parents(x->out_fd, f->final, &base);
		if (parent < 0 || linkat(x->dir_fd, f->tmp, parent, base, 0) < 0) {
			error_set(err, "/%s: %s", f->final, strerror(errno));
			if (parent >= 0)
				close(parent);
			goto out;
		}
		close(parent);
		unlinkat(x->dir_fd, f->tmp, 0);
		rep->files = xreallocarray(rep->files, rep->n_files + 1, sizeof(char *));
		rep->files[rep->n_files++] =
		        xasprintf("%s\t%llu\t%s", f->final, (unsigned long long)f->size, f->id);
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Copy a target's bytes from its staged member into the rebuilt file; 1 if it is short. */
static int copy_target(int stage_fd, const struct bag_read *br, const struct target *t, char *buf,
                       struct error *err)
{
	char *rel = xasprintf("in/%zu/%s", br->index, t->bag_path);
	int fd = openat(stage_fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	uint64_t done = 0;
	int rc = -1;

	if (fd < 0) {
		error_set(err, "%s: %s", rel, strerror(errno));
		goto out;
	}
	while (done < t->length) {
		size_t want = t->length - done < CHUNK ? (size_t)(t->length - done) : CHUNK;
		ssize_t got = read(fd, buf, want);

		if (got < 0) {
			error_set(err, "%s: %s", rel, strerror(errno));
			goto out;
		}
		if (got == 0) {
			rc = 1;
			goto out;
		}
		if (pwrite(t->fd, buf, (size_t)got, (off_t)(t->offset + done)) != got) {
			error_set(err, "rebuilding from %s: %s", rel,
			          strerror(errno ? errno : EIO));
			goto out;
		}
		done += (uint64_t)got;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(rel);
	return rc;
}

/*
 * One pass per bundle: each is verified while its payload is staged in a private directory
 * inside dir; the files are rebuilt there from the staged copies, and moved into dir only
 * when every bundle and the chain are valid. The staging directory is removed in any case.
 */
int chain_extract(const char *const *bundles, size_t n, const struct bundle_read_options *ropt,
                  const char *dir, struct chain_report *rep, struct error *err)
{
	struct bag_read *reads = NULL;
	struct stage *stage = NULL;
	struct xstate x;
	char *buf = NULL;
	int rc = -1;

	memset(&x, 0, sizeof(x));
	x.dir_fd = x.out_fd = -1;
	memset(rep, 0, sizeof(*rep));
	if (stage_open(&stage, dir, err) < 0)
		return -1;
	if (verify_all(bundles, n, ropt, stage, rep, &reads, err) < 0)
		goto out;
	if (rep->n_problems) {
		rc = 1;
		goto out;
	}
	if (stage_dir(stage, "work", NULL, err) < 0 || stage_dir(stage, "out", NULL, err) < 0)
		goto out;
	x.dir_fd = openat(stage_fd(stage), "work", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	x.out_fd = openat(stage_fd(stage), "out", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (x.dir_fd < 0 || x.out_fd < 0) {
		error_set(err, "%s: staging: %s", dir, strerror(errno));
		goto out;
	}
	buf = xmalloc(CHUNK);
	for (size_t i = 0; i < n; i++) {
		struct target *targets = NULL;
		size_t n_targets = 0;
		const struct chain_bundle *b = &rep->bundles[i];
		int failed = plan_bundle(&x, &reads[i], b->sequence, &targets, &n_targets, rep,
		                         b->path, err) < 0;

		for (size_t k = 0; k < n_targets && !failed; k++) {
			int short_read =
			        copy_target(stage_fd(stage), &reads[i], &targets[k], buf, err);

			if (short_read < 0)
				failed = 1;
			else if (short_read)
				problem(rep, "%s: %s is shorter than its segment", b->path,
				        targets[k].bag_path);
		}
		free(targets);
		if (failed)
			goto out;
	}
	if (rep->n_problems) {
		rc = 1;
		goto out;
	}
	if (place_files(&x, rep, err) < 0)
		goto out;
	if (rep->n_problems) {
		rc = 1;
		goto out;
	}
	if (stage_commit_entries(stage, "out", err) < 0)
		goto out;
	rc = 0;
out:
	for (size_t i = 0; i < x.n_files; i++) {
		if (x.files[i].fd >= 0)
			close(x.files[i].fd);
		free(x.files[i].id);
		free(x.files[i].path);
		free(x.files[i].tmp);
		free(x.files[i].final);
	}
	free(x.files);
	free(buf);
	if (x.dir_fd >= 0)
		close(x.dir_fd);
	if (x.out_fd >= 0)
		close(x.out_fd);
	stage_close(stage);
	if (reads) {
		for (size_t i = 0; i < n; i++)
			bag_read_free(&reads[i]);
		free(reads);
	}
	return rc;
}

void chain_report_free(struct chain_report *rep)
{
	for (size_t i = 0; i < rep->n_bundles; i++) {
		free(rep->bundles[i].path);
		free(rep->bundles[i].series);
		free(rep->bundles[i].previous);
		free(rep->bundles[i].verdict);
	}
	free(rep->bundles);
	for (size_t i = 0; i < rep->n_problems; i++)
		free(rep->problems[i]);
	free(rep->problems);
	for (size_t i = 0; i < rep->n_anomalies; i++)
		free(rep->anomalies[i]);
	free(rep->anomalies);
	for (size_t i = 0; i < rep->n_files; i++)
		free(rep->files[i]);
	free(rep->files);
	memset(rep, 0, sizeof(*rep));
}

/* Do the segments of the series follow each other, with no byte missing or repeated? */
static int check_segments(struct bag_read *reads, size_t n, struct chain_report *rep,
                          struct error *err)
{
	struct xstate x;
	int rc = 0;

	memset(&x, 0, sizeof(x));
	x.dir_fd = -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct target *targets = NULL;
		size_t n_targets = 0;

		rc = plan_bundle(&x, &reads[i], rep->bundles[i].sequence, &targets, &n_targets, rep,
		                 rep->bundles[i].path, err);
		free(targets);
	}
	for (size_t i = 0; i < x.n_files; i++) {
		free(x.files[i].id);
		free(x.files[i].path);
		free(x.files[i].tmp);
	}
	free(x.files);
	return rc;
}
