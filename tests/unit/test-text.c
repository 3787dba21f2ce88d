/* SPDX-License-Identifier: MIT */
/* The sanitizer: no control byte from data survives, widths and fitting. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <bancada/bancada.h>
#include "tap.h"

static int
has_raw_control(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 1;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return 1;   /* C1 as UTF-8 */
		if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] >= 0xaa && p[2] <= 0xae))
			return 1;   /* bidi embeddings/overrides */
	}
	return 0;
}

static char *
san(const char *s)
{
	return bc_text_sanitize(s, strlen(s), 0);
}

TEST(controls_escaped)
{
	static const char *const hostile[] = {
		"\033[2J\033[H", "\033]0;pwned\007", "\033]8;;http://x\033\\link\033]8;;\033\\",
		"\033]52;c;ZXZpbA==\007", "\033P+q\033\\", "good\rEVIL", "ab\bX", "tab\there",
		"\xc2\x9b" "31m", "\xc2\x9d" "0;t\x07", "gpt\xe2\x80\xae" "txt.exe", "zero\xe2\x80\x8bwidth",
		"\x7f", "a\nb", "\033c", "\033[6n",
	};
	for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
		char *o = san(hostile[i]);
		ok(o && !has_raw_control(o), "hostile string %zu is escaped (%s)", i, o ? o : "NULL");
		free(o);
	}
	char *o = san("\033[31mred");
	is_str(o, "\\x1b[31mred", "ESC shown as \\x1b");
	free(o);
	o = san("good\rEVIL");
	is_str(o, "good\\rEVIL", "CR shown as \\r");
	free(o);
	o = san("gpt\xe2\x80\xaetxt");
	is_str(o, "gpt\\u202etxt", "bidi override shown as \\u202e");
	free(o);
}

TEST(invalid_utf8)
{
	char *o = san("ok\xff\xfe!");
	is_str(o, "ok\xef\xbf\xbd\xef\xbf\xbd!", "invalid bytes become U+FFFD");
	free(o);
	o = san("\xc0\xaf");
	is_str(o, "\xef\xbf\xbd\xef\xbf\xbd", "overlong encoding rejected");
	free(o);
	o = san("\xed\xa0\x80");
	ok(o && !strstr(o, "\xed\xa0\x80"), "surrogate rejected");
	free(o);
	o = san("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac");
	is_str(o, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "valid UTF-8 kept");
	free(o);
	o = bc_text_sanitize("caf\xc3\xa9", 5, BC_TEXT_ASCII);
	is_str(o, "caf\\u00e9", "ASCII mode escapes non-ASCII");
	free(o);
}

TEST(multiline)
{
	char *o = bc_text_sanitize("a\tb\nc\r\n", 7, BC_TEXT_MULTILINE);
	is_str(o, "a       b\nc\\r\n", "multiline keeps LF, expands TAB, escapes CR");
	free(o);
	const char nul[] = "a\0b";
	o = bc_text_sanitize(nul, 3, 0);
	is_str(o, "a\\x00b", "NUL inside data is escaped, not a terminator");
	free(o);
}

TEST(width_and_fit)
{
	setlocale(LC_ALL, "C.UTF-8");
	is_int(bc_text_width("abc"), 3, "ASCII width");
	is_int(bc_text_width("\xe6\x97\xa5\xe6\x9c\xac"), 4, "CJK is two columns each");
	is_int(bc_text_width("e\xcc\x81"), 1, "combining accent has no width");
	char buf[64];
	int w = bc_text_fit("abcdefgh", 5, 0, buf, sizeof buf);
	is_str(buf, "abcd\xe2\x80\xa6", "cut with an ellipsis");
	is_int(w, 5, "fits 5 columns");
	w = bc_text_fit("\xe6\x97\xa5\xe6\x9c\xac\xe6\x97\xa5", 4, 0, buf, sizeof buf);
	ok(w <= 4 && bc_text_width(buf) <= 4, "wide characters never split (%s, %d)", buf, w);
	bc_text_fit("abcdefgh", 5, 1, buf, sizeof buf);
	is_str(buf, "abcd~", "ASCII ellipsis");
	bc_text_fit("abc", 5, 0, buf, sizeof buf);
	is_str(buf, "abc", "short text unchanged");
}

TAP_MAIN
