/* Unit tests for the "key: value" / "key = value" parser (base/keyvalue.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/keyvalue.h"
#include "base/util.h"
#include "tap.h"

static const struct kv_format equals = {.separator = '=', .blanks = " \t\r\v\f"};
static const struct kv_format colon = {.separator = ':', .blanks = " \t", .continuation = 1};

struct log {
	struct strbuf sb;
	int stop_at; /* line whose item makes the handler stop, 0: never */
	int took;    /* values taken by the handler */
};

/* Each item as one line: "E<line> [key]=[value]", "N<line> [text]" or "S<line> [text]". */
static int record(void *ctx, struct kv_item *item)
{
	struct log *log = ctx;

	switch (item->kind) {
	case KV_ENTRY:
		strbuf_addf(&log->sb, "E%d [%s]=[%s]\n", item->line, item->key, item->value);
		if (strcmp(item->key, "take") == 0) {
			free(item->value); /* as a handler keeping it would, later */
			item->value = NULL;
			log->took++;
		}
		break;
	case KV_NO_SEPARATOR:
		strbuf_addf(&log->sb, "N%d [%s]\n", item->line, item->text);
		break;
	case KV_STRAY_INDENT:
		strbuf_addf(&log->sb, "S%d [%s]\n", item->line, item->text);
		break;
	}
	return item->line == log->stop_at ? 7 : 0;
}

/* The items of text, as record() writes them; the caller frees. */
static char *parse(const char *text, const struct kv_format *fmt, int stop_at, int *rc)
{
	struct log log = {STRBUF_INIT, stop_at, 0};

	*rc = kv_parse(text, strlen(text), fmt, record, &log);
	return strbuf_detach(&log.sb);
}

static void check(const char *text, const struct kv_format *fmt, const char *want, const char *name)
{
	int rc;
	char *got = parse(text, fmt, 0, &rc);

	is_str(got, want, "%s", name);
	ok(rc == 0, "%s: read to the end", name);
	free(got);
}

static void test_equals(void)
{
	check("# signing\n\nsign-key = /etc/k.pem\n  sign-cert=/etc/c.pem  \n", &equals,
	      "E3 [sign-key]=[/etc/k.pem]\nE4 [sign-cert]=[/etc/c.pem]\n",
	      "'=': comments, blank lines and the blanks around keys and values");
	check("\t# an indented comment\n   \n", &equals, "", "'=': indented comment, blank line");
	check("a = b = c\nempty =\n= no key\n", &equals,
	      "E1 [a]=[b = c]\nE2 [empty]=[]\nE3 []=[no key]\n",
	      "'=': the first separator splits; empty values and keys are given as they are");
	check("key = v\r\nother\t=\tw\r\n", &equals, "E1 [key]=[v]\nE2 [other]=[w]\n",
	      "'=': CRLF line ends and tabs");
	check("  just words here  \nk = v", &equals, "N1 [just words here]\nE2 [k]=[v]\n",
	      "'=': a line with no separator is reported, trimmed; a last line without LF");
	check("  indented = value\n    more\n", &equals, "E1 [indented]=[value]\nN2 [more]\n",
	      "'=': no continuation lines");
	check("k: v\n", &equals, "N1 [k: v]\n", "'=': ':' is no separator there");
}

static void test_colon(void)
{
	check("organisation: Example AB\nwhat:\n  First line\n    deeper\n\n  Second\n\n\nnext: "
	      "x\n",
	      &colon,
	      "E1 [organisation]=[Example AB]\nE2 [what]=[First line\n  deeper\n\nSecond]\n"
	      "E9 [next]=[x]\n",
	      "':': continuation lines lose their common indentation, keep paragraph breaks, "
	      "lose trailing empty lines");
	check("what: first\n\n  second\n", &colon, "E1 [what]=[first\n\nsecond]\n",
	      "':': an empty line between the first line and an indented one is kept");
	check("what:\n\n\n  only\n", &colon, "E1 [what]=[only]\n",
	      "':': empty lines before the first line of a value given below its key are dropped");
	check("what: a\n# a comment\n  b\n  # not a comment\n", &colon,
	      "E1 [what]=[a\nb\n# not a comment]\n",
	      "':': comments in the first column are skipped, indented '#' lines are text");
	check("  stray\nkey: v\n", &colon, "S1 [stray]\nE2 [key]=[v]\n",
	      "':': an indented line with nothing above it is reported");
	check("no separator\n  indented\n", &colon, "N1 [no separator]\nS2 [indented]\n",
	      "':': after a bad line, an indented line continues nothing");
	check("Key  :  spaced value \t\nurl: https://x:443/\n", &colon,
	      "E1 [Key]=[spaced value]\nE2 [url]=[https://x:443/]\n",
	      "':': blanks around keys and values; the first ':' splits");
	check("k:\n\tone\n\t  two\n", &colon, "E1 [k]=[one\n  two]\n", "':': tab indentation");
	check("k = v\n", &colon, "N1 [k = v]\n", "':': '=' is no separator there");
	check("", &colon, "", "':': an empty text");
}

static void test_stop_and_take(void)
{
	int rc;
	char *got = parse("a = 1\nb = 2\nc = 3\n", &equals, 2, &rc);

	is_str(got, "E1 [a]=[1]\nE2 [b]=[2]\n", "the handler stops the parse");
	ok(rc == 7, "kv_parse returns what the handler returned");
	free(got);
	got = parse("a: 1\nb:\n  2\n  3\nc: 4\n", &colon, 2, &rc);
	is_str(got, "E1 [a]=[1]\nE2 [b]=[2\n3]\n", "a stop on a continued entry");
	ok(rc == 7, "kv_parse returns it there too");
	free(got);
	got = parse("oops\nb = 2\n", &equals, 1, &rc);
	is_str(got, "N1 [oops]\n", "a stop on a bad line");
	ok(rc == 7, "and its value returned");
	free(got);
	{
		struct log log = {STRBUF_INIT, 0, 0};
		static const char text[] = "take: x\ntake:\n  y\n";

		ok(kv_parse(text, strlen(text), &colon, record, &log) == 0 && log.took == 2,
		   "a handler may take values");
		strbuf_release(&log.sb);
	}
}

int main(void)
{
	test_equals();
	test_colon();
	test_stop_and_take();
	return tap_done();
}
