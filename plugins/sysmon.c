/* SPDX-License-Identifier: MIT */
/*
 * sysmon: a run's resource usage (the `sys/` metric series recorded by
 * `bancada run`: sys/cpu_percent, sys/rss_mb, sys/gpu_percent...) as braille
 * line charts over wall-clock seconds, stacked, with last/mean/max.
 * Built only against bancada/plugin.h.
 *
 * Keys: j/k or Up/Down scroll the charts, n/N next/previous run of the
 * selection. Option (-o): points=N (downsampling budget, default 400).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bancada/plugin.h>

BC_PLUGIN_DEFINE_ABI;

#define MAX_SERIES 16
#define CHART_ROWS 8

struct sm {
	const struct bc_host_api *api;
	const bc_prun *const *runs;
	size_t nruns, cur;
	int first;              /* first chart shown */
	size_t points;
};

static const uint32_t colors[] = { BC_COLOR_CYAN, BC_COLOR_MAGENTA, BC_COLOR_GREEN,
	BC_COLOR_YELLOW, BC_COLOR_BLUE, BC_COLOR_RED };

static void *
sm_open(const struct bc_host_api *api, bc_host *h)
{
	struct sm *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->api = api;
	s->nruns = api->selection(h, &s->runs);
	const char *o = api->option(h, "points");
	s->points = o && atoi(o) >= 8 ? (size_t)atoi(o) : 400;
	return s;
}

static void
draw_chart(struct sm *s, bc_host *h, bc_canvas *c, const bc_prun *r, const char *key,
	int row, int rows, int cols, uint32_t color)
{
	struct bc_ppoint *pts = NULL;
	size_t n = 0;
	if (s->api->run_series(h, r, key, s->points, &pts, &n) < 0 || !n) {
		s->api->printf(c, row, 0, BC_ATTR_DIM, "%s: no points", key);
		s->api->free(pts);
		return;
	}
	double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
	double sum = 0, max = pts[0].value;
	int by_time = pts[0].wall_ms > 0;
	for (size_t i = 0; x && y && i < n; i++) {
		x[i] = by_time ? (double)(pts[i].wall_ms - pts[0].wall_ms) / 1000.0 : (double)pts[i].step;
		y[i] = pts[i].value;
		sum += pts[i].value;
		if (pts[i].value > max)
			max = pts[i].value;
	}
	char title[256];
	snprintf(title, sizeof title, "%s   last %.4g   mean %.4g   max %.4g   (x: %s)", key,
		pts[n - 1].value, sum / (double)n, max, by_time ? "seconds" : "step");
	struct bc_pseries ser = { key, x, y, n, color };
	if (x && y)
		s->api->line_chart(c, row, 0, rows, cols, &ser, 1, title);
	free(x);
	free(y);
	s->api->free(pts);
}

static void
sm_draw(void *st, bc_host *h, bc_canvas *c)
{
	struct sm *s = st;
	int rows, cols;
	s->api->canvas_size(c, &rows, &cols);
	if (!s->nruns) {
		s->api->text(c, 0, 0, -1, 0, "sysmon: no run selected");
		return;
	}
	const bc_prun *r = s->runs[s->cur];
	char name[128] = "", status[32] = "", dur[32] = "";
	s->api->run_field(h, r, "name", name, sizeof name);
	s->api->run_field(h, r, "status", status, sizeof status);
	s->api->run_field(h, r, "duration", dur, sizeof dur);
	int used = s->api->text(c, 0, 0, -1, BC_ATTR_BOLD, "sysmon: ");
	used += s->api->text(c, 0, used, -1, BC_ATTR_BOLD, name);
	s->api->printf(c, 0, used + 1, BC_ATTR_DIM, "%.12s  %s  %s  (run %zu of %zu)",
		s->api->run_id(r), status, dur, s->cur + 1, s->nruns);
	const char *keys[MAX_SERIES], *k;
	int nk = 0;
	for (size_t i = 0; (k = s->api->run_series_key(h, r, i)) && nk < MAX_SERIES; i++)
		if (!strncmp(k, "sys/", 4))
			keys[nk++] = k;
	if (!nk) {
		s->api->text(c, 2, 2, -1, 0, "this run has no sys/ series: `bancada run` records "
			"sys/cpu_percent and sys/rss_mb while the command runs");
		return;
	}
	int avail = rows - 2, per = avail / nk;
	if (per < CHART_ROWS)
		per = avail < CHART_ROWS ? avail : CHART_ROWS;
	if (s->first >= nk)
		s->first = nk - 1;
	int row = 2;
	for (int i = s->first; i < nk && row + per <= rows; i++, row += per)
		draw_chart(s, h, c, r, keys[i], row, per - 1, cols,
			colors[(size_t)i % (sizeof colors / sizeof *colors)]);
	if (s->first > 0 || row < rows - 1)
		s->api->printf(c, 1, 0, BC_ATTR_DIM, "charts %d-%d of %d  [j/k] scroll  [n/N] run",
			s->first + 1, s->first + (row - 2) / (per ? per : 1), nk);
	else
		s->api->text(c, 1, 0, -1, BC_ATTR_DIM, "[n/N] next/previous run");
}

static int
sm_key(void *st, bc_host *h, int key)
{
	struct sm *s = st;
	switch (key) {
	case 'j': case BC_KEY_DOWN: s->first++; break;
	case 'k': case BC_KEY_UP: if (s->first > 0) s->first--; break;
	case 'n': if (s->nruns) s->cur = (s->cur + 1) % s->nruns; s->first = 0; break;
	case 'N': if (s->nruns) s->cur = (s->cur + s->nruns - 1) % s->nruns; s->first = 0; break;
	default: return BC_KEY_IGNORED;
	}
	return BC_KEY_REDRAW;
}

static void
sm_close(void *st, bc_host *h)
{
	free(st);
}

int
bancada_plugin_init(const struct bc_host_api *api, struct bc_plugin *out)
{
	if (api->abi_major != BC_PLUGIN_ABI_MAJOR)
		return -1;
	out->name = "sysmon";
	out->description = "resource usage of a run (sys/ series) as charts";
	out->key = 'Y';
	out->input = BC_INPUT_MARKED;
	out->open = sm_open;
	out->draw = sm_draw;
	out->keypress = sm_key;
	out->close = sm_close;
	return 0;
}
