/* Unit tests for the bundle reader: names, and bags built in memory. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "base/hash.h"
#include "bundle/bundle-read.h"
#include "tap.h"

struct member {
	const char *name;
	const char *data;
	int type; /* AE_IFREG, AE_IFLNK */
};

/* A pax tar of members in memory (buf must hold it); returns its length. */
static size_t make_tar(char *buf, size_t cap, const struct member *m, size_t n)
{
	struct archive *a = archive_write_new();
	size_t used = 0;

	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open_memory(a, buf, cap, &used);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_filetype(e, m[i].type ? (unsigned int)m[i].type : AE_IFREG);
		archive_entry_set_perm(e, 0644);
		if (m[i].type == AE_IFLNK) {
			archive_entry_set_symlink(e, m[i].data);
			archive_write_header(a, e);
		} else {
			archive_entry_set_size(e, (la_int64_t)strlen(m[i].data));
			archive_write_header(a, e);
			archive_write_data(a, m[i].data, strlen(m[i].data));
		}
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	return used;
}

static enum bundle_outcome read_tar(const struct member *m, size_t n, const char *want_problem)
{
	static char buf[1 << 20];
	struct bundle_read_options opt = {0};
	struct bundle_report rep;
	struct error err;
	enum bundle_outcome o;
	size_t len = make_tar(buf, sizeof(buf), m, n);
	int found = want_problem == NULL;

	bundle_limits_default(&opt.limits);
	if (bundle_read_memory(buf, len, &opt, &rep, &err) < 0)
		return (enum bundle_outcome) - 1;
	for (size_t i = 0; i < rep.n_problems; i++) {
		if (want_problem && strstr(rep.problems[i], want_problem))
			found = 1;
		else
			printf("# problem: %s\n", rep.problems[i]);
	}
	o = found ? rep.outcome : (enum bundle_outcome) - 2;
	bundle_report_free(&rep);
	return o;
}

int main(void)
{
	char hex[SHA256_HEX_LEN + 1], manifest[256];
	char *p;

	ok(bundle_name_unsafe("bag/data/x") == NULL, "a plain name is safe");
	ok(bundle_name_unsafe("./bag/data/x") == NULL, "a leading ./ is allowed");
	ok(bundle_name_unsafe("bag/") == NULL, "a directory's trailing slash is allowed");
	ok(bundle_name_unsafe("../x") != NULL, "../x is unsafe");
	ok(bundle_name_unsafe("bag/data/../../x") != NULL, ".. inside is unsafe");
	ok(bundle_name_unsafe("bag/..") != NULL, "a trailing .. is unsafe");
	ok(bundle_name_unsafe("/etc/x") != NULL, "an absolute path is unsafe");
	ok(bundle_name_unsafe("bag//x") != NULL, "an empty component is unsafe");
	ok(bundle_name_unsafe("bag/./x") != NULL, "a . component is unsafe");
	ok(bundle_name_unsafe("") != NULL, "an empty name is unsafe");
	ok(bundle_name_unsafe("bag/..x/y..") == NULL, "dots inside a component are fine");

	p = bundle_printable_name("a\033[2Jb\n");
	is_str(p, "a\\x1b[2Jb\\x0a", "control characters are escaped");
	free(p);
	p = bundle_printable_name("K\xc3\xa4se\xff");
	is_str(p, "K\xc3\xa4se\\xff", "valid UTF-8 passes, invalid bytes are escaped");
	free(p);

	sha256_hex("hello\n", 6, hex, NULL);
	snprintf(manifest, sizeof(manifest), "%s  data/a.log\n", hex);
	{
		const char *bagit = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
		struct member good[] = {
		        {"bag/data/a.log", "hello\n", 0},
		        {"bag/manifest-sha256.txt", manifest, 0},
		        {"bag/bagit.txt", bagit, 0},
		};
		struct member changed[] = {
		        {"bag/data/a.log", "hellO\n", 0},
		        {"bag/manifest-sha256.txt", manifest, 0},
		        {"bag/bagit.txt", bagit, 0},
		};
		struct member dup[] = {
		        {"bag/data/a.log", "hello\n", 0},
		        {"bag/data/a.log", "other\n", 0},
		        {"bag/manifest-sha256.txt", manifest, 0},
		        {"bag/bagit.txt", bagit, 0},
		};
		struct member link[] = {
		        {"bag/data/a.log", "hello\n", 0},
		        {"bag/data/l", "/etc/passwd", AE_IFLNK},
		        {"bag/manifest-sha256.txt", manifest, 0},
		        {"bag/bagit.txt", bagit, 0},
		};
		struct member nobagit[] = {
		        {"bag/data/a.log", "hello\n", 0},
		        {"bag/manifest-sha256.txt", manifest, 0},
		};

		ok(read_tar(good, 3, NULL) == BUNDLE_VALID_UNSIGNED,
		   "a minimal bag is valid, unsigned");
		ok(read_tar(changed, 3, "does not match its SHA-256") == BUNDLE_INVALID,
		   "a changed byte is INVALID");
		ok(read_tar(dup, 4, "appears twice") == BUNDLE_INVALID, "a duplicate is INVALID");
		ok(read_tar(link, 4, "is a symbolic link") == BUNDLE_INVALID, "a link is INVALID");
		ok(read_tar(nobagit, 2, "bagit.txt is missing") == BUNDLE_INVALID,
		   "no bagit.txt is INVALID");
		/* extract verifies the file it has open, not whatever the path names later. */
		{
			static char tar[1 << 16];
			char dir[] = "/tmp/unit-bundle-read.XXXXXX", *path, *other;
			struct bundle_read_options opt = {0};
			struct bundle_report rep;
			struct error err;
			size_t len;
			FILE *fp;
			int fd;

			bundle_limits_default(&opt.limits);
			if (mkdtemp(dir) == NULL)
				abort();
			path = xasprintf("%s/b.tar", dir);
			other = xasprintf("%s/good.tar", dir);
			len = make_tar(tar, sizeof(tar), changed, 3);
			fp = fopen(path, "wb");
			fwrite(tar, 1, len, fp);
			fclose(fp);
			len = make_tar(tar, sizeof(tar), good, 3);
			fp = fopen(other, "wb");
			fwrite(tar, 1, len, fp);
			fclose(fp);
			fd = open(path, O_RDONLY);
			rename(other, path);
			ok(bundle_read_open_file(fd, path, &opt, &rep, &err) == 0 &&
			           rep.outcome == BUNDLE_INVALID,
			   "the open file is verified, not the one renamed over its path");
			bundle_report_free(&rep);
			close(fd);
			unlink(path);
			rmdir(dir);
			free(path);
			free(other);
		}
	}
	{
		struct bundle_read_options opt = {0};
		struct bundle_report rep;
		struct error err;

		bundle_limits_default(&opt.limits);
		ok(bundle_read_memory("", 0, &opt, &rep, &err) == 0 &&
		           rep.outcome == BUNDLE_INVALID,
		   "empty input is INVALID");
		bundle_report_free(&rep);
	}
	return tap_done();
}
