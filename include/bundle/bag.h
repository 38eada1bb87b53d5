/*
 * Writing a bundle: one BagIt 1.0 bag in a compressed pax tar, in one streaming pass.
 *
 * Payload files come first, each hashed as it is written; tag files after them; on finish the
 * writer adds manifest-sha256.txt, bagit.txt, bag-info.txt, tagmanifest-sha256.txt and, when a
 * signer is set, tagmanifest-sha256.txt.p7s. The tar stream goes into a sink (bundle/sink.h):
 * compressed, through the caller's filters, into a mode-0600 temporary file beside the final
 * name, fsynced and renamed only when complete, with <bundle>.sha256 written beside it the
 * same way.
 */
#ifndef LOGPACK_BAG_H
#define LOGPACK_BAG_H

#include <stddef.h>
#include <stdint.h>

#include "base/hash-thread.h"
#include "base/hash.h"
#include "base/util.h"
#include "bundle/sink.h"

/*
 * Sign the tag manifest: put a detached CMS SignedData (DER) over data in *der, which the
 * caller frees with free(). Returns 0, or -1 with the reason in err.
 */
typedef int (*bag_sign_fn)(void *ctx, const void *data, size_t len, unsigned char **der,
                           size_t *der_len, struct error *err);

struct bag_writer_options {
	const char *output_path; /* the final bundle file name */
	const char *top_dir;     /* "logpack-<host>-<YYYYMMDDThhmmssZ>" */
	const char *compression; /* "zstd" (default), "gzip", "xz" or "none" */
	int level;               /* compression level, or -1 for the compressor's default */
	int jobs;                /* threads that hash and compress; 0: one per CPU available */
	int64_t bagging_time;    /* epoch seconds; member times of tag files */
	bag_sign_fn sign;        /* NULL: unsigned */
	void *sign_ctx;
	/* Stages between the compressor and the file (an encryptor); the writer owns them from
	 * bag_writer_open on, whether it succeeds or not. */
	struct sink_filter *const *filters;
	size_t n_filters;
	/* Optional: called once the tag manifest (and its signature) are written, before the
	 * file gets its final name, with the tag manifest's SHA-256: a snapshot records it, so
	 * that recovering the series never needs to read (or decrypt) the bundle. */
	int (*sealed)(void *ctx, const char *tagmanifest_sha256, struct error *err);
	void *sealed_ctx;
};

/* A tag file from memory, for bag_add_tag_files. */
struct bag_tag_file {
	const char *name; /* "logpack/incident.json" */
	const void *data;
	size_t len;
};

struct bag_result {
	char bundle_sha256[SHA256_HEX_LEN + 1];
	uint64_t bundle_bytes;
	uint64_t payload_bytes;
	uint64_t payload_files;
	char tagmanifest_sha256[SHA256_HEX_LEN + 1];
	char *sidecar_path; /* "<bundle>.sha256", beside the bundle; freed by bag_result_release */
};

/* Free what a bag_result holds. */
void bag_result_release(struct bag_result *res);

struct bag_writer;

/* Is this a compression name bag_writer_open accepts? */
int bag_compression_valid(const char *name);
/* The file name suffix for a compression: ".tar.zst", ".tar.gz", ".tar.xz", ".tar". */
const char *bag_compression_suffix(const char *name);

int bag_writer_open(struct bag_writer **out, const struct bag_writer_options *opt,
                    struct error *err);
/* The temporary file being written (to exclude it from collection, and for cleanup). */
const char *bag_writer_temp_path(const struct bag_writer *bw);
/* The directory the bundle is written in (for temporary files that must not go elsewhere). */
const char *bag_writer_dir(const struct bag_writer *bw);

/* A payload file "data/<name>"; exactly size bytes must follow before bag_payload_end. */
int bag_payload_begin(struct bag_writer *bw, const char *name, uint64_t size, int64_t mtime,
                      struct error *err);
int bag_payload_write(struct bag_writer *bw, const void *buf, size_t len, struct error *err);
/*
 * A buffer (*size bytes) to read payload bytes into: written whole from its start with
 * bag_payload_write, it is hashed on the hashing thread while the archive takes it, without a
 * copy. The caller may read it until the next call, and never writes it after the write.
 */
void *bag_payload_buffer(struct bag_writer *bw, size_t *size);
/* Is the payload file being written hashed on the hashing thread? */
int bag_payload_threaded(const struct bag_writer *bw);
/*
 * Gives fn(ctx, ...) every chunk written to the payload file from now on, after hashing it:
 * on the hashing thread when the file is hashed there (bag_payload_threaded), else in this
 * thread at bag_payload_write. fn NULL stops that, once every chunk given so far was taken.
 */
void bag_payload_tap(struct bag_writer *bw, hash_thread_tap_fn fn, void *ctx);
/* Finish the payload file; its SHA-256 goes into the manifest and into sha256_out. */
int bag_payload_end(struct bag_writer *bw, char sha256_out[SHA256_HEX_LEN + 1], struct error *err);

/*
 * A tag file ("logpack/host.json") from memory, or from a file descriptor read to its end.
 * Any number may be added, in the order they go into the bag and the tag manifest. A name
 * already added, one the writer makes itself (bagit.txt, bag-info.txt, manifest-*,
 * tagmanifest-*), one under data/, or one with a ".." component, CR, LF, '%' or a backslash is
 * refused.
 */
int bag_add_tag_file(struct bag_writer *bw, const char *name, const void *data, size_t len,
                     struct error *err);
int bag_add_tag_fd(struct bag_writer *bw, const char *name, int fd, struct error *err);
/*
 * A tag file written in pieces, for one too big to hold in memory whose size is known first:
 * exactly size bytes through bag_tag_write, then bag_tag_end. Names as bag_add_tag_file.
 */
int bag_tag_begin(struct bag_writer *bw, const char *name, uint64_t size, struct error *err);
int bag_tag_write(struct bag_writer *bw, const void *buf, size_t len, struct error *err);
int bag_tag_end(struct bag_writer *bw, struct error *err);
/* Each of n tag files in turn; stops at the first refused. */
int bag_add_tag_files(struct bag_writer *bw, const struct bag_tag_file *files, size_t n,
                      struct error *err);

/* A bag-info.txt field, written in the order added after the standard ones. */
void bag_info_add(struct bag_writer *bw, const char *key, const char *value);

/* Write the manifests, bag-info and signature, close, fsync and rename. Frees bw. */
int bag_writer_finish(struct bag_writer *bw, struct bag_result *res, struct error *err);
/* Remove the temporary file and free bw. Safe on NULL. */
void bag_writer_abort(struct bag_writer *bw);

/*
 * Remove the temporary files (bundle, sidecar) from a signal handler: async-signal-safe, no
 * allocation. Installed by the caller around the write.
 */
void bag_writer_signal_cleanup(void);

#endif
