/* logpack collect: gather a host's logs into a bundle. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "base/printable.h"
#include "bundle/bag.h"
#include "bundle/bundle-encrypt.h"
#include "cmd/collect-opts.h"
#include "cmd/collect-terminal.h"
#include "cmd/command.h"
#include "cmd/encrypt-opts.h"
#include "cmd/incident-attach.h"
#include "cmd/signals.h"
#include "cmd/upload-opts.h"
#include "gather/collect.h"
#include "report/incident.h"
#include "trust/sign-config.h"
#include "trust/sign.h"

static int cmd_collect(int argc, char **argv);
static void print_help(FILE *fp);

const struct command command_collect = {
        .name = "collect",
        .usage = "collect [--root DIR] [--profile NAME|FILE] [-o DIR|FILE] [--upload URL] "
                 "[OPTIONS]",
        .summary = "gather a host's logs into a bundle",
        .print_help = print_help,
        .run = cmd_collect,
};

static void print_help(FILE *fp)
{
	fputs("Options:\n", fp);
	collect_opts_print_help(fp, COLLECT_CMD_COLLECT, NULL, 0, 1);
	fputs("\n"
	      "Exit: 0 complete, 1 written but some sources unreadable, 2 usage, 3 failed,\n"
	      "130 interrupted (the partial bundle is removed).\n",
	      fp);
}

/* Every file the collection wrote but the sidecars: with recipients of several kinds, one
 * bundle file per kind (bundle_path is the first); then the label and its signature. */
static json_t *written_files(const struct recipients *r, const char *bundle_path, const char *label)
{
	json_t *files = json_array();
	char **paths = NULL;
	size_t n = 0;

	if (bundle_path == NULL)
		return files;
	if (recipients_any(r))
		bundle_encrypted_files(r, bundle_path, &paths, &n);
	else
		json_array_append_new(files, json_string(bundle_path));
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(files, json_string(paths[i]));
		free(paths[i]);
	}
	free(paths);
	if (label) {
		json_array_append_new(files, json_string(label));
		json_array_append_new(files, json_pack("s++", "", label, ".p7s"));
	}
	return files;
}

static void print_summary_json(const struct collect_summary *sum, const char *signer, int code,
                               json_t *files, json_t *uploads)
{
	json_t *o = json_object(), *absent = json_object();

	json_object_set_new(o, "bundle",
	                    sum->bundle_path ? json_string(sum->bundle_path) : json_null());
	json_object_set_new(o, "sha256",
	                    sum->bundle_path ? json_string(sum->bundle_sha256) : json_null());
	json_object_set_new(o, "bundle_bytes", json_integer((json_int_t)sum->bundle_bytes));
	json_object_set_new(o, "host", json_string(sum->hostname ? sum->hostname : ""));
	json_object_set_new(o, "profile", json_string(sum->profile ? sum->profile : ""));
	json_object_set_new(o, "profile_reason",
	                    json_string(sum->profile_reason ? sum->profile_reason : ""));
	json_object_set_new(o, "files_collected", json_integer((json_int_t)sum->files_collected));
	json_object_set_new(o, "bytes_collected", json_integer((json_int_t)sum->bytes_collected));
	json_object_set_new(o, "files_skipped", json_integer((json_int_t)sum->files_skipped));
	json_object_set_new(o, "files_unreadable", json_integer((json_int_t)sum->files_unreadable));
	json_object_set_new(o, "files_truncated", json_integer((json_int_t)sum->files_truncated));
	json_object_set_new(o, "files_grew", json_integer((json_int_t)sum->files_grew));
	json_object_set_new(o, "files_shrank", json_integer((json_int_t)sum->files_shrank));
	json_object_set_new(o, "links", json_integer((json_int_t)sum->links));
	json_object_set_new(o, "files_withheld", json_integer((json_int_t)sum->files_withheld));
	json_object_set_new(o, "files_other", json_integer((json_int_t)sum->files_other));
	json_object_set_new(o, "files_other_listed",
	                    json_integer((json_int_t)sum->files_other_listed));
	{
		json_t *list = json_array(), *expl = json_array();

		for (size_t i = 0; i < sum->n_withheld; i++) {
			char *line = xstrdup(sum->withheld[i]), *tab = strchr(line, '\t');

			*tab++ = '\0';
			json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "path", line,
			                                      "status", "withheld", "reason", tab));
			free(line);
		}
		json_object_set_new(o, "withheld", list);
		for (size_t i = 0; i < sum->n_explained; i++) {
			char *line = xstrdup(sum->explained[i]), *pat = strchr(line, '\t'), *why;

			*pat++ = '\0';
			why = strchr(pat, '\t');
			*why++ = '\0';
			json_array_append_new(expl, json_pack("{s:s,s:s,s:s}", "category", line,
			                                      "pattern", pat, "reason", why));
			free(line);
		}
		json_object_set_new(o, "absent_explained", expl);
	}
	json_object_set_new(o, "signed", json_boolean(signer != NULL));
	json_object_set_new(o, "signer", signer ? json_string(signer) : json_null());
	json_object_set_new(o, "estimate_bytes", json_integer((json_int_t)sum->estimate_bytes));
	json_object_set_new(o, "partial", json_boolean(code == 1));
	{
		json_t *mounts = json_array();

		for (size_t i = 0; i < sum->n_mounts; i++)
			json_array_append_new(mounts, json_string(sum->mounts[i]));
		/* Crossed (collected from), or left out with --one-file-system. */
		json_object_set_new(
		        o, sum->mounts_left_out ? "mount_points_left_out" : "mount_points_crossed",
		        mounts);
		json_object_set_new(o, "one_file_system", json_boolean(sum->mounts_left_out));
	}
	for (size_t i = 0; i < sum->n_absent; i++) {
		char *cat = xstrdup(sum->absent[i]), *tab = strchr(cat, '\t');
		json_t *list;

		*tab = '\0';
		if ((list = json_object_get(absent, cat)) == NULL) {
			list = json_array();
			json_object_set_new(absent, cat, list);
		}
		json_array_append_new(list, json_string(tab + 1));
		free(cat);
	}
	json_object_set_new(o, "expected_absent", absent);
	if (sum->planned) {
		json_t *plan = json_array();

		for (size_t i = 0; i < sum->n_planned; i++) {
			char *line = xstrdup(sum->planned[i]), *t1 = strchr(line, '\t'), *t2;

			*t1++ = '\0';
			t2 = strchr(t1, '\t');
			*t2++ = '\0';
			json_array_append_new(
			        plan, json_pack("{s:s,s:I,s:s}", "category", line, "size",
			                        (json_int_t)strtoull(t1, NULL, 10), "path", t2));
			free(line);
		}
		json_object_set_new(o, "planned", plan);
	}
	json_object_set(o, "files", files);
	if (uploads)
		json_object_set(o, "upload", uploads);
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(o);
}

static void print_summary_text(const struct collect_summary *sum, const char *signer, int dry_run)
{
	char size[32], est[32];

	if (dry_run) {
		for (size_t i = 0; i < sum->n_planned; i++) {
			char *line = xstrdup(sum->planned[i]), *t1 = strchr(line, '\t'), *t2;

			*t1++ = '\0';
			t2 = strchr(t1, '\t');
			*t2++ = '\0';
			printf("%-12s %12s  %s\n", line,
			       format_size(strtoull(t1, NULL, 10), size, sizeof(size)), t2);
			free(line);
		}
		printf("%llu files, %s to collect (bundle about %s); profile %s (%s)\n",
		       (unsigned long long)sum->files_collected,
		       format_size(sum->bytes_collected, size, sizeof(size)),
		       format_size(sum->estimate_bytes, est, sizeof(est)), sum->profile,
		       sum->profile_reason);
	} else {
		printf("%s\n", sum->bundle_path);
		log_info("collected %llu files (%s) from %s with profile %s (%s)",
		         (unsigned long long)sum->files_collected,
		         format_size(sum->bytes_collected, size, sizeof(size)), sum->hostname,
		         sum->profile, sum->profile_reason);
		if (signer)
			log_info("signed by %s", signer);
		else
			log_info("not signed");
		if (sum->files_truncated || sum->files_grew || sum->files_shrank)
			log_info("%llu files cut to --max-file-size, %llu grew while read, %llu "
			         "shrank while read",
			         (unsigned long long)sum->files_truncated,
			         (unsigned long long)sum->files_grew,
			         (unsigned long long)sum->files_shrank);
		if (sum->n_mounts > 0) {
			struct strbuf list = STRBUF_INIT;

			for (size_t i = 0; i < sum->n_mounts && i < 20; i++) {
				char *shown = printable(sum->mounts[i]);

				strbuf_addf(&list, "%s%s", i ? ", " : "", shown);
				free(shown);
			}
			if (sum->n_mounts > 20)
				strbuf_addf(&list, " and %zu more", sum->n_mounts - 20);
			log_info("%s %zu mount points: %s%s",
			         sum->mounts_left_out ? "left out" : "crossed", sum->n_mounts,
			         list.buf,
			         sum->mounts_left_out ? "" : " (--one-file-system stays on one)");
			strbuf_release(&list);
		}
		if (sum->files_other || sum->files_other_listed)
			log_info("%llu unclaimed files under the log directories taken as 'other', "
			         "%llu listed only",
			         (unsigned long long)sum->files_other,
			         (unsigned long long)sum->files_other_listed);
		if (sum->files_withheld)
			log_info("%llu files withheld: may hold secrets (listed in "
			         "logpack/files.jsonl; --include-secrets takes them)",
			         (unsigned long long)sum->files_withheld);
		if (sum->files_shrank)
			log_warn("%llu files shrank while read: the bundle is partial (see "
			         "logpack/collection.log)",
			         (unsigned long long)sum->files_shrank);
		if (sum->files_unreadable)
			log_warn("%llu sources could not be read: the bundle is partial (see "
			         "logpack/collection.log)",
			         (unsigned long long)sum->files_unreadable);
	}
	for (size_t i = 0; i < sum->n_absent; i++) {
		const char *tab = strchr(sum->absent[i], '\t');

		log_info("expected but absent [%.*s]: %s", (int)(tab - sum->absent[i]),
		         sum->absent[i], tab + 1);
	}
	for (size_t i = 0; i < sum->n_explained; i++) {
		const char *t1 = strchr(sum->explained[i], '\t'), *t2 = strchr(t1 + 1, '\t');

		log_info("absent [%.*s]: %.*s: %s", (int)(t1 - sum->explained[i]),
		         sum->explained[i], (int)(t2 - t1 - 1), t1 + 1, t2 + 1);
	}
}

static int cmd_collect(int argc, char **argv)
{
	struct collect_options options = {0};
	struct collect_options *opt = &options;
	struct collect_cli cli;
	struct collect_summary sum;
	struct upload_session upload = {0};
	struct option *longopts = NULL;
	char *shortopts = NULL;
	json_t *uploads = NULL;
	int upload_failed = 0, label_failed = 0;
	char *label = NULL;
	struct error err = {{0}};
	int c, rc;

	collect_cli_init(&cli, opt);
	collect_opts_tables(COLLECT_CMD_COLLECT, NULL, 0, &longopts, &shortopts);
	while ((c = command_getopt(argc, argv, shortopts, longopts)) != -1) {
		if (c == 'h') {
			command_print_help(&command_collect, stdout);
			rc = LP_EXIT_OK;
			goto out;
		}
		if (c == '?') {
			rc = command_option_error(&command_collect);
			goto out;
		}
		if ((rc = collect_cli_option(&cli, &command_collect, COLLECT_CMD_COLLECT, c,
		                             optarg)) != 0)
			goto out;
	}
	if (optind < argc) {
		rc = command_usage_error(&command_collect, "unexpected argument '%s'",
		                         argv[optind]);
		goto out;
	}
	if ((rc = collect_cli_finish(&cli, &command_collect, COLLECT_CMD_COLLECT)) != 0)
		goto out;
	opt->progress = !cli.json && isatty(STDOUT_FILENO);
	if ((rc = collect_cli_prepare(&cli, !opt->dry_run)) != 0)
		goto out;
	/* Fail before a long collection, not after it, when the target will not take it. */
	if (cli.upload.to && upload_session_open(&upload, &cli.upload, 1) != 0) {
		log_error("nothing collected: fix the upload target first");
		rc = LP_EXIT_FAILURE;
		goto out;
	}
	collect_terminal_attach(opt);
	signals_install_bundle_cleanup();
	rc = collect_run(opt, &sum, &err);
	if (rc < 0) {
		log_error("%s", err.msg);
		collect_summary_free(&sum);
		rc = LP_EXIT_FAILURE;
		goto out;
	}
	if (!cli.json)
		print_summary_text(&sum, cli.signer ? signer_subject(cli.signer) : NULL,
		                   opt->dry_run);
	label_failed = collect_cli_write_label(&cli, sum.bundle_path, &label) != 0;
	/* The bundle is complete and on disk; a failed upload keeps it and says so. */
	if (upload.up && sum.bundle_path) {
		uploads = cli.json ? json_array() : NULL;
		upload_failed =
		        upload_session_send_written(&upload, &cli.recipients, sum.bundle_path,
		                                    sum.bundle_sha256, label, uploads) != 0;
	}
	if (cli.json) {
		json_t *files = written_files(&cli.recipients, sum.bundle_path, label);

		print_summary_json(&sum, cli.signer ? signer_subject(cli.signer) : NULL, rc, files,
		                   uploads);
		json_decref(files);
	}
	free(label);
	collect_summary_free(&sum);
	rc = upload.interrupted              ? LP_EXIT_INTERRUPTED
	     : upload_failed || label_failed ? LP_EXIT_FAILURE
	     : rc == 1                       ? LP_EXIT_PARTIAL
	                                     : LP_EXIT_OK;
out:
	upload_session_close(&upload);
	json_decref(uploads);
	collect_cli_free(&cli);
	free(longopts);
	free(shortopts);
	return rc;
}
