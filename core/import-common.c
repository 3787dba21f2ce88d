/* SPDX-License-Identifier: MIT */
/*
 * The importers' shared half: a run read from a source (struct imp_run), and
 * the upsert that stores it keyed by (tool, source path, source id).
 *
 * Idempotence: each imported run has an import_state row holding a quick
 * fingerprint of its source files (sizes, mtimes or a commit id) and a digest
 * of everything that was read. Unchanged quick fingerprint: nothing is read.
 * Same digest: nothing is written. Otherwise the run is rewritten in one
 * transaction (row, params, source tags, io, series), so an import killed at
 * any point leaves either the old or the new run, never half of one.
 */
#include "config.h"
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "import-private.h"

/* ---- building a run ---- */

void
imp_run_init(struct imp_run *r)
{
	memset(r, 0, sizeof *r);
	r->status = BC_RUN_FINISHED;
}

void
imp_set(char **field, const char *value)
{
	free(*field);
	*field = value ? bc_strdup(value) : NULL;
}

/* Free everything but the series array and its point buffers (keys freed). */
static void
run_free_fields(struct imp_run *r)
{
	free(r->src_id);
	free(r->name);
	free(r->experiment);
	free(r->user);
	free(r->host);
	free(r->git_commit);
	free(r->git_branch);
	free(r->note);
	free(r->cwd);
	for (size_t i = 0; i < r->argc; i++)
		free(r->argv[i]);
	free(r->argv);
	for (size_t i = 0; i < r->nparams; i++) {
		free(r->params[i].key);
		free(r->params[i].value);
	}
	free(r->params);
	for (size_t i = 0; i < r->ntags; i++)
		free(r->tags[i]);
	free(r->tags);
	for (size_t i = 0; i < r->nio; i++) {
		free(r->io[i].path);
		free(r->io[i].hash);
	}
	free(r->io);
	for (size_t i = 0; i < r->nseries; i++) {
		free(r->series[i].key);
		r->series[i].key = NULL;
	}
}

void
imp_run_clear(struct imp_run *r)
{
	run_free_fields(r);
	size_t n = r->nkept > r->nseries ? r->nkept : r->nseries;
	for (size_t i = 0; i < n; i++)
		free(r->series[i].pts);
	free(r->series);
	imp_run_init(r);
}

#define KEEP_POINTS 65536

void
imp_run_recycle(struct imp_run *r)
{
	run_free_fields(r);
	struct imp_series *series = r->series;
	size_t cap = r->capseries, kept = r->nkept > r->nseries ? r->nkept : r->nseries, total = 0;
	for (size_t i = 0; i < kept; i++) {
		series[i].n = 0;
		/* a queue slot keeps at most KEEP_POINTS (1.5 MB) for its next run */
		total += series[i].cap;
		if (total > KEEP_POINTS) {
			total -= series[i].cap;
			free(series[i].pts);
			series[i].pts = NULL;
			series[i].cap = 0;
		}
	}
	imp_run_init(r);
	r->series = series;
	r->capseries = cap;
	r->nkept = kept;
}

#define GROW(arr, n, cap) \
	((n) < (cap) ? 0 : grow((void **)&(arr), &(cap), sizeof *(arr)))

static int
grow(void **arr, size_t *cap, size_t elem)
{
	size_t nc = *cap ? *cap * 2 : 8;
	void *a = realloc(*arr, nc * elem);
	if (!a)
		return -1;
	*arr = a;
	*cap = nc;
	return 0;
}

int
imp_run_param(struct imp_run *r, const char *key, const char *value, size_t vlen)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (!strcmp(r->params[i].key, key))
			return 1;
	if (GROW(r->params, r->nparams, r->capparams) < 0)
		return -1;
	struct imp_kv *kv = &r->params[r->nparams];
	kv->key = bc_strdup(key);
	kv->value = bc_strndup(value, vlen);
	kv->vlen = vlen;
	if (!kv->key || !kv->value) {
		free(kv->key);
		free(kv->value);
		return -1;
	}
	r->nparams++;
	return 0;
}

int
imp_run_tag(struct imp_run *r, const char *tag)
{
	for (size_t i = 0; i < r->ntags; i++)
		if (!strcmp(r->tags[i], tag))
			return 0;
	if (GROW(r->tags, r->ntags, r->captags) < 0 || !(r->tags[r->ntags] = bc_strdup(tag)))
		return -1;
	r->ntags++;
	return 0;
}

int
imp_run_io(struct imp_run *r, int is_output, const char *path, const char *hash)
{
	for (size_t i = 0; i < r->nio; i++)
		if (r->io[i].is_output == is_output && !strcmp(r->io[i].path, path))
			return 0;
	if (GROW(r->io, r->nio, r->capio) < 0)
		return -1;
	struct imp_io *io = &r->io[r->nio];
	io->is_output = is_output;
	io->path = bc_strdup(path);
	io->hash = bc_strdup(hash);
	if (!io->path) {
		free(io->hash);
		return -1;
	}
	r->nio++;
	return 0;
}

int
imp_run_argv(struct imp_run *r, const char *arg)
{
	if (GROW(r->argv, r->argc, r->capargv) < 0 || !(r->argv[r->argc] = bc_strdup(arg)))
		return -1;
	r->argc++;
	return 0;
}

int
imp_run_has_series(const struct imp_run *r, const char *key)
{
	for (size_t i = 0; i < r->nseries; i++)
		if (!strcmp(r->series[i].key, key))
			return 1;
	return 0;
}

struct imp_series *
imp_run_series(struct imp_run *r, const char *key)
{
	for (size_t i = 0; i < r->nseries; i++)
		if (!strcmp(r->series[i].key, key))
			return &r->series[i];
	if (GROW(r->series, r->nseries, r->capseries) < 0)
		return NULL;
	struct imp_series *s = &r->series[r->nseries];
	if (r->nseries < r->nkept) {
		s->n = 0;            /* an emptied series: keep its point buffer */
	} else {
		memset(s, 0, sizeof *s);
		r->nkept = r->nseries + 1;
	}
	if (!(s->key = bc_strdup(key)))
		return NULL;
	r->nseries++;
	return s;
}

int
imp_series_add(struct imp_series *s, int64_t step, double value, int64_t wall_ms)
{
	if (GROW(s->pts, s->n, s->cap) < 0)
		return -1;
	s->pts[s->n++] = (bc_point){ step, value, wall_ms };
	return 0;
}

/* ---- hashing ---- */

uint64_t
imp_hash_u64(uint64_t h, uint64_t v)
{
	h ^= v + IMP_HASH_SEED + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

uint64_t
imp_hash(uint64_t h, const void *data, size_t len)
{
	const unsigned char *b = data;
	size_t i = 0;
	h = imp_hash_u64(h, len);
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	uint64_t tail = 0;
	for (size_t k = 0; i < len; i++, k++)
		tail |= (uint64_t)b[i] << (8 * k);
	return imp_hash_u64(h, tail);
}

static uint64_t
hash_str(uint64_t h, const char *s)
{
	return s ? imp_hash(h, s, strlen(s)) : imp_hash_u64(h, 0x5eed);
}

static int
cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct imp_kv *)a)->key, ((const struct imp_kv *)b)->key);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_series(const void *a, const void *b)
{
	return strcmp(((const struct imp_series *)a)->key, ((const struct imp_series *)b)->key);
}

void
imp_run_digest(struct imp_run *r)
{
	if (r->nparams)
		qsort(r->params, r->nparams, sizeof *r->params, cmp_kv);
	if (r->ntags)
		qsort(r->tags, r->ntags, sizeof *r->tags, cmp_str);
	if (r->nseries)
		qsort(r->series, r->nseries, sizeof *r->series, cmp_series);
	uint64_t h = IMP_HASH_SEED;
	h = hash_str(h, r->name);
	h = hash_str(h, r->experiment);
	h = imp_hash_u64(h, (uint64_t)r->status);
	h = imp_hash_u64(h, (uint64_t)r->started_ms);
	h = imp_hash_u64(h, (uint64_t)r->ended_ms);
	h = hash_str(hash_str(hash_str(h, r->user), r->host), r->git_commit);
	h = hash_str(hash_str(hash_str(h, r->git_branch), r->note), r->cwd);
	for (size_t i = 0; i < r->argc; i++)
		h = hash_str(h, r->argv[i]);
	h = imp_hash_u64(h, (uint64_t)r->deleted);
	for (size_t i = 0; i < r->nparams; i++)
		h = imp_hash(hash_str(h, r->params[i].key), r->params[i].value, r->params[i].vlen);
	for (size_t i = 0; i < r->ntags; i++)
		h = hash_str(h, r->tags[i]);
	for (size_t i = 0; i < r->nio; i++)
		h = hash_str(hash_str(imp_hash_u64(h, (uint64_t)r->io[i].is_output),
			r->io[i].path), r->io[i].hash);
	for (size_t i = 0; i < r->nseries; i++) {
		h = hash_str(h, r->series[i].key);
		h = imp_hash(h, r->series[i].pts, r->series[i].n * sizeof(bc_point));
	}
	h = imp_hash_u64(h, (uint64_t)r->bad_lines);
	snprintf(r->digest, sizeof r->digest, "%016llx", (unsigned long long)h);
}

/* ---- the import context ---- */

/* set on reader threads: warnings are kept there and replayed by the writer */
static __thread bc_buf *warn_sink;

void
imp_warn_defer(bc_buf *sink)
{
	warn_sink = sink;
}

void
imp_warn_replay(struct imp_ctx *c, const bc_buf *sink)
{
	for (size_t off = 0; off < sink->len;) {
		const char *msg = sink->data + off;
		size_t n = strlen(msg);
		c->stats->warnings++;
		if (c->opts && c->opts->warn)
			c->opts->warn(msg, c->opts->payload);
		off += n + 1;
	}
}

void
imp_warn(struct imp_ctx *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (warn_sink) {
		bc_buf_put(warn_sink, msg, strlen(msg) + 1);
		return;
	}
	c->stats->warnings++;
	if (c->opts && c->opts->warn)
		c->opts->warn(msg, c->opts->payload);
}

void
imp_progress(struct imp_ctx *c, int force)
{
	if (!c->opts || !c->opts->progress)
		return;
	int64_t now = bc_now_ms();
	if (!force && now - c->last_progress_ms < 100)
		return;
	c->last_progress_ms = now;
	c->opts->progress(c->done, c->total, c->opts->payload);
}

void
imp_skip(struct imp_ctx *c)
{
	c->stats->skipped++;
	c->done++;
	imp_progress(c, 0);
}

static int
cmp_known(const void *a, const void *b)
{
	return strcmp(((const struct imp_known *)a)->src_id, ((const struct imp_known *)b)->src_id);
}

int
imp_begin(struct imp_ctx *c, bc_project *p, const char *tool, const char *src_path,
	const bc_import_options *opts, bc_import_stats *stats)
{
	sqlite3_stmt *st;
	memset(c, 0, sizeof *c);
	memset(stats, 0, sizeof *stats);
	c->p = p;
	c->opts = opts;
	c->stats = stats;
	c->tool = tool;
	if (!(c->src_path = bc_strdup(src_path)))
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	if (p->readonly)
		return bc_error_set(p, BC_ERR_DB, BC_EREADONLY,
			"the project store is read-only: import needs write access");
	if (bc_prepare(p, &st, "SELECT r.src_id, r.id, s.quick, s.digest, s.src_name FROM runs r"
			" LEFT JOIN import_state s ON s.run = r.id"
			" WHERE r.src_tool = ? AND r.src_path = ?") < 0)
		return -1;
	sqlite3_bind_text(st, 1, tool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, src_path, -1, SQLITE_STATIC);
	size_t cap = 0;
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (GROW(c->known, c->nknown, cap) < 0)
			break;
		struct imp_known *k = &c->known[c->nknown++];
		memset(k, 0, sizeof *k);
		k->src_id = bc_strdup((const char *)sqlite3_column_text(st, 0));
		snprintf(k->id, sizeof k->id, "%s", (const char *)sqlite3_column_text(st, 1));
		k->quick = (uint64_t)sqlite3_column_int64(st, 2);
		k->digest = bc_strdup((const char *)sqlite3_column_text(st, 3));
		k->src_name = bc_strdup((const char *)sqlite3_column_text(st, 4));
		if (!k->src_id)
			k->src_id = bc_strdup("");
	}
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return bc_db_error(p, "cannot read earlier imports");
	if (c->nknown)
		qsort(c->known, c->nknown, sizeof *c->known, cmp_known);
	/* a batch must fit in SQLite's page cache, or it spills pages to the
	 * WAL mid-transaction and reads them back */
	if (bc_prepare(p, &st, "PRAGMA cache_size") == 0) {
		if (sqlite3_step(st) == SQLITE_ROW)
			c->cache_size = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (c->cache_size && bc_exec(p, "PRAGMA cache_size=-" IMP_CACHE_KIB) < 0)
			c->cache_size = 0;
	}
	/* SQLite built with SECURE_DELETE (Debian's) zeroes every page a
	 * b-tree split frees: a third of the writer's work for new chunks, and
	 * what an import frees is its own copies of what it writes again */
	c->secure_delete = -1;
	if (bc_prepare(p, &st, "PRAGMA secure_delete") == 0) {
		if (sqlite3_step(st) == SQLITE_ROW)
			c->secure_delete = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		if (c->secure_delete > 0 && bc_exec(p, "PRAGMA secure_delete=OFF") < 0)
			c->secure_delete = -1;
	}
	return 0;
}

int
imp_end(struct imp_ctx *c, int rc)
{
	/* runs stored so far are complete: keep them even when the import failed */
	if (c->p && imp_batch_commit(c, 1) < 0 && rc == 0)
		rc = -1;
	imp_wal_finish(c);
	imp_stmts_free(c);
	if (c->cache_size) {
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA cache_size=%lld", (long long)c->cache_size);
		sqlite3_exec(c->p->db, sql, NULL, NULL, NULL);
	}
	if (c->secure_delete > 0) {
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA secure_delete=%d", c->secure_delete);
		sqlite3_exec(c->p->db, sql, NULL, NULL, NULL);
	}
	imp_progress(c, 1);
	for (size_t i = 0; i < c->nknown; i++) {
		free(c->known[i].src_id);
		free(c->known[i].digest);
		free(c->known[i].src_name);
	}
	free(c->known);
	free(c->src_path);
	memset(c, 0, sizeof *c);
	return rc;
}

static struct imp_known *
find_known(struct imp_ctx *c, const char *src_id)
{
	struct imp_known key = { .src_id = (char *)(uintptr_t)src_id };
	if (!c->nknown)
		return NULL;
	return bsearch(&key, c->known, c->nknown, sizeof *c->known, cmp_known);
}

int
imp_is_known(struct imp_ctx *c, const char *src_id)
{
	const struct imp_known *k = find_known(c, src_id);
	return k && k->digest && !(c->opts && c->opts->full);
}

int
imp_quick_match(struct imp_ctx *c, const char *src_id, uint64_t quick)
{
	if (c->opts && c->opts->full)
		return 0;
	struct imp_known *k = find_known(c, src_id);
	return k && k->digest && quick && k->quick == quick;
}

void
imp_count_unchanged(struct imp_ctx *c)
{
	c->stats->unchanged++;
	c->done++;
	imp_progress(c, 0);
}

int
imp_quick_unchanged(struct imp_ctx *c, const char *src_id, uint64_t quick)
{
	if (!imp_quick_match(c, src_id, quick))
		return 0;
	imp_count_unchanged(c);
	return 1;
}

int
imp_commit_run(struct imp_ctx *c, struct imp_run *r)
{
	if (!r->digest[0])
		imp_run_digest(r);
	const char *digest = r->digest;
	struct imp_known *k = find_known(c, r->src_id);
	c->done++;
	if (k && k->digest && !strcmp(k->digest, digest)) {
		c->stats->unchanged++;
		if (r->quick && r->quick != k->quick) {
			/* content is the same (e.g. files copied again): remember the new stat */
			if (imp_update_quick(c, k->id, r->quick) < 0)
				return -1;
			k->quick = r->quick;
		}
		imp_progress(c, 0);
		return 0;
	}
	int rc = imp_store_run(c, r, digest);
	if (rc >= 0) {
		if (rc == 1)
			c->stats->updated++;
		else
			c->stats->added++;
		c->stats->bad_lines += r->bad_lines;
	}
	imp_progress(c, 0);
	return rc < 0 ? rc : 0;
}
