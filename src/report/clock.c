/* Time daemons' configuration and the kernel's clock status, as coverage.json tells them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "report/clock.h"

/* The next line of text: [*p, *eol) and the start of the next in *next. */
static int next_line(const char **p, const char *end, const char **eol)
{
	const char *nl;

	if (*p >= end)
		return 0;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*eol = nl ? nl : end;
	return 1;
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *word_end(const char *p, const char *end)
{
	while (p < end && *p != ' ' && *p != '\t' && *p != '\r' && *p != '#')
		p++;
	return p;
}

/* A server name worth keeping: printable, not absurdly long. */
static void add_server(json_t *servers, const char *p, size_t n)
{
	char *s;

	if (n == 0 || n > 255 || json_array_size(servers) >= 32)
		return;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
			return;
	s = xstrndup(p, n);
	json_array_append_new(servers, json_string(s));
	free(s);
}

void clock_config_servers(const char *kind, const char *text, size_t len, json_t *servers)
{
	const char *p = text, *end = text + len, *eol;
	int timesyncd = strcmp(kind, "timesyncd") == 0;

	for (; next_line(&p, end, &eol); p = eol + 1) {
		const char *w = skip_space(p, eol), *we;

		if (w >= eol || *w == '#' || *w == ';')
			continue;
		if (timesyncd) {
			size_t klen = 0;

			if ((size_t)(eol - w) > 4 && memcmp(w, "NTP=", 4) == 0)
				klen = 4;
			else if ((size_t)(eol - w) > 12 && memcmp(w, "FallbackNTP=", 12) == 0)
				klen = 12;
			if (klen == 0)
				continue;
			for (w += klen; (w = skip_space(w, eol)) < eol; w = we) {
				we = word_end(w, eol);
				if (we == w)
					break;
				add_server(servers, w, (size_t)(we - w));
			}
			continue;
		}
		we = word_end(w, eol);
		if ((we - w == 6 && memcmp(w, "server", 6) == 0) ||
		    (we - w == 4 && memcmp(w, "pool", 4) == 0) ||
		    (we - w == 4 && memcmp(w, "peer", 4) == 0)) {
			w = skip_space(we, eol);
			we = word_end(w, eol);
			add_server(servers, w, (size_t)(we - w));
		}
	}
}

json_t *clock_kernel_json(const struct clock_kernel *k)
{
	return json_pack("{s:b,s:I,s:I,s:I,s:i}", "synchronised", k->synchronised, "offset_us",
	                 (json_int_t)k->offset_us, "maxerror_us", (json_int_t)k->maxerror_us,
	                 "esterror_us", (json_int_t)k->esterror_us, "status", k->status);
}

void clock_summarise(json_t *clock)
{
	struct strbuf sb = {0};
	json_t *d, *kernel = json_object_get(clock, "kernel");
	size_t i;

	json_array_foreach(json_object_get(clock, "daemons"), i, d)
	{
		const char *name = json_string_value(json_object_get(d, "name"));
		size_t n = json_array_size(json_object_get(d, "servers"));

		if (!json_is_true(json_object_get(d, "configured")))
			continue;
		strbuf_addf(&sb, "%s%s%s (%zu server%s)", sb.len ? ", " : "", name ? name : "?",
		            json_is_true(json_object_get(d, "enabled")) ? " enabled" : "", n,
		            n == 1 ? "" : "s");
	}
	if (sb.len == 0)
		strbuf_addstr(&sb, "no time daemon configured in the root");
	if (json_is_object(kernel))
		strbuf_addf(&sb, "; kernel clock %s",
		            json_is_true(json_object_get(kernel, "synchronised"))
		                    ? "synchronised"
		                    : "NOT synchronised");
	json_object_set_new(clock, "summary", json_string(sb.buf));
	strbuf_release(&sb);
}
