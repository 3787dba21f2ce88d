/* SPDX-License-Identifier: MIT */
/* `bancada data` log, remote, push, pull, gc and fsck (see cmd-data.c). */
#include "config.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"
#include "cmd-data.h"

int
data_log(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o)
{
	if (o->nargs != 1)
		return cmd_usage(cmd, "log needs one tracked PATH");
	bc_data_version *v = NULL;
	size_t n = 0;
	if (bc_data_log(ctx->p, o->args[0], &v, &n) < 0)
		return cmd_project_error(ctx->p);
	struct out_table *t = table_new(7);
	const char *heads[] = { "COMMIT", "DATE", "AUTHOR", "SHA256", "SIZE", "RUNS", "SUBJECT" };
	for (int c = 0; c < 7; c++)
		table_set_header(t, c, heads[c], c == 4);
	int slen = bc_run_short_len(ctx->p);
	for (size_t i = 0; i < n; i++) {
		char commit[16], date[32], hash[16], size[32];
		char runs[256] = "";
		snprintf(commit, sizeof commit, "%.10s", v[i].commit);
		fmt_time(v[i].time_ms, date, sizeof date);
		snprintf(hash, sizeof hash, "%.12s", v[i].hash[0] ? v[i].hash : "(removed)");
		data_fmt_bytes(v[i].size, size, sizeof size);
		for (size_t k = 0; k < v[i].nruns; k++) {
			size_t used = strlen(runs);
			snprintf(runs + used, sizeof runs - used, "%s%.*s", k ? "," : "", slen, v[i].runs[k]);
		}
		table_add(t, 0, commit);
		table_add(t, 1, date);
		table_add(t, 2, v[i].author);
		table_add(t, 3, hash);
		table_add(t, 4, size);
		table_add(t, 5, runs[0] ? runs : "-");
		table_add(t, 6, v[i].subject);
		table_next_row(t);
	}
	table_print(t, ctx, stdout, out_width(ctx));
	table_free(t);
	bc_data_log_free(v, n);
	return EXIT_OK;
}

int
data_remote(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o)
{
	if (o->nargs >= 1 && !strcmp(o->args[0], "add")) {
		if (o->nargs != 3)
			return cmd_usage(cmd, "remote add NAME URL");
		if (bc_data_remote_add(ctx->p, o->args[1], o->args[2]) < 0)
			return cmd_project_error(ctx->p);
		return EXIT_OK;
	}
	if (o->nargs >= 1 && (!strcmp(o->args[0], "remove") || !strcmp(o->args[0], "rm"))) {
		if (o->nargs != 2)
			return cmd_usage(cmd, "remote remove NAME");
		return bc_data_remote_remove(ctx->p, o->args[1]) < 0 ? cmd_project_error(ctx->p) : EXIT_OK;
	}
	if (o->nargs)
		return cmd_usage(cmd, "remote [add NAME URL | remove NAME]");
	char **names, **urls, *def = NULL;
	size_t n;
	if (bc_data_remote_list(ctx->p, &names, &urls, &n, &def) < 0)
		return cmd_project_error(ctx->p);
	for (size_t i = 0; i < n; i++) {
		out_text(stdout, names[i], 0);
		fputc('\t', stdout);
		out_text(stdout, urls[i], 0);
		if (def && !strcmp(def, names[i]))
			fputs("\t(default)", stdout);
		fputc('\n', stdout);
		free(names[i]);
		free(urls[i]);
	}
	free(names);
	free(urls);
	free(def);
	return EXIT_OK;
}

struct prog {
	struct timespec start, last;
	int shown;
};

static double
since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
progress(const bc_data_progress *pr, void *payload)
{
	struct prog *g = payload;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int last = pr->objects_done == pr->objects_total;
	if (!last && g->shown && since(&g->last, &now) < 0.1)
		return;
	g->last = now;
	g->shown = 1;
	double el = since(&g->start, &now);
	char b[32], rate[32];
	data_fmt_bytes(pr->bytes_done, b, sizeof b);
	data_fmt_bytes(el > 0 ? (int64_t)((double)pr->bytes_done / el) : 0, rate, sizeof rate);
	double eta = pr->objects_done && pr->objects_total > pr->objects_done
		? el * (double)(pr->objects_total - pr->objects_done) / (double)pr->objects_done : 0;
	fprintf(stderr, "\r%s: %" PRId64 "/%" PRId64 " objects, %s, %s/s, ETA %.0fs\033[K",
		pr->what, pr->objects_done, pr->objects_total, b, rate, eta);
	if (last)
		fputc('\n', stderr);
}

static int
transfer(struct bc_cmd_ctx *ctx, struct data_opts *o, int push)
{
	bc_data_options opts = BC_DATA_OPTIONS_INIT;
	struct prog g = { 0 };
	clock_gettime(CLOCK_MONOTONIC, &g.start);
	if (isatty(STDERR_FILENO)) {
		opts.progress = progress;
		opts.payload = &g;
	}
	opts.force = o->force;
	const char *remote = o->remote;
	const char *const *paths = o->args;
	size_t n = o->nargs;
	if (!remote && n) {
		/* `push NAME [PATH...]`: the first operand is a remote if one has that name */
		char **names, **urls;
		size_t nr;
		if (bc_data_remote_list(ctx->p, &names, &urls, &nr, NULL) == 0) {
			for (size_t i = 0; i < nr; i++) {
				if (!remote && !strcmp(names[i], paths[0]))
					remote = paths[0];
				free(names[i]);
				free(urls[i]);
			}
			free(names);
			free(urls);
		}
		if (remote) {
			paths++;
			n--;
		}
	}
	bc_data_transfer t = { 0 };
	int rc = push ? bc_data_push(ctx->p, remote, paths, n, &opts, &t)
		: bc_data_pull(ctx->p, remote, paths, n, &opts, &t);
	char b[32];
	data_fmt_bytes(t.bytes, b, sizeof b);
	printf("%s %" PRId64 " object%s (%s), %" PRId64 " already %s\n", push ? "pushed" : "fetched",
		t.objects, t.objects == 1 ? "" : "s", b, t.present, push ? "on the remote" : "in the cache");
	return rc < 0 ? cmd_project_error(ctx->p) : EXIT_OK;
}

int
data_push(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o)
{
	(void)cmd;
	return transfer(ctx, o, 1);
}

int
data_pull(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o)
{
	(void)cmd;
	return transfer(ctx, o, 0);
}

static void
gc_each(const char *hash, int64_t size, void *payload)
{
	int *dry = payload;
	char b[32];
	data_fmt_bytes(size, b, sizeof b);
	printf("%s %s (%s)\n", *dry ? "would delete" : "deleted", hash, b);
}

int
data_gc(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o)
{
	if (o->nargs)
		return cmd_usage(cmd, "gc takes no operands");
	bc_data_options opts = BC_DATA_OPTIONS_INIT;
	opts.dry_run = o->dry_run;
	bc_data_gc_report r;
	int dry = o->dry_run;
	if (bc_data_gc(ctx->p, &opts, NULL, 0, o->verbose ? gc_each : NULL, &dry, &r) < 0)
		return cmd_project_error(ctx->p);
	char kb[32], fb[32];
	data_fmt_bytes(r.kept_bytes, kb, sizeof kb);
	data_fmt_bytes(r.freed_bytes, fb, sizeof fb);
	printf("kept %" PRId64 " objects (%s), referenced by:\n", r.kept_objects, kb);
	printf("  %" PRId64 " pointers in git history (%" PRId64 " commits on all branches and tags)\n",
		r.kept_by_git, r.commits_scanned);
	printf("  %" PRId64 " pointers in the workspace\n", r.kept_by_workspace);
	printf("  %" PRId64 " data versions recorded by runs\n", r.kept_by_runs);
	printf("  %" PRId64 " data versions of runs that bundles were made from\n", r.kept_by_bundles);
	printf("  (directory versions keep the files they list)\n");
	printf("%s %" PRId64 " objects, %s %s", dry ? "would delete" : "deleted", r.freed_objects,
		dry ? "would free" : "freed", fb);
	if (r.temps_removed)
		printf(", %s %" PRId64 " stale temp files", dry ? "would remove" : "removed", r.temps_removed);
	fputc('\n', stdout);
	return EXIT_OK;
}

static void
fsck_bad(const char *hash, const char *why, void *payload)
{
	(void)payload;
	printf("corrupt %s: %s (moved to .bancada/cache/quarantine/)\n", hash, why);
}

int
data_fsck(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o)
{
	if (o->nargs)
		return cmd_usage(cmd, "fsck takes no operands");
	bc_data_options opts = BC_DATA_OPTIONS_INIT;
	opts.threads = o->threads;
	int64_t checked = 0;
	int bad = bc_data_fsck(ctx->p, &opts, fsck_bad, NULL, &checked);
	if (bad < 0)
		return cmd_project_error(ctx->p);
	if (bad) {
		return cmd_error("%d of %" PRId64 " cache objects are corrupt: `bancada data pull` or re-add the data to restore them",
			bad, checked);
	}
	printf("checked %" PRId64 " objects: all intact\n", checked);
	return EXIT_OK;
}
