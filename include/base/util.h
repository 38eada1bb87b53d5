/* Memory, strings and error reporting shared by every module. */
#ifndef LOGPACK_UTIL_H
#define LOGPACK_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LP_ATTR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define LP_NORETURN __attribute__((noreturn))

/*
 * An error filled in by a module and reported by the command that called it.
 * Modules never print or exit; they return -1 and describe the cause here.
 */
struct error {
	char msg[1024];
};

void error_set(struct error *err, const char *fmt, ...) LP_ATTR_PRINTF(2, 3);
/* Prefix an existing message: "what: <old message>". */
void error_prefix(struct error *err, const char *fmt, ...) LP_ATTR_PRINTF(2, 3);
/* The text of the newest OpenSSL error queue entry, and clear the queue. */
void error_set_openssl(struct error *err, const char *fmt, ...) LP_ATTR_PRINTF(2, 3);

/* Out of memory aborts: there is nothing sensible a collector can do without it. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* a, then sep (unless it is '\0'), then b, in one allocation: a path joined without printf. */
char *xjoin(const char *a, char sep, const char *b);
char *xasprintf(const char *fmt, ...) LP_ATTR_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) LP_ATTR_PRINTF(1, 0);

/* A growable byte buffer, always NUL-terminated. */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

#define STRBUF_INIT        \
	{                  \
		NULL, 0, 0 \
	}
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) LP_ATTR_PRINTF(2, 3);
/*
 * A number in decimal, as "%llu" and "%lld" write it: a collection writes a dozen for every
 * file, and snprintf costs several times the digits. format_uint puts the digits (no NUL) in
 * buf, which holds FORMAT_INT_MAX, and returns their count.
 */
#define FORMAT_INT_MAX 21
size_t format_uint(char *buf, unsigned long long value);
size_t format_int(char *buf, long long value);
/* n bytes as 2n lower-case hexadecimal digits and a NUL, in out (2n + 1 bytes). */
void hex_encode(const void *bytes, size_t n, char *out);
void strbuf_adduint(struct strbuf *sb, unsigned long long value);
void strbuf_addint(struct strbuf *sb, long long value);
/* value in exactly width decimal digits, zeros first (value < 10^width, width <= 19). */
void put_digits(char *out, int64_t value, int width);
void strbuf_reset(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
/* Hand the buffer to the caller (never NULL) and reset sb. */
char *strbuf_detach(struct strbuf *sb);

/* Parse "10", "64K", "2M", "1.5G", "1T" (binary units). Returns 0 or -1. */
int parse_size(const char *text, uint64_t *out);
/* Format bytes as "1.2 GiB" into buf. */
const char *format_size(uint64_t bytes, char *buf, size_t len);
/*
 * Parse an ISO 8601 date ("2024-05-01"), date-time ("2024-05-01T12:00:00", with optional "Z" or
 * "+02:00" offset; space accepted for "T"). A time without an offset is UTC. Returns 0 or -1.
 */
int parse_iso8601(const char *text, int64_t *epoch_out);
/* Format an epoch as "2024-05-01T12:00:00Z" (UTC). */
const char *format_iso8601(int64_t epoch, char *buf, size_t len);
/* Days since 1970-01-01 of a proleptic Gregorian date, for any year (Howard Hinnant's
 * algorithm), and the date of such a day. */
int64_t days_from_civil(int64_t y, int m, int d);
void civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* The day (since 1970-01-01) an epoch second falls in, rounded down for times before 1970. */
int64_t days_from_epoch(int64_t epoch);
/* Parse a duration: "90s", "15m", "1h", "7d", "2w", or plain seconds. Returns 0 or -1. */
int parse_duration(const char *text, int64_t *seconds_out);

/* Write all of buf to fd, retrying on EINTR and short writes. Returns 0 or -1 (errno set). */
int write_all(int fd, const void *buf, size_t len);
/*
 * Read fd to its end (at most max bytes) into a NUL-terminated buffer: the one bounded read
 * loop behind read_small_file and rootfs_read_small. -1 with errno (EFBIG: longer than max).
 * Does not close fd.
 */
int read_fd_small(int fd, size_t max, char **out, size_t *len_out);
/*
 * Read a whole small regular file (at most max bytes) into a NUL-terminated buffer. A FIFO or
 * device is never opened (a FIFO would block, a device may act on open): -1 with errno EINVAL
 * for anything that is not a regular file (EISDIR for a directory), checked before opening and
 * again, with fstat, on what was opened. Other failures: -1 with errno from open or read.
 */
int read_small_file(const char *path, size_t max, char **out, size_t *len_out);
/* The reason for a read_small_file or rootfs_read_small errno: "not a regular file" for
 * EINVAL, strerror otherwise. */
const char *read_small_strerror(int errnum);

/*
 * An anonymous temporary file in dir (O_TMPFILE where the file system has it, else created
 * 0600 and unlinked at once), for data that is streamed out later. -1 with errno.
 */
int temp_fd_in(const char *dir);
/*
 * Give the stream f (before any I/O on it) a full buffer of size bytes, returned for the
 * caller to free after fclose(f); NULL, and the default buffer kept, when it cannot be set.
 * glibc's setvbuf takes a size only with a buffer: without one it keeps st_blksize (4 KiB).
 */
char *stream_buffer(FILE *f, size_t size);
/* The directory part of a path ("." when none). Caller frees. */
char *path_dirname(const char *path);
/* The last component of a path. Points into path. */
const char *path_basename(const char *path);

/*
 * Make the C library's multibyte character set UTF-8 (LC_CTYPE only). Bag names are UTF-8,
 * and libarchive converts names between the locale's character set and UTF-8: in the "C"
 * locale it cannot, whatever the host's own locale is.
 */
void locale_use_utf8(void);
/* The value of a hex digit (either case), or -1. */
int hex_digit_value(int c);
/*
 * fnmatch(3) over bytes, in the C locale: logpack's patterns are ASCII, and in a UTF-8 locale
 * glibc converts pattern and name to wide characters on every call, which made most of the
 * walk's CPU time at many files. A name's non-ASCII bytes match "*" all the same.
 */
int fnmatch_bytes(const char *pattern, const char *name, int flags);

/*
 * Split "a,b,c" at sep. *items point into *text; both are replaced (the old ones freed) and
 * belong to the caller. Empty items are dropped. Returns the number of items.
 */
size_t list_split(const char *list, char sep, char **text, char ***items);

/* Does s end with suffix? */
int str_has_suffix(const char *s, const char *suffix);
int str_has_prefix(const char *s, const char *prefix);
/* qsort and bsearch on an array of strings (char *): strcmp of the pointed-to strings. */
int str_ptr_cmp(const void *a, const void *b);

#endif
