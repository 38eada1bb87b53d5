/*
 * libFuzzer target for the bundle reader: any bytes, as a bundle, must give a report (most
 * often INVALID) without a crash, a leak or unbounded memory. Build and run it with
 * tests/fuzz.sh (or "make fuzz"); see docs/verify.md.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "bundle/bundle-read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_read_options opt = {0};
	struct bundle_report rep;
	struct error err;

	static int once;

	if (!once++)
		locale_use_utf8();
	bundle_limits_default(&opt.limits);
	/* Keep each run small: the limits themselves are part of what is tested. */
	opt.limits.max_size = 64ULL << 20;
	opt.limits.max_members = 10000;
	if (bundle_read_memory(data, size, &opt, &rep, &err) == 0)
		bundle_report_free(&rep);
	return 0;
}
