/* logpack snapshot: an incremental collection since the previous snapshot, chained to it. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "bundle/bag.h"
#include "cmd/collect-opts.h"
#include "cmd/collect-terminal.h"
#include "cmd/command.h"
#include "cmd/incident-attach.h"
#include "cmd/signals.h"
#include "cmd/upload-opts.h"
#include "report/incident.h"
#include "series/snapshot.h"
#include "trust/sign-config.h"
#include "trust/sign.h"

static int cmd_snapshot(int argc, char **argv);
static void print_help(FILE *fp);

const struct command command_snapshot = {
        .name = "snapshot",
        .usage = "snapshot --state DIR [--root DIR] [-o DIR] [--keep N|--keep-for DURATION] "
                 "[OPTIONS]",
        .summary = "collect what is new since the previous snapshot, chained to it",
        .print_help = print_help,
        .run = cmd_snapshot,
};

static void print_help(FILE *fp)
{
	fputs("The first snapshot of a state directory takes every log, as collect does; each\n"
	      "later one takes only what is new: the bytes appended to a file (a segment\n"
	      "with its offset), new files whole. Rotated files (renamed, copied and\n"
	      "truncated, compressed) are recognised and not taken again. A file that\n"
	      "shrank, was rewritten, replaced or deleted outside rotation is an anomaly.\n"
	      "\n"
	      "Options:\n",
	      fp);
	collect_opts_print_help(fp, COLLECT_CMD_SNAPSHOT, NULL, 0, 1);
	fputs("\n"
	      "Exit: 0 done, 1 written but some sources unreadable, 2 usage, 3 failed (the\n"
	      "state is unchanged), 7 written and anomalies found, 130 interrupted.\n",
	      fp);
}

static void print_json(const struct snapshot_summary *sum, int code)
{
	const struct collect_summary *cs = &sum->collect;
	json_t *o = json_object(), *anomalies = json_array(), *removed = json_array();

	json_object_set_new(o, "bundle", json_string(cs->bundle_path));
	json_object_set_new(o, "sha256", json_string(cs->bundle_sha256));
	json_object_set_new(o, "tagmanifest_sha256", json_string(cs->tagmanifest_sha256));
	json_object_set_new(o, "series", json_string(sum->series));
	json_object_set_new(o, "sequence", json_integer((json_int_t)sum->sequence));
	json_object_set_new(o, "previous",
	                    sum->previous[0] ? json_string(sum->previous) : json_null());
	json_object_set_new(o, "files_new", json_integer((json_int_t)sum->files_new));
	json_object_set_new(o, "files_appended", json_integer((json_int_t)sum->files_appended));
	json_object_set_new(o, "files_unchanged", json_integer((json_int_t)sum->files_unchanged));
	json_object_set_new(o, "files_rotated", json_integer((json_int_t)sum->files_rotated));
	json_object_set_new(o, "bytes_new", json_integer((json_int_t)sum->bytes_new));
	json_object_set_new(o, "estimate_bytes", json_integer((json_int_t)cs->estimate_bytes));
	json_object_set_new(o, "files_unreadable", json_integer((json_int_t)cs->files_unreadable));
	json_object_set_new(o, "partial", json_boolean(code == 1));
	for (size_t i = 0; i < sum->n_anomalies; i++)
		json_array_append_new(anomalies,
		                      json_pack("{s:s,s:s,s:s}", "kind", sum->anomalies[i].kind,
		                                "path", sum->anomalies[i].path, "detail",
		                                sum->anomalies[i].detail));
	json_object_set_new(o, "anomalies", anomalies);
	json_object_set_new(o, "recovered",
	                    sum->recovered ? json_string(sum->recovered) : json_null());
	for (size_t i = 0; i < sum->n_removed; i++)
		json_array_append_new(removed, json_string(sum->removed[i]));
	json_object_set_new(o, "removed", removed);
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(o);
}

static void print_text(const struct snapshot_summary *sum)
{
	char size[32];

	if (sum->recovered)
		log_info("adopted %s, completed by an interrupted run", sum->recovered);
	printf("%s\n", sum->collect.bundle_path);
	for (size_t i = 0; i < sum->n_anomalies; i++)
		printf("anomaly: %s %s: %s\n", sum->anomalies[i].kind, sum->anomalies[i].path,
		       sum->anomalies[i].detail);
	log_info("snapshot %llu of series %s: %llu new files, %llu appended, %llu rotated, "
	         "%llu unchanged; %s new",
	         (unsigned long long)sum->sequence, sum->series, (unsigned long long)sum->files_new,
	         (unsigned long long)sum->files_appended, (unsigned long long)sum->files_rotated,
	         (unsigned long long)sum->files_unchanged,
	         format_size(sum->bytes_new, size, sizeof(size)));
	if (sum->n_anomalies)
		log_warn("%zu anomalies: logs were truncated, rewritten, replaced or deleted (see "
		         "logpack/anomalies.jsonl)",
		         sum->n_anomalies);
	if (sum->collect.files_unreadable)
		log_warn("%llu sources could not be read: the snapshot is partial",
		         (unsigned long long)sum->collect.files_unreadable);
	for (size_t i = 0; i < sum->n_removed; i++)
		log_info("removed %s (retention)", sum->removed[i]);
}

static int cmd_snapshot(int argc, char **argv)
{
	struct snapshot_options options = {0};
	struct snapshot_options *opt = &options;
	struct collect_options *co = &opt->collect;
	struct collect_cli cli;
	struct snapshot_summary sum;
	struct error err = {{0}};
	struct upload_session upload = {0};
	struct option *longopts = NULL;
	char *shortopts = NULL;
	int upload_failed = 0, label_failed = 0;
	char *label = NULL;
	int c, rc;

	collect_cli_init(&cli, co);
	collect_opts_tables(COLLECT_CMD_SNAPSHOT, NULL, 0, &longopts, &shortopts);
	while ((c = command_getopt(argc, argv, shortopts, longopts)) != -1) {
		if (c == 'h') {
			command_print_help(&command_snapshot, stdout);
			rc = LP_EXIT_OK;
			goto out;
		}
		if (c == '?') {
			rc = command_option_error(&command_snapshot);
			goto out;
		}
		if ((rc = collect_cli_option(&cli, &command_snapshot, COLLECT_CMD_SNAPSHOT, c,
		                             optarg)) != 0)
			goto out;
	}
	if (optind < argc) {
		rc = command_usage_error(&command_snapshot, "unexpected argument '%s'",
		                         argv[optind]);
		goto out;
	}
	if (cli.state_dir == NULL) {
		rc = command_usage_error(&command_snapshot, "--state DIR is required");
		goto out;
	}
	if ((rc = collect_cli_finish(&cli, &command_snapshot, COLLECT_CMD_SNAPSHOT)) != 0)
		goto out;
	opt->state_dir = cli.state_dir;
	opt->keep = cli.keep;
	opt->keep_for = cli.keep_for;
	co->progress = !cli.json && isatty(STDOUT_FILENO);
	if ((rc = collect_cli_prepare(&cli, 1)) != 0)
		goto out;
	/* Fail before reading anything, not after, when the target will not take the bundle. */
	if (cli.upload.to && upload_session_open(&upload, &cli.upload, 1) != 0) {
		log_error("no snapshot taken: fix the upload target first");
		rc = LP_EXIT_FAILURE;
		goto out;
	}
	collect_terminal_attach(&opt->collect);
	signals_install_bundle_cleanup();
	rc = snapshot_run(opt, &sum, &err);
	if (rc < 0) {
		log_error("%s", err.msg);
		snapshot_summary_free(&sum);
		rc = LP_EXIT_FAILURE;
		goto out;
	}
	if (cli.json)
		print_json(&sum, rc);
	else
		print_text(&sum);
	label_failed = collect_cli_write_label(&cli, sum.collect.bundle_path, &label) != 0;
	/* The bundle is complete and in the series; a failed upload keeps it and says so. */
	if (upload.up && sum.collect.bundle_path)
		upload_failed = upload_session_send_written(
		                        &upload, &cli.recipients, sum.collect.bundle_path,
		                        sum.collect.bundle_sha256, label, NULL) != 0;
	free(label);
	rc = upload.interrupted              ? LP_EXIT_INTERRUPTED
	     : upload_failed || label_failed ? LP_EXIT_FAILURE
	     : sum.n_anomalies               ? LP_EXIT_ANOMALY
	     : rc == 1                       ? LP_EXIT_PARTIAL
	                                     : LP_EXIT_OK;
	snapshot_summary_free(&sum);
out:
	upload_session_close(&upload);
	collect_cli_free(&cli);
	free(longopts);
	free(shortopts);
	return rc;
}
