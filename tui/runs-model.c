/* SPDX-License-Identifier: MIT */
/*
 * The runs view's model: the cache of loaded records (only rows near the
 * screen), marks, and the columns (fixed ones plus params/metrics that
 * vary). The id list itself is read by runs-list.c.
 */
#include "config.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"
#include "runs.h"

static const char *const fixed_fields[NFIXED] = { "id", "name", "status", "started", "duration", "commit" };

void
cache_clear(struct runs_priv *r)
{
	if (r->cache)
		for (long i = row_next(r, -1); i < (long)r->list.count; i = row_next(r, i))
			bc_run_free(r->cache[i]);
	free(r->cache);
	r->cache = NULL;
	r->nloaded = 0;
}

/* Load records for rows [from, to) that are not loaded yet. */
void
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
		if (!r->cache[i] && row_known(r, i)) {
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
void
cache_evict(struct runs_priv *r, struct view *v)
{
	long keep_lo = v->offset - 2L * v->height, keep_hi = v->offset + 3L * v->height;
	if (r->nloaded < (size_t)(6 * v->height + 600))
		return;
	for (long i = row_next(r, -1); i < (long)r->list.count; i = row_next(r, i))
		if (r->cache[i] && (i < keep_lo || i > keep_hi)) {
			bc_run_free(r->cache[i]);
			r->cache[i] = NULL;
			r->nloaded--;
		}
}

int
is_marked(struct runs_priv *r, const char *id)
{
	for (size_t i = 0; i < r->nmarked; i++)
		if (!strcmp(r->marked[i], id))
			return 1;
	return 0;
}

void
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

void
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
void
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
	if (nkeys)
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

const char *
col_label(const char *field)
{
	if (!strncmp(field, "params.", 7))
		return field + 7;
	if (!strncmp(field, "metrics.", 8))
		return field + 8;
	return field;
}

/* Text of one cell (untrusted; drawing sanitizes). */
void
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

void
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
size_t
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
