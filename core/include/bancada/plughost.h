/* SPDX-License-Identifier: MIT */
/**
 * @file plughost.h  The host side of plugins: discovery, trust, loading C
 * plugins, running external ones, canvases and styled text.
 *
 * Plugins come from three places, in rising precedence: the system
 * directory ($(pkglibdir)/plugins), the user directory
 * ($XDG_DATA_HOME/bancada/plugins) and the project (`.bancada/plugins`).
 * Directories listed in $BANCADA_PLUGIN_PATH count as user directories.
 * Project plugins never load or run until trusted; trust is recorded
 * outside the project ($XDG_STATE_HOME/bancada/trust) by canonical path and
 * SHA-256, and lapses when the file changes. Nothing is dlopen'ed or exec'ed
 * before that check. Files writable by group or others, or owned by another
 * user (root excepted), are refused wherever they come from.
 */
#ifndef BANCADA_CORE_PLUGHOST_H
#define BANCADA_CORE_PLUGHOST_H

#include "common.h"
#include "project.h"
#include "plugin.h"

BC_BEGIN_DECL

typedef enum { BC_PLUGIN_KIND_C = 1, BC_PLUGIN_KIND_EXTERNAL } bc_plugin_kind;
typedef enum { BC_PLUGIN_SYSTEM = 1, BC_PLUGIN_USER, BC_PLUGIN_PROJECT } bc_plugin_source;
typedef enum {
	BC_TRUST_IMPLICIT = 1,  /**< system or user plugin: trusted by installation */
	BC_TRUST_YES,           /**< project plugin with a matching trust record */
	BC_TRUST_NO,            /**< project plugin never trusted */
	BC_TRUST_LAPSED,        /**< trusted once, changed since */
	BC_TRUST_UNSAFE,        /**< writable by others or foreign owner: refused */
} bc_trust_state;

/** One discovered plugin. Strings are owned by the set. */
typedef struct bc_plugin_info {
	char *name;
	char *path;             /**< canonical path of the .so or the manifest */
	char *dir;              /**< directory holding it */
	bc_plugin_kind kind;
	bc_plugin_source source;
	char *description;      /**< manifest, or the loaded C plugin; may be NULL */
	int key;                /**< TUI key, 0 = none (C plugins: known once loaded) */
	int input;              /**< BC_INPUT_* */
	char **argv;            /**< external: the exec line, split (unexpanded) */
	size_t argc;
	int timeout_ms;         /**< external */
	size_t output_cap;      /**< external: bytes of stdout kept */
	bc_trust_state trust;
	char *why;              /**< why it may not run (untrusted, lapsed, unsafe), or NULL */
	char sha256[65];        /**< content hash ("" when unreadable) */
	int shadowed;           /**< a plugin with the same name has higher precedence */
	unsigned abi_major, abi_minor; /**< C plugins, read from the file; 0 when unknown */
} bc_plugin_info;

typedef struct bc_plugin_set {
	bc_plugin_info *v;
	size_t n;
} bc_plugin_set;

/** Source name: "system", "user", "project". */
BC_EXTERN(const char *) bc_plugin_source_name(bc_plugin_source s);
/** Trust name: "implicit", "trusted", "untrusted", "lapsed", "unsafe". */
BC_EXTERN(const char *) bc_trust_name(bc_trust_state t);

/**
 * Find every plugin (reading manifests and hashing files; no plugin code
 * runs). Sorted by name, then by precedence. Manifests that do not parse
 * are listed with `why` set.
 */
BC_EXTERN(int) bc_plugins_discover(bc_project *p, bc_plugin_set *out);
BC_EXTERN(void) bc_plugin_set_clear(bc_plugin_set *s);
/** The plugin a name refers to (highest precedence), or NULL. */
BC_EXTERN(const bc_plugin_info *) bc_plugin_find(const bc_plugin_set *s, const char *name);
/** 0 when the plugin may load/run; else BC_EINVALID with the reason on `p`. */
BC_EXTERN(int) bc_plugin_check(bc_project *p, const bc_plugin_info *pi);
/** Record (trust = 1) or remove (trust = 0) trust in the plugin's current contents. */
BC_EXTERN(int) bc_plugin_trust(bc_project *p, const bc_plugin_info *pi, int trust);
/** The trust file ($XDG_STATE_HOME/bancada/trust), malloc'd. */
BC_EXTERN(char *) bc_plugin_trust_path(void);

/* ---- canvases and styled text ---- */

/** A cell: UTF-8 of one character ("" = right half of a wide one) and attributes. */
typedef struct bc_cell {
	char ch[8];
	uint32_t attr;
} bc_cell;

BC_EXTERN(bc_canvas *) bc_canvas_new(int rows, int cols);
BC_EXTERN(void) bc_canvas_free(bc_canvas *c);
BC_EXTERN(int) bc_canvas_resize(bc_canvas *c, int rows, int cols);
BC_EXTERN(void) bc_canvas_clear(bc_canvas *c);
/** Borrowed cell, or NULL outside the canvas. */
BC_EXTERN(const bc_cell *) bc_canvas_cell(const bc_canvas *c, int row, int col);
/** Draw in ASCII only (non-UTF-8 locale): braille and frames become ASCII. */
BC_EXTERN(void) bc_canvas_set_ascii(bc_canvas *c, int ascii);
/** The host function table (static; canvas members work without a view). */
BC_EXTERN(const struct bc_host_api *) bc_host_api_get(void);

typedef struct bc_span {
	uint32_t attr;
	char *text;             /**< sanitized UTF-8 */
} bc_span;
typedef struct bc_styled_line {
	bc_span *spans;
	size_t n;
} bc_styled_line;
typedef struct bc_styled {
	bc_styled_line *lines;
	size_t n;
	size_t cap;             /**< allocated lines */
} bc_styled;

/** The canvas as lines of spans (trailing blanks and blank lines trimmed). */
BC_EXTERN(int) bc_canvas_to_styled(const bc_canvas *c, bc_styled *out);
/**
 * Parse external plugin output: plain text plus the markup of
 * share/plugins.md (`{red}`, `{b}`, `{/}`, `{{`...). Everything is sanitized.
 */
BC_EXTERN(int) bc_markup_parse(const char *text, size_t len, bc_styled *out);
/** Text of styled lines, with ANSI SGR sequences when `ansi`. malloc'd. */
BC_EXTERN(char *) bc_styled_render(const bc_styled *s, int ansi);
BC_EXTERN(void) bc_styled_clear(bc_styled *s);

/* ---- C plugins ---- */

typedef struct bc_cplugin bc_cplugin;

/**
 * Check trust and ownership, check the ABI descriptor, then dlopen (absolute
 * path, RTLD_NOW|RTLD_LOCAL) and call bancada_plugin_init. A refused plugin
 * gets a one-line reason on `p`.
 */
BC_EXTERN(int) bc_cplugin_load(bc_cplugin **out, bc_project *p, const bc_plugin_info *pi);
BC_EXTERN(const struct bc_plugin *) bc_cplugin_desc(const bc_cplugin *cp);
/**
 * Fill description, key and input of the trusted, usable C plugins of a
 * set by loading them (their code runs: only trusted ones are touched).
 * Plugins that fail to load get `why` set.
 */
BC_EXTERN(void) bc_plugins_describe(bc_project *p, bc_plugin_set *set);
BC_EXTERN(void) bc_cplugin_free(bc_cplugin *cp);

/** How a view is opened. */
typedef struct bc_pview_options {
	unsigned int version;
	const char *filter;           /**< current filter (NULL = all runs) */
	const char *const *run_ids;   /**< the selection: current or marked runs */
	size_t nruns;
	const char *const *options;   /**< "NAME=VALUE" strings, NULL-terminated, or NULL */
	int ascii;
} bc_pview_options;
#define BC_PVIEW_OPTIONS_VERSION 1
#define BC_PVIEW_OPTIONS_INIT { BC_PVIEW_OPTIONS_VERSION, NULL, NULL, 0, NULL, 0 }

typedef struct bc_host bc_pview;
/** Open a view of a loaded plugin: load the selection and call its open. */
BC_EXTERN(int) bc_pview_open(bc_pview **out, bc_cplugin *cp, bc_project *p,
	const bc_pview_options *o);
/** Clear the canvas and let the plugin draw on it. */
BC_EXTERN(void) bc_pview_draw(bc_pview *v, bc_canvas *c);
/** Pass a key (BC_KEY_* or a code point); returns BC_KEY_IGNORED/REDRAW/CLOSE. */
BC_EXTERN(int) bc_pview_key(bc_pview *v, int key);
/** Messages the plugin gave since the last call (malloc'd, sanitized, lines), or NULL. */
BC_EXTERN(char *) bc_pview_take_messages(bc_pview *v);
BC_EXTERN(void) bc_pview_close(bc_pview *v);

/* ---- external plugins ---- */

typedef struct bc_extjob bc_extjob;

typedef struct bc_ext_result {
	int exit_code;          /**< -1 when killed */
	int term_signal;
	int timed_out;
	int truncated;          /**< stdout went over the cap (the plugin was stopped) */
	char *out;              /**< raw stdout (parse with bc_markup_parse) */
	size_t out_len;
	char *err;              /**< stderr, capped */
	size_t err_len;
	int64_t elapsed_ms;
} bc_ext_result;

/**
 * Start an external plugin on runs (ids): check trust, build the JSON input,
 * fork and exec its argv in a new session with a scrubbed environment and
 * pipes for stdin/stdout/stderr. `cols`: width announced in $COLUMNS.
 */
BC_EXTERN(int) bc_extjob_start(bc_extjob **out, bc_project *p, const bc_plugin_info *pi,
	const char *const *run_ids, size_t nruns, const char *filter, int cols);
/** File descriptor to poll for progress (readable), or -1 when done. */
BC_EXTERN(int) bc_extjob_fd(const bc_extjob *j);
/** Make progress for up to `timeout_ms` (0 = do not block). 1 when finished, 0 when not yet. */
BC_EXTERN(int) bc_extjob_poll(bc_extjob *j, int timeout_ms);
/** Kill it (process group) if still running, reap it and hand over the result. Frees the job. */
BC_EXTERN(void) bc_extjob_finish(bc_extjob *j, bc_ext_result *out);
/** Start, wait and finish. Returns 0 when the plugin ran (check out->exit_code), <0 when refused. */
BC_EXTERN(int) bc_extplugin_run(bc_project *p, const bc_plugin_info *pi,
	const char *const *run_ids, size_t nruns, const char *filter, int cols,
	bc_ext_result *out);
BC_EXTERN(void) bc_ext_result_clear(bc_ext_result *r);

BC_END_DECL
#endif
