/* SPDX-License-Identifier: MIT */
/*
 * curses.h for display.c, with ncurses loaded on first use (lazy-curses.c).
 * The program does not link ncurses, so it cannot refer to the library's
 * variables: stdscr, COLORS, LINES and COLS are read through the loaded
 * library instead (LINES and COLS are stdscr's size, which ncurses keeps
 * equal to them, resizes included).
 */
#ifndef BANCADA_TUI_LAZY_CURSES_H
#define BANCADA_TUI_LAZY_CURSES_H

#include <curses.h>

/* stdscr once newterm() has made one, else NULL. */
WINDOW *display_stdscr(void);
/* The terminal's number of colours once start_color() ran, else 0. */
int display_colors(void);

#undef stdscr
#undef COLORS
#undef LINES
#undef COLS
#define stdscr (display_stdscr())
#define COLORS (display_colors())
#define LINES (getmaxy(stdscr))
#define COLS (getmaxx(stdscr))

#endif
