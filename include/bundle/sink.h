/*
 * The byte stream of a bundle file on its way to disk:
 *
 *   sink_write --> compressor (zstd, gzip, xz or none) --> filters, in the order added
 *              --> atomic file (0600 temporary, fsync, no-replace rename, fsync of the directory)
 *   sink_finish --> SHA-256 of the bytes that reached the file, <file>.sha256 beside it
 *
 * The sink knows nothing of tar or BagIt: it carries bytes. A filter (an encryptor, say) sees
 * the compressed bytes and passes its own output on; what the last filter passes is what lands
 * on disk and what the sidecar hashes.
 */
#ifndef LOGPACK_SINK_H
#define LOGPACK_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"
#include "base/util.h"

/*
 * A stage between the compressor and the file. A filter embeds this struct (first member, or
 * found with offsetof) and fills in the three functions; the sink sets next. Output goes on
 * with sink_filter_pass(f, ...), from write or from finish, as often as the filter likes.
 */
struct sink_filter {
	/* Take len bytes (the compressed stream, or the previous filter's output). */
	int (*write)(struct sink_filter *f, const void *buf, size_t len, struct error *err);
	/* The input has ended: pass on whatever is held back (last block, tag). */
	int (*finish)(struct sink_filter *f, struct error *err);
	/* Release the filter; called exactly once, finished or not. */
	void (*free)(struct sink_filter *f);
	struct sink_filter *next; /* set by the sink */
	/* Set by the sink: the final path of the file, for a filter that writes one beside it
	 * (the CMS header). */
	const char *path;
};

/* Hand bytes to the stage after f. Returns 0, or -1 with the reason in err. */
int sink_filter_pass(struct sink_filter *f, const void *buf, size_t len, struct error *err);

struct sink_options {
	const char *path;        /* the final file name */
	const char *compression; /* "zstd" (default), "gzip", "xz" or "none" */
	int level;               /* compression level, or -1 for the compressor's default */
	int jobs;                /* compression threads; 0: one per CPU available (base/cpus.h) */
	int sidecar;             /* write "<path>.sha256" (a sha256sum line) after the file */
	/* Filters after the compressor, the first nearest to it. The sink owns them from the
	 * call to sink_open on, whether it succeeds or not. */
	struct sink_filter *const *filters;
	size_t n_filters;
};

struct sink_result {
	char sha256[SHA256_HEX_LEN + 1]; /* of the file as written */
	uint64_t bytes;                  /* its size */
	char *sidecar_path;              /* "<path>.sha256" once written, else NULL */
};

/* Free what a sink_result holds. */
void sink_result_release(struct sink_result *res);

struct sink;

/* Is this a compression name sink_open accepts? */
int sink_compression_valid(const char *name);
/* The file name suffix for a compression: ".tar.zst", ".tar.gz", ".tar.xz", ".tar". */
const char *sink_compression_suffix(const char *name);

/* Create the temporary file (refusing an existing path) and set up the stages. */
int sink_open(struct sink **out, const struct sink_options *opt, struct error *err);
/* The temporary file being written. */
const char *sink_temp_path(const struct sink *s);
/* Bytes into the compressor. */
int sink_write(struct sink *s, const void *buf, size_t len, struct error *err);
/*
 * Finish every stage, commit the file under its final name, then write the sidecar. Frees s.
 * On failure nothing is left under the temporary name; the file stays if only its sidecar
 * failed (err says so).
 */
int sink_finish(struct sink *s, struct sink_result *res, struct error *err);
/* Remove the temporary file and free s. Safe on NULL. */
void sink_abort(struct sink *s);

/* Remove the files being written, from a signal handler: async-signal-safe. */
void sink_signal_cleanup(void);

#endif
