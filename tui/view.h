/* SPDX-License-Identifier: MIT */
/*
 * Views: the tig shape. A view type is one `struct view_ops` filled with
 * designated initialisers; built-ins are listed once in VIEW_INFO. Extra
 * view types (plugin views) register at run time with view_register().
 *
 * Stable contract for view modules (also used by tui/view-plugin.c):
 *   - A view gets `private_size` zeroed bytes in v->priv; `open` fills them,
 *     `done` frees what they own.
 *   - The body is rows 0..v->height-1 and columns 0..v->width-1. The generic
 *     engine scrolls `lines` rows with v->lineno (cursor) and v->offset (top)
 *     and calls `draw_line` for each visible row below v->header_rows fixed
 *     rows (drawn by `draw_header`); a view that draws itself (a plot, a
 *     canvas) sets `draw` instead.
 *   - Drawing goes only through the view_draw_* helpers below: they sanitize
 *     untrusted text (bc_text_sanitize), measure with wcwidth and clip to the
 *     body, so a view never writes raw bytes to the terminal.
 *   - `request` returns REQ_NONE when it handled the request, or the request
 *     (possibly another one) to pass to the generic handler.
 *   - `tick` runs about every refresh-interval ms; return 1 to be redrawn.
 *     Use bc_project_data_version() for cheap change detection.
 */
#ifndef BANCADA_TUI_VIEW_H
#define BANCADA_TUI_VIEW_H

#include <stdint.h>
#include <bancada/bancada.h>
#include "request.h"

struct view;
struct bc_cmd_ctx;

/* Colour slots (the `color` command names them with '_' written as '-'). */
#define COLOR_INFO(_) \
	_(DEFAULT, "default") _(TITLE, "title") _(TITLE_BLUR, "title-blur") \
	_(STATUS, "status") _(ERROR, "error") _(HEADER, "header") \
	_(CURSOR, "cursor") _(MARKED, "marked") _(SELECTED_COL, "selected-column") \
	_(RUNNING, "running") _(FINISHED, "finished") _(FAILED, "failed") \
	_(CRASHED, "crashed") _(INTERRUPTED, "interrupted") _(ID, "id") \
	_(DATE, "date") _(DIM, "dim") _(DIFF_ADD, "diff-add") _(DIFF_DEL, "diff-del") \
	_(DIFF_HUNK, "diff-chunk") _(DIFF_HEADER, "diff-header") _(SECTION, "section") \
	_(DIFFERS, "differs") _(DELTA_UP, "delta-up") _(DELTA_DOWN, "delta-down") \
	_(TAB, "tab") _(TAB_ACTIVE, "tab-active") _(KEY, "help-key") _(AXIS, "axis") \
	_(SEARCH, "search-result") _(PROMPT_ERR, "prompt-error") \
	_(PLOT1, "plot-1") _(PLOT2, "plot-2") _(PLOT3, "plot-3") _(PLOT4, "plot-4") \
	_(PLOT5, "plot-5") _(PLOT6, "plot-6") _(PLOT7, "plot-7") _(PLOT8, "plot-8")
#define COLOR_ENUM_(id, name) COLOR_##id,
enum color_id { COLOR_INFO(COLOR_ENUM_) COLOR_ID_COUNT };
#undef COLOR_ENUM_
#define PLOT_COLORS 8

enum view_flags {
	VIEW_NO_CURSOR = 1 << 0,   /* pager: the cursor is the top line */
	VIEW_LIVE = 1 << 1,        /* wants `tick` calls */
	VIEW_NO_SEARCH = 1 << 2,   /* `/` is not a text search */
};

/* Arguments for opening a view (all optional). Strings are copied by `open`. */
struct view_arg {
	const char *run_id;          /* run, diff "a" */
	const char *run_id2;         /* diff "b" */
	char (*ids)[33];             /* compare, plot */
	size_t nids;
	const char *text;            /* extra: metric key, plugin name ... */
	struct view *from;           /* the view that opened this one */
	const void *data;            /* view-type specific (e.g. struct list_spec) */
};

struct view_ops {
	const char *name;            /* keymap name: "runs", "run", ... */
	unsigned flags;
	size_t private_size;
	int (*open)(struct view *v, const struct view_arg *arg);     /* 0 or -1 + status */
	int (*refresh)(struct view *v);                               /* reload data */
	void (*draw_line)(struct view *v, long lineno, int y, int selected);
	void (*draw)(struct view *v);                                 /* overrides draw_line */
	enum request (*request)(struct view *v, enum request req);
	int (*search)(struct view *v, long lineno, const char *needle); /* 1 on match */
	int (*command)(struct view *v, int argc, char **argv);        /* -2: not mine */
	int (*tick)(struct view *v);
	void (*done)(struct view *v);
	const char *(*title)(struct view *v);
	/* Text of one line for :save-display of pagers and plain text (optional). */
	const char *(*line_text)(struct view *v, long lineno);
	/* Draw the v->header_rows fixed rows above the scrolled lines (tabs, column names). */
	void (*draw_header)(struct view *v);
};

struct view {
	const struct view_ops *ops;
	void *priv;
	long lines;                  /* rows in the generic engine */
	long lineno;                 /* cursor */
	long offset;                 /* first visible row */
	int height, width;           /* body size */
	int hscroll;                 /* horizontal offset, if the view uses it */
	int header_rows;             /* fixed rows at the top of the body (draw_header) */
	char search[256];
	int dirty;                   /* redraw wanted */
	struct view *from;
};

/* Built-in view types (one line each: identifier, ops symbol). */
#define VIEW_INFO(_) \
	_(runs, view_runs_ops) \
	_(run, view_run_ops) \
	_(compare, view_compare_ops) \
	_(diff, view_diff_ops) \
	_(plot, view_plot_ops) \
	_(help, view_help_ops) \
	_(data, view_data_ops) \
	_(bundles, view_bundles_ops) \
	_(list, view_list_ops)
#define VIEW_DECL_(id, ops) extern const struct view_ops ops;
VIEW_INFO(VIEW_DECL_)
#undef VIEW_DECL_

/* ---- registry and stack (view.c) ---- */
/* Add a view type at run time (plugin views). Returns 0, BC_EEXISTS on a name clash. */
int view_register(const struct view_ops *ops);
/* Find a view type by name (built-ins first). */
const struct view_ops *view_find_ops(const char *name);
/* Visit every view type (help, completion). */
void view_foreach_ops(void (*fn)(const struct view_ops *ops, void *data), void *data);
/* Open a view of type `ops` on top of the stack. Returns it, or NULL (status set). */
struct view *view_open(const struct view_ops *ops, const struct view_arg *arg);
/* Close the top view. */
void view_close_top(void);
struct view *view_top(void);
int view_depth(void);
/* Ask for a full redraw of the top view. */
void view_redraw(struct view *v);
/* Move the cursor to `lineno`, clamped, scrolling as needed. */
void view_goto(struct view *v, long lineno);
/* Generic movement and search requests; returns REQ_NONE if handled. */
enum request view_generic_request(struct view *v, enum request req);
/* Draw the title bar, the body and the status line of the top view. */
void view_draw_all(void);
/* Give every open view a tick; redraws when one asks. */
void view_tick_all(void);
/* Run `:cmd` words in the top view first (view command hook). -2: unknown. */
int view_command(int argc, char **argv);
/* Close every view (exit). */
void view_close_all(void);

/* ---- drawing helpers (display.c); coordinates are body-relative ---- */
/* Draw untrusted UTF-8 text clipped to `cols` columns (ellipsis if cut). Returns columns used. */
int view_draw_text(struct view *v, int y, int x, int cols, const char *text, enum color_id c);
/* Same, right-aligned within cols. */
int view_draw_text_right(struct view *v, int y, int x, int cols, const char *text, enum color_id c);
/* Fill `cols` cells from x with spaces in colour c. */
void view_draw_fill(struct view *v, int y, int x, int cols, enum color_id c);
/* Draw one code point (e.g. braille or a box char; ASCII fallback given). */
void view_draw_char(struct view *v, int y, int x, uint32_t cp, char ascii, enum color_id c);
/* Reverse-video the whole row y (cursor line). */
void view_draw_cursor_row(struct view *v, int y);

/* A canvas of text cells, for views that compose a picture (plots, plugins). */
struct view_cell {
	uint32_t cp;       /* Unicode code point; 0 = blank. Controls are drawn as '?' */
	uint8_t color;     /* enum color_id */
	uint8_t bold;
};
/* Draw a w x h canvas (row-major) at body origin, clipped to the body. */
void view_draw_canvas(struct view *v, const struct view_cell *cells, int w, int h);

/* ---- status line ---- */
void tui_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tui_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
