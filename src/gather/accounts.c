/* Account dates from shadow or master.passwd, without the hashes (accounts.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "base/util.h"
#include "gather/accounts.h"

#define MAX_FIELDS 10

/* Split line at ':' into at most MAX_FIELDS fields (in place); returns how many. */
static size_t split_fields(char *line, char **fields)
{
	size_t n = 0;

	fields[n++] = line;
	for (char *p = line; *p && n < MAX_FIELDS; p++)
		if (*p == ':') {
			*p = '\0';
			fields[n++] = p + 1;
		}
	return n;
}

/* A field of decimal digits as a number; -1 when empty or not a number. */
static long long number(const char *s)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	return *end ? -1 : v;
}

/* Days since 1970 (shadow) or seconds (master.passwd) as a date or time; null when unset. */
static json_t *date_of(long long v, int days)
{
	char buf[32];

	if (v < 0 || (!days && v == 0))
		return json_null();
	format_iso8601(days ? (int64_t)v * 86400 : (int64_t)v, buf, sizeof(buf));
	if (days)
		buf[10] = '\0'; /* a day, not a time */
	return json_string(buf);
}

/*
 * What the hash field says, never the hash: "empty" (no password needed), "locked" (a '!' in
 * front, usermod -L / passwd -l; FreeBSD "*LOCKED*"), "none" (no password can match: "*",
 * "!!", "x", "NP"), else "set".
 */
static const char *password_state(const char *hash, int *locked)
{
	*locked = 0;
	if (*hash == '\0')
		return "empty";
	if (strcmp(hash, "!!") == 0 || strcmp(hash, "!") == 0 || strcmp(hash, "*") == 0 ||
	    strcmp(hash, "!*") == 0 || strcmp(hash, "NP") == 0 || strcmp(hash, "*LK*") == 0) {
		*locked = 1;
		return strcmp(hash, "*LK*") == 0 ? "locked" : "none";
	}
	if (hash[0] == '!' || str_has_prefix(hash, "*LOCKED*") || str_has_prefix(hash, "*LK*")) {
		*locked = 1;
		return "locked";
	}
	if (hash[0] == '*')
		return "none";
	return "set";
}

char *accounts_json(const char *text, size_t len, enum accounts_source kind, const char *path)
{
	json_t *root = json_object(), *list = json_array();
	char *copy = xstrndup(text, len), *save = NULL, *out;
	size_t skipped = 0;
	int shadow = kind == ACCOUNTS_SHADOW;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[MAX_FIELDS];
		size_t n;
		int locked;
		const char *state;
		json_t *a;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		n = split_fields(line, f);
		if (n < (shadow ? 8u : 7u) || f[0][0] == '\0') {
			skipped++;
			continue;
		}
		state = password_state(f[1], &locked);
		a = json_object();
		json_object_set_new(a, "name", json_string(f[0]));
		json_object_set_new(a, "password", json_string(state));
		json_object_set_new(a, "locked", json_boolean(locked));
		if (shadow) {
			long long min = number(f[3]), max = number(f[4]), warn = number(f[5]);
			long long inactive = number(f[6]);

			json_object_set_new(a, "last_change", date_of(number(f[2]), 1));
			json_object_set_new(a, "must_change", json_boolean(number(f[2]) == 0));
			json_object_set_new(a, "min_days",
			                    min < 0 ? json_null() : json_integer(min));
			json_object_set_new(a, "max_days",
			                    max < 0 ? json_null() : json_integer(max));
			json_object_set_new(a, "warn_days",
			                    warn < 0 ? json_null() : json_integer(warn));
			json_object_set_new(a, "inactive_days",
			                    inactive < 0 ? json_null() : json_integer(inactive));
			json_object_set_new(a, "expires", date_of(number(f[7]), 1));
		} else {
			json_object_set_new(a, "password_change_due", date_of(number(f[5]), 0));
			json_object_set_new(a, "expires", date_of(number(f[6]), 0));
		}
		json_array_append_new(list, a);
	}
	/* The text held hashes: wipe the copy before it is freed. */
	OPENSSL_cleanse(copy, len);
	free(copy);
	json_object_set_new(root, "source", json_string(path));
	json_object_set_new(root, "format", json_string(shadow ? "shadow" : "master.passwd"));
	json_object_set_new(root, "note",
	                    json_string("account dates only; password hashes are never copied"));
	json_object_set_new(root, "accounts", list);
	json_object_set_new(root, "lines_not_understood", json_integer((json_int_t)skipped));
	out = json_dumps(root, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(root);
	return out;
}
