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

struct column {
	char *field;
	int width;
	int right;
};

struct bg_query {
	pthread_t th;
	int active;              /* started and not joined yet */
	int done;                /* set by the worker (atomic) */
	char root[4096];
	char *filter, *sort;
	int include_deleted;
	unsigned gen;
	int rc, short_len;
	bc_run_list result;
};

struct runs_priv {
	bc_run_list list;
	struct bg_query bg;
	unsigned gen;            /* query generation: stale results are dropped */
	int bg_pending;
	int bg_wanted;
	int partial;             /* list holds only the first batch */
	bc_run **cache;          /* list.count slots, loaded lazily */
	size_t nloaded;
	char (*marked)[33];
	size_t nmarked;
	struct column *cols;
	size_t ncols;
	size_t curcol;           /* index into cols (sorting, chooser) */
	size_t firstcol;         /* first scrolled column */
	char **fields;           /* every known field (column chooser) */
	size_t nfields;
	int64_t version;
	int64_t last_query_ms;
	int64_t last_second;
	int pending_change;
	char title[512];
};

static const char *const fixed_fields[] = { "id", "name", "status", "started", "duration", "commit" };
#define NFIXED (sizeof fixed_fields / sizeof fixed_fields[0])

static void
cache_clear(struct runs_priv *r)
{
	if (r->cache)
		for (size_t i = 0; i < r->list.count; i++)
			bc_run_free(r->cache[i]);
	free(r->cache);
	r->cache = NULL;
	r->nloaded = 0;
}

/* Load records for rows [from, to) that are not loaded yet. */
static void
cache_ensure(struct runs_priv *r, long from, long to)
{
	if (from < 0)
		from = 0;
	if (to > (long)r->list.count)
		to = (long)r->list.count;
	if (from >= to || !r->cache)
		return;
	char (*want)[33] = malloc((size_t)(to - from) * 33);
	long *idx = malloc((size_t)(to - from) * sizeof(long));
	size_t n = 0;
	for (long i = from; i < to; i++)
		if (!r->cache[i]) {
			memcpy(want[n], r->list.ids[i], 33);
			idx[n++] = i;
		}
	if (n) {
		bc_run_list l = { .ids = want, .count = n };
		bc_run **runs = NULL;
		if (bc_run_load_many(tui.p, &l, &runs) == 0) {
			for (size_t i = 0; i < n; i++) {
				r->cache[idx[i]] = runs[i];
				r->nloaded++;
			}
			free(runs);
		} else {
			free(runs);
			tui_error("cannot load runs: %s", bc_errmsg(tui.p));
		}
	}
	free(want);
	free(idx);
}

/* Free records far from the visible window. */
static void
cache_evict(struct runs_priv *r, struct view *v)
{
	long keep_lo = v->offset - 2L * v->height, keep_hi = v->offset + 3L * v->height;
	if (r->nloaded < (size_t)(6 * v->height + 600))
		return;
	for (long i = 0; i < (long)r->list.count; i++)
		if (r->cache[i] && (i < keep_lo || i > keep_hi)) {
			bc_run_free(r->cache[i]);
			r->cache[i] = NULL;
			r->nloaded--;
		}
}

static int
is_marked(struct runs_priv *r, const char *id)
{
	for (size_t i = 0; i < r->nmarked; i++)
		if (!strcmp(r->marked[i], id))
			return 1;
	return 0;
}

static void
toggle_mark(struct runs_priv *r, const char *id)
{
	for (size_t i = 0; i < r->nmarked; i++)
		if (!strcmp(r->marked[i], id)) {
			memmove(r->marked[i], r->marked[i + 1], (r->nmarked - i - 1) * 33);
			r->nmarked--;
			return;
		}
	char (*nm)[33] = realloc(r->marked, (r->nmarked + 1) * 33);
	if (!nm)
		return;
	r->marked = nm;
	memcpy(r->marked[r->nmarked++], id, 33);
}

static void
columns_free(struct runs_priv *r)
{
	for (size_t i = 0; i < r->ncols; i++)
		free(r->cols[i].field);
	free(r->cols);
	r->cols = NULL;
	r->ncols = 0;
}

static void
column_add(struct runs_priv *r, const char *field)
{
	struct column *nc = realloc(r->cols, (r->ncols + 1) * sizeof *nc);
	if (!nc)
		return;
	r->cols = nc;
	struct column *c = &r->cols[r->ncols++];
	c->field = strdup(field);
	c->right = !strcmp(field, "duration") || !strncmp(field, "params.", 7) ||
		!strncmp(field, "metrics.", 8);
	c->width = 0;
}

static int
field_known(struct runs_priv *r, const char *f)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (!strcmp(r->fields[i], f))
			return 1;
	return 0;
}

static void
field_add(struct runs_priv *r, const char *f)
{
	if (field_known(r, f))
		return;
	char **nf = realloc(r->fields, (r->nfields + 1) * sizeof *nf);
	if (!nf)
		return;
	r->fields = nf;
	r->fields[r->nfields++] = strdup(f);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Pick columns: the option `columns`, or fixed + params/metrics that vary. */
static void
choose_columns(struct runs_priv *r, struct view *v)
{
	columns_free(r);
	/* the rows on screen decide (more are loaded as they scroll in) */
	long sample = v->height > 10 ? v->height : 10;
	if (sample > (long)r->list.count)
		sample = (long)r->list.count;
	cache_ensure(r, 0, sample);
	for (size_t i = 0; i < r->nfields; i++)
		free(r->fields[i]);
	free(r->fields);
	r->fields = NULL;
	r->nfields = 0;
	const char *extra[] = { "ended", "branch", "host", "user", "exit", "tags", "note", "experiment" };
	for (size_t i = 0; i < NFIXED; i++)
		field_add(r, fixed_fields[i]);
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
		field_add(r, extra[i]);
	/* params and metrics seen in the sample, with whether they vary */
	char **keys = NULL;
	size_t nkeys = 0;
	for (long i = 0; i < sample; i++) {
		bc_run *run = r->cache[i];
		if (!run)
			continue;
		for (size_t k = 0; k < run->nparams + run->nmetrics; k++) {
			char f[600];
			if (k < run->nparams)
				snprintf(f, sizeof f, "params.%s", run->params[k].key);
			else
				snprintf(f, sizeof f, "metrics.%s", run->metrics[k - run->nparams].key);
			int seen = 0;
			for (size_t j = 0; j < nkeys && !seen; j++)
				seen = !strcmp(keys[j], f);
			if (!seen) {
				char **nk = realloc(keys, (nkeys + 1) * sizeof *nk);
				if (!nk)
					break;
				keys = nk;
				keys[nkeys++] = strdup(f);
			}
		}
	}
	qsort(keys, nkeys, sizeof *keys, cmp_str);
	/* params before metrics (qsort already orders "metrics." < "params.") */
	char **ordered = calloc(nkeys + 1, sizeof *ordered);
	size_t no = 0;
	for (size_t j = 0; j < nkeys; j++)
		if (!strncmp(keys[j], "params.", 7))
			ordered[no++] = keys[j];
	for (size_t j = 0; j < nkeys; j++)
		if (strncmp(keys[j], "params.", 7))
			ordered[no++] = keys[j];
	for (size_t j = 0; j < no; j++)
		field_add(r, ordered[j]);
	const char *opt = tui.opt.columns_s;
	if (opt && *opt) {
		char *copy = strdup(opt), *save = NULL;
		for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
			column_add(r, t);
		free(copy);
	} else {
		for (size_t i = 0; i < NFIXED; i++)
			column_add(r, fixed_fields[i]);
		long added = 0;
		for (size_t j = 0; j < no && added < tui.opt.auto_columns; j++) {
			char first[256] = "", cur[256];
			int varies = 0, have_first = 0, missing = 0;
			for (long i = 0; i < sample && !varies; i++) {
				if (!r->cache[i])
					continue;
				if (bc_run_field(r->cache[i], ordered[j], cur, sizeof cur) != 0) {
					missing = 1;
					continue;
				}
				if (!have_first) {
					memcpy(first, cur, sizeof first);
					have_first = 1;
				} else if (strcmp(first, cur))
					varies = 1;
			}
			if (varies || (missing && have_first) || (sample == 1 && have_first)) {
				column_add(r, ordered[j]);
				added++;
			}
		}
	}
	for (size_t j = 0; j < nkeys; j++)
		free(keys[j]);
	free(keys);
	free(ordered);
	if (r->curcol >= r->ncols)
		r->curcol = r->ncols ? r->ncols - 1 : 0;
	r->firstcol = 0;   /* recomputed from the frozen columns when drawing */
	(void)v;
}

static const char *
col_label(const char *field)
{
	if (!strncmp(field, "params.", 7))
		return field + 7;
	if (!strncmp(field, "metrics.", 8))
		return field + 8;
	return field;
}

/* Text of one cell (untrusted; drawing sanitizes). */
static void
cell_text(const bc_run *run, const char *field, char *buf, size_t size)
{
	buf[0] = 0;
	if (!strcmp(field, "id")) {
		run_short_id(run->id, buf, size);
	} else if (!strcmp(field, "started")) {
		char t[64];
		fmt_time(run->started_ms, t, sizeof t);
		snprintf(buf, size, "%.16s", t);
	} else if (!strcmp(field, "duration")) {
		int64_t end = run->status == BC_RUN_RUNNING || !run->ended_ms ? bc_now_ms() : run->ended_ms;
		fmt_duration(end - run->started_ms, buf, size);
	} else if (!strcmp(field, "status")) {
		snprintf(buf, size, "%s%s", run->status == BC_RUN_RUNNING ? (tui.ascii ? "* " : "\xe2\x97\x8f ") : "",
			bc_run_status_name(run->status));
	} else if (!strcmp(field, "commit")) {
		if (run->git_commit)
			snprintf(buf, size, "%.7s%s", run->git_commit, run->git_dirty ? "+" : "");
	} else {
		bc_run_field(run, field, buf, size);
	}
}

static void
fit_widths(struct runs_priv *r, struct view *v)
{
	long from = v->offset, to = v->offset + v->height;
	for (size_t c = 0; c < r->ncols; c++) {
		struct column *col = &r->cols[c];
		const char *f = col->field;
		int w = bc_text_width(col_label(f));
		if (!strcmp(f, "id"))
			w = tui.short_len > 2 ? tui.short_len : 7;
		else if (!strcmp(f, "started"))
			w = 16;
		else if (!strcmp(f, "status"))
			w = 11;
		else if (!strcmp(f, "commit"))
			w = 8;
		else {
			for (long i = from; i < to && i < (long)r->list.count; i++) {
				if (!r->cache[i])
					continue;
				char buf[512], fit[512];
				cell_text(r->cache[i], f, buf, sizeof buf);
				int cw = display_fit(buf, 200, fit, sizeof fit);
				if (cw > w)
					w = cw;
			}
			int cap = !strcmp(f, "name") ? 24 : !strcmp(f, "note") ? 30 : 14;
			if (w > cap)
				w = cap;
		}
		if (w < 2)
			w = 2;
		col->width = w;
	}
	/* keep the current column visible: id and name stay, the rest scroll */
	size_t frozen = 0;
	while (frozen < r->ncols && frozen < 2 && (!strcmp(r->cols[frozen].field, "id") ||
	       !strcmp(r->cols[frozen].field, "name")))
		frozen++;
	if (r->firstcol < frozen)
		r->firstcol = frozen;
	if (r->curcol >= frozen && r->curcol < r->firstcol)
		r->firstcol = r->curcol;
	for (;;) {
		int x = 2;
		for (size_t c = 0; c < frozen; c++)
			x += r->cols[c].width + 1;
		size_t c = r->firstcol;
		for (; c < r->ncols && c <= r->curcol; c++)
			x += r->cols[c].width + 1;
		if (r->curcol < frozen || x <= v->width + 1 || r->firstcol >= r->curcol)
			break;
		r->firstcol++;
	}
}

/* Columns in drawing order: frozen, then from firstcol. Returns count. */
static size_t
visible_cols(struct runs_priv *r, size_t *out, size_t max)
{
	size_t n = 0;
	for (size_t c = 0; c < r->ncols && n < max; c++) {
		int frozen = c < 2 && (!strcmp(r->cols[c].field, "id") || !strcmp(r->cols[c].field, "name"));
		if (frozen || c >= r->firstcol)
			out[n++] = c;
	}
	return n;
}

static void
runs_draw_header(struct view *v)
{
	struct runs_priv *r = v->priv;
	/* widths come from the rows on screen: load them first */
	cache_ensure(r, v->offset, v->offset + v->height);
	fit_widths(r, v);
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

/* ---- the full id list in the background ----
 * The first screen comes from a query limited to FIRST_BATCH ids; the full
 * list (100,000 ids take a few hundred ms) is fetched by a worker thread on
 * its own connection, so the first paint and every key stay fast. */
#define FIRST_BATCH 256

static void *
bg_main(void *arg)
{
	struct bg_query *bg = arg;
	bc_project *p = NULL;
	bc_project_options o = BC_PROJECT_OPTIONS_INIT;
	o.readonly = 1;
	o.no_recover = 1;
	bg->rc = bc_project_open(&p, bg->root, &o);
	if (bg->rc == 0) {
		bc_run_query q = BC_RUN_QUERY_INIT;
		q.filter = bg->filter;
		q.sort = bg->sort;
		q.include_deleted = bg->include_deleted;
		bg->rc = bc_run_query_ids(p, &q, &bg->result);
		bg->short_len = bc_run_short_len(p);
	}
	bc_project_free(p);
	__atomic_store_n(&bg->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
bg_start(struct runs_priv *r)
{
	struct bg_query *bg = &r->bg;
	if (bg->active) {
		r->bg_pending = 1;   /* restarted when the running one ends */
		return;
	}
	r->bg_pending = 0;
	free(bg->filter);
	free(bg->sort);
	memset(&bg->result, 0, sizeof bg->result);
	bg->filter = tui.opt.filter_s && *tui.opt.filter_s ? strdup(tui.opt.filter_s) : NULL;
	bg->sort = tui.opt.sort_s && *tui.opt.sort_s ? strdup(tui.opt.sort_s) : NULL;
	bg->include_deleted = (int)tui.opt.show_deleted;
	snprintf(bg->root, sizeof bg->root, "%s", bc_project_root(tui.p));
	bg->gen = r->gen;
	bg->done = 0;
	if (pthread_create(&bg->th, NULL, bg_main, bg) == 0)
		bg->active = 1;
}

/* Install a list, keeping the cursor on run `keep` when it is in it. */
static void
install_list(struct view *v, bc_run_list *nl, const char *keep, int reuse_cache)
{
	struct runs_priv *r = v->priv;
	bc_run **cache = calloc(nl->count + 1, sizeof(bc_run *));
	if (reuse_cache && r->cache) {
		/* the first batch is a prefix of the full list: keep loaded rows */
		for (size_t i = 0; i < r->list.count && i < nl->count; i++)
			if (r->cache[i] && !strcmp(r->list.ids[i], nl->ids[i])) {
				cache[i] = r->cache[i];
				r->cache[i] = NULL;
			}
	}
	cache_clear(r);
	bc_run_list_clear(&r->list);
	r->list = *nl;
	r->cache = cache;
	r->nloaded = 0;
	for (size_t i = 0; i < nl->count; i++)
		r->nloaded += cache[i] != NULL;
	v->lines = (long)nl->count;
	long line = 0;
	if (keep && keep[0]) {
		long guess = v->lineno < v->lines ? v->lineno : 0;
		if (guess < v->lines && !strcmp(r->list.ids[guess], keep))
			line = guess;
		else
			for (long i = 0; i < v->lines; i++)
				if (!strcmp(r->list.ids[i], keep)) {
					line = i;
					break;
				}
	}
	view_goto(v, line);
	v->dirty = 1;
}

/* Collect a finished background query. Returns 1 if the list changed. */
static int
bg_collect(struct view *v)
{
	struct runs_priv *r = v->priv;
	struct bg_query *bg = &r->bg;
	if (!bg->active || !__atomic_load_n(&bg->done, __ATOMIC_ACQUIRE))
		return 0;
	pthread_join(bg->th, NULL);
	bg->active = 0;
	int changed = 0;
	if (bg->gen == r->gen && bg->rc == 0) {
		char keep[33] = "";
		if (r->list.count && v->lineno < (long)r->list.count)
			memcpy(keep, r->list.ids[v->lineno], 33);
		install_list(v, &bg->result, keep, 1);
		memset(&bg->result, 0, sizeof bg->result);
		r->partial = 0;
		if (bg->short_len > 0)
			tui.short_len = bg->short_len;
		changed = 1;
	} else
		bc_run_list_clear(&bg->result);
	if (r->bg_pending)
		bg_start(r);
	return changed;
}

/* Re-run the query (first batch now, the rest in the background), keeping
 * the cursor on the same run when possible. */
static int
runs_query(struct view *v, int *errpos)
{
	struct runs_priv *r = v->priv;
	char keep[33] = "";
	if (r->list.count && v->lineno < (long)r->list.count)
		memcpy(keep, r->list.ids[v->lineno], 33);
	bc_run_query q = BC_RUN_QUERY_INIT;
	q.filter = tui.opt.filter_s && *tui.opt.filter_s ? tui.opt.filter_s : NULL;
	q.sort = tui.opt.sort_s && *tui.opt.sort_s ? tui.opt.sort_s : NULL;
	q.include_deleted = (int)tui.opt.show_deleted;
	q.limit = FIRST_BATCH;
	bc_run_list nl = { 0 };
	r->version = bc_project_data_version(tui.p);
	int rc = bc_run_query_ids(tui.p, &q, &nl);
	r->last_query_ms = bc_now_ms();
	if (rc < 0) {
		if (errpos)
			*errpos = nl.filter_errpos;
		bc_run_list_clear(&nl);
		return rc;
	}
	r->gen++;
	install_list(v, &nl, keep, 0);
	r->partial = nl.count == FIRST_BATCH;
	r->bg_wanted = r->partial;   /* started after the next paint (runs_title) */
	if (!r->partial && tui.short_len <= 0)
		tui.short_len = bc_run_short_len(tui.p);
	return 0;
}

static int
runs_open(struct view *v, const struct view_arg *arg)
{
	struct runs_priv *r = v->priv;
	v->header_rows = 1;
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
	int o = snprintf(r->title, sizeof r->title, "[runs] %zu%s run%s", r->list.count,
		r->partial ? "+" : "", r->list.count == 1 ? "" : "s");
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
			tui_status("%zu runs match", ((struct runs_priv *)v->priv)->list.count);
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
	return r->list.count && v->lineno < (long)r->list.count ? r->list.ids[v->lineno] : NULL;
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
				runs_query(v, NULL);
			}
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
		runs_query(v, NULL);
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
