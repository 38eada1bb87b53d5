/*
 * Putting an incident report into a collection: `collect --incident FILE` and
 * `snapshot --incident FILE` load and check the report, then hand the collection its
 * logpack/incident.json and incident.txt, its bag-info fields and the bundle's file-name part.
 */
#ifndef LOGPACK_INCIDENT_ATTACH_H
#define LOGPACK_INCIDENT_ATTACH_H

#include "base/util.h"
#include "gather/collect.h"
#include "report/incident.h"

/* What `collect --incident FILE` adds to a bundle; owns what opt points at. */
struct incident_attachment {
	struct incident *report; /* the parsed report, with its problems when the check failed */
	char *json;              /* logpack/incident.json */
	char *text;              /* logpack/incident.txt */
	char *name_part;         /* the case reference for the bundle's file name, or NULL */
	struct collect_tag tags[2];
	struct collect_info_field info[INCIDENT_INFO_MAX];
};

/*
 * Load and check the report at path, and point opt's extra tag files, bag-info fields and
 * file-name tag at it. Returns 0, or -1 with err when the file cannot be read or fails the
 * check (the problems are then in att->report, for the command to print). Call
 * incident_attachment_free() either way, after the collection.
 */
int incident_attach(const char *path, struct collect_options *opt, struct incident_attachment *att,
                    struct error *err);
void incident_attachment_free(struct incident_attachment *att);

#endif
