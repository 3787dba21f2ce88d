/* SPDX-License-Identifier: MIT */
/*
 * Collecting and hashing the files of a new bundle: paths are walked with
 * lstat and opened with O_NOFOLLOW, so symlinks are refused, never
 * followed; FIFOs, sockets and devices are refused before anything is
 * opened (a FIFO would block forever). Each file's identity (device,
 * inode, size, mtime, ctime) is remembered so that the second pass can
 * tell if it changed in between.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"
#include "bundle-inputs.h"

static int
input_cmp(const void *a, const void *b)
{
	return strcmp(((const bundle_input *)a)->name, ((const bundle_input *)b)->name);
}

static const char *
kind(mode_t m)
{
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

static int
add_file(bc_project *p, struct bundle_inputs *in, const char *src, const char *name,
	const struct stat *st)
{
	const char *bad = bc_bundle_path_problem(name, strlen(name));
	if (bad)
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"cannot bundle %s as '%s': %s: rename it", src, name, bad);
	if (in->n >= BC_BUNDLE_MAX_FILES)
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"more than %d files to bundle", BC_BUNDLE_MAX_FILES);
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 16;
		bundle_input *v = realloc(in->v, cap * sizeof *v);
		if (!v)
			return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
		in->v = v;
		in->cap = cap;
	}
	bundle_input *f = &in->v[in->n];
	memset(f, 0, sizeof *f);
	f->name = bc_strdup(name);
	f->src = bc_strdup(src);
	f->size = (uint64_t)st->st_size;
	f->mode = (st->st_mode & 0111) ? 0755 : 0644;
	f->dev = (uint64_t)st->st_dev;
	f->ino = (uint64_t)st->st_ino;
	f->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	f->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	in->n++;
	if (!f->name || !f->src)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	in->total += f->size;
	return 0;
}

static int
add_path(bc_project *p, struct bundle_inputs *in, const char *src, const char *name, int depth)
{
	struct stat st;
	if (lstat(src, &st) < 0)
		return bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND, "cannot bundle %s: %s", src,
			strerror(errno));
	if (S_ISREG(st.st_mode))
		return add_file(p, in, src, name, &st);
	if (!S_ISDIR(st.st_mode))
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"cannot bundle %s: it is %s; bundles hold only regular files and directories%s",
			src, kind(st.st_mode), S_ISLNK(st.st_mode) ? " (give the file it points to)" : "");
	if (depth >= BC_BUNDLE_MAX_DEPTH)
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"cannot bundle %s: more than %d levels of directories", src, BC_BUNDLE_MAX_DEPTH);
	DIR *d = opendir(src);
	if (!d)
		return bc_error_set(p, BC_ERR_INPUT, BC_ERROR, "cannot read %s: %s", src,
			strerror(errno));
	int rc = 0;
	struct dirent *de;
	while (!rc && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *s = bc_path_join(src, de->d_name);
		char *n = bc_path_join(name, de->d_name);
		rc = s && n ? add_path(p, in, s, n, depth + 1)
			: bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
		free(s);
		free(n);
	}
	closedir(d);
	return rc;
}

/* The last component of a path ("out/model/" -> "model"); NULL if there is none. */
static char *
base_name(const char *path)
{
	size_t l = strlen(path);
	while (l > 1 && path[l - 1] == '/')
		l--;
	const char *s = path + l;
	while (s > path && s[-1] != '/')
		s--;
	char *b = bc_strndup(s, (size_t)(path + l - s));
	if (b && (!*b || !strcmp(b, ".") || !strcmp(b, "..") || !strcmp(b, "/"))) {
		free(b);
		return NULL;
	}
	return b;
}

int
bundle_inputs_collect(bc_project *p, const bc_run *r, const char *const *paths,
	struct bundle_inputs *in)
{
	int rc = 0;
	memset(in, 0, sizeof *in);
	if (paths && paths[0]) {
		for (size_t i = 0; !rc && paths[i]; i++) {
			char *name = base_name(paths[i]);
			if (!name)
				return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
					"cannot bundle '%s': name a file or directory", paths[i]);
			rc = add_path(p, in, paths[i], name, 0);
			free(name);
		}
	} else {
		if (!r->noutputs)
			return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"run %s declared no outputs: give the files to bundle (bancada bundle create REF PATH...)",
				r->name ? r->name : r->id);
		for (size_t i = 0; !rc && i < r->noutputs; i++) {
			const char *out = r->outputs[i].key;
			char *src = out[0] == '/' ? bc_strdup(out) : bc_path_join(bc_project_root(p), out);
			/* keep the recorded relative path when it is a clean bundle name */
			char *name = out[0] != '/' && !bc_bundle_path_problem(out, strlen(out))
				? bc_strdup(out) : base_name(out);
			size_t nl = name ? strlen(name) : 0;
			while (nl > 1 && name[nl - 1] == '/')
				name[--nl] = '\0';
			rc = src && name ? add_path(p, in, src, name, 0)
				: bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "cannot bundle output '%s'", out);
			free(src);
			free(name);
		}
	}
	if (rc)
		return rc;
	if (!in->n)
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "nothing to bundle: the directories are empty");
	qsort(in->v, in->n, sizeof *in->v, input_cmp);
	for (size_t i = 1; i < in->n; i++)
		if (!strcmp(in->v[i - 1].name, in->v[i].name))
			return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"%s and %s would both be bundled as '%s': bundle their directory instead",
				in->v[i - 1].src, in->v[i].src, in->v[i].name);
	return 0;
}

/* Open an input for reading and check it is the file collected earlier. */
int
bundle_input_open(bc_project *p, const bundle_input *f)
{
	int fd = open(f->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return bc_error_set(p, BC_ERR_INPUT, BC_ERROR, "cannot read %s: %s", f->src,
			strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_ino != f->ino ||
			(uint64_t)st.st_dev != f->dev) {
		close(fd);
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"%s was replaced while bundling: try again", f->src);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return fd;
}

int
bundle_input_unchanged(bc_project *p, const bundle_input *f, int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size != f->size ||
			(int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec != f->mtime_ns ||
			(int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec != f->ctime_ns)
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"%s changed while bundling: wait for the writer to finish and try again", f->src);
	return 0;
}

int
bundle_inputs_hash(bc_project *p, struct bundle_inputs *in,
	void (*progress)(void *, uint64_t, uint64_t), void *payload, uint64_t *done, uint64_t total)
{
	unsigned char *buf = malloc(BUNDLE_CHUNK);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = 0;
	if (!buf || !md) {
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
		goto done;
	}
	for (size_t i = 0; !rc && i < in->n; i++) {
		bundle_input *f = &in->v[i];
		int fd = bundle_input_open(p, f);
		if (fd < 0) {
			rc = fd;
			break;
		}
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		uint64_t got = 0;
		int first = 1;
		for (;;) {
			ssize_t n = read(fd, buf, BUNDLE_CHUNK);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rc = bc_error_set(p, BC_ERR_INPUT, BC_ERROR, "cannot read %s: %s",
					f->src, strerror(errno));
				break;
			}
			if (n == 0)
				break;
			if (first)
				f->exec_kind = bc_bundle_exec_kind(f->name, buf, (size_t)n);
			first = 0;
			EVP_DigestUpdate(md, buf, (size_t)n);
			got += (uint64_t)n;
			*done += (uint64_t)n;
			if (progress)
				progress(payload, *done, total);
		}
		if (!rc && first)
			f->exec_kind = bc_bundle_exec_kind(f->name, NULL, 0);
		if (!rc && got != f->size)
			rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"%s changed while bundling: wait for the writer to finish and try again", f->src);
		if (!rc)
			rc = bundle_input_unchanged(p, f, fd);
		if (!rc && bundle_sha256_final(md, f->sha256) < 0)
			rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "SHA-256 failed");
		close(fd);
	}
done:
	free(buf);
	EVP_MD_CTX_free(md);
	return rc;
}

int
bundle_inputs_kind(bc_project *p, struct bundle_inputs *in)
{
	for (size_t i = 0; i < in->n; i++) {
		bundle_input *f = &in->v[i];
		int fd = bundle_input_open(p, f);
		if (fd < 0)
			return fd;
		unsigned char head[16];
		ssize_t n;
		do
			n = pread(fd, head, f->size < sizeof head ? (size_t)f->size : sizeof head, 0);
		while (n < 0 && errno == EINTR);
		int e = errno;
		close(fd);
		if (n < 0)
			return bc_error_set(p, BC_ERR_INPUT, BC_ERROR, "cannot read %s: %s", f->src,
				strerror(e));
		f->exec_kind = bc_bundle_exec_kind(f->name, n ? head : NULL, (size_t)n);
		memset(f->sha256, '0', 64);
		f->sha256[64] = '\0';
	}
	return 0;
}

void
bundle_inputs_free(struct bundle_inputs *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->v[i].name);
		free(in->v[i].src);
	}
	free(in->v);
	memset(in, 0, sizeof *in);
}
