/* A minimal TAP producer for the C unit tests. */
#ifndef LOGPACK_TAP_H
#define LOGPACK_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

#define ok(cond, ...)                                                                   \
	do {                                                                            \
		int tap_ok_ = (cond) ? 1 : 0;                                           \
		tap_count++;                                                            \
		if (!tap_ok_)                                                           \
			tap_failed++;                                                   \
		printf("%s %d - ", tap_ok_ ? "ok" : "not ok", tap_count);               \
		printf(__VA_ARGS__);                                                    \
		printf("\n");                                                           \
		if (!tap_ok_)                                                           \
			printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	} while (0)

#define is_str(got, want, ...)                                                          \
	do {                                                                            \
		const char *tap_g_ = (got), *tap_w_ = (want);                           \
		ok(tap_g_ &&tap_w_ &&strcmp(tap_g_, tap_w_) == 0, __VA_ARGS__);         \
		if (!(tap_g_ && tap_w_ && strcmp(tap_g_, tap_w_) == 0))                 \
			printf("#   got '%s', want '%s'\n", tap_g_ ? tap_g_ : "(null)", \
			       tap_w_ ? tap_w_ : "(null)");                             \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
