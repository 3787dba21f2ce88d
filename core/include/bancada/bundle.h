/* SPDX-License-Identifier: MIT */
/**
 * @file bundle.h  Model bundles: reproducible, verifiable archives with provenance.
 *
 * A bundle is a tar (zstd, gzip or xz) or zip archive whose first entry is
 * MANIFEST.json ("bancada-bundle/1", documented in share/bundle-format.md)
 * followed by the payload files it lists. Reading never trusts the archive:
 * every entry is checked against the manifest while streaming.
 */
#ifndef BANCADA_CORE_BUNDLE_H
#define BANCADA_CORE_BUNDLE_H

#include "common.h"
#include "project.h"
#include "run.h"

BC_BEGIN_DECL

#define BC_BUNDLE_FORMAT "bancada-bundle/1"
#define BC_BUNDLE_MANIFEST "MANIFEST.json"
/** Caps applied to every bundle read (manifest and archive). */
#define BC_BUNDLE_MAX_MANIFEST (1024 * 1024)
#define BC_BUNDLE_MAX_FILES 100000
#define BC_BUNDLE_MAX_PATH 1024
#define BC_BUNDLE_MAX_COMPONENT 255
#define BC_BUNDLE_MAX_DEPTH 32
#define BC_BUNDLE_MAX_FILE_SIZE ((uint64_t)1 << 46)  /**< 64 TiB */

typedef enum {
	BC_BUNDLE_TAR_ZST = 0,
	BC_BUNDLE_TAR_GZ,
	BC_BUNDLE_TAR_XZ,
	BC_BUNDLE_ZIP,
} bc_bundle_format;

/** "tar.zst", ... */
BC_EXTERN(const char *) bc_bundle_format_name(bc_bundle_format f);
/** Parse a format name; -1 if unknown. */
BC_EXTERN(int) bc_bundle_format_parse(const char *name);

/** One payload file as the manifest lists it. */
typedef struct bc_bundle_file {
	char *path;              /**< relative, '/'-separated, validated */
	uint64_t size;
	char sha256[65];         /**< lower-case hex */
	unsigned mode;           /**< 0644 or 0755 */
	const char *exec_kind;   /**< "pickle", "torch", ... (code-bearing) or NULL; static */
} bc_bundle_file;

/** A metric summary as recorded in a manifest. */
typedef struct bc_bundle_metric {
	char *key;
	double first, last, min, max;
	int64_t count, last_step;
} bc_bundle_metric;

/** A parsed manifest. Every string is owned by the record. */
typedef struct bc_manifest {
	char *format, *name, *version;
	char *created;           /**< ISO 8601 UTC */
	int64_t created_ms;
	bc_bundle_file *files; size_t nfiles;   /**< sorted by path */
	uint64_t total_size;
	/* provenance.run */
	char *run_id, *run_name, *run_status, *run_host;
	char **run_command; size_t run_argc;
	char *run_started, *run_ended;
	int has_exit_code, exit_code;
	bc_param *params; size_t nparams;       /**< sorted by key */
	bc_bundle_metric *metrics; size_t nmetrics;
	/* provenance.git */
	char *git_commit, *git_branch, *git_patch_sha256;
	int git_dirty;
	bc_kv *data; size_t ndata;              /**< provenance.data: path -> sha256 */
	bc_kv *env; size_t nenv;                /**< environment */
	bc_kv *meta; size_t nmeta;              /**< free meta (strings) */
	char *signature;         /**< signature as compact JSON, or NULL */
	char *json;              /**< the manifest text as stored */
	size_t json_len;
} bc_manifest;

BC_EXTERN(void) bc_manifest_free(bc_manifest *m);

/**
 * Parse and validate manifest text strictly (schema, caps, path policy,
 * sorted unique paths, no case-only twins). On failure returns BC_EINVALID
 * and writes a one-line reason into `why`.
 */
BC_EXTERN(int) bc_manifest_parse(const char *text, size_t len, bc_manifest **out,
	char *why, size_t why_size);

/**
 * Check one entry name against the bundle path policy (relative, valid
 * UTF-8, no control characters, no `.`/`..`/empty components, no
 * backslash, no leading `-`, not under `.git*`/`.bancada`, caps). Returns
 * NULL when acceptable, else a static reason.
 */
BC_EXTERN(const char *) bc_bundle_path_problem(const char *path, size_t len);

/**
 * Code-bearing formats (loading them runs code): by name and, when given,
 * by the first bytes of the content. Returns a static kind or NULL.
 */
BC_EXTERN(const char *) bc_bundle_exec_kind(const char *path, const unsigned char *head,
	size_t head_len);

/* ---- creating ---- */

typedef struct bc_bundle_create_options {
	unsigned int version;
	const char *run_ref;          /**< run reference (required) */
	const char *const *paths;     /**< NULL-terminated, or NULL: the run's outputs */
	const char *output;           /**< archive path, or NULL: NAME-VERSION.EXT in the cwd */
	const char *name;             /**< NULL: the run's name */
	const char *bundle_version;   /**< NULL: the first 8 digits of the run id */
	bc_bundle_format format;
	int level;                    /**< compression level, -1: format default */
	const char *const *meta;      /**< "KEY=VALUE" strings, NULL-terminated, or NULL */
	const char *signature_file;   /**< JSON file, or NULL */
	int threads;                  /**< zstd workers, 0: number of CPUs */
	int force;                    /**< replace an existing output file */
	void (*progress)(void *payload, uint64_t done, uint64_t total);
	void *payload;
} bc_bundle_create_options;
#define BC_BUNDLE_CREATE_OPTIONS_VERSION 1
#define BC_BUNDLE_CREATE_OPTIONS_INIT { BC_BUNDLE_CREATE_OPTIONS_VERSION, NULL, NULL, NULL, \
	NULL, NULL, BC_BUNDLE_TAR_ZST, -1, NULL, NULL, 0, 0, NULL, NULL }

/** What bc_bundle_create made. */
typedef struct bc_bundle_info {
	char *path;              /**< absolute archive path */
	char *name, *version, *run_id;
	char format[16];
	uint64_t size;           /**< archive bytes */
	char sha256[65];         /**< of the archive */
	size_t nfiles;
	uint64_t payload_size;
	int64_t created_ms;      /**< manifest `created` */
	int64_t bundled_ms;      /**< when the archive was written */
} bc_bundle_info;

BC_EXTERN(void) bc_bundle_info_clear(bc_bundle_info *b);

/**
 * Create a bundle from a run: reproducible archive written to a temp file,
 * fsync'ed and renamed, then registered in the project. Inputs are never
 * followed through symlinks; special files are refused.
 */
BC_EXTERN(int) bc_bundle_create(bc_project *p, const bc_bundle_create_options *opts,
	bc_bundle_info *out);

/* ---- reading: inspect, verify, extract ---- */

typedef struct bc_bundle_problem {
	char *path;              /**< entry name (untrusted: sanitize) or NULL */
	char *message;
} bc_bundle_problem;

typedef struct bc_bundle_report {
	bc_manifest *manifest;   /**< NULL when missing or invalid */
	bc_bundle_problem *problems; size_t nproblems;
	uint64_t bytes;          /**< payload bytes read and hashed */
	size_t entries;          /**< archive entries seen */
	int complete;            /**< the whole archive was read */
} bc_bundle_report;

BC_EXTERN(void) bc_bundle_report_free(bc_bundle_report *r);

typedef struct bc_bundle_read_options {
	unsigned int version;
	int stop_at_first;       /**< stop at the first problem */
	void (*progress)(void *payload, uint64_t done, uint64_t total);
	void *payload;
	/** When set and `*cancel` becomes non-zero (another thread may set it;
	 * read atomically), reading stops soon with a "cancelled" problem. */
	const int *cancel;
} bc_bundle_read_options;
#define BC_BUNDLE_READ_OPTIONS_VERSION 1
#define BC_BUNDLE_READ_OPTIONS_INIT { BC_BUNDLE_READ_OPTIONS_VERSION, 0, NULL, NULL, NULL }

/**
 * Read only the manifest (the first entry) of a bundle. Nothing else is
 * checked: use bc_bundle_verify for that. Returns 0, or BC_EINVALID with
 * the reason in the report's problems.
 */
BC_EXTERN(int) bc_bundle_inspect(const char *file, bc_bundle_report **out);

/**
 * Stream the whole bundle, hashing every entry and checking it against the
 * manifest and the safety rules. Returns 0 when everything holds,
 * BC_EINVALID when the report lists problems. `*out` is always set.
 */
BC_EXTERN(int) bc_bundle_verify(const char *file, const bc_bundle_read_options *opts,
	bc_bundle_report **out);

/**
 * Verify while extracting into a fresh staging directory next to `dir`,
 * then rename it to `dir`, which must not exist or be an empty directory.
 * On any problem the staging directory is removed and `dir` is untouched.
 */
BC_EXTERN(int) bc_bundle_extract(const char *file, const char *dir,
	const bc_bundle_read_options *opts, bc_bundle_report **out);

/* ---- the project's bundle registry ---- */

/** Bundles registered in the project, newest first. */
BC_EXTERN(int) bc_bundle_list(bc_project *p, bc_bundle_info **out, size_t *n);
BC_EXTERN(void) bc_bundle_list_free(bc_bundle_info *list, size_t n);

/**
 * Resolve FILE or NAME[@VERSION] to a bundle file path (malloc'd): an
 * existing file wins, else the newest registered bundle of that name.
 * `p` may be NULL (files only).
 */
BC_EXTERN(int) bc_bundle_resolve(bc_project *p, const char *ref, char **path);

/* ---- differences between two manifests ---- */

typedef enum {
	BC_CHANGE_ADDED = 1,
	BC_CHANGE_REMOVED,
	BC_CHANGE_CHANGED,
} bc_change_kind;

typedef struct bc_bundle_change {
	bc_change_kind kind;
	char *section;           /**< "bundle", "run", "git", "params", "metrics", "data", "files", "meta", "environment" */
	char *key;
	char *a, *b;             /**< old and new values as text (NULL when absent) */
	int has_delta;
	double delta;            /**< b - a for numeric values */
} bc_bundle_change;

/** Differences from `a` to `b`, in section order then key order. */
BC_EXTERN(int) bc_bundle_diff(const bc_manifest *a, const bc_manifest *b,
	bc_bundle_change **out, size_t *n);
BC_EXTERN(void) bc_bundle_changes_free(bc_bundle_change *c, size_t n);

BC_END_DECL
#endif
