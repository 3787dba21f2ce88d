/* SPDX-License-Identifier: MIT */
/*
 * Data settings and remotes. `.bancada/data.conf` (meant to be committed)
 * holds one setting a line: `link MODE`, `remote NAME URL`, `default NAME`.
 * A remote is a directory laid out like the cache (`ab/cdef…`), or
 * `ssh://[user@]host[:port]/path` reached through the system `ssh` (override
 * with $BANCADA_SSH). Push and pull move only missing objects, hash every
 * byte on the way (corrupt objects are refused, never spread), stage into a
 * temp name and rename into place; re-running after an interruption resumes.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "data-internal.h"

struct conf {
	char **names, **urls;
	size_t n;
	char *def;
	int link;
};

static void
conf_clear(struct conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->names[i]);
		free(c->urls[i]);
	}
	free(c->names);
	free(c->urls);
	free(c->def);
	memset(c, 0, sizeof *c);
}

static int
conf_add(struct conf *c, const char *name, const char *url)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->names[i], name)) {
			free(c->urls[i]);
			c->urls[i] = bc_strdup(url);
			return 0;
		}
	char **nn = realloc(c->names, (c->n + 1) * sizeof *nn);
	if (nn)
		c->names = nn;
	char **nu = realloc(c->urls, (c->n + 1) * sizeof *nu);
	if (nu)
		c->urls = nu;
	if (!nn || !nu)
		return -ENOMEM;
	c->names[c->n] = bc_strdup(name);
	c->urls[c->n] = bc_strdup(url);
	c->n++;
	return 0;
}

static int
conf_read(bc_project *p, struct conf *c)
{
	memset(c, 0, sizeof *c);
	c->link = BC_DATA_LINK_COPY;
	char *path = bc_path_join(bc_project_dir(p), "data.conf"), *text = NULL;
	int r = path ? bc_read_file(path, &text, NULL) : -ENOMEM;
	int rc = 0, lineno = 0;
	if (r < 0 && r != -ENOENT)
		rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot read %s: %s", path, strerror(-r));
	for (char *l = text, *nl; rc == 0 && l && *l; l = nl ? nl + 1 : NULL) {
		nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		char k[32], a[256], b[4096];
		int f = sscanf(l, "%31s %255s %4095s", k, a, b);
		if (f <= 0 || k[0] == '#')
			continue;
		if (!strcmp(k, "link") && f == 2 && bc_data_link_parse(a) >= 0)
			c->link = bc_data_link_parse(a);
		else if (!strcmp(k, "remote") && f == 3)
			rc = conf_add(c, a, b);
		else if (!strcmp(k, "default") && f == 2) {
			free(c->def);
			c->def = bc_strdup(a);
		} else
			rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"%s line %d is not understood (want `link MODE`, `remote NAME URL` or `default NAME`): fix or remove it",
				path, lineno);
	}
	free(text);
	free(path);
	return rc;
}

static int
conf_write(bc_project *p, const struct conf *c)
{
	bc_buf b = BC_BUF_INIT;
	bc_buf_puts(&b, "# bancada data settings: commit this file to share remotes\n");
	bc_buf_printf(&b, "link %s\n", bc_data_link_name(c->link));
	for (size_t i = 0; i < c->n; i++)
		bc_buf_printf(&b, "remote %s %s\n", c->names[i], c->urls[i]);
	if (c->def)
		bc_buf_printf(&b, "default %s\n", c->def);
	char *path = bc_path_join(bc_project_dir(p), "data.conf");
	int r = path ? bc_write_file_atomic(path, b.data, b.len, 0644) : -ENOMEM;
	int rc = r < 0 ? bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot write %s: %s", path, strerror(-r)) : 0;
	free(path);
	bc_buf_free(&b);
	return rc;
}

int
data_config_link(bc_project *p)
{
	const char *env = getenv("BANCADA_DATA_LINK");
	if (env && bc_data_link_parse(env) >= 0)
		return bc_data_link_parse(env);
	struct conf c;
	int mode = conf_read(p, &c) == 0 ? c.link : BC_DATA_LINK_COPY;
	bc_error_clear(p);
	conf_clear(&c);
	return mode;
}

const char *
bc_data_link_name(bc_data_link m)
{
	static const char *const names[] = { "copy", "reflink", "hardlink", "symlink" };
	return (unsigned)m < 4 ? names[m] : "copy";
}

int
bc_data_link_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(name, bc_data_link_name((bc_data_link)i)))
			return i;
	return -1;
}

int
bc_data_remote_add(bc_project *p, const char *name, const char *url)
{
	struct conf c;
	if (!name[0] || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(name))
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"remote name '%s' is not valid: use letters, digits, '.', '_' and '-'", name);
	if (!url[0] || strpbrk(url, " \t\n"))
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"remote URL '%s' is not valid: a directory path or ssh://host/path without spaces", url);
	char *abs = NULL;
	if (strncmp(url, "ssh://", 6) != 0 && url[0] != '/') {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof cwd))
			abs = bc_sprintf("%s/%s", cwd, url);
	}
	int rc = conf_read(p, &c);
	if (rc == 0)
		rc = conf_add(&c, name, abs ? abs : url);
	if (rc == 0 && !c.def)
		c.def = bc_strdup(name);
	if (rc == 0)
		rc = conf_write(p, &c);
	conf_clear(&c);
	free(abs);
	return rc;
}

int
bc_data_remote_remove(bc_project *p, const char *name)
{
	struct conf c;
	int rc = conf_read(p, &c), found = 0;
	for (size_t i = 0; rc == 0 && i < c.n; i++)
		if (!strcmp(c.names[i], name)) {
			free(c.names[i]);
			free(c.urls[i]);
			c.names[i] = c.names[--c.n];
			c.urls[i] = c.urls[c.n];
			found = 1;
			break;
		}
	if (rc == 0 && !found)
		rc = bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND, "no remote named '%s' (see `bancada data remote`)", name);
	if (rc == 0 && c.def && !strcmp(c.def, name)) {
		free(c.def);
		c.def = c.n ? bc_strdup(c.names[0]) : NULL;
	}
	if (rc == 0)
		rc = conf_write(p, &c);
	conf_clear(&c);
	return rc;
}

int
bc_data_remote_list(bc_project *p, char ***names, char ***urls, size_t *n, char **default_name)
{
	struct conf c;
	int rc = conf_read(p, &c);
	if (rc < 0)
		return rc;
	*names = c.names;
	*urls = c.urls;
	*n = c.n;
	if (default_name)
		*default_name = c.def;
	else
		free(c.def);
	return 0;
}

/* URL of the named (or default) remote, malloc'd. */
char *
data_remote_url(bc_project *p, const char *name)
{
	struct conf c;
	char *url = NULL;
	if (conf_read(p, &c) < 0)
		return NULL;
	const char *want = name ? name : c.def;
	for (size_t i = 0; want && i < c.n; i++)
		if (!strcmp(c.names[i], want))
			url = bc_strdup(c.urls[i]);
	if (!url && !want)
		bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND,
			"no data remote configured: `bancada data remote add NAME DIR-OR-SSH-URL` first");
	else if (!url)
		bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND,
			"no remote named '%s' (see `bancada data remote`)", want);
	conf_clear(&c);
	return url;
}
