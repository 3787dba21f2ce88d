/* SPDX-License-Identifier: MIT */
/*
 * The plugin canvas and output markup: garbage coordinates and sizes are
 * clipped, text is sanitized, charts stay inside their rectangle, and the
 * markup of external plugins cannot smuggle escape sequences.
 */
#include "config.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <bancada/bancada.h>
#include <bancada/plughost.h>
#include "tap.h"

static char *
render(bc_canvas *c, int ansi)
{
	bc_styled s;
	if (bc_canvas_to_styled(c, &s) < 0)
		return NULL;
	char *t = bc_styled_render(&s, ansi);
	bc_styled_clear(&s);
	return t;
}

static int
has_control(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n') || *s == 0x7f)
			return 1;
	return 0;
}

TEST(text_is_clipped_and_sanitized)
{
	const struct bc_host_api *api = bc_host_api_get();
	bc_canvas *c = bc_canvas_new(3, 10);
	is_int(api->text(c, 0, 0, -1, 0, "hello world, too long"), 10, "text cut at the edge");
	is_int(api->text(c, 1, 8, -1, 0, "abc"), 2, "cut at the right edge");
	is_int(api->text(c, -1, 0, -1, 0, "x"), 0, "negative row ignored");
	is_int(api->text(c, 99, 0, -1, 0, "x"), 0, "row past the end ignored");
	is_int(api->text(c, 2, INT_MIN, -1, 0, "x"), 0, "INT_MIN column ignored");
	api->text(c, 2, 0, -1, BC_COLOR_RED, "\033[2Jz");
	char *t = render(c, 0);
	ok(t && !has_control(t), "no control byte reaches the output");
	ok(t && strstr(t, "hello worl\n"), "first row: %s", t ? t : "");
	ok(t && strstr(t, "\\x1b"), "escape shown as a visible escape");
	free(t);
	t = render(c, 1);
	ok(t && strstr(t, "\033[0;31m"), "ANSI rendering colours red text");
	free(t);
	bc_canvas_free(c);
}

TEST(garbage_sizes_are_clamped)
{
	const struct bc_host_api *api = bc_host_api_get();
	bc_canvas *c = bc_canvas_new(INT_MAX, INT_MAX);
	int rows, cols;
	api->canvas_size(c, &rows, &cols);
	ok(rows <= 2000 && cols <= 1000, "huge canvas request clamped (%dx%d)", rows, cols);
	bc_canvas_resize(c, 5, 20);
	api->fill(c, INT_MIN, INT_MIN, INT_MAX, INT_MAX, '#', 0);
	api->fill(c, 2, 2, -7, -7, 'x', 0);
	api->fill(c, 0, 0, 1, 1, 0x1b, 0);
	api->box(c, INT_MAX - 1, INT_MAX - 1, INT_MAX, INT_MAX, 0, "t");
	api->box(c, -3, -3, 100, 100, 0, "title\033");
	double v[3] = { 1, NAN, -2 };
	const char *labels[3] = { "a", "b\033", "c" };
	api->bars(c, 0, 0, INT_MAX, INT_MAX, labels, v, 3, 0);
	api->bars(c, INT_MIN, 0, 5, 5, labels, v, 3, 0);
	struct bc_pseries s = { "s", NULL, v, 3, 0 };
	api->line_chart(c, -100, -100, 1000, 1000, &s, 1, "t");
	api->scatter(c, 0, 0, 0, 0, v, v, 3, 0, "x", "y");
	struct bc_ptable tab = { 2, 1, labels, labels, NULL, (size_t)-1, LONG_MAX };
	api->table(c, 0, 0, INT_MAX, INT_MAX, &tab);
	char *t = render(c, 0);
	ok(t != NULL, "still renders after garbage calls");
	ok(t && !has_control(t), "and contains no control bytes");
	int lines = 0;
	for (const char *q = t; q && *q; q++)
		lines += *q == '\n';
	ok(lines <= 5, "nothing drawn outside the 5 rows (%d)", lines);
	free(t);
	bc_canvas_free(c);
}

TEST(braille_chart_and_table)
{
	const struct bc_host_api *api = bc_host_api_get();
	bc_canvas *c = bc_canvas_new(10, 40);
	double y[50];
	for (int i = 0; i < 50; i++)
		y[i] = sin(i / 5.0);
	struct bc_pseries s = { "sin", NULL, y, 50, BC_COLOR_CYAN };
	is_int(api->line_chart(c, 0, 0, 10, 40, &s, 1, "wave"), 0, "chart drawn");
	char *t = render(c, 0);
	ok(t && strstr(t, "wave"), "title shown");
	ok(t && strstr(t, "\xe2\xa0") , "braille cells present");
	ok(t && strstr(t, "sin"), "legend shown");
	free(t);
	bc_canvas_clear(c);
	const char *head[2] = { "name", "value" };
	const char *cells[4] = { "alpha", "1", "beta", "22" };
	unsigned char right[2] = { 0, 1 };
	struct bc_ptable tab = { 2, 2, head, cells, right, 0, 1 };
	is_int(api->table(c, 0, 0, 10, 40, &tab), 3, "header and two rows");
	t = render(c, 0);
	ok(t && strstr(t, "alpha      1"), "right-aligned column: %s", t ? t : "");
	free(t);
	bc_canvas_set_ascii(c, 1);
	bc_canvas_clear(c);
	api->line_chart(c, 0, 0, 10, 40, &s, 1, NULL);
	t = render(c, 0);
	int ascii = 1;
	for (const char *q = t; q && *q; q++)
		ascii &= (unsigned char)*q < 0x80;
	ok(t && ascii, "ASCII mode draws no UTF-8");
	free(t);
	bc_canvas_free(c);
}

TEST(markup)
{
	const char in[] = "{b}bold{/} {red}red{/} {{literal} {nope}\r\n\033]0;title\007{green}\ttab\n";
	bc_styled s;
	ok(bc_markup_parse(in, sizeof in - 1, &s) == 0, "parses");
	is_int(s.n, 2, "two lines (CR dropped)");
	char *plain = bc_styled_render(&s, 0);
	is_str(plain, "bold red {literal} {nope}\n\\x1b]0;title\\x07      tab\n", "plain text");
	char *ansi = bc_styled_render(&s, 1);
	ok(ansi && strstr(ansi, "\033[0;1mbold") && strstr(ansi, "\033[0;31mred"), "ANSI colours");
	ok(ansi && !strstr(ansi, "\033]"), "the plugin's OSC sequence is not passed through");
	free(plain);
	free(ansi);
	bc_styled_clear(&s);
}

TAP_MAIN
