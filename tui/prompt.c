/* SPDX-License-Identifier: MIT */
/*
 * The bottom-line prompts: `:` commands, `/` filter and search (with the
 * error position shown inline), and the typed confirmation for destructive
 * actions, which ignores bracketed paste.
 */
#include "config.h"
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include "tui.h"

static size_t
utf8_prev(const char *s, size_t pos)
{
	if (pos == 0)
		return 0;
	pos--;
	while (pos > 0 && ((unsigned char)s[pos] & 0xc0) == 0x80)
		pos--;
	return pos;
}

static size_t
utf8_next(const char *s, size_t pos, size_t len)
{
	if (pos >= len)
		return len;
	pos++;
	while (pos < len && ((unsigned char)s[pos] & 0xc0) == 0x80)
		pos++;
	return pos;
}

static int
width_of(const char *s, size_t n)
{
	char tmp[4096];
	if (n >= sizeof tmp)
		n = sizeof tmp - 1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	char *clean = bc_text_sanitize(tmp, n, tui.ascii ? BC_TEXT_ASCII : 0);
	int w = clean ? bc_text_width(clean) : (int)n;
	free(clean);
	return w;
}

static void
draw_prompt(const char *prefix, const char *buf, size_t len, size_t cur, int errpos, const char *errmsg)
{
	int rows = display_rows(), cols = display_cols();
	if (rows < 1 || cols < 1)
		return;
	int y = rows - 1;
	int plen = (int)strlen(prefix);
	int avail = cols - plen - 1;
	if (avail < 1)
		avail = 1;
	/* scroll so that the cursor stays visible */
	size_t start = 0;
	while (width_of(buf + start, cur - start) >= avail && start < cur)
		start = utf8_next(buf, start, len);
	display_fill(y, 0, cols, COLOR_STATUS);
	display_put(y, 0, cols, prefix, COLOR_STATUS);
	char shown[4096];
	size_t n = len - start < sizeof shown - 1 ? len - start : sizeof shown - 1;
	memcpy(shown, buf + start, n);
	shown[n] = 0;
	char fitted[4096];
	display_fit(shown, avail, fitted, sizeof fitted);
	display_put(y, plen, avail, fitted, COLOR_STATUS);
	if (errpos >= 0 && (size_t)errpos >= start && (size_t)errpos <= len) {
		int x = plen + width_of(buf + start, (size_t)errpos - start);
		char ch[8] = " ";
		if ((size_t)errpos < len) {
			size_t e = utf8_next(buf, (size_t)errpos, len);
			memcpy(ch, buf + errpos, e - (size_t)errpos);
			ch[e - (size_t)errpos] = 0;
		}
		char safe[32];
		display_fit(ch, 2, safe, sizeof safe);
		if (x < cols)
			display_put(y, x, cols - x, safe, COLOR_PROMPT_ERR);
		if (rows >= 2 && errmsg) {
			char line[1024];
			int pad = x < cols - 2 ? x : 0;
			snprintf(line, sizeof line, "%*s^ %s", pad, "", errmsg);
			char fl[1100];
			display_fit(line, cols, fl, sizeof fl);
			display_fill(rows - 2, 0, cols, COLOR_ERROR);
			display_put(rows - 2, 0, cols, fl, COLOR_ERROR);
		}
	}
	int cx = plen + width_of(buf + start, cur - start);
	display_cursor(1, y, cx < cols ? cx : cols - 1);
	display_refresh();
}

/* Read a line after prefix. 1 on Enter, 0 on cancel. */
int
prompt_read(const char *prefix, const char *initial, int errpos, const char *errmsg,
	char *out, size_t size)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", initial ? initial : "");
	size_t len = strlen(buf), cur = errpos >= 0 && (size_t)errpos <= len ? (size_t)errpos : len;
	int in_paste = 0, result = 0;
	for (;;) {
		draw_prompt(prefix, buf, len, cur, errpos, errmsg);
		const char *cmd;
		int key = tui_getkey(-1, &cmd);
		if (key == KEY_NONE)
			continue;
		if (key == KEY_HANGUP) {
			tui.quit = 1;
			break;
		}
		if (key == KEY_SCRIPT_CMD && !strncmp(cmd, "save-display ", 13)) {
			display_save(cmd + 13);   /* the screen with the prompt, for tests */
			continue;
		}
		if (key == KEY_SCRIPT_CMD) {
			tui_unget_script_cmd();
			break;
		}
		if (key == KEY_PASTE_BEGIN) {
			in_paste = 1;
			continue;
		}
		if (key == KEY_PASTE_END) {
			in_paste = 0;
			continue;
		}
		if (key == KEYF(KEY_RESIZE)) {
			view_draw_all();
			continue;
		}
		errpos = -1;   /* editing clears the error mark */
		errmsg = NULL;
		if (!in_paste && (key == '\r' || key == '\n' || key == KEYF(KEY_ENTER))) {
			result = 1;
			break;
		}
		if (!in_paste && (key == 27 || key == 7 /* C-g */)) 
			break;
		if (key == KEYF(KEY_BACKSPACE) || key == 127 || key == 8) {
			if (cur > 0) {
				size_t p = utf8_prev(buf, cur);
				memmove(buf + p, buf + cur, len - cur + 1);
				len -= cur - p;
				cur = p;
			} else if (len == 0 && !in_paste)
				break;
		} else if (key == KEYF(KEY_DC) || key == 4) {
			size_t e = utf8_next(buf, cur, len);
			memmove(buf + cur, buf + e, len - e + 1);
			len -= e - cur;
		} else if (key == KEYF(KEY_LEFT) || key == 2) {
			cur = utf8_prev(buf, cur);
		} else if (key == KEYF(KEY_RIGHT) || key == 6) {
			cur = utf8_next(buf, cur, len);
		} else if (key == KEYF(KEY_HOME) || key == 1) {
			cur = 0;
		} else if (key == KEYF(KEY_END) || key == 5) {
			cur = len;
		} else if (key == 21) {   /* C-u */
			memmove(buf, buf + cur, len - cur + 1);
			len -= cur;
			cur = 0;
		} else if (key == 11) {   /* C-k */
			buf[cur] = 0;
			len = cur;
		} else if (key >= 0x20 && key < 0x110000 && key != 127) {
			char mb[8];
			mbstate_t st;
			memset(&st, 0, sizeof st);
			size_t n = wcrtomb(mb, (wchar_t)key, &st);
			if (n == (size_t)-1 || len + n >= sizeof buf)
				continue;
			memmove(buf + cur + n, buf + cur, len - cur + 1);
			memcpy(buf + cur, mb, n);
			len += n;
			cur += n;
		} else if (in_paste && (key == '\r' || key == '\n' || key == '\t')) {
			if (len + 1 < sizeof buf) {
				memmove(buf + cur + 1, buf + cur, len - cur + 1);
				buf[cur++] = ' ';
				len++;
			}
		}
	}
	display_cursor(0, 0, 0);
	snprintf(out, size, "%s", buf);
	view_redraw(view_top());
	return result;
}

/* Ask to type `word` and Enter; anything arriving inside a bracketed paste is dropped. */
int
prompt_confirm(const char *question, const char *word)
{
	char prefix[512], buf[256];
	snprintf(prefix, sizeof prefix, "%s Type %s and Enter to confirm: ", question, word);
	size_t len = 0;
	int in_paste = 0;
	buf[0] = 0;
	for (;;) {
		draw_prompt(prefix, buf, len, len, -1, NULL);
		const char *cmd;
		int key = tui_getkey(-1, &cmd);
		if (key == KEY_NONE || key == KEYF(KEY_RESIZE))
			continue;
		if (key == KEY_HANGUP) {
			tui.quit = 1;
			break;
		}
		if (key == KEY_SCRIPT_CMD) {
			tui_unget_script_cmd();
			break;
		}
		if (key == KEY_PASTE_BEGIN) {
			in_paste = 1;
			continue;
		}
		if (key == KEY_PASTE_END) {
			in_paste = 0;
			continue;
		}
		if (in_paste)
			continue;   /* pasted bytes never confirm */
		if (key == '\r' || key == '\n' || key == KEYF(KEY_ENTER)) {
			display_cursor(0, 0, 0);
			view_redraw(view_top());
			return !strcmp(buf, word);
		}
		if (key == 27 || key == 7)
			break;
		if ((key == KEYF(KEY_BACKSPACE) || key == 127 || key == 8) && len > 0)
			buf[--len] = 0;
		else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof buf) {
			buf[len++] = (char)key;
			buf[len] = 0;
		}
	}
	display_cursor(0, 0, 0);
	view_redraw(view_top());
	return 0;
}

/* The `:` prompt: read a command and run it; errors go to the status line. */
void
prompt_command(void)
{
	char line[4096], err[512];
	if (!prompt_read(":", "", -1, NULL, line, sizeof line) || !line[0])
		return;
	tui.status[0] = 0;
	if (config_run_line(line, err, sizeof err) < 0)
		tui_error("%s", err);
}
