/* Little-endian integers read from bytes of a file format, whatever the host's byte order. */
#ifndef LOGPACK_BYTEORDER_H
#define LOGPACK_BYTEORDER_H

#include <stdint.h>

static inline uint32_t load_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t load_le64(const unsigned char *p)
{
	return (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
}

#endif
