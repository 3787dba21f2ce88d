/* SPDX-License-Identifier: MIT */
/*
 * `bancada data SUBCOMMAND`: data versions beside the code. This file holds
 * the dispatcher and add/status/checkout/ls/diff; cmd-data-more.c holds
 * log/remote/push/pull/gc/fsck.
 */
#include "config.h"
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"
#include "cmd-data.h"

void
data_fmt_bytes(int64_t n, char *buf, size_t size)
{
	const char *u[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	int i = 0;
	if (n < 0) {
		snprintf(buf, size, "-");
		return;
	}
	while (v >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(buf, size, "%" PRId64 " B", n);
	else
		snprintf(buf, size, "%.1f %s", v, u[i]);
}

/* Split argv into options (handled by `opt`) and the remaining operands. */
int
data_args(const struct bc_cmd *cmd, int argc, char **argv, struct data_opts *o)
{
	const char **args = o->args;
	memset(o, 0, sizeof *o);
	o->args = args;
	o->link = -1;
	int only_operands = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_operands || a[0] != '-' || !a[1]) {
			o->args[o->nargs++] = a;
			continue;
		}
		if (!strcmp(a, "--"))
			only_operands = 1;
		else if (!strcmp(a, "-f") || !strcmp(a, "--force"))
			o->force = 1;
		else if (!strcmp(a, "-n") || !strcmp(a, "--dry-run"))
			o->dry_run = 1;
		else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			o->verbose = 1;
		else if (!strcmp(a, "-s") || !strcmp(a, "--short"))
			o->short_fmt = 1;
		else if (!strcmp(a, "--stats"))
			o->stats = 1;
		else if (!strcmp(a, "-r") || !strcmp(a, "--remote")) {
			if (++i >= argc)
				return cmd_usage(cmd, "-r needs a remote name");
			o->remote = argv[i];
		} else if (!strncmp(a, "--link=", 7)) {
			o->link = bc_data_link_parse(a + 7);
			if (o->link < 0)
				return cmd_usage(cmd, "--link is one of copy, reflink, hardlink, symlink");
		} else if (!strcmp(a, "-j") && i + 1 < argc) {
			o->threads = atoi(argv[++i]);
		} else {
			char why[128];
			snprintf(why, sizeof why, "unknown option '%.60s'", a);
			return cmd_usage(cmd, why);
		}
	}
	return 0;
}

static const char *
short_hash(const char *h)
{
	static char buf[16];
	snprintf(buf, sizeof buf, "%.12s", h && h[0] ? h : "-");
	return buf;
}

static void
item_name(FILE *f, const bc_data_item *it)
{
	out_text(f, it->path, 0);
	if (it->inner) {
		fputc('/', f);
		out_text(f, it->inner, 0);
	}
}

static int
data_add(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o)
{
	if (!o->nargs)
		return cmd_usage(cmd, "add: name files or directories to track");
	bc_data_options opts = BC_DATA_OPTIONS_INIT;
	opts.threads = o->threads;
	bc_data_list l = { 0 };
	int rc = bc_data_add(ctx->p, o->args, o->nargs, &opts, &l);
	for (size_t i = 0; i < l.n; i++) {
		const bc_data_item *it = &l.v[i];
		char sz[32];
		data_fmt_bytes(it->size, sz, sizeof sz);
		out_color(ctx, stdout, it->state == BC_DATA_UNCHANGED ? C_DIM : C_GREEN);
		printf("%-9s ", bc_data_state_name(it->state));
		out_color(ctx, stdout, C_RESET);
		item_name(stdout, it);
		if (it->is_dir)
			printf("/  (%" PRId64 " files, %s, %s)\n", it->nfiles, sz, short_hash(it->hash));
		else
			printf("  (%s, %s)\n", sz, short_hash(it->hash));
	}
	if (o->stats)
		printf("hashed %" PRId64 " files (%" PRId64 " bytes)\n", l.files_hashed, l.bytes_hashed);
	int changed = 0;
	for (size_t i = 0; i < l.n; i++)
		changed |= l.v[i].state != BC_DATA_UNCHANGED;
	if (changed && ctx->stdout_tty)
		printf("hint: commit the pointer files: git add '*" BC_DATA_POINTER_EXT "' .gitignore\n");
	bc_data_list_clear(&l);
	return rc < 0 ? cmd_project_error(ctx->p) : EXIT_OK;
}

static int
data_status(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o)
{
	bc_data_list l = { 0 };
	int rc = bc_data_status(ctx->p, o->args, o->nargs, &l);
	if (rc < 0) {
		bc_data_list_clear(&l);
		return cmd_project_error(ctx->p);
	}
	static const char code[] = { [BC_DATA_MODIFIED] = 'M', [BC_DATA_MISSING] = 'D',
		[BC_DATA_NOT_CACHED] = 'C', [BC_DATA_ADDED] = '?' };
	for (size_t i = 0; i < l.n; i++) {
		const bc_data_item *it = &l.v[i];
		if (o->short_fmt) {
			char c = (unsigned)it->state < sizeof code && code[it->state] ? code[it->state] : ' ';
			printf("%c ", c);
		} else {
			out_color(ctx, stdout, it->state == BC_DATA_NOT_CACHED ? C_YELLOW : C_RED);
			printf("  %-13s", bc_data_state_name(it->state));
			out_color(ctx, stdout, C_RESET);
		}
		item_name(stdout, it);
		fputc('\n', stdout);
	}
	if (!o->short_fmt && l.n == 0)
		printf("data matches the pointers\n");
	if (!o->short_fmt && l.n)
		printf("(`bancada data add PATH` records a new version, `bancada data checkout PATH` restores)\n");
	if (o->stats)
		printf("checked %" PRId64 " files, hashed %" PRId64 " (%" PRId64 " bytes)\n",
			l.files_checked, l.files_hashed, l.bytes_hashed);
	bc_data_list_clear(&l);
	(void)cmd;
	return EXIT_OK;
}

static int
data_checkout(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o)
{
	bc_data_options opts = BC_DATA_OPTIONS_INIT;
	opts.force = o->force;
	opts.link = o->link;
	const char *rev = NULL;
	const char *const *paths = o->args;
	size_t n = o->nargs;
	/* the first operand is a revision when it is not a path in the workspace */
	if (n && access(o->args[0], F_OK) != 0) {
		char *ptr = malloc(strlen(o->args[0]) + 8);
		if (ptr) {
			sprintf(ptr, "%s" BC_DATA_POINTER_EXT, o->args[0]);
			if (access(ptr, F_OK) != 0) {
				rev = o->args[0];
				paths++;
				n--;
			}
			free(ptr);
		}
	}
	bc_data_list l = { 0 };
	int rc = bc_data_checkout(ctx->p, rev, paths, n, &opts, &l);
	size_t written = 0, removed = 0;
	for (size_t i = 0; i < l.n; i++) {
		const bc_data_item *it = &l.v[i];
		if (it->state == BC_DATA_REFUSED) {
			fputs("refused: ", stderr);
			item_name(stderr, it);
			fputs(" (modified, content not in the cache)\n", stderr);
		} else if (it->state == BC_DATA_DELETED) {
			removed++;
		} else {
			written++;
		}
		if (o->verbose && it->state != BC_DATA_REFUSED) {
			printf("%s ", it->state == BC_DATA_DELETED ? "removed" : "wrote  ");
			item_name(stdout, it);
			fputc('\n', stdout);
		}
	}
	printf("checked out %zu file%s", written, written == 1 ? "" : "s");
	if (removed)
		printf(", removed %zu", removed);
	if (rev) {
		fputs(" at ", stdout);
		out_text(stdout, rev, 0);
	}
	fputc('\n', stdout);
	bc_data_list_clear(&l);
	(void)cmd;
	return rc < 0 ? cmd_project_error(ctx->p) : EXIT_OK;
}

static int
data_ls(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o)
{
	if (o->nargs > 1)
		return cmd_usage(cmd, "ls takes at most one revision");
	bc_data_list l = { 0 };
	if (bc_data_ls(ctx->p, o->nargs ? o->args[0] : NULL, &l) < 0) {
		bc_data_list_clear(&l);
		return cmd_project_error(ctx->p);
	}
	struct out_table *t = table_new(5);
	table_set_header(t, 0, "PATH", 0);
	table_set_header(t, 1, "SIZE", 1);
	table_set_header(t, 2, "FILES", 1);
	table_set_header(t, 3, "SHA256", 0);
	table_set_header(t, 4, "CACHE", 0);
	for (size_t i = 0; i < l.n; i++) {
		const bc_data_item *it = &l.v[i];
		char sz[32], nf[32], name[PATH_MAX + 2];
		data_fmt_bytes(it->size, sz, sizeof sz);
		snprintf(nf, sizeof nf, it->is_dir ? "%" PRId64 : "-", it->nfiles);
		snprintf(name, sizeof name, "%s%s", it->path, it->is_dir ? "/" : "");
		table_add(t, 0, name);
		table_add(t, 1, sz);
		table_add(t, 2, nf);
		table_add(t, 3, short_hash(it->hash));
		table_add(t, 4, it->in_cache ? "yes" : "missing");
		table_next_row(t);
	}
	if (l.n)
		table_print(t, ctx, stdout, out_width(ctx));
	else
		printf("no tracked data (`bancada data add PATH` starts tracking)\n");
	table_free(t);
	bc_data_list_clear(&l);
	return EXIT_OK;
}

static int
data_diff(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o)
{
	if (o->nargs > 2)
		return cmd_usage(cmd, "diff takes at most two revisions");
	bc_data_list l = { 0 };
	if (bc_data_diff(ctx->p, o->nargs > 0 ? o->args[0] : NULL, o->nargs > 1 ? o->args[1] : NULL, &l) < 0) {
		bc_data_list_clear(&l);
		return cmd_project_error(ctx->p);
	}
	for (size_t i = 0; i < l.n; i++) {
		const bc_data_item *it = &l.v[i];
		char a[32], b[32];
		data_fmt_bytes(it->old_size, a, sizeof a);
		data_fmt_bytes(it->size, b, sizeof b);
		out_color(ctx, stdout, it->state == BC_DATA_ADDED ? C_GREEN : it->state == BC_DATA_DELETED ? C_RED : C_YELLOW);
		printf("%-9s ", bc_data_state_name(it->state));
		out_color(ctx, stdout, C_RESET);
		item_name(stdout, it);
		if (it->state == BC_DATA_MODIFIED)
			printf("  %s -> %s  (%.12s -> %.12s)\n", a, b, it->old_hash, it->hash);
		else
			printf("  %s\n", it->state == BC_DATA_ADDED ? b : a);
	}
	if (!l.n)
		printf("no data changes\n");
	bc_data_list_clear(&l);
	return EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(struct bc_cmd_ctx *, const struct bc_cmd *, struct data_opts *);
} subs[] = {
	{ "add", data_add }, { "status", data_status }, { "st", data_status },
	{ "checkout", data_checkout }, { "co", data_checkout }, { "ls", data_ls },
	{ "diff", data_diff }, { "log", data_log }, { "remote", data_remote },
	{ "push", data_push }, { "pull", data_pull }, { "gc", data_gc }, { "fsck", data_fsck },
};

static int
exec_data(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cmd_usage(&cmd_data, "name a subcommand");
	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
		if (strcmp(subs[i].name, argv[1]))
			continue;
		struct data_opts o;
		o.args = calloc((size_t)argc, sizeof *o.args);
		if (!o.args)
			return cmd_error("out of memory");
		int rc = data_args(&cmd_data, argc - 1, argv + 1, &o);
		if (rc == 0)
			rc = subs[i].fn(ctx, &cmd_data, &o);
		free(o.args);
		return rc;
	}
	char why[128];
	snprintf(why, sizeof why, "unknown subcommand '%.40s'", argv[1]);
	return cmd_usage(&cmd_data, why);
}

const struct bc_cmd cmd_data = {
	.name = "data",
	.usage = "add PATH... | status [-s] [--stats] [PATH...] | checkout [-f] [--link=MODE] [REV] [PATH...]\n"
		"       | ls [REV] | diff [REV_A [REV_B]] | log PATH | remote [add NAME URL | remove NAME]\n"
		"       | push [REMOTE] [PATH...] | pull [REMOTE] [PATH...] | gc [--dry-run] [-v] | fsck",
	.summary = "version data files and directories beside the code (content-addressed cache, pointers in git)",
	.flags = CMD_NEEDS_PROJECT,
	.exec = exec_data,
};
