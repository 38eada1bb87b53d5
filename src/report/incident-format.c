/* The incident report written out: the template to fill in, incident.json, incident.txt. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/incident-private.h"

/* Add text as "# "-comment lines, wrapped at 78 columns (counting UTF-8 characters). */
static void add_comment(struct strbuf *sb, const char *prefix, const char *text)
{
	const char *p = text;
	size_t width = 0;

	strbuf_addstr(sb, prefix);
	width = strlen(prefix);
	while (*p) {
		const char *end = p;
		size_t chars = 0;

		while (*end && *end != ' ') {
			if (((unsigned char)*end & 0xc0) != 0x80)
				chars++;
			end++;
		}
		if (width > strlen(prefix) && width + 1 + chars > 78) {
			strbuf_addch(sb, '\n');
			strbuf_addstr(sb, prefix);
			width = strlen(prefix);
		} else if (width > strlen(prefix)) {
			strbuf_addch(sb, ' ');
			width++;
		}
		strbuf_add(sb, p, (size_t)(end - p));
		width += chars;
		p = end;
		while (*p == ' ')
			p++;
	}
	strbuf_addch(sb, '\n');
}

/* "key: answer", or the answer on indented lines below the key when it has several. */
static void add_field(struct strbuf *sb, const char *key, const char *value)
{
	strbuf_addf(sb, "%s:", key);
	if (value == NULL || *value == '\0') {
		strbuf_addch(sb, '\n');
		return;
	}
	if (strchr(value, '\n') == NULL) {
		strbuf_addf(sb, " %s\n", value);
		return;
	}
	strbuf_addch(sb, '\n');
	for (const char *p = value; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n > 0) {
			strbuf_addstr(sb, "  ");
			strbuf_add(sb, p, n);
		}
		strbuf_addch(sb, '\n');
		p += n;
		if (*p == '\n')
			p++;
	}
}

static const char *const template_head[2] = {
        "# logpack incident report: the first contact with CERT-SE\n"
        "#\n"
        "# Write each answer after its colon. A longer answer goes on the lines below\n"
        "# the key, each indented by two spaces; an empty line between indented lines\n"
        "# keeps a paragraph break. Lines starting with # are comments. Write\n"
        "# \"unknown\" where you do not know yet, and correct it later.\n"
        "#\n"
        "#   Check the file:        logpack incident check FILE\n"
        "#   Put it in the bundle:  logpack collect --incident FILE ...\n"
        "#\n"
        "# CERT-SE: cert@cert.se, +46 10-240 40 40, around the clock.\n",
        "# logpack incidentrapport: första kontakten med CERT-SE\n"
        "#\n"
        "# Skriv varje svar efter kolonet. Ett längre svar skrivs på raderna under\n"
        "# nyckeln, var och en indragen med två blanksteg; en tom rad mellan indragna\n"
        "# rader behåller ett styckebyte. Rader som börjar med # är kommentarer. Skriv\n"
        "# \"vet ej\" där ni inte vet ännu, och rätta senare.\n"
        "#\n"
        "#   Kontrollera filen:   logpack incident check FIL\n"
        "#   Lägg den i paketet:  logpack collect --incident FIL ...\n"
        "#\n"
        "# CERT-SE: cert@cert.se, +46 10-240 40 40, dygnet runt.\n",
};

/* Section headings, before the field they start. */
static const struct {
	enum incident_field before;
	const char *title[2];
} sections[] = {
        {INCIDENT_ORGANISATION,
         {"Who is reporting, and whom CERT-SE calls back",
          "Vem som rapporterar, och vem CERT-SE ringer upp"}},
        {INCIDENT_CASE_REFERENCE, {"The incident", "Incidenten"}},
        {INCIDENT_WHAT_HAPPENED, {"CERT-SE's questions", "CERT-SE:s frågor"}},
};

char *incident_format(const struct incident *inc, enum incident_lang lang)
{
	struct strbuf sb = STRBUF_INIT;
	static const char *const required[2] = {" (required)", " (obligatorisk)"};

	strbuf_addstr(&sb, template_head[lang]);
	for (int f = 0; f < INCIDENT_N_FIELDS; f++) {
		const struct incident_field_info *fi = &incident_fields[f];
		const char *value = inc ? inc->value[f] : NULL;
		char *text;

		strbuf_addch(&sb, '\n');
		for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++)
			if (sections[s].before == (enum incident_field)f)
				strbuf_addf(&sb, "## %s\n\n", sections[s].title[lang]);
		text = xasprintf("%s%s", fi->question[lang], fi->required ? required[lang] : "");
		add_comment(&sb, "# ", text);
		free(text);
		if (fi->hint[lang])
			add_comment(&sb, "# ", fi->hint[lang]);
		if (f == INCIDENT_TLP)
			for (size_t i = 0; i < incident_n_tlp_labels; i++)
				strbuf_addf(&sb, "#   %-17s %s\n", incident_tlp_labels[i].label,
				            incident_tlp_labels[i].meaning[lang]);
		/* A new template says which language its answers are in. */
		if (f == INCIDENT_LANGUAGE && inc == NULL)
			value = lang == INCIDENT_LANG_SV ? "sv" : "en";
		add_field(&sb, fi->key, value);
	}
	return strbuf_detach(&sb);
}

/* incident.json and incident.txt */

static json_t *json_string_or_null(const char *s)
{
	json_t *j;

	if (s == NULL || *s == '\0')
		return json_null();
	/* The parser replaced bytes that are not UTF-8, so this holds; fail safe regardless. */
	j = json_string(s);
	return j ? j : json_null();
}

char *incident_to_json(const struct incident *inc)
{
	json_t *root = json_object();
	char when[32];
	char *out;

	json_object_set_new(root, "format", json_string("logpack-incident"));
	json_object_set_new(root, "version", json_integer(1));
	for (int f = 0; f < INCIDENT_N_FIELDS; f++) {
		const char *key = incident_fields[f].json_key;

		if (f == INCIDENT_POLICE_REPORT) {
			json_object_set_new(root, key,
			                    inc->police_reported < 0
			                            ? json_null()
			                            : json_boolean(inc->police_reported));
		} else if (f == INCIDENT_TLP && inc->tlp[0]) {
			json_object_set_new(root, key, json_string(inc->tlp));
		} else {
			json_object_set_new(root, key, json_string_or_null(inc->value[f]));
		}
		if (f == INCIDENT_DETECTED_AT)
			json_object_set_new(root, "detected_at_utc",
			                    inc->has_detected_utc ? json_string(format_iso8601(
			                                                    inc->detected_utc, when,
			                                                    sizeof(when)))
			                                          : json_null());
	}
	out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (out == NULL)
		abort(); /* only out of memory makes jansson fail here */
	/* json_dumps allocates with malloc; hand the caller a string that ends with a newline. */
	{
		char *with_nl = xasprintf("%s\n", out);

		free(out);
		return with_nl;
	}
}

/* Indent every line of a (possibly multi-line) answer by four spaces. */
static void add_indented(struct strbuf *sb, const char *value)
{
	for (const char *p = value; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n > 0) {
			strbuf_addstr(sb, "    ");
			strbuf_add(sb, p, n);
		}
		strbuf_addch(sb, '\n');
		p += n;
		if (*p == '\n')
			p++;
	}
}

void incident_add_detected(struct strbuf *sb, const struct incident *inc)
{
	char when[32];

	strbuf_addstr(sb, incident_answer_or_dash(inc->value[INCIDENT_DETECTED_AT]));
	if (inc->value[INCIDENT_TIME_ZONE] && *inc->value[INCIDENT_TIME_ZONE] &&
	    !incident_time_has_offset(incident_answer_or_dash(inc->value[INCIDENT_DETECTED_AT])))
		strbuf_addf(sb, " %s", inc->value[INCIDENT_TIME_ZONE]);
	if (inc->has_detected_utc)
		strbuf_addf(sb, " (%s)", format_iso8601(inc->detected_utc, when, sizeof(when)));
}

char *incident_to_text(const struct incident *inc)
{
	struct strbuf sb = STRBUF_INIT;
	const char *tlp =
	        inc->tlp[0] ? inc->tlp : incident_answer_or_dash(inc->value[INCIDENT_TLP]);

	/* TLP 2.0 asks for the label at the top of a document. */
	strbuf_addf(&sb, "%s\n\n", tlp);
	strbuf_addstr(&sb, "Incident report for CERT-SE / Incidentrapport till CERT-SE\n\n");
	for (int f = INCIDENT_ORGANISATION; f < INCIDENT_WHAT_HAPPENED; f++) {
		strbuf_addf(&sb, "%s / %s: ", incident_fields[f].label[0],
		            incident_fields[f].label[1]);
		if (f == INCIDENT_DETECTED_AT)
			incident_add_detected(&sb, inc);
		else
			strbuf_addstr(&sb, incident_answer_or_dash(inc->value[f]));
		strbuf_addch(&sb, '\n');
	}
	strbuf_addf(&sb, "%s / %s: %s\n", incident_fields[INCIDENT_LANGUAGE].label[0],
	            incident_fields[INCIDENT_LANGUAGE].label[1],
	            incident_answer_or_dash(inc->value[INCIDENT_LANGUAGE]));
	for (int f = INCIDENT_WHAT_HAPPENED; f < INCIDENT_N_FIELDS; f++) {
		if (f == INCIDENT_POLICE_REFERENCE || f == INCIDENT_SHARING_CONDITIONS)
			continue; /* shown with the question they belong to */
		strbuf_addf(&sb, "\n%s\n%s\n", incident_fields[f].question[0],
		            incident_fields[f].question[1]);
		if (f == INCIDENT_TLP) {
			add_indented(&sb, tlp);
			if (inc->value[INCIDENT_SHARING_CONDITIONS] &&
			    *inc->value[INCIDENT_SHARING_CONDITIONS]) {
				strbuf_addf(&sb, "    %s / %s:\n",
				            incident_fields[INCIDENT_SHARING_CONDITIONS].label[0],
				            incident_fields[INCIDENT_SHARING_CONDITIONS].label[1]);
				add_indented(&sb, inc->value[INCIDENT_SHARING_CONDITIONS]);
			}
			continue;
		}
		add_indented(&sb, incident_answer_or_dash(inc->value[f]));
		if (f == INCIDENT_POLICE_REPORT && inc->value[INCIDENT_POLICE_REFERENCE] &&
		    *inc->value[INCIDENT_POLICE_REFERENCE])
			strbuf_addf(&sb, "    %s / %s: %s\n",
			            incident_fields[INCIDENT_POLICE_REFERENCE].label[0],
			            incident_fields[INCIDENT_POLICE_REFERENCE].label[1],
			            inc->value[INCIDENT_POLICE_REFERENCE]);
	}
	return strbuf_detach(&sb);
}

size_t incident_bag_info(const struct incident *inc,
                         struct incident_info_field out[INCIDENT_INFO_MAX])
{
	static const struct {
		const char *key;
		enum incident_field field;
	} map[] = {
	        {"Source-Organization", INCIDENT_ORGANISATION},
	        {"Contact-Name", INCIDENT_CONTACT_NAME},
	        {"Contact-Phone", INCIDENT_CONTACT_PHONE},
	        {"Contact-Email", INCIDENT_CONTACT_EMAIL},
	        {"External-Identifier", INCIDENT_CASE_REFERENCE},
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const char *v = inc->value[map[i].field];

		/* bag-info.txt values are single lines; the check enforces it, this makes sure. */
		if (v && *v && strchr(v, '\n') == NULL) {
			out[n].key = map[i].key;
			out[n].value = v;
			n++;
		}
	}
	if (inc->tlp[0]) {
		out[n].key = "LogPack-TLP";
		out[n].value = inc->tlp;
		n++;
	}
	return n;
}

char *incident_file_name_part(const struct incident *inc)
{
	const char *ref = inc->value[INCIDENT_CASE_REFERENCE];
	char *out;
	size_t n = 0;

	if (ref == NULL || *ref == '\0')
		return NULL;
	out = xmalloc(65);
	for (const char *p = ref; *p && n < 64; p++) {
		unsigned char c = (unsigned char)*p;

		/* A name that starts with '.' or '-' would hide the file or look like an option. */
		if (isalnum(c) || ((c == '.' || c == '-') && n > 0) || c == '_')
			out[n++] = (char)c;
		else
			out[n++] = '_';
	}
	out[n] = '\0';
	return out;
}
