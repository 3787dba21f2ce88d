/* SPDX-License-Identifier: MIT */
/*
 * Building MANIFEST.json from a run and its hashed files. The text is a
 * pure function of its inputs (key order fixed, lists sorted, no clock,
 * no locale), so the same run and files always give the same bytes.
 */
#include "config.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"
#include "bundle-private.h"

/* A JSON string from arbitrary bytes: invalid UTF-8 becomes U+FFFD. */
static json_t *
jstr(const char *s, size_t len)
{
	if (!s)
		return json_null();
	json_t *j = json_stringn(s, len);
	if (j)
		return j;
	bc_buf b = BC_BUF_INIT;
	for (size_t i = 0; i < len; i++) {
		json_t *one = json_stringn(s + i, 1);
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80 && one) {
			bc_buf_putc(&b, (char)c);
		} else {
			/* copy a valid multibyte sequence, else U+FFFD */
			size_t n = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
			json_t *seq = n && i + n <= len ? json_stringn(s + i, n) : NULL;
			if (seq) {
				bc_buf_put(&b, s + i, n);
				i += n - 1;
				json_decref(seq);
			} else {
				bc_buf_puts(&b, "\xef\xbf\xbd");
			}
		}
		json_decref(one);
	}
	j = json_stringn(b.data ? b.data : "", b.len);
	bc_buf_free(&b);
	return j;
}

static json_t *
jcstr(const char *s)
{
	return s ? jstr(s, strlen(s)) : json_null();
}

/* Numbers that JSON cannot hold (nan, inf) are written as strings. */
static json_t *
jreal(double v)
{
	if (isnan(v))
		return json_string("nan");
	if (isinf(v))
		return json_string(v > 0 ? "inf" : "-inf");
	return json_real(v);
}

static json_t *
jvalue(const bc_value *v)
{
	switch (v->type) {
	case BC_VAL_INT: return json_integer((json_int_t)v->i);
	case BC_VAL_FLOAT: return jreal(v->f);
	case BC_VAL_BOOL: return json_boolean(v->i);
	case BC_VAL_STRING: return jstr(v->s ? v->s : "", v->s ? v->slen : 0);
	default: return json_null();
	}
}

static json_t *
jtime(int64_t ms)
{
	if (ms <= 0)
		return json_null();
	char buf[40];
	bundle_iso_time(ms, buf, sizeof buf);
	return json_string(buf);
}

static int
kv_cmp(const void *a, const void *b)
{
	return strcmp(((const bc_kv *)a)->key, ((const bc_kv *)b)->key);
}

/* An object from key/value pairs, sorted by key (the input is not modified). */
static json_t *
jkv_sorted(const bc_kv *kv, size_t n)
{
	json_t *o = json_object();
	bc_kv *copy = n ? malloc(n * sizeof *copy) : NULL;
	if (n && !copy)
		return o;
	if (n)
		memcpy(copy, kv, n * sizeof *copy);
	if (n > 1)
		qsort(copy, n, sizeof *copy, kv_cmp);
	for (size_t i = 0; i < n; i++)
		if (copy[i].key && bc_text_is_clean(copy[i].key, strlen(copy[i].key)))
			json_object_set_new(o, copy[i].key, jcstr(copy[i].value));
	free(copy);
	return o;
}

static json_t *
provenance_run(const bc_run *r)
{
	json_t *run = json_object();
	json_object_set_new(run, "id", json_string(r->id));
	json_object_set_new(run, "name", jcstr(r->name));
	json_object_set_new(run, "status", json_string(bc_run_status_name(r->status)));
	json_t *cmd = json_array();
	for (size_t i = 0; i < r->argc && r->argv && r->argv[i]; i++)
		json_array_append_new(cmd, jcstr(r->argv[i]));
	json_object_set_new(run, "command", cmd);
	json_t *params = json_object();
	for (size_t i = 0; i < r->nparams; i++)
		json_object_set_new(params, r->params[i].key, jvalue(&r->params[i].v));
	json_object_set_new(run, "params", params);
	json_t *metrics = json_object();
	for (size_t i = 0; i < r->nmetrics; i++) {
		const bc_metric_summary *m = &r->metrics[i];
		json_t *o = json_object();
		json_object_set_new(o, "first", jreal(m->first));
		json_object_set_new(o, "last", jreal(m->last));
		json_object_set_new(o, "min", jreal(m->min));
		json_object_set_new(o, "max", jreal(m->max));
		json_object_set_new(o, "count", json_integer(m->count));
		json_object_set_new(o, "last_step", json_integer(m->last_step));
		json_object_set_new(metrics, m->key, o);
	}
	json_object_set_new(run, "metrics", metrics);
	json_object_set_new(run, "started", jtime(r->started_ms));
	json_object_set_new(run, "ended", jtime(r->ended_ms));
	json_object_set_new(run, "exit_code", r->exit_code >= 0 ? json_integer(r->exit_code)
		: json_null());
	json_object_set_new(run, "host", jcstr(r->host));
	return run;
}

static json_t *
provenance_git(const bc_run *r)
{
	json_t *git = json_object();
	json_object_set_new(git, "commit", jcstr(r->git_commit));
	json_object_set_new(git, "branch", jcstr(r->git_branch));
	json_object_set_new(git, "dirty", json_boolean(r->git_dirty));
	if (r->git_patch && r->git_patch_len) {
		char hex[65];
		bundle_sha256_mem(r->git_patch, r->git_patch_len, hex);
		json_object_set_new(git, "patch_sha256", json_string(hex));
		json_object_set_new(git, "patch_truncated",
			json_boolean(r->git_patch_full_len > (int64_t)r->git_patch_len));
	} else {
		json_object_set_new(git, "patch_sha256", json_null());
	}
	return git;
}

static json_t *
provenance_data(const bc_run *r)
{
	json_t *data = json_array();
	bc_kv *copy = r->ninputs ? malloc(r->ninputs * sizeof *copy) : NULL;
	if (!copy)
		return data;
	memcpy(copy, r->inputs, r->ninputs * sizeof *copy);
	qsort(copy, r->ninputs, sizeof *copy, kv_cmp);
	for (size_t i = 0; i < r->ninputs; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "path", jcstr(copy[i].key));
		json_object_set_new(o, "sha256", jcstr(copy[i].value));
		json_array_append_new(data, o);
	}
	free(copy);
	return data;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *
meta_object(const char *const *meta, const char **why)
{
	json_t *o = json_object();
	size_t n = 0;
	while (meta && meta[n])
		n++;
	const char **sorted = n ? malloc(n * sizeof *sorted) : NULL;
	if (n && !sorted)
		return o;
	for (size_t i = 0; i < n; i++)
		sorted[i] = meta[i];
	if (n > 1)
		qsort(sorted, n, sizeof *sorted, str_cmp);
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(sorted[i], '=');
		if (!eq || eq == sorted[i]) {
			*why = "--meta needs KEY=VALUE";
			goto fail;
		}
		char *key = bc_strndup(sorted[i], (size_t)(eq - sorted[i]));
		if (!key || !bc_text_is_clean(key, strlen(key))) {
			free(key);
			*why = "--meta KEY must be printable UTF-8";
			goto fail;
		}
		if (json_object_get(o, key)) {
			free(key);
			*why = "--meta KEY given twice";
			goto fail;
		}
		json_t *v = json_stringn(eq + 1, strlen(eq + 1));
		if (!v) {
			free(key);
			*why = "--meta VALUE must be valid UTF-8";
			goto fail;
		}
		json_object_set_new(o, key, v);
		free(key);
	}
	free(sorted);
	return o;
fail:
	free(sorted);
	json_decref(o);
	return NULL;
}

char *
bundle_manifest_build(const bc_run *r, const bundle_input *in, size_t n,
	const char *name, const char *version, const char *const *meta,
	const char *signature, size_t *len, const char **why)
{
	char *text = NULL;
	json_t *sig = NULL;
	if (signature) {
		json_error_t err;
		sig = json_loads(signature, JSON_REJECT_DUPLICATES, &err);
		if (!sig || !json_is_object(sig)) {
			*why = "the --signature file is not a JSON object";
			json_decref(sig);
			return NULL;
		}
	}
	json_t *metaj = meta_object(meta, why);
	if (!metaj) {
		json_decref(sig);
		return NULL;
	}
	json_t *m = json_object();
	json_object_set_new(m, "format", json_string(BC_BUNDLE_FORMAT));
	json_object_set_new(m, "name", jcstr(name));
	json_object_set_new(m, "version", jcstr(version));
	json_object_set_new(m, "created", jtime(r->ended_ms > 0 ? r->ended_ms : r->started_ms));
	json_t *files = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *f = json_object();
		json_object_set_new(f, "path", json_string(in[i].name));
		json_object_set_new(f, "size", json_integer((json_int_t)in[i].size));
		json_object_set_new(f, "sha256", json_string(in[i].sha256));
		json_object_set_new(f, "mode", json_string(in[i].mode == 0755 ? "0755" : "0644"));
		if (in[i].exec_kind)
			json_object_set_new(f, "executable_content", json_string(in[i].exec_kind));
		json_array_append_new(files, f);
	}
	json_object_set_new(m, "files", files);
	json_t *prov = json_object();
	json_object_set_new(prov, "run", provenance_run(r));
	json_object_set_new(prov, "git", provenance_git(r));
	json_object_set_new(prov, "data", provenance_data(r));
	json_object_set_new(m, "provenance", prov);
	json_object_set_new(m, "environment", jkv_sorted(r->env, r->nenv));
	json_object_set_new(m, "meta", metaj);
	json_object_set_new(m, "signature", sig ? sig : json_null());
	text = json_dumps(m, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
	json_decref(m);
	if (!text) {
		*why = "cannot serialise the manifest";
		return NULL;
	}
	/* a trailing newline, as text files have */
	size_t l = strlen(text);
	char *withnl = realloc(text, l + 2);
	if (!withnl) {
		free(text);
		*why = "out of memory";
		return NULL;
	}
	withnl[l] = '\n';
	withnl[l + 1] = '\0';
	*len = l + 1;
	if (*len > BC_BUNDLE_MAX_MANIFEST) {
		free(withnl);
		*why = "the manifest would exceed 1 MiB (too many files or too much metadata)";
		return NULL;
	}
	return withnl;
}
