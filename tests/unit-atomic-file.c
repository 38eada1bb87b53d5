/* Unit tests: writing a file atomically (commit, rollback, no-replace, modes, signal cleanup). */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic-file.h"
#include "tap.h"

static char dir[] = "/tmp/unit-atomic-file.XXXXXX";

/* How many entries the test directory holds (without . and ..). */
static int dir_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	if (d)
		closedir(d);
	return n;
}

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len;

	if (read_small_file(path, 1 << 20, &buf, &len) < 0)
		return NULL;
	return buf;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? (st.st_mode & 07777) : (mode_t)-1;
}

static void clean(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))) {
			char *p = xasprintf("%s/%s", dir, de->d_name);

			unlink(p);
			free(p);
		}
	if (d)
		closedir(d);
}

int main(void)
{
	struct atomic_file *af, *af2;
	struct error err = {{0}};
	char *path, *path2, *text;
	const char *tmp;
	int dir_fd;

	if (mkdtemp(dir) == NULL)
		return 1;
	path = xasprintf("%s/state.json", dir);
	path2 = xasprintf("%s/other", dir);

	/* Open: a 0600 temporary beside the final name, nothing under the final name yet. */
	umask(022);
	ok(atomic_file_open(&af, path, 0600, 0, &err) == 0, "open: %s", err.msg);
	tmp = atomic_file_temp_path(af);
	ok(strncmp(tmp, dir, strlen(dir)) == 0 &&
	           strncmp(tmp + strlen(dir), "/.state.json.", 13) == 0 &&
	           strlen(tmp) == strlen(dir) + 13 + 6,
	   "the temporary is .state.json.XXXXXX beside it: %s", tmp);
	ok(mode_of(tmp) == 0600, "the temporary is mode 0600 (%o)", (unsigned)mode_of(tmp));
	ok(access(path, F_OK) != 0, "nothing under the final name before commit");
	ok(write_all(atomic_file_fd(af), "{\"a\":1}\n", 8) == 0, "write through the fd");
	{
		char *tmp_copy = xstrdup(tmp);

		ok(atomic_file_commit(af, &err) == 0, "commit: %s", err.msg);
		ok(access(tmp_copy, F_OK) != 0, "the temporary name is gone after commit");
		free(tmp_copy);
	}
	text = slurp(path);
	is_str(text, "{\"a\":1}\n", "commit puts the bytes under the final name");
	free(text);
	ok(mode_of(path) == 0600, "the committed file is mode 0600");
	ok(dir_entries() == 1, "commit leaves exactly one file");

	/* No replace: refused at open, before anything is written. */
	ok(atomic_file_open(&af, path, 0600, 0, &err) < 0 && af == NULL,
	   "open refuses an existing final name");
	ok(strstr(err.msg, path) && strstr(err.msg, "already exists"), "error names it: %s",
	   err.msg);
	ok(atomic_file_write(path, "new", 3, 0600, 0, &err) < 0, "atomic_file_write refuses too");
	text = slurp(path);
	is_str(text, "{\"a\":1}\n", "the existing file is untouched");
	free(text);

	/* No replace, when the name appears while the file is written: commit fails. */
	ok(atomic_file_open(&af, path2, 0600, 0, &err) == 0, "open other");
	ok(write_all(atomic_file_fd(af), "mine", 4) == 0, "write other");
	ok(atomic_file_write(path2, "theirs", 6, 0600, 0, &err) == 0, "someone else makes it");
	ok(atomic_file_commit(af, &err) < 0, "commit does not replace it");
	ok(strstr(err.msg, "cannot rename") && strstr(err.msg, "File exists"), "and says why: %s",
	   err.msg);
	text = slurp(path2);
	is_str(text, "theirs", "their file is untouched");
	free(text);
	ok(dir_entries() == 2, "the failed commit left no temporary");

	/* Replace, when asked. */
	ok(atomic_file_write(path2, "replaced", 8, 0644, ATOMIC_FILE_REPLACE, &err) == 0,
	   "ATOMIC_FILE_REPLACE: %s", err.msg);
	text = slurp(path2);
	is_str(text, "replaced", "the file is replaced");
	free(text);
	ok(mode_of(path2) == 0644, "with the mode asked for, whatever the umask (%o)",
	   (unsigned)mode_of(path2));
	ok(dir_entries() == 2, "and no temporary is left");
	clean();

	/* Rollback: nothing under either name. */
	ok(atomic_file_open(&af, path, 0600, 0, &err) == 0, "open for rollback");
	ok(write_all(atomic_file_fd(af), "partial", 7) == 0, "write partial");
	atomic_file_rollback(af);
	ok(dir_entries() == 0, "rollback leaves nothing under either name");
	atomic_file_rollback(NULL);

	/* The signal cleanup removes every temporary still open, and only those. */
	ok(atomic_file_write(path2, "kept", 4, 0600, 0, &err) == 0, "a committed file");
	ok(atomic_file_open(&af, path, 0600, 0, &err) == 0, "first open file");
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
	ok(atomic_file_openat(&af2, dir_fd, dir, "third", 0600, 0, &err) == 0, "openat: %s",
	   err.msg);
	close(dir_fd);
	ok(dir_entries() == 3, "two temporaries and a committed file");
	atomic_file_signal_cleanup();
	ok(dir_entries() == 1 && access(path2, F_OK) == 0,
	   "signal cleanup removed both temporaries, kept the committed file");
	atomic_file_rollback(af);
	atomic_file_rollback(af2);
	clean();

	/* openat commits into the directory it was given, and the dir fd may be closed. */
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
	ok(atomic_file_openat(&af, dir_fd, dir, "unit.timer", 0644, 0, &err) == 0, "openat");
	close(dir_fd);
	ok(write_all(atomic_file_fd(af), "[Timer]\n", 8) == 0 && atomic_file_commit(af, &err) == 0,
	   "openat commit: %s", err.msg);
	{
		char *p = xasprintf("%s/unit.timer", dir);

		text = slurp(p);
		is_str(text, "[Timer]\n", "openat: the file is in place");
		ok(mode_of(p) == 0644, "openat: mode 0644");
		free(text);
		free(p);
	}
	clean();

	/* Errors name the path and the reason. */
	{
		char *missing = xasprintf("%s/no/such/dir/f", dir);

		ok(atomic_file_write(missing, "x", 1, 0600, 0, &err) < 0 &&
		           strstr(err.msg, missing) && strstr(err.msg, "No such file"),
		   "a missing directory: %s", err.msg);
		free(missing);
	}
	ok(atomic_file_open(&af, dir, 0600, 0, &err) < 0, "a directory as the final name");
	rmdir(dir);
	free(path);
	free(path2);
	return tap_done();
}
