/* OpenPGP public keys: reading, choosing the encryption key, refusing unusable ones. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "trust/openpgp-private.h"
#include "trust/openpgp.h"

#define ARMOR_BEGIN "-----BEGIN PGP PUBLIC KEY BLOCK-----"
#define MAX_SUBKEYS 64

struct pgp_pubkey {
	int64_t created;
	int algo;
	unsigned char fpr[20];
	unsigned char *n, *e; /* RSA */
	size_t n_len, e_len;
	int cv25519; /* ECDH on Curve25519 (RFC 6637) */
	unsigned char ecdh_pub[32];
	int kdf_hash, kdf_sym;
	int64_t expires_after; /* seconds after created; 0: never */
	int64_t sig_time;      /* of the newest self-signature seen */
	int flags, has_flags;
	int revoked, bound;
};

struct openpgp_key {
	struct pgp_pubkey primary, subkeys[MAX_SUBKEYS];
	size_t n_subkeys;
	const struct pgp_pubkey *chosen;
	char fpr_hex[41], chosen_hex[41];
};

/* One packet: tag and body. Old and new formats; no partial or indeterminate lengths. */
int pgp_next_packet(const unsigned char **p, const unsigned char *end, int *tag,
                    const unsigned char **body, size_t *len, struct error *err)
{
	const unsigned char *q = *p;
	size_t avail = (size_t)(end - q), l;
	unsigned b;

	if (avail < 2 || !(q[0] & 0x80)) {
		error_set(err, "not an OpenPGP packet");
		return -1;
	}
	b = q[0];
	if (b & 0x40) {
		*tag = (int)(b & 0x3f);
		if (q[1] < 192) {
			l = q[1];
			q += 2;
		} else if (q[1] < 224) {
			if (avail < 3)
				goto short_packet;
			l = ((size_t)(q[1] - 192) << 8) + q[2] + 192;
			q += 3;
		} else if (q[1] == 255) {
			if (avail < 6)
				goto short_packet;
			l = (size_t)q[2] << 24 | (size_t)q[3] << 16 | (size_t)q[4] << 8 | q[5];
			q += 6;
		} else {
			error_set(err,
			          "a partial-length packet where a key's packets are expected");
			return -1;
		}
	} else {
		int lt = (int)(b & 3);

		*tag = (int)((b >> 2) & 0x0f);
		if (lt == 3) {
			error_set(err, "a packet of indeterminate length");
			return -1;
		}
		if (avail < (size_t)(1 + (1 << lt)))
			goto short_packet;
		l = 0;
		for (int i = 0; i < (1 << lt); i++)
			l = l << 8 | q[1 + i];
		q += 1 + (1 << lt);
	}
	if (l > (size_t)(end - q))
		goto short_packet;
	*body = q;
	*len = l;
	*p = q + l;
	return 0;
short_packet:
	error_set(err, "a packet runs past the end of the data (truncated)");
	return -1;
}

/* An MPI at *p: its bytes (leading zeros dropped). */
static int read_mpi(const unsigned char **p, const unsigned char *end, unsigned char **out,
                    size_t *len)
{
	size_t bits, bytes;

	if (end - *p < 2)
		return -1;
	bits = (size_t)(*p)[0] << 8 | (*p)[1];
	bytes = (bits + 7) / 8;
	if (bytes == 0 || (size_t)(end - *p - 2) < bytes)
		return -1;
	*out = xmalloc(bytes);
	memcpy(*out, *p + 2, bytes);
	*len = bytes;
	*p += 2 + bytes;
	return 0;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * An ECDH key's curve, point and KDF parameters; only Curve25519 is marked usable. A key that
 * does not parse as such is simply not usable.
 */
static void parse_ecdh(const unsigned char *p, const unsigned char *end, struct pgp_pubkey *k)
{
	static const unsigned char cv25519_oid[] = {0x2B, 0x06, 0x01, 0x04, 0x01,
	                                            0x97, 0x55, 0x01, 0x05, 0x01};
	size_t bits;

	if (end - p < 1 + (long)sizeof(cv25519_oid) + 2 + 33 + 4 || p[0] != sizeof(cv25519_oid) ||
	    memcmp(p + 1, cv25519_oid, sizeof(cv25519_oid)) != 0)
		return;
	p += 1 + sizeof(cv25519_oid);
	bits = (size_t)p[0] << 8 | p[1];
	if (bits != 263 || p[2] != 0x40)
		return;
	memcpy(k->ecdh_pub, p + 3, 32);
	p += 2 + 33;
	if (p[0] != 3 || p[1] != 1 || p + 4 != end)
		return;
	k->kdf_hash = p[2];
	k->kdf_sym = p[3];
	if ((k->kdf_hash == 8 || k->kdf_hash == 9 || k->kdf_hash == 10) &&
	    (k->kdf_sym == 7 || k->kdf_sym == 8 || k->kdf_sym == 9))
		k->cv25519 = 1;
}

static int parse_pubkey(const unsigned char *body, size_t len, struct pgp_pubkey *k,
                        struct error *err)
{
	const unsigned char *p = body + 6, *end = body + len;
	unsigned char hdr[3] = {0x99, (unsigned char)(len >> 8), (unsigned char)len};
	EVP_MD_CTX *md;
	unsigned int md_len = 0;

	if (len < 6 || body[0] != 4 || len > 0xffff) {
		error_set(err, "a public key packet that is not version 4");
		return -1;
	}
	k->created = be32(body + 1);
	k->algo = body[5];
	if ((md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(md, hdr, 3) != 1 || EVP_DigestUpdate(md, body, len) != 1 ||
	    EVP_DigestFinal_ex(md, k->fpr, &md_len) != 1) {
		EVP_MD_CTX_free(md);
		error_set_openssl(err, "key fingerprint");
		return -1;
	}
	EVP_MD_CTX_free(md);
	if ((k->algo == 1 || k->algo == 2 || k->algo == 3) &&
	    (read_mpi(&p, end, &k->n, &k->n_len) < 0 || read_mpi(&p, end, &k->e, &k->e_len) < 0)) {
		error_set(err, "a malformed RSA public key");
		return -1;
	}
	if (k->algo == 18)
		parse_ecdh(p, end, k);
	return 0;
}

struct sig_info {
	int type;
	int64_t created;
	int64_t key_expires; /* -1: not given */
	int flags, has_flags;
	unsigned char issuer[8];
	int has_issuer;
};

static int parse_subpackets(const unsigned char *p, const unsigned char *end, struct sig_info *s)
{
	while (p < end) {
		size_t l;
		int type;

		if (p[0] < 192) {
			l = p[0];
			p++;
		} else if (p[0] < 255) {
			if (end - p < 2)
				return -1;
			l = ((size_t)(p[0] - 192) << 8) + p[1] + 192;
			p += 2;
		} else {
			if (end - p < 5)
				return -1;
			l = be32(p + 1);
			p += 5;
		}
		if (l == 0 || l > (size_t)(end - p))
			return -1;
		type = p[0] & 0x7f;
		if (type == 2 && l == 5)
			s->created = be32(p + 1);
		else if (type == 9 && l == 5)
			s->key_expires = be32(p + 1);
		else if (type == 27 && l >= 2) {
			s->flags = p[1];
			s->has_flags = 1;
		} else if (type == 16 && l == 9) {
			memcpy(s->issuer, p + 1, 8);
			s->has_issuer = 1;
		} else if (type == 33 && l == 22 && p[1] == 4) {
			memcpy(s->issuer, p + 2 + 12, 8);
			s->has_issuer = 1;
		}
		p += l;
	}
	return 0;
}

static int parse_signature(const unsigned char *body, size_t len, struct sig_info *s)
{
	const unsigned char *end = body + len, *p;
	size_t hashed, unhashed;

	memset(s, 0, sizeof(*s));
	s->key_expires = -1;
	if (len < 6 || body[0] != 4)
		return 1; /* v3 and newer versions carry nothing used here */
	s->type = body[1];
	hashed = (size_t)body[4] << 8 | body[5];
	if (hashed > len - 6)
		return -1;
	p = body + 6;
	if (parse_subpackets(p, p + hashed, s) < 0)
		return -1;
	p += hashed;
	if (end - p < 2)
		return -1;
	unhashed = (size_t)p[0] << 8 | p[1];
	if (unhashed > (size_t)(end - p - 2))
		return -1;
	/* Only the issuer is taken from the unhashed part: nothing there is signed. */
	{
		struct sig_info u = {0};

		u.key_expires = -1;
		if (parse_subpackets(p + 2, p + 2 + unhashed, &u) < 0)
			return -1;
		if (!s->has_issuer && u.has_issuer) {
			memcpy(s->issuer, u.issuer, 8);
			s->has_issuer = 1;
		}
	}
	return 0;
}

/* A self-signature's statements about k, the newest one winning. */
static void apply_self_sig(struct pgp_pubkey *k, const struct sig_info *s)
{
	if (s->created < k->sig_time)
		return;
	k->sig_time = s->created;
	if (s->key_expires >= 0)
		k->expires_after = s->key_expires;
	if (s->has_flags) {
		k->flags = s->flags;
		k->has_flags = 1;
	}
}

static void hex40(const unsigned char fpr[20], char out[41])
{
	static const char digits[] = "0123456789ABCDEF";

	for (int i = 0; i < 20; i++) {
		out[2 * i] = digits[fpr[i] >> 4];
		out[2 * i + 1] = digits[fpr[i] & 15];
	}
	out[40] = '\0';
}

/* Why k cannot be encrypted to at now, or NULL. */
static const char *unusable(const struct pgp_pubkey *k, int64_t now)
{
	if (k->revoked)
		return "revoked";
	if (k->expires_after > 0 && k->created + k->expires_after <= now)
		return "expired";
	if (!k->has_flags || !(k->flags & 0x0c))
		return "not for encryption";
	if (k->algo != 1 && k->algo != 2 && !(k->algo == 18 && k->cv25519))
		return "not RSA nor ECDH on Curve25519";
	return NULL;
}

/* Strip the ASCII armor: the base64 between the blank line and the checksum, checked. */
int pgp_dearmor(const unsigned char *data, size_t len, const char *begin, const char *what,
                unsigned char **out, size_t *out_len, struct error *err)
{
	const char *text = (const char *)data, *p, *end = text + len;
	struct strbuf b64 = STRBUF_INIT;
	unsigned char *bin = NULL;
	uint32_t crc = 0xB704CE, want = 0;
	int have_crc = 0, pad = 0, n, ret = -1;

	p = memmem(text, len, begin, strlen(begin));
	if (p == NULL) {
		error_set(err, "not an OpenPGP %s (no '%s' and not binary)", what, begin);
		return -1;
	}
	/* Armor headers end at the first empty line. */
	p = memchr(p, '\n', (size_t)(end - p));
	while (p && p + 1 < end && p[1] != '\n' && !(p[1] == '\r' && p + 2 < end && p[2] == '\n'))
		p = memchr(p + 1, '\n', (size_t)(end - p - 1));
	if (p == NULL || p + 1 >= end) {
		error_set(err, "malformed armor: no blank line after the headers");
		return -1;
	}
	for (p++; p < end; p++) {
		if (*p == '-')
			break;
		if (*p == '=' && (p[-1] == '\n')) {
			unsigned char c[4];

			if (end - p < 5 ||
			    EVP_DecodeBlock(c, (const unsigned char *)p + 1, 4) != 3) {
				error_set(err, "a malformed armor checksum");
				goto out;
			}
			want = (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
			have_crc = 1;
			break;
		}
		if (*p == '=')
			pad++;
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			strbuf_addch(&b64, *p);
	}
	if (b64.len == 0 || b64.len % 4 != 0) {
		error_set(err, "malformed armor");
		goto out;
	}
	bin = xmalloc(b64.len / 4 * 3 + 1);
	n = EVP_DecodeBlock(bin, (const unsigned char *)b64.buf, (int)b64.len);
	if (n < 0 || pad > 2 || n < pad) {
		error_set(err, "malformed armor: bad base64");
		goto out;
	}
	*out_len = (size_t)(n - pad);
	for (size_t i = 0; i < *out_len; i++) {
		crc ^= (uint32_t)bin[i] << 16;
		for (int j = 0; j < 8; j++) {
			crc <<= 1;
			if (crc & 0x1000000)
				crc ^= 0x1864CFB;
		}
	}
	if (have_crc && (crc & 0xffffff) != want) {
		error_set(err, "the armor checksum does not match: the key was damaged");
		goto out;
	}
	*out = bin;
	bin = NULL;
	ret = 0;
out:
	free(bin);
	strbuf_release(&b64);
	return ret;
}

static int walk_packets(struct openpgp_key *k, const unsigned char *p, const unsigned char *end,
                        struct error *err)
{
	struct pgp_pubkey *current = NULL;
	int seen_primary = 0;

	while (p < end) {
		const unsigned char *body;
		struct sig_info s;
		size_t len;
		int tag, rc;

		if (pgp_next_packet(&p, end, &tag, &body, &len, err) < 0)
			return -1;
		if (!seen_primary && tag != 6) {
			error_set(err, "not an OpenPGP public key (it starts with packet %d)", tag);
			return -1;
		}
		switch (tag) {
		case 6:
			if (seen_primary) {
				error_set(err,
				          "the file holds more than one key: give one per file");
				return -1;
			}
			seen_primary = 1;
			if (parse_pubkey(body, len, &k->primary, err) < 0)
				return -1;
			current = &k->primary;
			break;
		case 13:
		case 17:
			current = &k->primary;
			break;
		case 14:
			if (k->n_subkeys == MAX_SUBKEYS) {
				error_set(err, "more than %d subkeys", MAX_SUBKEYS);
				return -1;
			}
			current = &k->subkeys[k->n_subkeys++];
			if (parse_pubkey(body, len, current, err) < 0)
				return -1;
			break;
		case 2:
			if ((rc = parse_signature(body, len, &s)) < 0) {
				error_set(err, "a malformed signature packet");
				return -1;
			}
			/* Only the key's own statements count; others' certifications do not. */
			if (rc > 0 || !s.has_issuer ||
			    memcmp(s.issuer, k->primary.fpr + 12, 8) != 0)
				break;
			if (s.type == 0x20)
				k->primary.revoked = 1;
			else if (current != &k->primary && s.type == 0x28)
				current->revoked = 1;
			else if (current != &k->primary && s.type == 0x18) {
				current->bound = 1;
				apply_self_sig(current, &s);
			} else if (current == &k->primary &&
			           ((s.type >= 0x10 && s.type <= 0x13) || s.type == 0x1f))
				apply_self_sig(&k->primary, &s);
			break;
		default:
			break;
		}
	}
	if (!seen_primary) {
		error_set(err, "no public key in the file");
		return -1;
	}
	return 0;
}

int openpgp_key_parse(const unsigned char *data, size_t len, const char *name, int64_t now,
                      struct openpgp_key **out, struct error *err)
{
	struct openpgp_key *k = xcalloc(1, sizeof(*k));
	unsigned char *bin = NULL;
	size_t bin_len = len;
	const char *why = NULL;
	char when[32];

	*out = NULL;
	if (len > 0 && !(data[0] & 0x80)) {
		if (pgp_dearmor(data, len, ARMOR_BEGIN, "public key", &bin, &bin_len, err) < 0)
			goto fail;
		data = bin;
	}
	if (walk_packets(k, data, data + bin_len, err) < 0)
		goto fail;
	hex40(k->primary.fpr, k->fpr_hex);
	if (k->primary.revoked) {
		error_set(err, "key %s is revoked", k->fpr_hex);
		goto fail;
	}
	if (k->primary.expires_after > 0 && k->primary.created + k->primary.expires_after <= now) {
		format_iso8601(k->primary.created + k->primary.expires_after, when, sizeof(when));
		error_set(err, "key %s expired on %s", k->fpr_hex, when);
		goto fail;
	}
	for (size_t i = 0; i < k->n_subkeys; i++) {
		const struct pgp_pubkey *sk = &k->subkeys[i];
		const char *r = sk->bound ? unusable(sk, now) : "not bound to the key";

		if (r == NULL && (k->chosen == NULL || sk->created > k->chosen->created))
			k->chosen = sk;
		else if (r && (why == NULL || sk->has_flags)) {
			if (sk->has_flags && (sk->flags & 0x0c))
				why = r;
		}
	}
	if (k->chosen == NULL && unusable(&k->primary, now) == NULL)
		k->chosen = &k->primary;
	if (k->chosen == NULL) {
		error_set(err, "key %s cannot be encrypted to: %s", k->fpr_hex,
		          why ? (strcmp(why, "expired") == 0 ? "its encryption subkey expired"
		                 : strcmp(why, "revoked") == 0
		                         ? "its encryption subkey is revoked"
		                         : "its encryption subkey's algorithm "
		                           "is not RSA nor ECDH on Curve25519")
		              : "it has no encryption subkey");
		goto fail;
	}
	hex40(k->chosen->fpr, k->chosen_hex);
	free(bin);
	*out = k;
	return 0;
fail:
	error_prefix(err, "%s", name);
	free(bin);
	openpgp_key_free(k);
	return -1;
}

int openpgp_key_load(const char *path, int64_t now, struct openpgp_key **out, struct error *err)
{
	char *data = NULL;
	size_t len = 0;
	int ret;

	*out = NULL;
	if (read_small_file(path, OPENPGP_KEY_FILE_MAX, &data, &len) < 0) {
		error_set(err, "%s: %s", path, errno ? strerror(errno) : "too large for a key");
		return -1;
	}
	ret = openpgp_key_parse((const unsigned char *)data, len, path, now, out, err);
	free(data);
	return ret;
}

const char *openpgp_key_fingerprint(const struct openpgp_key *k)
{
	return k->fpr_hex;
}

const char *openpgp_key_subkey_fingerprint(const struct openpgp_key *k)
{
	return k->chosen_hex;
}

int pgp_key_algo(const struct openpgp_key *k)
{
	return k->chosen->algo == 18 ? 18 : 1;
}

void pgp_key_ecdh(const struct openpgp_key *k, const unsigned char **pub, int *kdf_hash,
                  int *kdf_sym, const unsigned char **fpr)
{
	*pub = k->chosen->ecdh_pub;
	*kdf_hash = k->chosen->kdf_hash;
	*kdf_sym = k->chosen->kdf_sym;
	*fpr = k->chosen->fpr;
}

int pgp_key_rsa(const struct openpgp_key *k, const unsigned char **n, size_t *n_len,
                const unsigned char **e, size_t *e_len, const unsigned char **key_id)
{
	*n = k->chosen->n;
	*n_len = k->chosen->n_len;
	*e = k->chosen->e;
	*e_len = k->chosen->e_len;
	*key_id = k->chosen->fpr + 12;
	return 0;
}

static void pubkey_release(struct pgp_pubkey *k)
{
	free(k->n);
	free(k->e);
}

void openpgp_key_free(struct openpgp_key *k)
{
	if (k == NULL)
		return;
	pubkey_release(&k->primary);
	for (size_t i = 0; i < k->n_subkeys; i++)
		pubkey_release(&k->subkeys[i]);
	free(k);
}
