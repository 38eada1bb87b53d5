/* Receipts: their text, written and read back. The signature is sign.c's detached CMS. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/keyvalue.h"
#include "trust/receipt.h"

/* A value on one line: a line break or other control in a name must not forge a field. */
static void add_field(struct strbuf *sb, const char *key, const char *value)
{
	strbuf_addf(sb, "%s: ", key);
	for (const char *p = value; *p; p++)
		strbuf_addch(sb, (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
	strbuf_addch(sb, '\n');
}

char *receipt_format(const struct receipt *r)
{
	struct strbuf sb = STRBUF_INIT;
	char when[32];

	add_field(&sb, "LogPack-Receipt-Version", RECEIPT_VERSION);
	add_field(&sb, "Bundle", r->bundle);
	add_field(&sb, "Bundle-SHA256", r->bundle_sha256);
	add_field(&sb, "Disposition", r->disposition);
	add_field(&sb, "Verdict", r->verdict);
	add_field(&sb, "Received", format_iso8601(r->received, when, sizeof(when)));
	add_field(&sb, "Receiver", r->receiver);
	return strbuf_detach(&sb);
}

struct parse_ctx {
	struct receipt *r;
	struct error *err;
	int have_version;
	char *received;
};

/* Take the value of a field that may appear once. */
static int take_once(char **slot, struct kv_item *it, struct error *err)
{
	if (*slot != NULL) {
		error_set(err, "line %d: %s given twice", it->line, it->key);
		return -1;
	}
	*slot = it->value;
	it->value = NULL;
	return 0;
}

static int on_item(void *vctx, struct kv_item *it)
{
	struct parse_ctx *c = vctx;
	char *sha = NULL;

	if (it->kind != KV_ENTRY) {
		error_set(c->err, "line %d: not a \"Key: value\" line", it->line);
		return -1;
	}
	if (strcmp(it->key, "LogPack-Receipt-Version") == 0) {
		if (strcmp(it->value, RECEIPT_VERSION) != 0) {
			error_set(c->err, "receipt version %s is not known", it->value);
			return -1;
		}
		c->have_version = 1;
		return 0;
	}
	if (strcmp(it->key, "Bundle") == 0)
		return take_once(&c->r->bundle, it, c->err);
	if (strcmp(it->key, "Disposition") == 0)
		return take_once(&c->r->disposition, it, c->err);
	if (strcmp(it->key, "Verdict") == 0)
		return take_once(&c->r->verdict, it, c->err);
	if (strcmp(it->key, "Receiver") == 0)
		return take_once(&c->r->receiver, it, c->err);
	if (strcmp(it->key, "Received") == 0)
		return take_once(&c->received, it, c->err);
	if (strcmp(it->key, "Bundle-SHA256") == 0) {
		if (c->r->bundle_sha256[0] != '\0' || !sha256_hex_valid(it->value)) {
			error_set(c->err, "line %d: Bundle-SHA256 is not one SHA-256", it->line);
			return -1;
		}
		sha = it->value;
		for (size_t i = 0; i < SHA256_HEX_LEN; i++)
			c->r->bundle_sha256[i] =
			        (char)(sha[i] >= 'A' && sha[i] <= 'F' ? sha[i] - 'A' + 'a'
			                                              : sha[i]);
		c->r->bundle_sha256[SHA256_HEX_LEN] = '\0';
		return 0;
	}
	/* Unknown fields are kept out rather than refused: a later version may add some. */
	return 0;
}

int receipt_parse(const char *text, size_t len, struct receipt *r, struct error *err)
{
	static const struct kv_format fmt = {.separator = ':', .blanks = " \t"};
	struct parse_ctx c = {r, err, 0, NULL};
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (memchr(text, '\0', len) != NULL) {
		error_set(err, "not a receipt (binary data)");
		goto out;
	}
	if (kv_parse(text, len, &fmt, on_item, &c) != 0)
		goto out;
	if (!c.have_version || r->bundle == NULL || r->bundle_sha256[0] == '\0' ||
	    r->disposition == NULL || r->verdict == NULL || c.received == NULL ||
	    r->receiver == NULL) {
		error_set(err, "not a logpack receipt (a field is missing)");
		goto out;
	}
	if (strcmp(r->disposition, "accepted") != 0 && strcmp(r->disposition, "rejected") != 0) {
		error_set(err, "Disposition is neither accepted nor rejected");
		goto out;
	}
	if (parse_iso8601(c.received, &r->received) < 0) {
		error_set(err, "Received is not a time: %s", c.received);
		goto out;
	}
	ret = 0;
out:
	free(c.received);
	if (ret < 0)
		receipt_free(r);
	return ret;
}

void receipt_free(struct receipt *r)
{
	free(r->bundle);
	free(r->disposition);
	free(r->verdict);
	free(r->receiver);
	memset(r, 0, sizeof(*r));
}
