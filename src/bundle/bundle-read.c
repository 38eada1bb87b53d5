/* Read and verify a bundle or a bag directory in one streaming pass. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "base/hash.h"
#include "bundle/bundle-read.h"
#include "bundle/manifest.h"

#define SIGNATURE_NAME "tagmanifest-sha256.txt.p7s"
#define SMALL_TAG_MAX (1024 * 1024)        /* bagit.txt, bag-info.txt, the signature */
#define TAGMANIFEST_MAX (16 * 1024 * 1024) /* kept for the signature check */
#define LINE_MAX_LEN (64 * 1024)           /* one manifest line */
#define RATIO_FLOOR (64ULL * 1024 * 1024)  /* the ratio is judged only past this many bytes */
#define CHUNK (64 * 1024)

/* The checksum algorithms BagIt names; sha256 is always computed. */
enum { ALG_MD5, ALG_SHA1, ALG_SHA256, ALG_SHA512, ALG_N };
static const char *const alg_names[ALG_N] = {"md5", "sha1", "sha256", "sha512"};
static const char *const alg_labels[ALG_N] = {"MD5", "SHA-1", "SHA-256", "SHA-512"};
static const size_t alg_hex_len[ALG_N] = {32, 40, 64, 128};

/* Digests of the algorithms other than SHA-256, which few bags use. */
struct other_digests {
	unsigned char *actual[ALG_N];
	unsigned char *listed[ALG_N];
};

/*
 * One name seen in the bag or in a manifest. This is the memory verify needs per file, so it is
 * kept small: binary SHA-256 digests inline, the name in the same allocation.
 */
struct entry {
	uint64_t size;
	unsigned char present : 1;
	unsigned char is_dir : 1;
	unsigned char has_actual; /* bit per algorithm: computed */
	unsigned char has_listed; /* bit per algorithm: listed in a (tag) manifest */
	unsigned char sha256_actual[32];
	unsigned char sha256_listed[32];
	struct other_digests *other;
	char name[]; /* relative to the top directory */
};

/* Where an entry's digest of algorithm a (computed, or listed) is kept. */
static unsigned char *entry_digest(struct entry *e, int a, int listed)
{
	if (a == ALG_SHA256)
		return listed ? e->sha256_listed : e->sha256_actual;
	if (e->other == NULL)
		e->other = xcalloc(1, sizeof(*e->other));
	if (listed) {
		if (e->other->listed[a] == NULL)
			e->other->listed[a] = xmalloc(alg_hex_len[a] / 2);
		return e->other->listed[a];
	}
	if (e->other->actual[a] == NULL)
		e->other->actual[a] = xmalloc(alg_hex_len[a] / 2);
	return e->other->actual[a];
}

static int hex_nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
}

/* A streamed line-oriented file: a manifest or tag manifest. */
struct line_parser {
	struct strbuf line;
	int alg;
	int tag; /* a tag manifest */
	int too_long;
	uint64_t line_no;
};

struct reader {
	const struct bundle_read_options *opt;
	struct bundle_report *rep;
	int dir_mode;

	/* name -> entry, open addressing */
	struct entry **slots;
	size_t n_slots, n_entries;

	unsigned int algs_enabled; /* hash members with these */
	unsigned int manifests;    /* manifest-ALG.txt seen */
	unsigned int tagmanifests; /* tagmanifest-ALG.txt seen */
	int archive_broken;        /* truncated, corrupt or over a limit: stop */
	int several_tops;

	/* the current member */
	struct entry *cur;
	EVP_MD_CTX *md[ALG_N];
	struct strbuf *keep; /* buffer for a tag file we parse whole */
	size_t keep_max;
	int keep_over;
	struct line_parser *lines;
	const char *cur_label;

	struct strbuf bagit, baginfo, tagmanifest, signature;
	int have_bagit, have_baginfo, have_tagmanifest, have_signature;
	int tagmanifest_over, signature_over;
	struct line_parser lp;
};

#define printable bundle_printable_name

static void problem(struct reader *r, const char *fmt, ...) LP_ATTR_PRINTF(2, 3);
static void problem(struct reader *r, const char *fmt, ...)
{
	struct bundle_report *rep = r->rep;
	va_list ap;

	rep->n_problems_total++;
	if (rep->n_problems >= BUNDLE_MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	rep->problems = xreallocarray(rep->problems, rep->n_problems + 1, sizeof(char *));
	rep->problems[rep->n_problems++] = xvasprintf(fmt, ap);
	va_end(ap);
}

/* A problem about a named member; the name is made printable. */
static void problem_name(struct reader *r, const char *name, const char *what)
{
	char *shown = printable(name);

	problem(r, "'%s' %s", shown, what);
	free(shown);
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct entry *entry_find(struct reader *r, const char *name, int create)
{
	size_t i;

	if (r->n_slots > 0) {
		for (i = name_hash(name) & (r->n_slots - 1); r->slots[i];
		     i = (i + 1) & (r->n_slots - 1))
			if (strcmp(r->slots[i]->name, name) == 0)
				return r->slots[i];
	}
	if (!create)
		return NULL;
	if ((r->n_entries + 1) * 2 > r->n_slots) {
		size_t n = r->n_slots ? r->n_slots * 2 : 1024;
		struct entry **slots = xcalloc(n, sizeof(*slots));

		for (size_t k = 0; k < r->n_slots; k++) {
			if (r->slots[k] == NULL)
				continue;
			for (i = name_hash(r->slots[k]->name) & (n - 1); slots[i];
			     i = (i + 1) & (n - 1))
				;
			slots[i] = r->slots[k];
		}
		free(r->slots);
		r->slots = slots;
		r->n_slots = n;
	}
	for (i = name_hash(name) & (r->n_slots - 1); r->slots[i]; i = (i + 1) & (r->n_slots - 1))
		;
	r->slots[i] = xcalloc(1, sizeof(struct entry) + strlen(name) + 1);
	memcpy(r->slots[i]->name, name, strlen(name) + 1);
	r->n_entries++;
	return r->slots[i];
}

static void reader_free(struct reader *r)
{
	for (size_t i = 0; i < r->n_slots; i++) {
		struct entry *e = r->slots[i];

		if (e == NULL)
			continue;
		if (e->other) {
			for (int a = 0; a < ALG_N; a++) {
				free(e->other->actual[a]);
				free(e->other->listed[a]);
			}
			free(e->other);
		}
		free(e);
	}
	free(r->slots);
	for (int a = 0; a < ALG_N; a++)
		EVP_MD_CTX_free(r->md[a]);
	strbuf_release(&r->bagit);
	strbuf_release(&r->baginfo);
	strbuf_release(&r->tagmanifest);
	strbuf_release(&r->signature);
	strbuf_release(&r->lp.line);
}

/* Which algorithm a "manifest-ALG.txt" / "tagmanifest-ALG.txt" name uses, or -1. */
static int manifest_alg(const char *name, const char *prefix)
{
	size_t plen = strlen(prefix);

	if (strncmp(name, prefix, plen) != 0 || !str_has_suffix(name, ".txt"))
		return -1;
	for (int a = 0; a < ALG_N; a++) {
		size_t alen = strlen(alg_names[a]);

		if (strncmp(name + plen, alg_names[a], alen) == 0 &&
		    strcmp(name + plen + alen, ".txt") == 0)
			return a;
	}
	return -1;
}

/* One line of a (tag) manifest: record what it lists. */
static void manifest_line(struct reader *r, struct line_parser *lp, const char *line, size_t len)
{
	const char *file = lp->tag ? "tagmanifest" : "manifest";
	char hex[129], *path = NULL;
	const char *why;
	struct error err;
	struct entry *e;

	lp->line_no++;
	if (len == 0 || (len == 1 && line[0] == '\r'))
		return;
	if (manifest_parse_line(line, len, alg_hex_len[lp->alg], hex, &path, &err) < 0) {
		problem(r, "%s-%s.txt line %llu: %s", file, alg_names[lp->alg],
		        (unsigned long long)lp->line_no, err.msg);
		return;
	}
	if ((why = bundle_name_unsafe(path)) != NULL || str_has_prefix(path, "./")) {
		char *shown = printable(path);

		problem(r, "%s-%s.txt lists '%s', which %s", file, alg_names[lp->alg], shown,
		        why ? why : "is not a plain relative name");
		free(shown);
		goto out;
	}
	if (lp->tag == str_has_prefix(path, "data/")) {
		char *shown = printable(path);

		problem(r, "%s-%s.txt lists '%s', %s", file, alg_names[lp->alg], shown,
		        lp->tag ? "a payload file (tag manifests list tag files)"
		                : "which is outside data/");
		free(shown);
		goto out;
	}
	/* Manifest lines cost memory like members do: bound them the same way. */
	if (r->n_entries >= 2 * r->opt->limits.max_members && !entry_find(r, path, 0)) {
		if (!r->archive_broken)
			problem(r,
			        "the manifests list more than %llu files: stopped (raise the limit "
			        "with --max-members)",
			        (unsigned long long)r->opt->limits.max_members);
		r->archive_broken = 1;
		goto out;
	}
	e = entry_find(r, path, 1);
	if (e->has_listed & (1u << lp->alg)) {
		char *shown = printable(path);

		problem(r, "%s-%s.txt lists '%s' twice", file, alg_names[lp->alg], shown);
		free(shown);
		goto out;
	}
	{
		unsigned char *d = entry_digest(e, lp->alg, 1);

		for (size_t k = 0; k < alg_hex_len[lp->alg] / 2; k++)
			d[k] = (unsigned char)(hex_nibble(hex[2 * k]) << 4 |
			                       hex_nibble(hex[2 * k + 1]));
		e->has_listed |= (unsigned char)(1u << lp->alg);
	}
out:
	free(path);
}

static void lines_feed(struct reader *r, struct line_parser *lp, const char *buf, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t take = nl ? (size_t)(nl - buf) : len;

		if (!lp->too_long) {
			if (lp->line.len + take > LINE_MAX_LEN) {
				lp->too_long = 1;
				problem(r, "%smanifest-%s.txt: a line longer than %d bytes",
				        lp->tag ? "tag" : "", alg_names[lp->alg], LINE_MAX_LEN);
			} else {
				strbuf_add(&lp->line, buf, take);
			}
		}
		if (nl == NULL)
			return;
		if (!lp->too_long)
			manifest_line(r, lp, lp->line.buf ? lp->line.buf : "", lp->line.len);
		else
			lp->line_no++;
		lp->too_long = 0;
		strbuf_reset(&lp->line);
		buf = nl + 1;
		len -= take + 1;
	}
}

static void lines_end(struct reader *r, struct line_parser *lp)
{
	if (lp->line.len > 0 && !lp->too_long)
		manifest_line(r, lp, lp->line.buf, lp->line.len);
	strbuf_reset(&lp->line);
	lp->too_long = 0;
	lp->line_no = 0;
}

/*
 * Start a member. name is the path as stored (with the top directory, or relative to the bag
 * directory in dir mode). Returns 1 when its content should be read, 0 to skip it.
 */
static int member_begin(struct reader *r, const char *name, int is_dir, int is_reg,
                        const char *type_problem, uint64_t size)
{
	const struct bundle_limits *lim = &r->opt->limits;
	const char *why, *rel;
	char *norm = NULL, *top = NULL;
	struct entry *e;
	int a, ret = 0;

	r->rep->members++;
	if (r->rep->members > lim->max_members) {
		problem(r, "more than %llu members: stopped (raise the limit with --max-members)",
		        (unsigned long long)lim->max_members);
		r->archive_broken = 1;
		return 0;
	}
	if ((why = bundle_name_unsafe(name)) != NULL) {
		problem_name(r, name, why);
		return 0;
	}
	if (type_problem) {
		problem_name(r, name, type_problem);
		return 0;
	}
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	norm = xstrdup(name);
	if (is_dir && str_has_suffix(norm, "/") && strlen(norm) > 1)
		norm[strlen(norm) - 1] = '\0';
	if (r->dir_mode) {
		rel = norm;
	} else {
		const char *slash = strchr(norm, '/');

		top = slash ? xstrndup(norm, (size_t)(slash - norm)) : xstrdup(norm);
		if (r->rep->top_dir == NULL) {
			r->rep->top_dir = xstrdup(top);
		} else if (strcmp(top, r->rep->top_dir) != 0) {
			if (!r->several_tops) {
				char *a1 = printable(r->rep->top_dir), *a2 = printable(top);

				problem(r, "more than one top directory ('%s', '%s', ...)", a1, a2);
				free(a1);
				free(a2);
			}
			r->several_tops = 1;
			goto out;
		}
		if (slash == NULL) {
			if (!is_dir)
				problem_name(r, norm, "is a file outside the top directory");
			goto out;
		}
		rel = slash + 1;
	}
	e = entry_find(r, rel, 1);
	if (e->present) {
		problem_name(r, rel, "appears twice in the bundle");
		goto out;
	}
	e->present = 1;
	e->is_dir = is_dir ? 1 : 0;
	if (!is_reg)
		goto out;
	r->cur = e;
	r->keep = NULL;
	r->lines = NULL;
	r->keep_over = 0;
	/* A manifest enables its algorithm for every member after it. */
	if ((a = manifest_alg(rel, "manifest-")) >= 0) {
		r->manifests |= 1u << a;
		r->algs_enabled |= 1u << a;
		r->lp.alg = a;
		r->lp.tag = 0;
		r->lines = &r->lp;
	} else if ((a = manifest_alg(rel, "tagmanifest-")) >= 0) {
		r->tagmanifests |= 1u << a;
		r->algs_enabled |= 1u << a;
		r->lp.alg = a;
		r->lp.tag = 1;
		r->lines = &r->lp;
		if (a == ALG_SHA256) {
			r->keep = &r->tagmanifest;
			r->keep_max = TAGMANIFEST_MAX;
			r->have_tagmanifest = 1;
		}
	} else if (strcmp(rel, "bagit.txt") == 0) {
		r->keep = &r->bagit;
		r->keep_max = SMALL_TAG_MAX;
		r->have_bagit = 1;
	} else if (strcmp(rel, "bag-info.txt") == 0) {
		r->keep = &r->baginfo;
		r->keep_max = SMALL_TAG_MAX;
		r->have_baginfo = 1;
	} else if (strcmp(rel, SIGNATURE_NAME) == 0) {
		r->keep = &r->signature;
		r->keep_max = SMALL_TAG_MAX;
		r->have_signature = 1;
	}
	for (a = 0; a < ALG_N; a++) {
		if (!(r->algs_enabled & (1u << a)) && a != ALG_SHA256)
			continue;
		if (r->md[a] == NULL)
			r->md[a] = EVP_MD_CTX_new();
		if (r->md[a] == NULL ||
		    EVP_DigestInit_ex(r->md[a], EVP_get_digestbyname(alg_names[a]), NULL) != 1) {
			problem(r, "%s is not available in this OpenSSL", alg_labels[a]);
			r->archive_broken = 1;
			goto out;
		}
	}
	if (r->opt->visitor && r->opt->visitor->member_begin)
		r->opt->visitor->member_begin(r->opt->visitor->ctx, rel, size);
	ret = 1;
out:
	if (ret == 0)
		r->cur = NULL;
	free(top);
	free(norm);
	return ret;
}

static void member_data(struct reader *r, const void *buf, size_t len)
{
	const struct bundle_limits *lim = &r->opt->limits;

	r->cur->size += len;
	r->rep->total_bytes += len;
	if (r->rep->total_bytes > lim->max_size) {
		char shown[32];

		problem(r, "more than %s of content: stopped (raise the limit with --max-size)",
		        format_size(lim->max_size, shown, sizeof(shown)));
		r->archive_broken = 1;
		return;
	}
	for (int a = 0; a < ALG_N; a++)
		if (r->md[a] && EVP_MD_CTX_get0_md(r->md[a]) &&
		    ((r->algs_enabled & (1u << a)) || a == ALG_SHA256))
			EVP_DigestUpdate(r->md[a], buf, len);
	if (r->keep && !r->keep_over) {
		if (r->keep->len + len > r->keep_max)
			r->keep_over = 1;
		else
			strbuf_add(r->keep, buf, len);
	}
	if (r->lines)
		lines_feed(r, r->lines, buf, len);
	if (r->opt->visitor && r->opt->visitor->member_data)
		r->opt->visitor->member_data(r->opt->visitor->ctx, buf, len);
}

static void member_end(struct reader *r)
{
	struct entry *e = r->cur;

	for (int a = 0; a < ALG_N; a++) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;

		if (!((r->algs_enabled & (1u << a)) || a == ALG_SHA256) || r->md[a] == NULL)
			continue;
		if (EVP_DigestFinal_ex(r->md[a], md, &mdlen) != 1)
			continue;
		if (mdlen != alg_hex_len[a] / 2)
			continue;
		memcpy(entry_digest(e, a, 0), md, mdlen);
		e->has_actual |= (unsigned char)(1u << a);
	}
	if (r->lines)
		lines_end(r, r->lines);
	if (r->keep_over) {
		if (r->keep == &r->tagmanifest)
			r->tagmanifest_over = 1;
		else if (r->keep == &r->signature)
			r->signature_over = 1;
		problem_name(r, e->name, "is too large for a tag file");
	}
	if (r->opt->visitor && r->opt->visitor->member_end)
		r->opt->visitor->member_end(r->opt->visitor->ctx);
	r->cur = NULL;
	r->keep = NULL;
	r->lines = NULL;
}

/* Ratio of uncompressed to compressed bytes, judged once there is enough of it to matter. */
static int ratio_exceeded(struct reader *r, uint64_t compressed)
{
	uint64_t ratio = r->opt->limits.max_ratio;

	if (r->rep->total_bytes < RATIO_FLOOR || compressed == 0)
		return 0;
	return r->rep->total_bytes / compressed > ratio;
}

/*
 * Read past a member that is not checked (a bad name or type). Decompressing it costs as much
 * as reading it, so its bytes count against --max-size and --max-ratio all the same; and
 * reading still finds a truncated archive.
 */
static void skip_member(struct reader *r, struct archive *a, char *buf)
{
	char shown[32];

	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, CHUNK);

		if (n == 0)
			return;
		if (n < 0) {
			problem(r, "the archive is truncated or corrupt: %s",
			        archive_error_string(a) ? archive_error_string(a)
			                                : "unexpected end of data");
			break;
		}
		r->rep->total_bytes += (uint64_t)n;
		if (r->rep->total_bytes > r->opt->limits.max_size) {
			problem(r,
			        "more than %s of content: stopped (raise the limit with "
			        "--max-size)",
			        format_size(r->opt->limits.max_size, shown, sizeof(shown)));
			break;
		}
		if (ratio_exceeded(r, (uint64_t)archive_filter_bytes(a, -1))) {
			problem(r,
			        "compression ratio above %llu: stopped (a decompression bomb? "
			        "raise "
			        "the limit with --max-ratio)",
			        (unsigned long long)r->opt->limits.max_ratio);
			break;
		}
	}
	r->archive_broken = 1;
}

/* Split "Key: value" lines with continuation lines (leading blanks) into report fields. */
static void parse_tag_fields(const char *text, struct bundle_field **out, size_t *n_out)
{
	const char *p = text;
	/* The last field's value while continuation lines extend it: joined once, not per line,
	 * which would be quadratic in a hostile tag file of a million short lines. */
	struct strbuf joined = STRBUF_INIT;
	int joining = 0;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		const char *colon = memchr(p, ':', len);
		/* Taken before len drops a CR: a last line "...\r" must still end the loop. */
		const char *next = eol ? eol + 1 : p + len;

		if (len > 0 && p[len - 1] == '\r')
			len--;
		if ((*p == ' ' || *p == '\t') && *n_out > 0) {
			const char *m = p;

			if (!joining)
				strbuf_addstr(&joined, (*out)[*n_out - 1].value);
			joining = 1;
			while (m < p + len && (*m == ' ' || *m == '\t'))
				m++;
			strbuf_addch(&joined, ' ');
			strbuf_add(&joined, m, (size_t)(p + len - m));
		} else if (colon) {
			const char *v = colon + 1;

			if (joining) {
				free((*out)[*n_out - 1].value);
				(*out)[*n_out - 1].value = strbuf_detach(&joined);
				joining = 0;
			}
			while (v < p + len && (*v == ' ' || *v == '\t'))
				v++;
			*out = xreallocarray(*out, *n_out + 1, sizeof(**out));
			(*out)[*n_out].key = xstrndup(p, (size_t)(colon - p));
			(*out)[*n_out].value = xstrndup(v, (size_t)(p + len - v));
			(*n_out)++;
		}
		p = next;
	}
	if (joining) {
		free((*out)[*n_out - 1].value);
		(*out)[*n_out - 1].value = strbuf_detach(&joined);
	}
}

static const char *field_get(const struct bundle_field *f, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(f[i].key, key) == 0)
			return f[i].value;
	return NULL;
}

static void check_bagit_txt(struct reader *r)
{
	struct bundle_field *f = NULL;
	size_t n = 0;
	const char *version, *enc;

	if (!r->have_bagit) {
		problem(r, "bagit.txt is missing: not a BagIt bag");
		return;
	}
	if (memchr(r->bagit.buf ? r->bagit.buf : "", '\0', r->bagit.len)) {
		problem(r, "bagit.txt holds a NUL byte");
		return;
	}
	parse_tag_fields(r->bagit.buf ? r->bagit.buf : "", &f, &n);
	version = field_get(f, n, "BagIt-Version");
	enc = field_get(f, n, "Tag-File-Character-Encoding");
	if (version == NULL)
		problem(r, "bagit.txt has no BagIt-Version");
	else if (strcmp(version, "1.0") != 0 && strcmp(version, "0.97") != 0 &&
	         strcmp(version, "0.96") != 0) {
		char *shown = printable(version);

		problem(r, "bagit.txt: unsupported BagIt-Version '%s'", shown);
		free(shown);
	}
	if (enc == NULL)
		problem(r, "bagit.txt has no Tag-File-Character-Encoding");
	else if (strcasecmp(enc, "UTF-8") != 0) {
		char *shown = printable(enc);

		problem(r, "bagit.txt: tag file encoding '%s' is not supported (UTF-8 only)",
		        shown);
		free(shown);
	}
	for (size_t i = 0; i < n; i++) {
		free(f[i].key);
		free(f[i].value);
	}
	free(f);
}

static void check_oxum(struct reader *r)
{
	const char *oxum = field_get(r->rep->info, r->rep->n_info, "Payload-Oxum");
	unsigned long long octets, count;
	char tail;

	if (oxum == NULL)
		return;
	if (sscanf(oxum, "%llu.%llu%c", &octets, &count, &tail) != 2) {
		char *shown = printable(oxum);

		problem(r, "bag-info.txt: malformed Payload-Oxum '%s'", shown);
		free(shown);
		return;
	}
	if (octets != r->rep->payload_bytes || count != r->rep->payload_files)
		problem(r,
		        "Payload-Oxum in bag-info.txt says %llu bytes in %llu files; the payload "
		        "holds %llu bytes in %llu files",
		        octets, count, (unsigned long long)r->rep->payload_bytes,
		        (unsigned long long)r->rep->payload_files);
}

/*
 * Is this tag file one a tag manifest cannot list (the manifests of tags, the signature)? Only
 * tag manifests that are checked: any other file, whatever its name, must be covered, or it
 * would ride along unsigned in a signed bag.
 */
static int tag_exempt(const char *name)
{
	return manifest_alg(name, "tagmanifest-") >= 0 || strcmp(name, SIGNATURE_NAME) == 0;
}

/* Compare what is present with what the manifests list. */
static void check_entries(struct reader *r)
{
	for (size_t i = 0; i < r->n_slots; i++) {
		struct entry *e = r->slots[i];
		const char *file;
		unsigned int required;
		int payload;

		if (e == NULL)
			continue;
		payload = str_has_prefix(e->name, "data/");
		file = payload ? "manifest" : "tagmanifest";
		if (e->present && e->is_dir) {
			for (int a = 0; a < ALG_N; a++)
				if (e->has_listed & (1u << a)) {
					problem_name(r, e->name,
					             "is listed as a file but is a directory");
					break;
				}
			continue;
		}
		if (e->present && payload) {
			r->rep->payload_files++;
			r->rep->payload_bytes += e->size;
		}
		/* "a" and "a/b" both files: no file system holds both, so no extraction would. */
		for (const char *slash = strchr(e->name, '/'); e->present && slash;
		     slash = strchr(slash + 1, '/')) {
			char *prefix = xstrndup(e->name, (size_t)(slash - e->name));
			struct entry *up = entry_find(r, prefix, 0);

			free(prefix);
			if (up && up->present && !up->is_dir) {
				char *shown = printable(up->name);

				problem(r,
				        "'%s' is a file, and also the directory of another member",
				        shown);
				free(shown);
				break;
			}
		}
		/* Every file must be listed in every manifest of its kind. */
		required = payload ? r->manifests : (tag_exempt(e->name) ? 0 : r->tagmanifests);
		for (int a = 0; a < ALG_N; a++) {
			char *shown;

			int listed = (e->has_listed >> a) & 1, computed = (e->has_actual >> a) & 1;

			if (e->present && !listed && !(required & (1u << a)))
				continue;
			if (!e->present && !listed)
				continue;
			shown = printable(e->name);
			if (!listed)
				problem(r, "'%s' is not listed in %s-%s.txt (a file was added)",
				        shown, file, alg_names[a]);
			else if (!e->present)
				problem(r, "'%s' is listed in %s-%s.txt but missing", shown, file,
				        alg_names[a]);
			else if (!computed)
				problem(r,
				        "'%s' could not be checked against %s-%s.txt in one pass "
				        "(the "
				        "manifest comes after it); verify the extracted bag "
				        "directory",
				        shown, file, alg_names[a]);
			else if (memcmp(entry_digest(e, a, 0), entry_digest(e, a, 1),
			                alg_hex_len[a] / 2) != 0)
				problem(r,
				        "'%s' does not match its %s checksum in %s-%s.txt "
				        "(changed)",
				        shown, alg_labels[a], file, alg_names[a]);
			free(shown);
		}
	}
}

/* After the last member: everything that needs the whole bag. */
static void reader_finish(struct reader *r)
{
	struct bundle_report *rep = r->rep;

	if (r->archive_broken)
		goto outcome;
	if (!r->dir_mode && rep->top_dir == NULL) {
		problem(r, "the archive is empty: no bag in it");
		goto outcome;
	}
	if (r->several_tops)
		goto outcome;
	check_bagit_txt(r);
	if (r->have_baginfo)
		parse_tag_fields(r->baginfo.buf ? r->baginfo.buf : "", &rep->info, &rep->n_info);
	if (r->manifests == 0)
		problem(r, "no payload manifest (manifest-sha256.txt or manifest-sha512.txt)");
	check_entries(r);
	check_oxum(r);
	if (r->have_tagmanifest && !r->tagmanifest_over) {
		char hex[SHA256_HEX_LEN + 1];

		if (sha256_hex(r->tagmanifest.buf ? r->tagmanifest.buf : "", r->tagmanifest.len,
		               hex, NULL) == 0)
			rep->tagmanifest_sha256 = xstrdup(hex);
	}
	if (r->have_signature) {
		struct error err;

		rep->is_signed = 1;
		if (!r->have_tagmanifest)
			problem(r,
			        SIGNATURE_NAME " is present but tagmanifest-sha256.txt is missing");
		else if (r->tagmanifest_over || r->signature_over)
			problem(r, "the signature or the tag manifest is too large to check");
		else if (sign_check_detached(
		                 r->signature.buf ? r->signature.buf : "", r->signature.len,
		                 r->tagmanifest.buf ? r->tagmanifest.buf : "", r->tagmanifest.len,
		                 r->opt->trust, &rep->sig, &err) < 0)
			problem(r, "signature: %s", err.msg);
		else if (!rep->sig.signature_ok)
			problem(r, "signature: %s%s%s", rep->sig.failure,
			        rep->sig.subject ? "; it claims to be by " : "",
			        rep->sig.subject ? rep->sig.subject : "");
	}
outcome:
	if (rep->n_problems_total > 0)
		rep->outcome = BUNDLE_INVALID;
	else if (!rep->is_signed)
		rep->outcome = BUNDLE_VALID_UNSIGNED;
	else if (rep->sig.trusted)
		rep->outcome = BUNDLE_VALID_TRUSTED;
	else
		rep->outcome = BUNDLE_VALID_UNTRUSTED;
}

/* Walk an archive already opened on a. */
static void read_archive(struct reader *r, struct archive *a)
{
	struct archive_entry *ae;
	char *buf = xmalloc(CHUNK);

	for (;;) {
		int rc = archive_read_next_header(a, &ae);
		const char *name, *type_problem = NULL;
		mode_t type;
		int is_reg, is_dir;

		if (rc == ARCHIVE_EOF)
			break;
		/*
		 * Names are taken as UTF-8 (what pax stores), whatever the locale: in the C locale
		 * libarchive warns that a UTF-8 name "can't be converted", which is no fault of
		 * the bundle when the UTF-8 name itself is there.
		 */
		name = archive_entry_pathname_utf8(ae);
		if (name == NULL)
			name = archive_entry_pathname(ae);
		if (rc == ARCHIVE_WARN &&
		    !(archive_entry_pathname_utf8(ae) &&
		      strstr(archive_error_string(a) ? archive_error_string(a) : "",
		             "can't be converted"))) {
			problem(r, "archive: %s", archive_error_string(a));
		} else if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
			const char *msg = archive_error_string(a);

			problem(r, "the archive is truncated or corrupt: %s",
			        msg ? msg : "unreadable header");
			r->archive_broken = 1;
			break;
		}
		if (name == NULL) {
			problem(r, "a member's name cannot be read");
			continue;
		}
		type = archive_entry_filetype(ae);
		is_reg = type == AE_IFREG && archive_entry_hardlink(ae) == NULL;
		is_dir = type == AE_IFDIR;
		if (archive_entry_hardlink(ae) != NULL)
			type_problem = "is a hard link";
		else if (type == AE_IFLNK)
			type_problem = "is a symbolic link";
		else if (type == AE_IFCHR || type == AE_IFBLK)
			type_problem = "is a device";
		else if (type == AE_IFIFO)
			type_problem = "is a FIFO";
		else if (type == AE_IFSOCK)
			type_problem = "is a socket";
		else if (!is_reg && !is_dir)
			type_problem = "is not a regular file or directory";
		if (!member_begin(r, name, is_dir, is_reg, type_problem,
		                  archive_entry_size_is_set(ae) ? (uint64_t)archive_entry_size(ae)
		                                                : 0)) {
			if (r->archive_broken)
				break;
			skip_member(r, a, buf);
			if (r->archive_broken)
				break;
			continue;
		}
		for (;;) {
			la_ssize_t n = archive_read_data(a, buf, CHUNK);

			if (n == 0)
				break;
			if (n < 0) {
				char *shown = printable(r->cur->name);

				problem(r, "the archive is truncated or corrupt (reading '%s'): %s",
				        shown,
				        archive_error_string(a) ? archive_error_string(a)
				                                : "unexpected end of data");
				free(shown);
				r->archive_broken = 1;
				break;
			}
			member_data(r, buf, (size_t)n);
			if (r->archive_broken)
				break;
			if (r->opt->progress)
				r->opt->progress(r->opt->progress_ctx,
				                 (uint64_t)archive_filter_bytes(a, -1),
				                 r->rep->members);
			if (ratio_exceeded(r, (uint64_t)archive_filter_bytes(a, -1))) {
				problem(r,
				        "compression ratio above %llu: stopped (a decompression "
				        "bomb? raise the limit with --max-ratio)",
				        (unsigned long long)r->opt->limits.max_ratio);
				r->archive_broken = 1;
				break;
			}
		}
		if (r->archive_broken)
			break;
		member_end(r);
	}
	if (r->archive_broken && r->cur) {
		/* Close the open member's state without recording partial hashes. */
		if (r->opt->visitor && r->opt->visitor->member_end)
			r->opt->visitor->member_end(r->opt->visitor->ctx);
		r->cur = NULL;
	}
	free(buf);
}

static void report_init(struct bundle_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->outcome = BUNDLE_INVALID;
}

static int read_with(struct archive *a, const struct bundle_read_options *opt,
                     struct bundle_report *rep, int rc)
{
	struct reader r = {.opt = opt, .rep = rep};

	if (rc != ARCHIVE_OK) {
		/* Not a tar in any compression libarchive knows: invalid, not an I/O failure. */
		problem(&r, "not a readable archive: %s", archive_error_string(a));
		r.archive_broken = 1;
	} else {
		read_archive(&r, a);
	}
	reader_finish(&r);
	reader_free(&r);
	return 0;
}

static struct archive *archive_reader_new(void)
{
	struct archive *a = archive_read_new();

	if (a == NULL)
		abort();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	return a;
}

/* The raw (compressed) bytes of a bundle file, hashed as libarchive reads them. */
struct raw_source {
	int fd;
	int hashing;
	int read_error;
	struct sha256 hash;
	char buf[CHUNK];
};

static la_ssize_t raw_read(struct archive *a, void *ctx, const void **out)
{
	struct raw_source *src = ctx;
	ssize_t n;

	do
		n = read(src->fd, src->buf, sizeof(src->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (a)
			archive_set_error(a, errno, "read error: %s", strerror(errno));
		src->read_error = 1;
		return -1;
	}
	if (src->hashing && n > 0)
		sha256_update(&src->hash, src->buf, (size_t)n);
	*out = src->buf;
	return n;
}

/*
 * The expected SHA-256 of the whole bundle from "<bundle>.sha256" beside it, when there is
 * one: it catches what the tar format cannot, such as a cut in the trailing padding.
 * Returns 1 when found (hex filled), 0 when absent, -1 when present but malformed.
 */
static int read_sidecar(const char *path, char hex[SHA256_HEX_LEN + 1])
{
	char *side = xasprintf("%s.sha256", path), text[SHA256_HEX_LEN + 1];
	size_t len = 0;
	struct stat st;
	int fd = -1, ret = 0;

	if (access(side, F_OK) != 0)
		goto out;
	ret = -1;
	/* It comes with the bundle: a FIFO there must not hang verify, nor a device be opened. */
	if (stat(side, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 64 * 1024)
		goto out;
	fd = open(side, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto out;
	while (len < sizeof(text)) {
		ssize_t n = read(fd, text + len, sizeof(text) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (len < SHA256_HEX_LEN + 1)
		goto out;
	memcpy(hex, text, SHA256_HEX_LEN);
	hex[SHA256_HEX_LEN] = '\0';
	if (!sha256_hex_valid(hex) || (text[SHA256_HEX_LEN] != ' ' && text[SHA256_HEX_LEN] != '\t'))
		goto out;
	for (int i = 0; i < SHA256_HEX_LEN; i++)
		if (hex[i] >= 'A' && hex[i] <= 'F')
			hex[i] = (char)(hex[i] - 'A' + 'a');
	ret = 1;
out:
	if (fd >= 0)
		close(fd);
	free(side);
	return ret;
}

/* Add a problem found outside the reader's pass; the bundle becomes INVALID. */
static void report_add_problem(struct bundle_report *rep, char *text)
{
	rep->n_problems_total++;
	rep->outcome = BUNDLE_INVALID;
	if (rep->n_problems >= BUNDLE_MAX_PROBLEMS) {
		free(text);
		return;
	}
	rep->problems = xreallocarray(rep->problems, rep->n_problems + 1, sizeof(char *));
	rep->problems[rep->n_problems++] = text;
}

/* Read a bundle from fd; when sidecar is set, also check the whole file against it. */
static int read_fd_checked(int fd, const char *label, const char *sidecar,
                           const struct bundle_read_options *opt, struct bundle_report *rep,
                           struct error *err)
{
	struct archive *a = archive_reader_new();
	struct raw_source *src = xcalloc(1, sizeof(*src));
	int rc, ret;

	report_init(rep);
	src->fd = fd;
	if (sidecar && sha256_init(&src->hash, err) == 0)
		src->hashing = 1;
	rc = archive_read_open(a, src, NULL, raw_read, NULL);
	ret = read_with(a, opt, rep, rc);
	if (src->hashing) {
		char got[SHA256_HEX_LEN + 1];
		const void *rest;

		/* libarchive stops at the end-of-archive marker; hash what follows it too. */
		while (!src->read_error && raw_read(NULL, src, &rest) > 0)
			;
		sha256_final_hex(&src->hash, got);
		if (!src->read_error && strcmp(got, sidecar) != 0 &&
		    rep->outcome != BUNDLE_INVALID) {
			char *shown = printable(path_basename(label));

			report_add_problem(rep,
			                   xasprintf("the bundle does not match %s.sha256 beside "
			                             "it (truncated or altered after it was "
			                             "written)",
			                             shown));
			free(shown);
		}
	}
	archive_read_free(a);
	free(src);
	return ret;
}

int bundle_read_fd(int fd, const char *label, const struct bundle_read_options *opt,
                   struct bundle_report *rep, struct error *err)
{
	return read_fd_checked(fd, label, NULL, opt, rep, err);
}

int bundle_read_memory(const void *buf, size_t len, const struct bundle_read_options *opt,
                       struct bundle_report *rep, struct error *err)
{
	struct archive *a = archive_reader_new();
	int rc, ret;

	report_init(rep);
	rc = archive_read_open_memory(a, buf, len);
	ret = read_with(a, opt, rep, rc);
	archive_read_free(a);
	return ret;
}

/* One file of a bag directory, opened without following links. */
static void dir_file(struct reader *r, int parent_fd, const char *name, const char *rel)
{
	struct stat st;
	char *buf;
	int fd;

	fd = openat(parent_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		problem_name(r, rel, strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		problem_name(r, rel, "is not a regular file");
		close(fd);
		return;
	}
	if (!member_begin(r, rel, 0, 1, NULL, (uint64_t)st.st_size)) {
		close(fd);
		return;
	}
	buf = xmalloc(CHUNK);
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			problem_name(r, rel, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		member_data(r, buf, (size_t)n);
		if (r->archive_broken)
			break;
		if (r->opt->progress)
			r->opt->progress(r->opt->progress_ctx, r->rep->total_bytes,
			                 r->rep->members);
	}
	free(buf);
	if (!r->archive_broken)
		member_end(r);
	close(fd);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk a directory of a bag (sorted, for a stable report); prefix is its path in the bag. */
static void dir_walk(struct reader *r, int fd, const char *prefix, int depth)
{
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *dir;

	if (depth > 64) {
		problem_name(r, prefix, "is nested too deeply");
		close(fd);
		return;
	}
	dir = fdopendir(fd);
	if (dir == NULL) {
		problem_name(r, prefix[0] ? prefix : ".", strerror(errno));
		close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	/* At the top, manifests first: their algorithms are then computed for every file. */
	if (depth == 0)
		for (size_t i = 0; i < n; i++) {
			int a = manifest_alg(names[i], "manifest-");

			if (a < 0)
				a = manifest_alg(names[i], "tagmanifest-");
			if (a >= 0)
				r->algs_enabled |= 1u << a;
		}
	for (size_t i = 0; i < n && !r->archive_broken; i++) {
		char *rel = xasprintf("%s%s", prefix, names[i]);
		struct stat st;

		if (fstatat(dirfd(dir), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			problem_name(r, rel, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(dir), names[i],
			                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (member_begin(r, rel, 1, 0, NULL, 0) >= 0 && sub >= 0) {
				char *p = xasprintf("%s/", rel);

				dir_walk(r, sub, p, depth + 1);
				free(p);
			} else if (sub < 0) {
				problem_name(r, rel, strerror(errno));
			}
		} else if (S_ISREG(st.st_mode)) {
			dir_file(r, dirfd(dir), names[i], rel);
		} else {
			member_begin(r, rel, 0, 0,
			             S_ISLNK(st.st_mode) ? "is a symbolic link"
			                                 : "is not a regular file or directory",
			             0);
		}
		free(rel);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
}

int bundle_read_path(const char *path, const struct bundle_read_options *opt,
                     struct bundle_report *rep, struct error *err)
{
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		struct reader r = {.opt = opt, .rep = rep, .dir_mode = 1};
		const char *base = strrchr(path, '/');
		char *trimmed = xstrdup(path);

		report_init(rep);
		while (strlen(trimmed) > 1 && str_has_suffix(trimmed, "/"))
			trimmed[strlen(trimmed) - 1] = '\0';
		base = strrchr(trimmed, '/');
		rep->top_dir = xstrdup(base ? base + 1 : trimmed);
		free(trimmed);
		dir_walk(&r, fd, "", 0); /* closes fd */
		reader_finish(&r);
		reader_free(&r);
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		error_set(err, "%s: not a regular file or directory", path);
		close(fd);
		return -1;
	}
	/* Regular files never block; reads should. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	ret = bundle_read_open_file(fd, path, opt, rep, err);
	close(fd);
	return ret;
}

int bundle_read_open_file(int fd, const char *path, const struct bundle_read_options *opt,
                          struct bundle_report *rep, struct error *err)
{
	char sidecar[SHA256_HEX_LEN + 1];
	int sc = read_sidecar(path, sidecar), ret;

	ret = read_fd_checked(fd, path, sc == 1 ? sidecar : NULL, opt, rep, err);
	if (ret == 0 && sc < 0 && rep->outcome != BUNDLE_INVALID)
		report_add_problem(rep, xstrdup("the .sha256 file beside the bundle is malformed"));
	return ret;
}

void bundle_report_free(struct bundle_report *rep)
{
	for (size_t i = 0; i < rep->n_problems; i++)
		free(rep->problems[i]);
	free(rep->problems);
	for (size_t i = 0; i < rep->n_info; i++) {
		free(rep->info[i].key);
		free(rep->info[i].value);
	}
	free(rep->info);
	free(rep->top_dir);
	free(rep->tagmanifest_sha256);
	sign_check_free(&rep->sig);
	memset(rep, 0, sizeof(*rep));
}

const char *bundle_report_info(const struct bundle_report *rep, const char *key)
{
	return field_get(rep->info, rep->n_info, key);
}
