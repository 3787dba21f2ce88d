/* SPDX-License-Identifier: MIT */
/*
 * Requests: every user action, from one X-macro (group, name, help). The
 * enum, the name lookup used by `bind` and `:name`, and the help screen all
 * come from REQ_INFO. Key codes live in keys.c and never mix with requests.
 */
#ifndef BANCADA_TUI_REQUEST_H
#define BANCADA_TUI_REQUEST_H

#define REQ_INFO(_) \
	_(MOVE, MOVE_UP, "move-up", "Move the cursor up") \
	_(MOVE, MOVE_DOWN, "move-down", "Move the cursor down") \
	_(MOVE, MOVE_PAGE_UP, "move-page-up", "Move one page up") \
	_(MOVE, MOVE_PAGE_DOWN, "move-page-down", "Move one page down") \
	_(MOVE, MOVE_HALF_UP, "move-half-page-up", "Move half a page up") \
	_(MOVE, MOVE_HALF_DOWN, "move-half-page-down", "Move half a page down") \
	_(MOVE, MOVE_FIRST, "move-first-line", "Move to the first line") \
	_(MOVE, MOVE_LAST, "move-last-line", "Move to the last line") \
	_(MOVE, SCROLL_LEFT, "scroll-left", "Previous column / scroll left") \
	_(MOVE, SCROLL_RIGHT, "scroll-right", "Next column / scroll right") \
	_(MOVE, NEXT_DIFF, "next-diff", "Jump to the next differing row / file") \
	_(MOVE, PREV_DIFF, "prev-diff", "Jump to the previous differing row / file") \
	_(VIEW, ENTER, "enter", "Open the selected item") \
	_(VIEW, VIEW_CLOSE, "view-close", "Close the view (quit in the last one)") \
	_(VIEW, QUIT, "quit", "Quit bancada") \
	_(VIEW, VIEW_HELP, "view-help", "Show the keys of this view") \
	_(VIEW, NEXT_TAB, "next-tab", "Next tab") \
	_(VIEW, PREV_TAB, "prev-tab", "Previous tab") \
	_(VIEW, REFRESH, "refresh", "Reload and redraw") \
	_(VIEW, DATA_VIEW, "data", "Open the data view: tracked paths, status, versions") \
	_(DATA, DATA_LOG, "data-log", "Versions of the selected data path across git history") \
	_(PROMPT, PROMPT, "prompt", "Open the : command prompt") \
	_(PROMPT, SEARCH, "search", "Search (/) in pagers, filter in the runs view") \
	_(PROMPT, FILTER, "filter", "Filter runs (same language as `ls --filter`)") \
	_(PROMPT, FIND_NEXT, "find-next", "Next search match") \
	_(PROMPT, FIND_PREV, "find-prev", "Previous search match") \
	_(RUNS, SORT_ASC, "sort-asc", "Sort ascending by the current column") \
	_(RUNS, SORT_DESC, "sort-desc", "Sort descending by the current column") \
	_(RUNS, MARK, "mark", "Mark or unmark the run") \
	_(RUNS, MARK_CLEAR, "mark-clear", "Unmark every run") \
	_(RUNS, COLUMNS, "columns", "Choose columns") \
	_(RUNS, COMPARE, "compare", "Compare the marked runs") \
	_(RUNS, DIFF, "diff", "Diff two marked runs (or the run and its predecessor)") \
	_(RUNS, PLOT, "plot", "Plot metrics of the marked runs (or this run)") \
	_(RUNS, DELETE, "delete", "Delete the run (asks to type yes)") \
	_(RUNS, BUNDLE_CREATE, "bundle-create", "Package the run's outputs into a bundle") \
	_(VIEW, BUNDLES_VIEW, "bundles", "Open the bundles view: registered bundles, inspect, verify") \
	_(BUNDLES, BUNDLE_VERIFY, "bundle-verify", "Verify the bundle (hashes, entries, safety) with progress") \
	_(BUNDLES, BUNDLE_RUN, "bundle-run", "Open the run the bundle was made from") \
	_(PAGER, FOLLOW, "follow", "Follow the log of a live run") \
	_(PAGER, TOGGLE_ALL, "toggle-all-rows", "Show all rows / only differing rows") \
	_(PLOT, TOGGLE_X, "toggle-x", "x axis: step or wall time") \
	_(PLOT, TOGGLE_LOGY, "toggle-logy", "Logarithmic y axis") \
	_(PLOT, CYCLE_SMOOTH, "cycle-smoothing", "EMA smoothing: off, 0.6, 0.9, 0.99") \
	_(PLOT, ZOOM_IN, "zoom-in", "Zoom into the middle half of the step range") \
	_(PLOT, ZOOM_OUT, "zoom-out", "Zoom back out") \
	_(PLOT, ZOOM_RESET, "zoom-reset", "Show the whole range") \
	_(PLOT, METRIC_NEXT, "metric-next", "Plot the next metric") \
	_(PLOT, METRIC_PREV, "metric-prev", "Plot the previous metric") \
	_(PLOT, METRIC_CHOOSE, "metric-choose", "Choose the metric from a list") \
	_(PLOT, TOGGLE_MARKERS, "toggle-markers", "Braille dots or one marker per run")

#define REQ_ENUM_(group, id, name, help) REQ_##id,
enum request {
	REQ_NONE = 0,
	REQ_INFO(REQ_ENUM_)
	REQ_COUNT,
};
#undef REQ_ENUM_

struct request_info {
	enum request req;
	const char *group;
	const char *name;
	const char *help;
};

/* The table, indexed by request (entry 0 is REQ_NONE). */
extern const struct request_info request_table[REQ_COUNT];
/* Look a request up by name ("move-down"); REQ_NONE if unknown. */
enum request request_lookup(const char *name);
/* Name of a request ("" for REQ_NONE). */
const char *request_name(enum request req);

#endif
