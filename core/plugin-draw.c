/* SPDX-License-Identifier: MIT */
/*
 * Canvas helpers for plugins: tables, horizontal bars, and braille line and
 * scatter charts (2x4 dots per cell). Sizes and counts coming from a plugin
 * are clamped; non-finite values are skipped.
 */
#include "config.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "plugin-int.h"

#define MAX_POINTS ((size_t)10 * 1000 * 1000)
#define MAX_SERIES 16
#define MAX_TABLE_COLS 64
#define MAX_TABLE_ROWS ((size_t)1000 * 1000)

/* Intersect a rectangle with the canvas (64-bit arithmetic); 0 when empty. */
int
bc_canvas_clip(const bc_canvas *c, int *row, int *col, int *rows, int *cols)
{
	if (!c)
		return 0;
	long long r0 = *row, c0 = *col, r1 = (long long)*row + *rows, c1 = (long long)*col + *cols;
	if (r0 < 0)
		r0 = 0;
	if (c0 < 0)
		c0 = 0;
	if (r1 > c->rows)
		r1 = c->rows;
	if (c1 > c->cols)
		c1 = c->cols;
	if (r1 <= r0 || c1 <= c0)
		return 0;
	*row = (int)r0;
	*col = (int)c0;
	*rows = (int)(r1 - r0);
	*cols = (int)(c1 - c0);
	return 1;
}

/* ---- tables ---- */

static int
api_table(bc_canvas *c, int row, int col, int rows, int cols, const struct bc_ptable *t)
{
	if (!t || !bc_canvas_clip(c, &row, &col, &rows, &cols))
		return 0;
	size_t ncols = t->ncols > MAX_TABLE_COLS ? MAX_TABLE_COLS : t->ncols;
	size_t nrows = t->nrows > MAX_TABLE_ROWS ? MAX_TABLE_ROWS : t->nrows;
	if (ncols == 0)
		return 0;
	int w[MAX_TABLE_COLS];
	int head = t->head != NULL;
	size_t first = t->first_row < nrows ? t->first_row : nrows;
	size_t visible = (size_t)(rows - head);
	for (size_t k = 0; k < ncols; k++) {
		w[k] = head ? bc_canvas_measure(c, t->head[k]) : 0;
		for (size_t r = first; r < nrows && r < first + visible; r++) {
			int cw = bc_canvas_measure(c, t->cells ? t->cells[r * t->ncols + k] : NULL);
			if (cw > w[k])
				w[k] = cw;
		}
		if (w[k] > 40)
			w[k] = 40;
	}
	int drawn = 0;
	for (int line = 0; line < rows; line++) {
		size_t r = first + (size_t)(line - head);
		if (line >= head && r >= nrows)
			break;
		int is_head = line < head;
		uint32_t attr = is_head ? BC_ATTR_BOLD | BC_ATTR_UNDERLINE : 0;
		if (!is_head && t->selected >= 0 && (size_t)t->selected == r) {
			attr |= BC_ATTR_REVERSE;
			bc_canvas_fill(c, row + line, col, 1, cols, ' ', attr);
		}
		int x = 0;
		for (size_t k = 0; k < ncols && x < cols; k++) {
			const char *s = is_head ? t->head[k] : t->cells ? t->cells[r * t->ncols + k] : NULL;
			int avail = cols - x < w[k] ? cols - x : w[k];
			int sw = bc_canvas_measure(c, s);
			int pad = t->right && t->right[k] && sw < avail ? avail - sw : 0;
			if (s)
				bc_canvas_text(c, row + line, col + x + pad, avail - pad, attr, s);
			x += w[k] + 2;
		}
		drawn++;
	}
	return drawn;
}

/* ---- bars ---- */

static int
api_bars(bc_canvas *c, int row, int col, int rows, int cols, const char *const *labels,
	const double *values, size_t n, uint32_t attr)
{
	if (!values || !bc_canvas_clip(c, &row, &col, &rows, &cols))
		return 0;
	if (n > (size_t)rows)
		n = (size_t)rows;
	int lw = 0;
	double max = 0;
	for (size_t i = 0; i < n; i++) {
		int w = labels ? bc_canvas_measure(c, labels[i]) : 0;
		if (w > lw)
			lw = w;
		if (isfinite(values[i]) && fabs(values[i]) > max)
			max = fabs(values[i]);
	}
	if (lw > cols / 3)
		lw = cols / 3;
	int vw = 10;
	int bw = cols - lw - vw - 2;
	for (size_t i = 0; i < n; i++) {
		int r = row + (int)i;
		if (labels)
			bc_canvas_text(c, r, col, lw, 0, labels[i]);
		char num[32];
		snprintf(num, sizeof num, "%.4g", values[i]);
		if (bw > 0 && isfinite(values[i]) && max > 0) {
			double len = fabs(values[i]) / max * bw;
			int full = (int)len;
			uint32_t a = values[i] < 0 ? (attr & ~BC_ATTR_COLOR_MASK) | BC_COLOR_RED : attr;
			bc_canvas_fill(c, r, col + lw + 1, 1, full, c->ascii ? '#' : 0x2588, a);
			int eighth = (int)((len - full) * 8);
			if (eighth > 0 && !c->ascii)
				bc_canvas_put(c, r, col + lw + 1 + full, 0x2590 - (uint32_t)eighth, a);
		}
		bc_canvas_text(c, r, col + cols - vw, vw, BC_ATTR_DIM, num);
	}
	return (int)n;
}

/* ---- braille plots ---- */

struct dots {
	int w, h;               /* in dots */
	unsigned char *bits;    /* per cell */
	uint32_t *attr;         /* per cell */
	int cols;
};

static void
dot_set(struct dots *d, long x, long y, uint32_t attr)
{
	static const unsigned char bit[4][2] = {
		{ 0x01, 0x08 }, { 0x02, 0x10 }, { 0x04, 0x20 }, { 0x40, 0x80 },
	};
	if (x < 0 || y < 0 || x >= d->w || y >= d->h)
		return;
	size_t cell = (size_t)(y / 4) * (size_t)d->cols + (size_t)(x / 2);
	d->bits[cell] |= bit[y % 4][x % 2];
	d->attr[cell] = attr;
}

static void
dot_line(struct dots *d, long x0, long y0, long x1, long y1, uint32_t attr)
{
	long dx = labs(x1 - x0), dy = -labs(y1 - y0);
	long sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
	for (int guard = 0; guard < 100000; guard++) {
		dot_set(d, x0, y0, attr);
		if (x0 == x1 && y0 == y1)
			break;
		long e2 = 2 * err;
		if (e2 >= dy) {
			err += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			err += dx;
			y0 += sy;
		}
	}
}

struct range {
	double lo, hi;
};

static void
range_add(struct range *r, double v)
{
	if (!isfinite(v))
		return;
	if (v < r->lo)
		r->lo = v;
	if (v > r->hi)
		r->hi = v;
}

static void
range_fix(struct range *r)
{
	if (r->lo > r->hi) {
		r->lo = 0;
		r->hi = 1;
	} else if (r->lo == r->hi) {
		double pad = r->lo == 0 ? 1 : fabs(r->lo) * 0.05;
		r->lo -= pad;
		r->hi += pad;
	}
}

/*
 * Draw axes and the dot grid for `nseries` series; lines when `lines`.
 * Layout: optional title row, plot rows, an x-axis row, a legend row.
 */
static int
plot(bc_canvas *c, int row, int col, int rows, int cols, const struct bc_pseries *s,
	size_t nseries, const char *title, const char *xlabel, const char *ylabel, int lines)
{
	if (!s || !bc_canvas_clip(c, &row, &col, &rows, &cols))
		return -1;
	if (nseries > MAX_SERIES)
		nseries = MAX_SERIES;
	struct range xr = { INFINITY, -INFINITY }, yr = { INFINITY, -INFINITY };
	size_t finite = 0;
	for (size_t k = 0; k < nseries; k++) {
		size_t n = s[k].n > MAX_POINTS ? MAX_POINTS : s[k].n;
		for (size_t i = 0; s[k].y && i < n; i++) {
			double x = s[k].x ? s[k].x[i] : (double)i;
			if (!isfinite(x) || !isfinite(s[k].y[i]))
				continue;
			range_add(&xr, x);
			range_add(&yr, s[k].y[i]);
			finite++;
		}
	}
	int top = row;
	if (title && *title && rows > 1) {
		bc_canvas_text(c, top, col, cols, BC_ATTR_BOLD, title);
		top++;
	}
	if (!finite) {
		bc_canvas_text(c, top, col, cols, BC_ATTR_DIM, "(no data)");
		return -1;
	}
	range_fix(&xr);
	range_fix(&yr);
	char ylo[32], yhi[32], xlo[32], xhi[32];
	snprintf(yhi, sizeof yhi, "%.4g", yr.hi);
	snprintf(ylo, sizeof ylo, "%.4g", yr.lo);
	snprintf(xlo, sizeof xlo, "%.4g", xr.lo);
	snprintf(xhi, sizeof xhi, "%.4g", xr.hi);
	int lw = (int)(strlen(yhi) > strlen(ylo) ? strlen(yhi) : strlen(ylo));
	int prows = row + rows - top - 2, pcols = cols - lw - 1;
	if (prows < 1 || pcols < 2)
		return -1;
	int px = col + lw + 1;
	struct dots d = { pcols * 2, prows * 4, NULL, NULL, pcols };
	d.bits = calloc((size_t)prows * (size_t)pcols, 1);
	d.attr = calloc((size_t)prows * (size_t)pcols, sizeof *d.attr);
	if (!d.bits || !d.attr) {
		free(d.bits);
		free(d.attr);
		return -1;
	}
	for (size_t k = 0; k < nseries; k++) {
		size_t n = s[k].n > MAX_POINTS ? MAX_POINTS : s[k].n;
		long lx = 0, ly = 0;
		int have = 0;
		for (size_t i = 0; s[k].y && i < n; i++) {
			double x = s[k].x ? s[k].x[i] : (double)i, y = s[k].y[i];
			if (!isfinite(x) || !isfinite(y)) {
				have = 0;
				continue;
			}
			long dx = lround((x - xr.lo) / (xr.hi - xr.lo) * (d.w - 1));
			long dy = lround((yr.hi - y) / (yr.hi - yr.lo) * (d.h - 1));
			if (lines && have)
				dot_line(&d, lx, ly, dx, dy, s[k].attr);
			else
				dot_set(&d, dx, dy, s[k].attr);
			lx = dx;
			ly = dy;
			have = 1;
		}
	}
	for (int r = 0; r < prows; r++)
		for (int k = 0; k < pcols; k++) {
			size_t i = (size_t)r * (size_t)pcols + (size_t)k;
			if (d.bits[i])
				bc_canvas_put(c, top + r, px + k, 0x2800u + d.bits[i], d.attr[i]);
		}
	free(d.bits);
	free(d.attr);
	/* axes */
	bc_canvas_text(c, top, col, lw, BC_ATTR_DIM, yhi);
	bc_canvas_text(c, top + prows - 1, col, lw, BC_ATTR_DIM, ylo);
	bc_canvas_fill(c, top, px - 1, prows, 1, c->ascii ? '|' : 0x2502, BC_ATTR_DIM);
	int axis = top + prows;
	bc_canvas_fill(c, axis, px, 1, pcols, c->ascii ? '-' : 0x2500, BC_ATTR_DIM);
	bc_canvas_put(c, axis, px - 1, c->ascii ? '+' : 0x2514, BC_ATTR_DIM);
	bc_canvas_text(c, axis + 1, px, pcols / 2, BC_ATTR_DIM, xlo);
	int xw = (int)strlen(xhi);
	bc_canvas_text(c, axis + 1, px + pcols - xw, xw, BC_ATTR_DIM, xhi);
	/* legend or axis labels, centred on the x labels row */
	int lx = px + (int)strlen(xlo) + 2, lend = px + pcols - xw - 2;
	if (xlabel || ylabel) {
		char lab[256];
		snprintf(lab, sizeof lab, "x: %s   y: %s", xlabel ? xlabel : "", ylabel ? ylabel : "");
		bc_canvas_text(c, axis + 1, lx, lend - lx, 0, lab);
	} else {
		for (size_t k = 0; k < nseries && lx < lend; k++) {
			if (!s[k].label)
				continue;
			lx += bc_canvas_text(c, axis + 1, lx, lend - lx, s[k].attr, c->ascii ? "*" : "\u28ff");
			lx += bc_canvas_text(c, axis + 1, lx + 1, lend - lx - 1, 0, s[k].label) + 3;
		}
	}
	return 0;
}

static int
api_line_chart(bc_canvas *c, int row, int col, int rows, int cols,
	const struct bc_pseries *series, size_t nseries, const char *title)
{
	return plot(c, row, col, rows, cols, series, nseries, title, NULL, NULL, 1);
}

static int
api_scatter(bc_canvas *c, int row, int col, int rows, int cols, const double *x,
	const double *y, size_t n, uint32_t attr, const char *xlabel, const char *ylabel)
{
	struct bc_pseries s = { NULL, x, y, n, attr };
	if (!x || !y)
		return -1;
	return plot(c, row, col, rows, cols, &s, 1, NULL, xlabel ? xlabel : "",
		ylabel ? ylabel : "", 0);
}

/* Install the table, bar and chart members of the host table. */
void
bc_host_api_fill_draw(struct bc_host_api *api)
{
	api->table = api_table;
	api->bars = api_bars;
	api->line_chart = api_line_chart;
	api->scatter = api_scatter;
}
