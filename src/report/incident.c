/* The incident report: parse and check the text file, write the template, JSON and text forms. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "report/incident.h"

/* Single-line answers end up in bag-info.txt and in messages: keep them to a sensible length. */
#define INCIDENT_MAX_LINE_FIELD 200
/* incident.json from a bundle: the report escaped as JSON can grow, but not without bound. */
#define INCIDENT_MAX_JSON_BYTES (8 * INCIDENT_MAX_BYTES)

static const struct incident_field_info fields[INCIDENT_N_FIELDS] = {
        [INCIDENT_LANGUAGE] =
                {
                        .key = "language",
                        .json_key = "language",
                        .label = {"Language of the answers", "Svarens språk"},
                        .question = {"In which language are the answers written?",
                                     "På vilket språk är svaren skrivna?"},
                        .hint = {"en or sv", "en eller sv"},
                },
        [INCIDENT_ORGANISATION] =
                {
                        .key = "organisation",
                        .json_key = "organisation",
                        .required = 1,
                        .label = {"Organisation", "Organisation"},
                        .question = {"Which organisation is reporting?",
                                     "Vilken organisation rapporterar?"},
                },
        [INCIDENT_CONTACT_NAME] =
                {
                        .key = "contact-name",
                        .json_key = "contact_name",
                        .required = 1,
                        .label = {"Contact person", "Kontaktperson"},
                        .question = {"Whom should CERT-SE call back?",
                                     "Vem ska CERT-SE ringa upp?"},
                },
        [INCIDENT_CONTACT_PHONE] =
                {
                        .key = "contact-phone",
                        .json_key = "contact_phone",
                        .required = 1,
                        .label = {"Phone", "Telefon"},
                        .question = {"The contact's phone number",
                                     "Kontaktpersonens telefonnummer"},
                        .hint = {"with country code, e.g. +46 8 123 456 78",
                                 "med landsnummer, t.ex. +46 8 123 456 78"},
                },
        [INCIDENT_CONTACT_EMAIL] =
                {
                        .key = "contact-email",
                        .json_key = "contact_email",
                        .required = 1,
                        .label = {"Email", "E-post"},
                        .question = {"The contact's email address",
                                     "Kontaktpersonens e-postadress"},
                },
        [INCIDENT_CASE_REFERENCE] =
                {
                        .key = "case-reference",
                        .json_key = "case_reference",
                        .label = {"Case reference", "Ärendereferens"},
                        .question = {"Your own incident or case reference, if any",
                                     "Er egen incident- eller ärendereferens, om ni har en"},
                        .hint = {"it becomes part of the bundle's file name",
                                 "den blir en del av paketets filnamn"},
                },
        [INCIDENT_TIME_ZONE] =
                {
                        .key = "time-zone",
                        .json_key = "time_zone",
                        .required = 1,
                        .label = {"Time zone", "Tidszon"},
                        .question = {"The time zone of the times in this report",
                                     "Tidszonen för tiderna i rapporten"},
                        .hint = {"a zone name (Europe/Stockholm), UTC, or an offset (+01:00)",
                                 "ett zonnamn (Europe/Stockholm), UTC eller en förskjutning "
                                 "(+01:00)"},
                },
        [INCIDENT_DETECTED_AT] =
                {
                        .key = "detected-at",
                        .json_key = "detected_at",
                        .required = 1,
                        .label = {"Detected", "Upptäckt"},
                        .question = {"When was the incident detected?",
                                     "När upptäcktes incidenten?"},
                        .hint = {"YYYY-MM-DD HH:MM", "ÅÅÅÅ-MM-DD TT:MM"},
                },
        [INCIDENT_WHAT_HAPPENED] =
                {
                        .key = "what-happened",
                        .json_key = "what_happened",
                        .required = 1,
                        .multiline = 1,
                        .label = {"What happened", "Vad som hänt"},
                        .question = {"What has happened?", "Vad har hänt?"},
                },
        [INCIDENT_HOW_DISCOVERED] =
                {
                        .key = "how-discovered",
                        .json_key = "how_discovered",
                        .required = 1,
                        .multiline = 1,
                        .label = {"How discovered", "Hur det upptäcktes"},
                        .question = {"How and when was the problem discovered?",
                                     "Hur och när upptäcktes problemet?"},
                },
        [INCIDENT_MEASURES_TAKEN] =
                {
                        .key = "measures-taken",
                        .json_key = "measures_taken",
                        .required = 1,
                        .multiline = 1,
                        .label = {"Measures taken", "Genomförda åtgärder"},
                        .question = {"What measures have been taken?",
                                     "Vilka åtgärder har genomförts?"},
                },
        [INCIDENT_ONGOING] =
                {
                        .key = "ongoing",
                        .json_key = "ongoing",
                        .required = 1,
                        .multiline = 1,
                        .label = {"Still ongoing", "Fortfarande pågående"},
                        .question = {"Is the incident still ongoing?",
                                     "Är incidenten fortfarande pågående?"},
                },
        [INCIDENT_MORE_AFFECTED] =
                {
                        .key = "more-affected",
                        .json_key = "more_affected",
                        .required = 1,
                        .multiline = 1,
                        .label = {"Risk that more are affected", "Risk att fler påverkas"},
                        .question = {"Is there a risk that more are affected?",
                                     "Finns risk att fler påverkas?"},
                },
        [INCIDENT_HELP_WANTED] =
                {
                        .key = "help-wanted",
                        .json_key = "help_wanted",
                        .required = 1,
                        .multiline = 1,
                        .label = {"Help wanted", "Önskad hjälp"},
                        .question = {"What does the organisation want help with?",
                                     "Vad vill organisationen ha hjälp med?"},
                },
        [INCIDENT_CONTACTED] =
                {
                        .key = "contacted",
                        .json_key = "contacted",
                        .required = 1,
                        .multiline = 1,
                        .label = {"Contacted", "Kontaktade"},
                        .question = {"Whom has the organisation contacted?",
                                     "Vilka har organisationen kontaktat?"},
                },
        [INCIDENT_POLICE_REPORT] =
                {
                        .key = "police-report",
                        .json_key = "police_reported",
                        .required = 1,
                        .label = {"Reported to the police", "Polisanmäld"},
                        .question = {"Has the organisation reported the incident to the police?",
                                     "Har organisationen polisanmält incidenten?"},
                        .hint = {"yes or no", "ja eller nej"},
                },
        [INCIDENT_POLICE_REFERENCE] =
                {
                        .key = "police-reference",
                        .json_key = "police_reference",
                        .label = {"Police report reference", "Polisanmälans diarienummer"},
                        .question = {"The police report's reference, if reported",
                                     "Polisanmälans diarienummer, om anmälan är gjord"},
                },
        [INCIDENT_TLP] =
                {
                        .key = "tlp",
                        .json_key = "tlp",
                        .required = 1,
                        .label = {"Sharing (TLP)", "Delning (TLP)"},
                        .question =
                                {"Can the organisation share information, data or logs with third "
                                 "parties or other affected organisations?",
                                 "Kan organisationen dela med sig av information, data eller "
                                 "loggar till "
                                 "tredje part eller andra drabbade organisationer?"},
                        .hint = {"a Traffic Light Protocol 2.0 label:",
                                 "en etikett enligt Traffic Light Protocol 2.0:"},
                },
        [INCIDENT_SHARING_CONDITIONS] =
                {
                        .key = "sharing-conditions",
                        .json_key = "sharing_conditions",
                        .multiline = 1,
                        .label = {"Sharing conditions", "Villkor för delning"},
                        .question = {"Conditions or limits on sharing, if any",
                                     "Eventuella villkor eller begränsningar för delning"},
                },
};

/* The TLP 2.0 labels and what each allows, for the template and for `ask`. */
static const struct {
	const char *label;
	const char *meaning[2];
} tlp_labels[] = {
        {"TLP:CLEAR",
         {"may be shared freely, also publicly", "får spridas fritt, även offentligt"}},
        {"TLP:GREEN", {"within the community, not publicly", "inom gemenskapen, inte offentligt"}},
        {"TLP:AMBER",
         {"within the recipient's organisation and its clients, on a need-to-know basis",
          "inom mottagarens organisation och dess kunder, vid behov"}},
        {"TLP:AMBER+STRICT",
         {"within the recipient's organisation only", "endast inom mottagarens organisation"}},
        {"TLP:RED", {"to the named recipients only", "endast till de namngivna mottagarna"}},
};

const struct incident_field_info *incident_field_info(enum incident_field f)
{
	return &fields[f];
}

void incident_free(struct incident *inc)
{
	if (inc == NULL)
		return;
	for (size_t i = 0; i < INCIDENT_N_FIELDS; i++)
		free(inc->value[i]);
	for (size_t i = 0; i < inc->n_problems; i++)
		free(inc->problems[i].message);
	free(inc->problems);
	free(inc);
}

static void add_problem(struct incident *inc, int line, const char *fmt, ...) LP_ATTR_PRINTF(3, 4);

/* Record a problem, keeping the list sorted by line (stable: same-line problems stay in order). */
static void add_problem(struct incident *inc, int line, const char *fmt, ...)
{
	va_list ap;
	size_t at;

	inc->problems = xreallocarray(inc->problems, inc->n_problems + 1, sizeof(*inc->problems));
	for (at = inc->n_problems; at > 0 && inc->problems[at - 1].line > line; at--)
		inc->problems[at] = inc->problems[at - 1];
	inc->problems[at].line = line;
	va_start(ap, fmt);
	inc->problems[at].message = xvasprintf(fmt, ap);
	va_end(ap);
	inc->n_problems++;
}

/* Length of the valid UTF-8 sequence at s (at most len bytes), 0 if invalid; the code point. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF are not UTF-8. */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/*
 * Characters that could move the cursor, recolour or reorder what a terminal shows: C0 and C1
 * controls, DEL, and the bidirectional embedding, override and isolate marks.
 */
static int is_dangerous_char(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
	       (cp >= 0x200e && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * Copy one line of the file, replacing what a report must not hold (bytes that are not UTF-8,
 * control characters other than tab, bidirectional marks) with '?' and noting a problem for
 * each kind found.
 */
static char *clean_line(struct incident *inc, const char *s, size_t len, int line)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	int bad_utf8 = 0, bad_control = 0;
	size_t i = 0;

	strbuf_grow(&sb, len);
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (n == 0) {
			bad_utf8 = 1;
			strbuf_addch(&sb, '?');
			i++;
			continue;
		}
		if (cp != '\t' && is_dangerous_char(cp)) {
			if (!bad_control)
				add_problem(inc, line, "line %d: control character U+%04X", line,
				            (unsigned)cp);
			bad_control = 1;
			strbuf_addch(&sb, '?');
		} else {
			strbuf_add(&sb, p + i, n);
		}
		i += n;
	}
	if (bad_utf8)
		add_problem(inc, line, "line %d: not valid UTF-8 (save the file as UTF-8)", line);
	return strbuf_detach(&sb);
}

static void rtrim(struct strbuf *sb)
{
	while (sb->len > 0 && (sb->buf[sb->len - 1] == ' ' || sb->buf[sb->len - 1] == '\t'))
		sb->buf[--sb->len] = '\0';
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int find_field(const char *key, size_t len)
{
	for (int f = 0; f < INCIDENT_N_FIELDS; f++)
		if (strlen(fields[f].key) == len && strncasecmp(fields[f].key, key, len) == 0)
			return f;
	return -1;
}

/* The answer being read: its first line, then indented continuation lines. */
struct pending {
	int field; /* -1: none; -2: an unknown or repeated field whose lines are skipped */
	struct strbuf first;
	char **cont;   /* continuation lines as written, with their indentation; "" for empty */
	size_t n_cont; /* including empty lines kept between indented ones */
	size_t blanks; /* empty lines seen since the last indented one */
};

static void pending_finish(struct incident *inc, struct pending *pd)
{
	struct strbuf value = STRBUF_INIT;
	size_t indent = SIZE_MAX;

	if (pd->field >= 0) {
		/* The indentation common to all continuation lines is layout, not content. */
		for (size_t i = 0; i < pd->n_cont; i++) {
			size_t n = strspn(pd->cont[i], " \t");

			if (pd->cont[i][0] != '\0' && n < indent)
				indent = n;
		}
		strbuf_addstr(&value, pd->first.buf ? pd->first.buf : "");
		for (size_t i = 0; i < pd->n_cont; i++) {
			const char *line = pd->cont[i];

			if (value.len > 0)
				strbuf_addch(&value, '\n');
			if (line[0] != '\0')
				strbuf_addstr(&value, line + indent);
		}
		inc->value[pd->field] = strbuf_detach(&value);
	}
	for (size_t i = 0; i < pd->n_cont; i++)
		free(pd->cont[i]);
	free(pd->cont);
	pd->cont = NULL;
	pd->n_cont = 0;
	pd->blanks = 0;
	strbuf_release(&pd->first);
	pd->field = -1;
}

static void pending_add(struct pending *pd, const char *line)
{
	size_t n = pd->blanks;

	/* Empty lines count only between indented lines: they are paragraph breaks. */
	if (pd->n_cont == 0 && (pd->first.len == 0))
		n = 0;
	pd->cont = xreallocarray(pd->cont, pd->n_cont + n + 1, sizeof(*pd->cont));
	for (size_t i = 0; i < n; i++)
		pd->cont[pd->n_cont++] = xstrdup("");
	pd->cont[pd->n_cont++] = xstrdup(line);
	pd->blanks = 0;
}

static void parse_line(struct incident *inc, struct pending *pd, const char *line, int lineno)
{
	const char *colon, *key_end;
	int f;

	if (*skip_blanks(line) == '\0') {
		if (pd->field != -1)
			pd->blanks++;
		return;
	}
	/* Comments are skipped wherever they are; they do not end an answer. */
	if (line[0] == '#')
		return;
	if (line[0] == ' ' || line[0] == '\t') {
		if (pd->field == -1) {
			add_problem(
			        inc, lineno,
			        "line %d: an indented line must continue an answer; start a field "
			        "in the first column with 'key: answer'",
			        lineno);
			return;
		}
		if (pd->field >= 0)
			pending_add(pd, line);
		return;
	}
	pending_finish(inc, pd);
	colon = strchr(line, ':');
	if (colon == NULL) {
		add_problem(inc, lineno,
		            "line %d: expected 'key: answer', got '%.40s' (indent the lines that "
		            "continue an answer)",
		            lineno, line);
		return;
	}
	key_end = colon;
	while (key_end > line && (key_end[-1] == ' ' || key_end[-1] == '\t'))
		key_end--;
	f = find_field(line, (size_t)(key_end - line));
	if (f < 0) {
		add_problem(inc, lineno, "line %d: unknown field '%.*s'", lineno,
		            (int)(key_end - line > 40 ? 40 : key_end - line), line);
		pd->field = -2;
		return;
	}
	if (inc->line[f] != 0) {
		add_problem(inc, lineno, "line %d: %s given twice (first on line %d)", lineno,
		            fields[f].key, inc->line[f]);
		pd->field = -2;
		return;
	}
	inc->line[f] = lineno;
	pd->field = f;
	strbuf_addstr(&pd->first, skip_blanks(colon + 1));
	rtrim(&pd->first);
}

static void check_fields(struct incident *inc);

struct incident *incident_parse(const char *text, size_t len)
{
	struct incident *inc = xcalloc(1, sizeof(*inc));
	struct pending pd = {.field = -1, .first = STRBUF_INIT};
	size_t pos = 0;
	int lineno = 0;

	inc->police_reported = -1;
	/* Editors on Windows may start the file with a byte order mark. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len, line_len = end - pos;
		struct strbuf line = STRBUF_INIT;
		char *clean;

		lineno++;
		if (line_len > 0 && text[pos + line_len - 1] == '\r')
			line_len--;
		clean = clean_line(inc, text + pos, line_len, lineno);
		strbuf_addstr(&line, clean);
		free(clean);
		rtrim(&line);
		parse_line(inc, &pd, line.buf ? line.buf : "", lineno);
		strbuf_release(&line);
		pos = end + 1;
	}
	pending_finish(inc, &pd);
	check_fields(inc);
	return inc;
}

int incident_load(const char *path, struct incident **out, struct error *err)
{
	char *text;
	size_t len;

	if (read_small_file(path, INCIDENT_MAX_BYTES, &text, &len) < 0) {
		if (errno == EFBIG)
			error_set(err, "%s: larger than %d bytes; is this an incident report?",
			          path, INCIDENT_MAX_BYTES);
		else
			error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	*out = incident_parse(text, len);
	free(text);
	return 0;
}

/* ---- checks of single answers ---- */

/* "TLP:amber" -> "TLP:AMBER"; 0, or -1 when it is not a TLP 2.0 label. */
static int tlp_normalize(const char *value, char out[24])
{
	char buf[24];
	const char *p = value;
	size_t n = 0;

	if (strncasecmp(p, "TLP:", 4) == 0)
		p += 4;
	for (; *p && n + 1 < sizeof(buf); p++)
		buf[n++] = (char)toupper((unsigned char)*p);
	if (*p != '\0')
		return -1;
	buf[n] = '\0';
	for (size_t i = 0; i < sizeof(tlp_labels) / sizeof(tlp_labels[0]); i++) {
		if (strcmp(tlp_labels[i].label + 4, buf) == 0) {
			snprintf(out, 24, "%s", tlp_labels[i].label);
			return 0;
		}
	}
	return -1;
}

static int email_plausible(const char *s)
{
	const char *at = strchr(s, '@'), *d;
	size_t local_len, label_len = 0, labels = 0, tld_len = 0;
	int tld_alpha = 1;

	if (at == NULL || strchr(at + 1, '@') != NULL || strlen(s) > 254)
		return 0;
	local_len = (size_t)(at - s);
	if (local_len == 0 || local_len > 64 || s[0] == '.' || at[-1] == '.')
		return 0;
	for (const char *p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || strchr("\"(),:;<>[\\]", c) != NULL || (c == '.' && p[1] == '.'))
			return 0;
	}
	/* The domain: dot-separated labels of letters, digits and '-', the last not numeric. */
	for (d = at + 1;; d++) {
		unsigned char c = (unsigned char)*d;

		if (c == '.' || c == '\0') {
			if (label_len == 0 || label_len > 63 || d[-1] == '-')
				return 0;
			labels++;
			tld_len = label_len;
			if (c == '\0')
				break;
			label_len = 0;
			tld_alpha = 1;
			continue;
		}
		if (!(isalnum(c) || c == '-' || c >= 0x80))
			return 0;
		if (c == '-' && label_len == 0)
			return 0;
		if (isdigit(c))
			tld_alpha = 0;
		label_len++;
	}
	return labels >= 2 && tld_len >= 2 && tld_alpha;
}

static int phone_plausible(const char *s)
{
	size_t digits = 0;
	const char *p = s;

	if (*p == '+')
		p++;
	else if (strncmp(p, "00", 2) == 0)
		p += 2; /* the international prefix; the digits after it are the number */
	for (; *p; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (strchr(" -()./", *p) == NULL)
			return 0;
	}
	/* E.164 allows at most 15 digits; fewer than 7 is no phone number anywhere. */
	return digits >= 7 && digits <= 15;
}

static const char *zoneinfo_dir(void)
{
	const char *dir = getenv("TZDIR");

	return dir && *dir ? dir : "/usr/share/zoneinfo";
}

/*
 * A time zone: "UTC", "GMT", "Z", an offset ("+01:00", "-0530", "UTC+1"), or a zone name
 * ("Europe/Stockholm"). Offsets set *named = 0 and *offset (seconds east of UTC).
 */
static int zone_parse(const char *z, int *named, int *offset, char **why)
{
	const char *p = z;
	int hours = 0, minutes = 0, sign;

	*named = 0;
	*offset = 0;
	if (strcasecmp(z, "UTC") == 0 || strcasecmp(z, "GMT") == 0 || strcasecmp(z, "Z") == 0)
		return 0;
	if (strncasecmp(p, "UTC", 3) == 0 || strncasecmp(p, "GMT", 3) == 0)
		p += 3;
	if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (!isdigit((unsigned char)p[0]))
			goto bad_offset;
		hours = p[0] - '0';
		p++;
		if (isdigit((unsigned char)*p))
			hours = hours * 10 + (*p++ - '0');
		if (*p == ':')
			p++;
		if (*p != '\0') {
			if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) ||
			    p[2] != '\0')
				goto bad_offset;
			minutes = (p[0] - '0') * 10 + (p[1] - '0');
		}
		if (hours > 14 || minutes > 59)
			goto bad_offset;
		*offset = sign * (hours * 3600 + minutes * 60);
		return 0;
	}
	if (p != z)
		goto bad_offset;
	/* A zone name as the tz database spells them: "Area/City", letters first. */
	if (!isalpha((unsigned char)z[0]) || strlen(z) > 64 || strstr(z, "..") != NULL)
		goto bad_name;
	for (p = z; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("/_+-", *p) != NULL) ||
		    (*p == '/' && (p[1] == '/' || p[1] == '\0')))
			goto bad_name;
	*named = 1;
	{
		struct stat st;
		char *path;
		int found;

		/* Without a zone database here the name cannot be checked, nor applied. */
		if (stat(zoneinfo_dir(), &st) < 0)
			return 0;
		path = xasprintf("%s/%s", zoneinfo_dir(), z);
		found = stat(path, &st) == 0 && S_ISREG(st.st_mode);
		free(path);
		if (!found) {
			*why = xasprintf(
			        "unknown time zone '%s' (try Europe/Stockholm, UTC or +01:00)", z);
			return -1;
		}
	}
	return 0;
bad_offset:
	*why = xasprintf("'%.40s' is not a time zone offset (try +01:00 or UTC)", z);
	return -1;
bad_name:
	*why = xasprintf("'%.40s' is not a time zone (try Europe/Stockholm, UTC or +01:00)", z);
	return -1;
}

/* Does the time carry its own offset ("Z", "+02:00") after the date? */
static int time_has_offset(const char *t)
{
	return strlen(t) > 10 && strpbrk(t + 10, "Zz+-") != NULL;
}

/*
 * Local time in a named zone to UTC. The C library converts only in the process's own time
 * zone, so TZ is switched for the call and restored; this runs before any thread is started.
 */
static int zone_named_to_utc(const char *zone, int64_t as_if_utc, int64_t *out)
{
	char *old = getenv("TZ") ? xstrdup(getenv("TZ")) : NULL;
	time_t t = (time_t)as_if_utc, local;
	struct tm tm;
	int rc = -1;

	if (gmtime_r(&t, &tm) == NULL)
		goto out;
	tm.tm_isdst = -1;
	if (setenv("TZ", zone, 1) < 0)
		goto out;
	tzset();
	local = mktime(&tm);
	if (local != (time_t)-1) {
		*out = (int64_t)local;
		rc = 0;
	}
out:
	if (old)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
	return rc;
}

/* The time of detection: a date and a time ("2026-11-27 14:30", optionally with an offset). */
static int detected_parse(const char *value, int64_t *as_written, char **why)
{
	if (strlen(value) < 16 || (value[10] != ' ' && value[10] != 'T' && value[10] != 't') ||
	    parse_iso8601(value, as_written) < 0) {
		*why = xasprintf("'%.40s' is not a date and time: write YYYY-MM-DD HH:MM", value);
		return -1;
	}
	return 0;
}

int incident_check_value(enum incident_field f, const char *value, char **why)
{
	char tlp[24];
	int64_t when;
	int named, offset;

	*why = NULL;
	if (value == NULL || *value == '\0') {
		if (fields[f].required) {
			*why = xstrdup("required answer missing");
			return -1;
		}
		return 0;
	}
	if (!fields[f].multiline) {
		if (strchr(value, '\n') != NULL) {
			*why = xstrdup("must be one line");
			return -1;
		}
		if (strlen(value) > INCIDENT_MAX_LINE_FIELD) {
			*why = xasprintf("too long (%zu bytes; at most %d)", strlen(value),
			                 INCIDENT_MAX_LINE_FIELD);
			return -1;
		}
	}
	switch (f) {
	case INCIDENT_LANGUAGE:
		if (strcmp(value, "en") != 0 && strcmp(value, "sv") != 0) {
			*why = xasprintf("'%.40s' is not a language here: en or sv", value);
			return -1;
		}
		break;
	case INCIDENT_CONTACT_PHONE:
		if (!phone_plausible(value)) {
			*why = xasprintf("'%.40s' is not a plausible phone number (7 to 15 digits, "
			                 "e.g. +46 8 123 456 78)",
			                 value);
			return -1;
		}
		break;
	case INCIDENT_CONTACT_EMAIL:
		if (!email_plausible(value)) {
			*why = xasprintf("'%.60s' is not a plausible email address", value);
			return -1;
		}
		break;
	case INCIDENT_TIME_ZONE:
		return zone_parse(value, &named, &offset, why);
	case INCIDENT_DETECTED_AT:
		if (detected_parse(value, &when, why) < 0)
			return -1;
		/* A typo in the year is easy to make and hard to notice later. The margin
		 * allows for the time zone not being applied here. */
		if (when > (int64_t)time(NULL) + 2 * 86400) {
			*why = xasprintf("'%.40s' is in the future", value);
			return -1;
		}
		break;
	case INCIDENT_POLICE_REPORT:
		if (strcasecmp(value, "yes") != 0 && strcasecmp(value, "no") != 0 &&
		    strcasecmp(value, "ja") != 0 && strcasecmp(value, "nej") != 0) {
			*why = xasprintf("'%.40s': answer yes or no (ja or nej)", value);
			return -1;
		}
		break;
	case INCIDENT_TLP:
		if (tlp_normalize(value, tlp) < 0) {
			if (strcasecmp(value, "TLP:WHITE") == 0 || strcasecmp(value, "WHITE") == 0)
				*why = xstrdup("TLP:WHITE is TLP 1.0; TLP 2.0 calls it TLP:CLEAR");
			else
				*why = xasprintf(
				        "'%.40s' is not a TLP 2.0 label (TLP:CLEAR, TLP:GREEN, "
				        "TLP:AMBER, TLP:AMBER+STRICT or TLP:RED)",
				        value);
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* Check every field, and work out the derived values (TLP, police, UTC time of detection). */
static void check_fields(struct incident *inc)
{
	for (int f = 0; f < INCIDENT_N_FIELDS; f++) {
		char *why;

		if (incident_check_value(f, inc->value[f], &why) == 0)
			continue;
		if (inc->line[f] > 0)
			add_problem(inc, inc->line[f], "line %d: %s: %s", inc->line[f],
			            fields[f].key, why);
		else
			add_problem(inc, 0, "%s: %s (the field is not in the file)", fields[f].key,
			            why);
		free(why);
	}
	if (inc->value[INCIDENT_TLP])
		if (tlp_normalize(inc->value[INCIDENT_TLP], inc->tlp) < 0)
			inc->tlp[0] = '\0';
	if (inc->value[INCIDENT_POLICE_REPORT]) {
		const char *v = inc->value[INCIDENT_POLICE_REPORT];

		if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "ja") == 0)
			inc->police_reported = 1;
		else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "nej") == 0)
			inc->police_reported = 0;
	}
	if (inc->value[INCIDENT_DETECTED_AT]) {
		const char *when = inc->value[INCIDENT_DETECTED_AT];
		const char *zone = inc->value[INCIDENT_TIME_ZONE];
		int64_t t;
		int named, offset;
		char *why = NULL;

		if (detected_parse(when, &t, &why) < 0) {
			free(why);
			return;
		}
		if (time_has_offset(when)) {
			inc->detected_utc = t;
			inc->has_detected_utc = 1;
		} else if (zone && zone_parse(zone, &named, &offset, &why) == 0) {
			if (!named) {
				inc->detected_utc = t - offset;
				inc->has_detected_utc = 1;
			} else if (zone_named_to_utc(zone, t, &inc->detected_utc) == 0) {
				struct stat st;

				/* Without the zone database, TZ silently means UTC. */
				inc->has_detected_utc = stat(zoneinfo_dir(), &st) == 0;
			}
		}
		free(why);
	}
}

/* ---- writing the report file ---- */

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
		const struct incident_field_info *fi = &fields[f];
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
			for (size_t i = 0; i < sizeof(tlp_labels) / sizeof(tlp_labels[0]); i++)
				strbuf_addf(&sb, "#   %-17s %s\n", tlp_labels[i].label,
				            tlp_labels[i].meaning[lang]);
		/* A new template says which language its answers are in. */
		if (f == INCIDENT_LANGUAGE && inc == NULL)
			value = lang == INCIDENT_LANG_SV ? "sv" : "en";
		add_field(&sb, fi->key, value);
	}
	return strbuf_detach(&sb);
}

/* ---- incident.json and incident.txt ---- */

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
		const char *key = fields[f].json_key;

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

static const char *answer_or_dash(const char *value)
{
	return value && *value ? value : "-";
}

static void add_detected(struct strbuf *sb, const struct incident *inc)
{
	char when[32];

	strbuf_addstr(sb, answer_or_dash(inc->value[INCIDENT_DETECTED_AT]));
	if (inc->value[INCIDENT_TIME_ZONE] && *inc->value[INCIDENT_TIME_ZONE] &&
	    !time_has_offset(answer_or_dash(inc->value[INCIDENT_DETECTED_AT])))
		strbuf_addf(sb, " %s", inc->value[INCIDENT_TIME_ZONE]);
	if (inc->has_detected_utc)
		strbuf_addf(sb, " (%s)", format_iso8601(inc->detected_utc, when, sizeof(when)));
}

char *incident_to_text(const struct incident *inc)
{
	struct strbuf sb = STRBUF_INIT;
	const char *tlp = inc->tlp[0] ? inc->tlp : answer_or_dash(inc->value[INCIDENT_TLP]);

	/* TLP 2.0 asks for the label at the top of a document. */
	strbuf_addf(&sb, "%s\n\n", tlp);
	strbuf_addstr(&sb, "Incident report for CERT-SE / Incidentrapport till CERT-SE\n\n");
	for (int f = INCIDENT_ORGANISATION; f < INCIDENT_WHAT_HAPPENED; f++) {
		strbuf_addf(&sb, "%s / %s: ", fields[f].label[0], fields[f].label[1]);
		if (f == INCIDENT_DETECTED_AT)
			add_detected(&sb, inc);
		else
			strbuf_addstr(&sb, answer_or_dash(inc->value[f]));
		strbuf_addch(&sb, '\n');
	}
	strbuf_addf(&sb, "%s / %s: %s\n", fields[INCIDENT_LANGUAGE].label[0],
	            fields[INCIDENT_LANGUAGE].label[1],
	            answer_or_dash(inc->value[INCIDENT_LANGUAGE]));
	for (int f = INCIDENT_WHAT_HAPPENED; f < INCIDENT_N_FIELDS; f++) {
		if (f == INCIDENT_POLICE_REFERENCE || f == INCIDENT_SHARING_CONDITIONS)
			continue; /* shown with the question they belong to */
		strbuf_addf(&sb, "\n%s\n%s\n", fields[f].question[0], fields[f].question[1]);
		if (f == INCIDENT_TLP) {
			add_indented(&sb, tlp);
			if (inc->value[INCIDENT_SHARING_CONDITIONS] &&
			    *inc->value[INCIDENT_SHARING_CONDITIONS]) {
				strbuf_addf(&sb, "    %s / %s:\n",
				            fields[INCIDENT_SHARING_CONDITIONS].label[0],
				            fields[INCIDENT_SHARING_CONDITIONS].label[1]);
				add_indented(&sb, inc->value[INCIDENT_SHARING_CONDITIONS]);
			}
			continue;
		}
		add_indented(&sb, answer_or_dash(inc->value[f]));
		if (f == INCIDENT_POLICE_REPORT && inc->value[INCIDENT_POLICE_REFERENCE] &&
		    *inc->value[INCIDENT_POLICE_REFERENCE])
			strbuf_addf(&sb, "    %s / %s: %s\n",
			            fields[INCIDENT_POLICE_REFERENCE].label[0],
			            fields[INCIDENT_POLICE_REFERENCE].label[1],
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

int incident_attach(const char *path, struct collect_options *opt, struct incident_attachment *att,
                    struct error *err)
{
	struct incident_info_field info[INCIDENT_INFO_MAX];
	size_t n_info;

	memset(att, 0, sizeof(*att));
	if (incident_load(path, &att->report, err) < 0)
		return -1;
	if (att->report->n_problems > 0) {
		error_set(err,
		          "%s: the incident report has %zu problem%s; nothing collected (see "
		          "'logpack incident check %s')",
		          path, att->report->n_problems, att->report->n_problems == 1 ? "" : "s",
		          path);
		return -1;
	}
	att->json = incident_to_json(att->report);
	att->text = incident_to_text(att->report);
	att->name_part = incident_file_name_part(att->report);
	att->tags[0] = (struct collect_tag){"logpack/incident.json", att->json, strlen(att->json)};
	att->tags[1] = (struct collect_tag){"logpack/incident.txt", att->text, strlen(att->text)};
	n_info = incident_bag_info(att->report, info);
	for (size_t i = 0; i < n_info; i++)
		att->info[i] = (struct collect_info_field){info[i].key, info[i].value};
	opt->extra_tags = att->tags;
	opt->n_extra_tags = 2;
	opt->extra_info = att->info;
	opt->n_extra_info = n_info;
	opt->name_tag = att->name_part;
	return 0;
}

void incident_attachment_free(struct incident_attachment *att)
{
	incident_free(att->report);
	free(att->json);
	free(att->text);
	free(att->name_part);
	memset(att, 0, sizeof(*att));
}

/* ---- reading incident.json from a bundle ---- */

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
		else if (is_dangerous_char(cp) && cp < 0x100)
			strbuf_addf(&sb, "\\x%02x", (unsigned)cp);
		else if (is_dangerous_char(cp))
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
		v = json_object_get(root, fields[f].json_key);
		if (v == NULL || json_is_null(v))
			continue;
		if (f == INCIDENT_POLICE_REPORT && json_is_boolean(v)) {
			inc->police_reported = json_is_true(v);
			inc->value[f] = xstrdup(json_is_true(v) ? "yes" : "no");
		} else if (json_is_string(v) && f != INCIDENT_POLICE_REPORT) {
			inc->value[f] =
			        escape_for_display(json_string_value(v), fields[f].multiline);
		} else {
			error_set(err, "incident.json: %s has the wrong type", fields[f].json_key);
			goto out;
		}
	}
	if (inc->value[INCIDENT_TLP] && tlp_normalize(inc->value[INCIDENT_TLP], inc->tlp) < 0)
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

char *incident_json_tlp(const char *json, size_t len)
{
	struct incident *inc;
	char *tlp = NULL;

	if (incident_from_json(json, len, &inc, NULL) < 0)
		return NULL;
	if (inc->tlp[0])
		tlp = xstrdup(inc->tlp);
	incident_free(inc);
	return tlp;
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
	            answer_or_dash(inc->value[INCIDENT_ORGANISATION]));
	if (case_ref && *case_ref)
		strbuf_addf(&sb, ", case %s", case_ref);
	strbuf_addf(&sb, "\n  contact:  %s, %s, %s\n",
	            answer_or_dash(inc->value[INCIDENT_CONTACT_NAME]),
	            answer_or_dash(inc->value[INCIDENT_CONTACT_PHONE]),
	            answer_or_dash(inc->value[INCIDENT_CONTACT_EMAIL]));
	strbuf_addstr(&sb, "  detected: ");
	add_detected(&sb, inc);
	strbuf_addstr(&sb, "\n  what:     ");
	add_first_line(&sb, answer_or_dash(inc->value[INCIDENT_WHAT_HAPPENED]), 100);
	strbuf_addch(&sb, '\n');
	if (inc->value[INCIDENT_SHARING_CONDITIONS] && *inc->value[INCIDENT_SHARING_CONDITIONS]) {
		strbuf_addstr(&sb, "  sharing:  ");
		add_first_line(&sb, inc->value[INCIDENT_SHARING_CONDITIONS], 100);
		strbuf_addch(&sb, '\n');
	}
	return strbuf_detach(&sb);
}

const char *incident_tlp_label(const char *text)
{
	char tlp[24];

	if (text == NULL || tlp_normalize(text, tlp) < 0)
		return NULL;
	for (size_t i = 0; i < sizeof(tlp_labels) / sizeof(tlp_labels[0]); i++)
		if (strcmp(tlp_labels[i].label, tlp) == 0)
			return tlp_labels[i].label;
	return NULL;
}

void incident_capture_begin(void *ctx, const char *name, uint64_t size)
{
	struct incident_capture *cap = ctx;

	cap->in_member = strcmp(name, "logpack/incident.json") == 0;
	if (!cap->in_member)
		return;
	/* A second member of that name makes the bundle invalid; keep only the last. */
	strbuf_reset(&cap->json);
	cap->found = 0;
	cap->too_big = size > INCIDENT_MAX_JSON_BYTES;
}

void incident_capture_data(void *ctx, const void *buf, size_t len)
{
	struct incident_capture *cap = ctx;

	if (!cap->in_member || cap->too_big)
		return;
	if (cap->json.len + len > INCIDENT_MAX_JSON_BYTES) {
		cap->too_big = 1;
		strbuf_release(&cap->json);
		return;
	}
	strbuf_add(&cap->json, buf, len);
}

void incident_capture_end(void *ctx)
{
	struct incident_capture *cap = ctx;

	if (cap->in_member)
		cap->found = 1;
	cap->in_member = 0;
}

void incident_capture_release(struct incident_capture *cap)
{
	strbuf_release(&cap->json);
	memset(cap, 0, sizeof(*cap));
}
