/* A bundle file on its way to disk: compressor, filters, atomic file, SHA-256 and sidecar. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zstd.h>

#include "base/atomic-file.h"
#include "base/cpus.h"
#include "bundle/archive-why.h"
#include "bundle/sink-gzip.h"
#include "bundle/sink.h"

/* Small compression jobs keep memory low (each worker holds a few jobs' worth of buffers) at
 * a cost of well under 1% in size. */
#define SINK_ZSTD_JOB_SIZE (2 * 1024 * 1024)
#define SINK_ZSTD_DEFAULT_LEVEL 3
/* Memory grows with the workers (a zstd worker at level 3 holds a few MiB): -j stops here. */
#define SINK_MAX_WORKERS 32

/* The last stage: bytes into the temporary file and into the file's own hash. */
struct file_stage {
	struct sink_filter f;
	struct sink *sink;
};

struct sink {
	struct atomic_file *file;
	char *path;
	int sidecar;
	struct sink_filter *compressor; /* NULL for "none" */
	struct sink_filter **filters;
	size_t n_filters;
	struct file_stage file_stage;
	struct sink_filter *head; /* where sink_write puts bytes */
	struct sha256 hash;
	int hashing;
	uint64_t bytes;
};

int sink_compression_valid(const char *name)
{
	return strcmp(name, "zstd") == 0 || strcmp(name, "gzip") == 0 || strcmp(name, "xz") == 0 ||
	       strcmp(name, "none") == 0;
}

const char *sink_compression_suffix(const char *name)
{
	if (strcmp(name, "gzip") == 0)
		return ".tar.gz";
	if (strcmp(name, "xz") == 0)
		return ".tar.xz";
	if (strcmp(name, "none") == 0)
		return ".tar";
	return ".tar.zst";
}

int sink_filter_pass(struct sink_filter *f, const void *buf, size_t len, struct error *err)
{
	if (len == 0)
		return 0;
	return f->next->write(f->next, buf, len, err);
}

static int file_write(struct sink_filter *f, const void *buf, size_t len, struct error *err)
{
	struct sink *s = ((struct file_stage *)f)->sink;

	if (write_all(atomic_file_fd(s->file), buf, len) < 0) {
		error_set(err, "%s: %s", atomic_file_temp_path(s->file), strerror(errno));
		return -1;
	}
	sha256_update(&s->hash, buf, len);
	s->bytes += len;
	return 0;
}

/* --- zstd, driven here rather than by libarchive, so that its job size (memory) is ours */

struct zstd_stage {
	struct sink_filter f;
	ZSTD_CCtx *cctx;
	void *out;
	size_t out_size;
};

/* Push bytes through zstd; ZSTD_e_end finishes the frame. */
static int zstd_feed(struct zstd_stage *z, const void *buf, size_t len, ZSTD_EndDirective mode,
                     struct error *err)
{
	ZSTD_inBuffer in = {buf, len, 0};

	for (;;) {
		ZSTD_outBuffer out = {z->out, z->out_size, 0};
		size_t left = ZSTD_compressStream2(z->cctx, &out, &in, mode);

		if (ZSTD_isError(left)) {
			error_set(err, "zstd: %s", ZSTD_getErrorName(left));
			return -1;
		}
		if (sink_filter_pass(&z->f, z->out, out.pos, err) < 0)
			return -1;
		if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
			return 0;
	}
}

static int zstd_write(struct sink_filter *f, const void *buf, size_t len, struct error *err)
{
	return zstd_feed((struct zstd_stage *)f, buf, len, ZSTD_e_continue, err);
}

static int zstd_finish(struct sink_filter *f, struct error *err)
{
	return zstd_feed((struct zstd_stage *)f, NULL, 0, ZSTD_e_end, err);
}

static void zstd_free(struct sink_filter *f)
{
	struct zstd_stage *z = (struct zstd_stage *)f;

	ZSTD_freeCCtx(z->cctx);
	free(z->out);
	free(z);
}

static int zstd_param(ZSTD_CCtx *cctx, ZSTD_cParameter param, int value, const char *what,
                      struct error *err)
{
	size_t rc = ZSTD_CCtx_setParameter(cctx, param, value);

	if (ZSTD_isError(rc)) {
		error_set(err, "zstd %s %d: %s", what, value, ZSTD_getErrorName(rc));
		return -1;
	}
	return 0;
}

/*
 * With jobs > 1, zstd compresses in that many worker threads while this thread reads and
 * hashes, with small jobs so that a whole run stays well under 64 MiB; with one job it
 * compresses here, in the calling thread. The frame carries zstd's own checksum too.
 */
static struct sink_filter *zstd_stage_new(int level, int jobs, struct error *err)
{
	struct zstd_stage *z = xcalloc(1, sizeof(*z));

	z->f.write = zstd_write;
	z->f.finish = zstd_finish;
	z->f.free = zstd_free;
	z->cctx = ZSTD_createCCtx();
	if (z->cctx == NULL) {
		error_set(err, "zstd: cannot allocate a compressor");
		goto fail;
	}
	if (zstd_param(z->cctx, ZSTD_c_compressionLevel,
	               level >= 0 ? level : SINK_ZSTD_DEFAULT_LEVEL, "level", err) < 0 ||
	    zstd_param(z->cctx, ZSTD_c_checksumFlag, 1, "checksum", err) < 0)
		goto fail;
	/* A libzstd built without threads refuses workers: then it compresses in this thread. */
	if (jobs > 1 && !ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_nbWorkers, jobs)) &&
	    zstd_param(z->cctx, ZSTD_c_jobSize, SINK_ZSTD_JOB_SIZE, "job size", err) < 0)
		goto fail;
	z->out_size = ZSTD_CStreamOutSize();
	z->out = xmalloc(z->out_size);
	return &z->f;
fail:
	zstd_free(&z->f);
	return NULL;
}

/* --- xz: libarchive's filter, over its "raw" format (the bytes, no container) */

struct archive_stage {
	struct sink_filter f;
	struct archive *a;
	const char *name;
	struct error pass_err; /* why passing output on failed, for libarchive to carry */
};

static la_ssize_t archive_stage_out(struct archive *a, void *client, const void *buf, size_t len)
{
	struct archive_stage *st = client;

	if (sink_filter_pass(&st->f, buf, len, &st->pass_err) < 0) {
		archive_set_error(a, EIO, "%s", st->pass_err.msg);
		return -1;
	}
	return (la_ssize_t)len;
}

static int archive_stage_write(struct sink_filter *f, const void *buf, size_t len,
                               struct error *err)
{
	struct archive_stage *st = (struct archive_stage *)f;
	const char *p = buf;

	while (len > 0) {
		la_ssize_t n = archive_write_data(st->a, p, len);

		if (n <= 0) {
			error_set(err, "%s compression: %s", st->name,
			          archive_why(st->a, "failed"));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int archive_stage_finish(struct sink_filter *f, struct error *err)
{
	struct archive_stage *st = (struct archive_stage *)f;

	if (archive_write_close(st->a) != ARCHIVE_OK) {
		error_set(err, "%s compression: %s", st->name, archive_why(st->a, "failed"));
		return -1;
	}
	return 0;
}

static void archive_stage_free(struct sink_filter *f)
{
	struct archive_stage *st = (struct archive_stage *)f;

	if (st->a)
		archive_write_free(st->a);
	free(st);
}

/*
 * How many threads liblzma's multi-threaded encoder gets: each compresses blocks of three times
 * the dictionary and needs, by lzma_stream_encoder_mt_memusage, the MiB below per level (165
 * at the default level 6; the single-threaded encoder needs 93). xz is exempt from the memory
 * goal that zstd and gzip keep, but its threads together stay under a quarter of the free
 * memory; with one thread the single-threaded encoder is used.
 */
static int xz_threads(int level, int jobs)
{
	static const unsigned mib_per_thread[10] = {6, 18, 35, 68, 84, 166, 166, 330, 658, 1250};
	long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t budget = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page / 4 : 0;
	uint64_t each = (uint64_t)mib_per_thread[level >= 0 && level <= 9 ? level : 6] << 20;

	if (jobs > 1 && (uint64_t)jobs * each > budget)
		jobs = (int)(budget / each);
	return jobs > 1 ? jobs : 1;
}

static struct sink_filter *archive_stage_new(const char *name, int level, int jobs,
                                             struct error *err)
{
	struct archive_stage *st = xcalloc(1, sizeof(*st));
	struct archive_entry *entry = NULL;
	char value[32];

	st->f.write = archive_stage_write;
	st->f.finish = archive_stage_finish;
	st->f.free = archive_stage_free;
	st->name = "xz";
	st->a = archive_write_new();
	if (st->a == NULL) {
		error_set(err, "libarchive: cannot allocate a writer");
		goto fail;
	}
	if (archive_write_set_format_raw(st->a) != ARCHIVE_OK) {
		error_set(err, "%s compression: %s", name, archive_why(st->a, "failed"));
		goto fail;
	}
	if (archive_write_add_filter_xz(st->a) != ARCHIVE_OK) {
		error_set(err, "%s compression: %s", name, archive_why(st->a, "failed"));
		goto fail;
	}
	jobs = xz_threads(level, jobs);
	if (jobs > 1) {
		snprintf(value, sizeof(value), "%d", jobs);
		if (archive_write_set_filter_option(st->a, name, "threads", value) != ARCHIVE_OK) {
			error_set(err, "%d threads for %s: %s", jobs, name,
			          archive_why(st->a, "failed"));
			goto fail;
		}
	}
	if (level >= 0) {
		snprintf(value, sizeof(value), "%d", level);
		if (archive_write_set_filter_option(st->a, name, "compression-level", value) !=
		    ARCHIVE_OK) {
			error_set(err, "compression level %d for %s: %s", level, name,
			          archive_why(st->a, "failed"));
			goto fail;
		}
	}
	/* No padding after the compressed stream: decompressors reject trailing zeros. */
	if (archive_write_set_bytes_in_last_block(st->a, 1) != ARCHIVE_OK ||
	    archive_write_open2(st->a, st, NULL, archive_stage_out, NULL, NULL) != ARCHIVE_OK) {
		error_set(err, "%s compression: %s", name, archive_why(st->a, "failed"));
		goto fail;
	}
	/* The raw format takes one entry, whose data is the stream itself. */
	entry = archive_entry_new();
	if (entry == NULL) {
		error_set(err, "libarchive: cannot allocate an entry");
		goto fail;
	}
	archive_entry_set_filetype(entry, AE_IFREG);
	if (archive_write_header(st->a, entry) != ARCHIVE_OK) {
		error_set(err, "%s compression: %s", name, archive_why(st->a, "failed"));
		goto fail;
	}
	archive_entry_free(entry);
	return &st->f;
fail:
	archive_entry_free(entry);
	archive_stage_free(&st->f);
	return NULL;
}

/* --- the sink */

void sink_signal_cleanup(void)
{
	atomic_file_signal_cleanup();
}

/* Free every stage and the sink; the temporary file is removed if it is still there. */
static void sink_free(struct sink *s)
{
	if (s->compressor)
		s->compressor->free(s->compressor);
	for (size_t i = 0; i < s->n_filters; i++)
		if (s->filters[i])
			s->filters[i]->free(s->filters[i]);
	free(s->filters);
	atomic_file_rollback(s->file);
	if (s->hashing)
		sha256_discard(&s->hash);
	free(s->path);
	free(s);
}

int sink_open(struct sink **out, const struct sink_options *opt, struct error *err)
{
	struct sink *s = xcalloc(1, sizeof(*s));
	const char *compression = opt->compression ? opt->compression : "zstd";
	struct sink_filter *next = &s->file_stage.f;
	int jobs;

	*out = NULL;
	s->path = xstrdup(opt->path);
	s->sidecar = opt->sidecar;
	s->file_stage.f.write = file_write;
	s->file_stage.sink = s;
	if (opt->n_filters > 0) {
		s->filters = xreallocarray(NULL, opt->n_filters, sizeof(*s->filters));
		memcpy(s->filters, opt->filters, opt->n_filters * sizeof(*s->filters));
		s->n_filters = opt->n_filters;
	}
	if (!sink_compression_valid(compression)) {
		error_set(err, "unknown compression '%s' (zstd, gzip, xz or none)", compression);
		goto fail;
	}
	/* Chained from the file back: each stage knows the one after it. */
	for (size_t i = s->n_filters; i-- > 0;) {
		s->filters[i]->next = next;
		s->filters[i]->path = s->path;
		next = s->filters[i];
	}
	jobs = opt->jobs > 0 ? opt->jobs : cpus_available();
	if (jobs > SINK_MAX_WORKERS)
		jobs = SINK_MAX_WORKERS;
	if (strcmp(compression, "zstd") == 0)
		s->compressor = zstd_stage_new(opt->level, jobs, err);
	else if (strcmp(compression, "gzip") == 0)
		s->compressor = sink_gzip_new(opt->level, jobs, err);
	else if (strcmp(compression, "xz") == 0)
		s->compressor = archive_stage_new(compression, opt->level, jobs, err);
	if (strcmp(compression, "none") != 0) {
		if (s->compressor == NULL)
			goto fail;
		s->compressor->next = next;
		next = s->compressor;
	}
	s->head = next;
	if (sha256_init(&s->hash, err) < 0)
		goto fail;
	s->hashing = 1;
	/* Refused before anything is written: a bundle whose sidecar cannot be written would
	 * be left without it. */
	if (s->sidecar) {
		char *side = xasprintf("%s.sha256", s->path);
		struct stat st;
		int taken = lstat(side, &st) == 0;

		if (taken)
			error_set(err, "%s already exists; refusing to overwrite it", side);
		free(side);
		if (taken)
			goto fail;
	}
	if (atomic_file_open(&s->file, s->path, 0600, 0, err) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	sink_free(s);
	return -1;
}

const char *sink_temp_path(const struct sink *s)
{
	return atomic_file_temp_path(s->file);
}

int sink_write(struct sink *s, const void *buf, size_t len, struct error *err)
{
	if (len == 0)
		return 0;
	return s->head->write(s->head, buf, len, err);
}

static int write_sidecar(const char *path, const char *hex, struct error *err)
{
	char *side = xasprintf("%s.sha256", path);
	char *line = xasprintf("%s  %s\n", hex, path_basename(path));
	int rc = atomic_file_write(side, line, strlen(line), 0600, 0, err);

	free(side);
	free(line);
	return rc;
}

int sink_finish(struct sink *s, struct sink_result *res, struct error *err)
{
	struct atomic_file *file;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	/* In stream order: a stage may still pass bytes on while it finishes. */
	for (struct sink_filter *f = s->head; f != &s->file_stage.f; f = f->next)
		if (f->finish && f->finish(f, err) < 0)
			goto out;
	s->hashing = 0;
	sha256_final_hex(&s->hash, res->sha256);
	res->bytes = s->bytes;
	file = s->file;
	s->file = NULL;
	if (atomic_file_commit(file, err) < 0)
		goto out;
	if (s->sidecar) {
		/* A bundle without its sidecar is not left under the final name. */
		if (write_sidecar(s->path, res->sha256, err) < 0) {
			unlink(s->path);
			goto out;
		}
		res->sidecar_path = xasprintf("%s.sha256", s->path);
	}
	rc = 0;
out:
	sink_free(s);
	return rc;
}

void sink_result_release(struct sink_result *res)
{
	free(res->sidecar_path);
	res->sidecar_path = NULL;
}

void sink_abort(struct sink *s)
{
	if (s)
		sink_free(s);
}
