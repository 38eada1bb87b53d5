/* Forwarding destinations in logging daemons' configuration files. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "report/forwarding.h"

/* Destinations kept per run: a hostile file cannot make the report huge. */
#define MAX_DESTINATIONS 64
#define MAX_VALUE 255

/* Line number of p within text. */
static long line_of(const char *text, const char *p)
{
	long n = 1;

	for (const char *q = text; q < p; q++)
		n += *q == '\n';
	return n;
}

/* A value from the file as a JSON string: printable ASCII only, else escaped. */
static char *clean(const char *p, size_t n)
{
	struct strbuf sb = {0};

	if (n > MAX_VALUE)
		n = MAX_VALUE;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			strbuf_addch(&sb, (char)c);
		else
			strbuf_addf(&sb, "\\x%02x", c);
	}
	return strbuf_detach(&sb);
}

static void add(json_t *out, const char *dest, size_t dlen, const char *via, const char *file,
                long line)
{
	char *d;

	if (json_array_size(out) >= MAX_DESTINATIONS || dlen == 0)
		return;
	d = clean(dest, dlen);
	json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:i}", "destination", d, "via", via,
	                                     "file", file, "line", (int)line));
	free(d);
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/* Legacy rsyslog: "selector  @host:514" (UDP), "@@host" (TCP), ":omrelp:host:2514". */
static void rsyslog_legacy(const char *file, const char *text, const char *line, const char *eol,
                           json_t *out)
{
	const char *p = skip_space(line, eol), *w, *we;

	if (p >= eol || *p == '#' || *p == '$')
		return;
	/* The action is the last field: after the selector and white space. */
	for (w = eol; w > p && w[-1] != ' ' && w[-1] != '\t';)
		w--;
	if (w == p)
		return;
	for (we = w; we < eol && *we != ' ' && *we != '\t' && *we != '\r' && *we != ';';)
		we++;
	if (we - w > 2 && w[0] == '@' && w[1] == '@') {
		add(out, w + 2, (size_t)(we - w - 2), "rsyslog @@ (TCP)", file,
		    line_of(text, line));
	} else if (we - w > 1 && w[0] == '@') {
		const char *h = w + 1;

		/* "@(o)host": options before the host. */
		if (*h == '(') {
			while (h < we && *h != ')')
				h++;
			if (h < we)
				h++;
		}
		add(out, h, (size_t)(we - h), "rsyslog @ (UDP)", file, line_of(text, line));
	} else if (we - w > 8 && memcmp(w, ":omrelp:", 8) == 0) {
		add(out, w + 8, (size_t)(we - w - 8), "rsyslog omrelp", file, line_of(text, line));
	}
}

/* The value of key="value" (or key='value') within [p, end); NULL when absent. */
static const char *param(const char *p, const char *end, const char *key, size_t *len)
{
	size_t klen = strlen(key);

	for (; p + klen + 2 < end; p++) {
		const char *v;
		char q;

		/* p[-1] exists: the caller's range starts after "action(". */
		if (memcmp(p, key, klen) != 0 ||
		    (p[-1] != ' ' && p[-1] != '\t' && p[-1] != '(' && p[-1] != '\n'))
			continue;
		v = skip_space(p + klen, end);
		if (v >= end || *v != '=')
			continue;
		v = skip_space(v + 1, end);
		if (v >= end || (*v != '"' && *v != '\''))
			continue;
		q = *v++;
		for (p = v; p < end && *p != q;)
			p++;
		*len = (size_t)(p - v);
		return v;
	}
	return NULL;
}

/* RainerScript: action(type="omfwd" target="x" port="514" protocol="tcp"), any lines. */
static void rsyslog_actions(const char *file, const char *text, size_t len, json_t *out)
{
	const char *end = text + len, *p = text;

	while (p < end) {
		const char *a = NULL, *close, *type, *target, *port;
		size_t tl, gl, pl;

		for (; p + 7 <= end; p++)
			if (memcmp(p, "action(", 7) == 0) {
				a = p + 7;
				break;
			}
		if (a == NULL)
			return;
		close = memchr(a, ')', (size_t)(end - a));
		if (close == NULL)
			close = end;
		type = param(a, close, "type", &tl);
		target = param(a, close, "target", &gl);
		port = param(a, close, "port", &pl);
		if (type && target &&
		    ((tl == 5 && memcmp(type, "omfwd", 5) == 0) ||
		     (tl == 6 && memcmp(type, "omrelp", 6) == 0))) {
			char *dest = port ? xasprintf("%.*s:%.*s", (int)gl, target, (int)pl, port)
			                  : xstrndup(target, gl);
			const char *proto;
			size_t prl;

			proto = param(a, close, "protocol", &prl);
			add(out, dest, strlen(dest),
			    tl == 6 ? "rsyslog omrelp"
			    : proto && prl == 3 && memcmp(proto, "tcp", 3) == 0
			            ? "rsyslog omfwd (TCP)"
			            : "rsyslog omfwd",
			    file, line_of(text, a));
			free(dest);
		}
		p = close;
	}
}

/* syslog-ng: network("host" ...), syslog("host" ...), tcp(...), udp(...) inside a destination. */
static void syslog_ng(const char *file, const char *text, size_t len, json_t *out)
{
	static const char *const drivers[] = {"network(", "syslog(", "tcp(",
	                                      "udp(",     "tcp6(",   "udp6("};
	const char *end = text + len;

	for (const char *d = text; d + 12 < end; d++) {
		const char *open, *close;
		int depth = 0;

		if (memcmp(d, "destination", 11) != 0 ||
		    (d > text && d[-1] != '\n' && d[-1] != ' ' && d[-1] != '\t' && d[-1] != ';'))
			continue;
		open = memchr(d, '{', (size_t)(end - d));
		if (open == NULL)
			return;
		for (close = open; close < end; close++) {
			depth += *close == '{';
			depth -= *close == '}';
			if (depth == 0)
				break;
		}
		for (const char *p = open; p < close; p++)
			for (size_t k = 0; k < sizeof(drivers) / sizeof(drivers[0]); k++) {
				size_t n = strlen(drivers[k]);
				const char *h, *he;

				if ((size_t)(close - p) <= n || memcmp(p, drivers[k], n) != 0 ||
				    (p > open && ((p[-1] >= 'a' && p[-1] <= 'z') || p[-1] == '_' ||
				                  p[-1] == '-')))
					continue;
				h = skip_space(p + n, close);
				if (h < close && (*h == '"' || *h == '\'')) {
					char q = *h++;

					for (he = h; he < close && *he != q;)
						he++;
				} else {
					for (he = h; he < close && *he != ')' && *he != ' ';)
						he++;
				}
				if (he > h) {
					char *via =
					        xasprintf("syslog-ng %.*s)", (int)n, drivers[k]);

					add(out, h, (size_t)(he - h), via, file, line_of(text, p));
					free(via);
				}
				p += n - 1;
				break;
			}
		d = close;
	}
}

/* "Key=value" (or "key = value") lines: the value of key, or NULL. */
static const char *assignment(const char *line, const char *eol, const char *key, size_t *len)
{
	size_t klen = strlen(key);
	const char *p = skip_space(line, eol), *v, *ve;

	if ((size_t)(eol - p) <= klen || strncmp(p, key, klen) != 0)
		return NULL;
	v = skip_space(p + klen, eol);
	if (v >= eol || *v != '=')
		return NULL;
	v = skip_space(v + 1, eol);
	for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r');)
		ve--;
	*len = (size_t)(ve - v);
	return v;
}

void forwarding_parse(enum forwarding_kind kind, const char *file, const char *text, size_t len,
                      json_t *out)
{
	const char *end = text + len, *p, *eol, *v;
	size_t vl;

	if (kind == FORWARDING_SYSLOG_NG) {
		syslog_ng(file, text, len, out);
		return;
	}
	if (kind == FORWARDING_RSYSLOG)
		rsyslog_actions(file, text, len, out);
	for (p = text; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		switch (kind) {
		case FORWARDING_RSYSLOG:
			rsyslog_legacy(file, text, p, eol, out);
			break;
		case FORWARDING_JOURNALD:
			v = assignment(p, eol, "ForwardToSyslog", &vl);
			if (v && vl >= 1 && (*v == 'y' || *v == '1' || *v == 't' || *v == 'o'))
				add(out, "local syslog daemon", 19, "journald ForwardToSyslog",
				    file, line_of(text, p));
			break;
		case FORWARDING_JOURNAL_UPLOAD:
			v = assignment(p, eol, "URL", &vl);
			if (v)
				add(out, v, vl, "systemd-journal-upload", file, line_of(text, p));
			break;
		case FORWARDING_AUDISP_REMOTE:
			v = assignment(p, eol, "remote_server", &vl);
			if (v)
				add(out, v, vl, "audisp-remote", file, line_of(text, p));
			break;
		case FORWARDING_SYSLOG_NG:
			break;
		}
		if (eol == end)
			break;
	}
}

void forwarding_slog_macs(const char *file, const char *text, size_t len, json_t *seals)
{
	const char *end = text + len;

	for (const char *p = text; p + 6 < end; p++) {
		const char *close, *a;

		if (memcmp(p, "$(slog", 6) != 0)
			continue;
		close = memchr(p, ')', (size_t)(end - p));
		if (close == NULL)
			close = end;
		for (a = p + 6; a < close; a++) {
			size_t klen =
			        (size_t)(close - a) > 3 && memcmp(a, " -m", 3) == 0             ? 3
			        : (size_t)(close - a) > 11 && memcmp(a, " --mac-file", 11) == 0 ? 11
			                                                                        : 0;
			const char *v, *ve;
			char *path;

			if (klen == 0)
				continue;
			v = a + klen;
			if (v < close && (*v == '=' || *v == ' '))
				v++;
			for (ve = v; ve < close && *ve != ' ' && *ve != '"' && *ve != '\'';)
				ve++;
			if (ve == v || json_array_size(seals) >= MAX_DESTINATIONS)
				break;
			path = clean(v, (size_t)(ve - v));
			json_array_append_new(
			        seals, json_pack("{s:s,s:s,s:s}", "path", path, "kind",
			                         "syslog-ng secure logging MAC file (named in "
			                         "the configuration)",
			                         "file", file));
			free(path);
			break;
		}
		p = close;
	}
}
