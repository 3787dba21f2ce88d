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
	char digest[17];         /* imp_run_digest ("": not computed yet) */
	size_t nkept;            /* series[nseries..nkept): emptied, their pts kept for reuse */
};

void imp_run_init(struct imp_run *r);
void imp_run_clear(struct imp_run *r);
/* Clear r for the next run but keep its series' point buffers for reuse. */
void imp_run_recycle(struct imp_run *r);
/* Digest of everything stored for the run, into r->digest (sorts its arrays). */
void imp_run_digest(struct imp_run *r);
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

/* statements prepared once per import (import-store.c) */
enum imp_sql {
	IMP_SQL_CURRENT, IMP_SQL_NAME_TAKEN, IMP_SQL_OLD_TAGS, IMP_SQL_DEL_TAG,
	IMP_SQL_DEL_PARAMS, IMP_SQL_DEL_IO, IMP_SQL_DEL_SUMMARY, IMP_SQL_DEL_CHUNKS,
	IMP_SQL_DEL_CHANNELS, IMP_SQL_INSERT_RUN, IMP_SQL_UPDATE_RUN, IMP_SQL_PARAM, IMP_SQL_TAG,
	IMP_SQL_IO, IMP_SQL_STATE, IMP_SQL_QUICK, IMP_SQL_KEY_INS, IMP_SQL_KEY_SEL, IMP_SQL_CHUNK,
	IMP_SQL_SUMMARY, IMP_NSQL
};

struct imp_keyid {
	char *key;
	int64_t id;
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
	/* many runs per write transaction */
	int batch;
	int64_t batch_ms;
	size_t batch_points, batch_runs;
	sqlite3_stmt *stmts[IMP_NSQL];
	struct imp_keyid *keys;  /* metric name -> metric_keys id (open addressing) */
	size_t nkeys, keycap;
	int64_t cache_size;      /* the connection's cache_size before the import (0: unchanged) */
	struct imp_ckpt *ckpt;   /* the checkpoint thread (import-pipe.c), or NULL */
	int secure_delete;       /* the connection's secure_delete before the import (-1: unchanged) */
};
/* SQLite page cache during an import (KiB), above a batch's size */
#define IMP_CACHE_KIB "49152"

/* Start: load what earlier imports of (tool, src_path) stored. */
int imp_begin(struct imp_ctx *c, bc_project *p, const char *tool, const char *src_path,
	const bc_import_options *opts, bc_import_stats *stats);
/* Finish: commit the open batch; returns rc, or -1 if that commit failed. */
int imp_end(struct imp_ctx *c, int rc);
/*
 * Cheap path: true when the run was imported completely before and its
 * quick fingerprint is unchanged (counted as unchanged; nothing is read).
 */
int imp_quick_unchanged(struct imp_ctx *c, const char *src_id, uint64_t quick);
/* Imported completely before (and no --full): its files need no ordering. */
int imp_is_known(struct imp_ctx *c, const char *src_id);
/* The same test without counting (safe on reader threads: reads only). */
int imp_quick_match(struct imp_ctx *c, const char *src_id, uint64_t quick);
void imp_count_unchanged(struct imp_ctx *c);

/*
 * Reading source runs on worker threads while this thread writes them
 * (import-pipe.c). read() fills item `i` of n (in any order, on any reader
 * thread, with its own per-thread state from thread_new); the items reach
 * imp_commit_run in index order, so results do not depend on timing.
 */
enum imp_item_kind { IMP_ITEM_NONE, IMP_ITEM_RUN, IMP_ITEM_UNCHANGED, IMP_ITEM_SKIP };
struct imp_item {
	int kind;                /* NONE: not a run after all (not counted) */
	struct imp_run run;      /* RUN: what was read */
	bc_buf warnings;         /* deferred warnings (imp_warn_defer) */
};
struct imp_reader {
	void *(*thread_new)(void *payload);
	void (*thread_free)(void *state);
	void (*read)(void *state, size_t i, struct imp_item *out);
	void *payload;
};
/* Before a write transaction: wait for the checkpoint thread when the WAL is long. */
void imp_wal_wait(bc_project *p);
/* After the last commit: stop the checkpoint thread and truncate the WAL. */
void imp_wal_finish(struct imp_ctx *c);
/* Read and store n items; returns 0 or <0 (a store error: readers are stopped). */
int imp_pipe(struct imp_ctx *c, size_t n, const struct imp_reader *rd);
/* Store a run read from the source: add, update or leave it. Returns 0 or <0 (fatal). */
int imp_commit_run(struct imp_ctx *c, struct imp_run *r);
void imp_skip(struct imp_ctx *c);
/* Write a run (import-store.c): 0 added, 1 updated, <0 error. */
int imp_store_run(struct imp_ctx *c, struct imp_run *r, const char *digest);
/* Remember a new quick fingerprint for an unchanged run. */
int imp_update_quick(struct imp_ctx *c, const char *id, uint64_t quick);
/* The cached statement (reset, bindings cleared), or NULL with the error set. */
sqlite3_stmt *imp_stmt(struct imp_ctx *c, enum imp_sql which);
void imp_stmts_free(struct imp_ctx *c);
/* Open the batch transaction if none is open. */
int imp_batch_begin(struct imp_ctx *c);
/* Commit the batch when it is old or big enough (or force). */
int imp_batch_commit(struct imp_ctx *c, int force);
void imp_warn(struct imp_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void imp_progress(struct imp_ctx *c, int force);
/*
 * On a reader thread: keep this thread's warnings in sink (NUL-separated)
 * instead of reporting them (NULL: report again); the writer thread replays
 * them in source order with imp_warn_replay.
 */
void imp_warn_defer(bc_buf *sink);
void imp_warn_replay(struct imp_ctx *c, const bc_buf *sink);

/* ---- packed metric chunks (import-pack.c; read by core/metric-read.c) ---- */
/* Most points in one packed chunk (a reader's decode buffer holds this many). */
#define IMP_PACK_MAX_POINTS 512
/*
 * Pack the longest prefix of pts[0..n) (at most IMP_PACK_MAX_POINTS, at least
 * one point) whose encoding fits budget bytes into out (budget + 32 bytes
 * long); returns the points packed and sets *len to the bytes written.
 */
size_t imp_chunk_pack(const bc_point *pts, size_t n, unsigned char *out, size_t budget,
	size_t *len);
/* Is a metric_chunks BLOB of len bytes packed (else raw bc_point records)? */
int imp_chunk_is_packed(size_t len);
/* Decode a packed chunk into out (cap points); returns its points or -1 (damaged). */
long imp_chunk_unpack(const void *blob, size_t len, bc_point *out, size_t cap);

/* ---- hashing (change detection, not security) ---- */
uint64_t imp_hash(uint64_t h, const void *data, size_t len);
uint64_t imp_hash_u64(uint64_t h, uint64_t v);
#define IMP_HASH_SEED 0x9e3779b97f4a7c15ULL

/* ---- file stores (import-fs.c): no symlink is ever followed ---- */
struct stat;
struct imp_dir {
	int fd, eof;
	void *dp;                /* DIR * where getdents64 is not available */
	size_t pos, len;
	char buf[16384] __attribute__((aligned(8)));
};
/* List rel below dirfd: 0 or -errno. */
int imp_dir_open(struct imp_dir *d, int dirfd, const char *rel);
/* The next entry's name (not . or ..) and d_type (DT_UNKNOWN: stat it); NULL at the end. */
const char *imp_dir_next(struct imp_dir *d, unsigned char *type);
void imp_dir_close(struct imp_dir *d);
/* Read rel below dirfd into b (NUL-terminated); hint: its size if known. 0 or -errno. */
int imp_read_at(int dirfd, const char *rel, bc_buf *b, size_t hint);
/* Fold size, mtime and inode into h (change detection). */
uint64_t imp_stat_hash(uint64_t h, const struct stat *st);

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
/*
 * m * 10^e10 (negated if neg) when that is exact by the fast paths of
 * imp_parse_number (m of at most 19 digits); -1: use imp_parse_double.
 */
int imp_decimal_value(uint64_t m, int e10, int neg, double *out);
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
/* Parse one metric file (text of len bytes) into r's series `key`; where
 * names the run directory in warnings. Malformed lines are counted. */
void imp_mlflow_metric(struct imp_ctx *c, struct imp_run *r, const char *text, size_t len,
	const char *where, const char *key);
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
