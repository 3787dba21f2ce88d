/* SPDX-License-Identifier: MIT */
/*
 * Metric series. Points are buffered per key and stored in chunks of up to
 * CHUNK_POINTS (step, value, wall_ms) records in one BLOB row, so ingest costs
 * one row per chunk instead of one per point, and a long series reads fast.
 * Each chunk row also carries a summary: its first (lowest step), min, max
 * and last (highest step) points, covered by an index, so a reduced read of a
 * long series touches summaries and decodes only chunks that straddle a
 * column edge. 128 points (3 KB) keep a row inside one 16 KB page.
 * Summaries (first/last/min/max/count) are also kept per (run, key).
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "internal.h"

#define CHUNK_POINTS 128
#define MAX_KEY_LEN 250

struct key_state {
	char *key;
	bc_point *pts;
	size_t n, cap;
	int64_t next_step;      /* for points logged without a step */
	int seen;               /* next_step initialised from the store */
};

struct bc_ingest {
	bc_project *p;
	char run[33];
	struct key_state *keys;
	size_t nkeys, cap;      /* open addressing table, cap is a power of two */
	size_t pending;
	int64_t bad_lines;
};

int
bc_ingest_new(bc_ingest **out, bc_project *p, const char *run_id)
{
	bc_ingest *in = calloc(1, sizeof *in);
	if (!in)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	in->p = p;
	snprintf(in->run, sizeof in->run, "%s", run_id);
	in->cap = 64;
	in->keys = calloc(in->cap, sizeof *in->keys);
	*out = in;
	return 0;
}

static struct key_state *
key_find(bc_ingest *in, const char *key, size_t len)
{
	if ((in->nkeys + 1) * 2 > in->cap) {
		size_t ncap = in->cap * 2;
		struct key_state *nk = calloc(ncap, sizeof *nk);
		if (!nk)
			return NULL;
		for (size_t i = 0; i < in->cap; i++) {
			if (!in->keys[i].key)
				continue;
			size_t h = bc_hash_bytes(in->keys[i].key, strlen(in->keys[i].key)) & (ncap - 1);
			while (nk[h].key)
				h = (h + 1) & (ncap - 1);
			nk[h] = in->keys[i];
		}
		free(in->keys);
		in->keys = nk;
		in->cap = ncap;
	}
	size_t h = bc_hash_bytes(key, len) & (in->cap - 1);
	while (in->keys[h].key) {
		if (!strncmp(in->keys[h].key, key, len) && in->keys[h].key[len] == '\0')
			return &in->keys[h];
		h = (h + 1) & (in->cap - 1);
	}
	in->keys[h].key = bc_strndup(key, len);
	in->nkeys++;
	return &in->keys[h];
}

static int64_t
stored_next_step(bc_ingest *in, const char *key)
{
	sqlite3_stmt *st;
	int64_t next = 0;
	if (sqlite3_prepare_v2(in->p->db, "SELECT s.last_step, s.count FROM metric_summary s JOIN metric_keys k "
			"ON k.id=s.key_id WHERE s.run=? AND k.key=?", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, in->run, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 1) > 0)
		next = sqlite3_column_int64(st, 0) + 1;
	sqlite3_finalize(st);
	return next;
}

static int
add_point(bc_ingest *in, const char *key, size_t klen, int64_t step, double value, int64_t wall)
{
	if (klen == 0 || klen > MAX_KEY_LEN)
		return BC_EINVALID;
	struct key_state *k = key_find(in, key, klen);
	if (!k)
		return bc_error_set(in->p, BC_ERR_OS, BC_ERROR, "out of memory");
	if (!k->seen) {
		k->next_step = stored_next_step(in, k->key);
		k->seen = 1;
	}
	if (step < 0)
		step = k->next_step;
	if (step >= k->next_step)
		k->next_step = step == INT64_MAX ? step : step + 1;
	if (k->n == k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 256;
		bc_point *np = realloc(k->pts, ncap * sizeof *np);
		if (!np)
			return bc_error_set(in->p, BC_ERR_OS, BC_ERROR, "out of memory");
		k->pts = np;
		k->cap = ncap;
	}
	k->pts[k->n].step = step;
	k->pts[k->n].value = value;
	k->pts[k->n].wall_ms = wall;
	k->n++;
	in->pending++;
	return 0;
}

int
bc_ingest_add(bc_ingest *in, const char *key, int64_t step, double value, int64_t wall_ms)
{
	int rc = add_point(in, key, strlen(key), step, value, wall_ms ? wall_ms : bc_now_ms());
	if (rc == BC_EINVALID)
		return bc_error_set(in->p, BC_ERR_INPUT, BC_EINVALID,
			"metric name must be 1 to %d bytes", MAX_KEY_LEN);
	return rc;
}

/* ---- the JSON-lines channel: a fast path for flat objects, jansson otherwise ---- */

static const char *
skip_ws(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	return s;
}

/* Parse a JSON number or NaN/Infinity/-Infinity (as Python writes them).
 * Lines always end before a delimiter ('}', ',', '\n' or NUL), so strtod
 * never runs past `e` on well-formed input; anything else is rejected. */
static const char *
parse_num(const char *s, const char *e, double *out, int *is_int)
{
	*is_int = 1;
	if (s < e && (*s == 'N' || *s == 'I' || (*s == '-' && s + 1 < e && s[1] == 'I'))) {
		*is_int = 0;
		if (e - s >= 3 && !memcmp(s, "NaN", 3)) {
			*out = NAN;
			return s + 3;
		}
		if (e - s >= 8 && !memcmp(s, "Infinity", 8)) {
			*out = INFINITY;
			return s + 8;
		}
		if (e - s >= 9 && !memcmp(s, "-Infinity", 9)) {
			*out = -INFINITY;
			return s + 9;
		}
		return NULL;
	}
	if (s >= e || !((*s >= '0' && *s <= '9') || *s == '-'))
		return NULL;
	char *end;
	*out = strtod(s, &end);
	if (end == s || end > e)
		return NULL;
	for (const char *q = s; q < end; q++)
		if (*q == '.' || *q == 'e' || *q == 'E') {
			*is_int = 0;
			break;
		}
	return end;
}

/* 1 = handled, 0 = not a flat numeric object (use the general parser), -1 = malformed */
static int
fast_line(bc_ingest *in, const char *s, const char *e, int64_t wall, int *npoints)
{
	struct { const char *k; size_t kl; double v; } items[64];
	int n = 0;
	int64_t step = -1;
	s = skip_ws(s, e);
	if (s == e || *s != '{')
		return -1;
	s = skip_ws(s + 1, e);
	if (s < e && *s == '}')
		goto tail;
	for (;;) {
		if (s == e || *s != '"')
			return 0;
		const char *k = ++s;
		while (s < e && *s != '"' && *s != '\\')
			s++;
		if (s == e || *s == '\\')
			return 0;
		size_t kl = (size_t)(s - k);
		s = skip_ws(s + 1, e);
		if (s == e || *s != ':')
			return -1;
		s = skip_ws(s + 1, e);
		double v;
		int is_int;
		const char *numstart = s;
		const char *after = parse_num(s, e, &v, &is_int);
		if (!after)
			return 0;   /* a string, bool, null or nested value */
		s = skip_ws(after, e);
		if (kl == 4 && !memcmp(k, "step", 4)) {
			if (!is_int)
				return -1;   /* steps are integers */
			errno = 0;
			step = strtoll(numstart, NULL, 10);
			if (errno == ERANGE)
				return -1;   /* beyond int64 */
		} else if (kl && k[0] != '_') {
			if (n == 64)
				return 0;
			items[n].k = k;
			items[n].kl = kl;
			items[n].v = v;
			n++;
		}
		if (s < e && *s == ',') {
			s = skip_ws(s + 1, e);
			continue;
		}
		if (s < e && *s == '}')
			break;
		return -1;
	}
tail:
	s = skip_ws(s + 1, e);
	if (s != e)
		return -1;
	for (int i = 0; i < n; i++)
		if (add_point(in, items[i].k, items[i].kl, step, items[i].v, wall) < 0)
			return -1;
	*npoints = n;
	return 1;
}

static int
slow_line(bc_ingest *in, const char *line, size_t len, int64_t wall)
{
	json_error_t err;
	json_t *o = json_loadb(line, len, JSON_ALLOW_NUL, &err);
	if (!json_is_object(o)) {
		json_decref(o);
		return -1;
	}
	int64_t step = -1;
	json_t *js = json_object_get(o, "step");
	if (js) {
		if (!json_is_integer(js)) {
			json_decref(o);
			return -1;
		}
		step = json_integer_value(js);
	}
	int n = 0;
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		if (!strcmp(k, "step") || k[0] == '_' || !json_is_number(v))
			continue;
		if (add_point(in, k, strlen(k), step, json_number_value(v), wall) == 0)
			n++;
	}
	json_decref(o);
	return n;
}

int
bc_ingest_line(bc_ingest *in, const char *line, size_t len, int64_t wall_ms)
{
	int n = 0;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (!len)
		return 0;
	int r = fast_line(in, line, line + len, wall_ms, &n);
	if (r == 0)
		r = (n = slow_line(in, line, len, wall_ms)) < 0 ? -1 : 1;
	if (r < 0) {
		in->bad_lines++;
		return BC_EINVALID;
	}
	return n;
}

int64_t
bc_ingest_bad_lines(const bc_ingest *in)
{
	return in->bad_lines;
}

size_t
bc_ingest_pending(const bc_ingest *in)
{
	return in->pending;
}

/* ---- flushing ---- */

struct flush_stmts {
	sqlite3_stmt *key_ins, *key_sel, *sum_sel, *seq_sel, *chunk_ins, *sum_up, *chan_up, *bad_up;
};

static int
flush_prepare(bc_project *p, struct flush_stmts *s)
{
	memset(s, 0, sizeof *s);
	if (bc_prepare(p, &s->key_ins, "INSERT OR IGNORE INTO metric_keys(key) VALUES(?)") < 0 ||
	    bc_prepare(p, &s->key_sel, "SELECT id FROM metric_keys WHERE key=?") < 0 ||
	    bc_prepare(p, &s->sum_sel, "SELECT first,last,min,max,count,first_step,last_step,min_step,max_step,"
			"step_lo,step_hi FROM metric_summary WHERE run=? AND key_id=?") < 0 ||
	    bc_prepare(p, &s->seq_sel, "SELECT coalesce(max(seq),-1) FROM metric_chunks WHERE run=? AND key_id=?") < 0 ||
	    bc_prepare(p, &s->chunk_ins, "INSERT INTO metric_chunks(run,key_id,seq,n,min_step,max_step,data,summary) "
			"VALUES(?,?,?,?,?,?,?,?)") < 0 ||
	    bc_prepare(p, &s->sum_up, "INSERT OR REPLACE INTO metric_summary(run,key_id,first,last,min,max,count,"
			"first_step,last_step,min_step,max_step,last_wall_ms,step_lo,step_hi) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)") < 0 ||
	    bc_prepare(p, &s->chan_up, "INSERT OR REPLACE INTO channels(run,name,offset) VALUES(?,?,?)") < 0 ||
	    bc_prepare(p, &s->bad_up, "UPDATE runs SET bad_lines=bad_lines+? WHERE id=?") < 0)
		return -1;
	return 0;
}

static void
flush_finalize(struct flush_stmts *s)
{
	sqlite3_stmt **all = (sqlite3_stmt **)s;
	for (size_t i = 0; i < sizeof *s / sizeof(sqlite3_stmt *); i++)
		sqlite3_finalize(all[i]);
}

/* A summary value: NaN (no value yet) is stored as NULL. */
void
bc_bind_num(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

static double
col_num(sqlite3_stmt *st, int c)
{
	return sqlite3_column_type(st, c) == SQLITE_NULL ? NAN : sqlite3_column_double(st, c);
}

/* Fold one point into a summary's min and max (NaN skipped; the first of
 * ties keeps its step). `have` says whether min/max hold a value yet. */
void
bc_metric_fold_minmax(bc_metric_summary *m, int *have, const bc_point *pt)
{
	if (isnan(pt->value))
		return;
	if (!*have || pt->value < m->min) {
		m->min = pt->value;
		m->min_step = pt->step;
	}
	if (!*have || pt->value > m->max) {
		m->max = pt->value;
		m->max_step = pt->step;
	}
	*have = 1;
}

/* The chunk summary stored beside the points: first (lowest step, earliest
 * of ties), min, max (earliest of ties; NaN only when every value is NaN)
 * and last (highest step, latest of ties), with the same rules the reduced
 * reader applies point by point, so merging a summary equals reading the
 * chunk (core/metric-read.c). */
void
bc_metric_chunk_summary(const bc_point *pts, size_t n, bc_point sum[4])
{
	sum[0] = sum[1] = sum[2] = sum[3] = pts[0];
	for (size_t i = 1; i < n; i++) {
		const bc_point *pt = &pts[i];
		if (pt->step < sum[0].step)
			sum[0] = *pt;
		if (pt->value < sum[1].value || isnan(sum[1].value))
			sum[1] = *pt;
		if (pt->value > sum[2].value || isnan(sum[2].value))
			sum[2] = *pt;
		if (pt->step >= sum[3].step)
			sum[3] = *pt;
	}
}

static int
flush_key(bc_ingest *in, struct flush_stmts *s, struct key_state *k)
{
	bc_project *p = in->p;
	sqlite3_stmt *st;
	st = s->key_ins;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, k->key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return bc_db_error(p, "cannot store metric name");
	st = s->key_sel;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, k->key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return bc_db_error(p, "cannot read metric name");
	int64_t key_id = sqlite3_column_int64(st, 0);

	/* summary so far */
	bc_metric_summary m = { 0 };
	m.min = INFINITY;
	m.max = -INFINITY;
	int have_minmax = 0, extent_known = 1;
	int64_t step_lo = INT64_MAX, step_hi = INT64_MIN;
	st = s->sum_sel;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, in->run, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, key_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		m.first = col_num(st, 0);
		m.last = col_num(st, 1);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			m.min = sqlite3_column_double(st, 2);
			m.max = sqlite3_column_double(st, 3);
			have_minmax = 1;
		}
		m.count = sqlite3_column_int64(st, 4);
		/* the step extent is unknown for series written before schema 7 */
		if (m.count && sqlite3_column_type(st, 9) == SQLITE_NULL)
			extent_known = 0;
		step_lo = sqlite3_column_int64(st, 9);
		step_hi = sqlite3_column_int64(st, 10);
		m.first_step = sqlite3_column_int64(st, 5);
		m.last_step = sqlite3_column_int64(st, 6);
		m.min_step = sqlite3_column_int64(st, 7);
		m.max_step = sqlite3_column_int64(st, 8);
	}
	for (size_t i = 0; i < k->n; i++) {
		const bc_point *pt = &k->pts[i];
		if (m.count == 0) {
			m.first = pt->value;
			m.first_step = pt->step;
		}
		m.count++;
		m.last = pt->value;
		m.last_step = pt->step;
		m.last_wall_ms = pt->wall_ms;
		bc_metric_fold_minmax(&m, &have_minmax, pt);
	}
	st = s->seq_sel;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, in->run, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, key_id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return bc_db_error(p, "cannot read metric chunks");
	int64_t seq = sqlite3_column_int64(st, 0) + 1;
	for (size_t off = 0; off < k->n; off += CHUNK_POINTS) {
		size_t cnt = k->n - off < CHUNK_POINTS ? k->n - off : CHUNK_POINTS;
		bc_point sum[4];
		bc_metric_chunk_summary(k->pts + off, cnt, sum);
		int64_t lo = sum[0].step, hi = sum[3].step;
		if (lo < step_lo) step_lo = lo;
		if (hi > step_hi) step_hi = hi;
		st = s->chunk_ins;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, in->run, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, key_id);
		sqlite3_bind_int64(st, 3, seq++);
		sqlite3_bind_int64(st, 4, (int64_t)cnt);
		sqlite3_bind_int64(st, 5, lo);
		sqlite3_bind_int64(st, 6, hi);
		sqlite3_bind_blob(st, 7, k->pts + off, (int)(cnt * sizeof(bc_point)), SQLITE_STATIC);
		sqlite3_bind_blob(st, 8, sum, (int)sizeof sum, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			return bc_db_error(p, "cannot store metric points");
	}
	st = s->sum_up;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, in->run, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, key_id);
	bc_bind_num(st, 3, m.first);
	bc_bind_num(st, 4, m.last);
	if (have_minmax) {
		sqlite3_bind_double(st, 5, m.min);
		sqlite3_bind_double(st, 6, m.max);
	} else {
		sqlite3_bind_null(st, 5);
		sqlite3_bind_null(st, 6);
	}
	sqlite3_bind_int64(st, 7, m.count);
	sqlite3_bind_int64(st, 8, m.first_step);
	sqlite3_bind_int64(st, 9, m.last_step);
	sqlite3_bind_int64(st, 10, m.min_step);
	sqlite3_bind_int64(st, 11, m.max_step);
	sqlite3_bind_int64(st, 12, m.last_wall_ms);
	if (extent_known) {
		sqlite3_bind_int64(st, 13, step_lo);
		sqlite3_bind_int64(st, 14, step_hi);
	} else {
		sqlite3_bind_null(st, 13);
		sqlite3_bind_null(st, 14);
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		return bc_db_error(p, "cannot store metric summary");
	return 0;
}

int
bc_ingest_flush(bc_ingest *in, const char *channel, int64_t offset)
{
	bc_project *p = in->p;
	struct flush_stmts s;
	if (!in->pending && !channel && !in->bad_lines)
		return 0;
	if (bc_tx_begin(p) < 0)
		return -1;
	if (flush_prepare(p, &s) < 0)
		goto fail;
	for (size_t i = 0; i < in->cap; i++) {
		struct key_state *k = &in->keys[i];
		if (!k->key || !k->n)
			continue;
		if (flush_key(in, &s, k) < 0)
			goto fail;
	}
	if (channel) {
		sqlite3_bind_text(s.chan_up, 1, in->run, -1, SQLITE_STATIC);
		sqlite3_bind_text(s.chan_up, 2, channel, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s.chan_up, 3, offset);
		if (sqlite3_step(s.chan_up) != SQLITE_DONE) {
			bc_db_error(p, "cannot store channel offset");
			goto fail;
		}
	}
	if (in->bad_lines) {
		sqlite3_bind_int64(s.bad_up, 1, in->bad_lines);
		sqlite3_bind_text(s.bad_up, 2, in->run, -1, SQLITE_STATIC);
		sqlite3_step(s.bad_up);
	}
	flush_finalize(&s);
	if (bc_tx_commit(p) < 0)
		return -1;
	for (size_t i = 0; i < in->cap; i++)
		in->keys[i].n = 0;
	in->pending = 0;
	in->bad_lines = 0;
	return 0;
fail:
	flush_finalize(&s);
	bc_tx_rollback(p);
	return -1;
}

void
bc_ingest_free(bc_ingest *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->cap; i++) {
		free(in->keys[i].key);
		free(in->keys[i].pts);
	}
	free(in->keys);
	free(in);
}
