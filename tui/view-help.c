/* SPDX-License-Identifier: MIT */
/*
 * The help view (generated from the key tables of the view it was opened
 * from, plus the generic keymap) and the chooser list view (columns,
 * metrics) that other views push.
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "tui.h"

struct help_priv {
	struct tlines lines;
	const char *keymap;
};

struct help_collect {
	struct tlines *t;
	const char *keymap;
	int generic;
};

static void
add_binding(int key, enum request req, const char *cmd, void *data)
{
	struct help_collect *hc = data;
	char kn[32];
	const char *c2;
	if (hc->generic) {
		/* skip keys the view rebinds */
		enum request own = keys_lookup(hc->keymap, key, &c2);
		enum request gen = keys_lookup("generic", key, &c2);
		if (own != gen)
			return;
	}
	keys_name(key, kn, sizeof kn);
	if (cmd)
		tlines_addf(hc->t, COLOR_DEFAULT, 0, "  %-12s :%s", kn, cmd);
	else if (req != REQ_NONE)
		tlines_addf(hc->t, COLOR_DEFAULT, 0, "  %-12s %-20s %s", kn, request_name(req),
			request_table[req].help);
}

static int
help_open(struct view *v, const struct view_arg *arg)
{
	struct help_priv *h = v->priv;
	h->keymap = arg->from ? arg->from->ops->name : "runs";
	struct help_collect hc = { &h->lines, h->keymap, 0 };
	tlines_addf(&h->lines, COLOR_SECTION, 1, "Keys in the %s view", h->keymap);
	keys_foreach(h->keymap, add_binding, &hc);
	tlines_add(&h->lines, COLOR_DEFAULT, 0, "", 0);
	tlines_addf(&h->lines, COLOR_SECTION, 1, "Keys in every view");
	hc.generic = 1;
	keys_foreach("generic", add_binding, &hc);
	tlines_add(&h->lines, COLOR_DEFAULT, 0, "", 0);
	tlines_addf(&h->lines, COLOR_SECTION, 1, "Commands (type : then the command)");
	static const char *const cmds[] = {
		"sort FIELD[,-FIELD]     sort runs (e.g. :sort -metrics.loss)",
		"filter EXPR             filter runs (same language as bancada ls --filter)",
		"set NAME = VALUE        set an option (set NAME shows it)",
		"bind KEYMAP KEY ACTION  bind a key to a request or :command",
		"color SLOT FG BG [ATTR] change a colour",
		"save-view NAME          save columns, sort, filter to .bancada/views/NAME",
		"view NAME               restore a saved view",
		"save-display FILE       write the screen as text",
		"zoom LO HI              plot: show steps LO..HI",
		"metric KEY              plot: show metric KEY",
		"source FILE             run the commands in FILE",
		"quit                    quit",
	};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		tlines_addf(&h->lines, COLOR_DEFAULT, 0, "  :%s", cmds[i]);
	tlines_add(&h->lines, COLOR_DEFAULT, 0, "", 0);
	tlines_addf(&h->lines, COLOR_SECTION, 1, "All requests (bind them to keys or type :NAME)");
	for (int i = 1; i < REQ_COUNT; i++) {
		tlines_addf(&h->lines, COLOR_DIM, 0, "  %-22s %s", request_table[i].name, request_table[i].help);
	}
	v->lines = (long)h->lines.n;
	return 0;
}

static void
help_draw_line(struct view *v, long lineno, int y, int selected)
{
	struct help_priv *h = v->priv;
	tlines_draw(v, &h->lines, lineno, y, selected);
}

static const char *
help_line_text(struct view *v, long lineno)
{
	struct help_priv *h = v->priv;
	return h->lines.v[lineno].text;
}

static const char *
help_title(struct view *v)
{
	static char buf[128];
	struct help_priv *h = v->priv;
	snprintf(buf, sizeof buf, "[help] %s", h->keymap);
	return buf;
}

static void
help_done(struct view *v)
{
	struct help_priv *h = v->priv;
	tlines_clear(&h->lines);
}

const struct view_ops view_help_ops = {
	.name = "help",
	.flags = VIEW_NO_CURSOR,
	.private_size = sizeof(struct help_priv),
	.open = help_open,
	.draw_line = help_draw_line,
	.line_text = help_line_text,
	.title = help_title,
	.done = help_done,
};

/* ---- chooser list ---- */

struct list_priv {
	struct list_spec spec;
	char **items;
	int *toggles;
	char title[256];
};

static int
list_open(struct view *v, const struct view_arg *arg)
{
	struct list_priv *l = v->priv;
	const struct list_spec *s = arg->data;
	l->spec = *s;
	snprintf(l->title, sizeof l->title, "%s", s->title);
	l->items = calloc(s->n ? s->n : 1, sizeof(char *));
	l->toggles = calloc(s->n ? s->n : 1, sizeof(int));
	if (!l->items || !l->toggles)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		l->items[i] = strdup(s->items[i]);
		if (s->toggles)
			l->toggles[i] = s->toggles[i];
	}
	v->lines = (long)s->n;
	view_goto(v, (long)s->initial);
	return 0;
}

static void
list_draw_line(struct view *v, long lineno, int y, int selected)
{
	struct list_priv *l = v->priv;
	enum color_id c = selected ? COLOR_CURSOR : COLOR_DEFAULT;
	if (selected)
		view_draw_fill(v, y, 0, v->width, COLOR_CURSOR);
	int x = 0;
	if (l->spec.toggles)
		x = view_draw_text(v, y, 0, 4, l->toggles[lineno] ? "[x] " : "[ ] ", c);
	view_draw_text(v, y, x, v->width - x, l->items[lineno], c);
}

static enum request
list_request(struct view *v, enum request req)
{
	struct list_priv *l = v->priv;
	if (req == REQ_MARK && l->spec.toggles && v->lines) {
		l->toggles[v->lineno] = !l->toggles[v->lineno];
		view_goto(v, v->lineno + 1);
		return REQ_NONE;
	}
	if (req == REQ_ENTER && v->lines) {
		struct list_spec spec = l->spec;
		long idx = spec.toggles ? -1 : v->lineno;
		int *tog = l->toggles;
		l->toggles = NULL;
		view_close_top();
		if (spec.chosen)
			spec.chosen(spec.target, idx, tog, spec.data);
		free(tog);
		return REQ_NONE;
	}
	return req;
}

static const char *
list_line_text(struct view *v, long lineno)
{
	struct list_priv *l = v->priv;
	return l->items[lineno];
}

static const char *
list_title(struct view *v)
{
	struct list_priv *l = v->priv;
	return l->title;
}

static void
list_done(struct view *v)
{
	struct list_priv *l = v->priv;
	for (size_t i = 0; l->items && i < l->spec.n; i++)
		free(l->items[i]);
	free(l->items);
	free(l->toggles);
}

const struct view_ops view_list_ops = {
	.name = "list",
	.private_size = sizeof(struct list_priv),
	.open = list_open,
	.draw_line = list_draw_line,
	.request = list_request,
	.line_text = list_line_text,
	.title = list_title,
	.done = list_done,
};

/* Push a chooser (see struct list_spec). */
void
open_list_view(const struct list_spec *spec)
{
	struct view_arg a = { .data = spec, .from = view_top() };
	view_open(&view_list_ops, &a);
}
