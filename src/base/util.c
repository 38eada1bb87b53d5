/* Memory, strings, parsing of sizes, times and durations, and error text. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "base/util.h"

void error_set(struct error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void error_prefix(struct error *err, const char *fmt, ...)
{
	char prefix[512], old[sizeof(err->msg)];
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
}

void error_set_openssl(struct error *err, const char *fmt, ...)
{
	char prefix[512], ossl[256];
	unsigned long code;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* The last error is usually the most specific one ("bad decrypt", "no such file"). */
	code = ERR_peek_last_error();
	if (code != 0)
		ERR_error_string_n(code, ossl, sizeof(ossl));
	else
		snprintf(ossl, sizeof(ossl), "unknown OpenSSL error");
	ERR_clear_error();
	error_set(err, "%s: %s", prefix, ossl);
}

static LP_NORETURN void out_of_memory(size_t size)
{
	fprintf(stderr, "logpack: error: out of memory (allocating %zu bytes)\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		out_of_memory(size);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory(count * size);
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		out_of_memory(size);
	return p;
}

void *xreallocarray(void *ptr, size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		out_of_memory(SIZE_MAX);
	return xrealloc(ptr, count * size);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char small[256];
	va_list copy;
	int len;
	char *p;

	/* Most results are short: formatted once into small, not measured and then formatted. */
	va_copy(copy, ap);
	len = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (len < 0)
		out_of_memory(0);
	p = xmalloc((size_t)len + 1);
	if ((size_t)len < sizeof(small))
		memcpy(p, small, (size_t)len + 1);
	else
		vsnprintf(p, (size_t)len + 1, fmt, ap);
	return p;
}

char *xjoin(const char *a, char sep, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), ls = sep != '\0';
	char *p;

	if (la > SIZE_MAX - lb - ls - 1)
		out_of_memory(SIZE_MAX);
	p = xmalloc(la + ls + lb + 1);
	memcpy(p, a, la);
	if (ls)
		p[la] = sep;
	memcpy(p + la + ls, b, lb + 1);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - sb->len - 1)
		out_of_memory(SIZE_MAX);
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return;
	if (sb->cap == 0)
		sb->cap = 64;
	while (sb->cap < need)
		sb->cap = sb->cap < SIZE_MAX / 2 ? sb->cap * 2 : need;
	sb->buf = xrealloc(sb->buf, sb->cap);
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_grow(sb, len);
	if (len > 0)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap, copy;
	int len;

	va_start(ap, fmt);
	va_copy(copy, ap);
	len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (len > 0) {
		strbuf_grow(sb, (size_t)len);
		vsnprintf(sb->buf + sb->len, (size_t)len + 1, fmt, ap);
		sb->len += (size_t)len;
	}
	va_end(ap);
}

size_t format_uint(char *buf, unsigned long long value)
{
	char digits[FORMAT_INT_MAX];
	size_t n = 0;

	do {
		digits[sizeof(digits) - ++n] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	memcpy(buf, digits + sizeof(digits) - n, n);
	return n;
}

size_t format_int(char *buf, long long value)
{
	if (value >= 0)
		return format_uint(buf, (unsigned long long)value);
	buf[0] = '-';
	/* The magnitude in unsigned arithmetic: -LLONG_MIN does not fit a long long. */
	return 1 + format_uint(buf + 1, 0ULL - (unsigned long long)value);
}

void hex_encode(const void *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = bytes;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void strbuf_adduint(struct strbuf *sb, unsigned long long value)
{
	strbuf_grow(sb, FORMAT_INT_MAX);
	sb->len += format_uint(sb->buf + sb->len, value);
	sb->buf[sb->len] = '\0';
}

void strbuf_addint(struct strbuf *sb, long long value)
{
	strbuf_grow(sb, FORMAT_INT_MAX);
	sb->len += format_int(sb->buf + sb->len, value);
	sb->buf[sb->len] = '\0';
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

char *strbuf_detach(struct strbuf *sb)
{
	char *p;

	if (sb->buf == NULL)
		strbuf_grow(sb, 0);
	sb->buf[sb->len] = '\0';
	p = sb->buf;
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

int parse_size(const char *text, uint64_t *out)
{
	char *end;
	double value;
	uint64_t unit = 1;

	if (text == NULL || *text == '\0' || !(isdigit((unsigned char)*text) || *text == '.'))
		return -1;
	errno = 0;
	value = strtod(text, &end);
	if (errno != 0 || end == text || value < 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'B':
		end++;
		break;
	case 'K':
		unit = 1ULL << 10;
		end++;
		break;
	case 'M':
		unit = 1ULL << 20;
		end++;
		break;
	case 'G':
		unit = 1ULL << 30;
		end++;
		break;
	case 'T':
		unit = 1ULL << 40;
		end++;
		break;
	default:
		return -1;
	}
	/* Accept "K", "KB", "KiB" alike. */
	if (unit > 1 && (*end == 'i' || *end == 'I'))
		end++;
	if (unit > 1 && (*end == 'b' || *end == 'B'))
		end++;
	if (*end != '\0')
		return -1;
	if (value * (double)unit >= 18446744073709551615.0)
		return -1;
	*out = (uint64_t)(value * (double)unit);
	return 0;
}

const char *format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double value = (double)bytes;
	size_t i = 0;

	while (value >= 1024 && i + 1 < sizeof(units) / sizeof(units[0])) {
		value /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", value, units[i]);
	return buf;
}

/* Read exactly n digits from *p. */
static int take_digits(const char **p, int n, int *out)
{
	int value = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		value = value * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = value;
	return 0;
}

int64_t days_from_epoch(int64_t epoch)
{
	return (epoch >= 0 ? epoch : epoch - 86399) / 86400;
}

int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int parse_iso8601(const char *text, int64_t *epoch_out)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = text;
	int year, mon, day, hour = 0, min = 0, sec = 0, oh = 0, om = 0, sign = 0;

	if (p == NULL || take_digits(&p, 4, &year) || *p++ != '-' || take_digits(&p, 2, &mon) ||
	    *p++ != '-' || take_digits(&p, 2, &day))
		return -1;
	if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1])
		return -1;
	if (mon == 2 && day == 29 && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (take_digits(&p, 2, &hour) || *p++ != ':' || take_digits(&p, 2, &min))
			return -1;
		if (*p == ':') {
			p++;
			if (take_digits(&p, 2, &sec))
				return -1;
			if (*p == '.' || *p == ',') { /* fractions of a second are dropped */
				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (hour > 23 || min > 59 || sec > 60)
			return -1;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (take_digits(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (*p != '\0' && take_digits(&p, 2, &om))
				return -1;
			if (oh > 23 || om > 59)
				return -1;
		}
	}
	if (*p != '\0')
		return -1;
	*epoch_out = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec -
	             sign * (oh * 3600 + om * 60);
	return 0;
}

void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void put_digits(char *out, int64_t value, int width)
{
	for (int i = width - 1; i >= 0; i--, value /= 10)
		out[i] = (char)('0' + value % 10);
}

const char *format_iso8601(int64_t epoch, char *buf, size_t len)
{
	int64_t days, secs, year;
	int mon, day;

	/*
	 * Years 1000 to 9999 are written by hand, not by gmtime_r and strftime, which take glibc's
	 * time zone lock: a collection formats four times for every file it records. strftime
	 * writes other years with fewer or more digits.
	 */
	if (epoch < INT64_C(-30610224000) || epoch > INT64_C(253402300799) || len < 21) {
		time_t t = (time_t)epoch;
		struct tm tm;

		if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(buf, len, "@%lld", (long long)epoch);
		return buf;
	}
	days = days_from_epoch(epoch);
	secs = epoch - days * 86400;
	civil_from_days(days, &year, &mon, &day);
	put_digits(buf, year, 4);
	buf[4] = '-';
	put_digits(buf + 5, mon, 2);
	buf[7] = '-';
	put_digits(buf + 8, day, 2);
	buf[10] = 'T';
	put_digits(buf + 11, secs / 3600, 2);
	buf[13] = ':';
	put_digits(buf + 14, secs / 60 % 60, 2);
	buf[16] = ':';
	put_digits(buf + 17, secs % 60, 2);
	buf[19] = 'Z';
	buf[20] = '\0';
	return buf;
}

int parse_duration(const char *text, int64_t *seconds_out)
{
	char *end;
	long long value;
	int64_t unit = 1;

	if (text == NULL || !isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno != 0 || value <= 0)
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	case 'w':
		unit = 7 * 86400;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (value > INT64_MAX / unit)
		return -1;
	*seconds_out = value * unit;
	return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int read_fd_small(int fd, size_t max, char **out, size_t *len_out)
{
	struct strbuf sb = STRBUF_INIT;
	char chunk[8192];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || sb.len + (size_t)(n > 0 ? n : 0) > max) {
			int saved = n < 0 ? errno : EFBIG;

			strbuf_release(&sb);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		strbuf_add(&sb, chunk, (size_t)n);
	}
	if (len_out)
		*len_out = sb.len;
	*out = strbuf_detach(&sb);
	return 0;
}

int read_small_file(const char *path, size_t max, char **out, size_t *len_out)
{
	struct stat st;
	int fd, rc, saved;

	/* Look before opening: opening a FIFO wakes its writer, opening a device may act. */
	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	/* Non-blocking, in case a FIFO took the name's place since the look. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	rc = read_fd_small(fd, max, out, len_out);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

const char *read_small_strerror(int errnum)
{
	return errnum == EINVAL ? "not a regular file" : strerror(errnum);
}

int str_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

char *stream_buffer(FILE *f, size_t size)
{
	char *buf = xmalloc(size);

	if (setvbuf(f, buf, _IOFBF, size) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int temp_fd_in(const char *dir)
{
	char *name;
	int fd, saved;

#ifdef O_TMPFILE
	/*
	 * A file that never has a name: a run killed at any moment leaves nothing behind. The
	 * named way below has a moment between mkstemp and unlink when a kill leaves a
	 * ".logpack-tmp.*" in an output directory.
	 */
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
#endif
	name = xasprintf("%s/.logpack-tmp.XXXXXX", dir);
	fd = mkstemp(name);

	if (fd >= 0) {
		unlink(name);
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	saved = errno;
	free(name);
	errno = saved;
	return fd;
}

char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

const char *path_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

void locale_use_utf8(void)
{
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL && setlocale(LC_CTYPE, "C.utf8") == NULL)
		setlocale(LC_CTYPE, "en_US.UTF-8");
}

int hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_make(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

int fnmatch_bytes(const char *pattern, const char *name, int flags)
{
	locale_t old;
	int rc;

	pthread_once(&c_locale_once, c_locale_make);
	if (c_locale == (locale_t)0)
		return fnmatch(pattern, name, flags);
	old = uselocale(c_locale);
	rc = fnmatch(pattern, name, flags);
	uselocale(old);
	return rc;
}

size_t list_split(const char *list, char sep, char **text, char ***items)
{
	char delim[2] = {sep, '\0'}, *save = NULL;
	size_t n = 0;

	free(*text);
	free(*items);
	*items = NULL;
	*text = xstrdup(list);
	for (char *c = strtok_r(*text, delim, &save); c; c = strtok_r(NULL, delim, &save)) {
		*items = xreallocarray(*items, n + 1, sizeof(**items));
		(*items)[n++] = c;
	}
	return n;
}
