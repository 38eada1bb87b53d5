/*
 * Unit tests: the bag writer's threads (the batch thread for small payload files, the hashing
 * thread for large ones, fed from its own buffers, the caller's, or both in turn) change
 * nothing in what is written: one job and two write the same bundle byte for byte, every hash
 * and tap sees the member's bytes, and a refusal on the batch thread reaches the caller and
 * leaves no file behind.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hash.h"
#include "bundle/bag.h"
#include "tap.h"

#define TOP "logpack-unit-20240101T000000Z"
#define SMALL_FILES 3000

static char dir[] = "/tmp/unit-bag-threads.XXXXXX";

/* Deterministic bytes for member i: text lines, so that any shift shows. */
static char *member_bytes(unsigned i, size_t len)
{
	char *p = xmalloc(len + 1);
	uint32_t x = 2166136261u ^ i;

	for (size_t k = 0; k < len; k++) {
		x = x * 16777619u + 7;
		p[k] = (k % 61 == 60) ? '\n' : (char)('a' + (x >> 24) % 26);
	}
	return p;
}

/* What a tap saw: its bytes' count and hash. */
struct tap_seen {
	struct sha256 hash;
	size_t bytes;
};

static void tap_take(void *ctx, const unsigned char *buf, size_t len)
{
	struct tap_seen *t = ctx;

	sha256_update(&t->hash, buf, len);
	t->bytes += len;
}

/* Fails every write once more than limit bytes went through. */
struct refusing_filter {
	struct sink_filter f;
	size_t passed, limit;
};

static int refusing_write(struct sink_filter *f, const void *buf, size_t len, struct error *err)
{
	struct refusing_filter *r = (struct refusing_filter *)f;

	if (r->passed + len > r->limit) {
		error_set(err, "test filter: refused after %zu bytes", r->passed);
		return -1;
	}
	r->passed += len;
	return sink_filter_pass(f, buf, len, err);
}

static void refusing_free(struct sink_filter *f)
{
	free(f);
}

struct run {
	int hashes_right; /* every bag_payload_end gave the SHA-256 of the bytes */
	int taps_right;   /* every tap saw exactly its member's bytes */
	int failed_at;    /* the call that failed first: -1 none */
	struct error err;
};

/* One member through the writer, its bytes in pieces of piece bytes; 0 or -1. */
static int add_payload(struct bag_writer *bw, struct run *r, const char *name, const char *data,
                       size_t len, size_t piece, int tapped, int own_buffer)
{
	char got[SHA256_HEX_LEN + 1], want[SHA256_HEX_LEN + 1], seen[SHA256_HEX_LEN + 1];
	struct tap_seen t = {0};

	if (bag_payload_begin(bw, name, len, 1600000000, &r->err) < 0)
		return -1;
	if (tapped) {
		if (sha256_init(&t.hash, &r->err) < 0)
			return -1;
		bag_payload_tap(bw, tap_take, &t);
	}
	for (size_t at = 0; at < len; at += piece) {
		size_t n = len - at < piece ? len - at : piece;
		const void *from = data + at;

		/* own_buffer 2: every other piece, the rest from the caller's buffer. */
		if (own_buffer == 1 || (own_buffer == 2 && (at / piece) % 2 == 1)) {
			/* Read into the writer's buffer, as collect reads a large file. */
			size_t cap;
			void *buf = bag_payload_buffer(bw, &cap);

			if (n > cap)
				n = cap, piece = cap;
			memcpy(buf, data + at, n);
			from = buf;
		}
		if (bag_payload_write(bw, from, n, &r->err) < 0)
			return -1;
	}
	if (tapped)
		bag_payload_tap(bw, NULL, NULL);
	if (bag_payload_end(bw, got, &r->err) < 0)
		return -1;
	if (sha256_hex(data, len, want, &r->err) < 0)
		return -1;
	if (strcmp(got, want) != 0)
		r->hashes_right = 0;
	if (tapped) {
		sha256_final_hex(&t.hash, seen);
		if (t.bytes != len || strcmp(seen, want) != 0)
			r->taps_right = 0;
	}
	return 0;
}

/* A bag of payload files with a fixed bagging time, at PATH. */
static struct bag_writer_options options(const char *path, int jobs, const char *compression)
{
	struct bag_writer_options bo = {0};

	bo.output_path = path;
	bo.top_dir = TOP;
	bo.compression = compression;
	bo.level = -1;
	bo.jobs = jobs;
	bo.bagging_time = 1700000000;
	return bo;
}

/*
 * Small files (crossing many batches) with large ones between them: one from the caller's
 * buffer in pieces, one read into the writer's own buffer, both tapped; then tag files, one of
 * them written in pieces. limit > 0: a filter refuses the stream after that many bytes.
 */
static int write_bundle(const char *path, int jobs, size_t limit, struct run *r)
{
	struct bag_writer_options bo = options(path, jobs, "none");
	struct refusing_filter *rf = NULL;
	struct sink_filter *filters[1];
	struct bag_writer *bw;
	struct bag_result res;
	char *big = member_bytes(99999, 3u << 20);
	int step = 0;

	r->hashes_right = r->taps_right = 1;
	r->err.msg[0] = '\0';
	r->failed_at = -1;
	if (limit) {
		rf = xcalloc(1, sizeof(*rf));
		rf->f.write = refusing_write;
		rf->f.free = refusing_free;
		rf->limit = limit;
		filters[0] = &rf->f;
		bo.filters = filters;
		bo.n_filters = 1;
	}
	if (bag_writer_open(&bw, &bo, &r->err) < 0) {
		free(big);
		return -1;
	}
	for (unsigned i = 0; i < SMALL_FILES; i++, step++) {
		char name[64];
		size_t len = (i * 37u) % 2500u;
		char *data = member_bytes(i, len);
		int rc;

		snprintf(name, sizeof(name), "var/log/d%u/f%04u.log", i / 500, i);
		rc = add_payload(bw, r, name, data, len, len / 2 + 1, i % 7 == 0, 0);
		free(data);
		if (rc < 0)
			goto fail;
		if (i == 1000 && (step++, add_payload(bw, r, "var/log/big-from-caller", big,
		                                      (3u << 20) - 5, 100000, 1, 0)) < 0)
			goto fail;
		if (i == 2000 && (step++, add_payload(bw, r, "var/log/big-read-in", big, 2u << 20,
		                                      1u << 20, 1, 1)) < 0)
			goto fail;
		if (i == 2500 && (step++, add_payload(bw, r, "var/log/big-mixed", big + 7,
		                                      (3u << 20) - 7, 300000, 1, 2)) < 0)
			goto fail;
	}
	step++;
	if (bag_tag_begin(bw, "logpack/pieces.json", (3u << 19) + 11, &r->err) < 0)
		goto fail;
	for (size_t at = 0; at < (3u << 19) + 11; at += 4097) {
		size_t n = (3u << 19) + 11 - at < 4097 ? (3u << 19) + 11 - at : 4097;

		if (bag_tag_write(bw, big + at, n, &r->err) < 0)
			goto fail;
	}
	if (bag_tag_end(bw, &r->err) < 0)
		goto fail;
	step++;
	if (bag_add_tag_file(bw, "logpack/host.json", "{\"h\":1}\n", 8, &r->err) < 0)
		goto fail;
	step++;
	free(big);
	if (bag_writer_finish(bw, &res, &r->err) < 0) {
		r->failed_at = step;
		return -1;
	}
	bag_result_release(&res);
	return 0;
fail:
	r->failed_at = step;
	free(big);
	bag_writer_abort(bw);
	return -1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	*len = sb.len;
	return strbuf_detach(&sb);
}

int main(void)
{
	struct run one = {0}, two = {0};
	char *p1, *p2, *b1 = NULL, *b2 = NULL, *cmd;
	size_t l1 = 0, l2 = 0;

	if (mkdtemp(dir) == NULL)
		return 1;
	p1 = xasprintf("%s/one.tar", dir);
	p2 = xasprintf("%s/two.tar", dir);
	ok(write_bundle(p1, 1, 0, &one) == 0, "one job: written (%s)", one.err.msg);
	ok(write_bundle(p2, 2, 0, &two) == 0, "two jobs: written (%s)", two.err.msg);
	ok(one.hashes_right && two.hashes_right,
	   "every payload file's SHA-256 is that of its bytes, with one job and with two");
	ok(one.taps_right && two.taps_right,
	   "every tap saw exactly its file's bytes, from the caller's buffer, from the writer's, "
	   "and from both in turn");
	b1 = slurp(p1, &l1);
	b2 = slurp(p2, &l2);
	ok(b1 && b2 && l1 == l2 && l1 > (5u << 20) && memcmp(b1, b2, l1) == 0,
	   "one job and two write the same bundle, byte for byte (%zu and %zu bytes)", l1, l2);
	free(b1);
	free(b2);

	cmd = xasprintf("cd %s && mkdir x && tar -xf two.tar -C x && cd x/" TOP
	                " && sha256sum -c --quiet manifest-sha256.txt && "
	                "sha256sum -c --quiet tagmanifest-sha256.txt && "
	                "test $(wc -l < manifest-sha256.txt) -eq %d && rm -r %s/x",
	                dir, SMALL_FILES + 3, dir);
	ok(system(cmd) == 0, "stock tar and sha256sum -c accept the bundle written with two jobs");
	free(cmd);
	for (int i = 0; i < 2; i++) {
		char *side = xasprintf("%s.sha256", i ? p2 : p1);

		unlink(i ? p2 : p1);
		unlink(side);
		free(side);
	}

	/*
	 * A small file that ends short, and one begun while another is open: the bag can no
	 * longer be completed, with one job or two, and nothing is left behind. Then a writer
	 * abandoned while its batch thread is busy.
	 */
	for (int jobs = 1; jobs <= 2; jobs++) {
		struct bag_writer_options bo = options(p1, jobs, "none");
		struct bag_writer *bw;
		struct bag_result res;
		struct error err = {{0}}, later = {{0}}, at_finish = {{0}};
		char hex[SHA256_HEX_LEN + 1];
		int rc, short_refused, next_refused, open_refused;

		rc = bag_writer_open(&bw, &bo, &err);
		rc = rc < 0 ? rc : bag_payload_begin(bw, "a", 3, 0, &err);
		rc = rc < 0 ? rc : bag_payload_write(bw, "aaa", 3, &err);
		rc = rc < 0 ? rc : bag_payload_end(bw, hex, &err);
		rc = rc < 0 ? rc : bag_payload_begin(bw, "short", 10, 0, &err);
		rc = rc < 0 ? rc : bag_payload_write(bw, "four", 4, &err);
		short_refused = rc == 0 && bag_payload_end(bw, hex, &err) < 0 &&
		                strstr(err.msg, "6 bytes short") != NULL;
		next_refused = rc == 0 && bag_payload_begin(bw, "b", 3, 0, &later) < 0 &&
		               strstr(later.msg, "left unfinished") != NULL;
		ok(short_refused && next_refused && bag_writer_finish(bw, &res, &at_finish) < 0 &&
		           strstr(at_finish.msg, "left unfinished") != NULL &&
		           access(p1, F_OK) != 0,
		   "%d job(s): a file that ends short is refused (%s), and so is all that follows "
		   "(%s), the bag is never finished (%s) and no file is left",
		   jobs, err.msg, later.msg, at_finish.msg);

		rc = bag_writer_open(&bw, &bo, &err);
		rc = rc < 0 ? rc : bag_payload_begin(bw, "open", 5, 0, &err);
		rc = rc < 0 ? rc : bag_payload_write(bw, "op", 2, &err);
		open_refused = rc == 0 && bag_payload_begin(bw, "b", 3, 0, &later) < 0 &&
		               strstr(later.msg, "left unfinished") != NULL;
		ok(open_refused && bag_writer_finish(bw, &res, &at_finish) < 0 &&
		           access(p1, F_OK) != 0,
		   "%d job(s): a file begun while another is open is refused (%s), and the bag is "
		   "never finished",
		   jobs, later.msg);
	}
	{
		struct bag_writer_options bo = options(p1, 2, "zstd");
		struct bag_writer *bw;
		struct error err = {{0}};
		char hex[SHA256_HEX_LEN + 1], *data = member_bytes(7, 1000);
		int rc;

		rc = bag_writer_open(&bw, &bo, &err);
		/* 1,000 files of 1,000 bytes: batches handed over, one of them being written. */
		for (int i = 0; rc == 0 && i < 1000; i++) {
			char name[32];

			snprintf(name, sizeof(name), "f%04d", i);
			rc = bag_payload_begin(bw, name, 1000, 0, &err);
			rc = rc < 0 ? rc : bag_payload_write(bw, data, 1000, &err);
			rc = rc < 0 ? rc : bag_payload_end(bw, hex, &err);
		}
		if (rc == 0)
			bag_writer_abort(bw);
		free(data);
		ok(rc == 0, "1,000 small files, then the writer abandoned (%s)", err.msg);
	}
	{
		DIR *d = opendir(dir);
		struct dirent *de;
		int others = 0;

		while (d && (de = readdir(d)) != NULL)
			others += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
		if (d)
			closedir(d);
		ok(d && others == 0, "nothing is left in the directory (%d entries)", others);
	}

	/* A refusal on the batch thread, in the middle of the small files. */
	ok(write_bundle(p2, 2, 1u << 20, &two) < 0 && two.failed_at >= 0 &&
	           two.failed_at < SMALL_FILES &&
	           strstr(two.err.msg, "test filter: refused after") != NULL,
	   "a write refused under the batch thread fails a later call with its reason (call %d: "
	   "%s)",
	   two.failed_at, two.err.msg);
	ok(access(p2, F_OK) != 0 && rmdir(dir) == 0,
	   "and leaves nothing behind: no bundle, no temporary file");
	free(p1);
	free(p2);
	return tap_done();
}
