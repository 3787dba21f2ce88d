/* SPDX-License-Identifier: MIT */
/*
 * Walking a data directory for `data add`, on every core: workers take
 * directories from a shared stack, list them and lstat each entry relative
 * to the directory's fd (no path walk per file), push subdirectories back,
 * and the files are sorted by path at the end. Then a directory cursor per
 * worker reopens files relative to the directory of the previous one.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "data-internal.h"

struct walk {
	const char *top;       /* the walked directory, project-relative */
	int topfd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char **dirs;           /* to list, relative to top ("" = top) */
	size_t ndirs, dcap;
	int busy;              /* workers listing a directory */
	data_wfile *v;
	size_t n, cap;
	int rc, code;
	char err[512];
};

static void walk_fail(struct walk *w, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
walk_fail(struct walk *w, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&w->mu);
	if (!w->rc) {
		w->rc = -1;
		w->code = code;
		vsnprintf(w->err, sizeof w->err, fmt, ap);
	}
	pthread_mutex_unlock(&w->mu);
	va_end(ap);
}

static int
push_dir(struct walk *w, char *dir)
{
	if (w->ndirs == w->dcap) {
		size_t nc = w->dcap ? w->dcap * 2 : 64;
		char **nd = realloc(w->dirs, nc * sizeof *nd);
		if (!nd)
			return -ENOMEM;
		w->dirs = nd;
		w->dcap = nc;
	}
	w->dirs[w->ndirs++] = dir;
	return 0;
}

/* List one directory: its files (lstat relative to it) into `files`, its
 * subdirectories into `subs`. */
static void
list_dir(struct walk *w, const char *dir, data_wfile **files, size_t *nf, char ***subs, size_t *ns)
{
	size_t fcap = 0, scap = 0, tl = strlen(DATA_TMP_SUFFIX);
	int fd = openat(w->topfd, dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		walk_fail(w, BC_ERROR, "cannot open %s/%s: %s: fix its permissions", w->top, dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *de;
	while (!w->rc && (de = readdir(d))) {
		const char *name = de->d_name;
		size_t nl = strlen(name);
		if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]) ||
				(nl > tl && !strcmp(name + nl - tl, DATA_TMP_SUFFIX))))
			continue;   /* temps of an interrupted checkout: the re-run reuses them */
		char *sub = dir[0] ? bc_sprintf("%s/%s", dir, name) : bc_strdup(name);
		struct stat st;
		if (!sub) {
			walk_fail(w, BC_ERROR, "out of memory");
		} else if (de->d_type == DT_DIR) {
			st.st_mode = S_IFDIR;
		} else if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			walk_fail(w, BC_ERROR, "cannot stat %s/%s: %s", w->top, sub, strerror(errno));
		} else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			walk_fail(w, BC_EINVALID,
				"%s/%s is a %s: data directories may hold only regular files and directories (replace or remove it)",
				w->top, sub, S_ISLNK(st.st_mode) ? "symlink" : "special file");
		}
		if (w->rc) {
			free(sub);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (*ns == scap) {
				scap = scap ? scap * 2 : 16;
				char **n2 = realloc(*subs, scap * sizeof *n2);
				if (!n2) {
					free(sub);
					walk_fail(w, BC_ERROR, "out of memory");
					break;
				}
				*subs = n2;
			}
			(*subs)[(*ns)++] = sub;
			continue;
		}
		if (*nf == fcap) {
			fcap = fcap ? fcap * 2 : 256;
			data_wfile *n2 = realloc(*files, fcap * sizeof *n2);
			if (!n2) {
				free(sub);
				walk_fail(w, BC_ERROR, "out of memory");
				break;
			}
			*files = n2;
		}
		data_wfile *f = &(*files)[(*nf)++];
		f->rel = bc_sprintf("%s/%s", w->top, sub);
		f->inner = f->rel ? f->rel + strlen(w->top) + 1 : NULL;
		f->st = st;
		free(sub);
		if (!f->rel) {
			(*nf)--;
			walk_fail(w, BC_ERROR, "out of memory");
		}
	}
	closedir(d);
}

static int
walk_main(size_t t, void *arg)
{
	(void)t;
	struct walk *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->ndirs && w->busy && !w->rc)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->ndirs || w->rc)
			break;
		char *dir = w->dirs[--w->ndirs];
		w->busy++;
		pthread_mutex_unlock(&w->mu);
		data_wfile *files = NULL;
		char **subs = NULL;
		size_t nf = 0, ns = 0;
		list_dir(w, dir, &files, &nf, &subs, &ns);
		free(dir);
		pthread_mutex_lock(&w->mu);
		if (w->n + nf > w->cap) {
			size_t nc = w->cap ? w->cap * 2 : 1024;
			while (nc < w->n + nf)
				nc *= 2;
			data_wfile *nv = realloc(w->v, nc * sizeof *nv);
			if (nv) {
				w->v = nv;
				w->cap = nc;
			}
		}
		int oom = 0;
		for (size_t i = 0; i < nf; i++) {
			if (w->n < w->cap) {
				w->v[w->n++] = files[i];
			} else {
				free(files[i].rel);
				oom = 1;
			}
		}
		for (size_t i = 0; i < ns; i++)
			if (w->rc || oom || push_dir(w, subs[i]) < 0) {
				free(subs[i]);
				oom = !w->rc;
			}
		if (oom && !w->rc) {
			w->rc = -1;
			w->code = BC_ERROR;
			snprintf(w->err, sizeof w->err, "out of memory");
		}
		free(files);
		free(subs);
		w->busy--;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static int
cmp_wfile(const void *a, const void *b)
{
	return strcmp(((const data_wfile *)a)->rel, ((const data_wfile *)b)->rel);
}

void
data_wfiles_free(data_wfile *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].rel);
	free(v);
}

int
data_walk_stat(bc_project *p, const char *rel, int threads, data_wfile **out, size_t *n)
{
	const char *base;
	int pfd = data_open_parent(p, rel, 0, &base);
	if (pfd < 0)
		return pfd;
	struct walk w = { .top = rel };
	w.topfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(pfd);
	if (w.topfd < 0)
		return bc_error_set(p, BC_ERR_OS, errno == ENOENT ? BC_ENOTFOUND : BC_ERROR,
			"cannot open directory %s: %s", rel, strerror(errno));
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	char *top = bc_strdup("");
	if (!top || push_dir(&w, top) < 0) {
		free(top);
		w.rc = -1;
		w.code = BC_ERROR;
		snprintf(w.err, sizeof w.err, "out of memory");
	}
	if (!w.rc)
		data_parallel((size_t)threads, threads, walk_main, &w);
	for (size_t i = 0; i < w.ndirs; i++)
		free(w.dirs[i]);
	free(w.dirs);
	close(w.topfd);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	if (w.rc) {
		data_wfiles_free(w.v, w.n);
		return bc_error_set(p, w.code == BC_EINVALID ? BC_ERR_INPUT : BC_ERR_OS, w.code, "%s", w.err);
	}
	if (w.n > 1)
		qsort(w.v, w.n, sizeof *w.v, cmp_wfile);
	*out = w.v;
	*n = w.n;
	return 0;
}

int
data_dircur_at(data_dircur *c, const char *rel, const char **base)
{
	const char *slash = strrchr(rel, '/');
	size_t len = slash ? (size_t)(slash - rel) : 0;
	*base = slash ? slash + 1 : rel;
	if (c->fd >= 0 && c->len == len && !memcmp(c->dir, rel, len))
		return c->fd;
	if (c->fd >= 0)
		close(c->fd);
	char *path = len ? bc_sprintf("%s/%.*s", c->root, (int)len, rel) : bc_strdup(c->root);
	c->fd = path ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	int e = path ? errno : ENOMEM;
	free(path);
	c->dir = rel;
	c->len = len;
	errno = e;
	return c->fd;
}

int
data_dircur_open(data_dircur *c, const char *rel)
{
	const char *base;
	int dfd = data_dircur_at(c, rel, &base);
	if (dfd < 0)
		return -1;
	int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW;
	if (!c->atime) {
		int fd = openat(dfd, base, flags | O_NOATIME);
		if (fd >= 0 || errno != EPERM)
			return fd;
		c->atime = 1;   /* not the owner: O_NOATIME is refused */
	}
	return openat(dfd, base, flags);
}

void
data_dircur_close(data_dircur *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
