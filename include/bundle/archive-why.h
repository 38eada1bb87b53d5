/*
 * libarchive's message for its last error, or a fallback: it sets none on some paths (a gzip
 * stream cut inside its trailer), and a NULL must never reach a "%s".
 */
#ifndef LOGPACK_ARCHIVE_WHY_H
#define LOGPACK_ARCHIVE_WHY_H

#include <archive.h>

static inline const char *archive_why(struct archive *a, const char *fallback)
{
	const char *msg = archive_error_string(a);

	return msg ? msg : fallback;
}

#endif
