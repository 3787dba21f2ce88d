/* SPDX-License-Identifier: MIT */
/*
 * Creating bundles. Reproducible by construction: entries sorted by path,
 * MANIFEST.json first, every mtime set to the manifest's `created` (the
 * run's end), uid/gid 0 with empty owner names, modes 0644/0755, no
 * xattrs, ACLs or atime/ctime, pax-restricted tar (plain ustar headers
 * unless a name or size needs pax), fixed compression parameters, gzip
 * without a timestamp and zip DOS times computed in UTC. zstd uses every
 * core (its multi-threaded output does not depend on the thread count).
 * The archive goes to a temp file that is fsync'ed and renamed.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include "internal.h"
#include "bundle-inputs.h"
#include "bundle-pipe.h"
#include "bundle-zst.h"

struct out {
	bc_project *p;
	struct bundle_pipe *pipe;     /* hashes and writes the archive bytes */
	unsigned char *slot;
	size_t fill;
	uint64_t size;
};

static la_ssize_t
out_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct out *o = ctx;
	const unsigned char *s = buf;
	size_t left = len;
	while (left) {
		if (!o->slot) {
			o->slot = bundle_pipe_slot(o->pipe);
			o->fill = 0;
		}
		size_t n = BUNDLE_CHUNK - o->fill < left ? BUNDLE_CHUNK - o->fill : left;
		memcpy(o->slot + o->fill, s, n);
		o->fill += n;
		s += n;
		left -= n;
		if (o->fill == BUNDLE_CHUNK) {
			bundle_pipe_push(o->pipe, o->fill);
			o->slot = NULL;
		}
	}
	o->size += len;
	return (la_ssize_t)len;
}

static int
out_close(struct archive *a, void *ctx)
{
	struct out *o = ctx;
	if (o->slot && o->fill)
		bundle_pipe_push(o->pipe, o->fill);
	o->slot = NULL;
	return ARCHIVE_OK;
}

static int
ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

static int
ar_error(bc_project *p, struct archive *a, const char *what)
{
	return bc_error_set(p, BC_ERR_ARCHIVE, BC_ERROR, "%s: %s", what,
		archive_error_string(a) ? archive_error_string(a) : "unknown libarchive error");
}

/* Set format, filter and fixed compression parameters. */
static int
setup_writer(bc_project *p, struct archive *a, bc_bundle_format fmt, int level, int threads)
{
	char opt[128];
	int rc = ARCHIVE_OK;
	if (fmt == BC_BUNDLE_ZIP) {
		rc = archive_write_set_format_zip(a);
		snprintf(opt, sizeof opt, "zip:compression=deflate,zip:compression-level=%d",
			level < 0 ? 6 : level);
	} else {
		rc = archive_write_set_format_pax_restricted(a);
		if (rc == ARCHIVE_OK && fmt == BC_BUNDLE_TAR_ZST) {
			rc = archive_write_add_filter_zstd(a);
			snprintf(opt, sizeof opt, "zstd:compression-level=%d,zstd:threads=%d",
				level < 0 ? 3 : level, threads);
		} else if (rc == ARCHIVE_OK && fmt == BC_BUNDLE_TAR_GZ) {
			rc = archive_write_add_filter_gzip(a);
			snprintf(opt, sizeof opt, "gzip:compression-level=%d,gzip:!timestamp",
				level < 0 ? 6 : level);
		} else if (rc == ARCHIVE_OK) {
			rc = archive_write_add_filter_xz(a);
			snprintf(opt, sizeof opt, "xz:compression-level=%d,xz:threads=1",
				level < 0 ? 6 : level);
		}
	}
	if (rc != ARCHIVE_OK)
		return ar_error(p, a, "cannot set up the archive writer");
	if (archive_write_set_options(a, opt) != ARCHIVE_OK)
		return ar_error(p, a, "cannot set compression options");
	archive_write_set_bytes_per_block(a, BUNDLE_CHUNK);
	archive_write_set_bytes_in_last_block(a, 1);
	return 0;
}

static void
entry_setup(struct archive_entry *e, const char *name, uint64_t size, unsigned mode, time_t mtime)
{
	archive_entry_clear(e);
	archive_entry_copy_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, (mode_t)mode);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
}

/* Stream one input into the archive; checks it did not change since hashing. */
static int
write_input(bc_project *p, struct archive *a, struct archive_entry *e, const bundle_input *f,
	time_t mtime, unsigned char *buf, const bc_bundle_create_options *o, uint64_t *done,
	uint64_t total)
{
	int fd = bundle_input_open(p, f);
	if (fd < 0)
		return fd;
	int rc = 0;
	entry_setup(e, f->name, f->size, f->mode, mtime);
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		close(fd);
		return ar_error(p, a, "cannot write the archive");
	}
	uint64_t got = 0;
	for (;;) {
		ssize_t n = read(fd, buf, BUNDLE_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = bc_error_set(p, BC_ERR_INPUT, BC_ERROR, "cannot read %s: %s", f->src,
				strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (got + (uint64_t)n > f->size) {
			rc = bundle_input_unchanged(p, f, fd);
			if (!rc)
				rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "%s grew while bundling", f->src);
			break;
		}
		if (archive_write_data(a, buf, (size_t)n) != n) {
			rc = ar_error(p, a, "cannot write the archive");
			break;
		}
		got += (uint64_t)n;
		*done += (uint64_t)n;
		if (o->progress)
			o->progress(o->payload, *done, total);
	}
	if (!rc && got != f->size)
		rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"%s changed while bundling: wait for the writer to finish and try again", f->src);
	if (!rc)
		rc = bundle_input_unchanged(p, f, fd);
	close(fd);
	return rc;
}

/*
 * Write the whole archive to `fd`: manifest, then every input. The archive
 * bytes are hashed on the way out (into out->sha256).
 */
static int
write_archive(bc_project *p, int fd, const bc_bundle_create_options *o, struct bundle_inputs *in,
	const char *manifest, size_t mlen, time_t mtime, uint64_t *done, uint64_t total,
	uint64_t *size, char sha[65])
{
	struct out ctx = { p, bundle_pipe_new(), NULL, 0, 0 };
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	unsigned char *buf = malloc(BUNDLE_CHUNK);
	int rc = 0;
	if (!ctx.pipe || !a || !e || !buf) {
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
		goto done;
	}
	int threads = o->threads > 0 ? o->threads : ncpu();
	if ((rc = setup_writer(p, a, o->format, o->level, threads)) < 0)
		goto done;
	bundle_pipe_begin(ctx.pipe, fd);
	if (archive_write_open2(a, &ctx, NULL, out_write, out_close, NULL) != ARCHIVE_OK) {
		rc = ar_error(p, a, "cannot start the archive");
		goto done;
	}
	entry_setup(e, BC_BUNDLE_MANIFEST, mlen, 0644, mtime);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
			archive_write_data(a, manifest, mlen) != (la_ssize_t)mlen) {
		rc = ar_error(p, a, "cannot write the manifest");
		goto done;
	}
	for (size_t i = 0; !rc && i < in->n; i++)
		rc = write_input(p, a, e, &in->v[i], mtime, buf, o, done, total);
	if (!rc && archive_write_close(a) != ARCHIVE_OK)
		rc = ar_error(p, a, "cannot finish the archive");
	int werr = bundle_pipe_end(ctx.pipe, sha);
	if (!rc && werr)
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot write the bundle: %s", strerror(-werr));
	*size = ctx.size;
done:
	if (a)
		archive_write_free(a);
	archive_entry_free(e);
	bundle_pipe_free(ctx.pipe);
	free(buf);
	return rc;
}

/* Run DOS-time conversion (zip) in UTC, whatever TZ says. */
struct tz_guard {
	char *old;
	int had;
};

static void
tz_utc(struct tz_guard *g)
{
	const char *tz = getenv("TZ");
	g->had = tz != NULL;
	g->old = tz ? bc_strdup(tz) : NULL;
	setenv("TZ", "UTC0", 1);
	tzset();
}

static void
tz_restore(struct tz_guard *g)
{
	if (g->had)
		setenv("TZ", g->old, 1);
	else
		unsetenv("TZ");
	free(g->old);
	tzset();
}

static int
check_label(bc_project *p, const char *what, const char *s)
{
	if (!*s || strlen(s) > 128 || strchr(s, '/') || s[0] == '.' || s[0] == '-' ||
			!bc_text_is_clean(s, strlen(s)) || strchr(s, '@'))
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"bundle %s '%s' is not usable: use printable characters without '/' or '@' (give --%s)",
			what, s, what);
	return 0;
}

int
bc_bundle_create(bc_project *p, const bc_bundle_create_options *o, bc_bundle_info *out)
{
	bc_run *r = NULL;
	struct bundle_inputs in = { 0 };
	char *manifest = NULL, *signature = NULL, *output = NULL, *tmp = NULL, *name = NULL,
		*version = NULL;
	int fd = -1, rc;
	bundle_locale loc;
	memset(out, 0, sizeof *out);
	bundle_locale_enter(&loc);
	if ((rc = bc_run_load(&r, p, o->run_ref)) < 0)
		goto done;
	if (r->status == BC_RUN_RUNNING) {
		rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"run %s is still running: bundle it once it has ended", r->name);
		goto done;
	}
	name = bc_strdup(o->name ? o->name : r->name);
	version = o->bundle_version ? bc_strdup(o->bundle_version) : bc_strndup(r->id, 8);
	if ((rc = check_label(p, "name", name)) < 0 || (rc = check_label(p, "version", version)) < 0)
		goto done;
	if (o->signature_file) {
		size_t slen;
		int e = bc_read_file(o->signature_file, &signature, &slen);
		if (e < 0 || slen > BC_BUNDLE_MAX_MANIFEST / 2) {
			rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "cannot use %s as a signature: %s",
				o->signature_file, e < 0 ? strerror(-e) : "larger than 512 KiB");
			goto done;
		}
	}
	if ((rc = bundle_inputs_collect(p, r, o->paths, &in)) < 0)
		goto done;
	output = o->output ? bc_strdup(o->output)
		: bc_sprintf("%s-%s.%s", name, version, bc_bundle_format_name(o->format));
	struct stat st;
	if (!o->force && lstat(output, &st) == 0) {
		rc = bc_error_set(p, BC_ERR_INPUT, BC_EEXISTS,
			"%s already exists: remove it, give -o FILE, or use --force", output);
		goto done;
	}
	/* tar.zst hashes while it compresses: the manifest is sized with placeholder hashes */
	int onepass = o->format == BC_BUNDLE_TAR_ZST;
	uint64_t done_bytes = 0, total = 2 * in.total;
	if ((rc = onepass ? bundle_inputs_kind(p, &in)
			: bundle_inputs_hash(p, &in, o->progress, o->payload, &done_bytes, total)) < 0)
		goto done;
	const char *why = NULL;
	size_t mlen = 0;
	manifest = bundle_manifest_build(r, in.v, in.n, name, version, o->meta, signature, &mlen, &why);
	if (!manifest) {
		rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "cannot build the manifest: %s", why);
		goto done;
	}
	/* What we write must be what we accept when reading. */
	bc_manifest *check = NULL;
	char whyb[512];
	if (bc_manifest_parse(manifest, mlen, &check, whyb, sizeof whyb) < 0) {
		rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "cannot bundle these files: %s", whyb);
		goto done;
	}
	int64_t created_ms = check->created_ms;
	bc_manifest_free(check);
	tmp = bc_sprintf("%s.tmp.XXXXXX", output);
	fd = tmp ? mkostemp(tmp, O_CLOEXEC) : -1;
	if (fd < 0) {
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot create %s: %s", output, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto done;
	}
	struct tz_guard tz = { NULL, 0 };
	if (o->format == BC_BUNDLE_ZIP)
		tz_utc(&tz);
	if (onepass) {
		struct bundle_zst_manifest zm = { r, name, version, signature, o->meta, mlen };
		rc = bundle_write_zst(p, fd, o, &in, &zm, (time_t)(created_ms / 1000), &out->size,
			out->sha256);
	} else {
		rc = write_archive(p, fd, o, &in, manifest, mlen, (time_t)(created_ms / 1000),
			&done_bytes, total, &out->size, out->sha256);
	}
	if (o->format == BC_BUNDLE_ZIP)
		tz_restore(&tz);
	mode_t mask = umask(022);
	umask(mask);
	if (!rc && (fchmod(fd, 0644 & ~mask) < 0 || fsync(fd) < 0))
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot write %s: %s", output, strerror(errno));
	if (close(fd) < 0 && !rc)
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot write %s: %s", output, strerror(errno));
	fd = -1;
	if (!rc && rename(tmp, output) < 0)
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot rename into %s: %s", output,
			strerror(errno));
	if (rc)
		goto done;
	char *slash = strrchr(output, '/');
	if (slash) {
		char *dir = slash == output ? bc_strdup("/") : bc_strndup(output, (size_t)(slash - output));
		bc_fsync_dir(dir);
		free(dir);
	} else {
		bc_fsync_dir(".");
	}
	out->path = realpath(output, NULL);
	out->name = name;
	out->version = version;
	name = version = NULL;
	out->run_id = bc_strdup(r->id);
	snprintf(out->format, sizeof out->format, "%s", bc_bundle_format_name(o->format));
	out->nfiles = in.n;
	out->payload_size = in.total;
	out->created_ms = created_ms;
	out->bundled_ms = bc_now_ms();
	rc = bundle_register(p, out);
	if (rc < 0)
		bc_bundle_info_clear(out);
done:
	bundle_locale_leave(&loc);
	if (fd >= 0)
		close(fd);
	if (tmp && rc < 0)
		unlink(tmp);
	free(tmp);
	free(output);
	free(manifest);
	free(signature);
	free(name);
	free(version);
	bundle_inputs_free(&in);
	bc_run_free(r);
	return rc;
}
