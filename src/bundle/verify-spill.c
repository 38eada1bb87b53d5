/*
 * The payload's names and SHA-256 digests kept in a temporary file instead of the name table,
 * while a bag's files come in the order of their names and its manifest after them, as logpack
 * writes its bags. The manifest is then checked against the records in one pass, and verify
 * holds one record at a time however many files the bag has.
 *
 * The spill is a way of storing entries, never a second set of rules. Whatever it cannot
 * settle on the way (a file out of order, a manifest line that is not the next record, a
 * lookup of a name the records may hold, a second payload manifest) moves every record into
 * the name table, and the checks in verify-checks.c see exactly the entries they would have
 * seen without it. What is left for the end is only the case where nothing could be wrong:
 * every record listed once, in order, with its digest, in the only payload manifest.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/util.h"

#include "bundle/verify-private.h"

#define SPILL_BUF (64 * 1024)
#define SPILL_NAME_MAX 4096 /* a longer name stays in the table */
#define SPILL_DEPTH 16      /* spilled files that may yet be a later name's directory */
#define SPILL_DIGEST 32
#define SPILL_TMPFS 0x01021994u /* statfs f_type of tmpfs and ramfs: their files are memory */
#define SPILL_RAMFS 0x858458f6u

struct spill_cursor {
	uint64_t off; /* where buf's end lies in the records */
	unsigned char *buf;
	size_t pos, len;
};

struct verify_spill {
	int fd;
	unsigned char *wbuf; /* records not written yet */
	size_t wlen;
	uint64_t flushed;  /* bytes of records in the file */
	uint64_t disk_max; /* bytes of records allowed */
	int in_memory;     /* the file is on tmpfs: its bytes are charged as memory */
	uint64_t charged;  /* what was charged for it, given back when it goes */
	uint64_t n_records, n_consumed;
	struct strbuf first, last; /* the first and the last name spilled */
	int closed;                /* a payload manifest began: no more records */
	/* The manifest's pass: the next record not consumed, once read. */
	struct spill_cursor merge;
	struct strbuf peek_name;
	unsigned char peek_digest[SPILL_DIGEST];
	int have_peek;
	/* Spilled files, each a prefix of the one above it, that a later name could have as its
	 * directory ("data/a" below "data/a-b": "data/a/x" may still come). */
	char *open_files[SPILL_DEPTH];
	size_t depth;
	/* Set by verify_spill_take for the member it took, until verify_spill_add. */
	int taking;
};

static void spill_free(struct verify_spill *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->wbuf);
	free(s->merge.buf);
	strbuf_release(&s->first);
	strbuf_release(&s->last);
	strbuf_release(&s->peek_name);
	for (size_t i = 0; i < s->depth; i++)
		free(s->open_files[i]);
	free(s);
}

/* A spill in $TMPDIR (else /tmp), or NULL when no file can be made there: the table is used. */
static struct verify_spill *spill_new(const struct reader *r)
{
	const char *dir = getenv("TMPDIR");
	struct verify_spill *s;
	int fd;

	if (dir == NULL || dir[0] != '/')
		dir = "/tmp";
	fd = temp_fd_in(dir);
	if (fd < 0)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->wbuf = xmalloc(SPILL_BUF);
	/*
	 * The disk it may take stands in for the memory the table would: a bounded multiple. On
	 * tmpfs (/tmp on many systems) the file is memory that cannot even be swapped out: there
	 * it is charged to --max-memory like the table, so that the option still bounds it.
	 */
	s->disk_max = r->opt->limits.max_memory > UINT64_MAX / 8 ? UINT64_MAX
	                                                         : r->opt->limits.max_memory * 8;
	{
		struct statfs fs;

		if (fstatfs(fd, &fs) == 0 && ((unsigned long)fs.f_type == SPILL_TMPFS ||
		                              (unsigned long)fs.f_type == SPILL_RAMFS))
			s->in_memory = 1;
	}
	return s;
}

/* Write the buffered records. On an error what was written stays counted and the rest stays
 * buffered, so that the records can still be read back whole. */
static int spill_flush(struct verify_spill *s)
{
	size_t done = 0;
	int ret = 0;

	while (done < s->wlen) {
		ssize_t n = write(s->fd, s->wbuf + done, s->wlen - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = -1;
			break;
		}
		done += (size_t)n;
		s->flushed += (uint64_t)n;
	}
	memmove(s->wbuf, s->wbuf + done, s->wlen - done);
	s->wlen -= done;
	return ret;
}

/* Bytes of the records from c's position: the file's, then the buffer's. */
static int cursor_fill(const struct verify_spill *s, struct spill_cursor *c)
{
	if (c->buf == NULL)
		c->buf = xmalloc(SPILL_BUF);
	c->pos = c->len = 0;
	if (c->off < s->flushed) {
		uint64_t left = s->flushed - c->off;
		size_t want = left < SPILL_BUF ? (size_t)left : SPILL_BUF;
		ssize_t n;

		do
			n = pread(s->fd, c->buf, want, (off_t)c->off);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return -1;
		c->len = (size_t)n;
	} else if (c->off - s->flushed < s->wlen) {
		size_t left = s->wlen - (size_t)(c->off - s->flushed);

		c->len = left < SPILL_BUF ? left : SPILL_BUF;
		memcpy(c->buf, s->wbuf + (c->off - s->flushed), c->len);
	} else {
		return -1;
	}
	c->off += c->len;
	return 0;
}

static int cursor_read(const struct verify_spill *s, struct spill_cursor *c, void *dst, size_t n)
{
	unsigned char *out = dst;

	while (n > 0) {
		size_t k;

		if (c->pos == c->len && cursor_fill(s, c) < 0)
			return -1;
		k = c->len - c->pos < n ? c->len - c->pos : n;
		memcpy(out, c->buf + c->pos, k);
		c->pos += k;
		out += k;
		n -= k;
	}
	return 0;
}

/* One record: a 4-byte length, the name, its SHA-256. */
static int cursor_record(const struct verify_spill *s, struct spill_cursor *c, struct strbuf *name,
                         unsigned char *digest)
{
	unsigned char len4[4];
	uint32_t len;

	if (cursor_read(s, c, len4, 4) < 0)
		return -1;
	len = (uint32_t)len4[0] | (uint32_t)len4[1] << 8 | (uint32_t)len4[2] << 16 |
	      (uint32_t)len4[3] << 24;
	if (len > SPILL_NAME_MAX)
		return -1;
	strbuf_reset(name);
	strbuf_grow(name, len);
	if (cursor_read(s, c, name->buf, len) < 0)
		return -1;
	name->len = len;
	name->buf[len] = '\0';
	return cursor_read(s, c, digest, SPILL_DIGEST);
}

/* For the tests only: with LOGPACK_TEST_SPILL=FILE, add a line to FILE saying how the spill
 * ended. */
static void test_report(const struct verify_spill *s, const char *how)
{
	const char *path = getenv("LOGPACK_TEST_SPILL");
	char *line;
	int fd;

	if (path == NULL || *path == '\0')
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	line = xasprintf("spill: %llu files, %llu listed, %s\n", (unsigned long long)s->n_records,
	                 (unsigned long long)s->n_consumed, how);
	(void)!write(fd, line, strlen(line));
	free(line);
	close(fd);
}

void verify_spill_unspool(struct reader *r)
{
	struct verify_spill *s = r->spill;
	struct spill_cursor c = {0};
	struct strbuf name = STRBUF_INIT;
	unsigned char digest[SPILL_DIGEST];

	if (s == NULL)
		return;
	test_report(s, "moved to the table");
	/* From here on the table is the only store: the lookups below must not come back here. */
	r->spill = NULL;
	r->spill_off = 1;
	/* The file goes with the spill: what it was charged is the table's to spend. */
	source_refund(r->src, s->charged);
	for (uint64_t i = 0; i < s->n_records && !r->archive_broken; i++) {
		struct entry *e;

		errno = 0;
		if (cursor_record(s, &c, &name, digest) < 0) {
			verify_problem(r,
			               "the verifier's temporary file could not be read back: %s",
			               errno ? strerror(errno) : "short read");
			r->archive_broken = 1;
			break;
		}
		e = verify_entry_find(r, name.buf, 1);
		if (r->archive_broken)
			break; /* over the memory budget: the read stops, as without the spill */
		e->present = 1;
		verify_set_digest(r, e, ALG_SHA256, 0, digest);
		/* Consumed records matched their manifest line: listed, with the same digest. */
		if (i < s->n_consumed)
			verify_set_digest(r, e, ALG_SHA256, 1, digest);
	}
	free(c.buf);
	strbuf_release(&name);
	spill_free(s);
}

/*
 * Could a later name have this spilled file as its directory, or does rel already? Keeps the
 * stack of such files; 1 when rel is inside one (or the stack is too deep to tell).
 */
static int inside_spilled_file(struct verify_spill *s, const char *rel)
{
	while (s->depth > 0) {
		const char *top = s->open_files[s->depth - 1];
		size_t tl = strlen(top);

		if (strncmp(rel, top, tl) == 0) {
			if (rel[tl] == '/')
				return 1;
			if ((unsigned char)rel[tl] < '/')
				break; /* "top/..." sorts after rel: it may still come */
		}
		/* rel sorts after every "top/...": none can come any more. */
		free(s->open_files[--s->depth]);
	}
	if (s->depth == SPILL_DEPTH)
		return 1;
	s->open_files[s->depth++] = xstrdup(rel);
	return 0;
}

int verify_spill_take(struct reader *r, const char *rel)
{
	struct verify_spill *s = r->spill;
	size_t len = strlen(rel);

	if (r->spill_off || r->second_pass)
		return 0;
	/* Only files hashed with SHA-256 alone: what a record holds. */
	if (s == NULL) {
		if (r->manifests || (r->algs_enabled & ~(1u << ALG_SHA256)) ||
		    (s = spill_new(r)) == NULL) {
			r->spill_off = 1;
			return 0;
		}
		r->spill = s;
	}
	if (s->closed)
		return 0;
	if ((r->algs_enabled & ~(1u << ALG_SHA256)) || len > SPILL_NAME_MAX ||
	    (s->n_records > 0 && strcmp(rel, s->last.buf) <= 0) ||
	    name_table_find(r->entries, rel) != NULL ||
	    s->flushed + s->wlen + 4 + len + SPILL_DIGEST > s->disk_max ||
	    inside_spilled_file(s, rel)) {
		verify_spill_unspool(r);
		return 0;
	}
	if (s->n_records == 0)
		strbuf_add(&s->first, rel, len);
	strbuf_reset(&s->last);
	strbuf_add(&s->last, rel, len);
	s->taking = 1;
	return 1;
}

void verify_spill_add(struct reader *r, const unsigned char *sha256)
{
	struct verify_spill *s = r->spill;
	size_t len, need;

	if (s == NULL || !s->taking)
		return;
	s->taking = 0;
	len = s->last.len;
	need = 4 + len + SPILL_DIGEST;
	if (s->wlen + need > SPILL_BUF && spill_flush(s) < 0) {
		/* A full disk: the records move to the table, this one with them. */
		char *name = strbuf_detach(&s->last);
		struct entry *e;

		verify_spill_unspool(r);
		e = r->archive_broken ? NULL : verify_entry_find(r, name, 1);
		if (e && !r->archive_broken) {
			e->present = 1;
			verify_set_digest(r, e, ALG_SHA256, 0, sha256);
		}
		free(name);
		return;
	}
	s->wbuf[s->wlen++] = (unsigned char)(len & 0xff);
	s->wbuf[s->wlen++] = (unsigned char)(len >> 8 & 0xff);
	s->wbuf[s->wlen++] = (unsigned char)(len >> 16 & 0xff);
	s->wbuf[s->wlen++] = (unsigned char)(len >> 24 & 0xff);
	memcpy(s->wbuf + s->wlen, s->last.buf, len);
	s->wlen += len;
	memcpy(s->wbuf + s->wlen, sha256, SPILL_DIGEST);
	s->wlen += SPILL_DIGEST;
	s->n_records++;
	if (s->in_memory) {
		s->charged += need;
		verify_charge(r, need);
	}
}

void verify_spill_missed(struct reader *r)
{
	struct verify_spill *s = r->spill;
	char *name;
	struct entry *e;

	if (s == NULL || !s->taking)
		return;
	/* No digest to record (OpenSSL failed): the file goes to the table, present and
	 * unhashed, as it would have been without the spill. */
	s->taking = 0;
	name = strbuf_detach(&s->last);
	verify_spill_unspool(r);
	e = r->archive_broken ? NULL : verify_entry_find(r, name, 1);
	if (e)
		e->present = 1;
	free(name);
}

uint64_t verify_entry_count(const struct reader *r)
{
	return name_table_count(r->entries) + (r->spill ? r->spill->n_records : 0);
}

void verify_spill_abandon(struct reader *r)
{
	if (r->spill)
		r->spill->taking = 0;
}

void verify_spill_close(struct reader *r)
{
	if (r->spill)
		r->spill->closed = 1;
}

void verify_spill_lookup(struct reader *r, const char *name)
{
	struct verify_spill *s = r->spill;

	if (s && s->n_records > 0 && strcmp(name, s->first.buf) >= 0 &&
	    strcmp(name, s->last.buf) <= 0)
		verify_spill_unspool(r);
}

int verify_spill_match(struct reader *r, const char *name, int alg, const unsigned char *digest)
{
	struct verify_spill *s = r->spill;

	if (s == NULL || !s->closed || alg != ALG_SHA256 || s->n_consumed >= s->n_records)
		return 0;
	if (!s->have_peek) {
		if (cursor_record(s, &s->merge, &s->peek_name, s->peek_digest) < 0) {
			verify_spill_unspool(r);
			return 0;
		}
		s->have_peek = 1;
	}
	if (strcmp(s->peek_name.buf, name) != 0 || memcmp(s->peek_digest, digest, SPILL_DIGEST))
		return 0; /* the lookup that follows moves the records to the table */
	s->n_consumed++;
	s->have_peek = 0;
	return 1;
}

/* Does the range of names "name/..." meet the spilled names' range? */
static int dir_range_meets(const struct verify_spill *s, const char *name)
{
	char *lo = xasprintf("%s/", name), *hi = xasprintf("%s0", name); /* '0' follows '/' */
	int meets = strcmp(lo, s->last.buf) <= 0 && strcmp(s->first.buf, hi) < 0;

	free(lo);
	free(hi);
	return meets;
}

/* Could this file of the table be a spilled name's directory, or this file or directory have
 * one as its own? */
static int table_entry_meets(const struct verify_spill *s, const struct entry *e)
{
	if (!e->is_dir && dir_range_meets(s, e->name))
		return 1;
	for (const char *slash = strchr(e->name, '/'); slash; slash = strchr(slash + 1, '/')) {
		char *prefix = xstrndup(e->name, (size_t)(slash - e->name));
		int in = strcmp(prefix, s->first.buf) >= 0 && strcmp(prefix, s->last.buf) <= 0;

		free(prefix);
		if (in)
			return 1;
	}
	return 0;
}

void verify_spill_settle(struct reader *r)
{
	struct verify_spill *s = r->spill;

	if (s == NULL)
		return;
	if (s->n_consumed < s->n_records || (s->n_records > 0 && r->manifests != 1u << ALG_SHA256))
		goto unspool;
	for (size_t i = 0; i < name_table_count(r->entries) && s->n_records > 0; i++) {
		const struct entry *e = name_table_item(r->entries, i);

		if (e->present && table_entry_meets(s, e))
			goto unspool;
	}
	/* Every record is a payload file, present, listed once with its digest: nothing to say
	 * but its count. */
	r->rep->payload_files += s->n_consumed;
	test_report(s, "settled");
	r->spill = NULL;
	r->spill_off = 1;
	spill_free(s);
	return;
unspool:
	verify_spill_unspool(r);
}

void verify_spill_free(struct reader *r)
{
	spill_free(r->spill);
	r->spill = NULL;
}
