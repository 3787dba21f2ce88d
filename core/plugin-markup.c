/* SPDX-License-Identifier: MIT */
/*
 * The markup of external plugin output (share/plugins.md): plain UTF-8 text
 * where `{red}`, `{green}`, `{yellow}`, `{blue}`, `{magenta}`, `{cyan}`,
 * `{white}` set the colour, `{b}`, `{dim}`, `{u}`, `{rev}` add a style,
 * `{/}` resets, and `{{` is a literal brace. Attributes end with the line.
 * Unknown tags stay as text. Each span is sanitized, so escape sequences
 * and other controls a plugin prints become visible escapes; tabs expand to
 * spaces and CR before LF is dropped.
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "plugin-int.h"

static const struct {
	const char *name;
	uint32_t set, mask;
} tags[] = {
	{ "red", BC_COLOR_RED, BC_ATTR_COLOR_MASK },
	{ "green", BC_COLOR_GREEN, BC_ATTR_COLOR_MASK },
	{ "yellow", BC_COLOR_YELLOW, BC_ATTR_COLOR_MASK },
	{ "blue", BC_COLOR_BLUE, BC_ATTR_COLOR_MASK },
	{ "magenta", BC_COLOR_MAGENTA, BC_ATTR_COLOR_MASK },
	{ "cyan", BC_COLOR_CYAN, BC_ATTR_COLOR_MASK },
	{ "white", BC_COLOR_WHITE, BC_ATTR_COLOR_MASK },
	{ "b", BC_ATTR_BOLD, 0 },
	{ "dim", BC_ATTR_DIM, 0 },
	{ "u", BC_ATTR_UNDERLINE, 0 },
	{ "rev", BC_ATTR_REVERSE, 0 },
	{ "/", 0, 0xffffffffu },
};

/* Flush raw text [s, s+n) as one sanitized span. */
static int
flush(bc_styled *out, uint32_t attr, const char *s, size_t n, int *col)
{
	if (!n)
		return 0;
	bc_buf raw = BC_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\t') {
			do
				bc_buf_putc(&raw, ' ');
			while (++*col % 8);
		} else {
			bc_buf_putc(&raw, s[i]);
			if (((unsigned char)s[i] & 0xc0) != 0x80)
				++*col;
		}
	}
	char *clean = bc_text_sanitize(raw.data, raw.len, 0);
	bc_buf_free(&raw);
	if (!clean)
		return -1;
	int rc = bc_styled_add(out, 0, attr, clean, strlen(clean));
	free(clean);
	return rc;
}

/* Parse marked-up plugin output into sanitized styled lines; caller clears `out`. */
int
bc_markup_parse(const char *text, size_t len, bc_styled *out)
{
	memset(out, 0, sizeof *out);
	const char *end = text + len;
	const char *line = text;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		if (le > line && le[-1] == '\r')
			le--;
		if (bc_styled_add(out, 1, 0, "", 0) < 0)
			goto oom;
		uint32_t attr = 0;
		int col = 0;
		const char *run = line;
		for (const char *q = line; q < le;) {
			if (*q != '{') {
				q++;
				continue;
			}
			if (q + 1 < le && q[1] == '{') {
				if (flush(out, attr, run, (size_t)(q + 1 - run), &col) < 0)
					goto oom;
				q += 2;
				run = q;
				continue;
			}
			const char *close = memchr(q, '}', (size_t)(le - q));
			size_t tl = close ? (size_t)(close - q - 1) : 0;
			size_t k = 0;
			for (; close && k < sizeof tags / sizeof *tags; k++)
				if (strlen(tags[k].name) == tl && !memcmp(q + 1, tags[k].name, tl))
					break;
			if (!close || k == sizeof tags / sizeof *tags) {
				q++;
				continue;
			}
			if (flush(out, attr, run, (size_t)(q - run), &col) < 0)
				goto oom;
			attr = (attr & ~tags[k].mask) | tags[k].set;
			q = close + 1;
			run = q;
		}
		if (flush(out, attr, run, (size_t)(le - run), &col) < 0)
			goto oom;
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
oom:
	bc_styled_clear(out);
	return -1;
}
