/* SPDX-License-Identifier: MIT */
/*
 * Status snapshots: the fast path of `data status` for a tracked directory.
 *
 * A snapshot `.bancada/tmp/stat/<sha256 of the directory's path>` is derived
 * state (not committed, like tmp/git-clean): what one full status learned
 * about a tracked directory. It holds the entries of the manifest (name,
 * hash; stored by directory, then inode, the order that is cheapest to stat)
 * each with the stat of the workspace file and the hash of its content as
 * the stat cache vouched for it (not racy); every directory with its stat and
 * whether, when that stat was taken, it held exactly the names the manifest
 * puts there; and the stats of the cache's directories with, per object,
 * whether it was present. It is keyed by the manifest hash: a new pointer
 * makes it stale.
 *
 * The next status then needs no manifest parse, no stat cache load and no
 * listing: one lstat per directory (unchanged mtime and ctime: no name was
 * added or removed) and one per file (split across cores, as a stat walk).
 * Any difference (a stat that moved, a directory that changed, an entry the
 * snapshot could not vouch for) sends the caller to the full path, which
 * rewrites the snapshot. Snapshots are written whole (temp, fsync, rename),
 * checked (size, magic, a 64-bit checksum) on load, and only ever hold
 * claims that were true when made, so concurrent writers are harmless: the
 * last rename wins and every claim in it is checked against the workspace.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>
#include "data-snap.h"

/* See data-snap.h. */
uint64_t
snap_checksum(uint64_t h, const void *data, size_t len)
{
	const unsigned char *b = data;
	uint64_t w;
	size_t i = 0;
	h ^= 0x243f6a8885a308d3ULL ^ len;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h ^ (h >> 32);
}
/* See data-snap.h. */
int64_t
snap_tsns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}
/* .bancada/tmp/stat/<sha256 of rel> (malloc'd); the directory when `dir_only`. */
char *
snap_path(bc_project *p, const char *rel, int dir_only)
{
	char hex[BC_DATA_HEX];
	if (dir_only)
		return bc_sprintf("%s/tmp/stat", bc_project_dir(p));
	if (data_hash_buf(rel, strlen(rel), hex) < 0)
		return NULL;
	return bc_sprintf("%s/tmp/stat/%s", bc_project_dir(p), hex);
}

/* See data-snap.h. */
void
snap_fp_take(int cfd, const char *name, struct snap_fp *fp, int64_t t0)
{
	struct stat st;
	memset(fp, 0, sizeof *fp);
	if (fstatat(cfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;   /* absent: all zero */
	fp->ino = (int64_t)st.st_ino;
	fp->mtime_ns = snap_tsns(&st.st_mtim);
	fp->ctime_ns = snap_tsns(&st.st_ctim);
	if (t0 && (fp->mtime_ns + SNAP_RACY_NS >= t0 || fp->ctime_ns + SNAP_RACY_NS >= t0))
		fp->ino = -1;
}

/* Do the cache directories still look as in h (257 lstats, no object)? */
static int
fp_same(bc_project *p, const struct snap_head *h)
{
	char *cd = cache_dir(p);
	int cfd = cd ? open(cd, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	free(cd);
	int same = cfd >= 0 && h->fp_ok;
	struct snap_fp fp;
	if (same) {
		snap_fp_take(cfd, "packs", &fp, 0);
		same = !memcmp(&fp, &h->packs, sizeof fp);
	}
	for (int i = 0; same && i < 256; i++) {
		char sub[3];
		snprintf(sub, sizeof sub, "%02x", i);
		snap_fp_take(cfd, sub, &fp, 0);
		same = !memcmp(&fp, &h->fan[i], sizeof fp);
	}
	if (cfd >= 0)
		close(cfd);
	return same;
}

/* ---- loading and checking ---- */

struct snap {
	void *map;
	size_t len;
	const struct snap_head *h;
	const uint64_t *sums;
	const struct snap_dir *dirs;
	const struct snap_file *files;
	const struct snap_mod *mods;
	const char *str;
	size_t nchunks;
};

static void
snap_unmap(struct snap *s)
{
	if (s->map)
		munmap(s->map, s->len);
	s->map = NULL;
}

static int
snap_load(bc_project *p, const data_ptr *d, struct snap *s)
{
	memset(s, 0, sizeof *s);
	char *path = snap_path(p, d->path, 0);
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	free(path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof *s->h) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	s->len = (size_t)st.st_size;
	s->map = mmap(NULL, s->len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (s->map == MAP_FAILED) {
		s->map = NULL;
		return -1;
	}
	const struct snap_head *h = s->h = s->map;
	const char *b = s->map;
	size_t pl = strlen(d->path);
	s->nchunks = ((size_t)h->nfiles + SNAP_CHUNK - 1) / SNAP_CHUNK;
	uint64_t want = sizeof *h + s->nchunks * 8 + (uint64_t)h->ndirs * sizeof *s->dirs +
		(uint64_t)h->nfiles * sizeof *s->files + (uint64_t)h->nmods * sizeof *s->mods + h->strsz;
	if (memcmp(h->magic, SNAP_MAGIC, 8) || h->endian != 0x01020304u || want != s->len ||
			memcmp(h->manifest, d->hash, 64) || h->pathlen != pl || h->strsz < pl + 1 ||
			h->ndirs == 0 || h->nmods > h->nfiles)
		return -1;
	s->sums = (const uint64_t *)(const void *)(b + sizeof *h);
	s->dirs = (const struct snap_dir *)(const void *)(s->sums + s->nchunks);
	s->files = (const struct snap_file *)(const void *)(s->dirs + h->ndirs);
	s->mods = (const struct snap_mod *)(const void *)(s->files + h->nfiles);
	s->str = (const char *)(s->mods + h->nmods);
	struct snap_head h0 = *h;
	h0.sum = 0;
	uint64_t sum = snap_checksum(0, &h0, sizeof h0);
	sum = snap_checksum(sum, s->sums, (size_t)((const char *)s->files - (const char *)s->sums));
	sum = snap_checksum(sum, s->mods, s->len - (size_t)((const char *)s->mods - b));
	if (sum != h->sum || s->str[h->strsz - 1] || memcmp(s->str, d->path, pl + 1))
		return -1;
	for (uint32_t i = 0; i < h->ndirs; i++)
		if (s->dirs[i].name >= h->strsz)
			return -1;
	for (uint32_t i = 0; i < h->nmods; i++)
		if (s->mods[i].idx >= h->nfiles || (i && s->mods[i].idx <= s->mods[i - 1].idx))
			return -1;
	return 0;
}

/* ---- the fast path ---- */

struct fast {
	struct snap *s;
	int rootfd;
	atomic_size_t next;
	atomic_int fail;
};

/* "tracked[/sub]" into buf; 0, or -1 when it does not fit. */
static int
dir_rel(const struct snap *s, uint32_t k, char *buf, size_t size)
{
	const char *sub = s->str + s->dirs[k].name;
	int n = snprintf(buf, size, sub[0] ? "%s/%s" : "%s", s->str, sub);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Check one chunk of files: its checksum, then one lstat each. */
static void
fast_chunk(struct fast *f, size_t c)
{
	const struct snap *s = f->s;
	size_t lo = c * SNAP_CHUNK, hi = lo + SNAP_CHUNK;
	if (hi > s->h->nfiles)
		hi = s->h->nfiles;
	if (snap_checksum(0, &s->files[lo], (hi - lo) * sizeof *s->files) != s->sums[c]) {
		atomic_store(&f->fail, 1);
		return;
	}
	int dfd = -1;
	uint32_t cur = UINT32_MAX;
	char rel[PATH_MAX];
	for (size_t i = lo; i < hi && !atomic_load_explicit(&f->fail, memory_order_relaxed); i++) {
		const struct snap_file *e = &s->files[i];
		struct stat st;
		if (e->dir >= s->h->ndirs || e->name >= s->h->strsz || e->state == SNAP_BAD) {
			atomic_store(&f->fail, 1);
			break;
		}
		if (e->dir != cur) {
			if (dfd >= 0)
				close(dfd);
			cur = e->dir;
			dfd = dir_rel(s, cur, rel, sizeof rel) < 0 ? -1
				: openat(f->rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		}
		if (dfd < 0 || fstatat(dfd, s->str + e->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
				!S_ISREG(st.st_mode) || (int64_t)st.st_dev != s->dirs[cur].dev ||
				(int64_t)st.st_ino != e->ino || (int64_t)st.st_size != e->size ||
				snap_tsns(&st.st_mtim) != e->mtime_ns || snap_tsns(&st.st_ctim) != e->ctime_ns)
			atomic_store(&f->fail, 1);
	}
	if (dfd >= 0)
		close(dfd);
}

static void *
fast_main(void *arg)
{
	struct fast *f = arg;
	size_t c;
	while (!atomic_load(&f->fail) && (c = atomic_fetch_add(&f->next, 1)) < f->s->nchunks)
		fast_chunk(f, c);
	return NULL;
}

static const unsigned char *
mod_cur(const struct snap *s, uint32_t idx)
{
	size_t lo = 0, hi = s->h->nmods;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->mods[mid].idx == idx)
			return s->mods[mid].cur;
		if (s->mods[mid].idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Items for the files that are not clean, in manifest order. */
static int
fast_report(bc_project *p, const data_ptr *d, const struct snap *s, const unsigned char *missing,
	bc_data_list *out)
{
	/* (manifest index, position) pairs of the files to report */
	uint32_t (*v)[2] = NULL;
	size_t n = 0, cap = 0;
	for (uint32_t i = 0; i < s->h->nfiles; i++) {
		if (s->files[i].state == SNAP_CLEAN && !missing[i])
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			void *nv = realloc(v, cap * sizeof *v);
			if (!nv) {
				free(v);
				return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
			}
			v = nv;
		}
		v[n][0] = s->files[i].midx;
		v[n++][1] = i;
	}
	if (n > 1)
		qsort(v, n, sizeof *v, cmp_u32);
	int rc = 0;
	for (size_t j = 0; rc == 0 && j < n; j++) {
		const struct snap_file *e = &s->files[v[j][1]];
		const unsigned char *cur = e->state == SNAP_MODIFIED ? mod_cur(s, e->midx) : NULL;
		const char *sub = s->str + s->dirs[e->dir].name;
		char *inner = sub[0] ? bc_sprintf("%s/%s", sub, s->str + e->name) : bc_strdup(s->str + e->name);
		if (!inner || data_list_push(out, d->path, inner, e->state == SNAP_CLEAN ? BC_DATA_NOT_CACHED
				: BC_DATA_MODIFIED) < 0) {
			rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
		} else {
			bc_data_item *it = &out->v[out->n - 1];
			it->size = e->size;
			data_hex(cur ? cur : e->want, it->hash);
			data_hex(e->want, it->old_hash);
		}
		free(inner);
	}
	free(v);
	if (rc == 0)
		out->files_checked += s->h->nfiles;
	return rc;
}

/* Status of directory pointer d from its snapshot: 1 done (items pushed to
 * out), 0 take the full path (nothing pushed), <0 error (message set). */
int
data_snap_status(bc_project *p, const data_ptr *d, cache_view *cv, bc_data_list *out)
{
	struct snap s;
	if (snap_load(p, d, &s) < 0) {
		snap_unmap(&s);
		return 0;
	}
	struct fast f = { .s = &s, .rootfd = open(bc_project_root(p), O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
	atomic_init(&f.next, 0);
	atomic_init(&f.fail, f.rootfd < 0);
	/* directories first: an unchanged one holds exactly the manifest's names */
	char rel[PATH_MAX];
	for (uint32_t k = 0; k < s.h->ndirs && !atomic_load(&f.fail); k++) {
		const struct snap_dir *sd = &s.dirs[k];
		struct stat st;
		if (!sd->valid || dir_rel(&s, k, rel, sizeof rel) < 0 ||
				fstatat(f.rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
				(int64_t)st.st_dev != sd->dev || (int64_t)st.st_ino != sd->ino ||
				snap_tsns(&st.st_mtim) != sd->mtime_ns || snap_tsns(&st.st_ctim) != sd->ctime_ns)
			atomic_store(&f.fail, 1);
	}
	/* files: workers stat while this thread makes sure the cache holds the
	 * objects (unchanged cache directories: as recorded), then joins them */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int nth = s.nchunks > 1 && !atomic_load(&f.fail) ? (int)(cpus > 1 ? (cpus < 8 ? cpus : 8) : 1) : 0;
	pthread_t th[8];
	int started = 0;
	for (int t = 0; t < nth; t++)
		if (pthread_create(&th[started], NULL, fast_main, &f) == 0)
			started++;
	unsigned char *missing = calloc(s.h->nfiles + 1, 1);
	if (!missing)
		atomic_store(&f.fail, 1);
	int fp = !atomic_load(&f.fail) && fp_same(p, s.h);
	for (uint32_t i = 0; i < s.h->nfiles && !atomic_load_explicit(&f.fail, memory_order_relaxed); i++) {
		if (s.files[i].state != SNAP_CLEAN)
			continue;
		if (fp) {
			missing[i] = !s.files[i].present;
			continue;
		}
		char hex[BC_DATA_HEX];
		data_hex(s.files[i].want, hex);
		missing[i] = !cache_view_has(cv, hex) && !cache_has(p, hex, NULL);
	}
	fast_main(&f);
	for (int t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	if (f.rootfd >= 0)
		close(f.rootfd);
	int rc = atomic_load(&f.fail) ? 0 : fast_report(p, d, &s, missing, out);
	free(missing);
	snap_unmap(&s);
	return rc < 0 ? rc : !atomic_load(&f.fail);
}
