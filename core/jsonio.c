/* SPDX-License-Identifier: MIT */
/* Runs as JSON (schema in share/json-schema.md), JSON-lines export and merge-import. */
#include "config.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "internal.h"

static json_t *
iso_time(int64_t ms)
{
	if (ms <= 0)
		return json_null();
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[40];
	size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof buf - n, ".%03dZ", (int)(ms % 1000));
	return json_string(buf);
}

/* JSON has no NaN/Inf: they become strings "nan", "inf", "-inf". */
static json_t *
num(double v)
{
	if (isnan(v))
		return json_string("nan");
	if (isinf(v))
		return json_string(v > 0 ? "inf" : "-inf");
	return json_real(v);
}

static double
num_back(json_t *j)
{
	if (json_is_number(j))
		return json_number_value(j);
	const char *s = json_string_value(j);
	if (!s)
		return NAN;
	return !strcmp(s, "inf") ? INFINITY : !strcmp(s, "-inf") ? -INFINITY : NAN;
}

static json_t *
str_or_null(const char *s)
{
	/* stored bytes may be any bytes; JSON strings must be UTF-8: escape otherwise */
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	char *clean = bc_text_sanitize(s, strlen(s), BC_TEXT_MULTILINE);
	j = json_string(clean ? clean : "");
	free(clean);
	return j;
}

static json_t *
value_json(const bc_value *v)
{
	switch (v->type) {
	case BC_VAL_INT: return json_integer(v->i);
	case BC_VAL_BOOL: return json_boolean(v->i);
	case BC_VAL_FLOAT: return num(v->f);
	case BC_VAL_STRING: return str_or_null(v->s);
	default: return json_null();
	}
}

static json_t *
series_json(bc_project *p, const char *id)
{
	json_t *o = json_object();
	char **keys;
	size_t nk;
	if (bc_metric_keys(p, id, &keys, &nk) < 0)
		return o;
	for (size_t i = 0; i < nk; i++) {
		bc_point *pts;
		size_t n;
		if (bc_metric_series(p, id, keys[i], INT64_MIN, INT64_MAX, &pts, &n) < 0)
			continue;
		json_t *a = json_array();
		for (size_t k = 0; k < n; k++)
			json_array_append_new(a, json_pack("[I,o,I]", (json_int_t)pts[k].step, num(pts[k].value),
				(json_int_t)pts[k].wall_ms));
		free(pts);
		json_object_set_new(o, keys[i], a);
	}
	bc_strv_free(keys, nk);
	return o;
}

static json_t *
run_json(bc_project *p, const bc_run *r, unsigned flags)
{
	json_t *o = json_object();
	json_object_set_new(o, "schema", json_integer(BC_JSON_SCHEMA_VERSION));
	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "name", str_or_null(r->name));
	json_object_set_new(o, "status", json_string(bc_run_status_name(r->status)));
	json_object_set_new(o, "started", iso_time(r->started_ms));
	json_object_set_new(o, "ended", iso_time(r->ended_ms));
	json_object_set_new(o, "started_ms", json_integer(r->started_ms));
	json_object_set_new(o, "ended_ms", r->ended_ms ? json_integer(r->ended_ms) : json_null());
	json_object_set_new(o, "duration_ms", json_integer((r->ended_ms ? r->ended_ms : bc_now_ms()) - r->started_ms));
	json_object_set_new(o, "exit_code", r->exit_code >= 0 ? json_integer(r->exit_code) : json_null());
	json_object_set_new(o, "signal", r->term_signal ? json_integer(r->term_signal) : json_null());
	json_t *cmd = json_array();
	for (size_t i = 0; i < r->argc; i++)
		json_array_append_new(cmd, str_or_null(r->argv[i]));
	json_object_set_new(o, "command", cmd);
	json_object_set_new(o, "cwd", str_or_null(r->cwd));
	json_object_set_new(o, "host", str_or_null(r->host));
	json_object_set_new(o, "user", str_or_null(r->user));
	json_object_set_new(o, "heartbeat_ms", r->heartbeat_ms ? json_integer(r->heartbeat_ms) : json_null());
	if (r->crash_reason)
		json_object_set_new(o, "crash_reason", json_string(r->crash_reason));
	json_t *git = json_object();
	json_object_set_new(git, "commit", str_or_null(r->git_commit));
	json_object_set_new(git, "branch", str_or_null(r->git_branch));
	json_object_set_new(git, "dirty", json_boolean(r->git_dirty));
	json_object_set_new(git, "patch_bytes", json_integer(r->git_patch_full_len));
	if (flags & BC_JSON_FULL) {
		json_object_set_new(git, "patch", r->git_patch ? json_stringn_nocheck(r->git_patch, r->git_patch_len) : json_null());
		if (json_is_string(json_object_get(git, "patch")) && !json_string(r->git_patch ? r->git_patch : "")) {
			char *clean = bc_text_sanitize(r->git_patch, r->git_patch_len, BC_TEXT_MULTILINE);
			json_object_set_new(git, "patch", json_string(clean));
			free(clean);
		}
		json_object_set_new(git, "patch_truncated", json_boolean((int64_t)r->git_patch_len < r->git_patch_full_len));
	}
	json_object_set_new(o, "git", git);
	json_t *params = json_object();
	for (size_t i = 0; i < r->nparams; i++)
		json_object_set_new(params, r->params[i].key, value_json(&r->params[i].v));
	json_object_set_new(o, "params", params);
	json_t *metrics = json_object();
	for (size_t i = 0; i < r->nmetrics; i++) {
		const bc_metric_summary *m = &r->metrics[i];
		json_object_set_new(metrics, m->key, json_pack("{s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:I}",
			"first", num(m->first), "last", num(m->last), "min", num(m->min), "max", num(m->max),
			"count", (json_int_t)m->count, "first_step", (json_int_t)m->first_step,
			"last_step", (json_int_t)m->last_step, "min_step", (json_int_t)m->min_step,
			"max_step", (json_int_t)m->max_step));
	}
	json_object_set_new(o, "metrics", metrics);
	json_t *tags = json_array();
	for (size_t i = 0; i < r->ntags; i++)
		json_array_append_new(tags, str_or_null(r->tags[i]));
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "note", str_or_null(r->note));
	json_object_set_new(o, "experiment", str_or_null(r->experiment));
	json_object_set_new(o, "deleted", json_boolean(r->deleted));
	json_object_set_new(o, "bad_metric_lines", json_integer(r->bad_lines));
	if (r->source.tool)
		json_object_set_new(o, "source", json_pack("{s:o,s:o,s:o}", "tool", str_or_null(r->source.tool),
			"path", str_or_null(r->source.path), "id", str_or_null(r->source.id)));
	else
		json_object_set_new(o, "source", json_null());
	json_t *env = json_object();
	for (size_t i = 0; i < r->nenv; i++)
		json_object_set_new(env, r->env[i].key, str_or_null(r->env[i].value));
	json_object_set_new(o, "env", env);
	json_t *ins = json_array(), *outs = json_array();
	for (size_t i = 0; i < r->ninputs; i++)
		json_array_append_new(ins, json_pack("{s:o,s:o}", "path", str_or_null(r->inputs[i].key), "hash", str_or_null(r->inputs[i].value)));
	for (size_t i = 0; i < r->noutputs; i++)
		json_array_append_new(outs, json_pack("{s:o,s:o}", "path", str_or_null(r->outputs[i].key), "hash", str_or_null(r->outputs[i].value)));
	json_object_set_new(o, "inputs", ins);
	json_object_set_new(o, "outputs", outs);
	if (flags & BC_JSON_SERIES)
		json_object_set_new(o, "series", series_json(p, r->id));
	return o;
}

char *
bc_run_to_json(bc_project *p, const bc_run *r, unsigned flags)
{
	json_t *o = run_json(p, r, flags);
	/* exports keep every bit (17 digits); displays use 15, so 0.3 prints as 0.3 */
	size_t prec = flags & BC_JSON_SERIES ? JSON_REAL_PRECISION(17) : JSON_REAL_PRECISION(15);
	char *s = json_dumps(o, (flags & BC_JSON_PRETTY ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER | prec);
	json_decref(o);
	return s;
}

int
bc_export_runs(bc_project *p, const char *filter, FILE *out)
{
	bc_run_query q = BC_RUN_QUERY_INIT;
	bc_run_list ids;
	q.filter = filter;
	q.sort = "started";
	q.include_deleted = 1;
	if (bc_run_query_ids(p, &q, &ids) < 0)
		return -1;
	int n = 0;
	for (size_t i = 0; i < ids.count; i++) {
		bc_run *r;
		if (bc_run_load(&r, p, ids.ids[i]) < 0)
			continue;
		char *s = bc_run_to_json(p, r, BC_JSON_FULL | BC_JSON_SERIES);
		if (s) {
			fputs(s, out);
			fputc('\n', out);
			free(s);
			n++;
		}
		bc_run_free(r);
	}
	bc_run_list_clear(&ids);
	return n;
}

/* ---- import ---- */

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int
exec_bind(bc_project *p, const char *sql, json_t *vals)
{
	sqlite3_stmt *st;
	if (bc_prepare(p, &st, sql) < 0)
		return -1;
	for (size_t i = 0; i < json_array_size(vals); i++) {
		json_t *v = json_array_get(vals, i);
		int c = (int)i + 1;
		if (json_is_integer(v)) sqlite3_bind_int64(st, c, json_integer_value(v));
		else if (json_is_real(v)) sqlite3_bind_double(st, c, json_real_value(v));
		else if (json_is_string(v)) sqlite3_bind_text(st, c, json_string_value(v), (int)json_string_length(v), SQLITE_TRANSIENT);
		else if (json_is_boolean(v)) sqlite3_bind_int(st, c, json_is_true(v));
		else sqlite3_bind_null(st, c);
	}
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	return s == SQLITE_DONE ? 0 : bc_db_error(p, "cannot import run");
}

static int
import_one(bc_project *p, json_t *o, int *added, int *updated, int *unchanged)
{
	const char *id = jstr(o, "id");
	if (!id || strlen(id) != 32)
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "record without a valid 32-hex \"id\"");
	int64_t ended = json_integer_value(json_object_get(o, "ended_ms"));
	sqlite3_stmt *st;
	if (bc_prepare(p, &st, "SELECT coalesce(ended_ms,0), status FROM runs WHERE id=?") < 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int exists = sqlite3_step(st) == SQLITE_ROW;
	int64_t have_end = exists ? sqlite3_column_int64(st, 0) : 0;
	int have_status = exists ? sqlite3_column_int(st, 1) : 0;
	sqlite3_finalize(st);
	int status = bc_run_status_parse(jstr(o, "status") ? jstr(o, "status") : "finished");
	if (status < 0)
		status = BC_RUN_FINISHED;
	if (exists && !(ended > have_end || (have_status == 0 && status != 0))) {
		(*unchanged)++;
		return 0;
	}
	if (exists && exec_bind(p, "DELETE FROM runs WHERE id=?", json_pack("[s]", id)) < 0)
		return -1;
	/* name collisions with a different run: suffix the short id */
	const char *name = jstr(o, "name") ? jstr(o, "name") : id;
	char namebuf[300];
	if (bc_prepare(p, &st, "SELECT 1 FROM runs WHERE name=?") < 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(namebuf, sizeof namebuf, "%.200s-%.7s", name, id);
		name = namebuf;
	}
	sqlite3_finalize(st);
	json_t *git = json_object_get(o, "git");
	json_t *src = json_object_get(o, "source");
	char *argv = json_dumps(json_object_get(o, "command") ? json_object_get(o, "command") : json_array(), JSON_COMPACT);
	char *env = json_dumps(json_object_get(o, "env") ? json_object_get(o, "env") : json_object(), JSON_COMPACT | JSON_SORT_KEYS);
	json_t *exitc = json_object_get(o, "exit_code");
	json_t *vals = json_pack("[s,s,i,s,o,I,o,o,I,o,o,o,o,i,o,I,s,o,o,i,o,o,o,I]",
		id, name, status, argv ? argv : "[]", json_incref(json_object_get(o, "cwd") ? json_object_get(o, "cwd") : json_null()),
		(json_int_t)json_integer_value(json_object_get(o, "started_ms")),
		ended ? json_integer(ended) : json_null(), json_incref(exitc ? exitc : json_null()),
		(json_int_t)json_integer_value(json_object_get(o, "signal")),
		json_incref(json_object_get(o, "host") ? json_object_get(o, "host") : json_null()),
		json_incref(json_object_get(o, "user") ? json_object_get(o, "user") : json_null()),
		json_incref(json_object_get(git, "commit") ? json_object_get(git, "commit") : json_null()),
		json_incref(json_object_get(git, "branch") ? json_object_get(git, "branch") : json_null()),
		json_is_true(json_object_get(git, "dirty")),
		json_incref(json_object_get(git, "patch") ? json_object_get(git, "patch") : json_null()),
		(json_int_t)json_integer_value(json_object_get(git, "patch_bytes")),
		env ? env : "{}",
		json_incref(json_object_get(o, "note") ? json_object_get(o, "note") : json_null()),
		json_incref(json_object_get(o, "experiment") ? json_object_get(o, "experiment") : json_null()),
		json_is_true(json_object_get(o, "deleted")),
		json_incref(json_object_get(src, "tool") ? json_object_get(src, "tool") : json_null()),
		json_incref(json_object_get(src, "path") ? json_object_get(src, "path") : json_null()),
		json_incref(json_object_get(src, "id") ? json_object_get(src, "id") : json_null()),
		(json_int_t)json_integer_value(json_object_get(o, "bad_metric_lines")));
	free(argv);
	free(env);
	if (!vals)
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "run %s: malformed record", id);
	int rc = exec_bind(p, "INSERT INTO runs(id,name,status,argv,cwd,started_ms,ended_ms,exit_code,term_signal,"
		"host,user,git_commit,git_branch,git_dirty,git_patch,git_patch_full_len,env,note,experiment,deleted,"
		"src_tool,src_path,src_id,bad_lines) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", vals);
	json_decref(vals);
	if (rc < 0)
		return rc;
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(o, "params"), k, v) {
		bc_value val = { 0 };
		if (json_is_integer(v)) { val.type = BC_VAL_INT; val.i = json_integer_value(v); }
		else if (json_is_real(v)) { val.type = BC_VAL_FLOAT; val.f = json_real_value(v); }
		else if (json_is_boolean(v)) { val.type = BC_VAL_BOOL; val.i = json_is_true(v); }
		else if (json_is_string(v)) {
			const char *s = json_string_value(v);
			val.type = BC_VAL_STRING;
			val.s = bc_strndup(s, json_string_length(v));
			val.slen = json_string_length(v);
		}
		int prc = bc_run_set_param(p, id, k, &val);
		bc_value_clear(&val);
		if (prc < 0)
			return -1;
	}
	size_t i;
	json_array_foreach(json_object_get(o, "tags"), i, v)
		if (json_is_string(v) && exec_bind(p, "INSERT OR IGNORE INTO tags(run,tag) VALUES(?,?)",
				json_pack("[s,o]", id, json_incref(v))) < 0)
			return -1;
	static const char *const io_keys[] = { "inputs", "outputs" };
	for (int w = 0; w < 2; w++)
		json_array_foreach(json_object_get(o, io_keys[w]), i, v)
			if (exec_bind(p, "INSERT OR REPLACE INTO run_io(run,is_output,path,hash) VALUES(?,?,?,?)",
					json_pack("[s,i,o,o]", id, w, json_incref(json_object_get(v, "path")),
						json_incref(json_object_get(v, "hash")))) < 0)
				return -1;
	bc_ingest *in;
	if (bc_ingest_new(&in, p, id) < 0)
		return -1;
	json_object_foreach(json_object_get(o, "series"), k, v) {
		json_t *pt;
		json_array_foreach(v, i, pt)
			bc_ingest_add(in, k, json_integer_value(json_array_get(pt, 0)), num_back(json_array_get(pt, 1)),
				json_integer_value(json_array_get(pt, 2)));
	}
	rc = bc_ingest_flush(in, NULL, 0);
	bc_ingest_free(in);
	if (rc < 0)
		return rc;
	if (exists)
		(*updated)++;
	else
		(*added)++;
	return 0;
}

int
bc_import_runs(bc_project *p, FILE *in, const char *what, int *added, int *updated, int *unchanged)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, rc = 0;
	*added = *updated = *unchanged = 0;
	while ((n = getline(&line, &cap, in)) > 0) {
		lineno++;
		json_error_t err;
		if (n == 1 && line[0] == '\n')
			continue;
		json_t *o = json_loadb(line, (size_t)n, 0, &err);
		if (!json_is_object(o)) {
			json_decref(o);
			rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"%s:%d: not a JSON object (%s): the file must be `bancada export` output", what, lineno, err.text);
			break;
		}
		if (bc_tx_begin(p) < 0) {
			json_decref(o);
			rc = -1;
			break;
		}
		rc = import_one(p, o, added, updated, unchanged);
		json_decref(o);
		if (rc < 0) {
			bc_tx_rollback(p);
			char msg[1024];
			snprintf(msg, sizeof msg, "%s", bc_errmsg(p));
			bc_error_set(p, BC_ERR_INPUT, rc, "%s:%d: %s", what, lineno, msg);
			break;
		}
		if (bc_tx_commit(p) < 0) {
			rc = -1;
			break;
		}
	}
	free(line);
	return rc;
}
