/*
 * A receiver's inbox: find complete groups (a bundle and its companions), stage each in a
 * directory of its own, have it verified by the confined reader, write the verdict and the
 * receipt beside it, and move the directory to accepted/ or rejected/ in one rename.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/atomic-file.h"
#include "base/hash.h"
#include "bundle/bundle-read.h"
#include "bundle/verdict.h"
#include "series/inbox.h"
#include "series/recovery.h"
#include "trust/receipt.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

struct inbox {
	struct inbox_options opt;
	enum verdict_require require;
	int inbox_fd, stage_fd, accepted_fd, rejected_fd, watch_fd;
};

/* A regular file of a directory, as seen by one listing. */
struct entry {
	char *name;
	struct stat st;
	char *stem; /* the group it belongs to (points into a primary's stem), or NULL */
	int primary;
};

struct listing {
	struct entry *e;
	size_t n;
};

static void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->e[i].name);
		if (l->e[i].primary)
			free(l->e[i].stem);
	}
	free(l->e);
	memset(l, 0, sizeof(*l));
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/*
 * The regular files of the directory open on dir_fd whose names do not start with a dot
 * (links, directories and the rest are never taken), sorted by name.
 */
static int list_files(int dir_fd, const char *what, struct listing *l, struct error *err)
{
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	memset(l, 0, sizeof(*l));
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		error_set(err, "%s: %s", what, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		l->e = xreallocarray(l->e, l->n + 1, sizeof(*l->e));
		memset(&l->e[l->n], 0, sizeof(*l->e));
		l->e[l->n].name = xstrdup(de->d_name);
		l->e[l->n].st = st;
		l->n++;
	}
	closedir(d);
	if (l->n)
		qsort(l->e, l->n, sizeof(*l->e), by_name);
	return 0;
}

/*
 * Put every file into its group: the bundles ("X.tar.zst", "X.age") give the stems ("X"),
 * and a file belongs to the longest stem it starts with, followed by a dot.
 */
static void group_files(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		int enc;
		size_t suf = reader_bundle_suffix(l->e[i].name, &enc);

		if (suf) {
			l->e[i].primary = 1;
			l->e[i].stem = xstrndup(l->e[i].name, strlen(l->e[i].name) - suf);
		}
	}
	for (size_t i = 0; i < l->n; i++) {
		size_t best = 0;

		/* A bundle whose name starts with a shorter stem ("a.b.tar" and "a.tar") keeps its
		 * own. */
		if (l->e[i].primary)
			continue;
		for (size_t j = 0; j < l->n; j++) {
			const char *s = l->e[j].stem;
			size_t sl = s ? strlen(s) : 0;

			if (l->e[j].primary && sl > best && strncmp(l->e[i].name, s, sl) == 0 &&
			    l->e[i].name[sl] == '.') {
				l->e[i].stem = l->e[j].stem;
				best = sl;
			}
		}
	}
}

static int sync_dir(int fd, const char *what, struct error *err)
{
	if (fsync(fd) < 0 && errno != EINVAL) {
		error_set(err, "%s: fsync: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

/* Rename without replacing: 0, or -1 with errno (EEXIST when the name is taken). */
static int rename_noreplace(int from_fd, const char *from, int to_fd, const char *to)
{
	struct stat st;

#if defined(__linux__) && defined(SYS_renameat2)
	if (syscall(SYS_renameat2, from_fd, from, to_fd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -1;
#endif
	if (fstatat(to_fd, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(from_fd, from, to_fd, to);
}

/* The marker that a staged bundle has been decided: "<bundle>.verdict.json". */
static char *verdict_json_name(const char *bundle)
{
	return xasprintf("%s.verdict.json", bundle);
}

static int write_file(int dir_fd, const char *dir_name, const char *name, const void *data,
                      size_t len, struct error *err)
{
	struct atomic_file *af;

	if (atomic_file_openat(&af, dir_fd, dir_name, name, 0600, ATOMIC_FILE_REPLACE, err) < 0)
		return -1;
	if (write_all(atomic_file_fd(af), data, len) < 0) {
		error_set(err, "%s/%s: %s", dir_name, name, strerror(errno));
		atomic_file_rollback(af);
		return -1;
	}
	return atomic_file_commit(af, err);
}

/* Move the decided group directory stem into accepted/ or rejected/ and report it. */
static int move_decided(struct inbox *ib, const char *stem, json_t *record, inbox_report_fn report,
                        void *ctx, struct error *err)
{
	const char *disp = json_string_value(json_object_get(record, "disposition"));
	int accepted = disp && strcmp(disp, "accepted") == 0;
	int to_fd = accepted ? ib->accepted_fd : ib->rejected_fd;
	const char *to_dir = accepted ? ib->opt.accepted : ib->opt.rejected;
	char *dest = xstrdup(stem), *dest_path = NULL;
	struct inbox_outcome o;
	int ret = -1;

	/* A bundle of the same name received before keeps its place: this one gets ".2", ... */
	for (int i = 2; rename_noreplace(ib->stage_fd, stem, to_fd, dest) < 0; i++) {
		if (errno != EEXIST || i > 9999) {
			error_set(err, "cannot move %s/%s/%s to %s: %s", ib->opt.inbox,
			          INBOX_STAGING, stem, to_dir, strerror(errno));
			goto out;
		}
		free(dest);
		dest = xasprintf("%s.%d", stem, i);
	}
	recovery_crash_point("receive-moved");
	if (sync_dir(to_fd, to_dir, err) < 0 || sync_dir(ib->stage_fd, INBOX_STAGING, err) < 0)
		goto out;
	dest_path = xasprintf("%s/%s", to_dir, dest);
	o.bundle = json_string_value(json_object_get(record, "bundle"));
	o.accepted = accepted;
	o.reason = json_string_value(json_object_get(record, "reason"));
	o.dest = dest_path;
	o.record = record;
	report(ctx, &o);
	ret = 0;
out:
	free(dest);
	free(dest_path);
	return ret;
}

/* The reason a group is refused before any reader sees it, or NULL. */
static char *group_problem(const struct listing *l, const char **primary)
{
	size_t n = 0;

	*primary = NULL;
	for (size_t i = 0; i < l->n; i++)
		if (l->e[i].primary) {
			n++;
			*primary = l->e[i].name;
		}
	if (n == 0)
		return xstrdup("no bundle file among the files");
	if (n > 1)
		return xasprintf("%zu bundle files under one name", n);
	return NULL;
}

/*
 * For an X.509 pair's content "X.enc": the bytes of its header "X.p7m" in the group (a regular
 * file, bounded), or NULL when it is not there or not readable (the reader says so).
 */
static char *cms_header_of(int dir_fd, const char *primary, size_t *len)
{
	char *name, *data = NULL;
	int fd;

	*len = 0;
	if (!str_has_suffix(primary, ".enc"))
		return NULL;
	name = xasprintf("%.*s.p7m", (int)(strlen(primary) - 4), primary);
	fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(name);
	if (fd < 0)
		return NULL;
	if (read_fd_small(fd, READER_CMS_HEADER_MAX, &data, len) < 0) {
		data = NULL;
		*len = 0;
	}
	close(fd);
	return data;
}

/* Verify the staged group in dir_fd and write its verdict files; the record is returned. */
static json_t *decide(struct inbox *ib, int dir_fd, const char *dir_name, const char *stem,
                      struct error *err)
{
	struct listing l;
	struct reader_result res = {0};
	const char *primary;
	char *problem, *path = NULL, *reason = NULL, *receipt_text = NULL, *text = NULL,
	               *jname = NULL, *header = NULL;
	size_t header_len = 0;
	char side[SHA256_HEX_LEN + 1], when[32];
	json_t *files = json_array(), *record = NULL;
	unsigned char *der = NULL;
	size_t der_len = 0;
	int accepted = 0, fd = -1, side_rc = 0, ok = 0;
	time_t now = time(NULL);

	if (list_files(dir_fd, dir_name, &l, err) < 0) {
		json_decref(files);
		return NULL;
	}
	group_files(&l);
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(files, json_string(l.e[i].name));
	problem = group_problem(&l, &primary);
	if (problem == NULL) {
		fd = openat(dir_fd, primary, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			error_set(err, "%s/%s: %s", dir_name, primary, strerror(errno));
			goto out;
		}
		header = cms_header_of(dir_fd, primary, &header_len);
		if (reader_verify(fd, primary, (const unsigned char *)header, header_len,
		                  &ib->opt.reader, &ib->opt.keys, &res, err) < 0)
			goto out;
		path = xasprintf("%s/%s", dir_name, primary);
		side_rc = bundle_sidecar_read(path, side);
	}
	if (problem)
		reason = xstrdup(problem);
	else if (side_rc <= 0)
		reason = xstrdup(side_rc == 0 ? "no .sha256 file came with the bundle"
		                              : "the .sha256 file beside the bundle is malformed");
	else if (strcmp(side, res.raw_sha256) != 0)
		reason =
		        xasprintf("the bundle does not match its .sha256 file (sha256 %s, the file "
		                  "says %s): altered or cut short",
		                  res.raw_sha256, side);
	else if (res.failure)
		reason = xstrdup(res.failure);
	else if (verdict_exit((enum bundle_outcome)res.outcome, ib->require) != 0 &&
	         res.outcome != BUNDLE_INVALID)
		reason = xasprintf("%s (below --require %s)", res.line, ib->opt.reader.require);
	else {
		reason = xstrdup(res.line);
		accepted = res.outcome != BUNDLE_INVALID;
	}
	format_iso8601(now, when, sizeof(when));
	text = xasprintf("%s: %s: %s\nsha256 %s\nreceived %s\n", primary ? primary : stem,
	                 accepted ? "accepted" : "rejected", reason, primary ? res.raw_sha256 : "-",
	                 when);
	record = json_pack("{s:s,s:s?,s:s,s:s,s:s,s:o,s:O?}", "bundle", primary ? primary : stem,
	                   "sha256", primary ? res.raw_sha256 : NULL, "disposition",
	                   accepted ? "accepted" : "rejected", "reason", reason, "received", when,
	                   "files", json_incref(files), "verdict", res.verdict);
	json_object_set_new(record, "receiver",
	                    ib->opt.signer ? json_string(signer_subject(ib->opt.signer))
	                                   : json_null());
	if (primary) {
		char *name = xasprintf("%s.verdict.txt", primary);
		int rc = write_file(dir_fd, dir_name, name, text, strlen(text), err);

		free(name);
		if (rc < 0)
			goto out;
	}
	if (primary && ib->opt.signer) {
		struct receipt r = {0};
		char *name;
		int rc;

		r.bundle = (char *)primary;
		memcpy(r.bundle_sha256, res.raw_sha256, sizeof(r.bundle_sha256));
		r.disposition = accepted ? "accepted" : "rejected";
		r.verdict = reason;
		r.received = (int64_t)now;
		r.receiver = (char *)signer_subject(ib->opt.signer);
		receipt_text = receipt_format(&r);
		if (signer_sign(ib->opt.signer, receipt_text, strlen(receipt_text), &der, &der_len,
		                err) < 0) {
			error_prefix(err, "signing the receipt");
			goto out;
		}
		name = xasprintf("%s.receipt", primary);
		rc = write_file(dir_fd, dir_name, name, receipt_text, strlen(receipt_text), err);
		free(name);
		if (rc < 0)
			goto out;
		name = xasprintf("%s.receipt.p7s", primary);
		rc = write_file(dir_fd, dir_name, name, der, der_len, err);
		free(name);
		if (rc < 0)
			goto out;
		json_object_set_new(record, "receipt", json_sprintf("%s.receipt", primary));
	}
	recovery_crash_point("receive-verdict");
	{
		char *dump = json_dumps(record, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		size_t dl = strlen(dump);

		dump = xrealloc(dump, dl + 2);
		dump[dl] = '\n';
		dump[dl + 1] = '\0';
		/* Without a bundle file there is no name to put the verdict beside: the stem's. */
		jname = verdict_json_name(primary ? primary : stem);
		ok = write_file(dir_fd, dir_name, jname, dump, dl + 1, err) == 0;
		free(dump);
	}
	if (ok)
		recovery_crash_point("receive-decided");
out:
	if (!ok) {
		json_decref(record);
		record = NULL;
	}
	if (fd >= 0)
		close(fd);
	reader_result_free(&res);
	listing_free(&l);
	json_decref(files);
	free(problem);
	free(path);
	free(reason);
	free(receipt_text);
	free(text);
	free(jname);
	free(der);
	free(header);
	return record;
}

/*
 * Finish one staged group: pull in what is still in the inbox under its stem (a run killed
 * while moving the files in), decide it unless a verdict is there already, and move it out.
 */
static int finish_staged(struct inbox *ib, const char *stem, inbox_report_fn report, void *ctx,
                         struct error *err)
{
	char *dir_name = xasprintf("%s/%s/%s", ib->opt.inbox, INBOX_STAGING, stem);
	int dir_fd = openat(ib->stage_fd, stem, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct listing here = {0}, in = {0};
	json_t *record = NULL;
	int ret = -1;

	if (dir_fd < 0) {
		error_set(err, "%s: %s", dir_name, strerror(errno));
		goto out;
	}
	if (list_files(dir_fd, dir_name, &here, err) < 0)
		goto out;
	for (size_t i = 0; i < here.n && record == NULL; i++) {
		int enc;
		char *marker;
		char *text = NULL;
		size_t len;

		if (reader_bundle_suffix(here.e[i].name, &enc) == 0)
			continue;
		marker = verdict_json_name(here.e[i].name);
		if (faccessat(dir_fd, marker, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			char *p = xasprintf("%s/%s", dir_name, marker);

			if (read_small_file(p, 1 << 20, &text, &len) == 0)
				record = json_loadb(text, len, 0, NULL);
			free(p);
			free(text);
		}
		free(marker);
	}
	if (record == NULL) {
		size_t sl = strlen(stem);

		/* Leftovers of atomic files a kill interrupted are ours (dot-names): remove them.
		 */
		{
			int fd2 = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			DIR *d = fd2 >= 0 ? fdopendir(fd2) : NULL;
			struct dirent *de;

			while (d && (de = readdir(d)) != NULL)
				if (de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 &&
				    strcmp(de->d_name, "..") != 0)
					unlinkat(dir_fd, de->d_name, 0);
			if (d)
				closedir(d);
			else if (fd2 >= 0)
				close(fd2);
		}
		if (list_files(ib->inbox_fd, ib->opt.inbox, &in, err) < 0)
			goto out;
		group_files(&in);
		for (size_t i = 0; i < in.n; i++) {
			/* Ours: named "<stem>.*", and not of a bundle with a longer stem ("a.b.tar"
			 * and its files when the stem is "a"). */
			if (strncmp(in.e[i].name, stem, sl) != 0 || in.e[i].name[sl] != '.' ||
			    (in.e[i].stem && strcmp(in.e[i].stem, stem) != 0))
				continue;
			if (rename_noreplace(ib->inbox_fd, in.e[i].name, dir_fd, in.e[i].name) <
			            0 &&
			    errno != EEXIST) {
				error_set(err, "cannot move %s/%s into %s: %s", ib->opt.inbox,
				          in.e[i].name, dir_name, strerror(errno));
				goto out;
			}
		}
		if (sync_dir(dir_fd, dir_name, err) < 0 ||
		    sync_dir(ib->inbox_fd, ib->opt.inbox, err) < 0)
			goto out;
		listing_free(&here);
		if (list_files(dir_fd, dir_name, &here, err) < 0)
			goto out;
		if (here.n == 0) {
			/* Killed between making the directory and moving the first file in. */
			if (unlinkat(ib->stage_fd, stem, AT_REMOVEDIR) < 0) {
				error_set(err, "%s: %s", dir_name, strerror(errno));
				goto out;
			}
			ret = 0;
			goto out;
		}
		if ((record = decide(ib, dir_fd, dir_name, stem, err)) == NULL)
			goto out;
	}
	ret = move_decided(ib, stem, record, report, ctx, err);
out:
	json_decref(record);
	listing_free(&here);
	listing_free(&in);
	if (dir_fd >= 0)
		close(dir_fd);
	free(dir_name);
	return ret;
}

static int open_dir(const char *path, struct stat *st, struct error *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, st) < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Finish every staged group a killed run left behind. */
static int recover(struct inbox *ib, inbox_report_fn report, void *ctx, struct error *err)
{
	int fd = openat(ib->stage_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char **stems = NULL;
	size_t n = 0;
	int ret = 0;

	if (d == NULL) {
		error_set(err, "%s/%s: %s", ib->opt.inbox, INBOX_STAGING, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.' ||
		    fstatat(ib->stage_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		stems = xreallocarray(stems, n + 1, sizeof(*stems));
		stems[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		if (ret == 0 && finish_staged(ib, stems[i], report, ctx, err) < 0)
			ret = -1;
		free(stems[i]);
	}
	free(stems);
	return ret;
}

int inbox_open(struct inbox **out, const struct inbox_options *opt, inbox_report_fn report,
               void *ctx, struct error *err)
{
	struct inbox *ib = xcalloc(1, sizeof(*ib));
	struct stat si, sa, sr, ss;

	ib->opt = *opt;
	ib->inbox_fd = ib->stage_fd = ib->accepted_fd = ib->rejected_fd = ib->watch_fd = -1;
	if (verdict_parse_require(opt->reader.require, &ib->require) < 0) {
		error_set(err, "not a level: %s", opt->reader.require);
		goto fail;
	}
	if ((ib->inbox_fd = open_dir(opt->inbox, &si, err)) < 0 ||
	    (ib->accepted_fd = open_dir(opt->accepted, &sa, err)) < 0 ||
	    (ib->rejected_fd = open_dir(opt->rejected, &sr, err)) < 0)
		goto fail;
	if (sa.st_dev != si.st_dev || sr.st_dev != si.st_dev) {
		error_set(err,
		          "%s is not on the file system of the inbox %s (bundles are moved by "
		          "rename)",
		          sa.st_dev != si.st_dev ? opt->accepted : opt->rejected, opt->inbox);
		goto fail;
	}
	if ((sa.st_dev == si.st_dev && sa.st_ino == si.st_ino) ||
	    (sr.st_dev == si.st_dev && sr.st_ino == si.st_ino) ||
	    (sa.st_dev == sr.st_dev && sa.st_ino == sr.st_ino)) {
		error_set(err, "the inbox, the accepted and the rejected directories must differ");
		goto fail;
	}
	if (mkdirat(ib->inbox_fd, INBOX_STAGING, 0700) < 0 && errno != EEXIST) {
		error_set(err, "%s/%s: %s", opt->inbox, INBOX_STAGING, strerror(errno));
		goto fail;
	}
	ib->stage_fd = openat(ib->inbox_fd, INBOX_STAGING,
	                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ib->stage_fd < 0 || fstat(ib->stage_fd, &ss) < 0) {
		error_set(err, "%s/%s: %s", opt->inbox, INBOX_STAGING, strerror(errno));
		goto fail;
	}
	if (ss.st_uid != geteuid() || (ss.st_mode & 077) != 0) {
		error_set(err, "%s/%s: not a private directory of this user", opt->inbox,
		          INBOX_STAGING);
		goto fail;
	}
	/* Two receivers on one inbox would take the same files: one at a time. */
	if (flock(ib->stage_fd, LOCK_EX | LOCK_NB) < 0) {
		error_set(err, "%s: %s", opt->inbox,
		          errno == EWOULDBLOCK ? "another logpack receive is using it"
		                               : strerror(errno));
		goto fail;
	}
	if (recover(ib, report, ctx, err) < 0)
		goto fail;
	*out = ib;
	return 0;
fail:
	inbox_close(ib);
	return -1;
}

int inbox_scan(struct inbox *ib, inbox_report_fn report, void *ctx, size_t *waiting,
               struct error *err)
{
	struct listing l;
	time_t now = time(NULL);
	int ret = 0;

	*waiting = 0;
	if (list_files(ib->inbox_fd, ib->opt.inbox, &l, err) < 0)
		return -1;
	group_files(&l);
	for (size_t i = 0; i < l.n && ret == 0; i++) {
		const char *stem = l.e[i].stem;
		int ready = 1, moved = 0;
		char *side;

		if (!l.e[i].primary)
			continue;
		/* Complete: the sidecar is there, and nothing of the group changed lately. */
		side = xasprintf("%s.sha256", l.e[i].name);
		ready = 0;
		for (size_t j = 0; j < l.n; j++)
			if (l.e[j].stem == stem && strcmp(l.e[j].name, side) == 0)
				ready = 1;
		free(side);
		for (size_t j = 0; j < l.n && ready; j++)
			if (l.e[j].stem == stem && l.e[j].st.st_ctime > now - ib->opt.settle)
				ready = 0;
		if (!ready || mkdirat(ib->stage_fd, stem, 0700) < 0) {
			(*waiting)++;
			continue;
		}
		for (size_t j = 0; j < l.n; j++) {
			int dfd;

			if (l.e[j].stem != stem)
				continue;
			dfd = openat(ib->stage_fd, stem, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd < 0 || renameat(ib->inbox_fd, l.e[j].name, dfd, l.e[j].name) < 0) {
				error_set(err, "cannot move %s/%s into %s/%s: %s", ib->opt.inbox,
				          l.e[j].name, INBOX_STAGING, stem, strerror(errno));
				if (dfd >= 0)
					close(dfd);
				ret = -1;
				break;
			}
			close(dfd);
			if (++moved == 1)
				recovery_crash_point("receive-staging");
		}
		if (ret < 0)
			break;
		recovery_crash_point("receive-staged");
		ret = finish_staged(ib, stem, report, ctx, err);
	}
	listing_free(&l);
	return ret;
}

int inbox_watch_fd(struct inbox *ib, struct error *err)
{
	if (ib->watch_fd >= 0)
		return ib->watch_fd;
	ib->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ib->watch_fd < 0) {
		error_set(err, "inotify: %s", strerror(errno));
		return -1;
	}
	if (inotify_add_watch(ib->watch_fd, ib->opt.inbox,
	                      IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_ATTRIB |
	                              IN_DELETE | IN_ONLYDIR) < 0) {
		error_set(err, "inotify %s: %s", ib->opt.inbox, strerror(errno));
		close(ib->watch_fd);
		ib->watch_fd = -1;
		return -1;
	}
	return ib->watch_fd;
}

void inbox_watch_drain(struct inbox *ib)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (ib->watch_fd >= 0 && read(ib->watch_fd, buf, sizeof(buf)) > 0)
		;
}

void inbox_close(struct inbox *ib)
{
	if (ib == NULL)
		return;
	if (ib->inbox_fd >= 0)
		close(ib->inbox_fd);
	if (ib->stage_fd >= 0)
		close(ib->stage_fd);
	if (ib->accepted_fd >= 0)
		close(ib->accepted_fd);
	if (ib->rejected_fd >= 0)
		close(ib->rejected_fd);
	if (ib->watch_fd >= 0)
		close(ib->watch_fd);
	free(ib);
}
