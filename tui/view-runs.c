/* SPDX-License-Identifier: MIT */
/*
 * The runs view: a table of runs, newest first. Only ids are queried for
 * the whole list (bc_run_query_ids); records are loaded for the rows on
 * screen and evicted when far away, so 100,000 runs cost a few MB. Columns
 * are the fixed ones plus params/metrics that vary across the shown runs.
 */
#include "config.h"
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"
#include "runs.h"


static void
runs_draw_header(struct view *v)
{
	struct runs_priv *r = v->priv;
	if (r->partial)
		runs_need(v, v->offset, v->offset + v->height);
	/* widths come from the rows on screen: load them first */
	cache_ensure(r, v->offset, v->offset + v->height);
	fit_widths(r, v);
	if (!r->list.count) {
		const char *f = tui.opt.filter_s && *tui.opt.filter_s ? tui.opt.filter_s : NULL;
		view_draw_text(v, 2, 2, v->width - 2, f ? "No run matches the filter: / edits it, :filter clears it." :
			"No runs yet: record one with  bancada run -- python train.py  (or try  bancada demo).",
			COLOR_DIM);
	}
	view_draw_fill(v, 0, 0, v->width, COLOR_HEADER);
	size_t vis[256];
	size_t n = visible_cols(r, vis, 256);
	int x = 2;
	for (size_t i = 0; i < n && x < v->width; i++) {
		struct column *c = &r->cols[vis[i]];
		char label[256];
		const char *sort = tui.opt.sort_s ? tui.opt.sort_s : "";
		const char *arrow = "";
		if (*sort && !strcmp(sort + (*sort == '-'), c->field))
			arrow = *sort == '-' ? (tui.ascii ? "v" : "\xe2\x96\xbc") : (tui.ascii ? "^" : "\xe2\x96\xb2");
		snprintf(label, sizeof label, "%s%s", col_label(c->field), arrow);
		enum color_id color = vis[i] == r->curcol ? COLOR_SELECTED_COL : COLOR_HEADER;
		if (c->right)
			view_draw_text_right(v, 0, x, c->width, label, color);
		else
			view_draw_text(v, 0, x, c->width, label, color);
		x += c->width + 1;
	}
}

static void
runs_draw_line(struct view *v, long lineno, int y, int selected)
{
	struct runs_priv *r = v->priv;
	long page = v->height - v->header_rows;
	if (!row_known(r, lineno))
		runs_need(v, lineno, lineno + 1);
	if (!row_known(r, lineno))
		return;
	if (!r->cache[lineno])
		cache_ensure(r, v->offset, v->offset + (page > 0 ? page : 1));
	bc_run *run = r->cache[lineno];
	if (!run)
		return;
	int marked = is_marked(r, run->id);
	if (selected)
		view_draw_fill(v, y, 0, v->width, COLOR_CURSOR);
	if (marked)
		view_draw_text(v, y, 0, 2, tui.ascii ? "* " : "\xe2\x96\xb6 ", selected ? COLOR_CURSOR : COLOR_MARKED);
	size_t vis[256];
	size_t n = visible_cols(r, vis, 256);
	int x = 2;
	for (size_t i = 0; i < n && x < v->width; i++) {
		struct column *c = &r->cols[vis[i]];
		char buf[1024];
		cell_text(run, c->field, buf, sizeof buf);
		enum color_id color = COLOR_DEFAULT;
		if (selected)
			color = COLOR_CURSOR;
		else if (!strcmp(c->field, "status"))
			color = status_color(run->status);
		else if (!strcmp(c->field, "id"))
			color = COLOR_ID;
		else if (!strcmp(c->field, "started"))
			color = COLOR_DATE;
		else if (marked)
			color = COLOR_MARKED;
		if (c->right)
			view_draw_text_right(v, y, x, c->width, buf, color);
		else
			view_draw_text(v, y, x, c->width, buf, color);
		x += c->width + 1;
	}
}

static int
runs_open(struct view *v, const struct view_arg *arg)
{
	struct runs_priv *r = v->priv;
	v->header_rows = 1;
	/* SQLite's default page cache (2 MB) on purpose: windows sorted by a
	 * metric read pages all over the store, and a larger cache fills with
	 * fresh memory, whose page faults cost more than reading the pages again
	 * from the OS cache (a first sort on 100,000 runs took 90 ms with 16 MB,
	 * 19 ms with 2 MB) */
	int errpos = -1;
	if (runs_query(v, &errpos) < 0) {
		char err[512];
		snprintf(err, sizeof err, "%s", bc_errmsg(tui.p));
		/* a bad saved filter should not lock the user out */
		char e2[64];
		option_set("filter", "", e2, sizeof e2);
		if (runs_query(v, NULL) < 0) {
			tui_error("cannot list runs: %s", bc_errmsg(tui.p));
			return -1;
		}
		tui_error("filter ignored: %s", err);
	}
	choose_columns(r, v);
	return 0;
}

static const char *
runs_title(struct view *v)
{
	struct runs_priv *r = v->priv;
	const char *f = tui.opt.filter_s && *tui.opt.filter_s ? tui.opt.filter_s : NULL;
	/* the title is drawn last: the screen is painted, fetch the rest now */
	if (r->bg_wanted) {
		r->bg_wanted = 0;
		bg_start(r);
	}
	long n = r->total >= 0 ? r->total : (long)r->list.count;
	int o = snprintf(r->title, sizeof r->title, "[runs] %ld%s run%s", n,
		r->total < 0 ? "+" : "", n == 1 ? "" : "s");
	if (r->nmarked && o > 0 && (size_t)o < sizeof r->title)
		o += snprintf(r->title + o, sizeof r->title - (size_t)o, ", %zu marked", r->nmarked);
	if (f && o > 0 && (size_t)o < sizeof r->title)
		snprintf(r->title + o, sizeof r->title - (size_t)o, "  filter: %s", f);
	return r->title;
}

/* Set the filter; on a syntax error *errpos is the byte offset. */
int
runs_set_filter(struct view *v, const char *expr, int *errpos)
{
	char old[4096], err[128];
	snprintf(old, sizeof old, "%s", tui.opt.filter_s ? tui.opt.filter_s : "");
	option_set("filter", expr, err, sizeof err);
	if (runs_query(v, errpos) < 0) {
		option_set("filter", old, err, sizeof err);
		return -1;
	}
	choose_columns(v->priv, v);
	return 0;
}

int
runs_set_sort(struct view *v, const char *sort)
{
	char old[1024], err[128];
	snprintf(old, sizeof old, "%s", tui.opt.sort_s ? tui.opt.sort_s : "");
	option_set("sort", sort, err, sizeof err);
	if (runs_query(v, NULL) < 0) {
		tui_error("%s", bc_errmsg(tui.p));
		option_set("sort", old, err, sizeof err);
		return -1;
	}
	return 0;
}

static void
filter_prompt(struct view *v)
{
	char buf[4096];
	int errpos = -1;
	char errmsg[512] = "";
	snprintf(buf, sizeof buf, "%s", tui.opt.filter_s ? tui.opt.filter_s : "");
	for (;;) {
		if (!prompt_read("filter: ", buf, errpos, errpos >= 0 ? errmsg : NULL, buf, sizeof buf))
			return;
		errpos = -1;
		if (runs_set_filter(v, buf, &errpos) == 0) {
			struct runs_priv *r = v->priv;
			if (r->total >= 0)
				tui_status("%ld run%s match", r->total, r->total == 1 ? "" : "s");
			else
				r->announce = 1;   /* said when the worker has counted */
			return;
		}
		snprintf(errmsg, sizeof errmsg, "%s", bc_errmsg(tui.p));
		if (errpos < 0) {
			tui_error("%s", errmsg);
			return;
		}
		if (tui.quit)
			return;
	}
}

static void
columns_chosen(struct view *target, long idx, const int *toggles, void *data)
{
	struct runs_priv *r = target->priv;
	char buf[8192] = "";
	size_t o = 0;
	(void)idx;
	(void)data;
	for (size_t i = 0; i < r->nfields && toggles; i++)
		if (toggles[i])
			o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", o ? "," : "", r->fields[i]);
	char err[128];
	option_set("columns", buf, err, sizeof err);
	choose_columns(r, target);
	target->dirty = 1;
}

static void
open_chooser(struct view *v)
{
	struct runs_priv *r = v->priv;
	int *tog = calloc(r->nfields + 1, sizeof(int));
	if (!tog)
		return;
	for (size_t i = 0; i < r->nfields; i++)
		for (size_t c = 0; c < r->ncols; c++)
			if (!strcmp(r->cols[c].field, r->fields[i]))
				tog[i] = 1;
	struct list_spec spec = {
		.title = "[columns] Space toggles, Enter applies, q cancels",
		.items = r->fields, .n = r->nfields, .initial = 0, .toggles = tog,
		.chosen = columns_chosen, .target = v,
	};
	open_list_view(&spec);
	free(tog);
}

static const char *
cur_id(struct view *v)
{
	struct runs_priv *r = v->priv;
	if (!row_known(r, v->lineno))
		runs_need(v, v->lineno, v->lineno + 1);
	return row_known(r, v->lineno) ? r->list.ids[v->lineno] : NULL;
}

/* The run started just before `id` (any filter), or "" if none. */
static void
predecessor(const char *id, char out[33])
{
	out[0] = 0;
	bc_run_query q = BC_RUN_QUERY_INIT;
	q.sort = "-started";
	bc_run_list l = { 0 };
	if (bc_run_query_ids(tui.p, &q, &l) == 0)
		for (size_t i = 0; i + 1 < l.count; i++)
			if (!strcmp(l.ids[i], id)) {
				memcpy(out, l.ids[i + 1], 33);
				break;
			}
	bc_run_list_clear(&l);
}

/* For plugin views: the run under the cursor (borrowed, NULL if none) and
 * the marked runs (borrowed until the runs view changes). */
const char *runs_selection(struct view *v, char (**marked)[33], size_t *nmarked);
const char *
runs_selection(struct view *v, char (**marked)[33], size_t *nmarked)
{
	struct runs_priv *r = v->priv;
	*marked = r->marked;
	*nmarked = r->nmarked;
	return cur_id(v);
}

static enum request
runs_request(struct view *v, enum request req)
{
	struct runs_priv *r = v->priv;
	if (r->partial && r->total < 0) {
		/* the end of a filtered list is not known yet: moving near it waits */
		long to = req == REQ_MOVE_DOWN ? v->lineno + 1 : req == REQ_MOVE_PAGE_DOWN ? v->lineno + v->height :
			req == REQ_MOVE_HALF_DOWN ? v->lineno + v->height / 2 : -1;
		if (req == REQ_MOVE_LAST || to >= (long)r->list.count)
			runs_wait_full(v, req == REQ_MOVE_LAST ? -1 : to + v->height);
	}
	if (r->partial && (req == REQ_FIND_NEXT || req == REQ_FIND_PREV))
		runs_wait_full(v, -1);
	const char *id = cur_id(v);
	switch (req) {
	case REQ_ENTER:
		if (id)
			open_run_view(id);
		return REQ_NONE;
	case REQ_MARK:
		if (id) {
			toggle_mark(r, id);
			view_goto(v, v->lineno + 1);
		}
		return REQ_NONE;
	case REQ_MARK_CLEAR:
		r->nmarked = 0;
		v->dirty = 1;
		return REQ_NONE;
	case REQ_SCROLL_LEFT:
		if (r->curcol > 0)
			r->curcol--;
		v->dirty = 1;
		return REQ_NONE;
	case REQ_SCROLL_RIGHT:
		if (r->curcol + 1 < r->ncols)
			r->curcol++;
		v->dirty = 1;
		return REQ_NONE;
	case REQ_SORT_ASC:
	case REQ_SORT_DESC:
		if (r->ncols) {
			char s[600];
			snprintf(s, sizeof s, "%s%s", req == REQ_SORT_DESC ? "-" : "", r->cols[r->curcol].field);
			if (runs_set_sort(v, s) == 0)
				tui_status("sorted by %s", s);
		}
		return REQ_NONE;
	case REQ_SEARCH:
	case REQ_FILTER:
		filter_prompt(v);
		return REQ_NONE;
	case REQ_COLUMNS:
		open_chooser(v);
		return REQ_NONE;
	case REQ_COMPARE:
		if (r->nmarked < 2) {
			tui_error("mark at least two runs with Space, then press c");
			return REQ_NONE;
		}
		open_compare_view(r->marked, r->nmarked);
		return REQ_NONE;
	case REQ_DIFF:
		if (r->nmarked == 2) {
			int older_first = strcmp(r->marked[0], r->marked[1]) < 0;
			open_diff_view(r->marked[older_first ? 0 : 1], r->marked[older_first ? 1 : 0]);
		} else if (r->nmarked > 2) {
			tui_error("diff needs exactly two marked runs (or none: the run vs its predecessor)");
		} else if (id) {
			char prev[33];
			predecessor(id, prev);
			if (!prev[0])
				tui_error("this is the first run: nothing to diff against");
			else
				open_diff_view(prev, id);
		}
		return REQ_NONE;
	case REQ_PLOT:
		if (r->nmarked)
			open_plot_view(r->marked, r->nmarked, NULL);
		else if (id) {
			char one[1][33];
			memcpy(one[0], id, 33);
			open_plot_view(one, 1, NULL);
		}
		return REQ_NONE;
	case REQ_DELETE:
		if (id && r->cache[v->lineno]) {
			char q[600], name[300];
			display_fit(r->cache[v->lineno]->name ? r->cache[v->lineno]->name : id, 40, name, sizeof name);
			snprintf(q, sizeof q, "Delete run %s?", name);
			char keep[33];
			memcpy(keep, id, 33);
			if (!prompt_confirm(q, "yes")) {
				tui_status("not deleted");
			} else if (bc_run_delete(tui.p, keep, 0) < 0) {
				tui_error("cannot delete: %s", bc_errmsg(tui.p));
			} else {
				tui_status("deleted (bancada rm --restore can bring it back)");
				runs_refresh(v);
			}
		}
		return REQ_NONE;
	case REQ_BUNDLE_CREATE:
		if (id) {
			char keep[33];
			memcpy(keep, id, 33);
			tui_bundle_create(keep);
		}
		return REQ_NONE;
	case REQ_REFRESH:
		runs_query(v, NULL);
		choose_columns(r, v);
		return REQ_NONE;
	default:
		return req;
	}
}

static int
runs_tick(struct view *v)
{
	struct runs_priv *r = v->priv;
	int64_t now = bc_now_ms();
	int redraw = 0;
	if (bg_collect(v))
		redraw = 1;
	int64_t ver = bc_project_data_version(tui.p);
	if (ver != r->version)
		r->pending_change = 1;
	if (r->pending_change && now - r->last_query_ms >= 400) {
		r->pending_change = 0;
		size_t before = r->ncols;
		runs_refresh(v);
		if (before <= NFIXED || r->list.count < 200)
			choose_columns(r, v);
		redraw = 1;
	}
	/* live durations tick once a second */
	if (now / 1000 != r->last_second) {
		r->last_second = now / 1000;
		for (long i = v->offset; i < v->offset + v->height && i < (long)r->list.count; i++)
			if (r->cache[i] && r->cache[i]->status == BC_RUN_RUNNING)
				redraw = 1;
	}
	cache_evict(r, v);
	return redraw;
}

static int
runs_command(struct view *v, int argc, char **argv)
{
	struct runs_priv *r = v->priv;
	if (!strcmp(argv[0], "sort")) {
		if (argc != 2) {
			tui_error("usage: sort FIELD[,-FIELD...]");
			return -1;
		}
		return runs_set_sort(v, argv[1]);
	}
	if (!strcmp(argv[0], "filter")) {
		char expr[4096] = "";
		size_t o = 0;
		for (int i = 1; i < argc; i++)
			o += (size_t)snprintf(expr + o, sizeof expr - o, "%s%s", i > 1 ? " " : "", argv[i]);
		int errpos = -1;
		if (runs_set_filter(v, expr, &errpos) < 0) {
			if (errpos >= 0)
				tui_error("filter: %s (at offset %d)", bc_errmsg(tui.p), errpos);
			else
				tui_error("filter: %s", bc_errmsg(tui.p));
			return -1;
		}
		return 0;
	}
	if (!strcmp(argv[0], "option-changed") && argc == 2) {
		const char *o = argv[1];
		if (!strcmp(o, "filter") || !strcmp(o, "sort") || !strcmp(o, "show-deleted")) {
			if (runs_query(v, NULL) < 0)
				tui_error("%s", bc_errmsg(tui.p));
			choose_columns(r, v);
		} else if (!strcmp(o, "columns") || !strcmp(o, "auto-columns")) {
			choose_columns(r, v);
		}
		return 0;
	}
	if (!strcmp(argv[0], "mark") && argc == 2) {
		char id[33];
		if (bc_run_resolve(tui.p, argv[1], 0, id) < 0) {
			tui_error("%s", bc_errmsg(tui.p));
			return -1;
		}
		if (!is_marked(r, id))
			toggle_mark(r, id);
		return 0;
	}
	return -2;
}

static const char *
runs_line_text(struct view *v, long lineno)
{
	struct runs_priv *r = v->priv;
	if (!row_known(r, lineno))
		runs_wait_full(v, -1);
	if (!row_known(r, lineno))
		return "";
	cache_ensure(r, lineno, lineno + 1);
	return r->cache[lineno] && r->cache[lineno]->name ? r->cache[lineno]->name : "";
}

static void
runs_done(struct view *v)
{
	struct runs_priv *r = v->priv;
	if (r->bg.active)
		pthread_join(r->bg.th, NULL);
	bc_run_list_clear(&r->bg.result);
	free(r->bg.filter);
	free(r->bg.sort);
	cache_clear(r);
	bc_run_list_clear(&r->list);
	columns_free(r);
	for (size_t i = 0; i < r->nfields; i++)
		free(r->fields[i]);
	free(r->fields);
	free(r->marked);
}

const struct view_ops view_runs_ops = {
	.name = "runs",
	.flags = VIEW_LIVE,
	.private_size = sizeof(struct runs_priv),
	.open = runs_open,
	.draw_header = runs_draw_header,
	.draw_line = runs_draw_line,
	.request = runs_request,
	.command = runs_command,
	.tick = runs_tick,
	.title = runs_title,
	.line_text = runs_line_text,
	.done = runs_done,
};
