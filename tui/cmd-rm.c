/* SPDX-License-Identifier: MIT */
/* `bancada rm REF...` (soft delete, --purge, --restore) and `bancada gc`. */
#include "config.h"
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

static int
rm_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "purge", no_argument, NULL, 'p' },
		{ "restore", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	extern const struct bc_cmd cmd_rm;
	int purge = 0, restore = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "pr", longopts, NULL)) != -1) {
		if (c == 'p') purge = 1;
		else if (c == 'r') restore = 1;
		else return cmd_usage(&cmd_rm, NULL);
	}
	if (optind >= argc)
		return cmd_usage(&cmd_rm, "give at least one run reference");
	/* resolve all first: a bad reference removes nothing */
	char (*ids)[33] = calloc((size_t)(argc - optind), sizeof *ids);
	for (int i = optind; i < argc; i++)
		if (bc_run_resolve(ctx->p, argv[i], 1, ids[i - optind]) < 0) {
			free(ids);
			return cmd_project_error(ctx->p);
		}
	for (int i = 0; i < argc - optind; i++) {
		int rc = restore ? bc_run_restore(ctx->p, ids[i]) : bc_run_delete(ctx->p, ids[i], purge);
		if (rc < 0) {
			free(ids);
			return cmd_project_error(ctx->p);
		}
		printf("%s %.12s\n", restore ? "restored" : purge ? "purged" : "deleted", ids[i]);
	}
	free(ids);
	return EXIT_OK;
}

static int
gc_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	extern const struct bc_cmd cmd_gc;
	int dry = argc == 2 && !strcmp(argv[1], "--dry-run");
	if (argc > 1 && !dry)
		return cmd_usage(&cmd_gc, NULL);
	int purged, orphans;
	if (bc_project_gc(ctx->p, dry, &purged, &orphans) < 0)
		return cmd_project_error(ctx->p);
	printf("%s %d deleted run%s and %d orphaned run director%s\n", dry ? "would purge" : "purged",
		purged, purged == 1 ? "" : "s", orphans, orphans == 1 ? "y" : "ies");
	return EXIT_OK;
}

const struct bc_cmd cmd_rm = {
	.name = "rm",
	.usage = "REF... [--purge] [--restore]",
	.summary = "Delete runs (soft; --purge removes them and their files; --restore undoes)",
	.flags = CMD_NEEDS_PROJECT,
	.exec = rm_exec,
};

const struct bc_cmd cmd_gc = {
	.name = "gc",
	.usage = "[--dry-run]",
	.summary = "Purge deleted runs and orphaned files, and compact the store's log",
	.flags = CMD_NEEDS_PROJECT,
	.exec = gc_exec,
};
