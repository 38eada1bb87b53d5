/* Reading an incident report back from a bundle's incident.json, for `show` and `verify`. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/utf8.h"
#include "report/incident-private.h"

/* Copy an answer from a bundle with anything that could drive a terminal made visible. */
static char *escape_for_display(const char *s, int multiline)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (n == 0) { /* jansson accepts only UTF-8; this is defence in depth */
			strbuf_addf(&sb, "\\x%02x", p[i]);
			i++;
			continue;
		}
		if ((cp == '\n' && multiline) || cp == '\t')
			strbuf_addch(&sb, (char)cp);
		else if (incident_char_is_dangerous(cp) && cp < 0x100)
			strbuf_addf(&sb, "\\x%02x", (unsigned)cp);
		else if (incident_char_is_dangerous(cp))
			strbuf_addf(&sb, "\\u{%04X}", (unsigned)cp);
		else
			strbuf_add(&sb, p + i, n);
		i += n;
	}
	return strbuf_detach(&sb);
}

int incident_from_json(const char *json, size_t len, struct incident **out, struct error *err)
{
	struct incident *inc = NULL;
	json_error_t jerr;
	json_t *root = NULL, *v;
	int rc = -1;

	if (len > INCIDENT_MAX_JSON_BYTES) {
		error_set(err, "incident.json: larger than %d bytes", INCIDENT_MAX_JSON_BYTES);
		goto out;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		error_set(err, "incident.json: line %d: %s", jerr.line, jerr.text);
		goto out;
	}
	v = json_object_get(root, "format");
	if (!json_is_object(root) || !json_is_string(v) ||
	    strcmp(json_string_value(v), "logpack-incident") != 0) {
		error_set(err, "incident.json: not a logpack incident report");
		goto out;
	}
	inc = xcalloc(1, sizeof(*inc));
	inc->police_reported = -1;
	for (int f = 0; f < INCIDENT_N_FIELDS; f++) {
		v = json_object_get(root, incident_fields[f].json_key);
		if (v == NULL || json_is_null(v))
			continue;
		if (f == INCIDENT_POLICE_REPORT && json_is_boolean(v)) {
			inc->police_reported = json_is_true(v);
			inc->value[f] = xstrdup(json_is_true(v) ? "yes" : "no");
		} else if (json_is_string(v) && f != INCIDENT_POLICE_REPORT) {
			inc->value[f] = escape_for_display(json_string_value(v),
			                                   incident_fields[f].multiline);
		} else {
			error_set(err, "incident.json: %s has the wrong type",
			          incident_fields[f].json_key);
			goto out;
		}
	}
	if (inc->value[INCIDENT_TLP] &&
	    incident_tlp_normalize(inc->value[INCIDENT_TLP], inc->tlp) < 0)
		inc->tlp[0] = '\0';
	v = json_object_get(root, "detected_at_utc");
	if (json_is_string(v) && parse_iso8601(json_string_value(v), &inc->detected_utc) == 0)
		inc->has_detected_utc = 1;
	*out = inc;
	inc = NULL;
	rc = 0;
out:
	incident_free(inc);
	json_decref(root);
	return rc;
}

/* The first line of an answer, cut to max characters with "..." when longer. */
static void add_first_line(struct strbuf *sb, const char *value, size_t max)
{
	size_t n = strcspn(value, "\n"), chars = 0, i;

	for (i = 0; i < n; i++) {
		if (((unsigned char)value[i] & 0xc0) != 0x80 && ++chars > max)
			break;
	}
	strbuf_add(sb, value, i);
	if (i < n || value[n] == '\n')
		strbuf_addstr(sb, " ...");
}

char *incident_summary(const struct incident *inc)
{
	struct strbuf sb = STRBUF_INIT;
	const char *case_ref = inc->value[INCIDENT_CASE_REFERENCE];

	strbuf_addf(&sb, "%s  incident report from %s", inc->tlp[0] ? inc->tlp : "TLP:(none)",
	            incident_answer_or_dash(inc->value[INCIDENT_ORGANISATION]));
	if (case_ref && *case_ref)
		strbuf_addf(&sb, ", case %s", case_ref);
	strbuf_addf(&sb, "\n  contact:  %s, %s, %s\n",
	            incident_answer_or_dash(inc->value[INCIDENT_CONTACT_NAME]),
	            incident_answer_or_dash(inc->value[INCIDENT_CONTACT_PHONE]),
	            incident_answer_or_dash(inc->value[INCIDENT_CONTACT_EMAIL]));
	strbuf_addstr(&sb, "  detected: ");
	incident_add_detected(&sb, inc);
	strbuf_addstr(&sb, "\n  what:     ");
	add_first_line(&sb, incident_answer_or_dash(inc->value[INCIDENT_WHAT_HAPPENED]), 100);
	strbuf_addch(&sb, '\n');
	if (inc->value[INCIDENT_SHARING_CONDITIONS] && *inc->value[INCIDENT_SHARING_CONDITIONS]) {
		strbuf_addstr(&sb, "  sharing:  ");
		add_first_line(&sb, inc->value[INCIDENT_SHARING_CONDITIONS], 100);
		strbuf_addch(&sb, '\n');
	}
	return strbuf_detach(&sb);
}
