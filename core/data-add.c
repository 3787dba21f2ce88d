/* SPDX-License-Identifier: MIT */
/*
 * `bancada data add`: hash files and directories into the cache and write
 * their pointers. Unchanged files are recognised by the stat cache and never
 * read. A directory's new files are hashed and copied on a pool of threads;
 * their temp objects are made durable with one syncfs() and then linked into
 * place, instead of one fsync per small file. When many new files are small
 * (below PACK_MAX_OBJ), they are appended to one pack instead (data-pack.c):
 * no file per object at all, and one fsync for the whole pack.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "data-internal.h"

struct job {
	const char *rel;     /* borrowed: project-relative file path */
	const char *inner;   /* borrowed: path inside the directory */
	struct stat st;
	char hash[BC_DATA_HEX];
	int64_t size;
	char *tmp;           /* temp object to link once synced */
	int need;            /* must be read */
	int rc;
	char err[384];
};

struct add_ctx {
	bc_project *p;
	data_stat *sc;
	struct job *jobs;
	char **full;         /* project-relative paths, parallel to jobs */
	int sync_each;
	pack_writer *pw;     /* small objects go here when many are new */
	cache_view view;
	int64_t hashed, bytes;
	pthread_mutex_t mu;
};

/* A small file read whole, hashed, and appended to the pack (unless the
 * cache has it): no temp file, no rename, no fsync of its own. */
static int
pack_job(struct add_ctx *a, struct job *j, int fd, struct stat *st)
{
	char buf[PACK_MAX_OBJ + 1];
	size_t len = 0, want = (size_t)st->st_size + 1;   /* one more: growth shows */
	int rc = 0;
	while (len < want) {
		size_t ask = want - len;
		ssize_t n = read(fd, buf + len, ask);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		if (n <= 0)
			break;
		len += (size_t)n;
		if ((size_t)n < ask)
			break;   /* a short read of a regular file: its end */
	}
	struct stat after;
	if (rc == 0 && (fstat(fd, &after) < 0 || len != (size_t)st->st_size || !S_ISREG(after.st_mode) ||
			after.st_size != st->st_size || after.st_ino != st->st_ino ||
			after.st_mtim.tv_sec != st->st_mtim.tv_sec || after.st_mtim.tv_nsec != st->st_mtim.tv_nsec ||
			after.st_ctim.tv_sec != st->st_ctim.tv_sec || after.st_ctim.tv_nsec != st->st_ctim.tv_nsec)) {
		snprintf(j->err, sizeof j->err,
			"cannot add %s: changed while being hashed: try again once nothing writes to it", j->rel);
		return j->rc = BC_EINTERRUPTED;
	}
	if (rc == 0)
		*st = after;
	if (rc == 0)
		rc = data_hash_buf(buf, len, j->hash);
	if (rc == 0 && !cache_view_has(&a->view, j->hash))
		rc = pack_writer_add(a->pw, j->hash, buf, len);
	if (rc < 0) {
		snprintf(j->err, sizeof j->err, "cannot add %s: %s%s", j->rel, strerror(-rc),
			rc == -ENOSPC || rc == -EDQUOT ? " (disk full)" : "");
		return j->rc = rc;
	}
	j->size = (int64_t)len;
	return 0;
}

static int
hash_job(size_t i, void *arg)
{
	struct add_ctx *a = arg;
	struct job *j = &a->jobs[i];
	if (!j->need)
		return 0;
	int64_t t0 = data_now_ns();
	char *path = bc_path_join(bc_project_root(a->p), j->rel);
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
	free(path);
	struct stat st = j->st;
	int packed = fd >= 0 && a->pw && j->st.st_size < PACK_MAX_OBJ;
	if (fd < 0 || (!packed && fstat(fd, &st) < 0)) {
		snprintf(j->err, sizeof j->err, "cannot read %s: %s: fix its permissions", j->rel, strerror(errno));
		if (fd >= 0)
			close(fd);
		return j->rc = BC_ERROR;
	}
	char err[320] = "";
	int rc;
	if (packed) {
		/* the lstat taken before the open is the "before" stat */
		rc = pack_job(a, j, fd, &st);
		close(fd);
		if (rc)
			return rc;
	} else {
		rc = cache_insert_fd(a->p, fd, &st, a->sync_each, j->hash, &j->size,
			a->sync_each ? NULL : &j->tmp, err, sizeof err);
		close(fd);
		if (rc) {
			snprintf(j->err, sizeof j->err, "cannot add %s: %s", j->rel, err);
			return j->rc = rc < 0 ? rc : BC_ERROR;
		}
	}
	j->st = st;
	data_stat_put(a->sc, j->rel, &st, j->hash, t0);
	__atomic_add_fetch(&a->hashed, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&a->bytes, j->size, __ATOMIC_RELAXED);
	return 0;
}

/* lstat one file and ask the stat cache (and the object store) whether it
 * must be read. Runs on every core: a syscall costs microseconds on a VM. */
static int
stat_job(size_t i, void *arg)
{
	struct add_ctx *a = arg;
	struct job *j = &a->jobs[i];
	char *path = bc_path_join(bc_project_root(a->p), j->rel);
	if (!path || lstat(path, &j->st) < 0) {
		snprintf(j->err, sizeof j->err, "cannot stat %s: %s", j->rel, strerror(errno));
		free(path);
		return j->rc = BC_ERROR;
	}
	free(path);
	j->size = j->st.st_size;
	j->need = !(data_stat_lookup(a->sc, j->rel, &j->st, j->hash) &&
		(a->view.p ? cache_view_has(&a->view, j->hash) : cache_has(a->p, j->hash, NULL)));
	return 0;
}

/* Fill jobs for files; run the ones the stat cache cannot answer. */
static int
run_jobs(struct add_ctx *a, size_t n, const bc_data_options *opts)
{
	int threads = data_threads(opts ? opts->threads : 0);
	data_parallel(n, n > 4096 ? threads : 1, stat_job, a);
	for (size_t i = 0; i < n; i++)
		if (a->jobs[i].rc)
			return bc_error_set(a->p, BC_ERR_OS, BC_ERROR, "%s", a->jobs[i].err);
	size_t need = 0, small = 0;
	for (size_t i = 0; i < n; i++) {
		need += a->jobs[i].need;
		small += a->jobs[i].need && a->jobs[i].st.st_size < PACK_MAX_OBJ;
	}
	a->sync_each = need <= 1;
	const char *env = getenv("BANCADA_PACK_MIN");
	size_t pack_min = env && atoi(env) > 0 ? (size_t)atoi(env) : 64;
	char perr[384] = "";
	int rc = 0;
	if (small >= pack_min && small >= 2 && pack_writer_open(a->p, &a->pw, perr, sizeof perr) < 0)
		return bc_error_set(a->p, BC_ERR_OS, BC_ERROR, "%s", perr);
	data_parallel(n, need > 1 ? threads : 1, hash_job, a);
	for (size_t i = 0; i < n && !rc; i++)
		if (a->jobs[i].rc)
			rc = bc_error_set(a->p, BC_ERR_OS, a->jobs[i].rc, "%s", a->jobs[i].err);
	if (a->pw) {
		/* the pack first: synced, then its index published */
		if (!rc && pack_writer_commit(a->pw, perr, sizeof perr) < 0)
			rc = bc_error_set(a->p, BC_ERR_OS, BC_ERROR, "%s", perr);
		else if (rc)
			pack_writer_abort(a->pw);
		a->pw = NULL;
	}
	size_t temps = 0;
	for (size_t i = 0; i < n; i++)
		temps += a->jobs[i].tmp != NULL;
	if (!a->sync_each && !rc && temps) {
		/* one flush for every temp object, then link them into place */
		char *cd = cache_dir(a->p);
		int cfd = cd ? open(cd, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		free(cd);
		if (cfd < 0 || syncfs(cfd) < 0)
			rc = bc_error_set(a->p, BC_ERR_OS, BC_ERROR, "cannot sync the cache: %s", strerror(errno));
		for (size_t i = 0; i < n && !rc; i++) {
			struct job *j = &a->jobs[i];
			if (j->tmp && cache_finalize(a->p, j->tmp, j->hash, 0, j->err, sizeof j->err) < 0)
				rc = bc_error_set(a->p, BC_ERR_OS, BC_ERROR, "%s", j->err);
			free(j->tmp);   /* renamed into place (or removed on error) */
			j->tmp = NULL;
		}
		if (!rc && cfd >= 0 && syncfs(cfd) < 0)
			rc = bc_error_set(a->p, BC_ERR_OS, BC_ERROR, "cannot sync the cache: %s", strerror(errno));
		if (cfd >= 0)
			close(cfd);
	}
	for (size_t i = 0; i < n; i++) {
		if (a->jobs[i].tmp)
			unlink(a->jobs[i].tmp);
		free(a->jobs[i].tmp);
		a->jobs[i].tmp = NULL;
	}
	return rc;
}

static int
add_one(struct add_ctx *a, const char *rel, const bc_data_options *opts, data_ptr *out)
{
	bc_project *p = a->p;
	char *full = bc_path_join(bc_project_root(p), rel);
	struct stat st;
	int rc = 0;
	if (!full || lstat(full, &st) < 0) {
		int e = errno;
		free(full);
		if (e == ENOENT)
			return bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND, "%s does not exist: check the path", rel);
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot stat %s: %s", rel, strerror(e));
	}
	free(full);
	memset(out, 0, sizeof *out);
	out->path = bc_strdup(rel);
	if (S_ISLNK(st.st_mode))
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"%s is a symlink: add the file it points to instead", rel);
	if (S_ISREG(st.st_mode)) {
		struct job j = { .rel = rel };
		a->jobs = &j;
		rc = run_jobs(a, 1, opts);
		a->jobs = NULL;
		memcpy(out->hash, j.hash, BC_DATA_HEX);
		out->size = j.size;
		return rc;
	}
	if (!S_ISDIR(st.st_mode))
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"%s is not a regular file or directory", rel);
	char **files = NULL;
	size_t n = 0;
	if ((rc = data_walk_dir(p, rel, &files, &n)) < 0)
		return rc;
	size_t el = strlen(BC_DATA_POINTER_EXT);
	for (size_t i = 0; i < n && !rc; i++) {
		size_t l = strlen(files[i]);
		if (l > el && !strcmp(files[i] + l - el, BC_DATA_POINTER_EXT))
			rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"%s/%s is a pointer: a tracked directory cannot hold tracked paths (untrack the inner path first)",
				rel, files[i]);
	}
	struct job *jobs = calloc(n ? n : 1, sizeof *jobs);
	char **paths = calloc(n ? n : 1, sizeof *paths);
	for (size_t i = 0; !rc && i < n; i++) {
		paths[i] = bc_sprintf("%s/%s", rel, files[i]);
		jobs[i].rel = paths[i];
		jobs[i].inner = files[i];
	}
	if (!rc) {
		a->jobs = jobs;
		if (n > 1) {
			cache_view_init(p, &a->view);
			cache_view_load(&a->view);   /* before the workers: read-only after */
		}
		rc = run_jobs(a, n, opts);
		cache_view_free(&a->view);
		memset(&a->view, 0, sizeof a->view);
		a->jobs = NULL;
	}
	data_manifest m = { 0 };
	int64_t total = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		rc = data_manifest_push(&m, jobs[i].inner, jobs[i].hash, jobs[i].size,
			(jobs[i].st.st_mode & 0111) != 0);
		total += jobs[i].size;
	}
	if (!rc) {
		size_t len;
		char *text = data_manifest_format(&m, &len);
		rc = text ? cache_insert_buf(p, text, len, out->hash) : -1;
		free(text);
		out->is_dir = 1;
		out->size = total;
		out->nfiles = (int64_t)n;
	}
	data_manifest_clear(&m);
	for (size_t i = 0; i < n; i++) {
		free(paths[i]);
		free(files[i]);
	}
	free(paths);
	free(files);
	free(jobs);
	return rc;
}

/* The pointer currently next to rel, if any (hash "" otherwise). */
static void
old_pointer(bc_project *p, const char *rel, data_ptr *old)
{
	memset(old, 0, sizeof *old);
	char *full = bc_sprintf("%s/%s" BC_DATA_POINTER_EXT, bc_project_root(p), rel);
	char *text = NULL;
	size_t len;
	if (full && bc_read_file(full, &text, &len) == 0) {
		char *dir = bc_strdup(rel), *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash)
			*slash = '\0';
		if (data_ptr_parse(p, rel, text, len, slash ? dir : "", old) < 0)
			bc_error_clear(p);  /* a garbage pointer is simply replaced */
		free(dir);
	}
	free(text);
	free(full);
}

/* Refuse a path inside a tracked directory. */
static int
check_parents(bc_project *p, const char *rel)
{
	char *d = bc_strdup(rel);
	int rc = 0;
	for (char *s; d && !rc && (s = strrchr(d, '/'));) {
		*s = '\0';
		char *ptr = bc_sprintf("%s/%s" BC_DATA_POINTER_EXT, bc_project_root(p), d);
		if (ptr && access(ptr, F_OK) == 0)
			rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"%s is inside the tracked directory %s: add %s instead", rel, d, d);
		free(ptr);
	}
	free(d);
	return rc;
}

int
bc_data_add(bc_project *p, const char *const *paths, size_t n, const bc_data_options *opts,
	bc_data_list *out)
{
	struct add_ctx a = { .p = p };
	int lock = -1, rc = 0;
	if (!n)
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "nothing to add: name files or directories");
	if ((rc = cache_lock(p, 0, &lock)) < 0)
		return rc;
	pthread_mutex_init(&a.mu, NULL);
	if ((rc = data_stat_load(p, &a.sc)) < 0)
		goto done;
	for (size_t i = 0; i < n && !rc; i++) {
		char *rel = NULL;
		data_ptr d = { 0 }, old;
		size_t l = strlen(paths[i]), el = strlen(BC_DATA_POINTER_EXT);
		if (l > el && !strcmp(paths[i] + l - el, BC_DATA_POINTER_EXT)) {
			rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"%s is a pointer file: add the data it describes", paths[i]);
			break;
		}
		if ((rc = data_relpath(p, paths[i], &rel)) < 0)
			break;
		if ((rc = check_parents(p, rel)) == 0)
			rc = add_one(&a, rel, opts, &d);
		if (rc == 0) {
			old_pointer(p, rel, &old);
			bc_data_state st = !old.path ? BC_DATA_ADDED
				: strcmp(old.hash, d.hash) ? BC_DATA_UPDATED : BC_DATA_UNCHANGED;
			data_ptr_clear(&old);
			if ((rc = data_ptr_write(p, &d)) == 0)
				rc = data_ignore_add(p, rel);
			if (rc == 0 && out && data_list_push(out, rel, NULL, st) == 0) {
				bc_data_item *it = &out->v[out->n - 1];
				it->is_dir = d.is_dir;
				it->size = d.size;
				it->nfiles = d.nfiles;
				it->in_cache = 1;
				memcpy(it->hash, d.hash, BC_DATA_HEX);
			}
		}
		data_ptr_clear(&d);
		free(rel);
	}
	if (out) {
		out->files_hashed += a.hashed;
		out->bytes_hashed += a.bytes;
	}
	if (a.sc && data_stat_save(p, a.sc) < 0 && !rc)
		rc = -1;
done:
	data_stat_free(a.sc);
	pthread_mutex_destroy(&a.mu);
	cache_unlock(lock);
	return rc;
}
