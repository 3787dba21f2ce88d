/* SPDX-License-Identifier: MIT */
/*
 * The terminal: the only newterm() user. Colours (256/16/8/monochrome,
 * NO_COLOR), UTF-8 or ASCII drawing, keys with hang-up detection, signals
 * that restore the terminal, and :save-display.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>
#include "lazy-curses.h"
#include "tui.h"

static SCREEN *screen;
static FILE *term_out, *term_in;
static struct termios saved_tio;
static int saved_tio_ok;
static int paste_enabled;
static volatile sig_atomic_t got_hangup;
static int err_streak;

struct color_def {
	short fg, bg;
	attr_t attr;       /* with colours */
	attr_t mono;       /* without */
};
static struct color_def colors[COLOR_ID_COUNT];

#define COLOR_NAME_(id, name) [COLOR_##id] = name,
static const char *const color_names[COLOR_ID_COUNT] = { COLOR_INFO(COLOR_NAME_) };
#undef COLOR_NAME_

static void
color_defaults(void)
{
	for (int i = 0; i < COLOR_ID_COUNT; i++)
		colors[i] = (struct color_def){ -1, -1, 0, 0 };
	colors[COLOR_TITLE] = (struct color_def){ COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD };
	colors[COLOR_TITLE_BLUR] = (struct color_def){ COLOR_WHITE, COLOR_BLUE, 0, A_REVERSE };
	colors[COLOR_STATUS] = (struct color_def){ -1, -1, 0, 0 };
	colors[COLOR_ERROR] = (struct color_def){ COLOR_RED, -1, A_BOLD, A_BOLD };
	colors[COLOR_HEADER] = (struct color_def){ COLOR_YELLOW, -1, A_BOLD, A_BOLD | A_UNDERLINE };
	colors[COLOR_CURSOR] = (struct color_def){ COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE };
	colors[COLOR_MARKED] = (struct color_def){ COLOR_MAGENTA, -1, A_BOLD, A_BOLD };
	colors[COLOR_SELECTED_COL] = (struct color_def){ COLOR_BLACK, COLOR_YELLOW, 0, A_REVERSE | A_UNDERLINE };
	colors[COLOR_RUNNING] = (struct color_def){ COLOR_CYAN, -1, A_BOLD, A_BOLD };
	colors[COLOR_FINISHED] = (struct color_def){ COLOR_GREEN, -1, 0, 0 };
	colors[COLOR_FAILED] = (struct color_def){ COLOR_RED, -1, 0, A_UNDERLINE };
	colors[COLOR_CRASHED] = (struct color_def){ COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE };
	colors[COLOR_INTERRUPTED] = (struct color_def){ COLOR_YELLOW, -1, 0, A_UNDERLINE };
	colors[COLOR_ID] = (struct color_def){ COLOR_MAGENTA, -1, 0, 0 };
	colors[COLOR_DATE] = (struct color_def){ COLOR_BLUE, -1, 0, 0 };
	colors[COLOR_DIM] = (struct color_def){ -1, -1, A_DIM, A_DIM };
	colors[COLOR_DIFF_ADD] = (struct color_def){ COLOR_GREEN, -1, 0, A_BOLD };
	colors[COLOR_DIFF_DEL] = (struct color_def){ COLOR_RED, -1, 0, A_DIM };
	colors[COLOR_DIFF_HUNK] = (struct color_def){ COLOR_MAGENTA, -1, 0, A_UNDERLINE };
	colors[COLOR_DIFF_HEADER] = (struct color_def){ COLOR_YELLOW, -1, A_BOLD, A_BOLD };
	colors[COLOR_SECTION] = (struct color_def){ COLOR_CYAN, -1, A_BOLD, A_BOLD | A_UNDERLINE };
	colors[COLOR_DIFFERS] = (struct color_def){ COLOR_YELLOW, -1, A_BOLD, A_BOLD };
	colors[COLOR_DELTA_UP] = (struct color_def){ COLOR_GREEN, -1, 0, 0 };
	colors[COLOR_DELTA_DOWN] = (struct color_def){ COLOR_RED, -1, 0, 0 };
	colors[COLOR_TAB] = (struct color_def){ -1, -1, 0, 0 };
	colors[COLOR_TAB_ACTIVE] = (struct color_def){ COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD };
	colors[COLOR_KEY] = (struct color_def){ COLOR_CYAN, -1, A_BOLD, A_BOLD };
	colors[COLOR_AXIS] = (struct color_def){ -1, -1, A_DIM, 0 };
	colors[COLOR_SEARCH] = (struct color_def){ COLOR_BLACK, COLOR_YELLOW, 0, A_REVERSE };
	colors[COLOR_PROMPT_ERR] = (struct color_def){ COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD };
	/* Okabe-Ito in 256 colours, basic colours otherwise (fixed up in apply) */
	static const short okabe[PLOT_COLORS] = { 214, 117, 36, 227, 32, 166, 175, 250 };
	static const short basic[PLOT_COLORS] = { COLOR_YELLOW, COLOR_CYAN, COLOR_GREEN, COLOR_MAGENTA,
		COLOR_BLUE, COLOR_RED, COLOR_WHITE, COLOR_YELLOW };
	for (int i = 0; i < PLOT_COLORS; i++) {
		colors[COLOR_PLOT1 + i].fg = tui.colors >= 256 ? okabe[i] : basic[i];
		colors[COLOR_PLOT1 + i].attr = (tui.colors < 256 && i == 7) ? A_BOLD : 0;
		colors[COLOR_PLOT1 + i].mono = i % 2 ? A_BOLD : 0;
	}
}

static void
color_apply(int slot)
{
	if (!tui.colors)
		return;
	short fg = colors[slot].fg, bg = colors[slot].bg;
	if (fg >= COLORS)
		fg = (short)(fg % 8);
	if (bg >= COLORS)
		bg = (short)(bg % 8);
	init_pair((short)(slot + 1), fg, bg);
}

static attr_t
color_attr(enum color_id c)
{
	if ((int)c < 0 || c >= COLOR_ID_COUNT)
		c = COLOR_DEFAULT;
	if (!tui.colors)
		return colors[c].mono;
	return COLOR_PAIR(c + 1) | colors[c].attr;
}

/* Async-signal-safe terminal restore for fatal signals. */
static void
fatal_signal(int sig)
{
	static const char reset[] = "\033[?2004l\033[0m\033[?25h\033[?1049l\r\n";
	if (saved_tio_ok)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	if (!tui.no_display) {
		ssize_t w = write(STDOUT_FILENO, reset, sizeof reset - 1);
		(void)w;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
hangup_signal(int sig)
{
	(void)sig;
	got_hangup = 1;
}

static void
install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = hangup_signal;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = fatal_signal;
	sa.sa_flags = SA_RESETHAND;
	int fatal[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGQUIT };
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		sigaction(fatal[i], &sa, NULL);
}

static int
term_supports_paste(void)
{
	const char *t = getenv("TERM");
	if (!t)
		return 0;
	return !strncmp(t, "xterm", 5) || !strncmp(t, "screen", 6) || !strncmp(t, "tmux", 4) ||
		!strncmp(t, "rxvt", 4) || strstr(t, "kitty") || strstr(t, "alacritty") ||
		!strncmp(t, "foot", 4) || !strncmp(t, "wezterm", 7);
}

/* Set up the terminal; -1 when it cannot be used (caller falls back to `ls`). */
int
display_init(void)
{
	if (tui.no_display) {
		term_out = fopen("/dev/null", "w+");
		term_in = term_out;
		if (!term_out)
			return -1;
		screen = newterm(getenv("TERM") ? NULL : "dumb", term_out, term_in);
	} else {
		if (tcgetattr(STDIN_FILENO, &saved_tio) == 0)
			saved_tio_ok = 1;
		/* the terminal's real size wins over exported LINES/COLUMNS, so resizes work */
		unsetenv("LINES");
		unsetenv("COLUMNS");
		screen = newterm(NULL, stdout, stdin);
	}
	if (!screen) {
		if (term_out)
			fclose(term_out);
		term_out = NULL;
		return -1;
	}
	set_term(screen);
	const char *lg = tui.opt.line_graphics_s;
	if (lg && !strcmp(lg, "ascii"))
		tui.ascii = 1;
	else if (lg && !strcmp(lg, "utf-8"))
		tui.ascii = 0;
	tui.colors = 0;
	if (!getenv("NO_COLOR") && has_colors() && !tui.no_display) {
		start_color();
		use_default_colors();
		tui.colors = COLORS >= 256 ? 256 : COLORS >= 16 ? 16 : 8;
	}
	color_defaults();
	for (int i = 0; i < COLOR_ID_COUNT; i++)
		color_apply(i);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (!tui.no_display && term_supports_paste()) {
		define_key("\033[200~", KEY_MAX + 1);
		define_key("\033[201~", KEY_MAX + 2);
		fputs("\033[?2004h", stdout);
		fflush(stdout);
		paste_enabled = 1;
	}
	install_signals();
	return 0;
}

/* Leave the terminal as we found it. Safe to call twice. */
void
display_done(void)
{
	if (!screen)
		return;
	if (paste_enabled) {
		fputs("\033[?2004l", stdout);
		fflush(stdout);
	}
	endwin();
	delscreen(screen);
	screen = NULL;
	if (term_out)
		fclose(term_out);
	term_out = NULL;
}

int
display_rows(void)
{
	return LINES;
}

int
display_cols(void)
{
	return COLS;
}

static int
translate(int rc, wint_t wc)
{
	if (rc == KEY_CODE_YES) {
		if ((int)wc == KEY_MAX + 1)
			return KEY_PASTE_BEGIN;
		if ((int)wc == KEY_MAX + 2)
			return KEY_PASTE_END;
		return KEYF((int)wc);
	}
	return (int)wc;
}

/* Next key within timeout_ms; KEY_NONE on timeout, KEY_HANGUP on EOF/EIO/SIGHUP. */
int
display_getkey(int timeout_ms)
{
	wint_t wc;
	int rc;
	if (got_hangup)
		return KEY_HANGUP;
	if (tui.no_display)
		return KEY_HANGUP;  /* no script left: nothing more will come */
	rc = wget_wch(stdscr, &wc);
	if (rc != ERR)
		return translate(rc, wc);
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	int n = poll(&pfd, 1, timeout_ms);
	if (got_hangup)
		return KEY_HANGUP;
	if (n < 0)
		return errno == EINTR ? (rc = wget_wch(stdscr, &wc)) != ERR ? translate(rc, wc) : KEY_NONE : KEY_HANGUP;
	if (n == 0)
		return KEY_NONE;
	if (pfd.revents & (POLLERR | POLLNVAL))
		return KEY_HANGUP;
	rc = wget_wch(stdscr, &wc);
	if (rc != ERR) {
		err_streak = 0;
		return translate(rc, wc);
	}
	/* readable (or hung up) but nothing read: EOF or EIO */
	if ((pfd.revents & POLLHUP) || ++err_streak >= 3)
		return KEY_HANGUP;
	return KEY_NONE;
}

void
display_put(int y, int x, int cols, const char *safe, enum color_id c)
{
	if (y < 0 || y >= LINES || x >= COLS || cols <= 0)
		return;
	if (x + cols > COLS)
		cols = COLS - x;
	attr_t a = color_attr(c);
	attron(a);
	char buf[4096];
	int used = bc_text_fit(safe, cols, tui.ascii, buf, sizeof buf);
	mvaddstr(y, x, buf);
	attroff(a);
	(void)used;
}

void
display_fill(int y, int x, int cols, enum color_id c)
{
	if (y < 0 || y >= LINES || x >= COLS || cols <= 0)
		return;
	if (x + cols > COLS)
		cols = COLS - x;
	attr_t a = color_attr(c);
	attron(a);
	mvhline(y, x, ' ', cols);
	attroff(a);
}

void
display_refresh(void)
{
	if (screen)
		refresh();
}

void
display_clear(void)
{
	erase();
}

void
display_cursor(int visible, int y, int x)
{
	curs_set(visible);
	if (visible)
		move(y, x);
}

int
display_fit(const char *text, int cols, char *buf, size_t size)
{
	char *clean = bc_text_sanitize(text ? text : "", text ? strlen(text) : 0,
		tui.ascii ? BC_TEXT_ASCII : 0);
	if (!clean) {
		buf[0] = 0;
		return 0;
	}
	int used = bc_text_fit(clean, cols, tui.ascii, buf, size);
	free(clean);
	return used;
}

/* Write the screen as text (trailing blanks trimmed) for screen tests. */
int
display_save(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	wchar_t wbuf[1024];
	char mb[4096];
	for (int y = 0; y < LINES; y++) {
		int n = mvinnwstr(y, 0, wbuf, COLS < 1023 ? COLS : 1023);
		if (n < 0)
			n = 0;
		wbuf[n] = 0;
		size_t len = wcstombs(mb, wbuf, sizeof mb - 1);
		if (len == (size_t)-1)
			len = 0;
		mb[len] = 0;
		while (len > 0 && mb[len - 1] == ' ')
			mb[--len] = 0;
		fprintf(f, "%s\n", mb);
	}
	return fclose(f);
}

static int
parse_color(const char *s, short *out)
{
	static const char *const names[] = { "black", "red", "green", "yellow", "blue",
		"magenta", "cyan", "white" };
	if (!strcmp(s, "default")) {
		*out = -1;
		return 0;
	}
	for (short i = 0; i < 8; i++) {
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
		if (!strncmp(s, "bright-", 7) && !strcmp(s + 7, names[i])) {
			*out = (short)(i + 8);
			return 0;
		}
	}
	const char *num = !strncmp(s, "color", 5) ? s + 5 : s;
	char *end;
	long v = strtol(num, &end, 10);
	if (*num && !*end && v >= 0 && v < 256) {
		*out = (short)v;
		return 0;
	}
	return -1;
}

/* `color SLOT FG BG [ATTR...]`. */
int
display_set_color(const char *slot, const char *fg, const char *bg, char **attrs, int nattrs,
	char *err, size_t errsize)
{
	int id = -1;
	for (int i = 0; i < COLOR_ID_COUNT; i++)
		if (!strcmp(color_names[i], slot))
			id = i;
	if (id < 0) {
		snprintf(err, errsize, "unknown colour slot '%s'", slot);
		return -1;
	}
	short f, b;
	if (parse_color(fg, &f) < 0 || parse_color(bg, &b) < 0) {
		snprintf(err, errsize, "unknown colour '%s': use a name, default or 0-255",
			parse_color(fg, &f) < 0 ? fg : bg);
		return -1;
	}
	attr_t a = 0;
	for (int i = 0; i < nattrs; i++) {
		if (!strcmp(attrs[i], "bold"))
			a |= A_BOLD;
		else if (!strcmp(attrs[i], "reverse"))
			a |= A_REVERSE;
		else if (!strcmp(attrs[i], "underline"))
			a |= A_UNDERLINE;
		else if (!strcmp(attrs[i], "dim"))
			a |= A_DIM;
		else if (!strcmp(attrs[i], "normal"))
			;
		else {
			snprintf(err, errsize, "unknown attribute '%s'", attrs[i]);
			return -1;
		}
	}
	colors[id].fg = f;
	colors[id].bg = b;
	colors[id].attr = a;
	if (screen)
		color_apply(id);
	return 0;
}

/* ---- body drawing helpers (view.h) ---- */

static int
body_clip(struct view *v, int y, int x, int *cols)
{
	if (y < 0 || y >= v->height || x < 0 || x >= v->width)
		return -1;
	if (*cols > v->width - x)
		*cols = v->width - x;
	return *cols > 0 ? 0 : -1;
}

int
view_draw_text(struct view *v, int y, int x, int cols, const char *text, enum color_id c)
{
	if (body_clip(v, y, x, &cols) < 0)
		return 0;
	char buf[4096];
	int used = display_fit(text, cols, buf, sizeof buf);
	attr_t a = color_attr(c);
	attron(a);
	mvaddstr(y + 1, x, buf);
	attroff(a);
	return used;
}

int
view_draw_text_right(struct view *v, int y, int x, int cols, const char *text, enum color_id c)
{
	if (body_clip(v, y, x, &cols) < 0)
		return 0;
	char buf[4096];
	int used = display_fit(text, cols, buf, sizeof buf);
	attr_t a = color_attr(c);
	attron(a);
	mvaddstr(y + 1, x + cols - used, buf);
	attroff(a);
	return cols;
}

void
view_draw_fill(struct view *v, int y, int x, int cols, enum color_id c)
{
	if (body_clip(v, y, x, &cols) < 0)
		return;
	display_fill(y + 1, x, cols, c);
}

void
view_draw_char(struct view *v, int y, int x, uint32_t cp, char ascii, enum color_id c)
{
	int one = 1;
	if (body_clip(v, y, x, &one) < 0)
		return;
	attr_t a = color_attr(c);
	if (tui.ascii || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || wcwidth((wchar_t)cp) != 1) {
		mvaddch(y + 1, x, (chtype)(unsigned char)ascii | a);
		return;
	}
	wchar_t w[2] = { (wchar_t)cp, 0 };
	cchar_t cc;
	setcchar(&cc, w, a, 0, NULL);
	mvadd_wch(y + 1, x, &cc);
}

void
view_draw_cursor_row(struct view *v, int y)
{
	if (y < 0 || y >= v->height)
		return;
	mvchgat(y + 1, 0, v->width, tui.colors ? colors[COLOR_CURSOR].attr : A_REVERSE,
		tui.colors ? COLOR_CURSOR + 1 : 0, NULL);
}

void
view_draw_canvas(struct view *v, const struct view_cell *cells, int w, int h)
{
	for (int y = 0; y < h && y < v->height; y++)
		for (int x = 0; x < w && x < v->width; x++) {
			const struct view_cell *c = &cells[y * w + x];
			uint32_t cp = c->cp ? c->cp : ' ';
			char ascii = cp < 0x7f && cp >= 0x20 ? (char)cp : '?';
			view_draw_char(v, y, x, cp, ascii, c->color < COLOR_ID_COUNT ? c->color : COLOR_DEFAULT);
			if (c->bold)
				mvchgat(y + 1, x, 1, A_BOLD | (tui.colors ? colors[c->color].attr : 0),
					tui.colors && c->color < COLOR_ID_COUNT ? (short)(c->color + 1) : 0, NULL);
		}
}
