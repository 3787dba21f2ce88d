/* SPDX-License-Identifier: MIT */
/*
 * Metric ingest throughput from the JSON-lines channel, against the raw
 * SQLite rate of one-row-per-point inserts (prepared statement, 100k rows per
 * transaction, WITHOUT ROWID PK(run,key,step)) measured in the same run.
 *   bench/bench-ingest [LINES]   (default 1,000,000 lines x 2 metrics)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include <bancada/bancada.h>

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
raw_sqlite_rate(const char *dir, long points)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/raw.db", dir);
	sqlite3 *db;
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		"CREATE TABLE m(run TEXT, key_id INTEGER, step INTEGER, value REAL, wall INTEGER,"
		" PRIMARY KEY(run,key_id,step)) WITHOUT ROWID;", NULL, NULL, NULL);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "INSERT INTO m VALUES('0123456789abcdef0123456789abcdef',?,?,?,?)", -1, &st, NULL);
	double t0 = now();
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (long i = 0; i < points; i++) {
		sqlite3_bind_int(st, 1, (int)(i & 1));
		sqlite3_bind_int64(st, 2, i / 2);
		sqlite3_bind_double(st, 3, 1.0 / (double)(i + 1));
		sqlite3_bind_int64(st, 4, 1795000000000 + i);
		sqlite3_step(st);
		sqlite3_reset(st);
		if (i % 100000 == 99999) {
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		}
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	double dt = now() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (double)points / dt;
}

int
main(int argc, char **argv)
{
	long lines = argc > 1 ? atol(argv[1]) : 1000000;
	char dir[] = "/tmp/bc-bench-ingest.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	bc_project *p = NULL;
	if (bc_project_init(&p, dir) < 0) {
		fprintf(stderr, "bench: %s\n", bc_errmsg(p));
		return 1;
	}
	char id[33];
	bc_run_new nr = BC_RUN_NEW_INIT;
	nr.capture_git = 0;
	bc_run_create(p, &nr, id);
	char chan[4200];
	snprintf(chan, sizeof chan, "%s/metrics.jsonl", dir);
	FILE *f = fopen(chan, "w");
	for (long i = 0; i < lines; i++)
		fprintf(f, "{\"step\": %ld, \"loss\": %.6f, \"acc\": %.6f}\n", i, 2.0 / (double)(i + 1), 1.0 - 1.0 / (double)(i + 2));
	fclose(f);
	/* parse-only rate, to see where the time goes */
	char *data = NULL;
	size_t dlen = 0;
	{
		FILE *rf = fopen(chan, "r");
		fseek(rf, 0, SEEK_END);
		dlen = (size_t)ftell(rf);
		rewind(rf);
		data = malloc(dlen + 1);
		if (fread(data, 1, dlen, rf) != dlen)
			return 1;
		data[dlen] = 0;
		fclose(rf);
	}
	bc_ingest *pin;
	bc_ingest_new(&pin, p, id);
	double tp = now();
	for (char *q = data, *nl; (nl = strchr(q, '\n')); q = nl + 1)
		bc_ingest_line(pin, q, (size_t)(nl - q), 1);
	double parse_dt = now() - tp;
	bc_ingest_free(pin);
	free(data);
	double t0 = now(), c0 = cpu();
	int64_t pts = bc_ingest_channel(p, id, "metrics.jsonl", chan);
	double dt = now() - t0, ingest_cpu = cpu() - c0;
	if (pts != 2 * lines) {
		fprintf(stderr, "bench: ingested %lld points, expected %ld: %s\n", (long long)pts, 2 * lines, bc_errmsg(p));
		return 1;
	}
	double rate = (double)pts / dt;
	bc_project_checkpoint(p);
	t0 = now();
	bc_point *s;
	size_t n;
	bc_metric_series(p, id, "loss", INT64_MIN, INT64_MAX, &s, &n);
	double read_dt = now() - t0;
	free(s);
	bc_point red[4 * 200];
	size_t rn;
	t0 = now();
	c0 = cpu();
	bc_metric_series_reduced(p, id, "loss", INT64_MIN, INT64_MAX, 200, red, &rn);
	double red_dt = now() - t0, red_cpu = cpu() - c0;
	bc_project_free(p);
	double raw = raw_sqlite_rate(dir, 2 * lines);
	printf("ingest: %lld points from %ld JSON lines in %.3f s (%.3f s CPU) = %.0f points/s (goal >= 1,000,000)\n",
		(long long)pts, lines, dt, ingest_cpu, rate);
	printf("  of which parsing JSON lines: %.3f s (%.0f points/s)\n", parse_dt, (double)pts / parse_dt);
	printf("reference: raw SQLite one row per point (indexed) = %.0f rows/s\n", raw);
	printf("ratio: bancada ingest / raw SQLite rows = %.2fx\n", rate / raw);
	printf("read back one %zu-point series: %.1f ms whole, %.1f ms (%.1f ms CPU) reduced to 200 columns"
		" from chunk summaries (%zu points)\n", n, read_dt * 1000, red_dt * 1000, red_cpu * 1000, rn);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
