/* SPDX-License-Identifier: MIT */
/* Collecting and hashing bundle inputs. Not installed. */
#ifndef BANCADA_CORE_BUNDLE_INPUTS_H
#define BANCADA_CORE_BUNDLE_INPUTS_H

#include "bundle-private.h"

struct bundle_inputs {
	bundle_input *v;
	size_t n, cap;
	uint64_t total;
};

/*
 * Collect the files to bundle: `paths` (each bundled under its last
 * component, directories recursively) or, when NULL/empty, the run's
 * declared outputs (under their recorded relative path). Sorted by name;
 * symlinks and special files are refused. Errors go on `p`.
 */
int bundle_inputs_collect(bc_project *p, const bc_run *r, const char *const *paths,
	struct bundle_inputs *in);
/* SHA-256 and code-bearing detection of every input (first pass). */
int bundle_inputs_hash(bc_project *p, struct bundle_inputs *in,
	void (*progress)(void *, uint64_t, uint64_t), void *payload, uint64_t *done, uint64_t total);
/*
 * Code-bearing detection only (name and first bytes), with placeholder
 * hashes of the final length: for writers that hash while compressing.
 */
int bundle_inputs_kind(bc_project *p, struct bundle_inputs *in);
/* Open an input (O_NOFOLLOW) checking it is still the collected file; fd or <0. */
int bundle_input_open(bc_project *p, const bundle_input *f);
/* 0 if the open file still has the collected size, mtime and ctime. */
int bundle_input_unchanged(bc_project *p, const bundle_input *f, int fd);
void bundle_inputs_free(struct bundle_inputs *in);

#endif
