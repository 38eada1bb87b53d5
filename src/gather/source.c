/* Reading one source once: open, check, limit, read into the hash and the archive, pad. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/birthtime.h"
#include "base/cpus.h"
#include "gather/containers.h"
#include "gather/rootfs.h"
#include "gather/secrets.h"
#include "gather/source.h"

#define READ_CHUNK (1024 * 1024)

/* What to store of an open source, once the hook and the size limit have had their say. */
struct extent {
	uint64_t size;      /* at open */
	uint64_t offset;    /* where the stored bytes start */
	uint64_t stored;    /* how many are stored, padding included */
	int read_errno;     /* a failed seek or read: the rest is padding */
	size_t record_size; /* a file indexed by UID, cut: the head, then its records */
};

/*
 * Files that are arrays indexed by UID, often sparse: lastlog(8) (struct lastlog, 292 bytes
 * on 64-bit Linux), faillog(5) (32) and pam_tally2's tallylog (64). Cut to a limit, these keep
 * the head (root and ordinary users) and every non-empty record beyond it.
 */
static size_t uid_record_size(const char *path)
{
	if (strcmp(path, "var/log/lastlog") == 0)
		return 292;
	if (strcmp(path, "var/log/faillog") == 0)
		return 32;
	if (strcmp(path, "var/log/tallylog") == 0)
		return 64;
	return 0;
}

static int all_zero(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i])
			return 0;
	return 1;
}

/*
 * Visit the non-empty records of fd at or after start, finding the data with SEEK_DATA and
 * SEEK_HOLE so that holes are never read; stops after max records. With out set, each record
 * is written to the bag and its offset appended to offsets. Returns the count, or -1.
 */
static int64_t scan_records(struct source_reader *sr, int fd, uint64_t start, size_t rec_size,
                            uint64_t max, json_t *offsets, struct error *err)
{
	uint64_t pos = start, found = 0;

	while (found < max) {
		off_t data = lseek(fd, (off_t)pos, SEEK_DATA), hole;
		uint64_t r;

		if (data < 0)
			break; /* ENXIO: no data after pos */
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			break;
		r = start + ((uint64_t)data - start) / rec_size * rec_size;
		for (; r < (uint64_t)hole && found < max; r += rec_size) {
			ssize_t n = pread(fd, sr->buf, rec_size, (off_t)r);

			if (n < (ssize_t)rec_size)
				return (int64_t)found;
			if (all_zero(sr->buf, rec_size))
				continue;
			if (offsets) {
				if (bag_payload_write(sr->bag, sr->buf, rec_size, err) < 0)
					return -1;
				json_array_append_new(offsets, json_integer((json_int_t)r));
			}
			found++;
		}
		pos = r;
	}
	return (int64_t)found;
}

/*
 * After the head of a file indexed by UID: its non-empty records beyond the head, as the
 * payload file NAME.records (the records back to back; their offsets in files.jsonl).
 */
static int store_uid_records(struct source_reader *sr, const struct walk_entry *e, int fd,
                             const struct stat *st, const struct extent *x, const char *bagname,
                             struct json_line *rec, struct error *err)
{
	uint64_t max = x->stored / x->record_size;
	int64_t count = scan_records(sr, fd, x->stored, x->record_size, max, NULL, err);
	json_t *offsets = json_array(), *info;
	char hex[SHA256_HEX_LEN + 1], *name = xasprintf("%s.records", bagname), *bp;
	int64_t written;
	int rc = -1;

	if (count < 0 || bag_payload_begin(sr->bag, name, (uint64_t)count * x->record_size,
	                                   (int64_t)st->st_mtime, err) < 0)
		goto out;
	written = scan_records(sr, fd, x->stored, x->record_size, (uint64_t)count, offsets, err);
	if (written < 0)
		goto out;
	/* Fewer records the second time (the file changed): zero records fill the member. */
	memset(sr->buf, 0, x->record_size);
	for (int64_t i = written; i < count; i++)
		if (bag_payload_write(sr->bag, sr->buf, x->record_size, err) < 0)
			goto out;
	if (bag_payload_end(sr->bag, hex, err) < 0)
		goto out;
	bp = xasprintf("data/%s", name);
	info = json_pack("{s:s,s:I,s:I,s:s,s:O}", "bag_path", bp, "record_size",
	                 (json_int_t)x->record_size, "count", (json_int_t)count, "sha256", hex,
	                 "offsets", offsets);
	free(bp);
	json_line_value(rec, "records_beyond", info);
	json_decref(info);
	sr->sum->bytes_collected += (uint64_t)count * x->record_size;
	records_log(sr->records, "/%s: kept the first %llu bytes and %lld records beyond them",
	            e->path, (unsigned long long)x->stored, (long long)count);
	rc = 0;
out:
	json_decref(offsets);
	free(name);
	return rc;
}

void source_reader_init(struct source_reader *sr, int root_fd, const struct collect_options *opt,
                        struct bag_writer *bag, struct records *records,
                        struct collect_summary *sum)
{
	memset(sr, 0, sizeof(*sr));
	sr->root_fd = root_fd;
	sr->max_file_size = opt->max_file_size;
	sr->skip_large = opt->skip_large;
	sr->include_secrets = opt->include_secrets;
	sr->hooks = opt->hooks;
	sr->bag = bag;
	sr->records = records;
	sr->sum = sum;
	sr->buf = xmalloc(READ_CHUNK);
	rate_limit_init(&sr->rate, opt->io_rate);
	rootfs_dirs_init(&sr->dirs, root_fd);
	if (!opt->no_coverage) {
		struct coverage_options co = opt->coverage;
		struct error e;

		co.spill_dir = bag_writer_dir(bag);
		sr->coverage = coverage_new(&co);
		/*
		 * With two CPUs or more the analysis runs on a thread of its own, beside the
		 * reading, which it would otherwise hold up: by a third at many small files, where
		 * the second CPU is idle. Its calls travel in batches (report/coverage-queue.c).
		 * With -j 1 it is done in line. docs/coverage.md
		 */
		if (coverage_queue_new(&sr->coverage_queue, sr->coverage,
		                       (opt->jobs > 0 ? opt->jobs : cpus_available()) >= 2, &e) < 0)
			(void)coverage_queue_new(&sr->coverage_queue, sr->coverage, 0, &e);
	}
}

void source_reader_release(struct source_reader *sr)
{
	free(sr->buf);
	sr->buf = NULL;
	rootfs_dirs_release(&sr->dirs);
	coverage_queue_free(sr->coverage_queue);
	sr->coverage_queue = NULL;
	coverage_free(sr->coverage);
	sr->coverage = NULL;
}

uint64_t source_size_limit(uint64_t max_file_size, const struct rule *r)
{
	return r->max_size ? r->max_size : max_file_size;
}

/* A source that could not be opened (other than vanished): recorded, and the run is partial. */
static int record_unreadable(struct source_reader *sr, const struct walk_entry *e, int errnum,
                             struct error *err)
{
	char *shown = records_shown_path(e->path), *bagname;
	struct json_line *rec;
	int rc;

	sr->partial = 1;
	sr->sum->files_unreadable++;
	records_note(sr->records, COLLECT_NOTE_WARNING, "/%s: %s", shown, strerror(errnum));
	free(shown);
	records_log(sr->records, "unreadable /%s: %s", e->path, strerror(errnum));
	rec = record_new(sr->records, e, &e->st, NULL, &bagname);
	json_line_str(rec, "status", "unreadable");
	json_line_str(rec, "error", strerror(errnum));
	rc = record_write(sr->records, err);
	free(bagname);
	return rc;
}

/*
 * Open e inside the root, never following a link and never blocking on a FIFO swapped in
 * since the walk; the type is checked on what was opened (one statx gives it, the times and
 * the birth time). Returns the fd, or -1 with *rc the result of recording why not.
 */
static int source_open(struct source_reader *sr, const struct walk_entry *e, struct stat *st,
                       struct timespec *btime, int *rc, struct error *err)
{
	/* The walk is sorted, so the parent is usually still open from the previous source. A
	 * container's file is opened inside the container's own root. */
	int fd = e->container
	                 ? rootfs_open(e->container->root_fd, e->source_path,
	                               O_RDONLY | O_NONBLOCK | O_NOCTTY)
	                 : rootfs_dirs_open(&sr->dirs, e->path, O_RDONLY | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) {
		int saved = errno;

		if (saved == ENOENT)
			*rc = record_skip(sr->records, e, "skipped",
			                  "vanished before it could be read", err);
		else
			*rc = record_unreadable(sr, e, saved, err);
		return -1;
	}
	if (file_stat_birth(fd, st, btime) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		*rc = record_skip(sr->records, e, "skipped", "no longer a regular file", err);
		return -1;
	}
	return fd;
}

static void seek_to(int fd, struct extent *x)
{
	if (lseek(fd, (off_t)x->offset, SEEK_SET) < 0) {
		x->read_errno = errno;
		x->offset = 0;
	}
}

/*
 * Decide what to store of the open source: the hook (a segment, or nothing), then the size
 * limit. Returns 0 to store *x, 1 when the source was recorded as not stored (*rc says how
 * that went), -1 on a hook's failure.
 */
static int choose_extent(struct source_reader *sr, const struct walk_entry *e, int fd,
                         const struct stat *st, struct collect_decision *d, struct extent *x,
                         int *rc, struct error *err)
{
	const struct collect_hooks *hooks = sr->hooks;
	uint64_t limit = source_size_limit(sr->max_file_size, e->rule);

	x->size = (uint64_t)st->st_size;
	x->stored = x->size;
	if (hooks && hooks->decide) {
		if (hooks->decide(hooks->ctx, e, fd, st, d, err) < 0)
			return -1;
		if (d->take == COLLECT_TAKE_SKIP) {
			if (sr->coverage) {
				char *shown = records_shown_path(e->path);

				coverage_queue_present(sr->coverage_queue, shown, d->status);
				free(shown);
			}
			*rc = record_hook_skip(sr->records, e, d, err);
			return 1;
		}
		if (d->take == COLLECT_TAKE_SEGMENT) {
			x->offset = d->offset;
			x->stored = d->length;
			limit = 0;
			seek_to(fd, x);
		}
	}
	if (limit && x->size > limit) {
		if (sr->skip_large) {
			sr->sum->files_skipped++;
			records_log(sr->records,
			            "skipped /%s: %llu bytes, larger than the limit (--skip-large)",
			            e->path, (unsigned long long)x->size);
			*rc = record_skip(sr->records, e, "skipped",
			                  "larger than the size limit (--skip-large)", err);
			return 1;
		}
		x->record_size = d->take == COLLECT_TAKE_WHOLE ? uid_record_size(e->path) : 0;
		if (x->record_size && limit >= x->record_size) {
			/* Keep the head, whole records only; store_uid_records adds the rest. */
			x->stored = limit / x->record_size * x->record_size;
			return 0;
		}
		x->record_size = 0;
		/* Keep the end: the newest lines of a log are the ones an incident needs. */
		x->offset = x->size - limit;
		x->stored = limit;
		seek_to(fd, x);
	}
	return 0;
}

/*
 * Copy x->stored bytes from fd into the open payload member, each chunk once to the archive
 * (which hashes it) and to the hook. A file that shrank (or failed) mid-read is padded with
 * zeros to the size announced in the archive header, as GNU tar does; *padding says how much.
 * *grew: 1 when the file was longer than at open, 0 when not, -1 when the reads cannot say.
 */
static int copy_source(struct source_reader *sr, int fd, struct extent *x, int tapped,
                       uint64_t *padding, int *grew, struct error *err)
{
	const struct collect_hooks *hooks = sr->hooks;
	/* When the stored bytes end where the file ended at open, the last read asks for one byte
	 * more: getting it says the file grew, without an fstat of every file. */
	int probe = x->offset + x->stored == x->size;
	uint64_t left;

	*grew = -1;
	for (left = x->stored; left > 0 && x->read_errno == 0;) {
		size_t cap;
		char *buf = bag_payload_buffer(sr->bag, &cap);
		size_t want = rate_limit_chunk(&sr->rate, cap);
		int probing = probe && left < want;
		ssize_t n = read(fd, buf, left < want ? (size_t)left + (size_t)probing : want);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			x->read_errno = errno;
			break;
		}
		if (n == 0)
			break;
		if (probing && (uint64_t)n >= left) {
			*grew = (uint64_t)n > left;
			n = (ssize_t)left;
		}
		rate_limit_spend(&sr->rate, (size_t)n);
		if (bag_payload_write(sr->bag, buf, (size_t)n, err) < 0)
			return -1;
		if (hooks && hooks->data)
			hooks->data(hooks->ctx, buf, (size_t)n);
		if (sr->coverage && !tapped)
			coverage_queue_data(sr->coverage_queue, buf, (size_t)n);
		left -= (uint64_t)n;
		sr->bytes_done += (uint64_t)n;
	}
	/* The padding is not the file's: the report is not given it. */
	if (tapped)
		bag_payload_tap(sr->bag, NULL, NULL);
	*padding = left;
	if (left > 0) {
		memset(sr->buf, 0, left < READ_CHUNK ? (size_t)left : READ_CHUNK);
		while (left > 0) {
			size_t n = left < READ_CHUNK ? (size_t)left : READ_CHUNK;

			if (bag_payload_write(sr->bag, sr->buf, n, err) < 0)
				return -1;
			left -= n;
		}
	}
	return 0;
}

static void coverage_tap(void *ctx, const unsigned char *buf, size_t len)
{
	coverage_feed_file(ctx, buf, len);
}

/*
 * A log hashed on the hashing thread is analysed there too, each piece just after its hash
 * while its bytes are in the cache, instead of copied to the analysis thread: the report reads
 * the bytes from memory once, and the reading thread copies nothing. The file's record joins
 * the report in its turn, through the queue. A compressed generation still goes to the
 * analysis thread: inflating costs several times its bytes, and there it overlaps the reading
 * of the logs that follow instead of holding up the hashing of each of its chunks.
 * The file being analysed apart, or NULL when it goes to the analysis thread.
 */
static struct cov_file *tap_coverage(struct source_reader *sr, const char *path, int64_t mtime,
                                     const struct extent *x)
{
	struct cov_file *f;

	if (!bag_payload_threaded(sr->bag) || coverage_inflates(path))
		return NULL;
	f = coverage_open_file(sr->coverage, path, mtime, x->size, x->offset);
	bag_payload_tap(sr->bag, coverage_tap, f);
	return f;
}

/* The stored source's record: where it went, its hash, and anything that went wrong. */
static void describe_stored(struct source_reader *sr, const struct walk_entry *e,
                            struct json_line *rec, const char *bagname, const struct extent *x,
                            int whole, uint64_t padding, int grew, const char *hex)
{
	json_line_str(rec, "status", x->read_errno ? "unreadable" : "collected");
	strbuf_reset(&sr->records->scratch);
	strbuf_addstr(&sr->records->scratch, "data/");
	strbuf_addstr(&sr->records->scratch, bagname);
	json_line_str(rec, "bag_path", sr->records->scratch.buf);
	json_line_int(rec, "stored_size", (long long)x->stored);
	json_line_str(rec, "sha256", hex);
	if (whole && (x->offset || x->stored < x->size)) {
		json_line_bool(rec, "truncated", 1);
		json_line_int(rec, "offset", (long long)x->offset);
		sr->sum->files_truncated++;
		records_log(sr->records, "truncated /%s: kept the %s %llu of %llu bytes", e->path,
		            x->offset ? "last" : "first", (unsigned long long)x->stored,
		            (unsigned long long)x->size);
	}
	if (grew) {
		sr->sum->files_grew++;
		json_line_bool(rec, "grew", 1);
		records_log(sr->records,
		            "/%s grew while it was read; stored the %llu bytes present at open",
		            e->path, (unsigned long long)x->size);
	}
	if (padding && x->read_errno == 0) {
		char *shown = records_shown_path(e->path);

		/* What was stored is not what the file held: the collection is partial. */
		sr->partial = 1;
		sr->sum->files_shrank++;
		records_note(sr->records, COLLECT_NOTE_WARNING,
		             "/%s shrank while it was read (%llu bytes missing)", shown,
		             (unsigned long long)padding);
		free(shown);
	}
	if (padding) {
		json_line_bool(rec, "shrank", 1);
		json_line_int(rec, "padding", (long long)padding);
		records_log(sr->records, "/%s ended %llu bytes early; padded with zeros", e->path,
		            (unsigned long long)padding);
	}
	if (x->read_errno) {
		char *shown = records_shown_path(e->path);

		json_line_str(rec, "error", strerror(x->read_errno));
		sr->partial = 1;
		sr->sum->files_unreadable++;
		records_note(sr->records, COLLECT_NOTE_WARNING, "/%s: %s", shown,
		             strerror(x->read_errno));
		free(shown);
		records_log(sr->records, "read error in /%s: %s", e->path, strerror(x->read_errno));
	} else {
		sr->sum->files_collected++;
		sr->sum->bytes_collected += x->stored;
	}
}

int source_withhold(struct source_reader *sr, const struct walk_entry *e, const char *why,
                    struct error *err)
{
	struct collect_summary *s = sr->sum;
	char *reason = xasprintf("may hold secrets: %s (--include-secrets to take it)", why);
	int rc = record_skip(sr->records, e, "withheld", reason, err);

	free(reason);
	s->files_withheld++;
	s->withheld = xreallocarray(s->withheld, s->n_withheld + 1, sizeof(*s->withheld));
	s->withheld[s->n_withheld++] = xasprintf("/%s\t%s", e->path, why);
	records_log(sr->records, "withheld /%s: may hold secrets (%s)", e->path, why);
	return rc;
}

int source_store(struct source_reader *sr, const struct walk_entry *e, struct error *err)
{
	const struct collect_hooks *hooks = sr->hooks;
	struct collect_decision d = {0};
	struct extent x = {0};
	struct stat st, after;
	struct timespec btime;
	uint64_t padding = 0;
	char hex[SHA256_HEX_LEN + 1], *bagname = NULL;
	struct json_line *rec = NULL;
	int fd, rc = -1, grew;
	struct cov_file *tapped = NULL; /* analysed on the hashing thread */

	fd = source_open(sr, e, &st, &btime, &rc, err);
	if (fd < 0)
		return rc;
	/* Judged on the descriptor that would be read, so what is judged is what is stored. */
	{
		const char *why = secrets_check(e->container ? e->source_path : e->path, fd, &st,
		                                strcmp(e->rule->category, "context") == 0);

		if (why && !sr->include_secrets) {
			close(fd);
			return source_withhold(sr, e, why, err);
		}
		if (why)
			records_log(sr->records, "taken with --include-secrets: /%s (%s)", e->path,
			            why);
	}
	switch (choose_extent(sr, e, fd, &st, &d, &x, &rc, err)) {
	case -1:
		rc = -1;
		/* fall through */
	case 1:
		close(fd);
		json_decref(d.record);
		return rc;
	}
	rc = -1;
	rec = record_new(sr->records, e, &st, &btime, &bagname);
	if (bag_payload_begin(sr->bag, bagname, x.stored, (int64_t)st.st_mtime, err) < 0)
		goto out;
	if (sr->coverage) {
		/* Its name as files.jsonl shows it (escaped, so always UTF-8 for JSON): the
		 * record's path without its '/'. Both copy it. */
		const char *shown = record_path(sr->records) + 1;

		tapped = tap_coverage(sr, shown, (int64_t)st.st_mtime, &x);
		if (tapped == NULL)
			coverage_queue_begin(sr->coverage_queue, shown, (int64_t)st.st_mtime,
			                     x.size, x.offset);
	}
	if (copy_source(sr, fd, &x, tapped != NULL, &padding, &grew, err) < 0 ||
	    bag_payload_end(sr->bag, hex, err) < 0)
		goto out;
	if (tapped) {
		coverage_queue_close(sr->coverage_queue, tapped);
		tapped = NULL;
	} else if (sr->coverage) {
		coverage_queue_end(sr->coverage_queue);
	}
	if (hooks && hooks->stored &&
	    hooks->stored(hooks->ctx, e, &st, x.offset, x.stored - padding, padding, hex, err) < 0)
		goto out;
	if (d.record) {
		json_line_update(rec, d.record);
		json_decref(d.record);
		d.record = NULL;
	}
	if (grew < 0)
		grew = fstat(fd, &after) == 0 && after.st_size > st.st_size;
	describe_stored(sr, e, rec, bagname, &x, d.take == COLLECT_TAKE_WHOLE, padding, grew, hex);
	if (x.record_size && x.read_errno == 0 &&
	    store_uid_records(sr, e, fd, &st, &x, bagname, rec, err) < 0)
		goto out;
	if (record_write(sr->records, err) < 0)
		goto out;
	record_body_line(sr->records, &st, &btime, NULL);
	rc = 0;
out:
	/* On an error mid-file, the hashing thread lets go of the file before it is dropped. */
	if (tapped) {
		bag_payload_tap(sr->bag, NULL, NULL);
		coverage_discard_file(tapped);
	}
	close(fd);
	json_decref(d.record);
	free(bagname);
	return rc;
}
