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
#include "bundle/bag.h"
#include "cmd/command.h"
#include "cmd/encrypt-cli.h"
#include "cmd/incident-attach.h"
#include "gather/collect.h"
#include "report/incident.h"
#include "transport/upload-cli.h"
#include "trust/sign-config.h"
#include "trust/sign.h"

static int cmd_collect(int argc, char **argv);

const struct command command_collect = {
        .name = "collect",
        .usage = "collect [--root DIR] [--profile NAME|FILE] [-o DIR|FILE] [--upload URL] "
                 "[OPTIONS]",
        .summary = "gather a host's logs into a bundle",
        .help = "Options:\n"
                "  -r, --root DIR          the system to collect from: / (default) or a mounted "
                "image\n"
                "  -p, --profile NAME|FILE which logs to take (default: detected from the root)\n"
                "  -o, --output DIR|FILE   where to write the bundle (default: the current "
                "directory)\n"
                "  -c, --compress ALGO     zstd (default), gzip, xz or none\n"
                "      --level N           compression level\n"
                "      --since TIME        only files modified at or after TIME (ISO 8601)\n"
                "      --until TIME        only files modified at or before TIME\n"
                "      --max-file-size SIZE  keep only the last SIZE bytes of larger files\n"
                "      --skip-large        skip files over --max-file-size instead\n"
                "  -x, --exclude PATTERN   leave out matching paths (repeatable)\n"
                "      --category LIST     only these categories (comma separated)\n"
                "      --incident FILE     add the incident report for CERT-SE (see 'logpack\n"
                "                          incident'); a report that fails its check stops\n"
                "                          collect before anything is read (exit 3)\n"
                "  -n, --dry-run           list what would be collected; write nothing\n"
                "  -f, --force             write even if the space estimate says it will not fit\n"
                "      --json              a machine-readable summary on stdout\n"
                "      --sign-key KEY      sign the bundle with this private key (PEM, mode 0600)\n"
                "      --sign-cert CERT    the signer's certificate (PEM)\n"
                "      --sign-chain FILE   intermediate certificates to include (PEM)\n"
                "      --passphrase-file F the key's passphrase (else $LOGPACK_KEY_PASSPHRASE,\n"
                "                          else asked on the terminal)\n"
                "      --config FILE       signing settings (default "
                "/etc/logpack/logpack.conf)\n" ENCRYPT_CLI_HELP
                "  -h, --help              this text\n"
                "      --upload URL        check URL before collecting (see 'logpack upload\n"
                "                          --test'), send the bundle there after; the upload\n"
                "                          options of 'logpack upload' apply\n"
                "\n"
                "Exit: 0 complete, 1 written but some sources unreadable, 2 usage, 3 failed,\n"
                "130 interrupted (the partial bundle is removed).\n",
        .run = cmd_collect,
};

enum {
	OPT_CATEGORY = 256,
	OPT_INCIDENT,
	OPT_JSON,
	OPT_LEVEL,
	OPT_MAX_FILE_SIZE,
	OPT_SINCE,
	OPT_SKIP_LARGE,
	OPT_UNTIL,
	/* signing */
	OPT_CONFIG,
	OPT_PASSPHRASE_FILE,
	OPT_SIGN_CERT,
	OPT_SIGN_CHAIN,
	OPT_SIGN_KEY,
	/* upload */
	OPT_UPLOAD,
};

struct collect_cli {
	struct collect_options opt;
	const char **excludes;
	size_t n_excludes;
	char **categories;
	size_t n_categories;
	char *category_text;
	int json;
	struct sign_settings sign;
	const char *config;
	struct signer *signer;
	const char *incident;
	struct incident_attachment incident_att;
	struct upload_cli upload;
	struct recipients recipients;
};

static void collect_cli_free(struct collect_cli *cli)
{
	free(cli->excludes);
	free(cli->categories);
	free(cli->category_text);
	sign_settings_free(&cli->sign);
	signer_free(cli->signer);
	incident_attachment_free(&cli->incident_att);
	recipients_free(&cli->recipients);
}

static int split_categories(struct collect_cli *cli, const char *list)
{
	cli->n_categories = list_split(list, ',', &cli->category_text, &cli->categories);
	return cli->n_categories > 0 ? 0 : -1;
}

static void print_summary_json(const struct collect_summary *sum, int code, json_t *uploads)
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
	json_object_set_new(o, "links", json_integer((json_int_t)sum->links));
	json_object_set_new(o, "estimate_bytes", json_integer((json_int_t)sum->estimate_bytes));
	json_object_set_new(o, "partial", json_boolean(code == 1));
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
	if (uploads)
		json_object_set(o, "upload", uploads);
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(o);
}

static void print_summary_text(const struct collect_summary *sum, int dry_run)
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
}

static int cmd_collect(int argc, char **argv)
{
	static const struct option options[] = {
	        {"category", required_argument, NULL, OPT_CATEGORY},
	        {"compress", required_argument, NULL, 'c'},
	        {"config", required_argument, NULL, OPT_CONFIG},
	        {"dry-run", no_argument, NULL, 'n'},
	        {"exclude", required_argument, NULL, 'x'},
	        {"force", no_argument, NULL, 'f'},
	        {"help", no_argument, NULL, 'h'},
	        {"incident", required_argument, NULL, OPT_INCIDENT},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"level", required_argument, NULL, OPT_LEVEL},
	        {"max-file-size", required_argument, NULL, OPT_MAX_FILE_SIZE},
	        {"output", required_argument, NULL, 'o'},
	        {"passphrase-file", required_argument, NULL, OPT_PASSPHRASE_FILE},
	        {"profile", required_argument, NULL, 'p'},
	        {"root", required_argument, NULL, 'r'},
	        {"sign-cert", required_argument, NULL, OPT_SIGN_CERT},
	        {"sign-chain", required_argument, NULL, OPT_SIGN_CHAIN},
	        {"sign-key", required_argument, NULL, OPT_SIGN_KEY},
	        {"since", required_argument, NULL, OPT_SINCE},
	        {"skip-large", no_argument, NULL, OPT_SKIP_LARGE},
	        {"until", required_argument, NULL, OPT_UNTIL},
	        {"upload", required_argument, NULL, OPT_UPLOAD},
	        UPLOAD_CLI_LONG_OPTIONS,
	        ENCRYPT_CLI_LONG_OPTIONS,
	        {NULL, 0, NULL, 0},
	};
	struct collect_cli cli = {0};
	struct collect_options *opt = &cli.opt;
	struct collect_summary sum;
	struct upload_session upload = {0};
	json_t *uploads = NULL;
	int upload_failed = 0;
	struct error err = {{0}};
	char *end;
	int c, rc;

	opt->root = "/";
	opt->compression = "zstd";
	opt->level = -1;
	upload_cli_init(&cli.upload);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:fhno:p:r:x:", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!bag_compression_valid(optarg)) {
				rc = command_usage_error(&command_collect,
				                         "--compress: '%s' is not zstd, gzip, xz "
				                         "or none",
				                         optarg);
				goto out;
			}
			opt->compression = optarg;
			break;
		case 'f':
			opt->force = 1;
			break;
		case 'h':
			command_print_help(&command_collect, stdout);
			rc = LP_EXIT_OK;
			goto out;
		case 'n':
			opt->dry_run = 1;
			break;
		case 'o':
			opt->output = optarg;
			break;
		case 'p':
			opt->profile = optarg;
			break;
		case 'r':
			opt->root = optarg;
			break;
		case 'x':
			cli.excludes = xreallocarray(cli.excludes, cli.n_excludes + 1,
			                             sizeof(*cli.excludes));
			cli.excludes[cli.n_excludes++] = optarg;
			break;
		case OPT_CATEGORY:
			if (split_categories(&cli, optarg) < 0) {
				rc = command_usage_error(&command_collect,
				                         "--category needs a list such as "
				                         "auth,system");
				goto out;
			}
			break;
		case OPT_INCIDENT:
			cli.incident = optarg;
			break;
		case OPT_JSON:
			cli.json = 1;
			break;
		case OPT_LEVEL:
			opt->level = (int)strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || opt->level < 0 || opt->level > 22) {
				rc = command_usage_error(&command_collect,
				                         "--level: '%s' is not a number from 0 to "
				                         "22",
				                         optarg);
				goto out;
			}
			break;
		case OPT_MAX_FILE_SIZE:
			if (parse_size(optarg, &opt->max_file_size) < 0 ||
			    opt->max_file_size == 0) {
				rc = command_usage_error(&command_collect,
				                         "--max-file-size: '%s' is not a size "
				                         "(such as 512K, 100M, 2G)",
				                         optarg);
				goto out;
			}
			break;
		case OPT_SINCE:
		case OPT_UNTIL:
			if (parse_iso8601(optarg, c == OPT_SINCE ? &opt->since : &opt->until) < 0) {
				rc = command_usage_error(&command_collect,
				                         "--%s: '%s' is not an ISO 8601 date or "
				                         "date-time (2024-05-01, "
				                         "2024-05-01T12:00:00Z)",
				                         c == OPT_SINCE ? "since" : "until",
				                         optarg);
				goto out;
			}
			*(c == OPT_SINCE ? &opt->has_since : &opt->has_until) = 1;
			break;
		case OPT_SKIP_LARGE:
			opt->skip_large = 1;
			break;
		case OPT_CONFIG:
			cli.config = optarg;
			break;
		case OPT_PASSPHRASE_FILE:
			free(cli.sign.passphrase_file);
			cli.sign.passphrase_file = xstrdup(optarg);
			break;
		case OPT_SIGN_CERT:
			free(cli.sign.cert);
			cli.sign.cert = xstrdup(optarg);
			break;
		case OPT_SIGN_CHAIN:
			free(cli.sign.chain);
			cli.sign.chain = xstrdup(optarg);
			break;
		case OPT_SIGN_KEY:
			free(cli.sign.key);
			cli.sign.key = xstrdup(optarg);
			break;
		case ':':
			rc = command_usage_error(&command_collect, "option '%s' needs a value",
			                         argv[optind - 1]);
			goto out;
		case OPT_UPLOAD:
			cli.upload.to = optarg;
			break;
		default:
			if ((rc = encrypt_cli_option(&cli.recipients, c, optarg, &err)) <= 0) {
				if (rc == 0)
					break;
				rc = command_usage_error(&command_collect, "%s", err.msg);
				goto out;
			}
			if ((rc = upload_cli_option(&cli.upload, c, optarg, &err)) == 0)
				break;
			rc = command_usage_error(&command_collect,
			                         rc > 0 ? "%s" : "unknown option '%s'",
			                         rc > 0 ? err.msg : argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		rc = command_usage_error(&command_collect, "unexpected argument '%s'",
		                         argv[optind]);
		goto out;
	}
	if (opt->skip_large && opt->max_file_size == 0) {
		rc = command_usage_error(&command_collect, "--skip-large needs --max-file-size");
		goto out;
	}
	if (opt->has_since && opt->has_until && opt->since > opt->until) {
		rc = command_usage_error(&command_collect, "--since is later than --until");
		goto out;
	}
	opt->excludes = cli.excludes;
	opt->n_excludes = cli.n_excludes;
	opt->categories = (const char *const *)cli.categories;
	opt->n_categories = cli.n_categories;
	opt->progress = !cli.json && isatty(STDOUT_FILENO);
	if (encrypt_cli_apply(&cli.recipients, opt, &err) < 0) {
		rc = command_usage_error(&command_collect, "%s", err.msg);
		goto out;
	}
	if (cli.incident && incident_attach(cli.incident, opt, &cli.incident_att, &err) < 0) {
		for (size_t i = 0;
		     cli.incident_att.report && i < cli.incident_att.report->n_problems; i++)
			fprintf(stderr, "%s: %s\n", cli.incident,
			        cli.incident_att.report->problems[i].message);
		log_error("%s", err.msg);
		rc = LP_EXIT_FAILURE;
		goto out;
	}
	/* Load the key before collecting, so a bad key or passphrase fails at once. */
	if (sign_settings_load(&cli.sign, cli.config, !opt->dry_run, &cli.signer, &err) < 0) {
		log_error("%s", err.msg);
		rc = LP_EXIT_FAILURE;
		goto out;
	}
	if (cli.signer) {
		opt->sign = signer_sign;
		opt->sign_ctx = cli.signer;
		log_verbose("signing as %s", signer_subject(cli.signer));
	}
	if (cli.upload.to == NULL && cli.upload.delete_after) {
		rc = command_usage_error(&command_collect, "--delete-after-upload needs --upload");
		goto out;
	}
	/* Fail before a long collection, not after it, when the target will not take it. */
	if (cli.upload.to && upload_session_open(&upload, &cli.upload, 1) != 0) {
		log_error("nothing collected: fix the upload target first");
		rc = LP_EXIT_FAILURE;
		goto out;
	}
	rc = collect_run(opt, &sum, &err);
	if (rc < 0) {
		log_error("%s", err.msg);
		collect_summary_free(&sum);
		rc = LP_EXIT_FAILURE;
		goto out;
	}
	if (!cli.json)
		print_summary_text(&sum, opt->dry_run);
	/* The bundle is complete and on disk; a failed upload keeps it and says so. */
	if (upload.up && sum.bundle_path) {
		uploads = cli.json ? json_array() : NULL;
		upload_failed = upload_session_send(&upload, sum.bundle_path, uploads) != 0;
	}
	if (cli.json)
		print_summary_json(&sum, rc, uploads);
	collect_summary_free(&sum);
	rc = upload.interrupted ? LP_EXIT_INTERRUPTED
	     : upload_failed    ? LP_EXIT_FAILURE
	     : rc == 1          ? LP_EXIT_PARTIAL
	                        : LP_EXIT_OK;
out:
	upload_session_close(&upload);
	json_decref(uploads);
	collect_cli_free(&cli);
	return rc;
}
