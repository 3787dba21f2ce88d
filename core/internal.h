/* SPDX-License-Identifier: MIT */
/* Private declarations shared by core/ modules. Not installed. */
#ifndef BANCADA_CORE_INTERNAL_H
#define BANCADA_CORE_INTERNAL_H

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sqlite3.h>
#include "bancada/bancada.h"

struct bc_project {
	char *root;              /* project root */
	char *dir;               /* root/.bancada */
	sqlite3 *db;
	int readonly;
	int txdepth;              /* nested bc_tx_begin calls */
	int wal_frames;           /* frames in the WAL after our last commit */
	struct bc_git_prefetch *git_prefetch; /* git state being read (git-prefetch.c) */
	int watch_missing;        /* no work-tree watcher answered (git-watch.c) */
	bc_error_class errclass;
	char errmsg[1024];
	char pathbuf[PATH_MAX];
};

/* ---- strings and paths ---- */
char *bc_strdup(const char *s);
char *bc_strndup(const char *s, size_t n);
char *bc_path_join(const char *a, const char *b);
int bc_mkdir_p(const char *path, int mode);
/* Read a whole file (NUL-terminated); returns 0 or -errno. */
int bc_read_file(const char *path, char **out, size_t *len);
/* Write a file atomically: temp in the same dir, fsync, rename, fsync dir. */
int bc_write_file_atomic(const char *path, const void *data, size_t len, int mode);
int bc_fsync_dir(const char *dir);
/* FNV-1a of `n` bytes, for in-memory hash tables (never stored). */
uint64_t bc_hash_bytes(const void *s, size_t n);
/* `n` bytes as 2n lowercase hex digits and a NUL (out holds 2n + 1). */
void bc_hex(const unsigned char *b, size_t n, char *out);
/* Remove a directory tree (no symlink following). */
int bc_rm_rf(const char *path);

/* ---- store ---- */
/* The summary stored beside a metric chunk's points (core/metric.c): its
 * first (lowest step), min, max and last (highest step) point, by the rules
 * the reduced reader applies point by point. `n` must be at least 1. */
void bc_metric_chunk_summary(const bc_point *pts, size_t n, bc_point sum[4]);
/* Fold one point into a summary's min and max (NaN skipped, first of ties
 * kept); `have` says whether min/max hold a value yet. */
void bc_metric_fold_minmax(bc_metric_summary *m, int *have, const bc_point *pt);
/* Bind a summary value (core/metric.c): NaN, "no value", as NULL. */
void bc_bind_num(sqlite3_stmt *st, int i, double v);

#define BC_SCHEMA_VERSION 9
int bc_store_open(bc_project *p, const char *path, int readonly);
/* Close the store, checkpointing (without waiting) a WAL grown long. */
void bc_store_close(bc_project *p);

/* ---- git state read ahead (git-prefetch.c) ---- */
/* Start reading the git state of `dir` (NULL: the current directory), with
 * its patch capped at `patch_cap`, on a thread; silently nothing on failure. */
void bc_git_prefetch_start(bc_project *p, const char *dir, size_t patch_cap);
/* Wait for a read started for the same directory and patch settings: 1 with
 * `out` and `*rc` filled (and the error on `p`), 0 when there was none. */
int bc_git_prefetch_take(bc_project *p, const char *dir, int want_patch, size_t patch_cap,
	bc_git_state *out, int *rc);
/* Wait for and discard a pending read. */
void bc_git_prefetch_drop(bc_project *p);
/* Migrate to `target` (<= BC_SCHEMA_VERSION) under an exclusive lock. */
int bc_store_migrate(bc_project *p, int target);
int bc_db_error(bc_project *p, const char *what);
/* BEGIN IMMEDIATE with the busy timeout and bounded retry. */
int bc_tx_begin(bc_project *p);
int bc_tx_commit(bc_project *p);
void bc_tx_rollback(bc_project *p);
/* Prepare (cached by SQLite's own statement reuse is not available: plain prepare). */
int bc_prepare(bc_project *p, sqlite3_stmt **st, const char *sql);
/* Execute SQL with no parameters. */
int bc_exec(bc_project *p, const char *sql);

/* ---- run ids and names ---- */
void bc_runid_new(char out[33]);
void bc_runname_new(char *buf, size_t size);
int bc_runid_time_ms(const char *id, int64_t *out);

/* ---- params ---- */
int bc_param_bind(sqlite3_stmt *st, int col_type, int col_value, const bc_value *v);
void bc_param_column(sqlite3_stmt *st, int col_type, int col_value, bc_value *v);
int bc_params_from_json(bc_project *p, const char *id, void *json_obj, const char *prefix);

/* ---- host facts ---- */
const char *bc_hostname(void);
const char *bc_username(void);
const char *bc_boot_id(void);
/* Process start time (clock ticks since boot) of pid, or -1. */
long long bc_proc_start_time(long pid);

/* ---- filter compilation (filter.c) ---- */
typedef struct bc_filter_sql {
	char *where;            /* SQL boolean expression over alias r */
	struct bc_filter_arg {
		int type;       /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT */
		int64_t i;
		double f;
		char *s;
	} *args;
	size_t nargs;
} bc_filter_sql;
/* Compile; on error returns BC_EINVALID, sets message and *errpos. */
int bc_filter_compile(bc_project *p, const char *expr, bc_filter_sql *out, int *errpos);
void bc_filter_sql_clear(bc_filter_sql *f);
int bc_filter_bind(sqlite3_stmt *st, const bc_filter_sql *f, int first_index);
/* Parse a time phrase ("-6h", "2026-11-01", "2026-11-01T10:00") to ms. */
int bc_time_parse(const char *s, int64_t now_ms, int64_t *out);

#endif
