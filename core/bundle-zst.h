/* SPDX-License-Identifier: MIT */
/* The one-pass tar.zst bundle writer (core/bundle-zst.c). Not installed. */
#ifndef BANCADA_CORE_BUNDLE_ZST_H
#define BANCADA_CORE_BUNDLE_ZST_H

#include "bundle-inputs.h"

/* What the manifest is built from, besides the inputs' hashes. */
struct bundle_zst_manifest {
	const bc_run *run;
	const char *name, *version, *signature;
	const char *const *meta;
	size_t len;               /* the manifest's length (hashes are fixed-width) */
};

/*
 * Write a tar.zst bundle to `fd` in one pass over the inputs: frame A (the
 * MANIFEST.json tar entry in raw zstd blocks, a fixed size known up front)
 * is written last, at offset 0, while the payload's zstd frame is written
 * after it as it is compressed. A second thread hashes the inputs ahead of
 * the compressor, builds the manifest, then hashes the archive bytes as
 * they land. `in[].exec_kind` must already be set. Fills every input's
 * sha256, the archive size and its SHA-256. Errors go on `p`.
 */
int bundle_write_zst(bc_project *p, int fd, const bc_bundle_create_options *o,
	struct bundle_inputs *in, const struct bundle_zst_manifest *man, time_t mtime,
	uint64_t *size, char sha[65]);

#endif
