/* SPDX-License-Identifier: MIT */
/*
 * The runs view's id list: the first window now (an index walk that stops
 * after the rows of a screen or two) with the count of every run, the full
 * list from a worker thread after the first paint, longer windows when a
 * key moves past the first one, a window read from the end for G (the rows
 * between stay unread until the full list comes), and live refreshes that
 * keep the cursor on its run.
 */
#include "config.h"
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"
#include "runs.h"

/* ---- the full id list in the background ----
 * The first screen comes from a query limited to a window of ids (the
 * index walk stops after it: a few ms for 100,000 runs) plus a count from
 * the live-runs index; the full list (and the id prefix length) is fetched
 * by a worker thread on its own connection after the first paint, so the
 * paint and every key stay fast. Rows past the window wait for the worker. */
#define MIN_WINDOW 64

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
		if (bg->want_short)
			bg->short_len = bc_run_short_len(p);
	}
	bc_project_free(p);
	__atomic_store_n(&bg->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

void
bg_start(struct runs_priv *r)
{
	struct bg_query *bg = &r->bg;
	if (bg->active) {
		r->bg_pending = 1;   /* restarted when the running one ends */
		return;
	}
	r->bg_pending = 0;
	r->bg_wanted = 0;
	free(bg->filter);
	free(bg->sort);
	memset(&bg->result, 0, sizeof bg->result);
	bg->filter = tui.opt.filter_s && *tui.opt.filter_s ? strdup(tui.opt.filter_s) : NULL;
	bg->sort = tui.opt.sort_s && *tui.opt.sort_s ? strdup(tui.opt.sort_s) : NULL;
	bg->include_deleted = (int)tui.opt.show_deleted;
	snprintf(bg->root, sizeof bg->root, "%s", bc_project_root(tui.p));
	bg->gen = r->gen;
	bg->want_short = !r->short_exact || r->short_version != r->version;
	bg->short_len = 0;
	bg->done = 0;
	if (pthread_create(&bg->th, NULL, bg_main, bg) == 0)
		bg->active = 1;
}

/* Copy the ids of rows [from, to) of the current list into `out`. */
static void
copy_rows(struct runs_priv *r, long from, long to, bc_run_list *out)
{
	memset(out, 0, sizeof *out);
	if (to <= from)
		return;
	out->ids = malloc((size_t)(to - from) * sizeof *out->ids);
	if (!out->ids)
		return;
	memcpy(out->ids, r->list.ids + from, (size_t)(to - from) * sizeof *out->ids);
	out->count = (size_t)(to - from);
}

/*
 * Install the rows read: `head` from the top and, when the count is known,
 * `tail` (NULL or empty: none) at the end with a hole between (list.count is
 * then the count of every run). Records loaded for the same run at the same
 * row are kept when `reuse_cache`. The cursor stays on run `keep` when it is
 * read, else on line `line`. Takes the ids of both lists.
 */
static void
install_rows(struct view *v, bc_run_list *head, bc_run_list *tail, const char *keep, long line,
	int reuse_cache)
{
	struct runs_priv *r = v->priv;
	bc_run_list nl = *head;
	long h = (long)head->count, t = tail ? (long)tail->count : 0;
	if (!r->partial || r->total < 0)
		t = 0;
	if (t > 0 && h + t >= r->total) {
		r->partial = 0;   /* the two windows meet: the whole list */
		t = r->total - h;
	}
	if (t > 0) {
		/* rows [0, h) and the last t rows, the hole between left empty */
		nl.count = (size_t)r->total;
		nl.ids = calloc(nl.count + 1, sizeof *nl.ids);
		if (nl.ids) {
			memcpy(nl.ids, head->ids, (size_t)h * sizeof *nl.ids);
			memcpy(nl.ids + nl.count - t, tail->ids + tail->count - t, (size_t)t * sizeof *nl.ids);
		} else {
			nl = *head;   /* out of memory: the first window only */
			head->ids = NULL;
			t = 0;
			r->partial = r->total > h;
		}
		bc_run_list_clear(head);
	}
	memset(head, 0, sizeof *head);
	if (tail)
		bc_run_list_clear(tail);
	bc_run **cache = calloc(nl.count + 1, sizeof(bc_run *));
	size_t nloaded = 0;
	struct runs_priv nr = { .list = nl, .partial = r->partial, .head = h, .tail = t };
	if (reuse_cache && r->cache && cache) {
		/* windows of the same list: keep the rows loaded for the same run */
		for (long i = row_next(r, -1); i < (long)r->list.count; i = row_next(r, i))
			if (r->cache[i] && row_known(&nr, i) && !strcmp(r->list.ids[i], nl.ids[i])) {
				cache[i] = r->cache[i];
				r->cache[i] = NULL;
				nloaded++;
			}
	}
	cache_clear(r);
	bc_run_list_clear(&r->list);
	r->list = nl;
	r->cache = cache;
	r->nloaded = nloaded;
	r->head = r->partial ? h : (long)nl.count;
	r->tail = r->partial ? t : 0;
	v->lines = r->total >= 0 && r->partial ? r->total : (long)nl.count;
	if (keep && keep[0]) {
		long guess = line;
		line = 0;
		if (row_known(r, guess) && !strcmp(r->list.ids[guess], keep))
			line = guess;
		else
			for (long i = row_next(r, -1); i < (long)nl.count; i = row_next(r, i))
				if (!strcmp(r->list.ids[i], keep)) {
					line = i;
					break;
				}
	}
	if (line >= v->lines)
		line = v->lines - 1;
	view_goto(v, line < 0 ? 0 : line);
	v->dirty = 1;
}

/* Take a finished worker's result (the worker has ended). */
static int
bg_take(struct view *v)
{
	struct runs_priv *r = v->priv;
	struct bg_query *bg = &r->bg;
	pthread_join(bg->th, NULL);
	bg->active = 0;
	int changed = 0;
	if (bg->gen == r->gen && bg->rc == 0) {
		char keep[33] = "";
		long line = v->lineno;
		if (row_known(r, v->lineno))
			memcpy(keep, r->list.ids[v->lineno], 33);
		r->partial = 0;
		r->total = (long)bg->result.count;
		install_rows(v, &bg->result, NULL, keep, line, !r->fresh);
		r->fresh = 0;
		if (bg->short_len > 0) {
			tui.short_len = bg->short_len;
			r->short_exact = 1;
			r->short_version = r->version;
		}
		if (r->announce) {
			r->announce = 0;
			tui_status("%zu run%s match", r->list.count, r->list.count == 1 ? "" : "s");
		}
		changed = 1;
	} else
		bc_run_list_clear(&bg->result);
	if (r->bg_pending)
		bg_start(r);
	return changed;
}

/* Collect a finished background query. Returns 1 if the list changed. */
int
bg_collect(struct view *v)
{
	struct runs_priv *r = v->priv;
	if (!r->bg.active || !__atomic_load_n(&r->bg.done, __ATOMIC_ACQUIRE))
		return 0;
	return bg_take(v);
}

/* Read the first `n` rows again, or the last `n` (pages are warm now: a
 * few ms), keeping the other window; 0 if done. */
static int
extend_window(struct view *v, long n, int from_end, const char *keep_id)
{
	struct runs_priv *r = v->priv;
	bc_run_query q = BC_RUN_QUERY_INIT;
	q.filter = tui.opt.filter_s && *tui.opt.filter_s ? tui.opt.filter_s : NULL;
	q.sort = tui.opt.sort_s && *tui.opt.sort_s ? tui.opt.sort_s : NULL;
	q.include_deleted = (int)tui.opt.show_deleted;
	q.limit = n;
	q.from_end = from_end;
	bc_run_list nl = { 0 };
	if (from_end && r->total < 0)
		return -1;   /* the end of a list of unknown length */
	if (bc_project_data_version(tui.p) != r->version || bc_run_query_ids(tui.p, &q, &nl) < 0 ||
	    nl.count < (size_t)(from_end ? r->tail : r->head)) {
		bc_run_list_clear(&nl);
		return -1;
	}
	long line = v->lineno;
	char keep[33] = "";
	if (keep_id)
		snprintf(keep, sizeof keep, "%s", keep_id);
	else if (row_known(r, line))
		memcpy(keep, r->list.ids[line], 33);
	if (nl.count < (size_t)n) {
		r->partial = 0;   /* the whole list */
		r->total = (long)nl.count;
		install_rows(v, &nl, NULL, keep, line, 0);
		return 0;
	}
	bc_run_list other = { 0 };
	if (from_end) {
		copy_rows(r, 0, r->head, &other);
		install_rows(v, &other, &nl, keep, line, 1);
	} else {
		copy_rows(r, (long)r->list.count - r->tail, (long)r->list.count, &other);
		install_rows(v, &nl, &other, keep, line, 1);
	}
	return 0;
}

/* Rows [from, to) are needed (a key moved past a window): read a longer
 * window from the top or from the end when they are near it (G reads the
 * last rows), else wait for the worker's full list. */
void
runs_need(struct view *v, long from, long to)
{
	struct runs_priv *r = v->priv;
	if (from < 0)
		from = 0;
	if (r->total >= 0 && to > r->total)
		to = r->total;
	if (!r->partial || from >= to)
		return;
	long hole_hi = r->tail > 0 ? (long)r->list.count - r->tail : r->total >= 0 ? r->total : LONG_MAX;
	if (to <= r->head || from >= hole_hi)
		return;
	if (r->bg.active && __atomic_load_n(&r->bg.done, __ATOMIC_ACQUIRE)) {
		bg_take(v);
		if (!r->partial)
			return;
	}
	long near = 8L * v->height;
	if (from < r->head + near && extend_window(v, to + 2L * v->height, 0, NULL) == 0)
		return;
	if (r->total >= 0 && to > hole_hi - near &&
	    extend_window(v, r->total - from + 2L * v->height, 1, NULL) == 0)
		return;
	for (int i = 0; i < 8 && r->partial; i++) {
		if (!r->bg.active)
			bg_start(r);
		if (!r->bg.active)
			return;   /* no thread: the windows are all there is */
		bg_take(v);
	}
}

/* Rows up to `upto` (-1: every row) are needed. */
void
runs_wait_full(struct view *v, long upto)
{
	struct runs_priv *r = v->priv;
	if (upto >= 0) {
		runs_need(v, 0, upto);
		return;
	}
	if (r->partial && r->bg.active && __atomic_load_n(&r->bg.done, __ATOMIC_ACQUIRE))
		bg_take(v);
	for (int i = 0; i < 8 && r->partial; i++) {
		if (!r->bg.active)
			bg_start(r);
		if (!r->bg.active)
			return;
		bg_take(v);
	}
}

/* The id prefix length of the rows on screen (the exact one for every run
 * comes from the worker): a few index seeks instead of a scan of every id. */
static void
short_len_guess(struct view *v)
{
	struct runs_priv *r = v->priv;
	int best = 7;
	for (long i = v->offset; i < v->offset + v->height && i < (long)r->list.count; i++) {
		char out[33];
		if (row_known(r, i) && bc_run_short_id(tui.p, r->list.ids[i], out) == 0 && (int)strlen(out) > best)
			best = (int)strlen(out);
	}
	if (best > tui.short_len)
		tui.short_len = best;
}

/* Count the runs of an unfiltered list from the live-runs index. */
static long
count_all(void)
{
	sqlite3_stmt *st = NULL;
	long n = -1;
	/* every run from the smallest index, less the deleted ones (a partial
	 * index): a third of the cost of counting the live-runs index */
	const char *sql = tui.opt.show_deleted ? "SELECT count(*) FROM runs" :
		"SELECT (SELECT count(*) FROM runs) - (SELECT count(*) FROM runs WHERE deleted <> 0)";
	if (sqlite3_prepare_v2(bc_project_db(tui.p), sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Re-run the query (the first window now, the rest in the background),
 * keeping the cursor on the same run when possible. */
int
runs_query(struct view *v, int *errpos)
{
	struct runs_priv *r = v->priv;
	char keep[33] = "";
	if (row_known(r, v->lineno))
		memcpy(keep, r->list.ids[v->lineno], 33);
	/* a refresh with the cursor in the window read from the end: its
	 * distance from the end (a new sort or filter starts at the top) */
	long from_end = r->refreshing && r->partial && r->tail > 0 &&
		v->lineno >= (long)r->list.count - r->tail ? (long)r->list.count - v->lineno : -1;
	/* the window covers the cursor's screen when the cursor is near the top;
	 * a cursor further down waits for the full list (below) */
	long window = 2L * v->height > MIN_WINDOW ? 2L * v->height : MIN_WINDOW;
	bc_run_query q = BC_RUN_QUERY_INIT;
	q.filter = tui.opt.filter_s && *tui.opt.filter_s ? tui.opt.filter_s : NULL;
	q.sort = tui.opt.sort_s && *tui.opt.sort_s ? tui.opt.sort_s : NULL;
	q.include_deleted = (int)tui.opt.show_deleted;
	q.limit = window;
	bc_run_list nl = { 0 };
	int64_t ver = bc_project_data_version(tui.p);
	int rc = bc_run_query_ids(tui.p, &q, &nl);
	r->last_query_ms = bc_now_ms();
	if (rc < 0) {
		if (errpos)
			*errpos = nl.filter_errpos;
		bc_run_list_clear(&nl);
		return rc;
	}
	if (ver != r->version)
		r->short_exact = 0;
	r->version = ver;
	r->gen++;
	r->partial = nl.count == (size_t)window;
	r->total = !r->partial ? (long)nl.count : q.filter ? -1 : count_all();
	if (r->total >= 0 && r->total <= (long)nl.count)
		r->partial = 0;
	/* a cursor past the window keeps its line (rows near the end are read
	 * from the end, others come with the full list) */
	long line = v->lineno;
	install_rows(v, &nl, NULL, keep, line, 0);
	if (from_end > 0 && r->partial && r->total >= 0) {
		/* read the end again and find the cursor's run there */
		view_goto(v, r->total - from_end);
		extend_window(v, from_end + 2L * v->height, 1, keep);
	}
	r->bg_wanted = r->partial;   /* started after the next paint (runs_title) */
	if (!r->short_exact) {
		long all = r->total >= 0 && !q.filter ? r->total : count_all();
		if (all >= 0 && all <= 20000) {
			/* a scan of 20,000 ids takes a few ms */
			tui.short_len = bc_run_short_len(tui.p);
			r->short_exact = 1;
			r->short_version = ver;
		} else {
			short_len_guess(v);
			r->bg_wanted = 1;    /* the exact length, in the worker */
		}
	}
	if (!row_known(r, v->lineno))
		runs_need(v, v->offset, v->offset + v->height);
	return 0;
}

void
runs_refresh(struct view *v)
{
	struct runs_priv *r = v->priv;
	long window = 2L * v->height > MIN_WINDOW ? 2L * v->height : MIN_WINDOW;
	if (r->partial || (long)r->list.count <= window) {
		r->refreshing = 1;
		runs_query(v, NULL);
		r->refreshing = 0;
		return;
	}
	/* the full list is shown: keep it until the new one is read */
	r->version = bc_project_data_version(tui.p);
	r->last_query_ms = bc_now_ms();
	r->short_exact = 0;
	r->gen++;
	r->fresh = 1;
	bg_start(r);
}
