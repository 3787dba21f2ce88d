/* SPDX-License-Identifier: MIT */
/*
 * Verified-object stamps. When bancada has just hashed a cache object while
 * writing it, it records on the object (an extended attribute) the hash, the
 * size and the modification time the file had then. A checkout that finds
 * the stamp matching the object as it is now copies it without hashing it
 * again: any write to the object through the filesystem (a bit flipped with
 * dd, an editor through a hard link) changes its mtime, so the stamp no
 * longer matches and the object is hashed, and refused if corrupt, as before.
 * What a stamp cannot see is the medium rotting under an unchanged inode;
 * `data fsck` re-hashes every object for that, as `git fsck` does. Where the
 * filesystem has no user xattrs, nothing is stamped and every checkout hashes.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include "data-internal.h"

#define STAMP_NAME "user.bancada.verified"

static int
stamp_text(int fd, const char *hex, char *buf, size_t size)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	int n = snprintf(buf, size, "1 %s %" PRId64 " %" PRId64 ".%09ld", hex, (int64_t)st.st_size,
		(int64_t)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
	return n > 0 && (size_t)n < size ? n : -1;
}

void
data_stamp_set(int fd, const char *hex)
{
	char text[160];
	int n = stamp_text(fd, hex, text, sizeof text);
	if (n > 0)
		fsetxattr(fd, STAMP_NAME, text, (size_t)n, 0);   /* no xattrs: just no stamp */
}

int
data_stamp_ok(int fd, const char *hex)
{
	char want[160], got[160];
	int n = stamp_text(fd, hex, want, sizeof want);
	if (n <= 0)
		return 0;
	ssize_t g = fgetxattr(fd, STAMP_NAME, got, sizeof got);
	return g == n && !memcmp(got, want, (size_t)n);
}

int
data_copy_fd(int in, int out)
{
	/* in the kernel: no copy through user space, and a reflink where the
	 * filesystem shares blocks (xfs, btrfs) */
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)
			break;              /* not between these files: copy by hand */
		return -errno;
	}
	char *b = malloc(DATA_CHUNK);
	if (!b)
		return -ENOMEM;
	int rc = 0;
	for (;;) {
		ssize_t n = read(in, b, DATA_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;
		}
		for (ssize_t done = 0; done < n && !rc;) {
			ssize_t w = write(out, b + done, (size_t)(n - done));
			if (w < 0 && errno != EINTR)
				rc = -errno;
			else if (w > 0)
				done += w;
		}
		if (rc)
			break;
	}
	free(b);
	return rc;
}
