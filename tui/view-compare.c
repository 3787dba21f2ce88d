/* SPDX-License-Identifier: MIT */
/*
 * The compare view: one column per run, one row per attribute, param and
 * metric summary. Only rows that differ are shown by default (= shows all),
 * differing values are highlighted, ] and [ jump between differing rows, and
 * numbers show their delta against the first run.
 */
#include "config.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

struct crow {
	char *field;
	int differs;
};

struct compare_priv {
	bc_run **runs;
	size_t nruns;
	struct crow *rows;
	size_t nrows;
	size_t *shown;           /* indices into rows */
	size_t nshown;
	int all;
	int label_w;
	char title[256];
};

static void
row_add(struct compare_priv *c, const char *field)
{
	for (size_t i = 0; i < c->nrows; i++)
		if (!strcmp(c->rows[i].field, field))
			return;
	struct crow *nr = realloc(c->rows, (c->nrows + 1) * sizeof *nr);
	if (!nr)
		return;
	c->rows = nr;
	c->rows[c->nrows].field = strdup(field);
	c->rows[c->nrows].differs = 0;
	c->nrows++;
}

static int
crow_cmp(const void *a, const void *b)
{
	const struct crow *x = a, *y = b;
	int px = !strncmp(x->field, "params.", 7), py = !strncmp(y->field, "params.", 7);
	if (px != py)
		return py - px;   /* params first */
	return strcmp(x->field, y->field);
}

static void
value_of(const bc_run *r, const char *field, char *buf, size_t size)
{
	if (bc_run_field(r, field, buf, size) != 0)
		buf[0] = 0;
}

static void
rebuild_shown(struct view *v)
{
	struct compare_priv *c = v->priv;
	c->nshown = 0;
	for (size_t i = 0; i < c->nrows; i++)
		if (c->all || c->rows[i].differs)
			c->shown[c->nshown++] = i;
	v->lines = (long)c->nshown;
	view_goto(v, v->lineno);
}

static int
compare_open(struct view *v, const struct view_arg *arg)
{
	struct compare_priv *c = v->priv;
	if (arg->nids < 2) {
		tui_error("compare needs at least two runs");
		return -1;
	}
	bc_run_list l = { .ids = arg->ids, .count = arg->nids };
	if (bc_run_load_many(tui.p, &l, &c->runs) < 0) {
		tui_error("%s", bc_errmsg(tui.p));
		return -1;
	}
	c->nruns = arg->nids;
	static const char *const base[] = { "name", "status", "started", "duration", "commit", "branch",
		"host", "exit", "tags" };
	for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
		row_add(c, base[i]);
	size_t nbase = c->nrows;
	for (size_t r = 0; r < c->nruns; r++) {
		bc_run *run = c->runs[r];
		char f[600];
		for (size_t k = 0; k < run->nparams; k++) {
			snprintf(f, sizeof f, "params.%s", run->params[k].key);
			row_add(c, f);
		}
		for (size_t k = 0; k < run->nmetrics; k++) {
			static const char *const sub[] = { "last", "min", "max" };
			for (int s = 0; s < 3; s++) {
				snprintf(f, sizeof f, "metrics.%s.%s", run->metrics[k].key, sub[s]);
				row_add(c, f);
			}
		}
	}
	qsort(c->rows + nbase, c->nrows - nbase, sizeof *c->rows, crow_cmp);
	c->label_w = 10;
	for (size_t i = 0; i < c->nrows; i++) {
		char first[512], cur[512];
		value_of(c->runs[0], c->rows[i].field, first, sizeof first);
		for (size_t r = 1; r < c->nruns; r++) {
			value_of(c->runs[r], c->rows[i].field, cur, sizeof cur);
			if (strcmp(first, cur) && strcmp(c->rows[i].field, "started") &&
			    strcmp(c->rows[i].field, "duration"))
				c->rows[i].differs = 1;
		}
		if (!strcmp(c->rows[i].field, "started") || !strcmp(c->rows[i].field, "duration"))
			c->rows[i].differs = 0;
		int w = bc_text_width(c->rows[i].field);
		if (w > c->label_w)
			c->label_w = w < 32 ? w : 32;
	}
	c->shown = calloc(c->nrows + 1, sizeof(size_t));
	v->header_rows = 1;
	rebuild_shown(v);
	size_t nd = 0;
	for (size_t i = 0; i < c->nrows; i++)
		nd += (size_t)c->rows[i].differs;
	tui_status("%zu of %zu rows differ (= shows all, ] and [ jump)", nd, c->nrows);
	return 0;
}

static int
col_width(struct view *v)
{
	struct compare_priv *c = v->priv;
	int avail = v->width - c->label_w - 1;
	int w = avail / (int)c->nruns - 1;
	if (w > 26)
		w = 26;
	if (w < 12)
		w = 12;
	return w;
}

static void
compare_draw_header(struct view *v)
{
	struct compare_priv *c = v->priv;
	int w = col_width(v);
	view_draw_fill(v, 0, 0, v->width, COLOR_HEADER);
	view_draw_text(v, 0, 0, c->label_w, c->all ? "all rows" : "differing rows", COLOR_HEADER);
	int x = c->label_w + 1;
	for (size_t r = (size_t)v->hscroll; r < c->nruns && x < v->width; r++) {
		char sid[40], label[300];
		run_short_id(c->runs[r]->id, sid, sizeof sid);
		snprintf(label, sizeof label, "%s %s", sid, c->runs[r]->name ? c->runs[r]->name : "");
		view_draw_text(v, 0, x, w, label, COLOR_HEADER);
		x += w + 1;
	}
}

static void
compare_draw_line(struct view *v, long lineno, int y, int selected)
{
	struct compare_priv *c = v->priv;
	struct crow *row = &c->rows[c->shown[lineno]];
	int w = col_width(v);
	if (selected)
		view_draw_fill(v, y, 0, v->width, COLOR_CURSOR);
	enum color_id lc = selected ? COLOR_CURSOR : row->differs ? COLOR_DIFFERS : COLOR_DEFAULT;
	view_draw_text(v, y, 0, c->label_w, row->field, lc);
	char first[512];
	value_of(c->runs[0], row->field, first, sizeof first);
	double f0 = NAN;
	int num0 = bc_run_field_num(c->runs[0], row->field, &f0) == 0 && strncmp(row->field, "started", 7) &&
		!strncmp(row->field, "metrics.", 8) + !strncmp(row->field, "params.", 7);
	int x = c->label_w + 1;
	for (size_t r = (size_t)v->hscroll; r < c->nruns && x < v->width; r++) {
		char val[512], cell[600];
		value_of(c->runs[r], row->field, val, sizeof val);
		int differs = r > 0 && strcmp(val, first);
		snprintf(cell, sizeof cell, "%s", val[0] ? val : "-");
		double fv;
		enum color_id dc = COLOR_DEFAULT;
		if (r > 0 && num0 && bc_run_field_num(c->runs[r], row->field, &fv) == 0 && isfinite(fv) &&
		    isfinite(f0) && fv != f0) {
			char d[64];
			fmt_num(fv - f0, d, sizeof d);
			snprintf(cell, sizeof cell, "%s (%s%s)", val, fv > f0 ? "+" : "", d);
			dc = fv > f0 ? COLOR_DELTA_UP : COLOR_DELTA_DOWN;
		}
		enum color_id color = selected ? COLOR_CURSOR : differs ? (dc != COLOR_DEFAULT ? dc : COLOR_DIFFERS) : COLOR_DEFAULT;
		int right = num0;
		if (right)
			view_draw_text_right(v, y, x, w, cell, color);
		else
			view_draw_text(v, y, x, w, cell, color);
		x += w + 1;
	}
}

static enum request
compare_request(struct view *v, enum request req)
{
	struct compare_priv *c = v->priv;
	switch (req) {
	case REQ_TOGGLE_ALL: {
		size_t keep = c->nshown ? c->shown[v->lineno < (long)c->nshown ? v->lineno : 0] : 0;
		c->all = !c->all;
		rebuild_shown(v);
		for (size_t i = 0; i < c->nshown; i++)
			if (c->shown[i] >= keep) {
				view_goto(v, (long)i);
				break;
			}
		tui_status(c->all ? "showing all %zu rows" : "showing the %zu differing rows", c->nshown);
		return REQ_NONE;
	}
	case REQ_NEXT_DIFF:
	case REQ_PREV_DIFF: {
		int dir = req == REQ_NEXT_DIFF ? 1 : -1;
		for (long l = v->lineno + dir; l >= 0 && l < (long)c->nshown; l += dir)
			if (c->rows[c->shown[l]].differs) {
				view_goto(v, l);
				return REQ_NONE;
			}
		tui_status("no more differing rows");
		return REQ_NONE;
	}
	case REQ_SCROLL_LEFT:
		if (v->hscroll > 0)
			v->hscroll--;
		v->dirty = 1;
		return REQ_NONE;
	case REQ_SCROLL_RIGHT:
		if ((size_t)v->hscroll + 1 < c->nruns)
			v->hscroll++;
		v->dirty = 1;
		return REQ_NONE;
	case REQ_ENTER:
	case REQ_PLOT:
		if (v->lines && !strncmp(c->rows[c->shown[v->lineno]].field, "metrics.", 8)) {
			char key[512];
			snprintf(key, sizeof key, "%s", c->rows[c->shown[v->lineno]].field + 8);
			char *dot = strrchr(key, '.');
			if (dot)
				*dot = 0;
			char (*ids)[33] = malloc(c->nruns * 33);
			for (size_t r = 0; r < c->nruns; r++)
				memcpy(ids[r], c->runs[r]->id, 33);
			open_plot_view(ids, c->nruns, key);
			free(ids);
		} else if (req == REQ_PLOT) {
			char (*ids)[33] = malloc(c->nruns * 33);
			for (size_t r = 0; r < c->nruns; r++)
				memcpy(ids[r], c->runs[r]->id, 33);
			open_plot_view(ids, c->nruns, NULL);
			free(ids);
		}
		return REQ_NONE;
	default:
		return req;
	}
}

static const char *
compare_line_text(struct view *v, long lineno)
{
	struct compare_priv *c = v->priv;
	return c->rows[c->shown[lineno]].field;
}

static const char *
compare_title(struct view *v)
{
	struct compare_priv *c = v->priv;
	snprintf(c->title, sizeof c->title, "[compare] %zu runs", c->nruns);
	return c->title;
}

static void
compare_done(struct view *v)
{
	struct compare_priv *c = v->priv;
	if (c->runs)
		bc_run_free_many(c->runs, c->nruns);
	for (size_t i = 0; i < c->nrows; i++)
		free(c->rows[i].field);
	free(c->rows);
	free(c->shown);
}

const struct view_ops view_compare_ops = {
	.name = "compare",
	.private_size = sizeof(struct compare_priv),
	.open = compare_open,
	.draw_header = compare_draw_header,
	.draw_line = compare_draw_line,
	.request = compare_request,
	.line_text = compare_line_text,
	.title = compare_title,
	.done = compare_done,
};
