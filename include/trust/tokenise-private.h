/*
 * What tokenise.c and the files beside it (tokenise-address.c, tokenise-encoded.c,
 * tokenise-phone.c) share: the tokeniser's state, the byte classes and small helpers, the
 * matchers that tokenise.c's scanner calls out to, and the scanner's entry points that the
 * decoders of encoded text call back into.
 */
#ifndef LOGPACK_TOKENISE_PRIVATE_H
#define LOGPACK_TOKENISE_PRIVATE_H

#include <stdint.h>
#include <string.h>

#include "trust/tokenise.h"

/* Decoded text inside decoded text is followed this deep (base64 in a percent-encoded URL). */
#define DECODE_DEPTH_MAX 2

struct word {
	char *name; /* lower case */
	size_t len;
	enum pseudo_type type;
	int account_only;
	int kept; /* --keep: stays in clear wherever it stands */
	char token[PSEUDO_TOKEN_MAX + 1];
};

/*
 * The addresses this tokeniser met last, and their results (or, while scanning, that they were
 * noted): logs name the same few addresses again and again, and the address map is shared
 * under a lock. Direct-mapped; a result never changes once made.
 */
#define ADDR_CACHE_SLOTS 1024
struct addr_cached {
	struct ipaddr in, out;
	uint8_t state; /* 0 empty, 1 noted, 2 mapped */
};

/* An entry of the set of what was told: the original's bytes are in told_text. */
struct told {
	uint64_t hash; /* 0: empty */
	size_t at, len;
	enum pseudo_type type;
};

/* A telephone number to replace (tokeniser_add_phone), and how it was written. */
enum { PHONE_LOCAL, PHONE_TRUNK, PHONE_INTERNATIONAL };
struct tokenise_phone {
	char digits[TOKENISE_PHONE_DIGITS_MAX + 1]; /* without "+", "00" or the trunk "0" */
	size_t len;
	int form; /* how it was written: digits begin with the country code, or not */
	char token[PSEUDO_TOKEN_MAX + 1];
};

struct tokeniser {
	const struct pseudo_keys *keys;
	struct addrmap *am;
	struct word *words; /* open addressing; name NULL = empty */
	size_t cap, count;
	/* Which lengths some listed name has: only those ends of a run are looked up. */
	uint8_t has_len[TOKENISE_NAME_MAX + 1];
	size_t max_len; /* the longest listed name: no run is looked at further */
	/*
	 * The first two bytes (lower case) of every listed name, one bit each: a word whose first
	 * two bytes no name has is passed over without hashing it. A one-byte name sets its byte
	 * followed by 0 and by '.', the bytes that can follow it in a run.
	 */
	uint8_t first_two[65536 / 8];
	/* Telephone numbers to replace (tokeniser_add_phone), in their digits. */
	struct tokenise_phone *phones;
	size_t phone_count;
	tokenise_observer observer;
	void *observer_arg;
	/* What the observer was told (type, original): each once, not at every occurrence. */
	struct told *told;
	size_t told_cap, told_count;
	struct addr_cached *addr_cache; /* ADDR_CACHE_SLOTS, made at the first address */
	struct strbuf told_text;
	/* A worker (tokeniser_worker): the word table is its parent's, and the lock is held
	 * around what the workers share (the address map, the keys, the observer). */
	int borrowed;
	pthread_mutex_t *lock;
	/* The pass: NULL while scanning (addresses are only noted), the output otherwise. */
	struct strbuf *out;
	/* The line being read, and how much of it is out: text that stays is copied in one
	 * piece, up to the next replacement. */
	const char *line;
	size_t copied;
	int has_at;     /* the line has an '@': e-mail addresses are looked for */
	int has_pct;    /* the line has a '%': percent-encoded runs are looked for */
	int depth;      /* how deep in decoded text (percent-encoding, base64) this run is */
	int words_only; /* only listed names are looked for (an encoded run's new text) */
	struct error *err;
	int failed;
};

/*
 * Byte classes, looked up in one table: the scanner asks them of every byte of every line, and
 * a table keeps that to a load and a test.
 */
enum {
	CLASS_DIGIT = 1,
	CLASS_HEX = 2,     /* 0-9 a-f A-F */
	CLASS_ALNUM = 4,   /* 0-9 a-z A-Z */
	CLASS_WORD = 8,    /* a character of a word: alnum, _ -, and UTF-8 bytes */
	CLASS_LOCAL = 16,  /* of an e-mail local part: alnum . _ % + - */
	CLASS_BASE64 = 32, /* of base64 in either alphabet: alnum + / - _ */
	CLASS_URL = 64     /* unreserved in a URL, and '%': alnum - . _ ~ % */
};

/* The classes of every byte, made once by the first tokeniser_new. */
extern unsigned char tokenise_byte_class[256];

static inline int is_digit(int c)
{
	return tokenise_byte_class[c & 0xff] & CLASS_DIGIT;
}

static inline int is_hex(int c)
{
	return tokenise_byte_class[c & 0xff] & CLASS_HEX;
}

static inline int is_alnum(int c)
{
	return tokenise_byte_class[c & 0xff] & CLASS_ALNUM;
}

/* A character of a word: names are matched as whole words of these (UTF-8 bytes included). */
static inline int is_word(int c)
{
	return tokenise_byte_class[c & 0xff] & CLASS_WORD;
}

static inline int is_local(int c)
{
	return tokenise_byte_class[c & 0xff] & CLASS_LOCAL;
}

/* Unreserved URL characters and '%': what a percent-encoded run is made of (RFC 3986). */
static inline int is_url_char(int c)
{
	return tokenise_byte_class[c & 0xff] & CLASS_URL;
}

static inline int is_base64_char(int c)
{
	return tokenise_byte_class[c & 0xff] & CLASS_BASE64;
}

/* ASCII's lower case, whatever the locale: names and the words around them are compared
 * byte by byte. */
static inline int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Does s (len bytes) begin with prefix (given in lower case), in any case? */
static inline int has_prefix_ci(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	if (len < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s[i]) != prefix[i])
			return 0;
	return 1;
}

/* The longest run of hex digits, ':' and '.' the IPv6 matcher reads (an address with an IPv4
 * address at its end is at most 45 characters). */
#define TOKENISE_ADDR_WINDOW 45

/*
 * Where a ':' follows the first hex digits: a MAC has five ':' and an IPv6 address has "::" or
 * at least six ':' (seven, or six before an IPv4 address), all in the run of hex digits, ':'
 * and '.' that begins at s[i]. Times ("03:59:47") have two, and pass here.
 */
static inline int tokenise_colons_may_match(const char *s, size_t i, size_t len)
{
	size_t n = 0, colons = 0;
	int doubled = 0;

	while (i + n < len && n <= TOKENISE_ADDR_WINDOW) {
		int c = (unsigned char)s[i + n];

		if (c == ':') {
			colons++;
			doubled |= n > 0 && s[i + n - 1] == ':';
		} else if (c != '.' && !is_hex(c)) {
			break;
		}
		n++;
	}
	return colons >= 5 || doubled || n > TOKENISE_ADDR_WINDOW;
}

/*
 * Whether a MAC, an ip6.arpa name or an IPv6 address may begin at s[i]: a test that each of the
 * three matchers needs to pass, made on at most six bytes (the run's, where ':' follows), so
 * that the words of a line that begin with a hex digit (most of them: "daemon", "failed",
 * 2026) pass without a call to any.
 * Each begins with a run of hex digits and a separator. A MAC: two digits and ':' or '-', or
 * four and '.' (0011.2233.4455). An ip6.arpa name: one digit and '.'. An IPv6 address: at most
 * four digits and ':', or "::" (inet_pton reads no more than four digits in a group, and an
 * embedded IPv4 address only at the end, after a ':').
 */
static inline int tokenise_hex_may_match(const char *s, size_t i, size_t len)
{
	size_t k = 0;

	while (i + k < len && k < 5 && is_hex((unsigned char)s[i + k]))
		k++;
	if (i + k == len)
		return 0;
	switch (s[i + k]) {
	case ':':
		return k > 0 ? k <= 4 && tokenise_colons_may_match(s, i, len)
		             : i + 1 < len && s[i + 1] == ':';
	case '-':
		return k == 2;
	case '.':
		return k == 1 || k == 4;
	default:
		return 0;
	}
}

/*
 * Whether an IPv4 address (with dots or dashes) or an in-addr.arpa name may begin at s[i]: each
 * begins with one to three digits and '.', '-' or '_'. Most numbers of a line (times, process
 * ids, ports, dates) do not, and pass without a call to either matcher.
 */
static inline int tokenise_ipv4_may_match(const char *s, size_t i, size_t len)
{
	size_t k = 0;

	while (i + k < len && k < 4 && is_digit((unsigned char)s[i + k]))
		k++;
	return k >= 1 && k <= 3 && i + k < len &&
	       (s[i + k] == '.' || s[i + k] == '-' || s[i + k] == '_');
}

/* Whether base64 that begins with c may decode to text. The first byte decoded is the first
 * character's 6 bits and 2 more: text (0x20 to 0x7e, or a tab) only when c is C, I to Z or a
 * to f. */
static inline int tokenise_base64_text_first(int c)
{
	return (c >= 'I' && c <= 'Z') || (c >= 'a' && c <= 'f') || c == 'C';
}

/*
 * Whether a base64 run that decodes to text may begin at s[i]. After '=' it may (cookie=...,
 * token=...), not inside a run. Most words stop here, in the scanner, without a call to the
 * matcher.
 */
static inline int tokenise_base64_may_match(const char *s, size_t i)
{
	if (i > 0 && is_base64_char((unsigned char)s[i - 1]))
		return 0;
	return tokenise_base64_text_first((unsigned char)s[i]);
}

/* The line's text up to at goes out as it is. */
static inline void copy_to(struct tokeniser *tk, const char *at)
{
	size_t upto = (size_t)(at - tk->line);

	if (tk->out && upto > tk->copied)
		strbuf_add(tk->out, tk->line + tk->copied, upto - tk->copied);
	tk->copied = upto;
}

/* Around what a worker shares with the others (the address map, the keys, the observer): a
 * tokeniser of its own has no lock to take. */
static inline void shared_begin(const struct tokeniser *tk)
{
	if (tk->lock)
		pthread_mutex_lock(tk->lock);
}

static inline void shared_end(const struct tokeniser *tk)
{
	if (tk->lock)
		pthread_mutex_unlock(tk->lock);
}

/*
 * s through tk as a line of its own: into out, or only scanned (out NULL). 0, or -1 with err
 * set.
 */
int tokenise_run(struct tokeniser *tk, const char *s, size_t len, struct strbuf *out,
                 struct error *err);
/* orig[0..len) is replaced by repl (told to the observer once); the text before it goes out. */
void tokenise_replaced(struct tokeniser *tk, enum pseudo_type type, const char *orig, size_t len,
                       const char *repl);
/*
 * The address matchers (tokenise-address.c), each at s[i]: a MAC; an ip6.arpa name; an IPv6
 * address; an IPv4 address or an in-addr.arpa name; an IPv4 address written with dashes in a
 * host name. What it consumed (0: none; tk->failed is set when a replacement failed).
 */
size_t tokenise_match_mac(struct tokeniser *tk, const char *s, size_t i, size_t len);
size_t tokenise_match_ip6_arpa(struct tokeniser *tk, const char *s, size_t i, size_t len);
size_t tokenise_match_ipv6(struct tokeniser *tk, const char *s, size_t i, size_t len);
size_t tokenise_match_ipv4(struct tokeniser *tk, const char *s, size_t i, size_t len);
size_t tokenise_match_ipv4_dashed(struct tokeniser *tk, const char *s, size_t i, size_t len);
/* A listed telephone number at s[i], in any of its usual forms: what it consumed. */
size_t tokenise_match_phone(struct tokeniser *tk, const char *s, size_t i, size_t len);
/* A listed name at s[i]: what it consumed (0: none). */
size_t tokenise_match_word(struct tokeniser *tk, const char *s, size_t i, size_t len);
/* A percent-encoded or base64 run at s[i], through its decoded text: what it consumed. */
size_t tokenise_match_percent(struct tokeniser *tk, const char *s, size_t i, size_t len);
size_t tokenise_match_base64(struct tokeniser *tk, const char *s, size_t i, size_t len);

#endif
