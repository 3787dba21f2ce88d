/* SPDX-License-Identifier: MIT */
/* `bancada diff A B`: only what differs between two runs (params, metrics, code, env, outcome). */
#include "config.h"
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cmd.h"

struct diff_out {
	const struct bc_cmd_ctx *ctx;
	int all;
	json_t *json;        /* non-NULL with --json */
	const char *section; /* printed before the first row of a section */
	int printed;
};

static void
begin(struct diff_out *d, const char *name)
{
	d->section = name;
	d->printed = 0;
}

static void
head(struct diff_out *d)
{
	if (d->printed++ || d->json)
		return;
	putchar('\n');
	out_color(d->ctx, stdout, C_YELLOW);
	printf("%s\n", d->section);
	out_color(d->ctx, stdout, C_RESET);
}

/* One row: key, A, B, and an optional delta text; `changed` selects colour. */
static void
row(struct diff_out *d, const char *key, const char *a, const char *b, const char *delta)
{
	int same = a && b && !strcmp(a, b);
	if (same && !d->all)
		return;
	if (d->json) {
		json_t *sec = json_object_get(d->json, d->section);
		if (!sec) {
			sec = json_object();
			json_object_set_new(d->json, d->section, sec);
		}
		json_t *o = json_pack("{s:o,s:o}", "a", a ? json_string(a) : json_null(), "b", b ? json_string(b) : json_null());
		if (delta)
			json_object_set_new(o, "delta", json_string(delta));
		json_object_set_new(sec, key, o);
		return;
	}
	head(d);
	printf("  ");
	out_color(d->ctx, stdout, same ? C_DIM : C_BOLD);
	out_text(stdout, key, 0);
	out_color(d->ctx, stdout, C_RESET);
	printf(": ");
	out_color(d->ctx, stdout, C_RED);
	out_text(stdout, a ? a : "(none)", 0);
	out_color(d->ctx, stdout, C_RESET);
	printf(" -> ");
	out_color(d->ctx, stdout, C_GREEN);
	out_text(stdout, b ? b : "(none)", 0);
	out_color(d->ctx, stdout, C_RESET);
	if (delta)
		printf("  (%s)", delta);
	putchar('\n');
}

static void
diff_params(struct diff_out *d, const bc_run *a, const bc_run *b)
{
	size_t i = 0, j = 0;
	char va[512], vb[512];
	begin(d, "params");
	while (i < a->nparams || j < b->nparams) {
		int c = i >= a->nparams ? 1 : j >= b->nparams ? -1 : strcmp(a->params[i].key, b->params[j].key);
		if (c < 0) {
			row(d, a->params[i].key, bc_value_format(&a->params[i].v, va, sizeof va), NULL, NULL);
			i++;
		} else if (c > 0) {
			row(d, b->params[j].key, NULL, bc_value_format(&b->params[j].v, vb, sizeof vb), NULL);
			j++;
		} else {
			row(d, a->params[i].key, bc_value_format(&a->params[i].v, va, sizeof va),
				bc_value_format(&b->params[j].v, vb, sizeof vb), NULL);
			i++;
			j++;
		}
	}
}

static void
delta_text(double x, double y, char *buf, size_t size)
{
	if (!isfinite(x) || !isfinite(y)) {
		snprintf(buf, size, "n/a");
		return;
	}
	double dlt = y - x;
	if (x != 0)
		snprintf(buf, size, "%+.4g, %+.1f%%", dlt, 100.0 * dlt / fabs(x));
	else
		snprintf(buf, size, "%+.4g", dlt);
}

static void
diff_metrics(struct diff_out *d, const bc_run *a, const bc_run *b)
{
	static const char *const which[] = { "last", "min", "max" };
	begin(d, "metrics");
	size_t i = 0, j = 0;
	while (i < a->nmetrics || j < b->nmetrics) {
		int c = i >= a->nmetrics ? 1 : j >= b->nmetrics ? -1 : strcmp(a->metrics[i].key, b->metrics[j].key);
		const bc_metric_summary *ma = c <= 0 ? &a->metrics[i] : NULL, *mb = c >= 0 ? &b->metrics[j] : NULL;
		for (int w = 0; w < 3; w++) {
			char key[512], sa[64], sb[64], dl[64];
			double x = 0, y = 0;
			snprintf(key, sizeof key, "%s.%s", ma ? ma->key : mb->key, which[w]);
			if (ma) { x = w == 0 ? ma->last : w == 1 ? ma->min : ma->max; fmt_num(x, sa, sizeof sa); }
			if (mb) { y = w == 0 ? mb->last : w == 1 ? mb->min : mb->max; fmt_num(y, sb, sizeof sb); }
			if (ma && mb)
				delta_text(x, y, dl, sizeof dl);
			row(d, key, ma ? sa : NULL, mb ? sb : NULL, ma && mb && strcmp(sa, sb) ? dl : NULL);
		}
		if (c <= 0) i++;
		if (c >= 0) j++;
	}
}

static void
diff_env(struct diff_out *d, const bc_run *a, const bc_run *b)
{
	begin(d, "environment");
	size_t i = 0, j = 0;
	while (i < a->nenv || j < b->nenv) {
		int c = i >= a->nenv ? 1 : j >= b->nenv ? -1 : strcmp(a->env[i].key, b->env[j].key);
		if (c < 0) { row(d, a->env[i].key, a->env[i].value, NULL, NULL); i++; }
		else if (c > 0) { row(d, b->env[j].key, NULL, b->env[j].value, NULL); j++; }
		else { row(d, a->env[i].key, a->env[i].value, b->env[j].value, NULL); i++; j++; }
	}
}

/* Data inputs and outputs (sorted by path), compared by content hash. */
static void
diff_data(struct diff_out *d, const char *what, const bc_kv *a, size_t na, const bc_kv *b, size_t nb)
{
	size_t i = 0, j = 0;
	char key[600], ha[16], hb[16];
	while (i < na || j < nb) {
		int c = i >= na ? 1 : j >= nb ? -1 : strcmp(a[i].key, b[j].key);
		snprintf(key, sizeof key, "%s %s", what, c <= 0 ? a[i].key : b[j].key);
		if (c <= 0)
			snprintf(ha, sizeof ha, "%.12s", a[i].value ? a[i].value : "-");
		if (c >= 0)
			snprintf(hb, sizeof hb, "%.12s", b[j].value ? b[j].value : "-");
		row(d, key, c <= 0 ? ha : NULL, c >= 0 ? hb : NULL, NULL);
		if (c <= 0) i++;
		if (c >= 0) j++;
	}
}

static void
outcome(char *buf, size_t size, const bc_run *r)
{
	if (r->term_signal)
		snprintf(buf, size, "%s (signal %d)", bc_run_status_name(r->status), r->term_signal);
	else if (r->exit_code >= 0)
		snprintf(buf, size, "%s (exit %d)", bc_run_status_name(r->status), r->exit_code);
	else
		snprintf(buf, size, "%s", bc_run_status_name(r->status));
}

static void
print_patch(const struct bc_cmd_ctx *ctx, const char *text, size_t len)
{
	/* colour by line; each line sanitized */
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		enum out_color c = C_RESET;
		if (l && p[0] == '+')
			c = C_GREEN;
		else if (l && p[0] == '-')
			c = C_RED;
		else if (l > 1 && p[0] == '@' && p[1] == '@')
			c = C_CYAN;
		else if (l > 4 && !strncmp(p, "diff ", 5))
			c = C_BOLD;
		out_color(ctx, stdout, c);
		out_textn(stdout, p, l, 0);
		out_color(ctx, stdout, C_RESET);
		putchar('\n');
		p += l + 1;
	}
}

static int
diff_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "code", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	extern const struct bc_cmd cmd_diff;
	struct diff_out d = { ctx, 0, NULL, NULL, 0 };
	int code = 0, json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "acj", longopts, NULL)) != -1) {
		if (c == 'a') d.all = 1;
		else if (c == 'c') code = 1;
		else if (c == 'j') json = 1;
		else return cmd_usage(&cmd_diff, NULL);
	}
	const char *ra, *rb;
	if (argc - optind == 2) {
		ra = argv[optind];
		rb = argv[optind + 1];
	} else if (argc - optind == 0) {
		ra = "@~1";
		rb = "@";
	} else {
		return cmd_usage(&cmd_diff, "give two run references (default: @~1 @)");
	}
	bc_run *a, *b;
	if (bc_run_load(&a, ctx->p, ra) < 0)
		return cmd_project_error(ctx->p);
	if (bc_run_load(&b, ctx->p, rb) < 0) {
		bc_run_free(a);
		return cmd_project_error(ctx->p);
	}
	if (json)
		d.json = json_object();
	else {
		printf("a: ");
		out_text(stdout, a->name, 0);
		printf(" (%.12s)\nb: ", a->id);
		out_text(stdout, b->name, 0);
		printf(" (%.12s)\n", b->id);
	}
	diff_params(&d, a, b);
	diff_metrics(&d, a, b);
	begin(&d, "run");
	char sa[128], sb[128];
	outcome(sa, sizeof sa, a);
	outcome(sb, sizeof sb, b);
	row(&d, "status", sa, sb, NULL);
	row(&d, "host", a->host, b->host, NULL);
	row(&d, "command", a->argc ? a->argv[0] : "", b->argc ? b->argv[0] : "", NULL);
	fmt_duration((a->ended_ms ? a->ended_ms : bc_now_ms()) - a->started_ms, sa, sizeof sa);
	fmt_duration((b->ended_ms ? b->ended_ms : bc_now_ms()) - b->started_ms, sb, sizeof sb);
	row(&d, "duration", sa, sb, NULL);
	begin(&d, "code");
	row(&d, "commit", a->git_commit, b->git_commit, NULL);
	row(&d, "branch", a->git_branch, b->git_branch, NULL);
	snprintf(sa, sizeof sa, "%s", a->git_dirty ? "dirty" : "clean");
	snprintf(sb, sizeof sb, "%s", b->git_dirty ? "dirty" : "clean");
	int same_patch = a->git_patch_len == b->git_patch_len &&
		(!a->git_patch_len || !memcmp(a->git_patch, b->git_patch, a->git_patch_len));
	if (!same_patch && !strcmp(sa, sb))
		strcat(sb, " (different patch)");
	row(&d, "worktree", sa, sb, NULL);
	begin(&d, "data");
	diff_data(&d, "input", a->inputs, a->ninputs, b->inputs, b->ninputs);
	diff_data(&d, "output", a->outputs, a->noutputs, b->outputs, b->noutputs);
	diff_env(&d, a, b);
	if (code && !json) {
		if (a->git_commit && b->git_commit && strcmp(a->git_commit, b->git_commit)) {
			char *text;
			size_t len;
			if (bc_git_diff_commits(ctx->p, bc_project_root(ctx->p), a->git_commit, b->git_commit, &text, &len) == 0) {
				printf("\n");
				out_color(ctx, stdout, C_YELLOW);
				printf("code: %.12s..%.12s\n", a->git_commit, b->git_commit);
				out_color(ctx, stdout, C_RESET);
				print_patch(ctx, text, len);
				free(text);
			} else {
				cmd_project_error(ctx->p);
			}
		}
		for (int w = 0; w < 2; w++) {
			const bc_run *r = w ? b : a;
			if (!r->git_patch_len || (w && same_patch))
				continue;
			printf("\n");
			out_color(ctx, stdout, C_YELLOW);
			printf("uncommitted patch of %c (", w ? 'b' : 'a');
			out_text(stdout, r->name, 0);
			printf(")\n");
			out_color(ctx, stdout, C_RESET);
			print_patch(ctx, r->git_patch, r->git_patch_len);
		}
	}
	if (json) {
		char *s = json_dumps(d.json, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", s ? s : "{}");
		free(s);
		json_decref(d.json);
	}
	bc_run_free(a);
	bc_run_free(b);
	return EXIT_OK;
}

const struct bc_cmd cmd_diff = {
	.name = "diff",
	.usage = "[A B] [--all] [--code] [--json]",
	.summary = "Show what differs between two runs (default: the last two)",
	.flags = CMD_NEEDS_PROJECT | CMD_READ_ONLY,
	.exec = diff_exec,
};
