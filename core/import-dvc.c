/* SPDX-License-Identifier: MIT */
/*
 * DVC experiments: refs `refs/exps/<2 hex>/<38 hex baseline>/<name>` (DVC's
 * own internal refs such as refs/exps/stash, exec/, celery/ are skipped),
 * each experiment commit becomes a run named after the experiment; its
 * baseline commit (and HEAD) become runs too, so experiments can be diffed
 * against what they started from. Keyed by the ref name (an experiment run
 * again under the same name is an update) and by commit id for baselines.
 */
#include "config.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <git2.h>
#include "import-private.h"

struct exp_ref {
	char *ref;               /* refname without "refs/exps/" */
	char *name;
	git_oid commit, baseline;
	int has_baseline;
};

struct dvc_import {
	struct imp_ctx *c;
	git_repository *repo;
	struct exp_ref *exps;
	size_t nexps, cap;
	git_oid *bases;
	size_t nbases;
};

static int
is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
ref_cb(const char *refname, void *payload)
{
	struct dvc_import *d = payload;
	const char *rest = refname + strlen("refs/exps/");
	const char *s1 = strchr(rest, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
	/* only refs/exps/XX/YYYY(38)/name: the rest are DVC's queues and stash */
	if (!s1 || !s2 || s1 - rest != 2 || s2 - s1 - 1 != 38 || !s2[1] || strchr(s2 + 1, '/') ||
			!is_hex(rest, 2) || !is_hex(s1 + 1, 38))
		return 0;
	git_oid oid;
	git_object *obj;
	if (git_reference_name_to_id(&oid, d->repo, refname) < 0 ||
			git_object_lookup(&obj, d->repo, &oid, GIT_OBJECT_ANY) < 0)
		return 0;
	git_object *peeled;
	int ok = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0;
	git_object_free(obj);
	if (!ok)
		return 0;
	if (d->nexps == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct exp_ref *n = realloc(d->exps, cap * sizeof *n);
		if (!n) {
			git_object_free(peeled);
			return -1;
		}
		d->exps = n;
		d->cap = cap;
	}
	struct exp_ref *e = &d->exps[d->nexps++];
	memset(e, 0, sizeof *e);
	e->ref = bc_strdup(rest);
	e->name = bc_strdup(s2 + 1);
	git_oid_cpy(&e->commit, git_object_id(peeled));
	char hex[41];
	memcpy(hex, rest, 2);
	memcpy(hex + 2, s1 + 1, 38);
	hex[40] = '\0';
	git_commit *bc;
	if (git_oid_fromstr(&e->baseline, hex) == 0 && git_commit_lookup(&bc, d->repo, &e->baseline) == 0) {
		e->has_baseline = 1;
		git_commit_free(bc);
	}
	git_object_free(peeled);
	return 0;
}

static int
cmp_exp(const void *a, const void *b)
{
	return strcmp(((const struct exp_ref *)a)->ref, ((const struct exp_ref *)b)->ref);
}

/* A label for a baseline commit: a branch at it, else a tag, else its short id. */
static void
commit_label(struct dvc_import *d, const git_oid *oid, char *buf, size_t size)
{
	git_reference_iterator *it;
	git_reference *ref;
	char best[256] = "";
	int best_rank = 9;
	if (git_reference_iterator_new(&it, d->repo) == 0) {
		while (git_reference_next(&ref, it) == 0) {
			const char *n = git_reference_name(ref);
			int rank = !strncmp(n, "refs/heads/", 11) ? (!strcmp(n + 11, "main") ||
				!strcmp(n + 11, "master") ? 0 : 1) : !strncmp(n, "refs/tags/", 10) ? 2 : 9;
			git_object *o;
			if (rank < best_rank && git_reference_peel(&o, ref, GIT_OBJECT_COMMIT) == 0) {
				if (git_oid_equal(git_object_id(o), oid)) {
					snprintf(best, sizeof best, "%s", n + (rank < 2 ? 11 : 10));
					best_rank = rank;
				}
				git_object_free(o);
			}
			git_reference_free(ref);
		}
		git_reference_iterator_free(it);
	}
	if (best[0])
		snprintf(buf, size, "%s", best);
	else
		git_oid_tostr(buf, size < 8 ? size : 8, oid);
}

static int
import_commit(struct dvc_import *d, const git_oid *oid, const char *src_id, const char *name,
	const char *experiment, int is_baseline)
{
	struct imp_ctx *c = d->c;
	char hex[41];
	git_oid_tostr(hex, sizeof hex, oid);
	uint64_t quick = imp_hash(imp_hash(imp_hash(IMP_HASH_SEED, hex, 40), name, strlen(name)),
		experiment, strlen(experiment));
	if (imp_quick_unchanged(c, src_id, quick))
		return 0;
	git_commit *cm;
	git_tree *tree;
	if (git_commit_lookup(&cm, d->repo, oid) < 0) {
		imp_warn(c, "commit %s of %s is missing: skipped", hex, src_id);
		imp_skip(c);
		return 0;
	}
	if (git_commit_tree(&tree, cm) < 0) {
		git_commit_free(cm);
		imp_warn(c, "commit %s of %s has no tree: skipped", hex, src_id);
		imp_skip(c);
		return 0;
	}
	struct imp_run r;
	imp_run_init(&r);
	r.src_id = bc_strdup(src_id);
	r.quick = quick;
	r.status = BC_RUN_FINISHED;
	imp_set(&r.name, name);
	imp_set(&r.experiment, experiment);
	imp_set(&r.git_commit, hex);
	int64_t when = (int64_t)git_commit_time(cm) * 1000;
	r.started_ms = r.ended_ms = when;
	const git_signature *a = git_commit_author(cm);
	if (a && a->name)
		imp_set(&r.user, a->name);
	if (is_baseline) {
		const char *summary = git_commit_summary(cm);
		if (summary)
			imp_set(&r.note, summary);
		imp_run_tag(&r, "dvc.baseline");
		if (strcmp(name, experiment) == 0 && !strchr(name, ' '))
			imp_set(&r.git_branch, name);
	}
	char *t = bc_sprintf("experiment=%s", experiment);
	if (t)
		imp_run_tag(&r, t);
	free(t);
	char what[64];
	snprintf(what, sizeof what, "%.12s", hex);
	imp_dvc_read_tree(c, d->repo, tree, what, when, &r);
	int rc = imp_commit_run(c, &r);
	imp_run_clear(&r);
	git_tree_free(tree);
	git_commit_free(cm);
	return rc;
}

static void
add_base(struct dvc_import *d, const git_oid *oid)
{
	for (size_t i = 0; i < d->nbases; i++)
		if (git_oid_equal(&d->bases[i], oid))
			return;
	git_oid *n = realloc(d->bases, (d->nbases + 1) * sizeof *n);
	if (!n)
		return;
	d->bases = n;
	git_oid_cpy(&d->bases[d->nbases++], oid);
}

static int
head_is_dvc(struct dvc_import *d, git_oid *out)
{
	git_object *o;
	git_tree_entry *e;
	git_commit *cm;
	if (git_revparse_single(&o, d->repo, "HEAD^{commit}") < 0)
		return 0;
	git_oid_cpy(out, git_object_id(o));
	git_object_free(o);
	int yes = 0;
	if (git_commit_lookup(&cm, d->repo, out) == 0) {
		git_tree *tree;
		if (git_commit_tree(&tree, cm) == 0) {
			static const char *const probe[] = { "dvc.lock", "dvc.yaml", "dvclive/metrics.json", NULL };
			for (int i = 0; probe[i] && !yes; i++)
				if (git_tree_entry_bypath(&e, tree, probe[i]) == 0) {
					yes = 1;
					git_tree_entry_free(e);
				}
			git_tree_free(tree);
		}
		git_commit_free(cm);
	}
	return yes;
}

int
bc_import_dvc(bc_project *p, const char *repo_path, const bc_import_options *opts,
	bc_import_stats *stats)
{
	struct imp_ctx c;
	struct dvc_import d = { .c = &c };
	bc_import_stats dummy;
	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof *stats);
	const char *where = repo_path ? repo_path : bc_project_root(p);
	git_libgit2_init();
	if (git_repository_open_ext(&d.repo, where, 0, NULL) < 0) {
		git_libgit2_shutdown();
		return bc_error_set(p, BC_ERR_GIT, BC_ENOTFOUND,
			"%s is not inside a git repository: give the DVC project's repository", where);
	}
	const char *wd = git_repository_workdir(d.repo);
	char *src = realpath(wd ? wd : git_repository_path(d.repo), NULL);
	int rc = imp_begin(&c, p, "dvc", src ? src : where, opts, stats);
	free(src);
	if (rc == 0 && git_reference_foreach_glob(d.repo, "refs/exps/*", ref_cb, &d) < 0)
		rc = bc_error_set(p, BC_ERR_GIT, BC_ERROR, "cannot list DVC experiment refs: %s",
			git_error_last() ? git_error_last()->message : "unknown error");
	if (d.nexps)
		qsort(d.exps, d.nexps, sizeof *d.exps, cmp_exp);
	git_oid head;
	if (rc == 0 && head_is_dvc(&d, &head))
		add_base(&d, &head);
	for (size_t i = 0; i < d.nexps; i++)
		if (d.exps[i].has_baseline)
			add_base(&d, &d.exps[i].baseline);
	c.total = d.nbases + d.nexps;
	for (size_t i = 0; rc == 0 && i < d.nbases; i++) {
		char label[256], hex[41];
		commit_label(&d, &d.bases[i], label, sizeof label);
		git_oid_tostr(hex, sizeof hex, &d.bases[i]);
		rc = import_commit(&d, &d.bases[i], hex, label, label, 1);
	}
	for (size_t i = 0; rc == 0 && i < d.nexps; i++) {
		struct exp_ref *e = &d.exps[i];
		char label[256];
		if (e->has_baseline)
			commit_label(&d, &e->baseline, label, sizeof label);
		else
			snprintf(label, sizeof label, "%.2s%.5s", e->ref, e->ref + 3);
		rc = import_commit(&d, &e->commit, e->ref, e->name, label, 0);
	}
	for (size_t i = 0; i < d.nexps; i++) {
		free(d.exps[i].ref);
		free(d.exps[i].name);
	}
	free(d.exps);
	free(d.bases);
	git_repository_free(d.repo);
	git_libgit2_shutdown();
	return imp_end(&c, rc);
}
