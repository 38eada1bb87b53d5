/*
 * Text from outside (a bundle's names and claims, a host's files, a report's answers) made safe
 * to show on a terminal: the one escaping every message and listing uses.
 */
#ifndef LOGPACK_PRINTABLE_H
#define LOGPACK_PRINTABLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Can cp drive a terminal or reorder the text around it? C0 controls, DEL, the C1 controls
 * U+0080..U+009F (U+009B is a one-character CSI on many terminals) and the bidirectional marks,
 * embeddings, overrides and isolates (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069).
 */
int printable_is_control(uint32_t cp);

enum printable_flags {
	PRINTABLE_KEEP_NEWLINE = 1, /* a line feed passes (multi-line answers) */
	PRINTABLE_KEEP_TAB = 2,     /* a tab passes */
};

/*
 * A copy of the len bytes at s that is safe to print and still valid UTF-8: bytes that are not
 * UTF-8, C0 controls and DEL as \xHH; C1 and bidirectional controls as \u{HHHH}; everything
 * else as it is. With max_input > 0 at most that many input bytes are shown, then "...".
 * Caller frees.
 */
char *printable_text(const void *s, size_t len, size_t max_input, unsigned flags);

/* printable_text of a NUL-terminated string, whole, no flags. Caller frees. */
char *printable(const char *s);

#endif
