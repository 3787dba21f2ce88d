/* SPDX-License-Identifier: MIT */
/* Reading metric series back, the channel tailer, and extreme-preserving downsampling. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "import-private.h"   /* packed chunks of imported series */

int64_t
bc_ingest_channel(bc_project *p, const char *run_id, const char *channel, const char *path)
{
	sqlite3_stmt *st;
	int64_t offset = 0, total = 0;
	if (bc_prepare(p, &st, "SELECT offset FROM channels WHERE run=? AND name=?") < 0)
		return -1;
	sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, channel, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		offset = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : bc_error_set(p, BC_ERR_OS, BC_ERROR,
			"cannot read metric channel %s: %s", path, strerror(errno));
	if (lseek(fd, offset, SEEK_SET) < 0) {
		close(fd);
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot seek %s: %s", path, strerror(errno));
	}
	bc_ingest *in;
	if (bc_ingest_new(&in, p, run_id) < 0) {
		close(fd);
		return -1;
	}
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);
	int64_t consumed = offset, now = bc_now_ms();
	int rc = 0;
	for (;;) {
		if (len == cap) {
			/* a single line longer than the buffer: grow (bounded by the file) */
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				rc = -1;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		size_t start = 0;
		for (;;) {
			char *nl = memchr(buf + start, '\n', len - start);
			if (!nl)
				break;
			size_t l = (size_t)(nl - (buf + start));
			int r = bc_ingest_line(in, buf + start, l, now);
			if (r > 0)
				total += r;
			start += l + 1;
			consumed += (int64_t)l + 1;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
		if (bc_ingest_pending(in) >= 65536 && bc_ingest_flush(in, channel, consumed) < 0) {
			rc = -1;
			break;
		}
	}
	close(fd);
	free(buf);
	if (rc == 0 && bc_ingest_flush(in, channel, consumed) < 0)
		rc = -1;
	bc_ingest_free(in);
	return rc < 0 ? -1 : total;
}

int
bc_metric_keys(bc_project *p, const char *run_id, char ***out, size_t *n)
{
	sqlite3_stmt *st;
	*out = NULL;
	*n = 0;
	if (bc_prepare(p, &st, "SELECT k.key FROM metric_summary s JOIN metric_keys k ON k.id=s.key_id "
			"WHERE s.run=? ORDER BY k.key") < 0)
		return -1;
	sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
	size_t cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = realloc(*out, cap * sizeof(char *));
		}
		(*out)[(*n)++] = bc_strdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return 0;
}

static int
cmp_point(const void *a, const void *b)
{
	const bc_point *x = a, *y = b;
	if (x->step != y->step)
		return x->step < y->step ? -1 : 1;
	/* ties keep insertion order: wall_ms was temporarily replaced by the index */
	return x->wall_ms < y->wall_ms ? -1 : x->wall_ms > y->wall_ms;
}

int
bc_metric_series(bc_project *p, const char *run_id, const char *key, int64_t lo, int64_t hi,
	bc_point **out, size_t *n)
{
	sqlite3_stmt *st;
	*out = NULL;
	*n = 0;
	if (bc_prepare(p, &st, "SELECT c.data, c.n FROM metric_chunks c WHERE c.run=? AND "
			"c.key_id=(SELECT id FROM metric_keys WHERE key=?) AND c.max_step>=? AND c.min_step<=? "
			"ORDER BY c.seq") < 0)
		return -1;
	sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, lo);
	sqlite3_bind_int64(st, 4, hi);
	size_t cap = 0;
	int sorted = 1;
	bc_point unpacked[IMP_PACK_MAX_POINTS];
	while (sqlite3_step(st) == SQLITE_ROW) {
		const bc_point *pts = sqlite3_column_blob(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0), cnt = len / sizeof(bc_point);
		if (imp_chunk_is_packed(len)) {
			long got = imp_chunk_unpack(pts, len, unpacked, IMP_PACK_MAX_POINTS);
			pts = unpacked;
			cnt = got > 0 ? (size_t)got : 0;
		}
		if (*n + cnt > cap) {
			cap = (*n + cnt) * 2;
			bc_point *np = realloc(*out, cap * sizeof *np);
			if (!np) {
				sqlite3_finalize(st);
				return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
			}
			*out = np;
		}
		for (size_t i = 0; i < cnt; i++) {
			bc_point pt;
			memcpy(&pt, pts + i, sizeof pt);
			if (pt.step < lo || pt.step > hi)
				continue;
			if (*n && pt.step < (*out)[*n - 1].step)
				sorted = 0;
			(*out)[(*n)++] = pt;
		}
	}
	sqlite3_finalize(st);
	if (!sorted) {
		int64_t *walls = malloc(*n * sizeof *walls);
		if (walls) {
			for (size_t i = 0; i < *n; i++) {
				walls[i] = (*out)[i].wall_ms;
				(*out)[i].wall_ms = (int64_t)i;
			}
			qsort(*out, *n, sizeof **out, cmp_point);
			for (size_t i = 0; i < *n; i++)
				(*out)[i].wall_ms = walls[(*out)[i].wall_ms];
			free(walls);
		}
	}
	return 0;
}

size_t
bc_metric_downsample(const bc_point *in, size_t n, size_t buckets, bc_point *out)
{
	if (n <= buckets * 4 || buckets == 0) {
		memcpy(out, in, n * sizeof *in);
		return n;
	}
	int64_t lo = in[0].step, hi = in[n - 1].step;
	double span = (double)hi - (double)lo + 1.0;
	size_t o = 0, i = 0;
	for (size_t b = 0; b < buckets && i < n; b++) {
		double edge = (double)lo + span * (double)(b + 1) / (double)buckets;
		size_t first = i, imin = i, imax = i;
		while (i < n && ((double)in[i].step < edge || b == buckets - 1)) {
			/* NaN never wins min/max */
			if (in[i].value < in[imin].value || in[imin].value != in[imin].value)
				imin = i;
			if (in[i].value > in[imax].value || in[imax].value != in[imax].value)
				imax = i;
			i++;
		}
		if (i == first)
			continue;
		size_t last = i - 1;
		size_t idx[4] = { first, imin < imax ? imin : imax, imin < imax ? imax : imin, last };
		for (int k = 0; k < 4; k++) {
			if (k && idx[k] == idx[k - 1])
				continue;
			if (k == 3 && (idx[3] == idx[1] || idx[3] == idx[0]))
				continue;
			out[o++] = in[idx[k]];
		}
	}
	return o;
}

/* ---- reduced reads: first/min/max/last per step column ----
 * Pass 1 walks the chunk index in the order chunks were written: a chunk
 * inside one column is merged from its summary; a chunk without a summary,
 * or crossing the range, is decoded; a chunk straddling column edges is set
 * aside. Pass 2 feeds the set-aside chunks' summary points, then decodes a
 * chunk only when one of its other points could still be the min or max of
 * a column it covers; otherwise its four summary points are enough. So
 * every column's min and max, and the series' first and last points, are
 * exact; a column's first and last are the earliest and latest points known. */

struct bucket {
	bc_point first, min, max, last;
	int64_t of, omin, omax, ol;  /* chunk seq of each: ties go to the point logged first (last for `last`) */
	int used;
};

struct straddler {
	int64_t seq;
	bc_point sum[4];
};

struct reducer {
	bc_project *p;
	int64_t key_id, a, b;    /* columns split [a, b] into equal step ranges */
	double span;
	size_t buckets;
	struct bucket *bk;
	sqlite3_stmt *data;      /* one chunk's points by seq */
	struct straddler *st;
	size_t nst, capst;
};

static size_t
column_of(const struct reducer *r, int64_t step)
{
	size_t k = (size_t)(((double)step - (double)r->a) * (double)r->buckets / r->span);
	return k >= r->buckets ? r->buckets - 1 : k;
}

/* Role updates, the rules of chunk_summary in core/metric.c with ties
 * broken by logging order (o = chunk seq; within a chunk, feeding order). */
static void
role_first(struct bucket *q, const bc_point *pt, int64_t o)
{
	if (pt->step < q->first.step || (pt->step == q->first.step && o < q->of)) {
		q->first = *pt;
		q->of = o;
	}
}

static void
role_last(struct bucket *q, const bc_point *pt, int64_t o)
{
	if (pt->step > q->last.step || (pt->step == q->last.step && o >= q->ol)) {
		q->last = *pt;
		q->ol = o;
	}
}

/* NaN never wins min/max over a number; among NaNs the later one stays */
static int
wins(double v, int64_t o, double best, int64_t ob, int want_less)
{
	if (isnan(best))
		return !isnan(v) || o >= ob;
	if (isnan(v))
		return 0;
	if (v == best)
		return o < ob;
	return want_less ? v < best : v > best;
}

static void
role_min(struct bucket *q, const bc_point *pt, int64_t o)
{
	if (wins(pt->value, o, q->min.value, q->omin, 1)) {
		q->min = *pt;
		q->omin = o;
	}
}

static void
role_max(struct bucket *q, const bc_point *pt, int64_t o)
{
	if (wins(pt->value, o, q->max.value, q->omax, 0)) {
		q->max = *pt;
		q->omax = o;
	}
}

/* A whole chunk's summary (or one point: sum[0..3] all the point) into column k. */
static void
merge(struct reducer *r, size_t k, const bc_point *f, const bc_point *lo, const bc_point *hi,
	const bc_point *l, int64_t o)
{
	struct bucket *q = &r->bk[k];
	if (!q->used) {
		q->first = *f;
		q->min = *lo;
		q->max = *hi;
		q->last = *l;
		q->of = q->omin = q->omax = q->ol = o;
		q->used = 1;
		return;
	}
	role_first(q, f, o);
	role_min(q, lo, o);
	role_max(q, hi, o);
	role_last(q, l, o);
}

static void
feed(struct reducer *r, const bc_point *pt, int64_t o)
{
	if (pt->step >= r->a && pt->step <= r->b)
		merge(r, column_of(r, pt->step), pt, pt, pt, pt, o);
}

/* Feed the points of the chunk row `st` is on (EMA-smoothed when alpha > 0). */
static void
feed_row(struct reducer *r, sqlite3_stmt *st, int64_t seq, double alpha, double *ema)
{
	const unsigned char *blob = sqlite3_column_blob(st, 0);
	size_t len = (size_t)sqlite3_column_bytes(st, 0), cnt = len / sizeof(bc_point);
	bc_point unpacked[IMP_PACK_MAX_POINTS];
	if (imp_chunk_is_packed(len)) {
		long got = imp_chunk_unpack(blob, len, unpacked, IMP_PACK_MAX_POINTS);
		blob = (const unsigned char *)unpacked;
		cnt = got > 0 ? (size_t)got : 0;
	}
	for (size_t i = 0; i < cnt; i++) {
		bc_point pt;
		memcpy(&pt, blob + i * sizeof pt, sizeof pt);
		if (alpha > 0 && pt.step >= r->a && pt.step <= r->b && isfinite(pt.value)) {
			*ema = isnan(*ema) ? pt.value : alpha * *ema + (1 - alpha) * pt.value;
			pt.value = *ema;
		}
		feed(r, &pt, seq);
	}
}

/* Feed every point of chunk `seq`. */
static int
decode(struct reducer *r, int64_t seq)
{
	sqlite3_stmt *st = r->data;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 3, seq);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : bc_db_error(r->p, "cannot read metric points");
	feed_row(r, st, seq, 0, NULL);
	return 0;
}

/* Pass 2 for one straddling chunk, its summary points already fed: can one of
 * its other points be the min or max of a column it covers? Its points lie in
 * [min, max] and, of equal values, the summary's are the earliest logged. */
static int
needs_points(const struct reducer *r, const struct straddler *c)
{
	double lo = c->sum[1].value, hi = c->sum[2].value;
	if (isnan(lo) || isnan(hi))
		return 1;
	for (size_t k = column_of(r, c->sum[0].step), e = column_of(r, c->sum[3].step); k <= e; k++) {
		const struct bucket *q = &r->bk[k];
		/* an equal value: fine when the column's point came earlier, or is
		 * this chunk's own earliest one */
		int tie_lo = lo == q->min.value && (q->omin > c->seq ||
			(q->omin == c->seq && (q->min.step != c->sum[1].step || q->min.wall_ms != c->sum[1].wall_ms)));
		int tie_hi = hi == q->max.value && (q->omax > c->seq ||
			(q->omax == c->seq && (q->max.step != c->sum[2].step || q->max.wall_ms != c->sum[2].wall_ms)));
		if (!q->used || isnan(q->min.value) || isnan(q->max.value) ||
		    lo < q->min.value || hi > q->max.value || tie_lo || tie_hi)
			return 1;
	}
	return 0;
}

static int
cmp_step(const void *a, const void *b)
{
	const bc_point *x = a, *y = b;
	return x->step < y->step ? -1 : x->step > y->step;
}

static int
reduce(bc_project *p, const char *run_id, const char *key, int64_t lo, int64_t hi,
	size_t buckets, double alpha, bc_point *out, size_t *n)
{
	struct reducer r = { .p = p, .buckets = buckets };
	sqlite3_stmt *st = NULL;
	int rc = -1;
	*n = 0;
	if (!buckets || lo > hi)
		return 0;
	if (bc_prepare(p, &st, "SELECT id FROM metric_keys WHERE key=?") < 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int have = sqlite3_step(st) == SQLITE_ROW;
	r.key_id = have ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (!have)
		return 0;
	/* the columns: [lo, hi] as asked; an open end stops at the series */
	r.a = lo;
	r.b = hi;
	if (lo == INT64_MIN || hi == INT64_MAX) {
		if (bc_prepare(p, &st, "SELECT min(min_step), max(max_step) FROM metric_chunks WHERE run=? AND "
				"key_id=? AND max_step>=? AND min_step<=?") < 0)
			return -1;
		sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, r.key_id);
		sqlite3_bind_int64(st, 3, lo);
		sqlite3_bind_int64(st, 4, hi);
		have = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
		if (have && lo == INT64_MIN)
			r.a = sqlite3_column_int64(st, 0);
		if (have && hi == INT64_MAX)
			r.b = sqlite3_column_int64(st, 1);
		sqlite3_finalize(st);
		if (!have)
			return 0;
	}
	r.span = (double)r.b - (double)r.a + 1.0;
	r.bk = calloc(buckets, sizeof *r.bk);
	if (!r.bk)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	st = NULL;
	/* smoothing needs every point in order: one pass over the chunk rows */
	if (bc_prepare(p, &r.data, "SELECT data FROM metric_chunks WHERE run=? AND key_id=? AND seq=?") < 0 ||
	    bc_prepare(p, &st, alpha > 0 ? "SELECT data, seq FROM metric_chunks WHERE run=? AND "
			"key_id=? AND max_step>=? AND min_step<=? ORDER BY seq"
			: "SELECT seq, min_step, max_step, summary FROM metric_chunks WHERE run=? AND "
			"key_id=? AND max_step>=? AND min_step<=? ORDER BY seq") < 0)
		goto done;
	sqlite3_bind_text(r.data, 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(r.data, 2, r.key_id);
	sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r.key_id);
	sqlite3_bind_int64(st, 3, r.a);
	sqlite3_bind_int64(st, 4, r.b);
	double ema = NAN;
	int step_rc = SQLITE_DONE;
	while (alpha > 0 && (step_rc = sqlite3_step(st)) == SQLITE_ROW)
		feed_row(&r, st, sqlite3_column_int64(st, 1), alpha, &ema);
	while (alpha <= 0 && (step_rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		int64_t c0 = sqlite3_column_int64(st, 1), c1 = sqlite3_column_int64(st, 2);
		bc_point sum[4];
		if (c0 < r.a || c1 > r.b || sqlite3_column_bytes(st, 3) != (int)sizeof sum) {
			if (decode(&r, seq) < 0)
				goto done;
			continue;
		}
		memcpy(sum, sqlite3_column_blob(st, 3), sizeof sum);
		if (column_of(&r, c0) == column_of(&r, c1)) {
			merge(&r, column_of(&r, c0), &sum[0], &sum[1], &sum[2], &sum[3], seq);
			continue;
		}
		if (r.nst == r.capst) {
			size_t ncap = r.capst ? r.capst * 2 : 256;
			struct straddler *ns = realloc(r.st, ncap * sizeof *ns);
			if (!ns) {
				bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
				goto done;
			}
			r.st = ns;
			r.capst = ncap;
		}
		r.st[r.nst].seq = seq;
		memcpy(r.st[r.nst++].sum, sum, sizeof sum);
	}
	if (step_rc != SQLITE_DONE) {
		bc_db_error(p, "cannot read metric chunks");
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; i < r.nst; i++)
		for (int j = 0; j < 4; j++)
			feed(&r, &r.st[i].sum[j], r.st[i].seq);
	for (size_t i = 0; i < r.nst; i++)
		if (needs_points(&r, &r.st[i]) && decode(&r, r.st[i].seq) < 0)
			goto done;
	for (size_t k = 0; k < buckets; k++) {
		if (!r.bk[k].used)
			continue;
		bc_point four[4] = { r.bk[k].first, r.bk[k].min, r.bk[k].max, r.bk[k].last };
		qsort(four, 4, sizeof *four, cmp_step);
		for (int j = 0; j < 4; j++) {
			if (j && four[j].step == four[j - 1].step && four[j].value == four[j - 1].value)
				continue;
			out[(*n)++] = four[j];
		}
	}
	rc = 0;
done:
	sqlite3_finalize(st);
	sqlite3_finalize(r.data);
	free(r.bk);
	free(r.st);
	return rc;
}

int
bc_metric_step_range(bc_project *p, const char *run_id, const char *key, int64_t *lo, int64_t *hi)
{
	sqlite3_stmt *st;
	/* kept with the series' summary since schema 7; older series: the chunk index */
	if (bc_prepare(p, &st, "SELECT s.step_lo, s.step_hi FROM metric_summary s JOIN metric_keys k "
			"ON k.id=s.key_id WHERE s.run=? AND k.key=? AND s.step_lo IS NOT NULL") < 0)
		return -1;
	sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*lo = sqlite3_column_int64(st, 0);
		*hi = sqlite3_column_int64(st, 1);
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (bc_prepare(p, &st, "SELECT min(min_step), max(max_step) FROM metric_chunks WHERE run=? AND "
			"key_id=(SELECT id FROM metric_keys WHERE key=?)") < 0)
		return -1;
	sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int have = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
	if (have) {
		*lo = sqlite3_column_int64(st, 0);
		*hi = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return bc_db_error(p, "cannot read metric chunks");
	return have ? 0 : BC_ENOTFOUND;
}

int
bc_metric_series_reduced(bc_project *p, const char *run_id, const char *key, int64_t lo, int64_t hi,
	size_t buckets, bc_point *out, size_t *n)
{
	return reduce(p, run_id, key, lo, hi, buckets, 0, out, n);
}

int
bc_metric_series_smoothed(bc_project *p, const char *run_id, const char *key, int64_t lo, int64_t hi,
	size_t buckets, double alpha, bc_point *out, size_t *n)
{
	if (!(alpha >= 0 && alpha < 1))
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "smoothing must be in [0, 1)");
	return reduce(p, run_id, key, lo, hi, buckets, alpha, out, n);
}
