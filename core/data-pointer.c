/* SPDX-License-Identifier: MIT */
/*
 * Pointer files and directory manifests, both trivial line formats.
 *
 * A pointer `NAME.bcd` sits next to the data NAME and is committed to git:
 *
 *   # bancada data pointer: commit this file; the data is in .bancada/cache
 *   format: bancada-data/1
 *   path: NAME
 *   type: file            (or dir)
 *   sha256: <64 hex>      (of the content, or of the manifest for a dir)
 *   size: <bytes>         (total of the member files for a dir)
 *   files: <count>        (dir only)
 *
 * Unknown keys are ignored (newer writers may add some); `#` starts a comment.
 * A manifest object lists a directory, sorted by path, one file a line:
 *
 *   bancada-manifest/1
 *   <sha256> <size> <x|-> <path relative to the directory>
 *
 * Paths escape backslash, newline and CR as \\, \n and \r.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "data-internal.h"

static void
put_escaped(bc_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			bc_buf_puts(b, "\\\\");
		else if (*s == '\n')
			bc_buf_puts(b, "\\n");
		else if (*s == '\r')
			bc_buf_puts(b, "\\r");
		else
			bc_buf_putc(b, *s);
	}
}

static char *
unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len) {
			char c = s[++i];
			*o++ = c == 'n' ? '\n' : c == 'r' ? '\r' : c;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static int
parse_i64(const char *s, size_t len, int64_t *out)
{
	char tmp[32];
	if (len == 0 || len >= sizeof tmp)
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	char *end;
	errno = 0;
	long long v = strtoll(tmp, &end, 10);
	if (errno || *end || v < 0)
		return -1;
	*out = v;
	return 0;
}

int
data_ptr_parse(bc_project *p, const char *what, const char *text, size_t len,
	const char *rel_dir, data_ptr *out)
{
	memset(out, 0, sizeof *out);
	out->size = -1;
	char *name = NULL;
	int have_format = 0, have_type = 0, lineno = 0;
	const char *end = text + len;
	for (const char *l = text; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		const char *le = nl ? nl : end;
		lineno++;
		size_t ll = (size_t)(le - l);
		if (ll && l[ll - 1] == '\r')
			ll--;
		if (ll && l[0] != '#') {
			const char *colon = memchr(l, ':', ll);
			if (!colon || colon + 1 >= l + ll || colon[1] != ' ')
				goto bad;
			size_t kl = (size_t)(colon - l);
			const char *v = colon + 2;
			size_t vl = ll - kl - 2;
#define KEY(k) (kl == strlen(k) && !memcmp(l, k, kl))
			if (KEY("format")) {
				if (vl != 14 || memcmp(v, "bancada-data/1", 14))
					goto bad;
				have_format = 1;
			} else if (KEY("path")) {
				free(name);
				name = unescape(v, vl);
			} else if (KEY("type")) {
				if (vl == 4 && !memcmp(v, "file", 4))
					out->is_dir = 0;
				else if (vl == 3 && !memcmp(v, "dir", 3))
					out->is_dir = 1;
				else
					goto bad;
				have_type = 1;
			} else if (KEY("sha256")) {
				if (vl != 64)
					goto bad;
				memcpy(out->hash, v, 64);
				out->hash[64] = '\0';
				if (!data_is_hex(out->hash))
					goto bad;
			} else if (KEY("size")) {
				if (parse_i64(v, vl, &out->size) < 0)
					goto bad;
			} else if (KEY("files")) {
				if (parse_i64(v, vl, &out->nfiles) < 0)
					goto bad;
			}
#undef KEY
		}
		l = nl ? nl + 1 : end;
	}
	if (!have_format || !have_type || !name || !name[0] || !out->hash[0] ||
			strchr(name, '/') || !strcmp(name, "..") || !strcmp(name, ".")) {
		lineno = 0;
		goto bad;
	}
	out->path = rel_dir && rel_dir[0] ? bc_sprintf("%s/%s", rel_dir, name) : bc_strdup(name);
	free(name);
	return out->path ? 0 : bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
bad:
	free(name);
	data_ptr_clear(out);
	if (lineno)
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"pointer file %s is not valid (line %d): restore it with `git checkout -- %s` or re-run `bancada data add`",
			what, lineno, what);
	return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
		"pointer file %s is incomplete (needs format, path, type, sha256): restore it with `git checkout -- %s` or re-run `bancada data add`",
		what, what);
}

char *
data_ptr_format(const data_ptr *d)
{
	bc_buf b = BC_BUF_INIT;
	const char *slash = strrchr(d->path, '/');
	bc_buf_puts(&b, "# bancada data pointer: commit this file; the data is in .bancada/cache\n"
		"format: bancada-data/1\npath: ");
	put_escaped(&b, slash ? slash + 1 : d->path);
	bc_buf_printf(&b, "\ntype: %s\nsha256: %s\nsize: %" PRId64 "\n",
		d->is_dir ? "dir" : "file", d->hash, d->size);
	if (d->is_dir)
		bc_buf_printf(&b, "files: %" PRId64 "\n", d->nfiles);
	return bc_buf_detach(&b);
}

int
data_ptr_write(bc_project *p, const data_ptr *d)
{
	char *text = data_ptr_format(d);
	char *rel = bc_sprintf("%s" BC_DATA_POINTER_EXT, d->path);
	if (!text || !rel) {
		free(text);
		free(rel);
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	}
	/* skip the write when the pointer already says exactly this */
	char *full = bc_path_join(bc_project_root(p), rel), *old = NULL;
	size_t oldlen = 0;
	int rc = 0;
	if (full && bc_read_file(full, &old, &oldlen) == 0 && oldlen == strlen(text) &&
			!memcmp(old, text, oldlen))
		goto done;
	const char *base;
	int dfd = data_open_parent(p, rel, 0, &base);
	if (dfd < 0) {
		rc = dfd;
		goto done;
	}
	char tmp[512];
	snprintf(tmp, sizeof tmp, ".%.200s.bctmp%ld", base, (long)getpid());
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	size_t len = strlen(text);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0 ||
			close(fd) < 0 || renameat(dfd, tmp, dfd, base) < 0) {
		int e = errno;
		if (fd >= 0)
			unlinkat(dfd, tmp, 0);
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot write pointer %s: %s", rel, strerror(e));
	} else {
		fsync(dfd);
	}
	close(dfd);
done:
	free(old);
	free(full);
	free(text);
	free(rel);
	return rc;
}

void
data_ptr_clear(data_ptr *d)
{
	free(d->path);
	d->path = NULL;
}

void
data_ptrs_clear(data_ptrs *l)
{
	for (size_t i = 0; i < l->n; i++)
		data_ptr_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

int
data_ptrs_push(data_ptrs *l, data_ptr *d)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		data_ptr *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *d;
	memset(d, 0, sizeof *d);
	return 0;
}

static int
cmp_ptr(const void *a, const void *b)
{
	return strcmp(((const data_ptr *)a)->path, ((const data_ptr *)b)->path);
}

void
data_ptrs_sort(data_ptrs *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, cmp_ptr);
}

const data_ptr *
data_ptrs_find(const data_ptrs *l, const char *path)
{
	data_ptr key = { .path = (char *)(uintptr_t)path };
	return l->n ? bsearch(&key, l->v, l->n, sizeof *l->v, cmp_ptr) : NULL;
}

/* ---- manifests ---- */

/* A member path must stay inside its directory: no absolute path, no empty,
 * `.` or `..` component. */
static int
safe_member(const char *path)
{
	if (!path[0] || path[0] == '/')
		return 0;
	for (const char *c = path; *c;) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c += n + (e ? 1 : 0);
		if (e && !*c)
			return 0;
	}
	return 1;
}

static int
cmp_mentry(const void *a, const void *b)
{
	return strcmp(((const data_mentry *)a)->path, ((const data_mentry *)b)->path);
}

int
data_manifest_push(data_manifest *m, const char *path, const char *hex, int64_t size, int exec)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		data_mentry *v = realloc(m->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	data_mentry *e = &m->v[m->n];
	e->path = bc_strdup(path);
	if (!e->path)
		return -ENOMEM;
	snprintf(e->hash, sizeof e->hash, "%s", hex);
	e->size = size;
	e->exec = exec;
	m->n++;
	return 0;
}

char *
data_manifest_format(data_manifest *m, size_t *len)
{
	if (m->n > 1)
		qsort(m->v, m->n, sizeof *m->v, cmp_mentry);
	bc_buf b = BC_BUF_INIT;
	bc_buf_puts(&b, "bancada-manifest/1\n");
	for (size_t i = 0; i < m->n; i++) {
		bc_buf_printf(&b, "%s %" PRId64 " %c ", m->v[i].hash, m->v[i].size,
			m->v[i].exec ? 'x' : '-');
		put_escaped(&b, m->v[i].path);
		bc_buf_putc(&b, '\n');
	}
	*len = b.len;
	return bc_buf_detach(&b);
}

int
data_manifest_parse(bc_project *p, const char *hex, data_manifest *out)
{
	memset(out, 0, sizeof *out);
	char *text = NULL;
	size_t len = 0;
	int rc = cache_read_obj(p, hex, &text, &len);
	if (rc < 0)
		return rc;
	const char *end = text + len, *l = text;
	const char *nl = memchr(l, '\n', len);
	if (!nl || (size_t)(nl - l) != 18 || memcmp(l, "bancada-manifest/1", 18))
		goto bad;
	for (l = nl + 1; l < end; l = nl + 1) {
		nl = memchr(l, '\n', (size_t)(end - l));
		if (!nl || nl - l < 70 || l[64] != ' ')
			goto bad;
		char h[BC_DATA_HEX];
		memcpy(h, l, 64);
		h[64] = '\0';
		const char *s = l + 65, *sp = memchr(s, ' ', (size_t)(nl - s));
		int64_t size;
		if (!data_is_hex(h) || !sp || parse_i64(s, (size_t)(sp - s), &size) < 0 ||
				sp + 3 >= nl || sp[2] != ' ')
			goto bad;
		char *path = unescape(sp + 3, (size_t)(nl - sp - 3));
		if (path && !safe_member(path)) {
			free(path);
			goto bad;
		}
		if (!path || data_manifest_push(out, path, h, size, sp[1] == 'x') < 0) {
			free(path);
			goto bad;
		}
		free(path);
	}
	free(text);
	return 0;
bad:
	free(text);
	data_manifest_clear(out);
	return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
		"directory manifest %.12s in the cache is malformed: run `bancada data fsck`", hex);
}

void
data_manifest_clear(data_manifest *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	memset(m, 0, sizeof *m);
}
