/* SPDX-License-Identifier: MIT */
/* Reading metric series back, the channel tailer, and extreme-preserving downsampling. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

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
	while (sqlite3_step(st) == SQLITE_ROW) {
		const bc_point *pts = sqlite3_column_blob(st, 0);
		size_t cnt = (size_t)sqlite3_column_bytes(st, 0) / sizeof(bc_point);
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

struct bucket {
	bc_point first, min, max, last;
	int used;
};

static int
cmp_step(const void *a, const void *b)
{
	const bc_point *x = a, *y = b;
	return x->step < y->step ? -1 : x->step > y->step;
}

int
bc_metric_series_reduced(bc_project *p, const char *run_id, const char *key, int64_t lo, int64_t hi,
	size_t buckets, bc_point *out, size_t *n)
{
	sqlite3_stmt *st;
	*n = 0;
	if (!buckets)
		return 0;
	/* the step range actually present */
	if (bc_prepare(p, &st, "SELECT min(min_step), max(max_step) FROM metric_chunks WHERE run=? AND "
			"key_id=(SELECT id FROM metric_keys WHERE key=?) AND max_step>=? AND min_step<=?") < 0)
		return -1;
	sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, lo);
	sqlite3_bind_int64(st, 4, hi);
	int have = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
	int64_t a = have ? sqlite3_column_int64(st, 0) : 0, b = have ? sqlite3_column_int64(st, 1) : 0;
	sqlite3_finalize(st);
	if (!have)
		return 0;
	if (a < lo) a = lo;
	if (b > hi) b = hi;
	double span = (double)b - (double)a + 1.0;
	struct bucket *bk = calloc(buckets, sizeof *bk);
	if (!bk)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	if (bc_prepare(p, &st, "SELECT data FROM metric_chunks WHERE run=? AND "
			"key_id=(SELECT id FROM metric_keys WHERE key=?) AND max_step>=? AND min_step<=? ORDER BY seq") < 0) {
		free(bk);
		return -1;
	}
	sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, lo);
	sqlite3_bind_int64(st, 4, hi);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *blob = sqlite3_column_blob(st, 0);
		size_t cnt = (size_t)sqlite3_column_bytes(st, 0) / sizeof(bc_point);
		for (size_t i = 0; i < cnt; i++) {
			bc_point pt;
			memcpy(&pt, blob + i * sizeof pt, sizeof pt);
			if (pt.step < a || pt.step > b)
				continue;
			size_t k = (size_t)(((double)pt.step - (double)a) * (double)buckets / span);
			if (k >= buckets)
				k = buckets - 1;
			struct bucket *q = &bk[k];
			if (!q->used) {
				q->first = q->min = q->max = q->last = pt;
				q->used = 1;
				continue;
			}
			if (pt.step < q->first.step)
				q->first = pt;
			if (pt.step >= q->last.step)
				q->last = pt;
			/* NaN never wins min/max */
			if (pt.value < q->min.value || q->min.value != q->min.value)
				q->min = pt;
			if (pt.value > q->max.value || q->max.value != q->max.value)
				q->max = pt;
		}
	}
	sqlite3_finalize(st);
	for (size_t k = 0; k < buckets; k++) {
		if (!bk[k].used)
			continue;
		bc_point four[4] = { bk[k].first, bk[k].min, bk[k].max, bk[k].last };
		qsort(four, 4, sizeof *four, cmp_step);
		for (int j = 0; j < 4; j++) {
			if (j && four[j].step == four[j - 1].step && four[j].value == four[j - 1].value)
				continue;
			out[(*n)++] = four[j];
		}
	}
	free(bk);
	return 0;
}
