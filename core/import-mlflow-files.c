/* SPDX-License-Identifier: MIT */
/*
 * MLflow file store (`mlruns/`): <exp>/meta.yaml, <exp>/<run>/meta.yaml,
 * one file per param and tag (names may hold spaces or '/' as sub-dirs),
 * metric files of `timestamp value [step]` lines, `.trash/` for deleted
 * experiments. Symlinks are never followed. Each run's files are stat'ed
 * into a quick fingerprint so an unchanged run costs no reads (params/ by
 * its own stat: MLflow never rewrites a param). New runs are imported in
 * the order their meta.yaml was written, so their start-time ordered ids
 * append to the store's b-trees. Runs are read on reader threads
 * (import-pipe.c); metric files are parsed by import-mlflow-lines.c.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "import-private.h"

enum { F_PARAM, F_TAG, F_METRIC };

struct fentry {
	char *rel;              /* key: path below params/, tags/ or metrics/ */
	int kind;
	size_t size;            /* from the walk's stat (0: not stat'ed) */
};

struct rundir {
	size_t exp;             /* index into experiments */
	char *path;
	char *id;               /* directory name = MLflow run id */
	struct stat meta;       /* its meta.yaml */
	int meta_ok;            /* meta stat'ed while listing (new runs: for their order) */
};

struct experiment {
	char *name, *dir;
	int deleted;
	int fd;                 /* the directory, kept open for the run walk (-1: by path) */
	uint64_t quick;         /* its meta.yaml's stat */
};

#define MAX_OPEN_EXPS 256

struct fs_import {
	struct imp_ctx *c;
	struct experiment *exps;
	size_t nexps, capexps;
	struct rundir *runs;
	size_t nruns, capruns;
	bc_buf buf;             /* experiments' meta.yaml */
};

/* one reader thread's working set */
struct fs_reader {
	struct fs_import *f;
	struct imp_ctx *c;
	struct fentry *files;
	size_t nfiles, capfiles;
	bc_buf buf;             /* file contents, reused */
};

static int
parse_meta(struct imp_ctx *c, bc_buf *buf, int dirfd, const char *rel, const char *where,
	struct imp_doc *d, const char *then)
{
	char err[256];
	int e = imp_read_at(dirfd, rel, buf, 0);
	if (e < 0) {
		imp_warn(c, "%s/meta.yaml: %s%s", where, strerror(-e), then);
		return -1;
	}
	if (imp_doc_parse(d, buf->data, buf->len, 0, err, sizeof err) < 0) {
		imp_warn(c, "%s/meta.yaml: %s (truncated?)%s", where, err, then);
		return -1;
	}
	return 0;
}

static int
add_experiment(struct fs_import *f, const char *dir, const char *dname, int deleted)
{
	struct imp_doc d;
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstatat(fd, "meta.yaml", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;           /* not an experiment (e.g. models/) */
	}
	if (f->nexps == f->capexps) {
		size_t cap = f->capexps ? f->capexps * 2 : 16;
		struct experiment *e = realloc(f->exps, cap * sizeof *e);
		if (!e) {
			close(fd);
			return -1;
		}
		f->exps = e;
		f->capexps = cap;
	}
	struct experiment *e = &f->exps[f->nexps];
	memset(e, 0, sizeof *e);
	e->dir = bc_strdup(dir);
	e->deleted = deleted;
	e->fd = -1;
	e->quick = imp_hash_u64(imp_stat_hash(IMP_HASH_SEED, &st), (uint64_t)deleted);
	if (parse_meta(f->c, &f->buf, fd, "meta.yaml", dir, &d, "") == 0) {
		const char *name = imp_doc_str(&d, "name");
		const char *stage = imp_doc_str(&d, "lifecycle_stage");
		e->name = bc_strdup(name && *name ? name : dname);
		if (stage && !strcmp(stage, "deleted"))
			e->deleted = 1;
		imp_doc_clear(&d);
	} else {
		imp_warn(f->c, "%s: experiment name unknown: using '%s'", dir, dname);
		e->name = bc_strdup(dname);
	}
	f->nexps++;
	/* its runs: directories (d_type spares a stat per run) */
	struct imp_dir dir_it;
	unsigned char type;
	const char *name;
	int ok = 1;
	if (imp_dir_open(&dir_it, fd, ".") < 0) {
		close(fd);
		e->fd = -1;
		return 0;
	}
	while (ok && (name = imp_dir_next(&dir_it, &type))) {
		if (name[0] == '.')
			continue;
		if (type == DT_UNKNOWN) {
			if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			type = S_ISLNK(st.st_mode) ? DT_LNK : S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
		}
		if (type == DT_LNK) {
			imp_warn(f->c, "%s/%s: symbolic link not followed", dir, name);
			continue;
		}
		if (type != DT_DIR)
			continue;
		/* a new run's meta.yaml stat orders the import (known runs: the
		 * readers stat it, in parallel) */
		int known = imp_is_known(f->c, name), is_run = 1;
		if (!known) {
			char *meta = bc_sprintf("%s/meta.yaml", name);
			is_run = meta && fstatat(fd, meta, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				S_ISREG(st.st_mode);
			free(meta);
		}
		if (!is_run)
			continue;       /* not a run without a meta.yaml */
		if (f->nruns == f->capruns) {
			size_t cap = f->capruns ? f->capruns * 2 : 64;
			struct rundir *r = realloc(f->runs, cap * sizeof *r);
			if (!r) {
				ok = 0;
				break;
			}
			f->runs = r;
			f->capruns = cap;
		}
		struct rundir *r = &f->runs[f->nruns++];
		r->exp = f->nexps - 1;
		r->meta_ok = !known;
		if (known)
			memset(&r->meta, 0, sizeof r->meta);
		else
			r->meta = st;
		r->path = bc_path_join(dir, name);
		r->id = bc_strdup(name);
		if (!r->path || !r->id)
			ok = 0;
	}
	imp_dir_close(&dir_it);
	if (f->nexps <= MAX_OPEN_EXPS)
		e->fd = fd;
	else
		close(fd);
	return ok ? 0 : -1;
}

static int
list_dir(struct fs_import *f, const char *dir, int deleted)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		char *sub = bc_path_join(dir, de->d_name);
		struct stat st;
		if (sub && lstat(sub, &st) == 0 && S_ISLNK(st.st_mode))
			imp_warn(f->c, "%s: symbolic link not followed", sub);
		else if (sub && add_experiment(f, sub, de->d_name, deleted) < 0) {
			free(sub);
			closedir(dp);
			return -1;
		}
		free(sub);
	}
	closedir(dp);
	return 0;
}

/* path: "<run id>/params/..." (below the experiment directory) */
static int
add_file(struct fs_reader *t, char *path, int kind, size_t size)
{
	if (t->nfiles == t->capfiles) {
		size_t cap = t->capfiles ? t->capfiles * 2 : 64;
		struct fentry *n = realloc(t->files, cap * sizeof *n);
		if (!n)
			return -1;
		t->files = n;
		t->capfiles = cap;
	}
	t->files[t->nfiles++] = (struct fentry){ path, kind, size };
	return 0;
}

/*
 * Collect params/, tags/, metrics/ files of a run (recursively, rel is below
 * dirfd and prefix is stripped from the recorded paths) and hash their stat.
 */
static uint64_t
walk_files(struct fs_reader *t, int dirfd, const char *rel, size_t prefix, int kind, uint64_t h,
	int depth)
{
	struct imp_dir *d = malloc(sizeof *d);
	if (!d || imp_dir_open(d, dirfd, rel) < 0) {
		free(d);
		return h;
	}
	const char *name;
	unsigned char type;
	while ((name = imp_dir_next(d, &type))) {
		struct stat st;
		/* params are write-once in MLflow: their names are enough (no stat) */
		if (kind == F_PARAM && (type == DT_REG || type == DT_DIR || type == DT_LNK)) {
			memset(&st, 0, sizeof st);
			st.st_mode = type == DT_REG ? S_IFREG : type == DT_DIR ? S_IFDIR : S_IFLNK;
		} else if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			continue;
		}
		char *path = bc_sprintf("%s/%s", rel, name);
		if (!path)
			break;
		const char *own = path + prefix;
		if (S_ISDIR(st.st_mode) && depth < 16) {
			h = walk_files(t, dirfd, path, prefix, kind, imp_hash(h, own, strlen(own)), depth + 1);
			free(path);
		} else if (S_ISREG(st.st_mode)) {
			h = imp_stat_hash(imp_hash(h, own, strlen(own)), &st);
			if (add_file(t, path, kind, (size_t)st.st_size) < 0) {
				free(path);
				break;
			}
		} else {
			/* a symlink or special file: never followed; warned about when read */
			h = imp_hash(h, own, strlen(own));
			if (S_ISLNK(st.st_mode) && add_file(t, path, -1, 0) == 0)
				continue;
			free(path);
		}
	}
	imp_dir_close(d);
	free(d);
	return h;
}

/* Read a run below the experiment directory efd (its files are "<id>/..."). */
static int
read_run(struct fs_reader *t, const struct rundir *rd, int efd, struct imp_run *r)
{
	struct imp_doc d;
	struct imp_ctx *c = t->c;
	const struct experiment *e = &t->f->exps[rd->exp];
	size_t prefix = strlen(rd->id) + 1;
	char *meta = bc_sprintf("%s/meta.yaml", rd->id);
	int rc = meta ? parse_meta(c, &t->buf, efd, meta, rd->path, &d, ": run skipped") : -1;
	free(meta);
	if (rc < 0)
		return -1;
	const char *id = imp_doc_str(&d, "run_uuid");
	if (!id || !*id)
		id = imp_doc_str(&d, "run_id");
	int status = imp_mlflow_status(imp_doc_str(&d, "status"));
	if (!id || !*id || status < 0) {
		imp_warn(c, "%s/meta.yaml: no %s (truncated?): run skipped", rd->path,
			!id || !*id ? "run_uuid" : "valid status");
		imp_doc_clear(&d);
		return -1;
	}
	if (strcmp(id, rd->id))
		imp_warn(c, "%s/meta.yaml: run_uuid %s differs from the directory name", rd->path, id);
	r->status = status;
	imp_doc_int(&d, "start_time", &r->started_ms);
	imp_doc_int(&d, "end_time", &r->ended_ms);
	const char *stage = imp_doc_str(&d, "lifecycle_stage");
	r->deleted = e->deleted || (stage && !strcmp(stage, "deleted"));
	const char *s;
	if ((s = imp_doc_str(&d, "user_id")) && *s)
		imp_set(&r->user, s);
	if ((s = imp_doc_str(&d, "run_name")) && *s)
		imp_set(&r->name, s);
	else if ((s = imp_doc_str(&d, "name")) && *s)
		imp_set(&r->name, s);
	if ((s = imp_doc_str(&d, "source_name")) && *s)
		imp_run_argv(r, s);
	if ((s = imp_doc_str(&d, "artifact_uri")) && *s)
		imp_run_io(r, 1, s, NULL);
	imp_doc_clear(&d);
	imp_set(&r->experiment, e->name);
	char *tag = bc_sprintf("experiment=%s", e->name);
	if (tag)
		imp_run_tag(r, tag);
	free(tag);
	for (size_t i = 0; i < t->nfiles; i++) {
		const struct fentry *fe = &t->files[i];
		const char *own = fe->rel + prefix;          /* params/..., tags/..., metrics/... */
		const char *key = strchr(own, '/') + 1;
		if (fe->kind < 0) {
			imp_warn(c, "%s/%s: symbolic link not followed", rd->path, own);
			continue;
		}
		rc = imp_read_at(efd, fe->rel, &t->buf, fe->size);
		if (rc < 0) {
			imp_warn(c, "%s/%s: %s", rd->path, own, strerror(-rc));
			continue;
		}
		if (fe->kind == F_PARAM)
			imp_mlflow_param(c, r, key, t->buf.data, t->buf.len);
		else if (fe->kind == F_TAG)
			imp_mlflow_tag(c, r, key, t->buf.data, t->buf.len);
		else
			imp_mlflow_metric(c, r, t->buf.data, t->buf.len, rd->path, key);
	}
	return 0;
}

/* Reader thread: one run directory into an item. */
static void
read_item(void *state, size_t i, struct imp_item *it)
{
	static const char *const sub[] = { "params", "tags", "metrics" };
	struct fs_reader *t = state;
	const struct rundir *rd = &t->f->runs[i];
	const struct experiment *e = &t->f->exps[rd->exp];
	char rel[512];
	int efd = e->fd, own_fd = -1;
	it->kind = IMP_ITEM_NONE;
	if (efd < 0 && (efd = own_fd = open(e->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	size_t prefix = strlen(rd->id) + 1;
	if (prefix + 16 > sizeof rel)
		goto done;
	struct stat st = rd->meta;
	snprintf(rel, sizeof rel, "%s/meta.yaml", rd->id);
	if (!rd->meta_ok && (fstatat(efd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)))
		goto done;            /* not a run directory (any more) */
	uint64_t h = imp_hash_u64(imp_stat_hash(IMP_HASH_SEED, &st), e->quick);
	/* params are write-once: a params/ without sub-directories (2 links)
	 * changes its mtime when one is added, and is not listed for the check */
	struct stat pst;
	snprintf(rel, sizeof rel, "%s/params", rd->id);
	int params_flat = fstatat(efd, rel, &pst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(pst.st_mode) &&
		pst.st_nlink == 2;
	if (params_flat)
		h = imp_stat_hash(imp_hash_u64(h, 0x101), &pst);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < t->nfiles; k++)
			free(t->files[k].rel);
		t->nfiles = 0;
		uint64_t wh = h;
		for (int k = pass || !params_flat ? 0 : 1; k < 3; k++) {
			snprintf(rel, sizeof rel, "%s/%s", rd->id, sub[k]);
			wh = walk_files(t, efd, rel, prefix, k == 0 ? F_PARAM : k == 1 ? F_TAG : F_METRIC,
				imp_hash_u64(wh, (uint64_t)k + 1), 0);
		}
		if (pass == 0)
			h = wh;
		if (pass == 0 && params_flat && !imp_quick_match(t->c, rd->id, h))
			continue;     /* to be read: list params/ too */
		break;
	}
	if (imp_quick_match(t->c, rd->id, h)) {
		it->kind = IMP_ITEM_UNCHANGED;
	} else {
		it->run.src_id = bc_strdup(rd->id);
		it->run.quick = h;
		it->kind = read_run(t, rd, efd, &it->run) < 0 ? IMP_ITEM_SKIP : IMP_ITEM_RUN;
	}
done:
	if (own_fd >= 0)
		close(own_fd);
}

static void *
reader_new(void *payload)
{
	struct fs_reader *t = calloc(1, sizeof *t);
	if (t) {
		t->f = payload;
		t->c = t->f->c;
	}
	return t;
}

static void
reader_free(void *state)
{
	struct fs_reader *t = state;
	if (!t)
		return;
	for (size_t k = 0; k < t->nfiles; k++)
		free(t->files[k].rel);
	free(t->files);
	bc_buf_free(&t->buf);
	free(t);
}

static int
cmp_rundir(const void *a, const void *b)
{
	const struct rundir *x = a, *y = b;
	if (x->meta_ok != y->meta_ok)
		return x->meta_ok ? 1 : -1;
	const struct timespec *tx = &x->meta.st_mtim, *ty = &y->meta.st_mtim;
	if (tx->tv_sec != ty->tv_sec)
		return tx->tv_sec < ty->tv_sec ? -1 : 1;
	if (tx->tv_nsec != ty->tv_nsec)
		return tx->tv_nsec < ty->tv_nsec ? -1 : 1;
	if (x->exp != y->exp)
		return x->exp < y->exp ? -1 : 1;
	return strcmp(x->id, y->id);
}

int
imp_mlflow_files(bc_project *p, const char *root, const bc_import_options *opts,
	bc_import_stats *stats)
{
	struct imp_ctx c;
	struct fs_import f = { .c = &c };
	int rc = imp_begin(&c, p, "mlflow", root, opts, stats);
	if (rc == 0)
		rc = list_dir(&f, root, 0);
	char *trash = bc_path_join(root, ".trash");
	if (rc == 0 && trash)
		rc = list_dir(&f, trash, 1);
	free(trash);
	if (rc == 0 && f.nexps == 0)
		rc = bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND,
			"no MLflow experiments in %s (expected <id>/meta.yaml): give the mlruns/ directory or an mlflow.db",
			root);
	/* new runs get ids ordered by their start time: importing in the order
	 * the runs were written (meta.yaml's mtime) appends to every b-tree
	 * instead of splitting pages all over a store bigger than any cache */
	if (f.nruns > 1)
		qsort(f.runs, f.nruns, sizeof *f.runs, cmp_rundir);
	c.total = f.nruns;
	struct imp_reader rd = { reader_new, reader_free, read_item, &f };
	if (rc == 0)
		rc = imp_pipe(&c, f.nruns, &rd);
	for (size_t i = 0; i < f.nexps; i++) {
		free(f.exps[i].name);
		free(f.exps[i].dir);
		if (f.exps[i].fd >= 0)
			close(f.exps[i].fd);
	}
	for (size_t i = 0; i < f.nruns; i++) {
		free(f.runs[i].path);
		free(f.runs[i].id);
	}
	free(f.exps);
	free(f.runs);
	bc_buf_free(&f.buf);
	return imp_end(&c, rc);
}
