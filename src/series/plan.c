/* Change and rotation planning: what each file of the walk adds to the series. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gather/rootfs.h"
#include "gather/walk.h"
#include "series/plan.h"
#include "series/rawlog.h"

void plan_init(struct plan *p, const struct series_state *old, uint64_t sequence,
               struct snapshot_journal *journal)
{
	memset(p, 0, sizeof(*p));
	p->old = old;
	p->sequence = sequence;
	p->journal = journal;
	p->buf = xmalloc(PLAN_READ_CHUNK);
}

void plan_item_reset(struct plan_item *it)
{
	if (it->has_prefix)
		sha256_discard(&it->prefix);
	it->has_prefix = 0;
}

void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n_items; i++) {
		plan_item_reset(&p->items[i]);
		free(p->items[i].id);
		free(p->items[i].head);
		tracked_file_free(&p->items[i].held);
	}
	free(p->items);
	for (size_t i = 0; i < p->n_rotated_bases; i++)
		free(p->rotated_bases[i]);
	free(p->rotated_bases);
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

/* The hex digest of h so far, leaving h to be continued. */
static void sha256_peek_hex(struct sha256 *h, char hex[SHA256_HEX_LEN + 1])
{
	struct sha256 copy;

	copy.ctx = EVP_MD_CTX_new();
	if (copy.ctx == NULL || EVP_MD_CTX_copy_ex(copy.ctx, h->ctx) != 1)
		abort();
	sha256_final_hex(&copy, hex);
}

static void head_keep(struct plan_item *it, const void *buf, size_t len)
{
	if (it->head_len < SNAPSHOT_HEAD_BYTES) {
		size_t take = SNAPSHOT_HEAD_BYTES - it->head_len;

		take = take < len ? take : len;
		memcpy(it->head + it->head_len, buf, take);
		it->head_len += take;
	}
}

int plan_item_start(struct plan_item *it, struct error *err)
{
	if (sha256_init(&it->prefix, err) < 0)
		return -1;
	it->has_prefix = 1;
	if (it->head == NULL)
		it->head = xmalloc(SNAPSHOT_HEAD_BYTES);
	it->head_len = 0;
	return 0;
}

void plan_item_update(struct plan_item *it, const void *buf, size_t len)
{
	if (!it->has_prefix)
		return;
	sha256_update(&it->prefix, buf, len);
	head_keep(it, buf, len);
}

/* Hash the first len bytes of fd into it->prefix (started here), keeping the head. 0, or -1
 * when the file is shorter or unreadable. */
static int hash_prefix(struct plan *p, int fd, uint64_t len, struct plan_item *it,
                       struct error *err)
{
	uint64_t done = 0;

	if (plan_item_start(it, err) < 0)
		return -1;
	while (done < len) {
		size_t want = len - done < PLAN_READ_CHUNK ? (size_t)(len - done) : PLAN_READ_CHUNK;
		ssize_t n = pread(fd, p->buf, want, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		plan_item_update(it, p->buf, (size_t)n);
		done += (uint64_t)n;
	}
	return 0;
}

/*
 * Decompress a rotated file: its head into it->head; unless head_only, the first want bytes
 * hashed into it->prefix (started here), and in *total how much it decompressed.
 */
static int compressed_scan(struct plan *p, int fd, int head_only, uint64_t want,
                           struct plan_item *it, uint64_t *total, struct error *err)
{
	struct rawlog_scan scan = {
	        .head_only = head_only,
	        .want = want,
	        .prefix = &it->prefix,
	        .head_cap = SNAPSHOT_HEAD_BYTES,
	        .buf = p->buf,
	        .buf_size = PLAN_READ_CHUNK,
	};
	int rc;

	if (it->head == NULL)
		it->head = xmalloc(SNAPSHOT_HEAD_BYTES);
	scan.head = it->head;
	if (!head_only) {
		if (sha256_init(&it->prefix, err) < 0)
			return -1;
		it->has_prefix = 1;
	}
	rc = rawlog_scan(fd, &scan, err);
	it->head_len = scan.head_len;
	*total = scan.total;
	return rc;
}

static int open_entry(int root_fd, const struct walk_entry *e, struct stat *st)
{
	int fd = rootfs_open(root_fd, e->path, O_RDONLY | O_NONBLOCK | O_NOCTTY);

	if (fd >= 0 && (fstat(fd, st) < 0 || !S_ISREG(st->st_mode))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The head and prefix hashes of a whole file, as a tracked record has them. */
static int hash_whole(struct plan *p, int fd, const struct stat *st, struct tracked_file *t,
                      struct error *err)
{
	struct plan_item tmp;
	int rc;

	memset(&tmp, 0, sizeof(tmp));
	rc = hash_prefix(p, fd, (uint64_t)st->st_size, &tmp, err);
	if (rc == 0) {
		t->size = (uint64_t)st->st_size;
		t->head_len = tmp.head_len;
		sha256_final_hex(&tmp.prefix, t->prefix);
		tmp.has_prefix = 0;
		if (sha256_hex(tmp.head, tmp.head_len, t->head, err) < 0)
			rc = -1;
	}
	plan_item_reset(&tmp);
	free(tmp.head);
	return rc;
}

void plan_stat_into(struct tracked_file *t, const char *path, const struct stat *st)
{
	free(t->path);
	t->path = xstrdup(path);
	t->dev = (uint64_t)st->st_dev;
	t->ino = (uint64_t)st->st_ino;
	t->mtime_s = (int64_t)st->st_mtim.tv_sec;
	t->mtime_ns = (int64_t)st->st_mtim.tv_nsec;
	t->ctime_s = (int64_t)st->st_ctim.tv_sec;
	t->ctime_ns = (int64_t)st->st_ctim.tv_nsec;
}

static int same_inode(const struct tracked_file *t, const struct stat *st)
{
	return t->dev == (uint64_t)st->st_dev && t->ino == (uint64_t)st->st_ino;
}

int plan_unchanged(const struct tracked_file *t, const struct stat *st)
{
	return same_inode(t, st) && t->size == (uint64_t)st->st_size &&
	       t->mtime_s == (int64_t)st->st_mtim.tv_sec &&
	       t->mtime_ns == (int64_t)st->st_mtim.tv_nsec &&
	       t->ctime_s == (int64_t)st->st_ctim.tv_sec &&
	       t->ctime_ns == (int64_t)st->st_ctim.tv_nsec;
}

static char *new_id(struct plan *p)
{
	return xasprintf("%llu.%llu", (unsigned long long)p->sequence,
	                 (unsigned long long)++p->next_id);
}

void plan_to_new(struct plan *p, struct plan_item *it)
{
	plan_item_reset(it);
	it->act = PLAN_NEW;
	it->from = NULL;
	it->kind = "new";
	it->offset = 0;
	free(it->id);
	it->id = new_id(p);
}

char *snapshot_rotation_base(const char *path)
{
	static const char *const packed[] = {".gz", ".xz", ".bz2", ".zst", ".lz4", ".Z"};
	char *base = xstrdup(path);
	size_t len = strlen(base), digits = 0;

	for (size_t k = 0; k < sizeof(packed) / sizeof(packed[0]); k++)
		if (str_has_suffix(base, packed[k])) {
			len -= strlen(packed[k]);
			base[len] = '\0';
			break;
		}
	while (digits < len && isdigit((unsigned char)base[len - 1 - digits]))
		digits++;
	if (digits > 0 && digits < len && base[len - 1 - digits] == '.')
		base[len - 1 - digits] = '\0';
	else if (digits >= 8 && digits < len && base[len - 1 - digits] == '-')
		base[len - 1 - digits] = '\0';
	return base;
}

static void rotation_seen(struct plan *p, const char *path)
{
	p->rotated_bases =
	        xreallocarray(p->rotated_bases, p->n_rotated_bases + 1, sizeof(*p->rotated_bases));
	p->rotated_bases[p->n_rotated_bases++] = snapshot_rotation_base(path);
}

int plan_expired_generation(char *const *bases, size_t n_bases, const char *path)
{
	char *base = snapshot_rotation_base(path);
	int found = 0;

	if (strcmp(base, path) != 0)
		for (size_t i = 0; i < n_bases && !found; i++)
			found = strcmp(bases[i], base) == 0;
	free(base);
	return found;
}

/* Read a candidate's head once: raw bytes, or decompressed for a compressed file. */
static void candidate_head(struct plan *p, int root_fd, const struct walk_entry *e,
                           struct plan_item *it)
{
	struct stat st;
	struct error ignored;
	uint64_t total;
	int fd;

	if (it->head_read)
		return;
	it->head_read = 1;
	it->is_compressed = rawlog_compressed_name(e->path);
	if ((fd = open_entry(root_fd, e, &st)) < 0) {
		it->head_failed = 1;
		return;
	}
	if (it->is_compressed) {
		if (compressed_scan(p, fd, 1, 0, it, &total, &ignored) < 0)
			it->head_failed = 1;
	} else {
		ssize_t n;

		if (it->head == NULL)
			it->head = xmalloc(SNAPSHOT_HEAD_BYTES);
		n = pread(fd, it->head, SNAPSHOT_HEAD_BYTES, 0);
		if (n < 0)
			it->head_failed = 1;
		else
			it->head_len = (size_t)n;
	}
	close(fd);
}

static int head_matches(const struct plan_item *it, const struct tracked_file *t)
{
	char hex[SHA256_HEX_LEN + 1];
	struct error ignored;

	if (it->head_failed || it->head_len < t->head_len ||
	    sha256_hex(it->head, (size_t)t->head_len, hex, &ignored) < 0)
		return 0;
	return strcmp(hex, t->head) == 0;
}

/*
 * Is candidate item (a file the state does not know by inode) a copy of t's held content,
 * plain or compressed? Then it takes over t's identity. 1 yes, 0 no, -1 error.
 */
static int claim_copy(struct plan *p, int root_fd, const struct walk_entry *e, struct plan_item *it,
                      const struct tracked_file *t, struct error *err)
{
	struct stat st;
	char hex[SHA256_HEX_LEN + 1];
	uint64_t total = 0;
	struct error unreadable;
	int fd, rc = 0;

	candidate_head(p, root_fd, e, it);
	if (!head_matches(it, t))
		return 0;
	if (!it->is_compressed && (uint64_t)e->st.st_size < t->size)
		return 0;
	if ((fd = open_entry(root_fd, e, &st)) < 0)
		return 0;
	/* A candidate that cannot be read to the end is no copy; that is not an error. */
	if (it->is_compressed) {
		if (compressed_scan(p, fd, 0, t->size, it, &total, &unreadable) < 0 ||
		    total < t->size)
			goto out;
	} else if (hash_prefix(p, fd, t->size, it, &unreadable) < 0) {
		goto out;
	}
	sha256_peek_hex(&it->prefix, hex);
	if (strcmp(hex, t->prefix) != 0)
		goto out;
	rc = 1;
	it->from = t;
	free(it->id);
	it->id = xstrdup(t->id);
	it->dev = st.st_dev;
	it->ino = st.st_ino;
	if (it->is_compressed && total == t->size) {
		it->act = PLAN_HELD;
		it->kind = "compressed";
		plan_item_reset(it);
		memset(&it->held, 0, sizeof(it->held));
		it->held.id = xstrdup(t->id);
		plan_stat_into(&it->held, e->path, &st);
		it->held.compressed = 1;
		if (hash_whole(p, fd, &st, &it->held, err) < 0) {
			tracked_file_free(&it->held);
			memset(&it->held, 0, sizeof(it->held));
			rc = -1;
		}
	} else if (it->is_compressed) {
		/* It holds more than the series has: take the compressed file whole. */
		journal_note(p->journal,
		             "%s: a compressed copy of what the series holds of %s, and more: "
		             "taken whole",
		             e->path, t->path);
		plan_to_new(p, it);
		it->kind = "compressed-new";
	} else {
		it->act = PLAN_CONTINUE;
		it->kind = "copied";
		it->offset = t->size;
	}
out:
	if (rc == 0)
		plan_item_reset(it);
	close(fd);
	return rc;
}

/* The old state's files ordered by inode, to find a file by (dev, ino) quickly. */
static const struct series_state *inode_order_state;

static int inode_cmp(const void *a, const void *b)
{
	const struct tracked_file *x = &inode_order_state->files[*(const size_t *)a];
	const struct tracked_file *y = &inode_order_state->files[*(const size_t *)b];

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static size_t *inode_index(const struct series_state *old)
{
	size_t *order = xcalloc(old->n_files + 1, sizeof(*order));

	for (size_t k = 0; k < old->n_files; k++)
		order[k] = k;
	inode_order_state = old;
	qsort(order, old->n_files, sizeof(*order), inode_cmp);
	inode_order_state = NULL;
	return order;
}

/* The first entry of the old state with st's inode that is still open; old->n_files if none. */
static size_t inode_find(const struct series_state *old, const size_t *order, const int *taken,
                         const struct stat *st)
{
	size_t lo = 0, hi = old->n_files;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct tracked_file *t = &old->files[order[mid]];

		if (t->dev < (uint64_t)st->st_dev ||
		    (t->dev == (uint64_t)st->st_dev && t->ino < (uint64_t)st->st_ino))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < old->n_files && same_inode(&old->files[order[lo]], st); lo++)
		if (!taken[order[lo]])
			return order[lo];
	return old->n_files;
}

enum old_status { OLD_OPEN, OLD_OK, OLD_TRUNCATED, OLD_REWRITTEN, OLD_VANISHED, OLD_EXPLAINED };

/* Compare a file the walk found at the inode of old file t; the item is planned, t's status
 * returned. */
static enum old_status compare_same_inode(struct plan *p, int root_fd, const struct walk_entry *e,
                                          struct plan_item *it, const struct tracked_file *t,
                                          struct error *err)
{
	struct stat st;
	char hex[SHA256_HEX_LEN + 1];
	int fd;

	if (plan_unchanged(t, &e->st)) {
		it->act = PLAN_UNCHANGED;
		it->kind = "unchanged";
		return OLD_OK;
	}
	if ((uint64_t)e->st.st_size < t->size) {
		plan_to_new(p, it);
		return OLD_TRUNCATED;
	}
	if ((fd = open_entry(root_fd, e, &st)) < 0) {
		/* Unreadable now: keep what the series holds, compare next time. */
		it->act = PLAN_NONE;
		return OLD_OK;
	}
	if (!same_inode(t, &st) || hash_prefix(p, fd, t->size, it, err) < 0) {
		close(fd);
		plan_to_new(p, it);
		return OLD_REWRITTEN;
	}
	close(fd);
	sha256_peek_hex(&it->prefix, hex);
	if (strcmp(hex, t->prefix) != 0) {
		plan_to_new(p, it);
		return OLD_REWRITTEN;
	}
	it->act = PLAN_CONTINUE;
	it->kind = "appended";
	it->offset = t->size;
	return OLD_OK;
}

/* Content the state held that is no longer where it was: a copy (copytruncate), or a
 * compressed copy, explains it; look among the files the state does not know. */
static int explain_moves(struct plan *p, int root_fd, enum old_status *status, struct error *err)
{
	const struct series_state *old = p->old;
	const struct walk_result *walk = p->walk;

	for (size_t k = 0; k < old->n_files; k++) {
		const struct tracked_file *t = &old->files[k];

		if (status[k] == OLD_OK || t->size == 0 || t->compressed)
			continue;
		for (size_t i = 0; i < walk->count && status[k] != OLD_EXPLAINED; i++) {
			struct plan_item *it = &p->items[i];
			int r;

			if (walk->entries[i].kind != ENTRY_FILE || it->act != PLAN_NEW ||
			    it->from != NULL || str_has_prefix(it->kind, "compressed"))
				continue;
			r = claim_copy(p, root_fd, &walk->entries[i], it, t, err);
			if (r < 0)
				return -1;
			if (r > 0 || str_has_prefix(it->kind, "compressed")) {
				status[k] = OLD_EXPLAINED;
				rotation_seen(p, t->path);
				journal_note(p->journal, "%s: rotated to %s (%s)", t->path,
				             walk->entries[i].path,
				             it->act == PLAN_HELD ? "compressed" : it->kind);
			}
		}
	}
	return 0;
}

/* Name what rotation does not explain. */
static void report_anomalies(struct plan *p, const enum old_status *status, const size_t *where)
{
	const struct series_state *old = p->old;
	const struct walk_result *walk = p->walk;

	for (size_t k = 0; k < old->n_files; k++) {
		const struct tracked_file *t = &old->files[k];
		const struct walk_entry *now = NULL;

		if (status[k] == OLD_TRUNCATED || status[k] == OLD_REWRITTEN)
			now = &walk->entries[where[k]];
		for (size_t i = 0; i < walk->count && !now; i++)
			if (strcmp(walk->entries[i].path, t->path) == 0)
				now = &walk->entries[i];
		switch (status[k]) {
		case OLD_TRUNCATED:
			journal_anomaly(p->journal, "truncated", t->path, t->id, t->size,
			                (int64_t)now->st.st_size,
			                "shrank from %llu to %llu bytes; what it held is in "
			                "earlier snapshots",
			                (unsigned long long)t->size,
			                (unsigned long long)now->st.st_size);
			break;
		case OLD_REWRITTEN:
			journal_anomaly(p->journal, "rewritten", t->path, t->id, t->size,
			                (int64_t)now->st.st_size,
			                "the first %llu bytes, held by earlier snapshots, were "
			                "changed in place",
			                (unsigned long long)t->size);
			break;
		case OLD_VANISHED:
			if (now)
				journal_anomaly(p->journal, "replaced", t->path, t->id, t->size,
				                (int64_t)now->st.st_size,
				                "replaced by a different file that does not begin "
				                "with the %llu bytes earlier snapshots hold",
				                (unsigned long long)t->size);
			else if (plan_expired_generation(p->rotated_bases, p->n_rotated_bases,
			                                 t->path))
				journal_note(p->journal,
				             "%s: an old rotated generation, removed by rotation",
				             t->path);
			else
				journal_anomaly(p->journal, "disappeared", t->path, t->id, t->size,
				                -1,
				                "deleted (not by rotation); its %llu bytes are in "
				                "earlier snapshots",
				                (unsigned long long)t->size);
			break;
		default:
			break;
		}
	}
}

int plan_run(struct plan *p, int root_fd, const struct walk_result *walk, uint64_t *store_bytes,
             struct error *err)
{
	const struct series_state *old = p->old;
	enum old_status *status = xcalloc(old->n_files + 1, sizeof(*status));
	size_t *where = xcalloc(old->n_files + 1, sizeof(*where));
	size_t *order = inode_index(old);
	int *taken = xcalloc(old->n_files + 1, sizeof(*taken));
	int rc = -1;

	p->walk = walk;
	p->n_items = walk->count;
	p->items = xcalloc(walk->count + 1, sizeof(*p->items));
	for (size_t i = 0; i < walk->count; i++) {
		const struct walk_entry *e = &walk->entries[i];
		struct plan_item *it = &p->items[i];
		size_t k;

		if (e->kind != ENTRY_FILE)
			continue;
		it->dev = e->st.st_dev;
		it->ino = e->st.st_ino;
		k = inode_find(old, order, taken, &e->st);
		if (k == old->n_files) {
			it->act = PLAN_NEW;
			it->kind = "new";
			continue;
		}
		taken[k] = 1;
		where[k] = i;
		it->from = &old->files[k];
		it->id = xstrdup(old->files[k].id);
		status[k] = compare_same_inode(p, root_fd, e, it, &old->files[k], err);
		if (it->act == PLAN_NONE)
			continue;
		if (it->from && strcmp(it->from->path, e->path) != 0) {
			it->kind = "rotated";
			rotation_seen(p, it->from->path);
		}
	}
	for (size_t k = 0; k < old->n_files; k++)
		if (status[k] == OLD_OPEN)
			status[k] = OLD_VANISHED;
	if (explain_moves(p, root_fd, status, err) < 0)
		goto out;
	report_anomalies(p, status, where);
	*store_bytes = 0;
	for (size_t i = 0; i < walk->count; i++) {
		struct plan_item *it = &p->items[i];
		uint64_t size = (uint64_t)walk->entries[i].st.st_size;

		if (it->act == PLAN_NEW && it->id == NULL)
			it->id = new_id(p);
		if (it->act == PLAN_NEW)
			*store_bytes += size;
		else if (it->act == PLAN_CONTINUE && size > it->offset)
			*store_bytes += size - it->offset;
	}
	rc = 0;
out:
	free(status);
	free(where);
	free(order);
	free(taken);
	return rc;
}
