/* SPDX-License-Identifier: MIT */
/* Runs: creation, updates, references and loading one run in full. */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "internal.h"

static const char *const status_names[] = {
	"running", "finished", "failed", "interrupted", "crashed",
};

const char *
bc_run_status_name(bc_run_status s)
{
	return (unsigned)s < 5 ? status_names[s] : "unknown";
}

int
bc_run_status_parse(const char *name)
{
	for (int i = 0; i < 5; i++)
		if (!strcmp(name, status_names[i]))
			return i;
	return -1;
}

/* Environment variables worth recording for reproducibility (prefixes). */
static const char *const env_prefixes[] = {
	"CUDA_", "NVIDIA_", "OMP_", "MKL_", "OPENBLAS_", "PYTHON", "VIRTUAL_ENV", "CONDA_",
	"TORCH_", "TF_", "XLA_", "HF_", "TRANSFORMERS_", "JAX_", "PYTORCH_", "NCCL_",
	"LANG", "LC_ALL", "PATH", "LD_LIBRARY_PATH", "SLURM_JOB_ID", "HOSTNAME", NULL,
};

static int
env_is_secret(const char *name)
{
	static const char *const bad[] = { "KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD",
		"CREDENTIAL", "AUTH", NULL };
	char up[256];
	size_t i;
	for (i = 0; name[i] && i < sizeof up - 1; i++)
		up[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
	up[i] = '\0';
	for (int k = 0; bad[k]; k++)
		if (strstr(up, bad[k]))
			return 1;
	return 0;
}

static char *
env_json(void)
{
	extern char **environ;
	json_t *o = json_object();
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq || eq == *e)
			continue;
		char name[256];
		size_t n = (size_t)(eq - *e);
		if (n >= sizeof name)
			continue;
		memcpy(name, *e, n);
		name[n] = '\0';
		if (env_is_secret(name) || !strncmp(name, "BANCADA_", 8))
			continue;
		int want = 0;
		for (int k = 0; env_prefixes[k]; k++)
			if (!strncmp(name, env_prefixes[k], strlen(env_prefixes[k])))
				want = 1;
		if (want)
			json_object_set_new(o, name, json_string_nocheck(eq + 1));
	}
	char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	return s;
}

static char *
argv_json(const char *const *argv)
{
	json_t *a = json_array();
	for (size_t i = 0; argv && argv[i]; i++)
		json_array_append_new(a, json_stringn_nocheck(argv[i], strlen(argv[i])));
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static int
name_taken(bc_project *p, const char *name)
{
	sqlite3_stmt *st;
	if (bc_prepare(p, &st, "SELECT 1 FROM runs WHERE name=?") < 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int taken = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return taken;
}

static int
valid_name(bc_project *p, const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 200)
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"run name must be 1 to 200 bytes long: choose a shorter name");
	if (name[0] == '@')
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
			"run name cannot start with '@' (reserved for @ and @~N references)");
	return 0;
}

/* Bind commit, branch, dirty, patch and its full length from `gs` (NULL: no
 * repository) at parameter `i`; returns the next parameter. */
static int
bind_git(sqlite3_stmt *st, int i, const bc_git_state *gs)
{
	if (gs) {
		sqlite3_bind_text(st, i++, gs->commit, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, i++, gs->branch, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, i++, gs->dirty);
		if (gs->patch_len)
			sqlite3_bind_blob(st, i, gs->patch, (int)gs->patch_len, SQLITE_STATIC);
		i++;
		sqlite3_bind_int64(st, i++, gs->patch_full_len);
	} else {
		i += 2;                             /* commit, branch: NULL */
		sqlite3_bind_int(st, i++, 0);       /* not dirty */
		i++;                                /* no patch */
		sqlite3_bind_int64(st, i++, 0);
	}
	return i;
}

int
bc_run_set_git(bc_project *p, const char *id, const char *dir)
{
	bc_git_state gs = { 0 };
	int g = bc_git_state_read(p, dir ? dir : p->root, 1, BC_GIT_PATCH_CAP, &gs);
	if (g == BC_ENOTFOUND)
		return 0;
	if (g != 0)
		return g;
	int rc = -1;
	sqlite3_stmt *st;
	if (bc_tx_begin(p) < 0)
		goto done;
	if (bc_prepare(p, &st, "UPDATE runs SET git_commit=?,git_branch=?,git_dirty=?,git_patch=?,"
			"git_patch_full_len=? WHERE id=?") < 0) {
		bc_tx_rollback(p);
		goto done;
	}
	sqlite3_bind_text(st, bind_git(st, 1, &gs), id, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	if (s != SQLITE_DONE || sqlite3_changes(p->db) != 1) {
		if (s == SQLITE_DONE)
			bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND, "no run %s", id);
		else
			bc_db_error(p, "cannot record the run's git state");
		bc_tx_rollback(p);
		goto done;
	}
	rc = bc_tx_commit(p);
done:
	bc_git_state_clear(&gs);
	return rc;
}

int
bc_run_create(bc_project *p, const bc_run_new *o, char out_id[33])
{
	char name[128];
	bc_git_state gs = { 0 };
	int have_git = 0, rc = -1;
	char *env = NULL, *argv = NULL;
	if (o->name && valid_name(p, o->name) < 0)
		return BC_EINVALID;
	if (o->capture_git) {
		int g = bc_git_state_read(p, o->cwd ? o->cwd : p->root, 1, BC_GIT_PATCH_CAP, &gs);
		if (g == 0)
			have_git = 1;
		else if (g != BC_ENOTFOUND)
			return g;
	}
	env = o->capture_env ? env_json() : NULL;
	argv = argv_json(o->argv);
	bc_runid_new(out_id);
	if (bc_tx_begin(p) < 0)
		goto done;
	if (o->name) {
		int t = name_taken(p, o->name);
		if (t) {
			bc_tx_rollback(p);
			rc = t < 0 ? -1 : bc_error_set(p, BC_ERR_INPUT, BC_EEXISTS,
				"a run named '%s' already exists: choose another name with -n", o->name);
			goto done;
		}
		snprintf(name, sizeof name, "%s", o->name);
	} else {
		do
			bc_runname_new(name, sizeof name);
		while (name_taken(p, name) == 1);
	}
	sqlite3_stmt *st;
	if (bc_prepare(p, &st, "INSERT INTO runs(id,name,status,argv,cwd,started_ms,host,user,pid,"
			"boot_id,pid_start,git_commit,git_branch,git_dirty,git_patch,git_patch_full_len,env,"
			"note,experiment) VALUES(?,?,0,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)") < 0) {
		bc_tx_rollback(p);
		goto done;
	}
	int i = 1;
	sqlite3_bind_text(st, i++, out_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, argv, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, o->cwd, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, i++, bc_now_ms());
	sqlite3_bind_text(st, i++, bc_hostname(), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, bc_username(), -1, SQLITE_STATIC);
	if (o->pid > 0) {
		sqlite3_bind_int64(st, i++, o->pid);
		sqlite3_bind_text(st, i++, bc_boot_id(), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, i++, bc_proc_start_time((long)o->pid));
	} else {
		i += 3;
	}
	i = bind_git(st, i, have_git ? &gs : NULL);
	sqlite3_bind_text(st, i++, env, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, o->note, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, i++, o->experiment, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	if (s != SQLITE_DONE) {
		bc_db_error(p, "cannot record the run");
		bc_tx_rollback(p);
		goto done;
	}
	for (size_t t = 0; o->tags && o->tags[t]; t++) {
		if (bc_prepare(p, &st, "INSERT OR IGNORE INTO tags(run,tag) VALUES(?,?)") < 0) {
			bc_tx_rollback(p);
			goto done;
		}
		sqlite3_bind_text(st, 1, out_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, o->tags[t], -1, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	rc = bc_tx_commit(p);
	if (rc == 0) {
		char *dir = bc_path_join(p->dir, "runs");
		char *rd = dir ? bc_path_join(dir, out_id) : NULL;
		if (!rd || bc_mkdir_p(rd, 0755) < 0)
			rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot create the run directory: %s",
				strerror(errno));
		free(dir);
		free(rd);
	}
done:
	if (have_git)
		bc_git_state_clear(&gs);
	free(env);
	free(argv);
	return rc;
}

/* Execute one write statement with text binds (NULL = bind NULL) in its own transaction. */
static int
write1(bc_project *p, const char *what, const char *sql, int nargs, ...)
{
	va_list ap;
	sqlite3_stmt *st;
	if (bc_tx_begin(p) < 0)
		return -1;
	if (bc_prepare(p, &st, sql) < 0) {
		bc_tx_rollback(p);
		return -1;
	}
	va_start(ap, nargs);
	for (int i = 1; i <= nargs; i++)
		sqlite3_bind_text(st, i, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
	va_end(ap);
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	if (s != SQLITE_DONE) {
		bc_db_error(p, what);
		bc_tx_rollback(p);
		return -1;
	}
	return bc_tx_commit(p);
}

int
bc_run_finish(bc_project *p, const char *id, bc_run_status status, int exit_code, int term_signal)
{
	sqlite3_stmt *st;
	if (bc_tx_begin(p) < 0)
		return -1;
	if (bc_prepare(p, &st, "UPDATE runs SET status=?, exit_code=?, term_signal=?, ended_ms=? WHERE id=?") < 0) {
		bc_tx_rollback(p);
		return -1;
	}
	sqlite3_bind_int(st, 1, status);
	if (exit_code >= 0)
		sqlite3_bind_int(st, 2, exit_code);
	sqlite3_bind_int(st, 3, term_signal);
	sqlite3_bind_int64(st, 4, bc_now_ms());
	sqlite3_bind_text(st, 5, id, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	if (s != SQLITE_DONE) {
		bc_db_error(p, "cannot finish the run");
		bc_tx_rollback(p);
		return -1;
	}
	return bc_tx_commit(p);
}

int
bc_run_set_param(bc_project *p, const char *id, const char *key, const bc_value *v)
{
	sqlite3_stmt *st;
	if (!key[0])
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "param name is empty: use KEY=VALUE");
	int own = sqlite3_get_autocommit(p->db);
	if (own && bc_tx_begin(p) < 0)
		return -1;
	if (bc_prepare(p, &st, "INSERT OR REPLACE INTO params(run,key,type,value) VALUES(?,?,?,?)") < 0)
		goto fail;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	bc_param_bind(st, 3, 4, v);
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	if (s != SQLITE_DONE) {
		bc_db_error(p, "cannot store the param");
		goto fail;
	}
	return own ? bc_tx_commit(p) : 0;
fail:
	if (own)
		bc_tx_rollback(p);
	return -1;
}

int
bc_run_add_tag(bc_project *p, const char *id, const char *tag)
{
	if (!tag[0])
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "tag is empty");
	return write1(p, "cannot add the tag", "INSERT OR IGNORE INTO tags(run,tag) VALUES(?,?)", 2, id, tag);
}

int
bc_run_remove_tag(bc_project *p, const char *id, const char *tag)
{
	return write1(p, "cannot remove the tag", "DELETE FROM tags WHERE run=? AND tag=?", 2, id, tag);
}

int
bc_run_set_note(bc_project *p, const char *id, const char *note)
{
	return write1(p, "cannot set the note", "UPDATE runs SET note=? WHERE id=?", 2, note, id);
}

int
bc_run_set_name(bc_project *p, const char *id, const char *name)
{
	if (valid_name(p, name) < 0)
		return BC_EINVALID;
	if (name_taken(p, name) == 1)
		return bc_error_set(p, BC_ERR_INPUT, BC_EEXISTS, "a run named '%s' already exists", name);
	return write1(p, "cannot rename the run", "UPDATE runs SET name=? WHERE id=?", 2, name, id);
}

int
bc_run_set_times(bc_project *p, const char *id, int64_t started_ms, int64_t ended_ms)
{
	char a[32], b[32];
	snprintf(a, sizeof a, "%lld", (long long)started_ms);
	snprintf(b, sizeof b, "%lld", (long long)ended_ms);
	return write1(p, "cannot set the run's times",
		"UPDATE runs SET started_ms=CAST(?1 AS INTEGER), ended_ms=nullif(CAST(?2 AS INTEGER),0) WHERE id=?3",
		3, a, b, id);
}

int
bc_run_add_io(bc_project *p, const char *id, int is_output, const char *path, const char *hash)
{
	return write1(p, "cannot record the data path",
		is_output ? "INSERT OR REPLACE INTO run_io(run,is_output,path,hash) VALUES(?1,1,?2,?3)"
			  : "INSERT OR REPLACE INTO run_io(run,is_output,path,hash) VALUES(?1,0,?2,?3)",
		3, id, path, hash);
}

int
bc_run_delete(bc_project *p, const char *id, int purge)
{
	if (!purge)
		return write1(p, "cannot delete the run", "UPDATE runs SET deleted=1 WHERE id=?", 1, id);
	int rc = write1(p, "cannot purge the run", "DELETE FROM runs WHERE id=?", 1, id);
	if (rc == 0)
		bc_rm_rf(bc_project_run_dir(p, id));
	return rc;
}

int
bc_run_restore(bc_project *p, const char *id)
{
	return write1(p, "cannot restore the run", "UPDATE runs SET deleted=0 WHERE id=?", 1, id);
}
