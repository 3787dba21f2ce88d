/* SPDX-License-Identifier: MIT */
/*
 * `data status`, `data ls` and `data diff`: compare pointers with the
 * workspace (through the stat cache, so unchanged files are never read), list
 * tracked paths, and compare the pointers of two revisions file by file.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "data-internal.h"

/* lstat a project-relative path: 0 or its errno. */
static int
data_lstat(bc_project *p, const char *rel, struct stat *st)
{
	char *full = bc_path_join(bc_project_root(p), rel);
	int e = !full ? ENOMEM : lstat(full, st) < 0 ? errno : 0;
	free(full);
	return e;
}

static bc_data_item *
push(bc_data_list *out, const char *path, const char *inner, bc_data_state st)
{
	return data_list_push(out, path, inner, st) == 0 ? &out->v[out->n - 1] : NULL;
}

/* One tracked file: lstat'ed already (st, or its errno in `e`). When `vouch`
 * is given, it is set when the stat cache vouches for the content hash left
 * in `hex` (a regular file, not racy). */
static int
status_file(bc_project *p, data_stat *sc, cache_view *cv, const data_ptr *d, const char *rel,
	const char *inner, const char *want, struct stat *st, int e, bc_data_list *out,
	char hex[BC_DATA_HEX], unsigned char *vouch)
{
	int hashed = 0;
	int rc = data_file_hash_st(p, sc, rel, st, e, hex, &hashed);
	if (vouch) {
		char again[BC_DATA_HEX];
		*vouch = rc == 0 && S_ISREG(st->st_mode) &&
			(!hashed || data_stat_lookup(sc, rel, st, again));
	}
	out->files_checked++;
	out->files_hashed += hashed;
	if (hashed)
		out->bytes_hashed += st->st_size;
	bc_data_state s;
	if (rc == BC_ENOTFOUND)
		s = BC_DATA_MISSING;
	else if (rc == BC_EINVALID)
		s = BC_DATA_MODIFIED;
	else if (rc < 0)
		return rc;
	else if (strcmp(hex, want))
		s = BC_DATA_MODIFIED;
	else if (!cache_view_has(cv, want) && !cache_has(p, want, NULL))
		s = BC_DATA_NOT_CACHED;
	else
		return 0;
	bc_data_item *it = push(out, d->path, inner, s);
	if (it) {
		it->size = rc == 0 ? (int64_t)st->st_size : -1;
		if (rc == 0)
			memcpy(it->hash, hex, BC_DATA_HEX);
		memcpy(it->old_hash, want, BC_DATA_HEX);
	}
	return 0;
}

/* The lstat pass over a directory's manifest, split across cores (a
 * syscall costs microseconds on a VM); each worker opens every directory
 * once and stats its files relative to it. */
struct spass {
	int rootfd;
	const char *dir;         /* the tracked directory, project-relative */
	const data_manifest *m;
	struct stat *st;
	int *err;
	size_t chunk;
};

static int
stat_chunk(size_t c, void *arg)
{
	struct spass *sp = arg;
	size_t lo = c * sp->chunk, hi = lo + sp->chunk;
	if (hi > sp->m->n)
		hi = sp->m->n;
	int dfd = -1;
	char cur[PATH_MAX] = "";
	size_t curlen = (size_t)-1;
	for (size_t i = lo; i < hi; i++) {
		const char *path = sp->m->v[i].path, *slash = strrchr(path, '/');
		size_t dl = slash ? (size_t)(slash - path) : 0;
		if (dl != curlen || dl >= sizeof cur || memcmp(cur, path, dl)) {
			if (dfd >= 0)
				close(dfd);
			memcpy(cur, path, dl < sizeof cur ? dl : 0);
			cur[dl < sizeof cur ? dl : 0] = '\0';
			curlen = dl;
			char *sub = dl ? bc_sprintf("%s/%s", sp->dir, cur) : bc_strdup(sp->dir);
			dfd = sub && dl < sizeof cur ? openat(sp->rootfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW) : -1;
			free(sub);
		}
		const char *base = slash ? slash + 1 : path;
		/* -1: not stat'ed here, the caller's own lstat decides */
		sp->err[i] = dfd < 0 ? -1 : fstatat(dfd, base, &sp->st[i], AT_SYMLINK_NOFOLLOW) < 0 ? errno : 0;
	}
	if (dfd >= 0)
		close(dfd);
	return 0;
}

/* The stat cache, loaded on first need (an unchanged directory with a
 * snapshot needs none). */
static data_stat *
need_sc(bc_project *p, data_stat **sc)
{
	if (!*sc && data_stat_load(p, sc) < 0) {
		data_stat_free(*sc);
		*sc = NULL;
	}
	return *sc;
}

static int
status_dir(bc_project *p, data_stat **scp, cache_view *cv, const data_ptr *d, bc_data_list *out)
{
	int rc = data_snap_status(p, d, cv, out);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	data_stat *sc = need_sc(p, scp);
	if (!sc)
		return -1;
	data_manifest m;
	rc = data_manifest_parse(p, d->hash, &m);
	if (rc == BC_ENOTFOUND) {
		bc_error_clear(p);
		bc_data_item *it = push(out, d->path, NULL, BC_DATA_NOT_CACHED);
		if (it) {
			it->is_dir = 1;
			memcpy(it->old_hash, d->hash, BC_DATA_HEX);
		}
		return 0;
	}
	if (rc < 0)
		return rc;
	char **files = NULL;
	size_t nf = 0;
	rc = data_walk_dir(p, d->path, &files, &nf);
	if (rc == BC_ENOTFOUND) {
		bc_error_clear(p);
		bc_data_item *it = push(out, d->path, NULL, BC_DATA_MISSING);
		if (it)
			it->is_dir = 1;
		data_manifest_clear(&m);
		return 0;
	}
	struct spass sp = { -1, d->path, &m, calloc(m.n + 1, sizeof *sp.st), calloc(m.n + 1, sizeof *sp.err),
		1024 };
	char (*cur)[BC_DATA_HEX] = malloc((m.n + 1) * sizeof *cur);
	unsigned char *vouch = calloc(m.n + 1, 1);
	sp.rootfd = open(bc_project_root(p), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rc == 0 && (!sp.st || !sp.err || !cur || !vouch || sp.rootfd < 0))
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot check %s: %s", d->path, strerror(errno));
	if (rc == 0) {
		size_t chunks = (m.n + sp.chunk - 1) / sp.chunk;
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		data_parallel(chunks, m.n >= 4096 ? (int)(cpus > 0 ? cpus : 1) : 1, stat_chunk, &sp);
	}
	/* both lists are sorted by path: merge */
	size_t i = 0, j = 0, dl = strlen(d->path), relcap = 0;
	char *rel = NULL;
	while (rc == 0 && (i < m.n || j < nf)) {
		int c = i >= m.n ? 1 : j >= nf ? -1 : strcmp(m.v[i].path, files[j]);
		if (c > 0) {
			bc_data_item *it = push(out, d->path, files[j], BC_DATA_ADDED);
			(void)it;
			j++;
			continue;
		}
		/* d->path "/" inner path, built in place (no allocation per file) */
		size_t il = strlen(m.v[i].path);
		if (dl + il + 2 > relcap) {
			relcap = (dl + il + 2) * 2;
			char *nr = realloc(rel, relcap);
			if (!nr) {
				rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
				break;
			}
			rel = nr;
		}
		memcpy(rel, d->path, dl);
		rel[dl] = '/';
		memcpy(rel + dl + 1, m.v[i].path, il + 1);
		if (sp.err[i] == -1)   /* not stat'ed by the pass */
			sp.err[i] = data_lstat(p, rel, &sp.st[i]);
		rc = status_file(p, sc, cv, d, rel, m.v[i].path, m.v[i].hash, &sp.st[i], sp.err[i], out,
			cur[i], &vouch[i]);
		i++;
		if (c == 0)
			j++;
	}
	/* what this pass learned makes the next status of d a stat walk */
	if (rc == 0)
		rc = data_snap_write(p, d, &m, sp.st, (const char (*)[BC_DATA_HEX])cur, vouch);
	free(cur);
	free(vouch);
	free(rel);
	if (sp.rootfd >= 0)
		close(sp.rootfd);
	free(sp.st);
	free(sp.err);
	for (size_t k = 0; k < nf; k++)
		free(files[k]);
	free(files);
	data_manifest_clear(&m);
	return rc;
}

int
bc_data_status(bc_project *p, const char *const *paths, size_t n, bc_data_list *out)
{
	data_ptrs all, sel;
	data_stat *sc = NULL;
	int rc = data_ws_pointers(p, &all);
	if (rc < 0)
		return rc;
	rc = data_select(p, &all, paths, n, &sel);
	data_ptrs_clear(&all);
	if (rc < 0)
		return rc;
	cache_view cv;
	cache_view_init(p, &cv);
	for (size_t i = 0; i < sel.n && rc == 0; i++) {
		if (sel.v[i].is_dir) {
			rc = status_dir(p, &sc, &cv, &sel.v[i], out);
			continue;
		}
		struct stat st;
		char hex[BC_DATA_HEX];
		int e = data_lstat(p, sel.v[i].path, &st);
		rc = need_sc(p, &sc) ? status_file(p, sc, &cv, &sel.v[i], sel.v[i].path, NULL, sel.v[i].hash,
			&st, e, out, hex, NULL) : -1;
	}
	if (sc && data_stat_save(p, sc) < 0)
		bc_error_clear(p);  /* a read-only store just cannot remember */
	cache_view_free(&cv);
	data_stat_free(sc);
	data_ptrs_clear(&sel);
	return rc;
}

/* Pointers of one side: a revision, or the workspace (rev NULL). */
static int
side_pointers(bc_project *p, const char *rev, data_ptrs *out)
{
	return rev ? data_git_pointers(p, rev, out) : data_ws_pointers(p, out);
}

int
bc_data_ls(bc_project *p, const char *rev, bc_data_list *out)
{
	data_ptrs all;
	int rc = side_pointers(p, rev, &all);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < all.n; i++) {
		const data_ptr *d = &all.v[i];
		bc_data_item *it = push(out, d->path, NULL, BC_DATA_CLEAN);
		if (!it)
			break;
		it->is_dir = d->is_dir;
		it->size = d->size;
		it->nfiles = d->nfiles;
		memcpy(it->hash, d->hash, BC_DATA_HEX);
		it->in_cache = cache_has(p, d->hash, NULL);
		if (it->in_cache && d->is_dir) {
			data_manifest m;
			if (data_manifest_parse(p, d->hash, &m) == 0) {
				for (size_t k = 0; k < m.n && it->in_cache; k++)
					it->in_cache = cache_has(p, m.v[k].hash, NULL);
				data_manifest_clear(&m);
			} else {
				bc_error_clear(p);
				it->in_cache = 0;
			}
		}
	}
	data_ptrs_clear(&all);
	return 0;
}

/* Flatten pointers to (path, inner, hash, size) rows sorted by full path. */
struct flat {
	char *full, *path, *inner;
	char hash[BC_DATA_HEX];
	int64_t size;
};

static int
cmp_flat(const void *a, const void *b)
{
	return strcmp(((const struct flat *)a)->full, ((const struct flat *)b)->full);
}

static int
flatten(bc_project *p, const data_ptrs *ps, struct flat **out, size_t *n)
{
	size_t cap = 16, k = 0;
	struct flat *v = malloc(cap * sizeof *v);
	for (size_t i = 0; v && i < ps->n; i++) {
		const data_ptr *d = &ps->v[i];
		data_manifest m = { 0 };
		int expand = d->is_dir && data_manifest_parse(p, d->hash, &m) == 0;
		if (d->is_dir && !expand)
			bc_error_clear(p);
		size_t cnt = expand ? m.n : 1;
		for (size_t j = 0; j < cnt; j++) {
			if (k == cap) {
				cap *= 2;
				struct flat *nv = realloc(v, cap * sizeof *v);
				if (!nv)
					break;
				v = nv;
			}
			struct flat *f = &v[k++];
			f->path = bc_strdup(d->path);
			f->inner = expand ? bc_strdup(m.v[j].path) : NULL;
			f->full = expand ? bc_sprintf("%s/%s", d->path, m.v[j].path) : bc_strdup(d->path);
			memcpy(f->hash, expand ? m.v[j].hash : d->hash, BC_DATA_HEX);
			f->size = expand ? m.v[j].size : d->size;
		}
		data_manifest_clear(&m);
	}
	if (!v)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	if (k > 1)
		qsort(v, k, sizeof *v, cmp_flat);
	*out = v;
	*n = k;
	return 0;
}

static void
flat_free(struct flat *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].full);
		free(v[i].path);
		free(v[i].inner);
	}
	free(v);
}

int
bc_data_diff(bc_project *p, const char *rev_a, const char *rev_b, bc_data_list *out)
{
	data_ptrs a = { 0 }, b = { 0 };
	struct flat *fa = NULL, *fb = NULL;
	size_t na = 0, nb = 0;
	int rc = side_pointers(p, rev_a ? rev_a : "HEAD", &a);
	if (rc == 0)
		rc = side_pointers(p, rev_b, &b);
	if (rc == 0)
		rc = flatten(p, &a, &fa, &na);
	if (rc == 0)
		rc = flatten(p, &b, &fb, &nb);
	size_t i = 0, j = 0;
	while (rc == 0 && (i < na || j < nb)) {
		int c = i >= na ? 1 : j >= nb ? -1 : strcmp(fa[i].full, fb[j].full);
		bc_data_item *it;
		if (c < 0) {
			it = push(out, fa[i].path, fa[i].inner, BC_DATA_DELETED);
			if (it) {
				it->old_size = fa[i].size;
				memcpy(it->old_hash, fa[i].hash, BC_DATA_HEX);
			}
			i++;
		} else if (c > 0) {
			it = push(out, fb[j].path, fb[j].inner, BC_DATA_ADDED);
			if (it) {
				it->size = fb[j].size;
				memcpy(it->hash, fb[j].hash, BC_DATA_HEX);
			}
			j++;
		} else {
			if (strcmp(fa[i].hash, fb[j].hash)) {
				it = push(out, fb[j].path, fb[j].inner, BC_DATA_MODIFIED);
				if (it) {
					it->old_size = fa[i].size;
					it->size = fb[j].size;
					memcpy(it->old_hash, fa[i].hash, BC_DATA_HEX);
					memcpy(it->hash, fb[j].hash, BC_DATA_HEX);
				}
			}
			i++;
			j++;
		}
	}
	flat_free(fa, na);
	flat_free(fb, nb);
	data_ptrs_clear(&a);
	data_ptrs_clear(&b);
	return rc;
}

const char *
bc_data_state_name(bc_data_state s)
{
	static const char *const names[] = {
		[BC_DATA_CLEAN] = "clean", [BC_DATA_MODIFIED] = "modified",
		[BC_DATA_MISSING] = "missing", [BC_DATA_NOT_CACHED] = "not in cache",
		[BC_DATA_ADDED] = "added", [BC_DATA_DELETED] = "deleted",
		[BC_DATA_UNCHANGED] = "unchanged", [BC_DATA_UPDATED] = "updated",
		[BC_DATA_REFUSED] = "refused", [BC_DATA_UNREADABLE] = "unreadable",
	};
	return (unsigned)s < sizeof names / sizeof *names ? names[s] : "?";
}
