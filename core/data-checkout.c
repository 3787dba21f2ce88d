/* SPDX-License-Identifier: MIT */
/*
 * `data checkout [REV]`: make workspace data match pointers (the workspace's
 * own, or those at a git revision, read with libgit2 and written out). Each
 * file is written as a temp beside it and renamed over (old or new, never
 * half), so an interrupted checkout converges when re-run: files already
 * right are recognised through the stat cache and skipped. Data that would be
 * lost (content not in the cache) is refused unless forced. Parent
 * directories are opened with O_NOFOLLOW at every step: nothing is written
 * through a symlink.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "data-internal.h"

struct co {
	bc_project *p;
	data_stat *sc;
	int mode, force;
	bc_data_list *out;
	int refused, written;
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
	if (st == BC_DATA_REFUSED)
		c->refused++;
	else if (st == BC_DATA_UPDATED)
		c->written++;
}

/* May the current content at rel be replaced? 1 yes, 0 refuse, 2 already right. */
static int
replaceable(struct co *c, const char *rel, const char *want, int *exists)
{
	struct stat st;
	char hex[BC_DATA_HEX];
	int hashed;
	int rc = data_file_hash(c->p, c->sc, rel, &st, hex, &hashed);
	*exists = rc != BC_ENOTFOUND;
	if (rc == BC_ENOTFOUND)
		return 1;
	if (rc == 0 && !strcmp(hex, want)) {
		/* a symlink to the object in another link mode is rewritten */
		int link = S_ISLNK(st.st_mode);
		return (link == (c->mode == BC_DATA_LINK_SYMLINK)) ? 2 : 1;
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
checkout_file(struct co *c, const char *path, const char *inner, const char *rel,
	const char *hex, int64_t size)
{
	bc_project *p = c->p;
	if (!cache_has(p, hex, NULL))
		return bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND,
			"the data of %s (%.12s) is not in the cache: run `bancada data pull`", rel, hex);
	int exists, r = replaceable(c, rel, hex, &exists);
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
	if (r == -2) {
		char *full = bc_path_join(bc_project_root(p), rel);
		bc_rm_rf(full);
		free(full);
	}
	char err[512] = "";
	int64_t t0 = data_now_ns();
	int rc = cache_put_out(p, hex, dfd, base, c->mode, err, sizeof err);
	if (rc == 0) {
		struct stat st;
		if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			data_stat_put(c->sc, rel, &st, hex, (t0 > st.st_mtim.tv_sec * 1000000000LL
				+ st.st_mtim.tv_nsec ? t0 : data_now_ns()) + 100000000LL);
		fsync(dfd);
		note(c, path, inner, BC_DATA_UPDATED, hex, size);
	}
	close(dfd);
	if (rc)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot check out %s: %s", rel, err);
	return 0;
}

/* Remove files in a tracked directory that its manifest does not list. */
static int
prune_extra(struct co *c, const data_ptr *d, const data_manifest *m)
{
	char **files = NULL;
	size_t nf = 0;
	int rc = data_walk_dir(c->p, d->path, &files, &nf);
	if (rc < 0)
		return rc;
	size_t i = 0;
	for (size_t j = 0; j < nf && rc == 0; j++) {
		while (i < m->n && strcmp(m->v[i].path, files[j]) < 0)
			i++;
		if (i < m->n && !strcmp(m->v[i].path, files[j]))
			continue;
		char *rel = bc_sprintf("%s/%s", d->path, files[j]);
		int exists, r = rel ? replaceable(c, rel, "", &exists) : 0;
		if (r == 1) {
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
checkout_dir(struct co *c, const data_ptr *d)
{
	data_manifest m;
	int rc = data_manifest_parse(c->p, d->hash, &m);
	if (rc == BC_ENOTFOUND)
		return bc_error_set(c->p, BC_ERR_INPUT, BC_ENOTFOUND,
			"the data of %s (%.12s) is not in the cache: run `bancada data pull`", d->path, d->hash);
	if (rc < 0)
		return rc;
	/* a file where the directory belongs: replace it if recoverable */
	char *full = bc_path_join(bc_project_root(c->p), d->path);
	struct stat st;
	if (full && lstat(full, &st) == 0 && !S_ISDIR(st.st_mode)) {
		int exists, r = replaceable(c, d->path, "", &exists);
		if (r == 1)
			unlink(full);
		else
			note(c, d->path, NULL, BC_DATA_REFUSED, d->hash, d->size);
	}
	free(full);
	for (size_t i = 0; i < m.n && rc == 0; i++) {
		char *rel = bc_sprintf("%s/%s", d->path, m.v[i].path);
		rc = rel ? checkout_file(c, d->path, m.v[i].path, rel, m.v[i].hash, m.v[i].size) : -1;
		free(rel);
		if (c->opts && c->opts->progress) {
			bc_data_progress pr = { "checkout", (int64_t)i + 1, (int64_t)m.n, 0, 0 };
			c->opts->progress(&pr, c->opts->payload);
		}
	}
	if (rc == 0 && m.n == 0) {
		const char *base;
		char *rel = bc_sprintf("%s/x", d->path);
		int dfd = rel ? data_open_parent(c->p, rel, 1, &base) : -1;
		if (dfd >= 0)
			close(dfd);
		free(rel);
	}
	if (rc == 0)
		rc = prune_extra(c, d, &m);
	data_manifest_clear(&m);
	return rc;
}

int
bc_data_checkout(bc_project *p, const char *rev, const char *const *paths, size_t n,
	const bc_data_options *opts, bc_data_list *out)
{
	struct co c = { .p = p, .out = out, .opts = opts };
	data_ptrs all = { 0 }, sel = { 0 };
	int lock = -1;
	c.force = opts && opts->force;
	c.mode = opts && opts->link >= 0 ? opts->link : data_config_link(p);
	int rc = rev ? data_git_pointers(p, rev, &all) : data_ws_pointers(p, &all);
	if (rc == 0)
		rc = data_select(p, &all, paths, n, &sel);
	if (rc == 0)
		rc = cache_lock(p, 0, &lock);
	if (rc == 0)
		rc = data_stat_load(p, &c.sc);
	for (size_t i = 0; i < sel.n && rc == 0; i++) {
		const data_ptr *d = &sel.v[i];
		int before = c.refused;
		rc = d->is_dir ? checkout_dir(&c, d)
			: checkout_file(&c, d->path, NULL, d->path, d->hash, d->size);
		/* the pointer follows the data, once the data is right */
		if (rc == 0 && rev && c.refused == before) {
			rc = data_ptr_write(p, d);
			if (rc == 0)
				rc = data_ignore_add(p, d->path);
		}
	}
	if (c.sc && data_stat_save(p, c.sc) < 0 && rc == 0)
		rc = -1;
	if (rc == 0 && c.refused)
		rc = bc_error_set(p, BC_ERR_INPUT, BC_EEXISTS,
			"%d path%s left alone: modified data that is not in the cache would be lost; "
			"`bancada data add` it first, or use --force to overwrite",
			c.refused, c.refused == 1 ? "" : "s");
	data_stat_free(c.sc);
	cache_unlock(lock);
	data_ptrs_clear(&all);
	data_ptrs_clear(&sel);
	return rc;
}
