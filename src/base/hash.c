/* Streaming SHA-256 over OpenSSL's EVP interface. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hash.h"

/* Fetched once: a per-call lookup costs more than hashing a small file. */
static EVP_MD *sha256_md(void)
{
	static EVP_MD *md;

	if (md == NULL)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	return md;
}

int sha256_init(struct sha256 *h, struct error *err)
{
	EVP_MD *md = sha256_md();

	h->ctx = EVP_MD_CTX_new();
	if (md == NULL || h->ctx == NULL || EVP_DigestInit_ex(h->ctx, md, NULL) != 1) {
		error_set_openssl(err, "SHA-256 unavailable");
		EVP_MD_CTX_free(h->ctx);
		h->ctx = NULL;
		return -1;
	}
	return 0;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	/* EVP_DigestUpdate on an initialised SHA-256 context only fails on programming errors. */
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		abort();
}

int sha256_restart(struct sha256 *h, struct error *err)
{
	EVP_MD *md = sha256_md();

	if (h->ctx == NULL)
		return sha256_init(h, err);
	if (md == NULL || EVP_DigestInit_ex(h->ctx, md, NULL) != 1) {
		error_set_openssl(err, "SHA-256 unavailable");
		return -1;
	}
	return 0;
}

void sha256_final_keep(struct sha256 *h, char hex[SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32)
		abort();
	hex_encode(md, len, hex);
}

void sha256_final_hex(struct sha256 *h, char hex[SHA256_HEX_LEN + 1])
{
	sha256_final_keep(h, hex);
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void sha256_discard(struct sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1], struct error *err)
{
	struct sha256 h;

	if (sha256_init(&h, err) < 0)
		return -1;
	sha256_update(&h, data, len);
	sha256_final_hex(&h, hex);
	return 0;
}

int sha256_hex_valid(const char *text)
{
	for (int i = 0; i < SHA256_HEX_LEN; i++)
		if (!isxdigit((unsigned char)text[i]))
			return 0;
	return text[SHA256_HEX_LEN] == '\0';
}

int sha256_file(const char *path, uint64_t *size, char hex[SHA256_HEX_LEN + 1], struct error *err)
{
	enum { CHUNK = 64 * 1024 };
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	unsigned char *buf = NULL;
	struct sha256 h;
	struct stat st;
	uint64_t total = 0;
	int ret = -1;

	if (fd < 0 || fstat(fd, &st) < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		error_set(err, "%s: not a regular file", path);
		goto out;
	}
	if (sha256_init(&h, err) < 0)
		goto out;
	buf = xmalloc(CHUNK);
	for (;;) {
		ssize_t got = read(fd, buf, CHUNK);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			error_set(err, "%s: %s", path, strerror(errno));
			sha256_discard(&h);
			goto out;
		}
		if (got == 0)
			break;
		sha256_update(&h, buf, (size_t)got);
		total += (uint64_t)got;
	}
	sha256_final_hex(&h, hex);
	if (size)
		*size = total;
	ret = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}
