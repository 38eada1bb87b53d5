/*
 * The incident report: CERT-SE's first-contact questions, who to call back, and the sharing
 * label (TLP 2.0), kept in a plain-text file the responder fills in with any editor, and carried
 * inside the bundle as logpack/incident.json and logpack/incident.txt. The file format is
 * documented in docs/cert-se.md:
 *
 *   # a comment (only in the first column)
 *   organisation: Example AB
 *   what-happened:
 *     A longer answer continues on indented lines.
 *
 *     An empty line between indented lines keeps a paragraph break.
 *
 * The code, by job: incident-fields.c (the questions, in English and Swedish), incident-parse.c
 * (the file, read with base/keyvalue.h), incident-check.c, incident-format.c (the template,
 * incident.json, incident.txt), incident-read.c (incident.json from a bundle). Putting a report
 * into a collection is the commands' business: cmd/incident-attach.h.
 */
#ifndef LOGPACK_INCIDENT_H
#define LOGPACK_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* The largest report file accepted. */
#define INCIDENT_MAX_BYTES (1024 * 1024)

enum incident_lang { INCIDENT_LANG_EN, INCIDENT_LANG_SV };

/* The fields, in the order of the template. */
enum incident_field {
	INCIDENT_LANGUAGE,
	INCIDENT_ORGANISATION,
	INCIDENT_CONTACT_NAME,
	INCIDENT_CONTACT_PHONE,
	INCIDENT_CONTACT_EMAIL,
	INCIDENT_CASE_REFERENCE,
	INCIDENT_TIME_ZONE,
	INCIDENT_DETECTED_AT,
	INCIDENT_WHAT_HAPPENED,
	INCIDENT_HOW_DISCOVERED,
	INCIDENT_MEASURES_TAKEN,
	INCIDENT_ONGOING,
	INCIDENT_MORE_AFFECTED,
	INCIDENT_HELP_WANTED,
	INCIDENT_CONTACTED,
	INCIDENT_POLICE_REPORT,
	INCIDENT_POLICE_REFERENCE,
	INCIDENT_TLP,
	INCIDENT_SHARING_CONDITIONS,
	INCIDENT_N_FIELDS
};

/* What the template, `incident ask` and incident.txt say about one field. */
struct incident_field_info {
	const char *key;         /* "what-happened": the key in the text file */
	const char *json_key;    /* "what_happened": the member in incident.json */
	int required;            /* a report without it fails the check */
	int multiline;           /* may continue on indented lines */
	const char *label[2];    /* short name, by enum incident_lang */
	const char *question[2]; /* the question as CERT-SE asks it, by enum incident_lang */
	const char *hint[2];     /* how to answer (format, examples), or NULL */
};

const struct incident_field_info *incident_field_info(enum incident_field f);

/* One problem found by the parser or the check, with the line it is about (0: the file). */
struct incident_problem {
	int line;
	char *message; /* "contact-email: 'anna.example.se' is not a plausible email address" */
};

struct incident {
	char *value[INCIDENT_N_FIELDS]; /* NULL when the field is absent; "" when left empty */
	int line[INCIDENT_N_FIELDS];    /* where the field starts, 0 when absent */
	struct incident_problem *problems;
	size_t n_problems;
	/* Filled by the check when the fields are valid: */
	char tlp[24];         /* "TLP:AMBER+STRICT", upper case */
	int police_reported;  /* 1 yes, 0 no, -1 not known */
	int has_detected_utc; /* detected_utc is known (the time zone could be applied) */
	int64_t detected_utc;
};

/*
 * Parse the text of a report file and check it. This never fails: syntax problems (a line that
 * is not "key: value", an unknown or repeated field, bytes that are not UTF-8) and the check's
 * findings (a required answer missing, an invalid TLP label, an implausible email address or
 * phone number, a time that does not parse) go into (*out)->problems, sorted by line.
 * Caller frees with incident_free().
 */
struct incident *incident_parse(const char *text, size_t len);
/* Read, parse and check a report file. -1 with err only when the file cannot be read. */
int incident_load(const char *path, struct incident **out, struct error *err);
void incident_free(struct incident *inc);

/*
 * Check one answer on its own, as `incident ask` does before taking it. Returns 0, or -1 with
 * *why set to the reason (caller frees). Required answers must not be empty.
 */
int incident_check_value(enum incident_field f, const char *value, char **why);

/*
 * The report file text in one language: the commented template, with the answers of inc
 * filled in when inc is not NULL. Writing a parsed report gives the same answers back.
 * Caller frees.
 */
char *incident_format(const struct incident *inc, enum incident_lang lang);

/* incident.json and incident.txt (question texts in English and Swedish). Caller frees. */
char *incident_to_json(const struct incident *inc);
char *incident_to_text(const struct incident *inc);

/* The bag-info.txt fields of a checked report, in order; absent optional ones are left out. */
struct incident_info_field {
	const char *key;   /* "Source-Organization", ..., "LogPack-TLP" */
	const char *value; /* points into the report */
};
#define INCIDENT_INFO_MAX 6
size_t incident_bag_info(const struct incident *inc,
                         struct incident_info_field out[INCIDENT_INFO_MAX]);

/*
 * The case reference made safe for a file name: letters, digits, '.', '_' and '-' kept, other
 * bytes as '_', at most 64 bytes. NULL when the report has no case reference. Caller frees.
 */
char *incident_file_name_part(const struct incident *inc);

/*
 * Reading a report back from a bundle (`show`, `verify`). The text of logpack/incident.json is
 * hostile until the bundle is verified: it is bounded, every member's type is checked, and
 * control and bidirectional-override characters in answers are escaped as \xHH or \u{HHHH},
 * so printing it cannot drive the terminal. Returns 0, or -1 with the reason in err. The report
 * is not checked again (its problems list is empty).
 */
int incident_from_json(const char *json, size_t len, struct incident **out, struct error *err);

/*
 * A few lines for the top of `show`: the TLP label, organisation, case, contact, detection
 * time and the first line of what happened. Caller frees.
 */
char *incident_summary(const struct incident *inc);

/*
 * The canonical TLP 2.0 label ("TLP:AMBER") for text such as a bag-info LogPack-TLP value, or
 * NULL when it is not one. The result is a static string.
 */
const char *incident_tlp_label(const char *text);

#endif
