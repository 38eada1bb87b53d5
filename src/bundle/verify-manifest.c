/* The (tag) manifest and fetch.txt lines of a bag, fed to the verifier as their bytes arrive. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/printable.h"
#include "bundle/manifest.h"
#include "bundle/verify-private.h"

static int hex_nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
}

/*
 * A manifest name as read: percent-decoded (RFC 8493), with the name as written kept aside when
 * it differs, since bagit-python does not encode '%' and BagIt 0.97 decodes nothing (though
 * bagit-python writes a line break as %0A); which one the bag means is settled once all is read
 * (verify_resolve_names). A '%' that is not an escape can only be meant as written. Takes path;
 * returns the name to use.
 */
static char *decode_name(struct reader *r, char *path)
{
	struct written_name *w;
	char *decoded;

	if (strchr(path, '%') == NULL)
		return path;
	if (manifest_decode_path(path, &decoded) < 0) {
		if (r->n_literal++ == 0)
			r->literal_example = xstrdup(path);
		return path;
	}
	if (strcmp(decoded, path) == 0) {
		free(decoded);
		return path;
	}
	if (!r->archive_broken && name_table_find(r->written, decoded) == NULL) {
		uint64_t before = name_table_memory(r->written);

		w = name_table_add(r->written, decoded);
		w->as_written = path;
		/* The table's share, and the name as written with its allocation overhead. */
		verify_charge(r, name_table_memory(r->written) - before + strlen(path) + 1 + 16);
	} else {
		free(path);
	}
	return decoded;
}

/* One line of a (tag) manifest: record what it lists. */
static void manifest_line(struct reader *r, struct line_parser *lp, const char *line, size_t len)
{
	const char *file = lp->tag ? "tagmanifest" : "manifest";
	char hex[129], *path = NULL;
	unsigned char d[64];
	const char *why;
	struct error err;
	struct entry *e;

	lp->line_no++;
	if (len == 0 || (len == 1 && line[0] == '\r'))
		return;
	if (lp->fetch) {
		verify_fetch_line(r, line, len);
		return;
	}
	if (manifest_split_line(line, len, alg_hex_len[lp->alg], hex, &path, &err) < 0) {
		verify_problem(r, "%s-%s.txt line %llu: %s", file, alg_names[lp->alg],
		               (unsigned long long)lp->line_no, err.msg);
		return;
	}
	/*
	 * BagIt 0.97 wrote "./data/a"; 1.0 does not allow it. bagit.txt may come after the
	 * manifests in a tar, so the name is taken without it, and the version judged at the end.
	 */
	if (str_has_prefix(path, "./") && path[2] != '\0' && path[2] != '/') {
		char *rest = xstrdup(path + 2);

		if (r->n_dot++ == 0)
			r->dot_example = xstrdup(path);
		free(path);
		path = rest;
	}
	path = decode_name(r, path);
	if ((why = bundle_name_unsafe(path)) != NULL || str_has_prefix(path, "./")) {
		char *shown = printable(path);

		verify_problem(r, "%s-%s.txt lists '%s', which %s", file, alg_names[lp->alg], shown,
		               why ? why : "is not a plain relative name");
		free(shown);
		goto out;
	}
	if (lp->tag == str_has_prefix(path, "data/")) {
		char *shown = printable(path);

		verify_problem(r, "%s-%s.txt lists '%s', %s", file, alg_names[lp->alg], shown,
		               lp->tag ? "a payload file (tag manifests list tag files)"
		                       : "which is outside data/");
		free(shown);
		goto out;
	}
	for (size_t k = 0; k < alg_hex_len[lp->alg] / 2; k++)
		d[k] = (unsigned char)(hex_nibble(hex[2 * k]) << 4 | hex_nibble(hex[2 * k + 1]));
	/* The next file in the spill, listed with its digest: nothing more to keep. */
	if (!lp->tag && verify_spill_match(r, path, lp->alg, d))
		goto out;
	/* Manifest lines cost memory like members do: bound them the same way. */
	if (verify_entry_count(r) >= 2 * r->opt->limits.max_members &&
	    !verify_entry_find(r, path, 0)) {
		if (!r->archive_broken)
			verify_problem(
			        r,
			        "the manifests list more than %llu files: stopped (raise the limit "
			        "with --max-members)",
			        (unsigned long long)r->opt->limits.max_members);
		r->archive_broken = 1;
		goto out;
	}
	e = verify_entry_find(r, path, 1);
	if (e->has_listed & (1u << lp->alg)) {
		char *shown = printable(path);

		verify_problem(r, "%s-%s.txt lists '%s' twice", file, alg_names[lp->alg], shown);
		free(shown);
		goto out;
	}
	verify_set_digest(r, e, lp->alg, 1, d);
out:
	free(path);
}

void verify_lines_feed(struct reader *r, struct line_parser *lp, const char *buf, size_t len)
{
	while (len > 0) {
		const char *what = lp->fetch ? "fetch" : lp->tag ? "tagmanifest-" : "manifest-";
		const char *nl = memchr(buf, '\n', len);
		size_t take = nl ? (size_t)(nl - buf) : len;

		if (!lp->too_long) {
			if (lp->line.len + take > LINE_MAX_LEN) {
				lp->too_long = 1;
				verify_problem(r, "%s%s.txt: a line longer than %d bytes", what,
				               lp->fetch ? "" : alg_names[lp->alg], LINE_MAX_LEN);
			} else {
				strbuf_add(&lp->line, buf, take);
			}
		}
		if (nl == NULL)
			return;
		if (!lp->too_long)
			manifest_line(r, lp, lp->line.buf ? lp->line.buf : "", lp->line.len);
		else
			lp->line_no++;
		lp->too_long = 0;
		strbuf_reset(&lp->line);
		buf = nl + 1;
		len -= take + 1;
	}
}

/* The raw bytes of a line-oriented tag file: decoded from its encoding, then split in lines. */
void verify_lines_raw(struct reader *r, struct line_parser *lp, const unsigned char *buf,
                      size_t len)
{
	if (lp->line_no == 0 && lp->line.len == 0 && lp->dec.enc == TAG_ENC_UTF8 &&
	    r->encoding < 0 && len >= 2 &&
	    ((buf[0] == 0xff && buf[1] == 0xfe) || (buf[0] == 0xfe && buf[1] == 0xff)))
		/* Before bagit.txt: a UTF-16 byte order mark says what the file is. */
		tag_decoder_init(&lp->dec, TAG_ENC_UTF16);
	if (lp->dec.enc == TAG_ENC_UTF8) {
		verify_lines_feed(r, lp, (const char *)buf, len);
		return;
	}
	strbuf_reset(&lp->text);
	tag_decoder_feed(&lp->dec, buf, len, &lp->text);
	if (lp->text.len > 0)
		verify_lines_feed(r, lp, lp->text.buf, lp->text.len);
}

void verify_lines_end(struct reader *r, struct line_parser *lp)
{
	if (lp->line.len > 0 && !lp->too_long)
		manifest_line(r, lp, lp->line.buf, lp->line.len);
	strbuf_reset(&lp->line);
	lp->too_long = 0;
	lp->line_no = 0;
}
