/*
 * The links of a derived bundle to its source (verify --source --incident-key). Both bundles are
 * read through the one reader and must be valid. From the derived one: logpack/redaction.json and
 * its payload names; from the source: every payload file's SHA-256 and the tag manifest's. Each
 * link is HMAC-SHA256(link subkey, name LF sha256), so only the holder of the incident key can
 * recompute it, and nobody without it can confirm a guess of a small original file.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/hash.h"
#include "bundle/bundle-read.h"
#include "bundle/redact.h"

/* redaction.json is a few hundred bytes a file: 64 MiB is far above any real one. */
#define REDACTION_JSON_MAX (64u << 20)
#define REDACTION_JSON "logpack/redaction.json"

struct link_file {
	char *name; /* "data/var/log/syslog" */
	char sha256[SHA256_HEX_LEN + 1];
};

struct link_pass {
	int hash_payload; /* the source: hash every payload file */
	struct link_file *files;
	size_t n, cap;
	int hashing;   /* the member is a payload file of the source */
	int capturing; /* inside logpack/redaction.json */
	struct strbuf json;
	int json_found, json_too_big;
	struct error err;
	int failed;
};

static void lp_begin(void *ctx, const char *name, uint64_t size)
{
	struct link_pass *p = ctx;

	(void)size;
	p->hashing = 0;
	p->capturing = strcmp(name, REDACTION_JSON) == 0;
	if (p->capturing) {
		p->json_found = 1;
		strbuf_reset(&p->json);
	}
	if (!str_has_prefix(name, "data/"))
		return;
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->files = xreallocarray(p->files, p->cap, sizeof(*p->files));
	}
	p->files[p->n].name = xstrdup(name);
	p->files[p->n].sha256[0] = '\0';
	p->n++;
	p->hashing = p->hash_payload;
}

static void lp_data(void *ctx, const void *buf, size_t len)
{
	struct link_pass *p = ctx;

	if (p->capturing) {
		if (len > REDACTION_JSON_MAX - p->json.len)
			p->json_too_big = 1;
		else
			strbuf_add(&p->json, buf, len);
	}
}

/*
 * A payload file's SHA-256 is the one the reader computed as it verified it. It has none only
 * when the archive broke inside the file or OpenSSL failed, and then the reader judges the
 * bundle invalid, which read_valid reports as such: the file keeps an empty hash, no link.
 */
static void lp_end(void *ctx, const char *sha256_hex)
{
	struct link_pass *p = ctx;

	if (p->hashing && sha256_hex)
		memcpy(p->files[p->n - 1].sha256, sha256_hex, sizeof(p->files[p->n - 1].sha256));
	p->hashing = 0;
	p->capturing = 0;
}

static void link_pass_free(struct link_pass *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->files[i].name);
	free(p->files);
	strbuf_release(&p->json);
}

/* Read one bundle through the visitor; it must be valid (-2 when it is not). */
static int read_valid(const char *path, const char *role, struct link_pass *p,
                      char **tagmanifest_sha256, struct error *err)
{
	struct bundle_visitor vis = {
	        .ctx = p, .member_begin = lp_begin, .member_data = lp_data, .member_end = lp_end};
	struct bundle_read_options ro = {0};
	struct bundle_report rep = {0};
	int rc = -1;

	bundle_limits_default(&ro.limits);
	ro.visitor = &vis;
	if (bundle_read_path(path, &ro, &rep, err) < 0) {
		error_prefix(err, "%s", role);
		return -1;
	}
	if (p->failed) {
		*err = p->err;
	} else if (!bundle_outcome_valid(rep.outcome)) {
		error_set(err, "%s %s is not valid (%s)", role, path,
		          rep.n_problems ? rep.problems[0] : "INVALID");
		rc = -2;
	} else {
		*tagmanifest_sha256 = xstrdup(rep.tagmanifest_sha256 ? rep.tagmanifest_sha256 : "");
		rc = 0;
	}
	bundle_report_free(&rep);
	return rc;
}

static void problem(struct redact_link_report *r, char *text)
{
	r->problems = xreallocarray(r->problems, r->n_problems + 1, sizeof(char *));
	r->problems[r->n_problems++] = text;
}

/* Names sorted for lookups: a hostile bundle's million entries must not cost a million
 * squared comparisons. */
static const char **sorted_names(size_t n)
{
	return xcalloc(n ? n : 1, sizeof(const char *));
}

static int has_name(const char **sorted, size_t n, const char *name)
{
	return n > 0 && bsearch(&name, sorted, n, sizeof(*sorted), str_ptr_cmp) != NULL;
}

int redact_links_check(const char *derived_path, const char *source_path,
                       const uint8_t key[PSEUDO_KEY_LEN], struct redact_link_report *r,
                       struct error *err)
{
	struct link_pass d = {0}, s = {.hash_payload = 1};
	struct pseudo_keys keys = {0};
	char *d_tm = NULL, *s_tm = NULL, **source_links = NULL;
	unsigned char *accounted = NULL;
	const char **d_names = NULL, **entry_paths = NULL;
	size_t n_entry_paths = 0;
	json_t *doc = NULL, *files;
	json_error_t jerr;
	const char *scheme, *key_id, *from;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if ((rc = read_valid(derived_path, "the derived bundle", &d, &d_tm, err)) < 0)
		goto out;
	rc = -2;
	if (!d.json_found) {
		error_set(err, "%s: no %s: not a bundle made by logpack redact", derived_path,
		          REDACTION_JSON);
		goto out;
	}
	if (d.json_too_big) {
		error_set(err, "%s: %s is larger than %u MiB", derived_path, REDACTION_JSON,
		          REDACTION_JSON_MAX >> 20);
		goto out;
	}
	doc = json_loadb(d.json.buf ? d.json.buf : "", d.json.len, 0, &jerr);
	if (doc == NULL ||
	    json_unpack_ex(doc, &jerr, 0, "{s:s, s:s, s:s, s:o}", "scheme", &scheme, "key_id",
	                   &key_id, "source_tagmanifest_sha256", &from, "files", &files) < 0) {
		error_set(err, "%s: %s: %s", derived_path, REDACTION_JSON,
		          doc ? jerr.text : "not JSON");
		goto out;
	}
	/* jansson has no message for this one: without it the line would end in ": ". */
	if (!json_is_array(files)) {
		error_set(err, "%s: %s: files is not an array", derived_path, REDACTION_JSON);
		goto out;
	}
	if (strcmp(scheme, "logpack-redact-1") != 0) {
		error_set(err, "%s: %s: unknown scheme '%s'", derived_path, REDACTION_JSON, scheme);
		goto out;
	}
	if ((rc = read_valid(source_path, "the source", &s, &s_tm, err)) < 0)
		goto out;
	rc = -1;
	if (pseudo_keys_derive(key, &keys, err) < 0)
		goto out;
	r->source_tagmanifest_sha256 = xstrdup(from);
	rc = 0;
	if (strcmp(key_id, keys.key_id) != 0) {
		problem(r, xasprintf("made with another incident key (key id %s; this key's is %s)",
		                     key_id, keys.key_id));
		goto out;
	}
	if (strcmp(from, s_tm) != 0)
		problem(r, xasprintf("derived from the bundle with tag manifest %s; the source's "
		                     "is %s",
		                     from, s_tm));

	/* The source's links, sorted, each to be accounted for once. */
	source_links = xcalloc(s.n ? s.n : 1, sizeof(char *));
	for (size_t i = 0; i < s.n; i++) {
		char hex[65];

		if (redact_link(&keys, s.files[i].name, s.files[i].sha256, hex, err) < 0) {
			rc = -1;
			goto out;
		}
		source_links[i] = xasprintf("%s\t%s", hex, s.files[i].name);
	}
	qsort(source_links, s.n, sizeof(char *), str_ptr_cmp);
	accounted = xcalloc(s.n ? s.n : 1, 1);
	d_names = sorted_names(d.n);
	for (size_t i = 0; i < d.n; i++)
		d_names[i] = d.files[i].name;
	qsort(d_names, d.n, sizeof(*d_names), str_ptr_cmp);
	entry_paths = sorted_names(json_array_size(files));

	for (size_t i = 0; i < json_array_size(files); i++) {
		const char *path, *action, *link;
		size_t lo = 0, hi = s.n;
		int carried;

		if (json_unpack(json_array_get(files, i), "{s:s, s:s, s:s}", "path", &path,
		                "action", &action, "link", &link) < 0) {
			problem(r,
			        xasprintf("entry %zu of %s is malformed", i + 1, REDACTION_JSON));
			continue;
		}
		r->links++;
		/* First entry of the sorted list that is >= link. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (strncmp(source_links[mid], link, 64) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (strlen(link) != 64 || lo == s.n || strncmp(source_links[lo], link, 64) != 0) {
			problem(r, xasprintf("%s: its link matches no file of the source", path));
		} else if (accounted[lo]) {
			problem(r, xasprintf("%s: its link is given twice (%s of the source)", path,
			                     source_links[lo] + 65));
		} else {
			accounted[lo] = 1;
			r->matched++;
		}
		entry_paths[n_entry_paths++] = path;
		carried = has_name(d_names, d.n, path);
		if (strcmp(action, "transformed") == 0 && !carried)
			problem(r,
			        xasprintf("%s: said to be carried, but the derived bundle has no "
			                  "such file",
			                  path));
		else if (strcmp(action, "transformed") != 0 && carried)
			problem(r, xasprintf("%s: said to be %s, but the derived bundle has it",
			                     path, action));
	}
	for (size_t i = 0; i < s.n; i++)
		if (!accounted[i])
			problem(r, xasprintf("%s of the source is not accounted for",
			                     source_links[i] + 65));
	/* Every payload file of the derived bundle comes from an entry. */
	qsort(entry_paths, n_entry_paths, sizeof(*entry_paths), str_ptr_cmp);
	for (size_t i = 0; i < d.n; i++)
		if (!has_name(entry_paths, n_entry_paths, d.files[i].name))
			problem(r, xasprintf("%s: in the derived bundle, but linked to nothing",
			                     d.files[i].name));
out:
	if (source_links)
		for (size_t i = 0; i < s.n; i++)
			free(source_links[i]);
	free(source_links);
	free(accounted);
	free(d_names);
	free(entry_paths);
	json_decref(doc);
	free(d_tm);
	free(s_tm);
	link_pass_free(&d);
	link_pass_free(&s);
	pseudo_keys_wipe(&keys);
	return rc;
}

void redact_link_report_free(struct redact_link_report *r)
{
	for (size_t i = 0; i < r->n_problems; i++)
		free(r->problems[i]);
	free(r->problems);
	free(r->source_tagmanifest_sha256);
	memset(r, 0, sizeof(*r));
}
