/*
 * libFuzzer target for the ForensicArtifacts importer, which reads definitions from anyone: the
 * input is taken as a definitions file and converted for each system, and, split at its first
 * NUL, as a second definitions file with a template. Each must finish without a crash, a leak
 * or a hang, and what is converted must be a profile that loads. Build and run it with
 * tests/fuzz-import.sh ("make fuzz" runs it with the others).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gather/profile-import.h"
#include "gather/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const oses[] = {NULL, "linux", "darwin", "windows"};

/* Convert, and check that the profile text loads (the importer checks each rule with the
 * profile parser; a whole profile that did not load would be a bug). */
static void convert(const struct fa_set *set, const char *os, const char *template_text)
{
	struct fa_import_options o = {.os = os};
	struct fa_import_result r;
	struct error err = {{0}};

	if (fa_import(set, &o, "t", template_text, &r, &err) == 0) {
		struct profile *p = NULL;

		if (!template_text &&
		    profile_parse(r.profile, strlen(r.profile), "f", &p, &err) < 0)
			abort();
		profile_free(p);
		fa_import_result_free(&r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(data, '\0', size);
	struct fa_set *set = fa_set_new();
	struct error err = {{0}};

	if (fa_set_parse(set, "a.yaml", text, size, &err) == 0)
		for (size_t i = 0; i < sizeof(oses) / sizeof(oses[0]); i++)
			convert(set, oses[i], NULL);
	fa_set_free(set);
	if (nul) {
		/* Before the NUL: definitions; after it: a template (NUL-terminated copy). */
		size_t n = (size_t)(nul - text), rest = size - n - 1;
		char *tmpl = malloc(rest + 1);

		if (!tmpl)
			return 0;
		memcpy(tmpl, nul + 1, rest);
		tmpl[rest] = '\0';
		set = fa_set_new();
		if (fa_set_parse(set, "b.yaml", text, n, &err) == 0)
			convert(set, NULL, tmpl);
		fa_set_free(set);
		free(tmpl);
	}
	return 0;
}
