/* SPDX-License-Identifier: MIT */
/* Private to the runs view (view-runs.c) and its model (runs-model.c). */
#ifndef BANCADA_TUI_RUNS_H
#define BANCADA_TUI_RUNS_H

#include <pthread.h>
#include "tui.h"

#define NFIXED 6   /* id, name, status, started, duration, commit */

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
	int want_short;          /* compute the id prefix length too */
	bc_run_list result;
};

struct runs_priv {
	bc_run_list list;
	struct bg_query bg;
	unsigned gen;            /* query generation: stale results are dropped */
	int bg_pending;
	int bg_wanted;
	int partial;             /* list holds only windows of the full list */
	long total;              /* runs in the full list, -1 while unknown */
	long head, tail;         /* partial: ids of rows [0, head) and of the last
	                          * `tail` rows are read; with a tail, list.count is
	                          * total and the rows between have empty ids */
	int short_exact;         /* tui.short_len is exact for `short_version` */
	int64_t short_version;
	int announce;            /* say "N runs match" when the count is known */
	int fresh;               /* the worker's list replaces loaded records */
	int refreshing;          /* runs_query re-reads the same list (live data) */
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

/* Whether the id of row i is read (a partial list has a hole). */
static inline int
row_known(const struct runs_priv *r, long i)
{
	if (i < 0 || i >= (long)r->list.count)
		return 0;
	return !r->partial || i < r->head || (r->tail > 0 && i >= (long)r->list.count - r->tail);
}

/* The next row after i whose id is read (skips the hole). */
static inline long
row_next(const struct runs_priv *r, long i)
{
	i++;
	if (r->partial && r->tail > 0 && i >= r->head && i < (long)r->list.count - r->tail)
		i = (long)r->list.count - r->tail;
	return i;
}

/* Free every loaded record. */
void cache_clear(struct runs_priv *r);
/* Load the records of rows [from, to) that are not loaded yet. */
void cache_ensure(struct runs_priv *r, long from, long to);
/* Free records far from the visible window. */
void cache_evict(struct runs_priv *r, struct view *v);
int is_marked(struct runs_priv *r, const char *id);
void toggle_mark(struct runs_priv *r, const char *id);
void columns_free(struct runs_priv *r);
/* Pick the columns: option `columns`, or fixed + varying params/metrics. */
void choose_columns(struct runs_priv *r, struct view *v);
/* Header label of a field ("lr" for params.lr). Borrowed. */
const char *col_label(const char *field);
/* Text of one cell (untrusted: drawing sanitizes). */
void cell_text(const bc_run *run, const char *field, char *buf, size_t size);
/* Column widths from the rows on screen; keeps the current column visible. */
void fit_widths(struct runs_priv *r, struct view *v);
/* Columns in drawing order (frozen, then scrolled); returns the count. */
size_t visible_cols(struct runs_priv *r, size_t *out, size_t max);
/* Start the full-list query in a worker thread (queued if one runs). */
void bg_start(struct runs_priv *r);
/* Collect a finished background query; 1 if the list changed. */
int bg_collect(struct view *v);
/* Live data changed: re-read the list keeping the cursor's run (a large
 * list is re-read by the worker and swapped in when ready). */
void runs_refresh(struct view *v);
/* Rows up to `upto` (-1: all) are needed while the list is still loading:
 * read a longer window, or wait for the full list. */
void runs_wait_full(struct view *v, long upto);
/* Rows [from, to) are needed: read a longer window from the top or from the
 * end when they are near it, else wait for the full list. */
void runs_need(struct view *v, long from, long to);
/* Re-run the query (first batch now, rest in the background); <0 + errpos on a filter error. */
int runs_query(struct view *v, int *errpos);

#endif
