/* Encryption as a sink filter: the compressed bundle goes through it on its way to disk. */
#ifndef LOGPACK_SINK_ENCRYPT_H
#define LOGPACK_SINK_ENCRYPT_H

#include "base/util.h"
#include "bundle/sink.h"
#include "trust/recipients.h"

/*
 * A filter that encrypts to every recipient in r (one file any of them opens: age, or OpenPGP).
 * Its memory is bounded (one 64 KiB chunk) whatever the bundle's size. Returns 0, or -1 with the
 * reason.
 */
int sink_encrypt_filter_new(const struct recipients *r, struct sink_filter **out,
                            struct error *err);

#endif
