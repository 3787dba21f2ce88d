/* SPDX-License-Identifier: MIT */
/*
 * MLflow file store (`mlruns/`): <exp>/meta.yaml, <exp>/<run>/meta.yaml,
 * one file per param and tag (names may hold spaces or '/' as sub-dirs),
 * metric files of `timestamp value [step]` lines, `.trash/` for deleted
 * experiments. Symlinks are never followed. Each run's files are stat'ed
 * into a quick fingerprint so an unchanged run costs no reads.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "import-private.h"

#define TAG_VALUE_MAX 1000

enum { F_PARAM, F_TAG, F_METRIC };

struct fentry {
	char *rel;              /* key: path below params/, tags/ or metrics/ */
	int kind;
};

struct rundir {
	size_t exp;             /* index into experiments */
	char *path;
	char *id;               /* directory name = MLflow run id */
};

struct experiment {
	char *name, *dir;
	int deleted;
	uint64_t quick;         /* its meta.yaml's stat */
};

struct fs_import {
	struct imp_ctx *c;
	struct experiment *exps;
	size_t nexps, capexps;
	struct rundir *runs;
	size_t nruns, capruns;
	struct fentry *files;
	size_t nfiles, capfiles;
	bc_buf buf;             /* file contents, reused */
};

static uint64_t
stat_hash(uint64_t h, const struct stat *st)
{
	h = imp_hash_u64(h, (uint64_t)st->st_size);
	h = imp_hash_u64(h, (uint64_t)st->st_mtim.tv_sec * 1000000000ULL + (uint64_t)st->st_mtim.tv_nsec);
	return imp_hash_u64(h, (uint64_t)st->st_ino);
}

/* Read a file below dirfd without following symlinks. 0, or -errno. */
static int
read_at(int dirfd, const char *rel, bc_buf *b)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	b->len = 0;
	for (;;) {
		if (bc_buf_grow(b, 65536) < 0) {
			close(fd);
			return -ENOMEM;
		}
		ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	b->data[b->len] = '\0';
	close(fd);
	return 0;
}

static int
parse_meta(struct fs_import *f, int dirfd, const char *where, struct imp_doc *d, const char *then)
{
	char err[256];
	int e = read_at(dirfd, "meta.yaml", &f->buf);
	if (e < 0) {
		imp_warn(f->c, "%s/meta.yaml: %s%s", where, strerror(-e), then);
		return -1;
	}
	if (imp_doc_parse(d, f->buf.data, f->buf.len, 0, err, sizeof err) < 0) {
		imp_warn(f->c, "%s/meta.yaml: %s (truncated?)%s", where, err, then);
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
	e->quick = imp_hash_u64(stat_hash(IMP_HASH_SEED, &st), (uint64_t)deleted);
	if (parse_meta(f, fd, dir, &d, "") == 0) {
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
	/* its runs */
	DIR *dp = fdopendir(fd);
	if (!dp) {
		close(fd);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			imp_warn(f->c, "%s/%s: symbolic link not followed", dir, de->d_name);
			continue;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		if (f->nruns == f->capruns) {
			size_t cap = f->capruns ? f->capruns * 2 : 64;
			struct rundir *r = realloc(f->runs, cap * sizeof *r);
			if (!r)
				break;
			f->runs = r;
			f->capruns = cap;
		}
		struct rundir *r = &f->runs[f->nruns++];
		r->exp = f->nexps - 1;
		r->path = bc_path_join(dir, de->d_name);
		r->id = bc_strdup(de->d_name);
	}
	closedir(dp);
	return 0;
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

static int
add_file(struct fs_import *f, char *path, int kind)
{
	if (f->nfiles == f->capfiles) {
		size_t cap = f->capfiles ? f->capfiles * 2 : 64;
		struct fentry *n = realloc(f->files, cap * sizeof *n);
		if (!n)
			return -1;
		f->files = n;
		f->capfiles = cap;
	}
	f->files[f->nfiles++] = (struct fentry){ path, kind };
	return 0;
}

/* Collect params/, tags/, metrics/ files of a run (recursively) and hash their stat. */
static uint64_t
walk_files(struct fs_import *f, int dirfd, const char *rel, int kind, uint64_t h, int depth)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return h;
	DIR *dp = fdopendir(fd);
	if (!dp) {
		close(fd);
		return h;
	}
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		/* params are write-once in MLflow: their names are enough (no stat) */
		if (kind == F_PARAM && (de->d_type == DT_REG || de->d_type == DT_DIR || de->d_type == DT_LNK)) {
			memset(&st, 0, sizeof st);
			st.st_mode = de->d_type == DT_REG ? S_IFREG : de->d_type == DT_DIR ? S_IFDIR : S_IFLNK;
		} else if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			continue;
		}
		char *path = bc_sprintf("%s/%s", rel, de->d_name);
		if (!path)
			break;
		if (S_ISDIR(st.st_mode) && depth < 16) {
			h = walk_files(f, dirfd, path, kind, imp_hash(h, path, strlen(path)), depth + 1);
			free(path);
		} else if (S_ISREG(st.st_mode)) {
			h = stat_hash(imp_hash(h, path, strlen(path)), &st);
			if (add_file(f, path, kind) < 0) {
				free(path);
				break;
			}
		} else {
			/* a symlink or special file: never followed; warned about when read */
			h = imp_hash(h, path, strlen(path));
			if (S_ISLNK(st.st_mode) && add_file(f, path, -1) == 0)
				continue;
			free(path);
		}
	}
	closedir(dp);
	return h;
}

/* Parse one metric file into a series. Malformed lines are counted. */
static void
read_metric(struct fs_import *f, struct imp_run *r, const char *where, const char *key)
{
	struct imp_series *s = imp_run_series(r, key);
	if (!s)
		return;
	char *p = f->buf.data, *end = p + f->buf.len;
	int64_t line = 0, bad = 0;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;
		line++;
		char *fld[4];
		char *fe[4];
		int nf = 0;
		for (char *q = p; q < le && nf < 4;) {
			while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q == le)
				break;
			fld[nf] = q;
			while (q < le && *q != ' ' && *q != '\t' && *q != '\r')
				q++;
			fe[nf++] = q;
		}
		if (nf == 0) {
			p = le + 1;
			continue;
		}
		double v, d;
		int64_t ts, step = 0;
		int ok = (nf == 2 || nf == 3) && imp_parse_number(fld[1], fe[1], &v) == 0;
		/* timestamps and steps are integers; tolerate "1.7e12" from odd writers */
		if (ok && imp_parse_int(fld[0], fe[0], &ts) < 0)
			ok = imp_parse_double(fld[0], fe[0], &d) == 0 && d == d && fabs(d) < 9e18 &&
				((ts = (int64_t)d), 1);
		if (ok && nf == 3 && imp_parse_int(fld[2], fe[2], &step) < 0)
			ok = imp_parse_double(fld[2], fe[2], &d) == 0 && d == d && fabs(d) < 9e18 &&
				((step = (int64_t)d), 1);
		if (ok)
			imp_series_add(s, step, v, ts);
		else if (++bad <= 3)
			imp_warn(f->c, "%s/metrics/%s:%lld: malformed metric line skipped", where, key,
				(long long)line);
		p = le + 1;
	}
	if (bad > 3)
		imp_warn(f->c, "%s/metrics/%s: %lld more malformed lines skipped", where, key,
			(long long)(bad - 3));
	r->bad_lines += bad;
}

static int
status_of(const char *s)
{
	if (!s)
		return -1;
	if (!strcmp(s, "1") || !strcmp(s, "2") || !strcmp(s, "RUNNING") || !strcmp(s, "SCHEDULED"))
		return BC_RUN_RUNNING;
	if (!strcmp(s, "3") || !strcmp(s, "FINISHED"))
		return BC_RUN_FINISHED;
	if (!strcmp(s, "4") || !strcmp(s, "FAILED"))
		return BC_RUN_FAILED;
	if (!strcmp(s, "5") || !strcmp(s, "KILLED"))
		return BC_RUN_INTERRUPTED;
	return -1;
}

int
imp_mlflow_status(const char *s)
{
	return status_of(s);
}

void
imp_mlflow_tag(struct imp_ctx *c, struct imp_run *r, const char *key, const char *val, size_t vlen)
{
	if (!strcmp(key, "mlflow.runName")) {
		imp_set(&r->name, val);
	} else if (!strcmp(key, "mlflow.user")) {
		imp_set(&r->user, val);
	} else if (!strcmp(key, "mlflow.source.git.commit")) {
		imp_set(&r->git_commit, val);
	} else if (!strcmp(key, "mlflow.source.git.branch")) {
		imp_set(&r->git_branch, val);
	} else if (!strcmp(key, "mlflow.source.name")) {
		for (size_t i = 0; i < r->argc; i++)
			free(r->argv[i]);
		r->argc = 0;
		imp_run_argv(r, val);
	} else if (!strcmp(key, "mlflow.note.content")) {
		imp_set(&r->note, val);
	} else if (!strncmp(key, "mlflow.", 7) && strcmp(key, "mlflow.parentRunId")) {
		/* other system tags (log-model history, source type...) are not kept */
	} else {
		if (vlen > TAG_VALUE_MAX) {
			imp_warn(c, "run %s: tag '%.60s' is %zu bytes: kept the first %d",
				r->src_id, key, vlen, TAG_VALUE_MAX);
			vlen = TAG_VALUE_MAX;
		}
		char *t = vlen ? bc_sprintf("%s=%.*s", key, (int)vlen, val) : bc_strdup(key);
		if (t)
			imp_run_tag(r, t);
		free(t);
	}
}

void
imp_mlflow_param(struct imp_ctx *c, struct imp_run *r, const char *key, const char *val, size_t vlen)
{
	if (vlen > BC_IMPORT_VALUE_MAX) {
		imp_warn(c, "run %s: param '%.60s' is %zu bytes: kept the first %d",
			r->src_id, key, vlen, BC_IMPORT_VALUE_MAX);
		vlen = BC_IMPORT_VALUE_MAX;
	}
	imp_run_param(r, key, val, vlen);
}

static int
read_run(struct fs_import *f, const struct rundir *rd, int dirfd, struct imp_run *r)
{
	struct imp_doc d;
	const struct experiment *e = &f->exps[rd->exp];
	if (parse_meta(f, dirfd, rd->path, &d, ": run skipped") < 0)
		return -1;
	const char *id = imp_doc_str(&d, "run_uuid");
	if (!id || !*id)
		id = imp_doc_str(&d, "run_id");
	int status = status_of(imp_doc_str(&d, "status"));
	if (!id || !*id || status < 0) {
		imp_warn(f->c, "%s/meta.yaml: no %s (truncated?): run skipped", rd->path,
			!id || !*id ? "run_uuid" : "valid status");
		imp_doc_clear(&d);
		return -1;
	}
	if (strcmp(id, rd->id))
		imp_warn(f->c, "%s/meta.yaml: run_uuid %s differs from the directory name", rd->path, id);
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
	char *t = bc_sprintf("experiment=%s", e->name);
	if (t)
		imp_run_tag(r, t);
	free(t);
	for (size_t i = 0; i < f->nfiles; i++) {
		const struct fentry *fe = &f->files[i];
		const char *key = strchr(fe->rel, '/') + 1;
		if (fe->kind < 0) {
			imp_warn(f->c, "%s/%s: symbolic link not followed", rd->path, fe->rel);
			continue;
		}
		int rc = read_at(dirfd, fe->rel, &f->buf);
		if (rc < 0) {
			imp_warn(f->c, "%s/%s: %s", rd->path, fe->rel, strerror(-rc));
			continue;
		}
		if (fe->kind == F_PARAM)
			imp_mlflow_param(f->c, r, key, f->buf.data, f->buf.len);
		else if (fe->kind == F_TAG)
			imp_mlflow_tag(f->c, r, key, f->buf.data, f->buf.len);
		else
			read_metric(f, r, rd->path, key);
	}
	return 0;
}

static int
import_run(struct fs_import *f, const struct rundir *rd)
{
	struct imp_ctx *c = f->c;
	struct stat st;
	int fd = open(rd->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstatat(fd, "meta.yaml", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		c->total--;           /* not a run directory */
		return 0;
	}
	for (size_t i = 0; i < f->nfiles; i++)
		free(f->files[i].rel);
	f->nfiles = 0;
	uint64_t h = imp_hash_u64(stat_hash(IMP_HASH_SEED, &st), f->exps[rd->exp].quick);
	h = walk_files(f, fd, "params", F_PARAM, imp_hash_u64(h, 1), 0);
	h = walk_files(f, fd, "tags", F_TAG, imp_hash_u64(h, 2), 0);
	h = walk_files(f, fd, "metrics", F_METRIC, imp_hash_u64(h, 3), 0);
	if (imp_quick_unchanged(c, rd->id, h)) {
		close(fd);
		return 0;
	}
	struct imp_run r;
	imp_run_init(&r);
	r.src_id = bc_strdup(rd->id);
	r.quick = h;
	int rc = 0;
	if (read_run(f, rd, fd, &r) < 0)
		imp_skip(c);
	else
		rc = imp_commit_run(c, &r);
	imp_run_clear(&r);
	close(fd);
	return rc;
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
	c.total = f.nruns;
	for (size_t i = 0; rc == 0 && i < f.nruns; i++)
		rc = import_run(&f, &f.runs[i]);
	for (size_t i = 0; i < f.nexps; i++) {
		free(f.exps[i].name);
		free(f.exps[i].dir);
	}
	for (size_t i = 0; i < f.nruns; i++) {
		free(f.runs[i].path);
		free(f.runs[i].id);
	}
	for (size_t i = 0; i < f.nfiles; i++)
		free(f.files[i].rel);
	free(f.exps);
	free(f.runs);
	free(f.files);
	bc_buf_free(&f.buf);
	imp_end(&c);
	return rc;
}
