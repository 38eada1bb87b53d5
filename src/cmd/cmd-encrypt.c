/* logpack encrypt: an existing bundle, verified, encrypted to its receivers in one pass. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "bundle/bundle-encrypt.h"
#include "bundle/bundle-read.h"
#include "bundle/label.h"
#include "bundle/sink-encrypt.h"
#include "cmd/command.h"
#include "cmd/encrypt-opts.h"
#include "cmd/signals.h"
#include "trust/encrypt-config.h"
#include "trust/sign-config.h"
#include "trust/sign.h"

static int cmd_encrypt(int argc, char **argv);

const struct command command_encrypt = {
        .name = "encrypt",
        .usage = "encrypt --encrypt-to R [--encrypt-to R...] [--keep-name] [--label "
                 "[--label-tlp TLP] [--label-case REF] [--label-recipients]] [-o DIR|FILE] "
                 "BUNDLE",
        .summary = "encrypt an existing bundle to its receivers (OpenPGP, X.509 CMS, age)",
        .help = "Options:\n" ENCRYPT_OPTS_HELP
                "      --config FILE       encrypt-to, keep-name and the signing settings\n"
                "                          (default /etc/logpack/logpack.conf); the command\n"
                "                          line wins\n"
                "      --label             write a signed label beside the encrypted file(s):\n"
                "                          X.label.json (each file's name, size and SHA-256)\n"
                "                          and X.label.json.p7s; needs a signing key\n"
                "      --label-case REF    put a case reference into the label\n"
                "      --label-recipients  put the recipients into the label (this undoes\n"
                "                          age's recipient privacy)\n"
                "      --label-tlp TLP     put the TLP (CLEAR, GREEN, AMBER, AMBER+STRICT,\n"
                "                          RED) into the label\n"
                "  -o, --output DIR|FILE   where to write (default: beside BUNDLE); FILE ends\n"
                "                          in the suffix of the first kind (.gpg, .age, .enc)\n"
                "      --passphrase-file F the signing key's passphrase\n"
                "      --sign-cert CERT    the label signer's certificate (PEM)\n"
                "      --sign-chain FILE   intermediate certificates to include (PEM)\n"
                "      --sign-key KEY      sign the label with this private key (PEM, 0600)\n"
                "  -h, --help              this text\n"
                "\n"
                "BUNDLE is verified first and refused when it is not valid. Its bytes then go\n"
                "once through the encryptor (no plaintext copy is written); the bytes read\n"
                "must be the bytes verified. BUNDLE itself is left as it is: when it is signed,\n"
                "its bag-info.txt cannot name the recipients without breaking the signature,\n"
                "so they are recorded only in the label (--label-recipients).\n"
                "\n"
                "Exit: 0 encrypted, 2 usage, 3 failed (I/O, a key), 4 BUNDLE is not valid,\n"
                "130 interrupted (nothing is left under a final name).\n",
        .run = cmd_encrypt,
};

enum {
	OPT_CONFIG = 0x1300,
	OPT_PASSPHRASE_FILE,
	OPT_SIGN_CERT,
	OPT_SIGN_CHAIN,
	OPT_SIGN_KEY,
};

struct encrypt_cli {
	struct recipients recipients;
	struct sign_settings sign;
	const char *config;
	const char *output;
	struct encrypt_label label;
};

static int take_option(struct encrypt_cli *cli, int c, const char *arg)
{
	struct error err = {{0}};
	char **slot = NULL;
	int r;

	switch (c) {
	case 'o':
		cli->output = arg;
		return 0;
	case OPT_CONFIG:
		cli->config = arg;
		return 0;
	case OPT_PASSPHRASE_FILE:
		slot = &cli->sign.passphrase_file;
		break;
	case OPT_SIGN_CERT:
		slot = &cli->sign.cert;
		break;
	case OPT_SIGN_CHAIN:
		slot = &cli->sign.chain;
		break;
	case OPT_SIGN_KEY:
		slot = &cli->sign.key;
		break;
	default:
		r = encrypt_opts_option(&cli->recipients, c, arg, &err);
		if (r > 0)
			r = encrypt_opts_label_option(&cli->label, c, arg, &err);
		if (r < 0)
			return command_usage_error(&command_encrypt, "%s", err.msg);
		return r > 0 ? command_option_error(&command_encrypt) : 0;
	}
	free(*slot);
	*slot = xstrdup(arg);
	return 0;
}

/* Where the encrypted file goes: -o FILE, else a name in -o DIR or in BUNDLE's directory. */
static char *output_path(const struct encrypt_cli *cli, const char *bundle, struct error *err)
{
	const char *suffix = recipients_suffix(&cli->recipients);
	struct stat st;
	char *dir, *path;

	if (cli->output && str_has_suffix(cli->output, suffix) &&
	    !(stat(cli->output, &st) == 0 && S_ISDIR(st.st_mode)))
		return xstrdup(cli->output);
	dir = cli->output ? xstrdup(cli->output) : path_dirname(bundle);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		error_set(err, "-o %s: %s", dir,
		          stat(dir, &st) < 0 ? strerror(errno) : "not a directory");
		free(dir);
		return NULL;
	}
	path = bundle_encrypted_name(dir, cli->recipients.keep_name ? path_basename(bundle) : NULL,
	                             suffix, err);
	free(dir);
	return path;
}

/* Verify the bundle on fd: 0 valid, else an exit code (the reason printed). */
static int verify_first(int fd, const char *bundle, struct bundle_report *rep)
{
	struct bundle_read_options ropt = {0};
	struct error err = {{0}};

	bundle_limits_default(&ropt.limits);
	if (bundle_read_open_file(fd, bundle, &ropt, rep, &err) < 0) {
		log_error("%s: %s", bundle, err.msg);
		return LP_EXIT_FAILURE;
	}
	if (!bundle_outcome_valid(rep->outcome)) {
		log_error("%s is not valid, not encrypted: %s", bundle,
		          rep->n_problems ? rep->problems[0] : "it could not be checked whole");
		return LP_EXIT_INVALID;
	}
	if (rep->raw_sha256 == NULL) {
		log_error("%s: the file could not be hashed", bundle);
		return LP_EXIT_FAILURE;
	}
	return 0;
}

static int write_label(struct encrypt_cli *cli, const char *main_path, struct signer *signer)
{
	struct error err = {{0}};
	char *path = NULL;
	int rc = encrypt_opts_write_label(&cli->label, &cli->recipients, main_path, signer, &path,
	                                  &err);

	if (rc < 0)
		log_error("label %s: %s", path, err.msg);
	else
		printf("label: %s (signed, %s.p7s)\n", path, path);
	free(path);
	return rc;
}

static int run(struct encrypt_cli *cli, const char *bundle)
{
	struct bundle_report rep = {0};
	struct sink_result res = {0};
	struct sink_filter *filter = NULL;
	struct signer *signer = NULL;
	struct error err = {{0}};
	char *out = NULL, **files = NULL;
	size_t n_files = 0;
	int fd, code;

	if (sign_settings_load(&cli->sign, cli->config, cli->label.wanted, &signer, &err) < 0) {
		log_error("%s", err.msg);
		return LP_EXIT_FAILURE;
	}
	if (cli->label.wanted && signer == NULL) {
		signer_free(signer);
		return command_usage_error(
		        &command_encrypt,
		        "--label needs a signing key (--sign-key and --sign-cert, "
		        "or sign-key and sign-cert in the config file)");
	}
	fd = open(bundle, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		log_error("%s: %s", bundle, strerror(errno));
		signer_free(signer);
		return LP_EXIT_FAILURE;
	}
	if ((code = verify_first(fd, bundle, &rep)) != 0)
		goto out;
	code = LP_EXIT_FAILURE;
	if ((out = output_path(cli, bundle, &err)) == NULL) {
		log_error("%s", err.msg);
		goto out;
	}
	if (sink_encrypt_filter_new(&cli->recipients, &filter, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	signals_install_file_cleanup();
	if (bundle_encrypt_fd(fd, bundle, rep.raw_sha256, out, filter, &res, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	bundle_encrypted_files(&cli->recipients, out, &files, &n_files);
	for (size_t i = 0; i < n_files; i++)
		printf("encrypted: %s\n", files[i]);
	/* The bundle's bytes are kept as they are: a signed bag-info cannot take the recipients. */
	if (rep.is_signed)
		printf("note: %s is signed; its bag-info.txt cannot name the recipients without "
		       "breaking the signature: %s\n",
		       bundle,
		       cli->label.wanted && cli->label.recipients
		               ? "they are recorded only in the signed label"
		               : "they are not recorded (see --label --label-recipients)");
	if (cli->label.wanted && write_label(cli, out, signer) < 0)
		goto out;
	code = LP_EXIT_OK;
out:
	for (size_t i = 0; i < n_files; i++)
		free(files[i]);
	free(files);
	sink_result_release(&res);
	bundle_report_free(&rep);
	signer_free(signer);
	close(fd);
	free(out);
	return code;
}

static int cmd_encrypt(int argc, char **argv)
{
	static const struct option options[] = {
	        {"config", required_argument, NULL, OPT_CONFIG},
	        ENCRYPT_OPTS_LONG_OPTIONS,
	        {"help", no_argument, NULL, 'h'},
	        {"label", no_argument, NULL, ENCRYPT_OPT_LABEL},
	        {"label-case", required_argument, NULL, ENCRYPT_OPT_LABEL_CASE},
	        {"label-recipients", no_argument, NULL, ENCRYPT_OPT_LABEL_RECIPIENTS},
	        {"label-tlp", required_argument, NULL, ENCRYPT_OPT_LABEL_TLP},
	        {"output", required_argument, NULL, 'o'},
	        {"passphrase-file", required_argument, NULL, OPT_PASSPHRASE_FILE},
	        {"sign-cert", required_argument, NULL, OPT_SIGN_CERT},
	        {"sign-chain", required_argument, NULL, OPT_SIGN_CHAIN},
	        {"sign-key", required_argument, NULL, OPT_SIGN_KEY},
	        {NULL, 0, NULL, 0},
	};
	struct encrypt_cli cli;
	struct error err = {{0}};
	int c, code = LP_EXIT_USAGE;

	memset(&cli, 0, sizeof(cli));
	while ((c = command_getopt(argc, argv, "ho:", options)) != -1) {
		if (c == 'h') {
			command_print_help(&command_encrypt, stdout);
			code = LP_EXIT_OK;
			goto out;
		}
		if (c == '?') {
			code = command_option_error(&command_encrypt);
			goto out;
		}
		if ((code = take_option(&cli, c, optarg)) != 0)
			goto out;
	}
	code = LP_EXIT_USAGE;
	if (optind != argc - 1) {
		command_usage_error(&command_encrypt, "give one bundle");
		goto out;
	}
	if (encrypt_settings_resolve(&cli.recipients, cli.config, &err) < 0) {
		log_error("%s", err.msg);
		code = LP_EXIT_FAILURE;
		goto out;
	}
	if (!recipients_any(&cli.recipients)) {
		command_usage_error(&command_encrypt,
		                    "--encrypt-to R is needed (or encrypt-to in the config file)");
		goto out;
	}
	if (encrypt_opts_label_check(&cli.label, &cli.recipients, &err) < 0) {
		command_usage_error(&command_encrypt, "%s", err.msg);
		goto out;
	}
	code = run(&cli, argv[optind]);
out:
	recipients_free(&cli.recipients);
	sign_settings_free(&cli.sign);
	return code;
}
