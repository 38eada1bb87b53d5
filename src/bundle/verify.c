/*
 * The verifier: BagIt structure, what is listed against what is present, checksums,
 * Payload-Oxum, the tag manifest and the signature, over the members a source yields, in one
 * pass.
 */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/hash.h"
#include "bundle/bundle-read.h"
#include "bundle/manifest.h"
#include "bundle/tagfile.h"

#include "bundle/verify-private.h"

const char *const alg_names[ALG_N] = {"md5",      "sha1",     "sha224",   "sha256",
                                      "sha384",   "sha512",   "sha3_224", "sha3_256",
                                      "sha3_384", "sha3_512", "blake2b"};
const char *const alg_openssl[ALG_N] = {"MD5",      "SHA1",     "SHA224",     "SHA256",
                                        "SHA384",   "SHA512",   "SHA3-224",   "SHA3-256",
                                        "SHA3-384", "SHA3-512", "BLAKE2B-512"};
const char *const alg_labels[ALG_N] = {"MD5",      "SHA-1",    "SHA-224",  "SHA-256",
                                       "SHA-384",  "SHA-512",  "SHA3-224", "SHA3-256",
                                       "SHA3-384", "SHA3-512", "BLAKE2b"};
const size_t alg_hex_len[ALG_N] = {32, 40, 56, 64, 96, 128, 56, 64, 96, 128, 128};

/* A million files cost a million entries: keep them this small. */
_Static_assert(sizeof(struct entry) <= 56, "struct entry grew");

const unsigned char *verify_entry_digest(const struct entry *e, int a)
{
	if (a == ALG_SHA256)
		return e->sha256;
	return e->other ? e->other->digest[a] : NULL;
}

#define printable bundle_printable_name

void verify_problem(struct reader *r, const char *fmt, ...)
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

void verify_warning(struct reader *r, const char *fmt, ...)
{
	struct bundle_report *rep = r->rep;
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < rep->n_warnings; i++)
		if (strcmp(rep->warnings[i], text) == 0 || rep->n_warnings >= BUNDLE_MAX_PROBLEMS) {
			free(text);
			return;
		}
	rep->warnings = xreallocarray(rep->warnings, rep->n_warnings + 1, sizeof(char *));
	rep->warnings[rep->n_warnings++] = text;
}

/* A problem about a named member; the name is made printable. */
void verify_problem_name(struct reader *r, const char *name, const char *what)
{
	char *shown = printable(name);

	verify_problem(r, "'%s' %s", shown, what);
	free(shown);
}

/*
 * Charge memory the reader keeps to the read's one budget. When it is spent the reading stops:
 * the source fails, and the reason (naming --max-memory) is the bundle's problem.
 */
void verify_charge(struct reader *r, uint64_t bytes)
{
	struct error err;

	if (source_charge(r->src, bytes, &err) < 0 && !r->archive_broken) {
		verify_problem(r, "%s", err.msg);
		r->archive_broken = 1;
	}
}

void verify_set_digest(struct reader *r, struct entry *e, int a, int listed,
                       const unsigned char *md)
{
	unsigned short bit = (unsigned short)(1u << a);
	size_t len = alg_hex_len[a] / 2;
	unsigned char *slot;

	if ((listed ? e->has_actual : e->has_listed) & bit) {
		const unsigned char *kept = verify_entry_digest(e, a);

		if (kept == NULL || memcmp(kept, md, len) != 0)
			e->mismatch |= bit;
	} else {
		if (a == ALG_SHA256) {
			slot = e->sha256;
		} else {
			/* The allocations with their overhead. */
			if (e->other == NULL) {
				verify_charge(r, sizeof(*e->other) + 16);
				e->other = xcalloc(1, sizeof(*e->other));
			}
			if (e->other->digest[a] == NULL) {
				verify_charge(r, len + 16);
				e->other->digest[a] = xmalloc(len);
			}
			slot = e->other->digest[a];
		}
		memcpy(slot, md, len);
	}
	if (listed)
		e->has_listed |= bit;
	else
		e->has_actual |= bit;
}

struct entry *verify_entry_find(struct reader *r, const char *name, int create)
{
	struct entry *e;
	uint64_t before;

	verify_spill_lookup(r, name);
	e = name_table_find(r->entries, name);

	if (e || !create)
		return e;
	/* What the table allocates for it: its share of a block of items, names and slots. */
	before = name_table_memory(r->entries);
	e = name_table_add(r->entries, name);
	verify_charge(r, name_table_memory(r->entries) - before);
	return e;
}

static void entry_free(void *item)
{
	struct entry *e = item;

	if (e->other) {
		for (int a = 0; a < ALG_N; a++)
			free(e->other->digest[a]);
		free(e->other);
	}
}

static void written_free(void *item)
{
	struct written_name *w = item;

	free(w->as_written);
}

static void reader_free(struct reader *r)
{
	verify_spill_free(r);
	name_table_free(r->entries, entry_free);
	name_table_free(r->written, written_free);
	free(r->literal_example);
	free(r->dot_example);
	strbuf_release(&r->lp.text);
	for (int a = 0; a < ALG_N; a++)
		EVP_MD_CTX_free(r->md[a]);
	strbuf_release(&r->bagit);
	strbuf_release(&r->baginfo);
	strbuf_release(&r->tagmanifest);
	strbuf_release(&r->signature);
	strbuf_release(&r->lp.line);
}

/* Which algorithm a "manifest-ALG.txt" / "tagmanifest-ALG.txt" name uses, or -1. */
int verify_manifest_alg(const char *name, const char *prefix)
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

/* The name of a member relative to the bag, or NULL (a problem is noted) when it has none. */
static const char *member_rel(struct reader *r, const struct source_member *m)
{
	const char *slash;
	size_t top_len;

	if (r->dir_mode)
		return m->name;
	slash = strchr(m->name, '/');
	top_len = slash ? (size_t)(slash - m->name) : strlen(m->name);
	if (r->rep->top_dir == NULL) {
		r->rep->top_dir = xstrndup(m->name, top_len);
	} else if (strlen(r->rep->top_dir) != top_len ||
	           strncmp(m->name, r->rep->top_dir, top_len) != 0) {
		if (!r->several_tops) {
			char *top = xstrndup(m->name, top_len);
			char *a1 = printable(r->rep->top_dir), *a2 = printable(top);

			verify_problem(r, "more than one top directory ('%s', '%s', ...)", a1, a2);
			free(a1);
			free(a2);
			free(top);
		}
		r->several_tops = 1;
		return NULL;
	}
	if (slash == NULL) {
		if (m->type != SOURCE_DIR)
			verify_problem_name(r, m->name, "is a file outside the top directory");
		return NULL;
	}
	return slash + 1;
}

/*
 * Was a member of this name read before? Asked by the source (source_set_seen) of each
 * member before it is handed over: the entries already hold every name under the top
 * directory, so no second copy of the names is kept for this. A name in another top
 * directory is not looked up: the bag is INVALID for it anyway.
 */
static int member_seen(void *ctx, const char *name)
{
	struct reader *r = ctx;
	const char *top = r->rep->top_dir;
	size_t top_len;
	struct entry *e;

	if (r->second_pass || top == NULL)
		return 0;
	top_len = strlen(top);
	if (strncmp(name, top, top_len) != 0)
		return 0;
	if (name[top_len] == '\0')
		return r->top_seen;
	if (name[top_len] != '/')
		return 0;
	e = verify_entry_find(r, name + top_len + 1, 0);
	return e && e->present;
}

/* Start a member. Returns 1 when its content should be read, 0 to skip it. */
static int member_begin(struct reader *r, const struct source_member *m)
{
	const struct bundle_visitor *v = r->opt->visitor;
	const char *rel;
	struct entry *e;
	int a, ret = 0;

	if (m->warning)
		verify_problem(r, "archive: %s", m->warning);
	if (m->refusal == SOURCE_DUPLICATE) {
		/* Named as within the bag, as every other problem of its member. */
		rel = member_rel(r, m);
		verify_problem_name(r, rel ? rel : m->name, m->refused);
	} else if (m->refused) {
		verify_problem_name(r, m->name, m->refused);
	}
	if (m->refused) {
		if (v && v->member_refused)
			v->member_refused(v->ctx, m);
		return 0;
	}
	if ((rel = member_rel(r, m)) == NULL) {
		if (!r->dir_mode && r->rep->top_dir && strcmp(m->name, r->rep->top_dir) == 0)
			r->top_seen = 1;
		return 0;
	}
	if (m->type == SOURCE_FILE && str_has_prefix(rel, "data/") && verify_spill_take(r, rel)) {
		/* Kept in the spill: the entry stands for it until its end. */
		memset(&r->spilled, 0, sizeof(r->spilled));
		r->spilled.name = rel;
		e = &r->spilled;
	} else {
		e = verify_entry_find(r, rel, 1);
		if (e->present) {
			verify_problem_name(r, rel, "appears twice in the bundle");
			goto out;
		}
		e->present = 1;
		e->is_dir = m->type == SOURCE_DIR;
	}
	if (v && v->member_found)
		v->member_found(v->ctx, rel, m);
	if (m->type != SOURCE_FILE)
		goto out;
	r->cur = e;
	r->cur_payload = str_has_prefix(rel, "data/");
	r->keep = NULL;
	r->lines = NULL;
	r->keep_over = 0;
	/* A manifest enables its algorithm for every member after it. */
	r->lp.fetch = 0;
	if ((a = verify_manifest_alg(rel, "manifest-")) >= 0) {
		verify_spill_close(r);
		r->manifests |= 1u << a;
		r->algs_enabled |= 1u << a;
		r->lp.alg = a;
		r->lp.tag = 0;
		r->lines = &r->lp;
	} else if ((a = verify_manifest_alg(rel, "tagmanifest-")) >= 0) {
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
	} else if (strcmp(rel, "fetch.txt") == 0) {
		r->have_fetch = 1;
		r->lp.tag = 0;
		r->lp.fetch = 1;
		r->lines = &r->lp;
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
	if (r->lines)
		tag_decoder_init(&r->lp.dec, r->encoding < 0 ? TAG_ENC_UTF8 : r->encoding);
	/* Tag files are few and small: hashed with every algorithm, so that a tag manifest may
	 * come after the manifests it lists, in whatever order a tool wrote them. */
	r->cur_algs = r->algs_enabled | (1u << ALG_SHA256);
	if (!str_has_prefix(rel, "data/"))
		r->cur_algs = (1u << ALG_N) - 1;
	for (a = 0; a < ALG_N; a++) {
		if (!(r->cur_algs & (1u << a)))
			continue;
		if (r->md[a] == NULL)
			r->md[a] = EVP_MD_CTX_new();
		if (r->md[a] &&
		    EVP_DigestInit_ex(r->md[a], EVP_get_digestbyname(alg_openssl[a]), NULL) == 1)
			continue;
		if (!(r->algs_enabled & (1u << a)) && a != ALG_SHA256) {
			/* Not one the bag uses: a tag file simply goes without it. */
			r->cur_algs &= ~(1u << a);
		} else {
			verify_problem(r, "%s is not available in this OpenSSL", alg_labels[a]);
			r->archive_broken = 1;
			goto out;
		}
	}
	if (v && v->member_begin)
		v->member_begin(v->ctx, rel, m->size);
	ret = 1;
out:
	if (ret == 0) {
		if (r->cur == &r->spilled)
			verify_spill_abandon(r);
		r->cur = NULL;
	}
	return ret;
}

static void member_data(struct reader *r, const void *buf, size_t len)
{
	if (r->cur_payload)
		r->payload_bytes += len;
	for (int a = 0; a < ALG_N; a++)
		if ((r->cur_algs & (1u << a)) && EVP_DigestUpdate(r->md[a], buf, len) != 1) {
			verify_problem(r, "%s failed in OpenSSL", alg_labels[a]);
			r->archive_broken = 1;
			return;
		}
	if (r->keep && !r->keep_over) {
		if (r->keep->len + len > r->keep_max) {
			r->keep_over = 1;
		} else {
			verify_charge(r, len);
			strbuf_add(r->keep, buf, len);
		}
	}
	if (r->lines)
		verify_lines_raw(r, r->lines, buf, len);
	if (r->opt->visitor && r->opt->visitor->member_data)
		r->opt->visitor->member_data(r->opt->visitor->ctx, buf, len);
}

static void member_end(struct reader *r)
{
	struct entry *e = r->cur;
	char sha256_hex[SHA256_HEX_LEN + 1] = "";

	for (int a = 0; a < ALG_N; a++) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;

		if (!(r->cur_algs & (1u << a)))
			continue;
		if (EVP_DigestFinal_ex(r->md[a], md, &mdlen) != 1)
			continue;
		if (mdlen != alg_hex_len[a] / 2)
			continue;
		if (a == ALG_SHA256)
			hex_encode(md, mdlen, sha256_hex);
		if (e == &r->spilled)
			verify_spill_add(r, md); /* SHA-256 alone, by verify_spill_take's rule */
		else
			verify_set_digest(r, e, a, 0, md);
	}
	if (e == &r->spilled)
		verify_spill_missed(r); /* only when no digest was recorded above */
	if (r->lines) {
		/* Read as UTF-8 before bagit.txt named the encoding: judged at the end. */
		if (r->encoding < 0 && r->lp.dec.enc == TAG_ENC_UTF8)
			r->encoding_late = 1;
		verify_lines_end(r, r->lines);
	}
	if (r->keep == &r->bagit && !r->keep_over)
		verify_read_bagit_txt(r);
	if (r->keep_over) {
		if (r->keep == &r->tagmanifest)
			r->tagmanifest_over = 1;
		else if (r->keep == &r->signature)
			r->signature_over = 1;
		verify_problem_name(r, e->name, "is too large for a tag file");
	}
	if (r->opt->visitor && r->opt->visitor->member_end)
		r->opt->visitor->member_end(r->opt->visitor->ctx,
		                            sha256_hex[0] ? sha256_hex : NULL);
	r->cur = NULL;
	r->keep = NULL;
	r->lines = NULL;
}

/* After the last member: everything that needs the whole bag. */
static void reader_finish(struct reader *r)
{
	struct bundle_report *rep = r->rep;

	if (r->archive_broken)
		goto outcome;
	if (!r->dir_mode && rep->top_dir == NULL) {
		verify_problem(r, "the archive is empty: no bag in it");
		goto outcome;
	}
	if (r->several_tops)
		goto outcome;
	verify_check_bagit_txt(r);
	if (r->have_baginfo) {
		/* Kept as read, decoded now that bagit.txt has named the encoding. */
		struct strbuf text = STRBUF_INIT;
		struct tag_decoder dec;

		tag_decoder_init(&dec, r->encoding < 0 ? TAG_ENC_UTF8 : r->encoding);
		tag_decoder_feed(&dec, r->baginfo.buf ? r->baginfo.buf : "", r->baginfo.len, &text);
		tag_fields_parse(text.buf ? text.buf : "", &rep->info, &rep->n_info);
		strbuf_release(&text);
	}
	if (r->manifests == 0)
		verify_problem(r,
		               "no payload manifest (manifest-sha256.txt or manifest-sha512.txt)");
	else if ((r->manifests & ~ALG_WEAK) == 0)
		verify_warning(r,
		               "weak checksums: the payload is listed only with %s, which can be "
		               "forged; the bag proves little against tampering",
		               r->manifests == ALG_WEAK         ? "MD5 and SHA-1"
		               : r->manifests & (1u << ALG_MD5) ? "MD5"
		                                                : "SHA-1");
	verify_check_entries(r);
	verify_check_oxum(r);
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
			verify_problem(r, SIGNATURE_NAME
			               " is present but tagmanifest-sha256.txt is missing");
		else if (r->tagmanifest_over || r->signature_over)
			verify_problem(r,
			               "the signature or the tag manifest is too large to check");
		else if (sign_check_detached(
		                 r->signature.buf ? r->signature.buf : "", r->signature.len,
		                 r->tagmanifest.buf ? r->tagmanifest.buf : "", r->tagmanifest.len,
		                 r->opt->trust, &rep->sig, &err) < 0)
			verify_problem(r, "signature: %s", err.msg);
		else if (!rep->sig.signature_ok)
			verify_problem(r, "signature: %s%s%s", rep->sig.failure,
			               rep->sig.subject ? "; it claims to be by " : "",
			               rep->sig.subject ? rep->sig.subject : "");
	}
outcome:
	rep->files_unchecked = r->n_unchecked;
	if (rep->n_problems_total > 0)
		rep->outcome = BUNDLE_INVALID;
	else if (r->n_unchecked > 0)
		rep->outcome = BUNDLE_UNCHECKED;
	else if (rep->files_to_fetch > 0)
		rep->outcome = BUNDLE_INCOMPLETE;
	else if (!rep->is_signed)
		rep->outcome = BUNDLE_VALID_UNSIGNED;
	else if (rep->sig.trusted)
		rep->outcome = BUNDLE_VALID_TRUSTED;
	else
		rep->outcome = BUNDLE_VALID_UNTRUSTED;
}

/* Walk an archive already opened on a. */

/* Read every member the source yields. */
static void verify_members(struct reader *r)
{
	const struct bundle_read_options *opt = r->opt;
	struct source_member m;
	struct error err;
	char *buf = xmalloc(CHUNK);
	int rc;

	while ((rc = source_next(r->src, &m, &err)) == 1) {
		if (!member_begin(r, &m)) {
			if (r->archive_broken)
				break;
			continue; /* the source reads past its bytes, and counts them */
		}
		for (;;) {
			ssize_t n = source_read(r->src, buf, CHUNK, &err);

			if (n == 0)
				break;
			if (n < 0) {
				if (!r->archive_broken)
					verify_problem(r, "%s", err.msg);
				r->archive_broken = 1;
				break;
			}
			member_data(r, buf, (size_t)n);
			if (r->archive_broken)
				break;
			if (opt->progress)
				opt->progress(opt->progress_ctx, source_compressed_bytes(r->src),
				              source_members(r->src));
		}
		if (r->archive_broken)
			break;
		member_end(r);
	}
	if (rc < 0) {
		if (!r->archive_broken)
			verify_problem(r, "%s", err.msg);
		r->archive_broken = 1;
	}
	if (r->archive_broken && r->cur) {
		/* Close the open member's state without recording partial hashes. */
		if (r->cur == &r->spilled)
			verify_spill_abandon(r);
		if (opt->visitor && opt->visitor->member_end)
			opt->visitor->member_end(opt->visitor->ctx, NULL);
		r->cur = NULL;
	}
	r->rep->members = source_members(r->src);
	r->rep->total_bytes = source_total_bytes(r->src);
	free(buf);
}

/* The last component of a bag directory's path, trailing slashes aside. */
static char *dir_top_name(const char *path)
{
	char *trimmed = xstrdup(path), *base, *top;

	while (strlen(trimmed) > 1 && str_has_suffix(trimmed, "/"))
		trimmed[strlen(trimmed) - 1] = '\0';
	base = strrchr(trimmed, '/');
	top = xstrdup(base ? base + 1 : trimmed);
	free(trimmed);
	return top;
}

/* Add a problem found after the pass; the bundle becomes INVALID. */
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

/* The whole input against "<path>.sha256": it catches what the tar format cannot. */
static void check_sidecar(const char *got, const char *path, struct bundle_report *rep)
{
	char want[SHA256_HEX_LEN + 1];
	int sc = bundle_sidecar_read(path, want);
	char *shown;

	if (got == NULL || rep->outcome == BUNDLE_INVALID || sc == 0)
		return;
	if (sc < 0) {
		report_add_problem(rep, xstrdup("the .sha256 file beside the bundle is malformed"));
		return;
	}
	if (strcmp(got, want) == 0)
		return;
	shown = printable(path_basename(path));
	report_add_problem(rep, xasprintf("the bundle does not match %s.sha256 beside it "
	                                  "(truncated or altered after it was written)",
	                                  shown));
	free(shown);
}

/* Does a payload file lack a checksum a manifest lists (the manifest came after it)? */
static int needs_second_pass(struct reader *r)
{
	for (size_t i = 0; i < name_table_count(r->entries); i++) {
		struct entry *e = name_table_item(r->entries, i);

		if (e->present && !e->is_dir && (e->has_listed & ~e->has_actual))
			return 1;
	}
	return 0;
}

/*
 * For the tests only: with LOGPACK_TEST_BETWEEN_PASSES=FILE, create FILE after the first pass
 * and wait (10 s at most) until it is removed, so that a test can rewrite the bundle between
 * the passes, deterministically, and see the binding catch it.
 */
static void test_between_passes(void)
{
	const char *flag = getenv("LOGPACK_TEST_BETWEEN_PASSES");
	int fd;

	if (flag == NULL || *flag == '\0')
		return;
	fd = open(flag, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	close(fd);
	for (int i = 0; i < 1000 && access(flag, F_OK) == 0; i++) {
		struct timespec tick = {0, 10 * 1000 * 1000};

		nanosleep(&tick, NULL);
	}
}

/*
 * The second pass over a file whose manifest came after the payload: hash what pass 1 could
 * not. It is bound to pass 1 by the whole input's SHA-256 (raw1): what it checks is what was
 * read before (and extracted, by extract), or the bundle is INVALID.
 */
static void second_pass(struct reader *r, const char *raw1)
{
	struct source_member m;
	struct error err;
	char raw2[SHA256_HEX_LEN + 1];
	char *buf = NULL;
	size_t top_len = r->rep->top_dir ? strlen(r->rep->top_dir) : 0;
	int rc;

	test_between_passes();
	/* Every name was seen in the first pass: none is a duplicate now. */
	r->second_pass = 1;
	if (source_rewind(r->src, &err) < 0 || source_hash_raw(r->src, &err) < 0) {
		verify_problem(r, "second pass: %s", err.msg);
		return;
	}
	buf = xmalloc(CHUNK);
	while ((rc = source_next(r->src, &m, &err)) == 1) {
		struct entry *e;
		unsigned int want;

		if (m.refused || m.type != SOURCE_FILE || r->rep->top_dir == NULL ||
		    strncmp(m.name, r->rep->top_dir, top_len) != 0 || m.name[top_len] != '/')
			continue;
		e = verify_entry_find(r, m.name + top_len + 1, 0);
		if (e == NULL || !e->present || e->is_dir ||
		    (want = e->has_listed & ~e->has_actual) == 0)
			continue;
		for (int a = 0; a < ALG_N; a++)
			if ((want & (1u << a)) &&
			    (r->md[a] == NULL ||
			     EVP_DigestInit_ex(r->md[a], EVP_get_digestbyname(alg_openssl[a]),
			                       NULL) != 1))
				want &= ~(1u << a);
		for (;;) {
			ssize_t n = source_read(r->src, buf, CHUNK, &err);

			if (n <= 0) {
				rc = n < 0 ? -1 : 1;
				break;
			}
			for (int a = 0; a < ALG_N; a++)
				if ((want & (1u << a)) &&
				    EVP_DigestUpdate(r->md[a], buf, (size_t)n) != 1)
					want &= ~(1u << a);
		}
		if (rc < 0)
			break;
		for (int a = 0; a < ALG_N; a++) {
			unsigned char md[EVP_MAX_MD_SIZE];
			unsigned int mdlen = 0;

			if ((want & (1u << a)) && EVP_DigestFinal_ex(r->md[a], md, &mdlen) == 1 &&
			    mdlen == alg_hex_len[a] / 2) {
				verify_set_digest(r, e, a, 0, md);
			}
		}
	}
	free(buf);
	if (rc < 0) {
		verify_problem(r, "second pass: %s", err.msg);
		return;
	}
	if (source_raw_sha256(r->src, raw2, &err) < 0)
		verify_problem(r, "second pass: %s", err.msg);
	else if (strcmp(raw1, raw2) != 0)
		verify_problem(r, "the bundle changed between the two passes needed to check it "
		                  "(its manifest comes after its payload)");
}

int bundle_verify_source(struct source *src, const char *sidecar_of,
                         const struct bundle_read_options *opt, struct bundle_report *rep,
                         struct error *err)
{
	struct reader r = {.opt = opt, .rep = rep, .src = src};
	char raw1[SHA256_HEX_LEN + 1];
	int have_raw1 = 0;

	memset(rep, 0, sizeof(*rep));
	rep->outcome = BUNDLE_INVALID;
	r.encoding = -1;
	r.entries = name_table_new(sizeof(struct entry), err);
	if (r.entries == NULL)
		return -1;
	r.written = name_table_new(sizeof(struct written_name), err);
	if (r.written == NULL) {
		name_table_free(r.entries, NULL);
		return -1;
	}
	r.dir_mode = source_is_dir(src);
	if (r.dir_mode)
		rep->top_dir = dir_top_name(source_label(src));
	/* A file may need a second pass: hash pass 1 whole, to bind the two. */
	if (source_can_rewind(src) && !source_is_hashing(src) && source_hash_raw(src, err) < 0) {
		reader_free(&r);
		return -1;
	}
	source_set_seen(src, member_seen, &r);
	verify_members(&r);
	if (source_is_hashing(src)) {
		struct error raw_err;

		if (source_raw_sha256(src, raw1, &raw_err) == 0)
			have_raw1 = 1;
	}
	if (!r.archive_broken) {
		verify_resolve_names(&r);
		if (needs_second_pass(&r) && source_can_rewind(src) && have_raw1)
			second_pass(&r, raw1);
	}
	reader_finish(&r);
	reader_free(&r);
	if (have_raw1)
		rep->raw_sha256 = xstrdup(raw1);
	if (sidecar_of)
		check_sidecar(have_raw1 ? raw1 : NULL, sidecar_of, rep);
	return 0;
}
