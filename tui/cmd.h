/* SPDX-License-Identifier: MIT */
/* The command table: every `bancada VERB` is one struct bc_cmd in cmd-VERB.c. */
#ifndef BANCADA_TUI_CMD_H
#define BANCADA_TUI_CMD_H

#include <stdio.h>
#include <bancada/bancada.h>

enum {
	CMD_NEEDS_PROJECT = 1 << 0, /* open the project before exec (ctx->p set) */
	CMD_READ_ONLY = 1 << 1,     /* only reads: works on a read-only filesystem */
	CMD_HIDDEN = 1 << 2,        /* not listed in help */
};

/* Exit codes */
enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2 };

struct bc_cmd_ctx {
	bc_project *p;          /* open project (CMD_NEEDS_PROJECT) */
	const char *dir;        /* -C DIR, or NULL for the current directory */
	int color;              /* stdout is a terminal and NO_COLOR is unset */
	int stdout_tty;
	int ascii;              /* locale is not UTF-8: draw ASCII only */
	const char *argv0;
};

struct bc_cmd {
	const char *name;
	const char *alias;
	const char *usage;      /* after "bancada NAME " */
	const char *summary;    /* one line for help and the man page */
	unsigned flags;
	/* argv[0] is the command name; getopt-style parsing is up to the command. */
	int (*exec)(struct bc_cmd_ctx *ctx, int argc, char **argv);
	/* optional, CMD_NEEDS_PROJECT: adjust how the project is opened from
	 * the arguments (e.g. `run` reads the git state while it opens) */
	void (*open_options)(int argc, char **argv, bc_project_options *opts);
};

extern const struct bc_cmd *const cmd_table[];
const struct bc_cmd *cmd_find(const char *name);
/* Run a command by name with the same dispatch as main (used by the TUI fallback). */
int cmd_dispatch(struct bc_cmd_ctx *ctx, int argc, char **argv);

/* ---- output helpers (output.c): every string from data passes the sanitizer ---- */

/* Print "bancada: <msg>" to stderr with the message sanitized; returns EXIT_ERR. */
int cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same for a project error. */
int cmd_project_error(bc_project *p);
/* Print usage of cmd to stderr; returns EXIT_USAGE. */
int cmd_usage(const struct bc_cmd *cmd, const char *why);
/* Write untrusted text, sanitized (single-line unless multiline). */
void out_text(FILE *f, const char *s, int multiline);
void out_textn(FILE *f, const char *s, size_t len, int multiline);
/* Colour helpers: nothing is written unless ctx->color. */
enum out_color { C_RESET, C_BOLD, C_DIM, C_RED, C_GREEN, C_YELLOW, C_BLUE, C_MAGENTA, C_CYAN };
void out_color(const struct bc_cmd_ctx *ctx, FILE *f, enum out_color c);
/* "name" in bold padded to width; with out_field, then the sanitized value ("-" if NULL). */
void out_label(const struct bc_cmd_ctx *ctx, FILE *f, int width, const char *name);
void out_field(const struct bc_cmd_ctx *ctx, FILE *f, int width, const char *name, const char *value);
/* Terminal width for tables (COLUMNS, ioctl, else 80; unlimited when not a tty). */
int out_width(const struct bc_cmd_ctx *ctx);
/* Format helpers */
void fmt_time(int64_t ms, char *buf, size_t size);          /* 2026-11-27 10:17:46 (UTC unless TZ) */
void fmt_duration(int64_t ms, char *buf, size_t size);      /* 1h02m, 3m05s, 12.3s */
void fmt_num(double v, char *buf, size_t size);             /* %.6g, nan, inf */

/* A simple text table: add cells row by row, then print fitted to a width. */
struct out_table;
struct out_table *table_new(int ncols);
void table_set_header(struct out_table *t, int col, const char *name, int right_align);
void table_add(struct out_table *t, int col, const char *cell);   /* current row */
void table_next_row(struct out_table *t);
/* Print; columns are dropped from the right when they do not fit width (0 = no limit). */
void table_print(struct out_table *t, const struct bc_cmd_ctx *ctx, FILE *f, int width);
void table_print_csv(struct out_table *t, FILE *f);
void table_free(struct out_table *t);

/* Open the project for a command that creates it on demand is not allowed:
 * commands needing a project get a clear error suggesting `bancada init`. */
int cmd_open_project(struct bc_cmd_ctx *ctx, int readonly);

/* Start the work-tree watcher (cmd-watch.c) when a git state read found none. */
void cmd_watch_autostart(bc_project *p);

#endif
