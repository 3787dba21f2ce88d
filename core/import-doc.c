/* SPDX-License-Identifier: MIT */
/*
 * YAML and JSON documents flattened into dotted keys ("train.lr",
 * "layers.0") for the importers: MLflow meta.yaml, DVC params/metrics files,
 * dvc.lock and .dvc files. libyaml events and jansson, no hand parsing.
 */
#include "config.h"
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <yaml.h>
#include "import-private.h"

#define MAX_DEPTH 64

static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

int
imp_parse_int(const char *s, const char *end, int64_t *out)
{
	int neg = 0;
	if (s < end && (*s == '-' || *s == '+'))
		neg = *s++ == '-';
	if (s == end || end - s > 18)
		return -1;
	int64_t v = 0;
	for (; s < end; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (d > 9)
			return -1;
		v = v * 10 + d;
	}
	*out = neg ? -v : v;
	return 0;
}

/*
 * Exact when the decimal has at most 19 significant digits and a small
 * exponent: a mantissa below 2^53 with |exp10| <= 22 is Clinger's fast path
 * (both factors exact doubles, one rounding). A larger mantissa (Python's
 * repr writes 16-17 digits) is divided in x87 extended precision, which is
 * one rounding to 64 bits; rounding that to a double is exact unless the
 * extended result lies within one unit of a halfway point, and those rare
 * cases go to strtod like everything else.
 */
#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
#define HAVE_X87_EXTENDED 1
static const long double pow10_ext[] = {
	1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L, 1e8L, 1e9L, 1e10L, 1e11L, 1e12L, 1e13L,
	1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L,
	1e26L, 1e27L,
};

static int
ext_to_double(uint64_t m, int e10, double *out)
{
	long double x = (long double)m;    /* exact: 64-bit significand */
	x = e10 < 0 ? x / pow10_ext[-e10] : x * pow10_ext[e10];
	uint64_t sig;
	memcpy(&sig, &x, sizeof sig);      /* the explicit 64-bit significand */
	unsigned low = (unsigned)(sig & 0x7ff);
	if (low >= 0x3ff && low <= 0x401)
		return -1;                     /* near a halfway point: let strtod decide */
	*out = (double)x;
	return 0;
}
#endif

int
imp_parse_number(const char *s, const char *end, double *out)
{
	const char *p = s;
	int neg = 0, sig = 0, frac = 0, seen_dot = 0, any = 0;
	uint64_t m = 0;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	for (; p < end; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (d <= 9) {
			any = 1;
			frac += seen_dot;
			if (m == 0 && d == 0)
				continue;            /* leading zeros */
			if (++sig > 19)
				return imp_parse_double(s, end, out);
			m = m * 10 + d;
		} else if (*p == '.' && !seen_dot) {
			seen_dot = 1;
		} else {
			break;
		}
	}
	int e10 = -frac;
	if (p < end && (*p == 'e' || *p == 'E')) {
		int eneg = 0, ev = 0;
		const char *q = p + 1;
		if (q < end && (*q == '-' || *q == '+'))
			eneg = *q++ == '-';
		if (q == end || (unsigned)(*q - '0') > 9)
			return imp_parse_double(s, end, out);
		for (; q < end && (unsigned)(*q - '0') <= 9 && ev < 1000; q++)
			ev = ev * 10 + (*q - '0');
		e10 += eneg ? -ev : ev;
		p = q;
	}
	if (p != end || !any || imp_decimal_value(m, e10, neg, out) < 0)
		return imp_parse_double(s, end, out);
	return 0;
}

int
imp_decimal_value(uint64_t m, int e10, int neg, double *out)
{
	double v;
	if (m == 0)
		v = 0;
	else if (m <= (1ULL << 53) && e10 >= -22 && e10 <= 22)
		v = e10 < 0 ? (double)m / pow10_exact[-e10] : (double)m * pow10_exact[e10];
#ifdef HAVE_X87_EXTENDED
	else if (e10 >= -27 && e10 <= 27 && ext_to_double(m, e10, &v) == 0)
		;
#endif
	else
		return -1;
	*out = neg ? -v : v;
	return 0;
}

int
imp_parse_double(const char *s, const char *end, double *out)
{
	char buf[64];
	size_t n = (size_t)(end - s);
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	const char *b = buf + (buf[0] == '-' || buf[0] == '+');
	if (((*b >= '0' && *b <= '9') || (*b == '.' && b[1] >= '0' && b[1] <= '9')))
		goto decimal;           /* not one of the spellings of nan and inf */
	if (!strcasecmp(buf, ".nan") || !strcasecmp(buf, "nan")) {
		*out = NAN;
		return 0;
	}
	if (!strcasecmp(buf, ".inf") || !strcasecmp(buf, "inf") || !strcasecmp(buf, "infinity")
			|| !strcasecmp(buf, "+inf") || !strcasecmp(buf, "+.inf")) {
		*out = INFINITY;
		return 0;
	}
	if (!strcasecmp(buf, "-.inf") || !strcasecmp(buf, "-inf") || !strcasecmp(buf, "-infinity")) {
		*out = -INFINITY;
		return 0;
	}
decimal:
	/* strtod alone would take "0x1p3" and "nan(...)": accept decimal forms only */
	for (size_t i = 0; i < n; i++)
		if (!((buf[i] >= '0' && buf[i] <= '9') || buf[i] == '+' || buf[i] == '-' ||
				buf[i] == '.' || buf[i] == 'e' || buf[i] == 'E'))
			return -1;
	char *e;
	errno = 0;
	double d = strtod(buf, &e);
	if (*e || e == buf)
		return -1;
	*out = d;
	return 0;
}

static int
doc_add(struct imp_doc *d, const char *key, size_t klen, const char *val, size_t vlen,
	int plain, int is_null)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		struct imp_flat *v = realloc(d->v, cap * sizeof *v);
		if (!v)
			return -1;
		d->v = v;
		d->cap = cap;
	}
	struct imp_flat *f = &d->v[d->n];
	memset(f, 0, sizeof *f);
	f->key = bc_strndup(key, klen);
	f->val = is_null ? NULL : bc_strndup(val, vlen);
	f->vlen = is_null ? 0 : vlen;
	f->plain = plain;
	if (!f->key || (!is_null && !f->val)) {
		free(f->key);
		free(f->val);
		return -1;
	}
	if (plain && !is_null && imp_parse_double(val, val + vlen, &f->num) == 0)
		f->is_num = 1;
	d->n++;
	return 0;
}

/* Path stack of keys for the YAML walk. */
struct frame {
	int is_seq;
	long index;          /* next sequence index */
	int have_key;        /* mapping: a key was read, a value is expected */
	size_t keylen;       /* length of the path buffer at this frame's start */
};

static int
push_component(bc_buf *path, struct frame *f, const char *key, size_t klen)
{
	path->len = f->keylen;
	if (path->data)
		path->data[path->len] = '\0';
	if (path->len && bc_buf_putc(path, '.') < 0)
		return -1;
	if (key)
		return bc_buf_put(path, key, klen);
	return bc_buf_printf(path, "%ld", f->index++);
}

static int
parse_yaml(struct imp_doc *d, const char *text, size_t len, char *err, size_t errsize)
{
	yaml_parser_t ps;
	yaml_event_t ev;
	struct frame st[MAX_DEPTH];
	int depth = -1, rc = -1, done = 0;
	bc_buf path = BC_BUF_INIT;
	if (!yaml_parser_initialize(&ps)) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&ps, &ev)) {
			snprintf(err, errsize, "line %lu: %s", (unsigned long)ps.problem_mark.line + 1,
				ps.problem ? ps.problem : "YAML syntax error");
			goto out;
		}
		struct frame *top = depth >= 0 ? &st[depth] : NULL;
		int is_key = top && !top->is_seq && !top->have_key;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			done = ev.type == YAML_STREAM_END_EVENT || depth < 0;
			break;
		case YAML_SCALAR_EVENT: {
			const char *v = (const char *)ev.data.scalar.value;
			size_t vl = ev.data.scalar.length;
			if (is_key) {
				if (push_component(&path, top, v, vl) < 0)
					goto oom;
				top->have_key = 1;
				break;
			}
			int plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			int is_null = plain && (vl == 0 || (vl == 1 && v[0] == '~') ||
				(vl == 4 && !strncasecmp(v, "null", 4)));
			if (top && top->is_seq && push_component(&path, top, NULL, 0) < 0)
				goto oom;
			if (doc_add(d, path.data ? path.data : "", path.len, v, vl, plain, is_null) < 0)
				goto oom;
			if (top && !top->is_seq)
				top->have_key = 0;
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (is_key) {
				snprintf(err, errsize, "line %lu: complex mapping keys are not supported",
					(unsigned long)ev.start_mark.line + 1);
				yaml_event_delete(&ev);
				goto out;
			}
			if (depth + 1 >= MAX_DEPTH) {
				snprintf(err, errsize, "line %lu: nested deeper than %d levels",
					(unsigned long)ev.start_mark.line + 1, MAX_DEPTH);
				yaml_event_delete(&ev);
				goto out;
			}
			if (top && top->is_seq && push_component(&path, top, NULL, 0) < 0)
				goto oom;
			depth++;
			st[depth].is_seq = ev.type == YAML_SEQUENCE_START_EVENT;
			st[depth].index = 0;
			st[depth].have_key = 0;
			st[depth].keylen = path.len;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			path.len = st[depth].keylen;
			depth--;
			if (depth >= 0) {
				if (!st[depth].is_seq)
					st[depth].have_key = 0;
				path.len = st[depth].keylen;
			} else {
				path.len = 0;
			}
			if (path.data)
				path.data[path.len] = '\0';
			break;
		case YAML_ALIAS_EVENT:
			/* aliases are not expanded (no billion laughs); the key is dropped */
			if (top && !top->is_seq)
				top->have_key = 0;
			else if (top)
				top->index++;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	rc = 0;
	goto out;
oom:
	yaml_event_delete(&ev);
	snprintf(err, errsize, "out of memory");
out:
	yaml_parser_delete(&ps);
	bc_buf_free(&path);
	return rc;
}

static int
json_walk(struct imp_doc *d, json_t *j, bc_buf *path, int depth)
{
	size_t base = path->len;
	if (depth > MAX_DEPTH)
		return 0;
	if (json_is_object(j)) {
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v) {
			path->len = base;
			if ((base && bc_buf_putc(path, '.') < 0) || bc_buf_puts(path, k) < 0)
				return -1;
			if (json_walk(d, v, path, depth + 1) < 0)
				return -1;
		}
	} else if (json_is_array(j)) {
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v) {
			path->len = base;
			if ((base && bc_buf_putc(path, '.') < 0) || bc_buf_printf(path, "%zu", i) < 0)
				return -1;
			if (json_walk(d, v, path, depth + 1) < 0)
				return -1;
		}
	} else {
		char num[64];
		const char *key = path->data ? path->data : "";
		if (json_is_string(j))
			return doc_add(d, key, base, json_string_value(j), json_string_length(j), 0, 0);
		if (json_is_integer(j)) {
			snprintf(num, sizeof num, "%lld", (long long)json_integer_value(j));
			return doc_add(d, key, base, num, strlen(num), 1, 0);
		}
		if (json_is_real(j)) {
			snprintf(num, sizeof num, "%.17g", json_real_value(j));
			return doc_add(d, key, base, num, strlen(num), 1, 0);
		}
		if (json_is_boolean(j))
			return doc_add(d, key, base, json_is_true(j) ? "true" : "false",
				json_is_true(j) ? 4 : 5, 1, 0);
		return doc_add(d, key, base, NULL, 0, 1, 1);
	}
	path->len = base;
	if (path->data)
		path->data[base] = '\0';
	return 0;
}

int
imp_doc_parse(struct imp_doc *d, const char *text, size_t len, int json, char *err, size_t errsize)
{
	memset(d, 0, sizeof *d);
	if (!json) {
		if (parse_yaml(d, text, len, err, errsize) == 0)
			return 0;
		imp_doc_clear(d);       /* whatever was read before the error */
		return -1;
	}
	json_error_t je;
	/* DVCLive writes NaN as the bare token NaN, which strict JSON rejects:
	 * YAML flow syntax reads it (as a plain scalar) so fall back to that. */
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!j) {
		if (parse_yaml(d, text, len, err, errsize) == 0)
			return 0;
		imp_doc_clear(d);
		snprintf(err, errsize, "line %d: %s", je.line, je.text);
		return -1;
	}
	bc_buf path = BC_BUF_INIT;
	int rc = json_walk(d, j, &path, 0);
	bc_buf_free(&path);
	json_decref(j);
	if (rc < 0)
		snprintf(err, errsize, "out of memory");
	return rc;
}

void
imp_doc_clear(struct imp_doc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].key);
		free(d->v[i].val);
	}
	free(d->v);
	memset(d, 0, sizeof *d);
}

const struct imp_flat *
imp_doc_get(const struct imp_doc *d, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].key, key))
			return d->v[i].val ? &d->v[i] : NULL;
	return NULL;
}

const char *
imp_doc_str(const struct imp_doc *d, const char *key)
{
	const struct imp_flat *f = imp_doc_get(d, key);
	return f ? f->val : NULL;
}

int
imp_doc_int(const struct imp_doc *d, const char *key, int64_t *out)
{
	const char *s = imp_doc_str(d, key);
	if (!s || !*s)
		return -1;
	char *e;
	errno = 0;
	long long v = strtoll(s, &e, 10);
	if (*e || errno)
		return -1;
	*out = v;
	return 0;
}
