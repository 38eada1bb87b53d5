/* What the verifier (verify.c) shares with its bag checks (verify-checks.c). */
#ifndef LOGPACK_VERIFY_PRIVATE_H
#define LOGPACK_VERIFY_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "base/util.h"
#include "bundle/bundle-read.h"
#include "bundle/names.h"
#include "bundle/source.h"
#include "bundle/tagfile.h"

#define SIGNATURE_NAME "tagmanifest-sha256.txt.p7s"
#define SMALL_TAG_MAX (1024 * 1024)        /* bagit.txt, bag-info.txt, the signature */
#define TAGMANIFEST_MAX (16 * 1024 * 1024) /* kept for the signature check */
#define LINE_MAX_LEN (64 * 1024)           /* one manifest line */
#define CHUNK (64 * 1024)

/*
 * The checksum algorithms BagIt bags use that OpenSSL provides, by the name in manifest file
 * names (bagit-python names them after Python's hashlib); sha256 is always computed.
 */
enum {
	ALG_MD5,
	ALG_SHA1,
	ALG_SHA224,
	ALG_SHA256,
	ALG_SHA384,
	ALG_SHA512,
	ALG_SHA3_224,
	ALG_SHA3_256,
	ALG_SHA3_384,
	ALG_SHA3_512,
	ALG_BLAKE2B,
	ALG_N
};
extern const char *const alg_names[ALG_N];
extern const char *const alg_openssl[ALG_N];
extern const char *const alg_labels[ALG_N];
extern const size_t alg_hex_len[ALG_N];
/* MD5 and SHA-1 collide on demand: a bag checked only with them proves little. */
#define ALG_WEAK ((1u << ALG_MD5) | (1u << ALG_SHA1))

/* Digests of the algorithms other than SHA-256, which few bags use. */
struct other_digests {
	unsigned char *digest[ALG_N];
};

/*
 * One name seen in the bag or in a manifest. This is the memory verify needs per file, so it is
 * kept small (56 bytes, and the name in the table's blocks): one binary digest per algorithm,
 * whichever of the computed and the listed one came first; the second is compared with it as
 * it comes, and only whether they differ is kept.
 */
struct entry {
	const char *name; /* relative to the top directory; the name table's copy */
	struct other_digests *other;
	unsigned char sha256[32];
	unsigned short has_actual; /* bit per algorithm: computed */
	unsigned short has_listed; /* bit per algorithm: listed in a (tag) manifest */
	unsigned short mismatch;   /* bit per algorithm: computed and listed differ */
	unsigned char present : 1;
	unsigned char is_dir : 1;
	unsigned char to_fetch : 1; /* named in fetch.txt */
};

/* A manifest name as written, under its percent-decoded form (which the entry has). */
struct written_name {
	const char *name; /* decoded; the name table's copy */
	char *as_written;
};

/* A streamed line-oriented file: a manifest, a tag manifest or fetch.txt. */
struct line_parser {
	struct strbuf line;
	int alg;
	int tag;   /* a tag manifest */
	int fetch; /* fetch.txt */
	struct tag_decoder dec;
	struct strbuf text; /* one chunk decoded to UTF-8 */
	int too_long;
	uint64_t line_no;
};

struct verify_spill;

struct reader {
	const struct bundle_read_options *opt;
	struct bundle_report *rep;
	int dir_mode;

	struct source *src;
	struct name_table *entries; /* name -> struct entry, in the order first seen */
	/* Payload files not in entries yet: names and SHA-256 in a temporary file
	 * (verify-spill.c); NULL when there are none, or they moved to entries. */
	struct verify_spill *spill;
	int spill_off;   /* every entry goes to the table now */
	int top_seen;    /* a member named as the top directory was read */
	int second_pass; /* reading the bundle again: names were seen in the first */
	/* percent-decoded name -> struct written_name, for manifest names with a '%' escape */
	struct name_table *written;

	unsigned int algs_enabled; /* hash members with these */
	unsigned int manifests;    /* manifest-ALG.txt seen */
	unsigned int tagmanifests; /* tagmanifest-ALG.txt seen */
	int archive_broken;        /* truncated, corrupt or over a limit: stop */
	int several_tops;

	/* the current member */
	struct entry *cur;      /* &spilled for a file kept in the spill */
	struct entry spilled;   /* its name only */
	int cur_payload;        /* it is under data/ */
	uint64_t payload_bytes; /* read of the payload files (no entry keeps its size) */
	unsigned int cur_algs;  /* the algorithms it is hashed with */
	EVP_MD_CTX *md[ALG_N];
	struct strbuf *keep; /* buffer for a tag file we parse whole */
	size_t keep_max;
	int keep_over;
	struct line_parser *lines;
	const char *cur_label;

	/* BagIt-Version and Tag-File-Character-Encoding, once bagit.txt has been read */
	int legacy;        /* 0.97 or 0.96: names are not percent-encoded, "./" may lead them */
	int encoding;      /* enum tag_encoding; tag files before bagit.txt are taken as UTF-8 */
	int encoding_late; /* a tag file was read before bagit.txt named another encoding */
	/* names read as bagit-python writes them, not as RFC 8493 says: one example and a count */
	char *literal_example, *dot_example;
	uint64_t n_literal, n_dot;
	uint64_t n_fetch;     /* fetch.txt entries not present */
	uint64_t n_unchecked; /* payload files a stream could not check (manifest after them) */
	int have_fetch;

	struct strbuf bagit, baginfo, tagmanifest, signature;
	int have_bagit, have_baginfo, have_tagmanifest, have_signature;
	int tagmanifest_over, signature_over;
	struct line_parser lp;
};

/*
 * The spill (verify-spill.c). verify_spill_take: may the payload file rel, just begun, go to the
 * spill (1) rather than the table (0)? verify_spill_add records its SHA-256 at its end, and
 * verify_spill_abandon forgets it when the read stops inside it. verify_spill_close: a payload
 * manifest began, no more records. verify_spill_lookup, before every lookup in the table: moves
 * the records there when name may be among them. verify_spill_match: 1 when a payload manifest
 * line is the next record, with its digest (it is then settled). verify_spill_settle, before
 * the checks of the entries: counts the records when nothing can be wrong with them, else
 * moves them to the table. verify_spill_unspool moves them at once.
 */
int verify_spill_take(struct reader *r, const char *rel);
void verify_spill_add(struct reader *r, const unsigned char *sha256);
void verify_spill_abandon(struct reader *r);
void verify_spill_close(struct reader *r);
void verify_spill_lookup(struct reader *r, const char *name);
int verify_spill_match(struct reader *r, const char *name, int alg, const unsigned char *digest);
void verify_spill_settle(struct reader *r);
void verify_spill_unspool(struct reader *r);
void verify_spill_free(struct reader *r);
/* No digest for the file verify_spill_take took: it goes to the table, unhashed. */
void verify_spill_missed(struct reader *r);
/* The names the read keeps, in the table and in the spill: what --max-members bounds. */
uint64_t verify_entry_count(const struct reader *r);

/* The digest of algorithm a an entry keeps (the first of computed and listed), or NULL. */
const unsigned char *verify_entry_digest(const struct entry *e, int a);
/* The entry for name, made when create is set and there is none; NULL otherwise. */
struct entry *verify_entry_find(struct reader *r, const char *name, int create);
/* The algorithm of a manifest file name ("manifest-sha256.txt" with prefix "manifest-"). */
int verify_manifest_alg(const char *name, const char *prefix);
/* A reason the bag is INVALID. */
void verify_problem(struct reader *r, const char *fmt, ...) LP_ATTR_PRINTF(2, 3);
/* A reason naming a member, shown printable. */
void verify_problem_name(struct reader *r, const char *name, const char *what);

/* The checks once every member is read (verify-checks.c). */
void verify_check_bagit_txt(struct reader *r);
void verify_check_oxum(struct reader *r);
void verify_check_entries(struct reader *r);
/* Manifest names that match only as written, or in the BagIt 0.97 way, before the checks. */
void verify_resolve_names(struct reader *r);
/* Read BagIt-Version and Tag-File-Character-Encoding from bagit.txt (as far as it can). */
void verify_read_bagit_txt(struct reader *r);
/* One line of fetch.txt (decoded to UTF-8, without its line end). */
void verify_fetch_line(struct reader *r, const char *line, size_t len);
/* A doubt that does not make the bag INVALID; the same one is noted once. */
void verify_warning(struct reader *r, const char *fmt, ...) LP_ATTR_PRINTF(2, 3);

/* Charge memory the reader keeps to the read's one budget (verify.c). */
void verify_charge(struct reader *r, uint64_t bytes);
/*
 * A digest of algorithm a for an entry, computed (listed 0) or listed in a manifest (1): kept
 * when it is the first, else compared with the one kept (a difference sets e->mismatch).
 */
void verify_set_digest(struct reader *r, struct entry *e, int a, int listed,
                       const unsigned char *md);
/* verify-manifest.c: a manifest's bytes as they come (raw: in the bag's tag-file encoding),
 * line by line, and the last line at its end. */
void verify_lines_feed(struct reader *r, struct line_parser *lp, const char *buf, size_t len);
void verify_lines_raw(struct reader *r, struct line_parser *lp, const unsigned char *buf,
                      size_t len);
void verify_lines_end(struct reader *r, struct line_parser *lp);

#endif
