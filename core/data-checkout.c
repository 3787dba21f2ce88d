/* SPDX-License-Identifier: MIT */
/*
 * `data checkout [REV]`: make workspace data match pointers (the workspace's
 * own, or those at a git revision, read with libgit2 and written out).
 *
 * Planning runs first (one thread): which files are already right (stat
 * cache, no read), which would lose data (content not in the cache: refused
 * unless forced), which parents to create (opened with O_NOFOLLOW at every
 * step: nothing is written through a symlink). Then the files are written as
 * temps `.NAME.bctmp` beside their targets on a pool of threads, and renamed
 * over the targets. Every file is old or new at any moment; a re-run after a
 * kill reuses the temps and converges. The workspace is not fsynced, as git
 * and DVC do not fsync a checkout: the cache holds the durable copy, and a
 * file cut short by a power failure differs from its stat-cache entry, so
 * `data status` shows it modified and `checkout --force` writes it again.
 * Objects stamped as verified (data-stamp.c) are copied without re-hashing.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "data-internal.h"

struct cjob {
	char *path, *inner, *rel;  /* tracked path, member, file (project-relative) */
	char hash[BC_DATA_HEX];
	int64_t size;
	int exec;                  /* the manifest marks it executable */
	size_t ptr;                /* index of its pointer */
	int rc;
	char err[512];
};

struct co {
	bc_project *p;
	data_stat *sc;
	int mode, force;
	bc_data_list *out;
	int refused, written;
	int *ptr_refused;          /* per pointer */
	size_t cur;                /* pointer being planned */
	struct cjob *jobs;
	size_t njobs, cap;
	const bc_data_options *opts;
};

static void
note(struct co *c, const char *path, const char *inner, bc_data_state st, const char *hex,
	int64_t size)
{
	if (data_list_push(c->out, path, inner, st) == 0) {
		bc_data_item *it = &c->out->v[c->out->n - 1];
		it->size = size;
		if (hex)
			memcpy(it->hash, hex, BC_DATA_HEX);
	}
	if (st == BC_DATA_REFUSED) {
		c->refused++;
		c->ptr_refused[c->cur]++;
	} else if (st == BC_DATA_UPDATED) {
		c->written++;
	}
}

/* May the current content at rel be replaced? 1 yes, 0 refuse, 2 already right, -2 a directory (forced). */
static int
replaceable(struct co *c, const char *rel, const char *want)
{
	struct stat st;
	char hex[BC_DATA_HEX];
	int hashed;
	int rc = data_file_hash(c->p, c->sc, rel, &st, hex, &hashed);
	if (rc == BC_ENOTFOUND)
		return 1;
	if (rc == 0 && !strcmp(hex, want)) {
		/* right content but the wrong kind (link vs file): rewrite */
		return S_ISLNK(st.st_mode) == (c->mode == BC_DATA_LINK_SYMLINK) ? 2 : 1;
	}
	if (rc < 0 && rc != BC_EINVALID)
		bc_error_clear(c->p);  /* unreadable: treat as modified */
	if (S_ISDIR(st.st_mode))
		return c->force ? -2 : 0;
	if (rc == 0 && cache_has(c->p, hex, NULL))
		return 1;  /* recoverable from the cache */
	return c->force ? 1 : 0;
}

static int
plan_file(struct co *c, const char *path, const char *inner, const char *rel, const char *hex,
	int64_t size, int exec)
{
	bc_project *p = c->p;
	if (!cache_has(p, hex, NULL))
		return bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND,
			"the data of %s (%.12s) is not in the cache: run `bancada data pull`", rel, hex);
	int r = replaceable(c, rel, hex);
	if (r == 2)
		return 0;
	if (r == 0) {
		note(c, path, inner, BC_DATA_REFUSED, hex, size);
		return 0;
	}
	const char *base;
	int dfd = data_open_parent(p, rel, 1, &base);
	if (dfd < 0)
		return dfd;
	close(dfd);
	if (r == -2) {
		char *full = bc_path_join(bc_project_root(p), rel);
		bc_rm_rf(full);
		free(full);
	}
	if (c->njobs == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct cjob *v = realloc(c->jobs, cap * sizeof *v);
		if (!v)
			return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
		c->jobs = v;
		c->cap = cap;
	}
	struct cjob *j = &c->jobs[c->njobs++];
	memset(j, 0, sizeof *j);
	j->path = bc_strdup(path);
	j->inner = bc_strdup(inner);
	j->rel = bc_strdup(rel);
	memcpy(j->hash, hex, BC_DATA_HEX);
	j->size = size;
	j->exec = exec;
	j->ptr = c->cur;
	return 0;
}

/* Remove files in a tracked directory that its manifest does not list. */
static int
prune_extra(struct co *c, const data_ptr *d, const data_manifest *m)
{
	char **files = NULL;
	size_t nf = 0;
	int rc = data_walk_dir(c->p, d->path, &files, &nf);
	if (rc == BC_ENOTFOUND) {
		bc_error_clear(c->p);
		return 0;
	}
	size_t i = 0;
	for (size_t j = 0; j < nf && rc == 0; j++) {
		while (i < m->n && strcmp(m->v[i].path, files[j]) < 0)
			i++;
		if (i < m->n && !strcmp(m->v[i].path, files[j]))
			continue;
		char *rel = bc_sprintf("%s/%s", d->path, files[j]);
		if (rel && replaceable(c, rel, "") == 1) {
			const char *base;
			int dfd = data_open_parent(c->p, rel, 0, &base);
			if (dfd >= 0) {
				unlinkat(dfd, base, 0);
				close(dfd);
				note(c, d->path, files[j], BC_DATA_DELETED, NULL, -1);
			} else {
				rc = dfd;
			}
		} else {
			note(c, d->path, files[j], BC_DATA_REFUSED, NULL, -1);
		}
		free(rel);
	}
	for (size_t j = 0; j < nf; j++)
		free(files[j]);
	free(files);
	return rc;
}

static int
plan_dir(struct co *c, const data_ptr *d)
{
	data_manifest m;
	int rc = data_manifest_parse(c->p, d->hash, &m);
	if (rc == BC_ENOTFOUND)
		return bc_error_set(c->p, BC_ERR_INPUT, BC_ENOTFOUND,
			"the data of %s (%.12s) is not in the cache: run `bancada data pull`", d->path, d->hash);
	if (rc < 0)
		return rc;
	/* something else where the directory belongs: replace it if recoverable */
	char *full = bc_path_join(bc_project_root(c->p), d->path);
	struct stat st;
	if (full && lstat(full, &st) == 0 && !S_ISDIR(st.st_mode)) {
		if (replaceable(c, d->path, "") == 1)
			unlink(full);
		else
			note(c, d->path, NULL, BC_DATA_REFUSED, d->hash, d->size);
	}
	free(full);
	if (c->ptr_refused[c->cur]) {
		data_manifest_clear(&m);
		return 0;
	}
	char *probe = bc_sprintf("%s/x", d->path);
	const char *base;
	int dfd = probe ? data_open_parent(c->p, probe, 1, &base) : -1;  /* the directory itself */
	free(probe);
	if (dfd < 0) {
		data_manifest_clear(&m);
		return dfd;
	}
	close(dfd);
	rc = prune_extra(c, d, &m);
	for (size_t i = 0; i < m.n && rc == 0; i++) {
		char *rel = bc_sprintf("%s/%s", d->path, m.v[i].path);
		rc = rel ? plan_file(c, d->path, m.v[i].path, rel, m.v[i].hash, m.v[i].size, m.v[i].exec) : -1;
		free(rel);
	}
	data_manifest_clear(&m);
	return rc;
}

static int
write_job(size_t i, void *arg)
{
	struct co *c = arg;
	struct cjob *j = &c->jobs[i];
	const char *base;
	int dfd = data_walk_parent(bc_project_root(c->p), j->rel, 0, &base, NULL);
	if (dfd < 0) {
		snprintf(j->err, sizeof j->err, "cannot open the directory of %s: %s (a symlink is never followed)",
			j->rel, strerror(errno));
		return j->rc = BC_ERROR;
	}
	/* deferred: written as the temp only; execute() renames it */
	int rc = cache_put_out(c->p, j->hash, dfd, base, c->mode, 1, j->err, sizeof j->err);
	close(dfd);
	if (rc)
		j->rc = rc < 0 ? rc : BC_EINVALID;
	return j->rc;
}

/* Write every planned file as a temp (on a pool of threads), then rename each into place. */
/* An executable member of a directory gets x wherever it has r, as git
 * does; only on a copy of its own (a hardlink shares the cache object,
 * a symlink points at it: neither is changed). */
static void
set_exec(int dfd, const char *tmp)
{
	struct stat st;
	if (fstatat(dfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1)
		fchmodat(dfd, tmp, (st.st_mode & 07777) | ((st.st_mode & 0444) >> 2), 0);
}

static int
execute(struct co *c)
{
	bc_project *p = c->p;
	int64_t t0 = data_now_ns();
	data_parallel(c->njobs, data_threads(c->opts ? c->opts->threads : 0), write_job, c);
	int rc = 0;
	for (size_t i = 0; i < c->njobs; i++) {
		struct cjob *j = &c->jobs[i];
		const char *base;
		int dfd = data_walk_parent(bc_project_root(p), j->rel, 0, &base, NULL);
		char tmp[512];
		data_tmp_name(base, tmp, sizeof tmp);
		if (!j->rc && !rc && dfd >= 0 && j->exec)
			set_exec(dfd, tmp);
		if (!j->rc && !rc && dfd >= 0 && renameat(dfd, tmp, dfd, base) < 0) {
			snprintf(j->err, sizeof j->err, "%s", strerror(errno));
			j->rc = BC_ERROR;
		}
		if ((j->rc || rc) && dfd >= 0)
			unlinkat(dfd, tmp, 0);
		if (!j->rc && !rc && dfd >= 0) {
			struct stat st;
			/* written by us just now: trusted from now on (not "racy") */
			if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
				data_stat_put(c->sc, j->rel, &st, j->hash, (t0 > data_now_ns() ? t0 : data_now_ns()) + 100000000LL);
			c->cur = j->ptr;
			note(c, j->path, j->inner, BC_DATA_UPDATED, j->hash, j->size);
		}
		if (dfd >= 0)
			close(dfd);
		if (j->rc && !rc) {
			rc = bc_error_set(p, BC_ERR_OS, j->rc == BC_EINVALID ? BC_EINVALID : BC_ERROR,
				"cannot check out %s: %s", j->rel, j->err);
			c->ptr_refused[j->ptr]++;
		}
		if (c->opts && c->opts->progress) {
			bc_data_progress pr = { "checkout", (int64_t)i + 1, (int64_t)c->njobs, 0, 0 };
			c->opts->progress(&pr, c->opts->payload);
		}
	}
	return rc;
}

int
bc_data_checkout(bc_project *p, const char *rev, const char *const *paths, size_t n,
	const bc_data_options *opts, bc_data_list *out)
{
	struct co c = { .p = p, .out = out, .opts = opts };
	data_ptrs all = { 0 }, sel = { 0 };
	int lock = -1, wslock = -1;
	c.force = opts && opts->force;
	c.mode = opts && opts->link >= 0 ? opts->link : data_config_link(p);
	int rc = rev ? data_git_pointers(p, rev, &all) : data_ws_pointers(p, &all);
	if (rc == 0)
		rc = data_select(p, &all, paths, n, &sel);
	if (rc == 0 && !(c.ptr_refused = calloc(sel.n + 1, sizeof *c.ptr_refused)))
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	/* one checkout at a time writes the workspace (temps have fixed names) */
	if (rc == 0)
		rc = data_lock(p, "tmp/checkout.lock", 1, &wslock);
	if (rc == 0)
		rc = cache_lock(p, 0, &lock);
	if (rc == 0)
		rc = data_stat_load(p, &c.sc);
	for (size_t i = 0; i < sel.n && rc == 0; i++) {
		const data_ptr *d = &sel.v[i];
		c.cur = i;
		rc = d->is_dir ? plan_dir(&c, d) : plan_file(&c, d->path, NULL, d->path, d->hash, d->size, 0);
	}
	if (rc == 0)
		rc = execute(&c);
	/* the pointers follow the data, once that data is right */
	for (size_t i = 0; i < sel.n && rc == 0 && rev; i++) {
		if (c.ptr_refused[i])
			continue;
		rc = data_ptr_write(p, &sel.v[i]);
		if (rc == 0)
			rc = data_ignore_add(p, sel.v[i].path);
	}
	if (c.sc && data_stat_save(p, c.sc) < 0 && rc == 0)
		rc = -1;
	if (rc == 0 && c.refused)
		rc = bc_error_set(p, BC_ERR_INPUT, BC_EEXISTS,
			"%d path%s left alone: modified data that is not in the cache would be lost; "
			"`bancada data add` it first, or use --force to overwrite",
			c.refused, c.refused == 1 ? "" : "s");
	for (size_t i = 0; i < c.njobs; i++) {
		free(c.jobs[i].path);
		free(c.jobs[i].inner);
		free(c.jobs[i].rel);
	}
	free(c.jobs);
	free(c.ptr_refused);
	data_stat_free(c.sc);
	cache_unlock(lock);
	cache_unlock(wslock);
	data_ptrs_clear(&all);
	data_ptrs_clear(&sel);
	return rc;
}
