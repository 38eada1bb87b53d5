/* Unit tests for the UTF-8 decoder (base/utf8.c). */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "base/utf8.h"
#include "tap.h"

/* Encode cp in exactly len bytes, overlong if len is more than cp needs. */
static void encode(uint32_t cp, size_t len, unsigned char *out)
{
	static const unsigned char lead[5] = {0, 0x00, 0xc0, 0xe0, 0xf0};

	for (size_t i = len - 1; i > 0; i--) {
		out[i] = (unsigned char)(0x80 | (cp & 0x3f));
		cp >>= 6;
	}
	out[0] = (unsigned char)(lead[len] | cp);
}

static size_t needed(uint32_t cp)
{
	return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

static void test_every_valid_form(void)
{
	size_t wrong = 0, checked = 0;

	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		unsigned char buf[4];
		size_t len = needed(cp), got;
		uint32_t back = 0xffffffff;

		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		encode(cp, len, buf);
		got = utf8_decode(buf, len, &back);
		checked++;
		if (got != len || back != cp || utf8_sequence_len(buf, len) != len ||
		    !utf8_valid(buf, len)) {
			if (wrong++ < 5)
				printf("# U+%04X not decoded (got %zu, U+%04X)\n", (unsigned)cp,
				       got, (unsigned)back);
		}
	}
	ok(wrong == 0 && checked == 0x110000 - 0x800,
	   "every code point's shortest form decodes to itself (%zu checked)", checked);
	ok(utf8_decode((const unsigned char *)"a\xc3\xa4", 3, NULL) == 1,
	   "the code point is optional");
	{
		static const char mixed[] = "K\xc3\xa4se-\xe6\x97\xa5\xf0\x9f\x98\x80";

		ok(utf8_valid(mixed, sizeof(mixed) - 1), "a string of 1- to 4-byte forms is valid");
	}
	ok(utf8_valid("a\0b", 3), "U+0000 is a valid code point");
	ok(utf8_valid("", 0), "the empty string is valid");
}

static void test_overlong(void)
{
	size_t accepted = 0;

	/* Every overlong form: a 2-byte U+0000..U+007F, 3-byte below U+0800, 4-byte below U+10000.
	 */
	for (size_t len = 2; len <= 4; len++) {
		for (uint32_t cp = 0; needed(cp) < len; cp++) {
			unsigned char buf[4];

			encode(cp, len, buf);
			if (utf8_decode(buf, len, NULL) != 0 || utf8_valid(buf, len))
				accepted++;
		}
	}
	ok(accepted == 0, "no overlong form is accepted");
	ok(utf8_sequence_len((const unsigned char *)"\xc0\x80", 2) == 0,
	   "C0 80 (the overlong NUL) is invalid");
	ok(utf8_sequence_len((const unsigned char *)"\xe0\x80\xaf", 3) == 0,
	   "E0 80 AF (an overlong '/') is invalid");
}

static void test_surrogates_and_range(void)
{
	size_t accepted = 0;
	uint32_t cp = 0xffffffff;

	for (uint32_t s = 0xd800; s <= 0xdfff; s++) {
		unsigned char buf[4];

		encode(s, 3, buf);
		if (utf8_decode(buf, 3, &cp) != 0)
			accepted++;
	}
	ok(accepted == 0 && cp == 0xffffffff, "no surrogate U+D800..U+DFFF is accepted");
	accepted = 0;
	for (uint32_t big = 0x110000; big <= 0x1fffff; big += 0x101) {
		unsigned char buf[4];

		encode(big, 4, buf);
		if (utf8_decode(buf, 4, NULL) != 0)
			accepted++;
	}
	ok(accepted == 0, "no code point past U+10FFFF is accepted");
	ok(utf8_sequence_len((const unsigned char *)"\xf4\x90\x80\x80", 4) == 0,
	   "F4 90 80 80 (U+110000) is invalid");
	ok(utf8_sequence_len((const unsigned char *)"\xf4\x8f\xbf\xbf", 4) == 4,
	   "F4 8F BF BF (U+10FFFF) is valid");
	accepted = 0;
	for (unsigned b = 0xf5; b <= 0xff; b++) {
		unsigned char buf[6] = {(unsigned char)b, 0x80, 0x80, 0x80, 0x80, 0x80};

		if (utf8_decode(buf, sizeof(buf), NULL) != 0)
			accepted++;
	}
	ok(accepted == 0, "lead bytes F5..FF (5- and 6-byte forms) are invalid");
}

static void test_truncated_and_broken(void)
{
	static const uint32_t samples[] = {0x80,   0x7ff,   0x800,   0xe4,
	                                   0xffff, 0x10000, 0x1f600, 0x10ffff};
	size_t accepted = 0, bad_cont = 0;

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		unsigned char buf[4];
		size_t len = needed(samples[i]);

		encode(samples[i], len, buf);
		for (size_t cut = 0; cut < len; cut++)
			if (utf8_decode(buf, cut, NULL) != 0 || utf8_valid(buf, cut) != (cut == 0))
				accepted++;
		/* Each continuation byte replaced by an ASCII byte or a lead byte. */
		for (size_t at = 1; at < len; at++) {
			unsigned char copy[4];

			memcpy(copy, buf, len);
			copy[at] = 'a';
			if (utf8_decode(copy, len, NULL) != 0)
				bad_cont++;
			copy[at] = 0xc3;
			if (utf8_decode(copy, len, NULL) != 0)
				bad_cont++;
		}
	}
	ok(accepted == 0, "every truncated sequence is invalid");
	ok(bad_cont == 0, "a sequence with a byte that is not a continuation byte is invalid");
	accepted = 0;
	for (unsigned b = 0x80; b <= 0xbf; b++) {
		unsigned char c = (unsigned char)b;

		if (utf8_decode(&c, 1, NULL) != 0)
			accepted++;
	}
	ok(accepted == 0, "a lone continuation byte is invalid");
	ok(utf8_decode((const unsigned char *)"a", 0, NULL) == 0, "nothing to decode in 0 bytes");
	ok(!utf8_valid("abc\xc3", 4), "a string ending in a cut sequence is invalid");
	ok(!utf8_valid("a\xed\xa0\x80z", 5), "a string with an encoded surrogate is invalid");
}

int main(void)
{
	test_every_valid_form();
	test_overlong();
	test_surrogates_and_range();
	test_truncated_and_broken();
	return tap_done();
}
