/* SPDX-License-Identifier: MIT */
/*
 * The workspace side of data versions: turning user paths into safe
 * project-relative paths, finding pointer files, walking data directories,
 * opening parent directories without following symlinks (openat with
 * O_NOFOLLOW at every component), and the per-directory `.gitignore` lines.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "data-internal.h"

static int
is_reserved(const char *comp, size_t n)
{
	return (n == 4 && !memcmp(comp, ".git", 4)) || (n == 8 && !memcmp(comp, ".bancada", 8));
}

int
data_relpath(bc_project *p, const char *user_path, char **out)
{
	const char *root = bc_project_root(p);
	char cwd[PATH_MAX];
	if (user_path[0] != '/' && !getcwd(cwd, sizeof cwd))
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot read the current directory: %s", strerror(errno));
	char *abs = user_path[0] == '/' ? bc_strdup(user_path) : bc_sprintf("%s/%s", cwd, user_path);
	if (!abs)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	/* lexical normalisation: drop ".", empty components, resolve ".." */
	char *norm = malloc(strlen(abs) + 2), *o = norm;
	for (const char *c = abs; norm && *c;) {
		while (*c == '/')
			c++;
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.')) {
		} else if (n == 2 && c[0] == '.' && c[1] == '.') {
			while (o > norm && *--o != '/')
				;
		} else {
			*o++ = '/';
			memcpy(o, c, n);
			o += n;
		}
		c += n;
	}
	if (norm)
		*o = '\0';
	free(abs);
	if (!norm)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	size_t rl = strlen(root);
	if (strncmp(norm, root, rl) != 0 || norm[rl] != '/' || !norm[rl + 1]) {
		int rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"%s is outside the project %s: data must live inside the project", user_path, root);
		free(norm);
		return rc;
	}
	char *rel = bc_strdup(norm + rl + 1);
	free(norm);
	if (!rel)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	/* no reserved component, no symlink on the way (the last one is checked by callers) */
	for (char *c = rel; *c;) {
		char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (is_reserved(c, n)) {
			int rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"%s is inside %.*s/, which bancada manages itself: pick a path in the workspace",
				user_path, (int)n, c);
			free(rel);
			return rc;
		}
		if (!e)
			break;
		*e = '\0';
		char *full = bc_path_join(root, rel);
		struct stat st;
		int link = full && lstat(full, &st) == 0 && S_ISLNK(st.st_mode);
		free(full);
		if (link) {
			int rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"%s goes through the symlink %s: use the real path", user_path, rel);
			free(rel);
			return rc;
		}
		*e = '/';
		c = e + 1;
	}
	*out = rel;
	return 0;
}

int
data_walk_parent(const char *root, const char *rel, int create, const char **base,
	struct data_walk_fail *fail)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fail)
		fail->at = 0, fail->mkdir = 0;
	if (fd < 0)
		return -1;
	const char *c = rel;
	for (const char *e; (e = strchr(c, '/')); c = e + 1) {
		char comp[NAME_MAX + 1];
		size_t n = (size_t)(e - c);
		if (n == 0 || n > NAME_MAX)
			continue;
		memcpy(comp, c, n);
		comp[n] = '\0';
		int sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int made = 0;
		if (sub < 0 && errno == ENOENT && create) {
			made = 1;
			if (mkdirat(fd, comp, 0755) == 0 || errno == EEXIST)
				sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (sub < 0) {
			int e2 = errno;
			close(fd);
			if (fail)
				fail->at = (size_t)(e - rel), fail->mkdir = made && e2 != ELOOP && e2 != ENOTDIR;
			errno = e2;
			return -1;
		}
		close(fd);
		fd = sub;
	}
	*base = c;
	return fd;
}

int
data_open_parent(bc_project *p, const char *rel, int create, const char **base)
{
	struct data_walk_fail f;
	int fd = data_walk_parent(bc_project_root(p), rel, create, base, &f);
	if (fd >= 0)
		return fd;
	int e2 = errno;
	if (f.at == 0)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot open the project root: %s", strerror(e2));
	if (f.mkdir)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot create directory for %s: %s",
			rel, strerror(e2));
	if (e2 == ELOOP || e2 == ENOTDIR)
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"refusing to write %s: %.*s is a symlink or not a directory (never written through)",
			rel, (int)f.at, rel);
	return bc_error_set(p, BC_ERR_OS, e2 == ENOENT ? BC_ENOTFOUND : BC_ERROR,
		"cannot open the directory of %s: %s", rel, strerror(e2));
}

int
data_list_push(bc_data_list *l, const char *path, const char *inner, bc_data_state st)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		bc_data_item *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	bc_data_item *it = &l->v[l->n++];
	memset(it, 0, sizeof *it);
	it->path = bc_strdup(path);
	it->inner = bc_strdup(inner);
	it->state = st;
	it->size = it->old_size = -1;
	return 0;
}

void
bc_data_list_clear(bc_data_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].inner);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct names {
	char **v;
	size_t n, cap;
};

static int
names_push(struct names *s, char *name)
{
	if (!name)
		return -ENOMEM;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **v = realloc(s->v, cap * sizeof *v);
		if (!v) {
			free(name);
			return -ENOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = name;
	return 0;
}

/* Type of a listed entry: S_IFREG, S_IFDIR, S_IFLNK, other bits, or 0 when the
 * filesystem did not say (then fstatat is needed). Saves one stat per file. */
static mode_t
name_type(const char *name)
{
	switch ((unsigned char)name[strlen(name) + 1]) {
	case DT_REG: return S_IFREG;
	case DT_DIR: return S_IFDIR;
	case DT_LNK: return S_IFLNK;
	case DT_UNKNOWN: return 0;
	default: return S_IFIFO;  /* some special file */
	}
}

/* st_mode of entry `name` of dfd: from the listing, else lstat. */
static int
entry_mode(int dfd, const char *name, mode_t *mode)
{
	struct stat st;
	if ((*mode = name_type(name)) != 0)
		return 0;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	*mode = st.st_mode;
	return 0;
}

static int
read_names(int dfd, struct names *out)
{
	int dup_fd = dup(dfd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return -errno;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* the entry type rides after the name's NUL (see name_type) */
		size_t len = strlen(de->d_name);
		char *name = malloc(len + 2);
		if (name) {
			memcpy(name, de->d_name, len + 1);
			name[len + 1] = (char)de->d_type;
		}
		if (names_push(out, name) < 0)
			break;
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, cmp_str);
	return 0;
}

static void
names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static int
has_name(const struct names *s, const char *name)
{
	return bsearch(&name, s->v, s->n, sizeof *s->v, cmp_str) != NULL;
}

static int
walk_pointers(bc_project *p, int dfd, const char *rel, data_ptrs *out)
{
	struct names nm = { 0 };
	int rc = read_names(dfd, &nm);
	size_t el = strlen(BC_DATA_POINTER_EXT);
	for (size_t i = 0; rc == 0 && i < nm.n; i++) {
		const char *name = nm.v[i];
		size_t len = strlen(name);
		char *sub = rel[0] ? bc_sprintf("%s/%s", rel, name) : bc_strdup(name);
		mode_t mode;
		if (!sub || entry_mode(dfd, name, &mode) < 0) {
			free(sub);
			continue;
		}
		if (S_ISREG(mode) && len > el && !strcmp(name + len - el, BC_DATA_POINTER_EXT)) {
			char *text = NULL;
			size_t tl = 0;
			char *full = bc_path_join(bc_project_root(p), sub);
			int r = full ? bc_read_file(full, &text, &tl) : -ENOMEM;
			free(full);
			data_ptr d;
			if (r < 0)
				rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot read %s: %s", sub, strerror(-r));
			else if ((rc = data_ptr_parse(p, sub, text, tl, rel, &d)) == 0)
				rc = data_ptrs_push(out, &d);
			free(text);
		} else if (S_ISDIR(mode) && !is_reserved(name, len)) {
			/* a tracked directory is data, not workspace: do not descend */
			char *ptr = bc_sprintf("%s" BC_DATA_POINTER_EXT, name);
			int tracked = ptr && has_name(&nm, ptr);
			free(ptr);
			int sfd = tracked ? -1 : openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sfd >= 0) {
				rc = walk_pointers(p, sfd, sub, out);
				close(sfd);
			}
		}
		free(sub);
	}
	names_free(&nm);
	return rc;
}

int
data_ws_pointers(bc_project *p, data_ptrs *out)
{
	memset(out, 0, sizeof *out);
	int fd = open(bc_project_root(p), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot open the project root: %s", strerror(errno));
	int rc = walk_pointers(p, fd, "", out);
	close(fd);
	if (rc < 0) {
		data_ptrs_clear(out);
		return rc;
	}
	data_ptrs_sort(out);
	return 0;
}

static int
walk_files(bc_project *p, int dfd, const char *top, const char *rel, struct names *out)
{
	struct names nm = { 0 };
	int rc = read_names(dfd, &nm);
	if (rc < 0)
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot list %s/%s: %s", top, rel, strerror(-rc));
	for (size_t i = 0; rc == 0 && i < nm.n; i++) {
		size_t nl = strlen(nm.v[i]), tl = strlen(DATA_TMP_SUFFIX);
		if (nm.v[i][0] == '.' && nl > tl && !strcmp(nm.v[i] + nl - tl, DATA_TMP_SUFFIX)) {
			continue;  /* left by an interrupted checkout; the re-run reuses it */
		}
		char *sub = rel[0] ? bc_sprintf("%s/%s", rel, nm.v[i]) : bc_strdup(nm.v[i]);
		mode_t mode;
		if (!sub) {
			rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
		} else if (entry_mode(dfd, nm.v[i], &mode) < 0) {
			rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot stat %s/%s: %s", top, sub, strerror(errno));
		} else if (S_ISREG(mode)) {
			rc = names_push(out, sub);
			sub = NULL;
		} else if (S_ISDIR(mode)) {
			int sfd = openat(dfd, nm.v[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sfd < 0)
				rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot open %s/%s: %s: fix its permissions",
					top, sub, strerror(errno));
			else {
				rc = walk_files(p, sfd, top, sub, out);
				close(sfd);
			}
		} else {
			rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"%s/%s is a %s: data directories may hold only regular files and directories (replace or remove it)",
				top, sub, S_ISLNK(mode) ? "symlink" : "special file");
		}
		free(sub);
	}
	names_free(&nm);
	return rc;
}

int
data_walk_dir(bc_project *p, const char *rel, char ***files, size_t *n)
{
	const char *base;
	struct names out = { 0 };
	int pfd = data_open_parent(p, rel, 0, &base);
	if (pfd < 0)
		return pfd;
	int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(pfd);
	if (fd < 0)
		return bc_error_set(p, BC_ERR_OS, errno == ENOENT ? BC_ENOTFOUND : BC_ERROR,
			"cannot open directory %s: %s", rel, strerror(errno));
	int rc = walk_files(p, fd, rel, "", &out);
	close(fd);
	if (rc < 0) {
		names_free(&out);
		return rc;
	}
	if (out.n > 1)
		qsort(out.v, out.n, sizeof *out.v, cmp_str);
	*files = out.v;
	*n = out.n;
	return 0;
}

static void
put_ignore_name(bc_buf *b, const char *name)
{
	bc_buf_putc(b, '/');
	for (const char *c = name; *c; c++) {
		if (strchr("*?[]\\!# ", *c))
			bc_buf_putc(b, '\\');
		bc_buf_putc(b, *c);
	}
	bc_buf_putc(b, '\n');
}

int
data_ignore_add(bc_project *p, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	const char *name = slash ? slash + 1 : rel;
	char *gi = slash ? bc_sprintf("%s/%.*s/.gitignore", bc_project_root(p), (int)(slash - rel), rel)
		: bc_path_join(bc_project_root(p), ".gitignore");
	char *lockp = bc_sprintf("%s/tmp/gitignore.lock", bc_project_dir(p));
	bc_buf line = BC_BUF_INIT, b = BC_BUF_INIT;
	char *old = NULL;
	size_t len = 0;
	int rc = 0, lfd = -1;
	if (!gi || !lockp)
		goto oom;
	put_ignore_name(&line, name);
	bc_mkdir_p(bc_project_dir(p), 0755);
	char *tmpd = bc_path_join(bc_project_dir(p), "tmp");
	if (tmpd)
		mkdir(tmpd, 0755);
	free(tmpd);
	lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lfd >= 0)
		flock(lfd, LOCK_EX);  /* concurrent adds in one directory must not lose lines */
	int r = bc_read_file(gi, &old, &len);
	if (r < 0 && r != -ENOENT) {
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot read %s: %s", gi, strerror(-r));
		goto done;
	}
	if (old) {
		/* present as a whole line already? */
		size_t ll = line.len;
		for (const char *l = old; l && *l;) {
			const char *nl = strchr(l, '\n');
			size_t n = nl ? (size_t)(nl - l) : strlen(l);
			if (n == ll - 1 && !memcmp(l, line.data, n))
				goto done;
			l = nl ? nl + 1 : NULL;
		}
		bc_buf_put(&b, old, len);
		if (len && old[len - 1] != '\n')
			bc_buf_putc(&b, '\n');
	}
	bc_buf_put(&b, line.data, line.len);
	if ((r = bc_write_file_atomic(gi, b.data, b.len, 0644)) < 0)
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot write %s: %s", gi, strerror(-r));
	goto done;
oom:
	rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
done:
	if (lfd >= 0)
		close(lfd);
	bc_buf_free(&line);
	bc_buf_free(&b);
	free(old);
	free(gi);
	free(lockp);
	return rc;
}

int
data_select(bc_project *p, const data_ptrs *all, const char *const *paths, size_t n,
	data_ptrs *out)
{
	memset(out, 0, sizeof *out);
	char **rel = n ? calloc(n, sizeof *rel) : NULL;
	char *used = n ? calloc(n, 1) : NULL;
	int rc = 0;
	if (n && (!rel || !used))
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	for (size_t j = 0; j < n && !rc; j++) {
		rc = data_relpath(p, paths[j], &rel[j]);
		size_t l = rel[j] ? strlen(rel[j]) : 0, el = strlen(BC_DATA_POINTER_EXT);
		if (!rc && l > el && !strcmp(rel[j] + l - el, BC_DATA_POINTER_EXT))
			rel[j][l - el] = '\0';  /* the pointer names its data */
	}
	for (size_t i = 0; i < all->n && !rc; i++) {
		int want = n == 0;
		for (size_t j = 0; j < n; j++) {
			size_t l = strlen(rel[j]);
			/* the path itself, or anything below a selected directory */
			if (!strcmp(all->v[i].path, rel[j]) ||
					(!strncmp(all->v[i].path, rel[j], l) && all->v[i].path[l] == '/')) {
				want = 1;
				used[j] = 1;
			}
		}
		if (!want)
			continue;
		data_ptr d = all->v[i];
		d.path = bc_strdup(d.path);
		if (!d.path || data_ptrs_push(out, &d) < 0)
			rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	}
	for (size_t j = 0; j < n && !rc; j++)
		if (!used[j])
			rc = bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND,
				"%s is not tracked (no %s" BC_DATA_POINTER_EXT "): run `bancada data add %s` first",
				paths[j], rel[j], paths[j]);
	for (size_t j = 0; j < n; j++)
		if (rel)
			free(rel[j]);
	free(rel);
	free(used);
	if (rc)
		data_ptrs_clear(out);
	return rc;
}
