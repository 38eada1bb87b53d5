/*
 * Crypto-PAn, written from the algorithm's description: bit i of the output is bit i of the
 * input XOR the first bit of AES_K(the input's first i bits, followed by the padding block's
 * bits from i on). The padding block is AES_K(second half of the key).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "trust/cryptopan.h"

struct cryptopan {
	EVP_CIPHER_CTX *ctx;
	uint8_t pad[16];
};

struct cryptopan *cryptopan_new(const uint8_t key[32], struct error *err)
{
	struct cryptopan *cp = xcalloc(1, sizeof(*cp));
	int len = 0;

	cp->ctx = EVP_CIPHER_CTX_new();
	if (cp->ctx == NULL ||
	    EVP_EncryptInit_ex(cp->ctx, EVP_aes_128_ecb(), NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(cp->ctx, 0) != 1 ||
	    EVP_EncryptUpdate(cp->ctx, cp->pad, &len, key + 16, 16) != 1 || len != 16) {
		error_set_openssl(err, "Crypto-PAn: AES-128");
		cryptopan_free(cp);
		return NULL;
	}
	return cp;
}

void cryptopan_free(struct cryptopan *cp)
{
	if (cp == NULL)
		return;
	EVP_CIPHER_CTX_free(cp->ctx);
	OPENSSL_cleanse(cp->pad, sizeof(cp->pad));
	free(cp);
}

int cryptopan_map(struct cryptopan *cp, const uint8_t *in, uint8_t *out, unsigned bits,
                  struct error *err)
{
	/* All the blocks of one address are independent, so they go through ECB in one call. */
	uint8_t blocks[128 * 16], enc[128 * 16], orig[16], res[16];
	unsigned bytes = bits / 8;
	int len = 0;

	if (bits != 32 && bits != 128) {
		error_set(err, "Crypto-PAn: %u-bit addresses are not supported", bits);
		return -1;
	}
	memcpy(orig, in, bytes);
	for (unsigned i = 0; i < bits; i++) {
		uint8_t *b = blocks + 16 * i;
		unsigned full = i / 8, part = i % 8;

		memcpy(b, cp->pad, 16);
		memcpy(b, orig, full);
		if (part) {
			uint8_t mask = (uint8_t)(0xff << (8 - part));

			b[full] = (uint8_t)((orig[full] & mask) | (cp->pad[full] & ~mask));
		}
	}
	if (EVP_EncryptUpdate(cp->ctx, enc, &len, blocks, (int)(16 * bits)) != 1 ||
	    len != (int)(16 * bits)) {
		error_set_openssl(err, "Crypto-PAn: AES-128");
		return -1;
	}
	memset(res, 0, sizeof(res));
	for (unsigned i = 0; i < bits; i++)
		res[i / 8] |= (uint8_t)((enc[16 * i] >> 7) << (7 - i % 8));
	for (unsigned i = 0; i < bytes; i++)
		out[i] = orig[i] ^ res[i];
	return 0;
}
