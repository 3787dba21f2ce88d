/* SPDX-License-Identifier: MIT */
/*
 * Crash recovery: a run left `running` whose recorder process is gone (or the
 * machine rebooted) becomes `crashed`, and its metric channels are ingested
 * from the stored offsets, so nothing that reached them is lost.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static int
recorder_alive(int64_t pid, const char *boot, int64_t pid_start)
{
	if (pid <= 0)
		return 1;   /* not recorded by a process of ours: leave it */
	if (boot && strcmp(boot, bc_boot_id()) != 0)
		return 0;   /* rebooted since */
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return 0;
	long long st = bc_proc_start_time((long)pid);
	if (pid_start > 0 && st >= 0 && st != pid_start)
		return 0;   /* pid reused by another process */
	return 1;
}

/* Ingest every channel file of a run (metrics.jsonl, scalars.jsonl, params.jsonl). */
int
bc_run_ingest_files(bc_project *p, const char *id)
{
	static const char *const chans[] = { "metrics.jsonl", "scalars.jsonl", NULL };
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", bc_project_run_dir(p, id));
	for (int i = 0; chans[i]; i++) {
		char *path = bc_path_join(dir, chans[i]);
		int64_t r = path ? bc_ingest_channel(p, id, chans[i], path) : -1;
		free(path);
		if (r < 0)
			return -1;
	}
	return 0;
}

int
bc_project_recover(bc_project *p)
{
	sqlite3_stmt *st;
	int n = 0;
	/* imported runs (src_tool set) are never touched */
	if (bc_prepare(p, &st, "SELECT id, pid, boot_id, pid_start FROM runs WHERE status=0 AND host=? "
			"AND src_tool IS NULL") < 0)
		return -1;
	sqlite3_bind_text(st, 1, bc_hostname(), -1, SQLITE_STATIC);
	char (*dead)[33] = NULL;
	size_t ndead = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *boot = (const char *)sqlite3_column_text(st, 2);
		if (recorder_alive(sqlite3_column_int64(st, 1), boot, sqlite3_column_int64(st, 3)))
			continue;
		dead = realloc(dead, (ndead + 1) * sizeof *dead);
		snprintf(dead[ndead++], 33, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < ndead; i++) {
		if (bc_run_ingest_files(p, dead[i]) < 0)
			break;
		/* only mark it if it is still running (another process may have done it) */
		if (bc_tx_begin(p) < 0)
			break;
		if (bc_prepare(p, &st, "UPDATE runs SET status=4, ended_ms=coalesce(ended_ms, ?) "
				"WHERE id=? AND status=0") < 0) {
			bc_tx_rollback(p);
			break;
		}
		sqlite3_bind_int64(st, 1, bc_now_ms());
		sqlite3_bind_text(st, 2, dead[i], -1, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_finalize(st);
		if (bc_tx_commit(p) < 0)
			break;
		n++;
	}
	free(dead);
	return n;
}

int
bc_project_fsck(bc_project *p, char **report, int *ingested_runs)
{
	bc_buf b = BC_BUF_INIT;
	int problems = 0;
	sqlite3_stmt *st;
	*report = NULL;
	*ingested_runs = 0;
	if (bc_prepare(p, &st, "PRAGMA quick_check") < 0)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(st, 0);
		if (m && strcmp(m, "ok")) {
			bc_buf_printf(&b, "store: %s\n", m);
			problems++;
		}
	}
	sqlite3_finalize(st);
	if (bc_prepare(p, &st, "PRAGMA foreign_key_check") < 0)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		bc_buf_printf(&b, "store: dangling row in %s\n", (const char *)sqlite3_column_text(st, 0));
		problems++;
	}
	sqlite3_finalize(st);
	int rec = bc_project_recover(p);
	if (rec > 0)
		bc_buf_printf(&b, "recovered %d crashed run%s\n", rec, rec == 1 ? "" : "s");
	if (bc_prepare(p, &st, "SELECT id FROM runs WHERE src_tool IS NULL") < 0)
		return -1;
	char (*ids)[33] = NULL;
	size_t n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = realloc(ids, (n + 1) * sizeof *ids);
		snprintf(ids[n++], 33, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		if (bc_run_ingest_files(p, ids[i]) < 0) {
			bc_buf_printf(&b, "run %s: %s\n", ids[i], p->errmsg);
			problems++;
		} else {
			(*ingested_runs)++;
		}
	}
	free(ids);
	*report = bc_buf_detach(&b);
	return problems;
}

int
bc_project_gc(bc_project *p, int dry_run, int *purged, int *orphans)
{
	sqlite3_stmt *st;
	*purged = *orphans = 0;
	if (bc_prepare(p, &st, "SELECT id FROM runs WHERE deleted=1") < 0)
		return -1;
	char (*ids)[33] = NULL;
	size_t n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = realloc(ids, (n + 1) * sizeof *ids);
		snprintf(ids[n++], 33, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		if (!dry_run && bc_run_delete(p, ids[i], 1) < 0) {
			free(ids);
			return -1;
		}
		(*purged)++;
	}
	free(ids);
	/* run directories with no run */
	char *runs = bc_path_join(p->dir, "runs");
	DIR *d = runs ? opendir(runs) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strlen(de->d_name) != 32)
			continue;
		if (bc_prepare(p, &st, "SELECT 1 FROM runs WHERE id=?") < 0)
			break;
		sqlite3_bind_text(st, 1, de->d_name, -1, SQLITE_STATIC);
		int exists = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (exists)
			continue;
		(*orphans)++;
		if (!dry_run) {
			char *sub = bc_path_join(runs, de->d_name);
			bc_rm_rf(sub);
			free(sub);
		}
	}
	if (d)
		closedir(d);
	free(runs);
	if (!dry_run) {
		sqlite3_exec(p->db, "PRAGMA optimize", NULL, NULL, NULL);
		sqlite3_wal_checkpoint_v2(p->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	return 0;
}
