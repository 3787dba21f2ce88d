/* SPDX-License-Identifier: MIT */
/*
 * Extraction: verify while writing into a fresh mkdtemp staging directory
 * next to the target, then rename it into place. Inside staging every
 * file is created with openat(O_CREAT|O_EXCL|O_NOFOLLOW) below directory
 * fds opened with O_NOFOLLOW, so nothing can be written outside it; only
 * regular files and directories are ever created, with modes 0644/0755
 * under the umask (never setuid, never the archive's owner).
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include "internal.h"
#include "bundle-read.h"

struct stage {
	struct bundle_sink sink;
	int rootfd;
};

/*
 * Walk `ncomp` components of `path` from the staging root, creating
 * directories; returns a directory fd (the root itself when ncomp == 0,
 * not to be closed) or -1.
 */
static int
walk(struct stage *st, const char *path, size_t ncomp)
{
	int cur = st->rootfd;
	const char *s = path;
	for (size_t i = 0; i < ncomp; i++) {
		const char *slash = strchr(s, '/');
		size_t cl = slash ? (size_t)(slash - s) : strlen(s);
		char comp[NAME_MAX + 1];
		if (cl > NAME_MAX) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		memcpy(comp, s, cl);
		comp[cl] = '\0';
		if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
			goto fail;
		int nfd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0)
			goto fail;
		if (cur != st->rootfd)
			close(cur);
		cur = nfd;
		s = slash ? slash + 1 : s + cl;
	}
	return cur;
fail:
	if (cur != st->rootfd) {
		int e = errno;
		close(cur);
		errno = e;
	}
	return -1;
}

static size_t
components(const char *path)
{
	size_t n = 1;
	for (; *path; path++)
		n += *path == '/';
	return n;
}

static int
sink_dir(struct bundle_sink *s, const char *path)
{
	struct stage *st = (struct stage *)s;
	int fd = walk(st, path, components(path));
	if (fd < 0)
		return -1;
	if (fd != st->rootfd)
		close(fd);
	return 0;
}

static int
sink_open(struct bundle_sink *s, const char *path, unsigned mode)
{
	struct stage *st = (struct stage *)s;
	int dfd = walk(st, path, components(path) - 1);
	if (dfd < 0)
		return -1;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	int fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		(mode_t)(mode == 0755 ? 0755 : 0644));
	int e = errno;
	if (dfd != st->rootfd)
		close(dfd);
	errno = e;
	return fd;
}

static int
sink_file(struct bundle_sink *s, const char *path, unsigned mode, const void *data, size_t len)
{
	int fd = sink_open(s, path, mode);
	if (fd < 0)
		return -1;
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd);
}

/* fsync every directory below and including `fd` (files were fsync'ed as written). */
static int
fsync_dirs(int fd, int depth)
{
	int dup_fd = dup(fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while (!rc && (de = readdir(d))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int sub = depth < BC_BUNDLE_MAX_DEPTH + 1
			? openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
		rc = sub < 0 ? -1 : fsync_dirs(sub, depth + 1);
		if (sub >= 0)
			close(sub);
	}
	closedir(d);
	return rc ? rc : fsync(fd);
}

/* 0 if `dir` is missing or an empty directory (not a symlink); else a reason. */
static const char *
target_problem(const char *dir)
{
	struct stat st;
	if (lstat(dir, &st) < 0)
		return errno == ENOENT ? NULL : strerror(errno);
	if (!S_ISDIR(st.st_mode))
		return "it exists and is not a directory";
	DIR *d = opendir(dir);
	if (!d)
		return strerror(errno);
	struct dirent *de;
	const char *why = NULL;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			why = "it is not empty";
			break;
		}
	closedir(d);
	return why;
}

int
bc_bundle_extract(const char *file, const char *dir, const bc_bundle_read_options *opts,
	bc_bundle_report **out)
{
	*out = NULL;
	char *parent = NULL, *staging = NULL;
	const char *why = target_problem(dir);
	if (why) {
		bc_bundle_report *rep = calloc(1, sizeof *rep);
		if (rep)
			bundle_problem(rep, NULL, "cannot extract into %s: %s (give a new or empty directory)",
				dir, why);
		*out = rep;
		return BC_EINVALID;
	}
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	char *clean = bc_strndup(dir, dl);
	const char *slash = clean ? strrchr(clean, '/') : NULL;
	parent = !clean ? NULL : !slash ? bc_strdup(".") : slash == clean ? bc_strdup("/")
		: bc_strndup(clean, (size_t)(slash - clean));
	const char *base = slash ? slash + 1 : clean;
	staging = parent ? bc_sprintf("%s/.%s.bancada-XXXXXX", parent, base) : NULL;
	struct stage st = { { sink_dir, sink_open, sink_file }, -1 };
	int rc = BC_EINVALID;
	if (!staging || !mkdtemp(staging)) {
		bc_bundle_report *rep = calloc(1, sizeof *rep);
		if (rep)
			bundle_problem(rep, NULL, "cannot create a staging directory next to %s: %s",
				dir, strerror(errno));
		*out = rep;
		free(staging);
		staging = NULL;
		goto done;
	}
	st.rootfd = open(staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st.rootfd < 0) {
		bc_bundle_report *rep = calloc(1, sizeof *rep);
		if (rep)
			bundle_problem(rep, NULL, "cannot open %s: %s", staging, strerror(errno));
		*out = rep;
		goto done;
	}
	rc = bundle_read(file, opts, &st.sink, 0, out);
	if (rc == 0 && !(*out)->complete)
		rc = BC_EINVALID;
	if (rc == 0) {
		mode_t mask = umask(022);
		umask(mask);
		if (fchmod(st.rootfd, 0755 & ~mask) < 0 || fsync_dirs(st.rootfd, 0) < 0 ||
				rename(staging, clean) < 0) {
			bundle_problem(*out, NULL, "cannot move the extracted files to %s: %s", dir,
				strerror(errno));
			rc = BC_ERROR;
		} else {
			bc_fsync_dir(parent);
		}
	}
done:
	if (st.rootfd >= 0)
		close(st.rootfd);
	if (rc != 0 && staging)
		bc_rm_rf(staging);
	free(staging);
	free(parent);
	free(clean);
	return rc;
}
