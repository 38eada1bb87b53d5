/*
 * The upload options shared by every command that uploads (upload, collect --upload,
 * snapshot --upload): one option table, one parser and one help text, so that they spell and
 * mean the same everywhere; and the session that reports an upload on the terminal.
 */
#ifndef LOGPACK_UPLOAD_OPTS_H
#define LOGPACK_UPLOAD_OPTS_H

#include <getopt.h>
#include <stdint.h>

#include <jansson.h>

#include "base/log.h"
#include "base/util.h"
#include "transport/upload.h"

enum upload_cli_opt {
	UPLOAD_OPT_CACERT = 0x1100,
	UPLOAD_OPT_CONNECT_TIMEOUT,
	UPLOAD_OPT_CREDENTIALS,
	UPLOAD_OPT_DELETE_AFTER,
	UPLOAD_OPT_FORM_FIELD,
	UPLOAD_OPT_HOST_KEY_SHA256,
	UPLOAD_OPT_IDENTITY,
	UPLOAD_OPT_KNOWN_HOSTS,
	UPLOAD_OPT_LIMIT_RATE,
	UPLOAD_OPT_METHOD,
	UPLOAD_OPT_PART_SIZE,
	UPLOAD_OPT_PIN_PUBKEY,
	UPLOAD_OPT_RETRIES,
	UPLOAD_OPT_RETRY_DELAY,
	UPLOAD_OPT_S3_ENDPOINT,
	UPLOAD_OPT_S3_REGION,
	UPLOAD_OPT_TO,
};

/* Sorted by name; --to is added by each command under its own name. */
#define UPLOAD_CLI_LONG_OPTIONS                                                           \
	{"cacert", required_argument, NULL, UPLOAD_OPT_CACERT},                           \
	        {"connect-timeout", required_argument, NULL, UPLOAD_OPT_CONNECT_TIMEOUT}, \
	        {"credentials", required_argument, NULL, UPLOAD_OPT_CREDENTIALS},         \
	        {"delete-after-upload", no_argument, NULL, UPLOAD_OPT_DELETE_AFTER},      \
	        {"form-field", required_argument, NULL, UPLOAD_OPT_FORM_FIELD},           \
	        {"host-key-sha256", required_argument, NULL, UPLOAD_OPT_HOST_KEY_SHA256}, \
	        {"identity", required_argument, NULL, UPLOAD_OPT_IDENTITY},               \
	        {"known-hosts", required_argument, NULL, UPLOAD_OPT_KNOWN_HOSTS},         \
	        {"limit-rate", required_argument, NULL, UPLOAD_OPT_LIMIT_RATE},           \
	        {"method", required_argument, NULL, UPLOAD_OPT_METHOD},                   \
	        {"part-size", required_argument, NULL, UPLOAD_OPT_PART_SIZE},             \
	        {"pin-pubkey", required_argument, NULL, UPLOAD_OPT_PIN_PUBKEY},           \
	        {"retries", required_argument, NULL, UPLOAD_OPT_RETRIES},                 \
	        {"retry-delay", required_argument, NULL, UPLOAD_OPT_RETRY_DELAY},         \
	        {"s3-endpoint", required_argument, NULL, UPLOAD_OPT_S3_ENDPOINT},         \
	{                                                                                 \
		"s3-region", required_argument, NULL, UPLOAD_OPT_S3_REGION                \
	}

#define UPLOAD_CLI_HELP                                                                           \
	"\n"                                                                                      \
	"Peers and credentials:\n"                                                                \
	"      --cacert FILE          trust the CA certificates in FILE (PEM) too\n"              \
	"      --pin-pubkey SPEC      require the server key: sha256//BASE64[;sha256//...]\n"     \
	"      --known-hosts FILE     sftp: the host key must be in FILE\n"                       \
	"                             (default ~/.ssh/known_hosts)\n"                             \
	"      --host-key-sha256 B64  sftp: the host key's SHA-256, as ssh-keygen -l prints it\n" \
	"      --identity FILE        sftp: the private key (default ~/.ssh/id_ed25519)\n"        \
	"      --credentials FILE     secrets as key=value lines (see below)\n"                   \
	"      --delete-after-upload  delete the local bundle and sidecar once the upload\n"      \
	"                             is verified\n"                                              \
	"      --s3-endpoint URL      s3: an S3-compatible server (https://HOST[:PORT]),\n"       \
	"                             addressed path-style\n"                                     \
	"      --s3-region NAME       s3: the region (default $AWS_REGION, else\n"                \
	"                             $AWS_DEFAULT_REGION, else us-east-1)\n"                     \
	"Transfer:\n"                                                                             \
	"      --method put|post      https: PUT to URL/<name> (default), or POST a multipart\n"  \
	"                             form with the file to URL as it is\n"                       \
	"      --form-field NAME      the form's file field (default file)\n"                     \
	"      --part-size SIZE       s3: multipart part size (default 64M; S3 needs >= 5M)\n"    \
	"      --limit-rate SIZE      send at most SIZE bytes per second (e.g. 500K)\n"           \
	"      --retries N            retries of a failed request (default 4); only timeouts,\n"  \
	"                             dropped connections and server errors are retried\n"        \
	"      --retry-delay SECONDS  first wait, doubled each retry, with jitter (default 1)\n"  \
	"      --connect-timeout SECONDS  (default 30)\n"

struct upload_cli {
	const char *to;
	const char *cacert;
	const char *pin_pubkey;
	const char *known_hosts;
	const char *host_key_sha256;
	const char *identity;
	const char *credentials;
	const char *s3_endpoint;
	const char *s3_region;
	uint64_t part_size;
	uint64_t limit_rate;
	int retries;
	double retry_delay;
	long connect_timeout;
	int delete_after;
	int post_form;
	const char *form_field;
};

void upload_cli_init(struct upload_cli *cli);
/*
 * Take one getopt result. Returns 0 when it was an upload option, 1 when its value is bad
 * (the reason in err), -1 when c is not an upload option.
 */
int upload_cli_option(struct upload_cli *cli, int c, const char *arg, struct error *err);
/* Fill the module's options from the command line ones (hooks left empty). */
void upload_cli_options(const struct upload_cli *cli, struct upload_options *opt);

/*
 * The command-line face of an upload, shared by the commands that upload: it reports on
 * stderr (retries, progress, the --verbose trace) as commands do.
 */
struct upload_session {
	const struct upload_cli *cli;
	struct upload *up;
	struct progress prog;
	int print_results; /* "BUNDLE -> URL" lines on stdout (else on stderr) */
	int interrupted;   /* SIGINT, SIGTERM or SIGHUP stopped a send: exit 130 */
};

/*
 * Open the target; with preflight, also write and remove a probe there. A failure is
 * reported on stderr; returns 0 or -1.
 */
int upload_session_open(struct upload_session *s, const struct upload_cli *cli, int preflight);
/*
 * Send a bundle and its .sha256 sidecar and report the result; a JSON record of it is added
 * to results when that is not NULL. sha256 is the bundle's hash when the caller has just
 * written it (collect, snapshot): the bundle is then not read a second time, and only an
 * existing sidecar is compared with it. With NULL (a bundle given by the user), the bundle is
 * hashed and must match its sidecar. Returns 0, or -1 when it was not sent (it is kept). A
 * signal (SIGINT, SIGTERM, SIGHUP) stops the send and sets s->interrupted.
 */
int upload_session_send(struct upload_session *s, const char *path, const char *sha256,
                        json_t *results);
/*
 * What collect and snapshot wrote, whole: the bundle file (sha256 as above), then, when it was
 * encrypted to r, the files of the other recipient kinds and the CMS header beside its .enc,
 * then the label and its signature when label is not NULL, each with a .sha256 sidecar (made
 * when there is none). A receiver needs every one of them. Stops at the first file not sent:
 * 0, or -1 as upload_session_send.
 */
struct recipients;
int upload_session_send_written(struct upload_session *s, const struct recipients *r,
                                const char *path, const char *sha256, const char *label,
                                json_t *results);
void upload_session_close(struct upload_session *s);

#endif
