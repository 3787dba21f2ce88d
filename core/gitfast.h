/* SPDX-License-Identifier: MIT */
/* The git state of a clean work tree without libgit2 (gitfast.c). Not installed. */
#ifndef BANCADA_CORE_GITFAST_H
#define BANCADA_CORE_GITFAST_H

#include <stdint.h>
#include <sys/stat.h>
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
 * reader knows (ask libgit2). No libgit2; the answer for an index is
 * remembered in .bancada/tmp, so the index is read once per change.
 */
int bc_git_fast_index_has_suffix(bc_project *p, const char *toplevel, const char *suffix);

/*
 * Whether a file's lstat `st` still matches the stat data git recorded for it
 * (size, inode, mtime, file type, exec bit) and it was not written as the
 * index `ist` was ("racy"): 1 unchanged, 0 it may have changed. Shared by
 * the stat pass here and the one before libgit2's diff (gitinfo.c).
 */
static inline int
bc_git_stat_unchanged(const struct stat *st, uint32_t size, uint32_t ino, uint32_t mtime_s,
	uint32_t mtime_ns, uint32_t mode, const struct stat *ist)
{
	if ((uint32_t)st->st_size != size || (uint32_t)st->st_ino != ino ||
	    (uint32_t)st->st_mtim.tv_sec != mtime_s || (uint32_t)st->st_mtim.tv_nsec != mtime_ns ||
	    (st->st_mode & S_IFMT) != (mode & S_IFMT) ||
	    (S_ISREG(st->st_mode) && !(st->st_mode & S_IXUSR) != !(mode & 0100)))
		return 0;                       /* touched (or chmod'ed) since git looked */
	return st->st_mtim.tv_sec < ist->st_mtim.tv_sec || (st->st_mtim.tv_sec == ist->st_mtim.tv_sec &&
		st->st_mtim.tv_nsec < ist->st_mtim.tv_nsec);   /* else "racy" */
}

/* ---- the git index (version 2 or 3), read in place ---- */
uint32_t bc_be32(const unsigned char *p);
struct bc_ix_iter {
	const unsigned char *ix;
	size_t len, off;            /* off: where the next entry (or the extensions) start */
	uint32_t ver, n, i;
};
struct bc_ix_ent {
	const unsigned char *raw;   /* the entry: stat data at its documented offsets */
	size_t head;                /* bytes before the path (62, or 64 with extended flags) */
	const char *path;           /* not NUL-terminated in the map: plen bytes */
	size_t plen;
	uint16_t flags;
	uint8_t ext;                /* extended flags' high byte (skip-worktree, intent-to-add) */
	uint32_t mode;
};
/* The checksum of the index open as `fd` (its last 20 bytes), in hex: 0 or -1. */
int bc_git_index_sum(int fd, char sum[41]);
/* -1 when `ix` is not an index this reader knows. */
int bc_ix_iter_init(struct bc_ix_iter *it, const unsigned char *ix, size_t len);
/* 1 and the next entry, 0 at the end, -1 when the index is malformed. */
int bc_ix_next(struct bc_ix_iter *it, struct bc_ix_ent *e);

/* ---- the work-tree watcher's client side (git-watch.c) ---- */
struct bc_watch_reply {
	char inst[33];              /* the watcher's instance: random at its start */
	unsigned long long gen;     /* bumped by every change to a tracked path */
	char sum[41];               /* checksum of the index it watches by */
};
/*
 * Ask the watcher of the project's work tree for its generation, once it
 * has read the index whose checksum is `sum`: 0 and `out`; -1 when none
 * answers (p->watch_missing set when one could be started).
 */
int bc_git_watch_ask(bc_project *p, const char *sum, struct bc_watch_reply *out);

#endif
