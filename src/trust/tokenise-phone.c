/*
 * Telephone numbers. One number is written many ways: "+46 8 123 456 78", "0046-8-12345678",
 * "08-123 456 78", "+46 (0)8 123 456 78". A number is kept as its digits, international (after
 * "+" or "00", with a "(0)" dropped) or national (the trunk "0" dropped), and a run of digits
 * and separators in a line is read the same way and compared: the same form must hold the same
 * digits; an international number matches a national one when it ends with it after a country
 * code of one to three digits.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "trust/tokenise-private.h"

/* The most numbers a tokeniser replaces (the report names one). */
#define PHONES_MAX 8
/* The longest text a number is looked for in: its digits, separators and a "(0)". */
#define PHONE_WINDOW 48

/* tokeniser_cut counts on none of these being between two letters in a number. */
static int is_separator(int c)
{
	return c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')';
}

/* A number read so far: its digits (with a leading "00" or "0" still there) and its "+". */
struct number {
	char digits[TOKENISE_PHONE_DIGITS_MAX + 3];
	size_t len;
	int plus;
};

/*
 * n in the terms of struct tokenise_phone: its digits without "00" or the trunk "0", and its form:
 * PHONE_INTERNATIONAL, PHONE_TRUNK (national, written with its trunk "0"), or PHONE_LOCAL.
 */
static void number_form(const struct number *n, const char **digits, size_t *len, int *form)
{
	*digits = n->digits;
	*len = n->len;
	*form = n->plus ? PHONE_INTERNATIONAL : PHONE_LOCAL;
	if (!n->plus && n->len >= 2 && n->digits[0] == '0' && n->digits[1] == '0') {
		*digits += 2;
		*len -= 2;
		*form = PHONE_INTERNATIONAL;
	} else if (!n->plus && n->len >= 1 && n->digits[0] == '0') {
		*digits += 1;
		*len -= 1;
		*form = PHONE_TRUNK;
	}
}

/*
 * Are these one number? In the same terms, when they hold the same digits. An international
 * number is a national one after its country code: one to three digits where the national
 * number was written with its trunk "0", and only "1" where it was written without (the North
 * American plan: "+1 212 555 0100" is "212 555 0100"), so that the subscriber part alone
 * ("123 456 78", "68 123 456 78") is not taken for the number. A number of ten digits or more
 * written without "+" or a trunk "0" may be the international one without its "+" (an SMS
 * gateway's 46812345678, North America's 1-212-555-0100).
 */
static int same_number(const struct tokenise_phone *p, const char *d, size_t n, int form)
{
	int p_intl = p->form == PHONE_INTERNATIONAL, intl = form == PHONE_INTERNATIONAL;
	const char *in = intl ? d : p->digits, *na = intl ? p->digits : d;
	size_t il = intl ? n : p->len, nl = intl ? p->len : n;
	int trunk = (intl ? p->form : form) == PHONE_TRUNK;

	if (p_intl == intl)
		return p->len == n && memcmp(p->digits, d, n) == 0;
	if (nl < TOKENISE_PHONE_DIGITS_MIN - 1 || nl > il || memcmp(in + il - nl, na, nl) != 0)
		return 0;
	if (trunk)
		return il - nl >= 1 && il - nl <= 3;
	return (il == nl && nl >= 10) || (il - nl == 1 && in[0] == '1');
}

/*
 * Does a number that would begin at s[i] continue one before it? Only when the run before
 * (digits, at most two separators) is a country code: "+47 8 123 456 78" holds no
 * "8 123 456 78". A time stamp or an identifier before a number is another number.
 */
static int after_country_code(const char *s, size_t i)
{
	size_t k = i, digits = 0;
	int seps = 0;

	while (k > 0 && is_separator(s[k - 1]) && seps < 2) {
		k--;
		seps++;
	}
	while (k > 0 && is_digit((unsigned char)s[k - 1]) && digits <= 5) {
		k--;
		digits++;
	}
	if (digits == 0 || (seps == 0 && k < i))
		return 0;
	if (k > 0 && s[k - 1] == '+')
		return digits <= 3;
	return digits >= 3 && digits <= 5 && s[k] == '0' && s[k + 1] == '0' &&
	       (k == 0 || !is_alnum((unsigned char)s[k - 1]));
}

/*
 * One byte of a number being read at t[*i]: a digit is added, a separator passed over, "(0)"
 * after an international prefix dropped. 1 when it was taken, 0 when the number cannot go on.
 */
static int number_step(struct number *n, const char *t, size_t *i, size_t len, int *seps)
{
	int c = (unsigned char)t[*i];

	if (is_digit(c)) {
		if (n->len == sizeof(n->digits) - 1)
			return 0;
		n->digits[n->len++] = (char)c;
		*seps = 0;
		return 1;
	}
	if (c == '(' && *i + 2 < len && t[*i + 1] == '0' && t[*i + 2] == ')' && n->len > 0 &&
	    (n->plus || (n->len >= 2 && n->digits[0] == '0' && n->digits[1] == '0'))) {
		*i += 2;
		*seps = 0;
		return 1;
	}
	/* "67 / 08-765": two numbers, not one. */
	if (!is_separator(c) || ++*seps > 2 || n->len == 0)
		return 0;
	return 1;
}

int tokeniser_add_phone(struct tokeniser *tk, const char *phone, struct error *err)
{
	struct number n = {{0}, 0, 0};
	struct tokenise_phone p = {{0}, 0, 0, {0}};
	size_t len = strlen(phone), i = 0;
	const char *d;
	int seps = 0;

	/* "Tel. +46 8 ...": the number begins at its "+" or first digit. */
	while (i < len && phone[i] != '+' && !is_digit((unsigned char)phone[i]))
		i++;
	n.plus = i < len && phone[i] == '+';
	for (i += (size_t)n.plus; i < len; i++)
		if (!number_step(&n, phone, &i, len, &seps) &&
		    !(is_separator(phone[i]) && n.len == 0))
			break;
	if (tk->phone_count == PHONES_MAX) {
		error_set(err, "telephone number \"%s\": more than %d numbers", phone, PHONES_MAX);
		return -1;
	}
	number_form(&n, &d, &p.len, &p.form);
	/* A few digits would take other numbers with them. */
	if (p.len < TOKENISE_PHONE_DIGITS_MIN || p.len > TOKENISE_PHONE_DIGITS_MAX)
		return 1;
	memcpy(p.digits, d, p.len);
	if (pseudo_token(tk->keys, PSEUDO_WORDS, phone, len, p.token, err) < 0)
		return -1;
	tk->phones = xrealloc(tk->phones, (tk->phone_count + 1) * sizeof(*tk->phones));
	tk->phones[tk->phone_count++] = p;
	return 0;
}

size_t tokenise_match_phone(struct tokeniser *tk, const char *s, size_t i, size_t len)
{
	struct number n = {{0}, 0, s[i] == '+'};
	size_t j = i + (size_t)n.plus, end = len - i > PHONE_WINDOW ? i + PHONE_WINDOW : len;
	const struct tokenise_phone *found = NULL;
	size_t found_end = 0;
	int seps = 0;

	/* Not inside a word or a number, nor after a country code. */
	if (i > 0 &&
	    (is_alnum((unsigned char)s[i - 1]) || s[i - 1] == '+' || after_country_code(s, i)))
		return 0;
	for (; j < end && number_step(&n, s, &j, end, &seps); j++) {
		const char *d;
		size_t dl;
		int form;

		/* Each place where the digits stop is a possible end: the longest that is a listed
		 * number wins ("08-123 45 67 2026-11-27" is the number and a date). */
		if (!is_digit((unsigned char)s[j]) ||
		    (j + 1 < len && is_alnum((unsigned char)s[j + 1])) ||
		    (j + 2 < len && (s[j + 1] == '.' || s[j + 1] == ',') &&
		     is_digit((unsigned char)s[j + 2])))
			continue;
		number_form(&n, &d, &dl, &form);
		if (dl < TOKENISE_PHONE_DIGITS_MIN - 1)
			continue;
		for (size_t k = 0; k < tk->phone_count; k++)
			if (same_number(&tk->phones[k], d, dl, form)) {
				found = &tk->phones[k];
				found_end = j + 1;
			}
	}
	if (found == NULL)
		return 0;
	if (tk->out)
		tokenise_replaced(tk, PSEUDO_WORDS, s + i, found_end - i, found->token);
	return found_end - i;
}
