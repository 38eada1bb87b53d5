/* Writing a bundle: a BagIt bag in a compressed pax tar, streamed, hashed, renamed when whole. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "base/cpus.h"
#include "base/hash-thread.h"
#include "bundle/bag-batch.h"
#include "bundle/bag.h"
#include "bundle/sink.h"

#define COPY_CHUNK (256 * 1024)
/* Below this a member is hashed in the writing thread: handing over costs more than it saves. */
#define THREADED_HASH_MIN (1024 * 1024)

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
	struct sink *sink;     /* where the tar stream goes */
	struct error sink_err; /* why the sink refused bytes */
	int sink_failed;       /* the sink refused bytes (sink_err says why), or the bag is freed */
	char *top_dir;
	char *dir;
	FILE *manifest; /* payload manifest lines, in an unlinked temporary file */
	char *manifest_buf;
	struct strbuf payload_name;  /* "data/..." of the payload file being written */
	struct strbuf member_path;   /* "<top>/<name>" of the member being begun */
	char *tag_name;              /* the tag file being written in pieces (bag_tag_begin) */
	struct archive_entry *entry; /* the members' header, cleared for each */
	struct sha256 member_hash;   /* of the member being written */
	uint64_t member_remaining;
	int in_member;
	/* A member was begun and not ended whole: nothing more can make the bag complete. */
	int broken;
	struct hash_thread *hasher; /* NULL with one job: everything in this thread */
	int member_threaded;        /* the member's chunks go to the hasher */
	/* Small payload files go into the archive on a thread of their own (NULL with one job);
	 * its entry and member path are that thread's. */
	struct bag_batch *batch;
	int member_batched; /* the member's bytes go into a batch */
	struct archive_entry *batch_entry;
	struct strbuf batch_path;
	unsigned char *read_buf; /* bag_payload_buffer's buffer without a hasher */
	hash_thread_tap_fn tap;  /* the member's chunks go to it too, after their hash */
	void *tap_ctx;
	uint64_t payload_bytes;
	uint64_t payload_files;
	struct bag_tag *tags;
	size_t n_tags;
	struct bag_info_field *info;
	size_t n_info;
	int64_t bagging_time;
	bag_sign_fn sign;
	void *sign_ctx;
	int (*sealed)(void *ctx, const char *tagmanifest_sha256, struct error *err);
	void *sealed_ctx;
};

void bag_writer_signal_cleanup(void)
{
	sink_signal_cleanup();
}

int bag_compression_valid(const char *name)
{
	return sink_compression_valid(name);
}

const char *bag_compression_suffix(const char *name)
{
	return sink_compression_suffix(name);
}

/*
 * The tar stream, block by block, into the sink. A refusal of the sink is kept in sink_err and the
 * bytes are dropped, not returned to libarchive as an error: an archive left in its fatal state is
 * freed without its output buffer (libarchive 3.6), and every call into the archive is followed by
 * a look at sink_failed anyway.
 */
static la_ssize_t stream_write(struct archive *a, void *client, const void *buf, size_t len)
{
	struct bag_writer *bw = client;

	(void)a;
	if (!bw->sink_failed && sink_write(bw->sink, buf, len, &bw->sink_err) < 0)
		bw->sink_failed = 1;
	return (la_ssize_t)len;
}

/*
 * Did the last call into the archive fail (rc not ARCHIVE_OK), or the sink under it? Then err
 * says why, after the temporary bundle's path (and "writing NAME" when a member is named). A
 * write the sink refused says the path itself ("PATH: No space left on device"): it is not
 * said twice.
 */
static int archive_check(struct bag_writer *bw, int rc, const char *member, struct error *err)
{
	const char *msg, *path = sink_temp_path(bw->sink);
	size_t n = strlen(path);

	if (rc == ARCHIVE_OK && !bw->sink_failed)
		return 0;
	msg = bw->sink_failed ? bw->sink_err.msg : archive_error_string(bw->archive);
	if (msg == NULL)
		msg = "failed";
	else if (strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		msg += n + 2;
	if (member)
		error_set(err, "%s: writing %s: %s", path, member, msg);
	else
		error_set(err, "%s: %s", path, msg);
	return -1;
}

static int batch_member(void *ctx, const char *name, int64_t mtime, const void *data, size_t size,
                        struct error *err);

int bag_writer_open(struct bag_writer **out, const struct bag_writer_options *opt,
                    struct error *err)
{
	struct bag_writer *bw = xcalloc(1, sizeof(*bw));
	struct sink_options so = {0};
	int jobs = opt->jobs > 0 ? opt->jobs : cpus_available();

	*out = NULL;
	bw->top_dir = xstrdup(opt->top_dir);
	bw->dir = path_dirname(opt->output_path);
	bw->bagging_time = opt->bagging_time;
	bw->sign = opt->sign;
	bw->sign_ctx = opt->sign_ctx;
	bw->sealed = opt->sealed;
	bw->sealed_ctx = opt->sealed_ctx;
	so.path = opt->output_path;
	so.compression = opt->compression;
	so.level = opt->level;
	so.jobs = opt->jobs;
	so.sidecar = 1;
	so.filters = opt->filters;
	so.n_filters = opt->n_filters;
	if (sink_open(&bw->sink, &so, err) < 0)
		goto fail;
	if (jobs > 1) {
		if (hash_thread_new(&bw->hasher, err) < 0 ||
		    bag_batch_new(&bw->batch, batch_member, bw, err) < 0)
			goto fail;
	} else {
		bw->read_buf = xmalloc(HASH_THREAD_CHUNK);
	}
	{
		int mfd = temp_fd_in(bw->dir);

		if (mfd < 0 || (bw->manifest = fdopen(mfd, "w+")) == NULL) {
			error_set(err, "temporary file in %s: %s", bw->dir, strerror(errno));
			if (mfd >= 0)
				close(mfd);
			goto fail;
		}
		/* One write per 64 KiB of lines, not per 4 KiB: a million files make 90 MB. */
		bw->manifest_buf = stream_buffer(bw->manifest, 65536);
	}
	bw->archive = archive_write_new();
	if (bw->archive == NULL) {
		error_set(err, "libarchive: cannot allocate a writer");
		goto fail;
	}
	if (archive_write_set_format_pax_restricted(bw->archive) != ARCHIVE_OK) {
		error_set(err, "pax format: %s", archive_error_string(bw->archive));
		goto fail;
	}
	/*
	 * The tar stream goes to the sink in 64 KiB writes, not tar's 10 KiB records: a sixth of
	 * the calls into the compressor (each takes its workers' lock). It ends with its
	 * end-of-archive blocks, unpadded: the sink compresses.
	 */
	if (archive_write_set_bytes_per_block(bw->archive, 64 * 1024) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(bw->archive, 1) != ARCHIVE_OK) {
		error_set(err, "libarchive: %s", archive_error_string(bw->archive));
		goto fail;
	}
	if (archive_check(bw, archive_write_open2(bw->archive, bw, NULL, stream_write, NULL, NULL),
	                  NULL, err) < 0)
		goto fail;
	*out = bw;
	return 0;
fail:
	bag_writer_abort(bw);
	return -1;
}

const char *bag_writer_dir(const struct bag_writer *bw)
{
	return bw->dir;
}

const char *bag_writer_temp_path(const struct bag_writer *bw)
{
	return sink_temp_path(bw->sink);
}

/*
 * The header of a member "<top>/<name>", in *entry (made once, cleared for each: allocating one
 * each time cost more than it holds), its path built in path.
 */
static int write_header(struct bag_writer *bw, struct archive_entry **entry, struct strbuf *path,
                        const char *name, uint64_t size, int64_t mtime, long mtime_nsec,
                        struct error *err)
{
	struct archive_entry *e =
	        *entry ? archive_entry_clear(*entry) : (*entry = archive_entry_new());

	if (e == NULL) {
		error_set(err, "libarchive: cannot allocate an entry");
		return -1;
	}
	strbuf_reset(path);
	strbuf_addstr(path, bw->top_dir);
	strbuf_addch(path, '/');
	strbuf_addstr(path, name);
	archive_entry_set_pathname_utf8(e, path->buf);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, (time_t)mtime, mtime_nsec);
	if (archive_check(bw, archive_write_header(bw->archive, e), name, err) < 0)
		return -1;
	return 0;
}

static int write_data(struct bag_writer *bw, const void *buf, size_t len, struct error *err)
{
	const char *p = buf;

	while (len > 0) {
		la_ssize_t n = archive_write_data(bw->archive, p, len);

		if (archive_check(bw, n <= 0 ? ARCHIVE_FATAL : ARCHIVE_OK, NULL, err) < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A small payload file, on the batch thread: header, bytes, end. */
static int batch_member(void *ctx, const char *name, int64_t mtime, const void *data, size_t size,
                        struct error *err)
{
	struct bag_writer *bw = ctx;

	if (write_header(bw, &bw->batch_entry, &bw->batch_path, name, size, mtime, 0, err) < 0 ||
	    write_data(bw, data, size, err) < 0)
		return -1;
	return archive_check(bw, archive_write_finish_entry(bw->archive), name, err);
}

/*
 * A member begun and not ended whole (it ended short, or another began before its end) leaves
 * a header that promised bytes which never came: the bag can no longer be completed, with one
 * job or more. A member in a batch is taken out of it, so that the batch stays whole.
 */
static void abandon_member(struct bag_writer *bw)
{
	if (!bw->in_member)
		return;
	if (bw->member_batched)
		bag_batch_drop(bw->batch);
	bw->in_member = 0;
	bw->member_batched = 0;
	bw->broken = 1;
}

/* May a member begin? Not inside another, nor after one was abandoned. */
static int may_begin(struct bag_writer *bw, struct error *err)
{
	abandon_member(bw);
	if (bw->broken) {
		error_set(err,
		          "internal error: a member of the bag was left unfinished, so the bag "
		          "cannot be completed");
		return -1;
	}
	return 0;
}

/* Start a member "<top>/<name>" of size bytes; its hash is kept in member_hash. */
static int member_begin(struct bag_writer *bw, const char *name, uint64_t size, int64_t mtime,
                        long mtime_nsec, struct error *err)
{
	if (may_begin(bw, err) < 0)
		return -1;
	/* The archive is the batch thread's until what it was given is written. */
	if (bw->batch && bag_batch_sync(bw->batch, err) < 0)
		return -1;
	if (write_header(bw, &bw->entry, &bw->member_path, name, size, mtime, mtime_nsec, err) <
	            0 ||
	    sha256_restart(&bw->member_hash, err) < 0)
		return -1;
	bw->member_remaining = size;
	bw->in_member = 1;
	bw->member_batched = 0;
	bw->member_threaded = bw->hasher != NULL && size >= THREADED_HASH_MIN;
	bw->tap = NULL;
	return 0;
}

static int member_write(struct bag_writer *bw, const void *buf, size_t len, struct error *err)
{
	if (!bw->in_member || len > bw->member_remaining) {
		error_set(err, "internal error: %zu bytes written past the member's size", len);
		return -1;
	}
	bw->member_remaining -= len;
	if (bw->member_threaded && hash_thread_is_buffer(bw->hasher, buf)) {
		/* The hasher reads the buffer while the archive below reads it too. */
		hash_thread_submit_tapped(bw->hasher, &bw->member_hash, len, bw->tap, bw->tap_ctx);
		return write_data(bw, buf, len, err);
	}
	/* In order: what the hasher holds of this member comes first. */
	if (bw->member_threaded)
		hash_thread_wait(bw->hasher);
	sha256_update(&bw->member_hash, buf, len);
	if (bw->tap)
		bw->tap(bw->tap_ctx, buf, len);
	if (bw->member_batched) {
		bag_batch_add(bw->batch, buf, len);
		return 0;
	}
	return write_data(bw, buf, len, err);
}

int bag_payload_threaded(const struct bag_writer *bw)
{
	return bw->in_member && bw->member_threaded;
}

void bag_payload_tap(struct bag_writer *bw, hash_thread_tap_fn fn, void *ctx)
{
	if (fn == NULL && bw->tap && bw->member_threaded)
		hash_thread_wait(bw->hasher);
	bw->tap = fn;
	bw->tap_ctx = ctx;
}

static int member_end(struct bag_writer *bw, char hex[SHA256_HEX_LEN + 1], struct error *err)
{
	if (!bw->in_member || bw->member_remaining != 0) {
		error_set(err, "internal error: member ended %llu bytes short",
		          (unsigned long long)bw->member_remaining);
		abandon_member(bw);
		return -1;
	}
	bw->in_member = 0;
	if (bw->member_threaded)
		hash_thread_wait(bw->hasher);
	sha256_final_keep(&bw->member_hash, hex);
	if (bw->member_batched)
		return bag_batch_end(bw->batch, err);
	if (archive_check(bw, archive_write_finish_entry(bw->archive), NULL, err) < 0)
		return -1;
	return 0;
}

int bag_payload_begin(struct bag_writer *bw, const char *name, uint64_t size, int64_t mtime,
                      struct error *err)
{
	int rc;

	/* Kept for the manifest line at the end of the file; both names reuse their buffers. */
	strbuf_reset(&bw->payload_name);
	strbuf_addstr(&bw->payload_name, "data/");
	strbuf_addstr(&bw->payload_name, name);
	if (bw->batch && size <= BAG_BATCH_MEMBER_MAX) {
		if (may_begin(bw, err) < 0)
			return -1;
		/* Its header and bytes go into the archive on the batch thread. */
		rc = sha256_restart(&bw->member_hash, err);
		if (rc == 0) {
			bag_batch_begin(bw->batch, bw->payload_name.buf, bw->payload_name.len,
			                (size_t)size, mtime);
			bw->member_remaining = size;
			bw->in_member = 1;
			bw->member_batched = 1;
			bw->member_threaded = 0;
			bw->tap = NULL;
		}
	} else {
		rc = member_begin(bw, bw->payload_name.buf, size, mtime, 0, err);
	}
	if (rc == 0) {
		bw->payload_bytes += size;
		bw->payload_files++;
	}
	return rc;
}

void *bag_payload_buffer(struct bag_writer *bw, size_t *size)
{
	*size = HASH_THREAD_CHUNK;
	return bw->hasher ? hash_thread_buffer(bw->hasher) : bw->read_buf;
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
	if (fwrite(sha256_out, 1, SHA256_HEX_LEN, bw->manifest) != SHA256_HEX_LEN ||
	    fputs("  ", bw->manifest) == EOF ||
	    fwrite(bw->payload_name.buf, 1, bw->payload_name.len, bw->manifest) !=
	            bw->payload_name.len ||
	    putc('\n', bw->manifest) == EOF) {
		error_set(err, "manifest: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void add_tag_record(struct bag_writer *bw, const char *name, const char *hex)
{
	bw->tags = xreallocarray(bw->tags, bw->n_tags + 1, sizeof(*bw->tags));
	bw->tags[bw->n_tags].name = xstrdup(name);
	memcpy(bw->tags[bw->n_tags].sha256, hex, SHA256_HEX_LEN + 1);
	bw->n_tags++;
}

/*
 * May a caller add a tag file of this name? Not one the writer makes itself, not one in the
 * payload, not one already added (a bag with two members of one name is invalid), and nothing
 * a tagmanifest line or sha256sum -c could not carry.
 */
static int tag_name_check(const struct bag_writer *bw, const char *name, struct error *err)
{
	static const char *const reserved[] = {"bagit.txt", "bag-info.txt", "fetch.txt"};

	if (name[0] == '\0' || name[0] == '/' || strcmp(name, "..") == 0 ||
	    str_has_prefix(name, "../") || strstr(name, "/../") != NULL ||
	    str_has_suffix(name, "/..") || strpbrk(name, "\r\n%\\") != NULL ||
	    str_has_suffix(name, "/")) {
		error_set(err, "tag file '%s': not a plain name inside the bag", name);
		return -1;
	}
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(name, reserved[i]) == 0) {
			error_set(err, "tag file '%s': written by the bag writer itself", name);
			return -1;
		}
	if (str_has_prefix(name, "manifest-") || str_has_prefix(name, "tagmanifest-") ||
	    str_has_prefix(name, "data/")) {
		error_set(err, "tag file '%s': a name the bag writer or the payload uses", name);
		return -1;
	}
	for (size_t i = 0; i < bw->n_tags; i++)
		if (strcmp(bw->tags[i].name, name) == 0) {
			error_set(err, "tag file '%s' added twice", name);
			return -1;
		}
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

/* A tag member from memory, recorded for the tag manifest. */
static int add_tag_buffer(struct bag_writer *bw, const char *name, const void *data, size_t len,
                          struct error *err)
{
	char hex[SHA256_HEX_LEN + 1];

	if (add_member_buffer(bw, name, data, len, hex, err) < 0)
		return -1;
	add_tag_record(bw, name, hex);
	return 0;
}

/* A tag member from fd, read from its start to its size at fstat. */
static int add_tag_from_fd(struct bag_writer *bw, const char *name, int fd, struct error *err)
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
	add_tag_record(bw, name, hex);
	rc = 0;
out:
	free(buf);
	return rc;
}

int bag_add_tag_file(struct bag_writer *bw, const char *name, const void *data, size_t len,
                     struct error *err)
{
	if (tag_name_check(bw, name, err) < 0)
		return -1;
	return add_tag_buffer(bw, name, data, len, err);
}

int bag_add_tag_files(struct bag_writer *bw, const struct bag_tag_file *files, size_t n,
                      struct error *err)
{
	for (size_t i = 0; i < n; i++)
		if (bag_add_tag_file(bw, files[i].name, files[i].data, files[i].len, err) < 0)
			return -1;
	return 0;
}

int bag_add_tag_fd(struct bag_writer *bw, const char *name, int fd, struct error *err)
{
	if (tag_name_check(bw, name, err) < 0)
		return -1;
	return add_tag_from_fd(bw, name, fd, err);
}

int bag_tag_begin(struct bag_writer *bw, const char *name, uint64_t size, struct error *err)
{
	if (tag_name_check(bw, name, err) < 0 ||
	    member_begin(bw, name, size, bw->bagging_time, 0, err) < 0)
		return -1;
	free(bw->tag_name);
	bw->tag_name = xstrdup(name);
	return 0;
}

int bag_tag_write(struct bag_writer *bw, const void *buf, size_t len, struct error *err)
{
	return member_write(bw, buf, len, err);
}

int bag_tag_end(struct bag_writer *bw, struct error *err)
{
	char hex[SHA256_HEX_LEN + 1];

	if (bw->tag_name == NULL) {
		error_set(err, "internal error: no tag file is open");
		return -1;
	}
	if (member_end(bw, hex, err) < 0)
		return -1;
	add_tag_record(bw, bw->tag_name, hex);
	free(bw->tag_name);
	bw->tag_name = NULL;
	return 0;
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

static void bag_writer_free(struct bag_writer *bw)
{
	/* The batch thread writes into the archive: it stops first, its last batch written. */
	bag_batch_free(bw->batch);
	/* Freeing an open archive closes it: its last blocks go nowhere. */
	bw->sink_failed = 1;
	if (bw->archive)
		archive_write_free(bw->archive);
	sink_abort(bw->sink);
	if (bw->manifest)
		fclose(bw->manifest);
	free(bw->manifest_buf);
	strbuf_release(&bw->payload_name);
	strbuf_release(&bw->member_path);
	free(bw->tag_name);
	if (bw->entry)
		archive_entry_free(bw->entry);
	if (bw->batch_entry)
		archive_entry_free(bw->batch_entry);
	strbuf_release(&bw->batch_path);
	/* The hasher may still hold the member's hash: it stops first. */
	hash_thread_free(bw->hasher);
	free(bw->read_buf);
	/* The members' hash context is kept from one to the next: freed here, finished or not. */
	sha256_discard(&bw->member_hash);
	for (size_t i = 0; i < bw->n_tags; i++)
		free(bw->tags[i].name);
	free(bw->tags);
	for (size_t i = 0; i < bw->n_info; i++) {
		free(bw->info[i].key);
		free(bw->info[i].value);
	}
	free(bw->info);
	free(bw->top_dir);
	free(bw->dir);
	free(bw);
}

void bag_writer_abort(struct bag_writer *bw)
{
	if (bw)
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

void bag_result_release(struct bag_result *res)
{
	free(res->sidecar_path);
	res->sidecar_path = NULL;
}

int bag_writer_finish(struct bag_writer *bw, struct bag_result *res, struct error *err)
{
	static const char bagit_txt[] = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
	struct strbuf tagmanifest = STRBUF_INIT;
	struct sink_result sr;
	struct sink *sink;
	unsigned char *der = NULL;
	size_t der_len = 0;
	char *info = NULL, hex[SHA256_HEX_LEN + 1];
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (fflush(bw->manifest) != 0) {
		error_set(err, "manifest: %s", strerror(errno));
		goto out;
	}
	if (add_tag_from_fd(bw, "manifest-sha256.txt", fileno(bw->manifest), err) < 0)
		goto out;
	if (add_tag_buffer(bw, "bagit.txt", bagit_txt, strlen(bagit_txt), err) < 0)
		goto out;
	info = bag_info_text(bw);
	if (add_tag_buffer(bw, "bag-info.txt", info, strlen(info), err) < 0)
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
	if (archive_check(bw, archive_write_close(bw->archive), NULL, err) < 0)
		goto out;
	if (bw->sealed && bw->sealed(bw->sealed_ctx, res->tagmanifest_sha256, err) < 0)
		goto out;
	sink = bw->sink;
	bw->sink = NULL;
	if (sink_finish(sink, &sr, err) < 0)
		goto out;
	memcpy(res->bundle_sha256, sr.sha256, sizeof(res->bundle_sha256));
	res->bundle_bytes = sr.bytes;
	res->sidecar_path = sr.sidecar_path;
	res->payload_bytes = bw->payload_bytes;
	res->payload_files = bw->payload_files;
	rc = 0;
out:
	free(info);
	free(der);
	strbuf_release(&tagmanifest);
	bag_writer_free(bw);
	return rc;
}
