/*
 * Known answers for the pseudonymisation primitives: HMAC-SHA256 from RFC 4231 (test cases 1
 * to 7, section 4) and HKDF-SHA256 from RFC 5869 (appendix A, test cases 1 to 3); then the
 * subkeys, tokens and the incident key's text form.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "trust/pseudo.h"

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static void fill(uint8_t *b, size_t n, uint8_t v)
{
	memset(b, v, n);
}

static void seq(uint8_t *b, uint8_t from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(from + i);
}

static void test_hmac(void)
{
	static const char case7[] =
	        "This is a test using a larger than block-size key and a larger than block-size "
	        "data. The key needs to be hashed before being used by the HMAC algorithm.";
	uint8_t key[131], data[50], mac[32];
	char got[65];
	struct error err;

	fill(key, 20, 0x0b);
	ok(pseudo_hmac_sha256(key, 20, "Hi There", 8, mac, &err) == 0, "RFC 4231 case 1 runs");
	hex(mac, 32, got);
	is_str(got, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	       "RFC 4231 case 1");
	pseudo_hmac_sha256((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28, mac,
	                   &err);
	hex(mac, 32, got);
	is_str(got, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	       "RFC 4231 case 2");
	fill(key, 20, 0xaa);
	fill(data, 50, 0xdd);
	pseudo_hmac_sha256(key, 20, data, 50, mac, &err);
	hex(mac, 32, got);
	is_str(got, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
	       "RFC 4231 case 3");
	seq(key, 1, 25);
	fill(data, 50, 0xcd);
	pseudo_hmac_sha256(key, 25, data, 50, mac, &err);
	hex(mac, 32, got);
	is_str(got, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
	       "RFC 4231 case 4");
	fill(key, 20, 0x0c);
	pseudo_hmac_sha256(key, 20, "Test With Truncation", 20, mac, &err);
	hex(mac, 16, got);
	is_str(got, "a3b6167473100ee06e0c796c2955552b", "RFC 4231 case 5 (first 128 bits)");
	fill(key, 131, 0xaa);
	pseudo_hmac_sha256(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
	                   mac, &err);
	hex(mac, 32, got);
	is_str(got, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	       "RFC 4231 case 6");
	pseudo_hmac_sha256(key, 131, case7, strlen(case7), mac, &err);
	hex(mac, 32, got);
	is_str(got, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
	       "RFC 4231 case 7");
}

static void test_hkdf(void)
{
	uint8_t ikm[80], salt[80], info[80], okm[82];
	char got[165];
	struct error err;

	fill(ikm, 22, 0x0b);
	seq(salt, 0, 13);
	seq(info, 0xf0, 10);
	ok(pseudo_hkdf_sha256(salt, 13, ikm, 22, info, 10, okm, 42, &err) == 0,
	   "RFC 5869 case 1 runs");
	hex(okm, 42, got);
	is_str(got,
	       "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b8871858"
	       "65",
	       "RFC 5869 case 1");
	seq(ikm, 0, 80);
	seq(salt, 0x60, 80);
	seq(info, 0xb0, 80);
	pseudo_hkdf_sha256(salt, 80, ikm, 80, info, 80, okm, 82, &err);
	hex(okm, 82, got);
	is_str(got,
	       "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271"
	       "cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
	       "RFC 5869 case 2");
	fill(ikm, 22, 0x0b);
	pseudo_hkdf_sha256(NULL, 0, ikm, 22, NULL, 0, okm, 42, &err);
	hex(okm, 42, got);
	is_str(got,
	       "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96"
	       "c8",
	       "RFC 5869 case 3 (no salt, no info)");
}

static void test_tokens(void)
{
	uint8_t key[PSEUDO_KEY_LEN], key2[PSEUDO_KEY_LEN],
	        mac_in[6] = {0, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e};
	uint8_t mac_out[6], mac_out2[6];
	struct pseudo_keys k, k2;
	char a[PSEUDO_TOKEN_MAX + 1], b[PSEUDO_TOKEN_MAX + 1], c[PSEUDO_TOKEN_MAX + 1];
	struct error err;
	int distinct = 1;

	seq(key, 1, sizeof(key));
	memcpy(key2, key, sizeof(key));
	key2[31] ^= 1;
	ok(pseudo_keys_derive(key, &k, &err) == 0 && pseudo_keys_derive(key2, &k2, &err) == 0,
	   "subkeys derive");
	for (int i = 0; i < PSEUDO_TYPE_COUNT; i++)
		for (int j = i + 1; j < PSEUDO_TYPE_COUNT; j++)
			if (memcmp(k.sub[i], k.sub[j], PSEUDO_KEY_LEN) == 0)
				distinct = 0;
	ok(distinct, "every type has its own subkey");
	ok(strlen(k.key_id) == PSEUDO_KEY_ID_LEN && strcmp(k.key_id, k2.key_id) != 0,
	   "the key id has 16 characters and differs between keys");
	pseudo_token(&k, PSEUDO_USERS, "karin", 5, a, &err);
	pseudo_token(&k, PSEUDO_USERS, "karin", 5, b, &err);
	ok(strncmp(a, "user-", 5) == 0 && strlen(a) == 15 && strcmp(a, b) == 0,
	   "a user token is user- and 10 characters, the same each time (%s)", a);
	pseudo_token(&k2, PSEUDO_USERS, "karin", 5, b, &err);
	ok(strcmp(a, b) != 0, "another key gives another token");
	pseudo_token(&k, PSEUDO_WORDS, "karin", 5, c, &err);
	ok(strcmp(a + 5, c + 5) != 0 && strncmp(c, "word-", 5) == 0,
	   "the same text as another type gives an unrelated token");
	pseudo_token(&k, PSEUDO_HOSTS, "Web01", 5, a, &err);
	pseudo_token(&k, PSEUDO_HOSTS, "web01", 5, b, &err);
	ok(strcmp(a, b) == 0 && strncmp(a, "host-", 5) == 0, "host names ignore case");
	pseudo_token(&k, PSEUDO_USERS, "Karin", 5, b, &err);
	pseudo_token(&k, PSEUDO_USERS, "karin", 5, c, &err);
	ok(strcmp(b, c) != 0, "user names keep their case");
	ok(pseudo_token(&k, PSEUDO_ADDRESSES, "x", 1, a, &err) < 0,
	   "addresses get no text token (they have Crypto-PAn)");
	pseudo_mac(&k, mac_in, mac_out, &err);
	pseudo_mac(&k, mac_in, mac_out2, &err);
	ok(memcmp(mac_out, mac_out2, 6) == 0 && (mac_out[0] & 3) == 2 &&
	           memcmp(mac_out, mac_in, 6) != 0,
	   "a MAC maps to a fixed locally administered unicast MAC");
	/* Tokens come from a keyed context that is reused: each must still be the plain
	 * HMAC-SHA256 of its value alone, whatever was hashed before it. */
	{
		static const char *const values[] = {"karin", "", "web01.corp.example.com", "x"};
		uint8_t full[32], want_mac[6];
		int same = 1;

		for (int round = 0; round < 3; round++)
			for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
				static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
				uint64_t bits = 0;
				char want[PSEUDO_TOKEN_MAX + 1] = "word-";

				pseudo_hmac_sha256(k.sub[PSEUDO_WORDS], PSEUDO_KEY_LEN, values[i],
				                   strlen(values[i]), full, &err);
				for (int j = 0; j < 8; j++)
					bits = bits << 8 | full[j];
				for (int j = 0; j < 10; j++)
					want[5 + j] = b32[(bits >> (64 - 5 * (j + 1))) & 31];
				want[15] = '\0';
				if (pseudo_token(&k, PSEUDO_WORDS, values[i], strlen(values[i]), a,
				                 &err) < 0 ||
				    strcmp(a, want) != 0)
					same = 0;
			}
		ok(same, "every token is the HMAC of its value alone, in any order");
		pseudo_hmac_sha256(k.sub[PSEUDO_MAC], PSEUDO_KEY_LEN, mac_in, 6, full, &err);
		memcpy(want_mac, full, 6);
		want_mac[0] = (uint8_t)((want_mac[0] & 0xfc) | 0x02);
		ok(memcmp(mac_out, want_mac, 6) == 0, "a MAC is the HMAC of its 6 bytes");
		pseudo_token(&k, PSEUDO_USERS, "karin", 5, a, &err);
		is_str(a, "user-snsu5yodnn", "known answer: karin under the key 1..32");
	}
	pseudo_keys_wipe(&k);
	pseudo_keys_wipe(&k2);
}

static void test_key_text(void)
{
	static const char good[] =
	        "# comment\n\nlogpack-incident-key-1 "
	        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
	uint8_t key[PSEUDO_KEY_LEN], want[PSEUDO_KEY_LEN];
	struct error err;

	seq(want, 0, sizeof(want));
	ok(pseudo_key_parse(good, strlen(good), key, &err) == 0 && memcmp(key, want, 32) == 0,
	   "the text form parses");
	ok(pseudo_key_parse("logpack-incident-key-1 00\n", 26, key, &err) < 0,
	   "a short key is refused");
	ok(pseudo_key_parse("# only a comment\n", 17, key, &err) < 0 &&
	           strstr(err.msg, "not an incident key") != NULL,
	   "a file without a key line is refused: %s", err.msg);
	{
		char bad[sizeof(good)];

		memcpy(bad, good, sizeof(good));
		bad[40] = 'g';
		ok(pseudo_key_parse(bad, strlen(bad), key, &err) < 0, "a non-hex digit is refused");
	}
}

/* What keygen writes, load reads: the same key id; a key others can read is refused. */
static void test_key_file(void)
{
	char dir[] = "/tmp/unit-pseudo.XXXXXX", path[64], id[PSEUDO_KEY_ID_LEN + 1];
	uint8_t key[PSEUDO_KEY_LEN];
	struct pseudo_keys k;
	struct error err;

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/inc.key", dir);
	ok(pseudo_key_generate(path, id, &err) == 0, "generate a key file");
	ok(pseudo_key_load(path, key, &err) == 0 && pseudo_keys_derive(key, &k, &err) == 0 &&
	           strcmp(k.key_id, id) == 0,
	   "it loads, and gives the id it was written with (%s)", id);
	ok(pseudo_key_generate(path, id, &err) < 0, "an existing file is never replaced: %s",
	   err.msg);
	chmod(path, 0644);
	ok(pseudo_key_load(path, key, &err) < 0, "a key file others can read is refused: %s",
	   err.msg);
	unlink(path);
	rmdir(dir);
	pseudo_keys_wipe(&k);
}

int main(void)
{
	test_hmac();
	test_hkdf();
	test_tokens();
	test_key_text();
	test_key_file();
	return tap_done();
}
