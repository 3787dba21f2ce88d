/* SPDX-License-Identifier: MIT */
/*
 * Packs: when `data add` stores many small objects at once, they go back to
 * back into one append-only file `cache/packs/pack-ID.pack` instead of one
 * file each (as git packs objects): one create and one fsync for thousands of
 * objects. Each record is the 32-byte digest, an 8-byte little-endian length
 * and the bytes. `data add` appends whole chunks of records, written with
 * O_DIRECT where possible: then the first record starts at 4096 and each
 * chunk is zero-padded to a multiple of 4096 (readers go by the index, so
 * the padding is never read). A pack is invisible until its index `pack-ID.idx` (sorted
 * digest, offset, length; a SHA-256 of the index at the end) is written to a
 * temp name, synced and renamed into place after the pack itself was synced,
 * so a kill -9 mid-add leaves at worst a pack without index, which gc removes.
 * Readers load every index once into a hash table (one per process, reloaded
 * when the packs directory changes); dropping objects (gc, fsck quarantine)
 * rewrites an index, and gc rewrites packs without their dead records.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "data-internal.h"

#define PACK_MAGIC "BCPACK1\n"
#define IDX_MAGIC "BCIDX01\n"
#define IDX_ENT 48
#define KICK_BYTES (8u << 20)

struct pdb {
	char *dir;
	struct timespec mtime;
	char **packs;          /* "pack-ID" names */
	size_t npacks;
	struct pack_ent *v;
	size_t n;
	uint32_t *tab;         /* open addressing: entry index + 1 */
	size_t cap;
};

static pthread_mutex_t db_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pdb *db;

/* see data-internal.h */
int
data_unhex32(const char *hex, unsigned char md[32])
{
	for (int i = 0; i < 32; i++) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + k];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
			if (d < 0)
				return -1;
			v = v * 16 + d;
		}
		md[i] = (unsigned char)v;
	}
	return 0;
}

static void
put64(unsigned char *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get64(const unsigned char *b)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static int
cmp_pent(const void *a, const void *b)
{
	return memcmp(((const struct pack_ent *)a)->md, ((const struct pack_ent *)b)->md, 32);
}

static char *
packs_dir(bc_project *p)
{
	return bc_sprintf("%s/cache/packs", bc_project_dir(p));
}

int
pack_idx_read(const char *path, uint32_t pack, struct pack_ent **v, size_t *n, size_t *cap)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = data_read_whole(path, &buf, &len);
	if (rc < 0)
		return rc;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint64_t cnt = len >= 48 ? get64((unsigned char *)buf + 8) : 0;
	if (len < 48 || memcmp(buf, IDX_MAGIC, 8) || cnt > (len - 48) / IDX_ENT ||
			len != 16 + cnt * IDX_ENT + 32 ||
			!EVP_Digest(buf, len - 32, md, &mdlen, EVP_sha256(), NULL) ||
			memcmp(md, buf + len - 32, 32)) {
		free(buf);
		return -EINVAL;
	}
	if (*n + cnt > *cap) {
		size_t nc = (*n + cnt) * 2 + 64;
		struct pack_ent *nv = realloc(*v, nc * sizeof *nv);
		if (!nv) {
			free(buf);
			return -ENOMEM;
		}
		*v = nv;
		*cap = nc;
	}
	const unsigned char *e = (unsigned char *)buf + 16;
	for (uint64_t i = 0; i < cnt; i++, e += IDX_ENT) {
		struct pack_ent *x = &(*v)[(*n)++];
		memcpy(x->md, e, 32);
		x->pack = pack;
		x->off = get64(e + 32);
		x->len = get64(e + 40);
	}
	free(buf);
	return 0;
}

static void
db_free(struct pdb *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->npacks; i++)
		free(d->packs[i]);
	free(d->packs);
	free(d->v);
	free(d->tab);
	free(d->dir);
	free(d);
}

static size_t
home(const unsigned char md[32], size_t cap)
{
	uint64_t h;
	memcpy(&h, md, 8);
	return (size_t)h & (cap - 1);
}

static struct pack_ent *
db_lookup(struct pdb *d, const unsigned char md[32])
{
	if (!d->cap)
		return NULL;
	for (size_t i = home(md, d->cap); d->tab[i]; i = (i + 1) & (d->cap - 1))
		if (!memcmp(d->v[d->tab[i] - 1].md, md, 32))
			return &d->v[d->tab[i] - 1];
	return NULL;
}

static struct pdb *
db_load(const char *dir)
{
	struct pdb *d = calloc(1, sizeof *d);
	if (!d || !(d->dir = bc_strdup(dir))) {
		free(d);
		return NULL;
	}
	struct stat st;
	if (stat(dir, &st) == 0)
		d->mtime = st.st_mtim;
	DIR *dh = opendir(dir);
	struct dirent *de;
	size_t cap = 0, pcap = 0;
	while (dh && (de = readdir(dh))) {
		size_t l = strlen(de->d_name);
		if (l < 10 || strncmp(de->d_name, "pack-", 5) || strcmp(de->d_name + l - 4, ".idx"))
			continue;
		if (d->npacks == pcap) {
			pcap = pcap ? pcap * 2 : 16;
			char **np = realloc(d->packs, pcap * sizeof *np);
			if (!np)
				break;
			d->packs = np;
		}
		char *path = bc_path_join(dir, de->d_name);
		if (path && pack_idx_read(path, (uint32_t)d->npacks, &d->v, &d->n, &cap) == 0)
			d->packs[d->npacks++] = bc_strndup(de->d_name, l - 4);
		free(path);
	}
	if (dh)
		closedir(dh);
	size_t tc = 16;
	while (tc < d->n * 2 + 2)
		tc *= 2;
	if ((d->tab = calloc(tc, sizeof *d->tab)) != NULL) {
		d->cap = tc;
		for (size_t i = 0; i < d->n; i++) {
			if (db_lookup(d, d->v[i].md))
				continue;   /* the same object in two packs: either copy does */
			size_t k = home(d->v[i].md, tc);
			while (d->tab[k])
				k = (k + 1) & (tc - 1);
			d->tab[k] = (uint32_t)i + 1;
		}
	}
	return d;
}

/* The table for p's cache (db_mu held); reload when the directory changed
 * and `check` asks for it. */
static struct pdb *
db_get(bc_project *p, int check)
{
	const char *pd = bc_project_dir(p);
	size_t pl = strlen(pd);
	/* db->dir is PROJECT_DIR/cache/packs: compare without building it */
	int same = db && !strncmp(db->dir, pd, pl) && !strcmp(db->dir + pl, "/cache/packs");
	if (same && check) {
		struct stat st;
		struct timespec m = { 0, 0 };
		if (stat(db->dir, &st) == 0)
			m = st.st_mtim;
		if (m.tv_sec != db->mtime.tv_sec || m.tv_nsec != db->mtime.tv_nsec)
			same = 0;
	}
	if (!same) {
		char *dir = packs_dir(p);
		db_free(db);
		db = dir ? db_load(dir) : NULL;
		free(dir);
	}
	return db;
}

void
pack_invalidate(void)
{
	pthread_mutex_lock(&db_mu);
	db_free(db);
	db = NULL;
	pthread_mutex_unlock(&db_mu);
}

/* Where a packed object is: its pack's path (malloc'd), offset, length. */
static int
locate(bc_project *p, const char *hex, int check, char **path, uint64_t *off, uint64_t *len)
{
	unsigned char md[32];
	if (data_unhex32(hex, md) < 0)
		return 0;
	pthread_mutex_lock(&db_mu);
	struct pdb *d = db_get(p, check);
	struct pack_ent *e = d ? db_lookup(d, md) : NULL;
	if (e) {
		*off = e->off;
		*len = e->len;
		if (path)
			*path = bc_sprintf("%s/%s.pack", d->dir, d->packs[e->pack]);
	}
	pthread_mutex_unlock(&db_mu);
	return e != NULL;
}

int
pack_find(bc_project *p, const char *hex, int check, int64_t *size)
{
	uint64_t off, len;
	int found = locate(p, hex, check, NULL, &off, &len);
	if (found && size)
		*size = (int64_t)len;
	return found;
}

int
pack_read(bc_project *p, const char *hex, char **out, size_t *outlen)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		char *path = NULL;
		uint64_t off, len;
		if (!locate(p, hex, attempt, &path, &off, &len))
			continue;
		int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
		int e = errno;
		free(path);
		if (fd < 0) {
			if (e == ENOENT)
				continue;   /* rewritten by a gc: look again */
			return -e;
		}
		char *buf = malloc(len ? len : 1);
		ssize_t got = buf ? pread(fd, buf, len, (off_t)off) : -1;
		e = errno;
		close(fd);
		if (got != (ssize_t)len) {
			free(buf);
			return got < 0 ? -e : -EIO;
		}
		*out = buf;
		*outlen = len;
		return 0;
	}
	return BC_ENOTFOUND;
}

/* ---- writing ---- */

struct pack_writer {
	char *dir, *name;
	int fd;
	int dfd;               /* the same file opened O_DIRECT, or -1 */
	pthread_mutex_t mu;
	uint64_t end, kicked;
	struct pack_ent *v;
	size_t n, cap;
};

int
pack_writer_open(bc_project *p, pack_writer **out, char *err, size_t errsz)
{
	static unsigned long counter;
	pack_writer *w = calloc(1, sizeof *w);
	if (!w || !(w->dir = packs_dir(p))) {
		free(w);
		return -ENOMEM;
	}
	bc_mkdir_p(w->dir, 0755);
	w->fd = w->dfd = -1;
	for (int attempt = 0; attempt < 100 && w->fd < 0; attempt++) {
		unsigned long c = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
		free(w->name);
		w->name = bc_sprintf("pack-%016llx-%ld-%lu", (unsigned long long)data_now_ns(),
			(long)getpid(), c);
		char *path = bc_sprintf("%s/%s.pack", w->dir, w->name);
		w->fd = path ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444) : -1;
		free(path);
		if (w->fd < 0 && errno != EEXIST)
			break;
	}
	if (w->fd < 0 || write(w->fd, PACK_MAGIC, 8) != 8) {
		int e = errno;
		snprintf(err, errsz, "cannot create a pack in %s: %s%s", w->dir, strerror(e),
			e == ENOSPC || e == EDQUOT ? " (disk full)" : "");
		pack_writer_abort(w);
		return -e;
	}
	w->end = 8;
	pthread_mutex_init(&w->mu, NULL);
	*out = w;
	return 0;
}

size_t
pack_writer_direct(pack_writer *w)
{
#ifdef O_DIRECT
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", w->fd);
	void *b0 = NULL;
	if (w->n || posix_memalign(&b0, PACK_ALIGN, PACK_ALIGN) != 0)
		return 1;
	/* block 0: the magic, then zeros up to the first chunk */
	memset(b0, 0, PACK_ALIGN);
	memcpy(b0, PACK_MAGIC, 8);
	int fd = open(proc, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd >= 0 && pwrite(fd, b0, PACK_ALIGN, 0) != PACK_ALIGN) {
		close(fd);   /* no direct I/O here (tmpfs, some FUSE): buffered */
		fd = -1;
	}
	free(b0);
	if (fd < 0)
		return 1;
	w->dfd = fd;
	w->end = w->kicked = PACK_ALIGN;
	return PACK_ALIGN;
#else
	(void)w;
	return 1;
#endif
}

/* Reserve len bytes at the end of the pack for records e[0..ne) (offsets
 * relative to the reservation) and write iov there. Buffered writes start
 * the writeback of each 8 MiB window once those below it are likely done,
 * so the final fsync has little left to do; direct writes need none. */
static int
append(pack_writer *w, const struct iovec *iov, int iovcnt, size_t len,
	const struct pack_ent *e, size_t ne)
{
	pthread_mutex_lock(&w->mu);
	if (w->n + ne > w->cap) {
		size_t nc = w->cap ? w->cap * 2 : 1024;
		while (nc < w->n + ne)
			nc *= 2;
		struct pack_ent *nv = realloc(w->v, nc * sizeof *nv);
		if (!nv) {
			pthread_mutex_unlock(&w->mu);
			return -ENOMEM;
		}
		w->v = nv;
		w->cap = nc;
	}
	uint64_t off = w->end;
	w->end += len;
	for (size_t i = 0; i < ne; i++) {
		w->v[w->n] = e[i];
		w->v[w->n++].off += off;
	}
	uint64_t from = w->kicked, to = off > 2 * KICK_BYTES ? (off - KICK_BYTES) / KICK_BYTES * KICK_BYTES : 0;
	if (w->dfd < 0 && to > from)
		w->kicked = to;
	pthread_mutex_unlock(&w->mu);
	ssize_t n = pwritev(w->dfd >= 0 ? w->dfd : w->fd, iov, iovcnt, (off_t)off);
	if (n != (ssize_t)len)
		return n < 0 ? -errno : -ENOSPC;
#ifdef SYNC_FILE_RANGE_WRITE
	if (w->dfd < 0 && to > from)
		sync_file_range(w->fd, (off_t)from, (off_t)(to - from), SYNC_FILE_RANGE_WRITE);
#endif
	return 0;
}

int
pack_writer_add(pack_writer *w, const char *hex, const void *data, size_t len)
{
	struct pack_ent e = { .off = PACK_REC_HEAD, .len = len };
	unsigned char head[PACK_REC_HEAD];
	if (w->dfd >= 0 || data_unhex32(hex, e.md) < 0)
		return -EINVAL;
	pack_rec_head(head, e.md, len);
	struct iovec iov[2] = { { head, PACK_REC_HEAD }, { (void *)(uintptr_t)data, len } };
	return append(w, iov, 2, PACK_REC_HEAD + len, &e, 1);
}

int
pack_writer_chunk(pack_writer *w, const void *buf, size_t len, const struct pack_ent *e, size_t n)
{
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	return len ? append(w, &iov, 1, len, e, n) : 0;
}

void
pack_rec_head(unsigned char head[PACK_REC_HEAD], const unsigned char md[32], uint64_t len)
{
	memcpy(head, md, 32);
	put64(head + 32, len);
}

int
pack_idx_write(const char *dir, const char *name, struct pack_ent *v, size_t n)
{
	size_t len = 16 + n * IDX_ENT + 32;
	unsigned char *buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, IDX_MAGIC, 8);
	put64(buf + 8, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char *e = buf + 16 + i * IDX_ENT;
		memcpy(e, v[i].md, 32);
		put64(e + 32, v[i].off);
		put64(e + 40, v[i].len);
	}
	unsigned int mdlen = 0;
	EVP_Digest(buf, len - 32, buf + len - 32, &mdlen, EVP_sha256(), NULL);
	static unsigned long counter;
	unsigned long c = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	/* a name of its own: two processes may rewrite the same index */
	char *tmp = bc_sprintf("%s/%s.idx.%ld-%lu.tmp", dir, name, (long)getpid(), c);
	char *fin = bc_sprintf("%s/%s.idx", dir, name);
	int rc = -ENOMEM;
	if (tmp && fin) {
		unlink(tmp);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
		rc = fd < 0 ? -errno : 0;
		if (!rc && write(fd, buf, len) != (ssize_t)len)
			rc = errno ? -errno : -ENOSPC;
		if (!rc && fsync(fd) < 0)
			rc = -errno;
		if (fd >= 0 && close(fd) < 0 && !rc)
			rc = -errno;
		if (!rc && rename(tmp, fin) < 0)
			rc = -errno;
		if (rc)
			unlink(tmp);
		else
			bc_fsync_dir(dir);
	}
	free(tmp);
	free(fin);
	free(buf);
	return rc;
}

int
pack_writer_commit(pack_writer *w, char *err, size_t errsz)
{
	int rc = 0;
	if (!w->n) {
		pack_writer_abort(w);
		return 0;
	}
	if (w->dfd >= 0)
		close(w->dfd);   /* its writes are done; the fsync below makes them durable */
	w->dfd = -1;
	if (fsync(w->fd) < 0) {
		rc = -errno;
		snprintf(err, errsz, "cannot sync pack %s: %s", w->name, strerror(-rc));
	}
	if (!rc) {
		qsort(w->v, w->n, sizeof *w->v, cmp_pent);
		size_t k = 0;
		for (size_t i = 0; i < w->n; i++)
			if (!k || memcmp(w->v[k - 1].md, w->v[i].md, 32))
				w->v[k++] = w->v[i];
		if ((rc = pack_idx_write(w->dir, w->name, w->v, k)) < 0)
			snprintf(err, errsz, "cannot write the index of pack %s: %s%s", w->name,
				strerror(-rc), rc == -ENOSPC ? " (disk full)" : "");
	}
	if (rc) {
		pack_writer_abort(w);
		return rc;
	}
	close(w->fd);
	w->fd = -1;
	pack_writer_abort(w);   /* frees; the pack is no longer removed (fd closed) */
	pack_invalidate();
	return 0;
}

void
pack_writer_abort(pack_writer *w)
{
	if (!w)
		return;
	if (w->dfd >= 0)
		close(w->dfd);
	if (w->fd >= 0) {
		close(w->fd);
		char *path = bc_sprintf("%s/%s.pack", w->dir, w->name);
		if (path)
			unlink(path);
		free(path);
	}
	if (w->end)
		pthread_mutex_destroy(&w->mu);
	free(w->v);
	free(w->dir);
	free(w->name);
	free(w);
}

/* ---- listing and dropping ---- */

int
pack_each(bc_project *p, int (*fn)(const char *hex, int64_t size, void *arg), void *arg)
{
	pthread_mutex_lock(&db_mu);
	struct pdb *d = db_get(p, 1);
	size_t n = d ? d->n : 0, k = 0;
	struct pack_ent *v = n ? malloc(n * sizeof *v) : NULL;
	for (size_t i = 0; v && i < n; i++)
		if (db_lookup(d, d->v[i].md) == &d->v[i])   /* each object once */
			v[k++] = d->v[i];
	pthread_mutex_unlock(&db_mu);
	if (n && !v)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < k && rc == 0; i++) {
		char hex[BC_DATA_HEX];
		data_hex(v[i].md, hex);
		rc = fn(hex, (int64_t)v[i].len, arg);
	}
	free(v);
	return rc;
}
