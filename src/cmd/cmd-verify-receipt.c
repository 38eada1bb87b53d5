/* logpack verify-receipt: is this receipt genuine, and is it about this bundle? */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "base/exitcode.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/printable.h"
#include "cmd/command.h"
#include "trust/receipt.h"
#include "trust/sign.h"

static int cmd_verify_receipt(int argc, char **argv);

const struct command command_verify_receipt = {
        .name = "verify-receipt",
        .usage = "verify-receipt [--trust FILE|DIR] [--signature FILE] [--json] RECEIPT BUNDLE",
        .summary = "check a receiver's signed receipt against the bundle it names",
        .help = "Options:\n"
                "  -t, --trust FILE|DIR    the receivers trusted to sign receipts (PEM)\n"
                "      --signature FILE    the detached signature (default RECEIPT.p7s)\n"
                "      --json              one JSON document on stdout\n"
                "  -h, --help              this text\n"
                "\n"
                "Checks the receipt's CMS signature (an altered receipt, a changed verdict,\n"
                "fails it) and that its SHA-256 is that of BUNDLE, the file that was sent.\n"
                "The receipt says whether the receiver accepted or rejected the bundle.\n"
                "\n"
                "Exit: 0 a genuine receipt for BUNDLE (signed by a trusted receiver, with\n"
                "--trust); 4 altered, or for another bundle; 5 genuine but the receiver is NOT\n"
                "trusted; 3 a file cannot be read; 2 usage.\n",
        .run = cmd_verify_receipt,
};

enum { OPT_JSON = 256, OPT_SIGNATURE };

/* The SHA-256 of a whole file, streamed. */
static int hash_file(const char *path, char hex[SHA256_HEX_LEN + 1], struct error *err)
{
	unsigned char buf[65536];
	struct sha256 h;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), ret = -1;

	if (fd < 0) {
		error_set(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (sha256_init(&h, err) < 0)
		goto out;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, "%s: %s", path, strerror(errno));
			sha256_discard(&h);
			goto out;
		}
		if (n == 0)
			break;
		sha256_update(&h, buf, (size_t)n);
	}
	sha256_final_hex(&h, hex);
	ret = 0;
out:
	close(fd);
	return ret;
}

static int cmd_verify_receipt(int argc, char **argv)
{
	static const struct option options[] = {
	        {"help", no_argument, NULL, 'h'},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"signature", required_argument, NULL, OPT_SIGNATURE},
	        {"trust", required_argument, NULL, 't'},
	        {NULL, 0, NULL, 0},
	};
	const char *trust_path = NULL, *sig_path = NULL, *receipt_path, *bundle_path;
	char *sig_default = NULL, *text = NULL, *p7s = NULL, *problem = NULL;
	char bundle_sha[SHA256_HEX_LEN + 1], when[32];
	size_t text_len = 0, p7s_len = 0;
	struct trust_store *trust = NULL;
	struct sign_check chk = {0};
	struct receipt r = {0};
	struct error err;
	int c, json = 0, code = LP_EXIT_FAILURE, parsed = 0, checked = 0;

	while ((c = command_getopt(argc, argv, "ht:", options)) != -1) {
		switch (c) {
		case 'h':
			command_print_help(&command_verify_receipt, stdout);
			return LP_EXIT_OK;
		case 't':
			trust_path = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_SIGNATURE:
			sig_path = optarg;
			break;
		default:
			return command_option_error(&command_verify_receipt);
		}
	}
	if (argc - optind != 2)
		return command_usage_error(&command_verify_receipt, "give RECEIPT and BUNDLE");
	receipt_path = argv[optind];
	bundle_path = argv[optind + 1];
	if (sig_path == NULL)
		sig_path = sig_default = xasprintf("%s.p7s", receipt_path);
	if (trust_path && trust_store_load(&trust, trust_path, &err) < 0) {
		log_error("--trust %s", err.msg);
		goto out;
	}
	if (read_small_file(receipt_path, 64 * 1024, &text, &text_len) < 0) {
		log_error("%s: %s", receipt_path, read_small_strerror(errno));
		goto out;
	}
	if (read_small_file(sig_path, 1024 * 1024, &p7s, &p7s_len) < 0) {
		log_error("%s: %s", sig_path, read_small_strerror(errno));
		goto out;
	}
	if (hash_file(bundle_path, bundle_sha, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	if (sign_check_detached(p7s, p7s_len, text, text_len, trust, &chk, &err) < 0) {
		log_error("%s: %s", sig_path, err.msg);
		goto out;
	}
	checked = 1;
	/* Nothing in the receipt counts before its signature does. */
	if (!chk.signature_ok) {
		/* sign.c words its failures for a tag manifest; only other causes are shown. */
		if (chk.failure && strstr(chk.failure, "tag manifest") == NULL)
			problem =
			        xasprintf("the signature does not match the receipt (altered): %s",
			                  chk.failure);
		else
			problem = xstrdup("the signature does not match the receipt (altered)");
		code = LP_EXIT_INVALID;
	} else if (receipt_parse(text, text_len, &r, &err) < 0) {
		problem = xasprintf("not a logpack receipt: %s", err.msg);
		code = LP_EXIT_INVALID;
	} else if ((parsed = 1) && strcmp(r.bundle_sha256, bundle_sha) != 0) {
		problem = xasprintf("the receipt is for another bundle (%s, sha256 %s); this one's "
		                    "sha256 is %s",
		                    r.bundle, r.bundle_sha256, bundle_sha);
		code = LP_EXIT_INVALID;
	} else if (trust && !chk.trusted) {
		problem = xasprintf("the receiver %s is NOT trusted: %s", chk.subject,
		                    chk.trust_reason ? chk.trust_reason : "not trusted");
		code = LP_EXIT_UNTRUSTED;
	} else {
		code = LP_EXIT_OK;
	}
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:i}", "receipt", receipt_path, "bundle",
		                      bundle_path, "bundle_sha256", bundle_sha, "exit_code", code);

		json_object_set_new(o, "ok", json_boolean(code == LP_EXIT_OK));
		json_object_set_new(o, "problem", problem ? json_string(problem) : json_null());
		json_object_set_new(o, "signature_ok", json_boolean(chk.signature_ok));
		json_object_set_new(o, "trusted", json_boolean(chk.trusted));
		if (parsed)
			json_object_set_new(
			        o, "claims",
			        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "bundle", r.bundle, "sha256",
			                  r.bundle_sha256, "disposition", r.disposition, "verdict",
			                  r.verdict, "received",
			                  format_iso8601(r.received, when, sizeof(when)),
			                  "receiver", r.receiver));
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		char *shown = printable(receipt_path);

		if (problem) {
			char *why = printable(problem);

			printf("%s: %s\n", shown, why);
			free(why);
		} else {
			char *verdict = printable(r.verdict), *who = printable(r.receiver);

			printf("%s: %s by %s at %s: %s; receipt signed by %s, %s\n", shown,
			       r.disposition, who, format_iso8601(r.received, when, sizeof(when)),
			       verdict, chk.subject ? chk.subject : "?",
			       chk.trusted  ? "trusted"
			       : trust_path ? "NOT trusted"
			                    : "not checked against trust anchors (no --trust)");
			free(verdict);
			free(who);
		}
		free(shown);
	}
out:
	if (checked)
		sign_check_free(&chk);
	receipt_free(&r);
	trust_store_free(trust);
	free(sig_default);
	free(text);
	free(p7s);
	free(problem);
	return code;
}
