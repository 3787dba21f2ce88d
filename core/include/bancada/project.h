/* SPDX-License-Identifier: MIT */
/** @file project.h  A bancada project: the `.bancada/` directory, its store and its errors. */
#ifndef BANCADA_CORE_PROJECT_H
#define BANCADA_CORE_PROJECT_H

#include "common.h"

BC_BEGIN_DECL

typedef struct bc_project bc_project;

/** Options for opening a project (versioned). */
typedef struct {
	unsigned int version;
	int readonly;         /**< open the store read-only (no migration, no recovery) */
	int no_recover;       /**< skip crashed-run detection on open */
	/** (version 2) start reading the git state of this directory ("." for the
	 * current one) while the store opens; bc_git_state_read of the same
	 * directory then takes the result. For commands that record a run. */
	const char *git_prefetch;
} bc_project_options;
#define BC_PROJECT_OPTIONS_VERSION 2
#define BC_PROJECT_OPTIONS_INIT { BC_PROJECT_OPTIONS_VERSION, 0, 0, NULL }

/**
 * Find the project containing `start_dir` (walking up like git) and open it.
 * Like sqlite3_open, `*out` is set even on failure so that bc_errmsg() can
 * say why; free it with bc_project_free(). Returns BC_ENOTFOUND when no
 * project exists above start_dir.
 */
BC_EXTERN(int) bc_project_open(bc_project **out, const char *start_dir,
	const bc_project_options *opts);

/**
 * Create `.bancada/` at the project root for `dir` (the git top level when
 * inside a repository, else dir itself) and open it. BC_EEXISTS when one
 * already exists there (the project is still opened).
 */
BC_EXTERN(int) bc_project_init(bc_project **out, const char *dir);

/** Close the project. NULL is a no-op. */
BC_EXTERN(void) bc_project_free(bc_project *p);

/** The last error message on the handle; never NULL ("" when none). */
BC_EXTERN(const char *) bc_errmsg(const bc_project *p);
/** The class of the last error. */
BC_EXTERN(bc_error_class) bc_errclass(const bc_project *p);
/** Set the handle's error (printf-style). Returns `code` for tail calls. */
BC_EXTERN(int) bc_error_set(bc_project *p, bc_error_class cls, int code,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));
BC_EXTERN(void) bc_error_clear(bc_project *p);

/** Project root (the directory holding `.bancada/`). Borrowed. */
BC_EXTERN(const char *) bc_project_root(const bc_project *p);
/** The `.bancada/` directory. Borrowed. */
BC_EXTERN(const char *) bc_project_dir(const bc_project *p);
/** Per-run directory `.bancada/runs/<id>` (borrowed until the next call). */
BC_EXTERN(const char *) bc_project_run_dir(bc_project *p, const char *run_id);

/** The underlying SQLite handle, for core modules and tools (not plugins). */
struct sqlite3;
BC_EXTERN(struct sqlite3 *) bc_project_db(bc_project *p);

/** Change counter: differs after any other connection committed (PRAGMA data_version). */
BC_EXTERN(int64_t) bc_project_data_version(bc_project *p);

/** Checkpoint the WAL without blocking (PASSIVE) so it stays small. */
BC_EXTERN(void) bc_project_checkpoint(bc_project *p);

/**
 * Detect runs left `running` by a recorder that died (pid gone or machine
 * rebooted): mark them crashed and ingest whatever reached their metric
 * channel. Returns the number of runs recovered, or <0 on error.
 */
BC_EXTERN(int) bc_project_recover(bc_project *p);

/**
 * Check the project: SQLite quick_check and foreign keys, recover crashed
 * runs, and ingest whatever reached any run's metric channels. Problems are
 * described in `*report` (malloc'd, one per line). Returns the number of
 * problems found, or <0 on error.
 */
BC_EXTERN(int) bc_project_fsck(bc_project *p, char **report, int *ingested_runs);

/** Purge soft-deleted runs and orphaned run directories, then truncate the WAL. */
BC_EXTERN(int) bc_project_gc(bc_project *p, int dry_run, int *purged, int *orphans);

BC_END_DECL
#endif
