/* SPDX-License-Identifier: MIT */
/*
 * Lineage: what data a run saw. At the start of a run, every tracked path is
 * recorded with its pointer hash and whether the workspace matched it (table
 * run_data). Declared inputs and outputs go to run_io with their content
 * hash; outputs can be added to the cache at the end of the run.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <git2.h>
#include "data-internal.h"
#include "gitfast.h"

/* Cheap test before walking the work tree for pointer files: data was added
 * here (the stat cache has rows), or the git index holds a pointer file. */
static int
may_track_data(bc_project *p)
{
	sqlite3_stmt *st;
	int any = 1;
	if (bc_prepare(p, &st, "SELECT 1 FROM data_stat LIMIT 1") == 0) {
		any = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	if (any)
		return 1;
	/* the index read in place: no libgit2 to load (see core/gitfast.c) */
	int fast = bc_git_fast_index_has_suffix(p, bc_project_root(p), BC_DATA_POINTER_EXT);
	if (fast >= 0)
		return fast;
	git_repository *repo = NULL;
	git_index *idx = NULL;
	if (git_repository_open_ext(&repo, bc_project_root(p), GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0 ||
	    git_repository_index(&idx, repo) < 0) {
		git_repository_free(repo);
		git_error_clear();
		return 1;   /* not in git: walk to be sure */
	}
	size_t n = git_index_entrycount(idx), el = strlen(BC_DATA_POINTER_EXT);
	for (size_t i = 0; i < n && !any; i++) {
		const git_index_entry *e = git_index_get_byindex(idx, i);
		size_t len = e ? strlen(e->path) : 0;
		any = len > el && !strcmp(e->path + len - el, BC_DATA_POINTER_EXT);
	}
	git_index_free(idx);
	git_repository_free(repo);
	return any;
}

int
bc_data_run_snapshot(bc_project *p, const char *run_id)
{
	data_ptrs all;
	if (!may_track_data(p))
		return 0;
	bc_data_list st = { 0 };
	int rc = data_ws_pointers(p, &all);
	if (rc < 0)
		return rc;
	if (all.n == 0) {
		data_ptrs_clear(&all);
		return 0;
	}
	if ((rc = bc_data_status(p, NULL, 0, &st)) < 0)
		goto done;
	if ((rc = bc_tx_begin(p)) < 0)
		goto done;
	sqlite3_stmt *ins;
	if ((rc = bc_prepare(p, &ins, "INSERT OR REPLACE INTO run_data(run, path, hash, workspace_hash,"
			" matched) VALUES(?1, ?2, ?3, ?4, ?5)")) < 0) {
		bc_tx_rollback(p);
		goto done;
	}
	for (size_t i = 0; i < all.n && rc == 0; i++) {
		const data_ptr *d = &all.v[i];
		int matched = 1;
		const char *ws = NULL;
		for (size_t k = 0; k < st.n; k++) {
			if (strcmp(st.v[k].path, d->path) || st.v[k].state == BC_DATA_NOT_CACHED)
				continue;
			matched = 0;
			if (!st.v[k].inner && st.v[k].hash[0])
				ws = st.v[k].hash;
		}
		sqlite3_bind_text(ins, 1, run_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, d->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, d->hash, -1, SQLITE_STATIC);
		if (ws)
			sqlite3_bind_text(ins, 4, ws, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(ins, 4);
		sqlite3_bind_int(ins, 5, matched);
		if (sqlite3_step(ins) != SQLITE_DONE)
			rc = bc_db_error(p, "cannot record the run's data state");
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	if (rc == 0)
		rc = bc_tx_commit(p);
	else
		bc_tx_rollback(p);
done:
	bc_data_list_clear(&st);
	data_ptrs_clear(&all);
	return rc;
}

/* Content hash of a declared path: files by content, tracked dirs by pointer. */
static int
io_hash(bc_project *p, const char *rel, char hex[BC_DATA_HEX])
{
	char *full = bc_path_join(bc_project_root(p), rel);
	struct stat st;
	int isdir = full && lstat(full, &st) == 0 && S_ISDIR(st.st_mode);
	free(full);
	hex[0] = '\0';
	if (!isdir) {
		data_stat *sc = NULL;
		int hashed, rc = data_stat_load(p, &sc);
		if (rc == 0)
			rc = data_file_hash(p, sc, rel, &st, hex, &hashed);
		if (rc == 0)
			data_stat_save(p, sc);
		data_stat_free(sc);
		if (rc == BC_ENOTFOUND) {
			bc_error_clear(p);
			hex[0] = '\0';
			return 0;  /* declared but absent: recorded without a hash */
		}
		return rc == BC_EINVALID ? 0 : rc;
	}
	data_ptrs all;
	int rc = data_ws_pointers(p, &all);
	if (rc < 0)
		return rc;
	const data_ptr *d = data_ptrs_find(&all, rel);
	if (d) {
		bc_data_list st2 = { 0 };
		const char *paths[1];
		char *abs = bc_path_join(bc_project_root(p), rel);
		paths[0] = abs;
		if (abs && bc_data_status(p, paths, 1, &st2) == 0 && st2.n == 0)
			memcpy(hex, d->hash, BC_DATA_HEX);
		bc_error_clear(p);
		bc_data_list_clear(&st2);
		free(abs);
	}
	data_ptrs_clear(&all);
	return 0;
}

int
bc_data_run_io(bc_project *p, const char *run_id, int is_output, const char *path, int add)
{
	char *rel = NULL;
	char hex[BC_DATA_HEX] = "";
	int rc = data_relpath(p, path, &rel);
	if (rc < 0)
		return rc;
	if (add && is_output) {
		bc_data_list l = { 0 };
		const char *paths[1] = { path };
		rc = bc_data_add(p, paths, 1, NULL, &l);
		if (rc == 0 && l.n)
			memcpy(hex, l.v[0].hash, BC_DATA_HEX);
		bc_data_list_clear(&l);
	} else {
		rc = io_hash(p, rel, hex);
	}
	if (rc == 0) {
		sqlite3_stmt *st;
		if ((rc = bc_prepare(p, &st, "INSERT OR REPLACE INTO run_io(run, is_output, path, hash)"
				" VALUES(?1, ?2, ?3, ?4)")) == 0) {
			sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 2, is_output ? 1 : 0);
			sqlite3_bind_text(st, 3, rel, -1, SQLITE_STATIC);
			if (hex[0])
				sqlite3_bind_text(st, 4, hex, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, 4);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = bc_db_error(p, "cannot record the run's data");
			sqlite3_finalize(st);
		}
	}
	free(rel);
	return rc;
}

int
bc_data_run_list(bc_project *p, const char *run_id, bc_data_list *out)
{
	sqlite3_stmt *st;
	int rc = bc_prepare(p, &st, "SELECT path, hash, workspace_hash, matched FROM run_data"
		" WHERE run = ?1 ORDER BY path");
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(st, 0);
		const char *h = (const char *)sqlite3_column_text(st, 1);
		const char *ws = (const char *)sqlite3_column_text(st, 2);
		int matched = sqlite3_column_int(st, 3);
		if (!path || data_list_push(out, path, NULL, matched ? BC_DATA_CLEAN : BC_DATA_MODIFIED) < 0)
			continue;
		bc_data_item *it = &out->v[out->n - 1];
		snprintf(it->hash, sizeof it->hash, "%s", h ? h : "");
		snprintf(it->old_hash, sizeof it->old_hash, "%s", ws ? ws : "");
		it->in_cache = h && data_is_hex(h) && cache_has(p, h, NULL);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : bc_db_error(p, "cannot read the run's data state");
}
