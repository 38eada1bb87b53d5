/*
 * Names inside a bag, and BagIt manifest lines.
 *
 * A host path may hold bytes that a manifest line cannot carry as they are (CR, LF), that
 * RFC 8493 would percent-encode (which `sha256sum -c` does not understand), or that are not
 * UTF-8 (tag files are UTF-8). Such bytes are written as "\xHH" in the name the file gets
 * inside the bag, and a literal backslash as "\x5c", so the mapping is reversible and every
 * manifest line names a file that exists in the bag byte for byte. files.jsonl records both.
 */
#ifndef LOGPACK_MANIFEST_H
#define LOGPACK_MANIFEST_H

#include <stddef.h>

#include "base/utf8.h" /* utf8_sequence_len, for bag names */
#include "base/util.h"

/* The bag name for a raw host path; *changed is set when any byte was escaped. Caller frees. */
char *bagname_encode(const char *raw, size_t len, int *changed);
/* The same, appended to sb (a buffer kept across names costs no allocation). */
void bagname_encode_to(struct strbuf *sb, const char *raw, size_t len, int *changed);

/* A bag name longer than this, or with a component over 255 bytes, cannot be extracted by
 * stock tools (PATH_MAX, NAME_MAX): such a file is stored as "\long/<sha256 of the raw path>"
 * (a name bagname_encode never produces), and files.jsonl records its real path. */
#define BAGNAME_MAX 3000

/*
 * The name a host path gets under data/: bagname_encode's, or the "\long/..." form when that
 * would be too long. *escaped and *shortened say which rule applied. Caller frees.
 */
char *bagname_for_path(const char *raw, size_t len, int *escaped, int *shortened);
/* The raw bytes back from a bag name. Returns 0, or -1 when the escapes are malformed. */
int bagname_decode(const char *name, char **raw_out, size_t *len_out);

/* RFC 8493 section 2.1.3: "%" -> "%25", CR -> "%0D", LF -> "%0A". Caller frees. */
char *manifest_encode_path(const char *path);
/* The reverse; -1 on a malformed escape or one that yields a NUL byte. Caller frees *out. */
int manifest_decode_path(const char *text, char **out);

/*
 * Parse one manifest line ("<hex>  <path>", one or more blanks, an optional sha256sum '*'),
 * without its line end. The hex digits are lowercased into hex_out. Returns 0 or -1 with err.
 */
int manifest_parse_line(const char *line, size_t len, size_t hex_len, char *hex_out,
                        char **path_out, struct error *err);
/* The same, with the name as written (no percent-decoding): the caller decides how to read it. */
int manifest_split_line(const char *line, size_t len, size_t hex_len, char *hex_out,
                        char **path_out, struct error *err);

#endif
