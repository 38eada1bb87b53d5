/* logpack keygen: make a signing key and certificate, or a receiver's encryption key. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/atomic-file.h"
#include "base/exitcode.h"
#include "base/log.h"
#include "cmd/command.h"
#include "trust/age.h"
#include "trust/pseudo.h"
#include "trust/sign.h"

static int cmd_keygen(int argc, char **argv);

const struct command command_keygen = {
        .name = "keygen",
        .usage = "keygen [--type signing|x509-encryption|age] [--out PREFIX] [--subject "
                 "/O=Org/CN=Name] "
                 "[--days N] [--passphrase-file F] | keygen --incident [--out FILE]",
        .summary = "make a signing key and certificate, a receiver's encryption key, or an "
                   "incident key",
        .help = "Options:\n"
                "  -o, --out PREFIX         write PREFIX.key (mode 0600) and PREFIX.crt\n"
                "                           (default: logpack-signing; logpack-receiving\n"
                "                           for x509-encryption and age)\n"
                "  -s, --subject SUBJECT    the certificate's subject, e.g.\n"
                "                           \"/O=Example CERT/CN=Jane "
                "Doe/emailAddress=jd@example.org\"\n"
                "                           (default: /CN=logpack on <hostname>)\n"
                "  -d, --days N             valid for N days (default 730)\n"
                "      --passphrase-file F  encrypt the key with the first line of F; or set\n"
                "                           $LOGPACK_KEY_PASSPHRASE. Without either the key is\n"
                "                           not encrypted: keep it on a protected host.\n"
                "  -t, --type TYPE          signing (default): an ECDSA P-256 key to sign\n"
                "                           bundles; x509-encryption: a P-256 key and a\n"
                "                           certificate for keyAgreement, to receive bundles\n"
                "                           (senders use --encrypt-to PREFIX.crt); age: an age\n"
                "                           identity PREFIX.key and its recipient PREFIX.pub\n"
                "                           (senders use --encrypt-to $(cat PREFIX.pub))\n"
                "      --incident           an incident key for redaction instead: 32 random\n"
                "                           bytes in the file --out names (mode 0600; default\n"
                "                           logpack-incident.key); see docs/redaction.md\n"
                "  -h, --help               this text\n"
                "\n"
                "Give PREFIX.crt to those who receive your bundles: they pass it to\n"
                "'logpack verify --trust'. Existing files are never overwritten.\n",
        .run = cmd_keygen,
};

enum { OPT_PASSPHRASE_FILE = 256, OPT_INCIDENT };

/* An incident key: the secret behind every pseudonym of one incident (trust/pseudo.h). */
static int keygen_incident(const char *path)
{
	char key_id[PSEUDO_KEY_ID_LEN + 1];
	struct error err = {{0}};

	if (pseudo_key_generate(path, key_id, &err) < 0) {
		log_error("%s", err.msg);
		return LP_EXIT_FAILURE;
	}
	printf("%s\n", path);
	log_info("wrote the incident key %s (mode 0600), key id %s: keep it with the incident's "
	         "records, never in a bundle",
	         path, key_id);
	return LP_EXIT_OK;
}

/* An age identity (PREFIX.key, 0600, as age-keygen writes it) and its recipient (PREFIX.pub). */
static int keygen_age(const char *prefix)
{
	struct age_identity *id = NULL;
	struct age_recipient r;
	char *secret = NULL, *pub = NULL, *key_path = xasprintf("%s.key", prefix);
	char *pub_path = xasprintf("%s.pub", prefix), *text = NULL, *line = NULL;
	struct error err = {{0}};
	int rc = LP_EXIT_FAILURE;

	if (access(key_path, F_OK) == 0 || access(pub_path, F_OK) == 0) {
		log_error("%s or %s exists already: not overwritten", key_path, pub_path);
		goto out;
	}
	if (age_identity_generate(&id, &secret, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	age_identity_recipient(id, &r);
	pub = age_recipient_format(&r);
	text = xasprintf("# made by logpack keygen\n# public key: %s\n%s\n", pub, secret);
	line = xasprintf("%s\n", pub);
	if (atomic_file_write(key_path, text, strlen(text), 0600, 0, &err) < 0 ||
	    atomic_file_write(pub_path, line, strlen(line), 0644, 0, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	printf("%s\n%s\n", key_path, pub_path);
	log_info("wrote the age identity %s (mode 0600) and its recipient %s: %s", key_path,
	         pub_path, pub);
	rc = LP_EXIT_OK;
out:
	if (secret) {
		OPENSSL_cleanse(secret, strlen(secret));
		free(secret);
	}
	if (text) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	free(line);
	free(pub);
	free(key_path);
	free(pub_path);
	age_identity_free(id);
	return rc;
}

static int cmd_keygen(int argc, char **argv)
{
	static const struct option options[] = {
	        {"days", required_argument, NULL, 'd'},
	        {"help", no_argument, NULL, 'h'},
	        {"incident", no_argument, NULL, OPT_INCIDENT},
	        {"out", required_argument, NULL, 'o'},
	        {"passphrase-file", required_argument, NULL, OPT_PASSPHRASE_FILE},
	        {"subject", required_argument, NULL, 's'},
	        {"type", required_argument, NULL, 't'},
	        {NULL, 0, NULL, 0},
	};
	struct keygen_options ko = {0};
	const char *prefix = NULL, *pass_file = NULL, *type = "signing";
	char *subject = NULL, *pass = NULL, *end;
	char host[256];
	size_t pass_len = 0;
	struct error err;
	long days = 730;
	int c, rc = LP_EXIT_FAILURE, incident = 0, other = 0;

	while ((c = command_getopt(argc, argv, "d:ho:s:t:", options)) != -1) {
		switch (c) {
		case 'd':
			days = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || days <= 0 || days > 36500)
				return command_usage_error(&command_keygen,
				                           "--days: '%s' is not a number of days "
				                           "from 1 to 36500",
				                           optarg);
			other = 1;
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
			other = 1;
			break;
		case OPT_INCIDENT:
			incident = 1;
			break;
		case OPT_PASSPHRASE_FILE:
			pass_file = optarg;
			other = 1;
			break;
		case 't':
			type = optarg;
			other = 1;
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
	if (incident) {
		free(subject);
		/* The incident key is no key pair: nothing of a certificate applies to it. */
		if (other)
			return command_usage_error(
			        &command_keygen,
			        "--incident takes only --out (no --type, --subject, "
			        "--days or --passphrase-file)");
		return keygen_incident(prefix ? prefix : "logpack-incident.key");
	}
	if (strcmp(type, "signing") != 0 && strcmp(type, "x509-encryption") != 0 &&
	    strcmp(type, "age") != 0) {
		free(subject);
		return command_usage_error(&command_keygen,
		                           "--type: '%s' is not signing, x509-encryption or age",
		                           type);
	}
	if (strcmp(type, "age") == 0) {
		free(subject);
		return keygen_age(prefix ? prefix : "logpack-receiving");
	}
	if (prefix == NULL)
		prefix = strcmp(type, "signing") == 0 ? "logpack-signing" : "logpack-receiving";
	ko.encryption = strcmp(type, "x509-encryption") == 0;
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
