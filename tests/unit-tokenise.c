/*
 * The tokeniser on the inputs that broke other tools: leading zeros, IPv6 in upper case, with a
 * port, followed by ':', IPv4-mapped; ip:port; addresses in URLs, in host names and reverse
 * names; e-mail local parts; MACs; listed names as whole words, and user names that are common
 * words only where the text names an account. And the scanner's prefilters, against the
 * matchers they stand for.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tap.h"
#include "trust/tokenise-private.h"
#include "trust/tokenise.h"

static struct pseudo_keys keys;
static struct addrmap *am;
static struct tokeniser *tk;
static int observed;

static void observer(void *arg, enum pseudo_type type, const char *orig, size_t len,
                     const char *repl)
{
	(void)arg;
	(void)type;
	(void)orig;
	(void)len;
	(void)repl;
	observed++;
}

/* The line after both passes (a fresh map per line would hide the no-collision rule). */
static char *redact(const char *line)
{
	static struct strbuf sb = STRBUF_INIT;
	struct error err;

	strbuf_reset(&sb);
	if (tokeniser_scan(tk, line, strlen(line), &err) < 0 || addrmap_seal(am, &err) < 0 ||
	    tokeniser_line(tk, line, strlen(line), &sb, &err) < 0)
		return (char *)"(failed)";
	return sb.buf ? sb.buf : (char *)"";
}

/* What the map makes of an address, in the form the tokeniser writes. */
static const char *mapped(const char *addr, char *buf)
{
	struct ipaddr a, m;
	struct error err;

	ipaddr_parse(addr, strlen(addr), &a);
	addrmap_map(am, &a, &m, &err);
	ipaddr_format(&m, buf);
	return buf;
}

/* want with its one "%s" replaced by a. */
static char *subst(const char *want, const char *a)
{
	const char *at = strstr(want, "%s");
	struct strbuf sb = STRBUF_INIT;

	if (at == NULL)
		return xstrdup(want);
	strbuf_add(&sb, want, (size_t)(at - want));
	strbuf_addstr(&sb, a);
	strbuf_addstr(&sb, at + 2);
	return strbuf_detach(&sb);
}

static void check(const char *line, const char *want_fmt, const char *addr, const char *what)
{
	char buf[IPADDR_TEXT_MAX], *want, *got = xstrdup(redact(line));

	want = addr ? subst(want_fmt, mapped(addr, buf)) : xstrdup(want_fmt);
	is_str(got, want, "%s", what);
	free(want);
	free(got);
}

static void test_addresses(void)
{
	char buf[IPADDR_TEXT_MAX], buf2[IPADDR_TEXT_MAX], *got, *want;

	check("Accepted from 10.1.2.3 port 22", "Accepted from %s port 22", "10.1.2.3", "IPv4");
	ok(strcmp(mapped("10.1.2.3", buf), "10.1.2.3") != 0 && strncmp(buf, "10.", 3) == 0,
	   "a private address changes and stays in 10/8 (%s)", buf);
	check("conn 192.030.0.6 x", "conn %s x", "192.30.0.6",
	      "192.030.0.6 is 192.30.0.6 (decimal), written canonically");
	check("10.1.2.3:8080", "%s:8080", "10.1.2.3", "ip:port");
	check("GET http://10.1.2.3:8080/a?b=1", "GET http://%s:8080/a?b=1", "10.1.2.3",
	      "an address in a URL");
	check("x 1.2.3.4.5.6 y 1.2.3 z 1.2.3.4567 v2.0.1 w 1.2.3.4.99999",
	      "x 1.2.3.4.5.6 y 1.2.3 z 1.2.3.4567 v2.0.1 w 1.2.3.4.99999", NULL,
	      "an OID, three parts, four digits, a 'port' over 65535 are not addresses");
	check("IP 10.1.2.3.22 > x", "IP %s.22 > x", "10.1.2.3", "tcpdump's address.port");
	check("lo 127.0.0.1 doc 192.0.2.1 bc 255.255.255.255",
	      "lo 127.0.0.1 doc 192.0.2.1 bc 255.255.255.255", NULL,
	      "special addresses are left as they are");
	check("from FD12:3456:789A::1 port", "from %s port", "fd12:3456:789a::1",
	      "upper-case IPv6, written in lower case");
	check("[fd12::5]:443 ok", "[%s]:443 ok", "fd12::5", "[v6]:port");
	check("peer fd12::7: reset", "peer %s: reset", "fd12::7", "IPv6 followed by ':'");
	check("https://[2a01:4f8::9]/x", "https://[%s]/x", "2a01:4f8::9", "IPv6 in a URL");
	check("peer fd12::8:::::::::::::::::::::::::::::::::::::::::::::::::: x",
	      "peer %s:::::::::::::::::::::::::::::::::::::::::::::::::: x", "fd12::8",
	      "IPv6 followed by a long run of ':'");
	check("::ffff:10.9.8.7 x", "::ffff:%s x", "10.9.8.7", "IPv4-mapped IPv6");
	{
		const char *m = mapped("172.31.3.150", buf);
		char dashed[IPADDR_TEXT_MAX];

		for (size_t k = 0; k <= strlen(m); k++)
			dashed[k] = m[k] == '.' ? '-' : m[k];
		got = xstrdup(redact("host ip-172-31-3-150.ec2.internal dhcp-172-31-3-150"));
		want = xasprintf("host ip-%s.ec2.internal dhcp-%s", dashed, dashed);
		is_str(got, want, "addresses inside host names, written with dashes");
		free(got);
		free(want);
	}
	{
		struct ipaddr a, mm;
		struct error err;

		ipaddr_parse("172.31.3.150", 12, &a);
		addrmap_map(am, &a, &mm, &err);
		got = xstrdup(redact("PTR 150.3.31.172.in-addr.arpa."));
		want = xasprintf("PTR %u.%u.%u.%u.in-addr.arpa.", mm.b[3], mm.b[2], mm.b[1],
		                 mm.b[0]);
		is_str(got, want, "a reverse-DNS name maps the address it names");
		free(got);
		free(want);
	}
	{
		/* fd12:3456::1 as an ip6.arpa name, and its result the same way. */
		static const char hex[] = "0123456789abcdef";
		struct ipaddr a, mm;
		struct error err;
		char in[80], out[80];

		ipaddr_parse("fd12:3456::1", 12, &a);
		addrmap_map(am, &a, &mm, &err);
		for (int k = 0; k < 32; k++) {
			in[2 * k] = hex[k % 2 ? a.b[15 - k / 2] >> 4 : a.b[15 - k / 2] & 15];
			out[2 * k] = hex[k % 2 ? mm.b[15 - k / 2] >> 4 : mm.b[15 - k / 2] & 15];
			in[2 * k + 1] = out[2 * k + 1] = '.';
		}
		memcpy(in + 64, "ip6.arpa", 9);
		memcpy(out + 64, "ip6.arpa", 9);
		ok(strncmp(in, "1.0.0.0.", 8) == 0 && strstr(in, "6.5.4.3.2.1.d.f.ip6.arpa"),
		   "the test's own ip6.arpa name is right: %s", in);
		got = xstrdup(redact(in));
		is_str(got, out, "an ip6.arpa name maps the address it names, nibble by nibble");
		free(got);
	}
	mapped("10.1.2.3", buf);
	mapped("192.30.0.6", buf2);
	ok(strcmp(buf, buf2) != 0, "two addresses, two results");
}

static void test_other(void)
{
	char *got;
	struct error err;

	got = xstrdup(redact("mail from <karin.s@example.org> ok"));
	ok(strncmp(got, "mail from <mail-", 16) == 0 && strstr(got, "@example.org> ok") &&
	           !strstr(got, "karin"),
	   "an e-mail local part becomes a mail- token: %s", got);
	free(got);
	check("Started user@1000.service.", "Started user@1000.service.", NULL,
	      "systemd's user@1000.service is no e-mail address");
	got = xstrdup(redact("dev eth0 lladdr 00:1A:2B:3C:4D:5E REACHABLE"));
	ok(strncmp(got, "dev eth0 lladdr ", 16) == 0 && strstr(got, "00:1A:2B:3C:4D:5E") == NULL &&
	           got[18] == ':' &&
	           strlen(got) == strlen("dev eth0 lladdr 00:1A:2B:3C:4D:5E REACHABLE"),
	   "a MAC is replaced in the same form and case: %s", got);
	free(got);
	check("id 123e4567-e89b-12d3-a456-426614174000 x",
	      "id 123e4567-e89b-12d3-a456-426614174000 x", NULL, "a UUID is no MAC");

	ok(tokeniser_add(tk, PSEUDO_USERS, "karin", &err) == 0 &&
	           tokeniser_add(tk, PSEUDO_USERS, "admin", &err) == 0 &&
	           tokeniser_add(tk, PSEUDO_USERS, "bin", &err) == 0 &&
	           tokeniser_add(tk, PSEUDO_HOSTS, "web01", &err) == 0 &&
	           tokeniser_add(tk, PSEUDO_HOSTS, "corp.example.com", &err) == 0 &&
	           tokeniser_add(tk, PSEUDO_WORDS, "ProjectX", &err) == 0,
	   "names are listed");
	ok(tokeniser_add(tk, PSEUDO_USERS, "a b", &err) < 0 &&
	           tokeniser_add(tk, PSEUDO_USERS, "", &err) < 0,
	   "a name with a space, an empty name are refused: %s", err.msg);
	ok(tokeniser_is_common_word("admin", 5) && tokeniser_is_common_word("BIN", 3) &&
	           !tokeniser_is_common_word("karin", 5),
	   "admin and bin are common words, karin is not");
	got = xstrdup(redact("Failed password for karin from 10.1.2.3; karin's home; karina"));
	ok(strstr(got, "karin ") == NULL && strstr(got, "karin'") == NULL &&
	           strstr(got, "; karina") != NULL && strstr(got, "for user-") != NULL,
	   "a user name is replaced as a whole word wherever it stands: %s", got);
	free(got);
	ok(tokeniser_add_account(tk, "sshd", 0, &err) == 0 &&
	           tokeniser_add_account(tk, "olga", 1, &err) == 0 &&
	           tokeniser_add_account(tk, "man", 1, &err) == 0,
	   "accounts are listed");
	got = xstrdup(redact("sshd[1]: invalid user sshd; olga read the man page; user man"));
	ok(strncmp(got, "sshd[1]: invalid user user-", 27) == 0 && strstr(got, "olga") == NULL &&
	           strstr(got, "read the man page; user user-") != NULL,
	   "a system account and a common word only in an account position, a person "
	   "anywhere: %s",
	   got);
	free(got);
	got = xstrdup(redact("the admin panel runs /usr/bin/ls as admin user"));
	is_str(got, "the admin panel runs /usr/bin/ls as admin user",
	       "common words in text are not touched");
	free(got);
	{
		static const char *const lines[] = {
		        "Failed password for admin from 10.1.2.3 port 22",
		        "Invalid user admin from 10.1.2.3",
		        "sudo: pam_unix(sudo:session): session opened for user admin(uid=0) by x",
		        "sudo:    admin : TTY=pts/0 ; PWD=/tmp ; USER=admin ; COMMAND=/bin/id",
		        "uid=1001(admin) gid=1001(admin)",
		        "type=USER_AUTH acct=\"admin\" res=failed",
		        "PWD=/home/admin",
		        "su: session opened for user root by admin(uid=1000)",
		};
		int all = 1;

		for (size_t k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
			got = xstrdup(redact(lines[k]));
			if (strstr(got, "admin") != NULL) {
				all = 0;
				printf("# %s -> %s\n", lines[k], got);
			}
			free(got);
		}
		ok(all, "a common-word user name is replaced where the text names an account");
	}
	got = xstrdup(redact("web01.corp.example.com mail.CORP.example.com Web01 projectx web01x"));
	ok(strncmp(got, "host-", 5) == 0 && strstr(got, "corp") == NULL &&
	           strstr(got, "CORP") == NULL && strstr(got, "Web01") == NULL &&
	           strstr(got, "word-") != NULL && strstr(got, "web01x") != NULL,
	   "host names and words, any case, whole words only: %s", got);
	free(got);
	observed = 0;
	got = xstrdup(redact("ingrid@example.org from 10.1.2.77 and 10.1.2.77"));
	free(got);
	got = xstrdup(redact("again ingrid@example.org from 10.1.2.77"));
	ok(observed == 2, "the observer hears each replacement once (%d)", observed);
	free(got);
	/* 1.0.0.127.in-addr.arpa names loopback and stays; the address 1.0.0.127 does not. */
	observed = 0;
	got = xstrdup(redact("ptr 1.0.0.127.in-addr.arpa"));
	free(got);
	got = xstrdup(redact("from 1.0.0.127"));
	ok(observed == 1 && strstr(got, "1.0.0.127") == NULL,
	   "what stays is not told, and does not hide a later replacement (%d): %s", observed, got);
	free(got);
}

/* Base64 (either alphabet, padded or not) decoded to a string; "" when it is not base64. */
static char *unbase64(const char *b64, size_t n)
{
	char in[512] = {0};
	unsigned char out[512];
	size_t k = 0;
	int got;

	if (n + 3 >= sizeof(in))
		return xstrdup("");
	for (size_t i = 0; i < n; i++)
		in[k++] = b64[i] == '-' ? '+' : b64[i] == '_' ? '/' : b64[i];
	while (k % 4)
		in[k++] = '=';
	got = EVP_DecodeBlock(out, (const unsigned char *)in, (int)k);
	if (got < 0)
		return xstrdup("");
	while (k > 0 && in[k - 1] == '=') {
		got--;
		k--;
	}
	return xstrndup((const char *)out, (size_t)got);
}

/* Percent-decoding. */
static char *unpercent(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; s[i]; i++) {
		unsigned v;

		if (s[i] == '%' && s[i + 1] && s[i + 2] && sscanf(s + i + 1, "%2x", &v) == 1) {
			strbuf_addch(&sb, (char)v);
			i += 2;
		} else {
			strbuf_addch(&sb, s[i]);
		}
	}
	return sb.buf ? sb.buf : xstrdup("");
}

/*
 * Percent-encoded and base64 forms (the names are listed by test_other): decoded, redacted and
 * encoded again; what is not such a form, or has nothing to replace, stays as it was.
 */
static void test_encoded(void)
{
	char *got, *dec, *inner, buf[IPADDR_TEXT_MAX];
	const char *b64;
	size_t n;
	struct error err;

	got = xstrdup(redact("GET /login?user=karin%40corp.example.com&next=%2Fhome HTTP/1.1"));
	dec = unpercent(got);
	ok(strstr(got, "karin") == NULL && strstr(dec, "corp.example.com") == NULL &&
	           strstr(dec, "@host-") != NULL && strstr(got, "&next=%2Fhome HTTP/1.1") != NULL,
	   "a percent-encoded e-mail address: %s", got);
	free(got);
	free(dec);

	got = xstrdup(redact("q=10%2E20%2E30%2E40 end"));
	dec = unpercent(got);
	inner = subst("q=%s end", mapped("10.20.30.40", buf));
	ok(strcmp(dec, inner) == 0 && strstr(got, "%2E") != NULL,
	   "a percent-encoded address, its escapes kept: %s", got);
	free(got);
	free(dec);
	free(inner);

	/* What the text says as it stands is not lost to its decoded form. */
	got = xstrdup(redact("q=karin%2D10.0.0.1 end"));
	ok(strncmp(got, "q=user-", 7) == 0 && strstr(got, "%2D") != NULL &&
	           strstr(got, "10.0.0.1") == NULL,
	   "a listed name that is a word only as the text stands: %s", got);
	free(got);
	got = xstrdup(redact("x=web01%C2%A010.0.0.1 end"));
	ok(strncmp(got, "x=host-", 7) == 0 && strstr(got, "10.0.0.1") == NULL,
	   "and one before an escaped UTF-8 byte: %s", got);
	free(got);
	got = xstrdup(redact("to=anna%2Ekarin+bob@corp.se u=karin%40x~2a00:1450::1 end"));
	ok(strncmp(got, "to=mail-", 8) == 0 && strstr(got, "karin+bob") == NULL &&
	           strstr(got, "2a00:1450::1") == NULL,
	   "a local part or an address going on past the run: %s", got);
	free(got);
	got = xstrdup(redact("GET /~bob%40example.org/~10%2E1%2E2%2E3 end"));
	dec = unpercent(got);
	ok(strstr(got, "bob") == NULL && strstr(dec, "10.1.2.3") == NULL,
	   "a run that begins with ~: %s", got);
	free(got);
	free(dec);

	got = xstrdup(redact("Authorization: Basic a2FyaW46c2VjcmV0"));
	b64 = got + strlen("Authorization: Basic ");
	dec = unbase64(b64, strlen(b64));
	ok(strncmp(dec, "user-", 5) == 0 && strstr(dec, ":secret") != NULL &&
	           strchr(b64, ' ') == NULL && strlen(b64) % 4 == 0,
	   "HTTP Basic credentials in base64: %s (%s)", got, dec);
	free(got);
	free(dec);

	/* Text that begins with a capital is base64 that begins with I to Z; with a tab, C. */
	for (int k = 0; k < 2; k++) {
		static const char *const runs[] = {"S2FyaW4gbG9nZ2VkIGlu",
		                                   "CWthcmluIGxvZ2dlZCBpbg=="};
		char line[64];

		snprintf(line, sizeof(line), "token=%s end", runs[k]);
		got = xstrdup(redact(line));
		b64 = got + strlen("token=");
		n = strcspn(b64, " ");
		dec = unbase64(b64, n);
		ok(strstr(got, runs[k]) == NULL && strstr(dec, "Karin") == NULL &&
		           strstr(dec, "karin") == NULL && strstr(dec, " logged in") != NULL &&
		           strcmp(b64 + n, " end") == 0,
		   "base64 of text that begins with %s: %s (%s)", k ? "a tab" : "a capital", got,
		   dec);
		free(got);
		free(dec);
	}

	/* {"sub":"karin","ip":"10.20.30.40"} in URL-safe base64 without padding, a JWT's part. */
	got = xstrdup(redact("jwt eyJzdWIiOiJrYXJpbiIsImlwIjoiMTAuMjAuMzAuNDAifQ.sig"));
	b64 = got + 4;
	n = strcspn(b64, ".");
	dec = unbase64(b64, n);
	inner = subst("\"ip\":\"%s\"", mapped("10.20.30.40", buf));
	ok(strstr(dec, "\"sub\":\"user-") != NULL && strstr(dec, inner) != NULL &&
	           strncmp(b64 + n, ".sig", 4) == 0 && memchr(b64, '=', n) == NULL,
	   "URL-safe base64 (a JWT's claims): %s", dec);
	free(got);
	free(dec);
	free(inner);

	got = xstrdup(redact("double a2FyaW4%3D end"));
	n = strcspn(got + 7, " ");
	inner = xstrndup(got + 7, n);
	dec = unpercent(inner);
	free(inner);
	inner = unbase64(dec, strlen(dec));
	ok(strncmp(inner, "user-", 5) == 0 && strstr(got, "a2FyaW4") == NULL,
	   "base64 inside percent-encoding: %s (%s)", got, inner);
	free(got);
	free(dec);
	free(inner);

	check("100% sure, 50%25, Accepted password, /usr/bin/ls, deadbeefcafebabe",
	      "100% sure, 50%25, Accepted password, /usr/bin/ls, deadbeefcafebabe", NULL,
	      "text that only looks encoded, or has nothing to replace, stays");
	/* "YWFhYWFh" is also base64 ("aaaaaa"): listed, it is replaced as itself. */
	got = xstrdup(tokeniser_add(tk, PSEUDO_WORDS, "YWFhYWFh", &err) == 0
	                      ? redact("code YWFhYWFh here")
	                      : "(not listed)");
	ok(strncmp(got, "code word-", 10) == 0 && strstr(got, "YWFh") == NULL,
	   "a listed name that decodes to text is still replaced: %s", got);
	free(got);
}

/*
 * A listed telephone number, in the forms people write it: each becomes the token of the number
 * as listed, and only its own text; other numbers, addresses, dates and longer numbers stay.
 */
static void test_phone(void)
{
	static const struct {
		const char *line, *want; /* want: "%s" is the token; NULL: as it was */
	} cases[] = {
	        {"call +46 8 123 456 78 now", "call %s now"},
	        {"call 08-123 456 78 now", "call %s now"},
	        {"call 0046812345678 now", "call %s now"},
	        {"call +46 (0)8 123 456 78 now", "call %s now"},
	        {"call 08/12345678 now", "call %s now"},
	        {"call +46-8-123.456.78 now", "call %s now"},
	        {"call (08) 123 456 78 now", "call (%s now"},
	        {"tel:+46812345678, now", "tel:%s, now"},
	        {"sms to=46812345678 sent", "sms to=%s sent"},
	        {"call 08 123 456 78 2026-11-27", "call %s 2026-11-27"},
	        {"2026-11-27 10:00:01 +46812345678 login", "2026-11-27 10:00:01 %s login"},
	        {"2026-11-27 08-123 456 78", "2026-11-27 %s"},
	        {"id 1 0812345678", "id 1 %s"},
	        {"call 08-123 456 78/08-765 432 10 now", "call %s/08-765 432 10 now"},
	        {"call +47 8 123 456 78, 0047 8 123 456 78", NULL},
	        {"08-123 456 79, 108-123 456 78, 08-123 456 789, 1234", NULL},
	        {"6812345678 and 68 123 456 78: not the country code", NULL},
	        {"+46 8 123 456 78.5 is a decimal", NULL},
	        {"src=81.234.56.78 dst=10.8.123.45", NULL},
	};
	char token[PSEUDO_TOKEN_MAX + 1], buf[IPADDR_TEXT_MAX], buf2[IPADDR_TEXT_MAX];
	struct error err;
	int all = 1;

	ok(tokeniser_add_phone(tk, "Tel. +46 8 123 456 78", &err) == 0 &&
	           tokeniser_add_phone(tk, "1234", &err) == 1 &&
	           tokeniser_field(tk, PSEUDO_WORDS, "Tel. +46 8 123 456 78", 21, token, &err) == 0,
	   "a number of seven digits or more is listed, from its + or first digit; a shorter one "
	   "is "
	   "not");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = xstrdup(redact(cases[i].line)), *want;

		if (cases[i].want)
			want = subst(cases[i].want, token);
		else if (strncmp(cases[i].line, "src=", 4) == 0)
			want = xasprintf("src=%s dst=%s", mapped("81.234.56.78", buf),
			                 mapped("10.8.123.45", buf2));
		else
			want = xstrdup(cases[i].line);
		if (strcmp(got, want) != 0) {
			printf("#   %s -> %s, want %s\n", cases[i].line, got, want);
			all = 0;
		}
		free(got);
		free(want);
	}
	ok(all, "the number in each of its forms becomes its token %s; other numbers stay", token);
}

static void test_lines(void)
{
	const char *text = "a 10.1.2.3\nb fd12::1:\n\nc karin@x\n";
	struct strbuf sb = STRBUF_INIT;
	struct error err;
	size_t nl_in = 0, nl_out = 0;
	struct addrmap *am2;
	struct tokeniser *tk2;
	char big[4096];

	tokeniser_scan(tk, text, strlen(text), &err);
	tokeniser_line(tk, text, strlen(text), &sb, &err);
	for (const char *p = text; *p; p++)
		nl_in += *p == '\n';
	for (size_t k = 0; k < sb.len; k++)
		nl_out += sb.buf[k] == '\n';
	ok(nl_in == nl_out, "newlines are never added or removed (%zu, %zu)", nl_in, nl_out);
	strbuf_release(&sb);

	/* Kept addresses stay; NUL bytes and junk pass through. */
	am2 = addrmap_new(keys.sub[PSEUDO_ADDRESSES], &err);
	addrmap_keep(am2, "45.77.1.2", &err);
	tk2 = tokeniser_new(&keys, am2);
	tokeniser_line(tk2, "from 45.77.1.2 and 45.77.1.3", 28, &sb, &err);
	ok(strstr(sb.buf, "from 45.77.1.2 and ") != NULL && strstr(sb.buf, "45.77.1.3") == NULL,
	   "a kept address stays in clear, its neighbour does not: %s", sb.buf);
	strbuf_reset(&sb);
	memset(big, ':', sizeof(big));
	memcpy(big + 100, "\0x10.1.2.3", 10);
	ok(tokeniser_line(tk2, big, sizeof(big), &sb, &err) == 0 && sb.len > 4000,
	   "a long line of colons with a NUL is handled");
	strbuf_release(&sb);
	tokeniser_free(tk2);
	addrmap_free(am2);
}

/*
 * Addresses whose cycle under the map is short and all taken (Crypto-PAn is prefix-preserving,
 * so short cycles exist): an input the tokeniser's fuzz target found, under its key. The map
 * steps off such a cycle instead of failing.
 */
static void test_short_cycle(void)
{
	static const uint8_t fuzz_key[PSEUDO_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
	static const char line[] = "PTR 150.3.7.in-addr.arpa. b.a.9.8.7.6.57.6.5.4.3h\0\0\0.0.1."
	                           "0.0\0\0\0\027.0.0\322\313.0.0.0.0.@.b.t.0.&.0.0.2.ip6. fra";
	struct pseudo_keys fk;
	struct addrmap *m;
	struct tokeniser *t;
	struct strbuf sb = STRBUF_INIT;
	struct error err = {{0}};
	int sealed;

	if (pseudo_keys_derive(fuzz_key, &fk, &err) < 0) {
		ok(0, "keys: %s", err.msg);
		return;
	}
	m = addrmap_new(fk.sub[PSEUDO_ADDRESSES], &err);
	addrmap_keep(m, "45.77.0.0/16", &err);
	t = tokeniser_new(&fk, m);
	tokeniser_scan(t, line, sizeof(line) - 1, &err);
	sealed = addrmap_seal(m, &err) == 0;
	ok(sealed, "a short cycle whose members are all taken is stepped off: %s",
	   sealed ? "sealed" : err.msg);
	ok(sealed && tokeniser_line(t, line, sizeof(line) - 1, &sb, &err) == 0 &&
	           sb.len >= sizeof(line) / 2,
	   "and the line is tokenised");
	strbuf_release(&sb);
	tokeniser_free(t);
	addrmap_free(m);
	pseudo_keys_wipe(&fk);
}

/* The matchers a prefilter stands for, at s[i]: what they took together. */
static size_t take_hex(struct tokeniser *t, const char *s, size_t i, size_t len)
{
	return tokenise_match_mac(t, s, i, len) + tokenise_match_ip6_arpa(t, s, i, len) +
	       tokenise_match_ipv6(t, s, i, len);
}

static size_t take_ipv4(struct tokeniser *t, const char *s, size_t i, size_t len)
{
	return tokenise_match_ipv4(t, s, i, len) + tokenise_match_ipv4_dashed(t, s, i, len);
}

/*
 * Pieces drawn at random, each followed by a space or not, until the line holds at least min
 * bytes; then three of its bytes changed to ones of alphabet. Returns the line's length: line
 * must hold min, the longest piece and one byte more.
 */
static size_t random_line(char *line, size_t min, const char *const *pieces, size_t n_pieces,
                          const char *alphabet, unsigned *seed)
{
	size_t len = 0;

	while (len < min) {
		const char *p;
		size_t n;

		*seed = *seed * 1103515245 + 12345;
		p = pieces[(*seed >> 16) % n_pieces];
		n = strlen(p);
		memcpy(line + len, p, n);
		len += n;
		if (*seed & 0x100) /* most matchers want no letter or digit after them */
			line[len++] = ' ';
	}
	for (int k = 0; k < 3; k++) {
		*seed = *seed * 1103515245 + 12345;
		line[(*seed >> 8) % len] = alphabet[(*seed >> 20) % strlen(alphabet)];
	}
	return len;
}

/*
 * The scanner calls matchers only where their prefilter says one may begin: at every position
 * of random text built from their forms, pieces of them and mutations (bytes changed to others
 * of alphabet), where it says none may, they must take nothing. Some positions must both pass
 * and match, or the test proves nothing.
 */
static void check_prefilter(const char *what, const char *const *pieces, size_t n_pieces,
                            const char *alphabet, int (*may_match)(const char *, size_t, size_t),
                            size_t (*take)(struct tokeniser *, const char *, size_t, size_t))
{
	char line[512];
	size_t passed = 0, matched = 0, wrong = 0;
	unsigned seed = 12345;
	struct error err;
	/* Its own map and tokeniser, scanning (so that every address is only noted). */
	struct addrmap *m = addrmap_new(keys.sub[PSEUDO_ADDRESSES], &err);
	struct tokeniser *t = tokeniser_new(&keys, m);

	for (int round = 0; round < 4000; round++) {
		size_t len = random_line(line, 200, pieces, n_pieces, alphabet, &seed);

		for (size_t i = 0; i < len; i++) {
			int may = may_match(line, i, len);
			size_t took = take(t, line, i, len);

			passed += may;
			matched += may && took > 0;
			wrong += !may && took > 0;
		}
	}
	ok(wrong == 0 && matched > 5000 && passed > matched,
	   "%s never begins where the prefilter says none may (%zu positions passed, %zu of them "
	   "matched, %zu wrongly refused)",
	   what, passed, matched, wrong);
	tokeniser_free(t);
	addrmap_free(m);
}

static void test_prefilters(void)
{
	static const char *const hex[] = {
	        "00:11:22:33:44:55",
	        "0A-1b-2C-3d-4E-5f",
	        "0011.2233.4455",
	        "fe80::1",
	        "::1",
	        "::ffff:192.0.2.1",
	        "2001:db8::42",
	        "2001:DB8:0:0:8:800:200C:417A",
	        "abcd:",
	        "b.a.9.8.7.6.5.4.3.2.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
	        "1:2:3:4:5:6:7:8",
	        "12345::1",
	        "a.b",
	        "dead:beef::",
	        ":::",
	        "0.",
	        "ff-",
	        "0123.",
	        "1.2.3.4",
	        "10:20:30",
	        "::",
	        "f",
	        " ",
	        "-",
	        ".",
	        ":",
	        "x",
	        "cafe",
	        "1f:2e:3d:4c:5b"};
	static const char *const ipv4[] = {"192.168.0.1",
	                                   "10.0.0.1.22",
	                                   "192.030.0.6",
	                                   "3.31.172.in-addr.arpa",
	                                   "10.in-addr.arpa",
	                                   "ip-172-31-3-150",
	                                   "dhcp-192-168-0-66",
	                                   "10_0_0_1",
	                                   "1.2.3.4.5",
	                                   "1.2.3.4567",
	                                   "256.1.1.1",
	                                   "2026-12-02",
	                                   "14:28:24",
	                                   "[1234]",
	                                   "0",
	                                   "1.",
	                                   "12-",
	                                   "123_",
	                                   "1234.5",
	                                   "-",
	                                   ".",
	                                   "_",
	                                   " ",
	                                   "x"};

	check_prefilter("a MAC, ip6.arpa name or IPv6 address", hex, sizeof(hex) / sizeof(hex[0]),
	                "0123456789abcdefABCDEF:.-x ", tokenise_hex_may_match, take_hex);
	check_prefilter("an IPv4 address, with dots or dashes, or an in-addr.arpa name", ipv4,
	                sizeof(ipv4) / sizeof(ipv4[0]), "0123456789.-_:x ", tokenise_ipv4_may_match,
	                take_ipv4);
}

/*
 * The first pass tries only the matchers that find addresses: whatever it skips, every address
 * the second pass maps must have been noted by it (else the map could give an earlier address
 * the same result). Lines made of addresses in every form, inside e-mail addresses, listed
 * names, telephone numbers, URLs, base64 and percent-encoded runs, with bytes changed at random,
 * each with a map of its own (an address missed in one line must not be noted from another),
 * names listed before the first pass (--words) and after it (the bundle's): after the second
 * pass no map holds an address more than the first noted.
 */
static void test_scan_notes_all(void)
{
	static const char *const pieces[] = {"10.1.2.3",
	                                     "192.030.0.6",
	                                     "81.234.56.78:443",
	                                     "[2001:db8::5]:22",
	                                     "fe80::1%eth0",
	                                     "::ffff:192.0.2.1",
	                                     "ip-172-31-3-150",
	                                     "dhcp-192-168-0-66",
	                                     "10_0_0_1",
	                                     "3.31.172.in-addr.arpa",
	                                     "00:1a:2b:3c:4d:5e",
	                                     "2001:DB8:0:0:8:800:200C:417A",
	                                     "karin@10.9.8.7",
	                                     "a.10.0.0.1@example.org",
	                                     "karin",
	                                     "web01.corp.example.com",
	                                     "web-01",
	                                     "zz12",
	                                     "+46 8 123 456 78",
	                                     "08-123 45 67",
	                                     "-89-10-11-12-ab",
	                                     "::10.9.8.7",
	                                     ":34:56:78:9a:10-0-0-1",
	                                     "http://10.7.7.7:8080/x?u=karin",
	                                     "ZnJvbSAxMC4xLjIuMyB0byBmZTgwOjo5",
	                                     "ZnJvbSAxMC4xLjIuMw==",
	                                     "10%2E0%2E0%2E7",
	                                     "/~bob%4010.2.2.2",
	                                     "Nov 23 03:59:47",
	                                     "sshd[1234]: Accepted password for",
	                                     "daemon",
	                                     "failed",
	                                     "UFW BLOCK SRC=",
	                                     "uid=0(root)",
	                                     "=",
	                                     "-",
	                                     ".",
	                                     ":"};
	static const char alphabet[] = "0123456789abcdefABCXYZ:.-_@%=/ ";
	unsigned seed = 4242;
	size_t noted = 0, late = 0, lines = 0;
	struct strbuf out = STRBUF_INIT;
	struct error err;

	for (int k = 0; k < 4000; k++) {
		struct addrmap *m = addrmap_new(keys.sub[PSEUDO_ADDRESSES], &err);
		struct tokeniser *t = tokeniser_new(&keys, m);
		char text[256];
		size_t len, before;

		/* As redact lists them: --words before the first pass, the bundle's after. */
		tokeniser_add(t, PSEUDO_WORDS, "web-01", &err);
		tokeniser_add(t, PSEUDO_WORDS, "zz12", &err);
		len = random_line(text, 120, pieces, sizeof(pieces) / sizeof(pieces[0]), alphabet,
		                  &seed);
		tokeniser_scan(t, text, len, &err);
		tokeniser_add(t, PSEUDO_USERS, "karin", &err);
		tokeniser_add(t, PSEUDO_HOSTS, "web01.corp.example.com", &err);
		tokeniser_add_phone(t, "+46 8 123 456 78", &err);
		tokeniser_add_phone(t, "08-123 45 67", &err);
		addrmap_seal(m, &err);
		before = addrmap_count(m);
		strbuf_reset(&out);
		tokeniser_line(t, text, len, &out, &err);
		lines++;
		noted += before;
		late += addrmap_count(m) - before;
		tokeniser_free(t);
		addrmap_free(m);
	}
	strbuf_release(&out);
	ok(late == 0 && noted > 10000,
	   "the first pass notes every address the second maps (%zu lines, %zu addresses noted, "
	   "%zu met only in the second pass)",
	   lines, noted, late);
}

int main(void)
{
	uint8_t key[PSEUDO_KEY_LEN];
	struct error err;

	for (int i = 0; i < PSEUDO_KEY_LEN; i++)
		key[i] = (uint8_t)(i * 11 + 5);
	if (pseudo_keys_derive(key, &keys, &err) < 0)
		return 1;
	am = addrmap_new(keys.sub[PSEUDO_ADDRESSES], &err);
	tk = tokeniser_new(&keys, am);
	tokeniser_set_observer(tk, observer, NULL);
	test_addresses();
	test_other();
	test_encoded();
	test_phone();
	test_lines();
	test_short_cycle();
	test_prefilters();
	test_scan_notes_all();
	tokeniser_free(tk);
	addrmap_free(am);
	pseudo_keys_wipe(&keys);
	return tap_done();
}
