/* SPDX-License-Identifier: MIT */
/*
 * The plot view: one metric against step (or wall time) for several runs,
 * in braille dots (2x4 per cell) or one marker per run. Series are read at
 * full resolution for the visible step range and downsampled to the pixel
 * columns with bc_metric_downsample (first/min/max/last per bucket), then
 * joined by line segments, so a one-step spike always reaches the screen.
 */
#include "config.h"
#include <math.h>
#include <stdint.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

#define MAX_RUNS 16
#define MAX_ZOOM 32

struct series {
	bc_point *pts;       /* downsampled, smoothed */
	size_t n;
	size_t raw_n;
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
		p->s[r].n = p->s[r].raw_n = 0;
	}
	p->loaded_cols = 0;
}

/* Read every run's series for the current metric and range at full
 * resolution, smooth, and downsample to `cols` pixel columns. */
static void
load_series(struct plot_priv *p, int cols)
{
	series_free(p);
	p->version = bc_project_data_version(tui.p);
	if (!p->nkeys)
		return;
	const char *key = p->keys[p->key];
	for (size_t r = 0; r < p->nruns; r++) {
		bc_point *raw = NULL;
		size_t n = 0;
		if (!p->smooth && !p->wall) {
			/* stream the chunks into first/min/max/last per pixel column */
			size_t buckets = cols > 0 ? (size_t)cols : 1;
			bc_point *ds = malloc((buckets * 4 + 4) * sizeof *ds);
			size_t m = 0;
			if (ds && bc_metric_series_reduced(tui.p, p->ids[r], key, p->lo, p->hi, buckets, ds, &m) == 0) {
				p->s[r].pts = ds;
				p->s[r].n = m;
				p->s[r].raw_n = 0;
				continue;
			}
			free(ds);
		}
		if (bc_metric_series(tui.p, p->ids[r], key, p->lo, p->hi, &raw, &n) < 0 || !n) {
			free(raw);
			continue;
		}
		double a = smooth_levels[p->smooth];
		if (a > 0) {
			double ema = NAN;
			for (size_t i = 0; i < n; i++) {
				if (!isfinite(raw[i].value))
					continue;
				ema = isnan(ema) ? raw[i].value : a * ema + (1 - a) * raw[i].value;
				raw[i].value = ema;
			}
		}
		size_t buckets = cols > 0 ? (size_t)cols : 1;
		bc_point *ds = malloc((buckets * 4 + 4) * sizeof *ds);
		if (ds) {
			if (p->wall) {
				/* bucket by wall time: swap step and wall, downsample, swap back */
				for (size_t i = 0; i < n; i++) {
					int64_t t = raw[i].step;
					raw[i].step = raw[i].wall_ms;
					raw[i].wall_ms = t;
				}
			}
			size_t m = bc_metric_downsample(raw, n, buckets, ds);
			if (p->wall)
				for (size_t i = 0; i < m; i++) {
					int64_t t = ds[i].step;
					ds[i].step = ds[i].wall_ms;
					ds[i].wall_ms = t;
				}
			p->s[r].pts = ds;
			p->s[r].n = m;
			p->s[r].raw_n = n;
		}
		free(raw);
	}
	p->loaded_cols = cols;
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
	if (fabs(v) >= 1e5 || (fabs(v) < 1e-3 && v != 0))
		snprintf(buf, size, "%.2g", v);
	else
		snprintf(buf, size, "%.4g", v);
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
	if (!p->wall && p->lo != INT64_MIN) {
		x0 = (double)p->lo;
		x1 = (double)p->hi;
	}
	if (x1 <= x0)
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
			double xf = (xval(p, &p->s[r].pts[i]) - x0) / (x1 - x0);
			int X = (int)lround(xf * (W - 1)), Y = (int)lround((y1 - y) / (y1 - y0) * (H - 1));
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
		int col = ylab + 1 + (int)lround((t - x0) / (x1 - x0) * (cols - 1));
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
	size_t pts = 0;
	for (size_t r = 0; r < p->nruns; r++)
		pts += p->s[r].raw_n;
	char npts[48] = "";
	if (pts)
		snprintf(npts, sizeof npts, "  %zu points", pts);
	snprintf(p->title, sizeof p->title, "[plot] %s vs %s%s%s%s%s%s",
		p->nkeys ? p->keys[p->key] : "-", p->wall ? "time" : "step", p->logy ? "  log-y" : "",
		p->smooth ? "  EMA " : "", p->smooth ? (p->smooth == 1 ? "0.6" : p->smooth == 2 ? "0.9" : "0.99") : "",
		npts, range);
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

/* The step extent shown now (data extent when not zoomed). */
static void
current_range(struct plot_priv *p, int64_t *lo, int64_t *hi)
{
	if (p->lo != INT64_MIN) {
		*lo = p->lo;
		*hi = p->hi;
		return;
	}
	*lo = INT64_MAX;
	*hi = INT64_MIN;
	for (size_t r = 0; r < p->nruns; r++)
		for (size_t i = 0; i < p->s[r].n; i++) {
			if (p->s[r].pts[i].step < *lo) *lo = p->s[r].pts[i].step;
			if (p->s[r].pts[i].step > *hi) *hi = p->s[r].pts[i].step;
		}
	if (*lo > *hi)
		*lo = *hi = 0;
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
	/* big series: map the file instead of copying it page by page (while plotting) */
	sqlite3_exec(bc_project_db(tui.p), "PRAGMA mmap_size=1073741824", NULL, NULL, NULL);
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
	sqlite3_exec(bc_project_db(tui.p), "PRAGMA mmap_size=0", NULL, NULL, NULL);
	series_free(p);
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
