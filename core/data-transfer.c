/* SPDX-License-Identifier: MIT */
/*
 * `data push` and `data pull`: which objects tracked paths need, which the
 * other side lacks, and the transfer itself. Directory remotes are plain
 * files; ssh remotes run `find`, `cat` and `sha256sum` on the far side
 * through the system ssh (argv, no local shell). Every object is hashed while
 * it moves: a local corrupt object is never pushed, a remote one never lands
 * in the cache (objects are stored under the hash of what arrived).
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "data-internal.h"

/* ---- hash sets ---- */

static int
cmp_hex(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
data_hexset_add(data_hexset *s, const char *hex)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		char (*v)[BC_DATA_HEX] = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	memcpy(s->v[s->n++], hex, BC_DATA_HEX);
	s->sorted = 0;
	return 0;
}

static void
hexset_sort(data_hexset *s)
{
	if (s->sorted)
		return;
	if (s->n > 1)
		qsort(s->v, s->n, sizeof *s->v, cmp_hex);
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++)
		if (!k || strcmp(s->v[k - 1], s->v[i]))
			memmove(s->v[k++], s->v[i], BC_DATA_HEX);
	s->n = k;
	s->sorted = 1;
}

int
data_hexset_has(data_hexset *s, const char *hex)
{
	hexset_sort(s);
	return s->n && bsearch(hex, s->v, s->n, sizeof *s->v, cmp_hex) != NULL;
}

void
data_hexset_free(data_hexset *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* ---- remotes ---- */

struct remote {
	int ssh;
	char *path;          /* directory (local or on the host) */
	char *host, *port;
	data_hexset have;    /* ssh: objects listed up front */
};

static char *
shq(const char *s)
{
	bc_buf b = BC_BUF_INIT;
	bc_buf_putc(&b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			bc_buf_puts(&b, "'\\''");
		else
			bc_buf_putc(&b, *s);
	}
	bc_buf_putc(&b, '\'');
	return bc_buf_detach(&b);
}

/* Run the remote shell command `cmd`; child's stdin/stdout from in_fd/out_fd. */
static pid_t
ssh_spawn(struct remote *r, const char *cmd, int in_fd, int out_fd)
{
	const char *prog = getenv("BANCADA_SSH");
	if (!prog || !*prog)
		prog = "ssh";
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	if (in_fd >= 0)
		dup2(in_fd, 0);
	if (out_fd >= 0)
		dup2(out_fd, 1);
	if (r->port)
		execlp(prog, prog, "-p", r->port, "--", r->host, cmd, (char *)NULL);
	else
		execlp(prog, prog, "--", r->host, cmd, (char *)NULL);
	_exit(127);
}

static int
ssh_wait(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
remote_open(bc_project *p, const char *name, struct remote *r)
{
	memset(r, 0, sizeof *r);
	char *url = data_remote_url(p, name);
	if (!url)
		return BC_ENOTFOUND;
	if (strncmp(url, "ssh://", 6) != 0) {
		r->path = url;
		struct stat st;
		if (stat(url, &st) < 0 && bc_mkdir_p(url, 0755) < 0)
			return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot create the remote directory %s: %s",
				url, strerror(errno));
		return 0;
	}
	r->ssh = 1;
	const char *hp = url + 6, *slash = strchr(hp, '/');
	if (!slash || slash == hp) {
		free(url);
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "ssh remote needs ssh://host/path");
	}
	r->host = bc_strndup(hp, (size_t)(slash - hp));
	char *colon = strrchr(r->host, ':');
	if (colon && !strchr(colon, ']')) {
		*colon = '\0';
		r->port = bc_strdup(colon + 1);
	}
	r->path = bc_strdup(slash);
	free(url);
	/* list what the remote has, once */
	char *q = shq(r->path), *cmd = bc_sprintf("cd %s 2>/dev/null && find . -type f -path './?""?/*' || true", q);
	int fds[2];
	int rc = 0;
	if (!q || !cmd || pipe2(fds, O_CLOEXEC) < 0) {
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of resources");
		goto done;
	}
	pid_t pid = ssh_spawn(r, cmd, -1, fds[1]);
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	char line[256];
	while (f && fgets(line, sizeof line, f)) {
		char hex[BC_DATA_HEX];
		if (strlen(line) >= 68 && line[0] == '.' && line[4] == '/') {
			snprintf(hex, sizeof hex, "%.2s%.62s", line + 2, line + 5);
			if (data_is_hex(hex))
				data_hexset_add(&r->have, hex);
		}
	}
	if (f)
		fclose(f);
	if (pid < 0 || ssh_wait(pid) != 0)
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot reach the remote %s over ssh: check `ssh %s`",
			r->host, r->host);
done:
	free(q);
	free(cmd);
	return rc;
}

static void
remote_close(struct remote *r)
{
	free(r->path);
	free(r->host);
	free(r->port);
	data_hexset_free(&r->have);
}

static char *
remote_obj(struct remote *r, const char *hex)
{
	return bc_sprintf("%s/%.2s/%s", r->path, hex, hex + 2);
}

static int
remote_has(struct remote *r, const char *hex)
{
	if (r->ssh)
		return data_hexset_has(&r->have, hex);
	char *path = remote_obj(r, hex);
	struct stat st;
	int has = path && stat(path, &st) == 0;
	free(path);
	return has;
}

/* Send one local object: 0 sent, 1 corrupt locally (refused), <0 error. */
static int
send_obj(bc_project *p, struct remote *r, const char *hex, int64_t *bytes)
{
	int in = cache_open_obj(p, hex);   /* loose or packed */
	if (in < 0)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot read object %.12s: %s", hex, strerror(errno));
	char got[BC_DATA_HEX];
	int rc;
	if (!r->ssh) {
		char *tmpd = bc_sprintf("%s/tmp", r->path), *tmp = bc_sprintf("%s/tmp/%s.XXXXXX", r->path, hex);
		char *fin = remote_obj(r, hex);
		bc_mkdir_p(tmpd, 0755);
		int out = tmp ? mkostemp(tmp, O_CLOEXEC) : -1;
		rc = out < 0 ? -errno : data_hash_copy(in, out, got, bytes);
		if (rc == 0 && strcmp(got, hex))
			rc = 1;
		if (rc == 0 && (fchmod(out, 0444) < 0 || fsync(out) < 0))
			rc = -errno;
		if (out >= 0 && close(out) < 0 && rc == 0)
			rc = -errno;
		if (rc == 0) {
			char *slash = strrchr(fin, '/');
			*slash = '\0';
			mkdir(fin, 0755);
			*slash = '/';
			if (rename(tmp, fin) < 0)
				rc = -errno;
		}
		if (rc && tmp && out >= 0)
			unlink(tmp);
		if (rc < 0)
			bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot write to the remote %s: %s%s", r->path,
				strerror(-rc), rc == -ENOSPC ? " (remote disk full)" : "");
		free(tmpd);
		free(tmp);
		free(fin);
	} else {
		char *q = shq(r->path);
		char *cmd = bc_sprintf("mkdir -p %s/tmp %s/%.2s && t=%s/tmp/%s.$$ && cat > \"$t\" && "
			"test \"$(sha256sum < \"$t\" | cut -c1-64)\" = %s && chmod 444 \"$t\" && "
			"mv \"$t\" %s/%.2s/%s || { rm -f \"$t\"; exit 1; }",
			q, q, hex, q, hex, hex, q, hex, hex + 2);
		int fds[2];
		rc = pipe2(fds, O_CLOEXEC) < 0 ? -errno : 0;
		pid_t pid = rc ? -1 : ssh_spawn(r, cmd, fds[0], -1);
		if (!rc) {
			close(fds[0]);
			rc = data_hash_copy(in, fds[1], got, bytes);
			close(fds[1]);
			if (rc == 0 && strcmp(got, hex))
				rc = 1;  /* the far side's check fails too: nothing lands */
			if (ssh_wait(pid) != 0 && rc == 0)
				rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "the remote %s refused object %.12s (ssh or disk error)",
					r->host, hex);
		}
		free(q);
		free(cmd);
	}
	close(in);
	return rc;
}

/* Fetch one object into the cache: 0, 1 corrupt at the remote, <0 error. */
static int
fetch_obj(bc_project *p, struct remote *r, const char *hex, int64_t *bytes)
{
	int in = -1, rc = 0;
	pid_t pid = -1;
	if (!r->ssh) {
		char *src = remote_obj(r, hex);
		in = src ? open(src, O_RDONLY | O_CLOEXEC) : -1;
		free(src);
		if (in < 0)
			return errno == ENOENT ? BC_ENOTFOUND
				: bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot read the remote object %.12s: %s", hex, strerror(errno));
	} else {
		if (!data_hexset_has(&r->have, hex))
			return BC_ENOTFOUND;
		char *q = shq(r->path), *cmd = bc_sprintf("cat %s/%.2s/%s", q, hex, hex + 2);
		int fds[2];
		if (pipe2(fds, O_CLOEXEC) == 0) {
			pid = ssh_spawn(r, cmd, -1, fds[1]);
			close(fds[1]);
			in = fds[0];
		}
		free(q);
		free(cmd);
		if (in < 0)
			return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot run ssh: %s", strerror(errno));
	}
	char got[BC_DATA_HEX], err[512] = "";
	rc = cache_insert_fd(p, in, NULL, 1, got, bytes, NULL, err, sizeof err);
	close(in);
	if (pid > 0 && ssh_wait(pid) != 0 && rc == 0)
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot fetch %.12s from %s over ssh", hex, r->host);
	else if (rc < 0)
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot fetch %.12s: %s", hex, err);
	else if (rc == 0 && strcmp(got, hex))
		rc = 1;  /* stored under the hash of what arrived, never under `hex` */
	return rc;
}

/* Objects the selected pointers need; manifests fetched on demand (pull). */
static int
wanted(bc_project *p, const char *const *paths, size_t n, struct remote *fetch_from,
	data_hexset *out, bc_data_transfer *t, int64_t *prefetched)
{
	data_ptrs all, sel;
	int rc = data_ws_pointers(p, &all);
	if (rc < 0)
		return rc;
	rc = data_select(p, &all, paths, n, &sel);
	data_ptrs_clear(&all);
	for (size_t i = 0; rc == 0 && i < sel.n; i++) {
		const data_ptr *d = &sel.v[i];
		data_hexset_add(out, d->hash);
		if (!d->is_dir)
			continue;
		if (!cache_has(p, d->hash, NULL) && fetch_from) {
			int64_t b = 0;
			int r = fetch_obj(p, fetch_from, d->hash, &b);
			if (r < 0 && r != BC_ENOTFOUND)
				rc = r;
			else if (r == 0) {
				t->objects++;
				t->bytes += b;
				(*prefetched)++;
			}
		}
		data_manifest m;
		int r = data_manifest_parse(p, d->hash, &m);
		if (r < 0) {
			bc_error_clear(p);
			continue;
		}
		for (size_t k = 0; k < m.n; k++)
			data_hexset_add(out, m.v[k].hash);
		data_manifest_clear(&m);
	}
	data_ptrs_clear(&sel);
	return rc;
}

static int
transfer(bc_project *p, int push, const char *remote, const char *const *paths, size_t n,
	const bc_data_options *opts, bc_data_transfer *out)
{
	struct remote r;
	data_hexset want = { 0 };
	bc_data_transfer t = { 0 };
	int lock = -1;
	int64_t prefetched = 0;
	int rc = remote_open(p, remote, &r);
	if (rc == 0)
		rc = cache_lock(p, 0, &lock);
	if (rc == 0)
		rc = wanted(p, paths, n, push ? NULL : &r, &want, &t, &prefetched);
	hexset_sort(&want);
	bc_data_progress pr = { push ? "push" : "pull", 0, (int64_t)want.n, 0, 0 };
	for (size_t i = 0; rc == 0 && i < want.n; i++) {
		const char *hex = want.v[i];
		int64_t sz = 0;
		if (push ? !cache_has(p, hex, &sz) : cache_has(p, hex, NULL)) {
			if (push)
				t.missing++;
			else
				t.present++;
		} else if (push && remote_has(&r, hex)) {
			t.present++;
		} else {
			int64_t b = 0;
			int x = push ? send_obj(p, &r, hex, &b) : fetch_obj(p, &r, hex, &b);
			if (x == 1) {
				t.corrupt++;
				if (push)
					cache_quarantine(p, hex);
			} else if (x == BC_ENOTFOUND) {
				t.missing++;
			} else if (x < 0) {
				rc = x;
			} else {
				t.objects++;
				t.bytes += b;
			}
		}
		pr.objects_done = (int64_t)i + 1;
		pr.bytes_done = t.bytes;
		if (opts && opts->progress)
			opts->progress(&pr, opts->payload);
	}
	cache_unlock(lock);
	t.present -= prefetched;  /* manifests fetched first are not "already there" */
	if (rc == 0 && t.corrupt)
		rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"%lld object%s failed verification (%s) and %s refused: run `bancada data fsck`",
			(long long)t.corrupt, t.corrupt == 1 ? "" : "s", push ? "corrupt in the local cache, quarantined"
			: "corrupt on the remote", t.corrupt == 1 ? "was" : "were");
	if (rc == 0 && t.missing)
		rc = bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND,
			"%lld object%s missing %s: %s", (long long)t.missing, t.missing == 1 ? " is" : "s are",
			push ? "from the local cache" : "on the remote",
			push ? "re-add the data, or pull it from where it was pushed" : "push it from a clone that has it");
	if (out)
		*out = t;
	data_hexset_free(&want);
	remote_close(&r);
	return rc;
}

int
bc_data_push(bc_project *p, const char *remote, const char *const *paths, size_t n,
	const bc_data_options *opts, bc_data_transfer *out)
{
	return transfer(p, 1, remote, paths, n, opts, out);
}

int
bc_data_pull(bc_project *p, const char *remote, const char *const *paths, size_t n,
	const bc_data_options *opts, bc_data_transfer *out)
{
	int rc = transfer(p, 0, remote, paths, n, opts, out);
	if (rc < 0 && rc != BC_ENOTFOUND)
		return rc;
	int missing_rc = rc;
	char msg[1024];
	snprintf(msg, sizeof msg, "%s", bc_errmsg(p));
	bc_data_list l = { 0 };
	rc = bc_data_checkout(p, NULL, paths, n, opts, &l);
	bc_data_list_clear(&l);
	if (rc == 0 && missing_rc < 0)
		return bc_error_set(p, BC_ERR_INPUT, missing_rc, "%s", msg);
	return rc;
}
