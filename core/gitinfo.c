/* SPDX-License-Identifier: MIT */
/* Git state through libgit2: HEAD, branch, dirty flag, uncommitted patch, diffs. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <git2.h>
#include "internal.h"
#include "lazy.h"
#include "gitfast.h"

static void
git_init_once(void)
{
	static int done;
	if (!done) {
		git_libgit2_init();
		/* we never write through libgit2; skip owner checks only for reads of our own tree */
		done = 1;
	}
}

static int
git_err(bc_project *p, const char *what)
{
	const git_error *e = git_error_last();
	return bc_error_set(p, BC_ERR_GIT, BC_ERROR, "%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

char *
bc_git_toplevel(const char *dir)
{
	git_init_once();
	git_buf root = { 0 };
	git_repository *repo = NULL;
	char *out = NULL;
	if (git_repository_discover(&root, dir, 0, NULL) == 0 &&
	    git_repository_open(&repo, root.ptr) == 0 && !git_repository_is_bare(repo)) {
		const char *wd = git_repository_workdir(repo);
		if (wd) {
			out = bc_strdup(wd);
			size_t n = strlen(out);
			if (n > 1 && out[n - 1] == '/')
				out[n - 1] = '\0';
		}
	}
	git_repository_free(repo);
	git_buf_dispose(&root);
	return out;
}

struct patch_acc {
	bc_buf b;
	size_t cap;
	int64_t full;
};

static int
patch_line(const git_diff_delta *d, const git_diff_hunk *h, const git_diff_line *l, void *payload)
{
	struct patch_acc *acc = payload;
	(void)d;
	(void)h;
	size_t extra = l->content_len + 1;
	acc->full += (int64_t)extra;
	if (acc->b.len + extra > acc->cap)
		return 0;   /* keep counting the full size, stop storing */
	if (l->origin == GIT_DIFF_LINE_CONTEXT || l->origin == GIT_DIFF_LINE_ADDITION ||
	    l->origin == GIT_DIFF_LINE_DELETION)
		bc_buf_putc(&acc->b, l->origin);
	else
		acc->full--;
	bc_buf_put(&acc->b, l->content, l->content_len);
	return 0;
}

/*
 * Fast dirty check, as git's own index does it: one lstat per index entry
 * compared with the stat data git recorded, plus HEAD's tree against the
 * index. Returns 0 when the work tree surely matches HEAD, 1 when it may not
 * (a changed, missing, racy or staged file), so that only then the full diff
 * runs. libgit2's workdir diff stats every file twice; this stats it once.
 */
static int
maybe_dirty(git_repository *repo, git_tree *head)
{
	git_index *idx = NULL;
	git_diff *staged = NULL;
	const char *wd = git_repository_workdir(repo);
	int dirty = 1;
	if (!wd || git_repository_index(&idx, repo) < 0)
		goto done;
	char path[PATH_MAX];
	struct stat ist;
	snprintf(path, sizeof path, "%s/index", git_repository_path(repo));
	if (stat(path, &ist) < 0)
		goto done;
	size_t n = git_index_entrycount(idx);
	for (size_t i = 0; i < n; i++) {
		const git_index_entry *e = git_index_get_byindex(idx, i);
		struct stat st;
		if (!e || GIT_INDEX_ENTRY_STAGE(e) != 0)
			goto done;                      /* a merge conflict */
		if ((e->mode & 0170000) == 0160000)
			continue;                       /* submodules are ignored */
		if ((size_t)snprintf(path, sizeof path, "%s%s", wd, e->path) >= sizeof path ||
		    lstat(path, &st) < 0)
			goto done;                      /* deleted, or unreadable */
		if (!bc_git_stat_unchanged(&st, e->file_size, e->ino, (uint32_t)e->mtime.seconds,
				e->mtime.nanoseconds, e->mode, &ist))
			goto done;                      /* changed, or racy */
	}
	git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
	opts.flags = GIT_DIFF_IGNORE_SUBMODULES;
	if (git_diff_tree_to_index(&staged, repo, head, idx, &opts) < 0)
		goto done;
	dirty = git_diff_num_deltas(staged) > 0;
done:
	git_error_clear();
	git_diff_free(staged);
	git_index_free(idx);
	return dirty;
}

int
bc_git_state_read(bc_project *p, const char *dir, int want_patch, size_t patch_cap, bc_git_state *out)
{
	memset(out, 0, sizeof *out);
	int taken;
	if (bc_git_prefetch_take(p, dir, want_patch, patch_cap, out, &taken))
		return taken;                       /* read while the project opened */
	if (bc_git_fast_state(p, dir, out) == 0)
		return 0;                           /* clean, and libgit2 not even loaded */
	if (bc_lazy_require(p, &bc_lazy_git, BC_ERR_GIT) < 0)
		return -1;
	git_init_once();
	git_repository *repo = NULL;
	git_reference *head = NULL;
	git_object *tree_obj = NULL;
	git_diff *diff = NULL;
	git_buf root = { 0 };
	int rc = 0;
	if (git_repository_discover(&root, dir, 0, NULL) < 0) {
		git_error_clear();
		return BC_ENOTFOUND;
	}
	if (git_repository_open(&repo, root.ptr) < 0) {
		rc = git_err(p, "cannot open the git repository");
		goto done;
	}
	if (git_repository_workdir(repo)) {
		out->toplevel = bc_strdup(git_repository_workdir(repo));
	}
	if (git_repository_head(&head, repo) == 0) {
		const git_oid *oid = git_reference_target(head);
		if (oid) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof hex, oid);
			out->commit = bc_strdup(hex);
		}
		if (git_reference_is_branch(head))
			out->branch = bc_strdup(git_reference_shorthand(head));
	} else {
		git_error_clear();
		/* unborn branch: no commit yet */
		git_reference *sym = NULL;
		if (git_reference_lookup(&sym, repo, "HEAD") == 0 && git_reference_symbolic_target(sym)) {
			const char *t = git_reference_symbolic_target(sym);
			out->branch = bc_strdup(!strncmp(t, "refs/heads/", 11) ? t + 11 : t);
		}
		git_reference_free(sym);
	}
	if (out->commit) {
		if (git_revparse_single(&tree_obj, repo, "HEAD^{tree}") < 0) {
			rc = git_err(p, "cannot read HEAD");
			goto done;
		}
	}
	if (tree_obj && !maybe_dirty(repo, (git_tree *)tree_obj)) {
		/* clean: no patch to build, and next time gitfast.c can tell */
		bc_git_fast_remember_clean(p, out->toplevel, out->commit);
		goto done;
	}
	git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
	opts.flags = GIT_DIFF_IGNORE_SUBMODULES;
	if (git_diff_tree_to_workdir_with_index(&diff, repo, (git_tree *)tree_obj, &opts) < 0) {
		rc = git_err(p, "cannot diff the working tree");
		goto done;
	}
	out->dirty = git_diff_num_deltas(diff) > 0;
	if (want_patch && out->dirty) {
		struct patch_acc acc = { BC_BUF_INIT, patch_cap, 0 };
		git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, patch_line, &acc);
		out->patch_len = acc.b.len;
		out->patch = bc_buf_detach(&acc.b);
		out->patch_full_len = acc.full;
	}
done:
	git_diff_free(diff);
	git_object_free(tree_obj);
	git_reference_free(head);
	git_repository_free(repo);
	git_buf_dispose(&root);
	if (rc < 0)
		bc_git_state_clear(out);
	return rc;
}

void
bc_git_state_clear(bc_git_state *st)
{
	free(st->toplevel);
	free(st->commit);
	free(st->branch);
	free(st->patch);
	memset(st, 0, sizeof *st);
}

int
bc_git_diff_commits(bc_project *p, const char *repo_dir, const char *a, const char *b, char **out, size_t *len)
{
	if (bc_lazy_require(p, &bc_lazy_git, BC_ERR_GIT) < 0)
		return -1;
	git_init_once();
	git_repository *repo = NULL;
	git_object *ta = NULL, *tb = NULL;
	git_diff *diff = NULL;
	int rc = 0;
	char spec[128];
	*out = NULL;
	*len = 0;
	if (git_repository_open_ext(&repo, repo_dir, 0, NULL) < 0)
		return git_err(p, "cannot open the git repository");
	snprintf(spec, sizeof spec, "%.64s^{tree}", a);
	if (git_revparse_single(&ta, repo, spec) < 0) {
		rc = git_err(p, "cannot find the first commit");
		goto done;
	}
	snprintf(spec, sizeof spec, "%.64s^{tree}", b);
	if (git_revparse_single(&tb, repo, spec) < 0) {
		rc = git_err(p, "cannot find the second commit");
		goto done;
	}
	if (git_diff_tree_to_tree(&diff, repo, (git_tree *)ta, (git_tree *)tb, NULL) < 0) {
		rc = git_err(p, "cannot diff the commits");
		goto done;
	}
	struct patch_acc acc = { BC_BUF_INIT, (size_t)16 << 20, 0 };
	git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, patch_line, &acc);
	*len = acc.b.len;
	*out = bc_buf_detach(&acc.b);
done:
	git_diff_free(diff);
	git_object_free(ta);
	git_object_free(tb);
	git_repository_free(repo);
	return rc;
}

char *
bc_git_commit_subject(const char *repo_dir, const char *commit)
{
	git_init_once();
	git_repository *repo = NULL;
	git_object *obj = NULL;
	char *out = NULL;
	if (git_repository_open_ext(&repo, repo_dir, 0, NULL) == 0 &&
	    git_revparse_single(&obj, repo, commit) == 0 && git_object_type(obj) == GIT_OBJECT_COMMIT)
		out = bc_strdup(git_commit_summary((git_commit *)obj));
	git_object_free(obj);
	git_repository_free(repo);
	return out;
}
