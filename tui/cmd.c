/* SPDX-License-Identifier: MIT */
/* The one command table, lookup and dispatch (project opening included). */
#include "config.h"
#include <errno.h>
#include <string.h>
#include "cmd.h"

extern const struct bc_cmd cmd_init, cmd_run, cmd_ls, cmd_show, cmd_diff, cmd_metrics,
	cmd_logs, cmd_log, cmd_param, cmd_tag, cmd_note, cmd_rm, cmd_gc, cmd_export,
	cmd_import, cmd_demo, cmd_help, cmd_fsck, cmd_commands, cmd_tui;

extern const struct bc_cmd cmd_plugin;
extern const struct bc_cmd cmd_data;
extern const struct bc_cmd cmd_bundle;
extern const struct bc_cmd cmd_watch;
const struct bc_cmd *const cmd_table[] = {
	&cmd_init,
	&cmd_run,
	&cmd_ls,
	&cmd_show,
	&cmd_diff,
	&cmd_metrics,
	&cmd_logs,
	&cmd_log,
	&cmd_param,
	&cmd_tag,
	&cmd_note,
	&cmd_rm,
	&cmd_gc,
	&cmd_fsck,
	&cmd_export,
	&cmd_import,
	&cmd_demo,
	&cmd_help,
	&cmd_commands,
	&cmd_tui,
	&cmd_plugin,
	&cmd_data,
	&cmd_bundle,
	&cmd_watch,
	NULL,
};

const struct bc_cmd *
cmd_find(const char *name)
{
	for (int i = 0; cmd_table[i]; i++) {
		const struct bc_cmd *c = cmd_table[i];
		if (!strcmp(c->name, name) || (c->alias && !strcmp(c->alias, name)))
			return c;
	}
	return NULL;
}

/* Open quietly; returns the core's code (the handle is kept for its message).
 * `cmd` (may be NULL) adjusts the options from its arguments. */
static int
open_quiet(struct bc_cmd_ctx *ctx, int readonly, const struct bc_cmd *cmd, int argc, char **argv)
{
	bc_project_options opts = BC_PROJECT_OPTIONS_INIT;
	if (cmd && cmd->open_options)
		cmd->open_options(argc, argv, &opts);
	opts.readonly = readonly;
	return bc_project_open(&ctx->p, ctx->dir, &opts);
}

int
cmd_open_project(struct bc_cmd_ctx *ctx, int readonly)
{
	if (ctx->p)
		return 0;
	int rc = open_quiet(ctx, readonly, NULL, 0, NULL);
	if (rc < 0) {
		cmd_project_error(ctx->p);
		bc_project_free(ctx->p);
		ctx->p = NULL;
		return -1;
	}
	return 0;
}

int
cmd_dispatch(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	const struct bc_cmd *cmd = cmd_find(argv[0]);
	if (!cmd) {
		cmd_error("unknown command '%s': see `bancada help`", argv[0]);
		return EXIT_USAGE;
	}
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: bancada %s %s\n%s\n", cmd->name, cmd->usage, cmd->summary);
		return EXIT_OK;
	}
	if (cmd->flags & CMD_NEEDS_PROJECT) {
		int rc = open_quiet(ctx, 0, cmd, argc, argv);
		if (rc == BC_EREADONLY && (cmd->flags & CMD_READ_ONLY)) {
			/* a reading command still works on a read-only filesystem */
			bc_project_free(ctx->p);
			ctx->p = NULL;
			rc = open_quiet(ctx, 1, NULL, 0, NULL);
		}
		if (rc < 0) {
			cmd_project_error(ctx->p);
			bc_project_free(ctx->p);
			ctx->p = NULL;
			return EXIT_ERR;
		}
	}
	int rc = cmd->exec(ctx, argc, argv);
	bc_project_free(ctx->p);
	ctx->p = NULL;
	return rc;
}
