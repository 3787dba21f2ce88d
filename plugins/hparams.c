/* SPDX-License-Identifier: MIT */
/*
 * hparams: how hyperparameters relate to a metric across the filtered runs.
 * Two views: a scatter of one param against one metric, and parallel
 * coordinates of every numeric param to the metric (runs coloured by
 * metric tercile, green = best). Built only against bancada/plugin.h.
 *
 * Keys: v/Tab switch view, p/P next/previous param, m/M next/previous
 * metric, s cycle last/min/max, g flip the goal (min or max is best).
 * Options (-o): param=KEY metric=KEY stat=last|min|max view=scatter|parallel
 * goal=min|max.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bancada/plugin.h>

BC_PLUGIN_DEFINE_ABI;

#define MAX_KEYS 64
#define MAX_AXES 12
#define MAX_CATS 16

/* A param whose values are strings (optimizer = adam, sgd): plotted by index. */
struct cats {
	char *v[MAX_CATS];
	int n, numeric;
};

struct hp {
	const struct bc_host_api *api;
	const bc_prun *const *runs;
	size_t nruns;
	char *params[MAX_KEYS], *metrics[MAX_KEYS];
	int nparams, nmetrics, param, metric, stat, parallel, goal_min;
	struct cats cats[MAX_KEYS];
};

static const char *const stats[] = { "last", "min", "max" };

static void
add_key(char **v, int *n, const char *k)
{
	if (!k || *n >= MAX_KEYS || !strncmp(k, "sys/", 4))
		return;
	for (int i = 0; i < *n; i++)
		if (!strcmp(v[i], k))
			return;
	v[(*n)++] = strdup(k);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
find(char *const *v, int n, const char *k)
{
	for (int i = 0; k && i < n; i++)
		if (!strcmp(v[i], k))
			return i;
	return -1;
}

static int
default_goal_min(const char *metric)
{
	return metric && (strstr(metric, "loss") || strstr(metric, "err") || strstr(metric, "rmse") ||
		strstr(metric, "mae") || strstr(metric, "perplexity"));
}

/* Collect the string values of every param (sorted), to plot them by index. */
static void
collect_categories(struct hp *s, bc_host *h)
{
	for (int i = 0; i < s->nparams; i++) {
		struct cats *c = &s->cats[i];
		char field[512], text[256];
		double v;
		snprintf(field, sizeof field, "params.%s", s->params[i]);
		for (size_t r = 0; r < s->nruns; r++) {
			if (s->api->run_field_num(h, s->runs[r], field, &v) == 0) {
				c->numeric = 1;
				continue;
			}
			if (s->api->run_field(h, s->runs[r], field, text, sizeof text) != 0 || !*text ||
			    c->n >= MAX_CATS || find(c->v, c->n, text) >= 0)
				continue;
			c->v[c->n++] = strdup(text);
		}
		qsort(c->v, (size_t)c->n, sizeof *c->v, cmp_str);
	}
}

/* The categories of a string-valued param, or NULL for a numeric one. */
static const struct cats *
categories(struct hp *s, const char *key)
{
	int i = find(s->params, s->nparams, key);
	return i >= 0 && !s->cats[i].numeric && s->cats[i].n ? &s->cats[i] : NULL;
}

/* Whether a param takes more than one value across the runs. */
static int
varies(struct hp *s, bc_host *h, const char *key)
{
	char field[512];
	double first = NAN, v;
	const struct cats *c = categories(s, key);
	if (c)
		return c->n > 1;
	snprintf(field, sizeof field, "params.%s", key);
	for (size_t r = 0; r < s->nruns; r++) {
		if (s->api->run_field_num(h, s->runs[r], field, &v) != 0 || !isfinite(v))
			continue;
		if (isfinite(first) && v != first)
			return 1;
		first = v;
	}
	return 0;
}

static void *
hp_open(const struct bc_host_api *api, bc_host *h)
{
	struct hp *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->api = api;
	s->nruns = api->selection(h, &s->runs);
	for (size_t r = 0; r < s->nruns; r++) {
		const char *k;
		for (size_t i = 0; (k = api->run_param_key(h, s->runs[r], i)); i++)
			add_key(s->params, &s->nparams, k);
		for (size_t i = 0; (k = api->run_metric_key(h, s->runs[r], i)); i++)
			add_key(s->metrics, &s->nmetrics, k);
	}
	qsort(s->params, (size_t)s->nparams, sizeof *s->params, cmp_str);
	qsort(s->metrics, (size_t)s->nmetrics, sizeof *s->metrics, cmp_str);
	collect_categories(s, h);
	int i = find(s->params, s->nparams, api->option(h, "param"));
	for (int k = 0; i < 0 && k < s->nparams; k++)
		if (varies(s, h, s->params[k]))
			i = k;
	s->param = i < 0 ? 0 : i;
	i = find(s->metrics, s->nmetrics, api->option(h, "metric"));
	if (i < 0)
		i = find(s->metrics, s->nmetrics, "loss");
	s->metric = i < 0 ? 0 : i;
	const char *o = api->option(h, "stat");
	for (int k = 0; o && k < 3; k++)
		if (!strcmp(o, stats[k]))
			s->stat = k;
	o = api->option(h, "view");
	s->parallel = o && !strcmp(o, "parallel");
	o = api->option(h, "goal");
	s->goal_min = o ? !strcmp(o, "min") : default_goal_min(s->nmetrics ? s->metrics[s->metric] : NULL);
	return s;
}

/* Value of params.K (string values by category index) or metrics.K.stat; NAN when missing. */
static double
value(struct hp *s, bc_host *h, const bc_prun *r, const char *kind, const char *key)
{
	char field[512], text[256];
	double v;
	if (!strcmp(kind, "params")) {
		snprintf(field, sizeof field, "params.%s", key);
		const struct cats *c = categories(s, key);
		if (c) {
			if (s->api->run_field(h, r, field, text, sizeof text) != 0)
				return NAN;
			int k = find(c->v, c->n, text);
			return k >= 0 ? k : NAN;
		}
	} else {
		snprintf(field, sizeof field, "metrics.%s.%s", key, stats[s->stat]);
	}
	return s->api->run_field_num(h, r, field, &v) == 0 ? v : NAN;
}

/* "key" or "key (0=adam 1=sgd)" for a string-valued param. */
static void
cat_label(struct hp *s, const char *key, char *buf, size_t size)
{
	const struct cats *c = categories(s, key);
	size_t o = (size_t)snprintf(buf, size, "%s", key);
	for (int i = 0; c && i < c->n && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%d=%s%s", i ? " " : " (", i, c->v[i],
			i == c->n - 1 ? ")" : "");
}

static void
draw_scatter(struct hp *s, bc_host *h, bc_canvas *c, int rows, int cols)
{
	const char *pk = s->params[s->param], *mk = s->metrics[s->metric];
	double *x = calloc(s->nruns + 1, sizeof *x), *y = calloc(s->nruns + 1, sizeof *y);
	size_t best = (size_t)-1, shown = 0;
	for (size_t r = 0; x && y && r < s->nruns; r++) {
		x[r] = value(s, h, s->runs[r], "params", pk);
		y[r] = value(s, h, s->runs[r], "metrics", mk);
		if (isfinite(x[r]) && isfinite(y[r])) {
			shown++;
			if (best == (size_t)-1 || (s->goal_min ? y[r] < y[best] : y[r] > y[best]))
				best = r;
		}
	}
	char ylab[300], xlab[512];
	snprintf(ylab, sizeof ylab, "%s.%s", mk, stats[s->stat]);
	cat_label(s, pk, xlab, sizeof xlab);
	if (shown)
		s->api->scatter(c, 2, 0, rows - 4, cols, x, y, s->nruns, BC_COLOR_CYAN, xlab, ylab);
	else
		s->api->text(c, 3, 2, -1, BC_ATTR_DIM, "no run has a numeric value for both");
	if (best != (size_t)-1) {
		char name[128];
		s->api->run_field(h, s->runs[best], "name", name, sizeof name);
		char xv[256];
		const struct cats *cat = categories(s, pk);
		if (cat)
			snprintf(xv, sizeof xv, "%s", cat->v[(int)x[best]]);
		else
			snprintf(xv, sizeof xv, "%.6g", x[best]);
		s->api->printf(c, rows - 1, 0, BC_COLOR_GREEN, "best (%s): %s  %s=%s  %s=%.6g  "
			"(%zu of %zu runs plotted)", s->goal_min ? "min" : "max", name, pk, xv,
			ylab, y[best], shown, s->nruns);
	}
	free(x);
	free(y);
}

static void
draw_parallel(struct hp *s, bc_host *h, bc_canvas *c, int rows, int cols)
{
	const char *mk = s->metrics[s->metric];
	const char *axes[MAX_AXES];
	double lo[MAX_AXES], hi[MAX_AXES];
	int na = 0;
	for (int i = 0; i < s->nparams && na < MAX_AXES - 1; i++)
		if (varies(s, h, s->params[i]))
			axes[na++] = s->params[i];
	axes[na++] = mk;
	size_t per = (size_t)na + 1, n = s->nruns * per;
	double *xs = malloc((n + 1) * sizeof *xs), *ys[3];
	for (int t = 0; t < 3; t++)
		ys[t] = malloc((n + 1) * sizeof *ys[t]);
	double *mv = calloc(s->nruns + 1, sizeof *mv);
	if (!xs || !ys[0] || !ys[1] || !ys[2] || !mv)
		goto done;
	for (int a = 0; a < na; a++) {
		lo[a] = INFINITY;
		hi[a] = -INFINITY;
		for (size_t r = 0; r < s->nruns; r++) {
			double v = value(s, h, s->runs[r], a == na - 1 ? "metrics" : "params", axes[a]);
			if (isfinite(v)) {
				lo[a] = v < lo[a] ? v : lo[a];
				hi[a] = v > hi[a] ? v : hi[a];
			}
		}
	}
	/* terciles of the metric: 0 = best third */
	double mlo = lo[na - 1], mhi = hi[na - 1];
	for (size_t r = 0; r < s->nruns; r++)
		mv[r] = value(s, h, s->runs[r], "metrics", mk);
	for (size_t r = 0; r < s->nruns; r++) {
		double q = isfinite(mv[r]) && mhi > mlo ? (mv[r] - mlo) / (mhi - mlo) : 0.5;
		if (!s->goal_min)
			q = 1 - q;
		int tier = q < 1.0 / 3 ? 0 : q < 2.0 / 3 ? 1 : 2;
		for (int a = 0; a <= na; a++) {
			size_t i = r * per + (size_t)a;
			xs[i] = a < na ? a : NAN;
			double v = a < na ? value(s, h, s->runs[r], a == na - 1 ? "metrics" : "params",
				axes[a]) : NAN;
			double norm = a < na && hi[a] > lo[a] ? (v - lo[a]) / (hi[a] - lo[a]) : 0.5;
			for (int t = 0; t < 3; t++)
				ys[t][i] = t == tier && a < na && isfinite(v) ? norm : NAN;
		}
	}
	struct bc_pseries ser[3] = {
		{ "best third", xs, ys[0], n, BC_COLOR_GREEN },
		{ "middle", xs, ys[1], n, BC_COLOR_YELLOW },
		{ "worst third", xs, ys[2], n, BC_COLOR_RED },
	};
	int chart_rows = rows - 3 - na;
	if (chart_rows < 6)
		chart_rows = rows - 3;
	s->api->line_chart(c, 2, 0, chart_rows, cols, ser, 3, NULL);
	/* axis names and ranges below the chart */
	for (int a = 0; a < na && 2 + chart_rows + a < rows; a++) {
		char lab[512];
		if (a < na - 1 && categories(s, axes[a]))
			cat_label(s, axes[a], lab, sizeof lab);
		else
			snprintf(lab, sizeof lab, "%-24.24s %.4g .. %.4g", axes[a], lo[a], hi[a]);
		s->api->printf(c, 2 + chart_rows + a, 0, a == na - 1 ? BC_ATTR_BOLD : 0,
			"axis %d  %s", a + 1, lab);
	}
done:
	free(xs);
	for (int t = 0; t < 3; t++)
		free(ys[t]);
	free(mv);
}

static void
hp_draw(void *st, bc_host *h, bc_canvas *c)
{
	struct hp *s = st;
	int rows, cols;
	s->api->canvas_size(c, &rows, &cols);
	s->api->printf(c, 0, 0, BC_ATTR_BOLD, "hparams: %s (%zu runs)",
		s->parallel ? "parallel coordinates" : "scatter", s->nruns);
	s->api->text(c, 1, 0, -1, BC_ATTR_DIM,
		"[v]iew  [p/P]aram  [m/M]etric  [s]tat  [g]oal");
	if (!s->nparams || !s->nmetrics) {
		s->api->text(c, 3, 2, -1, 0, s->nruns ? "the runs have no params or no metrics" :
			"no runs match the filter");
		return;
	}
	if (s->parallel)
		draw_parallel(s, h, c, rows, cols);
	else
		draw_scatter(s, h, c, rows, cols);
}

static int
hp_key(void *st, bc_host *h, int key)
{
	struct hp *s = st;
	int np = s->nparams ? s->nparams : 1, nm = s->nmetrics ? s->nmetrics : 1;
	switch (key) {
	case 'v': case BC_KEY_TAB: s->parallel = !s->parallel; break;
	case 'p': s->param = (s->param + 1) % np; break;
	case 'P': s->param = (s->param + np - 1) % np; break;
	case 'm': s->metric = (s->metric + 1) % nm; break;
	case 'M': s->metric = (s->metric + nm - 1) % nm; break;
	case 's': s->stat = (s->stat + 1) % 3; break;
	case 'g': s->goal_min = !s->goal_min; break;
	default: return BC_KEY_IGNORED;
	}
	return BC_KEY_REDRAW;
}

static void
hp_close(void *st, bc_host *h)
{
	struct hp *s = st;
	for (int i = 0; i < s->nparams; i++)
		free(s->params[i]);
	for (int i = 0; i < s->nmetrics; i++)
		free(s->metrics[i]);
	for (int i = 0; i < s->nparams; i++)
		for (int k = 0; k < s->cats[i].n; k++)
			free(s->cats[i].v[k]);
	free(s);
}

int
bancada_plugin_init(const struct bc_host_api *api, struct bc_plugin *out)
{
	if (api->abi_major != BC_PLUGIN_ABI_MAJOR)
		return -1;
	out->name = "hparams";
	out->description = "hyperparameters vs a metric: scatter and parallel coordinates";
	out->key = 'H';
	out->input = BC_INPUT_FILTERED;
	out->open = hp_open;
	out->draw = hp_draw;
	out->keypress = hp_key;
	out->close = hp_close;
	return 0;
}
