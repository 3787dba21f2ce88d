/* SPDX-License-Identifier: MIT */
/*
 * Packed metric chunks (core/import-pack.c): every point comes back bit for
 * bit (steps and timestamps of any shape, NaN, -0, infinities), chunks fit
 * their byte budget and are never mistaken for raw ones, damaged chunks
 * decode to nothing instead of garbage, and an imported series reads back
 * the same through every reader (full series, summaries, decoded chunks).
 */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tap.h"
#include "internal.h"
#include "import-private.h"

#define BUDGET 3840

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
same_point(const bc_point *a, const bc_point *b)
{
	return a->step == b->step && a->wall_ms == b->wall_ms && !memcmp(&a->value, &b->value, 8);
}

/* Pack pts in budget-sized chunks, unpack each; returns the mismatches. */
static size_t
round_trip(const bc_point *pts, size_t n, size_t *chunks, int *fits)
{
	static unsigned char buf[BUDGET + 64];
	static bc_point back[IMP_PACK_MAX_POINTS];
	size_t bad = 0, off = 0, len;
	*chunks = 0;
	*fits = 1;
	while (off < n) {
		size_t k = imp_chunk_pack(pts + off, n - off, buf, BUDGET, &len);
		if (k == 0 || k > IMP_PACK_MAX_POINTS || len > BUDGET || !imp_chunk_is_packed(len))
			*fits = 0;
		if (k == 0)
			return n;
		long got = imp_chunk_unpack(buf, len, back, IMP_PACK_MAX_POINTS);
		if (got != (long)k)
			return n;
		for (size_t i = 0; i < k; i++)
			bad += !same_point(&pts[off + i], &back[i]);
		off += k;
		(*chunks)++;
	}
	return bad;
}

TEST(round_trip)
{
	size_t n = 20000, chunks, bad;
	int fits;
	bc_point *pts = calloc(n, sizeof *pts);
	/* a regular grid: one stride each, about 8 bytes a point */
	for (size_t i = 0; i < n; i++)
		pts[i] = (bc_point){ (int64_t)i, 1.0 / (double)(i + 1), 1700000000000LL + 10 * (int64_t)i };
	bad = round_trip(pts, n, &chunks, &fits);
	ok(bad == 0 && fits, "regular series: every point back (%zu bad)", bad);
	ok(chunks <= (n + 469) / 470, "regular series: 470 points or more a chunk (%zu chunks)", chunks);
	/* irregular: gaps, repeats, steps going back, extreme values and times */
	const double odd[] = { NAN, -NAN, INFINITY, -INFINITY, -0.0, 0.0, 5e-324, 1.7976931348623157e308 };
	for (size_t i = 0; i < n; i++) {
		uint64_t r = next_rand();
		pts[i].step = i % 97 == 0 ? (int64_t)(r >> 1) : i % 89 == 0 ? INT64_MIN + (int64_t)(r & 7) :
			(int64_t)i * 3 - (int64_t)(r % 5);
		pts[i].wall_ms = i % 101 == 0 ? INT64_MAX - (int64_t)(r & 3) : 1700000000000LL + (int64_t)(r % 100000);
		pts[i].value = i % 13 == 0 ? odd[(i / 13) % 8] : (double)(int64_t)r / 7.0;
	}
	bad = round_trip(pts, n, &chunks, &fits);
	ok(bad == 0 && fits, "irregular series: every point back, bit for bit (%zu bad)", bad);
	/* constant stride broken at the very last point of a chunk */
	for (size_t i = 0; i < 600; i++)
		pts[i] = (bc_point){ (int64_t)i * 2, (double)i, (int64_t)i };
	pts[599].step = 5;
	pts[300].wall_ms = -1;
	bad = round_trip(pts, 600, &chunks, &fits);
	ok(bad == 0 && fits, "a stride broken by one point (%zu bad, %zu chunks)", bad, chunks);
	bad = round_trip(pts, 1, &chunks, &fits);
	ok(bad == 0 && fits && chunks == 1, "a single point");
	free(pts);
}

TEST(damaged_chunks)
{
	bc_point pts[300], back[IMP_PACK_MAX_POINTS];
	unsigned char buf[BUDGET + 64], copy[BUDGET + 64];
	size_t len;
	for (size_t i = 0; i < 300; i++)
		pts[i] = (bc_point){ (int64_t)(i * i), (double)i, (int64_t)(i * 7 + (i & 3)) };
	size_t k = imp_chunk_pack(pts, 300, buf, BUDGET, &len);
	ok(k == 300 && len % sizeof(bc_point) != 0, "packed (%zu points, %zu bytes)", k, len);
	/* every truncation is refused or at least stays inside the blob */
	int wrong = 0;
	for (size_t l = 0; l < len; l++) {
		memcpy(copy, buf, l);
		long got = imp_chunk_unpack(copy, l, back, IMP_PACK_MAX_POINTS);
		if (got != -1 && !(l % sizeof(bc_point) == 0))
			wrong++;
	}
	ok(wrong == 0, "every truncated chunk decodes to nothing (%d did not)", wrong);
	memcpy(copy, buf, len);
	copy[0] ^= 1;
	ok(imp_chunk_unpack(copy, len, back, IMP_PACK_MAX_POINTS) == -1, "a wrong magic is refused");
	ok(imp_chunk_unpack(buf, len, back, 100) == -1, "more points than the buffer holds: refused");
	ok(!imp_chunk_is_packed(24 * 160) && !imp_chunk_is_packed(0), "raw chunk lengths are raw");
	/* random garbage after a valid magic never crashes (ASan watches) */
	for (int t = 0; t < 2000; t++) {
		size_t l = 5 + next_rand() % 200;
		memcpy(copy, buf, 4);
		for (size_t i = 4; i < l; i++)
			copy[i] = (unsigned char)next_rand();
		long got = imp_chunk_unpack(copy, l, back, IMP_PACK_MAX_POINTS);
		if (got > (long)IMP_PACK_MAX_POINTS)
			wrong++;
	}
	ok(wrong == 0, "random garbage decodes to at most the buffer");
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(imported_series_read_back)
{
	char dir[4096], path[4200];
	snprintf(dir, sizeof dir, "%s/mlruns", tap_tmpdir());
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/1", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/1/meta.yaml", dir);
	write_file(path, "experiment_id: '1'\nlifecycle_stage: active\nname: packs\n");
	snprintf(path, sizeof path, "%s/1/run1", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/1/run1/metrics", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/1/run1/meta.yaml", dir);
	write_file(path, "run_uuid: run1\nexperiment_id: '1'\nlifecycle_stage: active\n"
		"start_time: 1700000000000\nend_time: 1700000100000\nstatus: 3\nuser_id: t\n");
	/* 3000 points: regular, then irregular steps and times, odd values */
	bc_buf text = { 0 };
	size_t n = 3000;
	bc_point *want = calloc(n, sizeof *want);
	for (size_t i = 0; i < n; i++) {
		uint64_t r = next_rand();
		want[i].step = i < 1000 ? (int64_t)i : 1000 + (int64_t)(i - 1000) * 2 + (int64_t)(r % 2);
		want[i].wall_ms = i < 1000 ? 1700000000000LL + 10 * (int64_t)i : 1700000100000LL + (int64_t)(r % 9999);
		want[i].value = i == 1500 ? 1e300 : i == 2500 ? -1e300 : sin((double)i) / (double)(i + 1);
		bc_buf_printf(&text, "%lld %.17g %lld\n", (long long)want[i].wall_ms, want[i].value,
			(long long)want[i].step);
	}
	snprintf(path, sizeof path, "%s/1/run1/metrics/wave", dir);
	write_file(path, text.data);
	bc_buf_free(&text);
	bc_project *p = NULL;
	ok(bc_project_init(&p, tap_tmpdir()) == 0, "project");
	bc_import_options o = BC_IMPORT_OPTIONS_INIT;
	bc_import_stats st;
	memset(&st, 0, sizeof st);
	ok(bc_import_mlflow(p, dir, &o, &st) == 0 && st.added == 1, "imported");
	char id[33] = "";
	sqlite3_stmt *q;
	sqlite3_prepare_v2(bc_project_db(p), "SELECT id FROM runs WHERE src_id='run1'", -1, &q, NULL);
	if (sqlite3_step(q) == SQLITE_ROW)
		snprintf(id, sizeof id, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	bc_point *pts = NULL;
	size_t got = 0, bad = 0;
	ok(bc_metric_series(p, id, "wave", INT64_MIN, INT64_MAX, &pts, &got) == 0 && got == n,
		"every point read back (%zu)", got);
	for (size_t i = 0; i < got && i < n; i++)
		bad += !same_point(&pts[i], &want[i]);
	ok(bad == 0, "steps, values and times bit for bit (%zu differ)", bad);
	free(pts);
	sqlite3_prepare_v2(bc_project_db(p), "SELECT count(*), max(length(data)), sum(length(data) % 24 = 0)"
		" FROM metric_chunks", -1, &q, NULL);
	sqlite3_step(q);
	int nchunks = sqlite3_column_int(q, 0), maxlen = sqlite3_column_int(q, 1), raw = sqlite3_column_int(q, 2);
	sqlite3_finalize(q);
	ok(nchunks >= 4 && nchunks <= 12 && maxlen <= BUDGET && raw == 0,
		"packed chunks within one page (%d chunks, longest %d bytes)", nchunks, maxlen);
	/* reduced reads: from summaries, then with every chunk decoded */
	bc_point a[4 * 37], b[4 * 37];
	size_t na = 0, nb = 0;
	bc_metric_series_reduced(p, id, "wave", INT64_MIN, INT64_MAX, 37, a, &na);
	sqlite3_exec(bc_project_db(p), "UPDATE metric_chunks SET summary=NULL", NULL, NULL, NULL);
	bc_metric_series_reduced(p, id, "wave", INT64_MIN, INT64_MAX, 37, b, &nb);
	ok(na > 37 && na == nb && !memcmp(a, b, na * sizeof *a),
		"a reduced read decoding every packed chunk equals the one from summaries (%zu, %zu)", na, nb);
	int spike = 0;
	for (size_t i = 0; i < nb; i++)
		spike |= b[i].value == 1e300 || b[i].value == -1e300;
	ok(spike, "the spike and the dip are kept");
	free(want);
	bc_project_free(p);
}

TAP_MAIN
