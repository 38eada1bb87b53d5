/*
 * libFuzzer target for the journald seal check, which reads attacker-written journal files:
 * the input is fed whole, and again in pieces whose sizes the input's first byte picks, and
 * both walks must end alike (the check is a stream: where the reads split must not matter),
 * without a crash or a leak, with no more tags verified than met, and never "verified" with a
 * tag that was not. Build and run it with tests/fuzz-journal-seal.sh ("make fuzz" runs it).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/journal-seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct journal_seal_key *k, const uint8_t *data, size_t size, size_t piece,
                  struct journal_seal_result *res)
{
	struct journal_seal_check *c = journal_seal_begin(k);

	for (size_t at = 0; at < size; at += piece)
		journal_seal_feed(c, data + at, size - at < piece ? size - at : piece);
	journal_seal_end(c, res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct journal_seal_key *key;
	struct journal_seal_result whole, pieces;
	struct error err;
	char *line;
	json_t *doc;

	if (key == NULL && (key = journal_seal_key_new("108dca-e82018-569e39-37c9c5/ab49635-989680",
	                                               &err)) == NULL)
		abort();
	check(key, data, size, size ? size : 1, &whole);
	check(key, data, size, size ? (size_t)data[0] % 61 + 1 : 1, &pieces);
	if (memcmp(&whole, &pieces, sizeof(whole)) != 0 || whole.tags_verified > whole.tags ||
	    (whole.status == JOURNAL_SEAL_VERIFIED && whole.tags_verified != whole.tags) ||
	    whole.entries_unsealed > whole.entries)
		abort();
	line = journal_seal_describe(&whole);
	doc = journal_seal_json(&whole);
	if (line == NULL || doc == NULL)
		abort();
	free(line);
	json_decref(doc);
	return 0;
}
