/* SPDX-License-Identifier: MIT */
/* Run references (@, @~N, id prefix, name) and loading run records. */
#include "config.h"
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"

static int
is_hex(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return 0;
	return 1;
}

static int
candidates_error(bc_project *p, const char *ref, sqlite3_stmt *st)
{
	bc_buf b = BC_BUF_INIT;
	int n = 0;
	sqlite3_reset(st);
	while (sqlite3_step(st) == SQLITE_ROW && n < 6) {
		if (n++ == 5) {
			bc_buf_puts(&b, ", ...");
			break;
		}
		bc_buf_printf(&b, "%s%.12s (%s)", n > 1 ? ", " : "",
			(const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1));
	}
	int rc = bc_error_set(p, BC_ERR_INPUT, BC_EAMBIGUOUS,
		"run reference '%s' is ambiguous: it matches %s; use more characters of the id", ref,
		b.data ? b.data : "several runs");
	bc_buf_free(&b);
	return rc;
}

int
bc_run_resolve(bc_project *p, const char *ref, int include_deleted, char out_id[33])
{
	sqlite3_stmt *st = NULL;
	int rc = BC_ENOTFOUND;
	const char *del = include_deleted ? "" : " AND deleted=0";
	char sql[256];
	if (!ref || !*ref)
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "empty run reference: give an id prefix, a name, @ or @~N");
	if (ref[0] == '@') {
		long n = 0;
		if (ref[1] == '~') {
			char *end;
			n = strtol(ref + 2, &end, 10);
			if (!ref[2] || *end || n < 0)
				return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
					"bad run reference '%s': use @ (latest) or @~N (N before latest)", ref);
		} else if (ref[1]) {
			return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"bad run reference '%s': use @ (latest) or @~N (N before latest)", ref);
		}
		snprintf(sql, sizeof sql, "SELECT id FROM runs WHERE 1%s ORDER BY started_ms DESC, id DESC LIMIT 1 OFFSET ?", del);
		if (bc_prepare(p, &st, sql) < 0)
			return -1;
		sqlite3_bind_int64(st, 1, n);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(out_id, 33, "%s", (const char *)sqlite3_column_text(st, 0));
			rc = 0;
		} else {
			rc = bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND,
				"no run at '%s': the project has fewer runs (see `bancada ls`)", ref);
		}
		sqlite3_finalize(st);
		return rc;
	}
	/* exact name first */
	snprintf(sql, sizeof sql, "SELECT id FROM runs WHERE name=?%s", del);
	if (bc_prepare(p, &st, sql) < 0)
		return -1;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out_id, 33, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (is_hex(ref) && strlen(ref) <= 32) {
		snprintf(sql, sizeof sql, "SELECT id, name FROM runs WHERE id GLOB ?%s ORDER BY id LIMIT 7", del);
		if (bc_prepare(p, &st, sql) < 0)
			return -1;
		char pat[40];
		snprintf(pat, sizeof pat, "%s*", ref);
		sqlite3_bind_text(st, 1, pat, -1, SQLITE_TRANSIENT);
		int n = 0;
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (n++ == 0)
				snprintf(out_id, 33, "%s", (const char *)sqlite3_column_text(st, 0));
		}
		if (n == 1)
			rc = 0;
		else if (n > 1)
			rc = candidates_error(p, ref, st);
		sqlite3_finalize(st);
		if (n)
			return rc;
	}
	/* names starting with ref, to suggest */
	snprintf(sql, sizeof sql, "SELECT id, name FROM runs WHERE name GLOB ?%s ORDER BY started_ms DESC LIMIT 5", del);
	bc_buf pat = BC_BUF_INIT;
	for (const char *c = ref; *c; c++) {
		if (*c == '*' || *c == '?' || *c == '[')
			bc_buf_printf(&pat, "[%c]", *c);
		else
			bc_buf_putc(&pat, *c);
	}
	bc_buf_putc(&pat, '*');
	bc_buf b = BC_BUF_INIT;
	if (bc_prepare(p, &st, sql) == 0) {
		sqlite3_bind_text(st, 1, pat.data, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
			bc_buf_printf(&b, "%s%s", b.len ? ", " : "", (const char *)sqlite3_column_text(st, 1));
		sqlite3_finalize(st);
	}
	if (b.len)
		rc = bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND,
			"no run '%s'; did you mean: %s?", ref, b.data);
	else
		rc = bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND,
			"no run '%s': give an id prefix, a name, @ or @~N (see `bancada ls`)", ref);
	bc_buf_free(&b);
	bc_buf_free(&pat);
	return rc;
}

int
bc_run_short_len(bc_project *p)
{
	/* Longest common prefix between neighbours in id order, plus one. */
	sqlite3_stmt *st;
	int best = 7;
	if (bc_prepare(p, &st, "SELECT id FROM runs ORDER BY id") < 0)
		return 7;
	char prev[33] = "";
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		int k = 0;
		while (k < 32 && prev[k] && prev[k] == id[k])
			k++;
		if (k + 1 > best)
			best = k + 1;
		snprintf(prev, sizeof prev, "%s", id);
	}
	sqlite3_finalize(st);
	return best > 32 ? 32 : best;
}

int
bc_run_short_id(bc_project *p, const char *id, char out[33])
{
	sqlite3_stmt *st;
	int len = 7;
	if (bc_prepare(p, &st, "SELECT max((SELECT id FROM runs WHERE id<?1 ORDER BY id DESC LIMIT 1),'') ,"
			" (SELECT id FROM runs WHERE id>?1 ORDER BY id LIMIT 1)") < 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < 2; c++) {
			const char *n = (const char *)sqlite3_column_text(st, c);
			if (!n)
				continue;
			int k = 0;
			while (k < 32 && n[k] && n[k] == id[k])
				k++;
			if (k + 1 > len)
				len = k + 1;
		}
	}
	sqlite3_finalize(st);
	snprintf(out, 33, "%.*s", len, id);
	return 0;
}

static char *
col_str(sqlite3_stmt *st, int c)
{
	const unsigned char *t = sqlite3_column_text(st, c);
	return t ? bc_strndup((const char *)t, (size_t)sqlite3_column_bytes(st, c)) : NULL;
}

static bc_kv *
json_to_kv(const char *text, size_t *n)
{
	*n = 0;
	if (!text)
		return NULL;
	json_t *o = json_loads(text, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	bc_kv *kv = calloc(json_object_size(o) + 1, sizeof *kv);
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		kv[*n].key = bc_strdup(k);
		kv[*n].value = bc_strdup(json_is_string(v) ? json_string_value(v) : "");
		(*n)++;
	}
	json_decref(o);
	return kv;
}

static char **
json_to_argv(const char *text, size_t *n)
{
	*n = 0;
	json_t *a = text ? json_loads(text, 0, NULL) : NULL;
	size_t cnt = json_is_array(a) ? json_array_size(a) : 0;
	char **v = calloc(cnt + 1, sizeof *v);
	for (size_t i = 0; i < cnt; i++) {
		json_t *s = json_array_get(a, i);
		if (json_is_string(s))
			v[(*n)++] = bc_strndup(json_string_value(s), json_string_length(s));
	}
	json_decref(a);
	return v;
}

#define RUN_COLS "id,name,status,argv,cwd,started_ms,ended_ms,exit_code,term_signal,host,user,pid," \
	"git_commit,git_branch,git_dirty,git_patch_full_len,note,experiment,deleted,src_tool,src_path," \
	"src_id,bad_lines,heartbeat_ms,crash_reason"

/* Fill a run from a row of RUN_COLS (+ optional env, patch as columns 25, 26). */
static void
fill_run(bc_run *r, sqlite3_stmt *st, int full)
{
	snprintf(r->id, sizeof r->id, "%s", (const char *)sqlite3_column_text(st, 0));
	r->name = col_str(st, 1);
	r->status = (bc_run_status)sqlite3_column_int(st, 2);
	r->argv = json_to_argv((const char *)sqlite3_column_text(st, 3), &r->argc);
	r->cwd = col_str(st, 4);
	r->started_ms = sqlite3_column_int64(st, 5);
	r->ended_ms = sqlite3_column_int64(st, 6);
	r->exit_code = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 7);
	r->term_signal = sqlite3_column_int(st, 8);
	r->host = col_str(st, 9);
	r->user = col_str(st, 10);
	r->pid = sqlite3_column_int64(st, 11);
	r->git_commit = col_str(st, 12);
	r->git_branch = col_str(st, 13);
	r->git_dirty = sqlite3_column_int(st, 14);
	r->git_patch_full_len = sqlite3_column_int64(st, 15);
	r->note = col_str(st, 16);
	r->experiment = col_str(st, 17);
	r->deleted = sqlite3_column_int(st, 18);
	r->source.tool = col_str(st, 19);
	r->source.path = col_str(st, 20);
	r->source.id = col_str(st, 21);
	r->bad_lines = sqlite3_column_int64(st, 22);
	r->heartbeat_ms = sqlite3_column_int64(st, 23);
	r->crash_reason = col_str(st, 24);
	if (full) {
		r->env = json_to_kv((const char *)sqlite3_column_text(st, 25), &r->nenv);
		int n = sqlite3_column_bytes(st, 26);
		if (n > 0) {
			r->git_patch = bc_strndup(sqlite3_column_blob(st, 26), (size_t)n);
			r->git_patch_len = (size_t)n;
		}
	}
}

/* Prepared statements for the per-run child tables. */
struct child_stmts {
	sqlite3_stmt *params, *tags, *metrics, *io;
};

static int
child_prepare(bc_project *p, struct child_stmts *c, int io)
{
	memset(c, 0, sizeof *c);
	if (bc_prepare(p, &c->params, "SELECT key,type,value FROM params WHERE run=? ORDER BY key") < 0 ||
	    bc_prepare(p, &c->tags, "SELECT tag FROM tags WHERE run=? ORDER BY tag") < 0 ||
	    bc_prepare(p, &c->metrics, "SELECT k.key,s.first,s.last,s.min,s.max,s.count,s.first_step,"
			"s.last_step,s.min_step,s.max_step,s.last_wall_ms FROM metric_summary s "
			"JOIN metric_keys k ON k.id=s.key_id WHERE s.run=? ORDER BY k.key") < 0 ||
	    (io && bc_prepare(p, &c->io, "SELECT is_output,path,hash FROM run_io WHERE run=? ORDER BY path") < 0))
		return -1;
	return 0;
}

static void
child_finalize(struct child_stmts *c)
{
	sqlite3_finalize(c->params);
	sqlite3_finalize(c->tags);
	sqlite3_finalize(c->metrics);
	sqlite3_finalize(c->io);
}

static double
col_num(sqlite3_stmt *st, int c)
{
	return sqlite3_column_type(st, c) == SQLITE_NULL ? NAN : sqlite3_column_double(st, c);
}

static void
load_children(bc_run *r, struct child_stmts *c)
{
	size_t cap = 0;
	sqlite3_stmt *st = c->params;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (r->nparams == cap) {
			cap = cap ? cap * 2 : 16;
			r->params = realloc(r->params, cap * sizeof *r->params);
		}
		bc_param *pr = &r->params[r->nparams++];
		pr->key = col_str(st, 0);
		bc_param_column(st, 1, 2, &pr->v);
	}
	st = c->tags;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (r->ntags == cap) {
			cap = cap ? cap * 2 : 8;
			r->tags = realloc(r->tags, cap * sizeof *r->tags);
		}
		r->tags[r->ntags++] = col_str(st, 0);
	}
	st = c->metrics;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (r->nmetrics == cap) {
			cap = cap ? cap * 2 : 16;
			r->metrics = realloc(r->metrics, cap * sizeof *r->metrics);
		}
		bc_metric_summary *m = &r->metrics[r->nmetrics++];
		m->key = col_str(st, 0);
		m->first = col_num(st, 1);
		m->last = col_num(st, 2);
		m->min = col_num(st, 3);
		m->max = col_num(st, 4);
		m->count = sqlite3_column_int64(st, 5);
		m->first_step = sqlite3_column_int64(st, 6);
		m->last_step = sqlite3_column_int64(st, 7);
		m->min_step = sqlite3_column_int64(st, 8);
		m->max_step = sqlite3_column_int64(st, 9);
		m->last_wall_ms = sqlite3_column_int64(st, 10);
	}
	if ((st = c->io)) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
		size_t ci = 0, co = 0;
		while (sqlite3_step(st) == SQLITE_ROW) {
			int out = sqlite3_column_int(st, 0);
			bc_kv **arr = out ? &r->outputs : &r->inputs;
			size_t *n = out ? &r->noutputs : &r->ninputs, *capp = out ? &co : &ci;
			if (*n == *capp) {
				*capp = *capp ? *capp * 2 : 8;
				*arr = realloc(*arr, *capp * sizeof **arr);
			}
			(*arr)[*n].key = col_str(st, 1);
			(*arr)[*n].value = col_str(st, 2);
			(*n)++;
		}
	}
}

int
bc_run_load(bc_run **out, bc_project *p, const char *ref)
{
	char id[33];
	*out = NULL;
	int rc = bc_run_resolve(p, ref, 1, id);
	if (rc < 0)
		return rc;
	sqlite3_stmt *st;
	if (bc_prepare(p, &st, "SELECT " RUN_COLS ",env,git_patch FROM runs WHERE id=?") < 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND, "run %s vanished", id);
	}
	bc_run *r = calloc(1, sizeof *r);
	fill_run(r, st, 1);
	sqlite3_finalize(st);
	struct child_stmts c;
	if (child_prepare(p, &c, 1) < 0) {
		child_finalize(&c);
		bc_run_free(r);
		return -1;
	}
	load_children(r, &c);
	child_finalize(&c);
	*out = r;
	return 0;
}

int
bc_run_load_many(bc_project *p, const bc_run_list *ids, bc_run ***out_runs)
{
	sqlite3_stmt *st;
	struct child_stmts c;
	*out_runs = calloc(ids->count + 1, sizeof(bc_run *));
	if (!*out_runs)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	if (bc_prepare(p, &st, "SELECT " RUN_COLS " FROM runs WHERE id=?") < 0)
		return -1;
	if (child_prepare(p, &c, 1) < 0) {
		sqlite3_finalize(st);
		child_finalize(&c);
		return -1;
	}
	/* one read transaction for a consistent snapshot, ended before returning */
	sqlite3_exec(p->db, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; i < ids->count; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, ids->ids[i], -1, SQLITE_STATIC);
		bc_run *r = calloc(1, sizeof *r);
		if (sqlite3_step(st) == SQLITE_ROW) {
			fill_run(r, st, 0);
			load_children(r, &c);
		} else {
			snprintf(r->id, sizeof r->id, "%s", ids->ids[i]);
			r->name = bc_strdup("(deleted)");
		}
		(*out_runs)[i] = r;
	}
	sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL);
	sqlite3_finalize(st);
	child_finalize(&c);
	return 0;
}

static void
kv_free(bc_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void
bc_run_free(bc_run *r)
{
	if (!r)
		return;
	free(r->name);
	for (size_t i = 0; i < r->argc; i++)
		free(r->argv[i]);
	free(r->argv);
	free(r->cwd);
	free(r->host);
	free(r->user);
	free(r->git_commit);
	free(r->git_branch);
	free(r->git_patch);
	kv_free(r->env, r->nenv);
	for (size_t i = 0; i < r->nparams; i++) {
		free(r->params[i].key);
		bc_value_clear(&r->params[i].v);
	}
	free(r->params);
	for (size_t i = 0; i < r->nmetrics; i++)
		free(r->metrics[i].key);
	free(r->metrics);
	bc_strv_free(r->tags, r->ntags);
	free(r->note);
	free(r->experiment);
	free(r->crash_reason);
	free(r->source.tool);
	free(r->source.path);
	free(r->source.id);
	kv_free(r->inputs, r->ninputs);
	kv_free(r->outputs, r->noutputs);
	free(r);
}

void
bc_run_free_many(bc_run **runs, size_t n)
{
	if (!runs)
		return;
	for (size_t i = 0; i < n; i++)
		bc_run_free(runs[i]);
	free(runs);
}

void
bc_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
