/* Decompressing a rotated log through libarchive's "raw" format (no archive, one stream). */
#include "config.h"

#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "bundle/archive-why.h"
#include "series/rawlog.h"

int rawlog_compressed_name(const char *path)
{
	return str_has_suffix(path, ".gz") || str_has_suffix(path, ".xz") ||
	       str_has_suffix(path, ".zst") || str_has_suffix(path, ".bz2");
}

int rawlog_scan(int fd, struct rawlog_scan *scan, struct error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int rc = -1;

	scan->head_len = 0;
	scan->total = 0;
	if (a == NULL) {
		error_set(err, "cannot start a decompressor");
		return -1;
	}
	if (archive_read_support_filter_all(a) != ARCHIVE_OK ||
	    archive_read_support_format_raw(a) != ARCHIVE_OK ||
	    archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ae) != ARCHIVE_OK) {
		error_set(err, "%s", archive_why(a, "not compressed data"));
		goto done;
	}
	/* Plain text also reads as "raw": only a real compression filter counts. */
	if (archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE) {
		error_set(err, "not compressed data");
		goto done;
	}
	for (;;) {
		la_ssize_t n = archive_read_data(a, scan->buf, scan->buf_size);
		size_t got;

		if (n < 0) {
			error_set(err, "%s", archive_why(a, "truncated compressed data"));
			break;
		}
		if (n == 0) {
			rc = 0;
			break;
		}
		got = (size_t)n;
		if (scan->head_len < scan->head_cap) {
			size_t take = scan->head_cap - scan->head_len;

			take = take < got ? take : got;
			memcpy(scan->head + scan->head_len, scan->buf, take);
			scan->head_len += take;
		}
		if (scan->head_only && scan->head_len >= scan->head_cap) {
			rc = 0;
			break;
		}
		if (!scan->head_only && scan->total < scan->want) {
			uint64_t take =
			        scan->want - scan->total < got ? scan->want - scan->total : got;

			sha256_update(scan->prefix, scan->buf, (size_t)take);
		}
		scan->total += got;
		if (!scan->head_only && scan->total > scan->want) {
			rc = 0;
			break;
		}
	}
done:
	archive_read_free(a);
	return rc;
}
