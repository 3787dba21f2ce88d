/* SPDX-License-Identifier: MIT */
/* Metric ingest: the channel, malformed lines, NaN/Inf/huge steps, chunks, downsampling,
 * and reduced reads from chunk summaries checked against every point. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include <bancada/bancada.h>
#include "tap.h"

static bc_project *
setup(char id[33])
{
	bc_project *p = NULL;
	int init_rc = bc_project_init(&p, tap_tmpdir());
	ok(init_rc == 0, "init: %s", bc_errmsg(p));
	bc_run_new nr = BC_RUN_NEW_INIT;
	nr.capture_git = 0;
	ok(bc_run_create(p, &nr, id) == 0, "run created");
	return p;
}

static int
line(bc_ingest *in, const char *s)
{
	return bc_ingest_line(in, s, strlen(s), 1000);
}

TEST(lines)
{
	char id[33];
	bc_project *p = setup(id);
	bc_ingest *in;
	bc_ingest_new(&in, p, id);
	is_int(line(in, "{\"step\": 3, \"loss\": 0.25, \"acc\": 0.91}"), 2, "two points from a flat line");
	is_int(line(in, "{\"loss\": 0.2}"), 1, "no step: next step for the key");
	is_int(line(in, "{\"step\": 5, \"loss\": NaN, \"inf\": Infinity, \"ninf\": -Infinity}"), 3, "NaN and Infinity accepted");
	is_int(line(in, "{\"step\": 9223372036854775807, \"loss\": 1}"), 1, "INT64_MAX step accepted");
	is_int(line(in, "{\"step\": 99999999999999999999, \"loss\": 1}"), BC_EINVALID, "step beyond int64 rejected");
	is_int(line(in, "{\"step\": 1.5, \"loss\": 1}"), BC_EINVALID, "fractional step rejected");
	is_int(line(in, "{\"loss\": 0.1"), BC_EINVALID, "truncated line rejected");
	is_int(line(in, "not json"), BC_EINVALID, "garbage rejected");
	is_int(line(in, "[1,2]"), BC_EINVALID, "array rejected");
	is_int(line(in, "{\"name\": \"x\", \"lr\": 0.5, \"nested\": {\"a\": 1}}"), 1, "strings and objects skipped, numbers kept");
	is_int(line(in, "{\"k\\u00e9y\": 2}"), 1, "escaped keys through the general parser");
	is_int(bc_ingest_bad_lines(in), 5, "five malformed lines counted");
	ok(bc_ingest_flush(in, NULL, 0) == 0, "flush: %s", bc_errmsg(p));
	bc_ingest_free(in);
	bc_run *r;
	ok(bc_run_load(&r, p, id) == 0, "load");
	is_int(r->bad_lines, 5, "bad line count stored with the run");
	const bc_metric_summary *m = bc_run_metric(r, "loss");
	ok(m && m->count == 4, "loss has 4 points");
	ok(m && m->last == 1.0 && m->last_step == INT64_MAX, "last point at INT64_MAX");
	ok(m && m->min == 0.2 && m->min_step == 4, "min ignores NaN (0.2 at step 4)");
	m = bc_run_metric(r, "inf");
	ok(m && isinf(m->last) && m->last > 0, "+Inf stored");
	bc_run_free(r);
	bc_point *pts;
	size_t n;
	ok(bc_metric_series(p, id, "loss", INT64_MIN, INT64_MAX, &pts, &n) == 0 && n == 4, "series of 4");
	ok(n == 4 && isnan(pts[2].value) && pts[2].step == 5, "NaN point kept in the series");
	free(pts);
	bc_project_free(p);
}

TEST(chunks_and_ranges)
{
	char id[33];
	bc_project *p = setup(id);
	bc_ingest *in;
	bc_ingest_new(&in, p, id);
	for (int i = 0; i < 10000; i++)
		bc_ingest_add(in, "x", i, i * 0.5, 1);
	ok(bc_ingest_flush(in, NULL, 0) == 0, "flush 10000 points");
	for (int i = 10000; i < 10010; i++)
		bc_ingest_add(in, "x", i, i * 0.5, 1);
	ok(bc_ingest_flush(in, NULL, 0) == 0, "second flush appends");
	bc_ingest_free(in);
	bc_point *pts;
	size_t n;
	ok(bc_metric_series(p, id, "x", INT64_MIN, INT64_MAX, &pts, &n) == 0, "read all");
	is_int(n, 10010, "every point back");
	int okv = 1;
	for (size_t i = 0; i < n; i++)
		if (pts[i].step != (int64_t)i || pts[i].value != i * 0.5)
			okv = 0;
	ok(okv, "values and steps intact, in order");
	free(pts);
	ok(bc_metric_series(p, id, "x", 4095, 4100, &pts, &n) == 0 && n == 6, "range across a chunk boundary");
	ok(n == 6 && pts[0].step == 4095 && pts[5].step == 4100, "range bounds inclusive");
	free(pts);
	bc_project_free(p);
}

TEST(downsample_keeps_spikes)
{
	size_t n = 1000000;
	bc_point *in = malloc(n * sizeof *in), *out = malloc(4 * 100 * sizeof *out);
	for (size_t i = 0; i < n; i++) {
		in[i].step = (int64_t)i;
		in[i].value = 1.0;
		in[i].wall_ms = 0;
	}
	in[777777].value = 1000.0;   /* a one-step spike */
	in[123457].value = -50.0;    /* a one-step dip */
	size_t m = bc_metric_downsample(in, n, 100, out);
	ok(m <= 400, "at most 4 points per column (%zu)", m);
	int spike = 0, dip = 0;
	for (size_t i = 0; i < m; i++) {
		if (out[i].value == 1000.0 && out[i].step == 777777) spike = 1;
		if (out[i].value == -50.0 && out[i].step == 123457) dip = 1;
	}
	ok(spike, "the one-step spike survives downsampling");
	ok(dip, "the one-step dip survives downsampling");
	ok(out[0].step == 0 && out[m - 1].step == (int64_t)n - 1, "first and last points kept");
	free(in);
	free(out);
}

TEST(reduced_read_keeps_spikes)
{
	char id[33];
	bc_project *p = setup(id);
	bc_ingest *in;
	bc_ingest_new(&in, p, id);
	for (int i = 0; i < 200000; i++)
		bc_ingest_add(in, "y", i, i == 150001 ? 99.0 : 1.0, 1);
	ok(bc_ingest_flush(in, NULL, 0) == 0, "flush");
	bc_ingest_free(in);
	bc_point out[400];
	size_t n;
	ok(bc_metric_series_reduced(p, id, "y", INT64_MIN, INT64_MAX, 100, out, &n) == 0, "reduced read");
	int spike = 0, sorted = 1;
	for (size_t i = 0; i < n; i++) {
		if (out[i].step == 150001 && out[i].value == 99.0)
			spike = 1;
		if (i && out[i].step < out[i - 1].step)
			sorted = 0;
	}
	ok(n <= 400 && spike, "the spike is in the reduced series (%zu points)", n);
	ok(sorted, "reduced points are in step order");
	ok(bc_metric_series_reduced(p, id, "y", 150000, 150010, 100, out, &n) == 0 && n == 11,
		"zooming into 11 steps gives every point at full resolution (%zu)", n);
	bc_project_free(p);
}

/* ---- reduced reads against a brute-force reduction of every stored point ---- */

struct col { bc_point f, lo, hi, l; int used; };

/* Every point in the order it was logged (chunk seq order), for the reference. */
static bc_point *
logged_points(bc_project *p, const char *id, const char *key, size_t *n)
{
	sqlite3_stmt *st;
	bc_point *all = NULL;
	*n = 0;
	sqlite3_prepare_v2(bc_project_db(p), "SELECT data FROM metric_chunks WHERE run=? AND key_id="
		"(SELECT id FROM metric_keys WHERE key=?) ORDER BY seq", -1, &st, NULL);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t c = (size_t)sqlite3_column_bytes(st, 0) / sizeof(bc_point);
		all = realloc(all, (*n + c) * sizeof *all);
		memcpy(all + *n, sqlite3_column_blob(st, 0), c * sizeof *all);
		*n += c;
	}
	sqlite3_finalize(st);
	return all;
}

static int
same_point(const bc_point *a, const bc_point *b)
{
	return a->step == b->step && a->wall_ms == b->wall_ms &&
		(a->value == b->value || (isnan(a->value) && isnan(b->value)));
}

/* 1 when the reduced read equals the reference: per column (of the grid
 * the header documents) first, min, max and last, with ties as logged. */
static int
check_reduced(bc_project *p, const char *id, const char *key, int64_t lo, int64_t hi,
	size_t buckets, double alpha)
{
	size_t n, m = 0, got_n;
	bc_point *all = logged_points(p, id, key, &n);
	int64_t a = INT64_MAX, b = INT64_MIN;
	for (size_t i = 0; i < n; i++)
		if (all[i].step >= lo && all[i].step <= hi) {
			if (all[i].step < a) a = all[i].step;
			if (all[i].step > b) b = all[i].step;
		}
	if (lo != INT64_MIN) a = lo;
	if (hi != INT64_MAX) b = hi;
	struct col *c = calloc(buckets, sizeof *c);
	bc_point *want = malloc(4 * buckets * sizeof *want), *got = malloc(4 * buckets * sizeof *got);
	double span = (double)b - (double)a + 1, ema = NAN;
	for (size_t i = 0; i < n; i++) {
		bc_point pt = all[i];
		if (pt.step < a || pt.step > b)
			continue;
		if (alpha > 0 && isfinite(pt.value)) {
			ema = isnan(ema) ? pt.value : alpha * ema + (1 - alpha) * pt.value;
			pt.value = ema;
		}
		size_t k = (size_t)(((double)pt.step - (double)a) * (double)buckets / span);
		struct col *q = &c[k < buckets ? k : buckets - 1];
		if (!q->used) {
			q->f = q->lo = q->hi = q->l = pt;
			q->used = 1;
			continue;
		}
		if (pt.step < q->f.step) q->f = pt;
		if (pt.step >= q->l.step) q->l = pt;
		if (pt.value < q->lo.value || isnan(q->lo.value)) q->lo = pt;
		if (pt.value > q->hi.value || isnan(q->hi.value)) q->hi = pt;
	}
	for (size_t k = 0; k < buckets; k++) {
		if (!c[k].used)
			continue;
		bc_point four[4] = { c[k].f, c[k].lo, c[k].hi, c[k].l };
		/* step order, stable for equal steps (insertion sort) */
		for (int i = 1; i < 4; i++)
			for (int j = i; j > 0 && four[j].step < four[j - 1].step; j--) {
				bc_point t = four[j]; four[j] = four[j - 1]; four[j - 1] = t;
			}
		for (int j = 0; j < 4; j++)
			if (!j || four[j].step != four[j - 1].step || four[j].value != four[j - 1].value)
				want[m++] = four[j];
	}
	int rc = alpha > 0 ? bc_metric_series_smoothed(p, id, key, lo, hi, buckets, alpha, got, &got_n)
		: bc_metric_series_reduced(p, id, key, lo, hi, buckets, got, &got_n);
	int same = rc == 0 && got_n <= 4 * buckets;
	if (alpha > 0) {
		/* every point decoded: the same points, equal-step order aside */
		same = same && got_n == m;
		for (size_t i = 0; same && i < m; i++) {
			int found = 0;
			for (size_t j = 0; j < m && !found; j++)
				found = same_point(&got[j], &want[i]);
			same = found;
		}
	} else {
		/* each column's min and max exact; first and last of the series exact */
		for (size_t k = 0; same && k < buckets; k++) {
			int fmin = !c[k].used, fmax = !c[k].used;
			for (size_t j = 0; j < got_n; j++) {
				fmin |= same_point(&got[j], &c[k].lo);
				fmax |= same_point(&got[j], &c[k].hi);
			}
			same = fmin && fmax;
		}
		same = same && (m == 0) == (got_n == 0);
		if (same && m)
			same = same_point(&got[0], &want[0]) && same_point(&got[got_n - 1], &want[m - 1]);
		for (size_t j = 1; same && j < got_n; j++)
			same = got[j].step >= got[j - 1].step && got[j].step >= a && got[j].step <= b;
	}
	if (!same)
		printf("# reduce %s [%lld,%lld] x%zu: got %zu points, want %zu\n", key, (long long)lo,
			(long long)hi, buckets, got_n, m);
	free(all);
	free(c);
	free(want);
	free(got);
	return same;
}

TEST(reduced_read_equals_every_point)
{
	char id[33];
	bc_project *p = setup(id);
	bc_ingest *in;
	bc_ingest_new(&in, p, id);
	unsigned s = 12345;
	for (int i = 0; i < 100000; i++) {
		s = s * 1103515245u + 12345u;
		double v = (double)(s >> 8 & 0xffff) / 65536.0;
		if (i % 9973 == 0) v = NAN;
		if (i == 77777) v = 1e6;     /* a one-step spike */
		if (i == 33333) v = -1e6;    /* a one-step dip */
		bc_ingest_add(in, "loss", i, v, 1000 + i);
		if (i % 30011 == 0)
			ok(bc_ingest_flush(in, NULL, 0) == 0, "flush mid-series (partial chunks)");
	}
	/* out of order, repeated and NaN-only stretches */
	for (int i = 0; i < 3000; i++)
		bc_ingest_add(in, "jumpy", (i * 7919) % 2000, i % 5 == 0 ? NAN : (double)(i % 13), i);
	for (int i = 0; i < 500; i++)
		bc_ingest_add(in, "nan", i, NAN, i);
	for (int i = 0; i < 50000; i++)   /* many equal values: ties go to the first logged */
		bc_ingest_add(in, "ties", i, (double)((i / 300) % 7), i);
	ok(bc_ingest_flush(in, NULL, 0) == 0, "flush");
	bc_ingest_free(in);
	static const struct { int64_t lo, hi; size_t buckets; } cases[] = {
		{ INT64_MIN, INT64_MAX, 378 }, { INT64_MIN, INT64_MAX, 37 }, { INT64_MIN, INT64_MAX, 1 },
		{ 25000, 74999, 200 }, { 77700, 77800, 160 }, { -500, 200500, 64 }, { 99990, INT64_MAX, 50 },
		{ 5, 5, 10 },
	};
	int all = 1;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		all &= check_reduced(p, id, "loss", cases[i].lo, cases[i].hi, cases[i].buckets, 0);
		all &= check_reduced(p, id, "jumpy", cases[i].lo, cases[i].hi, cases[i].buckets, 0);
		all &= check_reduced(p, id, "nan", cases[i].lo, cases[i].hi, cases[i].buckets, 0);
		all &= check_reduced(p, id, "ties", cases[i].lo, cases[i].hi, cases[i].buckets, 0);
	}
	ok(all, "reduced reads keep every column's min and max and the series' first and last (8 ranges x 4 series)");
	ok(check_reduced(p, id, "loss", INT64_MIN, INT64_MAX, 300, 0.9) &&
	   check_reduced(p, id, "loss", 20000, 30000, 80, 0.99) &&
	   check_reduced(p, id, "jumpy", INT64_MIN, INT64_MAX, 40, 0.6), "smoothed reads equal EMA then reduce");
	bc_point out[4];
	size_t n;
	is_int(bc_metric_series_smoothed(p, id, "loss", INT64_MIN, INT64_MAX, 1, 1.0, out, &n), BC_EINVALID,
		"smoothing factor 1 rejected");
	int64_t slo = 0, shi = 0;
	ok(bc_metric_step_range(p, id, "jumpy", &slo, &shi) == 0 && slo == 0 && shi == 1999,
		"step range of an out-of-order series from its summary");
	sqlite3_exec(bc_project_db(p), "UPDATE metric_summary SET step_lo=NULL, step_hi=NULL", NULL, NULL, NULL);
	slo = shi = 0;
	ok(bc_metric_step_range(p, id, "jumpy", &slo, &shi) == 0 && slo == 0 && shi == 1999,
		"without it, from the chunk index");
	is_int(bc_metric_step_range(p, id, "nope", &slo, &shi), BC_ENOTFOUND, "no such series");
	/* chunks written before schema 7 have no summary: decoded, same answer */
	sqlite3_exec(bc_project_db(p), "UPDATE metric_chunks SET summary=NULL WHERE seq % 3 = 0", NULL, NULL, NULL);
	ok(check_reduced(p, id, "loss", INT64_MIN, INT64_MAX, 378, 0) &&
	   check_reduced(p, id, "jumpy", INT64_MIN, INT64_MAX, 20, 0), "chunks without a summary are decoded");
	bc_project_free(p);
}

TEST(reduced_read_uses_summaries)
{
	char id[33];
	bc_project *p = setup(id);
	bc_ingest *in;
	bc_ingest_new(&in, p, id);
	for (int i = 0; i < 1000000; i++)
		bc_ingest_add(in, "y", i, i == 610000 ? 50.0 : i == 260001 ? -7.0 : 1.0 / (i + 1), 1);
	ok(bc_ingest_flush(in, NULL, 0) == 0, "flush 1M points");
	bc_ingest_free(in);
	/* wipe the points of every chunk inside one of 80 columns: the reduced
	 * read must not need them (only the chunks at column edges) */
	char *err = NULL;
	int rc = sqlite3_exec(bc_project_db(p), "UPDATE metric_chunks SET data=zeroblob(length(data)) "
		"WHERE min_step * 80 / 1000000 = max_step * 80 / 1000000", NULL, NULL, &err);
	ok(rc == SQLITE_OK, "points of inner chunks wiped (%s)", err ? err : "ok");
	sqlite3_free(err);
	bc_point *pts, out[320];
	size_t n;
	bc_metric_series(p, id, "y", 610000, 610000, &pts, &n);
	ok(n == 0, "the spike's stored point is gone (%zu)", n);
	free(pts);
	ok(bc_metric_series_reduced(p, id, "y", INT64_MIN, INT64_MAX, 80, out, &n) == 0, "reduced read");
	int spike = 0, dip = 0;
	for (size_t i = 0; i < n; i++) {
		spike |= out[i].step == 610000 && out[i].value == 50.0;
		dip |= out[i].step == 260001 && out[i].value == -7.0;
	}
	ok(spike && dip, "spike and dip come from the chunk summaries (%zu points)", n);
	ok(n && out[0].step == 0 && out[0].value == 1.0 && out[n - 1].step == 999999,
		"first and last points of the series kept");
	bc_project_free(p);
}

TEST(channel_offsets)
{
	char id[33];
	bc_project *p = setup(id);
	FILE *f = fopen("chan.jsonl", "w");
	fprintf(f, "{\"step\": 0, \"a\": 1}\n{\"step\": 1, \"a\": 2}\n{\"step\": 2, \"a\"");
	fclose(f);
	is_int(bc_ingest_channel(p, id, "c", "chan.jsonl"), 2, "complete lines ingested, partial line left");
	f = fopen("chan.jsonl", "a");
	fprintf(f, ": 3}\nbroken\n");
	fclose(f);
	is_int(bc_ingest_channel(p, id, "c", "chan.jsonl"), 1, "resumes at the stored offset");
	is_int(bc_ingest_channel(p, id, "c", "chan.jsonl"), 0, "nothing twice");
	bc_run *r;
	bc_run_load(&r, p, id);
	ok(r && bc_run_metric(r, "a") && bc_run_metric(r, "a")->count == 3, "three points, no duplicates");
	is_int(r ? r->bad_lines : -1, 1, "the broken line counted");
	bc_run_free(r);
	bc_project_free(p);
}

TAP_MAIN
