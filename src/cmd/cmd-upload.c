/* logpack upload: send bundles and their .sha256 sidecars to an HTTPS, SFTP or S3 drop. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/exitcode.h"
#include "base/hash.h"
#include "base/log.h"
#include "cmd/command.h"
#include "cmd/upload-opts.h"
#include "transport/upload.h"

static int cmd_upload(int argc, char **argv)
{
	static const struct option options[] = {
	        UPLOAD_CLI_LONG_OPTIONS,
	        {"help", no_argument, NULL, 'h'},
	        {"json", no_argument, NULL, 'j'},
	        {"test", no_argument, NULL, 'T'},
	        {"to", required_argument, NULL, UPLOAD_OPT_TO},
	        {"verbose", no_argument, NULL, 'v'},
	        {NULL, 0, NULL, 0},
	};
	struct upload_cli cli;
	struct upload_session session = {0};
	struct error err = {{0}};
	json_t *jarr = NULL, *jroot = NULL;
	int c, ret = LP_EXIT_FAILURE, failed = 0, r, test = 0, json = 0;

	upload_cli_init(&cli);
	while ((c = command_getopt(argc, argv, "hv", options)) != -1) {
		switch (c) {
		case 'h':
			command_print_help(&command_upload, stdout);
			return LP_EXIT_OK;
		case 'j':
			json = 1;
			break;
		case 'T':
			test = 1;
			break;
		case 'v':
			log_level = log_level < LOG_NORMAL ? LOG_VERBOSE : log_level + 1;
			break;
		default:
			r = upload_cli_option(&cli, c, optarg, &err);
			if (r == 0)
				break;
			if (r > 0)
				return command_usage_error(&command_upload, "%s", err.msg);
			return command_option_error(&command_upload);
		}
	}
	if (cli.to == NULL)
		return command_usage_error(&command_upload, "--to URL is required");
	if (test && optind < argc)
		return command_usage_error(&command_upload,
		                           "--test checks the target only; give no bundles");
	if (!test && optind >= argc)
		return command_usage_error(&command_upload, "no bundles given");
	if (test && cli.delete_after)
		return command_usage_error(&command_upload,
		                           "--delete-after-upload makes no sense with --test");
	if (strncmp(cli.to, "https:", 6) == 0 && strchr(cli.to, '?') && argc - optind > 1)
		return command_usage_error(&command_upload,
		                           "a URL with a query (pre-signed) takes one bundle");

	session.print_results = !json;
	jroot = json_object();
	if (upload_session_open(&session, &cli, test) != 0) {
		json_object_set_new(jroot, "ok", json_false());
		goto out;
	}
	json_object_set_new(jroot, "target", json_string(upload_target(session.up)));
	if (test) {
		json_object_set_new(jroot, "test", json_true());
		json_object_set_new(jroot, "ok", json_true());
		if (!json)
			printf("%s: reachable, identity verified, writable\n",
			       upload_target(session.up));
		ret = LP_EXIT_OK;
		goto out;
	}
	jarr = json_array();
	for (int i = optind; i < argc && !session.interrupted; i++)
		if (upload_session_send(&session, argv[i], NULL, jarr) != 0)
			failed++;
	json_object_set_new(jroot, "ok", json_boolean(failed == 0 && !session.interrupted));
	json_object_set_new(jroot, "bundles", jarr);
	ret = session.interrupted ? LP_EXIT_INTERRUPTED : failed ? LP_EXIT_FAILURE : LP_EXIT_OK;
out:
	if (json) {
		json_dumpf(jroot, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	}
	json_decref(jroot);
	upload_session_close(&session);
	return ret;
}

const struct command command_upload = {
        .name = "upload",
        .usage = "upload --to URL [OPTIONS] BUNDLE... | upload --test --to URL [OPTIONS]",
        .summary = "send bundles to an HTTPS, SFTP or S3 drop, verifying the peer",
        .help = "Targets:\n"
                "  https://HOST[:PORT]/DIR      PUT to DIR/<bundle name> (WebDAV drops); a URL\n"
                "                               with a query (pre-signed) is used as it is\n"
                "  sftp://USER@HOST[:PORT]/DIR  key authentication; /~/DIR is under the home\n"
                "  s3://BUCKET[/PREFIX]         AWS SigV4; multipart above --part-size\n"
                "\n"
                "Each bundle's .sha256 sidecar goes along (made when missing; a sidecar that\n"
                "does not match its bundle stops that upload). A file counts as sent only when\n"
                "the server reports its full size; S3 also confirms the content hash.\n"
                "\n"
                "Options:\n"
                "      --to URL               where to send (required)\n"
                "      --test                 pre-flight: reach the target, verify it, write and\n"
                "                             remove a probe file; send nothing\n"
                "      --json                 print the result as JSON on stdout\n"
                "  -v, --verbose              say more, with a protocol trace (secrets "
                "redacted)\n"
                "  -h, --help                 this text\n" UPLOAD_CLI_HELP "\n"
                "Credentials never go on the command line:\n"
                "  https  LOGPACK_UPLOAD_USER and LOGPACK_UPLOAD_PASSWORD (basic), or\n"
                "         LOGPACK_UPLOAD_TOKEN (bearer), or a --credentials file\n"
                "  sftp   the --identity key; its passphrase in LOGPACK_SSH_PASSPHRASE or the\n"
                "         --credentials file\n"
                "  s3     AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN], or the\n"
                "         profile AWS_PROFILE (default 'default') of ~/.aws/credentials\n"
                "A --credentials file holds user=, password=, token= and passphrase= lines and\n"
                "must not be readable by group or others.\n"
                "\n"
                "Exit: 0 all sent and verified, 2 usage, 3 a bundle was not sent (it is kept),\n"
                "130 interrupted (the bundles are kept).\n",
        .run = cmd_upload,
};
