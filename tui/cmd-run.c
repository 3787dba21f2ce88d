/* SPDX-License-Identifier: MIT */
/* `bancada run`: record a command as a run (see record.c for the recorder). */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"
#include "record.h"

#define MAX_OPT 64

/* The command's own flags become params: --lr 0.01, --lr=0.01, --flag (true). */
static int
argv_params(bc_project *p, const char *id, char **argv)
{
	for (int i = 1; argv[i]; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) || !a[2] || a[2] == '-' || a[2] == '=')
			continue;
		char key[256];
		const char *val;
		const char *eq = strchr(a, '=');
		if (eq) {
			snprintf(key, sizeof key, "%.*s", (int)(eq - a - 2), a + 2);
			val = eq + 1;
		} else {
			snprintf(key, sizeof key, "%s", a + 2);
			if (argv[i + 1] && !(argv[i + 1][0] == '-' && argv[i + 1][1] == '-')) {
				val = argv[++i];
			} else {
				val = "true";
			}
		}
		for (char *c = key; *c; c++)
			if (*c == '-')
				*c = '_';
		bc_value v;
		bc_value_parse(&v, val);
		int rc = bc_run_set_param(p, id, key, &v);
		bc_value_clear(&v);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The git state, read last: the prefetch thread scanned the work tree while
 * the run, its params, data snapshot, files, pipes and environment were made. */
static int
record_git(bc_project *p, const char *run_id, void *cwd)
{
	return bc_run_set_git(p, run_id, cwd);
}

static int
run_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "tag", required_argument, NULL, 't' },
		{ "message", required_argument, NULL, 'm' },
		{ "param", required_argument, NULL, 'p' },
		{ "params", required_argument, NULL, 'P' },
		{ "experiment", required_argument, NULL, 'e' },
		{ "shell", no_argument, NULL, 'S' },
		{ "no-scalars", no_argument, NULL, 'N' },
		{ "no-argv-params", no_argument, NULL, 'A' },
		{ "no-git", no_argument, NULL, 'G' },
		{ "sample", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "input", required_argument, NULL, 'I' },
		{ "output", required_argument, NULL, 'O' },
		{ "add-outputs", no_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	extern const struct bc_cmd cmd_run;
	const char *tags[MAX_OPT + 1] = { 0 }, *kv[MAX_OPT + 1] = { 0 }, *files[MAX_OPT + 1] = { 0 };
	const char *inputs[MAX_OPT + 1] = { 0 }, *outputs[MAX_OPT + 1] = { 0 };
	int ntags = 0, nkv = 0, nfiles = 0, nin = 0, nout = 0, add_outputs = 0, c;
	struct record_opts ro = { 0 };
	ro.scalars = 1;
	ro.sample_ms = 5000;
	int argv_par = 1;
	bc_run_new nr = BC_RUN_NEW_INIT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+n:t:m:p:e:q", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': nr.name = optarg; break;
		case 't': if (ntags < MAX_OPT) tags[ntags++] = optarg; break;
		case 'm': nr.note = optarg; break;
		case 'p':
			if (!strchr(optarg, '='))
				return cmd_usage(&cmd_run, "-p needs KEY=VALUE");
			if (nkv < MAX_OPT) kv[nkv++] = optarg;
			break;
		case 'P': if (nfiles < MAX_OPT) files[nfiles++] = optarg; break;
		case 'e': nr.experiment = optarg; break;
		case 'S': ro.use_shell = 1; break;
		case 'N': ro.scalars = 0; break;
		case 'A': argv_par = 0; break;
		case 'G': nr.capture_git = 0; break;
		case 's': ro.sample_ms = (int)(atof(optarg) * 1000); break;
		case 'q': ro.quiet = 1; break;
		case 'I': if (nin < MAX_OPT) inputs[nin++] = optarg; break;
		case 'O': if (nout < MAX_OPT) outputs[nout++] = optarg; break;
		case 'U': add_outputs = 1; break;
		default: return cmd_usage(&cmd_run, NULL);
		}
	}
	if (optind >= argc)
		return cmd_usage(&cmd_run, "no command given: bancada run [OPTIONS] -- CMD [ARGS...]");
	char **cmdv = argv + optind;
	/* read params files first: a bad file must not leave a half-made run */
	char *docs[MAX_OPT] = { 0 };
	size_t doclen[MAX_OPT];
	for (int i = 0; i < nfiles; i++) {
		char *d = NULL;
		FILE *f = fopen(files[i], "re");
		if (!f)
			return cmd_error("cannot read params file %s: %s", files[i], strerror(errno));
		bc_buf b = BC_BUF_INIT;
		char chunk[8192];
		size_t n;
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			bc_buf_put(&b, chunk, n);
		fclose(f);
		doclen[i] = b.len;
		d = bc_buf_detach(&b);
		docs[i] = d;
	}
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		snprintf(cwd, sizeof cwd, "%s", bc_project_root(ctx->p));
	tags[ntags] = NULL;
	nr.tags = tags;
	nr.argv = (const char *const *)cmdv;
	nr.cwd = cwd;
	nr.pid = getpid();
	/* the git state is read last, just before the command starts (record_git):
	 * everything else about the run is made while the prefetch thread scans */
	int want_git = nr.capture_git;
	nr.capture_git = 0;
	char id[33];
	if (bc_run_create(ctx->p, &nr, id) < 0) {
		for (int i = 0; i < nfiles; i++)
			free(docs[i]);
		return cmd_project_error(ctx->p);
	}
	int rc = 0;
	for (int i = 0; i < nfiles && rc == 0; i++)
		rc = bc_run_set_params_doc(ctx->p, id, docs[i], doclen[i], files[i]);
	for (int i = 0; i < nfiles; i++)
		free(docs[i]);
	for (int i = 0; i < nkv && rc == 0; i++) {
		const char *eq = strchr(kv[i], '=');
		char key[256];
		snprintf(key, sizeof key, "%.*s", (int)(eq - kv[i]), kv[i]);
		bc_value v;
		bc_value_parse(&v, eq + 1);
		rc = bc_run_set_param(ctx->p, id, key, &v);
		bc_value_clear(&v);
	}
	if (rc == 0 && argv_par)
		rc = argv_params(ctx->p, id, cmdv);
	/* data lineage: the state of every tracked path now, and what the run reads */
	if (rc == 0)
		rc = bc_data_run_snapshot(ctx->p, id);
	for (int i = 0; i < nin && rc == 0; i++)
		rc = bc_data_run_io(ctx->p, id, 0, inputs[i], 0);
	if (rc < 0) {
		cmd_project_error(ctx->p);
		bc_run_finish(ctx->p, id, BC_RUN_FAILED, -1, 0);
		return EXIT_ERR;
	}
	ro.argv = cmdv;
	if (want_git) {
		ro.before_start = record_git;
		ro.before_arg = cwd;
	}
	int status = record_run(ctx->p, id, &ro);
	/* no watcher answered the clean check: start one for the next run */
	if (want_git)
		cmd_watch_autostart(ctx->p);
	/* what it wrote, hashed (and cached with --add-outputs) once it is done */
	for (int i = 0; i < nout; i++) {
		if (access(outputs[i], F_OK) != 0)
			cmd_error("output %s was not written by the command (recorded without a hash)", outputs[i]);
		if (bc_data_run_io(ctx->p, id, 1, outputs[i], add_outputs) < 0)
			cmd_error("output %s not recorded: %s", outputs[i], bc_errmsg(ctx->p));
	}
	return status;
}

/* Read the git state while the project opens, unless --no-git is among our
 * options (they end, as for getopt with "+", at `--` or the command). */
static void
run_open_options(int argc, char **argv, bc_project_options *opts)
{
	static const char *const with_arg[] = { "-n", "-t", "-m", "-p", "-e", "--name", "--tag",
		"--message", "--param", "--params", "--experiment", "--sample", "--input", "--output", NULL };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--") || a[0] != '-')
			break;
		if (!strcmp(a, "--no-git"))
			return;
		for (int k = 0; with_arg[k]; k++)
			if (!strcmp(a, with_arg[k]))
				i++;                /* its value, not an option */
	}
	opts->git_prefetch = ".";
}

const struct bc_cmd cmd_run = {
	.name = "run",
	.usage = "[-n NAME] [-t TAG]... [-m NOTE] [-p KEY=VALUE]... [--params FILE] [-e EXPERIMENT]\n"
		"           [--input PATH]... [--output PATH]... [--add-outputs]\n"
		"           [--shell] [--no-scalars] [--no-argv-params] [--no-git] [--sample SECS] [-q] -- CMD [ARGS...]",
	.summary = "Run a command and record it: output, metrics, params, git state, exit status",
	.flags = CMD_NEEDS_PROJECT,
	.exec = run_exec,
	.open_options = run_open_options,
};
