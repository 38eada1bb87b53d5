/* The source: the one place a bundle is opened for reading, with the limits applied once. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "base/cpus.h"
#include "base/hash.h"
#include "bundle/names.h"
#include "bundle/source-private.h"

void bundle_limits_default(struct bundle_limits *lim)
{
	lim->max_members = 2000000;
	lim->max_size = 1ULL << 40;
	lim->max_ratio = 1000;
	lim->ratio_after = 4ULL << 30;
	lim->max_memory = 128ULL << 20;
}

struct source *source_new_of_kind(enum source_kind kind, const char *label,
                                  const struct bundle_limits *lim, struct error *err)
{
	struct source *src = xcalloc(1, sizeof(*src));

	src->kind = kind;
	src->label = xstrdup(label);
	src->lim = *lim;
	src->fd = -1;
	src->file_fd = -1;
	src->owned_fd = -1;
	return src;
}

/* Stop for good: every later call returns -1 with this message. */
static int fail(struct source *src, struct error *err, const char *fmt, ...) LP_ATTR_PRINTF(3, 4);
static int fail(struct source *src, struct error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(src->fail.msg, sizeof(src->fail.msg), fmt, ap);
	va_end(ap);
	src->failed = 1;
	src->in_member = 0;
	*err = src->fail;
	return -1;
}

static ssize_t base_read(struct source *src, void *buf, size_t len, struct error *err)
{
	ssize_t n;

	if (src->kind == KIND_MEMORY) {
		size_t left = src->mem_len - src->mem_off;

		n = (ssize_t)(left < len ? left : len);
		memcpy(buf, src->mem + src->mem_off, (size_t)n);
		src->mem_off += (size_t)n;
	} else {
		do
			n = read(src->fd, buf, len);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			error_set(err, "read error: %s", strerror(errno));
			return -1;
		}
	}
	if (src->hashing && n > 0)
		sha256_update(&src->raw_hash, buf, (size_t)n);
	return n;
}

ssize_t source_stream_read(struct source_stream *below, void *buf, size_t len, struct error *err)
{
	struct source *src = below->src;
	const struct source_filter *f;

	if (below->level == 0)
		return base_read(src, buf, len, err);
	f = &src->filters[below->level - 1];
	return f->read(f->ctx, &src->streams[below->level - 1], buf, len, err);
}

static la_ssize_t archive_cb(struct archive *a, void *ctx, const void **out)
{
	struct source *src = ctx;
	ssize_t n =
	        source_stream_read(&src->streams[src->n_filters], src->rbuf, CHUNK, &src->read_err);

	if (n < 0) {
		archive_set_error(a, EIO, "%s", src->read_err.msg);
		return -1;
	}
	*out = src->rbuf;
	return n;
}

int source_open_fd(struct source **out, int fd, const char *label, const struct bundle_limits *lim,
                   struct error *err)
{
	*out = source_new_of_kind(KIND_FD, label, lim, err);
	if (*out == NULL)
		return -1;
	(*out)->fd = fd;
	(*out)->start_off = -1;
	{
		struct stat st;

		/* Only a regular file can be read twice and be the same both times. */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			(*out)->start_off = lseek(fd, 0, SEEK_CUR);
	}
	return 0;
}

int source_open_memory(struct source **out, const void *buf, size_t len,
                       const struct bundle_limits *lim, struct error *err)
{
	*out = source_new_of_kind(KIND_MEMORY, "(memory)", lim, err);
	if (*out == NULL)
		return -1;
	(*out)->mem = buf;
	(*out)->mem_len = len;
	return 0;
}

int source_open_path(struct source **out, const char *path, const struct bundle_limits *lim,
                     struct error *err)
{
	struct stat st;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return source_open_dir(out, fd, path, lim, err);
	if (S_ISFIFO(st.st_mode)) {
		/*
		 * A pipe the user named is read as a stream: wait for its writer, as cat does. The
		 * first (non-blocking) reader stays open until the blocking one is: a writer it let
		 * in must never find the pipe without a reader.
		 */
		int fifo = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		struct stat st2;

		if (fifo < 0 || fstat(fifo, &st2) < 0 || st2.st_dev != st.st_dev ||
		    st2.st_ino != st.st_ino) {
			error_set(err, "%s: %s", path, fifo < 0 ? strerror(errno) : "replaced");
			if (fifo >= 0)
				close(fifo);
			close(fd);
			return -1;
		}
		close(fd);
		fd = fifo;
	} else if (!S_ISREG(st.st_mode)) {
		error_set(err, "%s: not a regular file or directory", path);
		close(fd);
		return -1;
	} else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		/* Regular files never block; reads should. */
		error_set(err, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (source_open_fd(out, fd, path, lim, err) < 0) {
		close(fd);
		return -1;
	}
	(*out)->owned_fd = fd;
	return 0;
}

int source_add_filter(struct source *src, const struct source_filter *filter, struct error *err)
{
	if (src->kind == KIND_DIR || src->opened) {
		error_set(err, "%s: a filter must be added before reading a bundle", src->label);
		return -1;
	}
	src->filters = xreallocarray(src->filters, src->n_filters + 1, sizeof(*src->filters));
	src->filters[src->n_filters++] = *filter;
	return 0;
}

int source_hash_raw(struct source *src, struct error *err)
{
	if (src->kind == KIND_DIR || src->opened || src->hashing) {
		error_set(err, "%s: cannot hash this source", src->label);
		return -1;
	}
	if (sha256_init(&src->raw_hash, err) < 0)
		return -1;
	src->hashing = 1;
	return 0;
}

/* The tar reader's input: the decompressed stream. */
static la_ssize_t tar_cb(struct archive *a, void *ctx, const void **out)
{
	struct source *src = ctx;
	la_ssize_t n = source_raw_next(src);

	if (n < 0) {
		archive_set_error(a, EIO, "%s", src->read_err.msg);
		return -1;
	}
	src->dbuf_len = (size_t)n;
	src->handed += (uint64_t)n;
	*out = src->chunk;
	return n;
}

static int archive_start(struct source *src, struct error *err)
{
	const char *msg;

	src->opened = 1;
	src->streams = xcalloc(src->n_filters + 1, sizeof(*src->streams));
	for (size_t i = 0; i <= src->n_filters; i++) {
		src->streams[i].src = src;
		src->streams[i].level = i;
	}
	src->rbuf = xmalloc(CHUNK);
	src->dbuf = xmalloc(CHUNK);
	src->raw = archive_read_new();
	src->a = archive_read_new();
	if (src->raw == NULL || src->a == NULL)
		abort();
	if (archive_read_support_filter_all(src->raw) != ARCHIVE_OK ||
	    archive_read_support_format_raw(src->raw) != ARCHIVE_OK ||
	    archive_read_support_format_tar(src->a) != ARCHIVE_OK)
		return fail(src, err, "libarchive: %s", archive_error_string(src->raw));
	/* Not a tar in any compression libarchive knows: the bundle is invalid. */
	if (archive_read_open(src->raw, src, NULL, archive_cb, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(src->raw, &src->raw_entry) != ARCHIVE_OK) {
		msg = archive_error_string(src->raw);
		return fail(src, err, "not a readable archive: %s", msg ? msg : "no data");
	}
	/* If no thread can be had, raw is simply read in this one. */
	if (source_unpack_wanted(src))
		(void)source_unpack_start(src);
	if (archive_read_open(src->a, src, NULL, tar_cb, NULL) != ARCHIVE_OK) {
		msg = archive_error_string(src->a);
		return fail(src, err, "not a readable archive: %s", msg ? msg : "no data");
	}
	return 0;
}

static int count_bytes(struct source *src, size_t n, struct error *err);

/* Is the buffer all zero bytes? */
static int all_zero(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

/*
 * After the end-of-archive marker: only zeros may follow (tar pads to its record size). Any
 * other byte is data no check covers, so the bundle is refused. Counted against the limits.
 */
static int check_after_end(struct source *src, struct error *err)
{
	uint64_t consumed = (uint64_t)archive_filter_bytes(src->a, 0);
	uint64_t chunk_start = src->handed - src->dbuf_len;
	la_ssize_t n;

	/* What the tar reader was given but did not use is in the last chunk. */
	if (consumed >= chunk_start && consumed < src->handed &&
	    !all_zero(src->chunk + (consumed - chunk_start), (size_t)(src->handed - consumed)))
		goto nonzero;
	while ((n = source_raw_next(src)) > 0) {
		if (!all_zero(src->chunk, (size_t)n))
			goto nonzero;
		if (count_bytes(src, (size_t)n, err) < 0)
			return -1;
	}
	if (n < 0)
		return fail(src, err, "the archive is truncated or corrupt: %s", src->read_err.msg);
	return 0;
nonzero:
	return fail(src, err, "data follows the end of the archive (only zero padding may)");
}

/* Count bytes of content against the limits. */
static int count_bytes(struct source *src, size_t n, struct error *err)
{
	char shown[32];

	src->total += n;
	if (src->total > src->lim.max_size)
		return fail(src, err,
		            "more than %s of content: stopped (raise the limit with --max-size)",
		            format_size(src->lim.max_size, shown, sizeof(shown)));
	if (src->kind != KIND_DIR && src->total >= src->lim.ratio_after) {
		uint64_t compressed = source_raw_compressed(src);

		if (compressed > 0 && src->total / compressed > src->lim.max_ratio)
			return fail(src, err,
			            "compression ratio above %llu: stopped (a decompression bomb? "
			            "raise the limit with --max-ratio)",
			            (unsigned long long)src->lim.max_ratio);
	}
	return 0;
}

ssize_t source_read(struct source *src, void *buf, size_t len, struct error *err)
{
	ssize_t n;

	if (src->failed) {
		*err = src->fail;
		return -1;
	}
	if (!src->in_member)
		return 0;
	if (src->skip_stored)
		return source_skip(src, err) < 0 ? -1 : 0;
	if (src->kind == KIND_DIR) {
		do
			n = read(src->file_fd, buf, len);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			char *shown = bundle_printable_name(src->name);

			fail(src, err, "'%s' %s", shown, strerror(errno));
			free(shown);
			return -1;
		}
	} else {
		n = archive_read_data(src->a, buf, len);
		if (n < 0) {
			char *shown = bundle_printable_name(src->name);
			const char *msg = archive_error_string(src->a);

			fail(src, err, "the archive is truncated or corrupt (reading '%s'): %s",
			     shown, msg ? msg : "unexpected end of data");
			free(shown);
			return -1;
		}
	}
	if (n == 0) {
		src->in_member = 0;
		return 0;
	}
	if (count_bytes(src, (size_t)n, err) < 0)
		return -1;
	return n;
}

int source_skip(struct source *src, struct error *err)
{
	char *buf;
	ssize_t n;

	if (!src->in_member)
		return src->failed ? (*err = src->fail, -1) : 0;
	if (src->skip_stored) {
		/* A sparse member: its holes are never expanded (they were counted whole). */
		src->skip_stored = 0;
		src->in_member = 0;
		if (archive_read_data_skip(src->a) != ARCHIVE_OK) {
			const char *msg = archive_error_string(src->a);

			return fail(src, err, "the archive is truncated or corrupt: %s",
			            msg ? msg : "cannot skip a member");
		}
		return 0;
	}
	buf = xmalloc(CHUNK);
	while ((n = source_read(src, buf, CHUNK, err)) > 0)
		;
	free(buf);
	return n < 0 ? -1 : 0;
}

/* Count a member against --max-members. */
int source_count_member(struct source *src, struct error *err)
{
	if (++src->members > src->lim.max_members)
		return fail(src, err,
		            "more than %llu members: stopped (raise the limit with --max-members)",
		            (unsigned long long)src->lim.max_members);
	return 0;
}

void source_refund(struct source *src, uint64_t bytes)
{
	src->mem_used -= bytes < src->mem_used ? bytes : src->mem_used;
}

int source_charge(struct source *src, uint64_t bytes, struct error *err)
{
	char shown[32];

	if (src->failed) {
		*err = src->fail;
		return -1;
	}
	src->mem_used += bytes;
	if (src->mem_used <= src->lim.max_memory)
		return 0;
	return fail(src, err,
	            "reading it needs more than %s of memory for names and checksums: stopped "
	            "(raise the limit with --max-memory)",
	            format_size(src->lim.max_memory, shown, sizeof(shown)));
}

void source_set_seen(struct source *src, int (*seen)(void *ctx, const char *name), void *ctx)
{
	src->seen = seen;
	src->seen_ctx = ctx;
}

static int archive_next(struct source *src, struct source_member *m, struct error *err)
{
	struct archive_entry *ae;
	const char *name, *msg;
	mode_t type;
	int rc;

	if (!src->opened && archive_start(src, err) < 0)
		return -1;
	if (src->in_member && source_skip(src, err) < 0)
		return -1;
	src->skip_stored = 0;
	rc = archive_read_next_header(src->a, &ae);
	if (rc == ARCHIVE_EOF) {
		if (check_after_end(src, err) < 0)
			return -1;
		src->ended = 1;
		return 0;
	}
	msg = archive_error_string(src->a);
	if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
		return fail(src, err, "the archive is truncated or corrupt: %s",
		            msg ? msg : "unreadable header");
	if (source_count_member(src, err) < 0)
		return -1;
	/*
	 * Names are taken as UTF-8 (what pax stores), whatever the locale: in the C locale
	 * libarchive warns that a UTF-8 name "can't be converted", which is no fault of the
	 * bundle when the UTF-8 name itself is there.
	 */
	name = archive_entry_pathname_utf8(ae);
	if (rc == ARCHIVE_WARN && !(name && strstr(msg ? msg : "", "can't be converted"))) {
		snprintf(src->warning, sizeof(src->warning), "%s", msg ? msg : "warning");
		m->warning = src->warning;
	}
	if (name == NULL)
		name = archive_entry_pathname(ae);
	type = archive_entry_filetype(ae);
	m->type = type == AE_IFREG ? SOURCE_FILE : type == AE_IFDIR ? SOURCE_DIR : SOURCE_OTHER;
	m->size = archive_entry_size_is_set(ae) ? (uint64_t)archive_entry_size(ae) : 0;
	if (archive_entry_mtime_is_set(ae)) {
		m->has_mtime = 1;
		m->mtime.tv_sec = archive_entry_mtime(ae);
		m->mtime.tv_nsec = archive_entry_mtime_nsec(ae);
	}
	if (name == NULL) {
		src->name = xstrdup("");
		m->name = src->name;
		m->refusal = SOURCE_UNSAFE_NAME;
		m->refused = "has a name that cannot be read";
		src->in_member = 1;
		return 1;
	}
	if ((m->refused = bundle_name_unsafe(name)) != NULL) {
		src->name = xstrdup(name);
		m->name = src->name;
		m->refusal = SOURCE_UNSAFE_NAME;
		src->in_member = 1;
		return 1;
	}
	if (archive_entry_hardlink(ae) != NULL || type == AE_IFLNK) {
		m->type = SOURCE_OTHER;
		m->refusal = SOURCE_LINK;
		m->refused = type == AE_IFLNK ? "is a symbolic link" : "is a hard link";
	} else if (type == AE_IFCHR || type == AE_IFBLK) {
		m->refusal = SOURCE_SPECIAL;
		m->refused = "is a device";
	} else if (type == AE_IFIFO) {
		m->refusal = SOURCE_SPECIAL;
		m->refused = "is a FIFO";
	} else if (type == AE_IFSOCK) {
		m->refusal = SOURCE_SPECIAL;
		m->refused = "is a socket";
	} else if (m->type == SOURCE_OTHER) {
		m->refusal = SOURCE_SPECIAL;
		m->refused = "is not a regular file or directory";
	} else if (archive_entry_sparse_count(ae) > 0) {
		/*
		 * logpack never writes sparse members; expanded, a small one could be a terabyte of
		 * zeros. Refused, and counted at its declared logical size without expanding it.
		 */
		m->refusal = SOURCE_SPECIAL;
		m->refused = "is a sparse file (logpack never writes them)";
		src->skip_stored = 1;
		if (m->size > src->lim.max_size - src->total) {
			char shown[32];

			return fail(src, err,
			            "more than %s of content: stopped (raise the limit with "
			            "--max-size)",
			            format_size(src->lim.max_size, shown, sizeof(shown)));
		}
		src->total += m->size;
	}
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	src->name = xstrdup(name);
	if (m->type == SOURCE_DIR && strlen(src->name) > 1 && str_has_suffix(src->name, "/"))
		src->name[strlen(src->name) - 1] = '\0';
	m->name = src->name;
	if (m->refused == NULL && src->seen && src->seen(src->seen_ctx, m->name)) {
		m->refusal = SOURCE_DUPLICATE;
		m->refused = "appears twice in the bundle";
	}
	src->in_member = 1; /* even a refused member's bytes are read past, and counted */
	return 1;
}

int source_next(struct source *src, struct source_member *m, struct error *err)
{
	memset(m, 0, sizeof(*m));
	free(src->name);
	src->name = NULL;
	if (src->failed) {
		*err = src->fail;
		return -1;
	}
	if (src->ended)
		return 0;
	return src->kind == KIND_DIR ? source_dir_next(src, m, err) : archive_next(src, m, err);
}

int source_raw_sha256(struct source *src, char hex[SHA256_HEX_LEN + 1], struct error *err)
{
	unsigned char *buf;
	ssize_t n;

	if (!src->hashing) {
		error_set(err, "%s: not hashed", src->label);
		return -1;
	}
	/* The decompressing thread is done with the stream: this thread reads on. */
	source_unpack_stop(src);
	/* libarchive stops at the end-of-archive marker; what follows it is hashed too. */
	buf = xmalloc(CHUNK);
	while ((n = base_read(src, buf, CHUNK, err)) > 0)
		;
	free(buf);
	if (n < 0)
		return -1;
	sha256_final_hex(&src->raw_hash, hex);
	src->hashing = 0;
	return 0;
}

int source_can_rewind(const struct source *src)
{
	return src->n_filters == 0 &&
	       (src->kind == KIND_MEMORY || (src->kind == KIND_FD && src->start_off >= 0));
}

int source_is_hashing(const struct source *src)
{
	return src->hashing;
}

int source_rewind(struct source *src, struct error *err)
{
	if (!source_can_rewind(src)) {
		error_set(err, "%s: cannot be read a second time", src->label);
		return -1;
	}
	if (src->kind == KIND_FD && lseek(src->fd, src->start_off, SEEK_SET) < 0) {
		error_set(err, "%s: %s", src->label, strerror(errno));
		return -1;
	}
	src->mem_off = 0;
	if (src->a)
		archive_read_free(src->a);
	if (src->raw)
		archive_read_free(src->raw);
	src->a = src->raw = NULL;
	free(src->streams);
	free(src->rbuf);
	free(src->dbuf);
	src->streams = NULL;
	src->rbuf = src->dbuf = NULL;
	if (src->hashing)
		sha256_discard(&src->raw_hash);
	src->hashing = 0;
	src->opened = src->failed = src->ended = src->in_member = 0;
	src->members = src->total = src->handed = 0;
	src->dbuf_len = 0;
	free(src->name);
	src->name = NULL;
	return 0;
}

int source_is_dir(const struct source *src)
{
	return src->kind == KIND_DIR;
}

const char *source_label(const struct source *src)
{
	return src->label;
}

uint64_t source_members(const struct source *src)
{
	return src->members;
}

uint64_t source_total_bytes(const struct source *src)
{
	return src->total;
}

uint64_t source_compressed_bytes(const struct source *src)
{
	if (src->kind == KIND_DIR || src->raw == NULL)
		return src->total;
	return source_raw_compressed(src);
}

void source_close(struct source *src)
{
	if (src == NULL)
		return;
	while (src->depth > 0)
		source_dir_pop(src);
	free(src->levels);
	if (src->file_fd >= 0)
		close(src->file_fd);
	/* Before anything the thread reads is closed or freed. */
	source_unpack_stop(src);
	if (src->owned_fd >= 0)
		close(src->owned_fd);
	if (src->a)
		archive_read_free(src->a);
	if (src->raw)
		archive_read_free(src->raw);
	for (size_t i = 0; i < src->n_filters; i++)
		if (src->filters[i].free)
			src->filters[i].free(src->filters[i].ctx);
	free(src->filters);
	free(src->streams);
	free(src->rbuf);
	free(src->dbuf);
	if (src->hashing)
		sha256_discard(&src->raw_hash);
	free(src->name);
	free(src->label);
	free(src);
}
