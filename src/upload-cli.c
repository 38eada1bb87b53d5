/* The upload options shared by the commands that upload. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "upload-cli.h"

void upload_cli_init(struct upload_cli *cli)
{
	memset(cli, 0, sizeof(*cli));
	cli->retries = 4;
	cli->retry_delay = 1.0;
	cli->connect_timeout = 30;
}

static int parse_count(const char *arg, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

int upload_cli_option(struct upload_cli *cli, int c, const char *arg, struct error *err)
{
	long v;
	char *end;

	switch (c) {
	case UPLOAD_OPT_TO:
		cli->to = arg;
		return 0;
	case UPLOAD_OPT_CACERT:
		cli->cacert = arg;
		return 0;
	case UPLOAD_OPT_PIN_PUBKEY:
		if (strncmp(arg, "sha256//", 8) != 0) {
			error_set(err, "--pin-pubkey: expected sha256//BASE64");
			return 1;
		}
		cli->pin_pubkey = arg;
		return 0;
	case UPLOAD_OPT_KNOWN_HOSTS:
		cli->known_hosts = arg;
		return 0;
	case UPLOAD_OPT_HOST_KEY_SHA256:
		cli->host_key_sha256 = arg;
		return 0;
	case UPLOAD_OPT_IDENTITY:
		cli->identity = arg;
		return 0;
	case UPLOAD_OPT_CREDENTIALS:
		cli->credentials = arg;
		return 0;
	case UPLOAD_OPT_S3_ENDPOINT:
		cli->s3_endpoint = arg;
		return 0;
	case UPLOAD_OPT_S3_REGION:
		cli->s3_region = arg;
		return 0;
	case UPLOAD_OPT_PART_SIZE:
		if (parse_size(arg, &cli->part_size) != 0 || cli->part_size < 1024) {
			error_set(err, "--part-size: '%s' is not a size of at least 1K", arg);
			return 1;
		}
		return 0;
	case UPLOAD_OPT_LIMIT_RATE:
		if (parse_size(arg, &cli->limit_rate) != 0 || cli->limit_rate == 0) {
			error_set(err, "--limit-rate: '%s' is not a size per second", arg);
			return 1;
		}
		return 0;
	case UPLOAD_OPT_RETRIES:
		if (parse_count(arg, 100, &v) != 0) {
			error_set(err, "--retries: '%s' is not a number from 0 to 100", arg);
			return 1;
		}
		cli->retries = (int)v;
		return 0;
	case UPLOAD_OPT_RETRY_DELAY:
		errno = 0;
		cli->retry_delay = strtod(arg, &end);
		if (errno || end == arg || *end || !(cli->retry_delay >= 0) ||
		    cli->retry_delay > 3600) {
			error_set(err, "--retry-delay: '%s' is not a number of seconds", arg);
			return 1;
		}
		return 0;
	case UPLOAD_OPT_CONNECT_TIMEOUT:
		if (parse_count(arg, 3600, &v) != 0 || v == 0) {
			error_set(err, "--connect-timeout: '%s' is not a number of seconds", arg);
			return 1;
		}
		cli->connect_timeout = v;
		return 0;
	default:
		return -1;
	}
}

void upload_cli_options(const struct upload_cli *cli, struct upload_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->url = cli->to;
	opt->cacert = cli->cacert;
	opt->pin_pubkey = cli->pin_pubkey;
	opt->known_hosts = cli->known_hosts;
	opt->host_key_sha256 = cli->host_key_sha256;
	opt->identity = cli->identity;
	opt->credentials_file = cli->credentials;
	opt->s3_endpoint = cli->s3_endpoint;
	opt->s3_region = cli->s3_region;
	opt->part_size = cli->part_size;
	opt->limit_rate = cli->limit_rate;
	opt->retries = cli->retries;
	opt->retry_delay = cli->retry_delay;
	opt->connect_timeout = cli->connect_timeout;
}
