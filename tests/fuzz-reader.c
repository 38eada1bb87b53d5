/*
 * libFuzzer target for the bundle reader: any bytes, as a bundle, must give a report (most
 * often INVALID) without a crash, a leak or unbounded memory. Each input is read three ways:
 * by the verifier with a trust store (trust.pem in the working directory, which tests/fuzz.sh
 * puts there: the signer of the signed seeds), by the verifier under tight limits (members,
 * size, compression ratio past a small floor, memory: the large-member paths), and by `show`
 * itself (its visitor, its text and JSON output, --files). Build and run it with
 * tests/fuzz.sh (or "make fuzz"); see docs/verify.md.
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "bundle/bundle-read.h"
#include "bundle/verdict.h"
#include "cmd/command.h"
#include "trust/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const struct command command_show;

static struct trust_store *trust;
static char bundle_path[64];

static void remove_bundle(void)
{
	unlink(bundle_path);
}

/* Once: the trust store, a file for show to read, and show's output sent nowhere. */
static void setup(void)
{
	struct error err;
	int fd;

	locale_use_utf8();
	if (access("trust.pem", R_OK) == 0 && trust_store_load(&trust, "trust.pem", &err) < 0)
		trust = NULL;
	snprintf(bundle_path, sizeof(bundle_path), "/tmp/logpack-fuzz-%ld.tar", (long)getpid());
	fd = open(bundle_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	atexit(remove_bundle);
	/* show's report goes nowhere; stderr stays libFuzzer's, for its findings. */
	if (freopen("/dev/null", "w", stdout) == NULL)
		abort();
}

static void read_with(const uint8_t *data, size_t size, const struct bundle_limits *lim)
{
	struct bundle_read_options opt = {0};
	struct bundle_report rep;
	struct error err;

	opt.limits = *lim;
	opt.trust = trust;
	if (bundle_read_memory(data, size, &opt, &rep, &err) == 0) {
		free(verdict_line(&rep));
		json_decref(verdict_json("-", &rep, VERDICT_REQUIRE_TRUSTED));
		bundle_report_free(&rep);
	}
}

/* Run `logpack show ARGS... BUNDLE` as the command does (it reads the file itself). */
static void show(const char *a1, const char *a2)
{
	char *argv[8];
	int argc = 0;

	argv[argc++] = (char *)"show";
	if (trust) {
		argv[argc++] = (char *)"--trust";
		argv[argc++] = (char *)"trust.pem";
	}
	if (a1)
		argv[argc++] = (char *)a1;
	if (a2)
		argv[argc++] = (char *)a2;
	argv[argc++] = bundle_path;
	argv[argc] = NULL;
	optind = 0; /* a fresh getopt for every run */
	command_show.run(argc, argv);
	fflush(stdout);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct bundle_limits lim;
	FILE *f;

	if (!once++)
		setup();
	bundle_limits_default(&lim);
	/* Keep each run small: the limits themselves are part of what is tested. */
	lim.max_size = 64ULL << 20;
	lim.max_members = 10000;
	read_with(data, size, &lim);
	/* Tight limits: every one of them can be reached by a small input. */
	lim.max_members = 12;
	lim.max_size = 256 * 1024;
	lim.ratio_after = 4096;
	lim.max_ratio = 4;
	lim.max_memory = 16 * 1024;
	read_with(data, size, &lim);
	f = fopen(bundle_path, "wb");
	if (f == NULL)
		return 0;
	if (fwrite(data, 1, size, f) != size) {
		fclose(f);
		return 0;
	}
	fclose(f);
	show(NULL, NULL);
	show("--json", "--files");
	return 0;
}
