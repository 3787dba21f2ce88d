/* SPDX-License-Identifier: MIT */
/*
 * The stat cache: (dev, inode, size, mtime ns, ctime ns) -> SHA-256 for every
 * data file bancada has hashed, like git's index. `status` and `add` read a
 * file only when its stat changed. Entries live in the store table data_stat
 * and are loaded at once into a hash table. An entry whose mtime is not
 * clearly older than the moment hashing started is "racy" (the file may have
 * changed within the same timestamp tick) and is re-hashed once, as git does.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "data-internal.h"

#define RACY_NS (20 * 1000000LL)

struct sentry {
	char *path;
	uint64_t h;          /* hash of path */
	int64_t dev, ino, size, mtime_ns, ctime_ns, recorded_ns;
	char hash[BC_DATA_HEX];
	int dirty;
};

struct data_stat {
	struct sentry *v;    /* dense: entries in load/insert order */
	size_t n, vcap;
	uint32_t *tab;       /* open addressing: index into v, plus one */
	size_t cap;          /* a power of two */
	pthread_mutex_t mu;
};

int64_t
data_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t
fnv(const char *s)
{
	uint64_t h = bc_hash_bytes(s, strlen(s));
	/* FNV's low bits mix poorly (paths differ at their end): finish them */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint32_t *
find(data_stat *sc, const char *path, uint64_t h)
{
	size_t i = (size_t)h & (sc->cap - 1);
	while (sc->tab[i]) {
		const struct sentry *e = &sc->v[sc->tab[i] - 1];
		if (e->h == h && !strcmp(e->path, path))
			break;
		i = (i + 1) & (sc->cap - 1);
	}
	return &sc->tab[i];
}

/* Make room for `want` entries (a 4-byte slot table, rebuilt when it would
 * be 3/4 full; entries stay dense, so a big cache touches little memory). */
static int
reserve(data_stat *sc, size_t want)
{
	if (want > sc->vcap) {
		size_t nc = sc->vcap ? sc->vcap : 1024;
		while (nc < want)
			nc *= 2;
		struct sentry *nv = realloc(sc->v, nc * sizeof *nv);
		if (!nv)
			return -ENOMEM;
		sc->v = nv;
		sc->vcap = nc;
	}
	if (sc->cap && want * 4 < sc->cap * 3)
		return 0;
	size_t nc = sc->cap ? sc->cap : 1024;
	while (want * 4 >= nc * 3)
		nc *= 2;
	uint32_t *nt = calloc(nc, sizeof *nt);
	if (!nt)
		return -ENOMEM;
	free(sc->tab);
	sc->tab = nt;
	sc->cap = nc;
	for (size_t i = 0; i < sc->n; i++) {
		size_t k = (size_t)sc->v[i].h & (nc - 1);
		while (nt[k])
			k = (k + 1) & (nc - 1);
		nt[k] = (uint32_t)i + 1;
	}
	return 0;
}

static struct sentry *
lookup(data_stat *sc, const char *path)
{
	uint32_t *t = find(sc, path, fnv(path));
	return *t ? &sc->v[*t - 1] : NULL;
}

/* The entry of path, added when missing; NULL when out of memory. */
static struct sentry *
insert(data_stat *sc, const char *path)
{
	uint64_t h = fnv(path);
	uint32_t *t = find(sc, path, h);
	if (*t)
		return &sc->v[*t - 1];
	if (reserve(sc, sc->n + 1) < 0)
		return NULL;
	t = find(sc, path, h);   /* the table may have been rebuilt */
	struct sentry *e = &sc->v[sc->n];
	memset(e, 0, sizeof *e);
	if (!(e->path = bc_strdup(path)))
		return NULL;
	e->h = h;
	*t = (uint32_t)++sc->n;
	return e;
}

int
data_stat_load(bc_project *p, data_stat **out)
{
	data_stat *sc = calloc(1, sizeof *sc);
	if (!sc || reserve(sc, 1) < 0) {
		free(sc);
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	}
	pthread_mutex_init(&sc->mu, NULL);
	*out = sc;
	sqlite3_stmt *st;
	/* size the table once (no rehash while loading 100k entries) */
	if (bc_prepare(p, &st, "SELECT count(*) FROM data_stat") == 0) {
		int64_t rows = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_finalize(st);
		if (rows > 0 && reserve(sc, (size_t)rows + 1) < 0)
			bc_error_clear(p);
	} else {
		bc_error_clear(p);
	}
	if (bc_prepare(p, &st, "SELECT path, dev, ino, size, mtime_ns, ctime_ns, hash, recorded_ns"
			" FROM data_stat") < 0)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(st, 0);
		const char *hash = (const char *)sqlite3_column_text(st, 6);
		struct sentry *e = path && hash ? insert(sc, path) : NULL;
		if (!e)
			continue;
		e->dev = sqlite3_column_int64(st, 1);
		e->ino = sqlite3_column_int64(st, 2);
		e->size = sqlite3_column_int64(st, 3);
		e->mtime_ns = sqlite3_column_int64(st, 4);
		e->ctime_ns = sqlite3_column_int64(st, 5);
		snprintf(e->hash, sizeof e->hash, "%s", hash);
		e->recorded_ns = sqlite3_column_int64(st, 7);
		e->dirty = 0;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : bc_db_error(p, "cannot read the data stat cache");
}

static int64_t
ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

int
data_stat_lookup(data_stat *sc, const char *rel, const struct stat *st, char hex[BC_DATA_HEX])
{
	pthread_mutex_lock(&sc->mu);
	struct sentry *e = lookup(sc, rel);
	int hit = e && e->dev == (int64_t)st->st_dev && e->ino == (int64_t)st->st_ino &&
		e->size == (int64_t)st->st_size && e->mtime_ns == ns(&st->st_mtim) &&
		e->ctime_ns == ns(&st->st_ctim) && e->mtime_ns + RACY_NS < e->recorded_ns &&
		e->ctime_ns + RACY_NS < e->recorded_ns;
	if (hit)
		memcpy(hex, e->hash, BC_DATA_HEX);
	pthread_mutex_unlock(&sc->mu);
	return hit;
}

void
data_stat_put(data_stat *sc, const char *rel, const struct stat *st, const char *hex,
	int64_t recorded_ns)
{
	pthread_mutex_lock(&sc->mu);
	struct sentry *e = insert(sc, rel);
	if (e) {
		e->dev = (int64_t)st->st_dev;
		e->ino = (int64_t)st->st_ino;
		e->size = (int64_t)st->st_size;
		e->mtime_ns = ns(&st->st_mtim);
		e->ctime_ns = ns(&st->st_ctim);
		e->recorded_ns = recorded_ns;
		snprintf(e->hash, sizeof e->hash, "%s", hex);
		e->dirty = 1;
	}
	pthread_mutex_unlock(&sc->mu);
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp((*(struct sentry *const *)a)->path, (*(struct sentry *const *)b)->path);
}

int
data_stat_save(bc_project *p, data_stat *sc)
{
	size_t dirty = 0;
	for (size_t i = 0; i < sc->n; i++)
		dirty += sc->v[i].dirty;
	if (!dirty || sqlite3_db_readonly(bc_project_db(p), "main"))
		return 0;
	/* in path order, so the table's pages are each written once */
	struct sentry **order = malloc(dirty * sizeof *order);
	if (!order)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < sc->n; i++)
		if (sc->v[i].dirty)
			order[k++] = &sc->v[i];
	qsort(order, k, sizeof *order, cmp_entry);
	if (bc_tx_begin(p) < 0) {
		free(order);
		return -1;
	}
	/* a large transaction must not spill pages to the WAL one by one */
	int64_t old_cache = 0;
	sqlite3_stmt *st;
	if (k > 2000) {
		/* only an optimisation: a failure here is forgotten, and only then,
		 * so an error the caller already holds is kept */
		if (bc_prepare(p, &st, "PRAGMA cache_size") < 0) {
			bc_error_clear(p);
		} else {
			old_cache = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
			sqlite3_finalize(st);
			if (old_cache && bc_exec(p, "PRAGMA cache_size=-65536") < 0) {
				old_cache = 0;
				bc_error_clear(p);
			}
		}
	}
	int rc = 0;
	st = NULL;
	if (bc_prepare(p, &st, "INSERT OR REPLACE INTO data_stat(path, dev, ino, size, mtime_ns,"
			" ctime_ns, hash, recorded_ns) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)") < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < k; i++) {
		struct sentry *e = order[i];
		sqlite3_bind_text(st, 1, e->path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, e->dev);
		sqlite3_bind_int64(st, 3, e->ino);
		sqlite3_bind_int64(st, 4, e->size);
		sqlite3_bind_int64(st, 5, e->mtime_ns);
		sqlite3_bind_int64(st, 6, e->ctime_ns);
		sqlite3_bind_text(st, 7, e->hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, e->recorded_ns);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = bc_db_error(p, "cannot write the data stat cache");
		sqlite3_reset(st);
		e->dirty = 0;
	}
	sqlite3_finalize(st);
	free(order);
	if (rc == 0)
		rc = bc_tx_commit(p);
	else
		bc_tx_rollback(p);
	if (old_cache) {
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA cache_size=%lld", (long long)old_cache);
		if (bc_exec(p, sql) < 0)
			bc_error_clear(p);
	}
	return rc;
}

void
data_stat_free(data_stat *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->n; i++)
		free(sc->v[i].path);
	free(sc->v);
	free(sc->tab);
	pthread_mutex_destroy(&sc->mu);
	free(sc);
}

int
data_file_hash(bc_project *p, data_stat *sc, const char *rel, struct stat *st,
	char hex[BC_DATA_HEX], int *hashed)
{
	char *full = bc_path_join(bc_project_root(p), rel);
	if (!full)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	int e = lstat(full, st) < 0 ? errno : 0;
	free(full);
	return data_file_hash_st(p, sc, rel, st, e, hex, hashed);
}

int
data_file_hash_st(bc_project *p, data_stat *sc, const char *rel, struct stat *st, int lstat_errno,
	char hex[BC_DATA_HEX], int *hashed)
{
	*hashed = 0;
	int rc = 0;
	if (lstat_errno == 0 && sc && S_ISREG(st->st_mode) && data_stat_lookup(sc, rel, st, hex))
		return 0;   /* the common case: no path to build */
	char *full = bc_path_join(bc_project_root(p), rel);
	if (!full)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	if (lstat_errno) {
		rc = lstat_errno == ENOENT || lstat_errno == ENOTDIR ? BC_ENOTFOUND
			: bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot stat %s: %s", rel, strerror(lstat_errno));
		goto done;
	}
	if (S_ISLNK(st->st_mode)) {
		/* link mode "symlink": a link to a cache object stands for its content
		 * (objects are verified by fsck and on checkout) */
		char target[PATH_MAX], *cd = cache_dir(p);
		ssize_t n = readlink(full, target, sizeof target - 1);
		size_t cl = cd ? strlen(cd) : 0;
		rc = BC_EINVALID;
		if (n > 0 && cd) {
			target[n] = '\0';
			if ((size_t)n == cl + 66 && !strncmp(target, cd, cl) && target[cl] == '/' &&
					target[cl + 3] == '/') {
				snprintf(hex, BC_DATA_HEX, "%.2s%s", target + cl + 1, target + cl + 4);
				rc = data_is_hex(hex) ? 0 : BC_EINVALID;
			}
		}
		free(cd);
		goto done;
	}
	if (!S_ISREG(st->st_mode)) {
		rc = BC_EINVALID;  /* a directory or special file where a file belongs: "modified" */
		goto done;
	}
	if (sc && data_stat_lookup(sc, rel, st, hex))
		goto done;
	int64_t t0 = data_now_ns();
	int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot read %s: %s: fix its permissions",
			rel, strerror(errno));
		goto done;
	}
	int64_t size;
	struct stat after;
	rc = data_hash_copy(fd, -1, hex, &size);
	if (rc == 0 && fstat(fd, &after) == 0 && (after.st_size != st->st_size ||
			ns(&after.st_mtim) != ns(&st->st_mtim)))
		rc = bc_error_set(p, BC_ERR_INPUT, BC_EINTERRUPTED,
			"%s changed while being hashed: try again once nothing writes to it", rel);
	else if (rc < 0)
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot read %s: %s", rel, strerror(-rc));
	close(fd);
	if (rc == 0) {
		*hashed = 1;
		if (sc)
			data_stat_put(sc, rel, st, hex, t0);
	}
done:
	free(full);
	return rc;
}

/* ---- presence of many objects (status, add): see data-internal.h ---- */

void
cache_view_init(bc_project *p, cache_view *v)
{
	memset(v, 0, sizeof *v);
	v->p = p;
}

void
cache_view_load(cache_view *v)
{
	if (v->loaded)
		return;
	v->loaded = 1;
	char *cd = cache_dir(v->p);
	int cfd = cd ? open(cd, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	free(cd);
	for (int i = 0; cfd >= 0 && i < 256; i++) {
		char sub[3], hex[BC_DATA_HEX];
		snprintf(sub, sizeof sub, "%02x", i);
		int sfd = openat(cfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		DIR *d = sfd >= 0 ? fdopendir(sfd) : NULL;
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (strlen(de->d_name) != 62 || (de->d_type != DT_REG && de->d_type != DT_UNKNOWN))
				continue;
			memcpy(hex, sub, 2);
			memcpy(hex + 2, de->d_name, 63);
			if (data_is_hex(hex))
				data_hexset_add(&v->loose, hex);
		}
		if (d)
			closedir(d);
		else if (sfd >= 0)
			close(sfd);
	}
	if (cfd >= 0)
		close(cfd);
	data_hexset_has(&v->loose, "");   /* sorts: lookups are then read-only */
}

int
cache_view_has(cache_view *v, const char *hex)
{
	if (pack_find(v->p, hex, 0, NULL))
		return 1;
	cache_view_load(v);
	return data_hexset_has(&v->loose, hex);
}

void
cache_view_free(cache_view *v)
{
	data_hexset_free(&v->loose);
}
