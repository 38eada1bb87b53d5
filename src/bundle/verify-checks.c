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

/* bagit.txt's text (UTF-8, whatever the other tag files are), without a byte order mark. */
static const char *bagit_text(const struct reader *r)
{
	const char *text = r->bagit.buf ? r->bagit.buf : "";

	return str_has_prefix(text, "\xef\xbb\xbf") ? text + 3 : text;
}

void verify_read_bagit_txt(struct reader *r)
{
	struct bundle_field *f = NULL;
	size_t n = 0;
	const char *version, *enc;

	if (memchr(r->bagit.buf ? r->bagit.buf : "", '\0', r->bagit.len))
		return;
	tag_fields_parse(bagit_text(r), &f, &n);
	version = tag_fields_get(f, n, "BagIt-Version");
	enc = tag_fields_get(f, n, "Tag-File-Character-Encoding");
	r->legacy = version && (strcmp(version, "0.97") == 0 || strcmp(version, "0.96") == 0);
	if (enc && tag_encoding_parse(enc) >= 0)
		r->encoding = tag_encoding_parse(enc);
	tag_fields_free(f, n);
}

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
	tag_fields_parse(bagit_text(r), &f, &n);
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
	else if (tag_encoding_parse(enc) < 0) {
		char *shown = printable(enc);

		verify_problem(r,
		               "bagit.txt: tag file encoding '%s' is not supported (UTF-8, "
		               "ISO-8859-1 or UTF-16)",
		               shown);
		free(shown);
	} else if (tag_encoding_parse(enc) != TAG_ENC_UTF8 && r->encoding_late) {
		char *shown = printable(enc);

		verify_problem(r,
		               "bagit.txt comes after tag files it says are in %s, which were "
		               "read as UTF-8: put bagit.txt first in the tar",
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

	/* The Payload-Oxum of an incomplete bag counts the files still to fetch. */
	if (oxum == NULL || r->rep->files_to_fetch > 0)
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

/* Must this tag file be covered by the signature of a signed bag? What it says decides. */
static int tag_critical(const char *name)
{
	return strcmp(name, "bagit.txt") == 0 || strcmp(name, "bag-info.txt") == 0 ||
	       strcmp(name, "fetch.txt") == 0 || verify_manifest_alg(name, "manifest-") >= 0;
}

/* A tag file no tag manifest lists: RFC 8493 allows it, so it is named, not refused. */
static void unlisted_tag(struct reader *r, const char *name)
{
	struct bundle_report *rep = r->rep;
	char *shown = printable(name);

	if (r->have_signature) {
		verify_warning(r, "'%s' is not covered by the signature (not in %s)", shown,
		               "tagmanifest-sha256.txt");
		rep->n_uncovered_total++;
		if (rep->n_uncovered < BUNDLE_MAX_PROBLEMS) {
			rep->uncovered =
			        xreallocarray(rep->uncovered, rep->n_uncovered + 1, sizeof(char *));
			rep->uncovered[rep->n_uncovered++] = xstrdup(name);
		}
	} else {
		verify_warning(r, "'%s' is a tag file no tag manifest lists (not checked)", shown);
	}
	free(shown);
}

/* Move what a manifest lists under name from one entry to another. */
static void move_listing(struct reader *r, struct entry *from, struct entry *to)
{
	for (int a = 0; a < ALG_N; a++) {
		if (!(from->has_listed & (1u << a)))
			continue;
		if (to->has_listed & (1u << a)) {
			char *shown = printable(to->name);

			verify_problem(r, "manifest-%s.txt lists '%s' twice", alg_names[a], shown);
			free(shown);
			continue;
		}
		/* from is not present: what it keeps is what the manifest lists. */
		verify_set_digest(r, to, a, 1, verify_entry_digest(from, a));
	}
	from->has_listed = 0;
}

void verify_resolve_names(struct reader *r)
{
	if (r->n_dot > 0 && !r->legacy) {
		char *shown = printable(r->dot_example);

		verify_problem(r,
		               "a manifest lists '%s'%s, with a leading './' as BagIt 0.97 wrote "
		               "names; bagit.txt says 1.0",
		               shown, r->n_dot > 1 ? " and others" : "");
		free(shown);
	}
	for (size_t i = 0; i < name_table_count(r->written); i++) {
		struct written_name *w = name_table_item(r->written, i);
		struct entry *decoded = verify_entry_find(r, w->name, 0), *literal;

		if (decoded == NULL || decoded->has_listed == 0)
			continue;
		/*
		 * RFC 8493 reads it decoded; BagIt before 1.0 as written. A file under the decoded
		 * name wins in both: bagit-python 1.9 writes "BagIt-Version: 0.97" yet encodes a
		 * line break in a name as %0A (and leaves '%' as it is).
		 */
		if (decoded->present)
			continue;
		if (str_has_prefix(w->as_written, "data/") != str_has_prefix(w->name, "data/"))
			continue;
		literal = verify_entry_find(r, w->as_written, r->legacy);
		if (literal == NULL || (!r->legacy && !literal->present))
			continue;
		move_listing(r, decoded, literal);
		if (!r->legacy && r->n_literal++ == 0)
			r->literal_example = xstrdup(w->as_written);
	}
	if (r->n_literal > 0 && !r->legacy) {
		char *shown = printable(r->literal_example);

		verify_warning(r,
		               "'%s'%s matched as written: a '%%' there is not percent-encoding as "
		               "RFC 8493 requires (bagit-python does not encode '%%')",
		               shown, r->n_literal > 1 ? " and other names" : "");
		free(shown);
	}
}

void verify_fetch_line(struct reader *r, const char *line, size_t len)
{
	char *text = xstrndup(line, len), *p = text, *url, *length, *name, *decoded = NULL;
	const char *why;
	struct entry *e;

	/* A NUL would end the copy early (and the line's end would lie beyond it). */
	if (strlen(text) != len) {
		verify_problem(r, "fetch.txt line %llu: holds a NUL byte",
		               (unsigned long long)r->lp.line_no);
		goto out;
	}
	if (len > 0 && text[len - 1] == '\r')
		text[len - 1] = '\0';
	url = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	p += strspn(p, " \t");
	length = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	p += strspn(p, " \t");
	name = p;
	if (*url == '\0' || *length == '\0' || *name == '\0' ||
	    (strcmp(length, "-") != 0 && strspn(length, "0123456789") != strlen(length)) ||
	    strchr(url, ':') == NULL) {
		verify_problem(r, "fetch.txt line %llu: expected a URL, a length and a file name",
		               (unsigned long long)r->lp.line_no);
		goto out;
	}
	if (!r->legacy && strchr(name, '%') && manifest_decode_path(name, &decoded) == 0)
		name = decoded;
	if ((why = bundle_name_unsafe(name)) != NULL || !str_has_prefix(name, "data/")) {
		char *shown = printable(name);

		verify_problem(r, "fetch.txt names '%s', outside the payload (%s)", shown,
		               why ? why : "not under data/");
		free(shown);
		goto out;
	}
	if (verify_entry_count(r) >= 2 * r->opt->limits.max_members &&
	    !verify_entry_find(r, name, 0)) {
		if (!r->archive_broken)
			verify_problem(r, "fetch.txt lists more than %llu files: stopped",
			               (unsigned long long)r->opt->limits.max_members);
		r->archive_broken = 1;
		goto out;
	}
	e = verify_entry_find(r, name, 1);
	e->to_fetch = 1;
out:
	free(decoded);
	free(text);
}

/* Compare what is present with what the manifests list. */
void verify_check_entries(struct reader *r)
{
	verify_spill_settle(r);
	r->rep->payload_bytes += r->payload_bytes;
	for (size_t i = 0; i < name_table_count(r->entries); i++) {
		struct entry *e = name_table_item(r->entries, i);
		const char *file;
		unsigned int required;
		int payload, unchecked;

		if (e == NULL)
			continue;
		payload = str_has_prefix(e->name, "data/");
		if (!e->present && e->to_fetch) {
			/* Not there yet: fetch.txt says where it comes from. */
			r->rep->files_to_fetch++;
			continue;
		}
		if (e->present && !payload && !e->is_dir && r->tagmanifests && e->has_listed == 0 &&
		    !tag_exempt(e->name) && !(r->have_signature && tag_critical(e->name))) {
			unlisted_tag(r, e->name);
			continue;
		}
		file = payload ? "manifest" : "tagmanifest";
		/* "a" and "a/b" both files, or "a" a file and "a/b" a directory: no file system
		 * holds both, so no extraction would. */
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
		if (e->present && payload)
			r->rep->payload_files++;
		/* Every file must be listed in every manifest of its kind. */
		required = payload ? r->manifests : (tag_exempt(e->name) ? 0 : r->tagmanifests);
		unchecked = 0;
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
				/* A stream whose manifest came after the file: never INVALID. */
				unchecked = 1;
			else if (e->mismatch & (1u << a))
				verify_problem(r,
				               "'%s' does not match its %s checksum in %s-%s.txt "
				               "(changed)",
				               shown, alg_labels[a], file, alg_names[a]);
			free(shown);
		}
		r->n_unchecked += (uint64_t)unchecked;
	}
}
