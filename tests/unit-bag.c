/* Unit tests: the bag writer (members and their order, manifests, tag files, signature hook). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "bundle/bag.h"
#include "tap.h"

#define TOP "logpack-unit-20240101T000000Z"

static char dir[] = "/tmp/unit-bag.XXXXXX";

struct member {
	char *name;
	char *data;
	size_t len;
	mode_t mode;
	time_t mtime;
};

/* Every member of a bundle, in order, read with libarchive; the count, or -1. */
static int read_members(const char *path, struct member *m, int max)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int n = 0, r;

	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		archive_read_free(a);
		return -1;
	}
	while (n < max && (r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		struct strbuf sb = STRBUF_INIT;
		char buf[8192];
		la_ssize_t got;

		while ((got = archive_read_data(a, buf, sizeof(buf))) > 0)
			strbuf_add(&sb, buf, (size_t)got);
		m[n].name = xstrdup(archive_entry_pathname(ae));
		m[n].mode = archive_entry_mode(ae);
		m[n].mtime = archive_entry_mtime(ae);
		m[n].len = sb.len;
		m[n].data = strbuf_detach(&sb);
		n++;
	}
	archive_read_free(a);
	return n;
}

static const char *member_data(struct member *m, int n, const char *name)
{
	char *full = xasprintf(TOP "/%s", name);
	const char *d = NULL;

	for (int i = 0; i < n; i++)
		if (strcmp(m[i].name, full) == 0)
			d = m[i].data;
	free(full);
	return d;
}

static int line_in(const char *text, const char *line)
{
	const char *p = text;
	size_t len = strlen(line);

	while (p && (p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return 1;
		p += len;
	}
	return 0;
}

/* A stand-in signer: remembers what it signed, returns fixed bytes. */
struct fake_signer {
	char *signed_text;
};

static int fake_sign(void *ctx, const void *data, size_t len, unsigned char **der, size_t *der_len,
                     struct error *err)
{
	struct fake_signer *fs = ctx;

	fs->signed_text = xstrndup(data, len);
	*der = (unsigned char *)xstrdup("SIGNATURE");
	*der_len = 9;
	return 0;
}

int main(void)
{
	static const char *const payload_names[] = {"var/log/syslog", "var/log/auth.log",
	                                            "etc/hostname"};
	static const char *const payload_text[] = {"line one\nline two\n", "sshd: accepted\n", ""};
	static const struct bag_tag_file extra[] = {
	        {"logpack/incident.json", "{\"case\":\"X\"}\n", 13},
	        {"logpack/incident.txt", "Case: X\n", 8},
	        {"logpack/links.jsonl", "{}\n", 3},
	};
	struct bag_writer_options bo = {0};
	struct bag_writer *bw;
	struct bag_result res;
	struct error err = {{0}};
	struct fake_signer fs = {0};
	struct member m[32];
	char hex[SHA256_HEX_LEN + 1], *path, *side;
	int n;

	if (mkdtemp(dir) == NULL)
		return 1;
	path = xasprintf("%s/bundle.tar.zst", dir);
	side = xasprintf("%s.sha256", path);
	bo.output_path = path;
	bo.top_dir = TOP;
	bo.compression = "zstd";
	bo.level = -1;
	bo.bagging_time = 1700000000;
	bo.sign = fake_sign;
	bo.sign_ctx = &fs;
	ok(bag_writer_open(&bw, &bo, &err) == 0, "open: %s", err.msg);
	for (int i = 0; i < 3; i++) {
		size_t len = strlen(payload_text[i]);

		ok(bag_payload_begin(bw, payload_names[i], len, 1600000000 + i, &err) == 0 &&
		           bag_payload_write(bw, payload_text[i], len, &err) == 0 &&
		           bag_payload_end(bw, hex, &err) == 0,
		   "payload %s: %s", payload_names[i], err.msg);
	}
	ok(bag_add_tag_file(bw, "logpack/host.json", "{\"h\":1}\n", 8, &err) == 0, "host.json");
	ok(bag_add_tag_files(bw, extra, 3, &err) == 0, "a list of three extra tag files: %s",
	   err.msg);
	ok(bag_add_tag_file(bw, "logpack/incident.json", "again", 5, &err) < 0 &&
	           strstr(err.msg, "twice"),
	   "a tag name given twice is refused: %s", err.msg);
	ok(bag_add_tag_file(bw, "bagit.txt", "x", 1, &err) < 0, "bagit.txt is the writer's");
	ok(bag_add_tag_file(bw, "tagmanifest-sha256.txt", "x", 1, &err) < 0,
	   "so is the tag manifest");
	ok(bag_add_tag_file(bw, "data/x", "x", 1, &err) < 0, "data/ is the payload's");
	ok(bag_add_tag_file(bw, "logpack/../../x", "x", 1, &err) < 0, "no .. component");
	ok(bag_add_tag_file(bw, "logpack/a\nb", "x", 1, &err) < 0, "no line break");
	ok(bag_add_tag_file(bw, "logpack/a..b", "x", 1, &err) == 0, "'..' inside a name is fine");
	bag_info_add(bw, "LogPack-Host", "unit\nhost");
	err.msg[0] = '\0';
	ok(bag_writer_finish(bw, &res, &err) == 0, "finish: %s", err.msg);
	ok(res.payload_files == 3 && res.payload_bytes == 33, "the result counts the payload");
	is_str(res.sidecar_path, side, "the result names the sidecar");
	bag_result_release(&res);
	ok(res.sidecar_path == NULL, "bag_result_release frees it");

	n = read_members(path, m, 32);
	{
		static const char *const want[] = {
		        "data/var/log/syslog",
		        "data/var/log/auth.log",
		        "data/etc/hostname",
		        "logpack/host.json",
		        "logpack/incident.json",
		        "logpack/incident.txt",
		        "logpack/links.jsonl",
		        "logpack/a..b",
		        "manifest-sha256.txt",
		        "bagit.txt",
		        "bag-info.txt",
		        "tagmanifest-sha256.txt",
		        "tagmanifest-sha256.txt.p7s",
		};
		int same = n == 13;

		for (int i = 0; same && i < 13; i++) {
			char *full = xasprintf(TOP "/%s", want[i]);

			if (strcmp(m[i].name, full) != 0) {
				printf("# member %d is %s, want %s\n", i, m[i].name, full);
				same = 0;
			}
			free(full);
		}
		ok(same, "the members, in order: payload, tag files, manifests, signature (%d)", n);
	}
	{
		int modes = n > 0, times = n > 0;

		for (int i = 0; i < n; i++) {
			modes &= (m[i].mode & 07777) == 0644;
			times &= i < 3 ? m[i].mtime == 1600000000 + i : m[i].mtime == 1700000000;
		}
		ok(modes, "every member is mode 0644");
		ok(times, "payload keeps its mtime, tag files get the bagging time");
	}
	{
		const char *manifest = member_data(m, n, "manifest-sha256.txt");
		int all = manifest != NULL;

		for (int i = 0; all && i < 3; i++) {
			char *line;

			sha256_hex(payload_text[i], strlen(payload_text[i]), hex, &err);
			line = xasprintf("%s  data/%s", hex, payload_names[i]);
			all = line_in(manifest, line);
			free(line);
		}
		ok(all, "each manifest line is the SHA-256 of the payload bytes");
		ok(manifest && strlen(manifest) == 3 * (64 + 2) + 19 + 21 + 17 + 3,
		   "and the manifest holds nothing else");
	}
	{
		const char *tm = member_data(m, n, "tagmanifest-sha256.txt");
		int all = tm != NULL, lines = 0;

		for (int i = 0; all && i < 3; i++) {
			char *line;

			sha256_hex(extra[i].data, extra[i].len, hex, &err);
			line = xasprintf("%s  %s", hex, extra[i].name);
			all = line_in(tm, line);
			free(line);
		}
		ok(all, "all three extra tag files are in the tag manifest with their SHA-256");
		for (const char *p = tm; p && *p; p++)
			lines += *p == '\n';
		ok(lines == 8, "the tag manifest lists the 8 tag files (%d)", lines);
		ok(tm && strstr(tm, "  manifest-sha256.txt\n") && strstr(tm, "  bagit.txt\n") &&
		           strstr(tm, "  bag-info.txt\n"),
		   "including manifest, bagit.txt and bag-info.txt");
		ok(tm && sha256_hex(tm, strlen(tm), hex, &err) == 0 &&
		           strcmp(hex, res.tagmanifest_sha256) == 0,
		   "the result's tagmanifest SHA-256 is the member's");
		is_str(fs.signed_text, tm, "the signer signed exactly the tag manifest");
		is_str(member_data(m, n, "tagmanifest-sha256.txt.p7s"), "SIGNATURE",
		       "and its output is the .p7s member");
	}
	{
		const char *info = member_data(m, n, "bag-info.txt");

		ok(info && line_in(info, "Payload-Oxum: 33.3") &&
		           line_in(info, "Bagging-Date: 2023-11-14") &&
		           line_in(info, "LogPack-Format-Version: 1") &&
		           line_in(info, "LogPack-Host: unit host"),
		   "bag-info.txt: oxum, date, format version, caller's field on one line");
		is_str(member_data(m, n, "bagit.txt"),
		       "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", "bagit.txt");
	}
	{
		char *cmd = xasprintf("tar -tf '%s'", path);
		FILE *p = popen(cmd, "r");
		char line[1024];
		int i = 0, same = p != NULL;

		while (p && fgets(line, sizeof(line), p)) {
			line[strcspn(line, "\n")] = '\0';
			same &= i < n && strcmp(line, m[i].name) == 0;
			i++;
		}
		ok(p && pclose(p) == 0 && same && i == n, "stock tar -tf lists the same %d members",
		   i);
		free(cmd);
	}
	{
		char *cmd =
		        xasprintf("cd '%s' && sha256sum -c --status bundle.tar.zst.sha256", dir);

		ok(system(cmd) == 0, "sha256sum -c accepts the sidecar");
		free(cmd);
	}
	for (int i = 0; i < n; i++) {
		free(m[i].name);
		free(m[i].data);
	}
	free(fs.signed_text);

	/* An abandoned writer leaves nothing behind. */
	unlink(path);
	unlink(side);
	bo.sign = NULL;
	ok(bag_writer_open(&bw, &bo, &err) == 0, "open again");
	ok(bag_payload_begin(bw, "x", 3, 0, &err) == 0 &&
	           bag_payload_write(bw, "abc", 3, &err) == 0,
	   "a payload");
	bag_writer_abort(bw);
	ok(access(path, F_OK) != 0 && access(side, F_OK) != 0 && rmdir(dir) == 0,
	   "abort leaves the directory empty");
	free(path);
	free(side);
	return tap_done();
}
