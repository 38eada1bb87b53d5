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
#include "cmd/command.h"
#include "cmd/incident-attach.h"
#include "report/incident.h"
#include "series/snapshot.h"
#include "transport/upload-cli.h"
#include "trust/sign-config.h"
#include "trust/sign.h"

static int cmd_snapshot(int argc, char **argv);

const struct command command_snapshot = {
        .name = "snapshot",
        .usage = "snapshot --state DIR [--root DIR] [-o DIR] [--keep N|--keep-for DURATION] "
                 "[OPTIONS]",
        .summary = "collect what is new since the previous snapshot, chained to it",
        .help = "The first snapshot of a state directory takes every log, as collect does; each\n"
                "later one takes only what is new: the bytes appended to a file (a segment\n"
                "with its offset), new files whole. Rotated files (renamed, copied and\n"
                "truncated, compressed) are recognised and not taken again. A file that\n"
                "shrank, was rewritten, replaced or deleted outside rotation is an anomaly.\n"
                "\n"
                "Options:\n"
                "  -s, --state DIR         the series' state (created mode 0700; required)\n"
                "  -r, --root DIR          the system to collect from (default /)\n"
                "  -p, --profile NAME|FILE which logs to take (default: detected from the root)\n"
                "  -o, --output DIR        where to write the bundle (default: the current "
                "directory)\n"
                "  -c, --compress ALGO     zstd (default), gzip, xz or none\n"
                "      --level N           compression level\n"
                "  -x, --exclude PATTERN   leave out matching paths (repeatable)\n"
                "      --category LIST     only these categories (comma separated)\n"
                "  -f, --force             write even if the space estimate says it will not fit\n"
                "      --keep N            then remove all but the newest N bundles of the series\n"
                "      --keep-for DURATION then remove bundles older than DURATION (7d, 12h)\n"
                "      --json              a machine-readable summary on stdout\n"
                "      --upload URL        check URL before the snapshot (see 'logpack upload\n"
                "                          --test'), send the bundle there after; the upload\n"
                "                          options of 'logpack upload' apply\n"
                "      --incident FILE     add the incident report (see 'logpack incident') to\n"
                "                          each bundle; a report that fails its check stops\n"
                "      --sign-key KEY      sign each bundle with this private key (PEM, 0600)\n"
                "      --sign-cert CERT    the signer's certificate (PEM)\n"
                "      --sign-chain FILE   intermediate certificates to include (PEM)\n"
                "      --passphrase-file F the key's passphrase\n"
                "      --config FILE       signing settings (default /etc/logpack/logpack.conf)\n"
                "  -h, --help              this text\n"
                "\n"
                "Exit: 0 done, 1 written but some sources unreadable, 2 usage, 3 failed (the\n"
                "state is unchanged), 7 written and anomalies found, 130 interrupted.\n",
        .run = cmd_snapshot,
};

enum {
	OPT_CATEGORY = 256,
	OPT_CONFIG,
	OPT_INCIDENT,
	OPT_UPLOAD,
	OPT_JSON,
	OPT_KEEP,
	OPT_KEEP_FOR,
	OPT_LEVEL,
	OPT_PASSPHRASE_FILE,
	OPT_SIGN_CERT,
	OPT_SIGN_CHAIN,
	OPT_SIGN_KEY,
};

struct snapshot_cli {
	struct snapshot_options opt;
	const char **excludes;
	size_t n_excludes;
	char **categories;
	size_t n_categories;
	char *category_text;
	int json;
	const char *config;
	struct sign_settings sign;
	struct signer *signer;
	const char *incident;
	struct incident_attachment incident_att;
	struct upload_cli upload;
};

static void snapshot_cli_free(struct snapshot_cli *cli)
{
	sign_settings_free(&cli->sign);
	signer_free(cli->signer);
	incident_attachment_free(&cli->incident_att);
	free(cli->excludes);
	free(cli->categories);
	free(cli->category_text);
}

static int split_categories(struct snapshot_cli *cli, const char *list)
{
	cli->n_categories = list_split(list, ',', &cli->category_text, &cli->categories);
	return cli->n_categories > 0 ? 0 : -1;
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
	static const struct option options[] = {
	        {"category", required_argument, NULL, OPT_CATEGORY},
	        {"compress", required_argument, NULL, 'c'},
	        {"config", required_argument, NULL, OPT_CONFIG},
	        {"exclude", required_argument, NULL, 'x'},
	        {"force", no_argument, NULL, 'f'},
	        {"help", no_argument, NULL, 'h'},
	        {"incident", required_argument, NULL, OPT_INCIDENT},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"keep", required_argument, NULL, OPT_KEEP},
	        {"keep-for", required_argument, NULL, OPT_KEEP_FOR},
	        {"level", required_argument, NULL, OPT_LEVEL},
	        {"output", required_argument, NULL, 'o'},
	        {"passphrase-file", required_argument, NULL, OPT_PASSPHRASE_FILE},
	        {"profile", required_argument, NULL, 'p'},
	        {"root", required_argument, NULL, 'r'},
	        {"sign-cert", required_argument, NULL, OPT_SIGN_CERT},
	        {"sign-chain", required_argument, NULL, OPT_SIGN_CHAIN},
	        {"sign-key", required_argument, NULL, OPT_SIGN_KEY},
	        {"state", required_argument, NULL, 's'},
	        {"upload", required_argument, NULL, OPT_UPLOAD},
	        UPLOAD_CLI_LONG_OPTIONS,
	        {NULL, 0, NULL, 0},
	};
	struct snapshot_cli cli;
	struct snapshot_options *opt = &cli.opt;
	struct collect_options *co = &opt->collect;
	struct snapshot_summary sum;
	struct error err = {{0}};
	struct upload_session upload = {0};
	int upload_failed = 0;
	char *end;
	int c, rc;

	memset(&cli, 0, sizeof(cli));
	upload_cli_init(&cli.upload);
	co->root = "/";
	co->compression = "zstd";
	co->level = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:fho:p:r:s:x:", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!bag_compression_valid(optarg)) {
				rc = command_usage_error(&command_snapshot,
				                         "--compress: '%s' is not zstd, gzip, xz "
				                         "or none",
				                         optarg);
				goto out;
			}
			co->compression = optarg;
			break;
		case 'f':
			co->force = 1;
			break;
		case 'h':
			command_print_help(&command_snapshot, stdout);
			rc = LP_EXIT_OK;
			goto out;
		case 'o':
			co->output = optarg;
			break;
		case 'p':
			co->profile = optarg;
			break;
		case 'r':
			co->root = optarg;
			break;
		case 's':
			opt->state_dir = optarg;
			break;
		case 'x':
			cli.excludes = xreallocarray(cli.excludes, cli.n_excludes + 1,
			                             sizeof(*cli.excludes));
			cli.excludes[cli.n_excludes++] = optarg;
			break;
		case OPT_CATEGORY:
			if (split_categories(&cli, optarg) < 0) {
				rc = command_usage_error(&command_snapshot,
				                         "--category needs a list such as "
				                         "auth,system");
				goto out;
			}
			break;
		case OPT_INCIDENT:
			cli.incident = optarg;
			break;
		case OPT_CONFIG:
			cli.config = optarg;
			break;
		case OPT_PASSPHRASE_FILE:
		case OPT_SIGN_CERT:
		case OPT_SIGN_CHAIN:
		case OPT_SIGN_KEY: {
			char **slot = c == OPT_PASSPHRASE_FILE ? &cli.sign.passphrase_file
			              : c == OPT_SIGN_CERT     ? &cli.sign.cert
			              : c == OPT_SIGN_CHAIN    ? &cli.sign.chain
			                                       : &cli.sign.key;

			free(*slot);
			*slot = xstrdup(optarg);
			break;
		}
		case OPT_JSON:
			cli.json = 1;
			break;
		case OPT_KEEP:
			opt->keep = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || opt->keep == 0) {
				rc = command_usage_error(
				        &command_snapshot,
				        "--keep: '%s' is not a count of at least 1", optarg);
				goto out;
			}
			break;
		case OPT_KEEP_FOR:
			if (parse_duration(optarg, &opt->keep_for) < 0 || opt->keep_for <= 0) {
				rc = command_usage_error(&command_snapshot,
				                         "--keep-for: '%s' is not a duration (such "
				                         "as 90m, 12h, 7d, 2w)",
				                         optarg);
				goto out;
			}
			break;
		case OPT_LEVEL:
			co->level = (int)strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || co->level < 0 || co->level > 22) {
				rc = command_usage_error(&command_snapshot,
				                         "--level: '%s' is not a number from 0 to "
				                         "22",
				                         optarg);
				goto out;
			}
			break;
		case ':':
			rc = command_usage_error(&command_snapshot, "option '%s' needs a value",
			                         argv[optind - 1]);
			goto out;
		case OPT_UPLOAD:
			cli.upload.to = optarg;
			break;
		default:
			if ((rc = upload_cli_option(&cli.upload, c, optarg, &err)) == 0)
				break;
			rc = command_usage_error(&command_snapshot,
			                         rc > 0 ? "%s" : "unknown option '%s'",
			                         rc > 0 ? err.msg : argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		rc = command_usage_error(&command_snapshot, "unexpected argument '%s'",
		                         argv[optind]);
		goto out;
	}
	if (opt->state_dir == NULL) {
		rc = command_usage_error(&command_snapshot, "--state DIR is required");
		goto out;
	}
	co->excludes = cli.excludes;
	co->n_excludes = cli.n_excludes;
	co->categories = (const char *const *)cli.categories;
	co->n_categories = cli.n_categories;
	co->progress = !cli.json && isatty(STDOUT_FILENO);
	/* The report is checked before anything is read, as collect does. */
	if (cli.incident && incident_attach(cli.incident, co, &cli.incident_att, &err) < 0) {
		for (size_t i = 0;
		     cli.incident_att.report && i < cli.incident_att.report->n_problems; i++)
			fprintf(stderr, "%s: %s\n", cli.incident,
			        cli.incident_att.report->problems[i].message);
		log_error("%s", err.msg);
		rc = LP_EXIT_FAILURE;
		goto out;
	}
	/* Load the key before anything is read, so a bad key or passphrase fails at once. */
	if (sign_settings_load(&cli.sign, cli.config, 1, &cli.signer, &err) < 0) {
		log_error("%s", err.msg);
		rc = LP_EXIT_FAILURE;
		goto out;
	}
	if (cli.signer) {
		co->sign = signer_sign;
		co->sign_ctx = cli.signer;
		log_verbose("signing as %s", signer_subject(cli.signer));
	}
	/* The series needs its bundles: retention (--keep) removes them, an upload does not. */
	if (cli.upload.delete_after) {
		rc = command_usage_error(&command_snapshot,
		                         "--delete-after-upload does not go with snapshots (the "
		                         "series keeps its bundles; see --keep)");
		goto out;
	}
	/* Fail before reading anything, not after, when the target will not take the bundle. */
	if (cli.upload.to && upload_session_open(&upload, &cli.upload, 1) != 0) {
		log_error("no snapshot taken: fix the upload target first");
		rc = LP_EXIT_FAILURE;
		goto out;
	}
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
	/* The bundle is complete and in the series; a failed upload keeps it and says so. */
	if (upload.up && sum.collect.bundle_path)
		upload_failed = upload_session_send(&upload, sum.collect.bundle_path, NULL) != 0;
	rc = upload.interrupted ? LP_EXIT_INTERRUPTED
	     : upload_failed    ? LP_EXIT_FAILURE
	     : sum.n_anomalies  ? LP_EXIT_ANOMALY
	     : rc == 1          ? LP_EXIT_PARTIAL
	                        : LP_EXIT_OK;
	snapshot_summary_free(&sum);
out:
	upload_session_close(&upload);
	snapshot_cli_free(&cli);
	return rc;
}
