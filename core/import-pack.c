/* SPDX-License-Identifier: MIT */
/*
 * Packed metric chunks: the `data` BLOB of a metric_chunks row written by
 * the importers. Native ingest stores a chunk as raw bc_point records (24
 * bytes a point); an imported series is usually a regular grid (steps
 * 0, 1, 2...; timestamps a few ms apart), so a packed chunk keeps its steps
 * and timestamps as deltas (one stride for the whole chunk when it is
 * constant) and only the values whole: about 8 bytes a point instead of 24,
 * three times fewer bytes through the WAL, the checkpoint and the page cache,
 * and three times more points per b-tree row.
 *
 * Layout (little-endian varints, deltas zigzag-encoded, wrapping):
 *   magic BC 'P' 'K' 01 | n | flags | step0 | wall0 |
 *   steps: stride (flag 1) or n-1 deltas | walls: stride (flag 2) or n-1 deltas |
 *   n values of 8 bytes (as bc_point stores them) | a zero pad byte when the
 *   length would otherwise be a multiple of 24.
 * A raw chunk is always a multiple of 24 bytes long and a packed one never
 * is, so readers tell them apart by length; anything else decodes to nothing.
 */
#include "config.h"
#include <string.h>
#include "import-private.h"

static const unsigned char magic[4] = { 0xbc, 'P', 'K', 0x01 };

enum { STEP_STRIDE = 1, WALL_STRIDE = 2 };

static uint64_t
zz(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t
unzz(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static size_t
varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static unsigned char *
put_varint(unsigned char *o, uint64_t v)
{
	while (v >= 0x80) {
		*o++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*o++ = (unsigned char)v;
	return o;
}

static const unsigned char *
get_varint(const unsigned char *s, const unsigned char *e, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; s < e && shift < 64; shift += 7) {
		unsigned char b = *s++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return s;
		}
	}
	return NULL;
}

static int64_t
delta(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)b - (uint64_t)a);
}

/* Encoded size of pts[0..k) given its running delta byte counts. */
static size_t
packed_size(size_t k, const bc_point *pts, int sconst, int wconst, size_t sbytes, size_t wbytes)
{
	size_t len = sizeof magic + varint_len(k) + 1 + varint_len(zz(pts[0].step)) +
		varint_len(zz(pts[0].wall_ms)) + 8 * k;
	if (k > 1) {
		len += sconst ? varint_len(zz(delta(pts[0].step, pts[1].step))) : sbytes;
		len += wconst ? varint_len(zz(delta(pts[0].wall_ms, pts[1].wall_ms))) : wbytes;
	}
	return len + (len % sizeof(bc_point) == 0);
}

size_t
imp_chunk_pack(const bc_point *pts, size_t n, unsigned char *out, size_t budget, size_t *len)
{
	*len = 0;
	if (n == 0)
		return 0;
	if (n > IMP_PACK_MAX_POINTS)
		n = IMP_PACK_MAX_POINTS;
	/* how many points fit the budget (at least one always does) */
	size_t k = 1, sbytes = 0, wbytes = 0;
	int sconst = 1, wconst = 1, decided = 0;
	/* the usual case: both strides constant until the budget is full */
	if (n > 1) {
		int64_t ds = delta(pts[0].step, pts[1].step), dw = delta(pts[0].wall_ms, pts[1].wall_ms);
		size_t run = 2;
		while (run < n && delta(pts[run - 1].step, pts[run].step) == ds &&
		       delta(pts[run - 1].wall_ms, pts[run].wall_ms) == dw)
			run++;
		size_t fit = run;
		while (fit > 1 && packed_size(fit, pts, 1, 1, 0, 0) > budget)
			fit--;
		if (fit < run || run == n) {
			k = fit;
			decided = 1;
		}
	}
	while (!decided && k < n) {
		int64_t ds = delta(pts[k - 1].step, pts[k].step);
		int64_t dw = delta(pts[k - 1].wall_ms, pts[k].wall_ms);
		int sc = sconst && (k == 1 || ds == delta(pts[0].step, pts[1].step));
		int wc = wconst && (k == 1 || dw == delta(pts[0].wall_ms, pts[1].wall_ms));
		size_t sb = sbytes + varint_len(zz(ds)), wb = wbytes + varint_len(zz(dw));
		if (packed_size(k + 1, pts, sc, wc, sb, wb) > budget)
			break;
		sconst = sc;
		wconst = wc;
		sbytes = sb;
		wbytes = wb;
		k++;
	}
	unsigned char *o = out;
	memcpy(o, magic, sizeof magic);
	o += sizeof magic;
	o = put_varint(o, k);
	*o++ = (unsigned char)((sconst ? STEP_STRIDE : 0) | (wconst ? WALL_STRIDE : 0));
	o = put_varint(o, zz(pts[0].step));
	o = put_varint(o, zz(pts[0].wall_ms));
	if (k > 1) {
		if (sconst)
			o = put_varint(o, zz(delta(pts[0].step, pts[1].step)));
		else
			for (size_t i = 1; i < k; i++)
				o = put_varint(o, zz(delta(pts[i - 1].step, pts[i].step)));
		if (wconst)
			o = put_varint(o, zz(delta(pts[0].wall_ms, pts[1].wall_ms)));
		else
			for (size_t i = 1; i < k; i++)
				o = put_varint(o, zz(delta(pts[i - 1].wall_ms, pts[i].wall_ms)));
	}
	for (size_t i = 0; i < k; i++) {
		memcpy(o, &pts[i].value, 8);
		o += 8;
	}
	if ((size_t)(o - out) % sizeof(bc_point) == 0)
		*o++ = 0;
	*len = (size_t)(o - out);
	return k;
}

/* Read n-1 deltas (or one stride) after `first` into out[].step or out[].wall_ms. */
static const unsigned char *
get_series(const unsigned char *s, const unsigned char *e, int stride, int64_t first,
	bc_point *out, size_t n, int wall)
{
	uint64_t v;
	int64_t cur = first, d = 0;
	if (wall)
		out[0].wall_ms = first;
	else
		out[0].step = first;
	if (n > 1 && stride) {
		if (!(s = get_varint(s, e, &v)))
			return NULL;
		d = unzz(v);
	}
	for (size_t i = 1; i < n; i++) {
		if (!stride) {
			if (!(s = get_varint(s, e, &v)))
				return NULL;
			d = unzz(v);
		}
		cur = (int64_t)((uint64_t)cur + (uint64_t)d);
		if (wall)
			out[i].wall_ms = cur;
		else
			out[i].step = cur;
	}
	return s;
}

int
imp_chunk_is_packed(size_t len)
{
	return len % sizeof(bc_point) != 0;
}

long
imp_chunk_unpack(const void *blob, size_t len, bc_point *out, size_t cap)
{
	const unsigned char *s = blob, *e = s + len;
	uint64_t n, flags, s0, w0;
	if (!s || !imp_chunk_is_packed(len) || len < sizeof magic + 4 || memcmp(s, magic, sizeof magic))
		return -1;
	s += sizeof magic;
	if (!(s = get_varint(s, e, &n)) || n == 0 || n > cap || s >= e)
		return -1;
	flags = *s++;
	if (!(s = get_varint(s, e, &s0)) || !(s = get_varint(s, e, &w0)))
		return -1;
	if (!(s = get_series(s, e, flags & STEP_STRIDE, unzz(s0), out, n, 0)) ||
	    !(s = get_series(s, e, flags & WALL_STRIDE, unzz(w0), out, n, 1)))
		return -1;
	if ((size_t)(e - s) < 8 * n)
		return -1;
	for (size_t i = 0; i < n; i++, s += 8)
		memcpy(&out[i].value, s, 8);
	return (long)n;
}
