/* SPDX-License-Identifier: MIT */
/*
 * The diff view: full provenance of two runs in one scrollable page: params
 * changed, metric deltas, the code diff between their commits plus their
 * uncommitted patches, data inputs/outputs, environment, and a line diff of
 * their stdout logs. ] and [ jump between sections and file headers.
 */
#include "config.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

#define LOG_DIFF_MAX_LINES 3000

struct diff_priv {
	bc_run *a, *b;
	struct tlines lines;
	char title[512];
};

static void
section(struct tlines *t, const char *name)
{
	tlines_add(t, COLOR_DEFAULT, 0, "", 0);
	tlines_addf(t, COLOR_SECTION, 1, "%s %s", tui.ascii ? "==" : "\xe2\x94\x80\xe2\x94\x80", name);
}

static void
diff_params(struct tlines *t, const bc_run *a, const bc_run *b)
{
	size_t i = 0, j = 0, changed = 0;
	section(t, "Params");
	while (i < a->nparams || j < b->nparams) {
		int c = i >= a->nparams ? 1 : j >= b->nparams ? -1 : strcmp(a->params[i].key, b->params[j].key);
		char va[1024] = "", vb[1024] = "";
		if (c <= 0)
			bc_value_format(&a->params[i].v, va, sizeof va);
		if (c >= 0)
			bc_value_format(&b->params[j].v, vb, sizeof vb);
		if (c < 0) {
			tlines_addf(t, COLOR_DIFF_DEL, 0, "- %s = %s", a->params[i].key, va);
			changed++;
			i++;
		} else if (c > 0) {
			tlines_addf(t, COLOR_DIFF_ADD, 0, "+ %s = %s", b->params[j].key, vb);
			changed++;
			j++;
		} else {
			if (strcmp(va, vb)) {
				tlines_addf(t, COLOR_DIFFERS, 0, "~ %s: %s -> %s", a->params[i].key, va, vb);
				changed++;
			}
			i++;
			j++;
		}
	}
	if (!changed)
		tlines_add(t, COLOR_DIM, 0, "  (same params)", 15);
}

static void
diff_metrics(struct tlines *t, const bc_run *a, const bc_run *b)
{
	size_t i = 0, j = 0;
	section(t, "Metrics (last value; delta = b - a)");
	while (i < a->nmetrics || j < b->nmetrics) {
		int c = i >= a->nmetrics ? 1 : j >= b->nmetrics ? -1 : strcmp(a->metrics[i].key, b->metrics[j].key);
		char x[32], y[32], d[32];
		if (c < 0) {
			fmt_num(a->metrics[i].last, x, sizeof x);
			tlines_addf(t, COLOR_DIFF_DEL, 0, "- %-24s %12s", a->metrics[i].key, x);
			i++;
		} else if (c > 0) {
			fmt_num(b->metrics[j].last, y, sizeof y);
			tlines_addf(t, COLOR_DIFF_ADD, 0, "+ %-24s %12s", b->metrics[j].key, y);
			j++;
		} else {
			double va = a->metrics[i].last, vb = b->metrics[j].last;
			fmt_num(va, x, sizeof x);
			fmt_num(vb, y, sizeof y);
			fmt_num(vb - va, d, sizeof d);
			enum color_id col = vb > va ? COLOR_DELTA_UP : vb < va ? COLOR_DELTA_DOWN : COLOR_DEFAULT;
			char pct[32] = "";
			if (isfinite(va) && va != 0 && isfinite(vb))
				snprintf(pct, sizeof pct, " (%+.1f%%)", (vb - va) / fabs(va) * 100.0);
			tlines_addf(t, col, 0, "  %-24s %12s -> %-12s %s%s%s", a->metrics[i].key, x, y,
				vb > va ? "+" : "", d, pct);
			i++;
			j++;
		}
	}
	if (!a->nmetrics && !b->nmetrics)
		tlines_add(t, COLOR_DIM, 0, "  (no metrics)", 14);
}

static void
diff_code(struct tlines *t, const bc_run *a, const bc_run *b)
{
	section(t, "Code");
	if (!a->git_commit || !b->git_commit) {
		tlines_add(t, COLOR_DIM, 0, "  (a run was not recorded in a git repository)", 46);
	} else if (!strcmp(a->git_commit, b->git_commit)) {
		tlines_addf(t, COLOR_DIM, 0, "  same commit %.12s", a->git_commit);
	} else {
		tlines_addf(t, COLOR_DEFAULT, 0, "  commits %.12s -> %.12s", a->git_commit, b->git_commit);
		char *out = NULL;
		size_t len = 0;
		if (bc_git_diff_commits(tui.p, bc_project_root(tui.p), a->git_commit, b->git_commit, &out, &len) == 0)
			tlines_add_patch(t, out, len);
		else
			tlines_addf(t, COLOR_ERROR, 0, "  cannot diff the commits: %s", bc_errmsg(tui.p));
		free(out);
	}
	for (int k = 0; k < 2; k++) {
		const bc_run *r = k ? b : a;
		if (r->git_dirty && r->git_patch_len) {
			if (k && a->git_patch_len == b->git_patch_len && a->git_patch &&
			    !memcmp(a->git_patch, b->git_patch, a->git_patch_len)) {
				tlines_add(t, COLOR_DIM, 0, "  (b has the same uncommitted changes as a)", 42);
				continue;
			}
			section(t, k ? "Uncommitted changes in b" : "Uncommitted changes in a");
			tlines_add_patch(t, r->git_patch, r->git_patch_len);
		}
	}
}

static void
diff_kv(struct tlines *t, const char *title, const bc_kv *a, size_t na, const bc_kv *b, size_t nb)
{
	size_t changed = 0;
	section(t, title);
	for (size_t i = 0; i < na; i++) {
		const bc_kv *m = NULL;
		for (size_t j = 0; j < nb && !m; j++)
			if (!strcmp(a[i].key, b[j].key))
				m = &b[j];
		if (!m) {
			tlines_addf(t, COLOR_DIFF_DEL, 0, "- %s = %s", a[i].key, a[i].value ? a[i].value : "");
			changed++;
		} else if (strcmp(a[i].value ? a[i].value : "", m->value ? m->value : "")) {
			tlines_addf(t, COLOR_DIFFERS, 0, "~ %s: %s -> %s", a[i].key, a[i].value ? a[i].value : "",
				m->value ? m->value : "");
			changed++;
		}
	}
	for (size_t j = 0; j < nb; j++) {
		int found = 0;
		for (size_t i = 0; i < na && !found; i++)
			found = !strcmp(a[i].key, b[j].key);
		if (!found) {
			tlines_addf(t, COLOR_DIFF_ADD, 0, "+ %s = %s", b[j].key, b[j].value ? b[j].value : "");
			changed++;
		}
	}
	if (!changed)
		tlines_add(t, COLOR_DIM, 0, "  (no change)", 13);
}

/* Split a file into at most max lines (pointers into *buf). */
static size_t
read_lines(const char *path, char **buf, char ***lines, size_t max)
{
	*buf = NULL;
	*lines = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t cap = 1 << 20, len = 0;
	*buf = malloc(cap + 1);
	if (!*buf) {
		fclose(f);
		return 0;
	}
	len = fread(*buf, 1, cap, f);
	fclose(f);
	(*buf)[len] = 0;
	*lines = calloc(max + 1, sizeof(char *));
	size_t n = 0;
	char *s = *buf;
	while (*s && n < max) {
		(*lines)[n++] = s;
		char *nl = strchr(s, '\n');
		if (!nl)
			break;
		*nl = 0;
		s = nl + 1;
	}
	return n;
}

/* Line diff of the two stdout logs (LCS), shown with context like diff -u. */
static void
diff_logs(struct tlines *t, const bc_run *a, const bc_run *b)
{
	section(t, "Output (stdout.log)");
	char pa[4096], pb[4096];
	snprintf(pa, sizeof pa, "%s/stdout.log", bc_project_run_dir(tui.p, a->id));
	snprintf(pb, sizeof pb, "%s/stdout.log", bc_project_run_dir(tui.p, b->id));
	char *ba, *bb, **la, **lb;
	size_t na = read_lines(pa, &ba, &la, LOG_DIFF_MAX_LINES);
	size_t nb = read_lines(pb, &bb, &lb, LOG_DIFF_MAX_LINES);
	uint16_t *dp = calloc((na + 1) * (nb + 1), sizeof(uint16_t));
	if (!dp) {
		tlines_add(t, COLOR_ERROR, 0, "  (logs too large to diff)", 26);
		goto done;
	}
#define DP(i, j) dp[(size_t)(i) * (nb + 1) + (size_t)(j)]
	for (size_t i = na; i-- > 0;)
		for (size_t j = nb; j-- > 0;)
			DP(i, j) = !strcmp(la[i], lb[j]) ? (uint16_t)(DP(i + 1, j + 1) + 1) :
				DP(i + 1, j) > DP(i, j + 1) ? DP(i + 1, j) : DP(i, j + 1);
	/* edit script: '=' '-' '+' with line indices */
	size_t nops = 0, i = 0, j = 0, changes = 0;
	struct op { char kind; size_t ia, ib; } *ops = malloc((na + nb + 1) * sizeof *ops);
	if (!ops)
		goto done;
	while (i < na || j < nb) {
		if (i < na && j < nb && !strcmp(la[i], lb[j]))
			ops[nops++] = (struct op){ '=', i++, j++ };
		else if (j >= nb || (i < na && DP(i + 1, j) >= DP(i, j + 1)))
			ops[nops++] = (struct op){ '-', i++, j };
		else
			ops[nops++] = (struct op){ '+', i, j++ };
	}
	/* show changes with `ctx` lines of context, like diff -u */
	long ctx = tui.opt.diff_context;
	long last_shown = -1;
	for (size_t k = 0; k < nops; k++) {
		int near = 0;
		for (long d = -ctx; d <= ctx && !near; d++) {
			long q = (long)k + d;
			near = q >= 0 && q < (long)nops && ops[q].kind != '=';
		}
		if (!near)
			continue;
		if (last_shown != (long)k - 1)
			tlines_addf(t, COLOR_DIFF_HUNK, 0, "@@ line %zu (a) / %zu (b) @@", ops[k].ia + 1, ops[k].ib + 1);
		last_shown = (long)k;
		if (ops[k].kind == '=')
			tlines_addf(t, COLOR_DEFAULT, 0, " %s", la[ops[k].ia]);
		else if (ops[k].kind == '-')
			tlines_addf(t, COLOR_DIFF_DEL, 0, "-%s", la[ops[k].ia]);
		else
			tlines_addf(t, COLOR_DIFF_ADD, 0, "+%s", lb[ops[k].ib]);
		changes += ops[k].kind != '=';
	}
	free(ops);
#undef DP
	if (!changes)
		tlines_addf(t, COLOR_DIM, 0, "  (same output, %zu lines)", na);
	if (na == LOG_DIFF_MAX_LINES || nb == LOG_DIFF_MAX_LINES)
		tlines_addf(t, COLOR_DIM, 0, "  (only the first %d lines compared)", LOG_DIFF_MAX_LINES);
done:
	free(dp);
	free(ba);
	free(bb);
	free(la);
	free(lb);
}

static int
diff_open(struct view *v, const struct view_arg *arg)
{
	struct diff_priv *d = v->priv;
	if (!arg->run_id || !arg->run_id2)
		return -1;
	if (bc_run_load(&d->a, tui.p, arg->run_id) < 0 || bc_run_load(&d->b, tui.p, arg->run_id2) < 0) {
		tui_error("%s", bc_errmsg(tui.p));
		return -1;
	}
	struct tlines *t = &d->lines;
	char sa[40], sb[40];
	run_short_id(d->a->id, sa, sizeof sa);
	run_short_id(d->b->id, sb, sizeof sb);
	tlines_addf(t, COLOR_DIFF_DEL, 0, "a: %s %s (%s)", sa, d->a->name ? d->a->name : "",
		bc_run_status_name(d->a->status));
	tlines_addf(t, COLOR_DIFF_ADD, 0, "b: %s %s (%s)", sb, d->b->name ? d->b->name : "",
		bc_run_status_name(d->b->status));
	diff_params(t, d->a, d->b);
	diff_metrics(t, d->a, d->b);
	diff_code(t, d->a, d->b);
	diff_kv(t, "Data inputs", d->a->inputs, d->a->ninputs, d->b->inputs, d->b->ninputs);
	diff_kv(t, "Data outputs", d->a->outputs, d->a->noutputs, d->b->outputs, d->b->noutputs);
	diff_kv(t, "Environment", d->a->env, d->a->nenv, d->b->env, d->b->nenv);
	diff_logs(t, d->a, d->b);
	v->lines = (long)t->n;
	return 0;
}

static void
diff_draw_line(struct view *v, long lineno, int y, int selected)
{
	struct diff_priv *d = v->priv;
	tlines_draw(v, &d->lines, lineno, y, selected);
}

static const char *
diff_line_text(struct view *v, long lineno)
{
	struct diff_priv *d = v->priv;
	return d->lines.v[lineno].text;
}

static enum request
diff_request(struct view *v, enum request req)
{
	struct diff_priv *d = v->priv;
	if (req == REQ_NEXT_DIFF || req == REQ_PREV_DIFF) {
		int dir = req == REQ_NEXT_DIFF ? 1 : -1;
		for (long l = v->offset + dir; l >= 0 && l < v->lines; l += dir)
			if (d->lines.v[l].flag) {
				view_goto(v, l);
				return REQ_NONE;
			}
		return REQ_NONE;
	}
	if (req == REQ_ENTER)
		return REQ_MOVE_DOWN;
	return req;
}

static const char *
diff_title(struct view *v)
{
	struct diff_priv *d = v->priv;
	char sa[40], sb[40];
	run_short_id(d->a->id, sa, sizeof sa);
	run_short_id(d->b->id, sb, sizeof sb);
	snprintf(d->title, sizeof d->title, "[diff] %s %s .. %s %s", sa, d->a->name ? d->a->name : "", sb,
		d->b->name ? d->b->name : "");
	return d->title;
}

static void
diff_done(struct view *v)
{
	struct diff_priv *d = v->priv;
	tlines_clear(&d->lines);
	bc_run_free(d->a);
	bc_run_free(d->b);
}

const struct view_ops view_diff_ops = {
	.name = "diff",
	.flags = VIEW_NO_CURSOR,
	.private_size = sizeof(struct diff_priv),
	.open = diff_open,
	.draw_line = diff_draw_line,
	.request = diff_request,
	.line_text = diff_line_text,
	.title = diff_title,
	.done = diff_done,
};
