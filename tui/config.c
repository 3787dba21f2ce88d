/* SPDX-License-Identifier: MIT */
/*
 * Config = commands. The built-in share/bancadarc, the user's config, the
 * project's .bancada/config, saved views and the `:` prompt all go through
 * config_run_line(). Options come from one table (OPTION_INFO in tui.h).
 */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tui.h"

static const char builtin_config[] =
#include "tui/builtin-config.h"
	;

struct option_def {
	const char *name;
	enum opt_type type;
	const char *def;
	long min, max;
	const char *help;
	char **sval;
	long *ival;
};

#define OPT_ROW_(id, name, type, def, min, max, help) \
	{ name, type, def, min, max, help, &tui.opt.id##_s, &tui.opt.id },
static const struct option_def options[] = { OPTION_INFO(OPT_ROW_) };
#undef OPT_ROW_
#define NOPTIONS (sizeof options / sizeof options[0])

static const struct option_def *
option_find(const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (!strcmp(options[i].name, name))
			return &options[i];
	return NULL;
}

/* Set an option from text; checks type and range. */
int
option_set(const char *name, const char *value, char *err, size_t errsize)
{
	const struct option_def *o = option_find(name);
	if (!o) {
		snprintf(err, errsize, "unknown option '%s'", name);
		return -1;
	}
	long iv = 0;
	if (o->type == OPT_BOOL) {
		if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "on"))
			iv = 1;
		else if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "off"))
			iv = 0;
		else {
			snprintf(err, errsize, "%s: expected yes or no, got '%s'", name, value);
			return -1;
		}
	} else if (o->type == OPT_INT) {
		char *end;
		errno = 0;
		iv = strtol(value, &end, 10);
		if (errno || end == value || *end || iv < o->min || iv > o->max) {
			snprintf(err, errsize, "%s: expected a number from %ld to %ld, got '%s'",
				name, o->min, o->max, value);
			return -1;
		}
	}
	char *copy = strdup(value);
	if (!copy) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	free(*o->sval);
	*o->sval = copy;
	*o->ival = iv;
	return 0;
}

const char *
option_get(const char *name)
{
	const struct option_def *o = option_find(name);
	return o ? *o->sval : NULL;
}

void
options_init(void)
{
	char err[128];
	for (size_t i = 0; i < NOPTIONS; i++)
		option_set(options[i].name, options[i].def, err, sizeof err);
}

void
options_free(void)
{
	for (size_t i = 0; i < NOPTIONS; i++) {
		free(*options[i].sval);
		*options[i].sval = NULL;
	}
}

/* Split a command line into words: whitespace separated, '...' and "..."
 * quoting, backslash escapes; '#' starts a comment outside quotes. */
int
config_split(const char *line, char **argv, int max, char *store, size_t storesize)
{
	int argc = 0;
	size_t o = 0;
	const char *s = line;
	while (*s) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			break;
		if (argc == max || o >= storesize - 1)
			return -1;
		argv[argc++] = store + o;
		char q = 0;
		while (*s && (q || !isspace((unsigned char)*s))) {
			if (o >= storesize - 1)
				return -1;
			if (q && *s == q) {
				q = 0;
				s++;
			} else if (!q && (*s == '"' || *s == '\'')) {
				q = *s++;
			} else if (*s == '\\' && s[1] && q != '\'') {
				store[o++] = s[1];
				s += 2;
			} else
				store[o++] = *s++;
		}
		if (q)
			return -1;
		store[o++] = 0;
	}
	return argc;
}

static int
join_words(int argc, char **argv, char *out, size_t size)
{
	size_t o = 0;
	out[0] = 0;
	for (int i = 0; i < argc; i++) {
		int n = snprintf(out + o, size - o, "%s%s", i ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= size - o)
			return -1;
		o += (size_t)n;
	}
	return 0;
}

static int source_depth;

/* Run one command line. 0 ok, -1 error with err set. */
int
config_run_line(const char *line, char *err, size_t errsize)
{
	char *argv[64];
	char store[8192];
	err[0] = 0;
	int argc = config_split(line, argv, 64, store, sizeof store);
	if (argc < 0) {
		snprintf(err, errsize, "unterminated quote or line too long");
		return -1;
	}
	if (argc == 0)
		return 0;
	const char *cmd = argv[0];
	if (!strcmp(cmd, "set")) {
		/* set NAME = VALUE, set NAME VALUE */
		int vi = argc >= 3 && !strcmp(argv[2], "=") ? 3 : 2;
		if (argc < vi + 1 && !(argc == vi && vi == 3)) {
			if (argc == 2) {
				const char *v = option_get(argv[1]);
				if (!v) {
					snprintf(err, errsize, "unknown option '%s'", argv[1]);
					return -1;
				}
				tui_status("%s = %s", argv[1], v);
				return 0;
			}
			snprintf(err, errsize, "usage: set NAME = VALUE");
			return -1;
		}
		char value[4096];
		if (join_words(argc - vi, argv + vi, value, sizeof value) < 0) {
			snprintf(err, errsize, "value too long");
			return -1;
		}
		if (option_set(argv[1], value, err, errsize) < 0)
			return -1;
		/* options that change what the runs view shows apply at once */
		static char hook_name[] = "option-changed";
		char *hook[] = { hook_name, argv[1] };
		view_command(2, hook);
		return 0;
	}
	if (!strcmp(cmd, "bind")) {
		if (argc < 4) {
			snprintf(err, errsize, "usage: bind KEYMAP KEY REQUEST|:COMMAND");
			return -1;
		}
		char action[4096];
		if (join_words(argc - 3, argv + 3, action, sizeof action) < 0) {
			snprintf(err, errsize, "binding too long");
			return -1;
		}
		return keys_bind(argv[1], argv[2], action, err, errsize);
	}
	if (!strcmp(cmd, "color")) {
		if (argc < 4) {
			snprintf(err, errsize, "usage: color SLOT FG BG [bold|reverse|underline|dim]");
			return -1;
		}
		return display_set_color(argv[1], argv[2], argv[3], argv + 4, argc - 4, err, errsize);
	}
	if (!strcmp(cmd, "source")) {
		if (argc != 2) {
			snprintf(err, errsize, "usage: source FILE");
			return -1;
		}
		if (source_depth > 8) {
			snprintf(err, errsize, "source nested too deeply");
			return -1;
		}
		if (config_source(argv[1], 1) < 0) {
			snprintf(err, errsize, "cannot read %s", argv[1]);
			return -1;
		}
		return 0;
	}
	if (!strcmp(cmd, "save-view")) {
		if (argc != 2) {
			snprintf(err, errsize, "usage: save-view NAME");
			return -1;
		}
		return config_save_view(argv[1], err, errsize);
	}
	if (!strcmp(cmd, "view")) {
		if (argc != 2) {
			snprintf(err, errsize, "usage: view NAME (a file in .bancada/views)");
			return -1;
		}
		if (strchr(argv[1], '/') || argv[1][0] == '.') {
			snprintf(err, errsize, "view names cannot contain '/' or start with '.'");
			return -1;
		}
		char path[4096];
		snprintf(path, sizeof path, "%s/views/%s", bc_project_dir(tui.p), argv[1]);
		if (config_source(path, 1) < 0) {
			snprintf(err, errsize, "no saved view '%s': save one with :save-view %s", argv[1], argv[1]);
			return -1;
		}
		tui_status("view %s restored", argv[1]);
		return 0;
	}
	if (!strcmp(cmd, "save-display")) {
		if (argc != 2) {
			snprintf(err, errsize, "usage: save-display FILE");
			return -1;
		}
		view_draw_all();
		if (display_save(argv[1]) < 0) {
			snprintf(err, errsize, "cannot write %s: %s", argv[1], strerror(errno));
			return -1;
		}
		return 0;
	}
	if (!strcmp(cmd, "q") || !strcmp(cmd, "quit")) {
		tui.quit = 1;
		return 0;
	}
	if (!strcmp(cmd, "plugin"))
		return tui_plugin_command(argc, argv, err, errsize);
	int rc = view_command(argc, argv);
	if (rc != -2) {
		if (rc < 0 && !err[0])
			snprintf(err, errsize, "%s failed", cmd);
		return rc < 0 ? -1 : 0;
	}
	enum request req = request_lookup(cmd);
	if (req != REQ_NONE && argc == 1) {
		tui_request(req);
		return 0;
	}
	snprintf(err, errsize, "unknown command '%s': see ? for commands", cmd);
	return -1;
}

static int
source_text(const char *text, const char *what)
{
	char line[8192];
	int lineno = 0, errors = 0;
	const char *s = text;
	source_depth++;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		lineno++;
		if (len >= sizeof line)
			len = sizeof line - 1;
		memcpy(line, s, len);
		line[len] = 0;
		char err[512];
		if (config_run_line(line, err, sizeof err) < 0) {
			if (!errors)
				tui_error("%s:%d: %s", what, lineno, err);
			errors++;
		}
		s = nl ? nl + 1 : s + len;
	}
	source_depth--;
	return errors ? -1 : 0;
}

/* Run every line of a file. -1 if it cannot be read (or must_exist and missing). */
int
config_source(const char *path, int must_exist)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return must_exist || errno != ENOENT ? -1 : 0;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (!buf)
		return 0;
	buf[len] = 0;
	const char *base = strrchr(path, '/');
	source_text(buf, base ? base + 1 : path);
	free(buf);
	return 0;
}

/* Built-in defaults < $XDG_CONFIG_HOME/bancada/config < project .bancada/config. */
void
config_load_all(void)
{
	source_text(builtin_config, "bancadarc");
	char path[4096];
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(path, sizeof path, "%s/bancada/config", xdg);
	else if (home)
		snprintf(path, sizeof path, "%s/.config/bancada/config", home);
	else
		path[0] = 0;
	if (path[0])
		config_source(path, 0);
	if (tui.p) {
		snprintf(path, sizeof path, "%s/config", bc_project_dir(tui.p));
		config_source(path, 0);
	}
	const char *env = getenv("BANCADA_CONFIG");
	if (env && *env)
		config_source(env, 0);
}

static void
quote_into(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* Write columns, sort and filter to .bancada/views/NAME (temp file + rename). */
int
config_save_view(const char *name, char *err, size_t errsize)
{
	if (!*name || strchr(name, '/') || name[0] == '.' || strlen(name) > 100) {
		snprintf(err, errsize, "bad view name: use letters, digits, '-' or '_'");
		return -1;
	}
	char dir[4096], path[4200], tmp[4300];
	snprintf(dir, sizeof dir, "%s/views", bc_project_dir(tui.p));
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		snprintf(err, errsize, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errsize, "cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "# bancada saved view: restore with `:view %s`\n", name);
	fputs("set columns = ", f);
	quote_into(f, tui.opt.columns_s ? tui.opt.columns_s : "");
	fputs("\nset sort = ", f);
	quote_into(f, tui.opt.sort_s ? tui.opt.sort_s : "");
	fputs("\nset filter = ", f);
	quote_into(f, tui.opt.filter_s ? tui.opt.filter_s : "");
	fputc('\n', f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(tmp);
		snprintf(err, errsize, "cannot write %s", path);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		snprintf(err, errsize, "cannot rename to %s: %s", path, strerror(errno));
		return -1;
	}
	tui_status("saved view %s (.bancada/views/%s)", name, name);
	return 0;
}
