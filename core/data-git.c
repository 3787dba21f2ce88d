/* SPDX-License-Identifier: MIT */
/*
 * Pointers in git history, read with libgit2 straight from the object
 * database (the checkout and the index are never touched): the pointers at a
 * revision, every hash referenced from any branch or tag (for gc, skipping
 * trees already seen), and the versions of one path across commits (log).
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <git2.h>
#include "data-internal.h"

struct gitx {
	bc_project *p;
	git_repository *repo;
	char *prefix;         /* project root relative to the work tree ("" or "sub/") */
};

static int
git_err(bc_project *p, const char *what)
{
	const git_error *e = git_error_last();
	return bc_error_set(p, BC_ERR_GIT, BC_ERROR, "%s: %s", what, e && e->message ? e->message : "git error");
}

static int
gitx_open(bc_project *p, struct gitx *g)
{
	memset(g, 0, sizeof *g);
	g->p = p;
	git_libgit2_init();
	if (git_repository_open_ext(&g->repo, bc_project_root(p), 0, NULL) < 0) {
		git_libgit2_shutdown();
		return bc_error_set(p, BC_ERR_GIT, BC_ENOTFOUND,
			"the project %s is not in a git repository: data versions at revisions need git (`git init`)",
			bc_project_root(p));
	}
	const char *wd = git_repository_workdir(g->repo);
	const char *root = bc_project_root(p);
	size_t wl = wd ? strlen(wd) : 0;
	if (wd && wl && !strncmp(root, wd, wl - 1) && (root[wl - 1] == '/' || root[wl - 1] == '\0'))
		g->prefix = root[wl - 1] ? bc_sprintf("%s/", root + wl) : bc_strdup("");
	else
		g->prefix = bc_strdup("");
	return 0;
}

static void
gitx_close(struct gitx *g)
{
	git_repository_free(g->repo);
	free(g->prefix);
	git_libgit2_shutdown();
}

/* The tree of the project root at a commit. */
static int
root_tree(struct gitx *g, const git_commit *commit, git_tree **out)
{
	git_tree *t;
	if (git_commit_tree(&t, commit) < 0)
		return git_err(g->p, "cannot read a commit tree");
	if (!g->prefix[0]) {
		*out = t;
		return 0;
	}
	git_tree_entry *e = NULL;
	char *pre = bc_strndup(g->prefix, strlen(g->prefix) - 1);
	int rc = git_tree_entry_bypath(&e, t, pre);
	free(pre);
	if (rc < 0 || git_tree_entry_type(e) != GIT_OBJECT_TREE) {
		git_tree_entry_free(e);
		git_tree_free(t);
		*out = NULL;
		return 0;
	}
	rc = git_tree_lookup(out, g->repo, git_tree_entry_id(e));
	git_tree_entry_free(e);
	git_tree_free(t);
	return rc < 0 ? git_err(g->p, "cannot read a tree") : 0;
}

/* A set of object ids (open addressing). */
struct oidset {
	git_oid *v;
	char *used;
	size_t cap, n;
};

static int
oidset_add(struct oidset *s, const git_oid *id)
{
	if ((s->n + 1) * 2 > s->cap) {
		struct oidset ns = { 0 };
		ns.cap = s->cap ? s->cap * 2 : 1024;
		ns.v = calloc(ns.cap, sizeof *ns.v);
		ns.used = calloc(ns.cap, 1);
		if (!ns.v || !ns.used) {
			free(ns.v);
			free(ns.used);
			return -1;
		}
		for (size_t i = 0; i < s->cap; i++)
			if (s->used[i])
				oidset_add(&ns, &s->v[i]);
		free(s->v);
		free(s->used);
		*s = ns;
	}
	size_t h;
	memcpy(&h, id->id, sizeof h);
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->used[i]) {
			s->used[i] = 1;
			s->v[i] = *id;
			s->n++;
			return 1;
		}
		if (!git_oid_cmp(&s->v[i], id))
			return 0;
	}
}

static void
oidset_free(struct oidset *s)
{
	free(s->v);
	free(s->used);
}

struct walk {
	struct gitx *g;
	const char *what;            /* revision label for messages */
	data_ptrs *out;              /* collect pointers, or */
	void (*fn)(const char *hex, int is_dir, void *arg);
	void *arg;
	struct oidset seen;          /* trees and pointer blobs already visited */
	int dedupe;
};

static int
walk_tree(struct walk *w, git_tree *t, const char *rel)
{
	size_t n = git_tree_entrycount(t), el = strlen(BC_DATA_POINTER_EXT);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		const char *name = git_tree_entry_name(e);
		size_t len = strlen(name);
		git_object_t type = git_tree_entry_type(e);
		if (w->dedupe && (type == GIT_OBJECT_TREE || type == GIT_OBJECT_BLOB) &&
				oidset_add(&w->seen, git_tree_entry_id(e)) == 0)
			continue;
		char *sub = rel[0] ? bc_sprintf("%s/%s", rel, name) : bc_strdup(name);
		if (!sub)
			return bc_error_set(w->g->p, BC_ERR_OS, BC_ERROR, "out of memory");
		if (type == GIT_OBJECT_TREE && strcmp(name, ".bancada") && strcmp(name, ".git")) {
			git_tree *st;
			if (git_tree_lookup(&st, w->g->repo, git_tree_entry_id(e)) == 0) {
				rc = walk_tree(w, st, sub);
				git_tree_free(st);
			}
		} else if (type == GIT_OBJECT_BLOB && len > el && !strcmp(name + len - el, BC_DATA_POINTER_EXT)) {
			git_blob *b;
			if (git_blob_lookup(&b, w->g->repo, git_tree_entry_id(e)) == 0) {
				char *label = bc_sprintf("%s:%s", w->what, sub);
				data_ptr d;
				int r = data_ptr_parse(w->g->p, label ? label : sub, git_blob_rawcontent(b),
					(size_t)git_blob_rawsize(b), rel, &d);
				if (r == 0 && w->out)
					rc = data_ptrs_push(w->out, &d);
				else if (r == 0) {
					w->fn(d.hash, d.is_dir, w->arg);
					data_ptr_clear(&d);
				} else if (w->out)
					rc = r;
				else
					bc_error_clear(w->g->p);  /* gc: a bad old pointer keeps nothing */
				free(label);
				git_blob_free(b);
			}
		}
		free(sub);
	}
	return rc;
}

int
data_git_pointers(bc_project *p, const char *rev, data_ptrs *out)
{
	struct gitx g;
	memset(out, 0, sizeof *out);
	int rc = gitx_open(p, &g);
	if (rc < 0)
		return rc;
	git_object *obj = NULL;
	git_commit *c = NULL;
	git_tree *t = NULL;
	if (git_revparse_single(&obj, g.repo, rev) < 0) {
		rc = bc_error_set(p, BC_ERR_GIT, BC_ENOTFOUND,
			"unknown revision '%s': name a commit, branch or tag (see `git log`)", rev);
		goto done;
	}
	if (git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT) < 0) {
		rc = bc_error_set(p, BC_ERR_GIT, BC_EINVALID, "revision '%s' is not a commit", rev);
		goto done;
	}
	if ((rc = root_tree(&g, c, &t)) < 0 || !t)
		goto done;
	struct walk w = { .g = &g, .what = rev, .out = out };
	rc = walk_tree(&w, t, "");
	data_ptrs_sort(out);
done:
	if (rc < 0)
		data_ptrs_clear(out);
	git_tree_free(t);
	git_commit_free(c);
	git_object_free(obj);
	gitx_close(&g);
	return rc;
}

int64_t
data_git_all_hashes(bc_project *p, void (*fn)(const char *hex, int is_dir, void *arg), void *arg)
{
	struct gitx g;
	if (gitx_open(p, &g) < 0) {
		bc_error_clear(p);
		return 0;  /* no repository: nothing kept by history */
	}
	git_revwalk *rw = NULL;
	int64_t commits = 0;
	int rc = git_revwalk_new(&rw, g.repo);
	if (rc == 0) {
		git_revwalk_push_glob(rw, "refs/heads/*");
		git_revwalk_push_glob(rw, "refs/tags/*");
		git_revwalk_push_head(rw);  /* detached HEAD too */
		git_error_clear();
	}
	struct walk w = { .g = &g, .what = "history", .fn = fn, .arg = arg, .dedupe = 1 };
	git_oid id;
	while (rc == 0 && git_revwalk_next(&id, rw) == 0) {
		git_commit *c;
		git_tree *t = NULL;
		if (git_commit_lookup(&c, g.repo, &id) < 0)
			continue;
		commits++;
		if (root_tree(&g, c, &t) == 0 && t) {
			if (oidset_add(&w.seen, git_tree_id(t)) == 1)
				rc = walk_tree(&w, t, "");
			git_tree_free(t);
		}
		git_commit_free(c);
	}
	oidset_free(&w.seen);
	git_revwalk_free(rw);
	gitx_close(&g);
	return rc < 0 ? rc : commits;
}

/* The pointer blob id of `ptr_path` at a commit; 0 found, 1 absent. */
static int
blob_at(struct gitx *g, const git_commit *c, const char *ptr_path, git_oid *out)
{
	git_tree *t;
	if (git_commit_tree(&t, c) < 0)
		return 1;
	git_tree_entry *e = NULL;
	int rc = git_tree_entry_bypath(&e, t, ptr_path) == 0 && git_tree_entry_type(e) == GIT_OBJECT_BLOB ? 0 : 1;
	if (rc == 0)
		*out = *git_tree_entry_id(e);
	git_tree_entry_free(e);
	git_tree_free(t);
	return rc;
}

static void
version_runs(bc_project *p, bc_data_version *v)
{
	sqlite3_stmt *st;
	if (!v->hash[0] || bc_prepare(p, &st, "SELECT run FROM run_io WHERE hash = ?1 UNION "
			"SELECT run FROM run_data WHERE hash = ?1 ORDER BY 1") < 0) {
		bc_error_clear(p);
		return;
	}
	sqlite3_bind_text(st, 1, v->hash, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char **nv = realloc(v->runs, (v->nruns + 1) * sizeof *nv);
		if (!nv)
			break;
		v->runs = nv;
		v->runs[v->nruns++] = bc_strdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
}

int
bc_data_log(bc_project *p, const char *path, bc_data_version **out, size_t *n)
{
	char *rel = NULL, *ptr_path = NULL;
	struct gitx g;
	*out = NULL;
	*n = 0;
	int rc = data_relpath(p, path, &rel);
	if (rc < 0)
		return rc;
	size_t l = strlen(rel), el = strlen(BC_DATA_POINTER_EXT);
	if (l > el && !strcmp(rel + l - el, BC_DATA_POINTER_EXT))
		rel[l - el] = '\0';
	if ((rc = gitx_open(p, &g)) < 0) {
		free(rel);
		return rc;
	}
	ptr_path = bc_sprintf("%s%s" BC_DATA_POINTER_EXT, g.prefix, rel);
	git_revwalk *rw = NULL;
	size_t cap = 0;
	if (git_revwalk_new(&rw, g.repo) < 0 || git_revwalk_push_head(rw) < 0) {
		rc = bc_error_set(p, BC_ERR_GIT, BC_ENOTFOUND, "the repository has no commits yet");
		goto done;
	}
	git_revwalk_sorting(rw, GIT_SORT_TIME);
	git_oid id;
	while (git_revwalk_next(&id, rw) == 0) {
		git_commit *c, *parent = NULL;
		if (git_commit_lookup(&c, g.repo, &id) < 0)
			continue;
		git_oid mine, theirs;
		int have = blob_at(&g, c, ptr_path, &mine) == 0;
		int phave = git_commit_parent(&parent, c, 0) == 0 && blob_at(&g, parent, ptr_path, &theirs) == 0;
		git_commit_free(parent);
		if (have == phave && (!have || !git_oid_cmp(&mine, &theirs))) {
			git_commit_free(c);
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			bc_data_version *nv = realloc(*out, cap * sizeof *nv);
			if (!nv) {
				git_commit_free(c);
				break;
			}
			*out = nv;
		}
		bc_data_version *v = &(*out)[(*n)++];
		memset(v, 0, sizeof *v);
		git_oid_tostr(v->commit, sizeof v->commit, &id);
		v->time_ms = (int64_t)git_commit_time(c) * 1000;
		const git_signature *a = git_commit_author(c);
		v->author = bc_strdup(a && a->name ? a->name : "");
		v->subject = bc_strdup(git_commit_summary(c) ? git_commit_summary(c) : "");
		v->size = -1;
		git_blob *b;
		if (have && git_blob_lookup(&b, g.repo, &mine) == 0) {
			data_ptr d;
			char *dir = bc_strdup(rel), *slash = dir ? strrchr(dir, '/') : NULL;
			if (slash)
				*slash = '\0';
			if (data_ptr_parse(p, ptr_path, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b),
					slash ? dir : "", &d) == 0) {
				memcpy(v->hash, d.hash, BC_DATA_HEX);
				v->size = d.size;
				data_ptr_clear(&d);
			} else {
				bc_error_clear(p);
			}
			free(dir);
			git_blob_free(b);
		}
		version_runs(p, v);
		git_commit_free(c);
	}
	if (*n == 0)
		rc = bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND,
			"%s has no committed versions: `bancada data add %s` and commit %s" BC_DATA_POINTER_EXT,
			path, path, rel);
done:
	git_revwalk_free(rw);
	gitx_close(&g);
	free(ptr_path);
	free(rel);
	return rc;
}

void
bc_data_log_free(bc_data_version *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].author);
		free(v[i].subject);
		for (size_t k = 0; k < v[i].nruns; k++)
			free(v[i].runs[k]);
		free(v[i].runs);
	}
	free(v);
}
