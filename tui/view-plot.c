/* SPDX-License-Identifier: MIT */
/*
 * The plot view: one metric against step (or wall time) for several runs,
 * in braille dots (2x4 per cell) or one marker per run. Series are read
 * reduced to the pixel columns of the visible step range with
 * bc_metric_series_reduced (first/min/max/last per column, from per-chunk
 * summaries), then joined by line segments, so a one-step spike always
 * reaches the screen; zooming re-reads the new range at full resolution.
 */
#include "config.h"
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

#define MAX_RUNS 16
#define MAX_ZOOM 32

struct series {
	bc_point *pts;       /* reduced (and smoothed) */
	size_t n;
};

struct plot_priv {
	char ids[MAX_RUNS][33];
	char *names[MAX_RUNS];
	size_t nruns;
	char **keys;
	size_t nkeys, key;
	int wall, logy, smooth, markers;
	int64_t zlo[MAX_ZOOM], zhi[MAX_ZOOM];
	int nzoom;
	int64_t lo, hi;              /* current step range; INT64_MIN/MAX = all */
	int64_t glo, ghi;            /* the column grid of the loaded series */
	bc_project *db2;             /* the worker thread's read-only connection */
	int no_db2;
	char root[4096];
	struct series s[MAX_RUNS];
	int loaded_cols;             /* pixel width the data was sampled for */
	int64_t version;
	char title[512];
};

static const double smooth_levels[] = { 0, 0.6, 0.9, 0.99 };
#define NSMOOTH 4
static const char markers_utf8[][4] = { "\xe2\x97\x8f", "\xe2\x96\xa0", "\xe2\x96\xb2", "\xe2\x97\x86",
	"\xe2\x9c\x9a", "\xe2\x9c\x96", "\xe2\x97\x8b", "\xe2\x96\xa1" };
static const char markers_ascii[] = "*+ox#@%&";
static const uint32_t markers_cp[] = { 0x25cf, 0x25a0, 0x25b2, 0x25c6, 0x271a, 0x2716, 0x25cb, 0x25a1 };

static void
series_free(struct plot_priv *p)
{
	for (size_t r = 0; r < p->nruns; r++) {
		free(p->s[r].pts);
		p->s[r].pts = NULL;
		p->s[r].n = 0;
	}
	p->loaded_cols = 0;
}

/* Half of the runs, read on one connection: the union of their step ranges
 * (phase 0) or their series reduced to the column grid (phase 1). */
struct plot_work {
	struct plot_priv *p;
	bc_project *db;
	size_t from;
	int phase;
	int64_t lo, hi;
	size_t buckets;
};

static void
plot_work_run(struct plot_work *w)
{
	struct plot_priv *p = w->p;
	const char *key = p->keys[p->key];
	double alpha = smooth_levels[p->smooth];
	for (size_t r = w->from; r < p->nruns; r += 2) {
		if (w->phase == 0) {
			int64_t a, b;
			if (bc_metric_step_range(w->db, p->ids[r], key, &a, &b) == 0) {
				if (a < w->lo) w->lo = a;
				if (b > w->hi) w->hi = b;
			}
			continue;
		}
		bc_point *ds = malloc(w->buckets * 4 * sizeof *ds);
		size_t m = 0;
		int rc = !ds ? -1 : alpha > 0 ? bc_metric_series_smoothed(w->db, p->ids[r], key, w->lo, w->hi,
			w->buckets, alpha, ds, &m) : bc_metric_series_reduced(w->db, p->ids[r], key, w->lo, w->hi,
			w->buckets, ds, &m);
		if (rc < 0 || !m) {
			free(ds);
			continue;
		}
		p->s[r].pts = ds;
		p->s[r].n = m;
	}
}

static void *
plot_worker(void *arg)
{
	struct plot_work *w = arg;
	struct plot_priv *p = w->p;
	if (!p->db2) {
		bc_project_options o = BC_PROJECT_OPTIONS_INIT;
		o.readonly = 1;
		o.no_recover = 1;
		if (bc_project_open(&p->db2, p->root, &o) < 0) {
			bc_project_free(p->db2);
			p->db2 = NULL;
			p->no_db2 = 1;
		}
	}
	w->db = p->db2 ? p->db2 : NULL;
	if (w->db)
		plot_work_run(w);
	return NULL;
}

/* Run both halves: the odd runs on a worker thread with its own read-only
 * connection, the even ones here; serially when no worker is possible. */
static void
plot_parallel(struct plot_priv *p, struct plot_work w[2])
{
	pthread_t th;
	w[0].db = tui.p;
	/* every page is read once: a big page cache (the runs view sets 16 MB)
	 * would only cost fresh memory per page, three times the reading */
	sqlite3 *db = bc_project_db(tui.p);
	sqlite3_stmt *st;
	int64_t cache = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA cache_size", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			cache = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (cache < -2000 || cache > 2000)
		sqlite3_exec(db, "PRAGMA cache_size=-2000", NULL, NULL, NULL);
	int threaded = p->nruns > 1 && !p->no_db2 && pthread_create(&th, NULL, plot_worker, &w[1]) == 0;
	plot_work_run(&w[0]);
	if (threaded)
		pthread_join(th, NULL);
	if (!threaded || !w[1].db) {
		w[1].db = tui.p;
		plot_work_run(&w[1]);
	}
	if (cache < -2000 || cache > 2000) {
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA cache_size=%lld", (long long)cache);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
}

/* Read every run's series for the current metric reduced to `cols` pixel
 * columns: first/min/max/last per column from the chunk summaries (EMA
 * smoothing decodes the points of the range). Every run is reduced on one
 * column grid (the zoom range, or the union of the series' step ranges), so
 * pixel column k shows exactly the points of reduced column k. Two threads
 * share the runs: a read is mostly SQLite page reads, independent per run. */
static void
load_series(struct plot_priv *p, int cols)
{
	series_free(p);
	p->version = bc_project_data_version(tui.p);
	p->loaded_cols = cols;
	if (!p->nkeys)
		return;
	struct plot_work w[2] = { { .p = p, .from = 0 }, { .p = p, .from = 1 } };
	int64_t lo = p->lo, hi = p->hi;
	if (lo == INT64_MIN) {
		for (int i = 0; i < 2; i++) {
			w[i].phase = 0;
			w[i].lo = INT64_MAX;
			w[i].hi = INT64_MIN;
		}
		plot_parallel(p, w);
		lo = w[0].lo < w[1].lo ? w[0].lo : w[1].lo;
		hi = w[0].hi > w[1].hi ? w[0].hi : w[1].hi;
		if (lo > hi)
			return;
	}
	p->glo = lo;
	p->ghi = hi;
	for (int i = 0; i < 2; i++) {
		w[i].phase = 1;
		w[i].lo = lo;
		w[i].hi = hi;
		w[i].buckets = cols > 0 ? (size_t)cols : 1;
	}
	plot_parallel(p, w);
}

static double
xval(const struct plot_priv *p, const bc_point *pt)
{
	return p->wall ? (double)pt->wall_ms : (double)pt->step;
}

static int
yval(const struct plot_priv *p, double v, double *out)
{
	if (!isfinite(v))
		return 0;
	if (p->logy) {
		if (v <= 0)
			return 0;
		*out = log10(v);
	} else
		*out = v;
	return 1;
}

/* 1, 2 or 5 times a power of ten, near range/n. */
static double
nice_step(double range, int n)
{
	if (range <= 0 || n <= 0)
		return 1;
	double raw = range / n, p10 = pow(10, floor(log10(raw))), f = raw / p10;
	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p10;
}

static void
fmt_tick(const struct plot_priv *p, double v, int is_y, double x0, char *buf, size_t size)
{
	if (is_y && p->logy)
		v = pow(10, v);
	if (!is_y && p->wall) {
		char d[24];
		fmt_duration((int64_t)(v - x0), d, sizeof d);
		snprintf(buf, size, "+%.22s", d);
		return;
	}
	if (!is_y && fabs(v) < 1e9) {
		/* steps: whole numbers, so ticks of a zoomed range stay distinct */
		snprintf(buf, size, "%.0f", v);
		return;
	}
	if (fabs(v) >= 1e5 || (fabs(v) < 1e-3 && v != 0))
		snprintf(buf, size, "%.2g", v);
	else
		snprintf(buf, size, "%.4g", v);
}

/* The pixel column of x: for steps, the column bc_metric_series_reduced put
 * the point in (floor((s - x0) * W / (x1 - x0 + 1))), at the middle of the
 * step's columns when there are fewer steps than columns; wall time is
 * scaled. */
static int
pixel_x(const struct plot_priv *p, double x, double x0, double x1, int W)
{
	if (!p->wall) {
		double span = x1 - x0 + 1;
		return (int)floor((x - x0 + (span < W ? 0.5 : 0)) * W / span);
	}
	return (int)lround((x - x0) / (x1 - x0) * (W - 1));
}

static void
plot_draw(struct view *v)
{
	struct plot_priv *p = v->priv;
	int ylab = 10, legend = 1, xaxis = 2;
	int cols = v->width - ylab - 1, rows = v->height - legend - xaxis;
	int braille = !tui.ascii && !p->markers;
	int px = braille ? 2 : 1, py = braille ? 4 : 1;
	/* legend */
	int lx = 0;
	for (size_t r = 0; r < p->nruns && lx < v->width; r++) {
		enum color_id c = (enum color_id)(COLOR_PLOT1 + (int)(r % PLOT_COLORS));
		char item[300];
		snprintf(item, sizeof item, "%s %s  ", tui.ascii ? (char[2]){ markers_ascii[r % 8], 0 } :
			markers_utf8[r % 8], p->names[r] ? p->names[r] : p->ids[r]);
		lx += view_draw_text(v, 0, lx, v->width - lx, item, c);
	}
	if (cols < 4 || rows < 2) {
		if (v->height > 1)
			view_draw_text(v, v->height > 1 ? 1 : 0, 0, v->width, "(window too small to plot)", COLOR_DIM);
		return;
	}
	if (!p->nkeys) {
		view_draw_text(v, 2, 2, v->width - 2, "No metrics recorded for these runs.", COLOR_DIM);
		return;
	}
	if (p->loaded_cols != cols * px)
		load_series(p, cols * px);
	/* ranges */
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
	size_t total = 0;
	for (size_t r = 0; r < p->nruns; r++)
		for (size_t i = 0; i < p->s[r].n; i++) {
			double x = xval(p, &p->s[r].pts[i]), y;
			if (x < x0) x0 = x;
			if (x > x1) x1 = x;
			if (yval(p, p->s[r].pts[i].value, &y)) {
				if (y < y0) y0 = y;
				if (y > y1) y1 = y;
			}
			total++;
		}
	if (!total || !isfinite(y0)) {
		view_draw_text(v, 2, 2, v->width - 2, "No points in this range (0 resets the zoom).", COLOR_DIM);
		return;
	}
	if (!p->wall) {
		/* the reduced columns' grid */
		x0 = (double)p->glo;
		x1 = (double)p->ghi;
	} else if (x1 <= x0)
		x1 = x0 + 1;
	if (y1 <= y0) {
		double d = fabs(y0) > 0 ? fabs(y0) * 0.05 : 1;
		y0 -= d;
		y1 += d;
	}
	int W = cols * px, H = rows * py;
	uint8_t *bits = calloc((size_t)cols * (size_t)rows, 1);
	uint8_t *owner = calloc((size_t)cols * (size_t)rows, 1);
	if (!bits || !owner) {
		free(bits);
		free(owner);
		return;
	}
	for (size_t r = 0; r < p->nruns; r++) {
		int prevx = -1, prevy = -1;
		for (size_t i = 0; i < p->s[r].n; i++) {
			double y;
			if (!yval(p, p->s[r].pts[i].value, &y)) {
				prevx = -1;
				continue;
			}
			int X = pixel_x(p, xval(p, &p->s[r].pts[i]), x0, x1, W);
			int Y = (int)lround((y1 - y) / (y1 - y0) * (H - 1));
			if (X < 0 || X >= W) {
				prevx = -1;
				continue;
			}
			if (Y < 0) Y = 0;
			if (Y >= H) Y = H - 1;
			/* segment from the previous point (Bresenham): spikes keep their height */
			int ax = prevx < 0 ? X : prevx, ay = prevx < 0 ? Y : prevy;
			int dx = abs(X - ax), sx = ax < X ? 1 : -1, dy = -abs(Y - ay), sy = ay < Y ? 1 : -1;
			int err = dx + dy;
			for (;;) {
				int cx = ax / px, cy = ay / py;
				size_t cell = (size_t)cy * (size_t)cols + (size_t)cx;
				if (braille) {
					static const uint8_t dot[4][2] = { { 0x01, 0x08 }, { 0x02, 0x10 }, { 0x04, 0x20 }, { 0x40, 0x80 } };
					bits[cell] |= dot[ay % 4][ax % 2];
				} else
					bits[cell] = 1;
				owner[cell] = (uint8_t)(r + 1);
				if (ax == X && ay == Y)
					break;
				int e2 = 2 * err;
				if (e2 >= dy) { err += dy; ax += sx; }
				if (e2 <= dx) { err += dx; ay += sy; }
			}
			prevx = X;
			prevy = Y;
		}
	}
	/* y axis with ticks */
	double ys = nice_step(y1 - y0, rows / 3 > 1 ? rows / 3 : 1);
	for (double t = ceil(y0 / ys) * ys; t <= y1 + ys * 1e-9; t += ys) {
		int row = legend + (int)lround((y1 - t) / (y1 - y0) * (rows - 1));
		char lab[32];
		fmt_tick(p, fabs(t) < ys * 1e-9 ? 0 : t, 1, 0, lab, sizeof lab);
		view_draw_text_right(v, row, 0, ylab - 1, lab, COLOR_AXIS);
		view_draw_char(v, row, ylab, tui.ascii ? '+' : 0x2524, '+', COLOR_AXIS);
	}
	for (int row = 0; row < rows; row++)
		view_draw_char(v, legend + row, ylab, tui.ascii ? '|' : 0x2502, '|', COLOR_AXIS);
	/* plot cells */
	for (int cy = 0; cy < rows; cy++)
		for (int cx = 0; cx < cols; cx++) {
			size_t cell = (size_t)cy * (size_t)cols + (size_t)cx;
			if (!bits[cell])
				continue;
			int r = owner[cell] - 1;
			enum color_id c = (enum color_id)(COLOR_PLOT1 + r % PLOT_COLORS);
			if (braille)
				view_draw_char(v, legend + cy, ylab + 1 + cx, 0x2800 + bits[cell], '*', c);
			else
				view_draw_char(v, legend + cy, ylab + 1 + cx, markers_cp[r % 8], markers_ascii[r % 8], c);
		}
	/* x axis */
	int ay = legend + rows;
	view_draw_char(v, ay, ylab, tui.ascii ? '+' : 0x2514, '+', COLOR_AXIS);
	for (int cx = 0; cx < cols; cx++)
		view_draw_char(v, ay, ylab + 1 + cx, tui.ascii ? '-' : 0x2500, '-', COLOR_AXIS);
	double xs = nice_step(x1 - x0, cols / 12 > 1 ? cols / 12 : 1);
	if (!p->wall && xs < 1)
		xs = 1;
	double xbase = p->wall ? x0 : 0;
	int lastend = -1;
	for (double t = xbase + ceil((x0 - xbase) / xs) * xs; t <= x1 + xs * 1e-9; t += xs) {
		int col = ylab + 1 + pixel_x(p, t, x0, x1, W) / px;
		char lab[32];
		fmt_tick(p, t, 0, x0, lab, sizeof lab);
		int lw = (int)strlen(lab);
		int start = col - lw / 2;
		if (start <= lastend || start + lw > v->width)
			continue;
		view_draw_char(v, ay, col, tui.ascii ? '+' : 0x252c, '+', COLOR_AXIS);
		view_draw_text(v, ay + 1, start, lw, lab, COLOR_AXIS);
		lastend = start + lw;
	}
	free(bits);
	free(owner);
}

static const char *
plot_title(struct view *v)
{
	struct plot_priv *p = v->priv;
	char range[96] = "";
	if (p->lo != INT64_MIN)
		snprintf(range, sizeof range, "  steps %lld..%lld", (long long)p->lo, (long long)p->hi);
	snprintf(p->title, sizeof p->title, "[plot] %s vs %s%s%s%s%s",
		p->nkeys ? p->keys[p->key] : "-", p->wall ? "time" : "step", p->logy ? "  log-y" : "",
		p->smooth ? "  EMA " : "", p->smooth ? (p->smooth == 1 ? "0.6" : p->smooth == 2 ? "0.9" : "0.99") : "",
		range);
	return p->title;
}

static void
set_zoom(struct view *v, int64_t lo, int64_t hi, int push)
{
	struct plot_priv *p = v->priv;
	if (push && p->nzoom < MAX_ZOOM) {
		p->zlo[p->nzoom] = p->lo;
		p->zhi[p->nzoom] = p->hi;
		p->nzoom++;
	}
	p->lo = lo;
	p->hi = hi;
	p->loaded_cols = 0;
	v->dirty = 1;
}

/* The step extent shown now (the loaded grid when not zoomed). */
static void
current_range(struct plot_priv *p, int64_t *lo, int64_t *hi)
{
	*lo = p->lo != INT64_MIN ? p->lo : p->glo;
	*hi = p->lo != INT64_MIN ? p->hi : p->ghi;
}

static void
metric_chosen(struct view *target, long idx, const int *toggles, void *data)
{
	struct plot_priv *p = target->priv;
	(void)toggles;
	(void)data;
	if (idx >= 0 && (size_t)idx < p->nkeys) {
		p->key = (size_t)idx;
		p->loaded_cols = 0;
		target->dirty = 1;
	}
}

static enum request
plot_request(struct view *v, enum request req)
{
	struct plot_priv *p = v->priv;
	int64_t lo, hi;
	switch (req) {
	case REQ_TOGGLE_X: p->wall = !p->wall; break;
	case REQ_TOGGLE_LOGY: p->logy = !p->logy; break;
	case REQ_CYCLE_SMOOTH: p->smooth = (p->smooth + 1) % NSMOOTH; break;
	case REQ_TOGGLE_MARKERS: p->markers = !p->markers; break;
	case REQ_METRIC_NEXT:
	case REQ_METRIC_PREV:
		if (p->nkeys)
			p->key = (p->key + (req == REQ_METRIC_NEXT ? 1 : p->nkeys - 1)) % p->nkeys;
		break;
	case REQ_METRIC_CHOOSE:
	case REQ_ENTER: {
		struct list_spec spec = { .title = "[metrics] Enter plots the metric", .items = p->keys,
			.n = p->nkeys, .initial = p->key, .chosen = metric_chosen, .target = v };
		if (p->nkeys)
			open_list_view(&spec);
		return REQ_NONE;
	}
	case REQ_ZOOM_IN:
		current_range(p, &lo, &hi);
		if (hi - lo >= 4) {
			int64_t q = (hi - lo) / 4;
			set_zoom(v, lo + q, hi - q, 1);
		}
		return REQ_NONE;
	case REQ_ZOOM_OUT:
		if (p->nzoom) {
			p->nzoom--;
			set_zoom(v, p->zlo[p->nzoom], p->zhi[p->nzoom], 0);
		}
		return REQ_NONE;
	case REQ_ZOOM_RESET:
		p->nzoom = 0;
		set_zoom(v, INT64_MIN, INT64_MAX, 0);
		return REQ_NONE;
	case REQ_SCROLL_LEFT:
	case REQ_SCROLL_RIGHT:
		if (p->lo == INT64_MIN)
			return REQ_NONE;
		{
			int64_t q = (p->hi - p->lo) / 4 > 0 ? (p->hi - p->lo) / 4 : 1;
			if (req == REQ_SCROLL_LEFT)
				q = -q;
			set_zoom(v, p->lo + q, p->hi + q, 0);
		}
		return REQ_NONE;
	case REQ_REFRESH:
		p->loaded_cols = 0;
		break;
	default:
		return req;
	}
	p->loaded_cols = 0;
	v->dirty = 1;
	return REQ_NONE;
}

static int
plot_command(struct view *v, int argc, char **argv)
{
	struct plot_priv *p = v->priv;
	if (!strcmp(argv[0], "zoom")) {
		if (argc != 3) {
			tui_error("usage: zoom LO HI (steps)");
			return -1;
		}
		char *e1, *e2;
		long long lo = strtoll(argv[1], &e1, 10), hi = strtoll(argv[2], &e2, 10);
		if (*e1 || *e2 || hi < lo) {
			tui_error("zoom: LO and HI are step numbers with LO <= HI");
			return -1;
		}
		set_zoom(v, lo, hi, 1);
		return 0;
	}
	if (!strcmp(argv[0], "metric") && argc == 2) {
		for (size_t i = 0; i < p->nkeys; i++)
			if (!strcmp(p->keys[i], argv[1])) {
				p->key = i;
				p->loaded_cols = 0;
				return 0;
			}
		tui_error("no metric '%s' in these runs", argv[1]);
		return -1;
	}
	return -2;
}

static int
plot_tick(struct view *v)
{
	struct plot_priv *p = v->priv;
	/* live runs: re-read when the store changed (at most every tick) */
	if (bc_project_data_version(tui.p) != p->version) {
		p->loaded_cols = 0;
		p->version = bc_project_data_version(tui.p);
		return 1;
	}
	return 0;
}

static int
plot_open(struct view *v, const struct view_arg *arg)
{
	struct plot_priv *p = v->priv;
	p->lo = INT64_MIN;
	p->hi = INT64_MAX;
	p->markers = (int)tui.opt.plot_markers;
	/* without colours, braille lines of several runs look alike: use markers */
	if (!tui.colors && !tui.no_display && arg->nids > 1)
		p->markers = 1;
	snprintf(p->root, sizeof p->root, "%s", bc_project_root(tui.p));
	p->nruns = arg->nids < MAX_RUNS ? arg->nids : MAX_RUNS;
	if (arg->nids > MAX_RUNS)
		tui_status("plotting the first %d runs", MAX_RUNS);
	bc_run_list l = { .ids = arg->ids, .count = p->nruns };
	bc_run **runs = NULL;
	if (bc_run_load_many(tui.p, &l, &runs) == 0)
		for (size_t r = 0; r < p->nruns; r++)
			if (runs[r] && runs[r]->name)
				p->names[r] = strdup(runs[r]->name);
	if (runs)
		bc_run_free_many(runs, p->nruns);
	for (size_t r = 0; r < p->nruns; r++) {
		memcpy(p->ids[r], arg->ids[r], 33);
		char **k = NULL;
		size_t nk = 0;
		if (bc_metric_keys(tui.p, p->ids[r], &k, &nk) == 0) {
			for (size_t i = 0; i < nk; i++) {
				int seen = 0;
				for (size_t j = 0; j < p->nkeys && !seen; j++)
					seen = !strcmp(p->keys[j], k[i]);
				if (!seen) {
					char **nkeys = realloc(p->keys, (p->nkeys + 1) * sizeof *nkeys);
					if (!nkeys)
						break;
					p->keys = nkeys;
					p->keys[p->nkeys++] = strdup(k[i]);
				}
			}
			bc_strv_free(k, nk);
		}
	}
	for (size_t i = 0; arg->text && i < p->nkeys; i++)
		if (!strcmp(p->keys[i], arg->text))
			p->key = i;
	if (!arg->text)
		for (size_t i = 0; i < p->nkeys; i++)
			if (strstr(p->keys[i], "loss")) {
				p->key = i;
				break;
			}
	return 0;
}

static void
plot_done(struct view *v)
{
	struct plot_priv *p = v->priv;
	series_free(p);
	bc_project_free(p->db2);
	for (size_t r = 0; r < p->nruns; r++)
		free(p->names[r]);
	for (size_t i = 0; i < p->nkeys; i++)
		free(p->keys[i]);
	free(p->keys);
}

const struct view_ops view_plot_ops = {
	.name = "plot",
	.flags = VIEW_LIVE | VIEW_NO_SEARCH,
	.private_size = sizeof(struct plot_priv),
	.open = plot_open,
	.draw = plot_draw,
	.request = plot_request,
	.command = plot_command,
	.tick = plot_tick,
	.title = plot_title,
	.done = plot_done,
};
