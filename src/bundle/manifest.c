/* Names inside a bag, and BagIt manifest line encoding and parsing. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "bundle/manifest.h"

void bagname_encode_to(struct strbuf *sb, const char *raw, size_t len, int *changed)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)raw;
	size_t i = 0;

	*changed = 0;
	strbuf_grow(sb, len);
	while (i < len) {
		size_t seq, plain = i;

		/* Printable ASCII but '%' and '\\' stays as it is: most names are only that. */
		while (plain < len && p[plain] >= 0x20 && p[plain] < 0x7f && p[plain] != '%' &&
		       p[plain] != '\\')
			plain++;
		if (plain > i) {
			strbuf_add(sb, p + i, plain - i);
			i = plain;
			continue;
		}
		seq = utf8_sequence_len(p + i, len - i);
		if (seq == 0 || p[i] < 0x20 || p[i] == 0x7f || p[i] == '%' || p[i] == '\\') {
			char esc[4] = {'\\', 'x', digits[p[i] >> 4], digits[p[i] & 15]};

			strbuf_add(sb, esc, 4);
			*changed = 1;
			i++;
		} else {
			strbuf_add(sb, p + i, seq);
			i += seq;
		}
	}
}

char *bagname_encode(const char *raw, size_t len, int *changed)
{
	struct strbuf sb = STRBUF_INIT;

	bagname_encode_to(&sb, raw, len, changed);
	return strbuf_detach(&sb);
}

int bagname_decode(const char *name, char **raw_out, size_t *len_out)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = name; *p; p++) {
		if (*p == '\\') {
			int hi, lo;

			if (p[1] != 'x' || (hi = hex_digit_value((unsigned char)p[2])) < 0 ||
			    (lo = hex_digit_value((unsigned char)p[3])) < 0 ||
			    (hi == 0 && lo == 0)) {
				strbuf_release(&sb);
				return -1;
			}
			strbuf_addch(&sb, (char)(hi * 16 + lo));
			p += 3;
		} else {
			strbuf_addch(&sb, *p);
		}
	}
	if (len_out)
		*len_out = sb.len;
	*raw_out = strbuf_detach(&sb);
	return 0;
}

char *manifest_encode_path(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = path; *p; p++) {
		if (*p == '%')
			strbuf_addstr(&sb, "%25");
		else if (*p == '\r')
			strbuf_addstr(&sb, "%0D");
		else if (*p == '\n')
			strbuf_addstr(&sb, "%0A");
		else
			strbuf_addch(&sb, *p);
	}
	return strbuf_detach(&sb);
}

int manifest_decode_path(const char *text, char **out)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = text; *p; p++) {
		if (*p == '%') {
			int hi = hex_digit_value((unsigned char)p[1]), lo;

			if (hi < 0 || (lo = hex_digit_value((unsigned char)p[2])) < 0 ||
			    (hi == 0 && lo == 0)) {
				strbuf_release(&sb);
				return -1;
			}
			strbuf_addch(&sb, (char)(hi * 16 + lo));
			p += 2;
		} else {
			strbuf_addch(&sb, *p);
		}
	}
	*out = strbuf_detach(&sb);
	return 0;
}

int manifest_parse_line(const char *line, size_t len, size_t hex_len, char *hex_out,
                        char **path_out, struct error *err)
{
	char *path;

	if (manifest_split_line(line, len, hex_len, hex_out, &path, err) < 0)
		return -1;
	if (manifest_decode_path(path, path_out) < 0) {
		free(path);
		error_set(err, "malformed percent-encoding in file name");
		return -1;
	}
	free(path);
	return 0;
}

int manifest_split_line(const char *line, size_t len, size_t hex_len, char *hex_out,
                        char **path_out, struct error *err)
{
	size_t i = 0, start;

	if (memchr(line, '\0', len) != NULL) {
		error_set(err, "NUL byte in manifest line");
		return -1;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	while (i < len && i < hex_len && isxdigit((unsigned char)line[i])) {
		hex_out[i] = (char)tolower((unsigned char)line[i]);
		i++;
	}
	if (i != hex_len) {
		error_set(err, "expected a %zu-digit hex checksum", hex_len);
		return -1;
	}
	hex_out[hex_len] = '\0';
	if (i >= len || (line[i] != ' ' && line[i] != '\t')) {
		error_set(err, "expected blanks after the checksum");
		return -1;
	}
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < len && line[i] == '*') /* sha256sum's binary-mode marker */
		i++;
	start = i;
	if (start >= len) {
		error_set(err, "no file name after the checksum");
		return -1;
	}
	*path_out = xstrndup(line + start, len - start);
	return 0;
}

char *bagname_for_path(const char *raw, size_t len, int *escaped, int *shortened)
{
	char *name = bagname_encode(raw, len, escaped);
	size_t component = 0, total = 0;
	char hex[SHA256_HEX_LEN + 1];

	*shortened = 0;
	for (const char *p = name; *p; p++, total++) {
		component = *p == '/' ? 0 : component + 1;
		if (component > 255)
			break;
	}
	if (component <= 255 && total <= BAGNAME_MAX)
		return name;
	free(name);
	if (sha256_hex(raw, len, hex, NULL) < 0)
		abort(); /* SHA-256 is there, or nothing in logpack works */
	*shortened = 1;
	return xasprintf("\\long/%s", hex);
}
