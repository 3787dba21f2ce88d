/* SPDX-License-Identifier: MIT */
/*
 * Writing one imported run: the runs row (new or updated in place), params,
 * the tags that came from the source, data inputs/outputs, metric series and
 * the import_state row that makes the next import incremental.
 *
 * Order: (1) one transaction writes the row, params, tags and io, drops the
 * old series and marks the state incomplete (digest NULL; a run without
 * series is complete here); (2) the series go through bc_ingest (its own
 * transaction); (3) the digest is stored with the next run's transaction (1)
 * or at the end. An import killed between (1) and (3) leaves an incomplete
 * mark, so the next import rewrites that run; the unique source index and the
 * lookup inside (1) mean never a duplicate, even with two imports at once.
 */
#include "config.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "import-private.h"

#define NAME_MAX_LEN 200

static int
step_done(bc_project *p, sqlite3_stmt *st, const char *what)
{
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	return s == SQLITE_DONE ? 0 : bc_db_error(p, what);
}

static int
name_taken(bc_project *p, const char *name, const char *self)
{
	sqlite3_stmt *st;
	if (bc_prepare(p, &st, "SELECT 1 FROM runs WHERE name=? AND id<>?") < 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, self ? self : "", -1, SQLITE_STATIC);
	int taken = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return taken;
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
		int t = name_taken(c->p, out, self);
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
	sqlite3_stmt *st;
	if (bc_prepare(p, &st, "SELECT src_tags FROM import_state WHERE run=?") < 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	char *old = NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		old = bc_strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	for (char *t = old, *nl; t && *t; t = nl ? nl + 1 : t + strlen(t)) {
		nl = strchr(t, '\n');
		if (nl)
			*nl = '\0';
		if (bc_prepare(p, &st, "DELETE FROM tags WHERE run=? AND tag=?") < 0) {
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
	static const char *const del[] = {
		"DELETE FROM params WHERE run=?1",
		"DELETE FROM run_io WHERE run=?1",
		"DELETE FROM metric_summary WHERE run=?1",
		"DELETE FROM metric_chunks WHERE run=?1",
		"DELETE FROM channels WHERE run=?1",
	};
	for (size_t i = 0; i < sizeof del / sizeof *del; i++) {
		if (bc_prepare(p, &st, del[i]) < 0)
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
	bc_project *p = c->p;
	sqlite3_stmt *st;
	const char *sql = is_new
		? "INSERT INTO runs(status,argv,cwd,started_ms,ended_ms,host,user,git_commit,git_branch,"
		  "note,experiment,deleted,bad_lines,name,src_tool,src_path,src_id,id)"
		  " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)"
		: "UPDATE runs SET status=?1,argv=?2,cwd=?3,started_ms=?4,ended_ms=?5,host=?6,user=?7,"
		  "git_commit=?8,git_branch=?9,note=coalesce(?10,note),experiment=?11,deleted=?12,"
		  "bad_lines=?13,name=coalesce(?14,name) WHERE id=?18";
	if (bc_prepare(p, &st, sql) < 0)
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
	return step_done(p, st, "cannot store the imported run");
}

static int
write_children(struct imp_ctx *c, const struct imp_run *r, const char *id)
{
	bc_project *p = c->p;
	sqlite3_stmt *st;
	if (bc_prepare(p, &st, "INSERT OR REPLACE INTO params(run,key,type,value) VALUES(?,?,?,?)") < 0)
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
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, kv->key, -1, SQLITE_STATIC);
		bc_param_bind(st, 3, 4, &v);
		int s = sqlite3_step(st);
		bc_value_clear(&v);
		if (s != SQLITE_DONE) {
			sqlite3_finalize(st);
			return bc_db_error(p, "cannot store a param");
		}
	}
	sqlite3_finalize(st);
	if (bc_prepare(p, &st, "INSERT OR IGNORE INTO tags(run,tag) VALUES(?,?)") < 0)
		return -1;
	for (size_t i = 0; i < r->ntags; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->tags[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return bc_db_error(p, "cannot store a tag");
		}
	}
	sqlite3_finalize(st);
	if (bc_prepare(p, &st, "INSERT OR REPLACE INTO run_io(run,is_output,path,hash) VALUES(?,?,?,?)") < 0)
		return -1;
	for (size_t i = 0; i < r->nio; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, r->io[i].is_output);
		sqlite3_bind_text(st, 3, r->io[i].path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r->io[i].hash, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return bc_db_error(p, "cannot store a data input/output");
		}
	}
	sqlite3_finalize(st);
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
	sqlite3_stmt *st;
	if (bc_prepare(c->p, &st, "INSERT OR REPLACE INTO import_state(run,quick,digest,src_tags,src_name)"
			" VALUES(?,?,?,?,?)") < 0) {
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

static int
write_series(struct imp_ctx *c, const struct imp_run *r, const char *id)
{
	bc_ingest *in;
	if (!r->nseries)
		return 0;
	if (bc_ingest_new(&in, c->p, id) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < r->nseries && rc == 0; i++) {
		const struct imp_series *s = &r->series[i];
		for (size_t j = 0; j < s->n; j++) {
			int a = bc_ingest_add(in, s->key, s->pts[j].step < 0 ? 0 : s->pts[j].step,
				s->pts[j].value, s->pts[j].wall_ms);
			if (a == BC_EINVALID) {
				imp_warn(c, "run %s: metric '%.60s' has an invalid name: skipped", r->src_id, s->key);
				break;
			}
			if (a < 0) {
				rc = -1;
				break;
			}
			c->stats->points++;
		}
		/* keep memory bounded on very long runs */
		if (rc == 0 && bc_ingest_pending(in) > (1u << 20))
			rc = bc_ingest_flush(in, NULL, 0);
	}
	if (rc == 0)
		rc = bc_ingest_flush(in, NULL, 0);
	bc_ingest_free(in);
	return rc;
}

int
imp_flush_pending(struct imp_ctx *c)
{
	sqlite3_stmt *st;
	if (!c->pending_id[0])
		return 0;
	int own = sqlite3_get_autocommit(c->p->db);
	if (own && bc_tx_begin(c->p) < 0)
		return -1;
	if (bc_prepare(c->p, &st, "UPDATE import_state SET digest=? WHERE run=?") < 0)
		goto fail;
	sqlite3_bind_text(st, 1, c->pending_digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->pending_id, -1, SQLITE_STATIC);
	if (step_done(c->p, st, "cannot store the import state") < 0)
		goto fail;
	if (own && bc_tx_commit(c->p) < 0)
		return -1;
	c->pending_id[0] = '\0';
	return 0;
fail:
	if (own)
		bc_tx_rollback(c->p);
	return -1;
}

/* The run an earlier (or a concurrent) import stored for this source id, read
 * inside the write transaction so two imports at once never both insert. */
static int
current(struct imp_ctx *c, const struct imp_run *r, struct imp_known *k)
{
	sqlite3_stmt *st;
	if (bc_prepare(c->p, &st, "SELECT r.id, s.src_name FROM runs r LEFT JOIN import_state s"
			" ON s.run = r.id WHERE r.src_tool=? AND r.src_path=? AND r.src_id=?") < 0)
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
	sqlite3_finalize(st);
	return found;
}

int
imp_store_run(struct imp_ctx *c, struct imp_run *r, const char *digest)
{
	bc_project *p = c->p;
	char id[33], want[256], name[256];
	const char *set_name = NULL;
	struct imp_known cur = { 0 }, *k = NULL;
	source_name(c, r, want, sizeof want);
	if (bc_tx_begin(p) < 0)
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
	if (k && clear_old(c, id) < 0)
		goto fail;
	/* without series the run is complete in this one transaction */
	if (imp_flush_pending(c) < 0 || write_row(c, r, id, set_name, !k) < 0 ||
			write_children(c, r, id) < 0 ||
			write_state(c, r, id, r->nseries ? NULL : digest, want) < 0)
		goto fail;
	free(cur.src_name);
	cur.src_name = NULL;
	if (bc_tx_commit(p) < 0)
		return -1;
	if (!r->nseries)
		return found;
	if (write_series(c, r, id) < 0)
		return -1;
	memcpy(c->pending_id, id, sizeof id);
	snprintf(c->pending_digest, sizeof c->pending_digest, "%s", digest);
	return found;
fail:
	free(cur.src_name);
	bc_tx_rollback(p);
	return -1;
}
