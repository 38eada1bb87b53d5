/*
 * Pass 2 of redaction: the writer of one member's redacted bytes. Lines go through the
 * tokeniser (or its worker pool), tag files as lines or as JSON whose every string is redacted,
 * a user database with each person's full name as one token, login records record by record;
 * the result goes into a temporary file, through the member's compressor when it had one.
 */
#ifndef LOGPACK_REDACT_WRITE_H
#define LOGPACK_REDACT_WRITE_H

#include <stddef.h>

#include "base/util.h"
#include "bundle/redact-login.h"
#include "bundle/redact-names.h"
#include "bundle/redact-pool.h"
#include "bundle/redact-stream.h"
#include "trust/tokenise.h"

/*
 * A line is held whole up to this size; a longer one is cut into pieces of at most this size,
 * each where tokeniser_cut finds that no finding is split. A run of this size with no such
 * place is replaced whole by LINE_RUN_REMOVED, up to the next break (tokeniser_is_break) or
 * the line's end.
 */
#define LINE_MAX_BYTES (1u << 20)
#define LINE_RUN_REMOVED "[logpack: a run of 1 MiB or more without a break, removed]"

/* A stream being split into lines (redact_lines_feed): set up to {STRBUF_INIT, 0}. */
struct redact_lines {
	struct strbuf held; /* the line so far, not given on yet */
	int removing;       /* inside a run replaced whole: its bytes go up to a break */
};

/*
 * The source's tag files that are carried, redacted: as lines, as one JSON document, or as one
 * JSON object a line (TAG_NONE: a payload file).
 */
enum tag_kind { TAG_NONE, TAG_LINES, TAG_JSON, TAG_JSONL };

/* Set up by the caller, member by member; its buffers are freed by redact_writer_release. */
struct redact_writer {
	struct tokeniser *tk;
	/* The lines of a plain log (no tag file, no user database) go through it; NULL: here. */
	struct line_pool *pool;
	struct strbuf out;
	struct redact_lines in;         /* a compressed member's decompressed lines */
	int fd;                         /* the temporary file */
	const char *dir;                /* where it is: the output directory */
	struct redact_compressor *comp; /* set: the lines go through it into fd */
	int passwd;            /* a user database: a person's full name (GECOS) becomes a token */
	unsigned long uid_min; /* where people's uids begin (redact_uid_min) */
	enum tag_kind tag;
	/* Replaced in tag files: the collection root's path by "<root>", the reporter's phone
	 * number by its token (phone_token). */
	struct redact_literals lit;
	char phone_token[PSEUDO_TOKEN_MAX + 1];
	struct strbuf doc; /* a JSON tag file, read whole */
	struct strbuf unrooted[2];
	int json_bad;                /* a JSON tag file that is not JSON (or not UTF-8): dropped */
	struct login_records *login; /* a compressed login record file's records */
	struct error *err;
};

/*
 * Lines of a stream: fn for each complete line (without its newline; nl set), or for each piece
 * of a long one (nl 0); the rest kept in lines. Both passes split a member alike, whatever
 * sizes its bytes come in, so that the first notes every address the second replaces.
 */
int redact_lines_feed(struct redact_lines *lines, const char *buf, size_t len,
                      int (*fn)(void *ctx, const char *l, size_t n, int nl), void *ctx);
/* The end of the stream: fn for what is held (a last line without a newline); lines emptied,
 * for the next stream. */
int redact_lines_end(struct redact_lines *lines,
                     int (*fn)(void *ctx, const char *l, size_t n, int nl), void *ctx);
/* lines emptied without a word to fn: a stream given up. */
void redact_lines_reset(struct redact_lines *lines);
/* One line (nl: it ended with a newline) redacted into w (ctx); 0 or -1 with w->err. */
int redact_writer_line(void *ctx, const char *l, size_t n, int nl);
/* Decompressed bytes of a member into w (ctx): as lines, or as login records (w->login). */
int redact_writer_chunk(void *ctx, const void *buf, size_t len);
int redact_writer_login_chunk(void *ctx, const void *buf, size_t len);
/* A JSON document or line, every string redacted, onto w->out; a bad one sets w->json_bad. */
int redact_writer_json(struct redact_writer *w, const char *text, size_t n, size_t flags);
/* The pool's output stage (line_pool_begin): redacted lines, in order, on into the file. */
int redact_writer_pool_out(void *ctx, const char *buf, size_t len, struct error *err);
/* What w holds goes on into the file; _finish waits for the pool's last lines first. */
int redact_writer_flush(struct redact_writer *w);
int redact_writer_finish(struct redact_writer *w);
/* Frees w's buffers and literals (not its tokeniser, pool, compressor or file). */
void redact_writer_release(struct redact_writer *w);

#endif
