/* SPDX-License-Identifier: MIT */
/**
 * @file data.h  Data versions: content-addressed files and directories kept in
 * `.bancada/cache/`, small pointer files (`PATH.bcd`) committed to git,
 * checkout at any revision, remotes, gc and fsck.
 */
#ifndef BANCADA_CORE_DATA_H
#define BANCADA_CORE_DATA_H

#include "common.h"
#include "project.h"

BC_BEGIN_DECL

/** Extension of pointer files written next to the data. */
#define BC_DATA_POINTER_EXT ".bcd"
/** Bytes of a SHA-256 in hex plus the NUL. */
#define BC_DATA_HEX 65

/** How checkout puts cache objects into the workspace. */
typedef enum {
	BC_DATA_LINK_COPY = 0,  /**< plain copy (default) */
	BC_DATA_LINK_REFLINK,   /**< FICLONE when the filesystem can, else copy */
	BC_DATA_LINK_HARDLINK,  /**< hard link to the read-only object */
	BC_DATA_LINK_SYMLINK,   /**< symbolic link to the read-only object */
} bc_data_link;

/** "copy", "reflink", ... */
BC_EXTERN(const char *) bc_data_link_name(bc_data_link m);
/** Parse a link mode name; -1 if unknown. */
BC_EXTERN(int) bc_data_link_parse(const char *name);

/** State of one tracked path (or one file inside a tracked directory). */
typedef enum {
	BC_DATA_CLEAN = 0,     /**< workspace matches the pointer, object cached */
	BC_DATA_MODIFIED,      /**< workspace content differs from the pointer */
	BC_DATA_MISSING,       /**< pointer exists, workspace file does not */
	BC_DATA_NOT_CACHED,    /**< matches the pointer but the object is not in the cache */
	BC_DATA_ADDED,         /**< diff: only in the new side; add: newly tracked */
	BC_DATA_DELETED,       /**< diff: only in the old side */
	BC_DATA_UNCHANGED,     /**< add: nothing to do */
	BC_DATA_UPDATED,       /**< add: new version recorded; checkout: file written */
	BC_DATA_REFUSED,       /**< checkout: modified data left alone (use force) */
	BC_DATA_UNREADABLE,    /**< tree: the file or directory cannot be read (permissions) */
} bc_data_state;

/** "clean", "modified", ... */
BC_EXTERN(const char *) bc_data_state_name(bc_data_state s);

/** One line of a status, diff, add, ls or checkout report. */
typedef struct bc_data_item {
	char *path;            /**< project-relative path of the data */
	char *inner;           /**< file inside a tracked directory, or NULL */
	bc_data_state state;
	int is_dir;
	int in_cache;          /**< ls: object (and for dirs every member) present */
	int64_t size;          /**< new/current size in bytes (-1 unknown) */
	int64_t old_size;      /**< diff: old size (-1 none) */
	int64_t nfiles;        /**< directories: member count */
	char hash[BC_DATA_HEX];     /**< new/current hash ("" none) */
	char old_hash[BC_DATA_HEX]; /**< diff: old hash ("" none) */
} bc_data_item;

/** A list of items; free with bc_data_list_clear(). */
typedef struct bc_data_list {
	bc_data_item *v;
	size_t n, cap;
	int64_t files_checked;  /**< files looked at (status, add) */
	int64_t files_hashed;   /**< files whose content was read */
	int64_t bytes_hashed;
} bc_data_list;
BC_EXTERN(void) bc_data_list_clear(bc_data_list *l);

/** Progress of a long operation (bytes and objects). */
typedef struct bc_data_progress {
	const char *what;       /**< "push", "pull", "add", "checkout", "fsck" */
	int64_t objects_done, objects_total;
	int64_t bytes_done, bytes_total;
} bc_data_progress;
typedef void (*bc_data_progress_cb)(const bc_data_progress *pr, void *payload);

/** Options shared by the data operations (versioned). */
typedef struct bc_data_options {
	unsigned int version;
	int force;                   /**< checkout: overwrite modified data */
	int dry_run;                 /**< gc: report only */
	int link;                    /**< checkout link mode; -1 = configured */
	int threads;                 /**< 0 = automatic */
	bc_data_progress_cb progress;
	void *payload;
} bc_data_options;
#define BC_DATA_OPTIONS_VERSION 1
#define BC_DATA_OPTIONS_INIT { BC_DATA_OPTIONS_VERSION, 0, 0, -1, 0, NULL, NULL }

/**
 * Track files or directories: hash them (SHA-256, libcrypto), store each
 * content once in the cache (a directory becomes a manifest object), write
 * `PATH.bcd` and ignore PATH in the `.gitignore` of its directory. Paths are
 * relative to the current directory. Unchanged data is a no-op. One item per
 * path in `out` (ADDED, UPDATED or UNCHANGED).
 */
BC_EXTERN(int) bc_data_add(bc_project *p, const char *const *paths, size_t n,
	const bc_data_options *opts, bc_data_list *out);

/**
 * Compare tracked paths (all when n == 0) with their pointers, per file inside
 * directories. Uses the stat cache: unchanged files are not read. Only
 * non-clean items are listed.
 */
BC_EXTERN(int) bc_data_status(bc_project *p, const char *const *paths, size_t n,
	bc_data_list *out);

/**
 * Make the workspace match the pointers at git revision `rev` (NULL: the
 * pointer files in the workspace). Pointers at `rev` are read with libgit2 and
 * written to the workspace. Files are replaced atomically; modified data whose
 * content is not in the cache is refused (state REFUSED, return BC_EEXISTS)
 * unless `force`. Never writes through a symlink.
 */
BC_EXTERN(int) bc_data_checkout(bc_project *p, const char *rev, const char *const *paths,
	size_t n, const bc_data_options *opts, bc_data_list *out);

/**
 * The whole tracked tree of the workspace for browsing: each tracked path
 * (sorted), a directory followed by its files (`inner` set), with the hash and
 * size its pointer records. With `check`, each row gets its state through the
 * stat cache (unchanged files are not read): CLEAN, MODIFIED (old_hash and
 * old_size then hold what the workspace has), MISSING, NOT_CACHED or
 * UNREADABLE, and files present in a tracked directory but not in its pointer
 * are listed as ADDED; a directory row takes the worst state of its files.
 * Without `check`, only pointers and manifests are read (a fast first look)
 * and every row is CLEAN.
 */
BC_EXTERN(int) bc_data_tree(bc_project *p, int check, bc_data_list *out);

/** Tracked paths at `rev` (NULL: workspace) with sizes, hashes and cache presence. */
BC_EXTERN(int) bc_data_ls(bc_project *p, const char *rev, bc_data_list *out);

/**
 * Added/modified/deleted tracked files between `rev_a` and `rev_b` (NULL for
 * `rev_b` = the workspace pointers; both NULL = HEAD vs workspace data).
 * Directories are compared per member file.
 */
BC_EXTERN(int) bc_data_diff(bc_project *p, const char *rev_a, const char *rev_b,
	bc_data_list *out);

/** One version of a tracked path in git history. */
typedef struct bc_data_version {
	char commit[41];
	int64_t time_ms;
	char *author;
	char *subject;
	char hash[BC_DATA_HEX];  /**< "" when the path was removed in this commit */
	int64_t size;
	char **runs;             /**< ids of runs that read or wrote this version */
	size_t nruns;
} bc_data_version;

/** Versions of `path` from HEAD back (one per change), newest first. */
BC_EXTERN(int) bc_data_log(bc_project *p, const char *path, bc_data_version **out, size_t *n);
BC_EXTERN(void) bc_data_log_free(bc_data_version *v, size_t n);

/* ---- remotes ---- */

/** Add or replace remote NAME (a directory or ssh://host/path). First one is the default. */
BC_EXTERN(int) bc_data_remote_add(bc_project *p, const char *name, const char *url);
BC_EXTERN(int) bc_data_remote_remove(bc_project *p, const char *name);
/** Remotes as parallel NULL-terminated arrays (free with bc_strv_free-like loops). */
BC_EXTERN(int) bc_data_remote_list(bc_project *p, char ***names, char ***urls, size_t *n,
	char **default_name);

/** Transfer counts of push/pull. */
typedef struct bc_data_transfer {
	int64_t objects, bytes;      /**< transferred */
	int64_t present;             /**< already there */
	int64_t missing;             /**< wanted but absent at the source */
	int64_t corrupt;             /**< refused: hash mismatch */
} bc_data_transfer;

/** Send objects of tracked paths (all when n == 0) missing on the remote. */
BC_EXTERN(int) bc_data_push(bc_project *p, const char *remote, const char *const *paths,
	size_t n, const bc_data_options *opts, bc_data_transfer *out);
/** Fetch objects missing locally, verify them, then check out the paths. */
BC_EXTERN(int) bc_data_pull(bc_project *p, const char *remote, const char *const *paths,
	size_t n, const bc_data_options *opts, bc_data_transfer *out);

/* ---- gc and fsck ---- */

/** Why gc keeps objects, and what it freed. */
typedef struct bc_data_gc_report {
	int64_t kept_objects, kept_bytes;
	int64_t freed_objects, freed_bytes;
	int64_t kept_by_git, kept_by_workspace, kept_by_runs, kept_by_bundles;
	int64_t commits_scanned;
	int64_t temps_removed;
} bc_data_gc_report;

/**
 * Delete cache objects referenced by no commit on any branch or tag, no
 * workspace pointer, no run (tables run_io, run_data) and no bundle (the
 * inputs of the runs in table bundles, plus hashes passed in `keep`). Holds the cache lock exclusively (released by the
 * kernel if the process dies). `each` is called per deleted (or, when
 * dry-run, deletable) object.
 */
BC_EXTERN(int) bc_data_gc(bc_project *p, const bc_data_options *opts,
	const char *const *keep, size_t nkeep,
	void (*each)(const char *hash, int64_t size, void *payload), void *payload,
	bc_data_gc_report *out);

/**
 * Re-hash every cache object; move corrupt ones to `.bancada/cache/quarantine/`.
 * Returns the number of corrupt objects (0 = clean) or <0 on error.
 */
BC_EXTERN(int) bc_data_fsck(bc_project *p, const bc_data_options *opts,
	void (*bad)(const char *hash, const char *why, void *payload), void *payload,
	int64_t *checked);

/* ---- runs and lineage ---- */

/**
 * Record the data state at the start of run `run_id`: for every tracked path,
 * its pointer hash and whether the workspace matched it (table run_data).
 */
BC_EXTERN(int) bc_data_run_snapshot(bc_project *p, const char *run_id);

/**
 * Record a declared input or output (`--input`/`--output`) of a run in
 * run_io with its content hash. With `add`, an output is also added to the
 * cache and its pointer written (like `bancada data add`).
 */
BC_EXTERN(int) bc_data_run_io(bc_project *p, const char *run_id, int is_output,
	const char *path, int add);

/** Data a run recorded: snapshot rows as items (state CLEAN or MODIFIED). */
BC_EXTERN(int) bc_data_run_list(bc_project *p, const char *run_id, bc_data_list *out);

BC_END_DECL
#endif
