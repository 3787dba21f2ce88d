/* SPDX-License-Identifier: MIT */
/** @file gitinfo.h  Git state of a working tree and diffs between commits (libgit2). */
#ifndef BANCADA_CORE_GITINFO_H
#define BANCADA_CORE_GITINFO_H

#include "common.h"
#include "project.h"

BC_BEGIN_DECL

typedef struct bc_git_state {
	char *toplevel;     /**< work tree root */
	char *commit;       /**< 40 hex, NULL on an unborn branch */
	char *branch;       /**< short name, NULL when detached */
	int dirty;          /**< tracked files differ from HEAD */
	char *patch;        /**< `git diff HEAD` of tracked files, capped */
	size_t patch_len;
	int64_t patch_full_len; /**< size before the cap */
} bc_git_state;

/** Default cap for stored patches (bytes). */
#define BC_GIT_PATCH_CAP (1024 * 1024)

/**
 * Read the git state of the repository containing `dir`. BC_ENOTFOUND if
 * not inside a repository. `want_patch`: also build the uncommitted patch.
 */
BC_EXTERN(int) bc_git_state_read(bc_project *p, const char *dir, int want_patch,
	size_t patch_cap, bc_git_state *out);
BC_EXTERN(void) bc_git_state_clear(bc_git_state *st);

/** Top level of the repository containing `dir` (malloc'd) or NULL. */
BC_EXTERN(char *) bc_git_toplevel(const char *dir);

/** Unified diff between two commits of the repository at `repo_dir` (malloc'd). */
BC_EXTERN(int) bc_git_diff_commits(bc_project *p, const char *repo_dir,
	const char *commit_a, const char *commit_b, char **out, size_t *len);

/** One-line subject of a commit (malloc'd) or NULL. */
BC_EXTERN(char *) bc_git_commit_subject(const char *repo_dir, const char *commit);

/**
 * The work-tree watcher (git's fsmonitor, for `bancada run`): a process that
 * keeps inotify watches on the directories of tracked files so that a clean
 * tree is known without an lstat per file. bc_git_watch_serve runs it in the
 * calling process until it is stopped, idle for `idle_secs`, or the work
 * tree goes away; BC_EEXISTS when one already watches this project.
 * `BANCADA_WATCH=0` in the environment keeps every command from asking it.
 */
BC_EXTERN(int) bc_git_watch_serve(bc_project *p, int idle_secs);

typedef struct bc_git_watch_info {
	long pid;
	unsigned long long gen;      /**< changes seen to tracked paths (and index re-reads) */
	unsigned long long queries;  /**< clean checks answered */
	size_t dirs, files;          /**< directories watched, tracked files known */
	int64_t started_ms;
	char state[208];             /**< "watching", or why it cannot */
} bc_git_watch_info;

/** The running watcher's state; BC_ENOTFOUND when none runs. */
BC_EXTERN(int) bc_git_watch_status(bc_project *p, bc_git_watch_info *out);
/** Ask the running watcher to exit; BC_ENOTFOUND when none runs. */
BC_EXTERN(int) bc_git_watch_stop(bc_project *p);
/** Whether a git state read on `p` found no watcher where one would help. */
BC_EXTERN(int) bc_git_watch_missing(bc_project *p);

BC_END_DECL
#endif
