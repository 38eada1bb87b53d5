/*
 * Unit tests for kv_parse's modes that RFC 8493 tag files need (space-joined continuation
 * lines, CR and CRLF line ends, no comments), and for tag_fields_parse, which reads bagit.txt
 * and bag-info.txt through them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/keyvalue.h"
#include "base/util.h"
#include "bundle/tagfile.h"
#include "tap.h"

static const struct kv_format tag = {.separator = ':',
                                     .blanks = " \t",
                                     .continuation = KV_CONT_SPACE,
                                     .no_comments = 1,
                                     .cr_ends_line = 1};

/* Each item as one line: "E<line> [key]=[value]" or "N<line> [text]". */
static int record(void *ctx, struct kv_item *item)
{
	struct strbuf *sb = ctx;

	if (item->kind == KV_ENTRY)
		strbuf_addf(sb, "E%d [%s]=[%s]\n", item->line, item->key, item->value);
	else
		strbuf_addf(sb, "%c%d [%s]\n", item->kind == KV_NO_SEPARATOR ? 'N' : 'S',
		            item->line, item->text);
	return 0;
}

static void check(const char *text, size_t len, const struct kv_format *fmt, const char *want,
                  const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	ok(kv_parse(text, len, fmt, record, &sb) == 0, "%s: read to the end", name);
	is_str(sb.buf ? sb.buf : "", want, "%s", name);
	strbuf_release(&sb);
}

#define CHECK(text, fmt, want, name) check(text, sizeof(text) - 1, fmt, want, name)

static void test_tag_mode(void)
{
	CHECK("External-Description: one\n  two\n\tthree\nNext: x\n", &tag,
	      "E1 [External-Description]=[one two three]\nE4 [Next]=[x]\n",
	      "folded lines are joined by one space, without their indentation");
	CHECK("A: 1\r\nB: 2\r\n  more\r\n", &tag, "E1 [A]=[1]\nE2 [B]=[2 more]\n",
	      "CRLF line ends");
	CHECK("A: 1\rB: 2\r  more\rC: 3", &tag, "E1 [A]=[1]\nE2 [B]=[2 more]\nE4 [C]=[3]\n",
	      "CR-only line ends, and a last line with none");
	CHECK("A: 1\n\r\nB: 2", &tag, "E1 [A]=[1]\nE3 [B]=[2]\n",
	      "LF, then CRLF: two line ends, one empty line between");
	CHECK("Empty:\nAlso-Empty:   \nK: v", &tag,
	      "E1 [Empty]=[]\nE2 [Also-Empty]=[]\nE3 [K]=[v]\n", "empty values");
	CHECK("# not a comment: here\n", &tag, "E1 [# not a comment]=[here]\n",
	      "no comments in tag files");
	CHECK("A: 1\nno separator here\n  cont\nB: 2\n", &tag,
	      "E1 [A]=[1]\nN2 [no separator here]\nN3 [cont]\nE4 [B]=[2]\n",
	      "a line without a separator is reported and ends the value above");
	CHECK("A: x\n\n  y\n", &tag, "E1 [A]=[x y]\n", "an empty line does not end the value");
	CHECK("  Lead: v\n", &tag, "E1 [Lead]=[v]\n", "an indented first line is an ordinary line");
	CHECK("K: a: b\nK: c\n", &tag, "E1 [K]=[a: b]\nE2 [K]=[c]\n",
	      "the first ':' splits; repeated keys kept in order");
	CHECK("K: v", &tag, "E1 [K]=[v]\n", "no trailing line end");
	CHECK("K: v\r", &tag, "E1 [K]=[v]\n", "a last CR ends the last line");
	CHECK("", &tag, "", "an empty text");
	{
		static const struct kv_format lf_only = {.separator = ':', .blanks = " \t"};

		CHECK("A: 1\rB: 2\n", &lf_only, "E1 [A]=[1\rB: 2]\n",
		      "without cr_ends_line a CR is text (the other files keep their rules)");
	}
}

/* A million short continuation lines: joined in one growing buffer, not copied per line. */
static void test_many_lines(void)
{
	const size_t n = 1000000;
	struct strbuf text = STRBUF_INIT;
	struct bundle_field *f = NULL;
	size_t nf = 0, want_len = 1 + 2 * n;

	strbuf_addstr(&text, "Big: x\n");
	for (size_t i = 0; i < n; i++)
		strbuf_addstr(&text, " y\n");
	strbuf_addstr(&text, "After: z\n");
	tag_fields_parse(text.buf, &f, &nf);
	ok(nf == 2, "a million continuation lines make one field (and the next one): %zu", nf);
	ok(nf >= 1 && strlen(f[0].value) == want_len && f[0].value[want_len - 1] == 'y',
	   "its value holds every line, one space each");
	ok(nf == 2 && strcmp(f[1].key, "After") == 0 && strcmp(f[1].value, "z") == 0,
	   "the field after them");
	tag_fields_free(f, nf);
	strbuf_release(&text);
}

static void test_tag_fields(void)
{
	struct bundle_field *f = NULL;
	size_t n = 0;

	tag_fields_parse("BagIt-Version: 1.0\r\nTag-File-Character-Encoding: UTF-8\r\n", &f, &n);
	ok(n == 2, "bagit.txt with CRLF: two fields");
	is_str(tag_fields_get(f, n, "bagit-version"), "1.0", "keys are found without case");
	is_str(tag_fields_get(f, n, "Tag-File-Character-Encoding"), "UTF-8", "the second field");
	tag_fields_parse("Contact-Name: A\nContact-Name: B\n", &f, &n);
	ok(n == 4 && strcmp(f[2].value, "A") == 0 && strcmp(f[3].value, "B") == 0,
	   "fields are appended, repeated keys in order");
	is_str(tag_fields_get(f, n, "Contact-Name"), "A", "the first of a repeated key is found");
	ok(tag_fields_get(f, n, "Missing") == NULL, "a missing key");
	tag_fields_free(f, n);
}

int main(void)
{
	test_tag_mode();
	test_many_lines();
	test_tag_fields();
	return tap_done();
}
