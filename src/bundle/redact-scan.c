/*
 * Pass 1 of redaction, scanning the source (bundle/redact-scan.h): the bundle visitor that, as
 * the reader verifies the source, hashes each member, judges whether it is text to carry, notes
 * the addresses and names of its lines and path, and hands a compressed rotation's bytes to
 * their own decompressing thread.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/redact-scan.h"

/* The source's tag files that are carried, redacted. Every other tag file (the incident report
 * among them) is dropped. */
static const struct {
	const char *name;
	enum tag_kind kind;
} carried_tags[] = {
        {"logpack/collection.log", TAG_LINES}, {"logpack/bodyfile.txt", TAG_LINES},
        {"logpack/host.json", TAG_JSON},       {"logpack/accounts.json", TAG_JSON},
        {"logpack/coverage.json", TAG_JSON},   {"logpack/files.jsonl", TAG_JSONL},
};

static int binary_name(const char *name)
{
	static const char *const suffixes[] = {".journal", ".journal~"};
	const char *base = path_basename(name);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (str_has_suffix(name, suffixes[i]))
			return 1;
	return str_has_prefix(base, "wtmp") || str_has_prefix(base, "btmp") ||
	       str_has_prefix(base, "utmp") || str_has_prefix(base, "lastlog");
}

static int scan_line(void *ctx, const char *l, size_t n, int nl)
{
	struct pass1 *p = ctx;

	if (p->pool ? line_pool_line(p->pool, l, n, nl, &p->err) < 0
	            : tokeniser_scan(p->tk, l, n, &p->err) < 0) {
		p->failed = 1;
		return -1;
	}
	return 0;
}

static int scan_chunk(void *ctx, const void *buf, size_t len);

void redact_scan_begin(void *ctx, const char *name, uint64_t size)
{
	struct pass1 *p = ctx;
	struct member_info *m;

	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->members = xreallocarray(p->members, p->cap, sizeof(*p->members));
	}
	m = &p->members[p->n++];
	memset(m, 0, sizeof(*m));
	m->name = xstrdup(name);
	m->comp = str_has_prefix(name, "data/") ? redact_compression_of(name) : REDACT_PLAIN;
	p->in_payload = str_has_prefix(name, "data/") && !binary_name(name);
	for (size_t i = 0; i < sizeof(carried_tags) / sizeof(carried_tags[0]); i++)
		if (strcmp(name, carried_tags[i].name) == 0) {
			m->tag = carried_tags[i].kind;
			p->in_payload = 1;
		}
	/* The incident report only when asked for: it names the victim and its people. */
	if (p->keep_incident && (strcmp(name, "logpack/incident.json") == 0 ||
	                         strcmp(name, "logpack/incident.txt") == 0)) {
		m->tag = str_has_suffix(name, ".json") ? TAG_JSON : TAG_LINES;
		p->in_payload = 1;
	}
	m->text = p->in_payload;
	/* Its compressed bytes are no lines: they are scanned decompressed, on a thread. */
	if (m->comp != REDACT_PLAIN)
		p->in_payload = 0;
	/* Login records are no lines either: they are read record by record. */
	if (str_has_prefix(name, "data/") && m->comp == REDACT_PLAIN && p->journals &&
	    (str_has_suffix(name, ".journal") || str_has_suffix(name, ".journal~"))) {
		m->journal = 1;
		m->text = 1;
	}
	if (str_has_prefix(name, "data/") && m->comp == REDACT_PLAIN) {
		m->login = login_kind_of(name);
		if (m->login != LOGIN_NONE) {
			m->text = 1;
			p->in_payload = 0;
			login_records_begin(&p->login, m->login, name);
		}
	} else if (str_has_prefix(name, "data/")) {
		/* wtmp.1.gz: its records are read decompressed, on the thread. */
		char *inner = xstrndup(name, (size_t)(strrchr(name, '.') - name));

		m->login = login_kind_of(inner);
		m->text |= m->login != LOGIN_NONE;
		free(inner);
	}
	p->names = redact_name_source(name);
	redact_lines_reset(&p->line);
	/* Every payload path, carried or dropped: its redacted form is written either way. */
	if (str_has_prefix(name, "data/"))
		scan_line(p, name, strlen(name), 0);
	/* A rotation is scanned decompressed, on a thread, as its bytes go by. */
	if (m->comp != REDACT_PLAIN && m->text && !p->failed) {
		p->current = m;
		if (m->login != LOGIN_NONE)
			login_records_begin(&p->login, m->login, name);
		if (redact_unpack_start(&p->unpack, m->comp, redact_decompressed_max(size),
		                        scan_chunk, p, &p->err) < 0)
			p->failed = 1;
	}
}

/* A piece of login record file m: its addresses noted, its logins' user names kept. */
static void login_names_note(struct pass1 *p, const struct member_info *m, const void *buf,
                             size_t len)
{
	strbuf_reset(&p->login_names);
	if (login_records_data(&p->login, buf, len, p->tk, &p->login_names, NULL, &p->err) < 0) {
		p->failed = 1;
		return;
	}
	for (size_t at = 0; at < p->login_names.len;) {
		const char *name = p->login_names.buf + at, *host;

		at += strlen(name) + 1;
		host = p->login_names.buf + at;
		at += strlen(host) + 1;
		if (redact_names_login(&p->found, name, host) < 0) {
			error_set(&p->err, "%s: more than %d user names or hosts of logins",
			          m->name, REDACT_LOGIN_USERS_MAX);
			p->failed = 1;
			return;
		}
	}
}

void redact_scan_data(void *ctx, const void *buf, size_t len)
{
	struct pass1 *p = ctx;
	struct member_info *m = &p->members[p->n - 1];

	if (p->names != NAMES_NONE)
		redact_names_feed(&p->found, p->names, buf, len);
	if (p->unpack) {
		redact_unpack_push(p->unpack, buf, len);
		return;
	}
	if (!m->text || m->comp != REDACT_PLAIN || p->failed)
		return;
	if (m->login != LOGIN_NONE) {
		login_names_note(p, m, buf, len);
		return;
	}
	if (m->journal)
		return; /* read in pass 1b, as export text */
	if (memchr(buf, '\0', len) != NULL) {
		m->text = 0;
		return;
	}
	redact_lines_feed(&p->line, buf, len, scan_line, p);
}

/* The end of a compressed member's bytes: its thread's verdict. */
static void unpack_end(struct pass1 *p, struct member_info *m)
{
	struct error e = {{0}};
	int r = redact_unpack_finish(p->unpack, &e);

	p->unpack = NULL;
	if (r == -1) {
		if (!p->failed)
			p->err = e;
		p->failed = 1;
	} else if (r == -2) {
		/* Not a whole stream of its format, or a bomb: dropped, with the reason. */
		m->text = 0;
		m->why = xstrdup(e.msg);
	} else if (m->login != LOGIN_NONE) {
		if (m->text && !p->failed && login_records_end(&p->login, &e) < 0) {
			m->text = 0;
			m->why = xstrdup(e.msg);
		}
	} else if (m->text && !p->failed) {
		redact_lines_end(&p->line, scan_line, p);
	}
}

void redact_scan_end(void *ctx, const char *sha256_hex)
{
	struct pass1 *p = ctx;
	struct error ignored;
	struct member_info *m = &p->members[p->n - 1];

	/* None only where the reader judges the source invalid (a broken archive, OpenSSL
	 * failed), which is reported as such; pass 2 would find no hash to match. */
	if (sha256_hex)
		memcpy(m->sha256, sha256_hex, sizeof(m->sha256));
	if (p->unpack)
		unpack_end(p, m);
	else if (m->login != LOGIN_NONE && m->text && !p->failed &&
	         login_records_end(&p->login, &p->err) < 0) {
		/* Not a record file after all: dropped, with the reason. */
		m->text = 0;
		m->why = xstrdup(p->err.msg);
		p->err.msg[0] = '\0';
	}
	if (m->text && m->comp == REDACT_PLAIN && m->login == LOGIN_NONE)
		redact_lines_end(&p->line, scan_line, p);
	redact_lines_reset(&p->line);
	if (p->pool && line_pool_finish(p->pool, p->failed ? &ignored : &p->err) < 0)
		p->failed = 1;
}

/* The most a compressed member may decompress to: 1000 times its size, at least 64 MiB. */
uint64_t redact_decompressed_max(uint64_t size)
{
	uint64_t max = size > UINT64_MAX / 1000 ? UINT64_MAX : size * 1000;

	return max < (64u << 20) ? (64u << 20) : max;
}

/* A compressed member's decompressed bytes (on its thread), judged and scanned as a plain
 * file's. */
static int scan_chunk(void *ctx, const void *buf, size_t len)
{
	struct pass1 *p = ctx;

	if (!p->current->text)
		return 0;
	if (p->current->login != LOGIN_NONE) {
		login_names_note(p, p->current, buf, len);
		return p->failed ? -1 : 0;
	}
	if (memchr(buf, '\0', len) != NULL) {
		p->current->text = 0;
		return 0;
	}
	return redact_lines_feed(&p->line, buf, len, scan_line, p);
}
