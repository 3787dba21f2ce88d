/* SPDX-License-Identifier: MIT */
/*
 * Strict parsing of MANIFEST.json: size and depth caps, duplicate keys
 * refused, unknown keys refused, every path checked against the entry-name
 * policy, files sorted, unique and free of case-only twins and file/dir
 * clashes. Whatever passes here is safe to use as a list of paths.
 */
#include "config.h"
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "internal.h"
#include "bundle-private.h"

#define MAX_JSON_DEPTH 16
#define MAX_KEYS 10000

struct parse {
	char *why;
	size_t why_size;
};

static int
fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->why, ps->why_size, fmt, ap);
	va_end(ap);
	return BC_EINVALID;
}

static int
depth_ok(json_t *j, int depth)
{
	if (depth > MAX_JSON_DEPTH)
		return 0;
	if (json_is_object(j)) {
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v)
			if (!depth_ok(v, depth + 1))
				return 0;
	} else if (json_is_array(j)) {
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v)
			if (!depth_ok(v, depth + 1))
				return 0;
	}
	return 1;
}

/* Every key of `o` must be in the NULL-terminated `allowed` list. */
static int
keys_known(struct parse *ps, json_t *o, const char *where, const char *const *allowed)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		int found = 0;
		for (size_t i = 0; allowed[i]; i++)
			if (!strcmp(k, allowed[i]))
				found = 1;
		if (!found)
			return fail(ps, "unknown key '%s' in %s", k, where);
	}
	return 0;
}

/* A string member (NULL allowed when `nullable`); *out is malloc'd or NULL. */
static int
get_str(struct parse *ps, const json_t *o, const char *key, const char *where,
	int required, char **out)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return fail(ps, "missing '%s' in %s", key, where);
		return 0;
	}
	if (!json_is_string(v))
		return fail(ps, "'%s' in %s must be a string", key, where);
	if (json_string_length(v) > 65536)
		return fail(ps, "'%s' in %s is too long", key, where);
	*out = bc_strndup(json_string_value(v), json_string_length(v));
	return *out ? 0 : fail(ps, "out of memory");
}

static int
is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
			return 0;
	return 1;
}

/* A number member or one of the strings "nan", "inf", "-inf". */
static int
get_num(struct parse *ps, const json_t *o, const char *key, const char *where, double *out)
{
	json_t *v = json_object_get(o, key);
	*out = NAN;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (!strcmp(s, "nan"))
			return 0;
		if (!strcmp(s, "inf") || !strcmp(s, "-inf")) {
			*out = s[0] == '-' ? -INFINITY : INFINITY;
			return 0;
		}
	}
	return fail(ps, "'%s' in %s must be a number", key, where);
}

static int
str_object(struct parse *ps, json_t *o, const char *where, bc_kv **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return fail(ps, "%s must be an object", where);
	if (json_object_size(o) > MAX_KEYS)
		return fail(ps, "%s has too many keys", where);
	*out = calloc(json_object_size(o) + 1, sizeof **out);
	if (!*out)
		return fail(ps, "out of memory");
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		if (!json_is_string(v))
			return fail(ps, "values in %s must be strings", where);
		(*out)[*n].key = bc_strdup(k);
		(*out)[*n].value = bc_strndup(json_string_value(v), json_string_length(v));
		(*n)++;
	}
	return 0;
}

static int
parse_value(const json_t *v, bc_value *out)
{
	memset(out, 0, sizeof *out);
	if (json_is_integer(v)) {
		out->type = BC_VAL_INT;
		out->i = json_integer_value(v);
	} else if (json_is_real(v)) {
		out->type = BC_VAL_FLOAT;
		out->f = json_real_value(v);
	} else if (json_is_boolean(v)) {
		out->type = BC_VAL_BOOL;
		out->i = json_is_true(v);
	} else if (json_is_string(v)) {
		out->type = BC_VAL_STRING;
		out->slen = json_string_length(v);
		out->s = bc_strndup(json_string_value(v), out->slen);
	} else if (!json_is_null(v)) {
		return -1;
	}
	return 0;
}

static int
parse_run(struct parse *ps, json_t *run, bc_manifest *m)
{
	static const char *const keys[] = { "id", "name", "status", "command", "params",
		"metrics", "started", "ended", "exit_code", "host", NULL };
	const char *w = "provenance.run";
	if (!json_is_object(run))
		return fail(ps, "%s must be an object", w);
	if (keys_known(ps, run, w, keys) || get_str(ps, run, "id", w, 1, &m->run_id) ||
			get_str(ps, run, "name", w, 0, &m->run_name) ||
			get_str(ps, run, "status", w, 0, &m->run_status) ||
			get_str(ps, run, "started", w, 0, &m->run_started) ||
			get_str(ps, run, "ended", w, 0, &m->run_ended) ||
			get_str(ps, run, "host", w, 0, &m->run_host))
		return BC_EINVALID;
	if (strlen(m->run_id) != 32 || strspn(m->run_id, "0123456789abcdef") != 32)
		return fail(ps, "provenance.run.id must be 32 hex digits");
	json_t *ec = json_object_get(run, "exit_code");
	if (ec && json_is_integer(ec)) {
		m->has_exit_code = 1;
		m->exit_code = (int)json_integer_value(ec);
	} else if (ec && !json_is_null(ec)) {
		return fail(ps, "provenance.run.exit_code must be an integer");
	}
	json_t *cmd = json_object_get(run, "command");
	if (cmd && !json_is_null(cmd)) {
		if (!json_is_array(cmd) || json_array_size(cmd) > MAX_KEYS)
			return fail(ps, "provenance.run.command must be an array of strings");
		m->run_command = calloc(json_array_size(cmd) + 1, sizeof(char *));
		size_t i;
		json_t *v;
		json_array_foreach(cmd, i, v) {
			if (!json_is_string(v))
				return fail(ps, "provenance.run.command must be an array of strings");
			m->run_command[m->run_argc++] = bc_strndup(json_string_value(v),
				json_string_length(v));
		}
	}
	json_t *params = json_object_get(run, "params");
	if (params && !json_is_null(params)) {
		if (!json_is_object(params) || json_object_size(params) > MAX_KEYS)
			return fail(ps, "provenance.run.params must be an object");
		m->params = calloc(json_object_size(params) + 1, sizeof *m->params);
		const char *k;
		json_t *v;
		json_object_foreach(params, k, v) {
			bc_param *pp = &m->params[m->nparams++];
			pp->key = bc_strdup(k);
			if (parse_value(v, &pp->v) < 0)
				return fail(ps, "provenance.run.params.%s must be a scalar", k);
		}
	}
	json_t *metrics = json_object_get(run, "metrics");
	if (metrics && !json_is_null(metrics)) {
		static const char *const mkeys[] = { "first", "last", "min", "max", "count",
			"last_step", NULL };
		if (!json_is_object(metrics) || json_object_size(metrics) > MAX_KEYS)
			return fail(ps, "provenance.run.metrics must be an object");
		m->metrics = calloc(json_object_size(metrics) + 1, sizeof *m->metrics);
		const char *k;
		json_t *v;
		json_object_foreach(metrics, k, v) {
			bc_bundle_metric *mm = &m->metrics[m->nmetrics++];
			mm->key = bc_strdup(k);
			if (!json_is_object(v) || keys_known(ps, v, "a metric summary", mkeys) ||
					get_num(ps, v, "first", k, &mm->first) ||
					get_num(ps, v, "last", k, &mm->last) ||
					get_num(ps, v, "min", k, &mm->min) ||
					get_num(ps, v, "max", k, &mm->max))
				return fail(ps, "provenance.run.metrics.%s is malformed", k);
			json_t *c = json_object_get(v, "count"), *ls = json_object_get(v, "last_step");
			mm->count = json_is_integer(c) ? json_integer_value(c) : 0;
			mm->last_step = json_is_integer(ls) ? json_integer_value(ls) : 0;
		}
	}
	return 0;
}

static int
parse_provenance(struct parse *ps, json_t *prov, bc_manifest *m)
{
	static const char *const keys[] = { "run", "git", "data", NULL };
	static const char *const gkeys[] = { "commit", "branch", "dirty", "patch_sha256",
		"patch_truncated", NULL };
	if (!json_is_object(prov))
		return fail(ps, "provenance must be an object");
	if (keys_known(ps, prov, "provenance", keys))
		return BC_EINVALID;
	json_t *run = json_object_get(prov, "run");
	if (run && !json_is_null(run) && parse_run(ps, run, m))
		return BC_EINVALID;
	json_t *git = json_object_get(prov, "git");
	if (git && !json_is_null(git)) {
		if (!json_is_object(git) || keys_known(ps, git, "provenance.git", gkeys) ||
				get_str(ps, git, "commit", "provenance.git", 0, &m->git_commit) ||
				get_str(ps, git, "branch", "provenance.git", 0, &m->git_branch) ||
				get_str(ps, git, "patch_sha256", "provenance.git", 0, &m->git_patch_sha256))
			return fail(ps, "provenance.git is malformed");
		m->git_dirty = json_is_true(json_object_get(git, "dirty"));
	}
	json_t *data = json_object_get(prov, "data");
	if (data && !json_is_null(data)) {
		if (!json_is_array(data) || json_array_size(data) > MAX_KEYS)
			return fail(ps, "provenance.data must be an array");
		m->data = calloc(json_array_size(data) + 1, sizeof *m->data);
		size_t i;
		json_t *v;
		json_array_foreach(data, i, v) {
			static const char *const dkeys[] = { "path", "sha256", NULL };
			bc_kv *kv = &m->data[m->ndata++];
			if (!json_is_object(v) || keys_known(ps, v, "provenance.data", dkeys) ||
					get_str(ps, v, "path", "provenance.data", 1, &kv->key) ||
					get_str(ps, v, "sha256", "provenance.data", 0, &kv->value))
				return fail(ps, "provenance.data[%zu] is malformed", i);
		}
	}
	return 0;
}

static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const bc_bundle_file *)a)->path, ((const bc_bundle_file *)b)->path);
}

static int
casecmp_ptr(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* Paths: sorted strictly (so unique), no case-only twins, no file that is also a directory. */
static int
check_paths(struct parse *ps, bc_manifest *m)
{
	for (size_t i = 1; i < m->nfiles; i++)
		if (strcmp(m->files[i - 1].path, m->files[i].path) >= 0)
			return fail(ps, "files are not sorted by path or list '%s' twice",
				m->files[i].path);
	const char **folded = malloc((m->nfiles + 1) * sizeof *folded);
	if (!folded)
		return fail(ps, "out of memory");
	for (size_t i = 0; i < m->nfiles; i++)
		folded[i] = m->files[i].path;
	qsort(folded, m->nfiles, sizeof *folded, casecmp_ptr);
	for (size_t i = 1; i < m->nfiles; i++)
		if (!strcasecmp(folded[i - 1], folded[i])) {
			int rc = fail(ps, "files '%s' and '%s' differ only by case", folded[i - 1],
				folded[i]);
			free(folded);
			return rc;
		}
	free(folded);
	for (size_t i = 0; i < m->nfiles; i++) {
		const char *path = m->files[i].path;
		for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
			char *dir = bc_strndup(path, (size_t)(s - path));
			if (!dir)
				return fail(ps, "out of memory");
			bc_bundle_file key = { .path = dir };
			int clash = bsearch(&key, m->files, m->nfiles, sizeof key, file_cmp) != NULL;
			free(dir);
			if (clash)
				return fail(ps, "'%s' is listed both as a file and as a directory", path);
		}
	}
	return 0;
}

static int
parse_files(struct parse *ps, json_t *files, bc_manifest *m)
{
	static const char *const keys[] = { "path", "size", "sha256", "mode",
		"executable_content", NULL };
	if (!json_is_array(files))
		return fail(ps, "files must be an array");
	if (json_array_size(files) > BC_BUNDLE_MAX_FILES)
		return fail(ps, "more than %d files", BC_BUNDLE_MAX_FILES);
	m->files = calloc(json_array_size(files) + 1, sizeof *m->files);
	if (!m->files)
		return fail(ps, "out of memory");
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f) {
		bc_bundle_file *bf = &m->files[m->nfiles++];
		char *sha = NULL, *mode = NULL, *exec = NULL;
		if (!json_is_object(f))
			return fail(ps, "files[%zu] must be an object", i);
		if (keys_known(ps, f, "files[]", keys) || get_str(ps, f, "path", "files[]", 1, &bf->path))
			return BC_EINVALID;
		const char *bad = bc_bundle_path_problem(bf->path, strlen(bf->path));
		if (!bad && !strcmp(bf->path, BC_BUNDLE_MANIFEST))
			bad = "the manifest's own name";
		if (bad)
			return fail(ps, "files[%zu]: unsafe path: %s", i, bad);
		json_t *size = json_object_get(f, "size");
		if (!json_is_integer(size) || json_integer_value(size) < 0)
			return fail(ps, "files[%zu]: size must be a non-negative integer", i);
		bf->size = (uint64_t)json_integer_value(size);
		if (bf->size > BC_BUNDLE_MAX_FILE_SIZE)
			return fail(ps, "files[%zu]: declared size is too large", i);
		if (m->total_size + bf->size > BC_BUNDLE_MAX_FILE_SIZE)
			return fail(ps, "declared total size is too large");
		m->total_size += bf->size;
		int rc = get_str(ps, f, "sha256", "files[]", 1, &sha);
		if (!rc && !is_hex64(sha))
			rc = fail(ps, "files[%zu]: sha256 must be 64 lower-case hex digits", i);
		if (!rc)
			memcpy(bf->sha256, sha, 65);
		free(sha);
		if (!rc)
			rc = get_str(ps, f, "mode", "files[]", 1, &mode);
		if (!rc && strcmp(mode, "0644") && strcmp(mode, "0755"))
			rc = fail(ps, "files[%zu]: mode must be \"0644\" or \"0755\"", i);
		if (!rc)
			bf->mode = !strcmp(mode, "0755") ? 0755 : 0644;
		free(mode);
		if (!rc)
			rc = get_str(ps, f, "executable_content", "files[]", 0, &exec);
		free(exec);
		if (rc)
			return rc;
		/* The manifest cannot hide a code-bearing file: decide by name here. */
		bf->exec_kind = bc_bundle_exec_kind(bf->path, NULL, 0);
		if (!bf->exec_kind && json_object_get(f, "executable_content"))
			bf->exec_kind = "declared by the manifest";
	}
	return check_paths(ps, m);
}

int
bc_manifest_parse(const char *text, size_t len, bc_manifest **out, char *why, size_t why_size)
{
	static const char *const keys[] = { "format", "name", "version", "created", "files",
		"provenance", "environment", "meta", "signature", NULL };
	struct parse ps = { why, why_size };
	*out = NULL;
	if (why_size)
		why[0] = '\0';
	if (len > BC_BUNDLE_MAX_MANIFEST)
		return fail(&ps, "the manifest is larger than 1 MiB");
	json_error_t err;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return fail(&ps, "the manifest is not valid JSON (line %d: %s)", err.line, err.text);
	bc_manifest *m = calloc(1, sizeof *m);
	int rc = BC_EINVALID;
	if (!m) {
		fail(&ps, "out of memory");
		goto done;
	}
	if (!json_is_object(root)) {
		fail(&ps, "the manifest must be a JSON object");
		goto done;
	}
	if (!depth_ok(root, 0)) {
		fail(&ps, "the manifest nests deeper than %d levels", MAX_JSON_DEPTH);
		goto done;
	}
	if (get_str(&ps, root, "format", "the manifest", 1, &m->format))
		goto done;
	if (strcmp(m->format, BC_BUNDLE_FORMAT)) {
		if (!strncmp(m->format, "bancada-bundle/", 15))
			fail(&ps, "unsupported bundle format '%s' (this bancada reads %s): upgrade bancada",
				m->format, BC_BUNDLE_FORMAT);
		else
			fail(&ps, "not a bancada bundle manifest (format '%s')", m->format);
		goto done;
	}
	if (keys_known(&ps, root, "the manifest", keys) ||
			get_str(&ps, root, "name", "the manifest", 1, &m->name) ||
			get_str(&ps, root, "version", "the manifest", 1, &m->version) ||
			get_str(&ps, root, "created", "the manifest", 1, &m->created))
		goto done;
	if (bundle_parse_iso_time(m->created, &m->created_ms) < 0) {
		fail(&ps, "'created' must be an ISO 8601 UTC time");
		goto done;
	}
	json_t *files = json_object_get(root, "files");
	if (!files) {
		fail(&ps, "missing 'files' in the manifest");
		goto done;
	}
	if (parse_files(&ps, files, m))
		goto done;
	json_t *prov = json_object_get(root, "provenance");
	if (prov && !json_is_null(prov) && parse_provenance(&ps, prov, m))
		goto done;
	if (str_object(&ps, json_object_get(root, "environment"), "environment", &m->env, &m->nenv) ||
			str_object(&ps, json_object_get(root, "meta"), "meta", &m->meta, &m->nmeta))
		goto done;
	json_t *sig = json_object_get(root, "signature");
	if (sig && !json_is_null(sig)) {
		if (!json_is_object(sig)) {
			fail(&ps, "signature must be an object");
			goto done;
		}
		m->signature = json_dumps(sig, JSON_COMPACT);
	}
	m->json = bc_strndup(text, len);
	m->json_len = len;
	rc = 0;
done:
	json_decref(root);
	if (rc) {
		bc_manifest_free(m);
		m = NULL;
	}
	*out = m;
	return rc;
}

static void
kv_free(bc_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void
bc_manifest_free(bc_manifest *m)
{
	if (!m)
		return;
	free(m->format);
	free(m->name);
	free(m->version);
	free(m->created);
	for (size_t i = 0; i < m->nfiles; i++)
		free(m->files[i].path);
	free(m->files);
	free(m->run_id);
	free(m->run_name);
	free(m->run_status);
	free(m->run_host);
	for (size_t i = 0; i < m->run_argc; i++)
		free(m->run_command[i]);
	free(m->run_command);
	free(m->run_started);
	free(m->run_ended);
	for (size_t i = 0; i < m->nparams; i++) {
		free(m->params[i].key);
		free(m->params[i].v.s);
	}
	free(m->params);
	for (size_t i = 0; i < m->nmetrics; i++)
		free(m->metrics[i].key);
	free(m->metrics);
	free(m->git_commit);
	free(m->git_branch);
	free(m->git_patch_sha256);
	kv_free(m->data, m->ndata);
	kv_free(m->env, m->nenv);
	kv_free(m->meta, m->nmeta);
	free(m->signature);
	free(m->json);
	free(m);
}
