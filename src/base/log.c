/* Messages, verbosity and the terminal progress meter. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

int command_line_argc;
char **command_line_argv;
int log_level = LOG_NORMAL;

static void log_emit(const char *kind, const char *fmt, va_list ap) LP_ATTR_PRINTF(2, 0);

static void log_emit(const char *kind, const char *fmt, va_list ap)
{
	fputs("logpack: ", stderr);
	if (kind)
		fprintf(stderr, "%s: ", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("error", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_NORMAL)
		return;
	va_start(ap, fmt);
	log_emit("warning", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_NORMAL)
		return;
	va_start(ap, fmt);
	log_emit(NULL, fmt, ap);
	va_end(ap);
}

void log_verbose(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_VERBOSE)
		return;
	va_start(ap, fmt);
	log_emit(NULL, fmt, ap);
	va_end(ap);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void progress_start(struct progress *p, const char *what, uint64_t total_items,
                    uint64_t total_bytes, int allowed)
{
	p->enabled = allowed && log_level >= LOG_NORMAL && isatty(STDERR_FILENO);
	p->what = what;
	p->total_items = total_items;
	p->total_bytes = total_bytes;
	p->done_items = 0;
	p->done_bytes = 0;
	p->last_draw_ms = 0;
}

static void progress_draw(struct progress *p)
{
	char done[32], total[32], items[64];

	format_size(p->done_bytes, done, sizeof(done));
	format_size(p->total_bytes, total, sizeof(total));
	/* Only give a count "of N" that the caller knows. */
	if (p->total_items > 0)
		snprintf(items, sizeof(items), "%llu/%llu", (unsigned long long)p->done_items,
		         (unsigned long long)p->total_items);
	else
		snprintf(items, sizeof(items), "%llu", (unsigned long long)p->done_items);
	if (p->total_bytes > 0)
		fprintf(stderr, "\r\033[K%s: %s files, %s of %s (%d%%)", p->what, items, done,
		        total, (int)(p->done_bytes * 100 / p->total_bytes));
	else
		fprintf(stderr, "\r\033[K%s: %s files, %s", p->what, items, done);
	fflush(stderr);
}

void progress_update(struct progress *p, uint64_t items, uint64_t bytes)
{
	int64_t t;

	if (!p->enabled)
		return;
	p->done_items = items;
	p->done_bytes = bytes;
	t = now_ms();
	if (t - p->last_draw_ms < 200)
		return;
	p->last_draw_ms = t;
	progress_draw(p);
}

void progress_end(struct progress *p)
{
	if (!p->enabled)
		return;
	progress_draw(p);
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->enabled = 0;
}
