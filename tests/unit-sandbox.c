/*
 * base/sandbox.c and trust/receipt.c: a child under the seccomp filter cannot open, create,
 * rename or remove a file, nor make a socket, but can still read and write its descriptors;
 * the file size limit stops a write to a file; a receipt's text reads back as written, and a
 * line break in a name cannot forge a field.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/sandbox.h"
#include "tap.h"
#include "trust/receipt.h"

/* Run fn in a child under the filter; its exit code (0: what fn checked held). */
static int in_child(int (*fn)(void *), void *arg)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		struct error err;

		if (sandbox_no_new_privs(&err) < 0 || sandbox_seccomp(&err) < 0)
			_exit(99);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static int try_open(void *path)
{
	int fd = open(path, O_RDONLY);

	return fd < 0 && errno == EPERM ? 0 : 1;
}

static int try_create(void *dir)
{
	char *p = malloc(strlen(dir) + 8);
	int fd;

	strcpy(p, dir);
	strcat(p, "/new");
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	free(p);
	return fd < 0 && errno == EPERM ? 0 : 1;
}

static int try_unlink_rename(void *dir)
{
	char a[4096], b[4096];

	snprintf(a, sizeof(a), "%s/victim", (char *)dir);
	snprintf(b, sizeof(b), "%s/moved", (char *)dir);
	if (!(unlink(a) < 0 && errno == EPERM))
		return 1;
	if (!(rename(a, b) < 0 && errno == EPERM))
		return 2;
	if (!(mkdir(b, 0700) < 0 && errno == EPERM))
		return 3;
	return 0;
}

static int try_socket(void *unused)
{
	(void)unused;
	return socket(AF_UNIX, SOCK_STREAM, 0) < 0 && errno == EPERM ? 0 : 1;
}

/* What the reader does need: reading and writing the descriptors it has, memory. */
static int try_pipe_io(void *fds)
{
	int *p = fds;
	char buf[4] = "";
	char *mem = malloc(1 << 20);

	if (mem == NULL)
		return 1;
	memset(mem, 1, 1 << 20);
	free(mem);
	if (write(p[1], "ok", 2) != 2 || read(p[0], buf, 2) != 2)
		return 2;
	return memcmp(buf, "ok", 2) == 0 ? 0 : 3;
}

static int try_fsize(void *path)
{
	struct sandbox_limits lim = {0, 0};
	struct error err;
	int skipped, fd = open(path, O_WRONLY);

	signal(SIGXFSZ, SIG_IGN);
	if (fd < 0 || sandbox_set_limits(&lim, &skipped, &err) < 0)
		return 1;
	return write(fd, "x", 1) < 0 && errno == EFBIG ? 0 : 2;
}

int main(void)
{
	char dir[] = "/tmp/unit-sandbox.XXXXXX", victim[4096], target[4096];
	int fds[2], fd, status;
	struct receipt r = {0}, back;
	struct error err = {{0}};
	char *text;
	pid_t pid;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	fd = open(victim, O_WRONLY | O_CREAT, 0600);
	close(fd);
	ok(in_child(try_open, "/etc/passwd") == 0, "the filter refuses open() of a readable file");
	ok(in_child(try_create, dir) == 0, "the filter refuses creating a file");
	ok(in_child(try_unlink_rename, dir) == 0, "the filter refuses unlink, rename and mkdir");
	ok(access(victim, F_OK) == 0, "the file the child tried to remove is still there");
	ok(in_child(try_socket, NULL) == 0, "the filter refuses a new socket");
	if (pipe(fds) < 0)
		return 1;
	ok(in_child(try_pipe_io, fds) == 0, "under the filter, descriptors and memory still work");
	close(fds[0]);
	close(fds[1]);
	/* The size limit in a plain child: a file already open cannot grow. */
	snprintf(target, sizeof(target), "%s", victim);
	pid = fork();
	if (pid == 0)
		_exit(try_fsize(target));
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "RLIMIT_FSIZE 0: a write to a file fails");
	unlink(victim);
	rmdir(dir);

	r.bundle = "b.tar.zst\nDisposition: accepted";
	memcpy(r.bundle_sha256, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	       65);
	r.disposition = "rejected";
	r.verdict = "INVALID: a file was changed";
	r.received = 1700000000;
	r.receiver = "/O=CERT/CN=inbox";
	text = receipt_format(&r);
	ok(receipt_parse(text, strlen(text), &back, &err) == 0, "a receipt reads back: %s",
	   err.msg);
	is_str(back.disposition, "rejected", "a line break in the name forges no Disposition");
	is_str(back.bundle, "b.tar.zst?Disposition: accepted", "the name is kept on one line");
	ok(back.received == 1700000000, "the time reads back");
	is_str(back.verdict, "INVALID: a file was changed", "the verdict reads back");
	receipt_free(&back);
	free(text);
	text = "LogPack-Receipt-Version: 1\nBundle: x\nDisposition: accepted\n";
	ok(receipt_parse(text, strlen(text), &back, &err) < 0,
	   "a receipt without a hash is refused");
	return tap_done();
}
