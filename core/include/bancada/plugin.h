/* SPDX-License-Identifier: MIT */
/**
 * @file plugin.h  The C plugin ABI of bancada (installed; self-contained).
 *
 * A plugin is a shared object that exports two symbols:
 *
 *  - `bancada_plugin_abi`, a `const struct bc_plugin_abi` (use
 *    BC_PLUGIN_DEFINE_ABI), read by the host before any plugin code runs, and
 *  - `bancada_plugin_init()`, which fills a `struct bc_plugin`.
 *
 * The host refuses a plugin whose ABI major differs from its own, whose
 * minor is newer than its own, or whose struct sizes do not match that
 * version. Plugins never link ncurses or SQLite: they draw on a canvas and
 * read data through the host function table `struct bc_host_api`, which only
 * ever grows at its end (new members come with a new minor version; check
 * `api->abi_minor` before using a member added after 1.0).
 *
 * Build one outside the source tree:
 *     cc -shared -fPIC $(pkg-config --cflags bancada-plugin) -o my.so my.c
 * and drop it into ~/.local/share/bancada/plugins/ (see share/plugins.md).
 */
#ifndef BANCADA_CORE_PLUGIN_H
#define BANCADA_CORE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BC_PLUGIN_ABI_MAJOR 1
#define BC_PLUGIN_ABI_MINOR 0

/** Opaque handles owned by the host. */
typedef struct bc_host bc_host;       /**< one open plugin view */
typedef struct bc_canvas bc_canvas;   /**< a grid of styled cells */
typedef struct bc_prun bc_prun;       /**< a read-only run, valid until close */

/** Cell attributes: a colour in the low byte, style bits above it. */
enum {
	BC_COLOR_DEFAULT = 0,
	BC_COLOR_RED = 1,
	BC_COLOR_GREEN = 2,
	BC_COLOR_YELLOW = 3,
	BC_COLOR_BLUE = 4,
	BC_COLOR_MAGENTA = 5,
	BC_COLOR_CYAN = 6,
	BC_COLOR_WHITE = 7,
	BC_ATTR_BOLD = 1u << 8,
	BC_ATTR_DIM = 1u << 9,
	BC_ATTR_UNDERLINE = 1u << 10,
	BC_ATTR_REVERSE = 1u << 11,
};
#define BC_ATTR_COLOR_MASK 0xffu

/** Which runs a plugin is opened on. */
enum {
	BC_INPUT_RUN = 1,        /**< the run under the cursor (or the first REF) */
	BC_INPUT_MARKED = 2,     /**< the marked runs (or every REF) */
	BC_INPUT_FILTERED = 3,   /**< the runs matching the current filter */
};

/** Keys passed to `keypress`: Unicode code points, or these. */
enum {
	BC_KEY_UP = 0x110001,
	BC_KEY_DOWN,
	BC_KEY_LEFT,
	BC_KEY_RIGHT,
	BC_KEY_PGUP,
	BC_KEY_PGDOWN,
	BC_KEY_HOME,
	BC_KEY_END,
	BC_KEY_ENTER,
	BC_KEY_TAB,
	BC_KEY_BACKTAB,
};

/** What `keypress` returns. */
enum {
	BC_KEY_IGNORED = 0,      /**< the host handles the key */
	BC_KEY_REDRAW = 1,       /**< handled: draw again */
	BC_KEY_CLOSE = 2,        /**< close the view */
};

/** A metric's summary over its whole series. */
struct bc_psummary {
	double first, last, min, max;
	int64_t count;
	int64_t first_step, last_step;
};

/** One point of a metric series. */
struct bc_ppoint {
	int64_t step;
	double value;
	int64_t wall_ms;
};

/** One series of a line chart. `x` may be NULL (0, 1, 2, ...). */
struct bc_pseries {
	const char *label;
	const double *x;
	const double *y;
	size_t n;
	uint32_t attr;
};

/** A table: `cells` holds nrows*ncols strings, row by row (NULL = empty). */
struct bc_ptable {
	size_t ncols, nrows;
	const char *const *head;   /**< ncols names, or NULL for no header */
	const char *const *cells;
	const unsigned char *right; /**< per column: 1 = right-aligned (or NULL) */
	size_t first_row;          /**< scroll offset */
	long selected;             /**< row drawn reversed, or -1 */
};

/**
 * The host function table. Append-only: members are never removed or
 * reordered within a major version. Strings returned are borrowed from the
 * host and stay valid until the view is closed unless said otherwise. All
 * text drawn on a canvas is sanitized by the host; coordinates and sizes
 * outside the canvas are clipped, never trusted.
 */
struct bc_host_api {
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t size;             /**< sizeof(struct bc_host_api) in the host */
	uint32_t reserved;

	/* ---- 1.0: host ---- */
	const char *(*version)(void);
	/** Show a one-line message (status line or stderr). */
	void (*message)(bc_host *h, const char *text);
	/** A `-o NAME=VALUE` option, or a value the plugin stored with set_option; NULL if unset. */
	const char *(*option)(bc_host *h, const char *name);
	void (*set_option)(bc_host *h, const char *name, const char *value);
	const char *(*project_root)(bc_host *h);
	void (*free)(void *ptr);   /**< free memory returned by run_series */

	/* ---- 1.0: canvas ---- */
	void (*canvas_size)(bc_canvas *c, int *rows, int *cols);
	void (*clear)(bc_canvas *c);
	/** Write text at (row, col), at most maxcols columns (<0: to the edge). Returns columns used. */
	int (*text)(bc_canvas *c, int row, int col, int maxcols, uint32_t attr, const char *s);
	int (*printf)(bc_canvas *c, int row, int col, uint32_t attr, const char *fmt, ...)
		__attribute__((format(printf, 5, 6)));
	/** Fill a rectangle with one code point (' ' to clear it). */
	void (*fill)(bc_canvas *c, int row, int col, int rows, int cols, uint32_t cp, uint32_t attr);
	/** A frame around a rectangle, with an optional title. */
	void (*box)(bc_canvas *c, int row, int col, int rows, int cols, uint32_t attr,
		const char *title);
	/** A table with fitted columns. Returns rows drawn. */
	int (*table)(bc_canvas *c, int row, int col, int rows, int cols, const struct bc_ptable *t);
	/** Horizontal bars, one per label, scaled to the largest |value|. Returns rows drawn. */
	int (*bars)(bc_canvas *c, int row, int col, int rows, int cols, const char *const *labels,
		const double *values, size_t n, uint32_t attr);
	/** Braille line chart with a y axis and a legend. Returns 0, or -1 with nothing to draw. */
	int (*line_chart)(bc_canvas *c, int row, int col, int rows, int cols,
		const struct bc_pseries *series, size_t nseries, const char *title);
	/** Braille scatter of (x[i], y[i]) with axis ranges and labels. Returns 0, or -1 with no finite point. */
	int (*scatter)(bc_canvas *c, int row, int col, int rows, int cols, const double *x,
		const double *y, size_t n, uint32_t attr, const char *xlabel, const char *ylabel);

	/* ---- 1.0: read-only queries ---- */
	/** The runs the view was opened on (see BC_INPUT_*). */
	size_t (*selection)(bc_host *h, const bc_prun *const **out);
	/** Runs matching a filter expression (NULL: the host's current filter). Valid until the next call. */
	int (*query)(bc_host *h, const char *filter, const bc_prun *const **out, size_t *n);
	const char *(*run_id)(const bc_prun *r);
	/** A run field as `bancada ls` shows it (`name`, `status`, `params.lr`, `metrics.loss.min`...). */
	int (*run_field)(bc_host *h, const bc_prun *r, const char *field, char *buf, size_t size);
	/** Numeric value of a field; 0 if numeric, -1 otherwise. */
	int (*run_field_num)(bc_host *h, const bc_prun *r, const char *field, double *out);
	/** The i-th param key (sorted), NULL past the end. */
	const char *(*run_param_key)(bc_host *h, const bc_prun *r, size_t i);
	/** The i-th metric key with a summary (sorted), NULL past the end. */
	const char *(*run_metric_key)(bc_host *h, const bc_prun *r, size_t i);
	int (*run_summary)(bc_host *h, const bc_prun *r, const char *key, struct bc_psummary *out);
	/** The i-th key with a stored series (sorted, includes `sys/...`), NULL past the end. */
	const char *(*run_series_key)(bc_host *h, const bc_prun *r, size_t i);
	/**
	 * A series, downsampled to at most `max_points` (0 = all) keeping the
	 * extremes. `*out` is freed with api->free.
	 */
	int (*run_series)(bc_host *h, const bc_prun *r, const char *key, size_t max_points,
		struct bc_ppoint **out, size_t *n);
	/** The i-th data input (output = 0) or output (output = 1) path and its hash, NULL past the end. */
	const char *(*run_io)(bc_host *h, const bc_prun *r, int output, size_t i, const char **hash);
	/** The run's directory (`.bancada/runs/<id>`). */
	const char *(*run_dir)(bc_host *h, const bc_prun *r);
	/** The last query error, "" when none. */
	const char *(*errmsg)(bc_host *h);
	/** The i-th tracked data path (workspace pointers) with its hash and size, NULL past the end. */
	const char *(*data_item)(bc_host *h, size_t i, const char **hash, int64_t *size);
	/**
	 * The i-th version of a tracked data path, newest first: returns the
	 * commit, sets hash ("" when removed) and commit time; NULL past the end.
	 */
	const char *(*data_version)(bc_host *h, const char *path, size_t i, const char **hash,
		int64_t *time_ms);
	/** The i-th model bundle, newest first: returns its name, sets version, run id, sha256. */
	const char *(*bundle)(bc_host *h, size_t i, const char **version, const char **run_id,
		const char **sha256);
	/* Append new members here, and bump BC_PLUGIN_ABI_MINOR. */
};

/** What a plugin describes about itself. Starts with its ABI version and size. */
struct bc_plugin {
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t size;             /**< sizeof(struct bc_plugin) in the plugin */
	uint32_t input;            /**< BC_INPUT_* */
	const char *name;          /**< must equal the file name without `.so` */
	const char *description;   /**< one line */
	int key;                   /**< key that opens the view in the TUI, 0 = none */
	/** Create per-view state (NULL = failure, message given through api->message). */
	void *(*open)(const struct bc_host_api *api, bc_host *h);
	/** Draw the whole view on a cleared canvas. */
	void (*draw)(void *state, bc_host *h, bc_canvas *c);
	/** A key press: BC_KEY_IGNORED, BC_KEY_REDRAW or BC_KEY_CLOSE. */
	int (*keypress)(void *state, bc_host *h, int key);
	void (*close)(void *state, bc_host *h);
};

/** Read by the host before bancada_plugin_init is called. */
struct bc_plugin_abi {
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t plugin_size;      /**< sizeof(struct bc_plugin) */
	uint32_t api_size;         /**< sizeof(struct bc_host_api) the plugin was built with */
};

#define BC_PLUGIN_INIT { BC_PLUGIN_ABI_MAJOR, BC_PLUGIN_ABI_MINOR, sizeof(struct bc_plugin), 0, \
	NULL, NULL, 0, NULL, NULL, NULL, NULL }

/** Put once in a plugin source file. */
#define BC_PLUGIN_DEFINE_ABI \
	__attribute__((visibility("default"))) const struct bc_plugin_abi bancada_plugin_abi = { \
		BC_PLUGIN_ABI_MAJOR, BC_PLUGIN_ABI_MINOR, sizeof(struct bc_plugin), \
		sizeof(struct bc_host_api) }

/**
 * The entry point every plugin exports: fill `*out` (already holding
 * BC_PLUGIN_INIT values) and return 0. `api` stays valid while loaded.
 */
typedef int bc_plugin_init_fn(const struct bc_host_api *api, struct bc_plugin *out);
__attribute__((visibility("default"))) int bancada_plugin_init(const struct bc_host_api *api,
	struct bc_plugin *out);

#ifdef __cplusplus
}
#endif
#endif
