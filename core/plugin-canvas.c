/* SPDX-License-Identifier: MIT */
/*
 * The plugin canvas: a grid of styled cells that plugins draw on through the
 * host table. Every string is sanitized and every coordinate clipped here, so
 * a plugin passing garbage sizes cannot write outside the grid.
 */
#include "config.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include "internal.h"
#include "plugin-int.h"

/* Largest canvas a plugin can get (also bounds allocations). */
#define CANVAS_MAX_ROWS 2000
#define CANVAS_MAX_COLS 1000

/* A blank canvas, size clamped to 1..2000 x 1..1000; NULL on OOM. Free with bc_canvas_free(). */
bc_canvas *
bc_canvas_new(int rows, int cols)
{
	bc_canvas *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	if (bc_canvas_resize(c, rows, cols) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

/* Free a canvas (NULL is a no-op). */
void
bc_canvas_free(bc_canvas *c)
{
	if (!c)
		return;
	free(c->cells);
	free(c);
}

/* Resize and clear (sizes clamped). -1 on OOM, the canvas unchanged. */
int
bc_canvas_resize(bc_canvas *c, int rows, int cols)
{
	if (rows < 1)
		rows = 1;
	if (cols < 1)
		cols = 1;
	if (rows > CANVAS_MAX_ROWS)
		rows = CANVAS_MAX_ROWS;
	if (cols > CANVAS_MAX_COLS)
		cols = CANVAS_MAX_COLS;
	bc_cell *cells = calloc((size_t)rows * (size_t)cols, sizeof *cells);
	if (!cells)
		return -1;
	free(c->cells);
	c->cells = cells;
	c->rows = rows;
	c->cols = cols;
	bc_canvas_clear(c);
	return 0;
}

/* Every cell a plain space. */
void
bc_canvas_clear(bc_canvas *c)
{
	for (size_t i = 0; i < (size_t)c->rows * (size_t)c->cols; i++) {
		c->cells[i].ch[0] = ' ';
		c->cells[i].ch[1] = '\0';
		c->cells[i].attr = 0;
	}
}

/* Borrowed cell at (row, col), or NULL outside the canvas. */
const bc_cell *
bc_canvas_cell(const bc_canvas *c, int row, int col)
{
	if (!c || row < 0 || col < 0 || row >= c->rows || col >= c->cols)
		return NULL;
	return &c->cells[(size_t)row * (size_t)c->cols + (size_t)col];
}

/* Draw ASCII only from now on (braille and frames fall back). */
void
bc_canvas_set_ascii(bc_canvas *c, int ascii)
{
	c->ascii = ascii;
}

static bc_cell *
cell_at(bc_canvas *c, int row, int col)
{
	if (row < 0 || col < 0 || row >= c->rows || col >= c->cols)
		return NULL;
	return &c->cells[(size_t)row * (size_t)c->cols + (size_t)col];
}

/* Encode a code point as UTF-8; returns bytes (0 for an invalid one). */
int
bc_utf8_encode(uint32_t cp, char out[5])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		out[1] = '\0';
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		out[2] = '\0';
		return 2;
	}
	if (cp < 0x10000) {
		if (cp >= 0xd800 && cp < 0xe000)
			return 0;
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		out[3] = '\0';
		return 3;
	}
	if (cp < 0x110000) {
		out[0] = (char)(0xf0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		out[4] = '\0';
		return 4;
	}
	return 0;
}

/* Decode one UTF-8 character of already-sanitized text; returns its length. */
static int
utf8_decode(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	int n = u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : u[0] >= 0xc0 ? 2 : 1;
	uint32_t v = n == 4 ? u[0] & 0x07 : n == 3 ? u[0] & 0x0f : u[0] & 0x1f;
	for (int i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return i;
		}
		v = (v << 6) | (u[i] & 0x3f);
	}
	*cp = n == 1 ? 0xfffd : v;
	return n;
}

static int
cp_width(uint32_t cp)
{
	if (cp < 0x80)
		return 1;
	if (cp >= 0x2800 && cp <= 0x28ff)
		return 1;
	int w = wcwidth((wchar_t)cp);
	return w == 2 ? 2 : 1;
}

/* Put one character (width 1 or 2) at (row, col), repairing wide neighbours. */
static int
put_cp(bc_canvas *c, int row, int col, uint32_t cp, uint32_t attr)
{
	int w = cp_width(cp);
	if (row < 0 || row >= c->rows || col < 0 || col + w > c->cols)
		return 0;
	if (c->ascii && cp >= 0x80)
		cp = (cp >= 0x2800 && cp <= 0x28ff) ? (cp == 0x2800 ? ' ' : '*') : '?';
	bc_cell *cell = cell_at(c, row, col);
	/* writing over the right half of a wide character: blank its left half */
	if (cell->ch[0] == '\0' && col > 0) {
		bc_cell *left = cell_at(c, row, col - 1);
		strcpy(left->ch, " ");
	}
	/* writing over the left half of a wide character: blank its right half */
	bc_cell *next = cell_at(c, row, col + w);
	if (next && next->ch[0] == '\0')
		strcpy(next->ch, " ");
	char buf[5];
	if (!bc_utf8_encode(cp, buf))
		strcpy(buf, "?");
	memcpy(cell->ch, buf, sizeof buf);
	cell->attr = attr;
	if (w == 2) {
		bc_cell *right = cell_at(c, row, col + 1);
		right->ch[0] = '\0';
		right->attr = attr;
	}
	return w;
}

/* Sanitized text at (row, col), clipped to maxcols and the edge; returns columns drawn. */
int
bc_canvas_text(bc_canvas *c, int row, int col, int maxcols, uint32_t attr, const char *s)
{
	if (!c || !s || row < 0 || row >= c->rows || col >= c->cols)
		return 0;
	size_t len = strnlen(s, 1 << 20);
	char *clean = bc_text_sanitize(s, len, c->ascii ? BC_TEXT_ASCII : 0);
	if (!clean)
		return 0;
	/* columns are counted in 64 bits: col may be anything */
	long long limit = maxcols < 0 || maxcols > c->cols ? c->cols : maxcols;
	long long edge = (long long)c->cols - col, at = col;
	if (edge < limit)
		limit = edge;
	int shown = 0;
	for (const char *q = clean; *q && at - col < limit;) {
		uint32_t cp;
		q += utf8_decode(q, &cp);
		int w = cp_width(cp);
		if (at - col + w > limit)
			break;
		if (at >= 0)
			shown += put_cp(c, row, (int)at, cp, attr);
		at += w;
	}
	free(clean);
	return shown;
}

static void
api_canvas_size(bc_canvas *c, int *rows, int *cols)
{
	if (rows)
		*rows = c ? c->rows : 0;
	if (cols)
		*cols = c ? c->cols : 0;
}

static void
api_clear(bc_canvas *c)
{
	if (c)
		bc_canvas_clear(c);
}

static int
api_printf(bc_canvas *c, int row, int col, uint32_t attr, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return bc_canvas_text(c, row, col, -1, attr, buf);
}

/* Fill a rectangle (clipped in 64 bits) with one printable code point. */
void
bc_canvas_fill(bc_canvas *c, int row, int col, int rows, int cols, uint32_t cp, uint32_t attr)
{
	if (!c)
		return;
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp >= 0x110000 || cp_width(cp) != 1)
		cp = ' ';
	/* clip in 64-bit so garbage sizes cannot overflow */
	long long r0 = row < 0 ? 0 : row, c0 = col < 0 ? 0 : col;
	long long r1 = (long long)row + rows, c1 = (long long)col + cols;
	if (r1 > c->rows)
		r1 = c->rows;
	if (c1 > c->cols)
		c1 = c->cols;
	for (long long r = r0; r < r1; r++)
		for (long long k = c0; k < c1; k++)
			put_cp(c, (int)r, (int)k, cp, attr);
}

static void
api_box(bc_canvas *c, int row, int col, int rows, int cols, uint32_t attr, const char *title)
{
	if (!c || rows < 2 || cols < 2)
		return;
	int a = c->ascii;
	long long bottom = (long long)row + rows - 1, right = (long long)col + cols - 1;
	if (bottom > INT_MAX || right > INT_MAX)
		return;
	bc_canvas_fill(c, row, col + 1, 1, cols - 2, a ? '-' : 0x2500, attr);
	bc_canvas_fill(c, (int)bottom, col + 1, 1, cols - 2, a ? '-' : 0x2500, attr);
	bc_canvas_fill(c, row + 1, col, rows - 2, 1, a ? '|' : 0x2502, attr);
	bc_canvas_fill(c, row + 1, (int)right, rows - 2, 1, a ? '|' : 0x2502, attr);
	put_cp(c, row, col, a ? '+' : 0x250c, attr);
	put_cp(c, row, (int)right, a ? '+' : 0x2510, attr);
	put_cp(c, (int)bottom, col, a ? '+' : 0x2514, attr);
	put_cp(c, (int)bottom, (int)right, a ? '+' : 0x2518, attr);
	if (title && *title && cols > 4) {
		int used = bc_canvas_text(c, row, col + 2, cols - 4, attr | BC_ATTR_BOLD, " ");
		used += bc_canvas_text(c, row, col + 2 + used, cols - 5 - used, attr | BC_ATTR_BOLD, title);
		bc_canvas_text(c, row, col + 2 + used, 1, attr | BC_ATTR_BOLD, " ");
	}
}

/* ---- conversion to styled lines ---- */

static int
styled_line_add(bc_styled_line *l, uint32_t attr, const char *text, size_t len)
{
	if (len == 0)
		return 0;
	if (l->n && l->spans[l->n - 1].attr == attr) {
		bc_span *sp = &l->spans[l->n - 1];
		size_t old = strlen(sp->text);
		char *t = realloc(sp->text, old + len + 1);
		if (!t)
			return -1;
		memcpy(t + old, text, len);
		t[old + len] = '\0';
		sp->text = t;
		return 0;
	}
	bc_span *v = realloc(l->spans, (l->n + 1) * sizeof *v);
	if (!v)
		return -1;
	l->spans = v;
	v[l->n].attr = attr;
	v[l->n].text = bc_strndup(text, len);
	if (!v[l->n].text)
		return -1;
	l->n++;
	return 0;
}

/* Append text to the last line (or a new line) of `s`, merging equal attributes. -1 on OOM. */
int
bc_styled_add(bc_styled *s, int new_line, uint32_t attr, const char *text, size_t len)
{
	if (new_line || s->n == 0) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 64;
			bc_styled_line *v = realloc(s->lines, cap * sizeof *v);
			if (!v)
				return -1;
			s->lines = v;
			s->cap = cap;
		}
		memset(&s->lines[s->n], 0, sizeof s->lines[s->n]);
		s->n++;
	}
	return styled_line_add(&s->lines[s->n - 1], attr, text, len);
}

/* The canvas as styled lines (blank tails trimmed); caller clears `out`. -1 on OOM. */
int
bc_canvas_to_styled(const bc_canvas *c, bc_styled *out)
{
	memset(out, 0, sizeof *out);
	int last_row = -1;
	for (int r = 0; r < c->rows; r++) {
		for (int k = 0; k < c->cols; k++) {
			const bc_cell *cell = bc_canvas_cell(c, r, k);
			if (strcmp(cell->ch, " ") || (cell->attr & (BC_ATTR_REVERSE | BC_ATTR_UNDERLINE)))
				last_row = r;
		}
	}
	for (int r = 0; r <= last_row; r++) {
		int end = c->cols;
		while (end > 0) {
			const bc_cell *cell = bc_canvas_cell(c, r, end - 1);
			if (strcmp(cell->ch, " ") || (cell->attr & (BC_ATTR_REVERSE | BC_ATTR_UNDERLINE)))
				break;
			end--;
		}
		if (bc_styled_add(out, 1, 0, "", 0) < 0)
			goto oom;
		/* one span per run of cells with the same attributes */
		bc_buf span = BC_BUF_INIT;
		for (int k = 0; k < end;) {
			uint32_t attr = bc_canvas_cell(c, r, k)->attr;
			span.len = 0;
			for (; k < end && bc_canvas_cell(c, r, k)->attr == attr; k++)
				bc_buf_puts(&span, bc_canvas_cell(c, r, k)->ch);
			if (bc_styled_add(out, 0, attr, span.data ? span.data : "", span.len) < 0) {
				bc_buf_free(&span);
				goto oom;
			}
		}
		bc_buf_free(&span);
	}
	return 0;
oom:
	bc_styled_clear(out);
	return -1;
}

/* Free the lines of `s` and zero it (NULL is a no-op). */
void
bc_styled_clear(bc_styled *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < s->lines[i].n; j++)
			free(s->lines[i].spans[j].text);
		free(s->lines[i].spans);
	}
	free(s->lines);
	memset(s, 0, sizeof *s);
}

static void
sgr(bc_buf *b, uint32_t attr)
{
	bc_buf_puts(b, "\033[0");
	if (attr & BC_ATTR_BOLD)
		bc_buf_puts(b, ";1");
	if (attr & BC_ATTR_DIM)
		bc_buf_puts(b, ";2");
	if (attr & BC_ATTR_UNDERLINE)
		bc_buf_puts(b, ";4");
	if (attr & BC_ATTR_REVERSE)
		bc_buf_puts(b, ";7");
	unsigned color = attr & BC_ATTR_COLOR_MASK;
	if (color >= 1 && color <= 7)
		bc_buf_printf(b, ";%u", 30 + color);
	bc_buf_putc(b, 'm');
}

/* Render lines as text, with SGR sequences when `ansi`; malloc'd, NULL on OOM. */
char *
bc_styled_render(const bc_styled *s, int ansi)
{
	bc_buf b = BC_BUF_INIT;
	bc_buf_puts(&b, "");
	for (size_t i = 0; i < s->n; i++) {
		const bc_styled_line *l = &s->lines[i];
		int styled = 0;
		for (size_t j = 0; j < l->n; j++) {
			if (ansi && (l->spans[j].attr || styled)) {
				sgr(&b, l->spans[j].attr);
				styled = l->spans[j].attr != 0;
			}
			bc_buf_puts(&b, l->spans[j].text);
		}
		if (styled)
			bc_buf_puts(&b, "\033[0m");
		bc_buf_putc(&b, '\n');
	}
	return bc_buf_detach(&b);
}

/* The function table handed to plugins; query members live in plugin-host.c. */
void
bc_host_api_fill_canvas(struct bc_host_api *api)
{
	api->canvas_size = api_canvas_size;
	api->clear = api_clear;
	api->text = bc_canvas_text;
	api->printf = api_printf;
	api->fill = bc_canvas_fill;
	api->box = api_box;
}

/* Columns `s` takes once sanitized. */
int
bc_canvas_measure(const bc_canvas *c, const char *s)
{
	if (!s)
		return 0;
	char *clean = bc_text_sanitize(s, strnlen(s, 1 << 20), c && c->ascii ? BC_TEXT_ASCII : 0);
	if (!clean)
		return 0;
	int w = 0;
	for (const char *q = clean; *q;) {
		uint32_t cp;
		q += utf8_decode(q, &cp);
		w += cp_width(cp);
	}
	free(clean);
	return w;
}

/* Put a code point directly (for charts); clipped. */
void
bc_canvas_put(bc_canvas *c, int row, int col, uint32_t cp, uint32_t attr)
{
	put_cp(c, row, col, cp, attr);
}
