/* Keeping the secrets a process holds out of core files and away from debuggers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/secrets.h"

int secrets_protect_process(struct error *err)
{
	static int done;
	struct rlimit none = {0, 0};

	if (done)
		return 0;
	if (setrlimit(RLIMIT_CORE, &none) != 0) {
		error_set(err, "cannot disable core dumps before reading a secret: %s",
		          strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		error_set(err, "cannot make the process undumpable before reading a secret: %s",
		          strerror(errno));
		return -1;
	}
	done = 1;
	return 0;
}

int secrets_open_private(const char *path, struct error *err)
{
	struct stat st;
	int fd;

	if (secrets_protect_process(err) < 0)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		error_set(err, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		error_set(err,
		          "%s: permissions %04o are too open: a private key must not be accessible "
		          "by group or others (run: chmod 600 %s)",
		          path, (unsigned int)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	return fd;
}

/* The rest of fd (a private file at path) into a buffer of max + 1 bytes; closes fd. */
static int read_private_fd(int fd, const char *path, size_t max, const char *what, char **out,
                           size_t *len, struct error *err)
{
	char *buf = xmalloc(max + 1);
	size_t got = 0;

	for (;;) {
		ssize_t n = read(fd, buf + got, max + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			error_set(err, "%s: too large for %s", path, what);
			goto fail;
		}
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
fail:
	close(fd);
	secrets_free(buf, max + 1);
	return -1;
}

int secrets_read_private(const char *path, size_t max, const char *what, char **out, size_t *len,
                         struct error *err)
{
	int fd = secrets_open_private(path, err);

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return -1;
	return read_private_fd(fd, path, max, what, out, len, err);
}

int secrets_read_own_private(const char *path, size_t max, const char *what, char **out,
                             size_t *len, struct error *err)
{
	int fd = secrets_open_private(path, err);
	struct stat st;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
		error_set(err, "%s: owned by uid %u, not by this user (uid %u)", path,
		          (unsigned int)st.st_uid, (unsigned int)geteuid());
		close(fd);
		return -1;
	}
	return read_private_fd(fd, path, max, what, out, len, err);
}

void secrets_free(void *buf, size_t size)
{
	if (buf == NULL)
		return;
	OPENSSL_cleanse(buf, size);
	free(buf);
}
