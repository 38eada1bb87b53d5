/* Unit tests: the sink (compression, filters, atomic file, SHA-256 and sidecar). */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "bundle/sink.h"
#include "tap.h"

static char dir[] = "/tmp/unit-sink.XXXXXX";

static int dir_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	if (d)
		closedir(d);
	return n;
}

/* A whole file, or NULL. */
static char *slurp(const char *path, size_t *len)
{
	char *buf = NULL;

	if (read_small_file(path, 64 << 20, &buf, len) < 0)
		return NULL;
	return buf;
}

/* The input: compressible but not trivial, and bigger than zstd's job size. */
static char *make_input(size_t len)
{
	char *p = xmalloc(len);

	for (size_t i = 0; i < len; i++)
		p[i] = (char)("logpack line of text\n"[i % 21] ^ ((i / 4093) & 7));
	return p;
}

/* Write input through a sink in uneven chunks; 0 or -1. */
static int write_through(const char *path, const char *compression, const char *input, size_t len,
                         struct sink_filter **filters, size_t n_filters, struct sink_result *res,
                         struct error *err)
{
	struct sink_options so = {0};
	struct sink *s;
	size_t off = 0, step = 1;

	so.path = path;
	so.compression = compression;
	so.level = -1;
	so.sidecar = 1;
	so.filters = filters;
	so.n_filters = n_filters;
	if (sink_open(&s, &so, err) < 0)
		return -1;
	while (off < len) {
		size_t n = step < len - off ? step : len - off;

		if (sink_write(s, input + off, n, err) < 0) {
			sink_abort(s);
			return -1;
		}
		off += n;
		step = step * 3 + 7;
	}
	return sink_finish(s, res, err);
}

/* Read the file back through libarchive (any filter, raw format); NULL on failure. */
static char *read_back(const char *path, size_t *len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	la_ssize_t n;

	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ae) != ARCHIVE_OK) {
		printf("# %s: %s\n", path, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
		strbuf_add(&sb, buf, (size_t)n);
	if (n < 0) {
		printf("# %s: %s\n", path, archive_error_string(a));
		strbuf_release(&sb);
		archive_read_free(a);
		return NULL;
	}
	archive_read_free(a);
	*len = sb.len;
	return strbuf_detach(&sb);
}

/* What `sha256sum NAME` prints, run in the test directory. */
static char *sha256sum_line(const char *name)
{
	char *cmd = xasprintf("cd '%s' && sha256sum '%s'", dir, name);
	FILE *p = popen(cmd, "r");
	char line[512] = "";

	if (p) {
		if (fgets(line, sizeof(line), p) == NULL)
			line[0] = '\0';
		pclose(p);
	}
	free(cmd);
	return xstrdup(line);
}

/*
 * A test filter: records what it is given, passes on each byte XOR 0x5a, and a trailer at
 * finish; counts its calls to free.
 */
struct xor_filter {
	struct sink_filter f;
	struct strbuf seen;
	int *freed;
};

static int xor_write(struct sink_filter *f, const void *buf, size_t len, struct error *err)
{
	struct xor_filter *x = (struct xor_filter *)f;
	char out[4096];
	const char *p = buf;

	strbuf_add(&x->seen, buf, len);
	while (len > 0) {
		size_t n = len < sizeof(out) ? len : sizeof(out);

		for (size_t i = 0; i < n; i++)
			out[i] = (char)(p[i] ^ 0x5a);
		if (sink_filter_pass(f, out, n, err) < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int xor_finish(struct sink_filter *f, struct error *err)
{
	return sink_filter_pass(f, "TRAILER", 7, err);
}

static void xor_free(struct sink_filter *f)
{
	struct xor_filter *x = (struct xor_filter *)f;

	(*x->freed)++;
	strbuf_release(&x->seen);
	free(x);
}

static struct xor_filter *xor_new(int *freed)
{
	struct xor_filter *x = xcalloc(1, sizeof(*x));

	x->f.write = xor_write;
	x->f.finish = xor_finish;
	x->f.free = xor_free;
	x->freed = freed;
	return x;
}

int main(void)
{
	static const char *const compressions[] = {"zstd", "gzip", "xz", "none"};
	const size_t input_len = 5 * 1024 * 1024 + 123;
	char *input = make_input(input_len);
	struct sink_result res;
	struct error err = {{0}};
	char hex[SHA256_HEX_LEN + 1];

	if (mkdtemp(dir) == NULL)
		return 1;

	for (size_t c = 0; c < 4; c++) {
		const char *comp = compressions[c];
		char *name = xasprintf("b%s", sink_compression_suffix(comp));
		char *path = xasprintf("%s/%s", dir, name);
		char *side = xasprintf("%s.sha256", path);
		char *back, *file, *sidecar, *want;
		size_t back_len = 0, file_len = 0, side_len = 0;
		struct stat st;

		ok(write_through(path, comp, input, input_len, NULL, 0, &res, &err) == 0, "%s: %s",
		   comp, err.msg);
		back = read_back(path, &back_len);
		ok(back && back_len == input_len && memcmp(back, input, input_len) == 0,
		   "%s round-trips through libarchive's reader (%zu bytes back)", comp, back_len);
		file = slurp(path, &file_len);
		ok(file && sha256_hex(file, file_len, hex, &err) == 0 &&
		           strcmp(hex, res.sha256) == 0 && res.bytes == file_len,
		   "%s: the result's SHA-256 and size are the file's", comp);
		ok(strcmp(comp, "none") == 0 ? file_len == input_len : file_len < input_len / 4,
		   "%s: %zu bytes on disk for %zu", comp, file_len, input_len);
		is_str(res.sidecar_path, side, "%s: the result names the sidecar", comp);
		sink_result_release(&res);
		sidecar = slurp(side, &side_len);
		want = sha256sum_line(name);
		is_str(sidecar, want, "%s: the sidecar is what sha256sum prints", comp);
		ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && stat(side, &st) == 0 &&
		           (st.st_mode & 0777) == 0600,
		   "%s: file and sidecar are mode 0600", comp);
		ok(dir_entries() == 2, "%s: no temporary left", comp);
		unlink(path);
		unlink(side);
		free(back);
		free(file);
		free(sidecar);
		free(want);
		free(name);
		free(path);
		free(side);
	}

	/* A filter in the seam sees exactly the compressed bytes; its output is the file. */
	{
		char *plain = xasprintf("%s/plain.tar.zst", dir);
		char *path = xasprintf("%s/filtered.tar.zst.x", dir);
		int freed1 = 0, freed2 = 0;
		struct xor_filter *x1 = xor_new(&freed1), *x2 = xor_new(&freed2);
		struct sink_filter *filters[] = {&x1->f, &x2->f};
		char *compressed, *file, *side, *want_side;
		size_t compressed_len = 0, file_len = 0, side_len;
		struct strbuf want = STRBUF_INIT, seen1 = STRBUF_INIT;

		ok(write_through(plain, "zstd", input, input_len, NULL, 0, &res, &err) == 0,
		   "zstd without a filter: %s", err.msg);
		compressed = slurp(plain, &compressed_len);
		sink_result_release(&res);
		ok(write_through(path, "zstd", input, input_len, filters, 2, &res, &err) == 0,
		   "zstd with two filters: %s", err.msg);
		ok(freed1 == 1 && freed2 == 1, "each filter is freed exactly once");
		file = slurp(path, &file_len);
		/* x1 saw the compressed stream; x2 saw x1's output; the file is x2's output. */
		for (size_t i = 0; i < compressed_len; i++)
			strbuf_addch(&seen1, (char)(compressed[i] ^ 0x5a));
		strbuf_addstr(&seen1, "TRAILER");
		for (size_t i = 0; i < seen1.len; i++)
			strbuf_addch(&want, (char)(seen1.buf[i] ^ 0x5a));
		strbuf_addstr(&want, "TRAILER");
		ok(compressed && file && file_len == want.len &&
		           memcmp(file, want.buf, want.len) == 0,
		   "the file is the filters' output over exactly the compressed bytes (%zu bytes)",
		   file_len);
		ok(sha256_hex(file, file_len, hex, &err) == 0 && strcmp(hex, res.sha256) == 0,
		   "the SHA-256 is of the bytes that reached the disk");
		sink_result_release(&res);
		side = xasprintf("%s.sha256", path);
		want_side = sha256sum_line("filtered.tar.zst.x");
		free(file);
		file = slurp(side, &side_len);
		is_str(file, want_side, "the sidecar matches sha256sum of the filtered file");
		free(file);
		free(want_side);
		free(side);
		free(compressed);
		strbuf_release(&want);
		strbuf_release(&seen1);
		free(plain);
		free(path);
	}
	{
		/* The first filter's record of its input, compared directly. */
		int freed = 0;
		struct xor_filter *x = xor_new(&freed);
		struct sink_options so = {0};
		struct sink_filter *filters[] = {&x->f};
		struct sink *s;
		char *path = xasprintf("%s/seen.tar.gz", dir);
		char *file;
		size_t file_len = 0;

		so.path = path;
		so.compression = "none";
		so.filters = filters;
		so.n_filters = 1;
		ok(sink_open(&s, &so, &err) == 0, "none with a filter: %s", err.msg);
		ok(sink_write(s, "hello", 5, &err) == 0 && sink_write(s, " world", 6, &err) == 0,
		   "writes");
		ok(x->seen.len == 11 && memcmp(x->seen.buf, "hello world", 11) == 0,
		   "without compression the filter sees the bytes written");
		ok(sink_finish(s, &res, &err) == 0, "finish: %s", err.msg);
		file = slurp(path, &file_len);
		ok(file && file_len == 18 && (file[0] ^ 0x5a) == 'h' &&
		           memcmp(file + 11, "TRAILER", 7) == 0,
		   "and the file holds its output");
		ok(access(path, F_OK) == 0 && dir_entries() == 5 && res.sidecar_path == NULL,
		   "no sidecar when not asked for");
		free(file);
		unlink(path);
		free(path);
	}

	/* An aborted sink leaves nothing under any name; a filter is still freed once. */
	{
		int freed = 0;
		struct xor_filter *x = xor_new(&freed);
		struct sink_filter *filters[] = {&x->f};
		struct sink_options so = {0};
		struct sink *s;
		char *path = xasprintf("%s/aborted.tar.zst", dir);
		char *side = xasprintf("%s.sha256", path);
		int before = dir_entries();

		so.path = path;
		so.compression = "zstd";
		so.level = -1;
		so.sidecar = 1;
		so.filters = filters;
		so.n_filters = 1;
		ok(sink_open(&s, &so, &err) == 0, "open to abort: %s", err.msg);
		ok(sink_write(s, input, input_len, &err) == 0, "write before abort");
		ok(access(sink_temp_path(s), F_OK) == 0, "the temporary exists while writing");
		ok(dir_entries() == before + 1, "one temporary while writing");
		sink_abort(s);
		ok(dir_entries() == before && access(path, F_OK) != 0 && access(side, F_OK) != 0,
		   "abort leaves no file under either name");
		ok(freed == 1, "abort frees the filter once");
		sink_abort(NULL);
		free(path);
		free(side);
	}

	/* An existing final name is not replaced: refused at open, or at commit if it appears. */
	{
		char *path = xasprintf("%s/exists.tar", dir);
		char *file;
		size_t file_len;
		struct sink_options so = {0};
		struct sink *s;
		int freed = 0;
		struct xor_filter *x = xor_new(&freed);
		struct sink_filter *filters[] = {&x->f};
		int before = dir_entries();
		FILE *fp = fopen(path, "w");

		fputs("old", fp);
		fclose(fp);
		so.path = path;
		so.compression = "none";
		so.filters = filters;
		so.n_filters = 1;
		ok(sink_open(&s, &so, &err) < 0 && strstr(err.msg, "already exists"),
		   "open refuses an existing name: %s", err.msg);
		ok(freed == 1, "a refused open frees the filters");
		file = slurp(path, &file_len);
		is_str(file, "old", "the existing file is untouched");
		free(file);
		unlink(path);

		so.filters = NULL;
		so.n_filters = 0;
		ok(sink_open(&s, &so, &err) == 0, "open while absent");
		ok(sink_write(s, "new bytes", 9, &err) == 0, "write");
		fp = fopen(path, "w");
		fputs("theirs", fp);
		fclose(fp);
		ok(sink_finish(s, &res, &err) < 0 && strstr(err.msg, "File exists"),
		   "finish does not replace a file that appeared meanwhile: %s", err.msg);
		file = slurp(path, &file_len);
		is_str(file, "theirs", "that file is untouched");
		free(file);
		ok(dir_entries() == before + 1, "and the temporary is gone");
		unlink(path);
		free(path);
	}

	ok(!sink_compression_valid("bzip2") && sink_compression_valid("xz"), "compression names");
	{
		struct sink_options so = {0};
		struct sink *s;

		so.path = "/nonexistent-dir/x.tar";
		so.compression = "none";
		ok(sink_open(&s, &so, &err) < 0 && strstr(err.msg, "/nonexistent-dir"),
		   "an unwritable place is an error naming it: %s", err.msg);
	}
	free(input);
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
		free(cmd);
	}
	return tap_done();
}
