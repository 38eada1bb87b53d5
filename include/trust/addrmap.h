/*
 * The address map of one redaction run: Crypto-PAn (trust/cryptopan.h) restricted so that an
 * address stays in its class (a private range inside itself, public inside public space,
 * special ranges unchanged), --keep addresses stay in clear, and no address is mapped onto a
 * kept address or onto another input address of the run. The exact rule is in
 * docs/redaction.md ("Addresses").
 *
 * Use: addrmap_keep for each kept address or range, addrmap_note for every address of the
 * input (a first pass), addrmap_seal, then addrmap_map. An address mapped without having been
 * noted is noted then: from that moment nothing maps onto it, but an earlier result may equal
 * it, which is why the redactor notes every input first.
 */
#ifndef LOGPACK_ADDRMAP_H
#define LOGPACK_ADDRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* An IPv4 (family 4, b[0..3]) or IPv6 (family 6) address. No padding: compared with memcmp. */
struct ipaddr {
	uint8_t family;
	uint8_t b[16];
};

/* The longest text ipaddr_format writes, with its NUL. */
#define IPADDR_TEXT_MAX 46

/*
 * Parse an address of exactly len characters: dotted IPv4 with one to three decimal digits
 * per part (a leading zero is decimal, never octal: 192.030.0.6 is 192.30.0.6), or any IPv6
 * text form (upper or lower case, with an embedded IPv4). Returns 0, or -1.
 */
int ipaddr_parse(const char *text, size_t len, struct ipaddr *out);
/* Canonical text: dotted decimal without leading zeros, IPv6 as RFC 5952 (lower case). */
void ipaddr_format(const struct ipaddr *a, char out[IPADDR_TEXT_MAX]);
/* The name of the address's class ("private 10/8", "public IPv4", "special: loopback", ...). */
const char *ipaddr_class_name(const struct ipaddr *a);
/* Is the address in a range that is never changed (loopback, multicast, documentation...)? */
int ipaddr_is_special(const struct ipaddr *a);

struct addrmap;

/* key: the 32-byte addresses subkey (trust/pseudo.h). */
struct addrmap *addrmap_new(const uint8_t key[32], struct error *err);
void addrmap_free(struct addrmap *am);
/* Keep an address ("203.0.113.7", "2001:db8::1") or a range ("198.51.100.0/24") in clear.
 * Returns 0, or -1 when text is neither (the reason in err). */
int addrmap_keep(struct addrmap *am, const char *text, struct error *err);
/* Is the address kept in clear? */
int addrmap_is_kept(const struct addrmap *am, const struct ipaddr *a);
/* Record an address of the input: no other address will be mapped onto it. */
void addrmap_note(struct addrmap *am, const struct ipaddr *a);
/* Map every noted address (deterministically: see docs/redaction.md). Returns 0 or -1. */
int addrmap_seal(struct addrmap *am, struct error *err);
/* The pseudonym of in (in itself when kept or special). Returns 0, or -1 with the reason. */
int addrmap_map(struct addrmap *am, const struct ipaddr *in, struct ipaddr *out, struct error *err);
/* How many addresses the map holds. */
size_t addrmap_count(const struct addrmap *am);

#endif
