/* SPDX-License-Identifier: MIT */
/*
 * The run detail view: tabs for overview, params, metrics (with
 * sparklines), logs (pager with search and follow mode for live runs),
 * code (coloured patch), data and bundles.
 */
#include "config.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "tui.h"

enum run_tab { TAB_OVERVIEW, TAB_PARAMS, TAB_METRICS, TAB_LOGS, TAB_CODE, TAB_DATA, TAB_BUNDLES, NTABS };
static const char *const tab_names[NTABS] = { "overview", "params", "metrics", "logs", "code", "data", "bundles" };

struct run_priv {
	char id[33];
	bc_run *run;
	int tab;
	struct tlines lines;
	long pos[NTABS][2];          /* lineno, offset per tab */
	int follow;
	char log_path[4096];
	off_t log_off;               /* bytes consumed */
	char *partial;               /* incomplete last line */
	size_t partial_len;
	int64_t version;
	char title[512];
};

static void
add_kv(struct tlines *t, const char *k, const char *v, enum color_id c)
{
	char buf[8192];
	snprintf(buf, sizeof buf, "%-11s %s", k, v ? v : "");
	tlines_add(t, c, 0, buf, strlen(buf));
}

static void
build_overview(struct run_priv *r)
{
	bc_run *run = r->run;
	struct tlines *t = &r->lines;
	char buf[4096], a[128], b[128];
	add_kv(t, "Name", run->name, COLOR_DEFAULT);
	add_kv(t, "Id", run->id, COLOR_ID);
	snprintf(buf, sizeof buf, "%s", bc_run_status_name(run->status));
	if (run->term_signal)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " (signal %d)", run->term_signal);
	else if (run->status != BC_RUN_RUNNING && run->exit_code >= 0)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " (exit %d)", run->exit_code);
	add_kv(t, "Status", buf, status_color(run->status));
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = 0; run->argv && run->argv[i] && o < sizeof buf - 2; i++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? " " : "", run->argv[i]);
	add_kv(t, "Command", buf, COLOR_DEFAULT);
	add_kv(t, "Directory", run->cwd, COLOR_DEFAULT);
	fmt_time(run->started_ms, a, sizeof a);
	add_kv(t, "Started", a, COLOR_DATE);
	if (run->ended_ms) {
		fmt_time(run->ended_ms, a, sizeof a);
		add_kv(t, "Ended", a, COLOR_DATE);
	}
	fmt_duration((run->ended_ms ? run->ended_ms : bc_now_ms()) - run->started_ms, b, sizeof b);
	add_kv(t, "Duration", b, COLOR_DEFAULT);
	snprintf(buf, sizeof buf, "%s@%s (pid %lld)", run->user ? run->user : "?", run->host ? run->host : "?",
		(long long)run->pid);
	add_kv(t, "Host", buf, COLOR_DEFAULT);
	if (run->git_commit) {
		snprintf(buf, sizeof buf, "%s%s%s%s", run->git_commit, run->git_branch ? " (" : "",
			run->git_branch ? run->git_branch : "", run->git_branch ? ")" : "");
		add_kv(t, "Commit", buf, COLOR_DEFAULT);
		char *subj = bc_git_commit_subject(bc_project_root(tui.p), run->git_commit);
		if (subj)
			add_kv(t, "Subject", subj, COLOR_DEFAULT);
		free(subj);
		snprintf(buf, sizeof buf, "%s", run->git_dirty ? "yes: uncommitted changes (see the code tab)" : "no");
		add_kv(t, "Dirty", buf, run->git_dirty ? COLOR_DIFFERS : COLOR_DEFAULT);
	} else
		add_kv(t, "Commit", "(not in a git repository)", COLOR_DIM);
	o = 0;
	buf[0] = 0;
	for (size_t i = 0; i < run->ntags && o < sizeof buf - 2; i++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? ", " : "", run->tags[i]);
	add_kv(t, "Tags", buf, COLOR_DEFAULT);
	if (run->experiment)
		add_kv(t, "Experiment", run->experiment, COLOR_DEFAULT);
	if (run->source.tool) {
		snprintf(buf, sizeof buf, "%s %s", run->source.tool, run->source.path ? run->source.path : "");
		add_kv(t, "Imported", buf, COLOR_DEFAULT);
	}
	if (run->bad_lines) {
		snprintf(buf, sizeof buf, "%lld malformed metric lines skipped", (long long)run->bad_lines);
		add_kv(t, "Warnings", buf, COLOR_ERROR);
	}
	snprintf(buf, sizeof buf, "%zu params, %zu metrics, %zu inputs, %zu outputs", run->nparams,
		run->nmetrics, run->ninputs, run->noutputs);
	add_kv(t, "Recorded", buf, COLOR_DIM);
	tlines_add(t, COLOR_DEFAULT, 0, "", 0);
	tlines_add(t, COLOR_SECTION, 1, "Note", 4);
	if (run->note && *run->note) {
		const char *s = run->note;
		while (*s) {
			const char *nl = strchr(s, '\n');
			size_t l = nl ? (size_t)(nl - s) : strlen(s);
			tlines_add(t, COLOR_DEFAULT, 0, s, l);
			s += l + (nl ? 1 : 0);
		}
	} else
		tlines_add(t, COLOR_DIM, 0, "(none: bancada note RUN TEXT adds one)", 38);
}

static void
build_params(struct run_priv *r)
{
	int w = 8;
	for (size_t i = 0; i < r->run->nparams; i++) {
		int kw = bc_text_width(r->run->params[i].key);
		if (kw > w)
			w = kw < 40 ? kw : 40;
	}
	for (size_t i = 0; i < r->run->nparams; i++) {
		char val[4096], line[8192];
		bc_value_format(&r->run->params[i].v, val, sizeof val);
		snprintf(line, sizeof line, "%-*s = %s", w, r->run->params[i].key, val);
		tlines_add(&r->lines, COLOR_DEFAULT, 0, line, strlen(line));
	}
	if (!r->run->nparams)
		tlines_add(&r->lines, COLOR_DIM, 0, "No params recorded.", 19);
}

/* A sparkline of `width` cells from the series (bucket max keeps spikes). */
static void
sparkline(const char *id, const char *key, int width, char *out, size_t size)
{
	static const char *const blocks[] = { "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
		"\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88" };
	static const char ascii[] = "_.-:=+*#";
	bc_point *pts = NULL;
	size_t n = 0;
	out[0] = 0;
	if (bc_metric_series(tui.p, id, key, INT64_MIN, INT64_MAX, &pts, &n) < 0 || !n) {
		free(pts);
		return;
	}
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < n; i++)
		if (isfinite(pts[i].value)) {
			if (pts[i].value < lo)
				lo = pts[i].value;
			if (pts[i].value > hi)
				hi = pts[i].value;
		}
	int cells = n < (size_t)width ? (int)n : width;
	size_t o = 0;
	for (int c = 0; c < cells; c++) {
		size_t a = (size_t)c * n / (size_t)cells, b = (size_t)(c + 1) * n / (size_t)cells;
		double v = NAN;
		/* the extreme farthest from the previous level: spikes stay visible */
		for (size_t i = a; i < b; i++)
			if (isfinite(pts[i].value) && (isnan(v) || fabs(pts[i].value - (lo + hi) / 2) > fabs(v - (lo + hi) / 2)))
				v = pts[i].value;
		int level = isnan(v) || hi <= lo ? 0 : (int)((v - lo) / (hi - lo) * 7.0 + 0.5);
		if (level < 0)
			level = 0;
		if (level > 7)
			level = 7;
		if (tui.ascii) {
			if (o + 1 < size)
				out[o++] = ascii[level];
		} else if (o + 3 < size) {
			memcpy(out + o, blocks[level], 3);
			o += 3;
		}
	}
	out[o] = 0;
	free(pts);
}

static void
build_metrics(struct run_priv *r)
{
	int w = 6;
	for (size_t i = 0; i < r->run->nmetrics; i++) {
		int kw = bc_text_width(r->run->metrics[i].key);
		if (kw > w)
			w = kw < 30 ? kw : 30;
	}
	char line[8192];
	snprintf(line, sizeof line, "%-*s %12s %12s %12s %9s  %s", w, "metric", "last", "min", "max", "count", "trend");
	tlines_add(&r->lines, COLOR_HEADER, 0, line, strlen(line));
	for (size_t i = 0; i < r->run->nmetrics; i++) {
		const bc_metric_summary *m = &r->run->metrics[i];
		char last[32], mn[32], mx[32], spark[256];
		fmt_num(m->last, last, sizeof last);
		fmt_num(m->min, mn, sizeof mn);
		fmt_num(m->max, mx, sizeof mx);
		sparkline(r->id, m->key, 24, spark, sizeof spark);
		char key[256];
		display_fit(m->key, w, key, sizeof key);
		int pad = w - bc_text_width(key);
		snprintf(line, sizeof line, "%s%*s %12s %12s %12s %9lld  %s", key, pad > 0 ? pad : 0, "",
			last, mn, mx, (long long)m->count, spark);
		tlines_add(&r->lines, COLOR_DEFAULT, 0, line, strlen(line));
	}
	if (!r->run->nmetrics)
		tlines_add(&r->lines, COLOR_DIM, 0, "No metrics recorded.", 20);
}

/* Append log bytes: complete lines become rows; CR keeps the last redraw. */
static void
log_feed(struct run_priv *r, const char *data, size_t len, int final)
{
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && data[i] != '\n')
			continue;
		if (i == len && !final) {
			/* keep the incomplete tail */
			size_t tl = len - start;
			char *np = realloc(r->partial, r->partial_len + tl + 1);
			if (np) {
				memcpy(np + r->partial_len, data + start, tl);
				r->partial = np;
				r->partial_len += tl;
			}
			break;
		}
		const char *s = data + start;
		size_t l = i - start;
		char *joined = NULL;
		if (r->partial_len) {
			joined = malloc(r->partial_len + l + 1);
			if (joined) {
				memcpy(joined, r->partial, r->partial_len);
				memcpy(joined + r->partial_len, s, l);
				s = joined;
				l += r->partial_len;
			}
			r->partial_len = 0;
		}
		if (l && s[l - 1] == '\r')
			l--;
		/* progress bars redraw with CR: show what the terminal would */
		const char *cr = memrchr(s, '\r', l);
		if (cr) {
			l -= (size_t)(cr + 1 - s);
			s = cr + 1;
		}
		if (l || i < len)
			tlines_add(&r->lines, COLOR_DEFAULT, 0, s, l);
		free(joined);
		start = i + 1;
	}
}

static void
log_read_more(struct run_priv *r)
{
	FILE *f = fopen(r->log_path, "rb");
	if (!f)
		return;
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && st.st_size < r->log_off) {
		r->log_off = 0;     /* truncated: start again */
	}
	if (r->log_off == 0 && st.st_size > tui.opt.log_max_bytes) {
		r->log_off = st.st_size - tui.opt.log_max_bytes;
		char note[128];
		snprintf(note, sizeof note, "[first %lld bytes not shown: set log-max-bytes to see more]",
			(long long)r->log_off);
		tlines_add(&r->lines, COLOR_DIM, 0, note, strlen(note));
	}
	fseeko(f, r->log_off, SEEK_SET);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		log_feed(r, buf, n, 0);
		r->log_off += (off_t)n;
	}
	fclose(f);
}

static void
build_logs(struct run_priv *r)
{
	const char *dir = bc_project_run_dir(tui.p, r->id);
	snprintf(r->log_path, sizeof r->log_path, "%s/stdout.log", dir);
	r->log_off = 0;
	r->partial_len = 0;
	log_read_more(r);
	if (r->run->status != BC_RUN_RUNNING && r->partial_len) {
		log_feed(r, "", 0, 1);
	}
	char err_path[4200];
	snprintf(err_path, sizeof err_path, "%s/stderr.log", bc_project_run_dir(tui.p, r->id));
	struct stat st;
	if (r->run->status != BC_RUN_RUNNING && stat(err_path, &st) == 0 && st.st_size > 0) {
		tlines_add(&r->lines, COLOR_SECTION, 1, "--- stderr.log ---", 18);
		FILE *f = fopen(err_path, "rb");
		if (f) {
			char buf[65536];
			size_t n;
			off_t total = 0;
			while ((n = fread(buf, 1, sizeof buf, f)) > 0 && total < tui.opt.log_max_bytes) {
				log_feed(r, buf, n, 0);
				total += (off_t)n;
			}
			log_feed(r, "", 0, 1);
			fclose(f);
		}
	}
	if (!r->lines.n)
		tlines_add(&r->lines, COLOR_DIM, 0, "(no output recorded)", 20);
}

static void
build_code(struct run_priv *r)
{
	bc_run *run = r->run;
	if (!run->git_commit) {
		tlines_add(&r->lines, COLOR_DIM, 0, "This run was not recorded inside a git repository.", 50);
		return;
	}
	tlines_addf(&r->lines, COLOR_DIFF_HEADER, 1, "commit %s", run->git_commit);
	if (run->git_branch)
		tlines_addf(&r->lines, COLOR_DEFAULT, 0, "branch %s", run->git_branch);
	char *subj = bc_git_commit_subject(bc_project_root(tui.p), run->git_commit);
	if (subj) {
		tlines_addf(&r->lines, COLOR_DEFAULT, 0, "    %s", subj);
		free(subj);
	}
	tlines_add(&r->lines, COLOR_DEFAULT, 0, "", 0);
	if (!run->git_dirty || !run->git_patch_len) {
		tlines_add(&r->lines, COLOR_DIM, 0, "No uncommitted changes when the run started.", 44);
		return;
	}
	tlines_add(&r->lines, COLOR_SECTION, 1, "Uncommitted changes when the run started:", 41);
	tlines_add_patch(&r->lines, run->git_patch, run->git_patch_len);
	if (run->git_patch_full_len > (int64_t)run->git_patch_len)
		tlines_addf(&r->lines, COLOR_DIM, 0, "[patch cut at %zu of %lld bytes]", run->git_patch_len,
			(long long)run->git_patch_full_len);
}

static void
build_data(struct run_priv *r)
{
	bc_run *run = r->run;
	if (!run->ninputs && !run->noutputs) {
		tlines_add(&r->lines, COLOR_DIM, 0, "No data inputs or outputs recorded for this run.", 48);
		tlines_add(&r->lines, COLOR_DIM, 0,
			"They are filled in when tracked data (bancada data add) is read or written by a run.", 84);
		return;
	}
	for (int out = 0; out < 2; out++) {
		bc_kv *kv = out ? run->outputs : run->inputs;
		size_t n = out ? run->noutputs : run->ninputs;
		tlines_addf(&r->lines, COLOR_SECTION, 1, "%s (%zu)", out ? "Outputs" : "Inputs", n);
		for (size_t i = 0; i < n; i++)
			tlines_addf(&r->lines, COLOR_DEFAULT, 0, "  %.12s  %s", kv[i].value ? kv[i].value : "",
				kv[i].key);
		tlines_add(&r->lines, COLOR_DEFAULT, 0, "", 0);
	}
}

static void
build_bundles(struct run_priv *r)
{
	bc_bundle_info *list = NULL;
	size_t n = 0, mine = 0;
	if (bc_bundle_list(tui.p, &list, &n) < 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		const bc_bundle_info *b = &list[i];
		if (!b->run_id || strcmp(b->run_id, r->id))
			continue;
		if (!mine++)
			tlines_add(&r->lines, COLOR_SECTION, 1, "Bundles made from this run", 26);
		char when[32] = "-";
		time_t t = (time_t)(b->bundled_ms / 1000);
		struct tm tm;
		if (b->bundled_ms > 0 && localtime_r(&t, &tm))
			strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
		tlines_addf(&r->lines, COLOR_DEFAULT, 0, "  %s@%s  %s  %zu files  %.1f MB  %s",
			b->name ? b->name : "?", b->version ? b->version : "?", b->format, b->nfiles,
			(double)b->size / 1e6, when);
		tlines_addf(&r->lines, COLOR_DIM, 0, "    %s", b->path ? b->path : "");
		tlines_addf(&r->lines, COLOR_DIM, 0, "    sha256 %.16s...  (bancada bundle verify %s@%s)", b->sha256,
			b->name ? b->name : "?", b->version ? b->version : "?");
	}
	bc_bundle_list_free(list, n);
	if (!mine) {
		tlines_add(&r->lines, COLOR_DIM, 0, "No bundle has been made from this run yet.", 42);
		tlines_addf(&r->lines, COLOR_DIM, 0, "Build one with: bancada bundle create %.*s", tui.short_len, r->id);
	}
}

static void
build_tab(struct view *v)
{
	struct run_priv *r = v->priv;
	tlines_clear(&r->lines);
	switch (r->tab) {
	case TAB_OVERVIEW: build_overview(r); break;
	case TAB_PARAMS: build_params(r); break;
	case TAB_METRICS: build_metrics(r); break;
	case TAB_LOGS: build_logs(r); break;
	case TAB_CODE: build_code(r); break;
	case TAB_DATA: build_data(r); break;
	case TAB_BUNDLES: build_bundles(r); break;
	}
	v->lines = (long)r->lines.n;
	v->lineno = r->pos[r->tab][0];
	v->offset = r->pos[r->tab][1];
	if (r->tab == TAB_LOGS && r->follow)
		view_goto(v, v->lines - 1);
	else
		view_goto(v, v->lineno);
	v->dirty = 1;
}

static void
set_tab(struct view *v, int tab)
{
	struct run_priv *r = v->priv;
	r->pos[r->tab][0] = v->lineno;
	r->pos[r->tab][1] = v->offset;
	r->tab = (tab + NTABS) % NTABS;
	v->hscroll = 0;
	build_tab(v);
}

static int
reload(struct run_priv *r)
{
	bc_run *nr = NULL;
	r->version = bc_project_data_version(tui.p);
	if (bc_run_load(&nr, tui.p, r->id) < 0) {
		tui_error("%s", bc_errmsg(tui.p));
		return -1;
	}
	bc_run_free(r->run);
	r->run = nr;
	return 0;
}

static int
run_open(struct view *v, const struct view_arg *arg)
{
	struct run_priv *r = v->priv;
	if (!arg->run_id)
		return -1;
	snprintf(r->id, sizeof r->id, "%s", arg->run_id);
	if (reload(r) < 0)
		return -1;
	v->header_rows = 1;
	r->follow = r->run->status == BC_RUN_RUNNING && tui.opt.follow;
	int tab = 0;
	if (arg->text)
		for (int i = 0; i < NTABS; i++)
			if (!strcmp(arg->text, tab_names[i]))
				tab = i;
	r->tab = tab;
	build_tab(v);
	return 0;
}

static void
run_draw_header(struct view *v)
{
	struct run_priv *r = v->priv;
	int x = 0;
	view_draw_fill(v, 0, 0, v->width, COLOR_TAB);
	for (int i = 0; i < NTABS && x < v->width; i++) {
		char label[64];
		snprintf(label, sizeof label, " %d %s ", i + 1, tab_names[i]);
		x += view_draw_text(v, 0, x, v->width - x, label, i == r->tab ? COLOR_TAB_ACTIVE : COLOR_TAB);
		x++;
	}
	if (r->tab == TAB_LOGS && x + 12 < v->width)
		view_draw_text(v, 0, x + 1, v->width - x - 1, r->follow ? "[following]" : "", COLOR_RUNNING);
}

static void
run_draw_line(struct view *v, long lineno, int y, int selected)
{
	struct run_priv *r = v->priv;
	tlines_draw(v, &r->lines, lineno, y, selected);
}

static const char *
run_line_text(struct view *v, long lineno)
{
	struct run_priv *r = v->priv;
	return (size_t)lineno < r->lines.n ? r->lines.v[lineno].text : NULL;
}

static enum request
run_request(struct view *v, enum request req)
{
	struct run_priv *r = v->priv;
	switch (req) {
	case REQ_NEXT_TAB:
		set_tab(v, r->tab + 1);
		return REQ_NONE;
	case REQ_PREV_TAB:
		set_tab(v, r->tab - 1);
		return REQ_NONE;
	case REQ_FOLLOW:
		r->follow = !r->follow;
		if (r->follow && r->tab != TAB_LOGS)
			set_tab(v, TAB_LOGS);
		if (r->follow)
			view_goto(v, v->lines - 1);
		tui_status("follow %s", r->follow ? "on" : "off");
		v->dirty = 1;
		return REQ_NONE;
	case REQ_ENTER:
		return REQ_NONE;
	case REQ_BUNDLE_CREATE:
		if (tui_bundle_create(r->id) == 0 && r->tab == TAB_BUNDLES)
			set_tab(v, TAB_BUNDLES);   /* rebuild the list */
		return REQ_NONE;
	case REQ_NEXT_DIFF:
	case REQ_PREV_DIFF: {
		int dir = req == REQ_NEXT_DIFF ? 1 : -1;
		for (long l = v->lineno + dir; l >= 0 && l < v->lines; l += dir)
			if (r->lines.v[l].flag) {
				view_goto(v, l);
				break;
			}
		return REQ_NONE;
	}
	case REQ_MOVE_UP:
	case REQ_MOVE_PAGE_UP:
	case REQ_MOVE_FIRST:
	case REQ_MOVE_HALF_UP:
		if (r->follow && r->tab == TAB_LOGS) {
			r->follow = 0;
			tui_status("follow off (F turns it on)");
		}
		return req;
	case REQ_PLOT: {
		char one[1][33];
		memcpy(one[0], r->id, 33);
		open_plot_view(one, 1, NULL);
		return REQ_NONE;
	}
	case REQ_DIFF:
		tui_status("diff: mark two runs in the runs view and press d");
		return REQ_NONE;
	case REQ_REFRESH:
		reload(r);
		build_tab(v);
		return REQ_NONE;
	default:
		return req;
	}
}

static int
run_tick(struct view *v)
{
	struct run_priv *r = v->priv;
	int redraw = 0;
	if (r->tab == TAB_LOGS && (r->follow || r->run->status == BC_RUN_RUNNING)) {
		size_t before = r->lines.n;
		log_read_more(r);
		if (r->lines.n != before) {
			v->lines = (long)r->lines.n;
			if (r->follow)
				view_goto(v, v->lines - 1);
			redraw = 1;
		}
	}
	if (bc_project_data_version(tui.p) != r->version) {
		bc_run_status old = r->run->status;
		if (reload(r) == 0 && (r->tab == TAB_OVERVIEW || r->tab == TAB_METRICS ||
		    (r->tab == TAB_LOGS && old != r->run->status))) {
			if (r->tab != TAB_LOGS) {
				long ln = v->lineno, off = v->offset;
				tlines_clear(&r->lines);
				build_tab(v);
				v->offset = off;
				view_goto(v, ln);
			} else if (r->partial_len) {
				log_feed(r, "", 0, 1);
				v->lines = (long)r->lines.n;
			}
			redraw = 1;
		}
	}
	if (r->run->status == BC_RUN_RUNNING && r->tab == TAB_OVERVIEW)
		redraw = 1;
	return redraw;
}

static int
run_command(struct view *v, int argc, char **argv)
{
	if (!strcmp(argv[0], "tab") && argc == 2) {
		for (int i = 0; i < NTABS; i++)
			if (!strcmp(argv[1], tab_names[i]) || (argv[1][0] == '1' + i && !argv[1][1])) {
				set_tab(v, i);
				return 0;
			}
		tui_error("unknown tab '%s': overview, params, metrics, logs, code, data, bundles", argv[1]);
		return -1;
	}
	return -2;
}

static const char *
run_title(struct view *v)
{
	struct run_priv *r = v->priv;
	char sid[40];
	run_short_id(r->id, sid, sizeof sid);
	snprintf(r->title, sizeof r->title, "[run] %s %s - %s", sid, r->run->name ? r->run->name : "",
		bc_run_status_name(r->run->status));
	return r->title;
}

static void
run_done(struct view *v)
{
	struct run_priv *r = v->priv;
	tlines_clear(&r->lines);
	bc_run_free(r->run);
	free(r->partial);
}

const struct view_ops view_run_ops = {
	.name = "run",
	.flags = VIEW_LIVE,
	.private_size = sizeof(struct run_priv),
	.open = run_open,
	.draw_header = run_draw_header,
	.draw_line = run_draw_line,
	.request = run_request,
	.command = run_command,
	.tick = run_tick,
	.title = run_title,
	.line_text = run_line_text,
	.done = run_done,
};
