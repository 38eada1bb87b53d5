/*
 * Unit tests for base/json-line.c: every object it writes must be, byte for byte, what jansson's
 * json_dumpb writes for the same fields (JSON_COMPACT | JSON_ENSURE_ASCII), since files.jsonl's
 * readers and its earlier bundles know that text.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json-line.h"
#include "tap.h"

#define FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII)

/* jansson's text of obj, in buf (NUL-terminated); its length, or 0. */
static size_t jansson_text(const json_t *obj, char *buf, size_t cap)
{
	size_t n = json_dumpb(obj, buf, cap - 1, FLAGS);

	if (n == 0 || n >= cap)
		return 0;
	buf[n] = '\0';
	return n;
}

/* One string field both ways; 1 when they agree (both refuse, or both write the same). */
static int same_string(struct json_line *jl, const char *s, char *want, size_t cap)
{
	json_t *obj = json_object(), *str = json_string(s);
	size_t len, wlen = 0;
	const char *got;
	int added, agree;

	json_line_begin(jl);
	added = json_line_str(jl, "k", s) == 0;
	got = json_line_end(jl, &len);
	if (str)
		json_object_set_new(obj, "k", str);
	wlen = jansson_text(obj, want, cap);
	agree = (added == (str != NULL)) && wlen == len && memcmp(got, want, len) == 0;
	json_decref(obj);
	return agree;
}

static size_t put_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Every code point but NUL and the surrogates, 64 to a string, each run beside ASCII text. */
static void test_every_code_point(struct json_line *jl)
{
	static char s[64 * 4 + 16], want[64 * 12 + 64];
	size_t checked = 0, wrong = 0;

	for (uint32_t cp = 1; cp <= 0x10ffff;) {
		size_t n = 0;

		s[n++] = 'a';
		for (int k = 0; k < 64 && cp <= 0x10ffff; cp++) {
			if (cp >= 0xd800 && cp <= 0xdfff)
				continue;
			n += put_utf8(cp, s + n);
			k++;
		}
		s[n++] = 'z';
		s[n] = '\0';
		checked++;
		if (!same_string(jl, s, want, sizeof(want)) && wrong++ < 3)
			printf("#   differs from jansson for the run ending at U+%04X\n", cp - 1);
	}
	ok(wrong == 0 && checked > 17000,
	   "every code point is written as jansson writes it (%zu runs)", checked);
}

/*
 * Random strings of the bytes that matter: controls, '"', '\\', '/', DEL, and the bytes of
 * UTF-8 sequences, valid and broken. Both must refuse the same strings and write the rest alike.
 */
static void test_random_bytes(struct json_line *jl)
{
	static const unsigned char pool[] = {1,    8,    9,    10,   12,   13,   27,   31,   ' ',
	                                     '"',  '\\', '/',  'a',  'Z',  '0',  0x7f, 0x80, 0xbf,
	                                     0xc0, 0xc2, 0xc3, 0xa9, 0xdf, 0xe0, 0xe2, 0xed, 0xa0,
	                                     0xef, 0xf0, 0x9f, 0x98, 0x80, 0xf4, 0x8f, 0xf5, 0xff};
	char s[48], want[48 * 12 + 16];
	size_t wrong = 0, refused = 0;
	uint32_t seed = 12345;

	for (int t = 0; t < 200000; t++) {
		size_t n = 0, parts;

		seed = seed * 1103515245u + 12345u;
		parts = (seed >> 16) % 12;
		/* Each part: a byte of the pool (which may break a sequence) or a whole sequence.
		 */
		for (size_t i = 0; i < parts; i++) {
			uint32_t cp;

			seed = seed * 1103515245u + 12345u;
			if ((seed >> 28) < 6) {
				s[n++] = (char)pool[(seed >> 16) % sizeof(pool)];
				continue;
			}
			cp = 1 + (seed >> 8) % 0x10ffff;
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			n += put_utf8(cp, s + n);
		}
		s[n] = '\0';
		if (!same_string(jl, s, want, sizeof(want)) && wrong++ < 3)
			printf("#   differs from jansson for a random string of %zu bytes\n", n);
		{
			json_t *str = json_string(s);

			refused += str == NULL;
			json_decref(str);
		}
	}
	ok(wrong == 0, "200,000 random strings: refused and written as jansson does");
	ok(refused > 10000 && refused < 190000,
	   "the random strings hold both UTF-8 and not (%zu not)", refused);
}

/* A record as collect writes one, with each kind of value, against jansson's object. */
static void test_record(struct json_line *jl)
{
	json_t *obj = json_object(), *nested, *extra;
	char want[2048];
	const char *got;
	size_t len, wlen;

	nested = json_pack("{s:s,s:n,s:I,s:[i,s]}", "id", "c0ffee", "name", "pid", (json_int_t)42,
	                   "list", 1, "two");
	extra = json_pack("{s:s,s:s}", "snapshot", "unchanged", "file_id", "d:1\tx");
	json_line_begin(jl);
	json_line_str(jl, "path", "/var/log/\"quoted\"\\back\x01.log");
	json_object_set_new(obj, "path", json_string("/var/log/\"quoted\"\\back\x01.log"));
	json_line_bool(jl, "path_escaped", 1);
	json_object_set_new(obj, "path_escaped", json_true());
	json_line_bool(jl, "grew", 0);
	json_object_set_new(obj, "grew", json_false());
	json_line_value(jl, "container", nested);
	json_object_set(obj, "container", nested);
	json_line_null(jl, "owner");
	json_object_set_new(obj, "owner", json_null());
	json_line_int(jl, "uid", 0);
	json_object_set_new(obj, "uid", json_integer(0));
	json_line_int(jl, "min", LLONG_MIN);
	json_object_set_new(obj, "min", json_integer(LLONG_MIN));
	json_line_int(jl, "max", LLONG_MAX);
	json_object_set_new(obj, "max", json_integer(LLONG_MAX));
	ok(json_line_str(jl, "group", "gr\xffup") < 0, "a value that is not UTF-8 is left out");
	json_line_str(jl, "mtime", "2026-12-02T18:00:00.000000001Z");
	json_object_set_new(obj, "mtime", json_string("2026-12-02T18:00:00.000000001Z"));
	json_line_update(jl, extra);
	json_object_update(obj, extra);
	got = json_line_end(jl, &len);
	wlen = jansson_text(obj, want, sizeof(want));
	ok(wlen == len && memcmp(got, want, len) == 0, "a whole record is jansson's text");
	if (wlen != len || memcmp(got, want, len) != 0)
		printf("#   got  %s\n#   want %s\n", got, want);

	/* The buffer is kept: a short record after a long one is only the short one. */
	json_line_begin(jl);
	got = json_line_end(jl, &len);
	ok(len == 2 && strcmp(got, "{}") == 0, "an empty object after a record is {}");
	json_line_begin(jl);
	json_line_int(jl, "size", -7);
	got = json_line_end(jl, &len);
	is_str(got, "{\"size\":-7}", "one field, no comma");
	json_decref(nested);
	json_decref(extra);
	json_decref(obj);
}

static uint32_t tree_seed = 777;

static uint32_t next_rand(void)
{
	tree_seed = tree_seed * 1103515245u + 12345u;
	return tree_seed >> 8;
}

/* A short random string of valid UTF-8 with the characters JSON escapes. */
static void random_text(char *out, size_t cap)
{
	static const uint32_t pool[] = {'a',   'Z',    '0',     ' ',     '"',     '\\', '/',
	                                '\n',  '\t',   1,       0x1f,    0x7f,    0xe9, 0x7ff,
	                                0x800, 0xfffd, 0x10000, 0x1f600, 0x10ffff};
	size_t n = 0, len = next_rand() % 8;

	for (size_t i = 0; i < len && n + 5 < cap; i++)
		n += put_utf8(pool[next_rand() % (sizeof(pool) / sizeof(pool[0]))], out + n);
	out[n] = '\0';
}

/* A random value: objects and arrays down to depth, and every scalar kind. */
static json_t *random_tree(int depth)
{
	static const double reals[] = {0.0, -0.5, 1e300, 3.141592653589793, 1e-7, 100.0};
	static const json_int_t ints[] = {0, -1, 7, LLONG_MAX, LLONG_MIN, 1234567890123};
	char text[64];
	uint32_t kind = next_rand() % (depth > 0 ? 9 : 7);

	switch (kind) {
	case 0:
		random_text(text, sizeof(text));
		return json_string(text);
	case 1:
		return json_integer(ints[next_rand() % 6]);
	case 2:
		return json_real(reals[next_rand() % 6]);
	case 3:
		return json_true();
	case 4:
		return json_false();
	case 5:
		return json_null();
	case 6:
		return json_integer((json_int_t)next_rand() - 1000000);
	case 7: {
		json_t *a = json_array();

		for (uint32_t i = next_rand() % 4; i > 0; i--)
			json_array_append_new(a, random_tree(depth - 1));
		return a;
	}
	default: {
		json_t *o = json_object();

		for (uint32_t i = next_rand() % 5; i > 0; i--) {
			random_text(text, sizeof(text));
			json_object_set_new(o, text, random_tree(depth - 1));
		}
		return o;
	}
	}
}

/* json_text_append against json_dumpb, compact and not, on 20,000 random trees. */
static void test_trees(void)
{
	size_t wrong[2] = {0, 0}, nested = 0;

	for (int t = 0; t < 20000; t++) {
		json_t *tree = random_tree(4);

		nested += json_is_object(tree) && json_object_size(tree) > 1;
		for (int compact = 0; compact < 2; compact++) {
			size_t flags =
			        JSON_ENSURE_ASCII | JSON_ENCODE_ANY | (compact ? JSON_COMPACT : 0);
			char *want = json_dumps(tree, flags);
			struct strbuf got = STRBUF_INIT;

			if (want == NULL || json_text_append(&got, tree, compact) < 0 ||
			    strcmp(got.buf, want) != 0) {
				if (wrong[compact]++ == 0)
					printf("# %s\n# %s\n", want ? want : "(null)", got.buf);
			}
			free(want);
			strbuf_release(&got);
		}
		json_decref(tree);
	}
	ok(wrong[0] == 0, "20,000 random trees written as json_dumpb writes them (%zu differ)",
	   wrong[0]);
	ok(wrong[1] == 0, "and compact, as JSON_COMPACT writes them (%zu differ)", wrong[1]);
	ok(nested > 1000, "the trees hold objects of several members (%zu)", nested);
}

int main(void)
{
	struct json_line jl = {STRBUF_INIT, 0};

	test_every_code_point(&jl);
	test_random_bytes(&jl);
	test_record(&jl);
	test_trees();
	json_line_release(&jl);
	return tap_done();
}
