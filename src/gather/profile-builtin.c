/* The stock profiles compiled in, and reading a profile's text from them or from a file. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "gather/profile-builtin.h"

struct profile_builtin {
	const char *name;
	const unsigned char *text;
	size_t len;
};

/* Generated at build time from profiles/ (build-aux/static/gen-profiles.sh). */
#include "profiles-builtin.inc"

int profile_builtin_enabled(void)
{
#ifdef LOGPACK_BUILTIN_PROFILES
	return 1;
#else
	return 0;
#endif
}

/* The built-in entry a path names; NULL when the path is not under the built-in directory. */
static const struct profile_builtin *builtin_for_path(const char *path, int *is_builtin)
{
	size_t dlen = strlen(PROFILE_BUILTIN_DIR);

	*is_builtin = strncmp(path, PROFILE_BUILTIN_DIR, dlen) == 0 && path[dlen] == '/';
	if (!*is_builtin)
		return NULL;
	for (const struct profile_builtin *b = profile_builtins; b->name; b++)
		if (strcmp(b->name, path + dlen + 1) == 0)
			return b;
	return NULL;
}

int profile_text_read(const char *path, size_t max, char **out, size_t *len_out)
{
	int is_builtin;
	const struct profile_builtin *b = builtin_for_path(path, &is_builtin);

	if (!is_builtin)
		return read_small_file(path, max, out, len_out);
	if (b == NULL) {
		errno = ENOENT;
		return -1;
	}
	if (b->len > max) {
		errno = EFBIG;
		return -1;
	}
	*out = xmalloc(b->len + 1);
	memcpy(*out, b->text, b->len);
	(*out)[b->len] = '\0';
	*len_out = b->len;
	return 0;
}

int profile_text_exists(const char *path)
{
	int is_builtin;
	const struct profile_builtin *b = builtin_for_path(path, &is_builtin);
	struct stat st;

	if (is_builtin)
		return b != NULL;
	return stat(path, &st) == 0;
}

void profile_builtin_list(char ***names_out, size_t *count_out)
{
	size_t n = 0;
	char **names;

	while (profile_builtins[n].name)
		n++;
	names = xcalloc(n ? n : 1, sizeof(*names));
	for (size_t i = 0; i < n; i++)
		names[i] = xstrdup(profile_builtins[i].name);
	*names_out = names;
	*count_out = n;
}
