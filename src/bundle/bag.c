/* Writing a bundle: a BagIt bag in a compressed pax tar, streamed, hashed, renamed when whole. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zstd.h>

#include "bundle/bag.h"

#define COPY_CHUNK (256 * 1024)
#define BAG_ZSTD_MAX_WORKERS 2
/* Small compression jobs keep memory low (each worker holds a few jobs' worth of buffers) at
 * a cost of well under 1% in size. */
#define BAG_ZSTD_JOB_SIZE (2 * 1024 * 1024)
#define BAG_ZSTD_DEFAULT_LEVEL 3

struct bag_tag {
	char *name;
	char sha256[SHA256_HEX_LEN + 1];
};

struct bag_info_field {
	char *key;
	char *value;
};

struct bag_writer {
	struct archive *archive;
	int fd;
	int temp_exists; /* temp_path is ours to rename or remove */
	char *final_path;
	char *temp_path;
	char *top_dir;
	char *dir;
	ZSTD_CCtx *zstd; /* zstd is driven here, not by libarchive, to bound its memory */
	void *zstd_out;
	size_t zstd_out_size;
	struct sha256 stream_hash; /* of the compressed bytes: the .sha256 sidecar */
	uint64_t stream_bytes;
	FILE *manifest; /* payload manifest lines, in an unlinked temporary file */
	char *payload_name;
	struct sha256 member_hash; /* of the member being written */
	uint64_t member_remaining;
	int in_member;
	uint64_t payload_bytes;
	uint64_t payload_files;
	struct bag_tag *tags;
	size_t n_tags;
	struct bag_info_field *info;
	size_t n_info;
	int64_t bagging_time;
	bag_sign_fn sign;
	void *sign_ctx;
};

/* What a signal handler removes: fixed buffers, since it may not allocate. */
static char signal_temp_path[PATH_MAX];
static char signal_sidecar_path[PATH_MAX];

void bag_writer_signal_cleanup(void)
{
	if (signal_temp_path[0])
		unlink(signal_temp_path);
	if (signal_sidecar_path[0])
		unlink(signal_sidecar_path);
}

static void set_signal_path(char *dst, const char *path)
{
	/* Blocked while the buffer changes, so a handler never sees half a name. */
	sigset_t all, old;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (path && strlen(path) < PATH_MAX)
		strcpy(dst, path);
	else
		dst[0] = '\0';
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int bag_compression_valid(const char *name)
{
	return strcmp(name, "zstd") == 0 || strcmp(name, "gzip") == 0 || strcmp(name, "xz") == 0 ||
	       strcmp(name, "none") == 0;
}

const char *bag_compression_suffix(const char *name)
{
	if (strcmp(name, "gzip") == 0)
		return ".tar.gz";
	if (strcmp(name, "xz") == 0)
		return ".tar.xz";
	if (strcmp(name, "none") == 0)
		return ".tar";
	return ".tar.zst";
}

/* Bytes leaving the compressor: to the file, and into the bundle's own hash. */
static int raw_write(struct bag_writer *bw, const void *buf, size_t len)
{
	if (write_all(bw->fd, buf, len) < 0)
		return -1;
	sha256_update(&bw->stream_hash, buf, len);
	bw->stream_bytes += len;
	return 0;
}

/* Push tar bytes through zstd; ZSTD_e_end finishes the frame. -1 with *why on failure. */
static int zstd_feed(struct bag_writer *bw, const void *buf, size_t len, ZSTD_EndDirective mode,
                     const char **why)
{
	ZSTD_inBuffer in = {buf, len, 0};

	for (;;) {
		ZSTD_outBuffer out = {bw->zstd_out, bw->zstd_out_size, 0};
		size_t left = ZSTD_compressStream2(bw->zstd, &out, &in, mode);

		if (ZSTD_isError(left)) {
			*why = ZSTD_getErrorName(left);
			return -1;
		}
		if (out.pos > 0 && raw_write(bw, bw->zstd_out, out.pos) < 0) {
			*why = strerror(errno);
			return -1;
		}
		if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
			return 0;
	}
}

static la_ssize_t stream_write(struct archive *a, void *client, const void *buf, size_t len)
{
	struct bag_writer *bw = client;
	const char *why = NULL;
	int rc =
	        bw->zstd ? zstd_feed(bw, buf, len, ZSTD_e_continue, &why) : raw_write(bw, buf, len);

	if (rc < 0) {
		archive_set_error(a, errno, "%s: %s", bw->temp_path, why ? why : strerror(errno));
		return -1;
	}
	return (la_ssize_t)len;
}

static int stream_close(struct archive *a, void *client)
{
	struct bag_writer *bw = client;
	const char *why = NULL;

	if (bw->zstd && zstd_feed(bw, NULL, 0, ZSTD_e_end, &why) < 0) {
		archive_set_error(a, errno, "%s: %s", bw->temp_path, why);
		return ARCHIVE_FATAL;
	}
	return ARCHIVE_OK;
}

/* A zstd parameter, or the reason it was refused. */
static int zstd_param(struct bag_writer *bw, ZSTD_cParameter param, int value, const char *what,
                      struct error *err)
{
	size_t rc = ZSTD_CCtx_setParameter(bw->zstd, param, value);

	if (ZSTD_isError(rc)) {
		error_set(err, "zstd %s %d: %s", what, value, ZSTD_getErrorName(rc));
		return -1;
	}
	return 0;
}

/*
 * zstd compresses in worker threads while this thread reads and hashes: one worker per
 * remaining core, at most BAG_ZSTD_MAX_WORKERS, with small jobs, so that a whole run stays
 * well under 64 MiB. The frame carries zstd's own checksum too.
 */
static int setup_zstd(struct bag_writer *bw, int level, struct error *err)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int workers = cores > 1 ? (int)(cores - 1) : 1;

	if (workers > BAG_ZSTD_MAX_WORKERS)
		workers = BAG_ZSTD_MAX_WORKERS;
	bw->zstd = ZSTD_createCCtx();
	if (bw->zstd == NULL) {
		error_set(err, "zstd: cannot allocate a compressor");
		return -1;
	}
	if (zstd_param(bw, ZSTD_c_compressionLevel, level >= 0 ? level : BAG_ZSTD_DEFAULT_LEVEL,
	               "level", err) < 0 ||
	    zstd_param(bw, ZSTD_c_checksumFlag, 1, "checksum", err) < 0)
		return -1;
	/* A libzstd built without threads refuses workers: then it compresses in this thread. */
	if (!ZSTD_isError(ZSTD_CCtx_setParameter(bw->zstd, ZSTD_c_nbWorkers, workers)) &&
	    zstd_param(bw, ZSTD_c_jobSize, BAG_ZSTD_JOB_SIZE, "job size", err) < 0)
		return -1;
	bw->zstd_out_size = ZSTD_CStreamOutSize();
	bw->zstd_out = xmalloc(bw->zstd_out_size);
	return 0;
}

static int set_filter(struct bag_writer *bw, const char *compression, int level, struct error *err)
{
	struct archive *a = bw->archive;
	char value[32];
	int r = ARCHIVE_OK;

	if (strcmp(compression, "none") == 0)
		return 0;
	if (strcmp(compression, "zstd") == 0)
		return setup_zstd(bw, level, err);
	if (strcmp(compression, "gzip") == 0)
		r = archive_write_add_filter_gzip(a);
	else if (strcmp(compression, "xz") == 0)
		r = archive_write_add_filter_xz(a);
	if (r != ARCHIVE_OK) {
		error_set(err, "%s compression: %s", compression, archive_error_string(a));
		return -1;
	}
	if (level >= 0) {
		snprintf(value, sizeof(value), "%d", level);
		if (archive_write_set_filter_option(a, compression, "compression-level", value) !=
		    ARCHIVE_OK) {
			error_set(err, "compression level %d for %s: %s", level, compression,
			          archive_error_string(a));
			return -1;
		}
	}
	/* xz stays single-threaded: its threaded mode needs about 100 MiB per thread. */
	return 0;
}

int bag_writer_open(struct bag_writer **out, const struct bag_writer_options *opt,
                    struct error *err)
{
	struct bag_writer *bw = xcalloc(1, sizeof(*bw));
	struct stat st;

	bw->fd = -1;
	bw->final_path = xstrdup(opt->output_path);
	bw->top_dir = xstrdup(opt->top_dir);
	bw->dir = path_dirname(opt->output_path);
	bw->bagging_time = opt->bagging_time;
	bw->sign = opt->sign;
	bw->sign_ctx = opt->sign_ctx;
	if (lstat(bw->final_path, &st) == 0) {
		error_set(err, "%s already exists; refusing to overwrite it", bw->final_path);
		goto fail;
	}
	bw->temp_path = xasprintf("%s/.%s.XXXXXX", bw->dir, path_basename(bw->final_path));
	/* mkstemp creates the file 0600: the bundle is readable by its owner only. */
	bw->fd = mkstemp(bw->temp_path);
	if (bw->fd < 0) {
		error_set(err, "cannot create %s: %s", bw->temp_path, strerror(errno));
		free(bw->temp_path);
		bw->temp_path = NULL;
		goto fail;
	}
	bw->temp_exists = 1;
	(void)fcntl(bw->fd, F_SETFD, FD_CLOEXEC);
	set_signal_path(signal_temp_path, bw->temp_path);
	{
		int mfd = temp_fd_in(bw->dir);

		if (mfd < 0 || (bw->manifest = fdopen(mfd, "w+")) == NULL) {
			error_set(err, "temporary file in %s: %s", bw->dir, strerror(errno));
			if (mfd >= 0)
				close(mfd);
			goto fail;
		}
	}
	if (sha256_init(&bw->stream_hash, err) < 0)
		goto fail;
	bw->archive = archive_write_new();
	if (bw->archive == NULL) {
		error_set(err, "libarchive: cannot allocate a writer");
		goto fail;
	}
	if (archive_write_set_format_pax_restricted(bw->archive) != ARCHIVE_OK) {
		error_set(err, "pax format: %s", archive_error_string(bw->archive));
		goto fail;
	}
	if (set_filter(bw, opt->compression ? opt->compression : "zstd", opt->level, err) < 0)
		goto fail;
	/* No padding after the compressed stream: decompressors reject trailing zeros. */
	if (archive_write_set_bytes_in_last_block(bw->archive, 1) != ARCHIVE_OK) {
		error_set(err, "libarchive: %s", archive_error_string(bw->archive));
		goto fail;
	}
	if (archive_write_open2(bw->archive, bw, NULL, stream_write, stream_close, NULL) !=
	    ARCHIVE_OK) {
		error_set(err, "%s: %s", bw->temp_path, archive_error_string(bw->archive));
		goto fail;
	}
	*out = bw;
	return 0;
fail:
	bag_writer_abort(bw);
	return -1;
}

const char *bag_writer_temp_path(const struct bag_writer *bw)
{
	return bw->temp_path;
}

/* Start a member "<top>/<name>" of size bytes; its hash is kept in member_hash. */
static int member_begin(struct bag_writer *bw, const char *name, uint64_t size, int64_t mtime,
                        long mtime_nsec, struct error *err)
{
	struct archive_entry *entry = archive_entry_new();
	char *full = xasprintf("%s/%s", bw->top_dir, name);
	int rc = -1;

	if (entry == NULL) {
		error_set(err, "libarchive: cannot allocate an entry");
		goto out;
	}
	archive_entry_set_pathname_utf8(entry, full);
	archive_entry_set_filetype(entry, AE_IFREG);
	archive_entry_set_perm(entry, 0644);
	archive_entry_set_size(entry, (la_int64_t)size);
	archive_entry_set_mtime(entry, (time_t)mtime, mtime_nsec);
	if (archive_write_header(bw->archive, entry) != ARCHIVE_OK) {
		error_set(err, "%s: writing %s: %s", bw->temp_path, name,
		          archive_error_string(bw->archive));
		goto out;
	}
	if (sha256_init(&bw->member_hash, err) < 0)
		goto out;
	bw->member_remaining = size;
	bw->in_member = 1;
	rc = 0;
out:
	archive_entry_free(entry);
	free(full);
	return rc;
}

static int member_write(struct bag_writer *bw, const void *buf, size_t len, struct error *err)
{
	const char *p = buf;

	if (!bw->in_member || len > bw->member_remaining) {
		error_set(err, "internal error: %zu bytes written past the member's size", len);
		return -1;
	}
	sha256_update(&bw->member_hash, buf, len);
	bw->member_remaining -= len;
	while (len > 0) {
		la_ssize_t n = archive_write_data(bw->archive, p, len);

		if (n <= 0) {
			error_set(err, "%s: %s", bw->temp_path, archive_error_string(bw->archive));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int member_end(struct bag_writer *bw, char hex[SHA256_HEX_LEN + 1], struct error *err)
{
	if (!bw->in_member || bw->member_remaining != 0) {
		error_set(err, "internal error: member ended %llu bytes short",
		          (unsigned long long)bw->member_remaining);
		return -1;
	}
	bw->in_member = 0;
	sha256_final_hex(&bw->member_hash, hex);
	if (archive_write_finish_entry(bw->archive) != ARCHIVE_OK) {
		error_set(err, "%s: %s", bw->temp_path, archive_error_string(bw->archive));
		return -1;
	}
	return 0;
}

int bag_payload_begin(struct bag_writer *bw, const char *name, uint64_t size, int64_t mtime,
                      struct error *err)
{
	char *member = xasprintf("data/%s", name);
	int rc = member_begin(bw, member, size, mtime, 0, err);

	if (rc == 0) {
		bw->payload_bytes += size;
		bw->payload_files++;
		free(bw->payload_name);
		bw->payload_name = member;
	} else {
		free(member);
	}
	return rc;
}

int bag_payload_write(struct bag_writer *bw, const void *buf, size_t len, struct error *err)
{
	return member_write(bw, buf, len, err);
}

int bag_payload_end(struct bag_writer *bw, char sha256_out[SHA256_HEX_LEN + 1], struct error *err)
{
	if (member_end(bw, sha256_out, err) < 0)
		return -1;
	/* Bag names never hold CR, LF or '%' (see manifest.h): the line needs no encoding, and
	 * sha256sum -c reads it as it is. */
	if (fprintf(bw->manifest, "%s  %s\n", sha256_out, bw->payload_name) < 0) {
		error_set(err, "manifest: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int add_tag_record(struct bag_writer *bw, const char *name, const char *hex)
{
	bw->tags = xreallocarray(bw->tags, bw->n_tags + 1, sizeof(*bw->tags));
	bw->tags[bw->n_tags].name = xstrdup(name);
	memcpy(bw->tags[bw->n_tags].sha256, hex, SHA256_HEX_LEN + 1);
	bw->n_tags++;
	return 0;
}

static int add_member_buffer(struct bag_writer *bw, const char *name, const void *data, size_t len,
                             char hex[SHA256_HEX_LEN + 1], struct error *err)
{
	if (member_begin(bw, name, len, bw->bagging_time, 0, err) < 0 ||
	    member_write(bw, data, len, err) < 0 || member_end(bw, hex, err) < 0)
		return -1;
	return 0;
}

int bag_add_tag_file(struct bag_writer *bw, const char *name, const void *data, size_t len,
                     struct error *err)
{
	char hex[SHA256_HEX_LEN + 1];

	if (add_member_buffer(bw, name, data, len, hex, err) < 0)
		return -1;
	return add_tag_record(bw, name, hex);
}

int bag_add_tag_fd(struct bag_writer *bw, const char *name, int fd, struct error *err)
{
	char *buf = NULL, hex[SHA256_HEX_LEN + 1];
	struct stat st;
	uint64_t left;
	int rc = -1;

	if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		error_set(err, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (member_begin(bw, name, (uint64_t)st.st_size, bw->bagging_time, 0, err) < 0)
		return -1;
	buf = xmalloc(COPY_CHUNK);
	for (left = (uint64_t)st.st_size; left > 0;) {
		ssize_t n = read(fd, buf, left < COPY_CHUNK ? left : COPY_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error_set(err, "%s: %s", name, n < 0 ? strerror(errno) : "unexpected end");
			goto out;
		}
		if (member_write(bw, buf, (size_t)n, err) < 0)
			goto out;
		left -= (uint64_t)n;
	}
	if (member_end(bw, hex, err) < 0)
		goto out;
	rc = add_tag_record(bw, name, hex);
out:
	free(buf);
	return rc;
}

void bag_info_add(struct bag_writer *bw, const char *key, const char *value)
{
	char *v = xstrdup(value);

	/* A field is one line: fold any line break a value brought with it. */
	for (char *p = v; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	bw->info = xreallocarray(bw->info, bw->n_info + 1, sizeof(*bw->info));
	bw->info[bw->n_info].key = xstrdup(key);
	bw->info[bw->n_info].value = v;
	bw->n_info++;
}

/* Rename without replacing anything: a link and an unlink, or a check where links fail. */
static int rename_noreplace(const char *from, const char *to)
{
	if (link(from, to) == 0)
		return unlink(from);
	if (errno == EEXIST)
		return -1;
	/* FAT and exFAT media have no hard links. */
	if (access(to, F_OK) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(from, to);
}

static int write_sidecar(struct bag_writer *bw, const char *hex, struct error *err)
{
	char *final = xasprintf("%s.sha256", bw->final_path);
	char *temp = xasprintf("%s/.%s.XXXXXX", bw->dir, path_basename(final));
	char *line = xasprintf("%s  %s\n", hex, path_basename(bw->final_path));
	int fd = mkstemp(temp), rc = -1;

	if (fd < 0) {
		error_set(err, "cannot create %s: %s", temp, strerror(errno));
		goto out;
	}
	set_signal_path(signal_sidecar_path, temp);
	if (write_all(fd, line, strlen(line)) < 0 || fsync(fd) < 0) {
		error_set(err, "%s: %s", temp, strerror(errno));
		close(fd);
		unlink(temp);
		goto out;
	}
	close(fd);
	if (rename_noreplace(temp, final) < 0) {
		error_set(err, "cannot rename %s to %s: %s", temp, final, strerror(errno));
		unlink(temp);
		goto out;
	}
	rc = 0;
out:
	set_signal_path(signal_sidecar_path, NULL);
	free(final);
	free(temp);
	free(line);
	return rc;
}

static void bag_writer_free(struct bag_writer *bw)
{
	if (bw->archive)
		archive_write_free(bw->archive);
	if (bw->fd >= 0)
		close(bw->fd);
	if (bw->manifest)
		fclose(bw->manifest);
	free(bw->payload_name);
	if (bw->in_member)
		sha256_discard(&bw->member_hash);
	sha256_discard(&bw->stream_hash);
	ZSTD_freeCCtx(bw->zstd);
	free(bw->zstd_out);
	for (size_t i = 0; i < bw->n_tags; i++)
		free(bw->tags[i].name);
	free(bw->tags);
	for (size_t i = 0; i < bw->n_info; i++) {
		free(bw->info[i].key);
		free(bw->info[i].value);
	}
	free(bw->info);
	free(bw->final_path);
	free(bw->temp_path);
	free(bw->top_dir);
	free(bw->dir);
	free(bw);
}

void bag_writer_abort(struct bag_writer *bw)
{
	if (bw == NULL)
		return;
	if (bw->temp_exists)
		unlink(bw->temp_path);
	set_signal_path(signal_temp_path, NULL);
	bag_writer_free(bw);
}

/* bag-info.txt: the standard fields, then the caller's, one "Key: value" line each. */
static char *bag_info_text(const struct bag_writer *bw)
{
	struct strbuf sb = STRBUF_INIT;
	char date[32], size[32];
	time_t t = (time_t)bw->bagging_time;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	strbuf_addf(&sb, "Bagging-Date: %s\n", date);
	strbuf_addf(&sb, "Bag-Software-Agent: logpack %s\n", PACKAGE_VERSION);
	strbuf_addf(&sb, "Payload-Oxum: %llu.%llu\n", (unsigned long long)bw->payload_bytes,
	            (unsigned long long)bw->payload_files);
	strbuf_addf(&sb, "Bag-Size: %s\n", format_size(bw->payload_bytes, size, sizeof(size)));
	strbuf_addstr(&sb, "LogPack-Format-Version: 1\n");
	for (size_t i = 0; i < bw->n_info; i++)
		strbuf_addf(&sb, "%s: %s\n", bw->info[i].key, bw->info[i].value);
	return strbuf_detach(&sb);
}

int bag_writer_finish(struct bag_writer *bw, struct bag_result *res, struct error *err)
{
	static const char bagit_txt[] = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
	struct strbuf tagmanifest = STRBUF_INIT;
	unsigned char *der = NULL;
	size_t der_len = 0;
	char *info = NULL, hex[SHA256_HEX_LEN + 1];
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (fflush(bw->manifest) != 0) {
		error_set(err, "manifest: %s", strerror(errno));
		goto out;
	}
	if (bag_add_tag_fd(bw, "manifest-sha256.txt", fileno(bw->manifest), err) < 0)
		goto out;
	if (bag_add_tag_file(bw, "bagit.txt", bagit_txt, strlen(bagit_txt), err) < 0)
		goto out;
	info = bag_info_text(bw);
	if (bag_add_tag_file(bw, "bag-info.txt", info, strlen(info), err) < 0)
		goto out;
	for (size_t i = 0; i < bw->n_tags; i++)
		strbuf_addf(&tagmanifest, "%s  %s\n", bw->tags[i].sha256, bw->tags[i].name);
	if (add_member_buffer(bw, "tagmanifest-sha256.txt", tagmanifest.buf, tagmanifest.len,
	                      res->tagmanifest_sha256, err) < 0)
		goto out;
	if (bw->sign) {
		if (bw->sign(bw->sign_ctx, tagmanifest.buf, tagmanifest.len, &der, &der_len, err) <
		    0) {
			error_prefix(err, "signing");
			goto out;
		}
		if (add_member_buffer(bw, "tagmanifest-sha256.txt.p7s", der, der_len, hex, err) < 0)
			goto out;
	}
	if (archive_write_close(bw->archive) != ARCHIVE_OK) {
		error_set(err, "%s: %s", bw->temp_path, archive_error_string(bw->archive));
		goto out;
	}
	{
		int fd = bw->fd;

		bw->fd = -1;
		if (fsync(fd) < 0 || close(fd) < 0) {
			error_set(err, "%s: %s", bw->temp_path, strerror(errno));
			goto out;
		}
	}
	sha256_final_hex(&bw->stream_hash, res->bundle_sha256);
	res->bundle_bytes = bw->stream_bytes;
	res->payload_bytes = bw->payload_bytes;
	res->payload_files = bw->payload_files;
	if (rename_noreplace(bw->temp_path, bw->final_path) < 0) {
		error_set(err, "cannot rename %s to %s: %s", bw->temp_path, bw->final_path,
		          strerror(errno));
		goto out;
	}
	bw->temp_exists = 0;
	set_signal_path(signal_temp_path, NULL);
	if (write_sidecar(bw, res->bundle_sha256, err) < 0)
		goto out;
	{
		int dfd = open(bw->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	rc = 0;
out:
	free(info);
	free(der);
	strbuf_release(&tagmanifest);
	if (bw->temp_exists)
		unlink(bw->temp_path);
	set_signal_path(signal_temp_path, NULL);
	bag_writer_free(bw);
	return rc;
}
