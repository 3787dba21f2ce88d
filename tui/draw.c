/* SPDX-License-Identifier: MIT */
/* Line buffers for pager-like views: sanitized once, coloured per line. */
#include "config.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

/* Append one untrusted line (sanitized, tabs expanded). */
void
tlines_add(struct tlines *t, enum color_id c, int flag, const char *untrusted, size_t len)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct tline *nv = realloc(t->v, cap * sizeof *nv);
		if (!nv)
			return;
		t->v = nv;
		t->cap = cap;
	}
	if (len > 8192)
		len = 8192;   /* a 100 MB line is shown cut, not drawn */
	char *clean = bc_text_sanitize(untrusted, len,
		BC_TEXT_MULTILINE | (tui.ascii ? BC_TEXT_ASCII : 0));
	if (!clean)
		return;
	/* MULTILINE kept no LF here (lines are split by callers) */
	for (char *p = clean; *p; p++)
		if (*p == '\n')
			*p = ' ';
	t->v[t->n].text = clean;
	t->v[t->n].color = (uint8_t)c;
	t->v[t->n].flag = (uint8_t)flag;
	t->n++;
}

void
tlines_addf(struct tlines *t, enum color_id c, int flag, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	tlines_add(t, c, flag, buf, strlen(buf));
}

void
tlines_clear(struct tlines *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	memset(t, 0, sizeof *t);
}

/* Add a unified diff, coloured; file headers get flag 1 (for ] and [). */
void
tlines_add_patch(struct tlines *t, const char *patch, size_t len)
{
	const char *s = patch, *end = patch + len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t l = nl ? (size_t)(nl - s) : (size_t)(end - s);
		enum color_id c = COLOR_DEFAULT;
		int flag = 0;
		if (l >= 4 && !strncmp(s, "diff", 4)) {
			c = COLOR_DIFF_HEADER;
			flag = 1;
		} else if (l >= 3 && (!strncmp(s, "+++", 3) || !strncmp(s, "---", 3)))
			c = COLOR_DIFF_HEADER;
		else if (l >= 2 && !strncmp(s, "@@", 2))
			c = COLOR_DIFF_HUNK;
		else if (l && *s == '+')
			c = COLOR_DIFF_ADD;
		else if (l && *s == '-')
			c = COLOR_DIFF_DEL;
		else if (l >= 5 && (!strncmp(s, "index", 5) || !strncmp(s, "new f", 5) || !strncmp(s, "delet", 5)))
			c = COLOR_DIM;
		tlines_add(t, c, flag, s, l);
		s += l + 1;
	}
}

/* Draw line `lineno` at body row y with horizontal scroll. */
void
tlines_draw(struct view *v, const struct tlines *t, long lineno, int y, int selected)
{
	if (lineno < 0 || (size_t)lineno >= t->n)
		return;
	const struct tline *l = &t->v[lineno];
	const char *text = l->text;
	/* horizontal scroll by columns (text is sanitized: skip whole characters) */
	int skip = v->hscroll;
	while (skip > 0 && *text) {
		unsigned char ch = (unsigned char)*text;
		int n = ch < 0x80 ? 1 : ch < 0xe0 ? 2 : ch < 0xf0 ? 3 : 4;
		char tmp[8] = { 0 };
		memcpy(tmp, text, (size_t)n);
		skip -= bc_text_width(tmp) > 0 ? bc_text_width(tmp) : 1;
		text += n;
	}
	if (selected)
		view_draw_fill(v, y, 0, v->width, COLOR_CURSOR);
	view_draw_text(v, y, 0, v->width, text, selected ? COLOR_CURSOR : (enum color_id)l->color);
	if (v->search[0] && strcasestr(l->text, v->search) && !selected) {
		/* mark matches in the gutter-free way: colour the whole match */
		const char *m = strcasestr(text, v->search);
		if (m) {
			char pre[8192];
			size_t pl = (size_t)(m - text) < sizeof pre - 1 ? (size_t)(m - text) : sizeof pre - 1;
			memcpy(pre, text, pl);
			pre[pl] = 0;
			int x = bc_text_width(pre);
			char mt[256];
			size_t ml = strlen(v->search) < sizeof mt - 1 ? strlen(v->search) : sizeof mt - 1;
			memcpy(mt, m, ml);
			mt[ml] = 0;
			if (x < v->width)
				view_draw_text(v, y, x, v->width - x, mt, COLOR_SEARCH);
		}
	}
}
