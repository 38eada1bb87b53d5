/* Unit tests: upload option values and target parsing, before any network use. */
#include "config.h"

#include <stdlib.h>

#include "cmd/upload-opts.h"
#include "tap.h"
#include "transport/upload.h"

/* Does opening a target with these options fail with a message containing want? */
static int open_fails(const struct upload_options *o, const char *want)
{
	struct upload *up = NULL;
	struct error err = {{0}};
	int failed = upload_open(&up, o, &err) != 0;

	if (!failed)
		upload_close(up);
	else if (strstr(err.msg, want) == NULL)
		printf("#   message: %s\n", err.msg);
	return failed && strstr(err.msg, want) != NULL;
}

static int option_value_ok(int opt, const char *value)
{
	struct upload_cli cli;
	struct error err = {{0}};

	upload_cli_init(&cli);
	return upload_cli_option(&cli, opt, value, &err) == 0;
}

int main(void)
{
	struct upload_options o = {0};
	struct upload_cli cli;
	struct upload *up = NULL;
	struct error err = {{0}};

	upload_cli_init(&cli);
	ok(cli.retries == 4 && cli.retry_delay == 1.0, "defaults: 4 retries, 1 s first delay");
	ok(upload_cli_option(&cli, 'z', "x", &err) < 0, "not an upload option");
	ok(option_value_ok(UPLOAD_OPT_RETRIES, "0"), "--retries 0");
	ok(!option_value_ok(UPLOAD_OPT_RETRIES, "-1"), "--retries -1 rejected");
	ok(!option_value_ok(UPLOAD_OPT_RETRIES, "many"), "--retries many rejected");
	ok(!option_value_ok(UPLOAD_OPT_RETRIES, "101"), "--retries 101 rejected");
	ok(option_value_ok(UPLOAD_OPT_RETRY_DELAY, "0.25"), "--retry-delay 0.25");
	ok(!option_value_ok(UPLOAD_OPT_RETRY_DELAY, "nan"), "--retry-delay nan rejected");
	ok(!option_value_ok(UPLOAD_OPT_RETRY_DELAY, "-1"), "--retry-delay -1 rejected");
	ok(option_value_ok(UPLOAD_OPT_PART_SIZE, "5M"), "--part-size 5M");
	ok(!option_value_ok(UPLOAD_OPT_PART_SIZE, "100"), "--part-size below 1K rejected");
	ok(!option_value_ok(UPLOAD_OPT_LIMIT_RATE, "0"), "--limit-rate 0 rejected");
	ok(!option_value_ok(UPLOAD_OPT_PIN_PUBKEY, "AAAA"), "--pin-pubkey without sha256//");
	ok(!option_value_ok(UPLOAD_OPT_CONNECT_TIMEOUT, "0"), "--connect-timeout 0 rejected");

	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	unsetenv("LOGPACK_UPLOAD_PASSWORD");
	unsetenv("LOGPACK_UPLOAD_USER");

	o.url = "ftp://127.0.0.1/x";
	ok(open_fails(&o, "unsupported scheme 'ftp'"), "ftp refused");
	o.url = "http://127.0.0.1/x";
	ok(open_fails(&o, "plain http is refused"), "http refused");
	o.url = "not a url";
	ok(open_fails(&o, "not a valid URL"), "garbage refused");
	o.url = "https://u:pw@127.0.0.1/x";
	ok(open_fails(&o, "would show in the process list"), "password in an https URL refused");
	o.url = "sftp://127.0.0.1/x";
	ok(open_fails(&o, "name the user"), "sftp without a user refused");
	o.url = "sftp://u:pw@127.0.0.1/x";
	ok(open_fails(&o, "passwords are not used"), "sftp password refused");
	o.url = "sftp://u@127.0.0.1/x";
	o.identity = "/nonexistent/key";
	ok(open_fails(&o, "/nonexistent/key"), "sftp with a missing key refused");
	o.identity = NULL;
	o.url = "s3://Not_A_Bucket/x";
	ok(open_fails(&o, "not a valid bucket name"), "bad AWS bucket name refused");
	o.url = "s3://bucket/x";
	ok(open_fails(&o, "no S3 credentials"), "s3 without credentials refused");
	o.s3_endpoint = "http://127.0.0.1:9000";
	ok(open_fails(&o, "only https:// is accepted"), "http S3 endpoint refused");
	o.s3_endpoint = "https://127.0.0.1:9000/path";
	ok(open_fails(&o, "give only https://HOST[:PORT]"), "S3 endpoint with a path refused");
	o.s3_endpoint = NULL;
	o.s3_region = "eu north 1";
	ok(open_fails(&o, "is not a region name"), "bad region refused");
	o.s3_region = NULL;
	o.url = "https://127.0.0.1/x";
	o.s3_region = "eu-north-1";
	ok(open_fails(&o, "for s3:// targets"), "--s3-region with https refused");
	o.s3_region = NULL;
	o.known_hosts = "/dev/null";
	ok(open_fails(&o, "for sftp:// targets"), "--known-hosts with https refused");
	o.known_hosts = NULL;

	setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
	o.url = "s3://my-bucket/some/prefix";
	ok(upload_open(&up, &o, &err) == 0, "s3 target opens with credentials");
	if (up) {
		ok(upload_get_scheme(up) == UPLOAD_S3, "scheme s3");
		is_str(upload_target(up), "s3://my-bucket/some/prefix", "target shown as given");
		upload_close(up);
		up = NULL;
	}
	o.url = "https://drop@127.0.0.1:8443/in/?X-Amz-Signature=abc";
	ok(upload_open(&up, &o, &err) == 0, "pre-signed https opens");
	if (up) {
		is_str(upload_target(up), "https://127.0.0.1:8443/in/?[redacted]",
		       "its query and user are not shown");
		upload_close(up);
	}
	return tap_done();
}
