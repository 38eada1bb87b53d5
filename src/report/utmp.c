/* utmp, wtmp and btmp records: type, time, and whether the record was zeroed. */
#include "config.h"

#include <string.h>

#include "base/byteorder.h"
#include "base/util.h"
#include "report/utmp.h"

static const char *const type_names[] = {
        "EMPTY",        "RUN_LVL",       "BOOT_TIME",    "NEW_TIME",     "OLD_TIME",
        "INIT_PROCESS", "LOGIN_PROCESS", "USER_PROCESS", "DEAD_PROCESS", "ACCOUNTING",
};

int utmp_name(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strncmp(base, "wtmp", 4) == 0 || strncmp(base, "btmp", 4) == 0 ||
	       strncmp(base, "utmp", 4) == 0;
}

void utmp_parse(const unsigned char *rec, struct utmp_info *out)
{
	int32_t type = (int32_t)load_le32(rec);

	memset(out, 0, sizeof(*out));
	out->cleared = 1;
	for (size_t i = 0; i < UTMP_RECORD_SIZE; i++)
		if (rec[i]) {
			out->cleared = 0;
			break;
		}
	out->type = type;
	/* ut_tv.tv_sec at offset 340 (after type, pid, line, id, user, host, exit, session). */
	out->epoch = (int32_t)load_le32(rec + 340);
	out->valid = type >= 1 && type <= 9 && out->epoch > 0;
}

const char *utmp_type_name(int type)
{
	return type >= 0 && type <= 9 ? type_names[type] : "unknown";
}
