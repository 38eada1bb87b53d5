/* Unit tests for the terminal escaping every command uses (base/printable.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/printable.h"
#include "tap.h"

static void shows(const char *in, size_t len, size_t max, unsigned flags, const char *want,
                  const char *what)
{
	char *got = printable_text(in, len, max, flags);

	is_str(got, want, "%s", what);
	free(got);
}

int main(void)
{
	shows("plain text", 10, 0, 0, "plain text", "plain text passes");
	shows("K\xc3\xa4se \xe6\x97\xa5", 9, 0, 0, "K\xc3\xa4se \xe6\x97\xa5", "UTF-8 passes");
	shows("a\x1b[2Jb", 6, 0, 0, "a\\x1b[2Jb", "ESC (C0) as \\xHH");
	shows("del\x7f", 4, 0, 0, "del\\x7f", "DEL as \\xHH");
	shows("nul\0x", 5, 0, 0, "nul\\x00x", "an embedded NUL as \\x00");
	shows("csi\xc2\x9b"
	      "2J",
	      7, 0, 0, "csi\\u{009B}2J", "C1 CSI (U+009B) as \\u{009B}");
	shows("nel\xc2\x85", 5, 0, 0, "nel\\u{0085}", "C1 NEL (U+0085)");
	shows("\xc2\xa0nbsp", 6, 0, 0, "\xc2\xa0nbsp", "U+00A0 is not a control");
	shows("ab\xe2\x80\xae"
	      "cd",
	      7, 0, 0, "ab\\u{202E}cd", "RIGHT-TO-LEFT OVERRIDE");
	shows("\xe2\x81\xa6x\xe2\x81\xa9", 7, 0, 0, "\\u{2066}x\\u{2069}", "bidi isolates");
	shows("\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f", 8, 0, 0, "\\u{061C}\\u{200E}\\u{200F}",
	      "Arabic letter mark, LRM, RLM");
	shows("bad\xff\xc3", 5, 0, 0, "bad\\xff\\xc3", "bytes that are not UTF-8 as \\xHH");
	shows("\xc0\xaf", 2, 0, 0, "\\xc0\\xaf", "an overlong form as bytes");
	shows("l1\nl2\tx", 7, 0, 0, "l1\\x0al2\\x09x", "newline and tab escaped by default");
	shows("l1\nl2\tx", 7, 0, PRINTABLE_KEEP_NEWLINE | PRINTABLE_KEEP_TAB, "l1\nl2\tx",
	      "newline and tab kept when asked");
	shows("abcdef", 6, 3, 0, "abc...", "cut after max_input bytes");
	shows("abc", 3, 3, 0, "abc", "not cut at exactly max_input");

	char *p = printable("x\x1b");
	is_str(p, "x\\x1b", "printable() of a string");
	free(p);

	ok(printable_is_control(0x9b) && printable_is_control(0x202e) &&
	           !printable_is_control(0xa0) && !printable_is_control('a'),
	   "printable_is_control");
	return tap_done();
}
