/* Making outside text safe to show on a terminal. */
#include "config.h"

#include <string.h>

#include "base/printable.h"
#include "base/utf8.h"
#include "base/util.h"

int printable_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
	       (cp >= 0x200e && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

char *printable_text(const void *s, size_t len, size_t max_input, unsigned flags)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = s;
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0;

	strbuf_grow(&sb, len < 256 ? len : 256);
	while (i < len) {
		uint32_t cp = 0;
		size_t n;

		if (max_input > 0 && i >= max_input) {
			strbuf_addstr(&sb, "...");
			break;
		}
		n = utf8_decode(p + i, len - i, &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f) {
			int keep = n == 1 && ((cp == '\n' && (flags & PRINTABLE_KEEP_NEWLINE)) ||
			                      (cp == '\t' && (flags & PRINTABLE_KEEP_TAB)));

			if (keep) {
				strbuf_addch(&sb, (char)cp);
			} else {
				char esc[4] = {'\\', 'x', digits[p[i] >> 4], digits[p[i] & 15]};

				strbuf_add(&sb, esc, sizeof(esc));
			}
			i++;
			continue;
		}
		if (printable_is_control(cp))
			strbuf_addf(&sb, "\\u{%04X}", (unsigned)cp);
		else
			strbuf_add(&sb, p + i, n);
		i += n;
	}
	return strbuf_detach(&sb);
}

char *printable(const char *s)
{
	return printable_text(s, strlen(s), 0, 0);
}
