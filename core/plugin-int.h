/* SPDX-License-Identifier: MIT */
/* Private declarations shared by the core/plugin-*.c modules. */
#ifndef BANCADA_CORE_PLUGIN_INT_H
#define BANCADA_CORE_PLUGIN_INT_H

#include <sys/stat.h>
#include "bancada/plugin.h"
#include "bancada/plughost.h"

struct bc_canvas {
	int rows, cols;
	bc_cell *cells;
	int ascii;
};

/* ---- canvas (plugin-canvas.c) and charts (plugin-draw.c) ---- */
int bc_utf8_encode(uint32_t cp, char out[5]);
int bc_canvas_text(bc_canvas *c, int row, int col, int maxcols, uint32_t attr, const char *s);
void bc_canvas_fill(bc_canvas *c, int row, int col, int rows, int cols, uint32_t cp, uint32_t attr);
int bc_canvas_measure(const bc_canvas *c, const char *s);
void bc_canvas_put(bc_canvas *c, int row, int col, uint32_t cp, uint32_t attr);
int bc_styled_add(bc_styled *s, int new_line, uint32_t attr, const char *text, size_t len);
void bc_host_api_fill_canvas(struct bc_host_api *api);
void bc_host_api_fill_draw(struct bc_host_api *api);
/* Intersect a rectangle with the canvas; 0 when nothing is left. */
int bc_canvas_clip(const bc_canvas *c, int *row, int *col, int *rows, int *cols);

/* ---- files and trust (plugin-trust.c) ---- */
/*
 * Open a plugin file for checking: no symlink at the last component, a
 * regular file owned by us or root, not writable by group or others, in a
 * directory with the same properties. Returns an O_RDONLY|O_CLOEXEC fd or
 * -1 with `why` (malloc'd) set.
 */
int bc_plugin_open_safe(const char *path, struct stat *st, char **why);
/* SHA-256 of an open file (rewinds it) as 64 hex digits. */
int bc_sha256_fd(int fd, char out[65]);
/* The recorded hash for a canonical path ("" when none). */
int bc_trust_lookup(const char *path, char out[65]);
/* Content hash of a plugin (C: the .so; external: manifest + files its argv names). */
int bc_plugin_hash(const bc_plugin_info *pi, char out[65], char **why);
/* Trust decision for a hash just computed: 0, or BC_EINVALID with the reason on p. */
int bc_plugin_check_hash(bc_project *p, const bc_plugin_info *pi, const char *hash);

/* ---- ELF inspection (plugin-elf.c) ---- */
/* Read the ABI descriptor from the file without loading it; refuse SQLite/curses users. */
int bc_plugin_elf_read(int fd, struct bc_plugin_abi *abi, char **why);
/* Refuse another major, a newer minor or other struct sizes. */
int bc_plugin_abi_check(const struct bc_plugin_abi *abi, char **why);
/* Fill pi->abi_major/minor and pi->why from the file. */
void bc_plugin_elf_inspect(bc_plugin_info *pi);

/* ---- discovery (plugin-find.c) ---- */
/* Expand %(plugindir) %(project) %(run) %(rundir) in one argv element. */
char *bc_plugin_expand(const char *arg, const char *plugindir, const char *project,
	const char *run, const char *rundir);


#endif
