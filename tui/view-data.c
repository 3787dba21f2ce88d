/* SPDX-License-Identifier: MIT */
/*
 * The data view (`V`, `:data`): tracked paths with size, short hash and
 * status (ok, modified, missing, not in cache), directories expandable to
 * their files, and, opened on one path, its versions across git history with
 * the runs that used each (what `bancada data log` prints).
 *
 * The first paint shows what the pointers record (no file is looked at); the
 * status is then computed on a worker thread with its own project handle,
 * through the stat cache, and swapped in by `tick`.
 */
#include "config.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"
#include "cmd-data.h"

struct data_check {
	pthread_t thread;
	pthread_mutex_t lock;
	int started, finished;
	char root[4096];
	bc_data_list result;
	int rc;
	char error[512];
};

struct data_priv {
	int versions;                /* 1: versions of one path */
	/* tree mode */
	bc_data_list tree;
	unsigned char *open;         /* per tree item: directory expanded */
	long *rows;                  /* visible row -> tree item */
	size_t nrows;
	int checked;                 /* status known */
	struct data_check *check;
	/* versions mode */
	char path[4096];             /* project-relative tracked path */
	char inner[4096];            /* the file of a directory the user selected */
	bc_data_version *ver;
	size_t nver;
	char title[512];
};

/* ---- tree mode ---- */

static void *
check_worker(void *arg)
{
	struct data_check *c = arg;
	bc_project *p = NULL;
	bc_project_options po = BC_PROJECT_OPTIONS_INIT;
	po.no_recover = 1;
	bc_data_list l = { 0 };
	int rc = bc_project_open(&p, c->root, &po);
	if (rc == 0)
		rc = bc_data_tree(p, 1, &l);
	pthread_mutex_lock(&c->lock);
	c->rc = rc;
	if (rc < 0)
		snprintf(c->error, sizeof c->error, "%s", bc_errmsg(p));
	c->result = l;
	c->finished = 1;
	pthread_mutex_unlock(&c->lock);
	bc_project_free(p);
	return NULL;
}

static void
check_start(struct data_priv *d)
{
	if (d->check)
		return;
	struct data_check *c = calloc(1, sizeof *c);
	if (!c)
		return;
	pthread_mutex_init(&c->lock, NULL);
	snprintf(c->root, sizeof c->root, "%s", bc_project_root(tui.p));
	if (pthread_create(&c->thread, NULL, check_worker, c) != 0) {
		pthread_mutex_destroy(&c->lock);
		free(c);
		tui_error("cannot start the data status check");
		return;
	}
	c->started = 1;
	d->check = c;
}

static void
check_free(struct data_check *c)
{
	if (!c)
		return;
	pthread_join(c->thread, NULL);
	bc_data_list_clear(&c->result);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Visible rows: every tracked path, and the files of expanded directories. */
static void
build_rows(struct data_priv *d)
{
	free(d->rows);
	d->rows = malloc((d->tree.n ? d->tree.n : 1) * sizeof *d->rows);
	d->nrows = 0;
	long parent = -1;
	for (size_t i = 0; d->rows && i < d->tree.n; i++) {
		const bc_data_item *it = &d->tree.v[i];
		if (!it->inner)
			parent = (long)i;
		else if (parent < 0 || !d->open[parent])
			continue;
		d->rows[d->nrows++] = (long)i;
	}
}

static long
find_item(const bc_data_list *l, const char *path, const char *inner)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].path, path) &&
				((!inner && !l->v[i].inner) || (inner && l->v[i].inner && !strcmp(inner, l->v[i].inner))))
			return (long)i;
	return -1;
}

/* Replace the tree, keeping expanded directories and the cursor. */
static void
tree_replace(struct view *v, bc_data_list *nl)
{
	struct data_priv *d = v->priv;
	unsigned char *open = calloc(nl->n ? nl->n : 1, 1);
	char *cur_path = NULL, *cur_inner = NULL;
	if (d->nrows && v->lineno < (long)d->nrows) {
		const bc_data_item *it = &d->tree.v[d->rows[v->lineno]];
		cur_path = strdup(it->path);
		cur_inner = it->inner ? strdup(it->inner) : NULL;
	}
	for (size_t i = 0; open && i < d->tree.n; i++) {
		if (!d->open || !d->open[i])
			continue;
		long j = find_item(nl, d->tree.v[i].path, NULL);
		if (j >= 0)
			open[j] = 1;
	}
	bc_data_list_clear(&d->tree);
	free(d->open);
	d->tree = *nl;
	memset(nl, 0, sizeof *nl);
	d->open = open;
	build_rows(d);
	v->lines = (long)d->nrows;
	long at = cur_path ? find_item(&d->tree, cur_path, cur_inner) : -1;
	long row = 0;
	for (size_t r = 0; at >= 0 && r < d->nrows; r++)
		if (d->rows[r] == at)
			row = (long)r;
	view_goto(v, row);
	free(cur_path);
	free(cur_inner);
}

static int
tree_load(struct view *v)
{
	struct data_priv *d = v->priv;
	bc_data_list l = { 0 };
	if (bc_data_tree(tui.p, 0, &l) < 0) {
		tui_error("%s", bc_errmsg(tui.p));
		bc_data_list_clear(&l);
		return -1;
	}
	d->checked = 0;
	tree_replace(v, &l);
	check_start(d);
	return 0;
}

static const char *
state_label(const bc_data_item *it, int checked)
{
	if (!checked)
		return tui.ascii ? "..." : "\xe2\x80\xa6";
	switch (it->state) {
	case BC_DATA_CLEAN: return "ok";
	case BC_DATA_MODIFIED: return "modified";
	case BC_DATA_MISSING: return "missing";
	case BC_DATA_NOT_CACHED: return "not in cache";
	case BC_DATA_ADDED: return "new";
	case BC_DATA_UNREADABLE: return "unreadable";
	default: return bc_data_state_name(it->state);
	}
}

static enum color_id
state_color(const bc_data_item *it, int checked)
{
	if (!checked)
		return COLOR_DIM;
	switch (it->state) {
	case BC_DATA_CLEAN: return COLOR_FINISHED;
	case BC_DATA_MODIFIED: case BC_DATA_ADDED: return COLOR_DIFF_ADD;
	case BC_DATA_MISSING: case BC_DATA_UNREADABLE: return COLOR_FAILED;
	case BC_DATA_NOT_CACHED: return COLOR_INTERRUPTED;
	default: return COLOR_DEFAULT;
	}
}

/* Column layout of the tree: status, size, hash, path. */
#define W_STATE 12
#define W_SIZE 10
#define W_HASH 12

static void
tree_draw_header(struct view *v)
{
	struct data_priv *d = v->priv;
	view_draw_fill(v, 0, 0, v->width, COLOR_HEADER);
	int x = 1;
	view_draw_text(v, 0, x, W_STATE, "STATUS", COLOR_HEADER);
	x += W_STATE + 1;
	view_draw_text_right(v, 0, x, W_SIZE, "SIZE", COLOR_HEADER);
	x += W_SIZE + 1;
	view_draw_text(v, 0, x, W_HASH, "SHA256", COLOR_HEADER);
	x += W_HASH + 1;
	view_draw_text(v, 0, x, v->width - x, "PATH", COLOR_HEADER);
	if (!d->nrows)
		view_draw_text(v, 2, 2, v->width - 2,
			"No tracked data: track some with  bancada data add PATH  and commit PATH.bcd.",
			COLOR_DIM);
}

static void
tree_draw_line(struct view *v, long lineno, int y, int selected)
{
	struct data_priv *d = v->priv;
	const bc_data_item *it = &d->tree.v[d->rows[lineno]];
	if (selected)
		view_draw_fill(v, y, 0, v->width, COLOR_CURSOR);
	int x = 1;
	view_draw_text(v, y, x, W_STATE, state_label(it, d->checked),
		selected ? COLOR_CURSOR : state_color(it, d->checked));
	x += W_STATE + 1;
	char buf[64];
	data_fmt_bytes(it->size, buf, sizeof buf);
	view_draw_text_right(v, y, x, W_SIZE, buf, selected ? COLOR_CURSOR : COLOR_DEFAULT);
	x += W_SIZE + 1;
	snprintf(buf, sizeof buf, "%.12s", it->hash[0] ? it->hash : "-");
	view_draw_text(v, y, x, W_HASH, buf, selected ? COLOR_CURSOR : COLOR_ID);
	x += W_HASH + 1;
	enum color_id c = selected ? COLOR_CURSOR : COLOR_DEFAULT;
	char *text;
	if (it->inner) {
		text = bc_sprintf("    %s", it->inner);
	} else if (it->is_dir) {
		int open = d->open && d->open[d->rows[lineno]];
		const char *mark = tui.ascii ? (open ? "-" : "+") : (open ? "\xe2\x96\xbe" : "\xe2\x96\xb8");
		text = bc_sprintf("%s %s/  (%lld file%s)", mark, it->path, (long long)it->nfiles,
			it->nfiles == 1 ? "" : "s");
	} else {
		text = bc_sprintf("  %s", it->path);
	}
	if (text)
		view_draw_text(v, y, x, v->width - x, text, c);
	free(text);
}

/* Open the versions of a tracked path (a file of a directory: its directory). */
static void
open_versions(struct view *v, const bc_data_item *it)
{
	char *inner = it->inner ? bc_sprintf("%s/%s", it->path, it->inner) : NULL;
	struct view_arg a = { .text = it->path, .run_id = inner, .from = v };
	view_open(&view_data_ops, &a);
	free(inner);
}

static enum request
tree_request(struct view *v, enum request req)
{
	struct data_priv *d = v->priv;
	const bc_data_item *it = d->nrows && v->lineno < (long)d->nrows ? &d->tree.v[d->rows[v->lineno]] : NULL;
	switch (req) {
	case REQ_ENTER:
		if (it && it->is_dir && !it->inner && d->open) {
			d->open[d->rows[v->lineno]] ^= 1;
			build_rows(d);
			v->lines = (long)d->nrows;
			view_goto(v, v->lineno);
			view_redraw(v);
			return REQ_NONE;
		}
		/* Enter on a file shows its versions */
		/* fall through */
	case REQ_DATA_LOG:
		if (it)
			open_versions(v, it);
		return REQ_NONE;
	case REQ_REFRESH:
		if (d->check) {
			tui_status("still checking the data...");
			return REQ_NONE;
		}
		tree_load(v);
		tui_status("checking the data...");
		return REQ_NONE;
	default:
		return req;
	}
}

static int
tree_tick(struct view *v)
{
	struct data_priv *d = v->priv;
	struct data_check *c = d->check;
	if (!c)
		return 0;
	pthread_mutex_lock(&c->lock);
	int finished = c->finished;
	pthread_mutex_unlock(&c->lock);
	if (!finished)
		return 0;
	d->check = NULL;
	if (c->rc < 0) {
		tui_error("data status: %s", c->error);
	} else {
		d->checked = 1;
		tree_replace(v, &c->result);
		size_t bad = 0;
		for (size_t i = 0; i < d->tree.n; i++)
			bad += !d->tree.v[i].inner && d->tree.v[i].state != BC_DATA_CLEAN;
		if (bad)
			tui_status("%zu tracked path%s not clean (%lld file%s read)", bad, bad == 1 ? "" : "s",
				(long long)d->tree.files_hashed, d->tree.files_hashed == 1 ? "" : "s");
	}
	check_free(c);
	return 1;
}

/* ---- versions mode ---- */

#define W_COMMIT 8
#define W_DATE 16
#define W_AUTHOR 10
#define W_RUNS 6

static void
versions_draw_header(struct view *v)
{
	struct data_priv *d = v->priv;
	view_draw_fill(v, 0, 0, v->width, COLOR_HEADER);
	static const struct { const char *name; int w, right; } cols[] = {
		{ "COMMIT", W_COMMIT, 0 }, { "DATE", W_DATE, 0 }, { "AUTHOR", W_AUTHOR, 0 },
		{ "SHA256", W_HASH - 2, 0 }, { "SIZE", W_SIZE - 1, 1 }, { "RUNS", W_RUNS, 1 },
	};
	int x = 1;
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
		if (cols[i].right)
			view_draw_text_right(v, 0, x, cols[i].w, cols[i].name, COLOR_HEADER);
		else
			view_draw_text(v, 0, x, cols[i].w, cols[i].name, COLOR_HEADER);
		x += cols[i].w + 1;
	}
	view_draw_text(v, 0, x, v->width - x, "SUBJECT", COLOR_HEADER);
	if (!d->nver)
		view_draw_text(v, 2, 2, v->width - 2, "No committed versions: commit the pointer (PATH.bcd).",
			COLOR_DIM);
}

static void
versions_draw_line(struct view *v, long lineno, int y, int selected)
{
	struct data_priv *d = v->priv;
	const bc_data_version *ver = &d->ver[lineno];
	if (selected)
		view_draw_fill(v, y, 0, v->width, COLOR_CURSOR);
	enum color_id c = selected ? COLOR_CURSOR : COLOR_DEFAULT;
	char buf[64];
	int x = 1;
	snprintf(buf, sizeof buf, "%.8s", ver->commit);
	view_draw_text(v, y, x, W_COMMIT, buf, selected ? c : COLOR_ID);
	x += W_COMMIT + 1;
	fmt_time(ver->time_ms, buf, sizeof buf);
	buf[W_DATE] = '\0';
	view_draw_text(v, y, x, W_DATE, buf, selected ? c : COLOR_DATE);
	x += W_DATE + 1;
	view_draw_text(v, y, x, W_AUTHOR, ver->author ? ver->author : "", c);
	x += W_AUTHOR + 1;
	snprintf(buf, sizeof buf, "%.10s", ver->hash[0] ? ver->hash : "(removed)");
	view_draw_text(v, y, x, W_HASH - 2, buf, selected ? c : COLOR_ID);
	x += W_HASH - 1;
	data_fmt_bytes(ver->size, buf, sizeof buf);
	view_draw_text_right(v, y, x, W_SIZE - 1, buf, c);
	x += W_SIZE;
	snprintf(buf, sizeof buf, "%zu", ver->nruns);
	view_draw_text_right(v, y, x, W_RUNS, ver->nruns ? buf : "-", c);
	x += W_RUNS + 1;
	view_draw_text(v, y, x, v->width - x, ver->subject ? ver->subject : "", c);
}

static void
run_chosen(struct view *target, long idx, const int *toggles, void *data)
{
	(void)toggles;
	struct data_priv *d = target->priv;
	size_t vi = (size_t)(uintptr_t)data;
	if (idx >= 0 && vi < d->nver && (size_t)idx < d->ver[vi].nruns)
		open_run_view(d->ver[vi].runs[idx]);
}

/* Enter on a version: its one run, or a list of the runs that used it. */
static void
versions_enter(struct view *v)
{
	struct data_priv *d = v->priv;
	if (!d->nver)
		return;
	const bc_data_version *ver = &d->ver[v->lineno];
	if (!ver->nruns) {
		tui_status("no recorded run used version %.10s", ver->hash[0] ? ver->hash : "(removed)");
		return;
	}
	if (ver->nruns == 1) {
		open_run_view(ver->runs[0]);
		return;
	}
	char **items = calloc(ver->nruns, sizeof *items);
	if (!items)
		return;
	for (size_t i = 0; i < ver->nruns; i++) {
		bc_run *r = NULL;
		char sid[40];
		run_short_id(ver->runs[i], sid, sizeof sid);
		if (bc_run_load(&r, tui.p, ver->runs[i]) == 0 && r) {
			char date[32];
			fmt_time(r->started_ms, date, sizeof date);
			items[i] = bc_sprintf("%-10s %-11s %s  %s", sid, bc_run_status_name(r->status), date,
				r->name ? r->name : "");
		} else {
			bc_error_clear(tui.p);
			items[i] = bc_sprintf("%-10s (deleted)", sid);
		}
		bc_run_free(r);
	}
	char title[256];
	snprintf(title, sizeof title, "[runs] that used %.10s of %.200s", ver->hash, d->path);
	struct list_spec spec = {
		.title = title, .items = items, .n = ver->nruns, .chosen = run_chosen,
		.target = v, .data = (void *)(uintptr_t)v->lineno,
	};
	open_list_view(&spec);
	for (size_t i = 0; i < ver->nruns; i++)
		free(items[i]);
	free(items);
}

static int
versions_load(struct view *v)
{
	struct data_priv *d = v->priv;
	char *abs = bc_sprintf("%s/%s", bc_project_root(tui.p), d->path);
	bc_data_log_free(d->ver, d->nver);
	d->ver = NULL;
	d->nver = 0;
	int rc = abs ? bc_data_log(tui.p, abs, &d->ver, &d->nver) : -1;
	free(abs);
	if (rc < 0 && rc != BC_ENOTFOUND) {
		tui_error("%s", bc_errmsg(tui.p));
		return -1;
	}
	bc_error_clear(tui.p);
	v->lines = (long)d->nver;
	view_goto(v, v->lineno);
	return 0;
}

/* ---- the ops ---- */

static int
data_open(struct view *v, const struct view_arg *arg)
{
	struct data_priv *d = v->priv;
	v->header_rows = 1;
	if (arg->text) {
		d->versions = 1;
		snprintf(d->path, sizeof d->path, "%s", arg->text);
		snprintf(d->inner, sizeof d->inner, "%s", arg->run_id ? arg->run_id : "");
		return versions_load(v);
	}
	return tree_load(v);
}

static void
data_draw_header(struct view *v)
{
	struct data_priv *d = v->priv;
	if (d->versions)
		versions_draw_header(v);
	else
		tree_draw_header(v);
}

static void
data_draw_line(struct view *v, long lineno, int y, int selected)
{
	struct data_priv *d = v->priv;
	if (d->versions)
		versions_draw_line(v, lineno, y, selected);
	else
		tree_draw_line(v, lineno, y, selected);
}

static enum request
data_request(struct view *v, enum request req)
{
	struct data_priv *d = v->priv;
	if (!d->versions)
		return tree_request(v, req);
	switch (req) {
	case REQ_ENTER:
		versions_enter(v);
		return REQ_NONE;
	case REQ_REFRESH:
		versions_load(v);
		return REQ_NONE;
	case REQ_DATA_LOG:
		tui_status("this is the versions list of %s: q goes back to the paths", d->path);
		return REQ_NONE;
	default:
		return req;
	}
}

static int
data_tick(struct view *v)
{
	struct data_priv *d = v->priv;
	return d->versions ? 0 : tree_tick(v);
}

static const char *
data_line_text(struct view *v, long lineno)
{
	struct data_priv *d = v->priv;
	static char buf[8192];
	if (d->versions) {
		const bc_data_version *ver = &d->ver[lineno];
		snprintf(buf, sizeof buf, "%.10s %.10s %lld %zu %s", ver->commit, ver->hash,
			(long long)ver->size, ver->nruns, ver->subject ? ver->subject : "");
	} else {
		const bc_data_item *it = &d->tree.v[d->rows[lineno]];
		snprintf(buf, sizeof buf, "%s %.12s %s%s%s", state_label(it, d->checked), it->hash,
			it->path, it->inner ? "/" : "", it->inner ? it->inner : "");
	}
	return buf;
}

static const char *
data_title(struct view *v)
{
	struct data_priv *d = v->priv;
	if (d->versions) {
		if (d->inner[0])
			snprintf(d->title, sizeof d->title, "[data] versions of %.200s (the directory holding %.200s): %zu",
				d->path, d->inner, d->nver);
		else
			snprintf(d->title, sizeof d->title, "[data] versions of %.400s: %zu", d->path, d->nver);
		return d->title;
	}
	size_t paths = 0, bad = 0;
	for (size_t i = 0; i < d->tree.n; i++)
		if (!d->tree.v[i].inner) {
			paths++;
			bad += d->checked && d->tree.v[i].state != BC_DATA_CLEAN;
		}
	if (!d->checked)
		snprintf(d->title, sizeof d->title, "[data] %zu tracked path%s, checking...", paths,
			paths == 1 ? "" : "s");
	else if (bad)
		snprintf(d->title, sizeof d->title, "[data] %zu tracked path%s, %zu changed", paths,
			paths == 1 ? "" : "s", bad);
	else
		snprintf(d->title, sizeof d->title, "[data] %zu tracked path%s, all ok", paths,
			paths == 1 ? "" : "s");
	return d->title;
}

static void
data_done(struct view *v)
{
	struct data_priv *d = v->priv;
	check_free(d->check);
	bc_data_list_clear(&d->tree);
	free(d->open);
	free(d->rows);
	bc_data_log_free(d->ver, d->nver);
}

const struct view_ops view_data_ops = {
	.name = "data",
	.flags = VIEW_LIVE,
	.private_size = sizeof(struct data_priv),
	.open = data_open,
	.draw_header = data_draw_header,
	.draw_line = data_draw_line,
	.request = data_request,
	.tick = data_tick,
	.done = data_done,
	.title = data_title,
	.line_text = data_line_text,
};
