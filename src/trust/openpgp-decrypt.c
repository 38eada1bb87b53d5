/*
 * OpenPGP decryption as a push parser: the session key packets, then the encrypted packet
 * (SEIPD v1) decrypted as it arrives, its plaintext parsed again as packets (a compressed packet,
 * whose output is parsed once more, and the literal data). Three packet readers share one
 * state machine; each knows old and new packet headers, partial and indeterminate lengths.
 *
 * The last 22 bytes of the plaintext are the MDC packet: they are held back from the inner
 * reader, and checked when the encrypted packet ends.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "trust/openpgp-private.h"
#include "trust/openpgp.h"

#define PKESK_MAX 2048
#define PKESK_COUNT_MAX 1024
#define PREFIX_LEN 18 /* a block of random bytes, its last two repeated */
#define MDC_LEN 22    /* 0xD3 0x14 and the SHA-1 */
#define BUF_LEN 65536

enum level { OUTER, INNER, INFLATED };

struct pkt_reader {
	enum level level;
	unsigned char hdr[6];
	size_t hdr_len, hdr_need;
	int in_body, tag;
	uint64_t left;     /* bytes left in the current part of the body */
	int partial;       /* another part follows this one */
	int indeterminate; /* the body runs to the end of the enclosing data */
	int reading_len;   /* between two parts: reading the next length octets */
	unsigned char len_octets[5];
	size_t len_have, len_need;
};

struct openpgp_decryptor {
	const struct openpgp_secret *secret;
	openpgp_output_fn output;
	void *ctx;
	int failed; /* every later write or finish is refused */
	struct pkt_reader outer, inner, inflated;
	/* the session key packets */
	struct strbuf pkesk;
	size_t n_pkesk;
	int saw_skesk;
	unsigned char session_key[32];
	size_t key_len;
	int sym, have_key;
	const char *key_fpr;
	/* the encrypted packet */
	int seipd_seen, seipd_done, version_read;
	EVP_CIPHER_CTX *cfb;
	EVP_MD_CTX *mdc;
	unsigned char prefix[PREFIX_LEN];
	size_t prefix_len;
	unsigned char tail[MDC_LEN];
	size_t tail_len;
	unsigned char plain[BUF_LEN];
	/* inside it */
	z_stream z;
	int compress_algo; /* -1 until read */
	int z_init, z_done;
	unsigned char zout[BUF_LEN];
	unsigned char lit_hdr[2 + 255 + 4];
	size_t lit_have;
	int n_literal;
};

static int fail(struct openpgp_decryptor *d, struct error *err, const char *fmt, ...)
        LP_ATTR_PRINTF(3, 4);

static int fail(struct openpgp_decryptor *d, struct error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	d->failed = 1;
	return -1;
}

/* A failure whose message is in err already. */
static int mark(struct openpgp_decryptor *d)
{
	d->failed = 1;
	return -1;
}

/* What is wrong inside the encrypted packet can only come from an altered file. */
static int damaged(struct openpgp_decryptor *d, struct error *err, const char *what)
{
	return fail(d, err, "the decrypted data is damaged (the file was altered or truncated): %s",
	            what);
}

static const char *where(enum level level)
{
	return level == OUTER ? "in the file" : "inside the encrypted data";
}

static int on_start(struct openpgp_decryptor *d, struct pkt_reader *r, struct error *err);
static int on_data(struct openpgp_decryptor *d, struct pkt_reader *r, const unsigned char *p,
                   size_t n, struct error *err);
static int on_end(struct openpgp_decryptor *d, struct pkt_reader *r, struct error *err);

/* The header's length once its first octets are known. */
static size_t header_need(const unsigned char *hdr, size_t have)
{
	if (!(hdr[0] & 0x40)) {
		static const size_t old[4] = {2, 3, 5, 1};

		return old[hdr[0] & 3];
	}
	if (have < 2)
		return 2;
	return hdr[1] < 192 ? 2 : hdr[1] < 224 ? 3 : hdr[1] == 255 ? 6 : 2;
}

static void header_parse(struct pkt_reader *r)
{
	const unsigned char *h = r->hdr;

	r->partial = r->indeterminate = 0;
	if (!(h[0] & 0x40)) {
		r->tag = (h[0] >> 2) & 0x0f;
		r->left = 0;
		if ((h[0] & 3) == 3)
			r->indeterminate = 1;
		for (size_t i = 1; i < r->hdr_need; i++)
			r->left = r->left << 8 | h[i];
		return;
	}
	r->tag = h[0] & 0x3f;
	if (h[1] < 192)
		r->left = h[1];
	else if (h[1] < 224)
		r->left = ((uint64_t)(h[1] - 192) << 8) + h[2] + 192;
	else if (h[1] == 255)
		r->left = (uint64_t)h[2] << 24 | (uint64_t)h[3] << 16 | (uint64_t)h[4] << 8 | h[5];
	else {
		r->left = (uint64_t)1 << (h[1] & 0x1f);
		r->partial = 1;
	}
}

/* The length of the next part of a partial body. */
static void part_parse(struct pkt_reader *r)
{
	const unsigned char *o = r->len_octets;

	r->partial = 0;
	if (o[0] < 192)
		r->left = o[0];
	else if (o[0] < 224)
		r->left = ((uint64_t)(o[0] - 192) << 8) + o[1] + 192;
	else if (o[0] == 255)
		r->left = (uint64_t)o[1] << 24 | (uint64_t)o[2] << 16 | (uint64_t)o[3] << 8 | o[4];
	else {
		r->left = (uint64_t)1 << (o[0] & 0x1f);
		r->partial = 1;
	}
}

static int body_end(struct openpgp_decryptor *d, struct pkt_reader *r, struct error *err)
{
	r->in_body = 0;
	return on_end(d, r, err);
}

/* Feed bytes to a packet reader; the bodies go to on_data, packet by packet. */
static int reader_feed(struct openpgp_decryptor *d, struct pkt_reader *r, const unsigned char *p,
                       size_t len, struct error *err)
{
	while (len > 0) {
		if (!r->in_body) {
			if (r->hdr_len == 0 && !(p[0] & 0x80)) {
				if (r->level == OUTER && len >= 5 && memcmp(p, "-----", 5) == 0)
					return fail(
					        d, err,
					        "an ASCII-armored message: convert it first with "
					        "gpg --dearmor");
				if (r->level == OUTER)
					return fail(d, err, "not an OpenPGP message");
				return damaged(d, err, "not an OpenPGP packet");
			}
			r->hdr[r->hdr_len++] = *p++;
			len--;
			r->hdr_need = header_need(r->hdr, r->hdr_len);
			if (r->hdr_len < r->hdr_need)
				continue;
			header_parse(r);
			r->hdr_len = 0;
			r->in_body = 1;
			if (on_start(d, r, err) < 0)
				return -1;
			if (!r->partial && !r->indeterminate && r->left == 0 &&
			    body_end(d, r, err) < 0)
				return -1;
			continue;
		}
		if (r->reading_len) {
			r->len_octets[r->len_have++] = *p++;
			len--;
			if (r->len_have == 1) {
				unsigned b = r->len_octets[0];

				r->len_need = b < 192 ? 1 : b < 224 ? 2 : b == 255 ? 5 : 1;
			}
			if (r->len_have < r->len_need)
				continue;
			part_parse(r);
			r->reading_len = 0;
			r->len_have = 0;
			if (!r->partial && r->left == 0 && body_end(d, r, err) < 0)
				return -1;
			continue;
		}
		{
			size_t take = r->indeterminate || r->left > len ? len : (size_t)r->left;

			if (on_data(d, r, p, take, err) < 0)
				return -1;
			p += take;
			len -= take;
			if (r->indeterminate)
				continue;
			r->left -= take;
			if (r->left > 0)
				continue;
			if (r->partial)
				r->reading_len = 1;
			else if (body_end(d, r, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* The data ends: only a body of indeterminate length may be open. */
static int reader_finish(struct openpgp_decryptor *d, struct pkt_reader *r, struct error *err)
{
	if (r->hdr_len > 0 || (r->in_body && !r->indeterminate) || r->reading_len) {
		if (r->level == OUTER)
			return fail(d, err, "the file is truncated: it ends inside %s",
			            r->in_body && r->tag == 18 ? "the encrypted data packet"
			                                       : "a packet");
		return damaged(d, err, "a packet is cut short");
	}
	if (r->in_body)
		return body_end(d, r, err);
	return 0;
}

/* The literal packet: format, name, date, then the data itself. */
static int literal_data(struct openpgp_decryptor *d, const unsigned char *p, size_t n,
                        struct error *err)
{
	while (n > 0) {
		size_t need = d->lit_have < 2 ? 2 : 2 + (size_t)d->lit_hdr[1] + 4, take;

		if (d->lit_have >= need)
			break;
		take = need - d->lit_have < n ? need - d->lit_have : n;
		memcpy(d->lit_hdr + d->lit_have, p, take);
		d->lit_have += take;
		p += take;
		n -= take;
	}
	if (n == 0)
		return 0;
	if (d->output(d->ctx, p, n, err) < 0)
		return mark(d);
	return 0;
}

static int inflate_data(struct openpgp_decryptor *d, const unsigned char *p, size_t n,
                        struct error *err)
{
	d->z.next_in = (unsigned char *)p;
	d->z.avail_in = (uInt)n;
	while (!d->z_done) {
		size_t produced;
		int rc;

		d->z.next_out = d->zout;
		d->z.avail_out = sizeof(d->zout);
		rc = inflate(&d->z, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
			char why[200];

			snprintf(why, sizeof(why), "zlib: %s",
			         d->z.msg ? d->z.msg : "the compressed data does not inflate");
			return damaged(d, err, why);
		}
		produced = sizeof(d->zout) - d->z.avail_out;
		if (produced && reader_feed(d, &d->inflated, d->zout, produced, err) < 0)
			return -1;
		if (rc == Z_STREAM_END)
			d->z_done = 1;
		else if (rc == Z_BUF_ERROR || (d->z.avail_in == 0 && d->z.avail_out != 0))
			break;
	}
	if (d->z_done && d->z.avail_in > 0)
		return damaged(d, err, "data after the end of the compressed stream");
	return 0;
}

static int compressed_data(struct openpgp_decryptor *d, const unsigned char *p, size_t n,
                           struct error *err)
{
	if (n == 0)
		return 0;
	if (d->compress_algo < 0) {
		d->compress_algo = p[0];
		p++;
		n--;
		if (d->compress_algo == 3)
			return fail(
			        d, err,
			        "the data is compressed with BZip2, which logpack does not read: "
			        "decrypt it with gpg, or ask the sender for ZLIB (gpg "
			        "--compress-algo zlib)");
		if (d->compress_algo == 1 || d->compress_algo == 2) {
			/* ZIP is raw deflate; ZLIB has zlib's header and checksum. */
			if (inflateInit2(&d->z, d->compress_algo == 1 ? -15 : 15) != Z_OK)
				return fail(d, err, "zlib: %s",
				            d->z.msg ? d->z.msg : "cannot start");
			d->z_init = 1;
		} else if (d->compress_algo != 0) {
			char why[80];

			snprintf(why, sizeof(why), "unknown compression algorithm %d",
			         d->compress_algo);
			return damaged(d, err, why);
		}
	}
	if (n == 0)
		return 0;
	if (d->compress_algo == 0)
		return reader_feed(d, &d->inflated, p, n, err);
	return inflate_data(d, p, n, err);
}

/* Plaintext of the encrypted packet that is not the MDC: hashed, then parsed. */
static int plain_release(struct openpgp_decryptor *d, const unsigned char *p, size_t n,
                         struct error *err)
{
	if (n == 0)
		return 0;
	if (EVP_DigestUpdate(d->mdc, p, n) != 1)
		return fail(d, err, "SHA-1 failed");
	return reader_feed(d, &d->inner, p, n, err);
}

/* Decrypted bytes: the prefix (checked), then everything but the last 22 bytes released. */
static int plain_in(struct openpgp_decryptor *d, const unsigned char *p, size_t n,
                    struct error *err)
{
	size_t release, from_tail, from_buf;

	if (d->prefix_len < PREFIX_LEN) {
		size_t take = PREFIX_LEN - d->prefix_len < n ? PREFIX_LEN - d->prefix_len : n;

		memcpy(d->prefix + d->prefix_len, p, take);
		d->prefix_len += take;
		p += take;
		n -= take;
		if (d->prefix_len < PREFIX_LEN)
			return 0;
		if (d->prefix[14] != d->prefix[16] || d->prefix[15] != d->prefix[17])
			return fail(
			        d, err,
			        "the session key does not decrypt the data: the file was altered");
		if (EVP_DigestUpdate(d->mdc, d->prefix, PREFIX_LEN) != 1)
			return fail(d, err, "SHA-1 failed");
	}
	if (d->tail_len + n <= MDC_LEN) {
		memcpy(d->tail + d->tail_len, p, n);
		d->tail_len += n;
		return 0;
	}
	release = d->tail_len + n - MDC_LEN;
	from_tail = release < d->tail_len ? release : d->tail_len;
	if (plain_release(d, d->tail, from_tail, err) < 0)
		return -1;
	memmove(d->tail, d->tail + from_tail, d->tail_len - from_tail);
	d->tail_len -= from_tail;
	from_buf = release - from_tail;
	if (plain_release(d, p, from_buf, err) < 0)
		return -1;
	memcpy(d->tail + d->tail_len, p + from_buf, n - from_buf);
	d->tail_len += n - from_buf;
	return 0;
}

static int seipd_data(struct openpgp_decryptor *d, const unsigned char *p, size_t n,
                      struct error *err)
{
	if (n > 0 && !d->version_read) {
		d->version_read = 1;
		if (p[0] != 1)
			return fail(d, err,
			            "an encrypted data packet of version %d (only version 1, as "
			            "GnuPG 2.2 writes it, is read)",
			            p[0]);
		p++;
		n--;
	}
	while (n > 0) {
		int take = n > BUF_LEN ? BUF_LEN : (int)n, outl = 0;

		if (EVP_DecryptUpdate(d->cfb, d->plain, &outl, p, take) != 1)
			return fail(d, err, "AES-CFB failed");
		if (plain_in(d, d->plain, (size_t)outl, err) < 0)
			return -1;
		p += take;
		n -= (size_t)take;
	}
	return 0;
}

/* The encrypted packet ended: the MDC must match, and the inner packets be complete. */
static int seipd_end(struct openpgp_decryptor *d, struct error *err)
{
	unsigned char dig[20];

	d->seipd_done = 1;
	if (d->prefix_len < PREFIX_LEN || d->tail_len < MDC_LEN || d->tail[0] != 0xD3 ||
	    d->tail[1] != 0x14)
		return fail(d, err,
		            "the encrypted data does not end with its modification detection code: "
		            "the file was altered or truncated");
	if (EVP_DigestUpdate(d->mdc, d->tail, 2) != 1 || EVP_DigestFinal_ex(d->mdc, dig, NULL) != 1)
		return fail(d, err, "SHA-1 failed");
	if (CRYPTO_memcmp(dig, d->tail + 2, 20) != 0)
		return fail(d, err,
		            "the modification detection code does not match: the file was altered");
	if (reader_finish(d, &d->inner, err) < 0)
		return -1;
	if (d->n_literal != 1)
		return damaged(d, err, "no literal data packet");
	return 0;
}

static int start_seipd(struct openpgp_decryptor *d, struct error *err)
{
	static const unsigned char zero_iv[16];
	const EVP_CIPHER *c = d->sym == 7   ? EVP_aes_128_cfb128()
	                      : d->sym == 8 ? EVP_aes_192_cfb128()
	                                    : EVP_aes_256_cfb128();

	if (!d->have_key) {
		if (d->n_pkesk == 0 && d->saw_skesk)
			return fail(
			        d, err,
			        "the file is encrypted with a passphrase (gpg --symmetric), not "
			        "to a key");
		return fail(d, err,
		            "the file is not encrypted to this key: no key of the key file opens "
		            "any of its "
		            "%zu session key packet%s (or the packets were altered)",
		            d->n_pkesk, d->n_pkesk == 1 ? "" : "s");
	}
	if ((d->cfb = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(d->cfb, c, NULL, d->session_key, zero_iv) != 1 ||
	    (d->mdc = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(d->mdc, EVP_sha1(), NULL) != 1)
		return fail(d, err, "AES-CFB or SHA-1 cannot start");
	return 0;
}

static int on_start(struct openpgp_decryptor *d, struct pkt_reader *r, struct error *err)
{
	char why[120];

	if (r->level == OUTER) {
		if (d->seipd_seen)
			return fail(d, err, "a packet (tag %d) after the encrypted data", r->tag);
		switch (r->tag) {
		case 1:
			if (++d->n_pkesk > PKESK_COUNT_MAX)
				return fail(d, err, "more than %d session key packets",
				            PKESK_COUNT_MAX);
			d->pkesk.len = 0;
			return 0;
		case 3:
			d->saw_skesk = 1;
			return 0;
		case 10:
			return 0;
		case 18:
			d->seipd_seen = 1;
			return start_seipd(d, err);
		case 9:
			return fail(d, err,
			            "the data is encrypted without integrity protection (no "
			            "modification detection code): refused");
		case 20:
			return fail(
			        d, err,
			        "the data is in an OCB (AEAD) encrypted packet, which logpack does "
			        "not read: decrypt it with gpg 2.3 or later");
		case 2:
		case 4:
		case 8:
		case 11:
			return fail(d, err, "an OpenPGP message that is not encrypted");
		default:
			return fail(d, err,
			            "an unexpected packet (tag %d) %s: not an encrypted message",
			            r->tag, where(r->level));
		}
	}
	switch (r->tag) {
	case 8:
		if (r->level == INFLATED)
			return damaged(d, err, "a compressed packet inside a compressed packet");
		if (d->compress_algo >= 0)
			return damaged(d, err, "more than one compressed packet");
		return 0;
	case 11:
		if (++d->n_literal > 1)
			return damaged(d, err, "more than one literal data packet");
		return 0;
	case 2:
	case 4:
	case 10:
		/* a signature made with gpg --sign --encrypt: not checked here, skipped */
		return 0;
	default:
		snprintf(why, sizeof(why), "an unexpected packet (tag %d)", r->tag);
		return damaged(d, err, why);
	}
}

static int on_data(struct openpgp_decryptor *d, struct pkt_reader *r, const unsigned char *p,
                   size_t n, struct error *err)
{
	if (r->level == OUTER) {
		if (r->tag == 1) {
			if (d->pkesk.len + n > PKESK_MAX)
				return fail(d, err, "a session key packet longer than %d bytes",
				            PKESK_MAX);
			strbuf_add(&d->pkesk, p, n);
			return 0;
		}
		return r->tag == 18 ? seipd_data(d, p, n, err) : 0;
	}
	if (r->tag == 8)
		return compressed_data(d, p, n, err);
	if (r->tag == 11)
		return literal_data(d, p, n, err);
	return 0;
}

static int on_end(struct openpgp_decryptor *d, struct pkt_reader *r, struct error *err)
{
	if (r->level == OUTER) {
		if (r->tag == 1 && !d->have_key) {
			int rc = pgp_secret_open_pkesk(
			        d->secret, (const unsigned char *)d->pkesk.buf, d->pkesk.len,
			        &d->sym, d->session_key, &d->key_len, &d->key_fpr, err);

			if (rc < 0)
				return mark(d);
			d->have_key = rc;
		}
		if (r->tag == 1)
			OPENSSL_cleanse(d->pkesk.buf, d->pkesk.len);
		return r->tag == 18 ? seipd_end(d, err) : 0;
	}
	if (r->tag == 8) {
		if (reader_finish(d, &d->inflated, err) < 0)
			return -1;
		if (d->compress_algo > 0 && !d->z_done)
			return damaged(d, err, "the compressed data ends early");
		if (d->compress_algo < 0)
			return damaged(d, err, "an empty compressed packet");
	}
	if (r->tag == 11 && (d->lit_have < 2 || d->lit_have < 2 + (size_t)d->lit_hdr[1] + 4))
		return damaged(d, err, "a literal data packet cut short");
	return 0;
}

int openpgp_decryptor_new(struct openpgp_decryptor **out, const struct openpgp_secret *s,
                          openpgp_output_fn output, void *ctx, struct error *err)
{
	struct openpgp_decryptor *d = xcalloc(1, sizeof(*d));

	(void)err;
	d->secret = s;
	d->output = output;
	d->ctx = ctx;
	d->outer.level = OUTER;
	d->inner.level = INNER;
	d->inflated.level = INFLATED;
	d->compress_algo = -1;
	*out = d;
	return 0;
}

int openpgp_decryptor_write(struct openpgp_decryptor *d, const void *buf, size_t len,
                            struct error *err)
{
	if (d->failed) {
		error_set(err, "OpenPGP: write after a failure");
		return -1;
	}
	return reader_feed(d, &d->outer, buf, len, err);
}

int openpgp_decryptor_finish(struct openpgp_decryptor *d, struct error *err)
{
	if (d->failed) {
		error_set(err, "OpenPGP: finish after a failure");
		return -1;
	}
	if (reader_finish(d, &d->outer, err) < 0)
		return -1;
	if (!d->seipd_seen) {
		if (d->n_pkesk == 0 && !d->saw_skesk)
			return fail(d, err, "not an OpenPGP encrypted message");
		return fail(d, err, "the file is truncated: it ends before the encrypted data");
	}
	return 0;
}

const char *openpgp_decryptor_key(const struct openpgp_decryptor *d)
{
	return d->have_key ? d->key_fpr : NULL;
}

void openpgp_decryptor_free(struct openpgp_decryptor *d)
{
	if (d == NULL)
		return;
	EVP_CIPHER_CTX_free(d->cfb);
	EVP_MD_CTX_free(d->mdc);
	if (d->z_init)
		inflateEnd(&d->z);
	if (d->pkesk.buf)
		OPENSSL_cleanse(d->pkesk.buf, d->pkesk.cap);
	strbuf_release(&d->pkesk);
	OPENSSL_cleanse(d->session_key, sizeof(d->session_key));
	OPENSSL_cleanse(d->plain, sizeof(d->plain));
	free(d);
}

char *openpgp_message_recipients(const unsigned char *head, size_t len)
{
	const unsigned char *p = head, *end = head + len, *body;
	struct strbuf sb = STRBUF_INIT;
	struct error err;
	size_t body_len;
	int tag;

	/* The session key packets lead the message; the first other packet ends the list. */
	while (p < end && pgp_next_packet(&p, end, &tag, &body, &body_len, &err) == 0 &&
	       (tag == 1 || tag == 3)) {
		if (tag == 3) {
			strbuf_addf(&sb, "%sa passphrase", sb.len ? ", " : "");
			continue;
		}
		if (body_len < 10 || body[0] != 3)
			continue;
		strbuf_addf(&sb, "%sOpenPGP key ID ", sb.len ? ", " : "");
		for (int i = 1; i <= 8; i++)
			strbuf_addf(&sb, "%02X", body[i]);
	}
	if (sb.len == 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}
