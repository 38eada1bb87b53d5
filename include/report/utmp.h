/*
 * utmp, wtmp and btmp records (glibc's struct utmp on 64-bit Linux: 384 bytes, the time as two
 * 32-bit fields). A record of nothing but zero bytes is a cleared one: what a log wiper that
 * zeroes a login leaves behind.
 */
#ifndef LOGPACK_REPORT_UTMP_H
#define LOGPACK_REPORT_UTMP_H

#include <stddef.h>
#include <stdint.h>

#define UTMP_RECORD_SIZE 384

struct utmp_info {
	int type;      /* ut_type: 0 EMPTY .. 9 ACCOUNTING */
	int64_t epoch; /* ut_tv.tv_sec */
	int cleared;   /* every byte zero */
	int valid;     /* a known type, and a time for the types that carry one */
};

/* Is this a file of utmp records, by its name (utmp, wtmp, btmp and their rotations)? */
int utmp_name(const char *path);
/* Read one record of exactly UTMP_RECORD_SIZE bytes. */
void utmp_parse(const unsigned char *rec, struct utmp_info *out);
/* "USER_PROCESS", ... or "unknown". */
const char *utmp_type_name(int type);

#endif
