/* SPDX-License-Identifier: MIT */
/*
 * `bancada import mlflow PATH` and `bancada import dvc [REPO]`: bring runs in
 * from other tools. Called by `bancada import` (cmd-export.c) through
 * import_src_main(); progress on a terminal, warnings on stderr, one summary
 * line on stdout.
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"

#define MAX_SHOWN_WARNINGS 20

int import_src_main(struct bc_cmd_ctx *ctx, int argc, char **argv);

struct ui {
	int tty;                /* stderr is a terminal: show progress */
	int quiet;
	int shown;              /* warnings printed */
	int progress_drawn;
	const char *tool;
};

static void
clear_progress(struct ui *u)
{
	if (u->progress_drawn) {
		fputs("\r\033[K", stderr);
		u->progress_drawn = 0;
	}
}

static void
on_progress(size_t done, size_t total, void *payload)
{
	struct ui *u = payload;
	if (!u->tty || u->quiet)
		return;
	fprintf(stderr, "\r\033[Kimporting %s runs: %zu/%zu", u->tool, done, total);
	u->progress_drawn = 1;
	fflush(stderr);
}

static void
on_warn(const char *msg, void *payload)
{
	struct ui *u = payload;
	if (u->shown++ >= MAX_SHOWN_WARNINGS)
		return;
	clear_progress(u);
	fputs("bancada: warning: ", stderr);
	out_text(stderr, msg, 0);
	fputc('\n', stderr);
}

static int
usage(const char *why)
{
	if (why)
		cmd_error("import: %s", why);
	fputs("usage: bancada import mlflow [--full] [-q] PATH...\n"
		"       bancada import dvc [--full] [-q] [REPO...]\n", stderr);
	return EXIT_USAGE;
}

static void
help(void)
{
	fputs("usage: bancada import mlflow [--full] [-q] PATH...\n"
		"       bancada import dvc [--full] [-q] [REPO...]\n"
		"Import runs from MLflow (an mlruns/ directory or an mlflow.db, read-only) or from\n"
		"DVC experiments (refs/exps/... of the git repository REPO, default: this project).\n"
		"Importing again adds only what is new or changed.\n"
		"  --full     re-read every source run even when its files look unchanged\n"
		"  -q         no progress and no summary line\n", stdout);
}

static int
import_one(struct bc_cmd_ctx *ctx, struct ui *u, bc_import_options *opts, int is_dvc,
	const char *path, int many)
{
	bc_import_stats st;
	u->shown = 0;
	int rc = is_dvc ? bc_import_dvc(ctx->p, path, opts, &st)
		: bc_import_mlflow(ctx->p, path, opts, &st);
	clear_progress(u);
	if (u->shown > MAX_SHOWN_WARNINGS)
		cmd_error("warning: %d more warnings not shown", u->shown - MAX_SHOWN_WARNINGS);
	if (rc < 0) {
		if (st.added + st.updated > 0)
			cmd_error("import stopped after %d added and %d updated runs", st.added, st.updated);
		cmd_project_error(ctx->p);
		return EXIT_ERR;
	}
	if (!u->quiet) {
		printf("%s", u->tool);
		if (many) {
			putchar(' ');
			out_text(stdout, path, 0);
		}
		printf(": %d added, %d updated, %d unchanged, %d skipped",
			st.added, st.updated, st.unchanged, st.skipped);
		if (st.bad_lines)
			printf(", %lld bad metric lines skipped", (long long)st.bad_lines);
		if (st.warnings)
			printf(" (%d warning%s)", st.warnings, st.warnings == 1 ? "" : "s");
		putchar('\n');
		fflush(stdout);
	}
	if (st.skipped) {
		cmd_error("%d run%s could not be read (see the warnings above): fix or remove them and import again",
			st.skipped, st.skipped == 1 ? "" : "s");
		return EXIT_ERR;
	}
	return EXIT_OK;
}

int
import_src_main(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "mlflow") && strcmp(argv[1], "dvc")))
		return -1;
	int is_dvc = !strcmp(argv[1], "dvc");
	struct ui u = { .tty = isatty(STDERR_FILENO), .tool = argv[1] };
	bc_import_options opts = BC_IMPORT_OPTIONS_INIT;
	const char **paths = calloc((size_t)argc, sizeof *paths);
	int npaths = 0, opts_done = 0;
	if (!paths)
		return cmd_error("out of memory");
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!opts_done && !strcmp(a, "--")) {
			opts_done = 1;
		} else if (!opts_done && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			free(paths);
			help();
			return EXIT_OK;
		} else if (!opts_done && !strcmp(a, "--full")) {
			opts.full = 1;
		} else if (!opts_done && (!strcmp(a, "-q") || !strcmp(a, "--quiet"))) {
			u.quiet = 1;
		} else if (!opts_done && a[0] == '-' && a[1]) {
			char why[128];
			snprintf(why, sizeof why, "unknown option '%.60s'", a);
			free(paths);
			return usage(why);
		} else {
			paths[npaths++] = a;
		}
	}
	if (!npaths && !is_dvc) {
		free(paths);
		return usage("mlflow needs a PATH: an mlruns/ directory or an mlflow.db");
	}
	if (!ctx->p && cmd_open_project(ctx, 0) < 0) {
		free(paths);
		return EXIT_ERR;
	}
	opts.progress = on_progress;
	opts.warn = on_warn;
	opts.payload = &u;
	int rc = EXIT_OK;
	if (!npaths)
		rc = import_one(ctx, &u, &opts, is_dvc, NULL, 0);
	for (int i = 0; i < npaths; i++)
		if (import_one(ctx, &u, &opts, is_dvc, paths[i], npaths > 1) != EXIT_OK)
			rc = EXIT_ERR;
	free(paths);
	return rc;
}
