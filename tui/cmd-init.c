/* SPDX-License-Identifier: MIT */
/* `bancada init`: create .bancada/ at the project root. */
#include "config.h"
#include "cmd.h"

static int
init_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	(void)argv;
	extern const struct bc_cmd cmd_init;
	if (argc > 1)
		return cmd_usage(&cmd_init, "takes no arguments (use -C DIR before the command)");
	bc_project *p;
	int rc = bc_project_init(&p, ctx->dir);
	if (rc < 0 && rc != BC_EEXISTS) {
		cmd_project_error(p);
		bc_project_free(p);
		return EXIT_ERR;
	}
	printf("%s bancada project in ", rc == BC_EEXISTS ? "Reinitialized existing" : "Initialized");
	out_text(stdout, bc_project_root(p), 0);
	printf("/.bancada\n");
	bc_project_free(p);
	return EXIT_OK;
}

const struct bc_cmd cmd_init = {
	.name = "init",
	.usage = "",
	.summary = "Create a bancada project (.bancada/) at the git top level or here",
	.exec = init_exec,
};
