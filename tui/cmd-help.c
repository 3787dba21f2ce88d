/* SPDX-License-Identifier: MIT */
/* `bancada help [CMD]` and `bancada commands` (for completion), both from the table. */
#include "config.h"
#include <string.h>
#include "cmd.h"

static int
help_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	if (argc > 1) {
		const struct bc_cmd *c = cmd_find(argv[1]);
		if (!c)
			return cmd_error("unknown command '%s': see `bancada help`", argv[1]);
		printf("usage: bancada %s %s\n\n%s\n", c->name, c->usage, c->summary);
		return EXIT_OK;
	}
	printf("usage: bancada [-C DIR] COMMAND [ARGS...]\n"
		"       bancada                 open the workbench (TUI)\n\ncommands:\n");
	for (int i = 0; cmd_table[i]; i++) {
		const struct bc_cmd *c = cmd_table[i];
		if (c->flags & CMD_HIDDEN)
			continue;
		printf("  %-10s %s\n", c->name, c->summary);
	}
	printf("\nRun references: an id prefix, a name, @ (latest) or @~N (N before latest).\n"
		"`bancada help COMMAND` shows a command's options.\n");
	return EXIT_OK;
}

static int
commands_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	for (int i = 0; cmd_table[i]; i++)
		if (!(cmd_table[i]->flags & CMD_HIDDEN))
			printf("%s\n", cmd_table[i]->name);
	return EXIT_OK;
}

const struct bc_cmd cmd_help = {
	.name = "help",
	.usage = "[COMMAND]",
	.summary = "Show the commands, or one command's usage",
	.exec = help_exec,
};

const struct bc_cmd cmd_commands = {
	.name = "commands",
	.usage = "",
	.summary = "List command names (for shell completion)",
	.flags = CMD_HIDDEN,
	.exec = commands_exec,
};
