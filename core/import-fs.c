/* SPDX-License-Identifier: MIT */
/*
 * File access for the file-store importers, with as few system calls as a
 * walk allows (they dominate an import that finds nothing changed):
 * directories are listed with getdents64 into one buffer, without the
 * fstat and fcntl that fdopendir adds, and files are read with one read()
 * when their size is known. Nothing follows a symbolic link.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif
#include "import-private.h"

#if defined(__linux__) && defined(SYS_getdents64)
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};
#define USE_GETDENTS 1
#endif

int
imp_dir_open(struct imp_dir *d, int dirfd, const char *rel)
{
	/* not the 16 KiB buffer: a walk opens three directories per run */
	d->eof = 0;
	d->dp = NULL;
	d->pos = d->len = 0;
	d->fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->fd < 0)
		return -errno;
#ifndef USE_GETDENTS
	d->dp = fdopendir(d->fd);
	if (!d->dp) {
		int e = errno;
		close(d->fd);
		d->fd = -1;
		return -e;
	}
#endif
	return 0;
}

const char *
imp_dir_next(struct imp_dir *d, unsigned char *type)
{
#ifdef USE_GETDENTS
	for (;;) {
		if (d->pos >= d->len) {
			if (d->eof)
				return NULL;
			long n = syscall(SYS_getdents64, d->fd, d->buf, sizeof d->buf);
			if (n <= 0) {
				d->eof = 1;
				return NULL;
			}
			d->len = (size_t)n;
			d->pos = 0;
		}
		struct linux_dirent64 *de = (struct linux_dirent64 *)(void *)(d->buf + d->pos);
		d->pos += de->d_reclen;
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		*type = de->d_type;
		return de->d_name;
	}
#else
	struct dirent *de;
	while ((de = readdir((DIR *)d->dp))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		*type = de->d_type;
		return de->d_name;
	}
	return NULL;
#endif
}

void
imp_dir_close(struct imp_dir *d)
{
#ifdef USE_GETDENTS
	if (d->fd >= 0)
		close(d->fd);
#else
	if (d->dp)
		closedir((DIR *)d->dp);
#endif
	d->fd = -1;
}

int
imp_read_at(int dirfd, const char *rel, bc_buf *b, size_t hint)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	b->len = 0;
	for (;;) {
		if (bc_buf_grow(b, (hint > 65536 ? hint : 65536) + 2) < 0) {
			close(fd);
			return -ENOMEM;
		}
		size_t want = b->cap - b->len - 1;
		ssize_t n = read(fd, b->data + b->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		b->len += (size_t)n;
		/* a short read of a regular file is its end */
		if (n == 0 || (size_t)n < want)
			break;
		hint = 0;
	}
	b->data[b->len] = '\0';
	close(fd);
	return 0;
}

uint64_t
imp_stat_hash(uint64_t h, const struct stat *st)
{
	h = imp_hash_u64(h, (uint64_t)st->st_size);
	h = imp_hash_u64(h, (uint64_t)st->st_mtim.tv_sec * 1000000000ULL + (uint64_t)st->st_mtim.tv_nsec);
	return imp_hash_u64(h, (uint64_t)st->st_ino);
}
