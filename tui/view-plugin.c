/* SPDX-License-Identifier: MIT */
/*
 * Plugin views in the workbench. A C plugin draws on a bc_canvas that is
 * blitted through view_draw_canvas (sanitized, clipped); its keys reach it
 * through the "plugin" keymap (`:plugin-key KEY`). An external plugin runs
 * as a polled job (the TUI stays responsive; q cancels it) and its marked-up
 * output is shown in a pager. Each plugin's key is bound in the generic
 * keymap to `:plugin NAME` when that key is free, so `?` lists them.
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <curses.h>
#include <bancada/plughost.h>
#include "tui.h"

/* Optional, from the runs view: the run under the cursor and the marked runs. */
const char *runs_selection(struct view *v, char (**marked)[33], size_t *nmarked)
	__attribute__((weak));

static bc_plugin_set plugins;
static int plugins_loaded;

struct pv_priv {
	const bc_plugin_info *pi;
	bc_cplugin *cp;
	bc_pview *pv;
	bc_canvas *canvas;
	struct view_cell *cells;
	int cw, ch;
	bc_extjob *job;
	bc_styled out;
	char title[160];
};

static enum color_id
map_color(uint32_t attr)
{
	if (attr & BC_ATTR_REVERSE)
		return COLOR_CURSOR;
	switch (attr & BC_ATTR_COLOR_MASK) {
	case BC_COLOR_RED: return COLOR_DELTA_DOWN;
	case BC_COLOR_GREEN: return COLOR_DELTA_UP;
	case BC_COLOR_YELLOW: return COLOR_INTERRUPTED;
	case BC_COLOR_BLUE: return COLOR_DATE;
	case BC_COLOR_MAGENTA: return COLOR_ID;
	case BC_COLOR_CYAN: return COLOR_PLOT2;
	case BC_COLOR_WHITE: return COLOR_PLOT7;
	default: return attr & BC_ATTR_DIM ? COLOR_DIM : COLOR_DEFAULT;
	}
}

static uint32_t
first_cp(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	if (!u[0])
		return 0;
	if (u[0] < 0x80)
		return u[0];
	int n = u[0] >= 0xf0 ? 3 : u[0] >= 0xe0 ? 2 : 1;
	uint32_t v = u[0] & (0x3f >> n);
	for (int i = 1; i <= n && u[i]; i++)
		v = (v << 6) | (u[i] & 0x3f);
	return v;
}

/* The runs a plugin opens on: marked runs, else the one under the cursor. */
static size_t
selection(struct view *from, char (**ids)[33])
{
	*ids = NULL;
	if (!from)
		return 0;
	if (runs_selection && !strcmp(from->ops->name, "runs")) {
		char (*marked)[33] = NULL;
		size_t n = 0;
		const char *cur = runs_selection(from, &marked, &n);
		size_t total = n ? n : cur ? 1 : 0;
		*ids = calloc(total + 1, sizeof **ids);
		if (!*ids)
			return 0;
		if (n)
			memcpy(*ids, marked, n * sizeof **ids);
		else if (cur)
			snprintf((*ids)[0], 33, "%s", cur);
		return total;
	}
	/*
	 * Without runs_selection(): the run view's title starts with the run's
	 * short id; the runs view's line text is the run's name.
	 */
	char ref[80] = "";
	if (!strcmp(from->ops->name, "run") && from->ops->title) {
		const char *t = from->ops->title(from);
		if (t && !strncmp(t, "[run] ", 6))
			sscanf(t + 6, "%32[0-9a-f]", ref);
	} else if (!strcmp(from->ops->name, "runs") && from->ops->line_text && from->lines > 0) {
		const char *name = from->ops->line_text(from, from->lineno);
		snprintf(ref, sizeof ref, "%s", name ? name : "");
	}
	if (!ref[0])
		return 0;
	*ids = calloc(1, sizeof **ids);
	if (*ids && bc_run_resolve(tui.p, ref, 0, (*ids)[0]) == 0)
		return 1;
	free(*ids);
	*ids = NULL;
	return (size_t)-1;   /* ambiguous: say so rather than guess */
}

static void finish_job(struct view *v, struct pv_priv *s);

static int
pv_open(struct view *v, const struct view_arg *arg)
{
	struct pv_priv *s = v->priv;
	s->pi = arg && arg->text ? bc_plugin_find(&plugins, arg->text) : NULL;
	if (!s->pi) {
		tui_error("no plugin named '%s': see `bancada plugin ls`", arg && arg->text ? arg->text : "");
		return -1;
	}
	char (*ids)[33] = NULL;
	size_t n = s->pi->input == BC_INPUT_FILTERED ? 0 : arg->nids ? arg->nids :
		selection(arg->from, &ids);
	if (n == (size_t)-1) {
		tui_error("plugin %s: %s", s->pi->name, bc_errmsg(tui.p));
		return -1;
	}
	if (s->pi->input == BC_INPUT_RUN && n > 1)
		n = 1;
	const char **idv = calloc(n + 1, sizeof *idv);
	for (size_t i = 0; idv && i < n; i++)
		idv[i] = arg->nids ? arg->ids[i] : ids[i];
	const char *filter = option_get("filter");
	if (filter && !*filter)
		filter = NULL;
	int rc = -1;
	snprintf(s->title, sizeof s->title, "[plugin] %s", s->pi->name);
	if (s->pi->kind == BC_PLUGIN_KIND_EXTERNAL) {
		if (bc_extjob_start(&s->job, tui.p, s->pi, idv, n, filter, v->width) == 0) {
			tui_status("running plugin %s... (q stops it)", s->pi->name);
			rc = 0;
			/*
			 * A quick plugin shows at once; a slow one runs while the TUI
			 * stays live. Scripted sessions (tests) wait, unless told not to.
			 */
			int wait = getenv("BANCADA_SCRIPT") && !getenv("BANCADA_PLUGIN_ASYNC") ?
				s->pi->timeout_ms + 1000 : 500;
			if (bc_extjob_poll(s->job, wait) == 1)
				finish_job(v, s);
		}
	} else if (bc_cplugin_load(&s->cp, tui.p, s->pi) == 0) {
		bc_pview_options o = BC_PVIEW_OPTIONS_INIT;
		o.filter = filter;
		o.run_ids = idv;
		o.nruns = n;
		o.ascii = tui.ascii;
		if (bc_pview_open(&s->pv, s->cp, tui.p, &o) == 0 &&
		    (s->canvas = bc_canvas_new(v->height, v->width)))
			rc = 0;
		if (s->canvas)
			bc_canvas_set_ascii(s->canvas, tui.ascii);
	}
	if (rc < 0)
		tui_error("%s", bc_errmsg(tui.p));
	free(idv);
	free(ids);
	return rc;
}

static void
show_messages(struct pv_priv *s)
{
	char *msg = s->pv ? bc_pview_take_messages(s->pv) : NULL;
	if (msg) {
		char *nl = strrchr(msg, '\n');
		tui_status("%s: %s", s->pi->name, nl ? nl + 1 : msg);
	}
	free(msg);
}

static void
pv_draw(struct view *v)
{
	struct pv_priv *s = v->priv;
	if (!s->pv)
		return;
	if (s->cw != v->width || s->ch != v->height) {
		free(s->cells);
		s->cells = calloc((size_t)v->width * (size_t)v->height, sizeof *s->cells);
		s->cw = v->width;
		s->ch = v->height;
		bc_canvas_resize(s->canvas, v->height, v->width);
	}
	if (!s->cells)
		return;
	bc_pview_draw(s->pv, s->canvas);
	for (int y = 0; y < s->ch; y++)
		for (int x = 0; x < s->cw; x++) {
			const bc_cell *c = bc_canvas_cell(s->canvas, y, x);
			struct view_cell *o = &s->cells[(size_t)y * (size_t)s->cw + (size_t)x];
			o->cp = c ? first_cp(c->ch) : 0;
			o->color = (uint8_t)(c ? map_color(c->attr) : COLOR_DEFAULT);
			o->bold = c && (c->attr & BC_ATTR_BOLD);
		}
	view_draw_canvas(v, s->cells, s->cw, s->ch);
	show_messages(s);
}

static void
pv_draw_line(struct view *v, long lineno, int y, int selected)
{
	struct pv_priv *s = v->priv;
	if (lineno < 0 || (size_t)lineno >= s->out.n)
		return;
	const bc_styled_line *l = &s->out.lines[lineno];
	int x = -v->hscroll;
	for (size_t i = 0; i < l->n && x < v->width; i++) {
		const char *t = l->spans[i].text;
		if (x < 0) {
			int w = bc_text_width(t);
			if (x + w <= 0) {
				x += w;
				continue;
			}
			x = 0;   /* a span cut on the left starts at the edge */
		}
		x += view_draw_text(v, y, x, v->width - x, t, map_color(l->spans[i].attr));
	}
}

static const char *
pv_line_text(struct view *v, long lineno)
{
	static char *buf;
	struct pv_priv *s = v->priv;
	free(buf);
	buf = NULL;
	if (lineno < 0 || (size_t)lineno >= s->out.n)
		return "";
	bc_styled one = { &s->out.lines[lineno], 1, 1 };
	buf = bc_styled_render(&one, 0);
	if (buf && *buf)
		buf[strlen(buf) - 1] = '\0';
	return buf ? buf : "";
}

static void
finish_job(struct view *v, struct pv_priv *s)
{
	bc_ext_result r;
	bc_extjob_finish(s->job, &r);
	s->job = NULL;
	bc_markup_parse(r.out, r.out_len, &s->out);
	bc_styled err;
	if (r.err_len && bc_markup_parse(r.err, r.err_len, &err) == 0) {
		/* stderr below the output, in red */
		bc_styled_line *lines = realloc(s->out.lines, (s->out.n + err.n) * sizeof *lines);
		if (lines) {
			s->out.cap = s->out.n + err.n;
			for (size_t i = 0; i < err.n; i++)
				for (size_t k = 0; k < err.lines[i].n; k++)
					err.lines[i].spans[k].attr = BC_COLOR_RED;
			memcpy(lines + s->out.n, err.lines, err.n * sizeof *lines);
			s->out.lines = lines;
			s->out.n += err.n;
			free(err.lines);
		} else {
			bc_styled_clear(&err);
		}
	}
	v->lines = (long)s->out.n;
	if (r.timed_out)
		tui_error("plugin %s timed out after %.1fs and was stopped", s->pi->name,
			s->pi->timeout_ms / 1000.0);
	else if (r.truncated)
		tui_error("plugin %s printed more than %zu bytes: output cut", s->pi->name,
			s->pi->output_cap);
	else if (r.term_signal)
		tui_error("plugin %s was killed by signal %d", s->pi->name, r.term_signal);
	else if (r.exit_code)
		tui_error("plugin %s exited with status %d", s->pi->name, r.exit_code);
	else
		tui_status("plugin %s: %zu lines in %.1fs", s->pi->name, s->out.n,
			(double)r.elapsed_ms / 1000.0);
	bc_ext_result_clear(&r);
	v->dirty = 1;
}

static int
pv_tick(struct view *v)
{
	struct pv_priv *s = v->priv;
	if (s->job && bc_extjob_poll(s->job, 0) == 1) {
		finish_job(v, s);
		return 1;
	}
	return 0;
}

static int
pv_command(struct view *v, int argc, char **argv)
{
	struct pv_priv *s = v->priv;
	if (strcmp(argv[0], "plugin-key") || argc != 2)
		return -2;
	int key = keys_parse_name(argv[1]);
	static const struct { int curses, plugin; } map[] = {
		{ KEYF(KEY_UP), BC_KEY_UP }, { KEYF(KEY_DOWN), BC_KEY_DOWN },
		{ KEYF(KEY_LEFT), BC_KEY_LEFT }, { KEYF(KEY_RIGHT), BC_KEY_RIGHT },
		{ KEYF(KEY_PPAGE), BC_KEY_PGUP }, { KEYF(KEY_NPAGE), BC_KEY_PGDOWN },
		{ KEYF(KEY_HOME), BC_KEY_HOME }, { KEYF(KEY_END), BC_KEY_END },
		{ '\n', BC_KEY_ENTER }, { '\r', BC_KEY_ENTER }, { '\t', BC_KEY_TAB },
		{ KEYF(KEY_BTAB), BC_KEY_BACKTAB },
	};
	int pk = key;
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (map[i].curses == key)
			pk = map[i].plugin;
	int r = s->pv ? bc_pview_key(s->pv, pk) : BC_KEY_IGNORED;
	if (r == BC_KEY_CLOSE) {
		view_close_top();
		return 0;
	}
	if (r == BC_KEY_IGNORED) {
		/* not the plugin's: what the key does elsewhere */
		const char *cmd;
		enum request req = keys_lookup("generic", key, &cmd);
		if (req != REQ_NONE)
			tui_request(req);
	}
	v->dirty = 1;
	return 0;
}

static const char *
pv_title(struct view *v)
{
	struct pv_priv *s = v->priv;
	return s->title;
}

static void
pv_done(struct view *v)
{
	struct pv_priv *s = v->priv;
	if (s->job) {
		bc_ext_result r;
		bc_extjob_finish(s->job, &r);   /* kills it */
		bc_ext_result_clear(&r);
		tui_status("plugin %s stopped", s->pi->name);
	}
	bc_pview_close(s->pv);
	bc_cplugin_free(s->cp);
	bc_canvas_free(s->canvas);
	bc_styled_clear(&s->out);
	free(s->cells);
}

/* C plugins: they draw themselves and get keys. */
static const struct view_ops view_plugin_ops = {
	.name = "plugin",
	.flags = VIEW_NO_SEARCH,
	.private_size = sizeof(struct pv_priv),
	.open = pv_open,
	.draw = pv_draw,
	.command = pv_command,
	.title = pv_title,
	.done = pv_done,
};

/* External plugins: a pager of their output. */
static const struct view_ops view_plugin_output_ops = {
	.name = "plugin-output",
	.flags = VIEW_NO_CURSOR | VIEW_LIVE,
	.private_size = sizeof(struct pv_priv),
	.open = pv_open,
	.draw_line = pv_draw_line,
	.line_text = pv_line_text,
	.tick = pv_tick,
	.title = pv_title,
	.done = pv_done,
};

/* One chooser line: key, name, kind and trust, description (malloc'd). */
static char *
item_line(const bc_plugin_info *pi)
{
	size_t size = 512;
	char *line = malloc(size);
	if (line)
		snprintf(line, size, "%c  %-12s %-8s %-9s %s", pi->key ? pi->key : ' ', pi->name,
			pi->kind == BC_PLUGIN_KIND_C ? "c" : "external", bc_trust_name(pi->trust),
			pi->why && pi->trust != BC_TRUST_IMPLICIT ? pi->why :
			pi->description ? pi->description : "");
	return line;
}

static void
plugins_free(void)
{
	bc_plugin_set_clear(&plugins);
}

/* Discover plugins, register the plugin views and bind each plugin's key where free. */
void
tui_plugins_init(void)
{
	if (plugins_loaded)
		return;
	plugins_loaded = 1;
	bc_plugins_discover(tui.p, &plugins);
	bc_plugins_describe(tui.p, &plugins);
	atexit(plugins_free);
	view_register(&view_plugin_ops);
	view_register(&view_plugin_output_ops);
	char err[256];
	/* keys of the plugin keymap go to the plugin (q, Q, ?, : keep their meaning) */
	static const char *const special[] = { "<Up>", "<Down>", "<Left>", "<Right>", "<PgUp>",
		"<PgDown>", "<Home>", "<End>", "<Enter>", "<Tab>", "<BackTab>" };
	for (int c = '!'; c < 0x7f; c++) {
		if (strchr("qQ?:\"'\\#", c))
			continue;
		char name[2] = { (char)c, 0 }, action[32];
		snprintf(action, sizeof action, ":plugin-key %s", name);
		if (c != '<')
			keys_bind("plugin", name, action, err, sizeof err);
	}
	for (size_t i = 0; i < sizeof special / sizeof *special; i++) {
		char action[32];
		snprintf(action, sizeof action, ":plugin-key %s", special[i]);
		keys_bind("plugin", special[i], action, err, sizeof err);
	}
	/* each plugin's key opens it, where the key is free */
	for (size_t i = 0; i < plugins.n; i++) {
		const bc_plugin_info *pi = &plugins.v[i];
		const char *cmd;
		if (pi->shadowed || !pi->key || keys_lookup("runs", pi->key, &cmd) != REQ_NONE || cmd)
			continue;
		char name[2] = { (char)pi->key, 0 }, action[128];
		snprintf(action, sizeof action, ":plugin %s", pi->name);
		keys_bind("generic", name, action, err, sizeof err);
	}
}

static void
open_plugin(const bc_plugin_info *pi, struct view *from)
{
	/* a plugin opened from a plugin view works on what that view was opened from */
	while (from && from->from && !strncmp(from->ops->name, "plugin", 6))
		from = from->from;
	struct view_arg a = { .text = pi->name, .from = from };
	view_open(pi->kind == BC_PLUGIN_KIND_EXTERNAL ? &view_plugin_output_ops : &view_plugin_ops, &a);
}

static const bc_plugin_info *chooser[256];

static void
plugin_chosen(struct view *target, long idx, const int *toggles, void *data)
{
	if (idx >= 0 && idx < (long)(sizeof chooser / sizeof *chooser) && chooser[idx])
		open_plugin(chooser[idx], target);
}

/* `:plugin` alone: a list of every plugin (key, name, trust, description). */
static void
choose_plugin(void)
{
	char *items[256];
	size_t n = 0;
	for (size_t i = 0; i < plugins.n && n < 256; i++) {
		const bc_plugin_info *pi = &plugins.v[i];
		if (pi->shadowed)
			continue;
		chooser[n] = pi;
		items[n++] = item_line(pi);
	}
	if (!n) {
		tui_status("no plugins: see share/plugins.md");
		return;
	}
	struct list_spec spec = { .title = "plugins", .items = items, .n = n,
		.chosen = plugin_chosen, .target = view_top() };
	open_list_view(&spec);
	for (size_t i = 0; i < n; i++)
		free(items[i]);
}

/* `:plugin [NAME]`: open a plugin's view on the current selection, or choose one. */
int
tui_plugin_command(int argc, char **argv, char *err, size_t errsize)
{
	tui_plugins_init();
	if (argc == 1) {
		choose_plugin();
		return 0;
	}
	if (argc != 2) {
		snprintf(err, errsize, "usage: plugin [NAME] (see `bancada plugin ls`)");
		return -1;
	}
	const bc_plugin_info *pi = bc_plugin_find(&plugins, argv[1]);
	if (!pi) {
		snprintf(err, errsize, "no plugin named '%s': see `bancada plugin ls`", argv[1]);
		return -1;
	}
	open_plugin(pi, view_top());
	return 0;
}
