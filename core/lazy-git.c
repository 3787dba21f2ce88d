/* SPDX-License-Identifier: MIT */
/*
 * libgit2, loaded on first use (see lazy.h): one thunk per libgit2 function
 * that core calls. A new call to a libgit2 function elsewhere in core needs
 * one line here, or the link fails with "undefined reference to git_...".
 */
#include "config.h"
#include <git2.h>
#include "lazy.h"

/* initialised on load, so that no caller can use libgit2 before git_libgit2_init */
struct bc_lazy_lib bc_lazy_git = { GIT2_SONAME, "libgit2", "libgit2 (apt-get install libgit2-dev)",
	"git_libgit2_init", NULL, 0, "" };

#define FN(ret, name, params, args, fail) BC_LAZY_FN(bc_lazy_git, ret, name, params, args, fail)
#define VOID_FN(name, params, args) BC_LAZY_VOID(bc_lazy_git, name, params, args)

/* When libgit2 cannot be loaded every call fails, and the error says why. */
const git_error *
git_error_last(void)
{
	static const git_error *(*fn)(void);
	static git_error load_error = { NULL, GIT_ERROR_OS };
	const git_error *(*f)(void) = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);
	if (!f) {
		if (!(f = (const git_error *(*)(void))bc_lazy_sym(&bc_lazy_git, "git_error_last"))) {
			load_error.message = bc_lazy_git.err;
			return &load_error;
		}
		__atomic_store_n(&fn, f, __ATOMIC_RELEASE);
	}
	return f();
}

VOID_FN(git_blob_free, (git_blob *blob), (blob))
FN(int, git_blob_lookup, (git_blob **blob, git_repository *repo, const git_oid *id), (blob, repo, id), -1)
FN(const void *, git_blob_rawcontent, (const git_blob *blob), (blob), NULL)
FN(git_object_size_t, git_blob_rawsize, (const git_blob *blob), (blob), 0)
VOID_FN(git_buf_dispose, (git_buf *buffer), (buffer))
FN(const git_signature *, git_commit_author, (const git_commit *commit), (commit), NULL)
VOID_FN(git_commit_free, (git_commit *commit), (commit))
FN(int, git_commit_lookup, (git_commit **commit, git_repository *repo, const git_oid *id),
	(commit, repo, id), -1)
FN(int, git_commit_parent, (git_commit **out, const git_commit *commit, unsigned int n), (out, commit, n), -1)
FN(const char *, git_commit_summary, (git_commit *commit), (commit), NULL)
FN(git_time_t, git_commit_time, (const git_commit *commit), (commit), 0)
FN(int, git_commit_tree, (git_tree **tree_out, const git_commit *commit), (tree_out, commit), -1)
VOID_FN(git_diff_free, (git_diff *diff), (diff))
FN(size_t, git_diff_num_deltas, (const git_diff *diff), (diff), 0)
FN(int, git_diff_print, (git_diff *diff, git_diff_format_t format, git_diff_line_cb print_cb, void *payload),
	(diff, format, print_cb, payload), -1)
FN(int, git_diff_tree_to_index, (git_diff **diff, git_repository *repo, git_tree *old_tree, git_index *index, const git_diff_options *opts),
	(diff, repo, old_tree, index, opts), -1)
FN(int, git_diff_tree_to_tree, (git_diff **diff, git_repository *repo, git_tree *old_tree, git_tree *new_tree, const git_diff_options *opts),
	(diff, repo, old_tree, new_tree, opts), -1)
FN(int, git_diff_tree_to_workdir_with_index, (git_diff **diff, git_repository *repo, git_tree *old_tree, const git_diff_options *opts),
	(diff, repo, old_tree, opts), -1)
VOID_FN(git_error_clear, (void), ())
FN(size_t, git_index_entrycount, (const git_index *index), (index), 0)
VOID_FN(git_index_free, (git_index *index), (index))
FN(const git_index_entry *, git_index_get_byindex, (git_index *index, size_t n), (index, n), NULL)
FN(int, git_libgit2_init, (void), (), -1)
FN(int, git_libgit2_shutdown, (void), (), -1)
VOID_FN(git_object_free, (git_object *object), (object))
FN(const git_oid *, git_object_id, (const git_object *obj), (obj), NULL)
FN(int, git_object_lookup, (git_object **object, git_repository *repo, const git_oid *id, git_object_t type),
	(object, repo, id, type), -1)
FN(int, git_object_peel, (git_object **peeled, const git_object *object, git_object_t target_type),
	(peeled, object, target_type), -1)
FN(git_object_t, git_object_type, (const git_object *obj), (obj), GIT_OBJECT_INVALID)
FN(int, git_oid_cmp, (const git_oid *a, const git_oid *b), (a, b), -1)
FN(int, git_oid_cpy, (git_oid *out, const git_oid *src), (out, src), -1)
FN(int, git_oid_equal, (const git_oid *a, const git_oid *b), (a, b), -1)
FN(int, git_oid_fromstr, (git_oid *out, const char *str), (out, str), -1)
FN(char *, git_oid_tostr, (char *out, size_t n, const git_oid *id), (out, n, id), NULL)
FN(int, git_reference_foreach_glob, (git_repository *repo, const char *glob, git_reference_foreach_name_cb callback, void *payload),
	(repo, glob, callback, payload), -1)
VOID_FN(git_reference_free, (git_reference *ref), (ref))
FN(int, git_reference_is_branch, (const git_reference *ref), (ref), -1)
VOID_FN(git_reference_iterator_free, (git_reference_iterator *iter), (iter))
FN(int, git_reference_iterator_new, (git_reference_iterator **out, git_repository *repo), (out, repo), -1)
FN(int, git_reference_lookup, (git_reference **out, git_repository *repo, const char *name),
	(out, repo, name), -1)
FN(const char *, git_reference_name, (const git_reference *ref), (ref), NULL)
FN(int, git_reference_name_to_id, (git_oid *out, git_repository *repo, const char *name),
	(out, repo, name), -1)
FN(int, git_reference_next, (git_reference **out, git_reference_iterator *iter), (out, iter), -1)
FN(int, git_reference_peel, (git_object **out, const git_reference *ref, git_object_t type),
	(out, ref, type), -1)
FN(const char *, git_reference_shorthand, (const git_reference *ref), (ref), NULL)
FN(const char *, git_reference_symbolic_target, (const git_reference *ref), (ref), NULL)
FN(const git_oid *, git_reference_target, (const git_reference *ref), (ref), NULL)
FN(int, git_repository_discover, (git_buf *out, const char *start_path, int across_fs, const char *ceiling_dirs),
	(out, start_path, across_fs, ceiling_dirs), -1)
VOID_FN(git_repository_free, (git_repository *repo), (repo))
FN(int, git_repository_head, (git_reference **out, git_repository *repo), (out, repo), -1)
FN(int, git_repository_index, (git_index **out, git_repository *repo), (out, repo), -1)
FN(int, git_repository_is_bare, (const git_repository *repo), (repo), -1)
FN(int, git_repository_open, (git_repository **out, const char *path), (out, path), -1)
FN(int, git_repository_open_ext, (git_repository **out, const char *path, unsigned int flags, const char *ceiling_dirs),
	(out, path, flags, ceiling_dirs), -1)
FN(const char *, git_repository_path, (const git_repository *repo), (repo), NULL)
FN(const char *, git_repository_workdir, (const git_repository *repo), (repo), NULL)
FN(int, git_revparse_single, (git_object **out, git_repository *repo, const char *spec),
	(out, repo, spec), -1)
VOID_FN(git_revwalk_free, (git_revwalk *walk), (walk))
FN(int, git_revwalk_new, (git_revwalk **out, git_repository *repo), (out, repo), -1)
FN(int, git_revwalk_next, (git_oid *out, git_revwalk *walk), (out, walk), -1)
FN(int, git_revwalk_push_glob, (git_revwalk *walk, const char *glob), (walk, glob), -1)
FN(int, git_revwalk_push_head, (git_revwalk *walk), (walk), -1)
FN(int, git_revwalk_sorting, (git_revwalk *walk, unsigned int sort_mode), (walk, sort_mode), -1)
FN(const git_tree_entry *, git_tree_entry_byindex, (const git_tree *tree, size_t idx), (tree, idx), NULL)
FN(int, git_tree_entry_bypath, (git_tree_entry **out, const git_tree *root, const char *path),
	(out, root, path), -1)
VOID_FN(git_tree_entry_free, (git_tree_entry *entry), (entry))
FN(const git_oid *, git_tree_entry_id, (const git_tree_entry *entry), (entry), NULL)
FN(const char *, git_tree_entry_name, (const git_tree_entry *entry), (entry), NULL)
FN(git_object_t, git_tree_entry_type, (const git_tree_entry *entry), (entry), GIT_OBJECT_INVALID)
FN(size_t, git_tree_entrycount, (const git_tree *tree), (tree), 0)
VOID_FN(git_tree_free, (git_tree *tree), (tree))
FN(const git_oid *, git_tree_id, (const git_tree *tree), (tree), NULL)
FN(int, git_tree_lookup, (git_tree **out, git_repository *repo, const git_oid *id), (out, repo, id), -1)
FN(int, git_tree_walk, (const git_tree *tree, git_treewalk_mode mode, git_treewalk_cb callback, void *payload),
	(tree, mode, callback, payload), -1)
