/* verify --chain and extract --chain: report on a series of snapshot bundles. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "bundle/verdict.h"
#include "cmd/cmd-chain.h"
#include "series/chain.h"

static json_t *report_json(const struct chain_report *rep)
{
	json_t *o = json_object(), *bundles = json_array(), *problems = json_array();
	json_t *anomalies = json_array(), *files = json_array();

	for (size_t i = 0; i < rep->n_bundles; i++) {
		const struct chain_bundle *b = &rep->bundles[i];

		json_array_append_new(
		        bundles, json_pack("{s:s,s:s,s:o,s:I,s:o,s:s,s:b,s:I,s:I}", "path", b->path,
		                           "verdict", b->verdict ? b->verdict : "", "series",
		                           b->series ? json_string(b->series) : json_null(),
		                           "sequence", (json_int_t)b->sequence, "previous",
		                           b->previous ? json_string(b->previous) : json_null(),
		                           "tagmanifest_sha256", b->tagmanifest_sha256, "intact",
		                           b->intact, "segments", (json_int_t)b->segments,
		                           "anomalies", (json_int_t)b->anomalies));
	}
	for (size_t i = 0; i < rep->n_problems; i++)
		json_array_append_new(problems, json_string(rep->problems[i]));
	for (size_t i = 0; i < rep->n_anomalies; i++) {
		json_t *a = json_loads(rep->anomalies[i], 0, NULL);

		json_array_append_new(anomalies, a ? a : json_string(rep->anomalies[i]));
	}
	for (size_t i = 0; i < rep->n_files; i++) {
		char *line = xstrdup(rep->files[i]), *t1 = strchr(line, '\t'), *t2;

		*t1++ = '\0';
		t2 = strchr(t1, '\t');
		*t2++ = '\0';
		json_array_append_new(files,
		                      json_pack("{s:s,s:I,s:s}", "path", line, "size",
		                                (json_int_t)strtoull(t1, NULL, 10), "file_id", t2));
		free(line);
	}
	for (size_t i = 0; i < rep->n_bundles; i++) {
		const struct chain_bundle *b = &rep->bundles[i];
		char t[40];

		if (b->has_events) {
			json_t *bo = json_array_get(bundles, i);

			json_object_set_new(
			        bo, "events_from",
			        json_string(format_iso8601(b->events_from, t, sizeof(t))));
			json_object_set_new(
			        bo, "events_to",
			        json_string(format_iso8601(b->events_to, t, sizeof(t))));
		}
	}
	if (rep->has_events) {
		char a[40], b[40];

		json_object_set_new(o, "events",
		                    json_pack("{s:s,s:s}", "from",
		                              format_iso8601(rep->events_from, a, sizeof(a)), "to",
		                              format_iso8601(rep->events_to, b, sizeof(b))));
	} else {
		json_object_set_new(o, "events", json_null());
	}
	json_object_set_new(o, "chain", json_string(rep->n_problems ? "INVALID" : "whole"));
	json_object_set_new(o, "bundles", bundles);
	json_object_set_new(o, "problems", problems);
	json_object_set_new(o, "anomalies", anomalies);
	json_object_set_new(o, "files", files);
	return o;
}

static void report_text(const struct chain_report *rep)
{
	for (size_t i = 0; i < rep->n_bundles; i++) {
		const struct chain_bundle *b = &rep->bundles[i];

		printf("%s: snapshot %llu of series %s: %s; %llu segments, %llu anomalies\n",
		       b->path, (unsigned long long)b->sequence, b->series ? b->series : "(none)",
		       b->verdict ? b->verdict : "?", (unsigned long long)b->segments,
		       (unsigned long long)b->anomalies);
	}
	if (rep->has_events) {
		char a[40], b[40];

		/* The logs' own times, from each verified bundle's coverage.json. */
		printf("events in the series' logs: %s .. %s\n",
		       format_iso8601(rep->events_from, a, sizeof(a)),
		       format_iso8601(rep->events_to, b, sizeof(b)));
	}
	for (size_t i = 0; i < rep->n_problems; i++)
		printf("problem: %s\n", rep->problems[i]);
	for (size_t i = 0; i < rep->n_anomalies; i++) {
		json_t *a = json_loads(rep->anomalies[i], 0, NULL);
		const char *kind = json_string_value(json_object_get(a, "kind"));
		const char *path = json_string_value(json_object_get(a, "path"));
		const char *detail = json_string_value(json_object_get(a, "detail"));

		printf("anomaly: snapshot %lld: %s %s: %s\n",
		       (long long)json_integer_value(json_object_get(a, "sequence")),
		       kind ? kind : "?", path ? path : "?", detail ? detail : "");
		json_decref(a);
	}
}

static int run(const char *const *paths, size_t n, const struct bundle_read_options *ropt,
               const char *dir, enum verdict_require req, int json)
{
	struct chain_report rep;
	struct error err = {{0}};
	char **bundles = NULL;
	size_t n_bundles = 0;
	int rc;

	memset(&rep, 0, sizeof(rep));
	if (chain_list_bundles(paths, n, &bundles, &n_bundles, &err) < 0) {
		log_error("%s", err.msg);
		return LP_EXIT_FAILURE;
	}
	rc = dir ? chain_extract((const char *const *)bundles, n_bundles, ropt, dir, &rep, &err)
	         : chain_verify((const char *const *)bundles, n_bundles, ropt, &rep, &err);
	if (rc < 0) {
		log_error("%s", err.msg);
		rc = LP_EXIT_FAILURE;
		goto out;
	}
	if (json) {
		json_t *o = report_json(&rep);

		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		report_text(&rep);
		if (dir)
			for (size_t i = 0; i < rep.n_files; i++) {
				const char *tab = strchr(rep.files[i], '\t');

				printf("rebuilt: %.*s\n", (int)(tab - rep.files[i]), rep.files[i]);
			}
	}
	if (rep.n_problems) {
		log_error("the series is INVALID: %zu problems%s", rep.n_problems,
		          dir ? "; nothing was extracted" : "");
		rc = LP_EXIT_INVALID;
	} else {
		log_info("the series is whole: %zu snapshots, %zu anomalies recorded",
		         rep.n_bundles, rep.n_anomalies);
		/* Anomalies are the finding a series exists for; then how far it is trusted. */
		rc = LP_EXIT_OK;
		for (size_t i = 0; i < rep.n_bundles; i++)
			rc = verdict_worst_exit(rc, verdict_exit(rep.bundles[i].outcome, req));
		if (!dir && rep.n_anomalies)
			rc = LP_EXIT_ANOMALY;
	}
out:
	chain_report_free(&rep);
	for (size_t i = 0; i < n_bundles; i++)
		free(bundles[i]);
	free(bundles);
	return rc;
}

int chain_cmd_verify(const char *const *paths, size_t n, const struct bundle_read_options *ropt,
                     enum verdict_require req, int json)
{
	return run(paths, n, ropt, NULL, req, json);
}

int chain_cmd_extract(const char *const *paths, size_t n, const struct bundle_read_options *ropt,
                      const char *dir, enum verdict_require req, int json)
{
	return run(paths, n, ropt, dir, req, json);
}
