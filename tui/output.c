/* SPDX-License-Identifier: MIT */
/* CLI output: sanitized text, colours, time formats and fitted tables. */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"

void
out_textn(FILE *f, const char *s, size_t len, int multiline)
{
	char *clean = bc_text_sanitize(s, len, multiline ? BC_TEXT_MULTILINE : 0);
	if (clean) {
		fputs(clean, f);
		free(clean);
	}
}

void
out_text(FILE *f, const char *s, int multiline)
{
	if (s)
		out_textn(f, s, strlen(s), multiline);
}

int
cmd_error(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fputs("bancada: ", stderr);
	out_text(stderr, msg, 0);
	fputc('\n', stderr);
	return EXIT_ERR;
}

int
cmd_project_error(bc_project *p)
{
	return cmd_error("%s", bc_errmsg(p));
}

int
cmd_usage(const struct bc_cmd *cmd, const char *why)
{
	if (why)
		cmd_error("%s: %s", cmd->name, why);
	fprintf(stderr, "usage: bancada %s %s\n", cmd->name, cmd->usage);
	return EXIT_USAGE;
}

void
out_color(const struct bc_cmd_ctx *ctx, FILE *f, enum out_color c)
{
	static const char *const seq[] = {
		[C_RESET] = "\033[0m", [C_BOLD] = "\033[1m", [C_DIM] = "\033[2m",
		[C_RED] = "\033[31m", [C_GREEN] = "\033[32m", [C_YELLOW] = "\033[33m",
		[C_BLUE] = "\033[34m", [C_MAGENTA] = "\033[35m", [C_CYAN] = "\033[36m",
	};
	if (ctx && ctx->color)
		fputs(seq[c], f);
}

void
out_label(const struct bc_cmd_ctx *ctx, FILE *f, int width, const char *name)
{
	out_color(ctx, f, C_BOLD);
	fprintf(f, "%-*s", width, name);
	out_color(ctx, f, C_RESET);
}

void
out_field(const struct bc_cmd_ctx *ctx, FILE *f, int width, const char *name, const char *value)
{
	out_label(ctx, f, width, name);
	out_text(f, value ? value : "-", 0);
	fputc('\n', f);
}

int
out_width(const struct bc_cmd_ctx *ctx)
{
	const char *cols = getenv("COLUMNS");
	if (cols && atoi(cols) > 0)
		return atoi(cols);
	if (!ctx || !ctx->stdout_tty)
		return 0;
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

void
fmt_time(int64_t ms, char *buf, size_t size)
{
	if (ms <= 0) {
		snprintf(buf, size, "-");
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

void
fmt_duration(int64_t ms, char *buf, size_t size)
{
	if (ms < 0) {
		snprintf(buf, size, "-");
		return;
	}
	int64_t s = ms / 1000;
	if (ms < 60000)
		snprintf(buf, size, "%.1fs", (double)ms / 1000.0);
	else if (s < 3600)
		snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)(s % 60));
	else if (s < 86400)
		snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)(s / 60 % 60));
	else
		snprintf(buf, size, "%dd%02dh", (int)(s / 86400), (int)(s / 3600 % 24));
}

void
fmt_num(double v, char *buf, size_t size)
{
	if (isnan(v))
		snprintf(buf, size, "nan");
	else if (isinf(v))
		snprintf(buf, size, v > 0 ? "inf" : "-inf");
	else
		snprintf(buf, size, "%.6g", v);
}

/* ---- tables ---- */

struct out_table {
	int ncols;
	char **head;
	int *right;
	char ***rows;     /* rows[r][c], sanitized */
	size_t nrows, cap;
	int cur_started;
};

struct out_table *
table_new(int ncols)
{
	struct out_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->ncols = ncols;
	t->head = calloc((size_t)ncols, sizeof(char *));
	t->right = calloc((size_t)ncols, sizeof(int));
	return t;
}

void
table_set_header(struct out_table *t, int col, const char *name, int right_align)
{
	free(t->head[col]);
	t->head[col] = bc_text_sanitize(name, strlen(name), 0);
	t->right[col] = right_align;
}

static char **
cur_row(struct out_table *t)
{
	if (!t->cur_started) {
		if (t->nrows == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 64;
			t->rows = realloc(t->rows, t->cap * sizeof(char **));
		}
		t->rows[t->nrows++] = calloc((size_t)t->ncols, sizeof(char *));
		t->cur_started = 1;
	}
	return t->rows[t->nrows - 1];
}

void
table_add(struct out_table *t, int col, const char *cell)
{
	char **row = cur_row(t);
	free(row[col]);
	row[col] = bc_text_sanitize(cell ? cell : "", cell ? strlen(cell) : 0, 0);
}

void
table_next_row(struct out_table *t)
{
	cur_row(t);
	t->cur_started = 0;
}

static void
pad(FILE *f, int n)
{
	while (n-- > 0)
		fputc(' ', f);
}

void
table_print(struct out_table *t, const struct bc_cmd_ctx *ctx, FILE *f, int width)
{
	if (t->cur_started)
		table_next_row(t);
	int *w = calloc((size_t)t->ncols, sizeof(int));
	for (int c = 0; c < t->ncols; c++) {
		w[c] = t->head[c] ? bc_text_width(t->head[c]) : 0;
		for (size_t r = 0; r < t->nrows; r++) {
			int cw = t->rows[r][c] ? bc_text_width(t->rows[r][c]) : 0;
			if (cw > w[c])
				w[c] = cw;
		}
		if (w[c] > 40)
			w[c] = 40;  /* long values are cut with an ellipsis */
	}
	/* drop columns from the right until the table fits */
	int shown = t->ncols, total = 0;
	for (int c = 0; c < t->ncols; c++)
		total += w[c] + (c ? 2 : 0);
	while (width > 0 && shown > 1 && total > width) {
		shown--;
		total -= w[shown] + 2;
	}
	char cell[512];
	for (int r = -1; r < (int)t->nrows; r++) {
		char **row = r < 0 ? t->head : t->rows[r];
		if (r < 0)
			out_color(ctx, f, C_BOLD);
		for (int c = 0; c < shown; c++) {
			int used = bc_text_fit(row[c] ? row[c] : "", w[c], ctx ? ctx->ascii : 0, cell, sizeof cell);
			int last = c == shown - 1;
			if (c)
				fputs("  ", f);
			if (t->right[c])
				pad(f, w[c] - used);
			fputs(cell, f);
			if (!t->right[c] && !last)
				pad(f, w[c] - used);
		}
		if (r < 0)
			out_color(ctx, f, C_RESET);
		fputc('\n', f);
	}
	free(w);
}

static void
csv_cell(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void
table_print_csv(struct out_table *t, FILE *f)
{
	if (t->cur_started)
		table_next_row(t);
	for (int r = -1; r < (int)t->nrows; r++) {
		char **row = r < 0 ? t->head : t->rows[r];
		for (int c = 0; c < t->ncols; c++) {
			if (c)
				fputc(',', f);
			csv_cell(f, row[c] ? row[c] : "");
		}
		fputc('\n', f);
	}
}

void
table_free(struct out_table *t)
{
	if (!t)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++)
			free(t->rows[r][c]);
		free(t->rows[r]);
	}
	for (int c = 0; c < t->ncols; c++)
		free(t->head[c]);
	free(t->rows);
	free(t->head);
	free(t->right);
	free(t);
}
