/* SPDX-License-Identifier: MIT */
/*
 * The one-pass tar.zst writer. The manifest must come first in the archive
 * but holds the hash of every payload file, so a two-pass writer reads the
 * payload twice and cannot hash while it compresses. Here the archive is
 * two zstd frames (readers see one tar stream: zstd concatenates frames):
 *
 *   frame A  the MANIFEST.json tar entry in raw (stored) zstd blocks: its
 *            size depends only on the manifest's length, which is known
 *            before any hash is (hashes are fixed-width hex);
 *   frame B  the payload entries and the end-of-archive marker, compressed
 *            by libarchive's multi-threaded zstd filter.
 *
 * The main thread streams the inputs into frame B, written at offset
 * len(A). A hasher thread reads the inputs ahead of it (SHA-256 runs faster
 * than zstd), builds the manifest, writes frame A at offset 0, then hashes
 * the archive (A, then B read back as it lands) for the registry. Output
 * bytes depend only on the inputs: reproducible whatever the thread count.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include "internal.h"
#include "bundle-zst.h"

#define RAW_BLOCK (128 * 1024)          /* zstd's largest block */
#define WRITEBACK_STEP (8u << 20)

/* Size of a zstd frame of raw blocks holding `len` bytes (len > 0). */
static uint64_t
frame_a_size(uint64_t len)
{
	return 4 + 1 + 4 + 3 * ((len + RAW_BLOCK - 1) / RAW_BLOCK) + len;
}

static void
le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* A single-segment frame with a 4-byte content size, no checksum, raw blocks. */
static void
frame_a_build(const unsigned char *src, size_t len, unsigned char *out)
{
	le32(out, 0xFD2FB528u);
	out[4] = 0xA0;                      /* FCS field 4 bytes, single segment */
	le32(out + 5, (uint32_t)len);
	unsigned char *p = out + 9;
	do {
		size_t n = len < RAW_BLOCK ? len : RAW_BLOCK;
		uint32_t h = (uint32_t)(n << 3) | (len == n);   /* type 0: raw */
		p[0] = (unsigned char)h;
		p[1] = (unsigned char)(h >> 8);
		p[2] = (unsigned char)(h >> 16);
		memcpy(p + 3, src, n);
		p += 3 + n;
		src += n;
		len -= n;
	} while (len);
}

struct zst {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t written;            /* bytes of frame B on disk */
	int writer_done, abort;      /* main: frame B complete / gave up */
	int failed, code;            /* hasher: gave up, with err */
	char err[700];
	struct bundle_inputs *in;
	const struct bundle_zst_manifest *man;
	time_t mtime;
	int fd;
	uint64_t a_len;
	char sha[65];
};

static int
zst_fail(struct zst *z, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int
zst_fail(struct zst *z, int code, const char *fmt, ...)
{
	pthread_mutex_lock(&z->mu);
	if (!z->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(z->err, sizeof z->err, fmt, ap);
		va_end(ap);
		z->code = code;
		z->failed = 1;
	}
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
	return -1;
}

static int
zst_aborted(struct zst *z)
{
	pthread_mutex_lock(&z->mu);
	int a = z->abort;
	pthread_mutex_unlock(&z->mu);
	return a;
}

/* Hash one input (the same checks as bundle_input_open/unchanged, errors kept in z). */
static int
hash_input(struct zst *z, bundle_input *f, unsigned char *buf, EVP_MD_CTX *md)
{
	int fd = open(f->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return zst_fail(z, BC_ERROR, "cannot read %s: %s", f->src, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_ino != f->ino ||
			(uint64_t)st.st_dev != f->dev) {
		close(fd);
		return zst_fail(z, BC_EINVALID, "%s was replaced while bundling: try again", f->src);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	uint64_t got = 0;
	int rc = 0, first = 1;
	for (;;) {
		ssize_t n = read(fd, buf, BUNDLE_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = zst_fail(z, BC_ERROR, "cannot read %s: %s", f->src, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		/* the manifest was sized with the flag taken from the first bytes */
		if (first && bc_bundle_exec_kind(f->name, buf, (size_t)n) != f->exec_kind)
			got = UINT64_MAX;
		first = 0;
		if (got > f->size || (uint64_t)n > f->size - got)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
		got += (uint64_t)n;
		if (zst_aborted(z)) {
			rc = -1;
			break;
		}
	}
	if (!rc && (got != f->size || fstat(fd, &st) < 0 || (uint64_t)st.st_size != f->size ||
			(int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec != f->mtime_ns ||
			(int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec != f->ctime_ns))
		rc = zst_fail(z, BC_EINVALID,
			"%s changed while bundling: wait for the writer to finish and try again", f->src);
	if (!rc && bundle_sha256_final(md, f->sha256) < 0)
		rc = zst_fail(z, BC_ERROR, "SHA-256 failed");
	close(fd);
	return rc;
}

/* libarchive output into a growing memory buffer. */
struct membuf {
	unsigned char *p;
	size_t len, cap;
};

static la_ssize_t
mem_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct membuf *m = ctx;
	(void)a;
	if (m->len + len > m->cap) {
		size_t cap = (m->len + len) * 2;
		unsigned char *np = realloc(m->p, cap);
		if (!np)
			return -1;
		m->p = np;
		m->cap = cap;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return (la_ssize_t)len;
}

/* The manifest's tar entry (header, data, padding) exactly as one archive would hold it. */
static int
manifest_entry(const char *text, size_t len, time_t mtime, struct membuf *m)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	int rc = -1;
	if (!a || !e || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK)
		goto done;
	archive_write_set_bytes_per_block(a, 0);
	if (archive_write_open2(a, m, NULL, mem_write, NULL, NULL) != ARCHIVE_OK)
		goto done;
	archive_entry_copy_pathname(e, BC_BUNDLE_MANIFEST);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(a, e) == ARCHIVE_OK &&
			archive_write_data(a, text, len) == (la_ssize_t)len &&
			archive_write_close(a) == ARCHIVE_OK)
		rc = 0;
done:
	if (a)
		archive_write_free(a);
	archive_entry_free(e);
	return rc;
}

/* Build the manifest from the hashes, write frame A at offset 0, start the archive hash. */
static int
write_frame_a(struct zst *z, EVP_MD_CTX *md)
{
	const struct bundle_zst_manifest *mf = z->man;
	const char *why = NULL;
	size_t len = 0;
	char *text = bundle_manifest_build(mf->run, z->in->v, z->in->n, mf->name, mf->version,
		mf->meta, mf->signature, &len, &why);
	if (!text)
		return zst_fail(z, BC_EINVALID, "cannot build the manifest: %s", why ? why : "?");
	struct membuf m = { NULL, 0, 0 };
	size_t entry = 512 + (len + 511) / 512 * 512;
	unsigned char *frame = NULL;
	int rc;
	if (len != mf->len || manifest_entry(text, len, z->mtime, &m) < 0 || m.len < entry ||
			frame_a_size(entry) != z->a_len) {
		rc = zst_fail(z, BC_ERROR, "cannot write the manifest entry");
		goto done;
	}
	frame = malloc(z->a_len);
	if (!frame) {
		rc = zst_fail(z, BC_ERROR, "out of memory");
		goto done;
	}
	frame_a_build(m.p, entry, frame);
	rc = 0;
	for (uint64_t off = 0; off < z->a_len && !rc;) {
		ssize_t n = pwrite(z->fd, frame + off, z->a_len - off, (off_t)off);
		if (n < 0 && errno != EINTR)
			rc = zst_fail(z, BC_ERROR, "cannot write the bundle: %s", strerror(errno));
		else if (n > 0)
			off += (uint64_t)n;
	}
	if (!rc) {
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		EVP_DigestUpdate(md, frame, z->a_len);
	}
done:
	free(frame);
	free(m.p);
	free(text);
	return rc;
}

/* Hash frame B as the main thread writes it, until it is complete. */
static int
hash_frame_b(struct zst *z, EVP_MD_CTX *md, unsigned char *buf)
{
	uint64_t off = 0;
	for (;;) {
		pthread_mutex_lock(&z->mu);
		while (z->written == off && !z->writer_done && !z->abort)
			pthread_cond_wait(&z->cv, &z->mu);
		uint64_t avail = z->written - off;
		int end = z->writer_done && !avail, abort = z->abort;
		pthread_mutex_unlock(&z->mu);
		if (abort)
			return -1;
		if (end)
			break;
		size_t want = avail < BUNDLE_CHUNK ? (size_t)avail : BUNDLE_CHUNK;
		ssize_t n = pread(z->fd, buf, want, (off_t)(z->a_len + off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return zst_fail(z, BC_ERROR, "cannot read the bundle back: %s",
				n < 0 ? strerror(errno) : "short read");
		EVP_DigestUpdate(md, buf, (size_t)n);
		off += (uint64_t)n;
	}
	return bundle_sha256_final(md, z->sha) < 0 ? zst_fail(z, BC_ERROR, "SHA-256 failed") : 0;
}

static void *
hasher(void *arg)
{
	struct zst *z = arg;
	bundle_locale loc;
	bundle_locale_enter(&loc);
	unsigned char *buf = malloc(BUNDLE_CHUNK);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!buf || !md) {
		zst_fail(z, BC_ERROR, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < z->in->n; i++)
		if (hash_input(z, &z->in->v[i], buf, md) < 0)
			goto done;
	if (write_frame_a(z, md) == 0)
		hash_frame_b(z, md, buf);
done:
	free(buf);
	EVP_MD_CTX_free(md);
	bundle_locale_leave(&loc);
	return NULL;
}

/* ---- the main thread: frame B ---- */
struct out {
	struct zst *z;
	uint64_t size, flushed;
	int err;
};

static la_ssize_t
out_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct out *o = ctx;
	struct zst *z = o->z;
	const unsigned char *p = buf;
	(void)a;
	for (size_t left = len; left;) {
		ssize_t n = write(z->fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			o->err = errno;
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	o->size += len;
	if (o->size - o->flushed >= WRITEBACK_STEP) {
		sync_file_range(z->fd, (off_t)(z->a_len + o->flushed), (off_t)(o->size - o->flushed),
			SYNC_FILE_RANGE_WRITE);
		o->flushed = o->size;
	}
	pthread_mutex_lock(&z->mu);
	z->written = o->size;
	int failed = z->failed;
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
	return failed ? -1 : (la_ssize_t)len;
}

static int
ar_error(bc_project *p, struct archive *a, const char *what)
{
	return bc_error_set(p, BC_ERR_ARCHIVE, BC_ERROR, "%s: %s", what,
		archive_error_string(a) ? archive_error_string(a) : "unknown libarchive error");
}

/* Stream every input into frame B. */
static int
write_frame_b(bc_project *p, struct archive *a, struct out *ctx, const bc_bundle_create_options *o,
	struct bundle_inputs *in, time_t mtime, unsigned char *buf)
{
	struct archive_entry *e = archive_entry_new();
	uint64_t done = 0;
	int rc = e ? 0 : bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	for (size_t i = 0; !rc && i < in->n; i++) {
		const bundle_input *f = &in->v[i];
		int fd = bundle_input_open(p, f);
		if (fd < 0) {
			rc = fd;
			break;
		}
		archive_entry_clear(e);
		archive_entry_copy_pathname(e, f->name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, (mode_t)f->mode);
		archive_entry_set_size(e, (la_int64_t)f->size);
		archive_entry_set_mtime(e, mtime, 0);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		if (archive_write_header(a, e) != ARCHIVE_OK)
			rc = ar_error(p, a, "cannot write the archive");
		uint64_t got = 0;
		while (!rc) {
			ssize_t n = read(fd, buf, BUNDLE_CHUNK);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				rc = bc_error_set(p, BC_ERR_INPUT, BC_ERROR, "cannot read %s: %s", f->src,
					strerror(errno));
			if (n <= 0)
				break;
			if ((uint64_t)n > f->size - got) {
				rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "%s grew while bundling", f->src);
				break;
			}
			if (archive_write_data(a, buf, (size_t)n) != n) {
				rc = ctx->err ? bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot write the bundle: %s",
					strerror(ctx->err)) : ar_error(p, a, "cannot write the archive");
				break;
			}
			got += (uint64_t)n;
			done += (uint64_t)n;
			if (o->progress)
				o->progress(o->payload, done, in->total);
		}
		if (!rc && got != f->size)
			rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"%s changed while bundling: wait for the writer to finish and try again", f->src);
		if (!rc)
			rc = bundle_input_unchanged(p, f, fd);
		close(fd);
	}
	archive_entry_free(e);
	return rc;
}

int
bundle_write_zst(bc_project *p, int fd, const bc_bundle_create_options *o,
	struct bundle_inputs *in, const struct bundle_zst_manifest *man, time_t mtime,
	uint64_t *size, char sha[65])
{
	struct zst z = { .in = in, .man = man, .mtime = mtime, .fd = fd };
	z.a_len = frame_a_size(512 + (man->len + 511) / 512 * 512);
	pthread_mutex_init(&z.mu, NULL);
	pthread_cond_init(&z.cv, NULL);
	struct out ctx = { &z, 0, 0, 0 };
	struct archive *a = archive_write_new();
	unsigned char *buf = malloc(BUNDLE_CHUNK);
	pthread_t th;
	int started = 0, rc = 0;
	char opt[128];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = o->threads > 0 ? o->threads : ncpu < 1 ? 1 : ncpu > 64 ? 64 : (int)ncpu;
	snprintf(opt, sizeof opt, "zstd:compression-level=%d,zstd:threads=%d",
		o->level < 0 ? 3 : o->level, threads);
	if (!a || !buf) {
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
		goto done;
	}
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
			archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
			archive_write_set_options(a, opt) != ARCHIVE_OK) {
		rc = ar_error(p, a, "cannot set up the zstd writer");
		goto done;
	}
	/* 1 MiB writes: unblocked output (128 KiB writes) cost twice the CPU here */
	archive_write_set_bytes_per_block(a, BUNDLE_CHUNK);
	archive_write_set_bytes_in_last_block(a, 1);
	if (lseek(fd, (off_t)z.a_len, SEEK_SET) < 0) {
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot write the bundle: %s", strerror(errno));
		goto done;
	}
	if (pthread_create(&th, NULL, hasher, &z) != 0) {
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot start the hashing thread");
		goto done;
	}
	started = 1;
	if (archive_write_open2(a, &ctx, NULL, out_write, NULL, NULL) != ARCHIVE_OK)
		rc = ar_error(p, a, "cannot start the archive");
	if (!rc)
		rc = write_frame_b(p, a, &ctx, o, in, mtime, buf);
	if (!rc && archive_write_close(a) != ARCHIVE_OK)
		rc = ctx.err ? bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot write the bundle: %s",
			strerror(ctx.err)) : ar_error(p, a, "cannot finish the archive");
done:
	if (started) {
		pthread_mutex_lock(&z.mu);
		z.writer_done = 1;
		z.abort = rc != 0;
		pthread_cond_broadcast(&z.cv);
		pthread_mutex_unlock(&z.mu);
		pthread_join(th, NULL);
		/* the hasher's error explains a stopped writer better than "stopped" */
		if (z.failed)
			rc = bc_error_set(p, z.code == BC_EINVALID ? BC_ERR_INPUT : BC_ERR_OS, z.code, "%s",
				z.err);
	}
	if (!rc) {
		*size = z.a_len + ctx.size;
		memcpy(sha, z.sha, 65);
	}
	if (a)
		archive_write_free(a);
	free(buf);
	pthread_mutex_destroy(&z.mu);
	pthread_cond_destroy(&z.cv);
	return rc;
}
