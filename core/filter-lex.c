/* SPDX-License-Identifier: MIT */
/*
 * The filter language's front half: error reporting with positions, the
 * tokenizer, bound values, literal values and time phrases. The grammar and
 * the SQL it compiles to are in filter.c.
 */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "filter-private.h"

const char *const flt_op_text[] = {
	"=", "!=", "<", "<=", ">", ">=", "~", "!~", "in", "not in", "exists", "not exists",
};
const char *const flt_op_sql[] = { "=", "!=", "<", "<=", ">", ">=" };

/* ------------------------------------------------------------ errors */

int
flt_utf8_column(const char *s, size_t pos)
{
	int col = 1;
	for (size_t i = 0; i < pos && s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			col++;
	return col;
}

/* Untrusted text for a message: sanitized, cut at 40 bytes, in quotes or not. */
char *
flt_show_text(const char *s, size_t len, int quote)
{
	int cut = len > 40;
	if (cut) {
		len = 40;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	char *t = bc_text_sanitize(s, len, 0);
	char *r = bc_sprintf("%s%s%s%s", quote ? "'" : "", t ? t : "?", cut ? "..." : "",
		quote ? "'" : "");
	free(t);
	return r;
}

char *
flt_show(const char *s, size_t len)
{
	return flt_show_text(s, len, 1);
}


void
flt_fail(struct parser *ps, size_t pos, const char *tail, const char *fmt, ...)
{
	if (ps->failed)
		return;
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ps->failed = 1;
	ps->errpos = pos;
	bc_error_set(ps->p, BC_ERR_INPUT, BC_EINVALID, "filter: %s at column %d%s", msg,
		flt_utf8_column(ps->expr, pos), tail ? tail : "");
}

void
flt_oom(struct parser *ps)
{
	if (!ps->failed)
		bc_error_set(ps->p, BC_ERR_OS, BC_ERROR, "filter: out of memory");
	ps->failed = 2;
}

/* ------------------------------------------------------------ tokenizer */

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int
is_word(int c)
{
	return c && !is_space(c) && !strchr("()=!<>~,'\"`&|", c);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode a quoted string starting at buf[*i] (the quote) to buf[*o...]. */
static int
lex_quoted(struct parser *ps, size_t *i, size_t *o)
{
	char *b = ps->buf;
	char q = b[*i];
	size_t start = *i;
	for ((*i)++; b[*i] && b[*i] != q; (*i)++) {
		char c = b[*i];
		if (c == '\\' && b[*i + 1]) {
			c = b[++*i];
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'r')
				c = '\r';
			else if (c == 'x' && hexval(b[*i + 1]) >= 0 && hexval(b[*i + 2]) >= 0) {
				c = (char)(hexval(b[*i + 1]) * 16 + hexval(b[*i + 2]));
				if (!c) {
					flt_fail(ps, *i - 1, NULL, "a NUL byte (\\x00) is not allowed");
					return -1;
				}
				*i += 2;
			}
		}
		b[(*o)++] = c;
	}
	if (!b[*i]) {
		flt_fail(ps, start, NULL, "unterminated %s starting", q == '`' ? "name" : "string");
		return -1;
	}
	(*i)++;
	return 0;
}

static int
is_key_prefix(const char *s, size_t n)
{
	static const char *const pre[] = { "params.", "param.", "metrics.", "metric." };
	for (size_t k = 0; k < sizeof pre / sizeof *pre; k++)
		if (n == strlen(pre[k]) && !strncasecmp(s, pre[k], n))
			return 1;
	return 0;
}

static int
lex(struct parser *ps, struct tok *t)
{
	char *b = ps->buf;
	size_t i = ps->lexpos;
	while (is_space((unsigned char)b[i]))
		i++;
	memset(t, 0, sizeof *t);
	t->pos = i;
	char c = b[i], d = c ? b[i + 1] : 0;
	if (!c) {
		t->kind = T_EOF;
	} else if (c == '(' || c == ')' || c == ',') {
		t->kind = c == '(' ? T_LPAREN : c == ')' ? T_RPAREN : T_COMMA;
		i++;
	} else if (c == '&' || c == '|') {
		if (d != c) {
			flt_fail(ps, i, NULL, "unexpected '%c' (write %s or %c%c)", c,
				c == '&' ? "'and'" : "'or'", c, c);
			return -1;
		}
		t->kind = c == '&' ? T_AND : T_OR;
		i += 2;
	} else if (strchr("=!<>~", c)) {
		t->kind = T_OP;
		i++;
		if (c == '=') {
			t->op = OP_EQ;
			if (d == '=')
				i++;
		} else if (c == '!') {
			t->op = d == '=' ? OP_NE : d == '~' ? OP_NGLOB : OP_EQ;
			if (d == '=' || d == '~')
				i++;
			else
				t->kind = T_NOT;
		} else if (c == '<') {
			t->op = d == '=' ? OP_LE : d == '>' ? OP_NE : OP_LT;
			if (d == '=' || d == '>')
				i++;
		} else if (c == '>') {
			t->op = d == '=' ? OP_GE : OP_GT;
			if (d == '=')
				i++;
		} else {
			t->op = OP_GLOB;
		}
	} else if (c == '\'' || c == '"' || c == '`') {
		size_t o = i + 1;
		t->kind = c == '`' ? T_IDENT : T_STRING;
		if (lex_quoted(ps, &i, &o) < 0)
			return -1;
		t->s = b + t->pos + 1;
		t->len = o - t->pos - 1;
	} else {
		size_t o = i;
		t->kind = T_WORD;
		while (is_word((unsigned char)b[i]))
			b[o++] = b[i++];
		/* params."a key" / metrics.`a key`.max: one word with a quoted key */
		if ((b[i] == '"' || b[i] == '`' || b[i] == '\'') && is_key_prefix(b + t->pos, o - t->pos)) {
			t->quoted = 1;
			t->qoff = o - t->pos;
			if (lex_quoted(ps, &i, &o) < 0)
				return -1;
			t->qlen = o - t->pos - t->qoff;
			t->qend = i;
			while (is_word((unsigned char)b[i]))
				b[o++] = b[i++];
		}
		t->s = b + t->pos;
		t->len = o - t->pos;
		if (!t->quoted) {
			if (t->len == 3 && !strncasecmp(t->s, "and", 3))
				t->kind = T_AND;
			else if (t->len == 2 && !strncasecmp(t->s, "or", 2))
				t->kind = T_OR;
			else if (t->len == 3 && !strncasecmp(t->s, "not", 3))
				t->kind = T_NOT;
		}
	}
	t->end = i;
	ps->lexpos = i;
	return 0;
}

/* The n-th token ahead (0 to 2); a T_EOF token after an error. */
struct tok *
flt_peek(struct parser *ps, int n)
{
	while (ps->nlook <= n) {
		struct tok *t = &ps->look[ps->nlook];
		if (ps->failed || lex(ps, t) < 0) {
			memset(t, 0, sizeof *t);
			t->kind = T_EOF;
			t->pos = t->end = ps->lexpos;
		}
		ps->nlook++;
	}
	return &ps->look[n];
}

struct tok
flt_next(struct parser *ps)
{
	struct tok t = *flt_peek(ps, 0);
	memmove(ps->look, ps->look + 1, sizeof ps->look - sizeof *ps->look);
	ps->nlook--;
	ps->last = t;
	ps->has_last = 1;
	return t;
}

int
flt_is_kw(const struct tok *t, const char *kw)
{
	return t->kind == T_WORD && !t->quoted && t->len == strlen(kw) &&
		!strncasecmp(t->s, kw, t->len);
}

/* How a token reads in a message ("'>'", "the end", "'foo'"). */
char *
flt_describe(const struct parser *ps, const struct tok *t)
{
	if (t->kind == T_EOF)
		return bc_strdup("the end");
	return flt_show(ps->expr + t->pos, t->end - t->pos);
}

/*
 * Fail at a token. fmt (a literal of this file) has one %s: `arg`, and the
 * token is named after the column ("(found ')')"); or, with arg NULL, the token.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void
flt_fail_tok(struct parser *ps, const struct tok *t, const char *fmt, const char *arg)
{
	char *what = flt_describe(ps, t);
	char tail[128] = "";
	if (arg)
		snprintf(tail, sizeof tail, " (found %s)", what ? what : "?");
	flt_fail(ps, t->pos, tail, fmt, arg ? arg : what ? what : "?");
	free(what);
}
#pragma GCC diagnostic pop

/* ------------------------------------------------------------ bound values */

static struct bc_filter_arg *
new_arg(struct parser *ps, int type)
{
	bc_filter_sql *f = ps->out;
	if (f->nargs >= MAX_ARGS) {
		flt_fail(ps, flt_peek(ps, 0)->pos, NULL, "too many values in one filter (more than %d)", MAX_ARGS);
		return NULL;
	}
	if (f->nargs == ps->argcap) {
		size_t cap = ps->argcap ? ps->argcap * 2 : 16;
		void *a = realloc(f->args, cap * sizeof *f->args);
		if (!a) {
			flt_oom(ps);
			return NULL;
		}
		f->args = a;
		ps->argcap = cap;
	}
	struct bc_filter_arg *a = &f->args[f->nargs++];
	memset(a, 0, sizeof *a);
	a->type = type;
	return a;
}

void
flt_arg_int(struct parser *ps, int64_t v)
{
	struct bc_filter_arg *a = new_arg(ps, SQLITE_INTEGER);
	if (a)
		a->i = v;
}

void
flt_arg_real(struct parser *ps, double v)
{
	struct bc_filter_arg *a = new_arg(ps, SQLITE_FLOAT);
	if (a)
		a->f = v;
}

void
flt_arg_text(struct parser *ps, const char *s, size_t len)
{
	struct bc_filter_arg *a = new_arg(ps, SQLITE_TEXT);
	if (a && !(a->s = bc_strndup(s, len))) {
		ps->out->nargs--;
		flt_oom(ps);
	}
}

/* ------------------------------------------------------------ values */


/* A number: [+-]digits[.digits][e[+-]digits], or [+-]inf. */
static int
parse_number(const char *s, size_t len, int64_t *iv, double *fv, int *isint)
{
	char tmp[64];
	if (!len || len >= sizeof tmp)
		return 0;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	const char *q = tmp + (tmp[0] == '-' || tmp[0] == '+');
	if (!strcasecmp(q, "inf") || !strcasecmp(q, "infinity")) {
		*fv = tmp[0] == '-' ? -HUGE_VAL : HUGE_VAL;
		*isint = 0;
		return 1;
	}
	int digits = 0, frac = 0;
	for (; isdigit((unsigned char)*q); q++)
		digits++;
	if (*q == '.')
		for (q++, frac = 1; isdigit((unsigned char)*q); q++)
			digits++;
	if (!digits)
		return 0;
	if (*q == 'e' || *q == 'E') {
		q++;
		q += *q == '-' || *q == '+';
		if (!isdigit((unsigned char)*q))
			return 0;
		while (isdigit((unsigned char)*q))
			q++;
		frac = 1;
	}
	if (*q)
		return 0;
	char *end;
	*fv = strtod(tmp, &end);
	*isint = 0;
	if (!frac) {
		errno = 0;
		long long v = strtoll(tmp, &end, 10);
		if (!errno && !*end) {
			*iv = v;
			*isint = 1;
		}
	}
	return 1;
}

/* Parse one value; `after` names the operator for the error message. */
int
flt_parse_value(struct parser *ps, struct value *v, const char *after)
{
	struct tok *t = flt_peek(ps, 0);
	if (t->kind != T_WORD && t->kind != T_STRING && t->kind != T_IDENT) {
		flt_fail_tok(ps, t, "expected a value after '%s'", after);
		return -1;
	}
	struct tok k = flt_next(ps);
	memset(v, 0, sizeof *v);
	v->s = k.s;
	v->len = k.len;
	v->pos = k.pos;
	v->end = k.end;
	v->quoted = k.kind != T_WORD || k.quoted;
	if (!v->quoted)
		v->isnum = parse_number(v->s, v->len, &v->i, &v->f, &v->isint);
	return 0;
}

/* A number from a value, quoted or not (metrics, exit codes). */
int
flt_value_number(struct parser *ps, struct value *v, const char *what)
{
	if (!v->isnum && !parse_number(v->s, v->len, &v->i, &v->f, &v->isint)) {
		char *s = flt_show(v->s, v->len);
		flt_fail(ps, v->pos, NULL, "%s compares with numbers, not %s", what, s ? s : "?");
		free(s);
		return -1;
	}
	v->isnum = 1;
	return 0;
}

int
flt_value_bool(struct parser *ps, const struct value *v, int *out)
{
	static const char *const yes[] = { "true", "yes", "1", "on" };
	static const char *const no[] = { "false", "no", "0", "off" };
	for (size_t k = 0; k < 4; k++) {
		if (v->len == strlen(yes[k]) && !strncasecmp(v->s, yes[k], v->len))
			return *out = 1, 0;
		if (v->len == strlen(no[k]) && !strncasecmp(v->s, no[k], v->len))
			return *out = 0, 0;
	}
	char *s = flt_show(v->s, v->len);
	flt_fail(ps, v->pos, NULL, "expected true or false, not %s", s ? s : "?");
	free(s);
	return -1;
}

/* ------------------------------------------------------------ time */

/* Local midnight of the day holding `ms` plus `days`. */
static int64_t
local_midnight(int64_t ms, int days)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday += days;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

/*
 * Span in ms of a duration like 90, 5m, 1h30m, 1.5d (bare numbers are ms);
 * `gran` gets the last unit, so that `duration = 5m` means [5m, 6m) while
 * `duration > 5m` is exact.
 */
int
flt_duration_parse(const char *s, size_t len, int64_t *out, int64_t *gran)
{
	double total = 0;
	size_t i = 0;
	if (!len)
		return -1;
	while (i < len) {
		char num[32];
		size_t n = 0;
		while (i < len && (isdigit((unsigned char)s[i]) || s[i] == '.') && n < sizeof num - 1)
			num[n++] = s[i++];
		num[n] = '\0';
		if (!n || !strcmp(num, "."))
			return -1;
		double v = strtod(num, NULL);
		size_t u = i;
		while (i < len && isalpha((unsigned char)s[i]))
			i++;
		size_t ul = i - u;
		double mul;
		if (!ul)
			mul = i == len && total == 0 ? 1 : -1;
		else if (ul == 2 && !strncasecmp(s + u, "ms", 2))
			mul = 1;
		else if (ul == 1 && strchr("sS", s[u]))
			mul = 1000;
		else if (ul == 1 && s[u] == 'm')
			mul = 60e3;
		else if (ul == 1 && strchr("hH", s[u]))
			mul = 3600e3;
		else if (ul == 1 && strchr("dD", s[u]))
			mul = DAY_MS;
		else if (ul == 1 && strchr("wW", s[u]))
			mul = 7 * DAY_MS;
		else
			return -1;
		if (mul < 0)
			return -1;
		total += v * mul;
		*gran = (int64_t)mul;
		if (total > 9.2e18)
			return -1;
	}
	*out = (int64_t)total;
	return 0;
}

static int
digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int k = 0; k < n; k++) {
		if (!isdigit((unsigned char)s[k]))
			return -1;
		*out = *out * 10 + (s[k] - '0');
	}
	return 0;
}

/*
 * A time phrase to ms, with the span it names (`gran`): a day for dates,
 * today and yesterday, a minute for 10:00, a second for 10:00:05, 1 ms for
 * instants ("-6h", "now", epoch ms). Dates and times are local unless they
 * end in Z.
 */
int
flt_time_parse(const char *s, size_t len, int64_t now, int64_t *out, int64_t *gran)
{
	int64_t d, iv;
	double fv;
	int isint;
	*gran = 1;
	if (len == 3 && !strncasecmp(s, "now", 3))
		return *out = now, 0;
	if (len == 5 && !strncasecmp(s, "today", 5)) {
		*out = local_midnight(now, 0);
		*gran = local_midnight(now, 1) - *out;
		return 0;
	}
	if (len == 9 && !strncasecmp(s, "yesterday", 9)) {
		*out = local_midnight(now, -1);
		*gran = local_midnight(now, 0) - *out;
		return 0;
	}
	if (len > 1 && (s[0] == '-' || isdigit((unsigned char)s[0])) &&
			isalpha((unsigned char)s[len - 1]) && s[len - 1] != 'Z' &&
			flt_duration_parse(s + (s[0] == '-'), len - (s[0] == '-'), &d, &iv) == 0)
		return *out = now - d, 0;
	if (len >= 10 && parse_number(s, len, &iv, &fv, &isint) && isint && iv >= 0)
		return *out = iv, 0;          /* epoch milliseconds (13 digits today) */
	/* YYYY-MM-DD[THH:MM[:SS]][Z] */
	int y, mo, da, h = 0, mi = 0, se = 0, utc = 0;
	if (len && s[len - 1] == 'Z')
		utc = 1, len--;
	if (len < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
			digits(s + 8, 2, &da))
		return -1;
	*gran = DAY_MS;
	if (len > 10) {
		if ((s[10] != 'T' && s[10] != 't') || len < 16 || digits(s + 11, 2, &h) ||
				s[13] != ':' || digits(s + 14, 2, &mi))
			return -1;
		*gran = 60000;
		if (len > 16) {
			if (len != 19 || s[16] != ':' || digits(s + 17, 2, &se))
				return -1;
			*gran = 1000;
		}
	} else if (utc) {
		return -1;
	}
	if (mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = da,
		.tm_hour = h, .tm_min = mi, .tm_sec = se, .tm_isdst = -1 };
	time_t t = utc ? timegm(&tm) : mktime(&tm);
	if (tm.tm_mday != da)           /* 2026-02-31 */
		return -1;
	*out = (int64_t)t * 1000;
	if (*gran == DAY_MS && !utc) {  /* DST days are 23 or 25 hours */
		struct tm n = tm;
		n.tm_mday++;
		n.tm_hour = n.tm_min = n.tm_sec = 0;
		n.tm_isdst = -1;
		*gran = (int64_t)mktime(&n) * 1000 - *out;
	}
	return 0;
}

/*
 * Parse a time phrase: "-6h", "-30m", "-2d", "-1w", "now", "today",
 * "yesterday", "2026-11-01", "2026-11-01T10:00[:SS][Z]" or epoch ms, relative
 * to now_ms. Returns 0, or BC_EINVALID when `s` is not a time.
 */
int
bc_time_parse(const char *s, int64_t now_ms, int64_t *out)
{
	int64_t gran;
	if (!s || flt_time_parse(s, strlen(s), now_ms, out, &gran) < 0)
		return BC_EINVALID;
	return 0;
}

