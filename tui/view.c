/* SPDX-License-Identifier: MIT */
/*
 * The view engine: registry (VIEW_INFO + run-time registrations), the view
 * stack, generic movement/search, and drawing of title, body and status.
 */
#include "config.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

#define VIEW_PTR_(id, ops) &ops,
static const struct view_ops *const builtin_views[] = { VIEW_INFO(VIEW_PTR_) };
#undef VIEW_PTR_
#define NBUILTIN (sizeof builtin_views / sizeof builtin_views[0])

static const struct view_ops *extra_views[32];
static size_t nextra;
static struct view *stack[32];
static int depth;

/* Add a view type at run time; BC_EEXISTS on a name clash, -1 when full. */
int
view_register(const struct view_ops *ops)
{
	if (!ops || !ops->name)
		return BC_EINVALID;
	if (view_find_ops(ops->name))
		return BC_EEXISTS;
	if (nextra == sizeof extra_views / sizeof extra_views[0])
		return BC_ERROR;
	extra_views[nextra++] = ops;
	return 0;
}

/* Find a view type by name. */
const struct view_ops *
view_find_ops(const char *name)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		if (!strcmp(builtin_views[i]->name, name))
			return builtin_views[i];
	for (size_t i = 0; i < nextra; i++)
		if (!strcmp(extra_views[i]->name, name))
			return extra_views[i];
	return NULL;
}

/* Visit every view type. */
void
view_foreach_ops(void (*fn)(const struct view_ops *ops, void *data), void *data)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		fn(builtin_views[i], data);
	for (size_t i = 0; i < nextra; i++)
		fn(extra_views[i], data);
}

static void
view_layout(struct view *v)
{
	int rows = display_rows(), cols = display_cols();
	v->height = rows > 2 ? rows - 2 : 0;
	v->width = cols > 0 ? cols : 0;
}

/* Open a view on top of the stack; NULL (status set) on failure. */
struct view *
view_open(const struct view_ops *ops, const struct view_arg *arg)
{
	if (depth == (int)(sizeof stack / sizeof stack[0])) {
		tui_error("too many views open: close some with q");
		return NULL;
	}
	struct view *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->ops = ops;
	if (ops->private_size && !(v->priv = calloc(1, ops->private_size))) {
		free(v);
		return NULL;
	}
	v->from = arg ? arg->from : NULL;
	view_layout(v);
	struct view_arg empty = { 0 };
	if (ops->open && ops->open(v, arg ? arg : &empty) < 0) {
		if (ops->done)
			ops->done(v);
		free(v->priv);
		free(v);
		return NULL;
	}
	v->dirty = 1;
	stack[depth++] = v;
	return v;
}

/* Close the top view. */
void
view_close_top(void)
{
	if (!depth)
		return;
	struct view *v = stack[--depth];
	if (v->ops->done)
		v->ops->done(v);
	free(v->priv);
	free(v);
	if (depth) {
		stack[depth - 1]->dirty = 1;
		if (stack[depth - 1]->ops->tick)
			stack[depth - 1]->ops->tick(stack[depth - 1]);
	}
}

void
view_close_all(void)
{
	while (depth)
		view_close_top();
}

struct view *
view_top(void)
{
	return depth ? stack[depth - 1] : NULL;
}

int
view_depth(void)
{
	return depth;
}

void
view_redraw(struct view *v)
{
	if (v)
		v->dirty = 1;
}

/* Move the cursor to lineno (clamped) and keep it visible. */
void
view_goto(struct view *v, long lineno)
{
	if (lineno >= v->lines)
		lineno = v->lines - 1;
	if (lineno < 0)
		lineno = 0;
	v->lineno = lineno;
	int h = v->height - v->header_rows > 0 ? v->height - v->header_rows : 1;
	if (v->ops->flags & VIEW_NO_CURSOR) {
		long maxoff = v->lines - h;
		v->offset = lineno > maxoff ? (maxoff > 0 ? maxoff : 0) : lineno;
		v->lineno = v->offset;
	} else {
		if (lineno < v->offset)
			v->offset = lineno;
		else if (lineno >= v->offset + h)
			v->offset = lineno - h + 1;
	}
	v->dirty = 1;
}

static const char *
line_text(struct view *v, long lineno)
{
	return v->ops->line_text ? v->ops->line_text(v, lineno) : NULL;
}

static int
matches(struct view *v, long lineno)
{
	if (v->ops->search)
		return v->ops->search(v, lineno, v->search);
	const char *t = line_text(v, lineno);
	return t && strcasestr(t, v->search) != NULL;
}

static void
find(struct view *v, int dir)
{
	if (!v->search[0]) {
		tui_status("no search: type / first");
		return;
	}
	long start = v->lineno;
	for (long i = 1; i <= v->lines; i++) {
		long l = (start + dir * i) % v->lines;
		if (l < 0)
			l += v->lines;
		if (matches(v, l)) {
			view_goto(v, l);
			tui_status("/%s: line %ld of %ld%s", v->search, l + 1, v->lines,
				(dir > 0 && l <= start) || (dir < 0 && l >= start) ? " (wrapped)" : "");
			return;
		}
	}
	tui_error("pattern not found: %s", v->search);
}

/* Generic movement, search and view requests; REQ_NONE if handled. */
enum request
view_generic_request(struct view *v, enum request req)
{
	int h = v->height - v->header_rows > 0 ? v->height - v->header_rows : 1;
	int nocursor = v->ops->flags & VIEW_NO_CURSOR;
	switch (req) {
	case REQ_MOVE_UP:
		view_goto(v, (nocursor ? v->offset : v->lineno) - 1);
		return REQ_NONE;
	case REQ_MOVE_DOWN:
		view_goto(v, nocursor ? v->offset + 1 : v->lineno + 1);
		return REQ_NONE;
	case REQ_MOVE_PAGE_UP:
		v->offset -= h;
		if (v->offset < 0)
			v->offset = 0;
		view_goto(v, v->lineno - h);
		return REQ_NONE;
	case REQ_MOVE_PAGE_DOWN:
		if (v->offset + h < v->lines)
			v->offset += h;
		view_goto(v, v->lineno + h);
		return REQ_NONE;
	case REQ_MOVE_HALF_UP:
		view_goto(v, v->lineno - h / 2);
		return REQ_NONE;
	case REQ_MOVE_HALF_DOWN:
		view_goto(v, v->lineno + h / 2);
		return REQ_NONE;
	case REQ_MOVE_FIRST:
		view_goto(v, 0);
		return REQ_NONE;
	case REQ_MOVE_LAST:
		view_goto(v, v->lines - 1);
		return REQ_NONE;
	case REQ_SCROLL_LEFT:
		if (v->hscroll > 0)
			v->hscroll -= v->width / 4 > 0 ? v->width / 4 : 1;
		if (v->hscroll < 0)
			v->hscroll = 0;
		v->dirty = 1;
		return REQ_NONE;
	case REQ_SCROLL_RIGHT:
		v->hscroll += v->width / 4 > 0 ? v->width / 4 : 1;
		v->dirty = 1;
		return REQ_NONE;
	case REQ_SEARCH:
		if (v->ops->flags & VIEW_NO_SEARCH)
			return req;
		{
			char buf[256];
			if (prompt_read("/", "", -1, NULL, buf, sizeof buf) && buf[0]) {
				snprintf(v->search, sizeof v->search, "%s", buf);
				find(v, 1);
			}
		}
		v->dirty = 1;
		return REQ_NONE;
	case REQ_FIND_NEXT:
		find(v, 1);
		return REQ_NONE;
	case REQ_FIND_PREV:
		find(v, -1);
		return REQ_NONE;
	case REQ_REFRESH:
		if (v->ops->refresh)
			v->ops->refresh(v);
		v->dirty = 1;
		return REQ_NONE;
	default:
		return req;
	}
}

static void
draw_title(struct view *v)
{
	int cols = display_cols();
	const char *title = v->ops->title ? v->ops->title(v) : v->ops->name;
	display_fill(0, 0, cols, COLOR_TITLE);
	char pos[64] = "";
	if (v->lines > 0 && !v->ops->draw)
		snprintf(pos, sizeof pos, " %ld/%ld ", (v->ops->flags & VIEW_NO_CURSOR ? v->offset : v->lineno) + 1, v->lines);
	int plen = (int)strlen(pos);
	char buf[1024];
	/* titles may hold run names: sanitize */
	display_fit(title, cols - plen - 1 > 0 ? cols - plen - 1 : cols, buf, sizeof buf);
	display_put(0, 0, cols, buf, COLOR_TITLE);
	if (plen && cols > plen + 10)
		display_put(0, cols - plen, plen, pos, COLOR_TITLE);
}

static void
draw_status(void)
{
	int rows = display_rows(), cols = display_cols();
	if (rows < 2)
		return;
	display_fill(rows - 1, 0, cols, COLOR_STATUS);
	if (tui.status[0]) {
		display_put(rows - 1, 0, cols, tui.status, tui.status_error ? COLOR_ERROR : COLOR_STATUS);
	} else {
		const char *hint = tui.ascii ? "? help  : command  q close" : "? help  : command  q close";
		display_put(rows - 1, 0, cols, hint, COLOR_DIM);
	}
}

/* Draw the top view completely. */
void
view_draw_all(void)
{
	struct view *v = view_top();
	display_clear();
	if (!v) {
		display_refresh();
		return;
	}
	view_layout(v);
	if (v->height > 0 && v->width > 0) {
		if (v->ops->draw) {
			v->ops->draw(v);
		} else if (v->ops->draw_line) {
			int hr = v->header_rows < v->height ? v->header_rows : v->height;
			int page = v->height - hr;
			if (v->ops->draw_header && hr > 0)
				v->ops->draw_header(v);
			if (v->lineno >= v->lines)
				v->lineno = v->lines > 0 ? v->lines - 1 : 0;
			if (v->offset > v->lineno && !(v->ops->flags & VIEW_NO_CURSOR))
				v->offset = v->lineno;
			if (page > 0 && v->lineno >= v->offset + page && !(v->ops->flags & VIEW_NO_CURSOR))
				v->offset = v->lineno - page + 1;
			if (v->offset < 0)
				v->offset = 0;
			for (int y = 0; y < page && v->offset + y < v->lines; y++) {
				long l = v->offset + y;
				int sel = !(v->ops->flags & VIEW_NO_CURSOR) && l == v->lineno;
				v->ops->draw_line(v, l, y + hr, sel);
			}
		}
	}
	/* the title last: it may report what the body just loaded */
	if (display_rows() >= 1)
		draw_title(v);
	draw_status();
	v->dirty = 0;
	display_refresh();
}

/* Tick the top view (live data); redraw when it asks. */
void
view_tick_all(void)
{
	struct view *v = view_top();
	if (v && v->ops->tick && v->ops->tick(v))
		v->dirty = 1;
}

/* Offer a `:` command to the views, top first. -2 when none knows it. */
int
view_command(int argc, char **argv)
{
	int broadcast = !strcmp(argv[0], "option-changed");
	int rc = -2;
	for (int i = depth - 1; i >= 0; i--) {
		if (!stack[i]->ops->command)
			continue;
		int r = stack[i]->ops->command(stack[i], argc, argv);
		if (r != -2) {
			stack[i]->dirty = 1;
			rc = r;
			if (!broadcast)
				return rc;
		}
	}
	return broadcast ? 0 : rc;
}

void
tui_status(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char raw[1024];
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	char *clean = bc_text_sanitize(raw, strlen(raw), tui.ascii ? BC_TEXT_ASCII : 0);
	snprintf(tui.status, sizeof tui.status, "%s", clean ? clean : "");
	free(clean);
	tui.status_error = 0;
}

void
tui_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char raw[1024];
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	char *clean = bc_text_sanitize(raw, strlen(raw), tui.ascii ? BC_TEXT_ASCII : 0);
	snprintf(tui.status, sizeof tui.status, "%s", clean ? clean : "");
	free(clean);
	tui.status_error = 1;
}

/* ---- shared helpers ---- */

void
run_short_id(const char *id, char *buf, size_t size)
{
	int n = tui.short_len > 0 ? tui.short_len : 7;
	snprintf(buf, size, "%.*s", n, id);
}

enum color_id
status_color(bc_run_status s)
{
	switch (s) {
	case BC_RUN_RUNNING: return COLOR_RUNNING;
	case BC_RUN_FINISHED: return COLOR_FINISHED;
	case BC_RUN_FAILED: return COLOR_FAILED;
	case BC_RUN_CRASHED: return COLOR_CRASHED;
	case BC_RUN_INTERRUPTED: return COLOR_INTERRUPTED;
	}
	return COLOR_DEFAULT;
}

void
open_run_view(const char *id)
{
	struct view_arg a = { .run_id = id, .from = view_top() };
	view_open(&view_run_ops, &a);
}

void
open_diff_view(const char *a, const char *b)
{
	struct view_arg arg = { .run_id = a, .run_id2 = b, .from = view_top() };
	view_open(&view_diff_ops, &arg);
}

void
open_compare_view(char (*ids)[33], size_t n)
{
	struct view_arg a = { .ids = ids, .nids = n, .from = view_top() };
	view_open(&view_compare_ops, &a);
}

void
open_plot_view(char (*ids)[33], size_t n, const char *metric)
{
	struct view_arg a = { .ids = ids, .nids = n, .text = metric, .from = view_top() };
	view_open(&view_plot_ops, &a);
}
