/* SPDX-License-Identifier: MIT */
/* The hash-and-write pipeline used by bundle reading and creation. Not installed. */
#ifndef BANCADA_CORE_BUNDLE_PIPE_H
#define BANCADA_CORE_BUNDLE_PIPE_H

#include "bundle-private.h"

struct bundle_pipe;

/* Start the worker thread with four BUNDLE_CHUNK buffers; NULL on failure. */
struct bundle_pipe *bundle_pipe_new(void);
/* Start a new stream: reset the hash; bytes also go to `fd` unless it is -1. */
int bundle_pipe_begin(struct bundle_pipe *bp, int fd);
/* A free buffer of BUNDLE_CHUNK bytes to fill (waits for one). */
unsigned char *bundle_pipe_slot(struct bundle_pipe *bp);
/* Hand the buffer from bundle_pipe_slot, holding `len` bytes, to the worker. */
void bundle_pipe_push(struct bundle_pipe *bp, size_t len);
/* Wait for the stream's bytes; the SHA-256 as hex. Returns 0 or -errno of a write. */
int bundle_pipe_end(struct bundle_pipe *bp, char out[65]);
/* Stop the worker and free. NULL is a no-op. */
void bundle_pipe_free(struct bundle_pipe *bp);

#endif
