/* SPDX-License-Identifier: MIT */
/*
 * The recorder: runs the command under a pseudo-terminal (when our stdout is
 * a terminal) or pipes, relays and stores its output, tails the metric and
 * param channels, samples resource usage, forwards signals and records the
 * outcome. Everything a run produces goes to files under .bancada/runs/<id>
 * first, so a killed recorder loses nothing that `bancada fsck` cannot ingest.
 */
#include "config.h"
#include <limits.h>
#include <math.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "cmd.h"
#include "record.h"
#include "sysmon.h"

static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t got_winch;

static void
on_signal(int sig)
{
	got_signal = sig;
}

static void
on_winch(int sig)
{
	(void)sig;
	got_winch = 1;
}

static struct termios saved_tio;
static int tio_saved;

static void
restore_tty(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	tio_saved = 0;
}

struct rec {
	bc_project *p;
	const char *id;
	char dir[PATH_MAX - 64];   /* room for the file names appended to it */
	int log_fd, err_fd, scalars_fd;
	int scalars;
	int64_t step;             /* current step for stdout scalars */
	int64_t params_off;       /* consumed bytes of params.jsonl */
	char line[8192];          /* partial output line for scalar parsing */
	size_t line_len;
	bc_buf pending;           /* scalar lines not yet written */
};

static int
open_append(const char *dir, const char *name)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

static void
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
emit_scalar(void *ctx, const char *key, size_t klen, double v)
{
	struct rec *r = ctx;
	/* keys here are [A-Za-z0-9_/.-] only (see scalars.c): no JSON escaping needed */
	bc_buf_printf(&r->pending, "{\"step\": %lld, \"%.*s\": ", (long long)r->step, (int)klen, key);
	if (isnan(v))
		bc_buf_puts(&r->pending, "NaN}\n");
	else if (isinf(v))
		bc_buf_puts(&r->pending, v > 0 ? "Infinity}\n" : "-Infinity}\n");
	else
		bc_buf_printf(&r->pending, "%.17g}\n", v);
}

static void
scan_output(struct rec *r, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];
		if (c == '\n' || c == '\r') {
			if (r->line_len)
				scalars_parse_line(r->line, r->line_len, &r->step, emit_scalar, r);
			r->line_len = 0;
		} else if (r->line_len < sizeof r->line - 1) {
			r->line[r->line_len++] = c;
		}
	}
	if (r->pending.len) {
		write_all(r->scalars_fd, r->pending.data, r->pending.len);
		r->pending.len = 0;
	}
}

/* Apply new lines of params.jsonl (written by `bancada param` and the Python helper). */
static void
ingest_params(struct rec *r)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/params.jsonl", r->dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size <= r->params_off) {
		close(fd);
		return;
	}
	size_t len = (size_t)(st.st_size - r->params_off);
	char *buf = malloc(len + 1);
	ssize_t got = buf ? pread(fd, buf, len, r->params_off) : -1;
	close(fd);
	if (got <= 0) {
		free(buf);
		return;
	}
	size_t start = 0;
	for (size_t i = 0; i < (size_t)got; i++) {
		if (buf[i] != '\n')
			continue;
		bc_run_set_params_doc(r->p, r->id, buf + start, i - start, "params channel");
		start = i + 1;
	}
	r->params_off += (int64_t)start;
	free(buf);
}

static void
ingest_all(struct rec *r)
{
	static const char *const chans[] = { "metrics.jsonl", "scalars.jsonl" };
	for (int i = 0; i < 2; i++) {
		char path[PATH_MAX];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", r->dir, chans[i]);
		if (stat(path, &st) == 0 && st.st_size == 0)
			continue;   /* nothing written yet: no store transaction */
		bc_ingest_channel(r->p, r->id, chans[i], path);
	}
	ingest_params(r);
}

/* Where bancada.py lives: $BANCADA_PYTHONPATH, the installed copy, or the
 * source tree next to an uninstalled binary (build/ inside the checkout). */
static const char *
python_helper_dir(void)
{
	static char found[PATH_MAX];
	const char *env = getenv("BANCADA_PYTHONPATH");
	if (env && *env)
		return env;
	if (access(PKGDATADIR "/python/bancada.py", R_OK) == 0)
		return PKGDATADIR "/python";
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		static const char *const rel[] = { "/../share/python", "/share/python", "/../../share/python" };
		for (int i = 0; i < 3; i++) {
			char cand[PATH_MAX + 32];
			snprintf(cand, sizeof cand, "%s%s/bancada.py", exe, rel[i]);
			if (access(cand, R_OK) == 0) {
				snprintf(found, sizeof found, "%.*s", (int)(strlen(cand) - 11), cand);
				return found;
			}
		}
	}
	return PKGDATADIR "/python";
}

static void
set_child_env(bc_project *p, const char *id, const char *dir)
{
	char path[PATH_MAX + 64];
	setenv("BANCADA_RUN_ID", id, 1);
	setenv("BANCADA_PROJECT", bc_project_root(p), 1);
	snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
	setenv("BANCADA_METRICS", path, 1);
	snprintf(path, sizeof path, "%s/params.jsonl", dir);
	setenv("BANCADA_PARAMS", path, 1);
	const char *helper = python_helper_dir();
	const char *old = getenv("PYTHONPATH");
	char *pp = old && *old ? bc_sprintf("%s:%s", helper, old) : bc_sprintf("%s", helper);
	if (pp) {
		setenv("PYTHONPATH", pp, 1);
		free(pp);
	}
}

/* The variables a run's command gets from us (see set_child_env()). */
static const char *const child_vars[] = { "BANCADA_RUN_ID", "BANCADA_PROJECT", "BANCADA_METRICS",
	"BANCADA_PARAMS", "PYTHONPATH" };
enum { NSET = sizeof child_vars / sizeof child_vars[0] };

/* The child's environment for posix_spawn: ours, with the variables
 * set_child_env() would set replaced. NULL when out of memory. */
static char **
child_envp(bc_project *p, const char *id, const char *dir)
{
	extern char **environ;
	const char *old_pp = getenv("PYTHONPATH"), *helper = python_helper_dir();
	char *vals[NSET] = {
		bc_sprintf("BANCADA_RUN_ID=%s", id),
		bc_sprintf("BANCADA_PROJECT=%s", bc_project_root(p)),
		bc_sprintf("BANCADA_METRICS=%s/metrics.jsonl", dir),
		bc_sprintf("BANCADA_PARAMS=%s/params.jsonl", dir),
		old_pp && *old_pp ? bc_sprintf("PYTHONPATH=%s:%s", helper, old_pp) : bc_sprintf("PYTHONPATH=%s", helper),
	};
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **env = calloc(n + NSET + 1, sizeof *env);
	int ok = env != NULL;
	for (int k = 0; k < NSET; k++)
		ok = ok && vals[k];
	if (!ok) {
		for (int k = 0; k < NSET; k++)
			free(vals[k]);
		free(env);
		return NULL;
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		int replaced = 0;
		for (int k = 0; k < NSET && !replaced; k++) {
			size_t len = strlen(child_vars[k]);
			replaced = !strncmp(environ[i], child_vars[k], len) && environ[i][len] == '=';
		}
		if (!replaced)
			env[m++] = environ[i];
	}
	/* ours go last, so free_envp() finds them after the borrowed ones */
	for (int k = 0; k < NSET; k++)
		env[m++] = vals[k];
	env[m] = NULL;
	return env;
}

static void
free_envp(char **env)
{
	size_t m = 0;
	while (env && env[m])
		m++;
	for (size_t k = 0; env && k < NSET && k < m; k++)
		free(env[m - 1 - k]);
	free(env);
}

static char **
shell_argv(char **argv)
{
	bc_buf b = BC_BUF_INIT;
	for (int i = 0; argv[i]; i++) {
		if (i)
			bc_buf_putc(&b, ' ');
		bc_buf_puts(&b, argv[i]);
	}
	static char sh[] = "/bin/sh", dash_c[] = "-c";
	char **v = calloc(4, sizeof *v);
	v[0] = sh;
	v[1] = dash_c;
	v[2] = bc_buf_detach(&b);
	return v;
}

static void
exec_child(char **argv, int use_shell)
{
	char **v = use_shell ? shell_argv(argv) : argv;
	signal(SIGPIPE, SIG_DFL);
	execvp(v[0], v);
	int e = errno;
	fprintf(stderr, "bancada: cannot run '%s': %s\n", v[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

/*
 * Start the command on pipes with posix_spawn: the child shares our memory
 * until it execs (no copy of the recorder's page tables, no copy-on-write
 * faults afterwards), which is most of what starting a short command costs.
 * Returns the pid, or -1 with errno when the command cannot be run.
 */
static pid_t
spawn_piped(char **argv, int use_shell, char **envp, int out_w, int err_w)
{
	char **v = use_shell ? shell_argv(argv) : argv;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t def;
	pid_t pid = -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out_w, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, err_w, STDERR_FILENO);
	posix_spawnattr_init(&at);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);           /* we ignore it; the command must not */
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	int e = posix_spawnp(&pid, v[0], &fa, &at, v, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (use_shell) {
		free(v[2]);
		free(v);
	}
	errno = e;
	return e ? -1 : pid;
}

int
record_run(bc_project *p, const char *id, const struct record_opts *o)
{
	struct rec r = { 0 };
	r.p = p;
	r.id = id;
	r.scalars = o->scalars;
	snprintf(r.dir, sizeof r.dir, "%s", bc_project_run_dir(p, id));
	r.log_fd = open_append(r.dir, "stdout.log");
	r.scalars_fd = open_append(r.dir, "scalars.jsonl");
	int mfd = open_append(r.dir, "metrics.jsonl"), pfd = open_append(r.dir, "params.jsonl");
	if (r.log_fd < 0 || r.scalars_fd < 0 || mfd < 0 || pfd < 0) {
		cmd_error("cannot create the run's files in %s: %s", r.dir, strerror(errno));
		bc_run_finish(p, id, BC_RUN_FAILED, -1, 0);
		return EXIT_ERR;
	}
	close(mfd);
	close(pfd);
	int use_pty = isatty(STDOUT_FILENO) && !o->quiet;
	int status = 0, exited = 0, forwarded = 0;
	int out_fd = -1, err_fd = -1;
	pid_t pid;
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	fflush(stdout);
	fflush(stderr);
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 };
	char **envp = NULL;
	if (!use_pty) {
		if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
			cmd_error("cannot create pipes: %s", strerror(errno));
			bc_run_finish(p, id, BC_RUN_FAILED, -1, 0);
			return EXIT_ERR;
		}
		envp = child_envp(p, id, r.dir);
	}
	if (o->before_start && o->before_start(p, id, o->before_arg) < 0) {
		cmd_project_error(p);
		free_envp(envp);
		for (int i = 0; i < 2; i++) {
			if (po[i] >= 0)
				close(po[i]);
			if (pe[i] >= 0)
				close(pe[i]);
		}
		close(r.log_fd);
		close(r.scalars_fd);
		bc_run_finish(p, id, BC_RUN_FAILED, -1, 0);
		return EXIT_ERR;
	}
	if (use_pty) {
		struct winsize ws;
		int have_ws = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0;
		int master;
		pid = forkpty(&master, NULL, NULL, have_ws ? &ws : NULL);
		if (pid == 0) {
			set_child_env(p, id, r.dir);
			exec_child(o->argv, o->use_shell);
		}
		out_fd = master;
		if (pid > 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
			struct termios raw = saved_tio;
			cfmakeraw(&raw);
			tcsetattr(STDIN_FILENO, TCSANOW, &raw);
			tio_saved = 1;
			atexit(restore_tty);
		}
		struct sigaction sw = { 0 };
		sw.sa_handler = on_winch;
		sigaction(SIGWINCH, &sw, NULL);
	} else {
		pid = envp ? spawn_piped(o->argv, o->use_shell, envp, po[1], pe[1]) : -1;
		int spawn_errno = envp ? errno : ENOMEM;
		free_envp(envp);
		close(po[1]);
		close(pe[1]);
		out_fd = po[0];
		err_fd = pe[0];
		r.err_fd = open_append(r.dir, "stderr.log");
		if (pid < 0 && spawn_errno != ENOMEM && spawn_errno != EAGAIN) {
			/* as a shell would: the run is recorded, failed with 127 or 126 */
			char *msg = bc_sprintf("bancada: cannot run '%s': %s\n",
				o->use_shell ? "/bin/sh" : o->argv[0], strerror(spawn_errno));
			if (msg && !o->quiet)
				write_all(STDERR_FILENO, msg, strlen(msg));
			if (msg && r.err_fd >= 0)
				write_all(r.err_fd, msg, strlen(msg));
			free(msg);
			pid = 0;
			status = (spawn_errno == ENOENT ? 127 : 126) << 8;
			exited = 1;
		} else if (pid < 0) {
			errno = spawn_errno;
		}
	}
	if (pid < 0) {
		restore_tty();
		cmd_error("cannot start the command: %s", strerror(errno));
		bc_run_finish(p, id, BC_RUN_FAILED, -1, 0);
		return EXIT_ERR;
	}
	struct sysmon *mon = o->sample_ms > 0 && !exited ? sysmon_new(pid) : NULL;
	int64_t next_ingest = bc_now_ms() + 1000, next_sample = bc_now_ms() + (o->sample_ms > 0 ? o->sample_ms : 0);
	/* the heartbeat tells other hosts (and later opens) the recorder lives */
	const char *beat_env = getenv("BANCADA_RUN_HEARTBEAT_SECS");
	int64_t beat_ms = beat_env && atof(beat_env) > 0 ? (int64_t)(atof(beat_env) * 1000) : BC_RUN_HEARTBEAT_MS;
	int64_t next_beat = bc_now_ms() + beat_ms;
	int wait_ms = 1;
	int64_t sample_step = 0;
	char buf[65536];
	/* the child's exit wakes poll() through a pidfd (Linux 5.3): no sleep
	 * between its last output and the moment it can be reaped */
#ifdef SYS_pidfd_open
	int pidfd = pid > 0 && !exited ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
#else
	int pidfd = -1;
#endif
	while (out_fd >= 0 || err_fd >= 0 || !exited) {
		struct pollfd fds[4];
		int nfds = 0, i_out = -1, i_err = -1, i_in = -1;
		if (out_fd >= 0) { fds[nfds].fd = out_fd; fds[nfds].events = POLLIN; i_out = nfds++; }
		if (err_fd >= 0) { fds[nfds].fd = err_fd; fds[nfds].events = POLLIN; i_err = nfds++; }
		if (use_pty && tio_saved && !exited) { fds[nfds].fd = STDIN_FILENO; fds[nfds].events = POLLIN; i_in = nfds++; }
		if (pidfd >= 0 && !exited) { fds[nfds].fd = pidfd; fds[nfds].events = POLLIN; nfds++; }
		int pr = 0;
		if (nfds == 0 && !exited) {
			/* output closed and no pidfd: wait for the exit, polling from 1 ms
			 * up to 200 ms so that heartbeats and signals still get through */
			if (waitpid(pid, &status, WNOHANG) == pid) {
				exited = 1;
			} else {
				struct timespec ts = { 0, (long)wait_ms * 1000000L };
				nanosleep(&ts, NULL);
				wait_ms = wait_ms < 100 ? wait_ms * 2 : 200;
			}
		} else {
			pr = poll(fds, (nfds_t)nfds, exited ? 50 : 200);
		}
		if (got_signal && !forwarded && pid > 0) {
			kill(use_pty ? -pid : pid, got_signal);
			forwarded = 1;
		}
		if (got_winch && use_pty) {
			struct winsize ws;
			got_winch = 0;
			if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
				ioctl(out_fd, TIOCSWINSZ, &ws);
		}
		if (pr > 0) {
			if (i_out >= 0 && fds[i_out].revents) {
				ssize_t n = read(out_fd, buf, sizeof buf);
				if (n > 0) {
					if (!o->quiet)
						write_all(STDOUT_FILENO, buf, (size_t)n);
					write_all(r.log_fd, buf, (size_t)n);
					if (r.scalars)
						scan_output(&r, buf, (size_t)n);
				} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
					close(out_fd);
					out_fd = -1;
				}
			}
			if (i_err >= 0 && fds[i_err].revents) {
				ssize_t n = read(err_fd, buf, sizeof buf);
				if (n > 0) {
					if (!o->quiet)
						write_all(STDERR_FILENO, buf, (size_t)n);
					write_all(r.err_fd, buf, (size_t)n);
					if (r.scalars)
						scan_output(&r, buf, (size_t)n);
				} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
					close(err_fd);
					err_fd = -1;
				}
			}
			if (i_in >= 0 && fds[i_in].revents) {
				ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
				if (n > 0)
					write_all(out_fd, buf, (size_t)n);
			}
		}
		if (!exited) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid) {
				exited = 1;
				/* a pty master reports EIO once the child side is gone; drain briefly */
			}
		} else if (use_pty && out_fd >= 0) {
			/* the child exited: drain what is left on the pty without blocking */
			int fl = fcntl(out_fd, F_GETFL);
			fcntl(out_fd, F_SETFL, fl | O_NONBLOCK);
		}
		int64_t now = bc_now_ms();
		if (mon && now >= next_sample && !exited) {
			char line[512];
			if (sysmon_sample(mon, sample_step, line, sizeof line) > 0) {
				sample_step++;
				write_all(r.scalars_fd, line, strlen(line));
			}
			next_sample = now + o->sample_ms;
		}
		if (now >= next_ingest) {
			ingest_all(&r);
			next_ingest = now + 1000;
		}
		if (now >= next_beat && !exited) {
			bc_run_heartbeat(p, id);   /* a busy store only delays the next one */
			next_beat = now + beat_ms;
		}
		if (exited && out_fd < 0 && err_fd < 0)
			break;
	}
	if (pidfd >= 0)
		close(pidfd);
	restore_tty();
	if (r.line_len && r.scalars)
		scan_output(&r, "\n", 1);
	ingest_all(&r);
	sysmon_free(mon);
	bc_run_status st;
	int code = 0, sig = 0, exit_with;
	if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		st = sig == SIGINT || sig == SIGTERM || sig == SIGHUP || got_signal ? BC_RUN_INTERRUPTED : BC_RUN_FAILED;
		exit_with = 128 + sig;
		code = -1;
	} else {
		code = WEXITSTATUS(status);
		st = code == 0 ? BC_RUN_FINISHED : got_signal ? BC_RUN_INTERRUPTED : BC_RUN_FAILED;
		exit_with = code;
	}
	if (bc_run_finish(p, id, st, code, sig) < 0)
		cmd_project_error(p);
	close(r.log_fd);
	close(r.scalars_fd);
	if (r.err_fd > 0)
		close(r.err_fd);
	bc_buf_free(&r.pending);
	return exit_with;
}
