/* SPDX-License-Identifier: MIT */
/*
 * The sanitizer: every untrusted string passes here before any output path
 * (CLI, stderr, TUI). Deterministic and locale-independent; widths use wcwidth.
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include "internal.h"

/* Decode one UTF-8 sequence strictly. Returns its length, or 0 if invalid. */
static size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t n;
	uint32_t v, min;
	if ((c & 0xe0) == 0xc0) {
		n = 2; v = c & 0x1f; min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3; v = c & 0x0f; min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4; v = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* Code points shown escaped even though they are valid: invisible or reordering. */
static int
is_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||         /* C1 */
		cp == 0x061c || cp == 0x180e ||
		(cp >= 0x200b && cp <= 0x200f) ||    /* zero-width, LRM/RLM */
		(cp >= 0x2028 && cp <= 0x202e) ||    /* separators, bidi embeddings/overrides */
		(cp >= 0x2060 && cp <= 0x2069) ||    /* word joiner, bidi isolates */
		cp == 0xfeff ||
		(cp >= 0xfff9 && cp <= 0xfffb) ||    /* interlinear annotations */
		(cp >= 0xe0000 && cp <= 0xe007f);    /* tag characters */
}

static void
put_escape(bc_buf *b, unsigned char c)
{
	switch (c) {
	case '\n': bc_buf_puts(b, "\\n"); break;
	case '\r': bc_buf_puts(b, "\\r"); break;
	case '\t': bc_buf_puts(b, "\\t"); break;
	default: bc_buf_printf(b, "\\x%02x", c); break;
	}
}

char *
bc_text_sanitize(const char *str, size_t len, unsigned flags)
{
	bc_buf b = BC_BUF_INIT;
	const unsigned char *s = (const unsigned char *)str;
	int ascii = flags & BC_TEXT_ASCII, multi = flags & BC_TEXT_MULTILINE;
	size_t col = 0;
	if (bc_buf_grow(&b, len + 16) < 0)
		return NULL;
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		if (c < 0x80) {
			if (c == '\n' && multi) {
				bc_buf_putc(&b, '\n');
				col = 0;
			} else if (c == '\t' && multi) {
				do {
					bc_buf_putc(&b, ' ');
					col++;
				} while (col % 8);
			} else if (c < 0x20 || c == 0x7f) {
				put_escape(&b, c);
				col += 4;
			} else {
				bc_buf_putc(&b, (char)c);
				col++;
			}
			i++;
			continue;
		}
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (!n) {
			bc_buf_puts(&b, ascii ? "?" : "\xef\xbf\xbd");
			i++;
			col++;
			continue;
		}
		if (is_hidden(cp)) {
			bc_buf_printf(&b, "\\u%04x", (unsigned)cp);
			col += 6;
		} else if (ascii) {
			bc_buf_printf(&b, cp > 0xffff ? "\\U%08x" : "\\u%04x", (unsigned)cp);
			col += 6;
		} else {
			bc_buf_put(&b, s + i, n);
			col++;
		}
		i += n;
	}
	return bc_buf_detach(&b);
}

int
bc_text_is_clean(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; i < len;) {
		if (s[i] < 0x80) {
			if (s[i] < 0x20 || s[i] == 0x7f)
				return 0;
			i++;
			continue;
		}
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (!n || is_hidden(cp))
			return 0;
		i += n;
	}
	return 1;
}

static int
cp_width(uint32_t cp)
{
	if (cp < 0x80)
		return 1;
	int w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

int
bc_text_width(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strlen(str);
	int w = 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (!n) {
			w++;
			i++;
			continue;
		}
		w += cp_width(cp);
		i += n;
	}
	return w;
}

int
bc_text_fit(const char *str, int cols, int ascii, char *buf, size_t size)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strlen(str), out = 0;
	if (size == 0)
		return 0;
	if (cols <= 0) {
		buf[0] = '\0';
		return 0;
	}
	int total = bc_text_width(str);
	const char *ell = ascii ? "~" : "\xe2\x80\xa6";
	int limit = total <= cols ? cols : cols - 1;
	int used = 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		int w = n ? cp_width(cp) : 1;
		if (!n)
			n = 1;
		if (used + w > limit || out + n + 4 >= size)
			break;
		memcpy(buf + out, s + i, n);
		out += n;
		used += w;
		i += n;
	}
	if (total > cols && out + strlen(ell) < size) {
		memcpy(buf + out, ell, strlen(ell));
		out += strlen(ell);
		used++;
	}
	buf[out] = '\0';
	return used;
}
