/* SPDX-License-Identifier: MIT */
/*
 * `bancada watch start|stop|status`: the work-tree watcher that spares
 * `bancada run` one lstat per tracked file (core/git-watch.c). `run` starts
 * it on its own the first time it reads a git state and none answers.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"

#define IDLE_DEFAULT_SECS 7200

static int
idle_secs(void)
{
	const char *e = getenv("BANCADA_WATCH_IDLE_SECS");
	int v = e ? atoi(e) : 0;
	return v > 0 ? v : IDLE_DEFAULT_SECS;
}

/* Start `bancada -C ROOT watch serve` in a session of its own, with every
 * standard stream on /dev/null (nothing waits on it, no terminal reaches it).
 * 0 started, -1 with errno. */
static int
spawn_watcher(bc_project *p)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	char a0[] = "bancada", a1[] = "-C", a3[] = "watch", a4[] = "serve", root[4096];
	snprintf(root, sizeof root, "%s", bc_project_root(p));
	char *argv[] = { a0, a1, root, a3, a4, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	for (int fd = 0; fd < 3; fd++)
		posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", fd ? O_WRONLY : O_RDONLY, 0);
#ifdef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP
	/* nor any pipe our caller left open without close-on-exec */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
	extern char **environ;
	pid_t pid;
	int e = posix_spawn(&pid, exe, &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

void
cmd_watch_autostart(bc_project *p)
{
	if (bc_git_watch_missing(p))
		spawn_watcher(p);   /* best effort: without it, runs scan the tree */
}

/* Poll the watcher's status until `want_running` holds or 5 s pass. */
static int
wait_for(bc_project *p, int want_running, bc_git_watch_info *info)
{
	for (int i = 0; i < 250; i++) {
		int up = bc_git_watch_status(p, info) == 0;
		if (up == want_running)
			return 0;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void
print_status(struct bc_cmd_ctx *ctx, const bc_git_watch_info *w, int json)
{
	char started[64];
	fmt_time(w->started_ms, started, sizeof started);
	if (json) {
		json_t *o = json_object();
		json_object_set_new(o, "running", json_true());
		json_object_set_new(o, "root", json_string_nocheck(bc_project_root(ctx->p)));
		json_object_set_new(o, "pid", json_integer(w->pid));
		json_object_set_new(o, "generation", json_integer((json_int_t)w->gen));
		json_object_set_new(o, "queries", json_integer((json_int_t)w->queries));
		json_object_set_new(o, "directories", json_integer((json_int_t)w->dirs));
		json_object_set_new(o, "files", json_integer((json_int_t)w->files));
		json_object_set_new(o, "started", json_string(started));
		json_object_set_new(o, "state", json_string_nocheck(w->state));
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		putchar('\n');
		json_decref(o);
		return;
	}
	out_field(ctx, stdout, 12, "watching", bc_project_root(ctx->p));
	char buf[64];
	snprintf(buf, sizeof buf, "%ld", w->pid);
	out_field(ctx, stdout, 12, "pid", buf);
	out_field(ctx, stdout, 12, "since", started);
	snprintf(buf, sizeof buf, "%zu directories, %zu tracked files", w->dirs, w->files);
	out_field(ctx, stdout, 12, "watches", buf);
	snprintf(buf, sizeof buf, "%llu (changes and index re-reads)", w->gen);
	out_field(ctx, stdout, 12, "generation", buf);
	snprintf(buf, sizeof buf, "%llu", w->queries);
	out_field(ctx, stdout, 12, "queries", buf);
	out_field(ctx, stdout, 12, "state", w->state);
}

static int
watch_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	extern const struct bc_cmd cmd_watch;
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "idle", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, idle = idle_secs(), c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'i':
			idle = atoi(optarg);
			if (idle <= 0)
				return cmd_usage(&cmd_watch, "--idle needs a number of seconds above 0");
			break;
		default: return cmd_usage(&cmd_watch, NULL);
		}
	}
	const char *verb = optind < argc ? argv[optind] : "status";
	bc_git_watch_info w;
	if (!strcmp(verb, "serve")) {
		int rc = bc_git_watch_serve(ctx->p, idle);
		if (rc == BC_EEXISTS)
			return EXIT_OK;
		return rc < 0 ? cmd_project_error(ctx->p) : EXIT_OK;
	}
	if (!strcmp(verb, "status")) {
		if (bc_git_watch_status(ctx->p, &w) < 0) {
			if (json)
				printf("{\n  \"running\": false\n}\n");
			else
				printf("no watcher runs for this project: `bancada watch start` starts one"
					" (`bancada run` does on its own)\n");
			return EXIT_ERR;
		}
		print_status(ctx, &w, json);
		return EXIT_OK;
	}
	if (!strcmp(verb, "start")) {
		if (bc_git_watch_status(ctx->p, &w) < 0) {
			if (spawn_watcher(ctx->p) < 0)
				return cmd_error("cannot start the watcher: %s", strerror(errno));
			if (wait_for(ctx->p, 1, &w) < 0)
				return cmd_error("the watcher did not answer within 5 s: see `bancada watch status`");
		}
		print_status(ctx, &w, json);
		return EXIT_OK;
	}
	if (!strcmp(verb, "stop")) {
		if (bc_git_watch_status(ctx->p, &w) < 0 || bc_git_watch_stop(ctx->p) < 0)
			return cmd_error("no watcher runs for this project: nothing to stop");
		if (wait_for(ctx->p, 0, &w) < 0)
			return cmd_error("the watcher did not stop within 5 s");
		fputs("stopped the watcher of ", stdout);
		out_text(stdout, bc_project_root(ctx->p), 0);   /* a directory name is untrusted text */
		putchar('\n');
		return EXIT_OK;
	}
	return cmd_usage(&cmd_watch, "the action is one of start, stop, status");
}

const struct bc_cmd cmd_watch = {
	.name = "watch",
	.usage = "[start|stop|status] [--json] [--idle SECS]",
	.summary = "The work-tree watcher that spares `run` a scan of every tracked file",
	.flags = CMD_NEEDS_PROJECT,
	.exec = watch_exec,
};
