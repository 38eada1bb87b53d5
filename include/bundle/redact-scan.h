/*
 * Pass 1 of redaction (redact-scan.c), as redact.c drives it: the state of the scan, and the
 * bundle visitor that fills it in. What pass 1 leaves (each member's hash, whether it is text to
 * carry, how it is compressed or read) is what the later passes go by.
 */
#ifndef LOGPACK_REDACT_SCAN_H
#define LOGPACK_REDACT_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"
#include "base/util.h"
#include "bundle/redact-login.h"
#include "bundle/redact-names.h"
#include "bundle/redact-pool.h"
#include "bundle/redact-stream.h"
#include "bundle/redact-unpack.h"
#include "bundle/redact-write.h"
#include "trust/tokenise.h"

struct member_info {
	char *name; /* relative to the bag, "data/var/log/syslog" */
	char sha256[SHA256_HEX_LEN + 1];
	int text;
	/* A compressed payload file: text is decided when its decompressed lines are scanned
	 * (in pass 1, on its thread); it is written back in the same format. */
	enum redact_compression comp;
	char *why;             /* a compressed member that cannot be carried: why */
	enum login_kind login; /* wtmp, btmp, utmp or lastlog: rewritten record by record */
	int journal;           /* a journal file: carried as its export text, judged in pass 1b */
	enum tag_kind tag;     /* a tag file of the source that is carried, redacted */
};

struct pass1 {
	struct tokeniser *tk;
	struct line_pool *pool;      /* NULL: the lines are scanned here, one by one */
	struct member_info *current; /* the compressed member being scanned */
	/* Its bytes, decompressed and scanned on a thread of their own as pass 1 reads them:
	 * current, line, login, login_names, found's login sets, err and failed are the
	 * thread's until redact_unpack_finish. */
	struct redact_unpack *unpack;
	struct member_info *members;
	size_t n, cap;
	struct redact_lines line;
	int in_payload;
	/* The file being read for names (NAMES_NONE: none), and what was read. */
	enum name_source names;
	struct redact_names found;
	/* The login records being read, and the user names of their logins. */
	struct login_records login;
	struct strbuf login_names;
	int journals; /* journal files are read (the command gave a journal reader) */
	int keep_incident;
	struct error err;
	int failed;
};

/* The most a compressed member may decompress to (pass 1 and pass 2 alike). */
uint64_t redact_decompressed_max(uint64_t size);

/*
 * Pass 1's bundle visitor (bundle/bundle-read.h), ctx a struct pass1 set up by the caller: a
 * member begins, its bytes go by, it ends with the SHA-256 the reader computed of them (not
 * computed again here). A failure sets p->failed and p->err.
 */
void redact_scan_begin(void *ctx, const char *name, uint64_t size);
void redact_scan_data(void *ctx, const void *buf, size_t len);
void redact_scan_end(void *ctx, const char *sha256_hex);

#endif
