/*
 * The tokeniser's address matchers: MAC addresses, ip6.arpa names, IPv6 addresses, IPv4
 * addresses and in-addr.arpa names, and IPv4 addresses written with dashes in host names. An
 * address is noted or mapped through the address map (trust/addrmap.h), behind a small cache of
 * the addresses met last; a MAC becomes its keyed pseudonym (trust/pseudo.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trust/tokenise-private.h"

/* Map an address (or only note it, in the first pass). 0, or -1 when the map failed. */
static struct addr_cached *addr_cache_slot(struct tokeniser *tk, const struct ipaddr *a)
{
	uint64_t x, y;

	memcpy(&x, a->b, 8);
	memcpy(&y, a->b + 8, 8);
	x ^= y * 0x9e3779b97f4a7c15ULL ^ a->family;
	x *= 0xff51afd7ed558ccdULL;
	if (tk->addr_cache == NULL)
		tk->addr_cache = xcalloc(ADDR_CACHE_SLOTS, sizeof(*tk->addr_cache));
	return &tk->addr_cache[(x >> 32) % ADDR_CACHE_SLOTS];
}

static int map_addr(struct tokeniser *tk, const struct ipaddr *in, struct ipaddr *out)
{
	struct addr_cached *c = addr_cache_slot(tk, in);
	int want = tk->out ? 2 : 1, rc;

	if (c->state == want && memcmp(&c->in, in, sizeof(*in)) == 0) {
		*out = tk->out ? c->out : *in;
		return 0;
	}
	shared_begin(tk);
	if (tk->out == NULL) {
		addrmap_note(tk->am, in);
		*out = *in;
		rc = 0;
	} else {
		rc = addrmap_map(tk->am, in, out, tk->err);
	}
	shared_end(tk);
	if (rc < 0) {
		tk->failed = 1;
		return rc;
	}
	c->in = *in;
	c->out = *out;
	c->state = (uint8_t)want;
	return 0;
}

static int locked_mac(struct tokeniser *tk, const uint8_t in[6], uint8_t out[6])
{
	int rc;

	shared_begin(tk);
	rc = pseudo_mac(tk->keys, in, out, tk->err);
	shared_end(tk);
	return rc;
}
/* 00:1a:2b:3c:4d:5e, 00-1A-..., or 001a.2b3c.4d5e. */
size_t tokenise_match_mac(struct tokeniser *tk, const char *s, size_t i, size_t len)
{
	uint8_t in[6], out[6];
	const char *p = s + i;
	size_t n = len - i, used;
	int upper = 0;
	char buf[18];

	if (i > 0 && (is_hex((unsigned char)s[i - 1]) || s[i - 1] == ':' || s[i - 1] == '-' ||
	              s[i - 1] == '.'))
		return 0;
	if (n >= 17 && (p[2] == ':' || p[2] == '-')) {
		char sep = p[2];

		for (int g = 0; g < 6; g++) {
			if (!is_hex((unsigned char)p[3 * g]) ||
			    !is_hex((unsigned char)p[3 * g + 1]) || (g < 5 && p[3 * g + 2] != sep))
				return 0;
		}
		used = 17;
		if (n > used && (is_alnum((unsigned char)p[used]) ||
		                 ((p[used] == sep || p[used] == '.') && n > used + 1 &&
		                  is_hex((unsigned char)p[used + 1]))))
			return 0;
		for (int g = 0; g < 6; g++) {
			char h[3] = {p[3 * g], p[3 * g + 1], 0};

			in[g] = (uint8_t)strtoul(h, NULL, 16);
		}
		for (size_t k = 0; k < used; k++)
			upper |= p[k] >= 'A' && p[k] <= 'F';
		if (tk->out == NULL)
			return used;
		if (locked_mac(tk, in, out) < 0) {
			tk->failed = 1;
			return 0;
		}
		snprintf(buf, sizeof(buf),
		         upper ? "%02X%c%02X%c%02X%c%02X%c%02X%c%02X"
		               : "%02x%c%02x%c%02x%c%02x%c%02x%c%02x",
		         out[0], sep, out[1], sep, out[2], sep, out[3], sep, out[4], sep, out[5]);
		tokenise_replaced(tk, PSEUDO_MAC, p, used, buf);
		return used;
	}
	if (n >= 14 && p[4] == '.' && p[9] == '.') {
		for (int g = 0; g < 3; g++)
			for (int k = 0; k < 4; k++)
				if (!is_hex((unsigned char)p[5 * g + k]))
					return 0;
		used = 14;
		if (n > used &&
		    (is_alnum((unsigned char)p[used]) ||
		     (p[used] == '.' && n > used + 1 && is_alnum((unsigned char)p[used + 1]))))
			return 0;
		for (int g = 0; g < 3; g++) {
			char h[5] = {p[5 * g], p[5 * g + 1], p[5 * g + 2], p[5 * g + 3], 0};
			unsigned long v = strtoul(h, NULL, 16);

			in[2 * g] = (uint8_t)(v >> 8);
			in[2 * g + 1] = (uint8_t)v;
		}
		for (size_t k = 0; k < used; k++)
			upper |= p[k] >= 'A' && p[k] <= 'F';
		if (tk->out == NULL)
			return used;
		if (locked_mac(tk, in, out) < 0) {
			tk->failed = 1;
			return 0;
		}
		snprintf(buf, sizeof(buf),
		         upper ? "%02X%02X.%02X%02X.%02X%02X" : "%02x%02x.%02x%02x.%02x%02x",
		         out[0], out[1], out[2], out[3], out[4], out[5]);
		tokenise_replaced(tk, PSEUDO_MAC, p, used, buf);
		return used;
	}
	return 0;
}

/* b.a.9.8. ... .2.0.0.2.ip6.arpa: 32 nibbles, the address backwards. */
size_t tokenise_match_ip6_arpa(struct tokeniser *tk, const char *s, size_t i, size_t len)
{
	const char *p = s + i;
	size_t n = len - i, used = 64 + 8;
	struct ipaddr a = {6, {0}}, m;
	char buf[80];
	static const char hex[] = "0123456789abcdef";

	if (n < used || (i > 0 && (is_word((unsigned char)s[i - 1]) || s[i - 1] == '.')))
		return 0;
	for (int k = 0; k < 32; k++) {
		int c = (unsigned char)p[2 * k], v;

		if (!is_hex(c) || p[2 * k + 1] != '.')
			return 0;
		v = hex_digit_value(c);
		/* Nibble k counts from the address's end. */
		a.b[15 - k / 2] |= (uint8_t)(k % 2 ? v << 4 : v);
	}
	if (!has_prefix_ci(p + 64, n - 64, "ip6.arpa") ||
	    (n > used && is_word((unsigned char)p[used])))
		return 0;
	if (map_addr(tk, &a, &m) < 0)
		return 0;
	if (tk->out == NULL)
		return used;
	for (int k = 0; k < 32; k++) {
		uint8_t byte = m.b[15 - k / 2];

		buf[2 * k] = hex[k % 2 ? byte >> 4 : byte & 15];
		buf[2 * k + 1] = '.';
	}
	memcpy(buf + 64, p + 64, 8);
	buf[72] = '\0';
	tokenise_replaced(tk, PSEUDO_ADDRESSES, p, used, buf);
	return used;
}

size_t tokenise_match_ipv6(struct tokeniser *tk, const char *s, size_t i, size_t len)
{
	const char *p = s + i;
	size_t n = 0, colons = 0;
	struct ipaddr a = {0, {0}}, m;
	char buf[IPADDR_TEXT_MAX];

	if (i > 0 && (is_alnum((unsigned char)s[i - 1]) || s[i - 1] == ':' || s[i - 1] == '.'))
		return 0;
	while (i + n < len && n <= TOKENISE_ADDR_WINDOW &&
	       (is_hex((unsigned char)p[n]) || p[n] == ':' || p[n] == '.')) {
		colons += p[n] == ':';
		n++;
	}
	if (colons < 2)
		return 0;
	/* A longer run ("fe80::1::::::...") is tried from its first TOKENISE_ADDR_WINDOW
	 * characters, so that padding cannot hide an address. */
	if (n > TOKENISE_ADDR_WINDOW)
		n = TOKENISE_ADDR_WINDOW;
	/* "fe80::1:" and "2001:db8::1." at the end of a phrase: the ':' or '.' is not the
	 * address's (an address ending in "::" still parses after one ':' is dropped). */
	while (n > 2) {
		if (ipaddr_parse(p, n, &a) == 0 && a.family == 6)
			break;
		if (p[n - 1] != ':' && p[n - 1] != '.')
			return 0;
		n--;
	}
	if (n <= 2 || a.family != 6)
		return 0;
	if (i + n < len && is_alnum((unsigned char)p[n]))
		return 0;
	if (map_addr(tk, &a, &m) < 0)
		return 0;
	if (tk->out) {
		ipaddr_format(&m, buf);
		tokenise_replaced(tk, PSEUDO_ADDRESSES, p, n, buf);
	}
	return n;
}

/* Up to four decimal parts of one to three digits separated by sep; how many, and the end. */
static int parse_parts(const char *p, size_t n, char sep, unsigned parts[4], size_t *end)
{
	size_t at = 0;
	int count = 0;

	while (count < 4) {
		unsigned v = 0, digits = 0;

		while (at < n && is_digit((unsigned char)p[at]) && digits < 4) {
			v = v * 10 + (unsigned)(p[at] - '0');
			digits++;
			at++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return count == 0 ? 0 : -1;
		parts[count++] = v;
		*end = at;
		if (count == 4 || at + 1 >= n || p[at] != sep ||
		    !is_digit((unsigned char)p[at + 1]))
			break;
		at++;
	}
	return count;
}

/* 192.168.0.1 (decimal, leading zeros allowed), and 3.31.172.in-addr.arpa names. */
size_t tokenise_match_ipv4(struct tokeniser *tk, const char *s, size_t i, size_t len)
{
	const char *p = s + i;
	size_t n = len - i < 64 ? len - i : 64, end = 0;
	unsigned parts[4];
	struct ipaddr a = {4, {0}}, m;
	char buf[IPADDR_TEXT_MAX + 16];
	int count;

	if (i > 0 && (is_digit((unsigned char)s[i - 1]) ||
	              (s[i - 1] == '.' && i > 1 && is_digit((unsigned char)s[i - 2]))))
		return 0;
	count = parse_parts(p, n, '.', parts, &end);
	if (count <= 0)
		return 0;
	if (has_prefix_ci(p + end, n - end, ".in-addr.arpa") &&
	    (end + 13 >= n || !is_word((unsigned char)p[end + 13]))) {
		/* A reverse name: the parts backwards are the address, or the network for fewer
		 * than four (zeros after them). */
		for (int k = 0; k < count; k++)
			a.b[k] = (uint8_t)parts[count - 1 - k];
		if (map_addr(tk, &a, &m) < 0)
			return 0;
		if (tk->out) {
			size_t o = 0;

			for (int k = count - 1; k >= 0; k--)
				o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%u%s", m.b[k],
				                      k ? "." : "");
			tokenise_replaced(tk, PSEUDO_ADDRESSES, p, end, buf);
		}
		return end;
	}
	if (count != 4)
		return 0;
	/* 1.2.3.4.5.6 (an OID, a version) and 1.2.3.4567 are not addresses; tcpdump's
	 * address.port (10.0.0.1.22) is one, followed by its port. */
	if (end < n && is_digit((unsigned char)p[end]))
		return 0;
	if (end < n && p[end] == '.' && end + 1 < n && is_digit((unsigned char)p[end + 1])) {
		size_t k = end + 1;
		unsigned long port = 0;

		while (k < n && is_digit((unsigned char)p[k]) && k - end <= 5)
			port = port * 10 + (unsigned long)(p[k++] - '0');
		if (k - end - 1 > 5 || port > 65535 || (k < n && is_digit((unsigned char)p[k])) ||
		    (k + 1 < n && p[k] == '.' && is_digit((unsigned char)p[k + 1])))
			return 0;
	}
	for (int k = 0; k < 4; k++)
		a.b[k] = (uint8_t)parts[k];
	if (map_addr(tk, &a, &m) < 0)
		return 0;
	if (tk->out) {
		ipaddr_format(&m, buf);
		tokenise_replaced(tk, PSEUDO_ADDRESSES, p, end, buf);
	}
	return end;
}

/* ip-172-31-3-150, dhcp-192-168-0-66, 10_0_0_1: an address in a host name. */
size_t tokenise_match_ipv4_dashed(struct tokeniser *tk, const char *s, size_t i, size_t len)
{
	const char *p = s + i;
	size_t n = len - i < 32 ? len - i : 32, end = 0;
	unsigned parts[4];
	struct ipaddr a = {4, {0}}, m;
	char sep, buf[IPADDR_TEXT_MAX];

	if (i > 0 && (is_alnum((unsigned char)s[i - 1]) || s[i - 1] == '.'))
		return 0;
	for (end = 0; end < n && is_digit((unsigned char)p[end]); end++)
		;
	if (end == n || (p[end] != '-' && p[end] != '_'))
		return 0;
	sep = p[end];
	if (parse_parts(p, n, sep, parts, &end) != 4)
		return 0;
	if (end < n && (is_digit((unsigned char)p[end]) ||
	                (p[end] == sep && end + 1 < n && is_digit((unsigned char)p[end + 1]))))
		return 0;
	for (int k = 0; k < 4; k++)
		a.b[k] = (uint8_t)parts[k];
	if (map_addr(tk, &a, &m) < 0)
		return 0;
	if (tk->out) {
		snprintf(buf, sizeof(buf), "%u%c%u%c%u%c%u", m.b[0], sep, m.b[1], sep, m.b[2], sep,
		         m.b[3]);
		tokenise_replaced(tk, PSEUDO_ADDRESSES, p, end, buf);
	}
	return end;
}
