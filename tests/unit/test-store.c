/* SPDX-License-Identifier: MIT */
/* The store: schema version, forward migration with data kept, settings. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "internal.h"
#include "tap.h"

static int
user_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

static int
count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

TEST(fresh_project_settings)
{
	bc_project *p = NULL;
	int init_rc = bc_project_init(&p, tap_tmpdir());
	ok(init_rc == 0, "init: %s", bc_errmsg(p));
	sqlite3 *db = bc_project_db(p);
	is_int(user_version(db), BC_SCHEMA_VERSION, "schema at the current version");
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
	sqlite3_step(st);
	is_str((const char *)sqlite3_column_text(st, 0), "wal", "WAL mode");
	sqlite3_finalize(st);
	is_int(count(db, "PRAGMA foreign_keys"), 1, "foreign keys enforced");
	is_int(count(db, "PRAGMA trusted_schema"), 0, "trusted_schema off");
	int def = -1;
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, -1, &def);
	is_int(def, 1, "defensive mode on");
	/* a foreign-key violation is refused */
	ok(sqlite3_exec(db, "INSERT INTO params(run,key,type,value) VALUES('nope','k',1,1)", NULL, NULL, NULL) != SQLITE_OK,
		"params row without a run is refused");
	bc_project_free(p);
	struct stat sb;
	ok(stat(".gitignore", &sb) == 0, ".gitignore written");
	char *gi = NULL;
	bc_read_file(".gitignore", &gi, NULL);
	ok(gi && strstr(gi, "/.bancada/bancada.db"), ".gitignore lists the store");
	free(gi);
}

TEST(migration_keeps_data)
{
	/* build a version-1 store by hand, as an older bancada left it */
	bc_project old = { 0 };
	mkdir(".bancada", 0755);
	mkdir(".bancada/runs", 0755);
	ok(sqlite3_open(".bancada/bancada.db", &old.db) == SQLITE_OK, "open raw db");
	ok(bc_store_migrate(&old, 1) == 0, "migrate to version 1: %s", old.errmsg);
	is_int(user_version(old.db), 1, "at version 1");
	ok(sqlite3_exec(old.db, "INSERT INTO runs(id,name,status,started_ms) VALUES"
		"('0123456789abcdef0123456789abcdef','old-run',1,1000)", NULL, NULL, NULL) == SQLITE_OK, "v1 run inserted");
	is_int(count(old.db, "SELECT count(*) FROM sqlite_master WHERE name='channels'"), 0, "no channels table at v1");
	sqlite3_close(old.db);

	bc_project *p = NULL;
	int open_rc = bc_project_open(&p, tap_tmpdir(), NULL);
	ok(open_rc == 0, "newer bancada opens it: %s", bc_errmsg(p));
	is_int(user_version(bc_project_db(p)), BC_SCHEMA_VERSION, "migrated forward");
	is_int(count(bc_project_db(p), "SELECT count(*) FROM sqlite_master WHERE name='channels'"), 1, "v2 table added");
	bc_run *r;
	ok(bc_run_load(&r, p, "old-run") == 0, "the old run is still there");
	bc_run_free(r);
	bc_project_free(p);
}

TEST(newer_schema_refused)
{
	bc_project *p = NULL;
	int init_rc = bc_project_init(&p, tap_tmpdir());
	ok(init_rc == 0, "init");
	sqlite3_exec(bc_project_db(p), "PRAGMA user_version=999", NULL, NULL, NULL);
	bc_project_free(p);
	int rc = bc_project_open(&p, tap_tmpdir(), NULL);
	ok(rc < 0, "a store from a newer bancada is refused");
	ok(strstr(bc_errmsg(p), "upgrade bancada") != NULL, "message says what to do: %s", bc_errmsg(p));
	bc_project_free(p);
}

TEST(ids_increase_within_a_millisecond)
{
	/* thousands of ids in a few milliseconds: each greater than the last */
	char prev[33] = "", id[33];
	int increasing = 1, same_ms = 0;
	for (int i = 0; i < 5000; i++) {
		bc_runid_new(id);
		if (prev[0] && strcmp(id, prev) <= 0)
			increasing = 0;
		if (prev[0] && !strncmp(id, prev, 12))
			same_ms++;
		memcpy(prev, id, sizeof id);
	}
	ok(same_ms > 0, "several ids were made in one millisecond (%d)", same_ms);
	ok(increasing, "every id is greater than the one before");
}

TEST(references)
{
	bc_project *p = NULL;
	int init_rc = bc_project_init(&p, tap_tmpdir());
	ok(init_rc == 0, "init");
	char a[33], b[33], id[33];
	bc_run_new nr = BC_RUN_NEW_INIT;
	nr.capture_git = 0;
	nr.name = "alpha";
	ok(bc_run_create(p, &nr, a) == 0, "run alpha");
	nr.name = "beta";
	ok(bc_run_create(p, &nr, b) == 0, "run beta");
	ok(strcmp(b, a) > 0, "beta's id sorts after alpha's (%s > %s)", b, a);
	ok(bc_run_resolve(p, "@", 0, id) == 0 && !strcmp(id, b), "@ is the latest");
	ok(bc_run_resolve(p, "@~1", 0, id) == 0 && !strcmp(id, a), "@~1 is the one before");
	is_int(bc_run_resolve(p, "@~2", 0, id), BC_ENOTFOUND, "@~2 does not exist");
	ok(bc_run_resolve(p, "alpha", 0, id) == 0 && !strcmp(id, a), "by name");
	char pre[9];
	snprintf(pre, sizeof pre, "%.8s", b);
	/* both ids start with the same millisecond prefix, so a short prefix is ambiguous */
	snprintf(pre, sizeof pre, "%.4s", a);
	int rc = bc_run_resolve(p, pre, 0, id);
	ok(rc == BC_EAMBIGUOUS || rc == 0, "short prefix resolves or is ambiguous");
	if (rc == BC_EAMBIGUOUS)
		ok(strstr(bc_errmsg(p), "alpha") && strstr(bc_errmsg(p), "beta"), "ambiguity lists candidates: %s", bc_errmsg(p));
	ok(bc_run_resolve(p, a, 0, id) == 0 && !strcmp(id, a), "full id");
	is_int(bc_run_resolve(p, "alp", 0, id), BC_ENOTFOUND, "name prefix is not a reference");
	ok(strstr(bc_errmsg(p), "did you mean: alpha") != NULL, "but it is suggested: %s", bc_errmsg(p));
	nr.name = "alpha";
	is_int(bc_run_create(p, &nr, id), BC_EEXISTS, "duplicate name refused");
	char s[33];
	bc_run_short_id(p, a, s);
	ok(strlen(s) >= 7 && !strncmp(s, a, strlen(s)), "short id is a prefix of at least 7 (%s)", s);
	ok(bc_run_resolve(p, s, 0, id) == 0 && !strcmp(id, a), "short id resolves");
	bc_project_free(p);
}

TAP_MAIN
