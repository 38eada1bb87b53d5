/* Putting a checked incident report into a collection's options. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/incident-attach.h"

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
