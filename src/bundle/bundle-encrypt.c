/* Encrypting an existing bundle file in one pass, and the names of encrypted files. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hash.h"
#include "bundle/bundle-encrypt.h"

char *bundle_encrypted_name(const char *dir, const char *keep, const char *suffix,
                            struct error *err)
{
	const char *sep = strcmp(dir, "/") == 0 ? "" : "/";
	unsigned char id[8];

	if (keep)
		return xasprintf("%s%s%s%s", strcmp(dir, "/") == 0 ? "" : dir, sep, keep, suffix);
	/* Random, not derived from anything: the name must not say whose logs these are. */
	if (getentropy(id, sizeof(id)) < 0) {
		error_set(err, "random file name: %s", strerror(errno));
		return NULL;
	}
	return xasprintf("%s%slogpack-%02x%02x%02x%02x%02x%02x%02x%02x%s",
	                 strcmp(dir, "/") == 0 ? "" : dir, sep, id[0], id[1], id[2], id[3], id[4],
	                 id[5], id[6], id[7], suffix);
}

void bundle_encrypted_files(const struct recipients *r, const char *main_path, char ***out,
                            size_t *n)
{
	const char *main_suffix = recipients_suffix(r);
	size_t stem = strlen(main_path), k = 0;
	char **list = xcalloc(5, sizeof(*list));

	if (str_has_suffix(main_path, main_suffix))
		stem -= strlen(main_suffix);
	/* The order of sink-encrypt.c: OpenPGP, age, X.509; the first kind is main_path. */
	if (r->n_pgp)
		list[k++] = xasprintf("%.*s.gpg", (int)stem, main_path);
	if (r->n_age)
		list[k++] = xasprintf("%.*s.age", (int)stem, main_path);
	if (r->n_x509) {
		list[k++] = xasprintf("%.*s.enc", (int)stem, main_path);
		list[k++] = xasprintf("%.*s.p7m", (int)stem, main_path);
	}
	free(list[0]);
	list[0] = xstrdup(main_path);
	*out = list;
	*n = k;
}

int bundle_encrypt_fd(int fd, const char *label, const char *expect_sha256, const char *out_path,
                      struct sink_filter *filter, struct sink_result *res, struct error *err)
{
	enum { CHUNK = 64 * 1024 };
	struct sink_options so = {
	        .path = out_path,
	        .compression = "none", /* the bundle is compressed already: its bytes as they are */
	        .level = -1,
	        .jobs = 1,
	        .sidecar = 1,
	        .filters = &filter,
	        .n_filters = 1,
	};
	struct sink *sink = NULL;
	struct sha256 hash;
	char hex[SHA256_HEX_LEN + 1];
	unsigned char *buf = NULL;
	ssize_t got;

	memset(res, 0, sizeof(*res));
	if (sha256_init(&hash, err) < 0) {
		filter->free(filter);
		return -1;
	}
	if (sink_open(&sink, &so, err) < 0) {
		sha256_discard(&hash);
		return -1;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		error_set(err, "%s: %s", label, strerror(errno));
		goto fail;
	}
	buf = xmalloc(CHUNK);
	while ((got = read(fd, buf, CHUNK)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			error_set(err, "%s: %s", label, strerror(errno));
			goto fail;
		}
		sha256_update(&hash, buf, (size_t)got);
		if (sink_write(sink, buf, (size_t)got, err) < 0)
			goto fail;
	}
	sha256_final_hex(&hash, hex);
	/* What was verified must be what is encrypted: a file changed in between is refused. */
	if (strcmp(hex, expect_sha256) != 0) {
		error_set(err,
		          "%s changed after it was verified (SHA-256 %s, then %s); nothing written",
		          label, expect_sha256, hex);
		goto fail_hashed;
	}
	free(buf);
	return sink_finish(sink, res, err);
fail:
	sha256_discard(&hash);
fail_hashed:
	free(buf);
	sink_abort(sink);
	return -1;
}
