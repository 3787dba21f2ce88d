/* SPDX-License-Identifier: MIT */
/* Listing runs (filter + sort compiled to SQL) and reading fields of records. */
#include "config.h"
#include <math.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static const char *
summary_col(const char *which)
{
	static const char *const ok[] = { "first", "last", "min", "max", "count", NULL };
	for (int i = 0; ok[i]; i++)
		if (!strcmp(which, ok[i]))
			return ok[i];
	return NULL;
}

/* Split "metrics.KEY[.summary]" into key and summary column. */
static int
split_metric(const char *field, char *key, size_t size, const char **col)
{
	const char *k = field + 8;
	const char *dot = strrchr(k, '.');
	*col = "last";
	if (dot && summary_col(dot + 1)) {
		*col = summary_col(dot + 1);
		snprintf(key, size, "%.*s", (int)(dot - k), k);
	} else {
		snprintf(key, size, "%s", k);
	}
	return 0;
}

/* Append one ORDER BY term for `field`. Params and metrics are LEFT JOINed
 * once each (alias jN, keys bound in `binds`), so sorting 100k runs by a
 * metric is one join, not a correlated subquery per run. */
static int
sort_term(bc_project *p, bc_buf *sql, bc_buf *joins, int *njoin, const char *field, int desc,
	char ***binds, size_t *nb)
{
	static const struct { const char *name, *expr; } cols[] = {
		{ "started", "r.started_ms" }, { "ended", "r.ended_ms" }, { "name", "r.name" },
		{ "status", "r.status" }, { "id", "r.id" }, { "host", "r.host" }, { "user", "r.user" },
		{ "commit", "r.git_commit" }, { "branch", "r.git_branch" }, { "exit", "r.exit_code" },
		{ "experiment", "r.experiment" },
		{ "duration", "(coalesce(r.ended_ms, CAST(strftime('%s','now') AS INTEGER)*1000) - r.started_ms)" },
		{ NULL, NULL },
	};
	char expr[256];
	expr[0] = '\0';
	for (int i = 0; cols[i].name; i++)
		if (!strcmp(field, cols[i].name))
			snprintf(expr, sizeof expr, "%s", cols[i].expr);
	const char *key = NULL;
	char mkey[512];
	if (!expr[0] && !strncmp(field, "params.", 7) && field[7]) {
		int j = (*njoin)++;
		bc_buf_printf(joins, " LEFT JOIN params j%d ON j%d.run=r.id AND j%d.key=?", j, j, j);
		snprintf(expr, sizeof expr, "j%d.value", j);
		key = field + 7;
	} else if (!expr[0] && !strncmp(field, "metrics.", 8) && field[8]) {
		const char *col;
		split_metric(field, mkey, sizeof mkey, &col);
		int j = (*njoin)++;
		bc_buf_printf(joins, " LEFT JOIN metric_summary j%d ON j%d.run=r.id AND "
			"j%d.key_id=(SELECT id FROM metric_keys WHERE key=?)", j, j, j);
		snprintf(expr, sizeof expr, "j%d.%s", j, col);
		key = mkey;
	}
	if (!expr[0])
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"cannot sort by '%s': use started, ended, duration, name, status, id, commit, "
			"params.KEY or metrics.KEY[.min|max|first|last|count]", field);
	if (key) {
		*binds = realloc(*binds, (*nb + 1) * sizeof(char *));
		(*binds)[(*nb)++] = bc_strdup(key);
	}
	/* missing values sort last either way; columns that are never NULL sort
	 * plainly so that SQLite can walk their index */
	int never_null = !strcmp(field, "started") || !strcmp(field, "name") || !strcmp(field, "id") ||
		!strcmp(field, "status");
	if (never_null)
		bc_buf_printf(sql, "%s%s %s", sql->len ? ", " : "", expr, desc ? "DESC" : "ASC");
	else
		bc_buf_printf(sql, "%s(%s) IS NULL, %s %s", sql->len ? ", " : "", expr, expr,
			desc ? "DESC" : "ASC");
	return 0;
}

int
bc_run_query_ids(bc_project *p, const bc_run_query *q, bc_run_list *out)
{
	bc_filter_sql f = { 0 };
	bc_buf sql = BC_BUF_INIT, order = BC_BUF_INIT, joins = BC_BUF_INIT;
	char **binds = NULL;
	size_t nb = 0;
	int njoin = 0;
	int rc = -1, errpos = -1;
	sqlite3_stmt *st = NULL;
	memset(out, 0, sizeof *out);
	out->filter_errpos = -1;
	if (q->filter && *q->filter) {
		rc = bc_filter_compile(p, q->filter, &f, &errpos);
		if (rc < 0) {
			out->filter_errpos = errpos;
			return rc;
		}
		rc = -1;
	}
	const char *sort = q->sort && *q->sort ? q->sort : "-started";
	char *copy = bc_strdup(sort), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		int desc = 0;
		if (*tok == '-' || *tok == '+')
			desc = *tok++ == '-';
		if (sort_term(p, &order, &joins, &njoin, tok, desc, &binds, &nb) < 0) {
			free(copy);
			goto done;
		}
	}
	free(copy);
	bc_buf_printf(&sql, "SELECT r.id FROM runs r%s WHERE %s AND (%s) ORDER BY %s, r.id DESC",
		joins.data ? joins.data : "", q->include_deleted ? "1" : "r.deleted=0",
		f.where ? f.where : "1", order.data);
	if (q->limit > 0)
		bc_buf_printf(&sql, " LIMIT %lld", (long long)q->limit);
	if (bc_prepare(p, &st, sql.data) < 0)
		goto done;
	/* placeholders in text order: the joins' keys, then the filter's values */
	int idx = 1;
	for (size_t i = 0; i < nb; i++)
		sqlite3_bind_text(st, idx++, binds[i], -1, SQLITE_STATIC);
	if (f.where)
		bc_filter_bind(st, &f, idx);
	size_t cap = 0;
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->count == cap) {
			cap = cap ? cap * 2 : 256;
			out->ids = realloc(out->ids, cap * sizeof *out->ids);
		}
		snprintf(out->ids[out->count++], 33, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	if (s != SQLITE_DONE) {
		bc_db_error(p, "cannot list runs");
		goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(st);
	bc_filter_sql_clear(&f);
	bc_buf_free(&sql);
	bc_buf_free(&order);
	bc_buf_free(&joins);
	bc_strv_free(binds, nb);
	return rc;
}

void
bc_run_list_clear(bc_run_list *l)
{
	free(l->ids);
	l->ids = NULL;
	l->count = 0;
}

const bc_param *
bc_run_param(const bc_run *r, const char *key)
{
	size_t lo = 0, hi = r->nparams;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(r->params[mid].key, key);
		if (!c)
			return &r->params[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const bc_metric_summary *
bc_run_metric(const bc_run *r, const char *key)
{
	size_t lo = 0, hi = r->nmetrics;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(r->metrics[mid].key, key);
		if (!c)
			return &r->metrics[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
summary_value(const bc_metric_summary *m, const char *col, double *out)
{
	if (!strcmp(col, "first")) *out = m->first;
	else if (!strcmp(col, "last")) *out = m->last;
	else if (!strcmp(col, "min")) *out = m->min;
	else if (!strcmp(col, "max")) *out = m->max;
	else *out = (double)m->count;
	return 0;
}

int
bc_run_field_num(const bc_run *r, const char *field, double *out)
{
	if (!strcmp(field, "started")) { *out = (double)r->started_ms; return 0; }
	if (!strcmp(field, "ended")) { *out = (double)r->ended_ms; return 0; }
	if (!strcmp(field, "exit")) { *out = r->exit_code; return r->exit_code < 0 ? BC_ENOTFOUND : 0; }
	if (!strcmp(field, "status")) { *out = r->status; return 0; }
	if (!strcmp(field, "duration")) {
		int64_t end = r->ended_ms ? r->ended_ms : bc_now_ms();
		*out = (double)(end - r->started_ms);
		return 0;
	}
	if (!strncmp(field, "params.", 7)) {
		const bc_param *pr = bc_run_param(r, field + 7);
		if (!pr)
			return BC_ENOTFOUND;
		switch (pr->v.type) {
		case BC_VAL_INT: case BC_VAL_BOOL: *out = (double)pr->v.i; return 0;
		case BC_VAL_FLOAT: *out = pr->v.f; return 0;
		default: return BC_EINVALID;
		}
	}
	if (!strncmp(field, "metrics.", 8)) {
		char key[512];
		const char *col;
		split_metric(field, key, sizeof key, &col);
		const bc_metric_summary *m = bc_run_metric(r, key);
		if (!m)
			return BC_ENOTFOUND;
		return summary_value(m, col, out);
	}
	return BC_EINVALID;
}

static void
fmt_ms_time(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
}

static void
fmt_dur(int64_t ms, char *buf, size_t size)
{
	int64_t s = ms / 1000;
	if (ms < 60000)
		snprintf(buf, size, "%.1fs", (double)ms / 1000.0);
	else if (s < 3600)
		snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)(s % 60));
	else
		snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)(s / 60 % 60));
}

int
bc_run_field(const bc_run *r, const char *field, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!strcmp(field, "id")) snprintf(buf, size, "%s", r->id);
	else if (!strcmp(field, "name")) snprintf(buf, size, "%s", r->name ? r->name : "");
	else if (!strcmp(field, "status")) snprintf(buf, size, "%s", bc_run_status_name(r->status));
	else if (!strcmp(field, "started")) fmt_ms_time(r->started_ms, buf, size);
	else if (!strcmp(field, "ended")) { if (r->ended_ms) fmt_ms_time(r->ended_ms, buf, size); }
	else if (!strcmp(field, "duration")) {
		int64_t end = r->ended_ms ? r->ended_ms : bc_now_ms();
		fmt_dur(end - r->started_ms, buf, size);
	}
	else if (!strcmp(field, "commit")) snprintf(buf, size, "%.8s%s", r->git_commit ? r->git_commit : "",
		r->git_commit && r->git_dirty ? "+" : "");
	else if (!strcmp(field, "branch")) snprintf(buf, size, "%s", r->git_branch ? r->git_branch : "");
	else if (!strcmp(field, "host")) snprintf(buf, size, "%s", r->host ? r->host : "");
	else if (!strcmp(field, "user")) snprintf(buf, size, "%s", r->user ? r->user : "");
	else if (!strcmp(field, "experiment")) snprintf(buf, size, "%s", r->experiment ? r->experiment : "");
	else if (!strcmp(field, "note")) snprintf(buf, size, "%s", r->note ? r->note : "");
	else if (!strcmp(field, "exit")) {
		if (r->term_signal)
			snprintf(buf, size, "sig%d", r->term_signal);
		else if (r->exit_code >= 0)
			snprintf(buf, size, "%d", r->exit_code);
	} else if (!strcmp(field, "tags")) {
		size_t o = 0;
		for (size_t i = 0; i < r->ntags && o < size; i++)
			o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? "," : "", r->tags[i]);
	} else if (!strncmp(field, "params.", 7)) {
		const bc_param *pr = bc_run_param(r, field + 7);
		if (!pr)
			return BC_ENOTFOUND;
		bc_value_format(&pr->v, buf, size);
	} else if (!strncmp(field, "metrics.", 8)) {
		double v;
		if (bc_run_field_num(r, field, &v) != 0)
			return BC_ENOTFOUND;
		if (isnan(v)) snprintf(buf, size, "nan");
		else if (isinf(v)) snprintf(buf, size, v > 0 ? "inf" : "-inf");
		else snprintf(buf, size, "%.6g", v);
	} else {
		return BC_EINVALID;
	}
	return buf[0] ? 0 : BC_ENOTFOUND;
}
