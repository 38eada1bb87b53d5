/* Unit tests for the source: iteration, names, types, limits, the filter seam, bag directories. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "base/hash.h"
#include "bundle/names.h"
#include "bundle/source.h"
#include "tap.h"

struct member {
	const char *name;
	const char *data;
	int type; /* AE_IFREG (0), AE_IFDIR, AE_IFLNK */
};

/* A pax tar of members in memory (buf must hold it), compressed with zstd when asked. */
static size_t make_tar(char *buf, size_t cap, const struct member *m, size_t n, int zstd,
                       size_t zeros)
{
	struct archive *a = archive_write_new();
	size_t used = 0;

	archive_write_set_format_pax_restricted(a);
	if (zstd)
		archive_write_add_filter_zstd(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open_memory(a, buf, cap, &used);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = m[i].data ? strlen(m[i].data) : zeros;

		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_filetype(e, m[i].type ? (unsigned int)m[i].type : AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (m[i].type == AE_IFLNK) {
			archive_entry_set_symlink(e, m[i].data);
			archive_write_header(a, e);
		} else if (m[i].type == AE_IFDIR) {
			archive_write_header(a, e);
		} else {
			archive_entry_set_size(e, (la_int64_t)len);
			archive_write_header(a, e);
			if (m[i].data) {
				archive_write_data(a, m[i].data, len);
			} else {
				static char block[65536];

				for (size_t done = 0; done < len; done += sizeof(block))
					archive_write_data(a, block,
					                   len - done < sizeof(block)
					                           ? len - done
					                           : sizeof(block));
			}
		}
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	return used;
}

static char tar_buf[4 << 20];

static struct source *open_tar(const struct member *m, size_t n, const struct bundle_limits *lim)
{
	struct bundle_limits def;
	struct source *src;
	struct error err;
	size_t len = make_tar(tar_buf, sizeof(tar_buf), m, n, 0, 0);

	bundle_limits_default(&def);
	if (source_open_memory(&src, tar_buf, len, lim ? lim : &def, &err) < 0)
		return NULL;
	return src;
}

/* Read a whole member in small pieces (7 bytes), so chunk edges are exercised. */
static char *read_all(struct source *src, ssize_t *len_out)
{
	struct strbuf sb = STRBUF_INIT;
	struct error err;
	char piece[7];
	ssize_t n;

	while ((n = source_read(src, piece, sizeof(piece), &err)) > 0)
		strbuf_add(&sb, piece, (size_t)n);
	*len_out = n < 0 ? -1 : (ssize_t)sb.len;
	return strbuf_detach(&sb);
}

static void test_iteration(void)
{
	static const struct member m[] = {
	        {"./top/", NULL, AE_IFDIR},
	        {"./top/a.txt", "the first member's bytes, exactly\n", 0},
	        {"top/data/", NULL, AE_IFDIR},
	        {"top/data/b.log", "second\nmember\n", 0},
	        {"top/empty", "", 0},
	};
	struct source *src = open_tar(m, 5, NULL);
	struct source_member sm;
	struct error err;
	ssize_t len;
	char *got;

	ok(src != NULL, "a tar in memory opens");
	ok(source_next(src, &sm, &err) == 1 && strcmp(sm.name, "top") == 0 &&
	           sm.type == SOURCE_DIR && sm.refused == NULL,
	   "a directory: leading ./ and trailing / are taken off");
	ok(source_next(src, &sm, &err) == 1 && strcmp(sm.name, "top/a.txt") == 0 &&
	           sm.type == SOURCE_FILE && sm.size == strlen(m[1].data) && sm.has_mtime &&
	           sm.mtime.tv_sec == 1700000000,
	   "a file: name, type, size and time");
	got = read_all(src, &len);
	ok(len == (ssize_t)strlen(m[1].data) && memcmp(got, m[1].data, (size_t)len) == 0,
	   "its bytes, exactly, read in 7-byte pieces");
	free(got);
	ok(source_next(src, &sm, &err) == 1 && sm.type == SOURCE_DIR, "the next directory");
	/* Not read: the next call reads past it, and counts it. */
	ok(source_next(src, &sm, &err) == 1 && strcmp(sm.name, "top/data/b.log") == 0,
	   "a file left unread");
	ok(source_next(src, &sm, &err) == 1 && strcmp(sm.name, "top/empty") == 0 && sm.size == 0,
	   "an empty file");
	got = read_all(src, &len);
	ok(len == 0, "has no bytes");
	free(got);
	ok(source_next(src, &sm, &err) == 0 && source_next(src, &sm, &err) == 0,
	   "then the end, and it stays the end");
	ok(source_members(src) == 5 &&
	           source_total_bytes(src) == strlen(m[1].data) + strlen(m[3].data),
	   "members and bytes counted, the skipped member's bytes too");
	source_close(src);
}

/* The names handed over so far, as a reader keeps them, for source_set_seen. */
struct seen_names {
	const char *names[16];
	size_t n;
};

static int seen_before(void *ctx, const char *name)
{
	struct seen_names *seen = ctx;

	for (size_t i = 0; i < seen->n; i++)
		if (strcmp(seen->names[i], name) == 0)
			return 1;
	return 0;
}

static void test_refusals(void)
{
	static const struct member m[] = {
	        {"top/ok", "fine", 0},    {"../escape", "x", 0},  {"/abs/path", "x", 0},
	        {"top//twice", "x", 0},   {"top/./dot", "x", 0},  {"top/link", "/etc", AE_IFLNK},
	        {"./top/ok", "again", 0}, {"top/last", "end", 0},
	};
	static const enum source_refusal want[] = {
	        SOURCE_ACCEPTED,    SOURCE_UNSAFE_NAME, SOURCE_UNSAFE_NAME, SOURCE_UNSAFE_NAME,
	        SOURCE_UNSAFE_NAME, SOURCE_LINK,        SOURCE_DUPLICATE,   SOURCE_ACCEPTED,
	};
	struct source *src = open_tar(m, 8, NULL);
	struct source_member sm;
	struct error err;
	struct seen_names seen = {{NULL}, 0};
	size_t i = 0;
	int right = 1;

	source_set_seen(src, seen_before, &seen);
	while (source_next(src, &sm, &err) == 1) {
		if (sm.refused == NULL && seen.n < 16)
			seen.names[seen.n++] = xstrdup(sm.name);
		if (i >= 8 || sm.refusal != want[i] || (sm.refused == NULL) != (want[i] == 0)) {
			printf("# member %zu '%s': refusal %d, want %d\n", i, sm.name,
			       (int)sm.refusal, i < 8 ? (int)want[i] : -1);
			right = 0;
		}
		i++;
	}
	ok(right && i == 8, "unsafe names, links and a second copy are refused; the rest pass");
	for (size_t k = 0; k < seen.n; k++)
		free((char *)seen.names[k]);
	source_close(src);
	ok(bundle_name_unsafe("a/../b") && bundle_name_unsafe("") && !bundle_name_unsafe("./a/b"),
	   "bundle_name_unsafe");
}

static void test_limits(void)
{
	static const struct member m[] = {
	        {"top/a", "0123456789", 0}, {"top/b", "0123456789", 0}, {"top/c", "x", 0},
	        {"top/d", "x", 0},          {"top/e", "x", 0},
	};
	struct bundle_limits lim;
	struct source *src;
	struct source_member sm;
	struct error err;
	char buf[64];
	int rc;

	bundle_limits_default(&lim);
	lim.max_members = 3;
	src = open_tar(m, 5, &lim);
	while ((rc = source_next(src, &sm, &err)) == 1)
		;
	ok(rc == -1 && strstr(err.msg, "more than 3 members") != NULL, "too many members: %s",
	   err.msg);
	ok(source_next(src, &sm, &err) == -1, "and it stays stopped");
	source_close(src);

	bundle_limits_default(&lim);
	lim.max_size = 15;
	src = open_tar(m, 5, &lim);
	ok(source_next(src, &sm, &err) == 1 && source_read(src, buf, sizeof(buf), &err) == 10,
	   "the first 10 bytes pass");
	/* The second member is skipped unread: its bytes still count. */
	ok(source_next(src, &sm, &err) == 1 && source_next(src, &sm, &err) == -1 &&
	           strstr(err.msg, "more than 15 B of content") != NULL,
	   "too large, counting a skipped member: %s", err.msg);
	source_close(src);

	{
		/* 72 MiB of zeros compress to a few KiB: a ratio far above 1000. */
		static const struct member bomb[] = {{"top/zeros", NULL, 0}};
		size_t len = make_tar(tar_buf, sizeof(tar_buf), bomb, 1, 1, 72u << 20);
		ssize_t n;

		/* By default the ratio is judged only past 4 GiB, so that honest runs of zeros
		 * pass (below); here past 64 MiB, as a bomb would be past 4 GiB. */
		bundle_limits_default(&lim);
		lim.ratio_after = 64u << 20;
		ok(source_open_memory(&src, tar_buf, len, &lim, &err) == 0 &&
		           source_next(src, &sm, &err) == 1,
		   "a zstd bomb opens (%zu bytes)", len);
		while ((n = source_read(src, tar_buf + len, 65536, &err)) > 0)
			;
		ok(n == -1 && strstr(err.msg, "compression ratio above 1000") != NULL,
		   "the ratio stops it: %s", err.msg);
		ok(source_total_bytes(src) < (70u << 20), "before its end (%llu bytes)",
		   (unsigned long long)source_total_bytes(src));
		source_close(src);
		bundle_limits_default(&lim);
		ok(source_open_memory(&src, tar_buf, len, &lim, &err) == 0 &&
		           source_next(src, &sm, &err) == 1,
		   "the same zeros again, with the default limits");
		while ((n = source_read(src, tar_buf + len, 65536, &err)) > 0)
			;
		ok(n == 0 && source_total_bytes(src) == (72u << 20),
		   "honest zeros below --ratio-after read to their end (%llu bytes)",
		   (unsigned long long)source_total_bytes(src));
		source_close(src);
	}
	{
		struct source *junk;

		bundle_limits_default(&lim);
		ok(source_open_memory(&junk, "this is no archive at all, not even close.", 42, &lim,
		                      &err) == 0 &&
		           source_next(junk, &sm, &err) == -1 &&
		           strstr(err.msg, "not a readable archive") != NULL,
		   "not an archive: %s", err.msg);
		source_close(junk);
	}
}

/* A filter that undoes an XOR with 0x5a: the seam a decrypting filter will use. */
static ssize_t unxor(void *ctx, struct source_stream *below, void *buf, size_t len,
                     struct error *err)
{
	ssize_t n = source_stream_read(below, buf, len, err);

	(*(int *)ctx)++;
	for (ssize_t i = 0; i < n; i++)
		((unsigned char *)buf)[i] ^= 0x5a;
	return n;
}

static void test_filter(void)
{
	static const struct member m[] = {{"top/a", "through a filter", 0}};
	size_t len = make_tar(tar_buf, sizeof(tar_buf), m, 1, 0, 0);
	struct bundle_limits lim;
	int calls = 0;
	struct source_filter f = {.ctx = &calls, .read = unxor};
	struct source *src;
	struct source_member sm;
	struct error err;
	char want[65], got[65];
	ssize_t n;
	char *data;

	for (size_t i = 0; i < len; i++)
		tar_buf[i] ^= 0x5a;
	sha256_hex(tar_buf, len, want, &err);
	bundle_limits_default(&lim);
	ok(source_open_memory(&src, tar_buf, len, &lim, &err) == 0 &&
	           source_add_filter(src, &f, &err) == 0 && source_hash_raw(src, &err) == 0,
	   "a filter is added");
	ok(source_next(src, &sm, &err) == 1 && strcmp(sm.name, "top/a") == 0,
	   "the member comes through it");
	data = read_all(src, &n);
	ok(n == 16 && memcmp(data, "through a filter", 16) == 0 && calls > 0, "with its bytes");
	free(data);
	ok(source_next(src, &sm, &err) == 0 && source_raw_sha256(src, got, &err) == 0 &&
	           strcmp(got, want) == 0,
	   "the raw hash covers the input as stored, under the filter");
	ok(source_add_filter(src, &f, &err) == -1, "no filter once reading has begun");
	source_close(src);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
}

static void test_dir(void)
{
	char tmpl[] = "/tmp/unit-source-XXXXXX", path[256];
	struct bundle_limits lim;
	struct source *src;
	struct source_member sm;
	struct error err;
	const char *want[] = {"manifest-sha256.txt", "bag-info.txt", "data", "data/a.log",
	                      "data/link"};
	size_t i = 0;
	int order_ok = 1, link_refused = 0;
	char *got_data = NULL;

	if (mkdtemp(tmpl) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/data", tmpl);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/data/a.log", tmpl);
	write_file(path, "log line\n");
	snprintf(path, sizeof(path), "%s/data/link", tmpl);
	if (symlink("/etc/passwd", path) < 0)
		return;
	snprintf(path, sizeof(path), "%s/bag-info.txt", tmpl);
	write_file(path, "X: y\n");
	snprintf(path, sizeof(path), "%s/manifest-sha256.txt", tmpl);
	write_file(path, "");
	bundle_limits_default(&lim);
	ok(source_open_path(&src, tmpl, &lim, &err) == 0 && source_is_dir(src),
	   "a bag directory opens");
	while (source_next(src, &sm, &err) == 1) {
		if (i >= 5 || strcmp(sm.name, want[i]) != 0) {
			printf("# member %zu: '%s'\n", i, sm.name);
			order_ok = 0;
		}
		if (strcmp(sm.name, "data/link") == 0)
			link_refused = sm.refusal == SOURCE_LINK;
		if (strcmp(sm.name, "data/a.log") == 0) {
			ssize_t n;

			got_data = read_all(src, &n);
		}
		i++;
	}
	ok(order_ok && i == 5, "manifests first, then sorted, names relative to the bag");
	ok(link_refused, "a symbolic link is refused, not followed");
	ok(got_data && strcmp(got_data, "log line\n") == 0, "a file's bytes");
	free(got_data);
	source_close(src);
	snprintf(path, sizeof(path), "rm -rf '%s'", tmpl);
	if (system(path) != 0)
		printf("# could not remove %s\n", tmpl);
}

/* FNV-1a, the name table's old, unkeyed hash. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/*
 * Names chosen to share the low 14 bits of FNV-1a all land in one slot of an unkeyed table,
 * and each insertion walks past all the others: quadratic. Under a random key they spread.
 */
struct named {
	const char *name;
};

static void test_name_table(void)
{
	enum { WANT = 1000 };
	char **names = xcalloc(WANT, sizeof(char *));
	size_t n = 0;
	struct name_table *t;
	struct error err;
	uint64_t probes;
	char name[32];
	int all_found = 1;

	for (uint32_t i = 0; n < WANT && i < (1u << 26); i++) {
		snprintf(name, sizeof(name), "data/%07x", i);
		if ((fnv1a(name) & 0x3fff) == 0)
			names[n++] = xstrdup(name);
	}
	t = name_table_new(sizeof(struct named), &err);
	for (size_t i = 0; i < n; i++)
		name_table_add(t, names[i]);
	for (size_t i = 0; i < n; i++) {
		struct named *it = name_table_find(t, names[i]);

		if (it == NULL || strcmp(it->name, names[i]) != 0)
			all_found = 0;
	}
	probes = name_table_probes(t);
	ok(n == WANT && all_found, "%zu names colliding under FNV-1a, all found", n);
	/* Quadratic would be about n * n / 2 = 500,000 probes. */
	ok(probes < 10 * (uint64_t)n, "the keyed table looked at %llu slots for %zu names",
	   (unsigned long long)probes, n);
	ok(n == WANT && strcmp(((struct named *)name_table_item(t, 0))->name, names[0]) == 0 &&
	           strcmp(((struct named *)name_table_item(t, n - 1))->name, names[n - 1]) == 0,
	   "items are kept in the order added");
	name_table_free(t, NULL);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The reference vectors of the SipHash paper (key 00..0f, messages 00.., 00..0e). */
static void test_siphash(void)
{
	unsigned char key[16], msg[15];

	for (int i = 0; i < 16; i++)
		key[i] = (unsigned char)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (unsigned char)i;
	ok(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL, "SipHash-2-4 of the empty message");
	ok(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL, "SipHash-2-4 of 15 bytes");
}

int main(void)
{
	test_siphash();
	test_iteration();
	test_refusals();
	test_limits();
	test_filter();
	test_dir();
	test_name_table();
	return tap_done();
}
