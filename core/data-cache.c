/* SPDX-License-Identifier: MIT */
/*
 * The object store `.bancada/cache/`: objects are files `ab/cdef…` named by
 * their SHA-256, mode 0444. Writers copy into `cache/tmp/` while hashing,
 * fsync, then link() into place (EEXIST is success: same name, same content),
 * so a crash never leaves a partial object under its final name. Corrupt
 * objects move to `cache/quarantine/`. The cache lock is an flock() the kernel
 * drops with the process, so a kill -9 never leaves a stale lock.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h>
#endif
#include "data-internal.h"

char *
cache_dir(bc_project *p)
{
	return bc_path_join(bc_project_dir(p), "cache");
}

char *
cache_obj_path(bc_project *p, const char *hex)
{
	return bc_sprintf("%s/cache/%.2s/%s", bc_project_dir(p), hex, hex + 2);
}

int
cache_has(bc_project *p, const char *hex, int64_t *size)
{
	if (pack_find(p, hex, 0, size))
		return 1;
	char *path = cache_obj_path(p, hex);
	struct stat st;
	int rc = path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
	if (rc && size)
		*size = st.st_size;
	free(path);
	return rc || pack_find(p, hex, 1, size);
}

static void set_err(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errsz)
		vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* Create a temp object, already read-only (0444: the open fd can still
 * write), under a name unique to this process; the directory is created only
 * when missing, so a small file costs one create and no mkdir calls. */
static int
open_tmp(bc_project *p, char **tmp_out)
{
	static unsigned long counter;
	char *dir = bc_sprintf("%s/cache/tmp", bc_project_dir(p));
	if (!dir)
		return -ENOMEM;
	int made = 0, e = EEXIST;
	for (int attempt = 0; attempt < 1000; attempt++) {
		unsigned long c = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
		char *tmp = bc_sprintf("%s/tmp_obj_%ld_%lu", dir, (long)getpid(), c);
		if (!tmp) {
			e = ENOMEM;
			break;
		}
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
		if (fd >= 0) {
			free(dir);
			*tmp_out = tmp;
			return fd;
		}
		e = errno;
		free(tmp);
		if (e == ENOENT && !made) {
			made = 1;
			bc_mkdir_p(dir, 0755);
			continue;
		}
		if (e != EEXIST)   /* EEXIST: a leftover of a dead process with our pid */
			break;
	}
	free(dir);
	return -e;
}

int
cache_finalize(bc_project *p, const char *tmp, const char *hex, int sync_dir,
	char *err, size_t errsz)
{
	char *final = cache_obj_path(p, hex);
	if (!final)
		return -ENOMEM;
	char *slash = strrchr(final, '/');
	/* rename: one directory operation; an existing object of the same name
	 * has the same content, so replacing it is harmless (and concurrent adds
	 * still end with one object) */
	int rc = rename(tmp, final) < 0 ? -errno : 0;
	if (rc == -ENOENT) {
		*slash = '\0';
		if (mkdir(final, 0755) < 0 && errno != EEXIST) {
			rc = -errno;
			set_err(err, errsz, "cannot create cache directory %s: %s", final, strerror(-rc));
			free(final);
			unlink(tmp);
			return rc;
		}
		*slash = '/';
		rc = rename(tmp, final) < 0 ? -errno : 0;
	}
	if (rc) {
		set_err(err, errsz, "cannot store object %s: %s", final, strerror(-rc));
		unlink(tmp);
	} else if (sync_dir) {
		*slash = '\0';
		bc_fsync_dir(final);
	}
	free(final);
	return rc;
}

static int
same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
		a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
		a->st_ctim.tv_nsec == b->st_ctim.tv_nsec && a->st_ino == b->st_ino;
}

/* Where the filesystem can (xfs, btrfs), make the object a reflink clone of
 * the source and hash the clone: no data is written, and the hash is that of
 * exactly what the object holds (nothing else writes it). 1: cannot clone. */
static int
clone_hash(int fd, int out, const char *tmp, char hex[BC_DATA_HEX], int64_t *size)
{
#ifdef FICLONE
	if (ioctl(out, FICLONE, fd) < 0)
		return 1;
	int in = open(tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return -errno;
	int rc = data_hash_copy(in, -1, hex, size);
	close(in);
	return rc;
#else
	(void)fd; (void)out; (void)tmp; (void)hex; (void)size;
	return 1;
#endif
}

int
cache_insert_fd(bc_project *p, int fd, const struct stat *before, int sync,
	char hex[BC_DATA_HEX], int64_t *size, char **tmp_out, char *err, size_t errsz)
{
	char *tmp = NULL;
	int out = open_tmp(p, &tmp);
	if (out < 0) {
		set_err(err, errsz, "cannot create a temp file in %s/cache/tmp: %s",
			bc_project_dir(p), strerror(-out));
		return out;
	}
	/* a clone costs more than a copy for small files: clone from one chunk up */
	int rc = before && before->st_size >= DATA_CHUNK ? clone_hash(fd, out, tmp, hex, size) : 1;
	if (rc == 1)   /* no reflink here: hash and copy in one pass */
		rc = data_hash_copy(fd, out, hex, size);
	if (rc < 0)
		set_err(err, errsz, "cannot copy into the cache (%s): %s",
			rc == -ENOSPC || rc == -EDQUOT ? "disk full" : "write failed", strerror(-rc));
	struct stat after;
	if (!rc && before && (fstat(fd, &after) < 0 || !same_stat(before, &after) ||
			*size != (int64_t)after.st_size)) {
		rc = BC_EINTERRUPTED;
		if (err)
			snprintf(err, errsz, "changed while being hashed: try again once nothing writes to it");
	}
	if (!rc)
		data_stamp_set(out, hex);   /* hashed as written: checkout need not re-hash */
	if (!rc && sync && fsync(out) < 0) {
		rc = -errno;
		set_err(err, errsz, "cannot sync %s: %s", tmp, strerror(-rc));
	}
	if (close(out) < 0 && !rc) {
		rc = -errno;
		set_err(err, errsz, "cannot write %s: %s", tmp, strerror(-rc));
	}
	if (rc) {
		unlink(tmp);
		free(tmp);
		return rc;
	}
	if (!sync) {
		*tmp_out = tmp;
		return 0;
	}
	rc = cache_finalize(p, tmp, hex, 1, err, errsz);
	free(tmp);
	return rc;
}

int
cache_insert_buf(bc_project *p, const void *data, size_t len, char hex[BC_DATA_HEX])
{
	if (data_hash_buf(data, len, hex) < 0)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot hash");
	if (cache_has(p, hex, NULL))
		return 0;
	char *tmp = NULL, err[512] = "";
	int fd = open_tmp(p, &tmp);
	if (fd < 0)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot create a temp file in the cache: %s",
			strerror(-fd));
	const char *s = data;
	size_t left = len;
	int rc = 0;
	while (left && !rc) {
		ssize_t n = write(fd, s, left);
		if (n < 0 && errno != EINTR)
			rc = -errno;
		else if (n > 0) {
			s += n;
			left -= (size_t)n;
		}
	}
	if (!rc)
		data_stamp_set(fd, hex);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		free(tmp);
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot write a cache object: %s", strerror(-rc));
	}
	rc = cache_finalize(p, tmp, hex, 1, err, sizeof err);
	free(tmp);
	return rc < 0 ? bc_error_set(p, BC_ERR_OS, BC_ERROR, "%s", err) : 0;
}

int
cache_read_obj(bc_project *p, const char *hex, char **out, size_t *len)
{
	char *path = cache_obj_path(p, hex);
	int rc = path ? data_read_whole(path, out, len) : -ENOMEM;
	free(path);
	if (rc == -ENOENT && (rc = pack_read(p, hex, out, len)) == BC_ENOTFOUND)
		rc = -ENOENT;
	if (rc == -ENOENT)
		return bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND,
			"object %.12s is not in the cache: run `bancada data pull`", hex);
	if (rc < 0)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot read object %.12s: %s", hex, strerror(-rc));
	char got[BC_DATA_HEX];
	data_hash_buf(*out, *len, got);
	if (strcmp(got, hex) != 0) {
		free(*out);
		*out = NULL;
		cache_quarantine(p, hex);
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"cache object %.12s is corrupt (moved to quarantine): pull it again or re-add the data", hex);
	}
	return 0;
}

/* Re-hash a packed object: 0 ok, 1 corrupt, BC_ENOTFOUND. */
static int
verify_packed(bc_project *p, const char *hex, char *why, size_t whysz)
{
	char *buf = NULL, got[BC_DATA_HEX];
	size_t len = 0;
	int rc = pack_read(p, hex, &buf, &len);
	if (rc == BC_ENOTFOUND) {
		snprintf(why, whysz, "cannot open: %s", strerror(ENOENT));
		return rc;
	}
	if (rc < 0) {
		snprintf(why, whysz, "read error in its pack: %s", strerror(-rc));
		return 1;
	}
	data_hash_buf(buf, len, got);
	free(buf);
	if (strcmp(got, hex) != 0) {
		snprintf(why, whysz, "content hashes to %.12s (packed)", got);
		return 1;
	}
	return 0;
}

int
cache_verify(bc_project *p, const char *hex, char *why, size_t whysz)
{
	/* loose first, as cache_quarantine moves the loose copy first */
	char *path = cache_obj_path(p, hex);
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
	free(path);
	if (fd < 0 && errno == ENOENT)
		return verify_packed(p, hex, why, whysz);
	if (fd < 0) {
		snprintf(why, whysz, "cannot open: %s", strerror(errno));
		return 1;
	}
	char got[BC_DATA_HEX];
	int64_t size;
	int rc = data_hash_copy(fd, -1, got, &size);
	close(fd);
	if (rc < 0) {
		snprintf(why, whysz, "read error: %s", strerror(-rc));
		return 1;
	}
	if (strcmp(got, hex) != 0) {
		snprintf(why, whysz, "content hashes to %.12s", got);
		return 1;
	}
	return 0;
}

int
cache_open_obj(bc_project *p, const char *hex)
{
	char *path = cache_obj_path(p, hex);
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	free(path);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	char *buf = NULL;
	size_t len = 0;
	if (pack_read(p, hex, &buf, &len) != 0) {
		errno = ENOENT;
		return -1;
	}
	/* a packed object is read through an anonymous file holding its bytes */
	fd = memfd_create("bancada-obj", MFD_CLOEXEC);
	int e = 0;
	for (size_t done = 0; fd >= 0 && done < len && !e;) {
		ssize_t n = write(fd, buf + done, len - done);
		if (n < 0 && errno != EINTR)
			e = errno;
		else if (n > 0)
			done += (size_t)n;
	}
	free(buf);
	if (fd >= 0 && (e || lseek(fd, 0, SEEK_SET) < 0)) {
		e = e ? e : errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
cache_quarantine(bc_project *p, const char *hex)
{
	char *q = bc_sprintf("%s/cache/quarantine", bc_project_dir(p));
	char *dst = bc_sprintf("%s/cache/quarantine/%s.%lld", bc_project_dir(p), hex, (long long)time(NULL));
	char *src = cache_obj_path(p, hex);
	int rc = -ENOMEM;
	if (q && dst && src) {
		bc_mkdir_p(q, 0755);
		rc = rename(src, dst) < 0 ? -errno : 0;
	}
	if (rc == -ENOENT)
		rc = pack_quarantine(p, hex);
	free(q);
	free(dst);
	free(src);
	return rc;
}

int
cache_lock(bc_project *p, int exclusive, int *fd_out)
{
	return data_lock(p, "cache/lock", exclusive, fd_out);
}

int
data_lock(bc_project *p, const char *name, int exclusive, int *fd_out)
{
	char *path = bc_sprintf("%s/%s", bc_project_dir(p), name);
	if (!path)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	char *dir = bc_strdup(path);
	if (dir && strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	if (dir)
		bc_mkdir_p(dir, 0755);
	free(dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		free(path);
		if (e == EROFS || e == EACCES)
			return bc_error_set(p, BC_ERR_OS, BC_EREADONLY, "the data cache is read-only");
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot open the cache lock: %s", strerror(e));
	}
	free(path);
	int op = (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
	const char *env = getenv("BANCADA_LOCK_TIMEOUT_MS");
	int limit = env && atoi(env) >= 0 ? atoi(env) : 10000;
	for (int waited = 0; flock(fd, op) < 0; waited += 50) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;
			close(fd);
			return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot lock the data cache: %s", strerror(e));
		}
		if (waited >= limit) {
			close(fd);
			return bc_error_set(p, BC_ERR_PROJECT, BC_EBUSY,
				"the data %s is busy (another `bancada data` command holds %s): try again when it finishes",
				strncmp(name, "cache", 5) ? "workspace" : "cache", name);
		}
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	*fd_out = fd;
	return 0;
}

void
cache_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int
copy_verified(int in, int out, const char *hex, char *err, size_t errsz)
{
	char got[BC_DATA_HEX];
	int64_t size;
	int rc = data_hash_copy(in, out, got, &size);
	if (rc < 0) {
		snprintf(err, errsz, "cannot write: %s%s", strerror(-rc),
			rc == -ENOSPC ? " (disk full)" : "");
		return rc;
	}
	return strcmp(got, hex) ? 1 : 0;
}

void
data_tmp_name(const char *name, char *buf, size_t size)
{
	/* a fixed temp name: a re-run after a kill reuses (and so removes) it */
	snprintf(buf, size, ".%.200s" DATA_TMP_SUFFIX, name);
}

/* Write a packed object out (always a copy: a pack cannot be linked):
 * 0, 1 corrupt (quarantined), BC_ENOTFOUND not packed, <0 error. */
static int
put_out_packed(bc_project *p, const char *hex, int dirfd, const char *name, const char *tmp,
	int defer, char *err, size_t errsz)
{
	char *buf = NULL, got[BC_DATA_HEX];
	size_t len = 0;
	int rc = pack_read(p, hex, &buf, &len);
	if (rc)
		return rc;
	data_hash_buf(buf, len, got);
	if (strcmp(got, hex)) {
		free(buf);
		cache_quarantine(p, hex);
		snprintf(err, errsz, "cache object %.12s is corrupt (moved to quarantine): pull it again or re-add the data", hex);
		return 1;
	}
	int out = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	rc = out < 0 ? -errno : 0;
	for (size_t done = 0; !rc && done < len;) {
		ssize_t n = write(out, buf + done, len - done);
		if (n < 0 && errno != EINTR)
			rc = -errno;
		else if (n > 0)
			done += (size_t)n;
	}
	free(buf);
	if (!rc && !defer && fsync(out) < 0)
		rc = -errno;
	if (out >= 0 && close(out) < 0 && !rc)
		rc = -errno;
	if (!rc && !defer && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = -errno;
	if (rc) {
		if (out >= 0)
			unlinkat(dirfd, tmp, 0);
		snprintf(err, errsz, "cannot write: %s%s", strerror(-rc), rc == -ENOSPC ? " (disk full)" : "");
	}
	return rc;
}

int
cache_put_out(bc_project *p, const char *hex, int dirfd, const char *name, int mode,
	int defer, char *err, size_t errsz)
{
	char tmp[512];
	data_tmp_name(name, tmp, sizeof tmp);
	int rc = 0, corrupt = 0;
	unlinkat(dirfd, tmp, 0);
	if (pack_find(p, hex, 0, NULL) &&
			(rc = put_out_packed(p, hex, dirfd, name, tmp, defer, err, errsz)) != BC_ENOTFOUND)
		return rc;
	rc = 0;
	char *obj = cache_obj_path(p, hex);
	if (!obj)
		return -ENOMEM;
	if (mode == BC_DATA_LINK_HARDLINK || mode == BC_DATA_LINK_SYMLINK) {
		char why[128];
		int v = cache_verify(p, hex, why, sizeof why);
		if (v < 0)
			rc = -ENOENT;
		else
			corrupt = v;
		if (!rc && !corrupt) {
			if (mode == BC_DATA_LINK_HARDLINK && linkat(AT_FDCWD, obj, dirfd, tmp, 0) < 0)
				mode = BC_DATA_LINK_COPY; /* EXDEV and friends: fall back to a copy */
			else if (mode == BC_DATA_LINK_SYMLINK && symlinkat(obj, dirfd, tmp) < 0)
				rc = -errno;
		}
	}
	if (!corrupt && !rc && (mode == BC_DATA_LINK_COPY || mode == BC_DATA_LINK_REFLINK)) {
		int in = open(obj, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		int out = in < 0 ? -1 : openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (in < 0 || out < 0) {
			rc = -errno;
		} else {
			int cloned = 0;
#ifdef FICLONE
			/* copy mode too: a clone is a copy that shares blocks until written */
			if (ioctl(out, FICLONE, in) == 0) {
				cloned = 1; /* verify the object itself: same bytes */
				char why[128];
				corrupt = !data_stamp_ok(in, hex) && cache_verify(p, hex, why, sizeof why) != 0;
			}
#endif
			if (!cloned && data_stamp_ok(in, hex)) {
				/* hashed when stored and not written since: copy, no re-hash */
				rc = data_copy_fd(in, out);
				if (rc < 0)
					snprintf(err, errsz, "cannot write: %s%s", strerror(-rc),
						rc == -ENOSPC ? " (disk full)" : "");
			} else if (!cloned) {
				rc = copy_verified(in, out, hex, err, errsz);
				if (rc == 1) {
					corrupt = 1;
					rc = 0;
				}
			}
			if (!rc && !corrupt && !defer && fsync(out) < 0)
				rc = -errno;
		}
		if (in >= 0)
			close(in);
		if (out >= 0 && close(out) < 0 && !rc)
			rc = -errno;
	}
	if (!rc && !corrupt && !defer && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = -errno;
	if (rc || corrupt)
		unlinkat(dirfd, tmp, 0);
	if (rc && !err[0])
		snprintf(err, errsz, "%s", strerror(-rc));
	if (corrupt) {
		cache_quarantine(p, hex);
		snprintf(err, errsz, "cache object %.12s is corrupt (moved to quarantine): pull it again or re-add the data", hex);
	}
	free(obj);
	return corrupt ? 1 : rc;
}
