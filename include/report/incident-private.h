/*
 * What the files of the incident report share among themselves (incident-fields.c,
 * incident-parse.c, incident-check.c, incident-format.c, incident-read.c); the rest of the
 * program uses report/incident.h.
 */
#ifndef LOGPACK_INCIDENT_PRIVATE_H
#define LOGPACK_INCIDENT_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "report/incident.h"

/* Single-line answers end up in bag-info.txt and in messages: keep them to a sensible length. */
#define INCIDENT_MAX_LINE_FIELD 200
/* incident.json from a bundle: the report escaped as JSON can grow, but not without bound. */
#define INCIDENT_MAX_JSON_BYTES (8 * INCIDENT_MAX_BYTES)

/* The fields, indexed by enum incident_field (incident-fields.c). */
extern const struct incident_field_info incident_fields[INCIDENT_N_FIELDS];

/* The TLP 2.0 labels and what each allows, by enum incident_lang, for the template and `ask`. */
struct incident_tlp_info {
	const char *label; /* "TLP:AMBER" */
	const char *meaning[2];
};
extern const struct incident_tlp_info incident_tlp_labels[];
extern const size_t incident_n_tlp_labels;

/* "TLP:amber" or "amber" -> "TLP:AMBER"; 0, or -1 when it is not a TLP 2.0 label. */
int incident_tlp_normalize(const char *value, char out[24]);

/* Record a problem, keeping the list sorted by line (incident-parse.c). */
void incident_add_problem(struct incident *inc, int line, const char *fmt, ...)
        LP_ATTR_PRINTF(3, 4);

/* Check every field, and work out the derived values: TLP, police, UTC time of detection. */
void incident_check_fields(struct incident *inc);

/* Does the time carry its own offset ("Z", "+02:00") after the date? */
int incident_time_has_offset(const char *t);

/* The detection time as written, its zone unless it has an offset, and UTC when known. */
void incident_add_detected(struct strbuf *sb, const struct incident *inc);

static inline const char *incident_answer_or_dash(const char *value)
{
	return value && *value ? value : "-";
}

/*
 * Characters that could move the cursor, recolour or reorder what a terminal shows: C0 and C1
 * controls, DEL, and the bidirectional embedding, override and isolate marks.
 */
static inline int incident_char_is_dangerous(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
	       (cp >= 0x200e && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

#endif
