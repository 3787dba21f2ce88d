/* SPDX-License-Identifier: MIT */
/* `bancada tag REF TAG... [-d]` and `bancada note REF TEXT`. */
#include "config.h"
#include <getopt.h>
#include <string.h>
#include "cmd.h"

static int
tag_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	extern const struct bc_cmd cmd_tag;
	int del = 0, c;
	optind = 1;
	while ((c = getopt(argc, argv, "d")) != -1) {
		if (c == 'd') del = 1;
		else return cmd_usage(&cmd_tag, NULL);
	}
	if (argc - optind < 2)
		return cmd_usage(&cmd_tag, "give a run and at least one tag");
	char id[33];
	if (bc_run_resolve(ctx->p, argv[optind], 0, id) < 0)
		return cmd_project_error(ctx->p);
	for (int i = optind + 1; i < argc; i++)
		if ((del ? bc_run_remove_tag(ctx->p, id, argv[i]) : bc_run_add_tag(ctx->p, id, argv[i])) < 0)
			return cmd_project_error(ctx->p);
	return EXIT_OK;
}

static int
note_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	extern const struct bc_cmd cmd_note;
	if (argc != 3)
		return cmd_usage(&cmd_note, "give a run and the note text (\"\" clears it)");
	char id[33];
	if (bc_run_resolve(ctx->p, argv[1], 0, id) < 0)
		return cmd_project_error(ctx->p);
	if (bc_run_set_note(ctx->p, id, argv[2][0] ? argv[2] : NULL) < 0)
		return cmd_project_error(ctx->p);
	return EXIT_OK;
}

const struct bc_cmd cmd_tag = {
	.name = "tag",
	.usage = "REF TAG... [-d]",
	.summary = "Add tags to a run (-d removes them)",
	.flags = CMD_NEEDS_PROJECT,
	.exec = tag_exec,
};

const struct bc_cmd cmd_note = {
	.name = "note",
	.usage = "REF TEXT",
	.summary = "Set a run's note",
	.flags = CMD_NEEDS_PROJECT,
	.exec = note_exec,
};
