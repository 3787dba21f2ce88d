/* SPDX-License-Identifier: MIT */
/*
 * `bancada plugin run NAME [REF...]`: a plugin's view printed as text. C
 * plugins draw on a canvas of --size (default: the terminal, else 24x80);
 * external plugins get the runs as JSON on stdin and their marked-up stdout
 * is printed. Colours only on a terminal without NO_COLOR.
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <bancada/plughost.h>
#include "cmd.h"

extern const struct bc_cmd cmd_plugin;
int plugin_run(struct bc_cmd_ctx *ctx, const bc_plugin_info *pi, int argc, char **argv);

/* Print a plugin's stderr or messages as "bancada: plugin NAME: line". */
static void
print_messages(const char *name, const char *text, size_t len)
{
	const char *end = text + len;
	int lines = 0;
	for (const char *l = text; l < end && lines < 20;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		size_t n = nl ? (size_t)(nl - l) : (size_t)(end - l);
		if (n) {
			fprintf(stderr, "bancada: plugin %s: ", name);
			out_textn(stderr, l, n > 500 ? 500 : n, 0);
			fputc('\n', stderr);
			lines++;
		}
		if (!nl)
			break;
		l = nl + 1;
	}
}

static int
print_styled(struct bc_cmd_ctx *ctx, const bc_styled *s)
{
	char *text = bc_styled_render(s, ctx->color);
	if (!text)
		return cmd_error("out of memory");
	fputs(text, stdout);
	free(text);
	return EXIT_OK;
}

static int
run_external(struct bc_cmd_ctx *ctx, const bc_plugin_info *pi, const char *const *ids,
	size_t n, const char *filter, int cols)
{
	bc_ext_result r;
	if (bc_extplugin_run(ctx->p, pi, ids, n, filter, cols, &r) < 0)
		return cmd_project_error(ctx->p);
	bc_styled s;
	int rc = EXIT_OK;
	if (bc_markup_parse(r.out, r.out_len, &s) == 0) {
		print_styled(ctx, &s);
		bc_styled_clear(&s);
	}
	fflush(stdout);
	print_messages(pi->name, r.err, r.err_len);
	if (r.timed_out)
		rc = cmd_error("plugin %s timed out after %.1fs and was stopped", pi->name,
			pi->timeout_ms / 1000.0);
	else if (r.truncated)
		rc = cmd_error("plugin %s printed more than %zu bytes: output cut there and the "
			"plugin stopped", pi->name, pi->output_cap);
	else if (r.term_signal)
		rc = cmd_error("plugin %s was killed by signal %d", pi->name, r.term_signal);
	else if (r.exit_code)
		rc = cmd_error("plugin %s exited with status %d", pi->name, r.exit_code);
	bc_ext_result_clear(&r);
	return rc;
}

static int
key_code(const char **q)
{
	static const struct { const char *name; int key; } named[] = {
		{ "<Up>", BC_KEY_UP }, { "<Down>", BC_KEY_DOWN }, { "<Left>", BC_KEY_LEFT },
		{ "<Right>", BC_KEY_RIGHT }, { "<Enter>", BC_KEY_ENTER }, { "<Tab>", BC_KEY_TAB },
		{ "<PgUp>", BC_KEY_PGUP }, { "<PgDown>", BC_KEY_PGDOWN },
	};
	for (size_t i = 0; i < sizeof named / sizeof *named; i++)
		if (!strncmp(*q, named[i].name, strlen(named[i].name))) {
			*q += strlen(named[i].name);
			return named[i].key;
		}
	return (unsigned char)*(*q)++;
}

static int
run_c(struct bc_cmd_ctx *ctx, const bc_plugin_info *pi, const char *const *ids, size_t n,
	const char *filter, const char *const *opts, const char *keys, int rows, int cols)
{
	bc_cplugin *cp;
	if (bc_cplugin_load(&cp, ctx->p, pi) < 0)
		return cmd_project_error(ctx->p);
	bc_pview_options o = BC_PVIEW_OPTIONS_INIT;
	o.filter = filter;
	o.run_ids = ids;
	o.nruns = n;
	o.options = opts;
	o.ascii = ctx->ascii;
	bc_pview *v;
	if (bc_pview_open(&v, cp, ctx->p, &o) < 0) {
		int rc = cmd_project_error(ctx->p);
		bc_cplugin_free(cp);
		return rc;
	}
	bc_canvas *c = bc_canvas_new(rows, cols);
	bc_canvas_set_ascii(c, ctx->ascii);
	for (const char *q = keys; q && *q;)
		if (bc_pview_key(v, key_code(&q)) == BC_KEY_CLOSE)
			break;
	bc_pview_draw(v, c);
	bc_styled s;
	int rc = bc_canvas_to_styled(c, &s) == 0 ? print_styled(ctx, &s) : cmd_error("out of memory");
	bc_styled_clear(&s);
	char *msg = bc_pview_take_messages(v);
	fflush(stdout);
	if (msg)
		print_messages(pi->name, msg, strlen(msg));
	free(msg);
	bc_canvas_free(c);
	bc_pview_close(v);
	bc_cplugin_free(cp);
	return rc;
}

/* `plugin run NAME [opts] [REF...]`: print a plugin's view; returns an exit code. */
int
plugin_run(struct bc_cmd_ctx *ctx, const bc_plugin_info *pi, int argc, char **argv)
{
	const char *filter = NULL, *keys = NULL;
	const char **opts = calloc((size_t)argc + 1, sizeof *opts);
	char (*ids)[33] = calloc((size_t)argc + 1, sizeof *ids);
	size_t nopts = 0, nids = 0;
	int rows = 24, cols = out_width(ctx), rc = EXIT_OK;
	if (cols <= 0)
		cols = 80;
	const char *lines = getenv("LINES");
	if (lines && atoi(lines) > 0)
		rows = atoi(lines);
	for (int i = 0; i < argc && rc == EXIT_OK; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "-o") || !strcmp(a, "--filter") || !strcmp(a, "--size") ||
		    !strcmp(a, "--keys")) && i + 1 >= argc) {
			rc = cmd_usage(&cmd_plugin, "option needs a value");
		} else if (!strcmp(a, "-o")) {
			if (!strchr(argv[++i], '='))
				rc = cmd_usage(&cmd_plugin, "-o takes KEY=VALUE");
			opts[nopts++] = argv[i];
		} else if (!strcmp(a, "--filter")) {
			filter = argv[++i];
		} else if (!strcmp(a, "--keys")) {
			keys = argv[++i];
		} else if (!strcmp(a, "--size")) {
			if (sscanf(argv[++i], "%dx%d", &rows, &cols) != 2 || rows < 1 || cols < 10 ||
			    rows > 2000 || cols > 1000)
				rc = cmd_usage(&cmd_plugin, "--size is ROWSxCOLS (e.g. 30x100)");
		} else if (a[0] == '-' && a[1]) {
			rc = cmd_usage(&cmd_plugin, "unknown option");
		} else if (bc_run_resolve(ctx->p, a, 0, ids[nids]) < 0) {
			rc = cmd_project_error(ctx->p);
		} else {
			nids++;
		}
	}
	if (rc == EXIT_OK) {
		const char **idv = calloc(nids + 1, sizeof *idv);
		for (size_t i = 0; idv && i < nids; i++)
			idv[i] = ids[i];
		if (pi->kind == BC_PLUGIN_KIND_EXTERNAL)
			rc = run_external(ctx, pi, idv, nids, filter, cols);
		else
			rc = run_c(ctx, pi, idv, nids, filter, opts, keys, rows, cols);
		free(idv);
	}
	free(opts);
	free(ids);
	return rc;
}
