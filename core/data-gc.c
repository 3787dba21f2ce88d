/* SPDX-License-Identifier: MIT */
/*
 * `data gc` and `data fsck`. gc holds the cache lock exclusively (adds hold
 * it shared until their pointer is written, so nothing a finished add
 * references can be collected) and keeps every object referenced by: a
 * pointer in any commit reachable from a branch, tag or HEAD; a pointer in
 * the workspace; a run (run_io, run_data); a bundle (hashes passed in).
 * Directory manifests keep their members. fsck re-hashes every object on
 * all cores and moves the corrupt ones to `cache/quarantine/`. Packed
 * objects (data-pack.c) are listed from the pack indexes: gc rewrites packs
 * without the dead ones, fsck drops a corrupt one from its index.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "data-internal.h"

struct keep {
	data_hexset set;
	data_hexset dirs;
	int64_t n;
};

static void
keep_git(const char *hex, int is_dir, void *arg)
{
	struct keep *k = arg;
	data_hexset_add(&k->set, hex);
	if (is_dir)
		data_hexset_add(&k->dirs, hex);
}

/* Every object file in the cache: fn(hex, path, size). */
static int
each_object(bc_project *p, int (*fn)(const char *hex, const char *path, int64_t size, void *arg), void *arg)
{
	char *cd = cache_dir(p);
	DIR *d = cd ? opendir(cd) : NULL;
	if (!d) {
		free(cd);
		return 0;
	}
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		if (strlen(de->d_name) != 2 || !strchr("0123456789abcdef", de->d_name[0]) || !strchr("0123456789abcdef", de->d_name[1]))
			continue;
		char *sub = bc_path_join(cd, de->d_name);
		DIR *s = sub ? opendir(sub) : NULL;
		struct dirent *oe;
		while (s && rc == 0 && (oe = readdir(s))) {
			char hex[BC_DATA_HEX];
			if (strlen(oe->d_name) != 62)
				continue;
			memcpy(hex, de->d_name, 2);
			memcpy(hex + 2, oe->d_name, 63);
			if (!data_is_hex(hex))
				continue;
			char *path = bc_path_join(sub, oe->d_name);
			struct stat st;
			if (path && lstat(path, &st) == 0 && S_ISREG(st.st_mode))
				rc = fn(hex, path, st.st_size, arg);
			free(path);
		}
		if (s)
			closedir(s);
		free(sub);
	}
	closedir(d);
	free(cd);
	return rc;
}

struct gc {
	bc_project *p;
	struct keep *k;
	int dry;
	bc_data_gc_report *r;
	void (*each)(const char *, int64_t, void *);
	void *payload;
	data_hexset drop;    /* packed objects to drop */
};

/* A packed object: kept, or listed for pack_drop (packs are rewritten
 * without it once every object was looked at). */
static int
gc_packed(const char *hex, int64_t size, void *arg)
{
	struct gc *g = arg;
	if (data_hexset_has(&g->k->set, hex)) {
		g->r->kept_objects++;
		g->r->kept_bytes += size;
		return 0;
	}
	g->r->freed_objects++;
	g->r->freed_bytes += size;
	if (g->each)
		g->each(hex, size, g->payload);
	return data_hexset_add(&g->drop, hex);
}

static int
gc_one(const char *hex, const char *path, int64_t size, void *arg)
{
	struct gc *g = arg;
	if (data_hexset_has(&g->k->set, hex)) {
		g->r->kept_objects++;
		g->r->kept_bytes += size;
		return 0;
	}
	if (!g->dry && unlink(path) < 0)
		return bc_error_set(g->p, BC_ERR_OS, BC_ERROR, "cannot delete %s: %s", path, strerror(errno));
	g->r->freed_objects++;
	g->r->freed_bytes += size;
	if (g->each)
		g->each(hex, size, g->payload);
	return 0;
}

/* Add every hash the statement yields (optionally "sha256:"-prefixed) to
 * the keep set; finalizes the statement. Returns how many were added. */
static int64_t
keep_hashes(sqlite3_stmt *st, struct keep *k)
{
	int64_t n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 0);
		if (h && !strncmp(h, "sha256:", 7))
			h += 7;
		if (h && data_is_hex(h)) {
			data_hexset_add(&k->set, h);
			n++;
		}
	}
	sqlite3_finalize(st);
	return n;
}

static int64_t
keep_runs(bc_project *p, struct keep *k)
{
	sqlite3_stmt *st;
	if (bc_prepare(p, &st, "SELECT hash FROM run_io WHERE hash IS NOT NULL UNION "
			"SELECT hash FROM run_data UNION SELECT workspace_hash FROM run_data "
			"WHERE workspace_hash IS NOT NULL") < 0)
		return -1;
	return keep_hashes(st, k);
}

/* Data of runs that bundles were made from (their provenance), when the
 * bundles table exists. */
static int64_t
keep_bundles(bc_project *p, struct keep *k)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(bc_project_db(p), "SELECT DISTINCT io.hash FROM bundles b"
			" JOIN run_io io ON io.run = b.run WHERE io.hash IS NOT NULL", -1, &st, NULL) != SQLITE_OK)
		return 0;  /* no bundles module in this store */
	return keep_hashes(st, k);
}

/* Keep the members of every kept manifest (any kept object may be one). */
static void
expand_manifests(bc_project *p, struct keep *k)
{
	size_t n = k->set.n;
	for (size_t i = 0; i < n; i++) {
		char hex[BC_DATA_HEX], head[19];
		memcpy(hex, k->set.v[i], BC_DATA_HEX);
		char *path = cache_obj_path(p, hex), *buf = NULL;
		size_t blen = 0;
		int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
		free(path);
		ssize_t got = -1;
		if (fd >= 0) {
			got = read(fd, head, sizeof head);
			close(fd);
		} else if (pack_find(p, hex, 0, NULL) && pack_read(p, hex, &buf, &blen) == 0) {
			got = blen >= sizeof head ? (ssize_t)sizeof head : -1;
			if (got > 0)
				memcpy(head, buf, sizeof head);
			free(buf);
		}
		if (got != (ssize_t)sizeof head || memcmp(head, "bancada-manifest/1\n", sizeof head))
			continue;
		data_manifest m;
		if (data_manifest_parse(p, hex, &m) < 0) {
			bc_error_clear(p);
			continue;
		}
		for (size_t j = 0; j < m.n; j++)
			data_hexset_add(&k->set, m.v[j].hash);
		data_manifest_clear(&m);
	}
}

static int64_t
remove_temps(bc_project *p, int dry)
{
	char *tmp = bc_sprintf("%s/cache/tmp", bc_project_dir(p));
	DIR *d = tmp ? opendir(tmp) : NULL;
	int64_t n = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "tmp_obj_", 8))
			continue;
		n++;
		if (!dry)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	if (d)
		closedir(d);
	free(tmp);
	return n;
}

int
bc_data_gc(bc_project *p, const bc_data_options *opts, const char *const *keep, size_t nkeep,
	void (*each)(const char *hash, int64_t size, void *payload), void *payload,
	bc_data_gc_report *out)
{
	bc_data_gc_report r = { 0 };
	struct keep k = { { 0 }, { 0 }, 0 };
	int lock = -1, rc = cache_lock(p, 1, &lock);
	if (rc < 0)
		return rc;
	int64_t c = data_git_all_hashes(p, keep_git, &k);
	if (c < 0) {
		rc = (int)c;
		goto done;
	}
	r.commits_scanned = c;
	data_hexset_has(&k.set, "");  /* sorts and dedupes */
	r.kept_by_git = (int64_t)k.set.n;
	data_ptrs ws;
	if ((rc = data_ws_pointers(p, &ws)) < 0)
		goto done;
	for (size_t i = 0; i < ws.n; i++)
		data_hexset_add(&k.set, ws.v[i].hash);
	r.kept_by_workspace = (int64_t)ws.n;
	data_ptrs_clear(&ws);
	int64_t runs = keep_runs(p, &k);
	if (runs < 0) {
		rc = -1;
		goto done;
	}
	r.kept_by_runs = runs;
	r.kept_by_bundles = keep_bundles(p, &k);
	for (size_t i = 0; i < nkeep; i++) {
		const char *h = keep[i];
		if (h && !strncmp(h, "sha256:", 7))
			h += 7;
		if (h && data_is_hex(h)) {
			data_hexset_add(&k.set, h);
			r.kept_by_bundles++;
		}
	}
	data_hexset_has(&k.set, "");
	expand_manifests(p, &k);
	struct gc g = { p, &k, opts && opts->dry_run, &r, each, payload, { 0 } };
	rc = each_object(p, gc_one, &g);
	if (rc == 0)
		rc = pack_each(p, gc_packed, &g);
	if (rc == 0 && !g.dry && g.drop.n && (rc = pack_drop(p, &g.drop, 1, NULL)) < 0)
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot rewrite the packs in %s/cache/packs: %s",
			bc_project_dir(p), strerror(-rc));
	data_hexset_free(&g.drop);
	r.temps_removed = remove_temps(p, g.dry) + pack_remove_orphans(p, g.dry);
done:
	if (out)
		*out = r;
	data_hexset_free(&k.set);
	data_hexset_free(&k.dirs);
	cache_unlock(lock);
	return rc;
}

/* ---- packs: dropping objects, removing leftovers ---- */

/* Names ("pack-ID") of every indexed pack. */
static char **
list_packs(const char *dir, size_t *n)
{
	DIR *dh = opendir(dir);
	char **v = NULL;
	size_t cap = 0;
	struct dirent *de;
	*n = 0;
	while (dh && (de = readdir(dh))) {
		size_t l = strlen(de->d_name);
		if (l < 10 || strncmp(de->d_name, "pack-", 5) || strcmp(de->d_name + l - 4, ".idx"))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = realloc(v, cap * sizeof *nv);
			if (!nv)
				break;
			v = nv;
		}
		v[(*n)++] = bc_strndup(de->d_name, l - 4);
	}
	if (dh)
		closedir(dh);
	return v;
}

/* Copy the records `keep` of pack `name` into a new pack (then indexed). */
static int
rewrite_pack(bc_project *p, const char *dir, const char *name, struct pack_ent *keep, size_t n)
{
	char *path = bc_sprintf("%s/%s.pack", dir, name), err[256];
	int in = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	free(path);
	if (in < 0)
		return -errno;
	pack_writer *w = NULL;
	int rc = pack_writer_open(p, &w, err, sizeof err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char hex[BC_DATA_HEX], *buf = malloc(keep[i].len ? keep[i].len : 1);
		data_hex(keep[i].md, hex);
		ssize_t got = buf ? pread(in, buf, keep[i].len, (off_t)keep[i].off) : -1;
		rc = got != (ssize_t)keep[i].len ? -EIO : pack_writer_add(w, hex, buf, keep[i].len);
		free(buf);
	}
	close(in);
	if (rc == 0)
		return pack_writer_commit(w, err, sizeof err);
	pack_writer_abort(w);
	return rc;
}

int
pack_drop(bc_project *p, data_hexset *drop, int rewrite, int64_t *freed)
{
	/* one at a time in this process (checkout workers may quarantine) */
	static pthread_mutex_t drop_mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&drop_mu);
	char *dir = bc_sprintf("%s/cache/packs", bc_project_dir(p));
	size_t np = 0;
	char **names = dir ? list_packs(dir, &np) : NULL;
	int rc = dir ? 0 : -ENOMEM;
	for (size_t i = 0; i < np && rc == 0; i++) {
		struct pack_ent *v = NULL;
		size_t n = 0, cap = 0, k = 0;
		int64_t bytes = 0;
		char *idx = bc_sprintf("%s/%s.idx", dir, names[i]);
		char *pack = bc_sprintf("%s/%s.pack", dir, names[i]);
		if (idx && pack && pack_idx_read(idx, 0, &v, &n, &cap) == 0) {
			for (size_t j = 0; j < n; j++) {
				char hex[BC_DATA_HEX];
				data_hex(v[j].md, hex);
				if (data_hexset_has(drop, hex))
					bytes += (int64_t)v[j].len;
				else
					v[k++] = v[j];
			}
			if (k == n)
				;   /* nothing to drop here */
			else if (k == 0 || rewrite)
				rc = k ? rewrite_pack(p, dir, names[i], v, k) : 0;
			else
				rc = pack_idx_write(dir, names[i], v, k);
			if (rc == 0 && k < n && (k == 0 || rewrite)) {
				unlink(idx);   /* the index first: never an index without its pack */
				unlink(pack);
			}
			if (rc == 0 && freed)
				*freed += bytes;
		}
		free(v);
		free(idx);
		free(pack);
	}
	for (size_t i = 0; i < np; i++)
		free(names[i]);
	free(names);
	if (dir)
		bc_fsync_dir(dir);
	free(dir);
	pack_invalidate();
	pthread_mutex_unlock(&drop_mu);
	return rc;
}

int
pack_quarantine(bc_project *p, const char *hex)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = pack_read(p, hex, &buf, &len);
	if (rc)
		return rc == BC_ENOTFOUND ? -ENOENT : rc;
	char *q = bc_sprintf("%s/cache/quarantine", bc_project_dir(p));
	char *dst = bc_sprintf("%s/%s.%lld", q ? q : "", hex, (long long)(data_now_ns() / 1000000000LL));
	if (q && dst) {
		bc_mkdir_p(q, 0755);
		bc_write_file_atomic(dst, buf, len, 0444);
	}
	free(q);
	free(dst);
	free(buf);
	data_hexset one = { 0 };
	rc = data_hexset_add(&one, hex);
	if (rc == 0)
		rc = pack_drop(p, &one, 0, NULL);
	data_hexset_free(&one);
	return rc;
}

int64_t
pack_remove_orphans(bc_project *p, int dry)
{
	char *dir = bc_sprintf("%s/cache/packs", bc_project_dir(p));
	DIR *dh = dir ? opendir(dir) : NULL;
	struct dirent *de;
	int64_t n = 0;
	while (dh && (de = readdir(dh))) {
		size_t l = strlen(de->d_name);
		int orphan = 0;
		if (l > 4 && !strcmp(de->d_name + l - 4, ".tmp")) {
			orphan = 1;
		} else if (l > 5 && !strcmp(de->d_name + l - 5, ".pack")) {
			char *idx = bc_sprintf("%s/%.*s.idx", dir, (int)(l - 5), de->d_name);
			orphan = idx && access(idx, F_OK) < 0 && errno == ENOENT;
			free(idx);
		}
		if (!orphan)
			continue;
		n++;
		if (!dry)
			unlinkat(dirfd(dh), de->d_name, 0);
	}
	if (dh)
		closedir(dh);
	free(dir);
	return n;
}

/* ---- fsck ---- */

struct fobj {
	char hex[BC_DATA_HEX];
	char why[128];
	int bad;
};

struct fsck {
	bc_project *p;
	struct fobj *v;
	size_t n, cap;
	const bc_data_options *opts;
	int64_t done, bytes;
	pthread_mutex_t mu;
};

static int
fsck_collect(const char *hex, const char *path, int64_t size, void *arg)
{
	struct fsck *f = arg;
	(void)path;
	(void)size;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 256;
		struct fobj *v = realloc(f->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	memset(&f->v[f->n], 0, sizeof *f->v);
	memcpy(f->v[f->n++].hex, hex, BC_DATA_HEX);
	return 0;
}

static int
fsck_collect_packed(const char *hex, int64_t size, void *arg)
{
	return fsck_collect(hex, NULL, size, arg);
}

static int
fsck_one(size_t i, void *arg)
{
	struct fsck *f = arg;
	struct fobj *o = &f->v[i];
	o->bad = cache_verify(f->p, o->hex, o->why, sizeof o->why) != 0;
	if (f->opts && f->opts->progress) {
		pthread_mutex_lock(&f->mu);
		bc_data_progress pr = { "fsck", ++f->done, (int64_t)f->n, 0, 0 };
		f->opts->progress(&pr, f->opts->payload);
		pthread_mutex_unlock(&f->mu);
	}
	return 0;
}

int
bc_data_fsck(bc_project *p, const bc_data_options *opts,
	void (*bad)(const char *hash, const char *why, void *payload), void *payload, int64_t *checked)
{
	struct fsck f = { .p = p, .opts = opts };
	int lock = -1, rc = cache_lock(p, 0, &lock);
	if (rc < 0)
		return rc;
	pthread_mutex_init(&f.mu, NULL);
	rc = each_object(p, fsck_collect, &f);
	if (rc == 0)
		rc = pack_each(p, fsck_collect_packed, &f);
	if (rc == 0)
		data_parallel(f.n, data_threads(opts ? opts->threads : 0), fsck_one, &f);
	int nbad = 0;
	for (size_t i = 0; rc == 0 && i < f.n; i++) {
		if (!f.v[i].bad)
			continue;
		nbad++;
		cache_quarantine(p, f.v[i].hex);
		if (bad)
			bad(f.v[i].hex, f.v[i].why, payload);
	}
	if (checked)
		*checked = (int64_t)f.n;
	free(f.v);
	pthread_mutex_destroy(&f.mu);
	cache_unlock(lock);
	return rc < 0 ? rc : nbad;
}
