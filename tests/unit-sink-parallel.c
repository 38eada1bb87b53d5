/* Unit tests: compression on several threads (gzip blocks, zstd and xz workers), CPU counting. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "base/cpus.h"
#include "bundle/sink.h"
#include "tap.h"

static char dir[] = "/tmp/unit-sink-parallel.XXXXXX";

/* Compressible text that still needs many deflate blocks, with some noise so blocks differ. */
static char *make_input(size_t len)
{
	char *p = xmalloc(len);
	unsigned x = 12345;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		p[i] = (i % 61 == 60) ? '\n' : (char)("abcdefgh 0123 log"[(x >> 16) % 17]);
	}
	return p;
}

/* Write len bytes through a sink in uneven chunks into dir/name; the file's bytes, or NULL. */
static char *compress_with(const char *name, const char *compression, int level, int jobs,
                           const char *input, size_t len, size_t *out_len)
{
	struct sink_options so = {0};
	struct sink_result res;
	struct error err = {{0}};
	struct sink *s;
	char *path = xasprintf("%s/%s", dir, name), *bytes = NULL;
	size_t off = 0, step = 1;

	so.path = path;
	so.compression = compression;
	so.level = level;
	so.jobs = jobs;
	if (sink_open(&s, &so, &err) < 0) {
		printf("# %s: %s\n", name, err.msg);
		goto out;
	}
	while (off < len) {
		size_t n = step < len - off ? step : len - off;

		if (sink_write(s, input + off, n, &err) < 0) {
			printf("# %s: %s\n", name, err.msg);
			sink_abort(s);
			goto out;
		}
		off += n;
		step = step * 3 + 7;
	}
	if (sink_finish(s, &res, &err) < 0) {
		printf("# %s: %s\n", name, err.msg);
		goto out;
	}
	sink_result_release(&res);
	if (read_small_file(path, 64 << 20, &bytes, out_len) < 0)
		bytes = NULL;
out:
	free(path);
	return bytes;
}

/* Does `TOOL -t` accept dir/name (checksums, length), and `TOOL -dc` print exactly the input? */
static int decompresses_to(const char *cmd, const char *name, const char *input, size_t len)
{
	char *ref = xasprintf("%s/input", dir), *line;
	FILE *f = fopen(ref, "wb");
	int rc;

	if (f == NULL || fwrite(input, 1, len, f) != len || fclose(f) != 0) {
		free(ref);
		return 0;
	}
	line = xasprintf("%s -tq '%s/%s' && %s -dc <'%s/%s' | cmp -s - '%s'", cmd, dir, name, cmd,
	                 dir, name, ref);
	rc = system(line);
	free(line);
	unlink(ref);
	free(ref);
	return rc == 0;
}

int main(void)
{
	size_t len = 3 * 1024 * 1024 + 4321, a_len = 0, b_len = 0, c_len = 0;
	char *input = make_input(len), *a, *b, *c;

	if (mkdtemp(dir) == NULL)
		return 1;

	a = compress_with("j1.gz", "gzip", -1, 1, input, len, &a_len);
	b = compress_with("j2.gz", "gzip", -1, 2, input, len, &b_len);
	c = compress_with("j5.gz", "gzip", -1, 5, input, len, &c_len);
	ok(a && b && c, "gzip with 1, 2 and 5 jobs");
	ok(a && b && c && a_len == b_len && b_len == c_len && memcmp(a, b, a_len) == 0 &&
	           memcmp(b, c, b_len) == 0,
	   "the same bytes whatever the number of jobs (%zu, %zu, %zu)", a_len, b_len, c_len);
	ok(b && b_len > 10 && (unsigned char)b[0] == 0x1f && (unsigned char)b[1] == 0x8b &&
	           b_len < len * 3 / 5,
	   "one gzip member, compressed (%zu of %zu bytes)", b_len, len);
	ok(decompresses_to("gzip", "j2.gz", input, len),
	   "gunzip reads it back exactly, CRC-32 and length checked");
	{
		/* zlib's own reader, as libraries that take gzip use it */
		char *path = xasprintf("%s/j5.gz", dir), *back = xmalloc(len + 1);
		gzFile gz = gzopen(path, "rb");
		int n = gz ? gzread(gz, back, (unsigned)len + 1) : -1;

		ok(n == (int)len && memcmp(back, input, len) == 0, "zlib's gzread reads it back");
		if (gz)
			gzclose(gz);
		free(back);
		free(path);
	}
	free(a);
	free(b);
	free(c);

	a = compress_with("empty.gz", "gzip", -1, 3, "", 0, &a_len);
	ok(a && decompresses_to("gzip", "empty.gz", "", 0), "an empty stream is a valid gzip");
	free(a);
	a = compress_with("l0.gz", "gzip", 0, 3, input, len, &a_len);
	ok(a && decompresses_to("gzip", "l0.gz", input, len), "level 0 (stored blocks)");
	free(a);
	a = compress_with("l9.gz", "gzip", 9, 3, input, len, &a_len);
	ok(a && decompresses_to("gzip", "l9.gz", input, len), "level 9");
	free(a);
	a = compress_with("l10.gz", "gzip", 10, 3, input, len, &a_len);
	ok(a == NULL, "level 10 is refused for gzip");
	free(a);

	a = compress_with("j1.zst", "zstd", -1, 1, input, len, &a_len);
	ok(a && decompresses_to("zstd", "j1.zst", input, len), "zstd in the calling thread");
	free(a);
	a = compress_with("j3.zst", "zstd", -1, 3, input, len, &a_len);
	ok(a && decompresses_to("zstd", "j3.zst", input, len), "zstd with 3 workers");
	free(a);
	a = compress_with("j2.xz", "xz", 1, 2, input, len, &a_len);
	ok(a && decompresses_to("xz", "j2.xz", input, len), "xz with 2 threads");
	free(a);

	ok(cpus_available() >= 1, "at least one CPU (%d)", cpus_available());
	ok(cpus_from_cpu_max("max 100000\n") == 0, "cpu.max 'max': no limit");
	ok(cpus_from_cpu_max("150000 100000\n") == 2, "1.5 CPUs of quota keep 2 busy");
	ok(cpus_from_cpu_max("50000 100000") == 1, "half a CPU is 1");
	ok(cpus_from_cpu_max("400000 100000\n") == 4, "4 CPUs");
	ok(cpus_from_cpu_max("") == 0 && cpus_from_cpu_max("12 x") == 0 &&
	           cpus_from_cpu_max("100 0") == 0,
	   "text that is not a cpu.max line: no limit");

	free(input);
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
		free(cmd);
	}
	return tap_done();
}
