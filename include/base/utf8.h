/*
 * UTF-8, decoded the one way the whole program agrees on: bag names, the incident report and
 * anything shown from a bundle. Overlong forms, surrogates (U+D800..U+DFFF), code points past
 * U+10FFFF and truncated sequences are not UTF-8 (RFC 3629).
 */
#ifndef LOGPACK_UTF8_H
#define LOGPACK_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode the sequence at p, looking at no more than n bytes. Returns its length (1 to 4) and
 * sets *cp (when cp is not NULL) to the code point, or returns 0 when the bytes at p are not a
 * valid sequence (or n is 0); *cp is then left alone.
 */
size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0 if it is not valid UTF-8. */
size_t utf8_sequence_len(const unsigned char *p, size_t n);

/* 1 when the len bytes at s are all valid UTF-8 (an embedded NUL is U+0000), else 0. */
int utf8_valid(const void *s, size_t len);

#endif
