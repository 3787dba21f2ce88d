/* SPDX-License-Identifier: MIT */
/*
 * MLflow metric files: lines of `timestamp value [step]`. The usual shape
 * (integers, a plain decimal, one blank between) takes a one-pass parser
 * that reads digits eight at a time and rounds exactly as imp_parse_number
 * (whose slower paths, strtod included, take every other shape); lines in
 * any other shape are split on blanks; malformed ones are counted and the
 * first three named in warnings.
 */
#include "config.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "import-private.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* 8 ASCII digits at p: their value, or -1 if a byte is not a digit. */
static inline int64_t
digits8(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	if ((v & 0xf0f0f0f0f0f0f0f0ULL) != 0x3030303030303030ULL ||
			((v + 0x0606060606060606ULL) & 0xf0f0f0f0f0f0f0f0ULL) != 0x3030303030303030ULL)
		return -1;
	v -= 0x3030303030303030ULL;
	v = v * 10 + (v >> 8);
	v = ((v & 0x000000ff000000ffULL) * 0x000f424000000064ULL +
		((v >> 16) & 0x000000ff000000ffULL) * 0x0000271000000001ULL) >> 32;
	return (int64_t)(uint32_t)v;
}

/* 4 ASCII digits at p: their value, or -1. */
static inline int64_t
digits4(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	if ((v & 0xf0f0f0f0u) != 0x30303030u || ((v + 0x06060606u) & 0xf0f0f0f0u) != 0x30303030u)
		return -1;
	v -= 0x30303030u;
	v = v * 10 + (v >> 8);
	return (int64_t)(((v & 0xff) * 100) + ((v >> 16) & 0xff));
}
#else
static inline int64_t
digits4(const char *p)
{
	int64_t v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned d = (unsigned)(p[i] - '0');
		if (d > 9)
			return -1;
		v = v * 10 + d;
	}
	return v;
}

static inline int64_t
digits8(const char *p)
{
	int64_t v = 0;
	for (int i = 0; i < 8; i++) {
		unsigned d = (unsigned)(p[i] - '0');
		if (d > 9)
			return -1;
		v = v * 10 + d;
	}
	return v;
}
#endif

/* Append the digits at q to *m (eight at a time); *nd counts them. The end. */
static inline const char *
scan_digits(const char *q, const char *end, uint64_t *m, int *nd)
{
	uint64_t v = *m;
	int n = *nd;
	int64_t d8;
	while (end - q >= 8 && n <= 11 && (d8 = digits8(q)) >= 0) {
		v = v * 100000000u + (uint64_t)d8;
		q += 8;
		n += 8;
	}
	if (end - q >= 4 && n <= 15 && (d8 = digits4(q)) >= 0) {
		v = v * 10000 + (uint64_t)d8;
		q += 4;
		n += 4;
	}
	for (unsigned d; q < end && (d = (unsigned)(*q - '0')) <= 9 && n < 20; q++, n++)
		v = v * 10 + d;
	*m = v;
	*nd = n;
	return q;
}

/* An integer of 1 to 18 digits, optionally negative; the end, or NULL. */
static inline const char *
scan_int(const char *q, const char *end, int64_t *out)
{
	int neg = q < end && *q == '-', nd = 0;
	uint64_t v = 0;
	q += neg;
	q = scan_digits(q, end, &v, &nd);
	if (nd == 0 || nd > 18)
		return NULL;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return q;
}

/*
 * A plain decimal ("0.0123", "-12", "1.5e-05") ending at a blank or a
 * newline, with the digits read eight at a time and the same rounding as
 * imp_parse_number; the end, or NULL for anything else.
 */
static inline const char *
fast_value(const char *q, const char *end, double *out)
{
	int neg = q < end && *q == '-', nd = 0, e10 = 0;
	uint64_t m = 0;
	q += neg;
	const char *d0 = q;
	while (q < end && *q == '0')
		q++;                 /* leading zeros */
	int any = q > d0;
	const char *i0 = q;
	q = scan_digits(q, end, &m, &nd);
	any |= q > i0;
	if (q < end && *q == '.') {
		const char *f0 = ++q;
		if (m == 0)
			while (q < end && *q == '0')
				q++;
		e10 -= (int)(q - f0);
		int before = nd;
		q = scan_digits(q, end, &m, &nd);
		e10 -= nd - before;
		any |= q > f0;
	}
	if (!any || nd > 19)
		return NULL;
	if (q < end && (*q == 'e' || *q == 'E')) {
		int eneg = 0, ev = 0;
		q++;
		if (q < end && (*q == '-' || *q == '+'))
			eneg = *q++ == '-';
		const char *x0 = q;
		for (; q < end && (unsigned)(*q - '0') <= 9 && q - x0 < 4; q++)
			ev = ev * 10 + (*q - '0');
		if (q == x0 || q - x0 >= 4)
			return NULL;
		e10 += eneg ? -ev : ev;
	}
	if (q < end && *q != ' ' && *q != '\n')
		return NULL;
	return imp_decimal_value(m, e10, neg, out) < 0 ? NULL : q;
}

/* The usual line, "timestamp value step\n" (or without the step), in one
 * pass: the start of the next line, or NULL for anything else. */
static inline const char *
fast_line(const char *p, const char *end, bc_point *pt)
{
	const char *q = scan_int(p, end, &pt->wall_ms);
	if (!q || q == end || *q != ' ')
		return NULL;
	const char *v = ++q, *nq = fast_value(v, end, &pt->value);
	if (nq) {
		q = nq;
	} else {
		while (q < end && *q != ' ' && *q != '\n' && *q != '\t' && *q != '\r')
			q++;
		if (q == v || imp_parse_number(v, q, &pt->value) < 0)
			return NULL;
	}
	pt->step = 0;
	if (q < end && *q == ' ' && !(q = scan_int(q + 1, end, &pt->step)))
		return NULL;
	if (q == end)
		return q;
	return *q == '\n' ? q + 1 : NULL;
}

/* A line in any other shape: fields split on blanks, 2 or 3 of them. 1 = a point. */
static int
slow_line(const char *p, const char *le, bc_point *pt)
{
	const char *fld[4], *fe[4];
	int nf = 0;
	for (const char *q = p; q < le && nf < 4;) {
		while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q == le)
			break;
		fld[nf] = q;
		while (q < le && *q != ' ' && *q != '\t' && *q != '\r')
			q++;
		fe[nf++] = q;
	}
	if (nf == 0)
		return 0;
	double d;
	int64_t ts, step = 0;
	int ok = (nf == 2 || nf == 3) && imp_parse_number(fld[1], fe[1], &pt->value) == 0;
	/* timestamps and steps are integers; tolerate "1.7e12" from odd writers */
	if (ok && imp_parse_int(fld[0], fe[0], &ts) < 0)
		ok = imp_parse_double(fld[0], fe[0], &d) == 0 && d == d && fabs(d) < 9e18 &&
			((ts = (int64_t)d), 1);
	if (ok && nf == 3 && imp_parse_int(fld[2], fe[2], &step) < 0)
		ok = imp_parse_double(fld[2], fe[2], &d) == 0 && d == d && fabs(d) < 9e18 &&
			((step = (int64_t)d), 1);
	if (!ok)
		return -1;
	pt->wall_ms = ts;
	pt->step = step;
	return 1;
}

void
imp_mlflow_metric(struct imp_ctx *c, struct imp_run *r, const char *text, size_t len,
	const char *where, const char *key)
{
	struct imp_series *s = imp_run_series(r, key);
	if (!s)
		return;
	const char *p = text, *end = p + len;
	int64_t line = 0, bad = 0;
	size_t want = s->n + len / 24 + 1;    /* lines are rarely shorter */
	if (want > s->cap) {
		/* a recycled buffer holds nothing worth copying: no realloc */
		if (s->n == 0) {
			free(s->pts);
			s->pts = NULL;
			s->cap = 0;
			want += want / 8;
		}
		bc_point *np = realloc(s->pts, want * sizeof *np);
		if (np) {
			s->pts = np;
			s->cap = want;
		}
	}
	while (p < end) {
		bc_point pt;
		const char *nx;
		line++;
		if ((nx = fast_line(p, end, &pt))) {
			if (s->n < s->cap)
				s->pts[s->n++] = pt;
			else
				imp_series_add(s, pt.step, pt.value, pt.wall_ms);
			p = nx;
			continue;
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		int k = slow_line(p, le, &pt);
		if (k > 0)
			imp_series_add(s, pt.step, pt.value, pt.wall_ms);
		else if (k < 0 && ++bad <= 3)
			imp_warn(c, "%s/metrics/%s:%lld: malformed metric line skipped", where, key,
				(long long)line);
		p = le + 1;
	}
	if (bad > 3)
		imp_warn(c, "%s/metrics/%s: %lld more malformed lines skipped", where, key,
			(long long)(bad - 3));
	r->bad_lines += bad;
}
