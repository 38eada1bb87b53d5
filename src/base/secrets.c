/* Keeping the secrets a process holds out of core files and away from debuggers. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "base/secrets.h"

int secrets_protect_process(struct error *err)
{
	static int done;
	struct rlimit none = {0, 0};

	if (done)
		return 0;
	if (setrlimit(RLIMIT_CORE, &none) != 0) {
		error_set(err, "cannot disable core dumps before reading a secret: %s",
		          strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		error_set(err, "cannot make the process undumpable before reading a secret: %s",
		          strerror(errno));
		return -1;
	}
	done = 1;
	return 0;
}
