/* SPDX-License-Identifier: MIT */
/*
 * Sorted windows of the run list (bc_run_query_ids with a limit, from the
 * top and from_end) against the whole list: sorting by each metric summary
 * and by a param, both directions, with runs that lack the value (NULLs
 * last both ways), ties, deleted runs and a filter. The whole list of a sort
 * by one key (an index walk) is checked against SQL written by hand.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "tap.h"

#define NRUNS 300

/* NRUNS runs: loss missing on every 7th run, NaN (stored as NULL) on every
 * 11th, ties (values modulo 17); lr missing on every 5th; every 13th deleted. */
static bc_project *
make_project(void)
{
	bc_project *p = NULL;
	if (bc_project_init(&p, tap_tmpdir()) != 0)
		return NULL;
	sqlite3 *db = bc_project_db(p);
	sqlite3_exec(db, "BEGIN; INSERT INTO metric_keys(id, key) VALUES(1, 'loss'), (2, 'acc')", 0, 0, 0);
	for (int i = 0; i < NRUNS; i++) {
		char sql[512];
		char id[33];
		snprintf(id, sizeof id, "%012llx%020x", 0x190000000LL + i * 7 % NRUNS, i);
		snprintf(sql, sizeof sql, "INSERT INTO runs(id,name,status,started_ms,deleted) "
			"VALUES('%s','r%03d',1,%d,%d)", id, i, 1000 + i * 37 % NRUNS, i % 13 == 12);
		sqlite3_exec(db, sql, 0, 0, 0);
		if (i % 5) {
			snprintf(sql, sizeof sql, "INSERT INTO params(run,key,type,value) VALUES('%s','lr',2,%g)",
				id, (i % 23) * 0.001);
			sqlite3_exec(db, sql, 0, 0, 0);
		}
		if (i % 7) {
			double v = (i % 17) * 0.5;
			sqlite3_stmt *st;
			sqlite3_prepare_v2(db, "INSERT INTO metric_summary(run,key_id,first,last,min,max,count) "
				"VALUES(?,1,?,?,?,?,3)", -1, &st, NULL);
			sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
			if (i % 11 == 0) {
				for (int c = 2; c <= 5; c++)
					sqlite3_bind_double(st, c, NAN);
			} else {
				sqlite3_bind_double(st, 2, v + 1);
				sqlite3_bind_double(st, 3, v);
				sqlite3_bind_double(st, 4, v - (i % 3));
				sqlite3_bind_double(st, 5, v + (i % 4));
			}
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
	}
	sqlite3_exec(db, "COMMIT", 0, 0, 0);
	return p;
}

static int
query(bc_project *p, const char *sort, const char *filter, int64_t limit, int from_end,
	int deleted, bc_run_list *out)
{
	bc_run_query q = BC_RUN_QUERY_INIT;
	q.sort = sort;
	q.filter = filter;
	q.limit = limit;
	q.from_end = from_end;
	q.include_deleted = deleted;
	return bc_run_query_ids(p, &q, out);
}

/* Every window of a sort agrees with the whole list (generic or key walk). */
static void
check_sort(bc_project *p, const char *sort, const char *filter, int deleted)
{
	bc_run_list all = { 0 };
	int rc = query(p, sort, filter, 0, 0, deleted, &all);
	static const int64_t limits[] = { 1, 10, 96, 250, 1000 };
	int bad = 0;
	char where[160] = "";
	for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++)
		for (int end = 0; end < 2; end++) {
			bc_run_list w = { 0 };
			if (query(p, sort, filter, limits[k], end, deleted, &w) != 0) {
				bad++;
				continue;
			}
			size_t want = all.count < (size_t)limits[k] ? all.count : (size_t)limits[k];
			size_t base = end ? all.count - want : 0;
			if (w.count != want) {
				bad++;
				snprintf(where, sizeof where, "limit %lld%s: %zu rows, want %zu",
					(long long)limits[k], end ? " from the end" : "", w.count, want);
			}
			for (size_t i = 0; i < w.count && i < want; i++)
				if (strcmp(w.ids[i], all.ids[base + i])) {
					bad++;
					snprintf(where, sizeof where, "limit %lld%s: row %zu differs",
						(long long)limits[k], end ? " from the end" : "", base + i);
					break;
				}
			bc_run_list_clear(&w);
		}
	ok(rc == 0 && bad == 0, "sort %s%s%s%s: windows from both ends match the list %s", sort,
		filter ? " filter " : "", filter ? filter : "", deleted ? " (deleted too)" : "", where);
	bc_run_list_clear(&all);
}

/* The whole list of a one-key sort against a hand-written ORDER BY. */
static void
check_sql(bc_project *p, const char *sort, const char *sql)
{
	bc_run_list all = { 0 };
	query(p, sort, NULL, 0, 0, 0, &all);
	sqlite3_stmt *st;
	size_t i = 0, bad = 0;
	sqlite3_prepare_v2(bc_project_db(p), sql, -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (i >= all.count || strcmp(all.ids[i], (const char *)sqlite3_column_text(st, 0)))
			bad++;
		i++;
	}
	sqlite3_finalize(st);
	ok(bad == 0 && i == all.count, "sort %s: the whole list is the SQL ORDER BY (%zu runs)", sort, i);
	bc_run_list_clear(&all);
}

TEST(windows_match_the_list)
{
	bc_project *p = make_project();
	ok(p != NULL, "project with %d runs", NRUNS);
	if (!p)
		return;
	static const char *const sorts[] = {
		"-metrics.loss", "metrics.loss", "-metrics.loss.min", "metrics.loss.min",
		"-metrics.loss.max", "metrics.loss.max", "-metrics.loss.first", "metrics.loss.first",
		"-metrics.loss.count", "-metrics.acc", "metrics.nope", "-params.lr", "params.lr",
		"-started", "started", "name", "-duration",
	};
	for (size_t i = 0; i < sizeof sorts / sizeof sorts[0]; i++)
		check_sort(p, sorts[i], NULL, 0);
	check_sort(p, "-metrics.loss.max", NULL, 1);
	check_sort(p, "metrics.loss", NULL, 1);
	check_sort(p, "-metrics.loss.min", "params.lr > 0.01", 0);
	check_sort(p, "params.lr", "metrics.loss < 4", 0);
	check_sql(p, "-metrics.loss.min", "SELECT r.id FROM runs r LEFT JOIN metric_summary s ON "
		"s.run=r.id AND s.key_id=1 WHERE r.deleted=0 ORDER BY s.min IS NULL, s.min DESC, r.id DESC");
	check_sql(p, "metrics.loss.first", "SELECT r.id FROM runs r LEFT JOIN metric_summary s ON "
		"s.run=r.id AND s.key_id=1 WHERE r.deleted=0 ORDER BY s.first IS NULL, s.first ASC, r.id DESC");
	check_sql(p, "-params.lr", "SELECT r.id FROM runs r LEFT JOIN params s ON "
		"s.run=r.id AND s.key='lr' WHERE r.deleted=0 ORDER BY s.value IS NULL, s.value DESC, r.id DESC");
	/* NULLs last from either end: the last row of a descending sort by loss
	 * lacks it, the first row has the largest */
	bc_run_list w = { 0 };
	query(p, "-metrics.loss", NULL, 1, 1, 0, &w);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(bc_project_db(p), "SELECT count(*) FROM metric_summary WHERE run=? AND last IS NOT NULL",
		-1, &st, NULL);
	sqlite3_bind_text(st, 1, w.count ? w.ids[0] : "", -1, SQLITE_TRANSIENT);
	sqlite3_step(st);
	is_int(sqlite3_column_int(st, 0), 0, "the last run of -metrics.loss has no loss");
	sqlite3_finalize(st);
	bc_run_list_clear(&w);
	/* the sort by min reads the new index, not the table */
	sqlite3_prepare_v2(bc_project_db(p), "EXPLAIN QUERY PLAN SELECT j.run FROM metric_summary j "
		"WHERE j.key_id=1 AND j.min IS NOT NULL ORDER BY j.min DESC, j.run DESC LIMIT 5", -1, &st, NULL);
	int indexed = 0;
	while (sqlite3_step(st) == SQLITE_ROW)
		indexed |= strstr((const char *)sqlite3_column_text(st, 3), "metric_summary_min") != NULL;
	sqlite3_finalize(st);
	ok(indexed, "a window sorted by min walks metric_summary_min");
	bc_project_free(p);
}

TAP_MAIN
