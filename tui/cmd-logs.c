/* SPDX-License-Identifier: MIT */
/* `bancada logs REF [--follow]`: a run's stored output, sanitized, optionally tailed. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"

static void
copy_fd(int fd, int multiline)
{
	char buf[65536];
	ssize_t n;
	/* keep a partial UTF-8 sequence or line for the next read: sanitize whole lines */
	static char carry[65536];
	static size_t ncarry;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		size_t start = 0;
		for (size_t i = 0; i < (size_t)n; i++) {
			if (buf[i] != '\n')
				continue;
			if (ncarry) {
				out_textn(stdout, carry, ncarry, 0);
				ncarry = 0;
			}
			out_textn(stdout, buf + start, i - start, 0);
			putchar('\n');
			start = i + 1;
		}
		size_t rest = (size_t)n - start;
		if (ncarry + rest > sizeof carry) {
			out_textn(stdout, carry, ncarry, 0);
			ncarry = 0;
		}
		if (rest > sizeof carry) {
			out_textn(stdout, buf + start, rest, 0);
		} else {
			memcpy(carry + ncarry, buf + start, rest);
			ncarry += rest;
		}
	}
	if (!multiline && ncarry) {
		out_textn(stdout, carry, ncarry, 0);
		ncarry = 0;
	}
	fflush(stdout);
}

static int
logs_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "stderr", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	extern const struct bc_cmd cmd_logs;
	int follow = 0, err = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "fe", longopts, NULL)) != -1) {
		if (c == 'f') follow = 1;
		else if (c == 'e') err = 1;
		else return cmd_usage(&cmd_logs, NULL);
	}
	if (optind != argc - 1)
		return cmd_usage(&cmd_logs, "give one run reference");
	char id[33];
	if (bc_run_resolve(ctx->p, argv[optind], 1, id) < 0)
		return cmd_project_error(ctx->p);
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", bc_project_run_dir(ctx->p, id), err ? "stderr.log" : "stdout.log");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return follow ? cmd_error("run %.12s has no stored output yet", id) : EXIT_OK;
		return cmd_error("cannot read %s: %s", path, strerror(errno));
	}
	copy_fd(fd, follow);
	while (follow) {
		bc_run *r;
		if (bc_run_load(&r, ctx->p, id) < 0)
			break;
		int running = r->status == BC_RUN_RUNNING;
		bc_run_free(r);
		struct timespec ts = { 0, 200 * 1000000L };
		nanosleep(&ts, NULL);
		copy_fd(fd, running);
		if (!running)
			break;
	}
	close(fd);
	return EXIT_OK;
}

const struct bc_cmd cmd_logs = {
	.name = "logs",
	.usage = "REF [--follow] [--stderr]",
	.summary = "Print a run's output (control characters escaped); --follow tails a live run",
	.flags = CMD_NEEDS_PROJECT | CMD_READ_ONLY,
	.exec = logs_exec,
};
