/* Pass 2 of redaction: one member's bytes, redacted, into a temporary file. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "bundle/redact-write.h"

/*
 * Lines of a stream: fn for each complete line (without its newline), the rest kept. A line of
 * LINE_MAX_BYTES or more is given on in pieces, each cut where tokeniser_cut says no finding is
 * split, so that what is found in the pieces is what the whole line holds. Where the held text
 * has no such place, it is one run of LINE_MAX_BYTES with neither a break nor a space between
 * words (base64, or a value repeated without a separator): found in it could be anything, and
 * decoded base64 needs the whole run, so the run is replaced whole, up to its end.
 */
int redact_lines_feed(struct redact_lines *lines, const char *buf, size_t len,
                      int (*fn)(void *ctx, const char *l, size_t n, int nl), void *ctx)
{
	struct strbuf *line = &lines->held;

	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t take = nl ? (size_t)(nl - buf) : len, k = 0;

		if (lines->removing) {
			/* The removed run goes on to a break, which is kept: the next piece. */
			while (k < take && !tokeniser_is_break((unsigned char)buf[k]))
				k++;
			buf += k;
			len -= k;
			if (k == take && nl == NULL)
				return 0;
			lines->removing = 0;
			if (k < take)
				continue;
			if (fn(ctx, "", 0, 1) < 0)
				return -1;
			buf++;
			len--;
			continue;
		}
		/* A whole line in buf goes as it is, not copied. */
		if (nl && line->len == 0 && take < LINE_MAX_BYTES) {
			if (fn(ctx, buf, take, 1) < 0)
				return -1;
			buf += take + 1;
			len -= take + 1;
			continue;
		}
		if (line->len + take >= LINE_MAX_BYTES) {
			/* Held up to the limit, whatever sizes the bytes come in: both passes cut a
			 * member at the same places. */
			take = LINE_MAX_BYTES - line->len;
			strbuf_add(line, buf, take);
			buf += take;
			len -= take;
			k = tokeniser_cut(line->buf, line->len);
			if (k == 0) {
				strbuf_reset(line);
				lines->removing = 1;
				if (fn(ctx, LINE_RUN_REMOVED, strlen(LINE_RUN_REMOVED), 0) < 0)
					return -1;
				continue;
			}
			if (fn(ctx, line->buf, k, 0) < 0)
				return -1;
			/* What follows the cut has no place to cut: each byte is moved once. */
			memmove(line->buf, line->buf + k, line->len - k);
			line->len -= k;
			line->buf[line->len] = '\0';
			continue;
		}
		strbuf_add(line, buf, take);
		if (nl == NULL)
			return 0;
		if (fn(ctx, line->buf ? line->buf : "", line->len, 1) < 0)
			return -1;
		strbuf_reset(line);
		buf += take + 1;
		len -= take + 1;
	}
	return 0;
}

int redact_lines_end(struct redact_lines *lines,
                     int (*fn)(void *ctx, const char *l, size_t n, int nl), void *ctx)
{
	int rc = 0;

	if (!lines->removing && lines->held.len > 0)
		rc = fn(ctx, lines->held.buf, lines->held.len, 0);
	redact_lines_reset(lines);
	return rc;
}

void redact_lines_reset(struct redact_lines *lines)
{
	strbuf_reset(&lines->held);
	lines->removing = 0;
}

/* The redacted lines held in w->out go on: into the compressor, or into the file. */
int redact_writer_flush(struct redact_writer *w)
{
	int rc = 0;

	if (w->out.len == 0)
		return 0;
	if (w->comp) {
		rc = redact_compressor_write(w->comp, w->out.buf, w->out.len, w->err);
		if (rc < 0)
			error_prefix(w->err, "%s: temporary file", w->dir);
	} else if (write_all(w->fd, w->out.buf, w->out.len) < 0) {
		error_set(w->err, "%s: temporary file: %s", w->dir, strerror(errno));
		rc = -1;
	}
	strbuf_reset(&w->out);
	return rc;
}

/*
 * A passwd line of a person's account: its GECOS field (full name, room, telephone) is one
 * words token, since no matcher knows a person's name; the other fields go through the
 * tokeniser as text. 1 when done, 0 when the line is not such a line, -1 with err.
 */
static int passwd_line(struct redact_writer *w, const char *l, size_t n)
{
	char token[PSEUDO_TOKEN_MAX + 1];
	size_t f[8];

	if (redact_passwd_fields(l, n, f) != 7 || !redact_person_account(l, f, w->uid_min) ||
	    f[5] - f[4] - 1 == 0)
		return 0;
	int kept;

	if (tokeniser_line(w->tk, l, f[4], &w->out, w->err) < 0 ||
	    (kept = tokeniser_field(w->tk, PSEUDO_WORDS, l + f[4], f[5] - f[4] - 1, token,
	                            w->err)) < 0)
		return -1;
	if (kept)
		strbuf_add(&w->out, l + f[4], f[5] - f[4] - 1);
	else
		strbuf_add(&w->out, token, strlen(token));
	return tokeniser_line(w->tk, l + f[5] - 1, n - (f[5] - 1), &w->out, w->err) < 0 ? -1 : 1;
}

/* text with every needle replaced by with, in to; or text itself when it has none. */
static const char *replace_all(struct strbuf *to, const char *text, size_t n, size_t *out_len,
                               const char *needle, const char *with)
{
	size_t nl = needle ? strlen(needle) : 0, at = 0;
	const char *hit;

	*out_len = n;
	if (nl == 0 || n < nl || (hit = memmem(text, n, needle, nl)) == NULL)
		return text;
	strbuf_reset(to);
	while (hit) {
		strbuf_add(to, text + at, (size_t)(hit - (text + at)));
		strbuf_add(to, with, strlen(with));
		at = (size_t)(hit - text) + nl;
		hit = n - at >= nl ? memmem(text + at, n - at, needle, nl) : NULL;
	}
	strbuf_add(to, text + at, n - at);
	*out_len = to->len;
	return to->buf;
}

/*
 * A tag file's text with the collection root's path replaced by "<root>" and the reporter's
 * phone number by its token (in w's scratch buffers), or text itself when it has neither.
 */
static const char *unrooted(struct redact_writer *w, const char *text, size_t n, size_t *out_len)
{
	text = replace_all(&w->unrooted[0], text, n, &n, w->lit.root, "<root>");
	return replace_all(&w->unrooted[1], text, n, out_len, w->lit.phone, w->phone_token);
}

/*
 * Every string of a JSON value, object keys included, through the tokeniser: a new value, or
 * NULL with err set (the tokeniser failed) or not (a result that is not UTF-8).
 */
static json_t *json_through(struct redact_writer *w, json_t *v, struct strbuf *sb,
                            struct error *err)
{
	struct tokeniser *tk = w->tk;
	json_t *out, *x;
	const char *k, *t;
	size_t i, n;

	switch (json_typeof(v)) {
	case JSON_STRING:
		t = unrooted(w, json_string_value(v), json_string_length(v), &n);
		strbuf_reset(sb);
		if (tokeniser_line(tk, t, n, sb, err) < 0)
			return NULL;
		return json_stringn(sb->buf ? sb->buf : "", sb->len);
	case JSON_ARRAY:
		out = json_array();
		json_array_foreach(v, i, x)
		{
			json_t *y = json_through(w, x, sb, err);

			if (y == NULL) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, y);
		}
		return out;
	case JSON_OBJECT:
		out = json_object();
		json_object_foreach(v, k, x)
		{
			json_t *y;
			char *key;

			/* A hash of an original file would confirm a guess of its content. */
			if (w->tag == TAG_JSONL && strcmp(k, "sha256") == 0)
				continue;
			/* The command line names the output and the root, maybe the case. */
			if (w->tag == TAG_JSON && strcmp(k, "command_line") == 0)
				continue;
			y = json_through(w, x, sb, err);
			strbuf_reset(sb);
			if (y == NULL || tokeniser_line(tk, k, strlen(k), sb, err) < 0) {
				json_decref(y);
				json_decref(out);
				return NULL;
			}
			key = xstrndup(sb->buf ? sb->buf : "", sb->len);
			if (json_object_set_new(out, key, y) < 0) {
				free(key);
				json_decref(out);
				return NULL;
			}
			free(key);
		}
		return out;
	default:
		return json_incref(v);
	}
}

/* JSON text (a document, or one line of JSON lines) redacted onto w->out; a bad one marks w. */
int redact_writer_json(struct redact_writer *w, const char *text, size_t n, size_t flags)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *doc = json_loadb(text, n, 0, NULL), *red;
	char *dumped;

	if (doc == NULL) {
		w->json_bad = 1;
		return 0;
	}
	w->err->msg[0] = '\0';
	red = json_through(w, doc, &sb, w->err);
	json_decref(doc);
	strbuf_release(&sb);
	if (red == NULL) {
		if (w->err->msg[0])
			return -1;
		w->json_bad = 1;
		return 0;
	}
	dumped = json_dumps(red, flags | JSON_PRESERVE_ORDER);
	json_decref(red);
	if (dumped == NULL) {
		w->json_bad = 1;
		return 0;
	}
	strbuf_add(&w->out, dumped, strlen(dumped));
	free(dumped);
	return 0;
}

/* The pool's redacted lines, in order: on into the compressor, or into the file. */
int redact_writer_pool_out(void *ctx, const char *buf, size_t len, struct error *err)
{
	struct redact_writer *w = ctx;

	/* In the pool's thread: w->out is not used while the pool has the member's lines. */
	if (w->comp) {
		if (redact_compressor_write(w->comp, buf, len, err) == 0)
			return 0;
		error_prefix(err, "%s: temporary file", w->dir);
		return -1;
	}
	if (write_all(w->fd, buf, len) < 0) {
		error_set(err, "%s: temporary file: %s", w->dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* The end of a member's lines: the pool's last ones, then what is held, go on. */
int redact_writer_finish(struct redact_writer *w)
{
	if (w->pool && line_pool_finish(w->pool, w->err) < 0)
		return -1;
	return redact_writer_flush(w);
}

/* One line through the tokeniser; the output goes on in pieces of 64 KiB, not line by line. */
int redact_writer_line(void *ctx, const char *l, size_t n, int nl)
{
	struct redact_writer *w = ctx;
	int done = w->passwd ? passwd_line(w, l, n) : 0;

	if (w->pool && !w->passwd && w->tag == TAG_NONE)
		return line_pool_line(w->pool, l, n, nl, w->err);

	if (w->tag == TAG_JSONL) {
		if (n > 0 && redact_writer_json(w, l, n, JSON_COMPACT) < 0)
			return -1;
		done = 1;
	}
	if (done == 0 && w->tag != TAG_NONE)
		l = unrooted(w, l, n, &n);
	if (done < 0 || (done == 0 && tokeniser_line(w->tk, l, n, &w->out, w->err) < 0))
		return -1;
	if (nl)
		strbuf_addch(&w->out, '\n');
	return w->out.len >= 65536 ? redact_writer_flush(w) : 0;
}

int redact_writer_chunk(void *ctx, const void *buf, size_t len)
{
	struct redact_writer *w = ctx;

	return redact_lines_feed(&w->in, buf, len, redact_writer_line, w);
}

/* A compressed login record file's decompressed bytes: its records rewritten. */
int redact_writer_login_chunk(void *ctx, const void *buf, size_t len)
{
	struct redact_writer *w = ctx;

	if (login_records_data(w->login, buf, len, w->tk, NULL, &w->out, w->err) < 0)
		return -1;
	return w->out.len >= 65536 ? redact_writer_flush(w) : 0;
}

void redact_writer_release(struct redact_writer *w)
{
	strbuf_release(&w->out);
	strbuf_release(&w->in.held);
	strbuf_release(&w->doc);
	strbuf_release(&w->unrooted[0]);
	strbuf_release(&w->unrooted[1]);
	free(w->lit.root);
	free(w->lit.phone);
}
