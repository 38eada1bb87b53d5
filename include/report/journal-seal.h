/*
 * journald's Forward Secure Sealing, checked on the receiver's side: every TAG object of a
 * journal file is an HMAC-SHA256 over the objects since the tag before, keyed by the FSPRG
 * state of the tag's epoch. The verification key (what `journalctl --setup-keys` prints)
 * regenerates every one of those states, so it is read from a private file on the receiving
 * machine and never from the command line; on the sealed host it would forge every seal.
 *
 * The walk is fed the file's bytes in order and keeps a bounded amount of them: the bytes a tag
 * covers are hashed under the key of the epoch the last good tag predicts (the same, or the
 * next), and only kept (up to JOURNAL_SEAL_REPLAY_MAX) for a tag whose epoch jumps further.
 * Every size read from the file is checked; a damaged file fails, it is never "verified".
 */
#ifndef LOGPACK_REPORT_JOURNAL_SEAL_H
#define LOGPACK_REPORT_JOURNAL_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/util.h"

/* The bytes a run between two tags may take when its epoch was not foreseen. */
#define JOURNAL_SEAL_REPLAY_MAX (8u * 1024 * 1024)

/* A parsed verification key and the FSPRG secrets it regenerates (opaque; wiped on free). */
struct journal_seal_key;

/*
 * Parse a verification key ("SEED/START-INTERVAL": 12 bytes of hex with dashes, then the start
 * epoch and the interval in microseconds, in hex; surrounding white space ignored) and derive
 * its secrets (two primes: a few tens of milliseconds). NULL with err when it is not one; the
 * message never quotes the key.
 */
struct journal_seal_key *journal_seal_key_new(const char *text, struct error *err);
void journal_seal_key_free(struct journal_seal_key *k);
/* Is text a verification key by its form (cheap: nothing derived)? For "a file, not the key". */
int journal_seal_key_looks_like(const char *text);

enum journal_seal_status {
	JOURNAL_SEAL_NOT_SEALED, /* a journal file without the sealed flag: nothing to check */
	JOURNAL_SEAL_VERIFIED,   /* every tag matches (entries after the last one: see below) */
	JOURNAL_SEAL_FAILED,     /* a tag does not match, or the file is damaged or cut short */
	JOURNAL_SEAL_NOT_JOURNAL /* no journal file header */
};

struct journal_seal_result {
	enum journal_seal_status status;
	uint64_t entries, tags;
	uint64_t tags_verified;
	/* Entries after the last good tag: no seal covers them. */
	uint64_t entries_unsealed;
	/* The end of the last good tag's epoch, and the newest entry it covers (0: none). */
	uint64_t sealed_until_usec, last_sealed_entry_usec;
	/* FAILED at a tag: its offset and sequence number (0 when the failure was no tag's). */
	uint64_t bad_tag_offset, bad_tag_seqnum;
	char problem[200]; /* FAILED, NOT_JOURNAL: why, with the offset */
};

/* One file's check, fed its bytes in order. */
struct journal_seal_check;

struct journal_seal_check *journal_seal_begin(const struct journal_seal_key *k);
void journal_seal_feed(struct journal_seal_check *c, const void *data, size_t len);
/* The result of the bytes fed; frees c. */
void journal_seal_end(struct journal_seal_check *c, struct journal_seal_result *out);

/* "sealed: 8 tags verified, ...", "not sealed", "SEAL FAILED: ...": one line. Caller frees. */
char *journal_seal_describe(const struct journal_seal_result *r);
/* The result as a JSON object (a new reference). */
json_t *journal_seal_json(const struct journal_seal_result *r);

#endif
