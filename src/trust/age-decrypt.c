/* age decryption: a push parser of the header, then chunk by chunk, authenticated. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "trust/age-private.h"
#include "trust/age.h"

enum age_read_state { AGE_READ_HEADER, AGE_READ_NONCE, AGE_READ_PAYLOAD, AGE_READ_DONE };

struct age_decryptor {
	const struct age_identity *id;
	age_output_fn output;
	void *ctx;
	EVP_CIPHER_CTX *cipher;
	enum age_read_state state;
	struct strbuf header;
	unsigned char file_key[FILE_KEY_LEN];
	unsigned char nonce[NONCE_LEN];
	size_t nonce_len;
	unsigned char payload_key[32];
	unsigned char sealed[SEALED_CHUNK_LEN];
	unsigned char chunk[CHUNK_LEN];
	size_t sealed_len;
	uint64_t counter;
	int opened_by; /* the identity's key that unwrapped the file key, or -1 */
};

int age_decryptor_opened(const struct age_decryptor *d)
{
	return d->state != AGE_READ_HEADER;
}

int age_decryptor_recipient(const struct age_decryptor *d, struct age_recipient *r)
{
	if (d->opened_by < 0)
		return -1;
	memcpy(r->pub, d->id->pubs[d->opened_by], AGE_KEY_LEN);
	return 0;
}

int age_decryptor_new(struct age_decryptor **out, const struct age_identity *id,
                      age_output_fn output, void *ctx, struct error *err)
{
	struct age_decryptor *d = xcalloc(1, sizeof(*d));

	*out = NULL;
	d->id = id;
	d->opened_by = -1;
	d->output = output;
	d->ctx = ctx;
	if ((d->cipher = EVP_CIPHER_CTX_new()) == NULL) {
		error_set_openssl(err, "age");
		free(d);
		return -1;
	}
	*out = d;
	return 0;
}

/* Try the identity's keys on one X25519 stanza; 1 when one of them unwraps the file key. */
static int x25519_unwrap(struct age_decryptor *d, const unsigned char share[32],
                         const unsigned char body[FILE_KEY_LEN + TAG_LEN], struct error *err)
{
	static const unsigned char zero_nonce[12];
	unsigned char shared[32], key[32];
	int found = 0;

	for (size_t i = 0; i < d->id->n && !found; i++) {
		int rc;

		if (age_x25519(d->id->keys[i], share, shared, err) < 0 ||
		    age_x25519_wrap_key(shared, share, d->id->pubs[i], key, err) < 0) {
			found = -1;
			break;
		}
		rc = age_chacha(d->cipher, 0, key, zero_nonce, body, FILE_KEY_LEN, d->file_key,
		                err);
		if (rc < 0)
			found = -1;
		else if (rc == 0) {
			found = 1;
			d->opened_by = (int)i;
		}
	}
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(key, sizeof(key));
	return found;
}

/* The next '\n'-terminated line of [*p, end): its start and length; -1 at the end. */
static int next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (nl == NULL)
		return -1;
	*line = *p;
	*len = (size_t)(nl - *p);
	*p = nl + 1;
	return 0;
}

/*
 * Parse the whole header (through the MAC line), find the file key among the X25519
 * stanzas, and check the MAC. Every stanza is parsed, also those of other types (grease).
 */
static int header_parse(struct age_decryptor *d, struct error *err)
{
	const char *p = d->header.buf, *end = p + d->header.len, *line;
	unsigned char *body = xmalloc(d->header.len + 3), mac[MAC_LEN], want[MAC_LEN];
	size_t len, body_len, mac_len, stanzas = 0;
	int found = 0, ret = -1;

	for (size_t i = 0; i < d->header.len; i++) {
		unsigned char c = (unsigned char)d->header.buf[i];

		if (c != '\n' && (c < 32 || c > 126)) {
			error_set(err, "age header: a byte that is not printable text");
			goto out;
		}
	}
	if (next_line(&p, end, &line, &len) < 0 || len != strlen(AGE_VERSION_LINE) ||
	    memcmp(line, AGE_VERSION_LINE, len) != 0) {
		error_set(err, "not an age file (age-encryption.org/v1)");
		goto out;
	}
	for (;;) {
		const char *args[8], *a;
		size_t arg_len[8], n_args = 0;

		if (next_line(&p, end, &line, &len) < 0) {
			error_set(err, "age header: no MAC line");
			goto out;
		}
		if (len >= 3 && memcmp(line, "---", 3) == 0)
			break;
		if (len < 3 || memcmp(line, "-> ", 3) != 0) {
			error_set(err, "age header: a line that is neither a stanza nor the MAC");
			goto out;
		}
		for (a = line + 3; a <= line + len;) {
			const char *sp = memchr(a, ' ', (size_t)(line + len - a));
			size_t l = sp ? (size_t)(sp - a) : (size_t)(line + len - a);

			if (l == 0 || n_args == 8) {
				error_set(err, "age header: a malformed stanza line");
				goto out;
			}
			args[n_args] = a;
			arg_len[n_args++] = l;
			a += l + 1;
		}
		/* The body: full 64-column lines, then one shorter line (maybe empty). */
		body_len = 0;
		for (;;) {
			size_t got;

			if (next_line(&p, end, &line, &len) < 0 || len > 64 ||
			    age_b64_decode(line, len, body + body_len, &got) < 0) {
				error_set(err, "age header: a malformed stanza body");
				goto out;
			}
			body_len += got;
			if (len < 64)
				break;
		}
		stanzas++;
		if (arg_len[0] == 6 && memcmp(args[0], "X25519", 6) == 0) {
			unsigned char share[33];
			size_t share_len;

			if (n_args != 2 || arg_len[1] != 43 ||
			    age_b64_decode(args[1], 43, share, &share_len) < 0 || share_len != 32 ||
			    body_len != FILE_KEY_LEN + TAG_LEN) {
				error_set(err, "age header: a malformed X25519 stanza");
				goto out;
			}
			if (!found && (found = x25519_unwrap(d, share, body, err)) < 0)
				goto out;
		}
	}
	if (len != 4 + 43 || line[3] != ' ' || age_b64_decode(line + 4, 43, mac, &mac_len) < 0 ||
	    mac_len != MAC_LEN || p != end) {
		error_set(err, "age header: a malformed MAC line");
		goto out;
	}
	if (stanzas == 0) {
		error_set(err, "age header: no recipient stanza");
		goto out;
	}
	if (!found) {
		error_set(err, "the file is not encrypted to this key: no key in it matches a "
		               "recipient of the file");
		goto out;
	}
	if (age_header_mac(d->file_key, d->header.buf, (size_t)(line + 3 - d->header.buf), want,
	                   err) < 0)
		goto out;
	if (CRYPTO_memcmp(want, mac, MAC_LEN) != 0) {
		error_set(err, "age header: the MAC does not match: the header was altered");
		goto out;
	}
	ret = 0;
out:
	free(body);
	return ret;
}

/* The header is complete once a line starting "---" has its newline. */
static int header_feed(struct age_decryptor *d, const unsigned char **p, size_t *len,
                       struct error *err)
{
	static const char magic[] = AGE_VERSION_LINE "\n";

	while (*len > 0) {
		char c = (char)**p;
		size_t l = d->header.len;

		strbuf_addch(&d->header, c);
		(*p)++;
		(*len)--;
		if (l < sizeof(magic) - 1 && c != magic[l]) {
			error_set(err, "not an age file (age-encryption.org/v1)");
			return -1;
		}
		if (d->header.len > AGE_HEADER_MAX) {
			error_set(err, "age header: longer than %d bytes", AGE_HEADER_MAX);
			return -1;
		}
		if (c == '\n' && l > 0) {
			const char *start = d->header.buf + l;

			while (start > d->header.buf && start[-1] != '\n')
				start--;
			if (strncmp(start, "---", 3) == 0) {
				if (header_parse(d, err) < 0)
					return -1;
				d->state = AGE_READ_NONCE;
				return 0;
			}
		}
	}
	return 0;
}

static int open_chunk(struct age_decryptor *d, int last, struct error *err)
{
	unsigned char nonce[12];
	size_t len = d->sealed_len - TAG_LEN;
	int rc;

	age_stream_nonce(d->counter, last, nonce);
	rc = age_chacha(d->cipher, 0, d->payload_key, nonce, d->sealed, len, d->chunk, err);
	if (rc < 0)
		return -1;
	if (rc > 0 && last && d->sealed_len == SEALED_CHUNK_LEN) {
		/* A full chunk that opens as not last: the chunks after it were cut off. */
		age_stream_nonce(d->counter, 0, nonce);
		if (age_chacha(d->cipher, 0, d->payload_key, nonce, d->sealed, len, d->chunk,
		               err) == 0) {
			OPENSSL_cleanse(d->chunk, sizeof(d->chunk));
			error_set(
			        err,
			        "the file is truncated: it ends after payload chunk %llu, which is "
			        "not the last",
			        (unsigned long long)d->counter);
			return -1;
		}
	}
	if (rc > 0) {
		error_set(err,
		          "payload chunk %llu (at byte %llu of the payload) fails authentication: "
		          "the file was altered%s",
		          (unsigned long long)d->counter,
		          (unsigned long long)(d->counter * (uint64_t)SEALED_CHUNK_LEN),
		          last ? " or truncated" : "");
		return -1;
	}
	if (last && len == 0 && d->counter > 0) {
		error_set(err, "age payload: an empty last chunk after others");
		return -1;
	}
	d->counter++;
	d->sealed_len = 0;
	return d->output(d->ctx, d->chunk, len, err);
}

int age_decryptor_write(struct age_decryptor *d, const void *buf, size_t len, struct error *err)
{
	const unsigned char *p = buf;

	while (len > 0) {
		size_t take;

		switch (d->state) {
		case AGE_READ_HEADER:
			if (header_feed(d, &p, &len, err) < 0)
				return -1;
			break;
		case AGE_READ_NONCE:
			take = NONCE_LEN - d->nonce_len < len ? NONCE_LEN - d->nonce_len : len;
			memcpy(d->nonce + d->nonce_len, p, take);
			d->nonce_len += take;
			p += take;
			len -= take;
			if (d->nonce_len == NONCE_LEN) {
				if (age_hkdf(d->file_key, FILE_KEY_LEN, d->nonce, NONCE_LEN,
				             "payload", d->payload_key, sizeof(d->payload_key),
				             err) < 0)
					return -1;
				d->state = AGE_READ_PAYLOAD;
			}
			break;
		case AGE_READ_PAYLOAD:
			/* A full chunk is opened as not last only once more bytes follow it. */
			if (d->sealed_len == SEALED_CHUNK_LEN && open_chunk(d, 0, err) < 0)
				return -1;
			take = SEALED_CHUNK_LEN - d->sealed_len < len
			               ? SEALED_CHUNK_LEN - d->sealed_len
			               : len;
			memcpy(d->sealed + d->sealed_len, p, take);
			d->sealed_len += take;
			p += take;
			len -= take;
			break;
		case AGE_READ_DONE:
			error_set(err, "age: input after the end");
			return -1;
		}
	}
	return 0;
}

int age_decryptor_finish(struct age_decryptor *d, struct error *err)
{
	if (d->state == AGE_READ_HEADER || d->state == AGE_READ_NONCE) {
		error_set(err, "the file is truncated: it ends in the age %s",
		          d->state == AGE_READ_HEADER ? "header" : "payload nonce");
		return -1;
	}
	if (d->state == AGE_READ_DONE) {
		error_set(err, "age: finished twice");
		return -1;
	}
	if (d->sealed_len < TAG_LEN) {
		error_set(err, "the file is truncated: its last chunk is %s",
		          d->sealed_len ? "cut short" : "missing");
		return -1;
	}
	if (open_chunk(d, 1, err) < 0)
		return -1;
	d->state = AGE_READ_DONE;
	return 0;
}

void age_decryptor_free(struct age_decryptor *d)
{
	if (d == NULL)
		return;
	EVP_CIPHER_CTX_free(d->cipher);
	if (d->header.buf)
		OPENSSL_cleanse(d->header.buf, d->header.cap);
	strbuf_release(&d->header);
	OPENSSL_cleanse(d, sizeof(*d));
	free(d);
}
