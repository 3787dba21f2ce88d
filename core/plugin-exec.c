/* SPDX-License-Identifier: MIT */
/*
 * Running external plugins: trust first, then an argv exec (never a shell)
 * in a new session (no controlling terminal), with a scrubbed environment,
 * a JSON description of the selected runs on stdin, stdout capped, stderr
 * kept short, and the whole process group killed at the timeout. The job
 * can be polled so the TUI stays responsive while a plugin runs.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include "internal.h"
#include "plugin-int.h"

#define ERR_CAP (64 * 1024)

struct bc_extjob {
	pid_t pid;
	int in_fd, out_fd, err_fd;
	char *input;
	size_t input_len, input_off;
	bc_buf out, err;
	size_t cap;
	int64_t start_ms, deadline_ms;
	int timed_out, truncated, exited;
};

/* JSON of the selected runs, as documented in share/plugins.md. */
static char *
build_input(bc_project *p, const bc_plugin_info *pi, const char *const *ids, size_t n,
	const char *filter)
{
	json_t *root = json_object(), *runs = json_array();
	json_object_set_new(root, "bancada_plugin", json_integer(1));
	json_object_set_new(root, "plugin", json_string(pi->name));
	json_object_set_new(root, "project", json_string(bc_project_root(p)));
	json_object_set_new(root, "input", json_string(pi->input == BC_INPUT_FILTERED ? "filtered" :
		pi->input == BC_INPUT_MARKED ? "marked" : "run"));
	json_object_set_new(root, "filter", filter ? json_string(filter) : json_null());
	for (size_t i = 0; i < n; i++) {
		bc_run *r = NULL;
		if (bc_run_load(&r, p, ids[i]) < 0)
			continue;
		char *text = bc_run_to_json(p, r, 0);
		json_t *obj = text ? json_loads(text, 0, NULL) : NULL;
		if (obj) {
			json_object_set_new(obj, "dir", json_string(bc_project_run_dir(p, r->id)));
			json_array_append_new(runs, obj);
		}
		free(text);
		bc_run_free(r);
	}
	json_object_set_new(root, "runs", runs);
	char *s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

/* Find an executable: a path with '/' relative to the plugin dir, else $PATH (absolute entries). */
static char *
resolve_exe(const char *name, const char *plugindir)
{
	if (strchr(name, '/'))
		return name[0] == '/' ? bc_strdup(name) : bc_path_join(plugindir, name);
	const char *path = getenv("PATH");
	char *copy = bc_strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin"), *save = NULL;
	char *found = NULL;
	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		if (d[0] != '/')
			continue;
		char *c = bc_path_join(d, name);
		if (c && access(c, X_OK) == 0)
			found = c;
		else
			free(c);
	}
	free(copy);
	return found;
}

static char **
scrubbed_env(bc_project *p, const bc_plugin_info *pi, int cols)
{
	static const char *const keep[] = { "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "USER",
		"LOGNAME", "NO_COLOR", "TMPDIR" };
	char **env = calloc(32, sizeof *env);
	size_t n = 0;
	if (!env)
		return NULL;
	const char *path = getenv("PATH");
	env[n++] = bc_sprintf("PATH=%s", path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
		const char *v = getenv(keep[i]);
		if (v)
			env[n++] = bc_sprintf("%s=%s", keep[i], v);
	}
	env[n++] = bc_strdup("TERM=dumb");
	env[n++] = bc_sprintf("COLUMNS=%d", cols > 0 ? cols : 80);
	env[n++] = bc_sprintf("BANCADA_PROJECT=%s", bc_project_root(p));
	env[n++] = bc_sprintf("BANCADA_PLUGIN=%s", pi->name);
	env[n++] = bc_sprintf("BANCADA_PLUGIN_DIR=%s", pi->dir);
	env[n++] = bc_strdup("PYTHONDONTWRITEBYTECODE=1");
	env[n++] = bc_strdup("PYTHONIOENCODING=utf-8");
	return env;
}

static void
strv_free0(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void
child(const char *exe, char **argv, char **env, const char *cwd, int in, int out, int err)
{
	setsid();
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3u, ~0u, 0u) < 0)
#endif
		for (int fd = 3; fd < 4096; fd++)
			close(fd);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	struct rlimit core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &core);
	if (chdir(cwd) < 0)
		_exit(127);
	execve(exe, argv, env);
	static const char msg[] = "cannot execute the plugin's command\n";
	if (write(2, msg, sizeof msg - 1) < 0)
		_exit(127);
	_exit(127);
}

/* Check trust, then start an external plugin; caller finishes with bc_extjob_finish(). */
int
bc_extjob_start(bc_extjob **out, bc_project *p, const bc_plugin_info *pi,
	const char *const *run_ids, size_t nruns, const char *filter, int cols)
{
	*out = NULL;
	if (pi->kind != BC_PLUGIN_KIND_EXTERNAL)
		return bc_error_set(p, BC_ERR_PLUGIN, BC_EINVALID, "%s is a C plugin", pi->name);
	int rc = bc_plugin_check(p, pi);
	if (rc < 0)
		return rc;
	/* the runs: given ones, else the filtered list or the latest run */
	bc_run_list list = { 0 };
	char latest[33];
	const char *one[1];
	if (!nruns && pi->input == BC_INPUT_FILTERED) {
		bc_run_query q = BC_RUN_QUERY_INIT;
		q.filter = filter;
		if (bc_run_query_ids(p, &q, &list) < 0) {
			bc_run_list_clear(&list);
			return BC_EINVALID;
		}
	} else if (!nruns && bc_run_resolve(p, "@", 0, latest) == 0) {
		one[0] = latest;
		run_ids = one;
		nruns = 1;
	}
	const char **ids = calloc(list.count + nruns + 1, sizeof *ids);
	size_t nids = 0;
	for (size_t i = 0; ids && i < nruns; i++)
		ids[nids++] = run_ids[i];
	for (size_t i = 0; ids && i < list.count; i++)
		ids[nids++] = list.ids[i];
	bc_extjob *j = calloc(1, sizeof *j);
	char *input = ids && j ? build_input(p, pi, ids, nids, filter) : NULL;
	const char *run0 = nids ? ids[0] : "";
	char *rundir = bc_strdup(nids ? bc_project_run_dir(p, ids[0]) : "");
	char **argv = calloc(pi->argc + 1, sizeof *argv);
	for (size_t i = 0; argv && i < pi->argc; i++)
		argv[i] = bc_plugin_expand(pi->argv[i], pi->dir, bc_project_root(p), run0, rundir);
	free(rundir);
	free(ids);
	bc_run_list_clear(&list);
	char *exe = argv && argv[0] ? resolve_exe(argv[0], pi->dir) : NULL;
	char **env = scrubbed_env(p, pi, cols);
	int sv[2] = { -1, -1 }, po[2] = { -1, -1 }, pe[2] = { -1, -1 };
	rc = BC_ERROR;
	if (!j || !input || !argv || !env) {
		bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
		goto fail;
	}
	if (!exe) {
		bc_error_set(p, BC_ERR_PLUGIN, BC_ENOTFOUND, "plugin %s: command '%s' not found",
			pi->name, pi->argv[0]);
		rc = BC_ENOTFOUND;
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		bc_error_set(p, BC_ERR_OS, BC_ERROR, "plugin %s: pipe: %s", pi->name, strerror(errno));
		goto fail;
	}
	pid_t pid = fork();
	if (pid < 0) {
		bc_error_set(p, BC_ERR_OS, BC_ERROR, "plugin %s: fork: %s", pi->name, strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child(exe, argv, env, bc_project_root(p), sv[1], po[1], pe[1]);
	close(sv[1]);
	close(po[1]);
	close(pe[1]);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(po[0], F_SETFL, O_NONBLOCK);
	fcntl(pe[0], F_SETFL, O_NONBLOCK);
	j->pid = pid;
	j->in_fd = sv[0];
	j->out_fd = po[0];
	j->err_fd = pe[0];
	j->input = input;
	j->input_len = strlen(input);
	j->cap = pi->output_cap ? pi->output_cap : 1 << 20;
	j->start_ms = bc_now_ms();
	j->deadline_ms = j->start_ms + (pi->timeout_ms > 0 ? pi->timeout_ms : 10000);
	free(exe);
	strv_free0(argv);
	strv_free0(env);
	*out = j;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	free(exe);
	strv_free0(argv);
	strv_free0(env);
	free(input);
	free(j);
	return rc;
}

/* A descriptor to poll for the job, or -1 when its output is closed. */
int
bc_extjob_fd(const bc_extjob *j)
{
	return j->out_fd >= 0 ? j->out_fd : j->err_fd;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void
stop(bc_extjob *j)
{
	kill(-j->pid, SIGKILL);
	close_fd(&j->in_fd);
	close_fd(&j->out_fd);
	close_fd(&j->err_fd);
}

/* Drain a readable fd into b (keeping at most cap bytes); returns 1 at EOF. */
static int
drain(int fd, bc_buf *b, size_t cap, int *over)
{
	char chunk[65536];
	for (int i = 0; i < 64; i++) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : 1;
		if (n == 0)
			return 1;
		size_t room = b->len < cap ? cap - b->len : 0;
		bc_buf_put(b, chunk, (size_t)n < room ? (size_t)n : room);
		if ((size_t)n > room) {
			*over = 1;
			return 0;
		}
	}
	return 0;
}

/* Progress for up to timeout_ms: 1 when done, 0 when not yet, -1 on a poll error. */
int
bc_extjob_poll(bc_extjob *j, int timeout_ms)
{
	int64_t until = bc_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		if (j->out_fd < 0 && j->err_fd < 0) {
			siginfo_t si = { 0 };
			if (waitid(P_PID, (id_t)j->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
			    si.si_pid == j->pid)
				j->exited = 1;
			if (j->exited)
				return 1;
		}
		int64_t now = bc_now_ms();
		if (now >= j->deadline_ms) {
			j->timed_out = 1;
			stop(j);
			j->exited = 1;
			return 1;
		}
		struct pollfd fds[3];
		int nf = 0;
		if (j->in_fd >= 0)
			fds[nf++] = (struct pollfd){ j->in_fd, POLLOUT, 0 };
		if (j->out_fd >= 0)
			fds[nf++] = (struct pollfd){ j->out_fd, POLLIN, 0 };
		if (j->err_fd >= 0)
			fds[nf++] = (struct pollfd){ j->err_fd, POLLIN, 0 };
		int64_t wait = (until > now ? until : now) - now;
		if (j->deadline_ms - now < wait)
			wait = j->deadline_ms - now;
		if (nf == 0 && wait > 10)
			wait = 10;      /* output closed: wait for the exit */
		int r = poll(fds, (nfds_t)nf, (int)wait);
		if (r < 0 && errno != EINTR)
			return -1;
		for (int i = 0; r > 0 && i < nf; i++) {
			if (!fds[i].revents)
				continue;
			if (fds[i].fd == j->in_fd) {
				ssize_t w = send(j->in_fd, j->input + j->input_off,
					j->input_len - j->input_off, MSG_NOSIGNAL | MSG_DONTWAIT);
				if (w > 0)
					j->input_off += (size_t)w;
				if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
				    j->input_off >= j->input_len)
					close_fd(&j->in_fd);   /* done, or it does not read stdin */
			} else if (fds[i].fd == j->out_fd) {
				int over = 0;
				if (drain(j->out_fd, &j->out, j->cap, &over))
					close_fd(&j->out_fd);
				if (over) {
					j->truncated = 1;
					stop(j);
					j->exited = 1;
					return 1;
				}
			} else {
				int over = 0;
				if (drain(j->err_fd, &j->err, ERR_CAP, &over))
					close_fd(&j->err_fd);
			}
		}
		if (timeout_ms <= 0 || bc_now_ms() >= until)
			return j->exited && j->out_fd < 0 && j->err_fd < 0;
	}
}

/* Kill the process group, reap it, hand over the result; frees the job. */
void
bc_extjob_finish(bc_extjob *j, bc_ext_result *out)
{
	memset(out, 0, sizeof *out);
	stop(j);        /* the group: stray children of the plugin go too */
	int status = 0;
	while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
		;
	out->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	out->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	if (j->timed_out || j->truncated)
		out->term_signal = out->term_signal ? out->term_signal : SIGKILL;
	out->timed_out = j->timed_out;
	out->truncated = j->truncated;
	out->out_len = j->out.len;
	out->out = bc_buf_detach(&j->out);
	out->err_len = j->err.len;
	out->err = bc_buf_detach(&j->err);
	out->elapsed_ms = bc_now_ms() - j->start_ms;
	free(j->input);
	free(j);
}

/* Run an external plugin to completion; <0 when refused (message on `p`). */
int
bc_extplugin_run(bc_project *p, const bc_plugin_info *pi, const char *const *run_ids,
	size_t nruns, const char *filter, int cols, bc_ext_result *out)
{
	memset(out, 0, sizeof *out);
	bc_extjob *j;
	int rc = bc_extjob_start(&j, p, pi, run_ids, nruns, filter, cols);
	if (rc < 0)
		return rc;
	while (bc_extjob_poll(j, 1000) == 0)
		;
	bc_extjob_finish(j, out);
	return 0;
}

/* Free a result's buffers (NULL is a no-op). */
void
bc_ext_result_clear(bc_ext_result *r)
{
	if (!r)
		return;
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof *r);
}
