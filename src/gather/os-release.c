/* The one os-release reader: where to find it under a root, and how to parse it. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gather/detect.h"
#include "gather/os-release.h"

/* os-release is a few hundred bytes; anything much larger is not one. */
#define OS_RELEASE_MAX (64 * 1024)

/*
 * The value of an assignment, read as one shell word: '...' literally, "..." with \ undoing
 * the four characters the shell gives meaning there ($ " \ `), outside quotes \ taking the
 * next character literally; an unquoted blank ends the word (a trailing comment, say).
 */
static char *value_word(const char *v)
{
	struct strbuf sb = STRBUF_INIT;

	while (*v && *v != '\n' && *v != '\r') {
		if (*v == '\'') {
			for (v++; *v && *v != '\''; v++)
				strbuf_addch(&sb, *v);
			if (*v)
				v++;
		} else if (*v == '"') {
			for (v++; *v && *v != '"'; v++) {
				if (*v == '\\' && v[1] && strchr("$\"\\`", v[1]))
					v++;
				strbuf_addch(&sb, *v);
			}
			if (*v)
				v++;
		} else if (*v == ' ' || *v == '\t') {
			break;
		} else {
			if (*v == '\\' && v[1] && v[1] != '\n')
				v++;
			strbuf_addch(&sb, *v++);
		}
	}
	return strbuf_detach(&sb);
}

static void lowercase(char *s)
{
	for (; s && *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

void os_release_parse(const char *text, struct os_release *o)
{
	static const struct {
		const char *key;
		size_t offset;
	} keys[] = {
	        {"ID", offsetof(struct os_release, id)},
	        {"ID_LIKE", offsetof(struct os_release, id_like)},
	        {"NAME", offsetof(struct os_release, name)},
	        {"VERSION_ID", offsetof(struct os_release, version_id)},
	        {"PRETTY_NAME", offsetof(struct os_release, pretty_name)},
	};
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n'), *eq;
		size_t klen;

		while (*line == ' ' || *line == '\t')
			line++;
		eq = strchr(line, '=');
		if (*line != '#' && eq && (nl == NULL || eq < nl)) {
			klen = (size_t)(eq - line);
			for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
				char **field = (char **)((char *)o + keys[i].offset);

				if (strlen(keys[i].key) != klen ||
				    strncmp(line, keys[i].key, klen) != 0)
					continue;
				/* The last assignment wins, as when the shell sources the file. */
				free(*field);
				*field = value_word(eq + 1);
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	/* IDs are lowercase by definition; a sloppy file should still match. */
	lowercase(o->id);
	lowercase(o->id_like);
}

int os_release_read(int root_fd, struct os_release *o)
{
	static const char *const paths[] = {"etc/os-release", "usr/lib/os-release"};

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *text = NULL, *resolved = NULL;
		int fd = detect_open_in_root(root_fd, paths[i], 0, 0, &resolved), rc;

		if (fd < 0)
			continue;
		rc = read_fd_small(fd, OS_RELEASE_MAX, &text, NULL);
		close(fd);
		if (rc < 0) {
			free(resolved);
			continue;
		}
		if (strcmp(resolved, paths[i]) == 0)
			o->path = xstrdup(paths[i]);
		else
			o->path = xasprintf("%s -> %s", paths[i], resolved);
		free(resolved);
		os_release_parse(text, o);
		free(text);
		return 1;
	}
	return 0;
}

void os_release_free(struct os_release *o)
{
	free(o->path);
	free(o->id);
	free(o->id_like);
	free(o->name);
	free(o->version_id);
	free(o->pretty_name);
	memset(o, 0, sizeof(*o));
}
