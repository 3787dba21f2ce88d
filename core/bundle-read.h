/* SPDX-License-Identifier: MIT */
/* The shared bundle reader and its output sink (extraction). Not installed. */
#ifndef BANCADA_CORE_BUNDLE_READ_H
#define BANCADA_CORE_BUNDLE_READ_H

#include "bundle-private.h"

/* Where extracted entries go; every path has passed the name policy. */
struct bundle_sink {
	/* Create a directory (parents included). Returns 0 or -1 with errno. */
	int (*dir)(struct bundle_sink *s, const char *path);
	/* Create a new file for writing (parents included); returns an fd or -1. */
	int (*open)(struct bundle_sink *s, const char *path, unsigned mode);
	/* Write a whole small file (the manifest). Returns 0 or -1 with errno. */
	int (*file)(struct bundle_sink *s, const char *path, unsigned mode,
		const void *data, size_t len);
};

/*
 * Read `file`: the manifest only, or every entry (to `sink` when not NULL,
 * stopping at the first problem). `*out` is always set. Returns 0 or
 * BC_EINVALID when the report lists problems.
 */
int bundle_read(const char *file, const bc_bundle_read_options *opts, struct bundle_sink *sink,
	int manifest_only, bc_bundle_report **out);

#endif
