/* SPDX-License-Identifier: MIT */
/*
 * Private to the importers (import-*.c): a run as read from a source, the
 * upsert that stores it keyed by the source's own id, and document
 * flattening shared by the MLflow and DVC readers.
 */
#ifndef BANCADA_CORE_IMPORT_PRIVATE_H
#define BANCADA_CORE_IMPORT_PRIVATE_H

#include "internal.h"
#include "bancada/import.h"

/* ---- a run read from a source (everything owned) ---- */
struct imp_kv {
	char *key;
	char *value;
	size_t vlen;
};

struct imp_series {
	char *key;
	bc_point *pts;
	size_t n, cap;
};

struct imp_io {
	int is_output;
	char *path;
	char *hash;
};

struct imp_run {
	char *src_id;
	char *name;              /* name in the source; NULL: derived */
	char *experiment;
	int status;              /* bc_run_status */
	int64_t started_ms, ended_ms;
	char *user, *host, *git_commit, *git_branch, *note, *cwd;
	char **argv; size_t argc, capargv;
	int deleted;
	struct imp_kv *params; size_t nparams, capparams;
	char **tags; size_t ntags, captags;
	struct imp_io *io; size_t nio, capio;
	struct imp_series *series; size_t nseries, capseries;
	int64_t bad_lines;
	uint64_t quick;          /* cheap change fingerprint of the source files (0: none) */
};

void imp_run_init(struct imp_run *r);
void imp_run_clear(struct imp_run *r);
/* Set a string field (copies; NULL clears). */
void imp_set(char **field, const char *value);
/* Add a param; the first value of a key wins. Returns 0, or 1 if it was a duplicate. */
int imp_run_param(struct imp_run *r, const char *key, const char *value, size_t vlen);
int imp_run_tag(struct imp_run *r, const char *tag);
int imp_run_io(struct imp_run *r, int is_output, const char *path, const char *hash);
int imp_run_argv(struct imp_run *r, const char *arg);
/* The series for key (created when missing). */
struct imp_series *imp_run_series(struct imp_run *r, const char *key);
int imp_series_add(struct imp_series *s, int64_t step, double value, int64_t wall_ms);
/* Series key already present? */
int imp_run_has_series(const struct imp_run *r, const char *key);

/* ---- one import of one source ---- */
struct imp_known {
	char *src_id;
	char id[33];
	uint64_t quick;
	char *digest;            /* NULL: an earlier import did not complete */
	char *src_name;          /* name the source gave last time */
};

struct imp_ctx {
	bc_project *p;
	const bc_import_options *opts;
	bc_import_stats *stats;
	const char *tool;
	char *src_path;
	struct imp_known *known;
	size_t nknown;
	size_t done, total;
	int64_t last_progress_ms;
	/* completion mark of the last run with series, written with the next
	 * run's transaction (or at the end) to save a commit per run */
	char pending_id[33], pending_digest[17];
};

/* Start: load what earlier imports of (tool, src_path) stored. */
int imp_begin(struct imp_ctx *c, bc_project *p, const char *tool, const char *src_path,
	const bc_import_options *opts, bc_import_stats *stats);
void imp_end(struct imp_ctx *c);
/*
 * Cheap path: true when the run was imported completely before and its
 * quick fingerprint is unchanged (counted as unchanged; nothing is read).
 */
int imp_quick_unchanged(struct imp_ctx *c, const char *src_id, uint64_t quick);
/* Store a run read from the source: add, update or leave it. Returns 0 or <0 (fatal). */
int imp_commit_run(struct imp_ctx *c, struct imp_run *r);
void imp_skip(struct imp_ctx *c);
/* Write a run (import-store.c): 0 added, 1 updated, <0 error. */
int imp_store_run(struct imp_ctx *c, struct imp_run *r, const char *digest);
/* Write the pending completion mark, in the open transaction or its own. */
int imp_flush_pending(struct imp_ctx *c);
void imp_warn(struct imp_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void imp_progress(struct imp_ctx *c, int force);

/* ---- hashing (change detection, not security) ---- */
uint64_t imp_hash(uint64_t h, const void *data, size_t len);
uint64_t imp_hash_u64(uint64_t h, uint64_t v);
#define IMP_HASH_SEED 0x9e3779b97f4a7c15ULL

/* ---- documents flattened to dotted keys (import-doc.c) ---- */
struct imp_flat {
	char *key;
	char *val;               /* scalar text; NULL for null */
	size_t vlen;
	int plain;               /* unquoted YAML scalar or JSON number/bool */
	int is_num;
	double num;
};

struct imp_doc {
	struct imp_flat *v;
	size_t n, cap;
};

/*
 * Parse YAML (or JSON, by file name) and flatten mappings with dots and
 * sequences with their index. On a syntax error returns -1 and writes
 * "line N: problem" into err.
 */
int imp_doc_parse(struct imp_doc *d, const char *text, size_t len, int json,
	char *err, size_t errsize);
void imp_doc_clear(struct imp_doc *d);
/* Scalar at key, or NULL (also for null values). */
const struct imp_flat *imp_doc_get(const struct imp_doc *d, const char *key);
const char *imp_doc_str(const struct imp_doc *d, const char *key);
/* Integer at key (plain or quoted digits); returns 0 if present and valid. */
int imp_doc_int(const struct imp_doc *d, const char *key, int64_t *out);
/* A number parsed from text as MLflow/DVC write it (nan, inf, -inf, 1e-3). */
int imp_parse_double(const char *s, const char *end, double *out);
/* Same, fast for plain decimals (metric files); falls back to imp_parse_double. */
int imp_parse_number(const char *s, const char *end, double *out);
/* A decimal integer of at most 18 digits. */
int imp_parse_int(const char *s, const char *end, int64_t *out);

/* ---- MLflow (import-mlflow-files.c, import-mlflow-db.c) ---- */
/* MLflow status (number or name) to bc_run_status; -1 if unknown. */
int imp_mlflow_status(const char *s);
/* Map one MLflow tag onto the run (runName, user, git commit, note...). */
void imp_mlflow_tag(struct imp_ctx *c, struct imp_run *r, const char *key, const char *val,
	size_t vlen);
void imp_mlflow_param(struct imp_ctx *c, struct imp_run *r, const char *key, const char *val,
	size_t vlen);
int imp_mlflow_files(bc_project *p, const char *root, const bc_import_options *opts,
	bc_import_stats *stats);
int imp_mlflow_db(bc_project *p, const char *path, const bc_import_options *opts,
	bc_import_stats *stats);

/* ---- DVC (import-dvc.c, import-dvc-files.c) ---- */
struct git_repository;
struct git_tree;
/* Read params, metrics, series and data io of one commit tree into r. */
int imp_dvc_read_tree(struct imp_ctx *c, struct git_repository *repo, struct git_tree *tree,
	const char *what, int64_t when_ms, struct imp_run *r);

#endif
