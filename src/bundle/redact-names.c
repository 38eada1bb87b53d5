/*
 * Names from the source bundle (bundle/redact-names.h): what each file says, read as the
 * bundle is verified, and listed in the tokeniser only once it is judged valid.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bundle/redact-names.h"

/*
 * The most of host.json and accounts.json that is read for names: far above what collect writes
 * (a few KiB; accounts.json about 300 bytes an account), and a bound on what a hostile bundle
 * can make us parse.
 */
#define TAG_NAMES_MAX (8u << 20)

static const char *const name_files[NAMES_COUNT] = {NULL,
                                                    "logpack/host.json",
                                                    "logpack/accounts.json",
                                                    "data/etc/passwd",
                                                    "data/etc/passwd-",
                                                    "data/etc/hosts",
                                                    "logpack/incident.json",
                                                    "data/etc/login.defs"};

/* The host names of every hosts file: no one's. */
static const char *const standard_hosts[] = {"localhost",
                                             "localhost.localdomain",
                                             "localhost4",
                                             "localhost6",
                                             "ip6-localhost",
                                             "ip6-loopback",
                                             "ip6-localnet",
                                             "ip6-mcastprefix",
                                             "ip6-allnodes",
                                             "ip6-allrouters",
                                             "ip6-allhosts",
                                             "broadcasthost",
                                             "localhost4.localdomain4",
                                             "localhost6.localdomain6"};

void redact_names_init(struct redact_names *n)
{
	memset(n, 0, sizeof(*n));
	n->login_users = json_object();
	n->login_hosts = json_object();
}

void redact_names_release(struct redact_names *n)
{
	for (int i = 0; i < NAMES_COUNT; i++)
		strbuf_release(&n->text[i]);
	json_decref(n->login_users);
	json_decref(n->login_hosts);
	n->login_users = n->login_hosts = NULL;
}

enum name_source redact_name_source(const char *member)
{
	for (int i = 1; i < NAMES_COUNT; i++)
		if (strcmp(member, name_files[i]) == 0)
			return (enum name_source)i;
	return NAMES_NONE;
}

void redact_names_feed(struct redact_names *n, enum name_source src, const void *buf, size_t len)
{
	struct strbuf *t = &n->text[src];

	if (len > TAG_NAMES_MAX - t->len)
		n->too_big[src] = 1;
	else
		strbuf_add(t, buf, len);
}

/* name into the set, unless it holds REDACT_LOGIN_USERS_MAX already: 0, or -1. */
static int set_add(json_t *set, const char *name)
{
	if (name[0] == '\0' || json_object_get(set, name))
		return 0;
	if (json_object_size(set) >= REDACT_LOGIN_USERS_MAX)
		return -1;
	json_object_set_new(set, name, json_true());
	return 0;
}

int redact_names_login(struct redact_names *n, const char *user, const char *host)
{
	return set_add(n->login_users, user) < 0 || set_add(n->login_hosts, host) < 0 ? -1 : 0;
}

/*
 * A login's host text that names a host: a letter in it, no address (those are mapped as
 * addresses), no X display (":0"), no common word.
 */
static int login_host_name(const char *host)
{
	struct ipaddr a;
	int letter = 0;

	for (const char *c = host; *c; c++)
		letter |= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
	return letter && strchr(host, ':') == NULL && ipaddr_parse(host, strlen(host), &a) < 0 &&
	       !tokeniser_is_common_word(host, strlen(host));
}

/*
 * A name from a tag file, when the tokeniser can list it: a name it refuses (a space, a slash)
 * could not be matched as a word either, so it is passed over without a message.
 */
static int add_listed(struct tokeniser *tk, enum pseudo_type type, const char *name, int anywhere)
{
	struct error ignored;

	if (name == NULL || *name == '\0')
		return 0;
	/* What collect writes when it found no name: no one's name. */
	if (type == PSEUDO_HOSTS &&
	    (strcmp(name, "unknown") == 0 || strcmp(name, "localhost") == 0))
		return 0;
	if (type == PSEUDO_USERS)
		return tokeniser_add_account(tk, name, anywhere, &ignored) == 0;
	return tokeniser_add(tk, type, name, &ignored) == 0;
}

/*
 * login.defs' UID_MIN: where useradd begins people's uids (1000 on Debian and RHEL 7 and
 * later, 500 on RHEL 6 and older), read as shadow's getdef does (leading blanks, a number in
 * C's notation: 0764 and 0x1F4 are 500, in quotes or not). The file is the bundle's, so it may
 * only widen the people's range: a value from 100 to 999 is taken, any other ignored (UID_MIN
 * 999999 would keep every person's name in clear).
 */
unsigned long redact_uid_min(const struct redact_names *n)
{
	const struct strbuf *t = &n->text[NAMES_LOGIN_DEFS];
	unsigned long uid_min = REDACT_UID_MIN_DEFAULT;

	for (size_t at = 0; at < t->len;) {
		const char *l = t->buf + at, *nl = memchr(l, '\n', t->len - at);
		size_t len = nl ? (size_t)(nl - l) : t->len - at, k = 0, vlen;
		char value[24], *end;
		unsigned long v;

		at += len + 1;
		while (k < len && (l[k] == ' ' || l[k] == '\t'))
			k++;
		if (len - k < 8 || memcmp(l + k, "UID_MIN", 7) != 0 ||
		    (l[k + 7] != ' ' && l[k + 7] != '\t'))
			continue;
		k += 7;
		while (k < len && (l[k] == ' ' || l[k] == '\t'))
			k++;
		while (len > k && (l[len - 1] == ' ' || l[len - 1] == '\t' || l[len - 1] == '\r'))
			len--;
		if (len - k >= 2 && l[k] == '"' && l[len - 1] == '"') {
			k++;
			len--;
		}
		vlen = len - k;
		if (vlen == 0 || vlen >= sizeof(value) || l[k] < '0' || l[k] > '9')
			continue;
		memcpy(value, l + k, vlen);
		value[vlen] = '\0';
		errno = 0;
		v = strtoul(value, &end, 0);
		if (errno == 0 && *end == '\0' && v >= 100 && v < REDACT_UID_MIN_DEFAULT)
			uid_min = v;
	}
	return uid_min;
}

/*
 * A passwd line's uid field: is it a person's? uid_min and up (1000 as Debian's adduser gives),
 * but for 60000 to 65535 (system accounts, nobody) and the two values that mean no uid: the
 * uids of a directory service (SSSD, FreeIPA: up to ten digits) are people's too.
 */
int redact_person_uid(const char *uid, size_t n, unsigned long uid_min)
{
	unsigned long long v = 0;

	if (n == 0 || n > 10)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (uid[i] < '0' || uid[i] > '9')
			return 0;
		v = v * 10 + (unsigned long long)(uid[i] - '0');
	}
	return v >= uid_min && (v < 60000 || v > 65535) && v < 4294967294ULL;
}

/* Is the shell field one that logs no one in (a service's account), or none at all? */
static int no_login_shell(const char *shell, size_t n)
{
	static const char *const none[] = {"nologin", "false", "true", "sync", "shutdown", "halt"};
	size_t start = n, len;

	while (start > 0 && shell[start - 1] != '/')
		start--;
	len = n - start;

	/* An empty field means /bin/sh to login(1). */
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if (len == strlen(none[i]) && memcmp(shell + start, none[i], len) == 0)
			return 1;
	return 0;
}

/*
 * Below uid_min, people are known by their home and shell: Solaris gives them uids from 100,
 * macOS from 501, old RHEL from 500, and a root may hold no login.defs to say so (or one that
 * says 1000, while older accounts kept their uids). A service's account has its home
 * elsewhere (/var/lib/x, /nonexistent) or a shell that logs no one in (Ubuntu's old syslog
 * account: /home/syslog, /bin/false). This only widens the people: a file of the bundle
 * cannot take anyone out.
 */
int redact_person_account(const char *l, const size_t f[8], unsigned long uid_min)
{
	static const char *const homes[] = {"/home/", "/Users/", "/export/home/"};
	const char *uid = l + f[2], *home = l + f[5], *shell = l + f[6];
	size_t uid_len = f[3] - f[2] - 1, home_len = f[6] - f[5] - 1, shell_len = f[7] - f[6] - 1;
	unsigned long v = 0;
	int under_home = 0;

	if (redact_person_uid(uid, uid_len, uid_min))
		return 1;
	if (uid_len == 0 || uid_len > 5)
		return 0;
	for (size_t i = 0; i < uid_len; i++) {
		if (uid[i] < '0' || uid[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(uid[i] - '0');
	}
	for (size_t i = 0; i < sizeof(homes) / sizeof(homes[0]); i++) {
		size_t k = strlen(homes[i]);

		under_home |= home_len > k && memcmp(home, homes[i], k) == 0;
	}
	return v >= 100 && v < uid_min && under_home && !no_login_shell(shell, shell_len);
}

/*
 * The fields of a passwd line ("name:pw:uid:gid:gecos:home:shell"): where each starts, and
 * how many there are (at most 7).
 */
size_t redact_passwd_fields(const char *l, size_t n, size_t start[8])
{
	size_t k = 1;

	start[0] = 0;
	for (size_t i = 0; i < n && k < 7; i++)
		if (l[i] == ':')
			start[k++] = i + 1;
	start[k] = n + 1;
	return k;
}

/* Names of a collected text file: passwd's accounts, or a hosts file's names. */
static void add_text_names(struct tokeniser *tk, enum name_source src, const char *text, size_t len,
                           unsigned long uid_min)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (src == NAMES_ETC_HOSTS) {
			const char *hash = memchr(p, '#', n);
			char *line = xstrndup(p, hash ? (size_t)(hash - p) : n), *save = NULL;
			char *tok = strtok_r(line, " \t\r", &save); /* the address */
			size_t i;

			while (tok && (tok = strtok_r(NULL, " \t\r", &save)) != NULL) {
				for (i = 0; i < sizeof(standard_hosts) / sizeof(standard_hosts[0]);
				     i++)
					if (strcasecmp(tok, standard_hosts[i]) == 0)
						break;
				/* A common word is no host name to replace everywhere
				 * (a planted "10.0.0.9 root" must not take root). */
				if (i == sizeof(standard_hosts) / sizeof(standard_hosts[0]) &&
				    !tokeniser_is_common_word(tok, strlen(tok)))
					add_listed(tk, PSEUDO_HOSTS, tok, 0);
			}
			free(line);
		} else {
			size_t f[8];

			if (redact_passwd_fields(p, n, f) == 7) {
				char *name = xstrndup(p, f[1] - 1);

				/* A person's account anywhere; a system one where an account is
				 * named. */
				add_listed(tk, PSEUDO_USERS, name,
				           redact_person_account(p, f, uid_min));
				free(name);
			}
		}
		p += n + 1;
	}
}

/*
 * The source's own claims as names to replace, read in pass 1 and used only once the bundle
 * is judged valid: host.json's host name (the whole name, its first label and its domain) and
 * the collector's account names, accounts.json's account names. A person's account (one that
 * has or had a password) is replaced wherever it stands, a system account ("*" or "!" for a
 * password: sshd, syslog, postfix) only where the text names an account, since those are
 * program names too.
 */
/* Legal forms after a company's name: no one's name. */
static const char *const legal_forms[] = {
        "AB",  "HB",  "KB",  "Inc", "Ltd", "LLC", "GmbH", "Oy",   "Oyj", "ASA",     "AS",
        "A/S", "ApS", "plc", "SA",  "AG",  "BV",  "NV",   "Corp", "Co",  "Company", "Limited"};

/*
 * The words of a name from the incident report (a person's, an organisation's, a case
 * reference), listed as words: each of at least three bytes that is no common word and no legal
 * form; a value that is one word (INC-2026-0042) whole.
 */
static void add_report_words(struct tokeniser *tk, const char *value)
{
	char *copy, *save = NULL;

	if (value == NULL)
		return;
	copy = xstrdup(value);
	for (char *w = strtok_r(copy, " \t,;()/", &save); w;
	     w = strtok_r(NULL, " \t,;()/", &save)) {
		size_t k, len = strlen(w);

		while (len > 0 && (w[len - 1] == '.' || w[len - 1] == ':'))
			w[--len] = '\0';
		for (k = 0; k < sizeof(legal_forms) / sizeof(legal_forms[0]); k++)
			if (strcasecmp(w, legal_forms[k]) == 0)
				break;
		if (len >= 3 && k == sizeof(legal_forms) / sizeof(legal_forms[0]) &&
		    !tokeniser_is_common_word(w, len))
			add_listed(tk, PSEUDO_WORDS, w, 0);
	}
	free(copy);
}

/* incident.json: its contact person and organisation, e-mail domain, references. */
static void add_report_names(struct tokeniser *tk, json_t *doc, struct redact_literals *lit)
{
	static const char *const worded[] = {"organisation", "contact_name", "case_reference",
	                                     "police_reference"};
	const char *mail = json_string_value(json_object_get(doc, "contact_email"));
	const char *phone = json_string_value(json_object_get(doc, "contact_phone"));

	for (size_t k = 0; k < sizeof(worded) / sizeof(worded[0]); k++)
		add_report_words(tk, json_string_value(json_object_get(doc, worded[k])));
	if (mail && strchr(mail, '@'))
		add_listed(tk, PSEUDO_HOSTS, strchr(mail, '@') + 1, 0);
	/* A number of a few digits would take other text with it. */
	if (phone && strlen(phone) >= 6 && lit->phone == NULL)
		lit->phone = xstrdup(phone);
}

int redact_names_list(struct tokeniser *tk, const struct redact_names *n,
                      struct redact_literals *lit, struct error *err)
{
	for (int i = 1; i < NAMES_COUNT; i++) {
		const struct strbuf *t = &n->text[i];
		json_error_t je;
		json_t *doc;

		if (n->too_big[i]) {
			error_set(err, "%s: larger than %u MiB: its names cannot be read",
			          name_files[i], TAG_NAMES_MAX >> 20);
			return -1;
		}
		if (t->len == 0 || i == NAMES_LOGIN_DEFS)
			continue;
		if (i >= NAMES_PASSWD && i <= NAMES_ETC_HOSTS) {
			add_text_names(tk, (enum name_source)i, t->buf, t->len, redact_uid_min(n));
			continue;
		}
		doc = json_loadb(t->buf, t->len, JSON_REJECT_DUPLICATES, &je);
		if (!json_is_object(doc)) {
			error_set(err, "%s: not a JSON object: its names cannot be read",
			          name_files[i]);
			json_decref(doc);
			return -1;
		}
		if (i == NAMES_HOST) {
			const char *host = json_string_value(json_object_get(doc, "hostname"));
			const char *r = json_string_value(json_object_get(doc, "root"));
			json_t *user = json_object_get(doc, "user");

			/* The collection root's path may name the case or the victim: replaced. */
			if (r && strlen(r) > 1 && lit->root == NULL)
				lit->root = xstrdup(r);
			add_listed(tk, PSEUDO_HOSTS, host, 0);
			if (host && strchr(host, '.')) {
				char *label = xstrndup(host, (size_t)(strchr(host, '.') - host));

				add_listed(tk, PSEUDO_HOSTS, label, 0);
				add_listed(tk, PSEUDO_HOSTS, strchr(host, '.') + 1, 0);
				free(label);
			}
			add_listed(tk, PSEUDO_USERS,
			           json_string_value(json_object_get(user, "name")), 1);
			add_listed(tk, PSEUDO_USERS,
			           json_string_value(json_object_get(user, "sudo_user")), 1);
		} else if (i == NAMES_INCIDENT) {
			add_report_names(tk, doc, lit);
		} else {
			json_t *a;
			size_t k;

			json_array_foreach(json_object_get(doc, "accounts"), k, a)
			{
				const char *pw = json_string_value(json_object_get(a, "password"));

				add_listed(tk, PSEUDO_USERS,
				           json_string_value(json_object_get(a, "name")),
				           pw == NULL || strcmp(pw, "none") != 0);
			}
		}
		json_decref(doc);
	}
	/* The user names of logins in wtmp and utmp: people's accounts, replaced anywhere. */
	{
		const char *name;
		json_t *v;

		json_object_foreach(n->login_users, name, v) add_listed(tk, PSEUDO_USERS, name, 1);
		json_object_foreach(n->login_hosts, name, v)
		{
			if (login_host_name(name))
				add_listed(tk, PSEUDO_HOSTS, name, 0);
		}
	}
	return 0;
}
