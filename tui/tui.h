/* SPDX-License-Identifier: MIT */
/* The workbench's shared state and the interfaces between its modules. */
#ifndef BANCADA_TUI_TUI_H
#define BANCADA_TUI_TUI_H

#include <stdint.h>
#include <stdio.h>
#include <bancada/bancada.h>
#include "cmd.h"
#include "request.h"
#include "view.h"

/* Options: one table drives defaults, `:set`, saved views and docs. */
#define OPTION_INFO(_) \
	_(refresh_interval, "refresh-interval", OPT_INT, "250", 50, 10000, "Live refresh period (ms)") \
	_(show_deleted, "show-deleted", OPT_BOOL, "no", 0, 1, "Show deleted runs") \
	_(columns, "columns", OPT_STR, "", 0, 0, "Runs columns (comma list; empty = automatic)") \
	_(auto_columns, "auto-columns", OPT_INT, "8", 0, 64, "Varying params/metrics shown automatically") \
	_(sort, "sort", OPT_STR, "", 0, 0, "Runs sort (field, -field = descending)") \
	_(filter, "filter", OPT_STR, "", 0, 0, "Runs filter expression") \
	_(line_graphics, "line-graphics", OPT_STR, "auto", 0, 0, "auto, utf-8 or ascii") \
	_(plot_markers, "plot-markers", OPT_BOOL, "no", 0, 1, "Plot with one marker per run") \
	_(follow, "follow", OPT_BOOL, "yes", 0, 1, "Logs of live runs follow by default") \
	_(log_max_bytes, "log-max-bytes", OPT_INT, "16777216", 4096, 1073741824, "Bytes of a log the pager reads") \
	_(diff_context, "diff-context", OPT_INT, "3", 0, 100, "Context lines in the log diff") \
	_(import_auto, "import.auto", OPT_STR, "", 0, 0, "Re-import on open, in the background: mlflow:PATH dvc[:REPO] ...")

enum opt_type { OPT_INT, OPT_BOOL, OPT_STR };
struct tui_options {
#define OPT_FIELD_(id, name, type, def, min, max, help) char *id##_s; long id;
	OPTION_INFO(OPT_FIELD_)
#undef OPT_FIELD_
};

struct tui_state {
	bc_project *p;
	struct bc_cmd_ctx *ctx;
	struct tui_options opt;
	int ascii;               /* draw ASCII only */
	int colors;              /* 0 (monochrome), 8, 16, 256 */
	int quit;
	int no_display;          /* BANCADA_NO_DISPLAY */
	int64_t data_version;
	char status[512];
	int status_error;
	int short_len;           /* id prefix length */
};
extern struct tui_state tui;

/* ---- display.c ---- */
int display_init(void);                 /* 0, or -1 when the terminal cannot be used */
void display_done(void);
const char *display_curses_error(void);  /* why ncurses could not be loaded, or NULL */
int display_rows(void);
int display_cols(void);
/* Next key, waiting at most timeout_ms (-1 forever); KEY_NONE on timeout. */
/* Keys: Unicode code points, or KEYF(curses KEY_*) for function keys. */
#define KEYF(k) (0x110000 + (k))
#define KEY_NONE (-1)
#define KEY_HANGUP (-2)
#define KEY_PASTE_BEGIN (0x7fff0001)
#define KEY_PASTE_END (0x7fff0002)
int display_getkey(int timeout_ms);
/* Draw raw (already safe) text at absolute screen coordinates (title/status lines). */
void display_put(int y, int x, int cols, const char *safe, enum color_id c);
void display_fill(int y, int x, int cols, enum color_id c);
void display_refresh(void);
void display_clear(void);
void display_cursor(int visible, int y, int x);
int display_save(const char *path);     /* :save-display */
int display_set_color(const char *slot, const char *fg, const char *bg, char **attrs, int nattrs, char *err, size_t errsize);
/* Sanitize and fit untrusted text into buf for `cols` columns; returns columns used. */
int display_fit(const char *text, int cols, char *buf, size_t size);

/* ---- keys.c ---- */
/* Request bound to key in keymap (falls back to "generic"). */
enum request keys_lookup(const char *keymap, int key, const char **command);
int keys_bind(const char *keymap, const char *keyname, const char *action, char *err, size_t errsize);
/* Parse "j", "<Down>", "<C-f>", "^F", "<F1>"; -1 if unknown. */
int keys_parse_name(const char *name);
/* Key name for display ("<Up>", "j"). */
const char *keys_name(int key, char *buf, size_t size);
/* Visit bindings of a keymap: fn(key, request, command). */
void keys_foreach(const char *keymap, void (*fn)(int key, enum request req, const char *cmd, void *data), void *data);
void keys_free(void);

/* ---- config.c ---- */
/* Run one command line (`:` prompt or config). 0 ok, -1 error (status set). */
int config_run_line(const char *line, char *err, size_t errsize);
/* Load built-in, user and project config; errors reported on the status line. */
void config_load_all(void);
int config_source(const char *path, int must_exist);
/* Split into words (quotes, backslashes); returns count, -1 on unterminated quote. */
int config_split(const char *line, char **argv, int max, char *store, size_t storesize);
int option_set(const char *name, const char *value, char *err, size_t errsize);
const char *option_get(const char *name);
void options_init(void);
void options_free(void);
int config_save_view(const char *name, char *err, size_t errsize);

/* ---- view-plugin.c: plugin views, `:plugin NAME`, plugin keys ---- */
void tui_plugins_init(void);
/* Bundle a run's declared outputs (the `b` key); status line says where. 0 or -1. */
int tui_bundle_create(const char *run_id);
/* import.auto (auto-import.c): start after the config is read; tick from the main loop. */
void auto_import_start(void);
void auto_import_tick(void);
void auto_import_stop(void);
int tui_plugin_command(int argc, char **argv, char *err, size_t errsize);

/* ---- prompt.c ---- */
/*
 * Read a line on the bottom row after `prefix`. `initial` pre-fills it.
 * `errpos` >= 0 highlights that byte and shows `errmsg` above the prompt.
 * Returns 1 on Enter, 0 on Esc/cancel. Pasted text is inserted literally.
 */
int prompt_read(const char *prefix, const char *initial, int errpos, const char *errmsg,
	char *out, size_t size);
/* Ask the user to type `word` + Enter; pasted bytes never count. 1 if confirmed. */
int prompt_confirm(const char *question, const char *word);
/* `:` prompt: read and run. */
void prompt_command(void);

/* ---- input (cmd-tui.c): the script (BANCADA_SCRIPT) first, then the terminal ---- */
#define KEY_SCRIPT_CMD (0x7fff0003)
/* Next key within timeout_ms; KEY_SCRIPT_CMD sets *cmd to a scripted ":command". */
int tui_getkey(int timeout_ms, const char **cmd);
void tui_unget_script_cmd(void);
/* Run a request in the top view (view handler, generic, then global). */
void tui_request(enum request req);

/* ---- shared helpers (view.c) ---- */
void run_short_id(const char *id, char *buf, size_t size);
enum color_id status_color(bc_run_status s);
/* Open standard views. */
void open_run_view(const char *id);
void open_diff_view(const char *a, const char *b);
void open_compare_view(char (*ids)[33], size_t n);
void open_plot_view(char (*ids)[33], size_t n, const char *metric);
/* A chooser list view pushed on the stack. Items are untrusted text (copied).
 * Single choice (toggles NULL): Enter calls chosen(idx). Multiple choice:
 * Space toggles, Enter calls chosen(-1) with the final toggles. */
struct list_spec {
	const char *title;
	char **items;
	size_t n, initial;
	const int *toggles;
	void (*chosen)(struct view *target, long idx, const int *toggles, void *data);
	struct view *target;
	void *data;
};
void open_list_view(const struct list_spec *spec);

/* view-runs.c helpers for the prompt */
int runs_set_filter(struct view *v, const char *expr, int *errpos);
int runs_set_sort(struct view *v, const char *sort);

/* A growable array of display lines (pager-style views). */
struct tline {
	char *text;              /* sanitized */
	uint8_t color;
	uint8_t flag;            /* view-specific (section start, differing row ...) */
};
struct tlines {
	struct tline *v;
	size_t n, cap;
};
void tlines_add(struct tlines *t, enum color_id c, int flag, const char *untrusted, size_t len);
void tlines_addf(struct tlines *t, enum color_id c, int flag, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void tlines_clear(struct tlines *t);
/* Add a unified diff text with colours; flag 1 on file headers. */
void tlines_add_patch(struct tlines *t, const char *patch, size_t len);
void tlines_draw(struct view *v, const struct tlines *t, long lineno, int y, int selected);

#endif
