/* SPDX-License-Identifier: MIT */
/* The git state of a clean work tree without libgit2 (gitfast.c). Not installed. */
#ifndef BANCADA_CORE_GITFAST_H
#define BANCADA_CORE_GITFAST_H

#include "internal.h"

/*
 * Fill `out` (toplevel, commit, branch, dirty = 0) when the work tree of the
 * repository holding `dir` is surely clean and known to match HEAD; -1 when
 * that cannot be told without libgit2 (out is left empty).
 */
int bc_git_fast_state(bc_project *p, const char *dir, bc_git_state *out);
/* Remember that the index of the repository at `toplevel` matches `commit`. */
void bc_git_fast_remember_clean(bc_project *p, const char *toplevel, const char *commit);
/*
 * Whether a path in the git index of the work tree at `toplevel` ends with
 * `suffix` (1) or none does (0); -1 when there is no index or not one this
 * reader knows (ask libgit2). No libgit2, one read of the index.
 */
int bc_git_fast_index_has_suffix(const char *toplevel, const char *suffix);

#endif
