/* SPDX-License-Identifier: MIT */
/*
 * Reading bundles: one streaming reader serves inspect, verify and extract,
 * so there is no second parser to disagree with. Only the tar and zip
 * readers and the gzip, zstd and xz filters are enabled. Every entry is
 * checked against the manifest and the safety rules before its bytes are
 * used; data is hashed while it streams and capped at the declared size.
 */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include "internal.h"
#include "bundle-pipe.h"
#include "bundle-read.h"

#define BUNDLE_SKIP_CAP ((uint64_t)64 << 20)

/* A small string set for directory entries (duplicates are refused). */
struct strset {
	char **v;
	size_t cap, n;
};

/* Insert; returns 1 if added, 0 if present, -1 on OOM. */
static int
strset_add(struct strset *s, const char *str)
{
	if (s->n * 2 >= s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **v = calloc(cap, sizeof *v);
		if (!v)
			return -1;
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i]) {
				size_t j = bc_hash_bytes(s->v[i], strlen(s->v[i])) & (cap - 1);
				while (v[j])
					j = (j + 1) & (cap - 1);
				v[j] = s->v[i];
			}
		free(s->v);
		s->v = v;
		s->cap = cap;
	}
	size_t j = bc_hash_bytes(str, strlen(str)) & (s->cap - 1);
	while (s->v[j]) {
		if (!strcmp(s->v[j], str))
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	s->v[j] = bc_strdup(str);
	s->n++;
	return s->v[j] ? 1 : -1;
}

static void
strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->v[i]);
	free(s->v);
}

static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const bc_bundle_file *)a)->path, ((const bc_bundle_file *)b)->path);
}

/* Is `dir` a parent directory of some manifest file? */
static int
is_manifest_dir(const bc_manifest *m, const char *dir)
{
	size_t dl = strlen(dir);
	size_t lo = 0, hi = m->nfiles;
	/* first path >= "dir/" */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(m->files[mid].path, dir, dl);
		if (c < 0 || (c == 0 && (unsigned char)m->files[mid].path[dl] < '/'))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->nfiles && !strncmp(m->files[lo].path, dir, dl) && m->files[lo].path[dl] == '/';
}

static const char *
type_name(mode_t type)
{
	switch (type) {
	case AE_IFLNK: return "symbolic link";
	case AE_IFCHR: return "character device";
	case AE_IFBLK: return "block device";
	case AE_IFIFO: return "FIFO";
	case AE_IFSOCK: return "socket";
	default: return "special file";
	}
}

struct reader {
	struct archive *a;
	bc_bundle_report *rep;
	const bc_bundle_read_options *opts;
	struct bundle_sink *sink;
	struct bundle_pipe *pipe;
	unsigned char *seen;     /* per manifest file */
	struct strset dirs;
	uint64_t skipped;        /* bytes of refused entries */
	int fatal;
};

/* Record a problem; returns 1 when reading must stop. */
static int
problem(struct reader *r, int fatal, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int
problem(struct reader *r, int fatal, const char *path, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	bundle_problem(r->rep, path, "%s", msg);
	if (fatal)
		r->fatal = 1;
	return fatal || (r->opts && r->opts->stop_at_first) || r->sink;
}

static int
read_manifest(struct reader *r, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);
	if (!name || strcmp(name, BC_BUNDLE_MANIFEST))
		return problem(r, 1, name, "the first entry is not %s: not a bancada bundle",
			BC_BUNDLE_MANIFEST);
	if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
		return problem(r, 1, name, "%s is not a regular file", BC_BUNDLE_MANIFEST);
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > BC_BUNDLE_MAX_MANIFEST)
		return problem(r, 1, name, "%s is larger than 1 MiB", BC_BUNDLE_MANIFEST);
	char *buf = malloc(BC_BUNDLE_MAX_MANIFEST + 1);
	if (!buf)
		return problem(r, 1, NULL, "out of memory");
	size_t len = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(r->a, buf + len, BC_BUNDLE_MAX_MANIFEST + 1 - len);
		if (n < 0) {
			free(buf);
			return problem(r, 1, name, "cannot read %s: %s", BC_BUNDLE_MANIFEST,
				archive_error_string(r->a));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > BC_BUNDLE_MAX_MANIFEST) {
			free(buf);
			return problem(r, 1, name, "%s is larger than 1 MiB", BC_BUNDLE_MANIFEST);
		}
	}
	char why[512];
	int rc = bc_manifest_parse(buf, len, &r->rep->manifest, why, sizeof why);
	if (rc < 0) {
		free(buf);
		return problem(r, 1, name, "invalid manifest: %s", why);
	}
	r->seen = calloc(r->rep->manifest->nfiles + 1, 1);
	if (!r->seen) {
		free(buf);
		return problem(r, 1, NULL, "out of memory");
	}
	if (r->sink && r->sink->file(r->sink, BC_BUNDLE_MANIFEST, 0644, buf, len) < 0)
		rc = problem(r, 1, name, "cannot write %s: %s", BC_BUNDLE_MANIFEST, strerror(errno));
	free(buf);
	return rc;
}

/* Has the caller asked to stop (bc_bundle_read_options.cancel)? */
static int
cancelled(const struct reader *r)
{
	return r->opts && r->opts->cancel && __atomic_load_n(r->opts->cancel, __ATOMIC_RELAXED);
}

/* Stream one payload entry through the hash (and the sink), capped at its declared size. */
static int
read_payload(struct reader *r, bc_bundle_file *f, const char *name)
{
	int fd = -1;
	if (r->sink) {
		fd = r->sink->open(r->sink, f->path, f->mode);
		if (fd < 0)
			return problem(r, 1, name, "cannot create the file: %s", strerror(errno));
	}
	if (bundle_pipe_begin(r->pipe, fd) < 0) {
		if (fd >= 0)
			close(fd);
		return problem(r, 1, NULL, "cannot start SHA-256");
	}
	uint64_t total = 0;
	int stop = 0, first = 1;
	for (;;) {
		unsigned char *buf = bundle_pipe_slot(r->pipe);
		la_ssize_t n = archive_read_data(r->a, buf, BUNDLE_CHUNK);
		if (n < 0) {
			stop = problem(r, 1, name, "the archive is corrupt or truncated: %s",
				archive_error_string(r->a));
			break;
		}
		if (n == 0)
			break;
		if (cancelled(r)) {
			stop = problem(r, 1, NULL, "cancelled after %llu bytes",
				(unsigned long long)r->rep->bytes);
			break;
		}
		if (first && !f->exec_kind)
			f->exec_kind = bc_bundle_exec_kind(f->path, buf, (size_t)n);
		first = 0;
		total += (uint64_t)n;
		if (total > f->size) {
			stop = problem(r, 1, name, "more data than the manifest declares (%llu bytes): refusing a possible decompression bomb",
				(unsigned long long)f->size);
			break;
		}
		bundle_pipe_push(r->pipe, (size_t)n);
		r->rep->bytes += (uint64_t)n;
		if (r->opts && r->opts->progress)
			r->opts->progress(r->opts->payload, r->rep->bytes, r->rep->manifest->total_size);
	}
	char hex[65];
	int werr = bundle_pipe_end(r->pipe, hex);
	if (fd >= 0 && !werr && !stop && !r->fatal && fsync(fd) < 0)
		werr = -errno;
	if (fd >= 0 && close(fd) < 0 && !werr)
		werr = -errno;
	if (stop || r->fatal)
		return 1;
	if (werr)
		return problem(r, 1, name, "cannot write the file: %s", strerror(-werr));
	if (total != f->size)
		return problem(r, 0, name, "size differs from the manifest (%llu bytes, manifest says %llu)",
			(unsigned long long)total, (unsigned long long)f->size);
	if (strcmp(hex, f->sha256))
		return problem(r, 0, name, "content differs from the manifest (sha256 %.16s..., manifest says %.16s...)",
			hex, f->sha256);
	return 0;
}

/* Check one entry after the manifest; returns 1 to stop. */
static int
read_entry(struct reader *r, struct archive_entry *e)
{
	bc_manifest *m = r->rep->manifest;
	const char *raw = archive_entry_pathname(e);
	if (!raw)
		return problem(r, 0, NULL, "an entry name cannot be decoded");
	char name[BC_BUNDLE_MAX_PATH + 2];
	size_t len = strlen(raw);
	if (len > BC_BUNDLE_MAX_PATH + 1)
		return problem(r, 0, raw, "unsafe entry: name longer than 1024 bytes");
	memcpy(name, raw, len + 1);
	mode_t type = archive_entry_filetype(e);
	if (type == AE_IFDIR && len > 1 && name[len - 1] == '/')
		name[--len] = '\0';
	const char *bad = bc_bundle_path_problem(name, len);
	if (bad)
		return problem(r, 0, raw, "unsafe entry: %s", bad);
	if (archive_entry_hardlink(e))
		return problem(r, 0, raw, "unsafe entry: hard link");
	if (type != AE_IFREG && type != AE_IFDIR)
		return problem(r, 0, raw, "unsafe entry: %s", type_name(type));
	if (archive_entry_symlink(e))
		return problem(r, 0, raw, "unsafe entry: symbolic link");
	if (archive_entry_sparse_count(e) > 0)
		return problem(r, 0, raw, "unsafe entry: sparse file");
	if (archive_entry_is_encrypted(e))
		return problem(r, 0, raw, "unsafe entry: encrypted");
	mode_t perm = archive_entry_perm(e);
	if (perm & 07000)
		return problem(r, 0, raw, "unsafe entry: setuid, setgid or sticky mode %04o",
			(unsigned)perm);
	if (perm & 0002)
		return problem(r, 0, raw, "unsafe entry: world-writable mode %04o", (unsigned)perm);
	if (type == AE_IFDIR) {
		if (!is_manifest_dir(m, name))
			return problem(r, 0, raw, "directory not in the manifest");
		int added = strset_add(&r->dirs, name);
		if (added < 0)
			return problem(r, 1, NULL, "out of memory");
		if (added == 0)
			return problem(r, 0, raw, "duplicate entry");
		if (r->sink && r->sink->dir(r->sink, name) < 0)
			return problem(r, 1, raw, "cannot create the directory: %s", strerror(errno));
		return 0;
	}
	bc_bundle_file key = { .path = name };
	bc_bundle_file *f = bsearch(&key, m->files, m->nfiles, sizeof key, file_cmp);
	if (!f)
		return problem(r, 0, raw, "entry not in the manifest");
	size_t idx = (size_t)(f - m->files);
	if (r->seen[idx])
		return problem(r, 0, raw, "duplicate entry");
	r->seen[idx] = 1;
	if ((perm & 0777) != f->mode)
		return problem(r, 0, raw, "mode %04o differs from the manifest (%04o)",
			(unsigned)(perm & 0777), f->mode);
	if (archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) != f->size)
		return problem(r, 1, raw, "size differs from the manifest (archive says %lld bytes, manifest %llu)",
			(long long)archive_entry_size(e), (unsigned long long)f->size);
	return read_payload(r, f, raw);
}

/* Open `file` for reading with only the formats and filters bundles use. */
static struct archive *
open_archive(const char *file, int *fdp, bc_bundle_report *rep)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		bundle_problem(rep, NULL, "cannot open %s: %s", file, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		bundle_problem(rep, NULL, "%s is not a regular file", file);
		close(fd);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	struct archive *a = archive_read_new();
	if (!a) {
		close(fd);
		return NULL;
	}
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_fd(a, fd, BUNDLE_CHUNK) != ARCHIVE_OK) {
		bundle_problem(rep, NULL, "cannot read %s: not a bundle (tar or zip, plain or with gzip, zstd or xz), or corrupt or truncated: %s",
			file, archive_error_string(a));
		archive_read_free(a);
		close(fd);
		return NULL;
	}
	*fdp = fd;
	return a;
}

int
bundle_read(const char *file, const bc_bundle_read_options *opts, struct bundle_sink *sink,
	int manifest_only, bc_bundle_report **out)
{
	bundle_locale loc;
	struct reader r = { .opts = opts, .sink = sink };
	int fd = -1;
	r.rep = calloc(1, sizeof *r.rep);
	*out = r.rep;
	if (!r.rep)
		return BC_ERROR;
	bundle_locale_enter(&loc);
	if (!manifest_only && !(r.pipe = bundle_pipe_new())) {
		bundle_problem(r.rep, NULL, "out of memory");
		goto done;
	}
	r.a = open_archive(file, &fd, r.rep);
	if (!r.a)
		goto done;
	struct archive_entry *e = archive_entry_new();
	int stop = 0;
	while (!stop) {
		if (cancelled(&r)) {
			problem(&r, 1, NULL, "cancelled after %llu bytes", (unsigned long long)r.rep->bytes);
			break;
		}
		int rc = archive_read_next_header2(r.a, e);
		if (rc == ARCHIVE_EOF) {
			if (r.rep->entries == 0)
				problem(&r, 1, NULL, "empty archive: no %s", BC_BUNDLE_MANIFEST);
			else
				r.rep->complete = 1;
			break;
		}
		if (rc < ARCHIVE_WARN) {
			problem(&r, 1, NULL, "%s: %s", r.rep->entries ? "the archive is corrupt or truncated"
				: "not a bundle (tar or zip, plain or with gzip, zstd or xz)",
				archive_error_string(r.a));
			break;
		}
		if (++r.rep->entries > 2 * (size_t)BC_BUNDLE_MAX_FILES + 1) {
			problem(&r, 1, NULL, "more than %d entries", 2 * BC_BUNDLE_MAX_FILES);
			break;
		}
		if (r.rep->entries == 1) {
			stop = read_manifest(&r, e);
			if (manifest_only)
				break;
		} else {
			size_t before = r.rep->nproblems;
			stop = read_entry(&r, e);
			/* Data of a refused entry is skipped, which still decompresses it:
			 * bound that work so extra entries cannot be a bomb either. */
			if (!stop && r.rep->nproblems > before && archive_entry_size_is_set(e) &&
					archive_entry_size(e) > 0) {
				r.skipped += (uint64_t)archive_entry_size(e);
				if (r.skipped > BUNDLE_SKIP_CAP)
					stop = problem(&r, 1, NULL,
						"more than 64 MiB in refused entries: stopped reading");
			}
		}
	}
	archive_entry_free(e);
	if (r.rep->complete && r.rep->manifest && !manifest_only)
		for (size_t i = 0; i < r.rep->manifest->nfiles; i++)
			if (!r.seen[i])
				problem(&r, 0, r.rep->manifest->files[i].path, "missing from the archive");
	archive_read_free(r.a);
	close(fd);
done:
	bundle_locale_leave(&loc);
	bundle_pipe_free(r.pipe);
	free(r.seen);
	strset_free(&r.dirs);
	return r.rep->nproblems ? BC_EINVALID : 0;
}

int
bc_bundle_inspect(const char *file, bc_bundle_report **out)
{
	return bundle_read(file, NULL, NULL, 1, out);
}

int
bc_bundle_verify(const char *file, const bc_bundle_read_options *opts, bc_bundle_report **out)
{
	return bundle_read(file, opts, NULL, 0, out);
}
