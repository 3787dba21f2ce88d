/* SPDX-License-Identifier: MIT */
/*
 * Writing status snapshots (see data-snap.c): after a full status of a
 * tracked directory, record per manifest entry the stat and content hash the
 * stat cache vouched for, per directory its stat taken before counting its
 * names, and the cache directories' stats taken before checking each
 * object's presence, so that every claim was true when it was made.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "data-snap.h"

/* Distinct directories of a manifest (with every ancestor) and, per
 * directory, how many names the manifest puts directly in it. */
struct dset {
	char **name;
	uint32_t *children;
	size_t n, cap;
	uint32_t *tab;        /* open addressing: index + 1 */
	size_t tcap;
};

static int
dset_grow(struct dset *ds)
{
	size_t nc = ds->cap ? ds->cap * 2 : 64;
	char **nn = realloc(ds->name, nc * sizeof *nn);
	if (nn)
		ds->name = nn;
	uint32_t *ch = nn ? realloc(ds->children, nc * sizeof *ch) : NULL;
	if (ch)
		ds->children = ch;
	uint32_t *nt = ch ? calloc(nc * 2, sizeof *nt) : NULL;
	if (!nt)
		return -1;
	free(ds->tab);
	ds->tab = nt;
	ds->cap = nc;
	ds->tcap = nc * 2;
	for (size_t i = 0; i < ds->n; i++) {
		size_t k = bc_hash_bytes(ds->name[i], strlen(ds->name[i])) & (ds->tcap - 1);
		while (nt[k])
			k = (k + 1) & (ds->tcap - 1);
		nt[k] = (uint32_t)i + 1;
	}
	return 0;
}

/* Index of directory name[0..len) (added with its ancestors when new), or -1. */
static long
dset_get(struct dset *ds, const char *name, size_t len)
{
	if (ds->n + 1 >= ds->cap && dset_grow(ds) < 0)
		return -1;
	size_t k = bc_hash_bytes(name, len) & (ds->tcap - 1);
	for (; ds->tab[k]; k = (k + 1) & (ds->tcap - 1)) {
		const char *o = ds->name[ds->tab[k] - 1];
		if (!strncmp(o, name, len) && !o[len])
			return (long)ds->tab[k] - 1;
	}
	if (len) {   /* a new directory is a name in its parent */
		const char *slash = memrchr(name, '/', len);
		long parent = dset_get(ds, name, slash ? (size_t)(slash - name) : 0);
		if (parent < 0)
			return -1;
		ds->children[parent]++;
		if (ds->n + 1 >= ds->cap && dset_grow(ds) < 0)
			return -1;
		k = bc_hash_bytes(name, len) & (ds->tcap - 1);
		while (ds->tab[k])
			k = (k + 1) & (ds->tcap - 1);
	}
	if (!(ds->name[ds->n] = bc_strndup(name, len)))
		return -1;
	ds->children[ds->n] = 0;
	ds->tab[k] = (uint32_t)++ds->n;
	return (long)ds->n - 1;
}

static void
dset_free(struct dset *ds)
{
	for (size_t i = 0; i < ds->n; i++)
		free(ds->name[i]);
	free(ds->name);
	free(ds->children);
	free(ds->tab);
}

/* Stat directory j of ds before listing it, then count its names: valid
 * when it holds exactly the names the manifest puts there (counted) and was
 * not changed within the racy window. A subdirectory the manifest does not
 * know (empty, or holding only new files) joins ds, so that a file created
 * in it later is seen. <0 only when out of memory. */
static int
stat_dir(int rootfd, const char *top, struct dset *ds, size_t j, struct snap_dir *sd)
{
	char rel[PATH_MAX];
	const char *sub = ds->name[j];
	int n = snprintf(rel, sizeof rel, sub[0] ? "%s/%s" : "%s", top, sub);
	int fd = n > 0 && (size_t)n < sizeof rel
		? openat(rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW) : -1;
	int64_t t0 = data_now_ns();
	struct stat st;
	memset(sd, 0, sizeof *sd);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	sd->dev = (int64_t)st.st_dev;
	sd->ino = (int64_t)st.st_ino;
	sd->mtime_ns = snap_tsns(&st.st_mtim);
	sd->ctime_ns = snap_tsns(&st.st_ctim);
	DIR *dh = fdopendir(fd);
	if (!dh) {
		close(fd);
		return 0;
	}
	uint32_t names = 0;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(dh))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names++;
		struct stat cst;
		int isdir = de->d_type == DT_DIR || (de->d_type == DT_UNKNOWN &&
			fstatat(dirfd(dh), de->d_name, &cst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(cst.st_mode));
		if (!isdir)
			continue;
		char *child = sub[0] ? bc_sprintf("%s/%s", sub, de->d_name) : bc_strdup(de->d_name);
		if (!child || dset_get(ds, child, strlen(child)) < 0)
			rc = -ENOMEM;
		free(child);
	}
	closedir(dh);
	sd->valid = names == ds->children[j] && sd->mtime_ns + SNAP_RACY_NS < t0 && sd->ctime_ns + SNAP_RACY_NS < t0;
	return rc;
}

/* Remove temp files of writers killed long ago (bc_write_file_atomic names
 * them NAME.tmp.XXXXXX). */
static void
sweep(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	int64_t old = data_now_ns() - 3600 * 1000000000LL;
	while (dh && (de = readdir(dh))) {
		struct stat st;
		if (strstr(de->d_name, ".tmp.") && fstatat(dirfd(dh), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				snap_tsns(&st.st_mtim) < old)
			unlinkat(dirfd(dh), de->d_name, 0);
	}
	if (dh)
		closedir(dh);
}

/* Where the objects of the CLEAN entries are: the cache directories' stats
 * first (so a change after them shows), then each object's presence. */
static void
fill_presence(bc_project *p, struct snap_head *h, struct snap_file *files)
{
	char *cd = cache_dir(p);
	int cfd = cd ? open(cd, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	free(cd);
	int64_t t0 = data_now_ns();
	h->fp_ok = cfd >= 0;
	if (cfd >= 0) {
		snap_fp_take(cfd, "packs", &h->packs, t0);
		for (int i = 0; i < 256; i++) {
			char sub[3];
			snprintf(sub, sizeof sub, "%02x", i);
			snap_fp_take(cfd, sub, &h->fan[i], t0);
		}
		close(cfd);
	}
	static const char zero[BC_DATA_HEX] =
		"0000000000000000000000000000000000000000000000000000000000000000";
	pack_find(p, zero, 1, NULL);   /* reload the pack indexes if they changed */
	for (uint32_t i = 0; i < h->nfiles; i++) {
		char hex[BC_DATA_HEX];
		if (files[i].state != SNAP_CLEAN)
			continue;
		data_hex(files[i].want, hex);
		files[i].present = (uint8_t)cache_has(p, hex, NULL);
	}
}

static int
cmp_file(const void *a, const void *b)
{
	const struct snap_file *x = a, *y = b;
	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Write the snapshot of directory pointer d from a full status: per manifest
 * entry i its lstat st[i], the content hash cur[i] and whether the stat cache
 * vouches for it (valid[i]). Best effort; <0 (message set) only when out of
 * memory. */
int
data_snap_write(bc_project *p, const data_ptr *d, const data_manifest *m, const struct stat *st,
	const char (*cur)[BC_DATA_HEX], const unsigned char *valid)
{
	if (sqlite3_db_readonly(bc_project_db(p), "main") || m->n > UINT32_MAX / 2)
		return 0;
	struct dset ds = { 0 };
	uint32_t *fdir = malloc((m->n + 1) * sizeof *fdir);
	int rc = fdir && dset_get(&ds, "", 0) == 0 ? 0 : -ENOMEM;
	size_t strsz = strlen(d->path) + 1, nmods = 0;
	for (size_t i = 0; rc == 0 && i < m->n; i++) {
		const char *path = m->v[i].path, *slash = strrchr(path, '/');
		long k = dset_get(&ds, path, slash ? (size_t)(slash - path) : 0);
		if (k < 0)
			rc = -ENOMEM;
		else
			ds.children[k]++, fdir[i] = (uint32_t)k;
		strsz += strlen(slash ? slash + 1 : path) + 1;
		nmods += valid[i] && strcmp(cur[i], m->v[i].hash);
	}
	/* the directories, with any the manifest does not know */
	int rootfd = open(bc_project_root(p), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct snap_dir *sdv = NULL;
	size_t sdcap = 0;
	for (size_t j = 0; rc == 0 && rootfd >= 0 && j < ds.n; j++) {
		if (j == sdcap) {
			sdcap = ds.cap;
			struct snap_dir *nv = realloc(sdv, sdcap * sizeof *nv);
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			sdv = nv;
		}
		rc = stat_dir(rootfd, d->path, &ds, j, &sdv[j]);
	}
	for (size_t k = 0; k < ds.n; k++)
		strsz += strlen(ds.name[k]) + 1;
	size_t nchunks = (m->n + SNAP_CHUNK - 1) / SNAP_CHUNK;
	size_t len = sizeof(struct snap_head) + nchunks * 8 + ds.n * sizeof(struct snap_dir) +
		m->n * sizeof(struct snap_file) + nmods * sizeof(struct snap_mod) + strsz;
	char *buf = rc == 0 && strsz < UINT32_MAX && rootfd >= 0 ? calloc(1, len) : NULL;
	if (!buf)
		goto done;
	struct snap_head *h = (struct snap_head *)(void *)buf;
	uint64_t *sums = (uint64_t *)(void *)(buf + sizeof *h);
	struct snap_dir *dirs = (struct snap_dir *)(void *)(sums + nchunks);
	struct snap_file *files = (struct snap_file *)(void *)(dirs + ds.n);
	struct snap_mod *mods = (struct snap_mod *)(void *)(files + m->n);
	char *s = (char *)(mods + nmods);
	size_t off = strlen(d->path) + 1, k = 0;
	memcpy(s, d->path, off);
	memcpy(h->magic, SNAP_MAGIC, 8);
	h->endian = 0x01020304u;
	h->nfiles = (uint32_t)m->n;
	h->ndirs = (uint32_t)ds.n;
	h->nmods = (uint32_t)nmods;
	h->strsz = (uint32_t)strsz;
	h->pathlen = (uint32_t)(off - 1);
	memcpy(h->manifest, d->hash, 64);
	for (size_t j = 0; j < ds.n; j++) {
		size_t l = strlen(ds.name[j]) + 1;
		memcpy(s + off, ds.name[j], l);
		dirs[j] = sdv[j];
		dirs[j].name = (uint32_t)off;
		off += l;
	}
	for (size_t i = 0; i < m->n; i++) {
		struct snap_file *e = &files[i];
		const char *path = m->v[i].path, *slash = strrchr(path, '/');
		const char *base = slash ? slash + 1 : path;
		size_t l = strlen(base) + 1;
		memcpy(s + off, base, l);
		e->name = (uint32_t)off;
		off += l;
		e->dir = fdir[i];
		e->midx = (uint32_t)i;
		if (data_unhex32(m->v[i].hash, e->want) < 0 || !valid[i])
			continue;   /* SNAP_BAD: the fast path gives up on it */
		if (strcmp(cur[i], m->v[i].hash)) {
			mods[k].idx = (uint32_t)i;
			if (data_unhex32(cur[i], mods[k++].cur) < 0)
				continue;
		}
		if (!S_ISREG(st[i].st_mode) || (int64_t)st[i].st_dev != dirs[e->dir].dev)
			continue;
		e->ino = (int64_t)st[i].st_ino;
		e->size = (int64_t)st[i].st_size;
		e->mtime_ns = snap_tsns(&st[i].st_mtim);
		e->ctime_ns = snap_tsns(&st[i].st_ctim);
		e->state = strcmp(cur[i], m->v[i].hash) ? SNAP_MODIFIED : SNAP_CLEAN;
	}
	fill_presence(p, h, files);
	/* stat in inode order within each directory: the kernel's inodes and
	 * dentries are then walked roughly in the order they were allocated */
	if (m->n > 1)
		qsort(files, m->n, sizeof *files, cmp_file);
	for (size_t c = 0; c < nchunks; c++) {
		size_t lo = c * SNAP_CHUNK, n = m->n - lo < SNAP_CHUNK ? m->n - lo : SNAP_CHUNK;
		sums[c] = snap_checksum(0, &files[lo], n * sizeof *files);
	}
	uint64_t sum = snap_checksum(0, h, sizeof *h);
	sum = snap_checksum(sum, sums, (size_t)((char *)files - (char *)sums));
	h->sum = snap_checksum(sum, mods, len - (size_t)((char *)mods - buf));
	char *dir = snap_path(p, d->path, 1), *path = snap_path(p, d->path, 0);
	if (dir && path && bc_mkdir_p(dir, 0755) == 0) {
		sweep(dir);
		/* a store that cannot remember is no error: the next status is slow */
		(void)bc_write_file_atomic(path, buf, len, 0644);
	}
	free(dir);
	free(path);
done:
	if (rootfd >= 0)
		close(rootfd);
	free(buf);
	free(fdir);
	free(sdv);
	dset_free(&ds);
	return rc < 0 ? bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory") : 0;
}
