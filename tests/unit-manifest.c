/* Unit tests: bag names and manifest lines. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "bundle/manifest.h"
#include "tap.h"

static void roundtrip(const char *raw, size_t len, const char *want, int want_changed)
{
	int changed;
	char *enc = bagname_encode(raw, len, &changed), *dec = NULL;
	size_t dlen = 0;

	is_str(enc, want, "encode %s", want);
	ok(changed == want_changed, "changed flag for %s", want);
	ok(bagname_decode(enc, &dec, &dlen) == 0 && dlen == len && memcmp(dec, raw, len) == 0,
	   "decode gives the raw bytes back for %s", want);
	free(enc);
	free(dec);
}

/*
 * The rule of bag names, one UTF-8 sequence at a time: what bagname_encode must write, whatever
 * shortcut it takes over plain ASCII.
 */
static void reference_encode(const unsigned char *p, size_t len, struct strbuf *sb, int *changed)
{
	size_t i = 0, seq;

	*changed = 0;
	while (i < len) {
		seq = utf8_sequence_len(p + i, len - i);
		/* Kept: a whole UTF-8 sequence that is not a control, '%' or a backslash. */
		if (seq > 0 && !(p[i] < 0x20 || p[i] == 0x7f || p[i] == '%' || p[i] == '\\')) {
			strbuf_add(sb, p + i, seq);
			i += seq;
			continue;
		}
		strbuf_addf(sb, "\\x%02x", p[i++]);
		*changed = 1;
	}
}

/* Random names of the bytes that matter, against the rule above; and appended to a buffer. */
static void test_encode_random(void)
{
	static const unsigned char pool[] = {'a',  '/',  ' ',  '.',  '%',  '\\', 0,    1,    '\n',
	                                     0x7e, 0x7f, 0x80, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0,
	                                     0x9f, 0x98, 0xc0, 0xaf, 0xed, 0xa0, 0xff};
	struct strbuf want = STRBUF_INIT, kept = STRBUF_INIT;
	unsigned char raw[32];
	uint32_t seed = 7;
	size_t wrong = 0;

	for (int t = 0; t < 100000; t++) {
		size_t n;
		int c1, c2;
		char *got;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % sizeof(raw);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			raw[i] = pool[(seed >> 16) % sizeof(pool)];
		}
		strbuf_reset(&want);
		reference_encode(raw, n, &want, &c1);
		got = bagname_encode((const char *)raw, n, &c2);
		if (strcmp(got, want.buf ? want.buf : "") != 0 || c1 != c2)
			wrong++;
		free(got);
		/* Appended after what the buffer holds, which stays. */
		strbuf_reset(&kept);
		strbuf_addch(&kept, '/');
		bagname_encode_to(&kept, (const char *)raw, n, &c2);
		if (kept.buf[0] != '/' || strcmp(kept.buf + 1, want.buf ? want.buf : "") != 0)
			wrong++;
	}
	ok(wrong == 0, "100,000 random names are encoded by the rule, alone and appended");
	strbuf_release(&want);
	strbuf_release(&kept);
}

int main(void)
{
	struct error err;
	char hex[65], *path = NULL, *dec = NULL;
	size_t n;

	roundtrip("var/log/syslog", 14, "var/log/syslog", 0);
	roundtrip("a b", 3, "a b", 0);
	roundtrip("a\nb", 3, "a\\x0ab", 1);
	roundtrip("100%", 4, "100\\x25", 1);
	roundtrip("back\\slash", 10, "back\\x5cslash", 1);
	roundtrip("caf\xc3\xa9", 5, "caf\xc3\xa9", 0);
	roundtrip("bad\xff\xfe", 5, "bad\\xff\\xfe", 1);
	roundtrip("over\xc0\xaflong", 10, "over\\xc0\\xaflong", 1);
	roundtrip("cut\xe2\x82", 5, "cut\\xe2\\x82", 1);
	test_encode_random();
	ok(bagname_decode("bad\\q", &dec, &n) < 0, "malformed escape rejected");
	ok(bagname_decode("nul\\x00", &dec, &n) < 0, "escaped NUL rejected");

	char *m = manifest_encode_path("data/a%b\r\nc");
	is_str(m, "data/a%25b%0D%0Ac", "RFC 8493 encoding");
	ok(manifest_decode_path(m, &dec) == 0 && strcmp(dec, "data/a%b\r\nc") == 0,
	   "RFC 8493 decoding");
	free(m);
	free(dec);
	ok(manifest_decode_path("x%2", &dec) < 0, "truncated percent escape rejected");
	ok(manifest_decode_path("x%00", &dec) < 0, "percent NUL rejected");

	const char *line = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855  "
	                   "data/var/log/x%25y";
	ok(manifest_parse_line(line, strlen(line), 64, hex, &path, &err) == 0, "parse line");
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "hex lowercased");
	is_str(path, "data/var/log/x%y", "path decoded");
	free(path);
	const char *star = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 *f";
	ok(manifest_parse_line(star, strlen(star), 64, hex, &path, &err) == 0 &&
	           strcmp(path, "f") == 0,
	   "binary marker accepted");
	free(path);
	ok(manifest_parse_line("abc  f", 6, 64, hex, &path, &err) < 0, "short hash rejected");
	const char *nosp = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	ok(manifest_parse_line(nosp, strlen(nosp), 64, hex, &path, &err) < 0, "missing name");

	{
		int esc, shortened;
		char *name = bagname_for_path("var/log/syslog", 14, &esc, &shortened);
		char longpath[5000], comp[300];

		ok(strcmp(name, "var/log/syslog") == 0 && !esc && !shortened, "short names stay");
		free(name);
		memset(longpath, 'a', sizeof(longpath));
		for (int i = 100; i < 4999; i += 101)
			longpath[i] = '/';
		longpath[4999] = '\0';
		name = bagname_for_path(longpath, strlen(longpath), &esc, &shortened);
		ok(shortened && strncmp(name, "\\long/", 6) == 0 && strlen(name) == 6 + 64,
		   "a path over BAGNAME_MAX is shortened to its hash");
		free(name);
		/* 200 non-UTF-8 bytes: 800 after escaping, more than a name component may hold. */
		memset(comp, '\xff', 200);
		comp[200] = '\0';
		name = bagname_for_path(comp, 200, &esc, &shortened);
		ok(shortened && esc, "a component over 255 bytes after escaping is shortened");
		free(name);
	}
	ok(sha256_hex("abc", 3, hex, &err) == 0 &&
	           strcmp(hex,
	                  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
	   "sha256 of abc");
	return tap_done();
}
