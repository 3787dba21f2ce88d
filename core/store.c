/* SPDX-License-Identifier: MIT */
/*
 * The SQLite store: connection set-up (WAL, busy timeout, defensive mode),
 * schema migrations guarded by PRAGMA user_version, and write transactions.
 */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

#define BUSY_TIMEOUT_MS 10000

/* Migration N moves the schema from version N to N+1. Append only. */
static const char *const migrations[] = {
	/* 0 -> 1: runs, params, tags, metrics */
	"CREATE TABLE runs("
	" id TEXT PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" status INTEGER NOT NULL,"
	" argv TEXT,"
	" cwd TEXT,"
	" started_ms INTEGER NOT NULL,"
	" ended_ms INTEGER,"
	" exit_code INTEGER,"
	" term_signal INTEGER NOT NULL DEFAULT 0,"
	" host TEXT, user TEXT, pid INTEGER, boot_id TEXT, pid_start INTEGER,"
	" git_commit TEXT, git_branch TEXT, git_dirty INTEGER NOT NULL DEFAULT 0,"
	" git_patch BLOB, git_patch_full_len INTEGER NOT NULL DEFAULT 0,"
	" env TEXT, note TEXT, experiment TEXT,"
	" deleted INTEGER NOT NULL DEFAULT 0,"
	" src_tool TEXT, src_path TEXT, src_id TEXT,"
	" bad_lines INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX runs_started ON runs(started_ms, id);"
	"CREATE INDEX runs_status ON runs(status);"
	"CREATE UNIQUE INDEX runs_source ON runs(src_tool, src_path, src_id) WHERE src_tool IS NOT NULL;"
	"CREATE TABLE params("
	" run TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" key TEXT NOT NULL, type INTEGER NOT NULL, value,"
	" PRIMARY KEY(run, key)) WITHOUT ROWID;"
	"CREATE INDEX params_key ON params(key, value);"
	"CREATE TABLE tags("
	" run TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" tag TEXT NOT NULL, PRIMARY KEY(run, tag)) WITHOUT ROWID;"
	"CREATE INDEX tags_tag ON tags(tag);"
	"CREATE TABLE metric_keys(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);"
	"CREATE TABLE metric_summary("
	" run TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" key_id INTEGER NOT NULL REFERENCES metric_keys(id),"
	" first REAL, last REAL, min REAL, max REAL, count INTEGER NOT NULL,"
	" first_step INTEGER, last_step INTEGER, min_step INTEGER, max_step INTEGER,"
	" last_wall_ms INTEGER,"
	" PRIMARY KEY(run, key_id)) WITHOUT ROWID;"
	"CREATE INDEX metric_summary_key ON metric_summary(key_id, last);"
	"CREATE TABLE metric_chunks("
	" run TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" key_id INTEGER NOT NULL REFERENCES metric_keys(id),"
	" seq INTEGER NOT NULL, n INTEGER NOT NULL,"
	" min_step INTEGER NOT NULL, max_step INTEGER NOT NULL, data BLOB NOT NULL,"
	" PRIMARY KEY(run, key_id, seq)) WITHOUT ROWID;",
	/* 1 -> 2: ingest offsets of metric channels, and data lineage */
	"CREATE TABLE channels("
	" run TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL, offset INTEGER NOT NULL,"
	" PRIMARY KEY(run, name)) WITHOUT ROWID;"
	"CREATE TABLE run_io("
	" run TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" is_output INTEGER NOT NULL, path TEXT NOT NULL, hash TEXT,"
	" PRIMARY KEY(run, is_output, path)) WITHOUT ROWID;"
	"CREATE INDEX run_io_hash ON run_io(hash);",
	/* 2 -> 3: data versions: stat cache (like git's index) and the data
	 * state recorded at the start of each run */
	"CREATE TABLE data_stat("
	" path TEXT PRIMARY KEY, dev INTEGER NOT NULL, ino INTEGER NOT NULL,"
	" size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,"
	" hash TEXT NOT NULL, recorded_ns INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE run_data("
	" run TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	" path TEXT NOT NULL, hash TEXT NOT NULL, workspace_hash TEXT,"
	" matched INTEGER NOT NULL, PRIMARY KEY(run, path)) WITHOUT ROWID;"
	"CREATE INDEX run_data_hash ON run_data(hash);",
	/* 3 -> 4: importers: per imported run, a quick fingerprint of its source
	 * files, a digest of what was read (NULL = incomplete), the tags that came
	 * from the source and the name the source gave it */
	"CREATE TABLE import_state("
	" run TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
	" quick INTEGER, digest TEXT, src_tags TEXT, src_name TEXT) WITHOUT ROWID;",
	/* 4 -> 5: model bundles written by `bundle create` (one row per archive file) */
	"CREATE TABLE bundles("
	" path TEXT PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL,"
	" run TEXT REFERENCES runs(id) ON DELETE SET NULL, format TEXT NOT NULL,"
	" size INTEGER NOT NULL, sha256 TEXT NOT NULL, files INTEGER NOT NULL,"
	" payload_size INTEGER NOT NULL, created_ms INTEGER, bundled_ms INTEGER NOT NULL);"
	"CREATE INDEX bundles_name ON bundles(name, version, bundled_ms);"
	"CREATE INDEX bundles_run ON bundles(run);",
	/* 5 -> 6: the live (not deleted) runs in listing order, so that the runs
	 * view counts and lists 100,000 runs from a covering index */
	"CREATE INDEX runs_live ON runs(started_ms, id) WHERE deleted = 0;"
	"CREATE INDEX runs_deleted ON runs(deleted) WHERE deleted <> 0;",
	/* 6 -> 7: a summary of each metric chunk (its first, min, max and last
	 * points as a 96-byte BLOB) and a covering index over the step ranges and
	 * summaries, so a plot reads a long series' outline without its points;
	 * and each series' lowest and highest step. Older chunks and series keep
	 * NULL there and are decoded (or scanned) when read. */
	"ALTER TABLE metric_summary ADD COLUMN step_lo INTEGER;"
	"ALTER TABLE metric_summary ADD COLUMN step_hi INTEGER;"
	"ALTER TABLE metric_chunks ADD COLUMN summary BLOB;"
	"CREATE INDEX metric_chunks_summary ON metric_chunks(run, key_id, seq, min_step, max_step, summary);",
	/* 7 -> 8: the recorder's heartbeat (ms, every few seconds while a run is
	 * running), so that a run whose recorder died on another host (or the
	 * network went away) is found stale and shown as crashed; `lost` marks a
	 * run crashed only for want of a heartbeat, crash_reason says why */
	"ALTER TABLE runs ADD COLUMN heartbeat_ms INTEGER;"
	"ALTER TABLE runs ADD COLUMN lost INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN crash_reason TEXT;",
	/* 8 -> 9: the first, min and max summaries indexed by metric like the
	 * last one (metric_summary_key), so that the runs view reads a window of
	 * runs sorted by any of them from an index walk, from either end */
	"CREATE INDEX metric_summary_first ON metric_summary(key_id, first);"
	"CREATE INDEX metric_summary_min ON metric_summary(key_id, min);"
	"CREATE INDEX metric_summary_max ON metric_summary(key_id, max);",
};

int
bc_prepare(bc_project *p, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(p->db, sql, -1, st, NULL) != SQLITE_OK)
		return bc_db_error(p, "cannot prepare query");
	return 0;
}

int
bc_exec(bc_project *p, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(p->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		int rc = bc_db_error(p, "store");
		sqlite3_free(err);
		return rc;
	}
	return 0;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int
bc_tx_begin(bc_project *p)
{
	if (p->readonly)
		return bc_error_set(p, BC_ERR_DB, BC_EREADONLY,
			"the project store is open read-only");
	if (p->txdepth++ > 0)
		return 0;
	/* The busy handler already waits BUSY_TIMEOUT_MS; retry a few times on top
	 * so that a burst of writers never surfaces "database is locked". */
	for (int attempt = 0;; attempt++) {
		int rc = sqlite3_exec(p->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		if ((rc & 0xff) != SQLITE_BUSY || attempt >= 5) {
			p->txdepth = 0;
			return bc_db_error(p, "cannot start a write transaction");
		}
		sleep_ms(10 + attempt * 20);
	}
}

int
bc_tx_commit(bc_project *p)
{
	if (p->txdepth > 1) {
		p->txdepth--;
		return 0;
	}
	p->txdepth = 0;
	if (sqlite3_get_autocommit(p->db))
		return bc_error_set(p, BC_ERR_DB, BC_ERROR, "transaction was rolled back");
	for (int attempt = 0;; attempt++) {
		int rc = sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		if ((rc & 0xff) != SQLITE_BUSY || attempt >= 5) {
			int r = bc_db_error(p, "cannot commit");
			sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
			return r;
		}
		sleep_ms(10 + attempt * 20);
	}
}

void
bc_tx_rollback(bc_project *p)
{
	p->txdepth = 0;
	if (!sqlite3_get_autocommit(p->db))
		sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
user_version(bc_project *p, int *out)
{
	sqlite3_stmt *st;
	if (bc_prepare(p, &st, "PRAGMA user_version") < 0)
		return -1;
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : bc_db_error(p, "cannot read schema version");
}

int
bc_store_migrate(bc_project *p, int target)
{
	int v;
	if (user_version(p, &v) < 0)
		return -1;
	if (v == target)
		return 0;
	if (v > BC_SCHEMA_VERSION)
		return bc_error_set(p, BC_ERR_DB, BC_EINVALID,
			"the project store has schema version %d, newer than this bancada (%d): upgrade bancada",
			v, BC_SCHEMA_VERSION);
	if (p->readonly)
		return bc_error_set(p, BC_ERR_DB, BC_EREADONLY,
			"the project store needs a schema upgrade (%d -> %d) but is read-only: run any bancada command with write access once",
			v, target);
	/* Exclusive: every process starting at once waits here, then re-reads. */
	int rc = SQLITE_BUSY;
	for (int attempt = 0; attempt < 10 && (rc & 0xff) == SQLITE_BUSY; attempt++) {
		rc = sqlite3_exec(p->db, "BEGIN EXCLUSIVE", NULL, NULL, NULL);
		if ((rc & 0xff) == SQLITE_BUSY)
			sleep_ms(20 + attempt * 30);
	}
	if (rc != SQLITE_OK)
		return bc_db_error(p, "cannot lock the store for a schema upgrade");
	if (user_version(p, &v) < 0)
		goto fail;
	for (; v < target; v++) {
		if (bc_exec(p, migrations[v]) < 0)
			goto fail;
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA user_version=%d", v + 1);
		if (bc_exec(p, sql) < 0)
			goto fail;
	}
	if (sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail_db;
	return 0;
fail_db:
	bc_db_error(p, "schema upgrade failed");
fail:
	sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

#define WAL_CHECKPOINT_FRAMES 1000   /* SQLite's own autocheckpoint default */
#define WAL_CLOSE_FRAMES 96          /* about 2 ms of WAL recovery for the next opener */

/* After each commit (it replaces sqlite3_wal_autocheckpoint, which is a hook
 * too): checkpoint a long WAL, and remember its length for bc_store_close. */
static int
wal_committed(void *arg, sqlite3 *db, const char *name, int frames)
{
	bc_project *p = arg;
	p->wal_frames = frames;     /* checkpointed or not, the frames stay until truncated */
	if (frames >= WAL_CHECKPOINT_FRAMES)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

void
bc_store_close(bc_project *p)
{
	if (!p->db)
		return;
	if (p->wal_frames > WAL_CLOSE_FRAMES) {
		/* truncated, or the next opener would still read every frame;
		 * never waiting for a reader: it will checkpoint later */
		sqlite3_busy_timeout(p->db, 0);
		sqlite3_wal_checkpoint_v2(p->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	sqlite3_close_v2(p->db);
	p->db = NULL;
}

int
bc_store_open(bc_project *p, const char *path, int readonly)
{
	int flags = SQLITE_OPEN_NOMUTEX | (readonly ? SQLITE_OPEN_READONLY
		: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	p->readonly = readonly;
	if (sqlite3_open_v2(path, &p->db, flags, NULL) != SQLITE_OK) {
		int rc = bc_error_set(p, BC_ERR_DB, BC_ERROR, "cannot open the project store %s: %s",
			path, p->db ? sqlite3_errmsg(p->db) : "out of memory");
		sqlite3_close(p->db);
		p->db = NULL;
		return rc;
	}
	sqlite3_busy_timeout(p->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(p->db, 1);
	sqlite3_db_config(p->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(p->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(p->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_limit(p->db, SQLITE_LIMIT_LENGTH, 256 * 1024 * 1024);
	if (bc_exec(p, "PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF;"
			"PRAGMA cell_size_check=ON; PRAGMA mmap_size=0; PRAGMA temp_store=MEMORY;") < 0)
		return -1;
	if (!readonly) {
		/* bigger pages for a new store: metric chunks are ~100 KB blobs, and
		 * fewer overflow pages make series reads several times faster */
		bc_exec(p, "PRAGMA page_size=16384");
		/* journal_mode=WAL needs a lock briefly; retry while others set it up. */
		int rc = SQLITE_BUSY;
		for (int attempt = 0; attempt < 50 && rc != SQLITE_OK; attempt++) {
			rc = sqlite3_exec(p->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
			if (rc != SQLITE_OK) {
				if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
					break;
				sleep_ms(10 + attempt * 5);
			}
		}
		if (rc != SQLITE_OK)
			return bc_db_error(p, "cannot open the project store");
		/* No checkpoint when a short command (`run`, `tag`, `param`) closes
		 * the store: it would pay two fsyncs on exit, and two more (WAL
		 * header, directory) on the next first write for re-creating the
		 * WAL. The WAL is checkpointed instead every 1000 frames, and at
		 * close once it is long enough that the next opener's recovery
		 * (reading every frame to rebuild the WAL index) would cost more. */
		sqlite3_db_config(p->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
		sqlite3_wal_hook(p->db, wal_committed, p);
		if (bc_exec(p, "PRAGMA synchronous=NORMAL;"
				"PRAGMA journal_size_limit=67108864;") < 0)
			return -1;
		if (bc_store_migrate(p, BC_SCHEMA_VERSION) < 0)
			return -1;
	} else {
		int v;
		if (user_version(p, &v) < 0)
			return -1;
		if (v != BC_SCHEMA_VERSION)
			return bc_store_migrate(p, BC_SCHEMA_VERSION);
	}
	return 0;
}

int64_t
bc_project_data_version(bc_project *p)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(p->db, "PRAGMA data_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

sqlite3 *
bc_project_db(bc_project *p)
{
	return p->db;
}

void
bc_project_checkpoint(bc_project *p)
{
	if (p && p->db && !p->readonly)
		sqlite3_wal_checkpoint_v2(p->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}
