/* SPDX-License-Identifier: MIT */
/* Private to the filter compiler: tokens, the parser state and the lexer,
 * value and time helpers shared by filter-lex.c and filter.c. */
#ifndef BANCADA_CORE_FILTER_PRIVATE_H
#define BANCADA_CORE_FILTER_PRIVATE_H

#include "internal.h"

#define MAX_DEPTH 64        /* nesting of parentheses and `not` */
#define MAX_ARGS 10000      /* bound values (SQLite allows 32766) */
#define MAX_TERMS 5000      /* comparisons and words */
#define DAY_MS 86400000LL

enum tok_kind {
	T_EOF, T_WORD, T_STRING, T_IDENT, T_OP, T_LPAREN, T_RPAREN, T_COMMA,
	T_AND, T_OR, T_NOT,
};

enum op {
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_GLOB, OP_NGLOB,
	OP_IN, OP_NIN, OP_EXISTS, OP_NEXISTS,
};


struct tok {
	enum tok_kind kind;
	enum op op;
	size_t pos, end;        /* byte range in the expression */
	const char *s;          /* decoded text (words, strings, identifiers) */
	size_t len;
	size_t qoff, qlen;      /* a quoted key inside a word: params."a b" */
	size_t qend;            /* byte offset after its closing quote */
	int quoted;             /* the word held a quoted key */
};

struct parser {
	bc_project *p;
	const char *expr;
	char *buf;              /* copy of expr; quoted text is decoded in place */
	size_t len, lexpos;
	struct tok look[3];
	int nlook;
	struct tok last;        /* the last token consumed */
	int has_last;
	bc_filter_sql *out;
	size_t argcap;
	int64_t now;
	int depth, terms;
	int failed;
	size_t errpos;
};

struct value {
	const char *s;
	size_t len;
	size_t pos, end;
	int quoted;
	int isnum, isint;       /* unquoted number */
	int64_t i;
	double f;
};

extern const char *const flt_op_text[];
extern const char *const flt_op_sql[];

int flt_utf8_column(const char *s, size_t pos);
char *flt_show_text(const char *s, size_t len, int quote);
char *flt_show(const char *s, size_t len);
void flt_fail(struct parser *ps, size_t pos, const char *tail, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void flt_oom(struct parser *ps);
struct tok *flt_peek(struct parser *ps, int n);
struct tok flt_next(struct parser *ps);
int flt_is_kw(const struct tok *t, const char *kw);
char *flt_describe(const struct parser *ps, const struct tok *t);
void flt_fail_tok(struct parser *ps, const struct tok *t, const char *fmt, const char *arg);
void flt_arg_int(struct parser *ps, int64_t v);
void flt_arg_real(struct parser *ps, double v);
void flt_arg_text(struct parser *ps, const char *s, size_t len);
int flt_parse_value(struct parser *ps, struct value *v, const char *after);
int flt_value_number(struct parser *ps, struct value *v, const char *what);
int flt_value_bool(struct parser *ps, const struct value *v, int *out);
int flt_duration_parse(const char *s, size_t len, int64_t *out, int64_t *gran);
int flt_time_parse(const char *s, size_t len, int64_t now, int64_t *out, int64_t *gran);

#endif
