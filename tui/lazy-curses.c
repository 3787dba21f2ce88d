/* SPDX-License-Identifier: MIT */
/*
 * ncurses, loaded when the workbench opens (see core/lazy.h): `bancada run`,
 * `ls` and every other command never map it and libtinfo. All curses calls
 * are in display.c; each function it calls has one thunk here, and a new
 * call needs one line, or the link fails with "undefined reference". Its
 * variables (stdscr, COLORS) are read through the loaded library by
 * lazy-curses.h. When ncurses cannot be loaded, newterm returns NULL and
 * display_curses_error() says why.
 */
#include "config.h"
#include "lazy-curses.h"
#include "lazy.h"
#include "tui.h"

static struct bc_lazy_lib bc_lazy_curses = { CURSES_SONAME, "ncurses",
	"ncurses (apt-get install libncursesw6)", NULL, NULL, 0, "" };

#define FN(ret, name, params, args, fail) BC_LAZY_FN(bc_lazy_curses, ret, name, params, args, fail)
#define VOID_FN(name, params, args) BC_LAZY_VOID(bc_lazy_curses, name, params, args)

FN(SCREEN *, newterm, (const char *a0, FILE *a1, FILE *a2), (a0, a1, a2), NULL)
FN(SCREEN *, set_term, (SCREEN *a0), (a0), NULL)
VOID_FN(delscreen, (SCREEN *a0), (a0))
FN(int, endwin, (void), (), ERR)
FN(int, cbreak, (void), (), ERR)
FN(int, noecho, (void), (), ERR)
FN(int, nonl, (void), (), ERR)
FN(int, curs_set, (int a0), (a0), ERR)
FN(int, keypad, (WINDOW *a0, bool a1), (a0, a1), ERR)
FN(int, nodelay, (WINDOW *a0, bool a1), (a0, a1), ERR)
FN(int, set_escdelay, (int a0), (a0), ERR)
FN(int, define_key, (const char *a0, int a1), (a0, a1), ERR)
FN(bool, has_colors, (void), (), FALSE)
FN(int, start_color, (void), (), ERR)
FN(int, use_default_colors, (void), (), ERR)
FN(int, init_pair, (short a0, short a1, short a2), (a0, a1, a2), ERR)
FN(int, setcchar, (cchar_t *a0, const wchar_t *a1, const attr_t a2, NCURSES_PAIRS_T a3, const void *a4),
	(a0, a1, a2, a3, a4), ERR)
FN(int, wadd_wch, (WINDOW *a0, const cchar_t *a1), (a0, a1), ERR)
FN(int, waddch, (WINDOW *a0, const chtype a1), (a0, a1), ERR)
FN(int, waddnstr, (WINDOW *a0, const char *a1, int a2), (a0, a1, a2), ERR)
FN(int, wattr_on, (WINDOW *a0, attr_t a1, void *a2), (a0, a1, a2), ERR)
FN(int, wattr_off, (WINDOW *a0, attr_t a1, void *a2), (a0, a1, a2), ERR)
FN(int, wchgat, (WINDOW *a0, int a1, attr_t a2, NCURSES_PAIRS_T a3, const void *a4),
	(a0, a1, a2, a3, a4), ERR)
FN(int, werase, (WINDOW *a0), (a0), ERR)
FN(int, wget_wch, (WINDOW *a0, wint_t *a1), (a0, a1), ERR)
FN(int, whline, (WINDOW *a0, chtype a1, int a2), (a0, a1, a2), ERR)
FN(int, winnwstr, (WINDOW *a0, wchar_t *a1, int a2), (a0, a1, a2), ERR)
FN(int, wmove, (WINDOW *a0, int a1, int a2), (a0, a1, a2), ERR)
FN(int, wrefresh, (WINDOW *a0), (a0), ERR)

/* The library's variable `name`, or NULL when it cannot be loaded. */
static void *
curses_var(void **cache, const char *name)
{
	void *v = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
	if (!v && (v = bc_lazy_sym(&bc_lazy_curses, name)))
		__atomic_store_n(cache, v, __ATOMIC_RELEASE);
	return v;
}

WINDOW *
display_stdscr(void)
{
	static void *addr;
	WINDOW **w = curses_var(&addr, "stdscr");
	return w ? *w : NULL;
}

int
display_colors(void)
{
	static void *addr;
	int *n = curses_var(&addr, "COLORS");
	return n ? *n : 0;
}

const char *
display_curses_error(void)
{
	return __atomic_load_n(&bc_lazy_curses.failed, __ATOMIC_ACQUIRE) ? bc_lazy_curses.err : NULL;
}
