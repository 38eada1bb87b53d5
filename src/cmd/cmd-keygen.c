/* logpack keygen: make a signing key and a self-signed certificate. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "cmd/command.h"
#include "trust/sign.h"

static int cmd_keygen(int argc, char **argv);

const struct command command_keygen = {
        .name = "keygen",
        .usage =
                "keygen [--out PREFIX] [--subject /O=Org/CN=Name] [--days N] [--passphrase-file F]",
        .summary = "make an ECDSA P-256 signing key and a self-signed certificate",
        .help = "Options:\n"
                "  -o, --out PREFIX         write PREFIX.key (mode 0600) and PREFIX.crt\n"
                "                           (default: logpack-signing)\n"
                "  -s, --subject SUBJECT    the certificate's subject, e.g.\n"
                "                           \"/O=Example CERT/CN=Jane "
                "Doe/emailAddress=jd@example.org\"\n"
                "                           (default: /CN=logpack on <hostname>)\n"
                "  -d, --days N             valid for N days (default 730)\n"
                "      --passphrase-file F  encrypt the key with the first line of F; or set\n"
                "                           $LOGPACK_KEY_PASSPHRASE. Without either the key is\n"
                "                           not encrypted: keep it on a protected host.\n"
                "  -h, --help               this text\n"
                "\n"
                "Give PREFIX.crt to those who receive your bundles: they pass it to\n"
                "'logpack verify --trust'. Existing files are never overwritten.\n",
        .run = cmd_keygen,
};

enum { OPT_PASSPHRASE_FILE = 256 };

static int cmd_keygen(int argc, char **argv)
{
	static const struct option options[] = {
	        {"days", required_argument, NULL, 'd'},
	        {"help", no_argument, NULL, 'h'},
	        {"out", required_argument, NULL, 'o'},
	        {"passphrase-file", required_argument, NULL, OPT_PASSPHRASE_FILE},
	        {"subject", required_argument, NULL, 's'},
	        {NULL, 0, NULL, 0},
	};
	struct keygen_options ko = {0};
	const char *prefix = "logpack-signing", *pass_file = NULL;
	char *subject = NULL, *pass = NULL, *end;
	char host[256];
	size_t pass_len = 0;
	struct error err;
	long days = 730;
	int c, rc = LP_EXIT_FAILURE;

	while ((c = command_getopt(argc, argv, "d:ho:s:", options)) != -1) {
		switch (c) {
		case 'd':
			days = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || days <= 0 || days > 36500)
				return command_usage_error(&command_keygen,
				                           "--days: '%s' is not a number of days "
				                           "from 1 to 36500",
				                           optarg);
			break;
		case 'h':
			command_print_help(&command_keygen, stdout);
			return LP_EXIT_OK;
		case 'o':
			prefix = optarg;
			break;
		case 's':
			free(subject);
			subject = xstrdup(optarg);
			break;
		case OPT_PASSPHRASE_FILE:
			pass_file = optarg;
			break;
		default:
			free(subject);
			return command_option_error(&command_keygen);
		}
	}
	if (optind < argc) {
		free(subject);
		return command_usage_error(&command_keygen, "unexpected argument '%s'",
		                           argv[optind]);
	}
	if (subject == NULL) {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "unknown host");
		host[sizeof(host) - 1] = '\0';
		subject = xasprintf("/CN=logpack on %s", host);
	}
	if (sign_read_passphrase(pass_file, 0, NULL, &pass, &pass_len, &err) < 0) {
		log_error("passphrase: %s", err.msg);
		goto out;
	}
	if (pass && pass_len < 8) {
		log_error("the passphrase is shorter than 8 characters");
		goto out;
	}
	ko.key_path = xasprintf("%s.key", prefix);
	ko.cert_path = xasprintf("%s.crt", prefix);
	ko.subject = subject;
	ko.days = (int)days;
	ko.passphrase = pass;
	ko.passphrase_len = pass_len;
	if (sign_keygen(&ko, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	printf("%s\n%s\n", ko.key_path, ko.cert_path);
	log_info("wrote the private key %s (mode 0600%s) and the certificate %s for %s, valid "
	         "%ld days",
	         ko.key_path, pass ? ", encrypted" : ", NOT encrypted", ko.cert_path, subject,
	         days);
	rc = LP_EXIT_OK;
out:
	if (pass) {
		OPENSSL_cleanse(pass, pass_len);
		free(pass);
	}
	free((char *)ko.key_path);
	free((char *)ko.cert_path);
	free(subject);
	return rc;
}
