/* SPDX-License-Identifier: MIT */
/*
 * `bancada tui` (and `bancada` with no command): the workbench. Sets up the
 * display (falling back to `bancada ls` when there is no usable terminal),
 * loads the config, runs the key loop, and replays BANCADA_SCRIPT for tests.
 */
#include "config.h"
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tui.h"

struct tui_state tui;
extern const struct bc_cmd cmd_tui;

/* ---- the script: lines of keys ("jj<Enter>") or ":commands" ---- */
static char **script_lines;
static size_t script_n, script_line;
static size_t script_pos;
static int script_loaded;

static int
script_load(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[8192];
	while (fgets(line, sizeof line, f)) {
		size_t l = strlen(line);
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = 0;
		if (!l || line[0] == '#')
			continue;
		char **nv = realloc(script_lines, (script_n + 1) * sizeof *nv);
		if (!nv)
			break;
		script_lines = nv;
		script_lines[script_n++] = strdup(line);
	}
	fclose(f);
	script_loaded = 1;
	return 0;
}

/* Next key from the script; KEY_NONE when it is exhausted. */
static int
script_key(const char **cmd)
{
	static char name[64];
	while (script_line < script_n) {
		const char *l = script_lines[script_line];
		if (script_pos == 0 && l[0] == ':') {
			script_line++;
			*cmd = l + 1;
			return KEY_SCRIPT_CMD;
		}
		if (!l[script_pos]) {
			script_line++;
			script_pos = 0;
			continue;
		}
		const char *s = l + script_pos;
		if (*s == '<') {
			const char *e = strchr(s, '>');
			if (e && e - s < (long)sizeof name - 1) {
				memcpy(name, s, (size_t)(e - s + 1));
				name[e - s + 1] = 0;
				script_pos += (size_t)(e - s + 1);
				int key = keys_parse_name(name);
				if (key >= 0)
					return key;
				continue;
			}
		}
		wchar_t wc;
		mbstate_t st;
		memset(&st, 0, sizeof st);
		size_t n = mbrtowc(&wc, s, strlen(s), &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			script_pos++;
			continue;
		}
		script_pos += n;
		return (int)wc;
	}
	return KEY_NONE;
}

/* Give back the ":command" just read (a prompt that gets one cancels instead). */
void
tui_unget_script_cmd(void)
{
	if (script_loaded && script_line > 0) {
		script_line--;
		script_pos = 0;
	}
}

/* Next key: the script first, then the terminal. */
int
tui_getkey(int timeout_ms, const char **cmd)
{
	*cmd = NULL;
	if (script_loaded) {
		int k = script_key(cmd);
		if (k != KEY_NONE)
			return k;
		if (tui.no_display)
			return KEY_HANGUP;  /* script done: quit */
	}
	return display_getkey(timeout_ms);
}

/* Execute a request in the top view: the view, then generic, then global. */
void
tui_request(enum request req)
{
	struct view *v = view_top();
	if (!v || req == REQ_NONE)
		return;
	if (v->ops->request)
		req = v->ops->request(v, req);
	if (req == REQ_NONE)
		return;
	if (view_top() != v)
		return;
	req = view_generic_request(v, req);
	switch (req) {
	case REQ_NONE:
		break;
	case REQ_VIEW_CLOSE:
		view_close_top();
		break;
	case REQ_QUIT:
		tui.quit = 1;
		break;
	case REQ_VIEW_HELP:
		if (strcmp(v->ops->name, "help")) {
			struct view_arg a = { .from = v };
			view_open(&view_help_ops, &a);
		}
		break;
	case REQ_PROMPT:
		prompt_command();
		break;
	default: {
		/* a VIEW request named like a view type opens it (`V`, `:data`) */
		const struct view_ops *o = strcmp(request_table[req].group, "VIEW") ? NULL
			: view_find_ops(request_name(req));
		if (o && strcmp(o->name, v->ops->name)) {
			struct view_arg a = { .from = v };
			view_open(o, &a);
			break;
		}
		tui_status("%s: not available in the %s view", request_name(req), v->ops->name);
		break;
	}
	}
}

static void
handle_key(int key)
{
	struct view *v = view_top();
	const char *cmd;
	enum request req = keys_lookup(v->ops->name, key, &cmd);
	if (cmd) {
		char err[512];
		if (config_run_line(cmd, err, sizeof err) < 0)
			tui_error("%s", err);
		return;
	}
	if (req == REQ_NONE) {
		char kn[32];
		tui_status("%s is not bound: ? shows the keys", keys_name(key, kn, sizeof kn));
		return;
	}
	tui.status[0] = 0;
	tui_request(req);
}

/* ---- timing trace for benchmarks: BANCADA_TRACE=FILE (BANCADA_T0=exec time in ns) ---- */
static FILE *trace_fp;
static double trace_t0, trace_key_t;
static char trace_key[64];
static int trace_painted;

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
trace_paint(void)
{
	if (!trace_fp)
		return;
	double t = now_ms();
	if (!trace_painted++)
		fprintf(trace_fp, "first-paint %.1f ms since exec\n", t - trace_t0);
	else if (trace_key[0])
		fprintf(trace_fp, "key %s %.1f ms to paint\n", trace_key, t - trace_key_t);
	trace_key[0] = 0;
	fflush(trace_fp);
}

static void
main_loop(void)
{
	int in_paste = 0;
	double last_tick = now_ms();
	while (!tui.quit && view_depth() > 0) {
		struct view *v = view_top();
		if (v->dirty) {
			view_draw_all();
			trace_paint();
		}
		const char *cmd;
		int key = tui_getkey((int)tui.opt.refresh_interval, &cmd);
		if (trace_fp && key != KEY_NONE) {
			trace_key_t = now_ms();
			if (key == KEY_SCRIPT_CMD)
				snprintf(trace_key, sizeof trace_key, ":%.60s", cmd);
			else
				keys_name(key, trace_key, sizeof trace_key);
		}
		if (key == KEY_HANGUP)
			break;
		/* live data: tick at least every refresh-interval, even while typing */
		double t = now_ms();
		if (key == KEY_NONE || t - last_tick >= (double)tui.opt.refresh_interval) {
			last_tick = t;
			auto_import_tick();
			view_tick_all();
			if (key == KEY_NONE)
				continue;
		}
		view_redraw(view_top());
		if (key == KEY_SCRIPT_CMD) {
			char err[512];
			if (config_run_line(cmd, err, sizeof err) < 0)
				tui_error("%s", err);
			/* scripted steps see live changes at once */
			view_tick_all();
			continue;
		}
		if (key == KEY_PASTE_BEGIN) {
			in_paste = 1;
			continue;
		}
		if (key == KEY_PASTE_END) {
			in_paste = 0;
			continue;
		}
		if (in_paste)
			continue;   /* pasted text is never run as keys */
		if (key == KEYF(KEY_RESIZE))
			continue;
		handle_key(key);
	}
}

static int
fallback_ls(struct bc_cmd_ctx *ctx, const char *why)
{
	fprintf(stderr, "bancada: %s; showing `bancada ls` instead (run `bancada ls --help`)\n", why);
	const struct bc_cmd *ls = cmd_find("ls");
	if (!ls)
		return EXIT_ERR;
	static char ls_name[] = "ls";
	char *argv[] = { ls_name, NULL };
	return ls->exec(ctx, 1, argv);
}

static int
tui_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--filter") && i + 1 < argc)
			setenv("BANCADA_TUI_FILTER", argv[++i], 1);
		else
			return cmd_usage(&cmd_tui, "unknown argument");
	}
	const char *script = getenv("BANCADA_SCRIPT");
	tui.no_display = getenv("BANCADA_NO_DISPLAY") != NULL;
	if (getenv("BANCADA_TRACE")) {
		trace_fp = fopen(getenv("BANCADA_TRACE"), "a");
		trace_t0 = getenv("BANCADA_T0") ? atof(getenv("BANCADA_T0")) / 1e6 : now_ms();
	}
	if (!tui.no_display && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)))
		return fallback_ls(ctx, "not a terminal");
	tui.p = ctx->p;
	tui.ctx = ctx;
	tui.ascii = ctx->ascii;
	tui.short_len = 0;   /* computed with the run list (in the background when large) */
	options_init();
	if (script && script_load(script) < 0) {
		options_free();
		return cmd_error("cannot read BANCADA_SCRIPT %s", script);
	}
	if (display_init() < 0) {
		options_free();
		const char *term = getenv("TERM");
		char why[256];
		const char *lib = display_curses_error();
		if (lib)
			snprintf(why, sizeof why, "%s", lib);
		else
			snprintf(why, sizeof why, "cannot use the terminal (TERM=%s)", term ? term : "unset");
		return fallback_ls(ctx, why);
	}
	config_load_all();
	auto_import_start();
	tui_plugins_init();      /* plugin views and their keys (view-plugin.c) */
	const char *f = getenv("BANCADA_TUI_FILTER");
	if (f) {
		char err[128];
		option_set("filter", f, err, sizeof err);
	}
	char status_after_config[sizeof tui.status];
	memcpy(status_after_config, tui.status, sizeof tui.status);
	tui.data_version = bc_project_data_version(tui.p);
	if (!view_open(&view_runs_ops, NULL)) {
		display_done();
		options_free();
		keys_free();
		return cmd_error("cannot open the runs view: %s", tui.status);
	}
	if (status_after_config[0] && !tui.status[0])
		memcpy(tui.status, status_after_config, sizeof tui.status);
	main_loop();
	auto_import_stop();
	view_close_all();
	display_done();
	keys_free();
	options_free();
	for (size_t i = 0; i < script_n; i++)
		free(script_lines[i]);
	free(script_lines);
	if (trace_fp)
		fclose(trace_fp);
	return EXIT_OK;
}

const struct bc_cmd cmd_tui = {
	.name = "tui",
	.usage = "[--filter EXPR]",
	.summary = "open the workbench (the default when no command is given)",
	.flags = CMD_NEEDS_PROJECT | CMD_READ_ONLY,
	.exec = tui_exec,
};
