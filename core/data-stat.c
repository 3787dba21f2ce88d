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
	int64_t dev, ino, size, mtime_ns, ctime_ns, recorded_ns;
	char hash[BC_DATA_HEX];
	int dirty;
};

struct data_stat {
	struct sentry *v;
	size_t cap, n;
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
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct sentry *
slot(data_stat *sc, const char *path)
{
	size_t i = (size_t)fnv(path) & (sc->cap - 1);
	while (sc->v[i].path && strcmp(sc->v[i].path, path) != 0)
		i = (i + 1) & (sc->cap - 1);
	return &sc->v[i];
}

static int grow_to(data_stat *sc, size_t ncap);

static int
grow(data_stat *sc)
{
	if (sc->cap && (sc->n + 1) * 4 < sc->cap * 3)
		return 0;
	return grow_to(sc, sc->cap ? sc->cap * 2 : 1024);
}

/* Rehash into ncap slots (a power of two). */
static int
grow_to(data_stat *sc, size_t ncap)
{
	struct sentry *old = sc->v;
	size_t ocap = sc->cap;
	sc->v = calloc(ncap, sizeof *sc->v);
	if (!sc->v) {
		sc->v = old;
		return -ENOMEM;
	}
	sc->cap = ncap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].path)
			*slot(sc, old[i].path) = old[i];
	free(old);
	return 0;
}

int
data_stat_load(bc_project *p, data_stat **out)
{
	data_stat *sc = calloc(1, sizeof *sc);
	if (!sc || grow(sc) < 0) {
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
		while ((int64_t)sc->cap * 3 < rows * 4 + 4)
			if (grow_to(sc, sc->cap * 2) < 0)
				break;
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
		if (!path || !hash || grow(sc) < 0)
			continue;
		struct sentry *e = slot(sc, path);
		if (!e->path) {
			e->path = bc_strdup(path);
			sc->n++;
		}
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
	struct sentry *e = slot(sc, rel);
	int hit = e->path && e->dev == (int64_t)st->st_dev && e->ino == (int64_t)st->st_ino &&
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
	if (grow(sc) == 0) {
		struct sentry *e = slot(sc, rel);
		if (!e->path) {
			e->path = bc_strdup(rel);
			if (e->path)
				sc->n++;
		}
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

int
data_stat_save(bc_project *p, data_stat *sc)
{
	size_t dirty = 0;
	for (size_t i = 0; i < sc->cap; i++)
		dirty += sc->v[i].path && sc->v[i].dirty;
	if (!dirty || sqlite3_db_readonly(bc_project_db(p), "main"))
		return 0;
	if (bc_tx_begin(p) < 0)
		return -1;
	sqlite3_stmt *st;
	if (bc_prepare(p, &st, "INSERT OR REPLACE INTO data_stat(path, dev, ino, size, mtime_ns,"
			" ctime_ns, hash, recorded_ns) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)") < 0) {
		bc_tx_rollback(p);
		return -1;
	}
	for (size_t i = 0; i < sc->cap; i++) {
		struct sentry *e = &sc->v[i];
		if (!e->path || !e->dirty)
			continue;
		sqlite3_bind_text(st, 1, e->path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, e->dev);
		sqlite3_bind_int64(st, 3, e->ino);
		sqlite3_bind_int64(st, 4, e->size);
		sqlite3_bind_int64(st, 5, e->mtime_ns);
		sqlite3_bind_int64(st, 6, e->ctime_ns);
		sqlite3_bind_text(st, 7, e->hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, e->recorded_ns);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			int rc = bc_db_error(p, "cannot write the data stat cache");
			bc_tx_rollback(p);
			return rc;
		}
		sqlite3_reset(st);
		e->dirty = 0;
	}
	sqlite3_finalize(st);
	return bc_tx_commit(p);
}

void
data_stat_free(data_stat *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->cap; i++)
		free(sc->v[i].path);
	free(sc->v);
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
	*hashed = 0;
	int rc = 0;
	if (lstat(full, st) < 0) {
		rc = errno == ENOENT || errno == ENOTDIR ? BC_ENOTFOUND
			: bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot stat %s: %s", rel, strerror(errno));
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
