/* SPDX-License-Identifier: MIT */
/*
 * Differences between two bundle manifests: the bundle itself, the run,
 * git state, params, metric summaries (with deltas), data inputs, payload
 * files (hash, size, mode), meta and environment. Each section is a
 * merge of two key-sorted lists.
 */
#include "config.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "bundle-private.h"

struct changes {
	bc_bundle_change *v;
	size_t n, cap;
	int oom;
};

static void
add(struct changes *c, bc_change_kind kind, const char *section, const char *key,
	const char *a, const char *b)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		bc_bundle_change *v = realloc(c->v, cap * sizeof *v);
		if (!v) {
			c->oom = 1;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	bc_bundle_change *x = &c->v[c->n++];
	memset(x, 0, sizeof *x);
	x->kind = kind;
	x->section = bc_strdup(section);
	x->key = bc_strdup(key);
	x->a = bc_strdup(a);
	x->b = bc_strdup(b);
}

/* Compare one scalar: added, removed or changed. */
static void
scalar(struct changes *c, const char *section, const char *key, const char *a, const char *b)
{
	if (!a && !b)
		return;
	if (!a)
		add(c, BC_CHANGE_ADDED, section, key, NULL, b);
	else if (!b)
		add(c, BC_CHANGE_REMOVED, section, key, a, NULL);
	else if (strcmp(a, b))
		add(c, BC_CHANGE_CHANGED, section, key, a, b);
}

static void
kv_section(struct changes *c, const char *section, const bc_kv *a, size_t na, const bc_kv *b,
	size_t nb)
{
	/* inputs may be in any order: compare by lookup */
	for (size_t i = 0; i < na; i++) {
		const char *bv = NULL;
		int found = 0;
		for (size_t j = 0; j < nb && !found; j++)
			if (!strcmp(a[i].key, b[j].key)) {
				found = 1;
				bv = b[j].value ? b[j].value : "";
			}
		if (!found)
			add(c, BC_CHANGE_REMOVED, section, a[i].key, a[i].value ? a[i].value : "", NULL);
		else
			scalar(c, section, a[i].key, a[i].value ? a[i].value : "", bv);
	}
	for (size_t j = 0; j < nb; j++) {
		int found = 0;
		for (size_t i = 0; i < na && !found; i++)
			found = !strcmp(a[i].key, b[j].key);
		if (!found)
			add(c, BC_CHANGE_ADDED, section, b[j].key, NULL, b[j].value ? b[j].value : "");
	}
}

static const bc_param *
find_param(const bc_manifest *m, const char *key)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (!strcmp(m->params[i].key, key))
			return &m->params[i];
	return NULL;
}

static void
params(struct changes *c, const bc_manifest *a, const bc_manifest *b)
{
	char va[512], vb[512];
	for (size_t i = 0; i < a->nparams; i++) {
		const bc_param *pb = find_param(b, a->params[i].key);
		bc_value_format(&a->params[i].v, va, sizeof va);
		if (!pb) {
			add(c, BC_CHANGE_REMOVED, "params", a->params[i].key, va, NULL);
			continue;
		}
		bc_value_format(&pb->v, vb, sizeof vb);
		if (strcmp(va, vb)) {
			add(c, BC_CHANGE_CHANGED, "params", a->params[i].key, va, vb);
			const bc_value *x = &a->params[i].v, *y = &pb->v;
			int nx = x->type == BC_VAL_INT || x->type == BC_VAL_FLOAT;
			int ny = y->type == BC_VAL_INT || y->type == BC_VAL_FLOAT;
			if (nx && ny && !c->oom) {
				double dx = x->type == BC_VAL_INT ? (double)x->i : x->f;
				double dy = y->type == BC_VAL_INT ? (double)y->i : y->f;
				c->v[c->n - 1].has_delta = 1;
				c->v[c->n - 1].delta = dy - dx;
			}
		}
	}
	for (size_t j = 0; j < b->nparams; j++)
		if (!find_param(a, b->params[j].key)) {
			bc_value_format(&b->params[j].v, vb, sizeof vb);
			add(c, BC_CHANGE_ADDED, "params", b->params[j].key, NULL, vb);
		}
}

static const bc_bundle_metric *
find_metric(const bc_manifest *m, const char *key)
{
	for (size_t i = 0; i < m->nmetrics; i++)
		if (!strcmp(m->metrics[i].key, key))
			return &m->metrics[i];
	return NULL;
}

static void
metrics(struct changes *c, const bc_manifest *a, const bc_manifest *b)
{
	char va[64], vb[64];
	for (size_t i = 0; i < a->nmetrics; i++) {
		const bc_bundle_metric *x = &a->metrics[i], *y = find_metric(b, x->key);
		snprintf(va, sizeof va, "%.6g", x->last);
		if (!y) {
			add(c, BC_CHANGE_REMOVED, "metrics", x->key, va, NULL);
			continue;
		}
		snprintf(vb, sizeof vb, "%.6g", y->last);
		if (x->last == y->last || (isnan(x->last) && isnan(y->last)))
			continue;
		add(c, BC_CHANGE_CHANGED, "metrics", x->key, va, vb);
		if (!c->oom && isfinite(x->last) && isfinite(y->last)) {
			c->v[c->n - 1].has_delta = 1;
			c->v[c->n - 1].delta = y->last - x->last;
		}
	}
	for (size_t j = 0; j < b->nmetrics; j++)
		if (!find_metric(a, b->metrics[j].key)) {
			snprintf(vb, sizeof vb, "%.6g", b->metrics[j].last);
			add(c, BC_CHANGE_ADDED, "metrics", b->metrics[j].key, NULL, vb);
		}
}

static void
files(struct changes *c, const bc_manifest *a, const bc_manifest *b)
{
	size_t i = 0, j = 0;
	char va[128], vb[128];
	while (i < a->nfiles || j < b->nfiles) {
		int cmp = i == a->nfiles ? 1 : j == b->nfiles ? -1
			: strcmp(a->files[i].path, b->files[j].path);
		const bc_bundle_file *x = cmp <= 0 ? &a->files[i] : NULL;
		const bc_bundle_file *y = cmp >= 0 ? &b->files[j] : NULL;
		if (x)
			snprintf(va, sizeof va, "%.12s %llu %04o", x->sha256,
				(unsigned long long)x->size, x->mode);
		if (y)
			snprintf(vb, sizeof vb, "%.12s %llu %04o", y->sha256,
				(unsigned long long)y->size, y->mode);
		scalar(c, "files", x ? x->path : y->path, x ? va : NULL, y ? vb : NULL);
		if (x && y && strcmp(va, vb) && !c->oom) {
			c->v[c->n - 1].has_delta = 1;
			c->v[c->n - 1].delta = (double)y->size - (double)x->size;
		}
		i += cmp <= 0;
		j += cmp >= 0;
	}
}

int
bc_bundle_diff(const bc_manifest *a, const bc_manifest *b, bc_bundle_change **out, size_t *n)
{
	struct changes c = { 0 };
	char ea[16], eb[16];
	scalar(&c, "bundle", "name", a->name, b->name);
	scalar(&c, "bundle", "version", a->version, b->version);
	scalar(&c, "bundle", "created", a->created, b->created);
	scalar(&c, "run", "id", a->run_id, b->run_id);
	scalar(&c, "run", "name", a->run_name, b->run_name);
	scalar(&c, "run", "status", a->run_status, b->run_status);
	scalar(&c, "run", "host", a->run_host, b->run_host);
	snprintf(ea, sizeof ea, "%d", a->exit_code);
	snprintf(eb, sizeof eb, "%d", b->exit_code);
	scalar(&c, "run", "exit_code", a->has_exit_code ? ea : NULL, b->has_exit_code ? eb : NULL);
	scalar(&c, "git", "commit", a->git_commit, b->git_commit);
	scalar(&c, "git", "branch", a->git_branch, b->git_branch);
	scalar(&c, "git", "dirty", a->git_dirty ? "true" : "false", b->git_dirty ? "true" : "false");
	scalar(&c, "git", "patch_sha256", a->git_patch_sha256, b->git_patch_sha256);
	params(&c, a, b);
	metrics(&c, a, b);
	kv_section(&c, "data", a->data, a->ndata, b->data, b->ndata);
	files(&c, a, b);
	kv_section(&c, "meta", a->meta, a->nmeta, b->meta, b->nmeta);
	kv_section(&c, "environment", a->env, a->nenv, b->env, b->nenv);
	scalar(&c, "bundle", "signature", a->signature, b->signature);
	*out = c.v;
	*n = c.n;
	return c.oom ? BC_ERROR : 0;
}

void
bc_bundle_changes_free(bc_bundle_change *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].section);
		free(c[i].key);
		free(c[i].a);
		free(c[i].b);
	}
	free(c);
}
