/* SPDX-License-Identifier: MIT */
/*
 * `bancada demo`: a realistic project in a temp dir: a git repo with a few
 * commits, a sweep of ~30 runs with params, metric series of a few hundred
 * steps and logs, one failed run and one still running; then `bancada ls`
 * (or the workbench on a terminal).
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cmd.h"

static int
sh(const char *dir, const char *script)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (chdir(dir) < 0)
			_exit(127);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double
noise(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return ((*seed >> 8) & 0xffff) / 65536.0 - 0.5;
}

/* One synthetic training run: params, curves, a log; status per `fail`. */
static int
fake_run(bc_project *p, const char *dir, int idx, double lr, int batch, const char *opt, int fail)
{
	char lrs[32], bs[32];
	snprintf(lrs, sizeof lrs, "%g", lr);
	snprintf(bs, sizeof bs, "%d", batch);
	const char *argv[] = { "python3", "train.py", "--lr", lrs, "--batch-size", bs, "--optimizer", opt, NULL };
	const char *tags[] = { idx % 3 ? "sweep" : "baseline", NULL };
	bc_run_new nr = BC_RUN_NEW_INIT;
	nr.argv = argv;
	nr.cwd = dir;
	nr.tags = tags;
	nr.experiment = "digits";
	char id[33];
	if (bc_run_create(p, &nr, id) < 0)
		return -1;
	bc_value v = { BC_VAL_FLOAT, 0, lr, NULL, 0 };
	bc_run_set_param(p, id, "lr", &v);
	v.type = BC_VAL_INT;
	v.i = batch;
	bc_run_set_param(p, id, "batch_size", &v);
	bc_value_parse(&v, opt);
	bc_run_set_param(p, id, "optimizer", &v);
	bc_value_clear(&v);
	v.type = BC_VAL_INT;
	v.i = 300;
	bc_run_set_param(p, id, "epochs", &v);
	bc_ingest *in;
	if (bc_ingest_new(&in, p, id) < 0)
		return -1;
	unsigned seed = (unsigned)idx * 7919u + 17u;
	int steps = fail ? 120 : 300;
	double speed = lr * (batch <= 32 ? 1.3 : 1.0) * (strcmp(opt, "adam") ? 0.8 : 1.2) * 40.0;
	int64_t t0 = bc_now_ms() - (int64_t)(31 - idx) * 600000;
	char logpath[4096];
	snprintf(logpath, sizeof logpath, "%s/stdout.log", bc_project_run_dir(p, id));
	FILE *log = fopen(logpath, "we");
	for (int s = 0; s < steps; s++) {
		double loss = 2.3 * exp(-speed * s / 100.0) + 0.05 + 0.03 * noise(&seed);
		double acc = 1.0 - loss / 2.5 + 0.01 * noise(&seed);
		if (fail && s > 100)
			loss = NAN;
		bc_ingest_add(in, "loss", s, loss, t0 + s * 1000);
		if (s % 10 == 9) {
			bc_ingest_add(in, "val_loss", s, loss * 1.08 + 0.02 * noise(&seed), t0 + s * 1000);
			bc_ingest_add(in, "val_acc", s, acc - 0.02, t0 + s * 1000);
		}
		if (s % 5 == 0) {
			/* resource usage as `bancada run` samples it (sys/ series) */
			bc_ingest_add(in, "sys/cpu_percent", s / 5, 180.0 + 15.0 * noise(&seed), t0 + s * 1000);
			bc_ingest_add(in, "sys/rss_mb", s / 5, 900.0 + s * 0.8 + 20.0 * noise(&seed), t0 + s * 1000);
		}
		if (log && s % 10 == 9)
			fprintf(log, "epoch %d/%d  step=%d loss=%.4f val_acc=%.4f\n", s / 10 + 1, steps / 10, s, loss, acc - 0.02);
	}
	/* a 3-class confusion matrix on the validation set, as a training script would write it */
	if (!fail) {
		char cpath[4200];
		snprintf(cpath, sizeof cpath, "%s/confusion.json", bc_project_run_dir(p, id));
		FILE *cf = fopen(cpath, "we");
		if (cf) {
			double q = 1.0 - 2.3 * exp(-speed * 3.0) / 2.5;
			int d = (int)(100 * (q < 0.3 ? 0.3 : q));
			fprintf(cf, "{\"labels\": [\"cat\", \"dog\", \"bird\"], \"matrix\": "
				"[[%d, %d, %d], [%d, %d, %d], [%d, %d, %d]]}\n",
				d, (100 - d) / 2, (100 - d) - (100 - d) / 2, (100 - d) / 3, d, (100 - d) - (100 - d) / 3,
				(100 - d) / 2, (100 - d) - (100 - d) / 2, d);
			fclose(cf);
		}
	}
	if (log) {
		if (fail)
			fprintf(log, "Traceback (most recent call last):\n  File \"train.py\", line 42\nFloatingPointError: loss is nan\n");
		fclose(log);
	}
	int rc = bc_ingest_flush(in, NULL, 0);
	bc_ingest_free(in);
	if (rc < 0)
		return -1;
	if (bc_run_finish(p, id, fail ? BC_RUN_FAILED : BC_RUN_FINISHED, fail ? 1 : 0, 0) < 0)
		return -1;
	/* the sweep ran over the last few hours, one run after another */
	return bc_run_set_times(p, id, t0, t0 + (int64_t)steps * 1000 + 4321);
}

static const char train_py[] =
	"import argparse\n"
	"p = argparse.ArgumentParser()\n"
	"p.add_argument('--lr', type=float, default=0.01)\n"
	"p.add_argument('--batch-size', type=int, default=32)\n"
	"p.add_argument('--optimizer', default='sgd')\n"
	"args = p.parse_args()\n"
	"for step in range(300):\n"
	"    loss = 2.3 / (1 + args.lr * step)\n"
	"    print(f'step={step} loss={loss:.4f}')\n";

static int
demo_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	char dir[] = "/tmp/bancada-demo.XXXXXX";
	if (!mkdtemp(dir))
		return cmd_error("cannot create a temp dir: %s", strerror(errno));
	char path[4096];
	snprintf(path, sizeof path, "%s/train.py", dir);
	FILE *f = fopen(path, "we");
	if (!f)
		return cmd_error("cannot write %s: %s", path, strerror(errno));
	fputs(train_py, f);
	fclose(f);
	if (sh(dir, "git init -q && git config user.email demo@bancada.invalid && git config user.name demo && "
			"git add train.py && git commit -qm 'train: first model'") != 0)
		return cmd_error("cannot create the demo git repository (is git installed?)");
	bc_project *p;
	if (bc_project_init(&p, dir) < 0) {
		cmd_project_error(p);
		bc_project_free(p);
		return EXIT_ERR;
	}
	static const double lrs[] = { 0.001, 0.003, 0.01, 0.03, 0.1 };
	static const int batches[] = { 32, 64, 128 };
	static const char *const opts[] = { "sgd", "adam" };
	int idx = 0, rc = 0;
	for (int phase = 0; phase < 3 && rc == 0; phase++) {
		if (phase == 1)
			rc = sh(dir, "printf 'import numpy  # vectorised\\n' >> train.py && git commit -qam 'train: vectorise'");
		if (phase == 2)
			rc = sh(dir, "printf '# try label smoothing\\n' >> train.py");   /* uncommitted */
		for (int k = 0; k < 10 && rc == 0; k++, idx++)
			rc = fake_run(p, dir, idx, lrs[(idx * 3) % 5], batches[idx % 3], opts[(idx / 2) % 2], idx == 17);
	}
	if (rc) {
		cmd_project_error(p);
		bc_project_free(p);
		return EXIT_ERR;
	}
	bc_project_free(p);
	/* one live run, recorded for real in the background (about 10 minutes) */
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		pid_t pid = fork();
		if (pid == 0) {
			setsid();
			if (chdir(dir) < 0)
				_exit(1);
			int null = open("/dev/null", O_RDWR);
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			execl(self, "bancada", "run", "-n", "live-training", "-t", "live", "-p", "lr=0.02", "--",
				"sh", "-c", "i=0; while [ $i -lt 600 ]; do echo \"step=$i loss=0.$((9999 - i * 15))\"; "
				"i=$((i+1)); sleep 1; done", (char *)NULL);
			_exit(127);
		}
		usleep(300000);
	}
	printf("demo project: %s  (cd there and run `bancada`)\n\n", dir);
	fflush(stdout);
	ctx->dir = strdup(dir);
	static char ls_name[] = "ls", tui_name[] = "tui";
	char *ls_argv[] = { ls_name, NULL };
	char *tui_argv[] = { tui_name, NULL };
	if (ctx->stdout_tty && isatty(STDIN_FILENO) && cmd_find("tui"))
		return cmd_dispatch(ctx, 1, tui_argv);
	return cmd_dispatch(ctx, 1, ls_argv);
}

const struct bc_cmd cmd_demo = {
	.name = "demo",
	.usage = "",
	.summary = "Create a demo project in a temp dir (runs of a sweep) and open it",
	.exec = demo_exec,
};
