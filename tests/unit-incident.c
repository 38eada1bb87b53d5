/* Unit tests: the incident report's parser, checks, template, JSON and text forms. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "report/incident.h"
#include "tap.h"

static const char filled[] = "language: en\n"
                             "organisation: Example AB\n"
                             "contact-name: Anna Andersson\n"
                             "contact-phone: +46 8 123 456 78\n"
                             "contact-email: anna@example.se\n"
                             "case-reference: INC-2026/0042\n"
                             "time-zone: Europe/Stockholm\n"
                             "detected-at: 2026-01-15 14:30\n"
                             "what-happened:\n"
                             "  Ransomware encrypted the file server.\n"
                             "\n"
                             "  Second paragraph,\n"
                             "    indented detail.\n"
                             "how-discovered: Users called the help desk.\n"
                             "measures-taken: Disconnected the server.\n"
                             "ongoing: no\n"
                             "more-affected: unknown\n"
                             "help-wanted: Analysis of the logs.\n"
                             "contacted: Our insurer.\n"
                             "police-report: ja\n"
                             "police-reference: 5000-K123456-26\n"
                             "tlp: tlp:amber+strict\n"
                             "sharing-conditions: Not to our competitors.\n";

static struct incident *parse_str(const char *text)
{
	return incident_parse(text, strlen(text));
}

static int from_json_str(const char *json, struct incident **out, struct error *err)
{
	return incident_from_json(json, strlen(json), out, err);
}

/* Parse text with one field replaced (or added when absent); the report is the caller's. */
static struct incident *parse_with(const char *key, const char *line)
{
	struct strbuf sb = STRBUF_INIT;
	struct incident *inc;
	size_t klen = strlen(key);
	int replaced = 0;

	for (const char *p = filled; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = (size_t)(nl - p) + 1;

		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			if (line)
				strbuf_addstr(&sb, line);
			replaced = 1;
			/* skip the field's continuation lines and empty lines inside it */
			p += n;
			while (*p == ' ' || (*p == '\n' && p[1] == ' '))
				p = strchr(p, '\n') + 1;
			continue;
		}
		strbuf_add(&sb, p, n);
		p += n;
	}
	if (!replaced && line)
		strbuf_addstr(&sb, line);
	inc = incident_parse(sb.buf, sb.len);
	strbuf_release(&sb);
	return inc;
}

/* Does the report have exactly one problem, on line, whose message contains text? */
static int one_problem(struct incident *inc, int line, const char *text)
{
	int good = inc->n_problems == 1 && inc->problems[0].line == line &&
	           strstr(inc->problems[0].message, text) != NULL;

	if (!good)
		for (size_t i = 0; i < inc->n_problems; i++)
			printf("#   problem: line %d: %s\n", inc->problems[i].line,
			       inc->problems[i].message);
	incident_free(inc);
	return good;
}

static void test_template(enum incident_lang lang, const char *question)
{
	char *text = incident_format(NULL, lang);
	struct incident *inc = incident_parse(text, strlen(text));
	size_t required = 0;

	for (int f = 0; f < INCIDENT_N_FIELDS; f++)
		required += incident_field_info(f)->required;
	ok(strstr(text, question) != NULL, "template (%s) asks '%s'", lang ? "sv" : "en", question);
	ok(strstr(text, "TLP:AMBER+STRICT") != NULL && strstr(text, "cert@cert.se") != NULL,
	   "template (%s) lists the TLP labels and CERT-SE's address", lang ? "sv" : "en");
	ok(inc->n_problems == required, "empty template (%s): one problem per required field (%zu)",
	   lang ? "sv" : "en", inc->n_problems);
	is_str(inc->value[INCIDENT_LANGUAGE], lang ? "sv" : "en", "template names its language");
	ok(inc->problems[0].line > 0 && strstr(inc->problems[0].message, "required answer missing"),
	   "problems in the template carry line numbers");
	incident_free(inc);
	free(text);
}

static void test_parse(void)
{
	struct incident *inc = incident_parse(filled, strlen(filled));
	char *text, *again;
	struct incident_info_field info[INCIDENT_INFO_MAX];
	size_t n;

	ok(inc->n_problems == 0, "filled report has no problems");
	is_str(inc->value[INCIDENT_WHAT_HAPPENED],
	       "Ransomware encrypted the file server.\n\nSecond paragraph,\n  indented detail.",
	       "continuation lines: common indent removed, paragraph kept, extra indent kept");
	is_str(inc->tlp, "TLP:AMBER+STRICT", "TLP label normalised");
	ok(inc->police_reported == 1, "'ja' means reported");
	ok(inc->line[INCIDENT_WHAT_HAPPENED] == 9, "field line numbers");
	/* 14:30 in Stockholm in January is 13:30 UTC. */
	ok(inc->has_detected_utc && inc->detected_utc == 1768483800, "zone name applied (winter)");

	n = incident_bag_info(inc, info);
	ok(n == 6, "six bag-info fields");
	is_str(info[0].key, "Source-Organization", "bag-info: organisation");
	is_str(info[0].value, "Example AB", "bag-info: organisation value");
	is_str(info[4].key, "External-Identifier", "bag-info: case reference");
	is_str(info[5].value, "TLP:AMBER+STRICT", "bag-info: LogPack-TLP");
	text = incident_file_name_part(inc);
	is_str(text, "INC-2026_0042", "case reference made safe for a file name");
	free(text);

	/* Writing a report and reading it back gives the same answers, in both languages. */
	for (int lang = 0; lang < 2; lang++) {
		struct incident *back;
		int same = 1;

		text = incident_format(inc, lang);
		back = incident_parse(text, strlen(text));
		for (int f = 0; f < INCIDENT_N_FIELDS; f++)
			if (strcmp(back->value[f], inc->value[f]) != 0)
				same = 0;
		ok(same && back->n_problems == 0, "format + parse round trip (%s)",
		   lang ? "sv" : "en");
		again = incident_format(back, lang);
		is_str(again, text, "formatting is stable (%s)", lang ? "sv" : "en");
		free(again);
		free(text);
		incident_free(back);
	}
	incident_free(inc);

	inc = parse_str("\xef\xbb\xbforganisation: A\r\nwhat-happened: one\r\n  two\r\n");
	is_str(inc->value[INCIDENT_ORGANISATION], "A", "byte order mark and CRLF accepted");
	is_str(inc->value[INCIDENT_WHAT_HAPPENED], "one\ntwo", "first line on the key line");
	incident_free(inc);

	inc = parse_str("what-happened: one\n# a note\n  two\n\n\n# next\ncontacted: x\n");
	is_str(inc->value[INCIDENT_WHAT_HAPPENED], "one\ntwo",
	       "comments skipped, trailing empty lines dropped");
	incident_free(inc);
}

static void test_problems(void)
{
	struct incident *inc;

	ok(one_problem(parse_with("organisation", NULL), 0,
	               "organisation: required answer missing (the field is not in the file)"),
	   "absent required field");
	ok(one_problem(parse_with("organisation", "organisation:   \n"), 2,
	               "line 2: organisation: required answer missing"),
	   "empty required field");
	ok(one_problem(parse_with("ongoing", "ongoing:\n"), 16, "ongoing: required answer missing"),
	   "empty required question");
	ok(one_problem(parse_with("tlp", "tlp: TLP:ORANGE\n"), 22, "not a TLP 2.0 label"),
	   "invalid TLP label");
	ok(one_problem(parse_with("tlp", "tlp: TLP:WHITE\n"), 22, "TLP 2.0 calls it TLP:CLEAR"),
	   "TLP 1.0 WHITE explained");
	ok(one_problem(parse_with("contact-email", "contact-email: anna.example.se\n"), 5,
	               "not a plausible email address"),
	   "email without @");
	ok(one_problem(parse_with("contact-email", "contact-email: anna@localhost\n"), 5,
	               "not a plausible email address"),
	   "email without a domain");
	ok(one_problem(parse_with("contact-email", "contact-email: a b@example.se\n"), 5,
	               "not a plausible email address"),
	   "email with a blank");
	ok(one_problem(parse_with("contact-phone", "contact-phone: 12345\n"), 4,
	               "not a plausible phone number"),
	   "phone number too short");
	ok(one_problem(parse_with("contact-phone", "contact-phone: call Anna\n"), 4,
	               "not a plausible phone number"),
	   "phone number with letters");
	ok(one_problem(parse_with("contact-phone", "contact-phone: +46 1234567890123456\n"), 4,
	               "not a plausible phone number"),
	   "phone number too long");
	ok(one_problem(parse_with("detected-at", "detected-at: yesterday at noon\n"), 8,
	               "not a date and time"),
	   "time that does not parse");
	ok(one_problem(parse_with("detected-at", "detected-at: 2026-02-30 10:00\n"), 8,
	               "not a date and time"),
	   "impossible date");
	ok(one_problem(parse_with("detected-at", "detected-at: 2026-01-15\n"), 8,
	               "not a date and time"),
	   "date without a time");
	ok(one_problem(parse_with("detected-at", "detected-at: 2206-01-15 10:00\n"), 8,
	               "in the future"),
	   "time in the future");
	ok(one_problem(parse_with("time-zone", "time-zone: Mars/Olympus_Mons\n"), 7,
	               "unknown time zone"),
	   "unknown zone name");
	ok(one_problem(parse_with("time-zone", "time-zone: +25:00\n"), 7, "not a time zone offset"),
	   "offset out of range");
	ok(one_problem(parse_with("time-zone", "time-zone: ../../etc/passwd\n"), 7,
	               "not a time zone"),
	   "zone name that escapes the zone directory");
	ok(one_problem(parse_with("police-report", "police-report: maybe\n"), 20,
	               "answer yes or no"),
	   "police report neither yes nor no");
	ok(one_problem(parse_with("language", "language: de\n"), 1, "en or sv"), "language");
	ok(one_problem(parse_with("organisation", "organisation: A\n  B\n"), 2, "must be one line"),
	   "single-line field continued");
	ok(one_problem(parse_with("organisation", "organisation: A\norgansation: B\n"), 3,
	               "line 3: unknown field 'organsation'"),
	   "unknown field");
	ok(one_problem(parse_with("organisation", "organisation: A\norganisation: B\n"), 3,
	               "organisation given twice (first on line 2)"),
	   "repeated field");
	ok(one_problem(parse_with("organisation", "organisation: A\njust some words\n"), 3,
	               "expected 'key: answer'"),
	   "line that is not key: answer");
	ok(one_problem(parse_with("language", "  indented first\nlanguage: en\n"), 1,
	               "must continue an answer"),
	   "indented line before any field");
	ok(one_problem(parse_with("organisation", "organisation: Ex\xe4mple AB\n"), 2,
	               "not valid UTF-8"),
	   "Latin-1 byte");
	ok(one_problem(parse_with("organisation", "organisation: Ex\033[2Jample\n"), 2,
	               "control character U+001B"),
	   "terminal escape");
	ok(one_problem(parse_with("organisation", "organisation: Ex\xe2\x80\xae"
	                                          "ample\n"),
	               2, "control character U+202E"),
	   "bidirectional override");

	/* Problems come sorted by line, absent fields first. */
	inc = parse_str("tlp: red\ncontact-email: x\n");
	ok(inc->n_problems > 2 && inc->problems[0].line == 0 &&
	           inc->problems[inc->n_problems - 1].line == 2,
	   "problems sorted by line");
	incident_free(inc);
}

static void test_times(void)
{
	struct incident *inc;

	inc = parse_with("detected-at", "detected-at: 2026-07-01 14:30\n");
	ok(inc->has_detected_utc && inc->detected_utc == 1782909000, "zone name applied (summer)");
	incident_free(inc);
	inc = parse_with("time-zone", "time-zone: +05:30\n");
	ok(inc->n_problems == 0 && inc->has_detected_utc && inc->detected_utc == 1768467600,
	   "offset applied");
	incident_free(inc);
	inc = parse_with("time-zone", "time-zone: UTC\n");
	ok(inc->has_detected_utc && inc->detected_utc == 1768487400, "UTC");
	incident_free(inc);
	inc = parse_with("detected-at", "detected-at: 2026-01-15T14:30:00+02:00\n");
	ok(inc->n_problems == 0 && inc->detected_utc == 1768480200,
	   "an offset in the time wins over the zone");
	incident_free(inc);
}

static void test_json(void)
{
	struct incident *inc = incident_parse(filled, strlen(filled)), *back;
	struct error err;
	char *json = incident_to_json(inc), *text;

	ok(strstr(json, "\"police_reported\": true") != NULL, "police answer as a boolean");
	ok(strstr(json, "\"detected_at_utc\": \"2026-01-15T13:30:00Z\"") != NULL, "UTC time");
	ok(strstr(json, "\"what_happened\": \"Ransomware encrypted the file server.\\n\\nSecond") !=
	           NULL,
	   "multi-line answer");
	ok(incident_from_json(json, strlen(json), &back, &err) == 0, "incident.json reads back");
	for (int f = 0; f < INCIDENT_N_FIELDS; f++)
		if (f != INCIDENT_POLICE_REPORT && f != INCIDENT_TLP &&
		    strcmp(back->value[f], inc->value[f]) != 0)
			ok(0, "field %s survives JSON", incident_field_info(f)->key);
	is_str(back->tlp, "TLP:AMBER+STRICT", "TLP from JSON");
	ok(back->detected_utc == inc->detected_utc, "UTC time from JSON");

	text = incident_to_text(inc);
	ok(strncmp(text, "TLP:AMBER+STRICT\n", 17) == 0, "incident.txt starts with the TLP label");
	ok(strstr(text, "What has happened?\nVad har hänt?\n    Ransomware") != NULL,
	   "incident.txt has both languages' questions");
	ok(strstr(text, "5000-K123456-26") != NULL, "incident.txt has the police reference");
	free(text);
	text = incident_summary(back);
	ok(strncmp(text, "TLP:AMBER+STRICT  incident report from Example AB, case INC-2026/0042\n",
	           70) == 0,
	   "summary starts with the TLP label");
	ok(strstr(text, "what:     Ransomware encrypted the file server. ...") != NULL,
	   "summary: first line of what happened");
	free(text);
	incident_free(back);
	free(json);
	incident_free(inc);

	/* Hostile incident.json: escapes made visible, wrong types and non-reports refused. */
	{
		static const char hostile[] =
		        "{\"format\": \"logpack-incident\", \"organisation\": "
		        "\"Evil\\u001b[2J\\u202eAB\\nX\", \"what_happened\": \"a\\nb\\u0007\","
		        " \"tlp\": \"TLP:RED\"}";

		ok(incident_from_json(hostile, strlen(hostile), &back, &err) == 0,
		   "hostile report reads");
		is_str(back->value[INCIDENT_ORGANISATION], "Evil\\x1b[2J\\u{202E}AB\\x0aX",
		       "escape, override and newline made visible in a one-line field");
		is_str(back->value[INCIDENT_WHAT_HAPPENED], "a\nb\\x07",
		       "newlines kept in answers");
		incident_free(back);
	}
	ok(from_json_str("{\"format\": \"logpack-incident\", \"tlp\": 3}", &back, &err) < 0 &&
	           strstr(err.msg, "tlp has the wrong type"),
	   "wrong type refused");
	ok(from_json_str("[1,2]", &back, &err) < 0, "not a report refused");
	ok(from_json_str("{\"format\": \"logpack-incident\", \"a\": 1, \"a\": 2}", &back, &err) < 0,
	   "duplicate keys refused");
	back = NULL;
	ok(from_json_str("{\"format\": \"logpack-incident\", \"tlp\": \"TLP:PINK\"}", &back,
	                 &err) == 0 &&
	           back && back->tlp[0] == '\0',
	   "no TLP for an invalid label");
	incident_free(back);
}

static void test_tlp_label(void)
{
	is_str(incident_tlp_label("tlp:amber+strict"), "TLP:AMBER+STRICT", "bag-info TLP label");
	ok(incident_tlp_label("TLP:AMBER\x1b[2J") == NULL && incident_tlp_label(NULL) == NULL,
	   "no label for anything else");
}

int main(void)
{
	/* The zone conversions must not depend on the machine's own zone. */
	setenv("TZ", "America/New_York", 1);
	test_template(INCIDENT_LANG_EN, "What does the organisation want help with?");
	test_template(INCIDENT_LANG_SV, "Vad vill organisationen ha hjälp med?");
	test_parse();
	test_problems();
	test_times();
	test_json();
	test_tlp_label();
	is_str(getenv("TZ"), "America/New_York", "TZ restored after zone conversions");
	return tap_done();
}
