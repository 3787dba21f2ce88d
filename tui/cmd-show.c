/* SPDX-License-Identifier: MIT */
/* `bancada show REF`: everything about one run. */
#include "config.h"
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

static void
label(const struct bc_cmd_ctx *ctx, const char *name)
{
	out_label(ctx, stdout, 11, name);
}

static void
line_kv(const struct bc_cmd_ctx *ctx, const char *name, const char *value)
{
	out_field(ctx, stdout, 11, name, value);
}

static void
section(const struct bc_cmd_ctx *ctx, const char *name)
{
	putchar('\n');
	out_color(ctx, stdout, C_YELLOW);
	printf("%s\n", name);
	out_color(ctx, stdout, C_RESET);
}

static int
show_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "patch", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	extern const struct bc_cmd cmd_show;
	int json = 0, patch = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jp", longopts, NULL)) != -1) {
		if (c == 'j') json = 1;
		else if (c == 'p') patch = 1;
		else return cmd_usage(&cmd_show, NULL);
	}
	if (optind != argc - 1)
		return cmd_usage(&cmd_show, "give exactly one run reference");
	bc_run *r;
	if (bc_run_load(&r, ctx->p, argv[optind]) < 0)
		return cmd_project_error(ctx->p);
	if (json) {
		char *s = bc_run_to_json(ctx->p, r, BC_JSON_FULL | BC_JSON_PRETTY);
		printf("%s\n", s ? s : "null");
		free(s);
		bc_run_free(r);
		return EXIT_OK;
	}
	char buf[256], buf2[64];
	line_kv(ctx, "run", r->id);
	line_kv(ctx, "name", r->name);
	label(ctx, "status");
	out_color(ctx, stdout, r->status == BC_RUN_FINISHED ? C_GREEN : r->status == BC_RUN_RUNNING ? C_CYAN : C_RED);
	printf("%s", bc_run_status_name(r->status));
	out_color(ctx, stdout, C_RESET);
	if (r->term_signal)
		printf(" (signal %d)", r->term_signal);
	else if (r->exit_code >= 0)
		printf(" (exit %d)", r->exit_code);
	else if (r->status == BC_RUN_CRASHED && r->crash_reason) {
		printf(" (");
		out_text(stdout, r->crash_reason, 0);
		putchar(')');
	} else if (r->status == BC_RUN_RUNNING && r->heartbeat_ms > 0) {
		printf(" (last heartbeat %llds ago)", (long long)((bc_now_ms() - r->heartbeat_ms) / 1000));
	}
	if (r->deleted)
		printf(" [deleted]");
	putchar('\n');
	label(ctx, "command");
	for (size_t i = 0; i < r->argc; i++) {
		if (i)
			putchar(' ');
		out_text(stdout, r->argv[i], 0);
	}
	putchar('\n');
	line_kv(ctx, "cwd", r->cwd);
	fmt_time(r->started_ms, buf, sizeof buf);
	line_kv(ctx, "started", buf);
	fmt_time(r->ended_ms, buf, sizeof buf);
	fmt_duration((r->ended_ms ? r->ended_ms : bc_now_ms()) - r->started_ms, buf2, sizeof buf2);
	label(ctx, "ended");
	printf("%s (%s%s)\n", r->ended_ms ? buf : "-", buf2, r->ended_ms ? "" : " so far");
	label(ctx, "host");
	out_text(stdout, r->user, 0);
	putchar('@');
	out_text(stdout, r->host, 0);
	putchar('\n');
	if (r->git_commit || r->git_branch) {
		label(ctx, "git");
		out_text(stdout, r->git_commit ? r->git_commit : "(no commit)", 0);
		if (r->git_branch) {
			printf(" on ");
			out_text(stdout, r->git_branch, 0);
		}
		if (r->git_dirty)
			printf(" + uncommitted changes (%lld bytes of patch%s)", (long long)r->git_patch_full_len,
				(int64_t)r->git_patch_len < r->git_patch_full_len ? ", capped" : "");
		putchar('\n');
	}
	if (r->experiment)
		line_kv(ctx, "experiment", r->experiment);
	if (r->ntags) {
		label(ctx, "tags");
		for (size_t i = 0; i < r->ntags; i++) {
			if (i)
				printf(", ");
			out_text(stdout, r->tags[i], 0);
		}
		putchar('\n');
	}
	if (r->note)
		line_kv(ctx, "note", r->note);
	if (r->source.tool) {
		label(ctx, "source");
		out_text(stdout, r->source.tool, 0);
		printf(" ");
		out_text(stdout, r->source.path, 0);
		printf(" id ");
		out_text(stdout, r->source.id, 0);
		putchar('\n');
	}
	if (r->bad_lines)
		printf("%-11s%lld malformed metric lines skipped\n", "warning", (long long)r->bad_lines);
	if (r->nparams) {
		section(ctx, "params");
		struct out_table *t = table_new(2);
		table_set_header(t, 0, "key", 0);
		table_set_header(t, 1, "value", 0);
		for (size_t i = 0; i < r->nparams; i++) {
			char v[512];
			table_add(t, 0, r->params[i].key);
			table_add(t, 1, bc_value_format(&r->params[i].v, v, sizeof v));
			table_next_row(t);
		}
		table_print(t, ctx, stdout, out_width(ctx));
		table_free(t);
	}
	if (r->nmetrics) {
		section(ctx, "metrics");
		struct out_table *t = table_new(6);
		const char *h[] = { "key", "last", "min", "max", "count", "last step" };
		for (int i = 0; i < 6; i++)
			table_set_header(t, i, h[i], i > 0);
		for (size_t i = 0; i < r->nmetrics; i++) {
			const bc_metric_summary *m = &r->metrics[i];
			char v[64];
			table_add(t, 0, m->key);
			fmt_num(m->last, v, sizeof v); table_add(t, 1, v);
			fmt_num(m->min, v, sizeof v); table_add(t, 2, v);
			fmt_num(m->max, v, sizeof v); table_add(t, 3, v);
			snprintf(v, sizeof v, "%lld", (long long)m->count); table_add(t, 4, v);
			snprintf(v, sizeof v, "%lld", (long long)m->last_step); table_add(t, 5, v);
			table_next_row(t);
		}
		table_print(t, ctx, stdout, out_width(ctx));
		table_free(t);
	}
	if (r->ninputs || r->noutputs) {
		section(ctx, "data");
		for (int w = 0; w < 2; w++) {
			bc_kv *kv = w ? r->outputs : r->inputs;
			size_t n = w ? r->noutputs : r->ninputs;
			for (size_t i = 0; i < n; i++) {
				printf("%-7s", w ? "output" : "input");
				out_text(stdout, kv[i].key, 0);
				printf("  ");
				out_text(stdout, kv[i].value ? kv[i].value : "-", 0);
				putchar('\n');
			}
		}
	}
	if (r->nenv) {
		section(ctx, "environment");
		for (size_t i = 0; i < r->nenv; i++) {
			out_text(stdout, r->env[i].key, 0);
			putchar('=');
			out_text(stdout, r->env[i].value, 0);
			putchar('\n');
		}
	}
	if (patch && r->git_patch) {
		section(ctx, "uncommitted patch");
		out_textn(stdout, r->git_patch, r->git_patch_len, 1);
	}
	bc_run_free(r);
	return EXIT_OK;
}

const struct bc_cmd cmd_show = {
	.name = "show",
	.usage = "REF [--json] [--patch]",
	.summary = "Show everything about one run (REF: id prefix, name, @, @~N)",
	.flags = CMD_NEEDS_PROJECT | CMD_READ_ONLY,
	.exec = show_exec,
};
