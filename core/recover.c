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

/* How long a running run may go without a heartbeat before it counts as lost. */
int64_t
bc_run_stale_ms(void)
{
	const char *env = getenv("BANCADA_RUN_STALE_SECS");
	double secs = env && *env ? strtod(env, NULL) : 0;
	return secs > 0 ? (int64_t)(secs * 1000) : BC_RUN_STALE_DEFAULT_MS;
}

/*
 * Why the recorder of a `running` run is surely gone, or NULL while it may
 * be alive. On this host and boot the process itself is checked; a run from
 * another boot of this host is crashed; from any other host, the run is lost
 * once its heartbeat (or its start, when it never beat) is older than `stale`.
 */
static const char *
recorder_gone(const char *host, int64_t pid, const char *boot, int64_t pid_start,
	int64_t beat_ms, int64_t now, int64_t stale, char *why, size_t size)
{
	if (host && !strcmp(host, bc_hostname())) {
		if (boot && strcmp(boot, bc_boot_id()) != 0)
			return "the machine rebooted since";
		if (pid > 0) {
			if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
				return "its recorder process is gone";
			long long st = bc_proc_start_time((long)pid);
			if (pid_start > 0 && st >= 0 && st != pid_start)
				return "its recorder process is gone (pid reused)";
			return NULL;
		}
	}
	if (beat_ms > 0 && now - beat_ms > stale) {
		snprintf(why, size, "no heartbeat from %s for %llds", host ? host : "its host",
			(long long)((now - beat_ms) / 1000));
		return why;
	}
	return NULL;
}

int
bc_run_heartbeat(bc_project *p, const char *id)
{
	sqlite3_stmt *st;
	if (bc_tx_begin(p) < 0)
		return -1;
	/* a run marked crashed only for want of a heartbeat (a suspended laptop,
	 * a lost network) comes back to running when its recorder beats again */
	if (bc_prepare(p, &st, "UPDATE runs SET heartbeat_ms=?1,"
			" status=CASE WHEN status=4 AND lost THEN 0 ELSE status END, lost=0,"
			" ended_ms=CASE WHEN status=4 AND lost THEN NULL ELSE ended_ms END,"
			" crash_reason=CASE WHEN status=4 AND lost THEN NULL ELSE crash_reason END"
			" WHERE id=?2 AND (status=0 OR (status=4 AND lost))") < 0) {
		bc_tx_rollback(p);
		return -1;
	}
	sqlite3_bind_int64(st, 1, bc_now_ms());
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		bc_tx_rollback(p);
		return bc_db_error(p, "cannot record the run's heartbeat");
	}
	return bc_tx_commit(p);
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
	int64_t now = bc_now_ms(), stale = bc_run_stale_ms();
	/* imported runs (src_tool set) are never touched */
	if (bc_prepare(p, &st, "SELECT id, host, pid, boot_id, pid_start, coalesce(heartbeat_ms, started_ms)"
			" FROM runs WHERE status=0 AND src_tool IS NULL") < 0)
		return -1;
	struct dead { char id[33]; int lost; char why[128]; } *dead = NULL;
	size_t ndead = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		char why[128];
		const char *w = recorder_gone((const char *)sqlite3_column_text(st, 1),
			sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3),
			sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5), now, stale, why, sizeof why);
		if (!w)
			continue;
		struct dead *d = realloc(dead, (ndead + 1) * sizeof *dead);
		if (!d)
			break;
		dead = d;
		d = &dead[ndead++];
		snprintf(d->id, sizeof d->id, "%s", (const char *)sqlite3_column_text(st, 0));
		d->lost = w == why;
		snprintf(d->why, sizeof d->why, "%s", w);
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < ndead; i++) {
		if (bc_run_ingest_files(p, dead[i].id) < 0)
			break;
		/* only mark it if it is still running (another process may have done it) */
		if (bc_tx_begin(p) < 0)
			break;
		if (bc_prepare(p, &st, "UPDATE runs SET status=4, lost=?, crash_reason=?,"
				" ended_ms=coalesce(ended_ms, heartbeat_ms, ?) WHERE id=? AND status=0") < 0) {
			bc_tx_rollback(p);
			break;
		}
		sqlite3_bind_int(st, 1, dead[i].lost);
		sqlite3_bind_text(st, 2, dead[i].why, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		sqlite3_bind_text(st, 4, dead[i].id, -1, SQLITE_STATIC);
		int changed = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(p->db) > 0;
		sqlite3_finalize(st);
		if (bc_tx_commit(p) < 0)
			break;
		n += changed;
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
	if (bc_project_recover(p) < 0)
		return -1;
	/* runs found crashed (here or by any earlier open), and why: information,
	 * not a problem of the store */
	if (bc_prepare(p, &st, "SELECT id, name, crash_reason FROM runs WHERE status=4 AND deleted=0"
			" AND crash_reason IS NOT NULL ORDER BY started_ms") < 0)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW)
		bc_buf_printf(&b, "run %.12s (%s) crashed: %s\n", (const char *)sqlite3_column_text(st, 0),
			(const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
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
