/* SPDX-License-Identifier: MIT */
/*
 * What one DVC commit says about its run, read from the git tree with
 * libgit2 (never from the work tree): dvc.yaml (params/metrics/plots files),
 * params files, metrics files (JSON, YAML or a bare number), DVCLive step
 * series (TSV files below plots/metrics), dvc.lock deps/outs and `.dvc` files as
 * data inputs/outputs with DVC's md5 kept as "md5:<hex>".
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <git2.h>
#include <yaml.h>
#include "import-private.h"

#define BLOB_MAX (64 * 1024 * 1024)
#define MAX_FILES 256

struct dvc_files {
	char *params[MAX_FILES];
	size_t nparams;
	char *metrics[MAX_FILES];
	size_t nmetrics;
	char *plots[MAX_FILES];
	size_t nplots;
};

/* Owners of metric keys: the directory whose files gave a key first. */
struct owner {
	char *key, *dir;
};

struct reader {
	struct imp_ctx *c;
	git_repository *repo;
	git_tree *tree;
	struct imp_run *r;
	int64_t when_ms;
	struct owner *own;
	size_t nown, capown;
	const char *what;        /* commit label for warnings */
};

static void
add_unique(char **list, size_t *n, const char *path)
{
	if (!path || !*path || *n >= MAX_FILES)
		return;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(list[i], path))
			return;
	list[(*n)++] = bc_strdup(path);
}

/* Blob at path in the commit tree (NUL-terminated copy). 0, or -1 when absent. */
static int
blob_at(struct reader *rd, const char *path, char **out, size_t *len)
{
	git_tree_entry *e;
	git_blob *b;
	*out = NULL;
	if (git_tree_entry_bypath(&e, rd->tree, path) < 0)
		return -1;
	int rc = -1;
	if (git_tree_entry_type(e) == GIT_OBJECT_BLOB &&
			git_blob_lookup(&b, rd->repo, git_tree_entry_id(e)) == 0) {
		git_object_size_t n = git_blob_rawsize(b);
		if (n <= BLOB_MAX && (*out = bc_strndup(git_blob_rawcontent(b), (size_t)n))) {
			*len = (size_t)n;
			rc = 0;
		}
		git_blob_free(b);
	}
	git_tree_entry_free(e);
	return rc;
}

/* ---- YAML documents as node trees (dvc.yaml, dvc.lock, .dvc) ---- */

static yaml_node_t *
map_get(yaml_document_t *doc, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		if (k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(key) &&
				!memcmp(k->data.scalar.value, key, k->data.scalar.length))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static const char *
scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int
load_yaml(struct reader *rd, const char *path, yaml_document_t *doc)
{
	char *text;
	size_t len;
	if (blob_at(rd, path, &text, &len) < 0)
		return -1;
	yaml_parser_t ps;
	yaml_parser_initialize(&ps);
	yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
	int ok = yaml_parser_load(&ps, doc);
	if (!ok)
		imp_warn(rd->c, "%s:%s: line %lu: %s", rd->what, path,
			(unsigned long)ps.problem_mark.line + 1, ps.problem ? ps.problem : "YAML error");
	yaml_parser_delete(&ps);
	free(text);
	if (!ok)
		return -1;
	if (!yaml_document_get_root_node(doc)) {
		yaml_document_delete(doc);
		return -1;
	}
	return 0;
}

/* Each item of a list of files: "path" or {path: {options}} */
static void
list_files(yaml_document_t *doc, yaml_node_t *seq, char **list, size_t *n)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(doc, *it);
		if (scalar(item))
			add_unique(list, n, scalar(item));
		else if (item && item->type == YAML_MAPPING_NODE)
			for (yaml_node_pair_t *p = item->data.mapping.pairs.start;
					p < item->data.mapping.pairs.top; p++)
				add_unique(list, n, scalar(yaml_document_get_node(doc, p->key)));
	}
}

/* Stage `params:` entries: "key" (in params.yaml) or {file: [keys]}. */
static void
stage_params(yaml_document_t *doc, yaml_node_t *seq, struct dvc_files *f)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(doc, *it);
		if (scalar(item))
			add_unique(f->params, &f->nparams, "params.yaml");
		else if (item && item->type == YAML_MAPPING_NODE)
			for (yaml_node_pair_t *p = item->data.mapping.pairs.start;
					p < item->data.mapping.pairs.top; p++)
				add_unique(f->params, &f->nparams, scalar(yaml_document_get_node(doc, p->key)));
	}
}

static void
read_dvc_yaml(struct reader *rd, struct dvc_files *f)
{
	yaml_document_t doc;
	if (load_yaml(rd, "dvc.yaml", &doc) < 0)
		return;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	list_files(&doc, map_get(&doc, root, "params"), f->params, &f->nparams);
	list_files(&doc, map_get(&doc, root, "metrics"), f->metrics, &f->nmetrics);
	list_files(&doc, map_get(&doc, root, "plots"), f->plots, &f->nplots);
	yaml_node_t *stages = map_get(&doc, root, "stages");
	if (stages && stages->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = stages->data.mapping.pairs.start; p < stages->data.mapping.pairs.top; p++) {
			yaml_node_t *st = yaml_document_get_node(&doc, p->value);
			stage_params(&doc, map_get(&doc, st, "params"), f);
			list_files(&doc, map_get(&doc, st, "metrics"), f->metrics, &f->nmetrics);
			list_files(&doc, map_get(&doc, st, "metrics_no_cache"), f->metrics, &f->nmetrics);
			list_files(&doc, map_get(&doc, st, "plots"), f->plots, &f->nplots);
			list_files(&doc, map_get(&doc, st, "plots_no_cache"), f->plots, &f->nplots);
		}
	}
	yaml_document_delete(&doc);
}

/* ---- data inputs and outputs ---- */

static void
io_entry(struct reader *rd, yaml_document_t *doc, yaml_node_t *e, const char *dir, int is_output)
{
	const char *path = scalar(map_get(doc, e, "path"));
	if (!path)
		return;
	const char *md5 = scalar(map_get(doc, e, "md5"));
	const char *etag = scalar(map_get(doc, e, "etag"));
	const char *sum = scalar(map_get(doc, e, "checksum"));
	char *hash = md5 ? bc_sprintf("md5:%s", md5) : etag ? bc_sprintf("etag:%s", etag)
		: sum ? bc_sprintf("checksum:%s", sum) : NULL;
	char *full = dir && *dir ? bc_sprintf("%s/%s", dir, path) : bc_strdup(path);
	if (full) {
		/* something a stage produced is an output, not also an input */
		int produced = 0;
		for (size_t i = 0; !is_output && i < rd->r->nio; i++)
			if (rd->r->io[i].is_output && !strcmp(rd->r->io[i].path, full))
				produced = 1;
		if (!produced)
			imp_run_io(rd->r, is_output, full, hash);
	}
	free(full);
	free(hash);
}

static void
io_list(struct reader *rd, yaml_document_t *doc, yaml_node_t *seq, const char *dir, int is_output)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++)
		io_entry(rd, doc, yaml_document_get_node(doc, *it), dir, is_output);
}

/* dvc.lock: schema 2.0 has `stages:`, the 2020 format has stages at top level. */
static void
read_lock(struct reader *rd, yaml_document_t *lock)
{
	yaml_node_t *root = yaml_document_get_root_node(lock);
	yaml_node_t *stages = map_get(lock, root, "stages");
	if (!stages)
		stages = root;
	if (!stages || stages->type != YAML_MAPPING_NODE)
		return;
	for (int pass = 0; pass < 2; pass++)
		for (yaml_node_pair_t *p = stages->data.mapping.pairs.start; p < stages->data.mapping.pairs.top; p++) {
			yaml_node_t *st = yaml_document_get_node(lock, p->value);
			if (st && st->type == YAML_MAPPING_NODE)
				io_list(rd, lock, map_get(lock, st, pass == 0 ? "outs" : "deps"), NULL, pass == 0);
		}
}

static int
find_dvc_file(const char *root, const git_tree_entry *e, void *payload)
{
	struct reader *rd = payload;
	const char *name = git_tree_entry_name(e);
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return !strcmp(name, ".dvc") || !strcmp(name, ".git") ? 1 : 0;   /* 1 = skip subtree */
	size_t n = strlen(name);
	if (n < 5 || strcmp(name + n - 4, ".dvc"))
		return 0;
	char *path = bc_sprintf("%s%s", root, name);
	yaml_document_t doc;
	if (path && load_yaml(rd, path, &doc) == 0) {
		char *dir = bc_strndup(root, root[0] ? strlen(root) - 1 : 0);
		yaml_node_t *top = yaml_document_get_root_node(&doc);
		const char *wdir = scalar(map_get(&doc, top, "wdir"));
		char *base = wdir && strcmp(wdir, ".") ? bc_sprintf("%s%s%s", dir, *dir ? "/" : "", wdir) : NULL;
		io_list(rd, &doc, map_get(&doc, top, "outs"), base ? base : dir, 0);
		free(base);
		free(dir);
		yaml_document_delete(&doc);
	}
	free(path);
	return 0;
}

/* ---- params and metrics ---- */

static void
read_params_file(struct reader *rd, const char *path)
{
	char *text, err[256];
	size_t len, n = strlen(path);
	struct imp_doc d;
	if (blob_at(rd, path, &text, &len) < 0)
		return;
	int json = n > 5 && !strcmp(path + n - 5, ".json");
	if (imp_doc_parse(&d, text, len, json, err, sizeof err) < 0) {
		imp_warn(rd->c, "%s:%s: %s", rd->what, path, err);
	} else {
		for (size_t i = 0; i < d.n; i++)
			if (d.v[i].val && d.v[i].key[0])
				imp_mlflow_param(rd->c, rd->r, d.v[i].key, d.v[i].val, d.v[i].vlen);
		imp_doc_clear(&d);
	}
	free(text);
}

static void
flatten_node(struct reader *rd, yaml_document_t *doc, yaml_node_t *n, bc_buf *key, int depth)
{
	size_t base = key->len;
	if (!n || depth > 32)
		return;
	if (n->type == YAML_SCALAR_NODE) {
		if (base && !(n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
				(!strcmp(scalar(n), "null") || !strcmp(scalar(n), "~"))))
			imp_mlflow_param(rd->c, rd->r, key->data, scalar(n), n->data.scalar.length);
		return;
	}
	if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			const char *k = scalar(yaml_document_get_node(doc, p->key));
			if (!k)
				continue;
			key->len = base;
			if ((base && bc_buf_putc(key, '.') < 0) || bc_buf_puts(key, k) < 0)
				return;
			flatten_node(rd, doc, yaml_document_get_node(doc, p->value), key, depth + 1);
		}
	} else if (n->type == YAML_SEQUENCE_NODE) {
		long i = 0;
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			key->len = base;
			if ((base && bc_buf_putc(key, '.') < 0) || bc_buf_printf(key, "%ld", i++) < 0)
				return;
			flatten_node(rd, doc, yaml_document_get_node(doc, *it), key, depth + 1);
		}
	}
	key->len = base;
	if (key->data)
		key->data[base] = '\0';
}

/* Lock params {file: {nested}}: what the stages really ran with (lowest priority). */
static void
lock_params(struct reader *rd, yaml_document_t *lock)
{
	yaml_node_t *root = yaml_document_get_root_node(lock);
	yaml_node_t *stages = map_get(lock, root, "stages");
	if (!stages || stages->type != YAML_MAPPING_NODE)
		return;
	bc_buf key = BC_BUF_INIT;
	for (yaml_node_pair_t *p = stages->data.mapping.pairs.start; p < stages->data.mapping.pairs.top; p++) {
		yaml_node_t *files = map_get(lock, yaml_document_get_node(lock, p->value), "params");
		if (!files || files->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *f = files->data.mapping.pairs.start; f < files->data.mapping.pairs.top; f++) {
			key.len = 0;
			flatten_node(rd, lock, yaml_document_get_node(lock, f->value), &key, 0);
		}
	}
	bc_buf_free(&key);
}

static const char *
claim_key(struct reader *rd, const char *key, const char *dir, char *buf, size_t size)
{
	for (size_t i = 0; i < rd->nown; i++) {
		if (strcmp(rd->own[i].key, key))
			continue;
		if (!strcmp(rd->own[i].dir, dir))
			return NULL;            /* same source: already there (e.g. its series) */
		const char *base = strrchr(dir, '/');
		snprintf(buf, size, "%s.%s", base ? base + 1 : *dir ? dir : "root", key);
		return imp_run_has_series(rd->r, buf) ? NULL : buf;
	}
	if (rd->nown == rd->capown) {
		size_t cap = rd->capown ? rd->capown * 2 : 32;
		struct owner *o = realloc(rd->own, cap * sizeof *o);
		if (!o)
			return NULL;
		rd->own = o;
		rd->capown = cap;
	}
	rd->own[rd->nown++] = (struct owner){ bc_strdup(key), bc_strdup(dir) };
	return key;
}

static char *
dir_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? bc_strndup(path, (size_t)(s - path)) : bc_strdup("");
}

/* One DVCLive TSV: a header naming `step`, maybe `timestamp`, and the value column. */
static void
read_tsv(struct reader *rd, const char *path, const char *key, const char *owner_dir)
{
	char *text, buf[512];
	size_t len;
	if (blob_at(rd, path, &text, &len) < 0)
		return;
	const char *k = claim_key(rd, key, owner_dir, buf, sizeof buf);
	struct imp_series *s = k ? imp_run_series(rd->r, k) : NULL;
	int col_step = -1, col_ts = -1, col_val = -1;
	int64_t line = 0, bad = 0;
	char *save = NULL;
	for (char *ln = strtok_r(text, "\n", &save); s && ln; ln = strtok_r(NULL, "\n", &save)) {
		char *f[16];
		int nf = 0;
		line++;
		for (char *q = ln; nf < 16;) {
			f[nf++] = q;
			char *tab = strchr(q, '\t');
			if (!tab)
				break;
			*tab = '\0';
			q = tab + 1;
		}
		if (nf && f[nf - 1][0] && f[nf - 1][strlen(f[nf - 1]) - 1] == '\r')
			f[nf - 1][strlen(f[nf - 1]) - 1] = '\0';
		if (line == 1) {
			for (int i = 0; i < nf; i++) {
				if (!strcmp(f[i], "step"))
					col_step = i;
				else if (!strcmp(f[i], "timestamp"))
					col_ts = i;
				else
					col_val = i;
			}
			if (col_val < 0)
				break;
			continue;
		}
		double v, st = (double)(line - 2), ts = (double)rd->when_ms;
		if (col_val >= nf || imp_parse_double(f[col_val], f[col_val] + strlen(f[col_val]), &v) < 0 ||
				(col_step >= 0 && (col_step >= nf ||
				imp_parse_double(f[col_step], f[col_step] + strlen(f[col_step]), &st) < 0 || st != st)) ||
				(col_ts >= 0 && (col_ts >= nf ||
				imp_parse_double(f[col_ts], f[col_ts] + strlen(f[col_ts]), &ts) < 0 || ts != ts))) {
			if (++bad <= 3)
				imp_warn(rd->c, "%s:%s:%lld: malformed line skipped", rd->what, path, (long long)line);
			continue;
		}
		if (col_ts >= 0 && ts < 1e11)
			ts *= 1000.0;       /* seconds */
		imp_series_add(s, (int64_t)st, v, (int64_t)ts);
	}
	rd->r->bad_lines += bad;
	free(text);
}

struct tsv_walk {
	struct reader *rd;
	const char *base;        /* plots dir path (key root) */
	const char *owner;
};

static int
tsv_cb(const char *root, const git_tree_entry *e, void *payload)
{
	struct tsv_walk *w = payload;
	const char *name = git_tree_entry_name(e);
	size_t n = strlen(name);
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || n < 5 || strcmp(name + n - 4, ".tsv"))
		return 0;
	char *rel = bc_sprintf("%s%.*s", root, (int)(n - 4), name);
	char *path = bc_sprintf("%s/%s%s", w->base, root, name);
	if (rel && path) {
		for (char *q = rel; *q; q++)
			if (*q == '/')
				*q = '.';
		read_tsv(w->rd, path, rel, w->owner);
	}
	free(rel);
	free(path);
	return 0;
}

/* Series under a plots path: a .tsv file or a directory of them. */
static void
read_plots(struct reader *rd, const char *path)
{
	git_tree_entry *e;
	if (git_tree_entry_bypath(&e, rd->tree, path) < 0)
		return;
	/* the owner of a DVCLive dir's keys is the dir holding plots/metrics */
	char *owner = NULL;
	const char *pm = strstr(path, "plots/metrics");
	owner = pm ? bc_strndup(path, pm > path ? (size_t)(pm - path - 1) : 0) : dir_of(path);
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		git_tree *sub;
		if (git_tree_lookup(&sub, rd->repo, git_tree_entry_id(e)) == 0) {
			struct tsv_walk w = { rd, path, owner };
			git_tree_walk(sub, GIT_TREEWALK_PRE, tsv_cb, &w);
			git_tree_free(sub);
		}
	} else {
		size_t n = strlen(path);
		if (n > 4 && !strcmp(path + n - 4, ".tsv")) {
			const char *b = strrchr(path, '/');
			char *key = bc_strndup(b ? b + 1 : path, strlen(b ? b + 1 : path) - 4);
			if (key)
				read_tsv(rd, path, key, owner);
			free(key);
		}
	}
	free(owner);
	git_tree_entry_free(e);
}

static void
read_metrics_file(struct reader *rd, const char *path)
{
	char *text, err[256], buf[512];
	size_t len, n = strlen(path);
	struct imp_doc d;
	if (blob_at(rd, path, &text, &len) < 0)
		return;
	int json = n > 5 && !strcmp(path + n - 5, ".json");
	char *dir = dir_of(path);
	if (imp_doc_parse(&d, text, len, json, err, sizeof err) < 0) {
		imp_warn(rd->c, "%s:%s: %s", rd->what, path, err);
	} else {
		for (size_t i = 0; dir && i < d.n; i++) {
			if (!d.v[i].is_num)
				continue;
			char stem[256];
			const char *key = d.v[i].key;
			if (!key[0]) {       /* a bare number: named after the file (auc.metric -> auc) */
				const char *b = strrchr(path, '/');
				b = b ? b + 1 : path;
				const char *dot = strchr(b, '.');
				snprintf(stem, sizeof stem, "%.*s", dot ? (int)(dot - b) : (int)strlen(b), b);
				key = stem;
			}
			const char *k = claim_key(rd, key, dir, buf, sizeof buf);
			struct imp_series *s = k && !imp_run_has_series(rd->r, k) ? imp_run_series(rd->r, k) : NULL;
			if (s)
				imp_series_add(s, 0, d.v[i].num, rd->when_ms);
		}
		imp_doc_clear(&d);
	}
	free(dir);
	free(text);
}

int
imp_dvc_read_tree(struct imp_ctx *c, git_repository *repo, git_tree *tree, const char *what,
	int64_t when_ms, struct imp_run *r)
{
	struct reader rd = { .c = c, .repo = repo, .tree = tree, .r = r, .when_ms = when_ms, .what = what };
	struct dvc_files f;
	memset(&f, 0, sizeof f);
	char *tmp;
	size_t len;
	if (blob_at(&rd, "params.yaml", &tmp, &len) == 0) {
		add_unique(f.params, &f.nparams, "params.yaml");
		free(tmp);
	}
	read_dvc_yaml(&rd, &f);
	add_unique(f.params, &f.nparams, "dvclive/params.yaml");
	add_unique(f.metrics, &f.nmetrics, "dvclive/metrics.json");
	for (size_t i = 0; i < f.nmetrics; i++) {
		char *dir = dir_of(f.metrics[i]);
		char *pm = dir ? bc_sprintf("%s%splots/metrics", dir, *dir ? "/" : "") : NULL;
		add_unique(f.plots, &f.nplots, pm);
		free(pm);
		free(dir);
	}
	for (size_t i = 0; i < f.nparams; i++)
		read_params_file(&rd, f.params[i]);
	/* series first, so metrics files' last values join them instead of doubling */
	for (size_t i = 0; i < f.nplots; i++)
		read_plots(&rd, f.plots[i]);
	for (size_t i = 0; i < f.nmetrics; i++)
		read_metrics_file(&rd, f.metrics[i]);
	yaml_document_t lock;
	if (load_yaml(&rd, "dvc.lock", &lock) == 0) {
		lock_params(&rd, &lock);
		read_lock(&rd, &lock);
		yaml_document_delete(&lock);
	}
	git_tree_walk(tree, GIT_TREEWALK_PRE, find_dvc_file, &rd);
	for (size_t i = 0; i < f.nparams; i++)
		free(f.params[i]);
	for (size_t i = 0; i < f.nmetrics; i++)
		free(f.metrics[i]);
	for (size_t i = 0; i < f.nplots; i++)
		free(f.plots[i]);
	for (size_t i = 0; i < rd.nown; i++) {
		free(rd.own[i].key);
		free(rd.own[i].dir);
	}
	free(rd.own);
	return 0;
}
