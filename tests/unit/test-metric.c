/* SPDX-License-Identifier: MIT */
/* Metric ingest: the channel, malformed lines, NaN/Inf/huge steps, chunks, downsampling. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
