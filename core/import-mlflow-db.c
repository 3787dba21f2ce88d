/* SPDX-License-Identifier: MIT */
/*
 * MLflow SQLite store (`mlflow.db`), opened read-only (`mode=ro`, and
 * `immutable=1` only when the file cannot change under us), with short
 * statements so a running MLflow server is never held up. Columns that older
 * schema versions lack are checked with PRAGMA table_info and read as NULL.
 * Also the entry point bc_import_mlflow(), which tells a file store from a
 * database.
 */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "import-private.h"

#define TAG_VALUE_MAX 1000

#define DB_BUSY_MS 2000

struct db_import {
	struct imp_ctx *c;
	sqlite3 *db;
	const char *path;
	char version[64];
	struct imp_run *runs;
	size_t nruns;
	char **exp_ids, **exp_names;
	int *exp_deleted;
	size_t nexps;
};

static int
db_fail(struct db_import *d, const char *what)
{
	int code = sqlite3_errcode(d->db);
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return bc_error_set(d->c->p, BC_ERR_DB, BC_EBUSY,
			"%s: %s is locked by another process (MLflow writing?): try again in a moment",
			what, d->path);
	return bc_error_set(d->c->p, BC_ERR_DB, BC_ERROR, "%s: %s: %s", what, d->path,
		sqlite3_errmsg(d->db));
}

static int
has_column(struct db_import *d, const char *table, const char *col)
{
	sqlite3_stmt *st;
	char sql[128];
	snprintf(sql, sizeof sql, "PRAGMA table_info(\"%s\")", table);
	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int found = 0, any = 0, s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		any = 1;
		const char *name = (const char *)sqlite3_column_text(st, 1);
		if (name && !strcmp(name, col))
			found = 1;
	}
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return -1;
	return any ? found : -2;       /* -2: no such table */
}

/* "col" if the column exists, else "NULL" (older schema versions). */
static const char *
col_or_null(struct db_import *d, const char *table, const char *col)
{
	return has_column(d, table, col) == 1 ? col : "NULL";
}

static int
check_schema(struct db_import *d)
{
	static const char *const need[][2] = {
		{ "experiments", "experiment_id" }, { "experiments", "name" },
		{ "runs", "run_uuid" }, { "runs", "status" }, { "runs", "start_time" },
		{ "runs", "experiment_id" },
		{ "params", "key" }, { "params", "value" }, { "params", "run_uuid" },
		{ "tags", "key" }, { "tags", "value" }, { "tags", "run_uuid" },
		{ "metrics", "key" }, { "metrics", "value" }, { "metrics", "timestamp" },
		{ "metrics", "run_uuid" },
	};
	sqlite3_stmt *st;
	snprintf(d->version, sizeof d->version, "unknown");
	if (sqlite3_prepare_v2(d->db, "SELECT version_num FROM alembic_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(d->version, sizeof d->version, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	} else if (sqlite3_errcode(d->db) == SQLITE_BUSY || sqlite3_errcode(d->db) == SQLITE_LOCKED) {
		return db_fail(d, "cannot read the MLflow database");
	} else if (has_column(d, "runs", "run_uuid") != 1) {
		int code = sqlite3_errcode(d->db);
		if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
			return db_fail(d, "cannot read the MLflow database");
		if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
			return bc_error_set(d->c->p, BC_ERR_INPUT, BC_EINVALID,
				"%s is not an SQLite database (or is damaged): give an mlflow.db or an mlruns/ directory",
				d->path);
		return bc_error_set(d->c->p, BC_ERR_INPUT, BC_EINVALID,
			"%s is not an MLflow database (no alembic_version or runs table): give an mlflow.db or an mlruns/ directory",
			d->path);
	}
	for (size_t i = 0; i < sizeof need / sizeof *need; i++) {
		int h = has_column(d, need[i][0], need[i][1]);
		if (h == -1)
			return db_fail(d, "cannot read the MLflow database schema");
		if (h != 1)
			return bc_error_set(d->c->p, BC_ERR_INPUT, BC_EINVALID,
				"%s: MLflow schema version %s is not supported (table %s has no column %s): "
				"upgrade it with `mlflow db upgrade` or export the runs to an mlruns/ directory",
				d->path, d->version, need[i][0], need[i][1]);
	}
	return 0;
}

static int
cmp_run(const void *a, const void *b)
{
	return strcmp(((const struct imp_run *)a)->src_id, ((const struct imp_run *)b)->src_id);
}

static struct imp_run *
find_run(struct db_import *d, const char *id)
{
	struct imp_run key;
	key.src_id = (char *)(uintptr_t)id;
	if (!d->nruns)
		return NULL;
	return bsearch(&key, d->runs, d->nruns, sizeof *d->runs, cmp_run);
}

static const char *
txt(sqlite3_stmt *st, int c)
{
	return (const char *)sqlite3_column_text(st, c);
}

static int
load_experiments(struct db_import *d)
{
	sqlite3_stmt *st;
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT experiment_id, name, %s FROM experiments",
		col_or_null(d, "experiments", "lifecycle_stage"));
	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(d, "cannot read experiments");
	size_t cap = 0;
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (d->nexps == cap) {
			cap = cap ? cap * 2 : 16;
			d->exp_ids = realloc(d->exp_ids, cap * sizeof(char *));
			d->exp_names = realloc(d->exp_names, cap * sizeof(char *));
			d->exp_deleted = realloc(d->exp_deleted, cap * sizeof(int));
			if (!d->exp_ids || !d->exp_names || !d->exp_deleted)
				break;
		}
		d->exp_ids[d->nexps] = bc_strdup(txt(st, 0) ? txt(st, 0) : "");
		d->exp_names[d->nexps] = bc_strdup(txt(st, 1) ? txt(st, 1) : "");
		d->exp_deleted[d->nexps] = txt(st, 2) && !strcmp(txt(st, 2), "deleted");
		d->nexps++;
	}
	sqlite3_finalize(st);
	return s == SQLITE_DONE ? 0 : db_fail(d, "cannot read experiments");
}

static int
load_runs(struct db_import *d)
{
	sqlite3_stmt *st;
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT run_uuid, %s, status, start_time, %s, %s, experiment_id,"
		" %s, %s, %s FROM runs",
		col_or_null(d, "runs", "name"), col_or_null(d, "runs", "end_time"),
		col_or_null(d, "runs", "lifecycle_stage"), col_or_null(d, "runs", "user_id"),
		col_or_null(d, "runs", "source_name"), col_or_null(d, "runs", "artifact_uri"));
	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(d, "cannot read runs");
	size_t cap = 0;
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (d->nruns == cap) {
			cap = cap ? cap * 2 : 64;
			struct imp_run *n = realloc(d->runs, cap * sizeof *n);
			if (!n)
				break;
			d->runs = n;
		}
		struct imp_run *r = &d->runs[d->nruns++];
		imp_run_init(r);
		r->src_id = bc_strdup(txt(st, 0) ? txt(st, 0) : "");
		uint64_t h = IMP_HASH_SEED;
		for (int i = 0; i < 10; i++) {
			const char *v = txt(st, i);
			h = v ? imp_hash(h, v, strlen(v)) : imp_hash_u64(h, 0x5eed);
		}
		r->quick = h;
		if (txt(st, 1) && *txt(st, 1))
			imp_set(&r->name, txt(st, 1));
		int status = txt(st, 2) ? imp_mlflow_status(txt(st, 2)) : -1;
		r->status = status < 0 ? BC_RUN_FINISHED : status;
		r->started_ms = sqlite3_column_int64(st, 3);
		r->ended_ms = sqlite3_column_int64(st, 4);
		r->deleted = txt(st, 5) && !strcmp(txt(st, 5), "deleted");
		const char *exp = txt(st, 6) ? txt(st, 6) : "";
		for (size_t i = 0; i < d->nexps; i++)
			if (!strcmp(d->exp_ids[i], exp)) {
				imp_set(&r->experiment, d->exp_names[i]);
				r->deleted |= d->exp_deleted[i];
			}
		if (!r->experiment)
			imp_set(&r->experiment, exp);
		/* a renamed or deleted experiment changes its runs */
		r->quick = imp_hash_u64(imp_hash(r->quick, r->experiment ? r->experiment : "", r->experiment ?
			strlen(r->experiment) : 0), (uint64_t)r->deleted);
		if (txt(st, 7) && *txt(st, 7))
			imp_set(&r->user, txt(st, 7));
		if (txt(st, 8) && *txt(st, 8))
			imp_run_argv(r, txt(st, 8));
		if (txt(st, 9) && *txt(st, 9))
			imp_run_io(r, 1, txt(st, 9), NULL);
		char *t = bc_sprintf("experiment=%s", r->experiment);
		if (t)
			imp_run_tag(r, t);
		free(t);
	}
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return db_fail(d, "cannot read runs");
	if (d->nruns)
		qsort(d->runs, d->nruns, sizeof *d->runs, cmp_run);
	return 0;
}

/* params, tags and latest_metrics in one scan each; all feed the quick fingerprint */
static int
load_kv(struct db_import *d, const char *sql, int kind)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(d, "cannot read the MLflow database");
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct imp_run *r = txt(st, 0) ? find_run(d, txt(st, 0)) : NULL;
		if (!r)
			continue;
		const char *k = txt(st, 1) ? txt(st, 1) : "";
		const char *v = txt(st, 2) ? txt(st, 2) : "";
		size_t vlen = (size_t)sqlite3_column_bytes(st, 2);
		r->quick = imp_hash(imp_hash(imp_hash_u64(r->quick, (uint64_t)kind), k, strlen(k)), v, vlen);
		if (kind == 1)
			imp_mlflow_param(d->c, r, k, v, vlen);
		else if (kind == 2)
			imp_mlflow_tag(d->c, r, k, v, vlen);
		else
			r->quick = imp_hash_u64(imp_hash_u64(r->quick, (uint64_t)sqlite3_column_int64(st, 3)),
				(uint64_t)sqlite3_column_int64(st, 4));
	}
	sqlite3_finalize(st);
	return s == SQLITE_DONE ? 0 : db_fail(d, "cannot read the MLflow database");
}

static int
load_metrics(struct db_import *d, struct imp_run *r, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(d, "cannot read metrics");
	sqlite3_bind_text(st, 1, r->src_id, -1, SQLITE_STATIC);
	struct imp_series *cur = NULL;
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = txt(st, 0) ? txt(st, 0) : "";
		if (!cur || strcmp(cur->key, k))
			cur = imp_run_series(r, k);
		if (!cur)
			break;
		double v = sqlite3_column_int(st, 4) ? NAN : sqlite3_column_double(st, 1);
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			v = NAN;
		imp_series_add(cur, sqlite3_column_int64(st, 3), v, sqlite3_column_int64(st, 2));
	}
	sqlite3_finalize(st);
	return s == SQLITE_DONE ? 0 : db_fail(d, "cannot read metrics");
}

/* Open read-only; a database that cannot change (read-only file and dir, no WAL) as immutable. */
static int
open_ro(struct db_import *d)
{
	bc_buf uri = BC_BUF_INIT;
	bc_buf_puts(&uri, "file:");
	for (const char *s = d->path; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '?' || ch == '#' || ch == '%' || ch < 0x21 || ch >= 0x7f)
			bc_buf_printf(&uri, "%%%02X", ch);
		else
			bc_buf_putc(&uri, (char)ch);
	}
	char *dir = bc_strdup(d->path), *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = '\0';
	char *wal = bc_sprintf("%s-wal", d->path);
	int frozen = access(d->path, W_OK) != 0 && dir && access(slash ? dir : ".", W_OK) != 0 &&
		wal && access(wal, F_OK) != 0;
	free(dir);
	free(wal);
	bc_buf_puts(&uri, frozen ? "?mode=ro&immutable=1" : "?mode=ro");
	int rc = sqlite3_open_v2(uri.data, &d->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
		SQLITE_OPEN_NOMUTEX, NULL);
	bc_buf_free(&uri);
	if (rc != SQLITE_OK)
		return db_fail(d, "cannot open the MLflow database");
	sqlite3_busy_timeout(d->db, DB_BUSY_MS);
	sqlite3_extended_result_codes(d->db, 0);
	sqlite3_db_config(d->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(d->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(d->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	return 0;
}

int
imp_mlflow_db(bc_project *p, const char *path, const bc_import_options *opts, bc_import_stats *stats)
{
	struct imp_ctx c;
	struct db_import d = { .c = &c, .path = path };
	char sql[512];
	int rc = imp_begin(&c, p, "mlflow", path, opts, stats);
	if (rc == 0)
		rc = open_ro(&d);
	if (rc == 0)
		rc = check_schema(&d);
	if (rc == 0)
		rc = load_experiments(&d);
	if (rc == 0)
		rc = load_runs(&d);
	if (rc == 0)
		rc = load_kv(&d, "SELECT run_uuid, key, value FROM params ORDER BY run_uuid, key", 1);
	if (rc == 0)
		rc = load_kv(&d, "SELECT run_uuid, key, value FROM tags ORDER BY run_uuid, key", 2);
	if (rc == 0 && has_column(&d, "latest_metrics", "run_uuid") == 1)
		rc = load_kv(&d, "SELECT run_uuid, key, value, timestamp, step FROM latest_metrics"
			" ORDER BY run_uuid, key", 3);
	snprintf(sql, sizeof sql, "SELECT key, value, timestamp, %s, %s FROM metrics WHERE run_uuid=?"
		" ORDER BY key, %s, timestamp", d.db ? col_or_null(&d, "metrics", "step") : "0",
		d.db ? col_or_null(&d, "metrics", "is_nan") : "0",
		d.db && has_column(&d, "metrics", "step") == 1 ? "step" : "timestamp");
	c.total = d.nruns;
	for (size_t i = 0; rc == 0 && i < d.nruns; i++) {
		struct imp_run *r = &d.runs[i];
		if (imp_quick_unchanged(&c, r->src_id, r->quick))
			continue;
		rc = load_metrics(&d, r, sql);
		if (rc == 0)
			rc = imp_commit_run(&c, r);
	}
	for (size_t i = 0; i < d.nruns; i++)
		imp_run_clear(&d.runs[i]);
	free(d.runs);
	for (size_t i = 0; i < d.nexps; i++) {
		free(d.exp_ids[i]);
		free(d.exp_names[i]);
	}
	free(d.exp_ids);
	free(d.exp_names);
	free(d.exp_deleted);
	sqlite3_close(d.db);
	return imp_end(&c, rc);
}

/* ---- MLflow's run fields, shared with the file store reader ---- */

static int
status_of(const char *s)
{
	if (!s)
		return -1;
	if (!strcmp(s, "1") || !strcmp(s, "2") || !strcmp(s, "RUNNING") || !strcmp(s, "SCHEDULED"))
		return BC_RUN_RUNNING;
	if (!strcmp(s, "3") || !strcmp(s, "FINISHED"))
		return BC_RUN_FINISHED;
	if (!strcmp(s, "4") || !strcmp(s, "FAILED"))
		return BC_RUN_FAILED;
	if (!strcmp(s, "5") || !strcmp(s, "KILLED"))
		return BC_RUN_INTERRUPTED;
	return -1;
}

int
imp_mlflow_status(const char *s)
{
	return status_of(s);
}

void
imp_mlflow_tag(struct imp_ctx *c, struct imp_run *r, const char *key, const char *val, size_t vlen)
{
	if (!strcmp(key, "mlflow.runName")) {
		imp_set(&r->name, val);
	} else if (!strcmp(key, "mlflow.user")) {
		imp_set(&r->user, val);
	} else if (!strcmp(key, "mlflow.source.git.commit")) {
		imp_set(&r->git_commit, val);
	} else if (!strcmp(key, "mlflow.source.git.branch")) {
		imp_set(&r->git_branch, val);
	} else if (!strcmp(key, "mlflow.source.name")) {
		for (size_t i = 0; i < r->argc; i++)
			free(r->argv[i]);
		r->argc = 0;
		imp_run_argv(r, val);
	} else if (!strcmp(key, "mlflow.note.content")) {
		imp_set(&r->note, val);
	} else if (!strncmp(key, "mlflow.", 7) && strcmp(key, "mlflow.parentRunId")) {
		/* other system tags (log-model history, source type...) are not kept */
	} else {
		if (vlen > TAG_VALUE_MAX) {
			imp_warn(c, "run %s: tag '%.60s' is %zu bytes: kept the first %d",
				r->src_id, key, vlen, TAG_VALUE_MAX);
			vlen = TAG_VALUE_MAX;
		}
		char *t = vlen ? bc_sprintf("%s=%.*s", key, (int)vlen, val) : bc_strdup(key);
		if (t)
			imp_run_tag(r, t);
		free(t);
	}
}

void
imp_mlflow_param(struct imp_ctx *c, struct imp_run *r, const char *key, const char *val, size_t vlen)
{
	if (vlen > BC_IMPORT_VALUE_MAX) {
		imp_warn(c, "run %s: param '%.60s' is %zu bytes: kept the first %d",
			r->src_id, key, vlen, BC_IMPORT_VALUE_MAX);
		vlen = BC_IMPORT_VALUE_MAX;
	}
	imp_run_param(r, key, val, vlen);
}

/* ---- entry point ---- */

static int
is_sqlite_file(const char *path)
{
	char head[16];
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t n = fread(head, 1, sizeof head, f);
	fclose(f);
	return n == 16 && !memcmp(head, "SQLite format 3", 16);
}

int
bc_import_mlflow(bc_project *p, const char *path, const bc_import_options *opts,
	bc_import_stats *stats)
{
	struct stat st;
	bc_import_stats dummy;
	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof *stats);
	if (!strncmp(path, "sqlite:///", 10))
		path += 10;             /* sqlite:///rel.db or sqlite:////abs.db */
	else if (!strncmp(path, "file://", 7))
		path += 7;
	else if (!strncmp(path, "file:", 5))
		path += 5;
	if (stat(path, &st) < 0)
		return bc_error_set(p, BC_ERR_OS, BC_ENOTFOUND, "cannot open %s: %s: check the path",
			path, strerror(errno));
	char *real = realpath(path, NULL);
	if (!real)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot resolve %s: %s", path, strerror(errno));
	int rc;
	if (S_ISDIR(st.st_mode)) {
		/* a project directory holding mlruns/ or mlflow.db is fine too */
		char *sub = bc_path_join(real, "mlruns"), *db = bc_path_join(real, "mlflow.db");
		struct stat s2;
		if (sub && stat(sub, &s2) == 0 && S_ISDIR(s2.st_mode))
			rc = imp_mlflow_files(p, sub, opts, stats);
		else if (db && stat(db, &s2) == 0 && S_ISREG(s2.st_mode) && is_sqlite_file(db))
			rc = imp_mlflow_db(p, db, opts, stats);
		else
			rc = imp_mlflow_files(p, real, opts, stats);
		free(sub);
		free(db);
	} else if (is_sqlite_file(real)) {
		rc = imp_mlflow_db(p, real, opts, stats);
	} else {
		rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"%s is neither an mlruns/ directory nor an SQLite database: give the MLflow tracking store",
			path);
	}
	free(real);
	return rc;
}
