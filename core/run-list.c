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
	int rev, char ***binds, size_t *nb)
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
	/* missing values sort last either way (first in the reversed order of a
	 * window read from the end); columns that are never NULL sort plainly so
	 * that SQLite can walk their index */
	int never_null = !strcmp(field, "started") || !strcmp(field, "name") || !strcmp(field, "id") ||
		!strcmp(field, "status");
	const char *dir = desc != rev ? "DESC" : "ASC";
	if (never_null)
		bc_buf_printf(sql, "%s%s %s", sql->len ? ", " : "", expr, dir);
	else
		bc_buf_printf(sql, "%s(%s) IS NULL%s, %s %s", sql->len ? ", " : "", expr,
			rev ? " DESC" : "", expr, dir);
	return 0;
}

/*
 * A window (a query with a LIMIT) first walks an index in the listing order
 * and stops after LIMIT matches; that wins unless the filter is selective,
 * so the walk gets a time budget and the generic plan (filter subqueries
 * materialized once, then a sort) runs when it is spent.
 */
#define WINDOW_BUDGET_MS 40

/* CPU time of this thread in ms: a budget that a loaded machine does not eat. */
static int64_t
thread_cpu_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return bc_now_ms();
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
over_budget(void *arg)
{
	return thread_cpu_ms() > *(int64_t *)arg;
}

/* The filter's `r.id IN (SELECT run FROM T WHERE ...)` terms as correlated
 * EXISTS terms, which an ordered walk checks row by row. Same placeholders. */
static char *
correlate(const char *where)
{
	static const char *const from[][2] = {
		{ "r.id IN (SELECT run FROM tags)", "EXISTS (SELECT 1 FROM tags WHERE run = r.id)" },
		{ "r.id NOT IN (SELECT run FROM tags)", "NOT EXISTS (SELECT 1 FROM tags WHERE run = r.id)" },
		{ "r.id IN (SELECT run FROM tags WHERE ", "EXISTS (SELECT 1 FROM tags WHERE run = r.id AND " },
		{ "r.id NOT IN (SELECT run FROM tags WHERE ", "NOT EXISTS (SELECT 1 FROM tags WHERE run = r.id AND " },
		{ "r.id IN (SELECT run FROM params WHERE ", "EXISTS (SELECT 1 FROM params WHERE run = r.id AND " },
		{ "r.id NOT IN (SELECT run FROM params WHERE ", "NOT EXISTS (SELECT 1 FROM params WHERE run = r.id AND " },
		{ "r.id IN (SELECT run FROM metric_summary WHERE ",
		  "EXISTS (SELECT 1 FROM metric_summary WHERE run = r.id AND " },
		{ "r.id NOT IN (SELECT run FROM metric_summary WHERE ",
		  "NOT EXISTS (SELECT 1 FROM metric_summary WHERE run = r.id AND " },
	};
	bc_buf b = BC_BUF_INIT;
	const char *s = where;
	while (*s) {
		size_t i, n = sizeof from / sizeof from[0];
		for (i = 0; i < n; i++)
			if (!strncmp(s, from[i][0], strlen(from[i][0])))
				break;
		if (i < n) {
			bc_buf_printf(&b, "%s", from[i][1]);
			s += strlen(from[i][0]);
		} else {
			bc_buf_printf(&b, "%c", *s++);
		}
	}
	return bc_buf_detach(&b);
}

/* Append the ids a statement returns to `out`; 0 or -1. */
static int
collect_ids(bc_project *p, sqlite3_stmt *st, bc_run_list *out, size_t *cap)
{
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->count == *cap) {
			size_t ncap = *cap ? *cap * 2 : 256;
			char (*n)[33] = realloc(out->ids, ncap * sizeof *n);
			if (!n)
				return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory listing runs");
			out->ids = n;
			*cap = ncap;
		}
		snprintf(out->ids[out->count++], 33, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	return s == SQLITE_DONE ? 0 : bc_db_error(p, "cannot list runs");
}

/* Prepare `sql`, bind `keys` then the filter's values, append the ids. */
static int
run_sql(bc_project *p, const char *sql, char **keys, size_t nkeys, const bc_filter_sql *f,
	bc_run_list *out, size_t *cap)
{
	sqlite3_stmt *st = NULL;
	if (bc_prepare(p, &st, sql) < 0)
		return -1;
	int idx = 1;
	for (size_t i = 0; i < nkeys; i++)
		sqlite3_bind_text(st, idx++, keys[i], -1, SQLITE_STATIC);
	if (f->where)
		bc_filter_bind(st, f, idx);
	int rc = collect_ids(p, st, out, cap);
	sqlite3_finalize(st);
	return rc;
}

/* A window read from the end (from_end came with version 2 of the query). */
static int
reversed(const bc_run_query *q)
{
	return q->version >= 2 && q->from_end && q->limit > 0;
}

/* Run `sql` (LIMIT appended when `limit` > 0) and append its ids. */
static int
run_limited(bc_project *p, bc_buf *sql, int64_t limit, char **key, const bc_filter_sql *f,
	bc_run_list *out, size_t *cap)
{
	if (limit > 0)
		bc_buf_printf(sql, " LIMIT %lld", (long long)limit);
	return run_sql(p, sql->data, key, 1, f, out, cap);
}

/* One integer from `sql` with the key bound to ?1; -1 on error. */
static int64_t
count_sql(bc_project *p, const char *sql, const char *key)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	if (bc_prepare(p, &st, sql) < 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		bc_db_error(p, "cannot count runs");
	sqlite3_finalize(st);
	return n;
}

/* Live runs (every run with include_deleted) without a value for the key:
 * counts from the indexes; -2 on error. */
static int64_t
count_missing(bc_project *p, const bc_run_query *q, const char *table, const char *keyterm,
	const char *col, const char *key)
{
	bc_buf c = BC_BUF_INIT;
	bc_buf_printf(&c, "SELECT (SELECT count(*) FROM runs) - (SELECT count(*) FROM %s j "
		"WHERE %s AND j.%s IS NOT NULL)", table, keyterm, col);
	if (!q->include_deleted)
		bc_buf_printf(&c, " - (SELECT count(*) FROM runs r WHERE r.deleted<>0) + (SELECT "
			"count(*) FROM runs r CROSS JOIN %s j ON j.run=r.id WHERE r.deleted<>0 AND %s "
			"AND j.%s IS NOT NULL)", table, keyterm, col);
	int64_t n = count_sql(p, c.data, key);
	bc_buf_free(&c);
	return n < 0 ? -2 : n;
}

/*
 * A list sorted by one param or metric summary (first, last, min, max) walks
 * the (key, value) index instead of joining every run: the runs that have a
 * value in index order, then the runs without one, newest id first (the
 * generic ORDER BY's order, so a window and the full list agree). Read from
 * the end (q->from_end), both parts and their order are reversed. Without a
 * filter the walk needs no run row at all, and the runs without a value are
 * counted first from the indexes (their walk over every run is skipped when
 * there are none, and stops after the last one). Returns 1 if `field` is not
 * such a sort.
 */
static int
window_by_key(bc_project *p, const bc_run_query *q, const bc_filter_sql *f, const char *field,
	int desc, bc_run_list *out, size_t *cap)
{
	char key[512], *keyp = key;
	const char *table, *col = "value", *keyterm;
	if (!strncmp(field, "params.", 7) && field[7]) {
		snprintf(key, sizeof key, "%s", field + 7);
		table = "params";
		keyterm = "j.key=?1";
	} else if (!strncmp(field, "metrics.", 8) && field[8]) {
		split_metric(field, key, sizeof key, &col);
		if (!strcmp(col, "count"))
			return 1;   /* not indexed */
		table = "metric_summary";
		keyterm = "j.key_id=(SELECT id FROM metric_keys WHERE key=?1)";
	} else {
		return 1;
	}
	int rev = reversed(q);
	const char *live = q->include_deleted ? "1" : "r.deleted=0";
	const char *where = f->where ? f->where : "1";
	const char *tdir = rev ? "ASC" : "DESC";
	bc_buf vals = BC_BUF_INIT, nokey = BC_BUF_INIT;
	/* placeholders: ?1 is the key, the filter's values follow from 2 */
	if (f->where)
		bc_buf_printf(&vals, "SELECT r.id FROM %s j CROSS JOIN runs r ON r.id=j.run WHERE %s AND "
			"j.%s IS NOT NULL AND %s AND (%s)", table, keyterm, col, live, where);
	else
		bc_buf_printf(&vals, "SELECT j.run FROM %s j WHERE %s AND j.%s IS NOT NULL%s", table,
			keyterm, col, q->include_deleted ? "" :
			" AND j.run NOT IN (SELECT id FROM runs WHERE deleted<>0)");
	bc_buf_printf(&vals, " ORDER BY j.%s %s, j.run %s", col, desc != rev ? "DESC" : "ASC", tdir);
	bc_buf_printf(&nokey, "SELECT r.id FROM runs r WHERE NOT EXISTS (SELECT 1 FROM %s j WHERE "
		"j.run=r.id AND %s AND j.%s IS NOT NULL) AND %s AND (%s) ORDER BY r.id %s", table,
		keyterm, col, live, where, tdir);
	int rc = 0;
	for (int part = 0; part < 2 && rc == 0; part++) {
		int want_vals = part == rev;   /* values first, or last from the end */
		int64_t left = q->limit > 0 ? q->limit - (int64_t)out->count : 0;
		if (q->limit > 0 && left <= 0)
			break;
		if (want_vals) {
			rc = run_limited(p, &vals, left, &keyp, f, out, cap);
			continue;
		}
		/* the runs without a value: counted first when there is no filter */
		int64_t missing = f->where ? -1 : count_missing(p, q, table, keyterm, col, key);
		if (missing < -1)
			rc = -1;
		if (missing == 0 || rc < 0)
			continue;
		if (missing > 0 && (left == 0 || missing < left))
			left = missing;   /* the walk stops after the last one */
		rc = run_limited(p, &nokey, left, &keyp, f, out, cap);
	}
	bc_buf_free(&vals);
	bc_buf_free(&nokey);
	return rc;
}

/* The generic query: one LEFT JOIN per param/metric sort key. */
static int
query_generic(bc_project *p, const bc_run_query *q, const char *sort, const bc_filter_sql *f,
	bc_run_list *out, size_t *cap)
{
	bc_buf sql = BC_BUF_INIT, order = BC_BUF_INIT, joins = BC_BUF_INIT;
	char **binds = NULL;
	size_t nb = 0;
	int njoin = 0, rc = -1, rev = reversed(q);
	char *copy = bc_strdup(sort), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		int desc = 0;
		if (*tok == '-' || *tok == '+')
			desc = *tok++ == '-';
		if (sort_term(p, &order, &joins, &njoin, tok, desc, rev, &binds, &nb) < 0)
			goto done;
	}
	bc_buf_printf(&sql, "SELECT r.id FROM runs r%s WHERE %s AND (%s) ORDER BY %s, r.id %s",
		joins.data ? joins.data : "", q->include_deleted ? "1" : "r.deleted=0",
		f->where ? f->where : "1", order.data, rev ? "ASC" : "DESC");
	if (q->limit > 0)
		bc_buf_printf(&sql, " LIMIT %lld", (long long)q->limit);
	/* placeholders in text order: the joins' keys, then the filter's values */
	rc = run_sql(p, sql.data, binds, nb, f, out, cap);
done:
	free(copy);
	bc_buf_free(&sql);
	bc_buf_free(&order);
	bc_buf_free(&joins);
	bc_strv_free(binds, nb);
	return rc;
}

/* The field of a sort by one field (its direction in *desc), else NULL. */
static const char *
one_key(const char *sort, int *desc)
{
	if (strchr(sort, ','))
		return NULL;
	while (*sort == ' ')
		sort++;
	*desc = 0;
	if (*sort == '-' || *sort == '+')
		*desc = *sort++ == '-';
	return sort;
}

/* A window under the time budget: 0, -1, or 1 when the budget ran out. */
static int
query_window(bc_project *p, const bc_run_query *q, const char *sort, const bc_filter_sql *f,
	bc_run_list *out, size_t *cap)
{
	bc_filter_sql cf = *f;
	char *cw = f->where ? correlate(f->where) : NULL;
	cf.where = cw;
	int64_t deadline = thread_cpu_ms() + WINDOW_BUDGET_MS;
	sqlite3_progress_handler(bc_project_db(p), 1000, over_budget, &deadline);
	int rc = 1, desc;
	const char *tok = one_key(sort, &desc);
	if (tok)
		rc = window_by_key(p, q, &cf, tok, desc, out, cap);
	if (rc == 1)
		rc = query_generic(p, q, sort, &cf, out, cap);
	if (rc < 0 && sqlite3_errcode(bc_project_db(p)) == SQLITE_INTERRUPT) {
		bc_error_clear(p);
		rc = 1;
	}
	sqlite3_progress_handler(bc_project_db(p), 0, NULL, NULL);
	free(cw);
	return rc;
}

int
bc_run_query_ids(bc_project *p, const bc_run_query *q, bc_run_list *out)
{
	bc_filter_sql f = { 0 };
	int errpos = -1;
	size_t cap = 0;
	memset(out, 0, sizeof *out);
	out->filter_errpos = -1;
	if (q->filter && *q->filter) {
		int frc = bc_filter_compile(p, q->filter, &f, &errpos);
		if (frc < 0) {
			out->filter_errpos = errpos;
			return frc;
		}
	}
	const char *sort = q->sort && *q->sort ? q->sort : "-started";
	int rc = 1;
	if (q->limit > 0) {
		rc = query_window(p, q, sort, &f, out, &cap);
		if (rc == 1) {
			bc_run_list_clear(out);
			cap = 0;
		}
	}
	int desc;
	const char *tok = one_key(sort, &desc);
	if (rc == 1 && q->limit <= 0 && !f.where && tok)
		rc = window_by_key(p, q, &f, tok, desc, out, &cap);   /* the whole list, unfiltered */
	if (rc == 1)
		rc = query_generic(p, q, sort, &f, out, &cap);
	if (rc == 0 && reversed(q))
		for (size_t i = 0, j = out->count; i + 1 < j; i++, j--) {   /* back to list order */
			char t[33];
			memcpy(t, out->ids[i], 33);
			memcpy(out->ids[i], out->ids[j - 1], 33);
			memcpy(out->ids[j - 1], t, 33);
		}
	if (rc < 0) {
		bc_run_list_clear(out);
		out->filter_errpos = -1;
	}
	bc_filter_sql_clear(&f);
	return rc < 0 ? -1 : 0;
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
