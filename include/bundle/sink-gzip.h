/*
 * gzip on several cores, as pigz does it: the input is cut into blocks of a fixed size, each
 * block is deflated on its own (with the 32 KiB before it as its dictionary, so the ratio is
 * nearly that of one stream), ended on a byte boundary with a sync flush, and the blocks are
 * written in order behind one gzip header, with one CRC-32 and length at the end. The result is
 * one ordinary gzip member that gunzip, tar, bsdtar and zlib read like any other.
 *
 * The bytes written depend only on the input and the level, never on the number of workers.
 */
#ifndef LOGPACK_SINK_GZIP_H
#define LOGPACK_SINK_GZIP_H

#include "base/util.h"
#include "bundle/sink.h"

/*
 * A gzip compressor stage for the sink: level 0 to 9 (-1: 6), workers threads deflating
 * blocks (0 or 1: deflate in the calling thread, no thread at all). NULL with err on failure.
 */
struct sink_filter *sink_gzip_new(int level, int workers, struct error *err);

#endif
