/* The checks of a whole bag once every member is read: bagit.txt, Payload-Oxum, and what the
 * manifests list against what is there. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bundle/manifest.h"
#include "bundle/tagfile.h"
#include "bundle/verify-private.h"

#define printable bundle_printable_name

void verify_check_bagit_txt(struct reader *r)
{
	struct bundle_field *f = NULL;
	size_t n = 0;
	const char *version, *enc;

	if (!r->have_bagit) {
		verify_problem(r, "bagit.txt is missing: not a BagIt bag");
		return;
	}
	if (memchr(r->bagit.buf ? r->bagit.buf : "", '\0', r->bagit.len)) {
		verify_problem(r, "bagit.txt holds a NUL byte");
		return;
	}
	tag_fields_parse(r->bagit.buf ? r->bagit.buf : "", &f, &n);
	version = tag_fields_get(f, n, "BagIt-Version");
	enc = tag_fields_get(f, n, "Tag-File-Character-Encoding");
	if (version == NULL)
		verify_problem(r, "bagit.txt has no BagIt-Version");
	else if (strcmp(version, "1.0") != 0 && strcmp(version, "0.97") != 0 &&
	         strcmp(version, "0.96") != 0) {
		char *shown = printable(version);

		verify_problem(r, "bagit.txt: unsupported BagIt-Version '%s'", shown);
		free(shown);
	}
	if (enc == NULL)
		verify_problem(r, "bagit.txt has no Tag-File-Character-Encoding");
	else if (strcasecmp(enc, "UTF-8") != 0) {
		char *shown = printable(enc);

		verify_problem(r, "bagit.txt: tag file encoding '%s' is not supported (UTF-8 only)",
		               shown);
		free(shown);
	}
	tag_fields_free(f, n);
}

void verify_check_oxum(struct reader *r)
{
	const char *oxum = tag_fields_get(r->rep->info, r->rep->n_info, "Payload-Oxum");
	unsigned long long octets, count;
	char tail;

	if (oxum == NULL)
		return;
	if (sscanf(oxum, "%llu.%llu%c", &octets, &count, &tail) != 2) {
		char *shown = printable(oxum);

		verify_problem(r, "bag-info.txt: malformed Payload-Oxum '%s'", shown);
		free(shown);
		return;
	}
	if (octets != r->rep->payload_bytes || count != r->rep->payload_files)
		verify_problem(
		        r,
		        "Payload-Oxum in bag-info.txt says %llu bytes in %llu files; the payload "
		        "holds %llu bytes in %llu files",
		        octets, count, (unsigned long long)r->rep->payload_bytes,
		        (unsigned long long)r->rep->payload_files);
}

/*
 * Is this tag file one a tag manifest cannot list (the manifests of tags, the signature)? Only
 * tag manifests that are checked: any other file, whatever its name, must be covered, or it
 * would ride along unsigned in a signed bag.
 */
static int tag_exempt(const char *name)
{
	return verify_manifest_alg(name, "tagmanifest-") >= 0 || strcmp(name, SIGNATURE_NAME) == 0;
}

/* Compare what is present with what the manifests list. */
void verify_check_entries(struct reader *r)
{
	for (size_t i = 0; i < name_table_count(r->entries); i++) {
		struct entry *e = name_table_item(r->entries, i);
		const char *file;
		unsigned int required;
		int payload;

		if (e == NULL)
			continue;
		payload = str_has_prefix(e->name, "data/");
		file = payload ? "manifest" : "tagmanifest";
		if (e->present && e->is_dir) {
			for (int a = 0; a < ALG_N; a++)
				if (e->has_listed & (1u << a)) {
					verify_problem_name(
					        r, e->name,
					        "is listed as a file but is a directory");
					break;
				}
			continue;
		}
		if (e->present && payload) {
			r->rep->payload_files++;
			r->rep->payload_bytes += e->size;
		}
		/* "a" and "a/b" both files: no file system holds both, so no extraction would. */
		for (const char *slash = strchr(e->name, '/'); e->present && slash;
		     slash = strchr(slash + 1, '/')) {
			char *prefix = xstrndup(e->name, (size_t)(slash - e->name));
			struct entry *up = verify_entry_find(r, prefix, 0);

			free(prefix);
			if (up && up->present && !up->is_dir) {
				char *shown = printable(up->name);

				verify_problem(
				        r,
				        "'%s' is a file, and also the directory of another member",
				        shown);
				free(shown);
				break;
			}
		}
		/* Every file must be listed in every manifest of its kind. */
		required = payload ? r->manifests : (tag_exempt(e->name) ? 0 : r->tagmanifests);
		for (int a = 0; a < ALG_N; a++) {
			char *shown;

			int listed = (e->has_listed >> a) & 1, computed = (e->has_actual >> a) & 1;

			if (e->present && !listed && !(required & (1u << a)))
				continue;
			if (!e->present && !listed)
				continue;
			shown = printable(e->name);
			if (!listed)
				verify_problem(r,
				               "'%s' is not listed in %s-%s.txt (a file was added)",
				               shown, file, alg_names[a]);
			else if (!e->present)
				verify_problem(r, "'%s' is listed in %s-%s.txt but missing", shown,
				               file, alg_names[a]);
			else if (!computed)
				verify_problem(
				        r,
				        "'%s' could not be checked against %s-%s.txt in one pass "
				        "(the "
				        "manifest comes after it); verify the extracted bag "
				        "directory",
				        shown, file, alg_names[a]);
			else if (memcmp(verify_entry_digest(e, a, 0), verify_entry_digest(e, a, 1),
			                alg_hex_len[a] / 2) != 0)
				verify_problem(r,
				               "'%s' does not match its %s checksum in %s-%s.txt "
				               "(changed)",
				               shown, alg_labels[a], file, alg_names[a]);
			free(shown);
		}
	}
}
