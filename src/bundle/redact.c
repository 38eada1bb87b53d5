/*
 * Redaction, first version. Pass 1 verifies the source through the one bundle reader and, as each
 * member's bytes go by, hashes it, judges whether it is plain text (no NUL byte, no journal name)
 * and notes every address of its lines and of its path (its visitor is in bundle/redact-scan.h); a
 * compressed rotation's bytes are decompressed and scanned on a thread of their own
 * (bundle/redact-unpack.h). Only a valid source goes on; pass 1b reads it again only for its
 * journal files. Pass 2 reads the source again: each plain-text payload file's lines go through
 * the tokeniser into an anonymous temporary file, which then becomes the payload of the derived
 * bag under its redacted path; its hash must equal pass 1's (a source that changed between the
 * passes is refused). Login records (wtmp, btmp, utmp, lastlog) are rewritten record by record
 * (bundle/redact-login.h), compressed rotations line by line in their own format
 * (bundle/redact-stream.h). Everything else is dropped and listed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "base/atomic-file.h"
#include "base/cpus.h"
#include "base/hash.h"
#include "base/printable.h"
#include "base/utf8.h"
#include "bundle/bag.h"
#include "bundle/bundle-read.h"
#include "bundle/redact-copy.h"
#include "bundle/redact-export.h"
#include "bundle/redact-login.h"
#include "bundle/redact-names.h"
#include "bundle/redact-pool.h"
#include "bundle/redact-scan.h"
#include "bundle/redact-stream.h"
#include "bundle/redact-unpack.h"
#include "bundle/redact-write.h"
#include "bundle/redact.h"
#include "bundle/source.h"
#include "trust/addrmap.h"
#include "trust/tokenise.h"

/* The most of a JSON tag file that is read whole to be redacted; a larger one is dropped. */
#define TAG_JSON_MAX (64u << 20)
/*
 * zstd's level for the derived bundle. Its payload is mostly what compresses least: rotations
 * compressed again and text full of keyed tokens. On the benchmark corpus level 1 took 0.32 s
 * of CPU where level 3 took 0.52 s, for a bundle 0.7% smaller.
 */
#define REDACT_ZSTD_LEVEL 1

struct reverse_entry {
	char *key; /* "type\toriginal" */
	char *repl;
};

struct redactor {
	struct pseudo_keys keys;
	struct addrmap *am;
	struct tokeniser *tk;
	/* the reverse map: every replacement once */
	json_t *seen; /* object: "type\toriginal" -> replacement */
};

static void observe(void *arg, enum pseudo_type type, const char *orig, size_t len,
                    const char *repl)
{
	struct redactor *r = arg;
	char *key = xasprintf("%s\t%.*s", pseudo_type_name(type), (int)len, orig);

	/* Kept and special addresses are no pseudonyms: the map holds only what was replaced. */
	if ((strlen(repl) != len || memcmp(repl, orig, len) != 0) &&
	    json_object_get(r->seen, key) == NULL)
		json_object_set_new(r->seen, key, json_string(repl));
	OPENSSL_cleanse(key, strlen(key));
	free(key);
}

/*
 * The next file of the source in a later pass, which must be the next of pass 1's list: 1 with
 * *m, 0 at the end, -1 with err (a read error, or a source that changed between the passes).
 */
static int next_known(struct source *src, struct source_member *sm, struct pass1 *p, size_t *next,
                      const char *source_path, struct member_info **m, struct error *err)
{
	for (;;) {
		const char *slash, *name;
		int r = source_next(src, sm, err);

		if (r <= 0)
			return r;
		if (sm->refused || sm->type != SOURCE_FILE)
			continue;
		/* A bundle's names start with the bag's top directory; a bag directory's do not. */
		slash = source_is_dir(src) ? NULL : strchr(sm->name, '/');
		name = slash ? slash + 1 : sm->name;
		if (*next >= p->n || strcmp(p->members[*next].name, name) != 0) {
			error_set(err, "%s: the source changed between the passes (%s)",
			          source_path, name);
			return -1;
		}
		*m = &p->members[(*next)++];
		return 1;
	}
}

/*
 * The member src is at, copied into an anonymous temporary file in dir (a journal file is read
 * at random offsets) and hashed: the descriptor and its size, or -1 with err.
 */
static int spool_member(struct source *src, const char *dir, char sha[SHA256_HEX_LEN + 1],
                        uint64_t *size, struct error *err)
{
	struct sha256 h;
	char buf[65536];
	ssize_t n;
	int fd = temp_fd_in(dir);

	*size = 0;
	if (fd < 0) {
		error_set(err, "%s: temporary file: %s", dir, strerror(errno));
		return -1;
	}
	if (sha256_init(&h, err) < 0) {
		close(fd);
		return -1;
	}
	while ((n = source_read(src, buf, sizeof(buf), err)) > 0) {
		sha256_update(&h, buf, (size_t)n);
		if (write_all(fd, buf, (size_t)n) < 0) {
			error_set(err, "%s: temporary file: %s", dir, strerror(errno));
			n = -1;
			break;
		}
		*size += (uint64_t)n;
	}
	if (n < 0) {
		sha256_discard(&h);
		close(fd);
		return -1;
	}
	sha256_final_hex(&h, sha);
	return fd;
}

/* A journal's export text on its way: through the export redactor, and on to w (pass 2). */
struct journal_pass {
	struct export_redactor er;
	struct redact_writer *w; /* NULL: pass 1b, scanning */
	int write_failed;        /* the failure was ours, not the journal's */
};

static int journal_piece(void *ctx, const void *buf, size_t len, struct error *err)
{
	struct journal_pass *jp = ctx;

	if (export_redactor_data(&jp->er, buf, len, err) < 0 ||
	    (jp->w && jp->w->out.len >= 65536 && redact_writer_flush(jp->w) < 0)) {
		jp->write_failed = 1;
		return -1;
	}
	return 0;
}

/*
 * A journal member as export text through the tokeniser: scanned (w NULL) or written into w.
 * 0; -1 with err (ours: fatal); -2 with err when the file is not a journal logpack reads.
 */
static int journal_through(struct source *src, const struct redact_options *opt,
                           struct tokeniser *tk, struct redact_writer *w, const char *name,
                           const char *want_sha, struct error *err)
{
	struct journal_pass jp = {.w = w};
	char sha[SHA256_HEX_LEN + 1];
	uint64_t size;
	int fd = spool_member(src, opt->output_dir, sha, &size, err), r;

	if (fd < 0)
		return -1;
	if (strcmp(sha, want_sha) != 0) {
		close(fd);
		error_set(err, "%s: %s changed between the passes", opt->source_path, name);
		return -1;
	}
	export_redactor_begin(&jp.er, tk, w ? &w->out : NULL);
	r = opt->journal_export(fd, size, journal_piece, &jp, err);
	close(fd);
	if (r < 0) {
		struct error ignored;

		export_redactor_end(&jp.er, &ignored);
		return jp.write_failed ? -1 : -2;
	}
	if (export_redactor_end(&jp.er, err) < 0)
		return -1;
	return w ? redact_writer_flush(w) : 0;
}

/*
 * Pass 1b, only when the source has journal files: read it again and scan each one's export
 * text, so that its addresses are known before the map is sealed. One that logpack's reader
 * cannot read is dropped in pass 2, with the reason.
 */
static int pass1b(struct pass1 *p, const struct redact_options *opt,
                  const struct bundle_limits *limits, struct error *err)
{
	const char *source_path = opt->source_path;
	struct source *src = NULL;
	struct source_member sm;
	size_t next = 0;
	int any = 0, rc = -1;

	for (size_t i = 0; i < p->n; i++)
		any |= p->members[i].journal && p->members[i].text;
	if (!any)
		return 0;
	if (source_open_path(&src, source_path, limits, err) < 0)
		return -1;
	for (;;) {
		struct member_info *m;
		int r = next_known(src, &sm, p, &next, source_path, &m, err);

		if (r < 0)
			goto out;
		if (r == 0)
			break;
		if (!m->journal || !m->text)
			continue;
		r = journal_through(src, opt, p->tk, NULL, m->name, m->sha256, err);
		if (r == -1)
			goto out;
		if (r == -2) {
			m->text = 0;
			m->why = xasprintf("journal: %s", err->msg);
			err->msg[0] = '\0';
		}
	}
	rc = 0;
out:
	source_close(src);
	return rc;
}

/* The path of a payload file after redaction ("var/log/host-....log"). */
static char *redact_path(struct tokeniser *tk, const char *path, struct error *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *shown;

	if (tokeniser_line(tk, path, strlen(path), &sb, err) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	if (utf8_valid(sb.buf ? sb.buf : "", sb.len))
		return strbuf_detach(&sb);
	/* A stranger's bundle may name a file in bytes that are not UTF-8: no tar header or
	 * JSON string of the derived bag can hold them, so they are escaped as show prints them
	 * (\xHH); two names that meet so are told apart like any others. */
	shown = printable_text(sb.buf, sb.len, 0, 0);
	strbuf_release(&sb);
	return shown;
}

/*
 * Is a --keep value meant as an address or range (only digits, hex letters, '.', ':' and '/',
 * with a digit or ':' among them), so that a typo in one is an error and not a kept word?
 */
static int keep_is_address(const char *v)
{
	int digit = 0;

	for (const char *p = v; *p; p++) {
		if (!strchr("0123456789abcdefABCDEF.:/", *p))
			return 0;
		digit |= (*p >= '0' && *p <= '9') || *p == ':';
	}
	return digit;
}

/* Is path (the map) inside dir (the output directory), or is it dir? */
static int inside(const char *path, const char *dir, struct error *err)
{
	char *parent = path_dirname(path), real_parent[PATH_MAX], real_dir[PATH_MAX];
	size_t n;
	int rc = -1;

	if (realpath(parent, real_parent) == NULL) {
		error_set(err, "--map %s: %s: %s", path, parent, strerror(errno));
		goto out;
	}
	if (realpath(dir, real_dir) == NULL) {
		error_set(err, "-o %s: %s", dir, strerror(errno));
		goto out;
	}
	n = strlen(real_dir);
	rc = strncmp(real_parent, real_dir, n) == 0 &&
	     (real_parent[n] == '\0' || real_parent[n] == '/' || strcmp(real_dir, "/") == 0);
out:
	free(parent);
	return rc;
}

static void summary_drop(struct redact_summary *sum, const char *name, const char *reason)
{
	sum->dropped = xreallocarray(sum->dropped, sum->n_dropped + 1, sizeof(*sum->dropped));
	sum->dropped[sum->n_dropped++] = (struct redact_dropped){xstrdup(name), xstrdup(reason)};
}

int redact_link(const struct pseudo_keys *keys, const char *name, const char *sha256, char hex[65],
                struct error *err)
{
	char *text = xasprintf("%s\n%s", name, sha256);
	uint8_t mac[32];
	int rc = pseudo_hmac_sha256(keys->sub[PSEUDO_LINK], PSEUDO_KEY_LEN, text, strlen(text), mac,
	                            err);

	free(text);
	for (int i = 0; rc == 0 && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return rc;
}

/*
 * What the derived bag-info says of the source beyond the link: the sharing label (--tlp, else
 * the source's own, so that redaction never lowers it silently), and only when asked for, the
 * contacts and the source's signer, which name the victim.
 */
static void add_source_info(struct bag_writer *bw, const struct redact_options *opt,
                            const struct bundle_report *rep)
{
	static const char *const contacts[] = {"Source-Organization", "Contact-Name",
	                                       "Contact-Phone", "Contact-Email"};
	/* The source's value as it stands: verify reads it as a TLP label, or shows it does not. */
	const char *tlp = opt->tlp ? opt->tlp : bundle_report_info(rep, "LogPack-TLP");

	if (tlp)
		bag_info_add(bw, "LogPack-TLP", tlp);
	for (size_t i = 0; opt->keep_contacts && i < sizeof(contacts) / sizeof(contacts[0]); i++) {
		const char *v = bundle_report_info(rep, contacts[i]);

		if (v)
			bag_info_add(bw, contacts[i], v);
	}
	if (opt->name_source_signer && rep->is_signed && rep->sig.subject)
		bag_info_add(bw, "LogPack-Source-Signer", rep->sig.subject);
}

enum redact_status redact_bundle(const struct redact_options *opt, struct redact_summary *sum,
                                 struct error *err)
{
	struct redactor r = {0};
	struct pass1 p1 = {0};
	/* One tokeniser a CPU: on one CPU the lines are tokenised in this thread. */
	int jobs = opt->jobs > 0 ? opt->jobs : cpus_available();
	struct bundle_visitor vis = {.member_begin = redact_scan_begin,
	                             .member_data = redact_scan_data,
	                             .member_end = redact_scan_end};
	struct bundle_read_options ro = {0};
	struct bundle_report rep = {0};
	struct bag_writer *bw = NULL;
	struct bag_writer_options bo = {0};
	struct bag_result res = {0};
	struct source *src = NULL;
	struct source_member sm;
	struct redact_writer w = {0};
	json_t *doc = NULL, *files = NULL, *written = NULL;
	char stamp[32], *top = NULL, *path = NULL, *text = NULL;
	enum redact_status status = REDACT_FAILED;
	size_t next = 0;
	struct tm tm;
	time_t now = (time_t)opt->now;
	int have_rep = 0, read_rc, rc_copy;
	struct redact_copier *copier = NULL;
	struct stat st;

	memset(sum, 0, sizeof(*sum));
	w.fd = -1;
	w.dir = opt->output_dir;
	switch (inside(opt->map_path, opt->output_dir, err)) {
	case 0:
		break;
	case 1:
		error_set(err,
		          "--map %s: the reverse map must not be inside the output directory %s",
		          opt->map_path, opt->output_dir);
		return REDACT_FAILED;
	default:
		return REDACT_FAILED;
	}
	/* lstat, not access: a dangling symbolic link is a name taken too, and would only be
	 * refused at the end, after all the work. */
	if (lstat(opt->map_path, &st) == 0) {
		error_set(err, "--map %s: exists already: not overwritten", opt->map_path);
		return REDACT_FAILED;
	}
	if (pseudo_keys_derive(opt->key, &r.keys, err) < 0)
		return REDACT_FAILED;
	r.am = addrmap_new(r.keys.sub[PSEUDO_ADDRESSES], err);
	if (r.am == NULL)
		goto out;
	r.tk = tokeniser_new(&r.keys, r.am);
	/* Kept names first: the first listing of a name wins. */
	for (size_t i = 0; i < opt->n_keep; i++) {
		if (keep_is_address(opt->keep[i])) {
			if (addrmap_keep(r.am, opt->keep[i], err) < 0) {
				error_prefix(err, "--keep");
				goto out;
			}
		} else if (tokeniser_keep(r.tk, opt->keep[i], err) < 0) {
			error_set(err,
			          "--keep '%s': neither an address, a range nor a name (letters, "
			          "digits, '.', '_', '-', up to %d)",
			          opt->keep[i], TOKENISE_NAME_MAX);
			goto out;
		}
	}
	for (size_t i = 0; i < opt->n_words; i++)
		if (tokeniser_add(r.tk, PSEUDO_WORDS, opt->words[i], err) < 0)
			goto out;
	r.seen = json_object();

	/* Pass 1: verify, hash, judge, note the addresses. */
	p1.tk = r.tk;
	if (jobs > 1 && (p1.pool = line_pool_new(r.tk, jobs, err)) == NULL)
		goto out;
	redact_names_init(&p1.found);
	p1.journals = opt->journal_export != NULL;
	p1.keep_incident = opt->keep_incident;
	vis.ctx = &p1;
	bundle_limits_default(&ro.limits);
	ro.visitor = &vis;
	read_rc = bundle_read_path(opt->source_path, &ro, &rep, err);
	/* The reader ends every member it began, a broken one too; should it not, the thread is
	 * stopped here. */
	if (p1.unpack) {
		struct error ignored;

		redact_unpack_finish(p1.unpack, &ignored);
		p1.unpack = NULL;
	}
	if (read_rc < 0)
		goto out;
	have_rep = 1;
	/* An invalid source is refused as such, whatever its content made pass 1 stop at. */
	if (!bundle_outcome_valid(rep.outcome)) {
		error_set(err, "%s: the source is not valid (%s): not redacted", opt->source_path,
		          rep.n_problems ? rep.problems[0] : "INVALID");
		status = REDACT_SOURCE_INVALID;
		goto out;
	}
	if (p1.failed) {
		*err = p1.err;
		goto out;
	}
	if (pass1b(&p1, opt, &ro.limits, err) < 0)
		goto out;
	/* Its workers read the names as they were: the pool goes before any is listed. */
	line_pool_free(p1.pool);
	p1.pool = NULL;
	/* Names listed after the first pass hide no address from it: it tried every position. */
	if (redact_names_list(r.tk, &p1.found, &w.lit, err) < 0)
		goto out;
	w.uid_min = redact_uid_min(&p1.found);
	if (addrmap_seal(r.am, err) < 0)
		goto out;
	tokeniser_set_observer(r.tk, observe, &r);
	if (w.lit.phone) {
		int kept = tokeniser_field(r.tk, PSEUDO_WORDS, w.lit.phone, strlen(w.lit.phone),
		                           w.phone_token, err);

		if (kept < 0)
			goto out;
		if (kept) { /* --keep: it stays */
			free(w.lit.phone);
			w.lit.phone = NULL;
		} else if (tokeniser_add_phone(r.tk, w.lit.phone, err) < 0) {
			/* In the logs too, in any of its forms ("08-123 456 78"). */
			goto out;
		}
	}

	/* The derived bag: a neutral name (no host name, no case reference). */
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	top = xasprintf("logpack-redacted-%s", stamp);
	path = xasprintf("%s/%s.tar.zst", opt->output_dir, top);
	bo.output_path = path;
	bo.top_dir = top;
	bo.compression = "zstd";
	bo.level = REDACT_ZSTD_LEVEL;
	bo.bagging_time = opt->now;
	bo.sign = opt->sign;
	bo.sign_ctx = opt->sign_ctx;
	if (bag_writer_open(&bw, &bo, err) < 0)
		goto out;
	add_source_info(bw, opt, &rep);

	/* Pass 2. */
	if (source_open_path(&src, opt->source_path, &ro.limits, err) < 0)
		goto out;
	w.tk = r.tk;
	w.err = err;
	if (jobs > 1 && (w.pool = line_pool_new(r.tk, jobs, err)) == NULL)
		goto out;
	if (w.pool)
		line_pool_begin(w.pool, redact_writer_pool_out, &w);
	files = json_array();
	written = json_object();
	if (redact_copier_start(&copier, bw, opt->output_dir, err) < 0)
		goto out;
	for (;;) {
		struct member_info *m;
		struct login_records lr;
		char sha[SHA256_HEX_LEN + 1], link[65];
		int plain;
		struct redact_lines line = {STRBUF_INIT, 0};
		struct sha256 h;
		char buf[65536];
		ssize_t n = 0;
		char *rpath;
		int rc = next_known(src, &sm, &p1, &next, opt->source_path, &m, err);

		if (rc < 0)
			goto out;
		if (rc == 0)
			break;
		/* The bag's own files are written anew by the bag writer: not "dropped". */
		if (!m->text && strchr(m->name, '/') == NULL)
			continue;
		if (!m->text) {
			summary_drop(sum, m->name, m->why ? m->why : "not plain text");
			if (str_has_prefix(m->name, "data/")) {
				rpath = redact_path(r.tk, m->name, err);
				if (rpath == NULL ||
				    redact_link(&r.keys, m->name, m->sha256, link, err) < 0) {
					free(rpath);
					goto out;
				}
				json_array_append_new(files,
				                      json_pack("{s:s, s:s, s:s}", "path", rpath,
				                                "action", "dropped", "link", link));
				free(rpath);
			}
			continue;
		}
		w.fd = temp_fd_in(opt->output_dir);
		if (w.fd < 0) {
			error_set(err, "%s: temporary file: %s", opt->output_dir, strerror(errno));
			goto out;
		}
		plain = m->comp == REDACT_PLAIN && !m->journal;
		w.passwd = redact_name_source(m->name) == NAMES_PASSWD ||
		           redact_name_source(m->name) == NAMES_PASSWD_OLD;
		w.tag = m->tag;
		w.json_bad = 0;
		strbuf_reset(&w.doc);
		if (m->journal) {
			/* Its export text, redacted field by field (text that journald reads back).
			 */
			if (journal_through(src, opt, r.tk, &w, m->name, m->sha256, err) != 0) {
				if (err->msg[0] == '\0')
					error_set(err, "%s: %s changed between the passes",
					          opt->source_path, m->name);
				goto out;
			}
			memcpy(sha, m->sha256, sizeof(sha));
			n = 0;
		} else if (m->comp != REDACT_PLAIN) {
			/* Decompressed, redacted line by line, compressed again in its format. */
			int zr;

			redact_lines_reset(&w.in);
			if (redact_compressor_open(&w.comp, m->comp, w.fd, err) < 0)
				goto out;
			if (m->login != LOGIN_NONE) {
				login_records_begin(&lr, m->login, m->name);
				w.login = &lr;
			}
			zr = redact_decompress(src, m->comp, redact_decompressed_max(sm.size),
			                       w.login ? redact_writer_login_chunk
			                               : redact_writer_chunk,
			                       &w, sha, err);
			w.login = NULL;
			if (zr == -2)
				error_prefix(err, "%s: %s changed between the passes",
				             opt->source_path, m->name);
			if (zr < 0 || redact_lines_end(&w.in, redact_writer_line, &w) < 0 ||
			    redact_writer_finish(&w) < 0)
				goto out;
			zr = redact_compressor_close(w.comp, err);
			w.comp = NULL;
			if (zr < 0) {
				error_prefix(err, "%s: temporary file", opt->output_dir);
				goto out;
			}
			n = 0;
		} else if (sha256_init(&h, err) < 0) {
			goto out;
		}
		if (plain && m->login != LOGIN_NONE)
			login_records_begin(&lr, m->login, m->name);
		while (plain && (n = source_read(src, buf, sizeof(buf), err)) > 0) {
			int fed;

			sha256_update(&h, buf, (size_t)n);
			if (m->login != LOGIN_NONE)
				fed = login_records_data(&lr, buf, (size_t)n, r.tk, NULL, &w.out,
				                         err) < 0 ||
				                      (w.out.len >= 65536 &&
				                       redact_writer_flush(&w) < 0)
				              ? -1
				              : 0;
			else if (m->tag == TAG_JSON && w.doc.len + (size_t)n > TAG_JSON_MAX)
				fed = 0, w.json_bad = 1;
			else if (m->tag == TAG_JSON)
				fed = 0, strbuf_add(&w.doc, buf, (size_t)n);
			else
				fed = redact_lines_feed(&line, buf, (size_t)n, redact_writer_line,
				                        &w);
			if (fed < 0) {
				sha256_discard(&h);
				strbuf_release(&line.held);
				goto out;
			}
		}
		if (plain)
			sha256_final_hex(&h, sha);
		if (n == 0 && (redact_lines_end(&line, redact_writer_line, &w) < 0 ||
		               (m->tag == TAG_JSON && !w.json_bad &&
		                redact_writer_json(&w, w.doc.buf ? w.doc.buf : "", w.doc.len,
		                                   JSON_INDENT(2)) < 0) ||
		               redact_writer_finish(&w) < 0))
			n = -1;
		strbuf_release(&line.held);
		if (n < 0)
			goto out;
		if (strcmp(sha, m->sha256) != 0) {
			error_set(err, "%s: %s changed between the two passes", opt->source_path,
			          m->name);
			goto out;
		}
		if (m->tag != TAG_NONE) {
			/* A tag file of the source, redacted: a tag file of the derived bag. */
			int fd = w.fd;

			w.fd = -1;
			if (w.json_bad) {
				summary_drop(sum, m->name, "not JSON that can be redacted");
				close(fd);
			} else if (redact_copier_tag(copier, fd, xstrdup(m->name), err) < 0) {
				goto out;
			}
			continue;
		}
		rpath = redact_path(r.tk, m->name + 5, err);
		if (rpath == NULL)
			goto out;
		if (m->journal) {
			char *export = xasprintf("%s.export", rpath);

			free(rpath);
			rpath = export;
		}
		/*
		 * Two names may redact to one (Karin/ and karin/ take one token; x.journal's
		 * export and a file named x.journal.export): the later one gets ".2", ".3", ...
		 */
		for (int k = 2; json_object_get(written, rpath); k++) {
			char *other = xasprintf("%s.%d", rpath, k);

			if (json_object_get(written, other) == NULL) {
				free(rpath);
				rpath = other;
				break;
			}
			free(other);
		}
		json_object_set_new(written, rpath, json_true());
		if (redact_link(&r.keys, m->name, m->sha256, link, err) < 0) {
			free(rpath);
			goto out;
		}
		json_array_append_new(files, json_pack("{s:s+, s:s, s:s}", "path", "data/", rpath,
		                                       "action", "transformed", "link", link));
		/* Into the bag on the copying thread, while the next member is redacted. */
		{
			int fd = w.fd;

			w.fd = -1;
			if (redact_copier_payload(copier, fd, rpath, opt->now, err) < 0)
				goto out;
		}
		sum->transformed++;
	}

	rc_copy = redact_copier_finish(copier, err);
	copier = NULL;
	if (rc_copy < 0)
		goto out;

	/* logpack/redaction.json: how, with which key (its id), from which source. */
	doc = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}, s:o}", "scheme",
	                "logpack-redact-1", "key_id", r.keys.key_id, "source_tagmanifest_sha256",
	                rep.tagmanifest_sha256 ? rep.tagmanifest_sha256 : "", "methods",
	                "addresses", "crypto-pan-aes128, class-preserving (docs/redaction.md)",
	                "words", "hmac-sha256 hkdf subkey, base32 50 bits", "email",
	                "hmac-sha256 hkdf subkey, base32 50 bits", "mac",
	                "hmac-sha256 hkdf subkey, locally administered", "link",
	                "hmac-sha256(link subkey, source name LF source sha256)", "files", files);
	files = NULL;
	text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (text == NULL ||
	    bag_add_tag_file(bw, "logpack/redaction.json", text, strlen(text), err) < 0)
		goto out;
	bag_info_add(bw, "LogPack-Derived-From",
	             rep.tagmanifest_sha256 ? rep.tagmanifest_sha256 : "");
	if (bag_writer_finish(bw, &res, err) < 0) {
		bw = NULL;
		goto out;
	}
	bw = NULL;

	/* The reverse map last: only a bundle that exists has one. */
	{
		struct strbuf sb = STRBUF_INIT;
		const char *key, **keys = xcalloc(json_object_size(r.seen) + 1, sizeof(*keys));
		size_t n_keys = 0;
		json_t *val;

		/* In the order of type and original: the same map whichever thread met what first.
		 */
		json_object_foreach(r.seen, key, val) keys[n_keys++] = key;
		qsort(keys, n_keys, sizeof(*keys), str_ptr_cmp);
		strbuf_addf(&sb, "# logpack reverse map: replacement, type, original (key id %s)\n",
		            r.keys.key_id);
		for (size_t i = 0; i < n_keys; i++) {
			const char *tab = strchr(keys[i], '\t');

			strbuf_addf(&sb, "%s\t%.*s\t%s\n",
			            json_string_value(json_object_get(r.seen, keys[i])),
			            (int)(tab - keys[i]), keys[i], tab + 1);
		}
		free(keys);
		if (atomic_file_write(opt->map_path, sb.buf, sb.len, 0600, 0, err) < 0) {
			OPENSSL_cleanse(sb.buf, sb.len);
			strbuf_release(&sb);
			unlink(res.sidecar_path);
			unlink(path);
			goto out;
		}
		OPENSSL_cleanse(sb.buf, sb.len);
		strbuf_release(&sb);
	}
	sum->bundle_path = path;
	path = NULL;
	memcpy(sum->bundle_sha256, res.bundle_sha256, sizeof(sum->bundle_sha256));
	sum->bundle_bytes = res.bundle_bytes;
	snprintf(sum->source_tagmanifest_sha256, sizeof(sum->source_tagmanifest_sha256), "%s",
	         rep.tagmanifest_sha256 ? rep.tagmanifest_sha256 : "");
	memcpy(sum->key_id, r.keys.key_id, sizeof(sum->key_id));
	sum->replacements = json_object_size(r.seen);
	status = REDACT_OK;
out:
	line_pool_free(w.pool);
	line_pool_free(p1.pool);
	redact_compressor_abort(w.comp);
	if (w.fd >= 0)
		close(w.fd);
	redact_writer_release(&w);
	/* The copying thread uses the bag writer: it stops first. */
	redact_copier_abort(copier, err);
	bag_writer_abort(bw);
	bag_result_release(&res);
	source_close(src);
	json_decref(files);
	json_decref(written);
	json_decref(doc);
	free(text);
	free(top);
	free(path);
	if (have_rep)
		bundle_report_free(&rep);
	for (size_t i = 0; i < p1.n; i++) {
		free(p1.members[i].name);
		free(p1.members[i].why);
	}
	free(p1.members);
	strbuf_release(&p1.line.held);
	strbuf_release(&p1.login_names);
	redact_names_release(&p1.found);
	tokeniser_free(r.tk);
	addrmap_free(r.am);
	json_decref(r.seen);
	pseudo_keys_wipe(&r.keys);
	return status;
}

void redact_summary_free(struct redact_summary *sum)
{
	for (size_t i = 0; i < sum->n_dropped; i++) {
		free(sum->dropped[i].name);
		free(sum->dropped[i].reason);
	}
	free(sum->dropped);
	free(sum->bundle_path);
	memset(sum, 0, sizeof(*sum));
}

long redact_reveal(const char *map_path, const char *key_id, const char *token, FILE *out,
                   struct error *err)
{
	static const char header[] = "# logpack reverse map: replacement, type, original (key id ";
	size_t len = 0;
	char *text = NULL, *p, *line;
	long found = 0;

	/* A map is a few bytes a replacement; 1 GiB is far above any real one. */
	if (read_small_file(map_path, 1u << 30, &text, &len) < 0) {
		error_set(err, "--map %s: %s", map_path, read_small_strerror(errno));
		return -1;
	}
	if (memchr(text, '\0', len) != NULL || !str_has_prefix(text, header)) {
		error_set(err, "--map %s: not a reverse map of logpack redact", map_path);
		found = -1;
		goto out;
	}
	p = text + strlen(header);
	if (strncmp(p, key_id, strlen(key_id)) != 0 || p[strlen(key_id)] != ')') {
		error_set(err, "--map %s: written under another incident key (key id %.*s, not %s)",
		          map_path, (int)strcspn(p, ")\n"), p, key_id);
		found = -1;
		goto out;
	}
	p = strchr(p, '\n');
	while (p && (line = strsep(&p, "\n")) != NULL) {
		char *tab = strchr(line, '\t');

		if (tab == NULL || (size_t)(tab - line) != strlen(token) ||
		    memcmp(line, token, strlen(token)) != 0)
			continue;
		fprintf(out, "%s\n", tab + 1);
		found++;
	}
out:
	OPENSSL_cleanse(text, len);
	free(text);
	return found;
}
