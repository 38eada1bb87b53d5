/*
 * Encoded text inside a line: percent-encoding and base64, decoded, tokenised as a line of its
 * own, and encoded again in the same form when something in it was replaced.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "trust/tokenise-private.h"

/* A base64 run is looked at from this length (8: five bytes, "a2FyaW4=" is "karin"). */
#define BASE64_MIN 8

/*
 * text through this tokeniser as a line of its own, into out (NULL: scanning), with the outer
 * line's state kept. 0, or -1 with tk->failed set.
 */
static int nested(struct tokeniser *tk, const char *text, size_t n, struct strbuf *out)
{
	struct strbuf *outer_out = tk->out;
	const char *outer_line = tk->line;
	size_t outer_copied = tk->copied;
	int outer_at = tk->has_at, outer_pct = tk->has_pct, rc;

	tk->depth++;
	rc = tokenise_run(tk, text, n, out, tk->err);
	tk->depth--;
	tk->out = outer_out;
	tk->line = outer_line;
	tk->copied = outer_copied;
	tk->has_at = outer_at;
	tk->has_pct = outer_pct;
	tk->failed = rc < 0;
	return rc;
}

/* The forms of encoded text. */
enum encoded_kind { ENCODED_PERCENT, ENCODED_BASE64 };

/*
 * May the encoded run s[i..j) be replaced as a whole? Not when a match of the text as it stands
 * could begin inside it and go on past its end: an IPv6 address or a MAC (':'), an e-mail
 * local part ('+', '@', '%'), a word of UTF-8 bytes, and after a base64 run an IPv4 address, a
 * dotted listed name or a local part across a '.'. Such a run is left to the other matchers, as
 * before there were decoders; its decoded text is not redacted.
 */
static int run_ends_cleanly(struct tokeniser *tk, const char *s, size_t i, size_t j, size_t len,
                            enum encoded_kind kind)
{
	int c = j < len ? (unsigned char)s[j] : ' ';

	if (c == ':' || c == '@' || c >= 0x80 || (kind == ENCODED_PERCENT && c == '+') ||
	    (kind == ENCODED_BASE64 && c == '%'))
		return 0;
	if (kind == ENCODED_BASE64 && c == '.') {
		struct strbuf *out = tk->out;
		size_t k = j, e;

		if (j + 1 < len && is_digit((unsigned char)s[j + 1]))
			return 0;
		for (e = j; e < len && is_local((unsigned char)s[e]); e++)
			;
		if (e < len && s[e] == '@')
			return 0;
		/* A listed dotted name from the run's last word on: looked up, nothing written. */
		while (k > i && is_word((unsigned char)s[k - 1]))
			k--;
		tk->out = NULL;
		e = tokenise_match_word(tk, s, k, len);
		tk->out = out;
		if (k + e > j)
			return 0;
	}
	return 1;
}

/*
 * The decoded text of the encoded run s[i..j) through the tokeniser. Scanning, its addresses
 * are noted and nothing is consumed (the run is scanned as it stands, too). Redacting, a run
 * whose decoded text changes is replaced by encode(the redacted text) and consumed, when it
 * ends cleanly (run_ends_cleanly). A percent-encoded run's new text then goes through the
 * listed names once more, as it stands: "karin%2D10.0.0.1" decodes to one word, but karin is a
 * word of its own in the text. A run that does not change, or cannot be replaced whole, is left
 * to the other matchers, so that a listed name that happens to decode to text is still replaced
 * as itself. Returns what was consumed.
 */
static size_t through_decoded(struct tokeniser *tk, const char *s, size_t i, size_t j, size_t len,
                              const struct strbuf *decoded, enum encoded_kind kind,
                              void (*encode)(struct strbuf *to, const char *t, size_t n,
                                             const void *how),
                              const void *how)
{
	struct strbuf red = STRBUF_INIT, enc = STRBUF_INIT, words = STRBUF_INIT;
	size_t used = 0;

	if (tk->out == NULL) {
		nested(tk, decoded->buf, decoded->len, NULL);
		return 0;
	}
	if (nested(tk, decoded->buf, decoded->len, &red) == 0 &&
	    (red.len != decoded->len || memcmp(red.buf, decoded->buf, red.len) != 0) &&
	    run_ends_cleanly(tk, s, i, j, len, kind)) {
		const struct strbuf *text = &enc;

		encode(&enc, red.buf, red.len, how);
		if (kind == ENCODED_PERCENT) {
			tk->words_only++;
			if (nested(tk, enc.buf, enc.len, &words) < 0) {
				tk->words_only--;
				goto out;
			}
			tk->words_only--;
			text = &words;
		}
		copy_to(tk, s + i);
		tk->copied += j - i;
		strbuf_add(tk->out, text->buf, text->len);
		used = j - i;
	}
out:
	strbuf_release(&red);
	strbuf_release(&enc);
	strbuf_release(&words);
	return used;
}

/*
 * Percent-encoding of text: unreserved characters as they are, every other byte as %XX, and so
 * is every byte the run had escaped (how: a set of 256 bits), so that "%2D" stays "%2D".
 */
static void percent_encode(struct strbuf *to, const char *t, size_t n, const void *how)
{
	static const char hex[] = "0123456789ABCDEF";
	const uint8_t *escaped = how;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)t[i];

		if (is_url_char(c) && c != '%' && !(escaped[c >> 3] >> (c & 7) & 1)) {
			strbuf_addch(to, (char)c);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};

			strbuf_add(to, e, 3);
		}
	}
}

/*
 * A run of unreserved characters with at least one %XX (karin%40example.org,
 * 10%2E0%2E0%2E1): decoded, tokenised, and encoded again if anything in it was replaced.
 */
size_t tokenise_match_percent(struct tokeniser *tk, const char *s, size_t i, size_t len)
{
	struct strbuf dec = STRBUF_INIT;
	size_t j = i, escapes = 0, used;
	uint8_t escaped[32] = {0};

	if (i > 0 && is_url_char((unsigned char)s[i - 1]))
		return 0;
	while (j < len && is_url_char((unsigned char)s[j])) {
		if (s[j] == '%' && j + 2 < len && is_hex((unsigned char)s[j + 1]) &&
		    is_hex((unsigned char)s[j + 2])) {
			int c = hex_digit_value((unsigned char)s[j + 1]) << 4 |
			        hex_digit_value((unsigned char)s[j + 2]);

			strbuf_addch(&dec, (char)c);
			escaped[c >> 3] |= (uint8_t)(1u << (c & 7));
			escapes++;
			j += 3;
		} else {
			strbuf_addch(&dec, s[j++]);
		}
	}
	used = escapes ? through_decoded(tk, s, i, j, len, &dec, ENCODED_PERCENT, percent_encode,
	                                 escaped)
	               : 0;
	strbuf_release(&dec);
	return used;
}

/* How a base64 run was written: its alphabet's last two characters, and its padding. */
struct base64_form {
	char c62, c63;
	int padded;
};

static void base64_encode(struct strbuf *to, const char *t, size_t n, const void *how)
{
	const struct base64_form *f = how;
	char alphabet[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	alphabet[62] = f->c62;
	alphabet[63] = f->c63;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)t[i] << 16;
		size_t k = n - i < 3 ? n - i : 3;

		if (k > 1)
			v |= (uint32_t)(unsigned char)t[i + 1] << 8;
		if (k > 2)
			v |= (unsigned char)t[i + 2];
		for (size_t q = 0; q < 4; q++) {
			if (q <= k)
				strbuf_addch(to, alphabet[v >> (18 - 6 * q) & 63]);
			else if (f->padded)
				strbuf_addch(to, '=');
		}
	}
}

/* A base64 character's value, in either alphabet (+ and - are 62, / and _ are 63). */
static uint32_t base64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return (uint32_t)(c - 'A');
	if (c >= 'a' && c <= 'z')
		return (uint32_t)(c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (uint32_t)(c - '0' + 52);
	return c == '+' || c == '-' ? 62 : 63;
}

struct base64_reader {
	uint32_t acc;
	int bits;
};

/*
 * One base64 character into r: the byte it completes (0 to 255), -1 when it completes none,
 * or -2 when that byte is not text (printable ASCII or a tab).
 */
static int base64_feed(struct base64_reader *r, int ch)
{
	int c;

	r->acc = r->acc << 6 | base64_value(ch);
	r->bits += 6;
	if (r->bits < 8)
		return -1;
	r->bits -= 8;
	c = (int)(r->acc >> r->bits & 0xff);
	return (c < 0x20 && c != '\t') || c > 0x7e ? -2 : c;
}

/*
 * A base64 run (Basic a2FyaW46c2VjcmV0, a cookie, a JWT's parts) that decodes to printable
 * ASCII: decoded, tokenised, and encoded again in its alphabet if anything was replaced. Most
 * words are not whole base64 quanta or decode to control bytes, and are left at once.
 */
size_t tokenise_match_base64(struct tokeniser *tk, const char *s, size_t i, size_t len)
{
	struct base64_form f = {'+', '/', 0};
	struct strbuf dec = STRBUF_INIT;
	struct base64_reader r = {0, 0};
	size_t j = i, n, pad = 0, used = 0;
	int url = 0, std = 0, c;

	if (!tokenise_base64_may_match(s, i))
		return 0;
	/* Most words fail at their second or third character: a control or non-ASCII byte. */
	while (j < len && is_base64_char((unsigned char)s[j])) {
		url |= s[j] == '-' || s[j] == '_';
		std |= s[j] == '+' || s[j] == '/';
		if (base64_feed(&r, (unsigned char)s[j]) == -2)
			return 0;
		j++;
	}
	n = j - i;
	while (j < len && s[j] == '=' && pad < 2) {
		pad++;
		j++;
	}
	/* One alphabet, whole quanta when padded, never one character over a quantum. */
	if (n + pad < BASE64_MIN || (url && std) || (pad && (n + pad) % 4 != 0) || n % 4 == 1 ||
	    (j < len && (is_base64_char((unsigned char)s[j]) || s[j] == '=')))
		return 0;
	if (url) {
		f.c62 = '-';
		f.c63 = '_';
	}
	/* Unpadded whole quanta say nothing: standard base64 pads (HTTP Basic), URL-safe
	 * base64 mostly does not (JWT). */
	f.padded = pad > 0 || (n % 4 == 0 && !url);
	r = (struct base64_reader){0, 0};
	for (size_t k = i; k < i + n; k++)
		if ((c = base64_feed(&r, (unsigned char)s[k])) >= 0)
			strbuf_addch(&dec, (char)c);
	if (dec.len >= 4)
		used = through_decoded(tk, s, i, j, len, &dec, ENCODED_BASE64, base64_encode, &f);
	strbuf_release(&dec);
	return used;
}
