/* age: keys, round trips in odd-sized pieces, and a parser that survives garbage. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "tap.h"
#include "trust/age.h"

struct buf {
	unsigned char *data;
	size_t len, cap;
};

static int collect_output(void *ctx, const void *p, size_t len, struct error *err)
{
	struct buf *b = ctx;

	(void)err;
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 16;
		b->data = realloc(b->data, b->cap);
		if (b->data == NULL)
			abort();
	}
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

static int encrypt_to(const struct age_recipient *r, size_t n, const unsigned char *plain,
                      size_t len, size_t piece, struct buf *out)
{
	struct age_encryptor *e = NULL;
	struct error err = {{0}};
	int rc = -1;

	if (age_encryptor_new(&e, r, n, collect_output, out, &err) < 0)
		goto done;
	for (size_t off = 0; off < len; off += piece)
		if (age_encryptor_write(e, plain + off, len - off < piece ? len - off : piece,
		                        &err) < 0)
			goto done;
	rc = age_encryptor_finish(e, &err);
done:
	age_encryptor_free(e);
	return rc;
}

/* Decrypt in pieces; 0 only when the whole stream authenticated. */
static int decrypt_with(const struct age_identity *id, const unsigned char *in, size_t len,
                        size_t piece, struct buf *out, struct error *err)
{
	struct age_decryptor *d = NULL;
	int rc = -1;

	out->len = 0;
	if (age_decryptor_new(&d, id, collect_output, out, err) < 0)
		goto done;
	for (size_t off = 0; off < len; off += piece)
		if (age_decryptor_write(d, in + off, len - off < piece ? len - off : piece, err) <
		    0)
			goto done;
	rc = age_decryptor_finish(d, err);
done:
	age_decryptor_free(d);
	return rc;
}

int main(void)
{
	static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 3 * 65536, 200000};
	struct age_identity *id1 = NULL, *id2 = NULL, *id3 = NULL, *parsed = NULL;
	struct age_recipient r[2], back;
	struct buf enc = {0}, dec = {0};
	struct error err = {{0}};
	unsigned char *plain = malloc(200000), *copy;
	char *sk1 = NULL, *sk2 = NULL, *sk3 = NULL, *text;
	size_t header_len;
	int all_ok;

	RAND_bytes(plain, 200000);
	ok(age_identity_generate(&id1, &sk1, &err) == 0 &&
	           age_identity_generate(&id2, &sk2, &err) == 0 &&
	           age_identity_generate(&id3, &sk3, &err) == 0,
	   "three identities generated");
	ok(strncmp(sk1, "AGE-SECRET-KEY-1", 16) == 0 && strlen(sk1) == 74,
	   "a secret key's text: AGE-SECRET-KEY-1 and 58 characters");
	age_identity_recipient(id1, &r[0]);
	age_identity_recipient(id2, &r[1]);
	text = age_recipient_format(&r[0]);
	ok(strncmp(text, "age1", 4) == 0 && strlen(text) == 62, "a recipient's text: age1...");
	ok(age_recipient_parse(text, &back, &err) == 0 &&
	           memcmp(back.pub, r[0].pub, AGE_KEY_LEN) == 0,
	   "a recipient parses back to its key");
	ok(age_identity_parse(sk1, &parsed, &err) == 0, "a secret key parses back");
	age_identity_recipient(parsed, &back);
	ok(memcmp(back.pub, r[0].pub, AGE_KEY_LEN) == 0, "and has the same public key");
	age_identity_free(parsed);

	/* Recipient texts that must be refused. */
	{
		char bad[80];

		strcpy(bad, text);
		bad[20] = bad[20] == 'q' ? 'p' : 'q';
		ok(age_recipient_parse(bad, &back, &err) < 0 && strstr(err.msg, "checksum"),
		   "one changed character: bad checksum (%s)", err.msg);
		strcpy(bad, text);
		for (char *c = bad + 4; *c; c++)
			if (*c >= 'a' && *c <= 'z') {
				*c = (char)(*c - 'a' + 'A');
				break;
			}
		ok(age_recipient_parse(bad, &back, &err) < 0, "mixed case is refused");
		ok(age_recipient_parse("age1qqqq", &back, &err) < 0, "too short is refused");
		ok(age_recipient_parse(sk1, &back, &err) < 0, "a secret key is no recipient");
		ok(age_recipient_parse("", &back, &err) < 0, "empty is refused");
	}
	free(text);

	all_ok = 1;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		static const size_t pieces[] = {1, 7, 4096, 65536, 1 << 20};

		for (size_t j = 0; j < sizeof(pieces) / sizeof(pieces[0]); j++) {
			if (pieces[j] == 1 && sizes[i] > 70000)
				continue;
			enc.len = 0;
			if (encrypt_to(r, 2, plain, sizes[i], pieces[j], &enc) < 0 ||
			    decrypt_with(id2, enc.data, enc.len, pieces[(j + 1) % 5], &dec, &err) <
			            0 ||
			    dec.len != sizes[i] ||
			    (sizes[i] && memcmp(dec.data, plain, sizes[i]))) {
				all_ok = 0;
				printf("# size %zu piece %zu: %s\n", sizes[i], pieces[j], err.msg);
			}
		}
	}
	ok(all_ok, "round trips of 0 to 200000 bytes, written and read in pieces of any size");

	enc.len = 0;
	encrypt_to(r, 2, plain, 200000, 65536, &enc);
	ok(decrypt_with(id1, enc.data, enc.len, 65536, &dec, &err) == 0,
	   "the first recipient decrypts");
	ok(decrypt_with(id3, enc.data, enc.len, 65536, &dec, &err) < 0 &&
	           strstr(err.msg, "not encrypted to this key") && dec.len == 0,
	   "a third key is refused before any output: %s", err.msg);
	header_len = (size_t)((unsigned char *)memmem(enc.data, enc.len, "\n---", 4) - enc.data);
	header_len += (size_t)((unsigned char *)memchr(enc.data + header_len + 1, '\n',
	                                               enc.len - header_len - 1) -
	                       (enc.data + header_len));
	header_len++;

	/* Every flipped byte, every truncation: an error, never success, never a crash. */
	copy = malloc(enc.len);
	all_ok = 1;
	for (size_t pos = 0; pos < enc.len; pos += pos < header_len + 64 ? 1 : 997) {
		memcpy(copy, enc.data, enc.len);
		copy[pos] ^= 0x01;
		if (decrypt_with(id1, copy, enc.len, 65536, &dec, &err) == 0) {
			all_ok = 0;
			printf("# flipped byte %zu went unnoticed\n", pos);
		}
	}
	ok(all_ok, "a flipped bit anywhere (each header byte, every 997th payload byte) fails");
	all_ok = 1;
	for (size_t len = 0; len < enc.len; len += len < header_len + 64 ? 1 : 1009) {
		if (decrypt_with(id1, enc.data, len, 4096, &dec, &err) == 0) {
			all_ok = 0;
			printf("# truncated to %zu went unnoticed\n", len);
		}
	}
	ok(all_ok, "every truncation fails");
	ok(decrypt_with(id1, enc.data, header_len + 16 + 2 * (65536 + 16), 65536, &dec, &err) < 0 &&
	           strstr(err.msg, "the file is truncated: it ends after payload chunk 1") != NULL,
	   "a cut at a chunk boundary is called a truncation: %s", err.msg);
	memcpy(copy, enc.data, enc.len);
	ok(decrypt_with(id1, copy, enc.len + 0, 65536, &dec, &err) == 0,
	   "the intact file decrypts");

	/* Garbage after a valid first line, and garbage from the start. */
	all_ok = 1;
	for (int i = 0; i < 2000; i++) {
		unsigned char junk[600];
		size_t n = 22 + (size_t)(i % 500);

		RAND_bytes(junk, sizeof(junk));
		if (i % 2 == 0)
			memcpy(junk, "age-encryption.org/v1\n", 22);
		if (i % 4 == 0) {
			/* Mostly printable, with plausible lines. */
			for (size_t k = 22; k < n; k++)
				junk[k] = (unsigned char)(junk[k] % 5 == 0   ? '\n'
				                          : junk[k] % 7 == 0 ? ' '
				                                             : 'A' + junk[k] % 26);
			memcpy(junk + 22, "-> X25519 ", 10);
		}
		if (decrypt_with(id1, junk, n, (size_t)(1 + i % 13), &dec, &err) == 0)
			all_ok = 0;
	}
	ok(all_ok, "2000 garbage inputs are each refused");
	{
		unsigned char *big = malloc(AGE_HEADER_MAX + 100);

		memset(big, 'A', AGE_HEADER_MAX + 100);
		memcpy(big, "age-encryption.org/v1\n-> X ", 27);
		ok(decrypt_with(id1, big, AGE_HEADER_MAX + 100, 4096, &dec, &err) < 0 &&
		           strstr(err.msg, "longer than"),
		   "a header without end is refused at the bound: %s", err.msg);
		free(big);
	}

	free(copy);
	free(enc.data);
	free(dec.data);
	free(plain);
	free(sk1);
	free(sk2);
	free(sk3);
	age_identity_free(id1);
	age_identity_free(id2);
	age_identity_free(id3);
	return tap_done();
}
