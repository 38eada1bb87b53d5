/*
 * The tokeniser. One left-to-right pass over the line; at each position the matchers are tried
 * in a fixed order (MAC, ip6.arpa name, IPv6, IPv4 and in-addr.arpa name, IPv4 with dashes,
 * e-mail local part, listed name), each only where a token can start and over a bounded
 * window, and the first that matches consumes its text. Nothing matched: the byte is copied.
 * The address and MAC matchers are in tokenise-address.c, the telephone numbers in
 * tokenise-phone.c, the decoders of encoded text in tokenise-encoded.c.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "trust/tokenise-private.h"

/* User names that are ordinary words too: replaced only where the text names an account. */
static const char *const common_words[] = {
        "adm",    "admin",    "backup", "bin",  "daemon", "ftp",   "games",
        "guest",  "irc",      "list",   "lp",   "mail",   "man",   "news",
        "nobody", "operator", "proxy",  "root", "sync",   "sys",   "test",
        "user",   "uucp",     "web",    "www",  "git",    "staff", "messagebus",
};

unsigned char tokenise_byte_class[256];
/* may_start's answer for each (byte before, byte), computed from it once. */
static uint8_t start_after[256][256];
/* The same, for the first pass: where an address may begin, or an encoded run holding one. */
static uint8_t address_start_after[256][256];

static int may_start_bytes(int prev, int c);
static int address_may_start_bytes(int prev, int c);

static void byte_classes_init(void)
{
	for (int c = 0; c < 256; c++) {
		int digit = c >= '0' && c <= '9';
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		int hex = digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		int alnum = digit || alpha;

		tokenise_byte_class[c] =
		        (unsigned char)((digit ? CLASS_DIGIT : 0) | (hex ? CLASS_HEX : 0) |
		                        (alnum ? CLASS_ALNUM : 0) |
		                        (alnum || c == '_' || c == '-' || c >= 0x80 ? CLASS_WORD
		                                                                    : 0) |
		                        (alnum || c == '.' || c == '_' || c == '%' || c == '+' ||
		                                         c == '-'
		                                 ? CLASS_LOCAL
		                                 : 0) |
		                        (alnum || c == '+' || c == '/' || c == '-' || c == '_'
		                                 ? CLASS_BASE64
		                                 : 0) |
		                        (alnum || c == '-' || c == '.' || c == '_' || c == '~' ||
		                                         c == '%'
		                                 ? CLASS_URL
		                                 : 0));
	}
	for (int prev = 0; prev < 256; prev++)
		for (int c = 0; c < 256; c++) {
			start_after[prev][c] = (uint8_t)may_start_bytes(prev, c);
			address_start_after[prev][c] = (uint8_t)address_may_start_bytes(prev, c);
		}
}

int tokeniser_is_common_word(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(common_words) / sizeof(common_words[0]); i++)
		if (strlen(common_words[i]) == len) {
			size_t j = 0;

			while (j < len && lower((unsigned char)name[j]) == common_words[i][j])
				j++;
			if (j == len)
				return 1;
		}
	return len <= 2;
}

struct tokeniser *tokeniser_new(const struct pseudo_keys *keys, struct addrmap *am)
{
	static pthread_once_t classes_once = PTHREAD_ONCE_INIT;
	struct tokeniser *tk = xcalloc(1, sizeof(*tk));

	pthread_once(&classes_once, byte_classes_init);

	tk->keys = keys;
	tk->am = am;
	return tk;
}

struct tokeniser *tokeniser_worker(const struct tokeniser *tk, pthread_mutex_t *lock)
{
	struct tokeniser *w = xcalloc(1, sizeof(*w));

	*w = *tk;
	w->borrowed = 1;
	w->lock = lock;
	w->told = NULL;
	w->told_cap = w->told_count = 0;
	w->addr_cache = NULL;
	w->told_text = (struct strbuf)STRBUF_INIT;
	w->out = NULL;
	w->err = NULL;
	w->failed = 0;
	return w;
}

void tokeniser_free(struct tokeniser *tk)
{
	if (tk == NULL)
		return;
	if (!tk->borrowed) {
		for (size_t i = 0; i < tk->cap; i++)
			if (tk->words[i].name) {
				OPENSSL_cleanse(tk->words[i].name, tk->words[i].len);
				free(tk->words[i].name);
			}
		free(tk->words);
		if (tk->phones)
			OPENSSL_cleanse(tk->phones, tk->phone_count * sizeof(*tk->phones));
		free(tk->phones);
	}
	free(tk->told);
	free(tk->addr_cache);
	if (tk->told_text.buf)
		OPENSSL_cleanse(tk->told_text.buf, tk->told_text.len);
	strbuf_release(&tk->told_text);
	free(tk);
}

void tokeniser_set_observer(struct tokeniser *tk, tokenise_observer fn, void *arg)
{
	tk->observer = fn;
	tk->observer_arg = arg;
}

#define WORD_HASH_INIT 1469598103934665603ULL /* FNV-1a, over the lower-case bytes */

static uint64_t word_hash_step(uint64_t h, int c)
{
	return (h ^ (uint8_t)lower(c)) * 1099511628211ULL;
}

/* FNV's low bits depend only on the bytes' low bits: mix the high ones in (MurmurHash3's
 * finaliser), since the table index is the low bits. */
static size_t word_hash_final(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (size_t)h;
}

static size_t word_hash(const char *s, size_t len)
{
	uint64_t h = WORD_HASH_INIT;

	for (size_t i = 0; i < len; i++)
		h = word_hash_step(h, (unsigned char)s[i]);
	return word_hash_final(h);
}

static struct word *word_find_hashed(const struct tokeniser *tk, const char *s, size_t len,
                                     size_t hash)
{
	if (tk->cap == 0)
		return NULL;
	for (size_t i = hash & (tk->cap - 1); tk->words[i].name; i = (i + 1) & (tk->cap - 1)) {
		struct word *w = &tk->words[i];
		size_t j = 0;

		if (w->len != len)
			continue;
		while (j < len && lower((unsigned char)s[j]) == w->name[j])
			j++;
		if (j == len)
			return w;
	}
	return NULL;
}

static struct word *word_find(const struct tokeniser *tk, const char *s, size_t len)
{
	return word_find_hashed(tk, s, len, word_hash(s, len));
}

static void word_insert(struct tokeniser *tk, const struct word *w)
{
	size_t i = word_hash(w->name, w->len) & (tk->cap - 1);

	while (tk->words[i].name)
		i = (i + 1) & (tk->cap - 1);
	tk->words[i] = *w;
	tk->count++;
}

static void first_two_set(struct tokeniser *tk, int a, int b)
{
	unsigned k = (unsigned)a << 8 | (unsigned)b;

	tk->first_two[k >> 3] |= (uint8_t)(1u << (k & 7));
}

static int first_two_has(const struct tokeniser *tk, int a, int b)
{
	unsigned k = (unsigned)a << 8 | (unsigned)b;

	return tk->first_two[k >> 3] >> (k & 7) & 1;
}

static int add_name(struct tokeniser *tk, enum pseudo_type type, const char *name, int account_only,
                    int kept, struct error *err)
{
	size_t len = strlen(name);
	struct word w = {0};

	if (tk->borrowed) {
		error_set(err, "names are listed in the tokeniser, not in a worker");
		return -1;
	}
	if (type != PSEUDO_USERS && type != PSEUDO_HOSTS && type != PSEUDO_WORDS) {
		error_set(err, "only user names, host names and words are listed");
		return -1;
	}
	if (len == 0 || len > TOKENISE_NAME_MAX) {
		error_set(err, "a name to replace has 1 to %d characters", TOKENISE_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if (!is_word((unsigned char)name[i]) && name[i] != '.') {
			error_set(err,
			          "'%s': a name to replace has only letters, digits, '.', '_' "
			          "and '-'",
			          name);
			return -1;
		}
	if (name[0] == '.' || name[len - 1] == '.') {
		error_set(err, "'%s': a name to replace does not begin or end with '.'", name);
		return -1;
	}
	if (word_find(tk, name, len))
		return 0; /* the first listing wins: one name, one token */
	if ((tk->count + 1) * 2 > tk->cap) {
		struct word *old = tk->words;
		size_t old_cap = tk->cap;

		tk->cap = tk->cap ? tk->cap * 2 : 64;
		tk->words = xcalloc(tk->cap, sizeof(*tk->words));
		tk->count = 0;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].name)
				word_insert(tk, &old[i]);
		free(old);
	}
	w.name = xstrdup(name);
	w.len = len;
	for (size_t i = 0; i < len; i++)
		w.name[i] = (char)lower((unsigned char)w.name[i]);
	w.type = type;
	w.account_only = account_only;
	w.kept = kept;
	if (pseudo_token(tk->keys, type, name, len, w.token, err) < 0) {
		free(w.name);
		return -1;
	}
	word_insert(tk, &w);
	tk->has_len[len] = 1;
	if (len == 1) {
		first_two_set(tk, lower((unsigned char)name[0]), 0);
		first_two_set(tk, lower((unsigned char)name[0]), '.');
	} else {
		first_two_set(tk, lower((unsigned char)name[0]), lower((unsigned char)name[1]));
	}
	if (len > tk->max_len)
		tk->max_len = len;
	return 0;
}

int tokeniser_add(struct tokeniser *tk, enum pseudo_type type, const char *name, struct error *err)
{
	return add_name(tk, type, name,
	                type == PSEUDO_USERS && tokeniser_is_common_word(name, strlen(name)), 0,
	                err);
}

int tokeniser_keep(struct tokeniser *tk, const char *name, struct error *err)
{
	return add_name(tk, PSEUDO_WORDS, name, 0, 1, err);
}

int tokeniser_add_account(struct tokeniser *tk, const char *name, int anywhere, struct error *err)
{
	return add_name(tk, PSEUDO_USERS, name,
	                !anywhere || tokeniser_is_common_word(name, strlen(name)), 0, err);
}

/* --- output */

/* Is (type, orig) told already? If not, it is added and 0 returned. */
static int told_before(struct tokeniser *tk, enum pseudo_type type, const char *orig, size_t len)
{
	uint64_t h = WORD_HASH_INIT ^ (uint64_t)type;
	size_t i;

	for (size_t k = 0; k < len; k++)
		h = (h ^ (uint8_t)orig[k]) * 1099511628211ULL;
	h = word_hash_final(h) | 1; /* never 0, the empty slot's */
	if ((tk->told_count + 1) * 2 > tk->told_cap) {
		struct told *old = tk->told;
		size_t old_cap = tk->told_cap;

		tk->told_cap = old_cap ? old_cap * 2 : 256;
		tk->told = xcalloc(tk->told_cap, sizeof(*tk->told));
		for (size_t k = 0; k < old_cap; k++)
			if (old[k].hash) {
				for (i = old[k].hash & (tk->told_cap - 1); tk->told[i].hash;
				     i = (i + 1) & (tk->told_cap - 1))
					;
				tk->told[i] = old[k];
			}
		free(old);
	}
	for (i = h & (tk->told_cap - 1); tk->told[i].hash; i = (i + 1) & (tk->told_cap - 1)) {
		const struct told *t = &tk->told[i];

		if (t->hash == h && t->type == type && t->len == len &&
		    memcmp(tk->told_text.buf + t->at, orig, len) == 0)
			return 1;
	}
	tk->told[i] = (struct told){h, tk->told_text.len, len, type};
	strbuf_add(&tk->told_text, orig, len);
	tk->told_count++;
	return 0;
}

static void tell(struct tokeniser *tk, enum pseudo_type type, const char *orig, size_t len,
                 const char *repl)
{
	/* What stays as it was (a kept or special address) is no replacement, and must not hide
	 * a later one of the same text (1.0.0.127.in-addr.arpa stays; 1.0.0.127 does not). */
	if (tk->observer == NULL || (strlen(repl) == len && memcmp(repl, orig, len) == 0) ||
	    told_before(tk, type, orig, len))
		return;
	shared_begin(tk);
	tk->observer(tk->observer_arg, type, orig, len, repl);
	shared_end(tk);
}

void tokenise_replaced(struct tokeniser *tk, enum pseudo_type type, const char *orig, size_t len,
                       const char *repl)
{
	copy_to(tk, orig);
	tk->copied += len;
	if (tk->out) {
		strbuf_add(tk->out, repl, strlen(repl));
		tell(tk, type, orig, len, repl);
	}
}

static int locked_token(struct tokeniser *tk, enum pseudo_type type, const char *text, size_t len,
                        char out[PSEUDO_TOKEN_MAX + 1], struct error *err)
{
	int rc;

	shared_begin(tk);
	rc = pseudo_token(tk->keys, type, text, len, out, err);
	shared_end(tk);
	return rc;
}

/* --- matchers: each returns how many bytes it consumed (0: no match) */

/* systemd's user@1000.service and the like are unit names, not e-mail addresses. */
static int is_unit_name(const char *d, size_t n)
{
	static const char *const suffixes[] = {".service", ".slice", ".scope", ".socket",
	                                       ".target",  ".mount", ".timer"};

	while (n > 0 && d[n - 1] == '.') /* the end of a sentence */
		n--;
	if (n == 0 || !is_digit((unsigned char)d[0]))
		return 0;
	for (size_t k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++) {
		size_t sl = strlen(suffixes[k]);

		if (n >= sl && memcmp(d + n - sl, suffixes[k], sl) == 0)
			return 1;
	}
	return 0;
}

/* The local part of local@domain (the domain is left to the other matchers). */
static size_t match_email(struct tokeniser *tk, const char *s, size_t i, size_t len)
{
	const char *p = s + i;
	size_t n = 0, d = 0;
	char token[PSEUDO_TOKEN_MAX + 1];

	if (i > 0 && is_local((unsigned char)s[i - 1]))
		return 0;
	while (i + n < len && is_local((unsigned char)p[n]))
		n++;
	if (n == 0 || i + n + 1 >= len || p[n] != '@' || !is_alnum((unsigned char)p[n + 1]))
		return 0;
	while (i + n + 1 + d < len && (is_alnum((unsigned char)p[n + 1 + d]) ||
	                               p[n + 1 + d] == '.' || p[n + 1 + d] == '-'))
		d++;
	if (is_unit_name(p + n + 1, d))
		return 0;
	if (tk->out == NULL)
		return n;
	if (locked_token(tk, PSEUDO_EMAIL, p, n, token, tk->err) < 0) {
		tk->failed = 1;
		return 0;
	}
	tokenise_replaced(tk, PSEUDO_EMAIL, p, n, token);
	return n;
}

/*
 * Does the text before a word (or after it) make it an account's name? tokeniser_cut never
 * cuts a line inside the words with spaces here: add a new one there too.
 */
static int account_position(const char *s, size_t start, size_t end, size_t len)
{
	static const char *const before[] = {"user ", "user=",   "user:",    "user: ", "users ",
	                                     "acct=", "acct=\"", "logname=", "home/"};
	const char *after = s + end;
	size_t rest = len - end;

	for (size_t k = 0; k < sizeof(before) / sizeof(before[0]); k++) {
		size_t bl = strlen(before[k]);

		if (start >= bl && has_prefix_ci(s + start - bl, bl, before[k]))
			return 1;
	}
	/* sshd: "for X from"; "X(uid=0)"; uid=0(X) and gid=0(X) as id(1) prints them. */
	if (start >= 4 && has_prefix_ci(s + start - 4, 4, "for ") &&
	    has_prefix_ci(after, rest, " from "))
		return 1;
	if (has_prefix_ci(after, rest, "(uid="))
		return 1;
	if (start >= 2 && s[start - 1] == '(' && is_digit((unsigned char)s[start - 2]) &&
	    rest > 0 && after[0] == ')')
		return 1;
	/* sudo: "sudo:    X : TTY=..." */
	if (has_prefix_ci(after, rest, " : ")) {
		size_t b = start;

		while (b > 0 && s[b - 1] == ' ')
			b--;
		if (b >= 5 && b < start && has_prefix_ci(s + b - 5, 5, "sudo:"))
			return 1;
	}
	return 0;
}

/*
 * Whether a listed name may begin at s[i]: at a word's start, where some listed name begins
 * with the same two bytes (case aside). Most words stop here, in the scanner, without a call
 * to the matcher.
 */
static inline int word_may_match(const struct tokeniser *tk, const char *s, size_t i, size_t len)
{
	int second;

	if (tk->count == 0 || (i > 0 && (is_word((unsigned char)s[i - 1]))) ||
	    !is_word((unsigned char)s[i]))
		return 0;
	second = i + 1 < len && (is_word((unsigned char)s[i + 1]) || s[i + 1] == '.')
	                 ? lower((unsigned char)s[i + 1])
	                 : 0;
	return first_two_has(tk, lower((unsigned char)s[i]), second);
}

/*
 * A listed name as a whole word: the longest listed name among the run's dotted prefixes. One
 * pass over at most TOKENISE_NAME_MAX bytes computes the hash of every prefix; only prefixes
 * of a length some listed name has are looked up.
 */
size_t tokenise_match_word(struct tokeniser *tk, const char *s, size_t i, size_t len)
{
	size_t ends[TOKENISE_NAME_MAX + 1], hashes[TOKENISE_NAME_MAX + 1], count = 0, n = 0;
	uint64_t h = WORD_HASH_INIT;

	if (!word_may_match(tk, s, i, len))
		return 0;
	while (i + n < len && n < tk->max_len + 1 &&
	       (is_word((unsigned char)s[i + n]) || s[i + n] == '.')) {
		if (s[i + n] == '.' && n > 0 && s[i + n - 1] != '.' && tk->has_len[n]) {
			ends[count] = n;
			hashes[count++] = word_hash_final(h);
		}
		h = word_hash_step(h, (unsigned char)s[i + n]);
		n++;
	}
	if (n <= tk->max_len && s[i + n - 1] != '.' && tk->has_len[n] &&
	    (i + n == len || !is_word((unsigned char)s[i + n]))) {
		ends[count] = n;
		hashes[count++] = word_hash_final(h);
	}
	while (count > 0) {
		size_t e = ends[--count];
		struct word *w = word_find_hashed(tk, s + i, e, hashes[count]);

		if (w == NULL || (w->account_only && !account_position(s, i, i + e, len)))
			continue;
		/* A kept name's text stays: it goes out with the rest of the line. */
		if (!w->kept && tk->out)
			tokenise_replaced(tk, w->type, s + i, e, w->token);
		return e;
	}
	return 0;
}

/*
 * Can a match begin at s[i]? Addresses, MACs and ip6.arpa names begin with a hex digit or ':',
 * and each only where the byte before does not continue it; an e-mail local part and a listed
 * name only where the byte before cannot be part of them.
 * Most bytes of a line are inside words or between them, where none can begin: run passes them
 * over in one go instead of trying every matcher on each.
 */
static int may_start_bytes(int prev, int c)
{
	/* After a digit no matcher starts on a digit, after a hex digit none on a hex letter:
	 * each refuses to begin inside a number or a hex run (see their first tests). */
	if (is_digit(c))
		return !is_digit(prev);
	if (is_hex(c))
		return !is_hex(prev);
	if (c == ':') /* only an IPv6 address ("::1") */
		return !is_alnum(prev) && prev != ':' && prev != '.';
	if (c == '~') /* only a percent-encoded run (/~bob%40example.org) */
		return !is_url_char(prev);
	if (!is_local(c) && !is_word(c))
		return 0;
	return !is_local(prev) || !is_word(prev);
}

/*
 * The first pass only notes addresses: it tries the matchers that find one (and the encoded
 * runs that may hold one) where they may begin, a hex digit, ':' or a base64 run's first
 * character, and none of the others. A percent-encoded run may begin at any word's start: a
 * line with a '%' is scanned with the whole table.
 */
static int address_may_start_bytes(int prev, int c)
{
	return may_start_bytes(prev, c) && (is_hex(c) || c == ':' || tokenise_base64_text_first(c));
}

int tokenise_run(struct tokeniser *tk, const char *s, size_t len, struct strbuf *out,
                 struct error *err)
{
	const uint8_t(*starts)[256];
	size_t i = 0;

	tk->out = out;
	tk->err = err;
	tk->failed = 0;
	tk->line = s;
	tk->copied = 0;
	/* The first pass looks for no e-mail address. */
	tk->has_at = out != NULL && memchr(s, '@', len) != NULL;
	tk->has_pct = memchr(s, '%', len) != NULL;
	starts = out == NULL && !tk->has_pct ? address_start_after : start_after;
	while (i < len) {
		int c = (unsigned char)s[i];
		size_t used = 0;

		if (!starts[i > 0 ? (unsigned char)s[i - 1] : ' '][c]) {
			const uint8_t *row;

			/* Inside a word or between words: on to the next byte where one may start.
			 */
			do {
				row = starts[c];
				if (++i == len)
					break;
				c = (unsigned char)s[i];
			} while (!row[c]);
			continue;
		}
		if (tk->words_only) {
			used = word_may_match(tk, s, i, len) ? tokenise_match_word(tk, s, i, len)
			                                     : 0;
			i += used ? used : 1;
			continue;
		}
		if (tk->depth < DECODE_DEPTH_MAX) {
			if (tk->has_pct && is_url_char(c))
				used = tokenise_match_percent(tk, s, i, len);
			if (!used && !tk->failed && tokenise_base64_may_match(s, i))
				used = tokenise_match_base64(tk, s, i, len);
		}
		if (!used && !tk->failed && (is_hex(c) || c == ':') &&
		    tokenise_hex_may_match(s, i, len)) {
			used = tokenise_match_mac(tk, s, i, len);
			if (!used && !tk->failed && is_hex(c))
				used = tokenise_match_ip6_arpa(tk, s, i, len);
			if (!used && !tk->failed)
				used = tokenise_match_ipv6(tk, s, i, len);
		}
		if (!used && !tk->failed && is_digit(c) && tokenise_ipv4_may_match(s, i, len)) {
			used = tokenise_match_ipv4(tk, s, i, len);
			if (!used && !tk->failed)
				used = tokenise_match_ipv4_dashed(tk, s, i, len);
		}
		/*
		 * The first pass stops here, and goes on at the next byte whatever was found: the
		 * second pass takes names and telephone numbers listed only after the first, and
		 * goes on after them, where an address found here may still run on. Every position
		 * where an address may begin is tried, so every address the second pass can meet is
		 * noted (and some it will not meet, which only keeps other addresses off theirs).
		 */
		if (out == NULL) {
			if (tk->failed)
				return -1;
			i++;
			continue;
		}
		/* After the addresses: 81.234.56.78 is one, whatever number it spells. */
		if (!used && !tk->failed && tk->phone_count && (is_digit(c) || c == '+'))
			used = tokenise_match_phone(tk, s, i, len);
		if (!used && !tk->failed && tk->has_at && is_local(c))
			used = match_email(tk, s, i, len);
		if (!used && !tk->failed && word_may_match(tk, s, i, len))
			used = tokenise_match_word(tk, s, i, len);
		if (tk->failed)
			return -1;
		if (used == 0)
			used = 1;
		i += used;
	}
	copy_to(tk, s + len);
	tk->out = NULL;
	return 0;
}

/*
 * No matcher takes these bytes or compares against them: every run a matcher reads (addresses,
 * MACs, e-mail local parts and domains, words, base64 and percent-encoded runs, telephone
 * numbers with their separators, the words around an account's name) stops at one, and to each
 * one before a match or after it is what the start or the end of a line is. Keep it so when a
 * matcher learns a new byte.
 */
int tokeniser_is_break(int c)
{
	return (c >= 0 && c < 0x20) || c == 0x7f ||
	       (c > 0 && c < 0x80 && strchr("!#$&'*;<>?[\\]^`{|}", c) != NULL);
}

static int is_ascii_letter(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Do the n bytes of s end with word (lower case), in any case? */
static int ends_with_ci(const char *s, size_t n, const char *word)
{
	size_t wl = strlen(word);

	return n >= wl && has_prefix_ci(s + n - wl, wl, word);
}

size_t tokeniser_cut(const char *s, size_t len)
{
	for (size_t k = len; k > 0; k--) {
		if (tokeniser_is_break((unsigned char)s[k - 1]))
			return k;
		/*
		 * A space between letters is in no finding: a telephone number's spaces stand
		 * between digits and separators. It is in the text around a name that makes it
		 * an account's (account_position) only as "user X", "users X", "for X" and
		 * "X from"; those are left whole. The four bytes after it must be there to tell.
		 */
		if (s[k - 1] == ' ' && k >= 2 && k + 4 <= len &&
		    is_ascii_letter((unsigned char)s[k - 2]) &&
		    is_ascii_letter((unsigned char)s[k]) && !ends_with_ci(s, k - 1, "user") &&
		    !ends_with_ci(s, k - 1, "users") && !ends_with_ci(s, k - 1, "for") &&
		    !has_prefix_ci(s + k, 4, "from"))
			return k;
	}
	return 0;
}

int tokeniser_field(struct tokeniser *tk, enum pseudo_type type, const char *text, size_t len,
                    char out[PSEUDO_TOKEN_MAX + 1], struct error *err)
{
	/* A listed name has one token wherever it stands, in a line or in a field. */
	const struct word *w = len <= TOKENISE_NAME_MAX ? word_find(tk, text, len) : NULL;

	if (w && w->kept)
		return 1;
	if (w) {
		memcpy(out, w->token, sizeof(w->token));
		type = w->type;
	} else if (locked_token(tk, type, text, len, out, err) < 0) {
		return -1;
	}
	tell(tk, type, text, len, out);
	return 0;
}

int tokeniser_address(struct tokeniser *tk, const struct ipaddr *in, struct ipaddr *out,
                      struct error *err)
{
	char from[IPADDR_TEXT_MAX], to[IPADDR_TEXT_MAX];

	int rc;

	shared_begin(tk);
	if (out == NULL)
		addrmap_note(tk->am, in);
	rc = out ? addrmap_map(tk->am, in, out, err) : 0;
	shared_end(tk);
	if (rc < 0 || out == NULL)
		return rc;
	if (tk->observer) {
		ipaddr_format(in, from);
		ipaddr_format(out, to);
		tell(tk, PSEUDO_ADDRESSES, from, strlen(from), to);
	}
	return 0;
}

int tokeniser_scan(struct tokeniser *tk, const char *line, size_t len, struct error *err)
{
	return tokenise_run(tk, line, len, NULL, err);
}

int tokeniser_line(struct tokeniser *tk, const char *line, size_t len, struct strbuf *out,
                   struct error *err)
{
	return tokenise_run(tk, line, len, out, err);
}
