/* SPDX-License-Identifier: MIT */
/*
 * `bancada data add`: hash files and directories into the cache and write
 * their pointers. Unchanged files are recognised by the stat cache and never
 * read. A directory is walked on every core (data_walk_stat: each file's
 * lstat relative to its directory), then its new files are read on a pool
 * of threads, each opening files relative to the directory of its last one.
 * New big files are copied into temp objects, made durable with one syncfs()
 * and linked into place. When many new files are small (below PACK_MAX_OBJ),
 * each thread reads them straight into a 4 MiB chunk of pack records, hashes
 * them there and appends the chunk whole to one pack (data-pack.c), with
 * O_DIRECT where the filesystem allows it: no page-cache copy, and the disk
 * works during the add rather than at the end. The pack's fsync and index
 * run in the background while the directory's manifest is built and stored.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "data-internal.h"

#define BATCH 32                   /* consecutive jobs a worker takes at once */
#define CHUNK_BYTES (4u << 20)     /* a worker's buffer of pack records */

struct job {
	const char *rel;     /* borrowed: project-relative file path */
	const char *inner;   /* borrowed: path inside the directory */
	struct stat *st;     /* its lstat (the walk's, or taken by stat_job) */
	char hash[BC_DATA_HEX];
	int64_t size;
	char *tmp;           /* temp object to link once synced */
	int need;            /* must be read */
	int rc;
};

struct worker;

struct add_ctx {
	bc_project *p;
	data_stat *sc;
	struct job *jobs;
	char **full;         /* project-relative paths, parallel to jobs */
	int sync_each;
	pack_writer *pw;     /* small objects go here when many are new */
	size_t align;        /* of pack chunks (direct I/O) */
	cache_view view;
	int64_t hashed, bytes;
	pthread_mutex_t mu;
	/* the phase being run: jobs [0, n) taken BATCH at a time */
	int (*fn)(struct worker *w, struct job *j);
	size_t next, n;
	int stop, failed;
	char ferr[384];      /* a chunk write that failed after the last job */
	size_t eidx;         /* the first failed job, whose message is jerr */
	char jerr[384];
	int statted;         /* jobs come with their lstat (the walk took it) */
	/* a directory's pack is synced and published while its manifest is
	 * built and stored; joined before its pointer is written */
	pthread_t committer;
	pack_writer *cpw;
	int committing, commit_rc;
	char commit_err[384];
};

static int job_fail(struct add_ctx *a, struct job *j, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Fail job j with rc; the message of the first failed job (in path order)
 * is the one reported. */
static int
job_fail(struct add_ctx *a, struct job *j, int rc, const char *fmt, ...)
{
	size_t i = (size_t)(j - a->jobs);
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&a->mu);
	if (i < a->eidx) {
		a->eidx = i;
		vsnprintf(a->jerr, sizeof a->jerr, fmt, ap);
	}
	pthread_mutex_unlock(&a->mu);
	va_end(ap);
	return j->rc = rc;
}

static const char *
disk_full(int rc)
{
	return rc == -ENOSPC || rc == -EDQUOT ? " (disk full)" : "";
}

/* One thread's state: a cursor on the directory of its last job (jobs come
 * sorted, so neighbours share it), a SHA-256 context, and a chunk of pack
 * records written whole. */
struct worker {
	struct add_ctx *a;
	data_dircur dc;
	data_hasher *h;
	unsigned char *buf;
	size_t used;
	struct pack_ent *e;
	size_t n, ecap;
};

/* Append the worker's records to the pack (zero-padded to the alignment). */
static int
worker_flush(struct worker *w)
{
	struct add_ctx *a = w->a;
	if (!w->used)
		return 0;
	size_t len = (w->used + a->align - 1) / a->align * a->align;
	memset(w->buf + w->used, 0, len - w->used);
	int rc = pack_writer_chunk(a->pw, w->buf, len, w->e, w->n);
	w->used = w->n = 0;
	return rc;
}

/* A small file read whole into the worker's chunk, right after the room for
 * its record head, hashed there, and kept in the chunk unless the cache has
 * it: no copy, no temp file, no rename, no fsync of its own. */
static int
pack_job(struct worker *w, struct job *j, int fd, struct stat *st)
{
	struct add_ctx *a = w->a;
	size_t want = (size_t)st->st_size + 1, len = 0;   /* one more: growth shows */
	int rc = 0;
	if (w->used + PACK_REC_HEAD + want > CHUNK_BYTES && (rc = worker_flush(w)) < 0)
		return job_fail(a, j, rc, "cannot add %s: %s%s", j->rel, strerror(-rc), disk_full(rc));
	if (w->n == w->ecap) {
		size_t nc = w->ecap ? w->ecap * 2 : 256;
		struct pack_ent *ne = realloc(w->e, nc * sizeof *ne);
		if (!ne)
			return job_fail(a, j, -ENOMEM, "cannot add %s: %s", j->rel, strerror(ENOMEM));
		w->e = ne;
		w->ecap = nc;
	}
	unsigned char *rec = w->buf + w->used, *data = rec + PACK_REC_HEAD;
	while (len < want) {
		ssize_t n = read(fd, data + len, want - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len < want)
			break;   /* a short read of a regular file: its end */
	}
	struct stat after;
	if (rc == 0 && (fstat(fd, &after) < 0 || len != (size_t)st->st_size || !S_ISREG(after.st_mode) ||
			after.st_size != st->st_size || after.st_ino != st->st_ino ||
			after.st_mtim.tv_sec != st->st_mtim.tv_sec || after.st_mtim.tv_nsec != st->st_mtim.tv_nsec ||
			after.st_ctim.tv_sec != st->st_ctim.tv_sec || after.st_ctim.tv_nsec != st->st_ctim.tv_nsec)) {
		return job_fail(a, j, BC_EINTERRUPTED,
			"cannot add %s: changed while being hashed: try again once nothing writes to it", j->rel);
	}
	struct pack_ent *e = &w->e[w->n];
	if (rc == 0) {
		*st = after;
		rc = data_hasher_sum(w->h, data, len, e->md);
	}
	if (rc < 0)
		return job_fail(a, j, rc, "cannot add %s: %s%s", j->rel, strerror(-rc), disk_full(rc));
	data_hex(e->md, j->hash);
	j->size = (int64_t)len;
	if (!cache_view_has(&a->view, j->hash)) {
		pack_rec_head(rec, e->md, len);
		e->pack = 0;
		e->off = w->used + PACK_REC_HEAD;
		e->len = len;
		w->n++;
		w->used += PACK_REC_HEAD + len;
	}
	return 0;
}

static int
hash_job(struct worker *w, struct job *j)
{
	struct add_ctx *a = w->a;
	if (!j->need)
		return 0;
	int64_t t0 = data_now_ns();
	int fd = data_dircur_open(&w->dc, j->rel);
	struct stat st = *j->st;
	int packed = fd >= 0 && a->pw && st.st_size < PACK_MAX_OBJ;
	if (fd < 0 || (!packed && fstat(fd, &st) < 0)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return job_fail(a, j, BC_ERROR, "cannot read %s: %s: fix its permissions", j->rel, strerror(e));
	}
	char err[320] = "";
	int rc;
	if (packed) {
		/* the lstat taken before the open is the "before" stat */
		rc = pack_job(w, j, fd, &st);
		close(fd);
		if (rc)
			return rc;
	} else {
		rc = cache_insert_fd(a->p, fd, &st, a->sync_each, j->hash, &j->size,
			a->sync_each ? NULL : &j->tmp, err, sizeof err);
		close(fd);
		if (rc) {
			return job_fail(a, j, rc < 0 ? rc : BC_ERROR, "cannot add %s: %s", j->rel, err);
		}
	}
	*j->st = st;
	data_stat_put(a->sc, j->rel, &st, j->hash, t0);
	__atomic_add_fetch(&a->hashed, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&a->bytes, j->size, __ATOMIC_RELAXED);
	return 0;
}

/* lstat one file (relative to its directory) and ask the stat cache (and
 * the object store) whether it must be read. */
static int
stat_job(struct worker *w, struct job *j)
{
	struct add_ctx *a = w->a;
	const char *base = NULL;
	int dfd = a->statted ? 0 : data_dircur_at(&w->dc, j->rel, &base);
	if (!a->statted && (dfd < 0 || fstatat(dfd, base, j->st, AT_SYMLINK_NOFOLLOW) < 0))
		return job_fail(a, j, BC_ERROR, "cannot stat %s: %s", j->rel, strerror(errno));
	j->size = j->st->st_size;
	j->need = !(data_stat_lookup(a->sc, j->rel, j->st, j->hash) &&
		(a->view.p ? cache_view_has(&a->view, j->hash) : cache_has(a->p, j->hash, NULL)));
	return 0;
}

static int
worker_main(size_t t, void *arg)
{
	(void)t;
	struct add_ctx *a = arg;
	struct worker w = { .a = a, .dc = { .root = bc_project_root(a->p), .fd = -1 } };
	void *buf = NULL;
	int rc = 0;
	if (a->fn == hash_job && a->pw) {
		w.h = data_hasher_new();
		if (!w.h || posix_memalign(&buf, PACK_ALIGN, CHUNK_BYTES) != 0)
			rc = -ENOMEM;
		w.buf = buf;
	}
	while (!rc && !__atomic_load_n(&a->failed, __ATOMIC_RELAXED)) {
		size_t i = __atomic_fetch_add(&a->next, BATCH, __ATOMIC_RELAXED);
		for (size_t end = i + BATCH < a->n ? i + BATCH : a->n; i < end; i++)
			if (a->fn(&w, &a->jobs[i]) && a->stop)
				__atomic_store_n(&a->failed, 1, __ATOMIC_RELAXED);
		if (i >= a->n)
			break;
	}
	if (w.buf && !rc)
		rc = worker_flush(&w);
	if (rc) {
		pthread_mutex_lock(&a->mu);
		if (!a->ferr[0])
			snprintf(a->ferr, sizeof a->ferr, "cannot write a pack of small files: %s%s",
				strerror(-rc), disk_full(rc));
		pthread_mutex_unlock(&a->mu);
		__atomic_store_n(&a->failed, 1, __ATOMIC_RELAXED);
	}
	data_dircur_close(&w.dc);
	data_hasher_free(w.h);
	free(buf);
	free(w.e);
	return rc;
}

/* Run fn on jobs [0, n) on `threads` workers; with `stop`, the first
 * failure stops them. */
static void
run_phase(struct add_ctx *a, size_t n, int threads, int (*fn)(struct worker *, struct job *), int stop)
{
	a->fn = fn;
	a->next = 0;
	a->n = n;
	a->stop = stop;
	a->failed = 0;
	size_t batches = (n + BATCH - 1) / BATCH, k = batches < (size_t)threads ? batches : (size_t)threads;
	data_parallel(k ? k : 1, (int)k, worker_main, a);
}

static void *
commit_main(void *arg)
{
	struct add_ctx *a = arg;
	a->commit_rc = pack_writer_commit(a->cpw, a->commit_err, sizeof a->commit_err);
	return NULL;
}

/* Wait for the pack being committed, if any: 0, or <0 (message set when
 * rc, the caller's result so far, is 0). */
static int
commit_join(struct add_ctx *a, int rc)
{
	if (!a->committing)
		return rc;
	pthread_join(a->committer, NULL);
	a->committing = 0;
	if (a->commit_rc < 0 && !rc)
		rc = bc_error_set(a->p, BC_ERR_OS, BC_ERROR, "%s", a->commit_err);
	return rc;
}

/* Fill jobs for files; run the ones the stat cache cannot answer. */
static int
run_jobs(struct add_ctx *a, size_t n, const bc_data_options *opts)
{
	int threads = data_threads(opts ? opts->threads : 0);
	a->eidx = SIZE_MAX;
	a->ferr[0] = '\0';
	run_phase(a, n, n > 4096 ? threads : 1, stat_job, 0);
	for (size_t i = 0; i < n; i++)
		if (a->jobs[i].rc)
			return bc_error_set(a->p, BC_ERR_OS, BC_ERROR, "%s", a->jerr);
	size_t need = 0, small = 0;
	for (size_t i = 0; i < n; i++) {
		need += a->jobs[i].need;
		small += a->jobs[i].need && a->jobs[i].st->st_size < PACK_MAX_OBJ;
	}
	a->sync_each = need <= 1;
	const char *env = getenv("BANCADA_PACK_MIN");
	size_t pack_min = env && atoi(env) > 0 ? (size_t)atoi(env) : 64;
	char perr[384] = "";
	int rc = 0;
	if (small >= pack_min && small >= 2) {
		if (pack_writer_open(a->p, &a->pw, perr, sizeof perr) < 0)
			return bc_error_set(a->p, BC_ERR_OS, BC_ERROR, "%s", perr);
		env = getenv("BANCADA_PACK_DIRECT");
		a->align = env && !strcmp(env, "0") ? 1 : pack_writer_direct(a->pw);
	}
	run_phase(a, n, need > 1 ? threads : 1, hash_job, 1);
	for (size_t i = 0; i < n && !rc; i++)
		if (a->jobs[i].rc)
			rc = bc_error_set(a->p, BC_ERR_OS, a->jobs[i].rc, "%s", a->jerr);
	if (!rc && a->ferr[0])
		rc = bc_error_set(a->p, BC_ERR_OS, BC_ERROR, "%s", a->ferr);
	if (a->pw) {
		/* the pack first: synced, then its index published (in the
		 * background for a directory: see commit_join) */
		a->cpw = a->pw;
		a->pw = NULL;
		if (rc)
			pack_writer_abort(a->cpw);
		else if (a->statted && pthread_create(&a->committer, NULL, commit_main, a) == 0)
			a->committing = 1;
		else if (pack_writer_commit(a->cpw, perr, sizeof perr) < 0)
			rc = bc_error_set(a->p, BC_ERR_OS, BC_ERROR, "%s", perr);
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
			if (j->tmp && cache_finalize(a->p, j->tmp, j->hash, 0, a->jerr, sizeof a->jerr) < 0)
				rc = bc_error_set(a->p, BC_ERR_OS, BC_ERROR, "%s", a->jerr);
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
		struct stat fst;
		struct job j = { .rel = rel, .st = &fst };
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
	data_wfile *files = NULL;
	size_t n = 0;
	if ((rc = data_walk_stat(p, rel, data_threads(opts ? opts->threads : 0), &files, &n)) < 0)
		return rc;
	size_t el = strlen(BC_DATA_POINTER_EXT);
	for (size_t i = 0; i < n && !rc; i++) {
		size_t l = strlen(files[i].inner);
		if (l > el && !strcmp(files[i].inner + l - el, BC_DATA_POINTER_EXT))
			rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"%s is a pointer: a tracked directory cannot hold tracked paths (untrack the inner path first)",
				files[i].rel);
	}
	struct job *jobs = calloc(n ? n : 1, sizeof *jobs);
	if (!jobs && !rc)
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	for (size_t i = 0; !rc && i < n; i++) {
		jobs[i].rel = files[i].rel;
		jobs[i].inner = files[i].inner;
		jobs[i].st = &files[i].st;
	}
	if (!rc) {
		a->jobs = jobs;
		a->statted = 1;
		if (n > 1) {
			cache_view_init(p, &a->view);
			cache_view_load(&a->view);   /* before the workers: read-only after */
		}
		rc = run_jobs(a, n, opts);
		cache_view_free(&a->view);
		memset(&a->view, 0, sizeof a->view);
		a->jobs = NULL;
		a->statted = 0;
	}
	data_manifest m = { 0 };
	int64_t total = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		rc = data_manifest_push(&m, jobs[i].inner, jobs[i].hash, jobs[i].size,
			(jobs[i].st->st_mode & 0111) != 0);
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
	rc = commit_join(a, rc);
	data_manifest_clear(&m);
	data_wfiles_free(files, n);
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
	/* not after a failure: saving clears the project's error message */
	if (!rc && a.sc && data_stat_save(p, a.sc) < 0)
		rc = -1;
done:
	data_stat_free(a.sc);
	pthread_mutex_destroy(&a.mu);
	cache_unlock(lock);
	return rc;
}
