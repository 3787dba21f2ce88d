/* SPDX-License-Identifier: MIT */
/* `bancada export`, `bancada import FILE.jsonl` and `bancada fsck`. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

int import_src_main(struct bc_cmd_ctx *ctx, int argc, char **argv) __attribute__((weak));

static int
export_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	extern const struct bc_cmd cmd_export;
	if (argc > 2)
		return cmd_usage(&cmd_export, "give at most one filter expression (quote it)");
	int n = bc_export_runs(ctx->p, argc == 2 ? argv[1] : NULL, stdout);
	if (n < 0)
		return cmd_project_error(ctx->p);
	fprintf(stderr, "exported %d run%s\n", n, n == 1 ? "" : "s");
	return EXIT_OK;
}

static int
import_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	extern const struct bc_cmd cmd_import;
	if (argc >= 2 && import_src_main) {
		int rc = import_src_main(ctx, argc, argv);
		if (rc >= 0)
			return rc;
	}
	if (argc != 2)
		return cmd_usage(&cmd_import, "give a runs.jsonl file (or - for stdin), `mlflow PATH` or `dvc [REPO]`");
	if (cmd_open_project(ctx, 0) < 0)
		return EXIT_ERR;
	FILE *f = strcmp(argv[1], "-") ? fopen(argv[1], "re") : stdin;
	if (!f)
		return cmd_error("cannot read %s: %s", argv[1], strerror(errno));
	int added, updated, unchanged;
	int rc = bc_import_runs(ctx->p, f, argv[1], &added, &updated, &unchanged);
	if (f != stdin)
		fclose(f);
	printf("imported: %d added, %d updated, %d unchanged\n", added, updated, unchanged);
	return rc < 0 ? cmd_project_error(ctx->p) : EXIT_OK;
}

static int
fsck_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	char *report;
	int ingested;
	int problems = bc_project_fsck(ctx->p, &report, &ingested);
	if (problems < 0)
		return cmd_project_error(ctx->p);
	out_text(stdout, report, 1);
	printf("checked the store and %d run%s: %d problem%s\n", ingested, ingested == 1 ? "" : "s",
		problems, problems == 1 ? "" : "s");
	free(report);
	return problems ? EXIT_ERR : EXIT_OK;
}

const struct bc_cmd cmd_export = {
	.name = "export",
	.usage = "[FILTER] > runs.jsonl",
	.summary = "Write every field of every run (series included) as JSON lines",
	.flags = CMD_NEEDS_PROJECT | CMD_READ_ONLY,
	.exec = export_exec,
};

const struct bc_cmd cmd_import = {
	.name = "import",
	.usage = "runs.jsonl | mlflow PATH | dvc [REPO]",
	.summary = "Merge runs from an export (by run id, idempotent), MLflow or DVC",
	.exec = import_exec,
};

const struct bc_cmd cmd_fsck = {
	.name = "fsck",
	.usage = "",
	.summary = "Check the store, recover crashed runs, ingest metrics that reached channels",
	.flags = CMD_NEEDS_PROJECT,
	.exec = fsck_exec,
};
