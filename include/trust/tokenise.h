/*
 * The tokeniser for attacker-written text: finds addresses (IPv4, IPv6, ip:port, [v6]:port,
 * in URLs, inside host names as ip-172-31-3-150, reverse-DNS names), MAC addresses, e-mail
 * local parts, and listed user names, host names and words, and replaces each with its
 * pseudonym. It never adds or removes a newline, and its work is linear in the line's length
 * (every match is tried over a bounded window). The rules are in docs/redaction.md.
 */
#ifndef LOGPACK_TOKENISE_H
#define LOGPACK_TOKENISE_H

#include <pthread.h>
#include <stddef.h>

#include "base/util.h"
#include "trust/addrmap.h"
#include "trust/pseudo.h"

/* The longest name tokeniser_add takes (a DNS name's limit). */
#define TOKENISE_NAME_MAX 253

struct tokeniser;

/*
 * Called for a replacement: what it was, what it became (for the private reverse map). Each
 * (type, original) is told once by a tokeniser, at its first replacement.
 */
typedef void (*tokenise_observer)(void *arg, enum pseudo_type type, const char *original,
                                  size_t len, const char *replacement);

/* keys and am stay the caller's and must outlive the tokeniser. */
struct tokeniser *tokeniser_new(const struct pseudo_keys *keys, struct addrmap *am);
void tokeniser_free(struct tokeniser *tk);
/*
 * A tokeniser for another thread: it reads tk's names (list none in tk while it lives) and
 * shares tk's keys, address map and observer, each used only under lock, which every worker of
 * tk is given. Freed with tokeniser_free, before tk.
 */
struct tokeniser *tokeniser_worker(const struct tokeniser *tk, pthread_mutex_t *lock);
void tokeniser_set_observer(struct tokeniser *tk, tokenise_observer fn, void *arg);
/*
 * A name to replace wherever it stands as a whole word: type PSEUDO_USERS, PSEUDO_HOSTS or
 * PSEUDO_WORDS. A user name that is also a common word (bin, sys, man, admin, ...) is replaced
 * only where the text names an account. Matching ignores ASCII case. Returns 0, or -1 when the
 * name is empty, too long or has a character a word cannot have.
 */
int tokeniser_add(struct tokeniser *tk, enum pseudo_type type, const char *name, struct error *err);
/*
 * A user name, replaced wherever it stands when anywhere is set (a person's account), else
 * only where the text names an account (a system account: sshd, syslog, postfix are also the
 * names of programs). A common word is always account-only. Returns as tokeniser_add.
 */
int tokeniser_add_account(struct tokeniser *tk, const char *name, int anywhere, struct error *err);
/*
 * A name kept in clear wherever it stands (--keep DOMAIN or WORD: an attacker's domain, a
 * tool's name), even where it is also a listed name: list it before any other. Returns as
 * tokeniser_add.
 */
int tokeniser_keep(struct tokeniser *tk, const char *name, struct error *err);
/*
 * A telephone number (a person's: the incident's reporter) to replace wherever it stands, in
 * any of its usual forms: "+46 8 123 456 78", "0046-8-12345678", "08-123 456 78", "+46 (0)8
 * 123 456 78". Each becomes the words token of phone as given, the token tokeniser_field gives
 * it. Returns 0; 1 when phone has fewer than TOKENISE_PHONE_DIGITS_MIN digits or more than
 * TOKENISE_PHONE_DIGITS_MAX (not listed); or -1 with err (too many numbers, OpenSSL failed).
 */
#define TOKENISE_PHONE_DIGITS_MIN 7
#define TOKENISE_PHONE_DIGITS_MAX 20
int tokeniser_add_phone(struct tokeniser *tk, const char *phone, struct error *err);
/* Is name one of the common words that are user names only in an account position? */
int tokeniser_is_common_word(const char *name, size_t len);
/*
 * A whole field known to be a value of type (a login record's user, PSEUDO_USERS; a person's
 * full name, PSEUDO_WORDS): the token of the name when it is listed, else the type's token,
 * told to the observer like a replacement in a line. out holds PSEUDO_TOKEN_MAX + 1 bytes.
 * Returns 0; 1 when the text is kept (tokeniser_keep), out untouched; or -1 with err.
 */
int tokeniser_field(struct tokeniser *tk, enum pseudo_type type, const char *text, size_t len,
                    char out[PSEUDO_TOKEN_MAX + 1], struct error *err);
/*
 * A binary address of the input (a login record's): noted in the address map when out is NULL
 * (the first pass), else mapped into out and told to the observer. Returns 0, or -1 with err.
 */
int tokeniser_address(struct tokeniser *tk, const struct ipaddr *in, struct ipaddr *out,
                      struct error *err);
/*
 * Where a line too long to hold whole may be cut (redact_lines_feed): the largest k, 0 < k <=
 * len, such that s[0..k) and the rest, each tokenised as a line of its own, make the findings
 * the whole line makes, whatever follows s[len]; 0 when s has no such place. A cut follows a
 * byte that no finding holds and no matcher looks across (a control byte, ! # $ & ' * ; < > ?
 * [ \ ] ^ ` { | }), or a space between ASCII letters that is not part of "user X", "users X",
 * "for X" or "X from", which name an account. Pure: it needs no tokeniser.
 */
size_t tokeniser_cut(const char *s, size_t len);
/* A byte after which a line may always be cut: one of the bytes tokeniser_cut names first. */
int tokeniser_is_break(int c);
/*
 * First pass: note every address of the line in the address map (nothing is replaced). Only
 * the matchers that find addresses, and the decoders of the runs that may hold one, are tried,
 * at every position where one may begin, inside what they found too: a superset of the
 * addresses the second pass maps is noted, whatever names are listed later.
 */
int tokeniser_scan(struct tokeniser *tk, const char *line, size_t len, struct error *err);
/* Second pass: append the line, every finding replaced, to out. Returns 0, or -1 with err. */
int tokeniser_line(struct tokeniser *tk, const char *line, size_t len, struct strbuf *out,
                   struct error *err);

#endif
