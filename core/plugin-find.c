/* SPDX-License-Identifier: MIT */
/*
 * Plugin discovery: the system, user and project plugin directories, C
 * plugins (`NAME.so`) and manifests of external plugins (`NAME.conf` or
 * `NAME/plugin.conf`). Reading a manifest and hashing a file is all that
 * happens here: no plugin code runs.
 *
 * Manifest (key = value lines, `#` comments):
 *     name = confusion
 *     description = Confusion matrix of a classifier run
 *     key = C
 *     exec = python3 %(plugindir)/confusion.py
 *     input = run            (run | marked | filtered)
 *     timeout = 10           (seconds, at most 600)
 *     output_cap = 1048576   (bytes of stdout kept, at most 64 MiB)
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "plugin-int.h"

#ifndef PKGLIBDIR
#define PKGLIBDIR "/usr/local/lib/bancada"
#endif

#define MANIFEST_MAX (64 * 1024)

static int
name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

/* Substitute %(...) variables into one argv word (never split); malloc'd. */
char *
bc_plugin_expand(const char *arg, const char *plugindir, const char *project,
	const char *run, const char *rundir)
{
	static const char *const names[] = { "%(plugindir)", "%(project)", "%(run)", "%(rundir)" };
	const char *vals[] = { plugindir, project, run, rundir };
	bc_buf b = BC_BUF_INIT;
	bc_buf_puts(&b, "");
	for (const char *q = arg; *q;) {
		int hit = 0;
		for (int i = 0; i < 4 && !hit; i++) {
			size_t n = strlen(names[i]);
			if (!strncmp(q, names[i], n)) {
				bc_buf_puts(&b, vals[i] ? vals[i] : "");
				q += n;
				hit = 1;
			}
		}
		if (!hit)
			bc_buf_putc(&b, *q++);
	}
	return bc_buf_detach(&b);
}

/* Split an exec line into words: blanks separate, quotes group, backslash escapes. */
static int
split_words(const char *s, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	bc_buf w = BC_BUF_INIT;
	for (const char *q = s;;) {
		while (*q == ' ' || *q == '\t')
			q++;
		if (!*q)
			break;
		bc_buf_puts(&w, "");
		while (*q && *q != ' ' && *q != '\t') {
			if (*q == '\'' || *q == '"') {
				char quote = *q++;
				while (*q && *q != quote) {
					if (quote == '"' && *q == '\\' && (q[1] == '"' || q[1] == '\\'))
						q++;
					bc_buf_putc(&w, *q++);
				}
				if (*q != quote) {
					bc_buf_free(&w);
					return -1;
				}
				q++;
			} else if (*q == '\\' && q[1]) {
				bc_buf_putc(&w, q[1]);
				q += 2;
			} else {
				bc_buf_putc(&w, *q++);
			}
		}
		char **v = realloc(*out, (*n + 2) * sizeof *v);
		if (!v) {
			bc_buf_free(&w);
			return -1;
		}
		*out = v;
		v[(*n)++] = bc_buf_detach(&w);
		v[*n] = NULL;
	}
	return 0;
}

static char *
trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* Parse a manifest's text into pi; on error sets pi->why. */
static void
manifest_parse(bc_plugin_info *pi, char *text)
{
	int lineno = 0;
	for (char *line = text; line && !pi->why;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		char *l = trim(line);
		line = nl ? nl + 1 : NULL;
		if (!*l || *l == '#')
			continue;
		char *eq = strchr(l, '=');
		if (!eq) {
			pi->why = bc_sprintf("manifest line %d: expected KEY = VALUE", lineno);
			break;
		}
		*eq = '\0';
		char *k = trim(l), *v = trim(eq + 1);
		if (!strcmp(k, "name")) {
			if (!name_ok(v, strlen(v)))
				pi->why = bc_sprintf("manifest line %d: bad name (letters, digits, "
					"'-', '_', '.')", lineno);
			else {
				free(pi->name);
				pi->name = bc_strdup(v);
			}
		} else if (!strcmp(k, "description")) {
			free(pi->description);
			pi->description = bc_strdup(v);
		} else if (!strcmp(k, "key")) {
			if (!strcmp(v, "none") || !*v)
				pi->key = 0;
			else if (strlen(v) == 1 && v[0] > ' ' && v[0] < 0x7f)
				pi->key = v[0];
			else
				pi->why = bc_sprintf("manifest line %d: key must be one printable "
					"ASCII character or `none`", lineno);
		} else if (!strcmp(k, "exec")) {
			bc_strv_free(pi->argv, pi->argc);
			pi->argv = NULL;
			pi->argc = 0;
			if (split_words(v, &pi->argv, &pi->argc) < 0 || pi->argc == 0)
				pi->why = bc_sprintf("manifest line %d: exec needs a command "
					"(check its quotes)", lineno);
		} else if (!strcmp(k, "input")) {
			pi->input = !strcmp(v, "run") ? BC_INPUT_RUN : !strcmp(v, "marked") ?
				BC_INPUT_MARKED : !strcmp(v, "filtered") ? BC_INPUT_FILTERED : 0;
			if (!pi->input)
				pi->why = bc_sprintf("manifest line %d: input is run, marked or "
					"filtered", lineno);
		} else if (!strcmp(k, "timeout")) {
			char *end;
			double t = strtod(v, &end);
			if (*end || !(t > 0 && t <= 600))
				pi->why = bc_sprintf("manifest line %d: timeout is seconds in (0, 600]",
					lineno);
			else
				pi->timeout_ms = (int)(t * 1000);
		} else if (!strcmp(k, "output_cap")) {
			char *end;
			unsigned long long c = strtoull(v, &end, 10);
			if (*end || c == 0 || c > 64ull << 20)
				pi->why = bc_sprintf("manifest line %d: output_cap is bytes in "
					"[1, 67108864]", lineno);
			else
				pi->output_cap = (size_t)c;
		} else {
			pi->why = bc_sprintf("manifest line %d: unknown key '%s'", lineno, k);
		}
	}
	if (!pi->why && !pi->argc)
		pi->why = bc_strdup("manifest has no exec line");
}

static void
info_clear(bc_plugin_info *pi)
{
	free(pi->name);
	free(pi->path);
	free(pi->dir);
	free(pi->description);
	free(pi->why);
	bc_strv_free(pi->argv, pi->argc);
}

/* Fill trust state and hash; no code runs. */
static void
assess(bc_plugin_info *pi)
{
	char *why = NULL;
	if (bc_plugin_hash(pi, pi->sha256, &why) < 0) {
		pi->trust = BC_TRUST_UNSAFE;
		free(pi->why);
		pi->why = why ? why : bc_strdup("cannot read it");
		return;
	}
	if (pi->kind == BC_PLUGIN_KIND_C && !pi->why)
		bc_plugin_elf_inspect(pi);
	if (pi->source != BC_PLUGIN_PROJECT) {
		pi->trust = BC_TRUST_IMPLICIT;
		return;
	}
	char rec[65];
	bc_trust_lookup(pi->path, rec);
	pi->trust = !rec[0] ? BC_TRUST_NO : strcmp(rec, pi->sha256) ? BC_TRUST_LAPSED : BC_TRUST_YES;
	if (pi->trust == BC_TRUST_NO && !pi->why)
		pi->why = bc_strdup("not trusted: review it, then `bancada plugin trust NAME`");
	else if (pi->trust == BC_TRUST_LAPSED && !pi->why)
		pi->why = bc_strdup("trust lapsed: changed since it was trusted");
}

static int
add(bc_plugin_set *s, bc_plugin_info *pi)
{
	bc_plugin_info *v = realloc(s->v, (s->n + 1) * sizeof *v);
	if (!v) {
		info_clear(pi);
		return -1;
	}
	s->v = v;
	v[s->n++] = *pi;
	return 0;
}

static void
add_manifest(bc_plugin_set *s, const char *path, const char *stem, bc_plugin_source src)
{
	char real[PATH_MAX];
	if (!realpath(path, real))
		return;
	bc_plugin_info pi = { 0 };
	pi.kind = BC_PLUGIN_KIND_EXTERNAL;
	pi.source = src;
	pi.path = bc_strdup(real);
	pi.dir = bc_strdup(real);
	*strrchr(pi.dir, '/') = '\0';
	pi.name = bc_strdup(stem);
	pi.input = BC_INPUT_RUN;
	pi.timeout_ms = 10000;
	pi.output_cap = 1 << 20;
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	if (stat(real, &st) == 0 && st.st_size > MANIFEST_MAX)
		pi.why = bc_strdup("manifest larger than 64 KiB");
	else if (bc_read_file(real, &text, &len) < 0)
		pi.why = bc_sprintf("cannot read %s", real);
	else
		manifest_parse(&pi, text);
	free(text);
	assess(&pi);
	add(s, &pi);
}

static void
scan_dir(bc_plugin_set *s, const char *dir, bc_plugin_source src)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		size_t len = strlen(n);
		if (n[0] == '.')
			continue;
		char *path = bc_path_join(dir, n);
		struct stat st;
		if (!path || stat(path, &st) < 0) {
			free(path);
			continue;
		}
		if (S_ISREG(st.st_mode) && len > 3 && !strcmp(n + len - 3, ".so") && name_ok(n, len - 3)) {
			char real[PATH_MAX];
			if (realpath(path, real)) {
				bc_plugin_info pi = { 0 };
				pi.kind = BC_PLUGIN_KIND_C;
				pi.source = src;
				pi.name = bc_strndup(n, len - 3);
				pi.path = bc_strdup(real);
				pi.dir = bc_strdup(real);
				*strrchr(pi.dir, '/') = '\0';
				assess(&pi);
				add(s, &pi);
			}
		} else if (S_ISREG(st.st_mode) && len > 5 && !strcmp(n + len - 5, ".conf") &&
		    name_ok(n, len - 5)) {
			char *stem = bc_strndup(n, len - 5);
			add_manifest(s, path, stem, src);
			free(stem);
		} else if (S_ISDIR(st.st_mode) && name_ok(n, len)) {
			char *m = bc_path_join(path, "plugin.conf");
			if (m && access(m, F_OK) == 0)
				add_manifest(s, m, n, src);
			free(m);
		}
		free(path);
	}
	closedir(d);
}

static int
cmp_info(const void *a, const void *b)
{
	const bc_plugin_info *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return (int)y->source - (int)x->source;   /* project first */
}

/* Discover every plugin of the system, user and project directories; no plugin code runs. */
int
bc_plugins_discover(bc_project *p, bc_plugin_set *out)
{
	memset(out, 0, sizeof *out);
	scan_dir(out, PKGLIBDIR "/plugins", BC_PLUGIN_SYSTEM);
	const char *data = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char *user = data && data[0] == '/' ? bc_sprintf("%s/bancada/plugins", data) :
		home ? bc_sprintf("%s/.local/share/bancada/plugins", home) : NULL;
	if (user)
		scan_dir(out, user, BC_PLUGIN_USER);
	free(user);
	const char *extra = getenv("BANCADA_PLUGIN_PATH");
	if (extra) {
		char *copy = bc_strdup(extra), *save = NULL;
		for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save))
			if (d[0] == '/')
				scan_dir(out, d, BC_PLUGIN_USER);
		free(copy);
	}
	if (p) {
		char *proj = bc_path_join(bc_project_dir(p), "plugins");
		if (proj)
			scan_dir(out, proj, BC_PLUGIN_PROJECT);
		free(proj);
	}
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, cmp_info);
	for (size_t i = 1; i < out->n; i++)
		if (!strcmp(out->v[i].name, out->v[i - 1].name))
			out->v[i].shadowed = 1;
	return 0;
}

/* Free a plugin set (NULL is a no-op). */
void
bc_plugin_set_clear(bc_plugin_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		info_clear(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* The plugin a name selects (not shadowed), borrowed from the set, or NULL. */
const bc_plugin_info *
bc_plugin_find(const bc_plugin_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!s->v[i].shadowed && !strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}
