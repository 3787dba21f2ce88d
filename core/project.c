/* SPDX-License-Identifier: MIT */
/* Finding, creating and opening a project's `.bancada/` directory. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "internal.h"

#define BC_DIRNAME ".bancada"

/* Lines added to the project's .gitignore: internals that must not be committed. */
static const char gitignore_block[] =
	"# bancada internals (the config, views and plugins are meant to be committed)\n"
	"/.bancada/bancada.db\n"
	"/.bancada/bancada.db-*\n"
	"/.bancada/runs/\n"
	"/.bancada/cache/\n"
	"/.bancada/tmp/\n";

static bc_project *
project_alloc(void)
{
	return calloc(1, sizeof(bc_project));
}

static char *
absolute_dir(const char *dir)
{
	char *r = realpath(dir ? dir : ".", NULL);
	return r;
}

static int
is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
open_store(bc_project *p, const bc_project_options *opts)
{
	char *dbpath = bc_path_join(p->dir, "bancada.db");
	if (!dbpath)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	int readonly = opts && opts->readonly;
	struct statvfs vfs;
	if (statvfs(p->dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
		if (!readonly) {
			free(dbpath);
			return bc_error_set(p, BC_ERR_PROJECT, BC_EREADONLY,
				"the project %s is on a read-only filesystem: remount it read-write, or use a command that only reads",
				p->root);
		}
	}
	int rc;
	if (readonly && access(dbpath, F_OK) < 0) {
		rc = bc_error_set(p, BC_ERR_PROJECT, BC_ENOTFOUND,
			"the project %s has no store yet: run any bancada command that records, e.g. `bancada run`", p->root);
	} else if (readonly && statvfs(p->dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
		char *uri = sqlite3_mprintf("file:%s?immutable=1", dbpath);
		rc = uri ? 0 : -1;
		if (uri) {
			p->readonly = 1;
			if (sqlite3_open_v2(uri, &p->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK)
				rc = bc_db_error(p, "cannot open the project store");
			else
				sqlite3_db_config(p->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
			sqlite3_free(uri);
		}
	} else {
		rc = bc_store_open(p, dbpath, readonly);
	}
	free(dbpath);
	return rc;
}

static int
make_layout(bc_project *p)
{
	const char *subs[] = { "runs", "cache", "tmp", NULL };
	if (mkdir(p->dir, 0755) < 0 && errno != EEXIST)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot create %s: %s", p->dir, strerror(errno));
	for (int i = 0; subs[i]; i++) {
		char *d = bc_path_join(p->dir, subs[i]);
		int r = d ? (mkdir(d, 0755) < 0 && errno != EEXIST ? -errno : 0) : -ENOMEM;
		free(d);
		if (r < 0)
			return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot create %s/%s: %s",
				p->dir, subs[i], strerror(-r));
	}
	return 0;
}

static int
update_gitignore(bc_project *p)
{
	char *path = bc_path_join(p->root, ".gitignore");
	char *old = NULL;
	size_t len = 0;
	int r = bc_read_file(path, &old, &len);
	if (r < 0 && r != -ENOENT) {
		bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot read %s: %s", path, strerror(-r));
		free(path);
		return -1;
	}
	int rc = 0;
	if (!old || !strstr(old, "/.bancada/bancada.db\n")) {
		bc_buf b = BC_BUF_INIT;
		if (old && len) {
			bc_buf_put(&b, old, len);
			if (old[len - 1] != '\n')
				bc_buf_putc(&b, '\n');
		}
		bc_buf_puts(&b, gitignore_block);
		r = bc_write_file_atomic(path, b.data, b.len, 0644);
		if (r < 0)
			rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot write %s: %s", path, strerror(-r));
		bc_buf_free(&b);
	}
	free(old);
	free(path);
	return rc;
}

int
bc_project_init(bc_project **out, const char *dir)
{
	bc_project *p = *out = project_alloc();
	if (!p)
		return BC_ERROR;
	char *abs = absolute_dir(dir);
	if (!abs)
		return bc_error_set(p, BC_ERR_OS, BC_ENOTFOUND, "cannot use directory %s: %s",
			dir ? dir : ".", strerror(errno));
	char *top = bc_git_toplevel(abs);
	p->root = top ? top : abs;
	if (top)
		free(abs);
	p->dir = bc_path_join(p->root, BC_DIRNAME);
	int existed = is_dir(p->dir);
	if (make_layout(p) < 0)
		return -1;
	if (open_store(p, NULL) < 0)
		return -1;
	if (update_gitignore(p) < 0)
		return -1;
	if (existed)
		return bc_error_set(p, BC_ERR_PROJECT, BC_EEXISTS,
			"a bancada project already exists at %s", p->root);
	return 0;
}

int
bc_project_open(bc_project **out, const char *start_dir, const bc_project_options *opts)
{
	bc_project *p = *out = project_alloc();
	if (!p)
		return BC_ERROR;
	char *cur = absolute_dir(start_dir);
	if (!cur)
		return bc_error_set(p, BC_ERR_OS, BC_ENOTFOUND, "cannot use directory %s: %s",
			start_dir ? start_dir : ".", strerror(errno));
	for (;;) {
		char *cand = bc_path_join(cur, BC_DIRNAME);
		if (cand && is_dir(cand)) {
			p->root = cur;
			p->dir = cand;
			break;
		}
		free(cand);
		char *slash = strrchr(cur, '/');
		if (!slash || slash == cur) {
			if (strcmp(cur, "/") != 0) {
				cur[1] = '\0';
				continue;
			}
			free(cur);
			return bc_error_set(p, BC_ERR_PROJECT, BC_ENOTFOUND,
				"not inside a bancada project (no .bancada/ here or above): run `bancada init` first");
		}
		*slash = '\0';
	}
	if (opts && opts->version >= 2 && opts->git_prefetch)
		bc_git_prefetch_start(p, opts->git_prefetch, BC_GIT_PATCH_CAP);
	int rc = open_store(p, opts);
	if (rc < 0)
		return rc;
	if (!(opts && (opts->no_recover || opts->readonly)) && !p->readonly) {
		if (bc_project_recover(p) < 0)
			return -1;
	}
	return 0;
}

void
bc_project_free(bc_project *p)
{
	if (!p)
		return;
	bc_git_prefetch_drop(p);
	bc_store_close(p);
	free(p->root);
	free(p->dir);
	free(p);
}

const char *
bc_project_root(const bc_project *p)
{
	return p->root;
}

const char *
bc_project_dir(const bc_project *p)
{
	return p->dir;
}

const char *
bc_project_run_dir(bc_project *p, const char *run_id)
{
	snprintf(p->pathbuf, sizeof p->pathbuf, "%s/runs/%s", p->dir, run_id);
	return p->pathbuf;
}
