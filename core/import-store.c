/* SPDX-License-Identifier: MIT */
/*
 * Writing one imported run: the runs row (new or updated in place), params,
 * the tags that came from the source, data inputs/outputs, metric series
 * (written as chunks straight into metric_chunks, with their summaries) and
 * the import_state row that makes the next import incremental.
 *
 * A run is written whole inside one transaction, and many runs share a
 * transaction (committed every BATCH_MS or BATCH_POINTS), so an import
 * killed at any point leaves each run either as it was or complete, never
 * half of one; the next import redoes the lost batch. The unique source index
 * and the lookup inside the transaction mean never a duplicate, even with two
 * imports at once. Statements are prepared once per import.
 */
#include "config.h"
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "import-private.h"

#define NAME_MAX_LEN 200
#define MAX_KEY_LEN 250         /* as core/metric.c */
/*
 * Bytes of packed points per chunk row (import-pack.c: about 8 a point for a
 * regular series, so up to 480 points): the whole row (run id, key, seq, n,
 * step range, the points and their 96-byte summary) must stay within
 * SQLite's largest local payload of a WITHOUT ROWID row with 16 KiB pages
 * (4086 bytes); a bigger row spills into a 16 KiB overflow page of its own,
 * which quadruples the store and its writes.
 */
#define CHUNK_BYTES 3840
#define BATCH_MS 500
#define BATCH_RUNS 128          /* a kill -9 loses at most this many runs' work */
#define BATCH_POINTS (1u << 20)  /* 8-24 MB of chunks: inside IMP_CACHE_KIB */

static const char *const sql_text[IMP_NSQL] = {
	[IMP_SQL_CURRENT] = "SELECT r.id, s.src_name FROM runs r LEFT JOIN import_state s"
		" ON s.run = r.id WHERE r.src_tool=? AND r.src_path=? AND r.src_id=?",
	[IMP_SQL_NAME_TAKEN] = "SELECT 1 FROM runs WHERE name=? AND id<>?",
	[IMP_SQL_OLD_TAGS] = "SELECT src_tags FROM import_state WHERE run=?",
	[IMP_SQL_DEL_TAG] = "DELETE FROM tags WHERE run=? AND tag=?",
	[IMP_SQL_DEL_PARAMS] = "DELETE FROM params WHERE run=?1",
	[IMP_SQL_DEL_IO] = "DELETE FROM run_io WHERE run=?1",
	[IMP_SQL_DEL_SUMMARY] = "DELETE FROM metric_summary WHERE run=?1",
	[IMP_SQL_DEL_CHUNKS] = "DELETE FROM metric_chunks WHERE run=?1",
	[IMP_SQL_DEL_CHANNELS] = "DELETE FROM channels WHERE run=?1",
	[IMP_SQL_INSERT_RUN] = "INSERT INTO runs(status,argv,cwd,started_ms,ended_ms,host,user,git_commit,"
		"git_branch,note,experiment,deleted,bad_lines,name,src_tool,src_path,src_id,id)"
		" VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
	[IMP_SQL_UPDATE_RUN] = "UPDATE runs SET status=?1,argv=?2,cwd=?3,started_ms=?4,ended_ms=?5,host=?6,"
		"user=?7,git_commit=?8,git_branch=?9,note=coalesce(?10,note),experiment=?11,deleted=?12,"
		"bad_lines=?13,name=coalesce(?14,name) WHERE id=?18",
	[IMP_SQL_PARAM] = "INSERT OR REPLACE INTO params(run,key,type,value) VALUES(?,?,?,?)",
	[IMP_SQL_TAG] = "INSERT OR IGNORE INTO tags(run,tag) VALUES(?,?)",
	[IMP_SQL_IO] = "INSERT OR REPLACE INTO run_io(run,is_output,path,hash) VALUES(?,?,?,?)",
	[IMP_SQL_STATE] = "INSERT OR REPLACE INTO import_state(run,quick,digest,src_tags,src_name)"
		" VALUES(?,?,?,?,?)",
	[IMP_SQL_QUICK] = "UPDATE import_state SET quick=? WHERE run=?",
	[IMP_SQL_KEY_INS] = "INSERT OR IGNORE INTO metric_keys(key) VALUES(?)",
	[IMP_SQL_KEY_SEL] = "SELECT id FROM metric_keys WHERE key=?",
	[IMP_SQL_CHUNK] = "INSERT INTO metric_chunks(run,key_id,seq,n,min_step,max_step,data,summary)"
		" VALUES(?,?,?,?,?,?,?,?)",
	[IMP_SQL_SUMMARY] = "INSERT OR REPLACE INTO metric_summary(run,key_id,first,last,min,max,count,"
		"first_step,last_step,min_step,max_step,last_wall_ms,step_lo,step_hi)"
		" VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
};

sqlite3_stmt *
imp_stmt(struct imp_ctx *c, enum imp_sql which)
{
	sqlite3_stmt *st = c->stmts[which];
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	if (sqlite3_prepare_v3(c->p->db, sql_text[which], -1, SQLITE_PREPARE_PERSISTENT,
			&c->stmts[which], NULL) != SQLITE_OK) {
		bc_db_error(c->p, "cannot prepare query");
		return NULL;
	}
	return c->stmts[which];
}

void
imp_stmts_free(struct imp_ctx *c)
{
	for (int i = 0; i < IMP_NSQL; i++) {
		sqlite3_finalize(c->stmts[i]);
		c->stmts[i] = NULL;
	}
	for (size_t i = 0; i < c->keycap; i++)
		free(c->keys[i].key);
	free(c->keys);
	c->keys = NULL;
	c->keycap = c->nkeys = 0;
}

int
imp_batch_begin(struct imp_ctx *c)
{
	if (c->batch)
		return 0;
	imp_wal_wait(c->p);
	if (bc_tx_begin(c->p) < 0)
		return -1;
	c->batch = 1;
	c->batch_ms = bc_now_ms();
	c->batch_points = 0;
	c->batch_runs = 0;
	return 0;
}

int
imp_batch_commit(struct imp_ctx *c, int force)
{
	if (!c->batch)
		return 0;
	if (!force && c->batch_points < BATCH_POINTS && c->batch_runs < BATCH_RUNS &&
			bc_now_ms() - c->batch_ms < BATCH_MS)
		return 0;
	c->batch = 0;
	return bc_tx_commit(c->p);
}

static void
batch_fail(struct imp_ctx *c)
{
	c->batch = 0;
	bc_tx_rollback(c->p);
}

static int
step_done(bc_project *p, sqlite3_stmt *st, const char *what)
{
	int s = sqlite3_step(st);
	sqlite3_reset(st);
	return s == SQLITE_DONE ? 0 : bc_db_error(p, what);
}

static int
name_taken(struct imp_ctx *c, const char *name, const char *self)
{
	sqlite3_stmt *st = imp_stmt(c, IMP_SQL_NAME_TAKEN);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, self ? self : "", -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	sqlite3_reset(st);
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		return bc_db_error(c->p, "cannot look up run names");
	return s == SQLITE_ROW;
}

/* The name the source gives this run (before making it unique). */
static void
source_name(const struct imp_ctx *c, const struct imp_run *r, char *buf, size_t size)
{
	if (r->name && r->name[0]) {
		/* bancada names: 1..200 bytes, not starting with '@' (reference syntax) */
		snprintf(buf, size, "%s%.*s", r->name[0] == '@' ? "_" : "", NAME_MAX_LEN - 1, r->name);
		return;
	}
	size_t j = 0;
	char id8[9];
	for (const char *s = r->src_id; *s && j < 8; s++)
		if (isalnum((unsigned char)*s))
			id8[j++] = *s;
	id8[j] = '\0';
	snprintf(buf, size, "%s-%s", c->tool, id8);
}

/* A unique name: the wanted one, else suffixed with a short source id, else a counter. */
static int
unique_name(struct imp_ctx *c, const struct imp_run *r, const char *want, const char *self,
	char *out, size_t size)
{
	char id8[9];
	size_t j = 0;
	for (const char *s = r->src_id; *s && j < 8; s++)
		if (isalnum((unsigned char)*s))
			id8[j++] = *s;
	id8[j] = '\0';
	snprintf(out, size, "%s", want);
	for (int n = 0; n < 1000; n++) {
		int t = name_taken(c, out, self);
		if (t < 0)
			return -1;
		if (!t)
			return 0;
		if (n == 0)
			snprintf(out, size, "%.*s-%s", NAME_MAX_LEN - 10, want, id8);
		else
			snprintf(out, size, "%.*s-%s-%d", NAME_MAX_LEN - 16, want, id8, n + 1);
	}
	return bc_error_set(c->p, BC_ERR_INPUT, BC_EEXISTS, "cannot find a free name for run '%s'", want);
}

static char *
argv_json(const struct imp_run *r)
{
	if (!r->argc)
		return NULL;
	json_t *a = json_array();
	for (size_t i = 0; i < r->argc; i++)
		json_array_append_new(a, json_stringn_nocheck(r->argv[i], strlen(r->argv[i])));
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

/* Delete what an earlier import of this run wrote (keeping local tags and the row). */
static int
clear_old(struct imp_ctx *c, const char *id)
{
	bc_project *p = c->p;
	sqlite3_stmt *st = imp_stmt(c, IMP_SQL_OLD_TAGS);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	char *old = NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		old = bc_strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	for (char *t = old, *nl; t && *t; t = nl ? nl + 1 : t + strlen(t)) {
		nl = strchr(t, '\n');
		if (nl)
			*nl = '\0';
		if (!(st = imp_stmt(c, IMP_SQL_DEL_TAG))) {
			free(old);
			return -1;
		}
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, t, -1, SQLITE_STATIC);
		if (step_done(p, st, "cannot update tags") < 0) {
			free(old);
			return -1;
		}
	}
	free(old);
	for (int i = IMP_SQL_DEL_PARAMS; i <= IMP_SQL_DEL_CHANNELS; i++) {
		if (!(st = imp_stmt(c, (enum imp_sql)i)))
			return -1;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (step_done(p, st, "cannot replace the imported run") < 0)
			return -1;
	}
	return 0;
}

static int
write_row(struct imp_ctx *c, const struct imp_run *r, const char *id, const char *name, int is_new)
{
	sqlite3_stmt *st = imp_stmt(c, is_new ? IMP_SQL_INSERT_RUN : IMP_SQL_UPDATE_RUN);
	if (!st)
		return -1;
	char *argv = argv_json(r);
	sqlite3_bind_int(st, 1, r->status);
	sqlite3_bind_text(st, 2, argv, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, r->cwd, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->started_ms);
	if (r->ended_ms > 0)
		sqlite3_bind_int64(st, 5, r->ended_ms);
	sqlite3_bind_text(st, 6, r->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->git_commit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->git_branch, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, r->note, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, r->experiment, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 12, r->deleted);
	sqlite3_bind_int64(st, 13, r->bad_lines);
	sqlite3_bind_text(st, 14, name, -1, SQLITE_STATIC);
	if (is_new) {
		sqlite3_bind_text(st, 15, c->tool, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 16, c->src_path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 17, r->src_id, -1, SQLITE_STATIC);
	}
	sqlite3_bind_text(st, 18, id, -1, SQLITE_STATIC);
	free(argv);
	return step_done(c->p, st, "cannot store the imported run");
}

static int
write_children(struct imp_ctx *c, const struct imp_run *r, const char *id)
{
	bc_project *p = c->p;
	sqlite3_stmt *st = imp_stmt(c, IMP_SQL_PARAM);
	if (!st)
		return -1;
	for (size_t i = 0; i < r->nparams; i++) {
		const struct imp_kv *kv = &r->params[i];
		bc_value v;
		if (kv->vlen < 64) {
			bc_value_parse(&v, kv->value);
		} else {
			memset(&v, 0, sizeof v);
			v.type = BC_VAL_STRING;
			v.s = bc_strndup(kv->value, kv->vlen);
			v.slen = kv->vlen;
		}
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, kv->key, -1, SQLITE_STATIC);
		bc_param_bind(st, 3, 4, &v);
		int rc = step_done(p, st, "cannot store a param");
		bc_value_clear(&v);
		if (rc < 0)
			return -1;
	}
	if (!(st = imp_stmt(c, IMP_SQL_TAG)))
		return -1;
	for (size_t i = 0; i < r->ntags; i++) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->tags[i], -1, SQLITE_STATIC);
		if (step_done(p, st, "cannot store a tag") < 0)
			return -1;
	}
	if (!(st = imp_stmt(c, IMP_SQL_IO)))
		return -1;
	for (size_t i = 0; i < r->nio; i++) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, r->io[i].is_output);
		sqlite3_bind_text(st, 3, r->io[i].path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r->io[i].hash, -1, SQLITE_STATIC);
		if (step_done(p, st, "cannot store a data input/output") < 0)
			return -1;
	}
	return 0;
}

static int
write_state(struct imp_ctx *c, const struct imp_run *r, const char *id, const char *digest,
	const char *src_name)
{
	bc_buf tags = BC_BUF_INIT;
	for (size_t i = 0; i < r->ntags; i++)
		if ((i && bc_buf_putc(&tags, '\n') < 0) || bc_buf_puts(&tags, r->tags[i]) < 0) {
			bc_buf_free(&tags);
			return bc_error_set(c->p, BC_ERR_OS, BC_ERROR, "out of memory");
		}
	sqlite3_stmt *st = imp_stmt(c, IMP_SQL_STATE);
	if (!st) {
		bc_buf_free(&tags);
		return -1;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->quick);
	sqlite3_bind_text(st, 3, digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, tags.data ? tags.data : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, src_name, -1, SQLITE_STATIC);
	bc_buf_free(&tags);
	return step_done(c->p, st, "cannot store the import state");
}

int
imp_update_quick(struct imp_ctx *c, const char *id, uint64_t quick)
{
	if (imp_batch_begin(c) < 0)
		return -1;
	sqlite3_stmt *st = imp_stmt(c, IMP_SQL_QUICK);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)quick);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if (step_done(c->p, st, "cannot update the import state") < 0) {
		batch_fail(c);
		return -1;
	}
	return imp_batch_commit(c, 0);
}

/* ---- series: chunks and summaries written directly (fresh series only) ---- */

/* The metric_keys id of key (cached for the whole import), or -1. */
static int64_t
key_id(struct imp_ctx *c, const char *key)
{
	if ((c->nkeys + 1) * 2 > c->keycap) {
		size_t ncap = c->keycap ? c->keycap * 2 : 64;
		struct imp_keyid *nk = calloc(ncap, sizeof *nk);
		if (!nk)
			return bc_error_set(c->p, BC_ERR_OS, BC_ERROR, "out of memory");
		for (size_t i = 0; i < c->keycap; i++) {
			if (!c->keys[i].key)
				continue;
			size_t h = bc_hash_bytes(c->keys[i].key, strlen(c->keys[i].key)) & (ncap - 1);
			while (nk[h].key)
				h = (h + 1) & (ncap - 1);
			nk[h] = c->keys[i];
		}
		free(c->keys);
		c->keys = nk;
		c->keycap = ncap;
	}
	size_t h = bc_hash_bytes(key, strlen(key)) & (c->keycap - 1);
	while (c->keys[h].key) {
		if (!strcmp(c->keys[h].key, key))
			return c->keys[h].id;
		h = (h + 1) & (c->keycap - 1);
	}
	sqlite3_stmt *st = imp_stmt(c, IMP_SQL_KEY_INS);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (step_done(c->p, st, "cannot store a metric name") < 0 || !(st = imp_stmt(c, IMP_SQL_KEY_SEL)))
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return bc_db_error(c->p, "cannot read a metric name");
	}
	int64_t id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (!(c->keys[h].key = bc_strdup(key)))
		return bc_error_set(c->p, BC_ERR_OS, BC_ERROR, "out of memory");
	c->keys[h].id = id;
	c->nkeys++;
	return id;
}

/* One series as core/metric.c's ingest would store it into an empty run. */
static int
write_one_series(struct imp_ctx *c, struct imp_series *s, const char *id, int64_t now)
{
	int64_t kid = key_id(c, s->key);
	if (kid < 0)
		return -1;
	bc_metric_summary m = { 0 };
	int have_minmax = 0;
	for (size_t i = 0; i < s->n; i++) {
		bc_point *pt = &s->pts[i];
		if (pt->step < 0)
			pt->step = 0;
		if (pt->wall_ms == 0)
			pt->wall_ms = now;
		bc_metric_fold_minmax(&m, &have_minmax, pt);
	}
	sqlite3_stmt *st = imp_stmt(c, IMP_SQL_CHUNK);
	if (!st)
		return -1;
	int64_t seq = 0, step_lo = INT64_MAX, step_hi = INT64_MIN;
	unsigned char packed[CHUNK_BYTES + 64];
	for (size_t off = 0, cnt, len; off < s->n; off += cnt) {
		cnt = imp_chunk_pack(s->pts + off, s->n - off, packed, CHUNK_BYTES, &len);
		/* the same per-chunk summary as native ingest, so plots of imported
		 * series read summaries instead of decoding every chunk */
		bc_point sum[4];
		bc_metric_chunk_summary(s->pts + off, cnt, sum);
		int64_t lo = sum[0].step, hi = sum[3].step;
		if (lo < step_lo)
			step_lo = lo;
		if (hi > step_hi)
			step_hi = hi;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, kid);
		sqlite3_bind_int64(st, 3, seq++);
		sqlite3_bind_int64(st, 4, (int64_t)cnt);
		sqlite3_bind_int64(st, 5, lo);
		sqlite3_bind_int64(st, 6, hi);
		sqlite3_bind_blob(st, 7, packed, (int)len, SQLITE_STATIC);
		sqlite3_bind_blob(st, 8, sum, (int)sizeof sum, SQLITE_TRANSIENT);
		if (step_done(c->p, st, "cannot store metric points") < 0)
			return -1;
	}
	const bc_point *first = &s->pts[0], *last = &s->pts[s->n - 1];
	if (!(st = imp_stmt(c, IMP_SQL_SUMMARY)))
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, kid);
	bc_bind_num(st, 3, first->value);
	bc_bind_num(st, 4, last->value);
	if (have_minmax) {
		sqlite3_bind_double(st, 5, m.min);
		sqlite3_bind_double(st, 6, m.max);
	}
	sqlite3_bind_int64(st, 7, (int64_t)s->n);
	sqlite3_bind_int64(st, 8, first->step);
	sqlite3_bind_int64(st, 9, last->step);
	sqlite3_bind_int64(st, 10, m.min_step);
	sqlite3_bind_int64(st, 11, m.max_step);
	sqlite3_bind_int64(st, 12, last->wall_ms);
	sqlite3_bind_int64(st, 13, step_lo);
	sqlite3_bind_int64(st, 14, step_hi);
	if (step_done(c->p, st, "cannot store a metric summary") < 0)
		return -1;
	c->stats->points += (int64_t)s->n;
	c->batch_points += s->n;
	return 0;
}

static int
write_series(struct imp_ctx *c, struct imp_run *r, const char *id)
{
	int64_t now = bc_now_ms();
	for (size_t i = 0; i < r->nseries; i++) {
		struct imp_series *s = &r->series[i];
		size_t klen = strlen(s->key);
		if (!s->n)
			continue;
		if (klen == 0 || klen > MAX_KEY_LEN) {
			imp_warn(c, "run %s: metric '%.60s' has an invalid name: skipped", r->src_id, s->key);
			continue;
		}
		if (write_one_series(c, s, id, now) < 0)
			return -1;
	}
	return 0;
}

/* The run an earlier (or a concurrent) import stored for this source id, read
 * inside the write transaction so two imports at once never both insert. */
static int
current(struct imp_ctx *c, const struct imp_run *r, struct imp_known *k)
{
	sqlite3_stmt *st = imp_stmt(c, IMP_SQL_CURRENT);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, c->tool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->src_path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->src_id, -1, SQLITE_STATIC);
	int found = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(k->id, sizeof k->id, "%s", (const char *)sqlite3_column_text(st, 0));
		k->src_name = bc_strdup((const char *)sqlite3_column_text(st, 1));
		found = 1;
	}
	sqlite3_reset(st);
	return found;
}

int
imp_store_run(struct imp_ctx *c, struct imp_run *r, const char *digest)
{
	char id[33], want[256], name[256];
	const char *set_name = NULL;
	struct imp_known cur = { 0 }, *k = NULL;
	source_name(c, r, want, sizeof want);
	if (imp_batch_begin(c) < 0)
		return -1;
	int found = current(c, r, &cur);
	if (found < 0)
		goto fail;
	k = found ? &cur : NULL;
	if (k) {
		memcpy(id, k->id, sizeof id);
	} else {
		/* time-ordered like native ids, but by the source's start time */
		bc_runid_new(id);
		if (r->started_ms > 0) {
			static const char hex[] = "0123456789abcdef";
			uint64_t ms = (uint64_t)r->started_ms;
			for (int i = 0; i < 12; i++)
				id[i] = hex[(ms >> (4 * (11 - i))) & 15];
		}
	}
	/* rename only when the source's own name changed (a local rename sticks) */
	if (!k || !k->src_name || strcmp(k->src_name, want)) {
		if (unique_name(c, r, want, k ? id : NULL, name, sizeof name) < 0)
			goto fail;
		set_name = name;
	}
	if ((k && clear_old(c, id) < 0) || write_row(c, r, id, set_name, !k) < 0 ||
			write_children(c, r, id) < 0 || write_series(c, r, id) < 0 ||
			write_state(c, r, id, digest, want) < 0)
		goto fail;
	free(cur.src_name);
	c->batch_runs++;
	if (imp_batch_commit(c, 0) < 0)
		return -1;
	return found;
fail:
	free(cur.src_name);
	batch_fail(c);
	return -1;
}
