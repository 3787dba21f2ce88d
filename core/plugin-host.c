/* SPDX-License-Identifier: MIT */
/*
 * The host function table and plugin views: a view holds the runs a plugin
 * was opened on, its options and messages, and answers the read-only
 * queries of bancada/plugin.h. Plugins never see the SQLite handle.
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "bancada/bundle.h"
#include "bancada/data.h"
#include "plugin-int.h"

struct bc_prun {
	bc_run *run;
	char **series;
	size_t nseries;
	int series_loaded;
	char *dir;
};

struct bc_host {
	bc_project *p;
	bc_cplugin *cp;
	void *state;
	int opened;
	bc_prun **sel;
	size_t nsel;
	bc_prun **query;
	size_t nquery;
	char *filter;
	char **opts;            /* "NAME=VALUE" */
	size_t nopts;
	bc_buf messages;
	char err[512];
	int data_loaded, bundles_loaded;
	bc_data_list data;
	char *log_path;
	bc_data_version *log;
	size_t nlog;
	bc_bundle_info *bundles;
	size_t nbundles;
};

static void
prun_free(bc_prun *r)
{
	if (!r)
		return;
	bc_run_free(r->run);
	bc_strv_free(r->series, r->nseries);
	free(r->dir);
	free(r);
}

static void
pruns_free(bc_prun **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		prun_free(v[i]);
	free(v);
}

/* Load runs by id into bc_prun wrappers. */
static int
load_runs(bc_host *h, bc_run_list *ids, bc_prun ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	bc_run **runs = NULL;
	if (ids->count && bc_run_load_many(h->p, ids, &runs) < 0) {
		snprintf(h->err, sizeof h->err, "%s", bc_errmsg(h->p));
		return -1;
	}
	bc_prun **v = calloc(ids->count + 1, sizeof *v);
	if (!v) {
		bc_run_free_many(runs, ids->count);
		return -1;
	}
	for (size_t i = 0; i < ids->count; i++) {
		v[i] = calloc(1, sizeof **v);
		if (v[i])
			v[i]->run = runs[i];
		else
			bc_run_free(runs[i]);
	}
	free(runs);
	*out = v;
	*n = ids->count;
	return 0;
}

static int
query_filter(bc_host *h, const char *filter, bc_prun ***out, size_t *n)
{
	bc_run_query q = BC_RUN_QUERY_INIT;
	q.filter = filter && *filter ? filter : NULL;
	bc_run_list ids = { 0 };
	int rc = bc_run_query_ids(h->p, &q, &ids);
	if (rc < 0) {
		snprintf(h->err, sizeof h->err, "%s", bc_errmsg(h->p));
		bc_run_list_clear(&ids);
		return rc;
	}
	rc = load_runs(h, &ids, out, n);
	bc_run_list_clear(&ids);
	return rc;
}

/* ---- the table ---- */

static const char *
api_version(void)
{
	return BANCADA_VERSION_STRING;
}

static void
api_message(bc_host *h, const char *text)
{
	if (!h || !text || h->messages.len > 64 * 1024)
		return;
	char *clean = bc_text_sanitize(text, strnlen(text, 4096), 0);
	if (clean) {
		bc_buf_printf(&h->messages, "%s\n", clean);
		free(clean);
	}
}

static const char *
api_option(bc_host *h, const char *name)
{
	if (!h || !name)
		return NULL;
	size_t n = strlen(name);
	for (size_t i = h->nopts; i-- > 0;)
		if (!strncmp(h->opts[i], name, n) && h->opts[i][n] == '=')
			return h->opts[i] + n + 1;
	if (!strcmp(name, "filter"))
		return h->filter;
	return NULL;
}

static void
api_set_option(bc_host *h, const char *name, const char *value)
{
	if (!h || !name || !value || h->nopts > 256)
		return;
	char **v = realloc(h->opts, (h->nopts + 1) * sizeof *v);
	if (!v)
		return;
	h->opts = v;
	v[h->nopts] = bc_sprintf("%.*s=%.*s", 64, name, 1024, value);
	if (v[h->nopts])
		h->nopts++;
}

static const char *
api_project_root(bc_host *h)
{
	return h ? bc_project_root(h->p) : NULL;
}

static size_t
api_selection(bc_host *h, const bc_prun *const **out)
{
	*out = (const bc_prun *const *)h->sel;
	return h->nsel;
}

static int
api_query(bc_host *h, const char *filter, const bc_prun *const **out, size_t *n)
{
	pruns_free(h->query, h->nquery);
	h->query = NULL;
	h->nquery = 0;
	*out = NULL;
	*n = 0;
	if (query_filter(h, filter ? filter : h->filter, &h->query, &h->nquery) < 0)
		return -1;
	*out = (const bc_prun *const *)h->query;
	*n = h->nquery;
	return 0;
}

static const char *
api_run_id(const bc_prun *r)
{
	return r ? r->run->id : "";
}

static int
api_run_field(bc_host *h, const bc_prun *r, const char *field, char *buf, size_t size)
{
	if (!r || !field || !buf || !size)
		return -1;
	return bc_run_field(r->run, field, buf, size) < 0 ? -1 : 0;
}

static int
api_run_field_num(bc_host *h, const bc_prun *r, const char *field, double *out)
{
	if (!r || !field || !out)
		return -1;
	return bc_run_field_num(r->run, field, out) < 0 ? -1 : 0;
}

static const char *
api_run_param_key(bc_host *h, const bc_prun *r, size_t i)
{
	return r && i < r->run->nparams ? r->run->params[i].key : NULL;
}

static const char *
api_run_metric_key(bc_host *h, const bc_prun *r, size_t i)
{
	return r && i < r->run->nmetrics ? r->run->metrics[i].key : NULL;
}

static int
api_run_summary(bc_host *h, const bc_prun *r, const char *key, struct bc_psummary *out)
{
	const bc_metric_summary *m = r && key ? bc_run_metric(r->run, key) : NULL;
	if (!m || !out)
		return -1;
	out->first = m->first;
	out->last = m->last;
	out->min = m->min;
	out->max = m->max;
	out->count = m->count;
	out->first_step = m->first_step;
	out->last_step = m->last_step;
	return 0;
}

static const char *
api_run_series_key(bc_host *h, const bc_prun *cr, size_t i)
{
	bc_prun *r = (bc_prun *)(uintptr_t)cr;
	if (!h || !r)
		return NULL;
	if (!r->series_loaded) {
		r->series_loaded = 1;
		if (bc_metric_keys(h->p, r->run->id, &r->series, &r->nseries) < 0) {
			r->series = NULL;
			r->nseries = 0;
		}
	}
	return i < r->nseries ? r->series[i] : NULL;
}

static int
api_run_series(bc_host *h, const bc_prun *r, const char *key, size_t max_points,
	struct bc_ppoint **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!h || !r || !key)
		return -1;
	bc_point *pts = NULL;
	size_t np = 0;
	if (bc_metric_series(h->p, r->run->id, key, INT64_MIN, INT64_MAX, &pts, &np) < 0) {
		snprintf(h->err, sizeof h->err, "%s", bc_errmsg(h->p));
		return -1;
	}
	if (max_points >= 4 && np > max_points) {
		bc_point *ds = malloc(max_points * sizeof *ds);
		if (ds) {
			np = bc_metric_downsample(pts, np, max_points / 4, ds);
			free(pts);
			pts = ds;
		}
	}
	struct bc_ppoint *v = malloc((np ? np : 1) * sizeof *v);
	if (!v) {
		free(pts);
		return -1;
	}
	for (size_t i = 0; i < np; i++) {
		v[i].step = pts[i].step;
		v[i].value = pts[i].value;
		v[i].wall_ms = pts[i].wall_ms;
	}
	free(pts);
	*out = v;
	*n = np;
	return 0;
}

static const char *
api_run_io(bc_host *h, const bc_prun *r, int output, size_t i, const char **hash)
{
	if (!r)
		return NULL;
	size_t n = output ? r->run->noutputs : r->run->ninputs;
	const bc_kv *kv = output ? r->run->outputs : r->run->inputs;
	if (i >= n)
		return NULL;
	if (hash)
		*hash = kv[i].value;
	return kv[i].key;
}

static const char *
api_run_dir(bc_host *h, const bc_prun *cr)
{
	bc_prun *r = (bc_prun *)(uintptr_t)cr;
	if (!h || !r)
		return NULL;
	if (!r->dir)
		r->dir = bc_strdup(bc_project_run_dir(h->p, r->run->id));
	return r->dir;
}

static const char *
api_errmsg(bc_host *h)
{
	return h ? h->err : "";
}

static const char *
api_data_item(bc_host *h, size_t i, const char **hash, int64_t *size)
{
	if (!h)
		return NULL;
	if (!h->data_loaded) {
		h->data_loaded = 1;
		if (bc_data_ls(h->p, NULL, &h->data) < 0)
			snprintf(h->err, sizeof h->err, "%s", bc_errmsg(h->p));
	}
	if (i >= h->data.n)
		return NULL;
	if (hash)
		*hash = h->data.v[i].hash;
	if (size)
		*size = h->data.v[i].size;
	return h->data.v[i].path;
}

static const char *
api_data_version(bc_host *h, const char *path, size_t i, const char **hash, int64_t *time_ms)
{
	if (!h || !path)
		return NULL;
	if (!h->log_path || strcmp(h->log_path, path)) {
		bc_data_log_free(h->log, h->nlog);
		h->log = NULL;
		h->nlog = 0;
		free(h->log_path);
		h->log_path = bc_strdup(path);
		if (bc_data_log(h->p, path, &h->log, &h->nlog) < 0) {
			snprintf(h->err, sizeof h->err, "%s", bc_errmsg(h->p));
			h->log = NULL;
			h->nlog = 0;
		}
	}
	if (i >= h->nlog)
		return NULL;
	if (hash)
		*hash = h->log[i].hash;
	if (time_ms)
		*time_ms = h->log[i].time_ms;
	return h->log[i].commit;
}

static const char *
api_bundle(bc_host *h, size_t i, const char **version, const char **run_id, const char **sha256)
{
	if (!h)
		return NULL;
	if (!h->bundles_loaded) {
		h->bundles_loaded = 1;
		if (bc_bundle_list(h->p, &h->bundles, &h->nbundles) < 0) {
			snprintf(h->err, sizeof h->err, "%s", bc_errmsg(h->p));
			h->bundles = NULL;
			h->nbundles = 0;
		}
	}
	if (i >= h->nbundles)
		return NULL;
	if (version)
		*version = h->bundles[i].version;
	if (run_id)
		*run_id = h->bundles[i].run_id;
	if (sha256)
		*sha256 = h->bundles[i].sha256;
	return h->bundles[i].name;
}

static struct bc_host_api host_api;

/* The host function table (static, filled on first use). */
const struct bc_host_api *
bc_host_api_get(void)
{
	if (!host_api.abi_major) {
		struct bc_host_api *a = &host_api;
		a->abi_minor = BC_PLUGIN_ABI_MINOR;
		a->size = sizeof *a;
		a->version = api_version;
		a->message = api_message;
		a->option = api_option;
		a->set_option = api_set_option;
		a->project_root = api_project_root;
		a->free = free;
		bc_host_api_fill_canvas(a);
		bc_host_api_fill_draw(a);
		a->selection = api_selection;
		a->query = api_query;
		a->run_id = api_run_id;
		a->run_field = api_run_field;
		a->run_field_num = api_run_field_num;
		a->run_param_key = api_run_param_key;
		a->run_metric_key = api_run_metric_key;
		a->run_summary = api_run_summary;
		a->run_series_key = api_run_series_key;
		a->run_series = api_run_series;
		a->run_io = api_run_io;
		a->run_dir = api_run_dir;
		a->errmsg = api_errmsg;
		a->data_item = api_data_item;
		a->data_version = api_data_version;
		a->bundle = api_bundle;
		a->abi_major = BC_PLUGIN_ABI_MAJOR;
	}
	return &host_api;
}

/* ---- views ---- */

/* Open a plugin view on its selection and call the plugin's open; close with bc_pview_close(). */
int
bc_pview_open(bc_pview **out, bc_cplugin *cp, bc_project *p, const bc_pview_options *o)
{
	*out = NULL;
	const struct bc_plugin *d = bc_cplugin_desc(cp);
	bc_host *h = calloc(1, sizeof *h);
	if (!h)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	h->p = p;
	h->cp = cp;
	h->filter = o && o->filter ? bc_strdup(o->filter) : NULL;
	for (size_t i = 0; o && o->options && o->options[i] && h->nopts < 256; i++) {
		char **v = strchr(o->options[i], '=') ? realloc(h->opts, (h->nopts + 1) * sizeof *v) : NULL;
		if (v) {
			h->opts = v;
			if ((v[h->nopts] = bc_strdup(o->options[i])))
				h->nopts++;
		}
	}
	int rc = 0;
	if (o && o->nruns) {
		bc_run_list ids = { 0 };
		ids.ids = calloc(o->nruns, sizeof *ids.ids);
		ids.count = o->nruns;
		for (size_t i = 0; ids.ids && i < o->nruns; i++)
			snprintf(ids.ids[i], sizeof ids.ids[i], "%s", o->run_ids[i]);
		rc = ids.ids ? load_runs(h, &ids, &h->sel, &h->nsel) : -1;
		free(ids.ids);
	} else if (d->input == BC_INPUT_FILTERED) {
		rc = query_filter(h, h->filter, &h->sel, &h->nsel);
	} else {
		/* the current run defaults to the latest one */
		bc_run_list ids = { 0 };
		char id[33];
		if (bc_run_resolve(p, "@", 0, id) == 0) {
			ids.ids = &id;
			ids.count = 1;
			rc = load_runs(h, &ids, &h->sel, &h->nsel);
		}
	}
	if (rc < 0) {
		bc_error_set(p, BC_ERR_PLUGIN, BC_ERROR, "plugin %s: %s", d->name, h->err);
		bc_pview_close(h);
		return BC_ERROR;
	}
	h->state = d->open ? d->open(bc_host_api_get(), h) : NULL;
	if (d->open && !h->state) {
		char *msg = bc_pview_take_messages(h);
		bc_error_set(p, BC_ERR_PLUGIN, BC_ERROR, "plugin %s could not open its view%s%s",
			d->name, msg ? ": " : "", msg ? msg : "");
		free(msg);
		bc_pview_close(h);
		return BC_ERROR;
	}
	h->opened = 1;
	*out = h;
	return 0;
}

/* Clear the canvas and let the plugin draw on it. */
void
bc_pview_draw(bc_pview *v, bc_canvas *c)
{
	bc_canvas_clear(c);
	const struct bc_plugin *d = bc_cplugin_desc(v->cp);
	d->draw(v->state, v, c);
}

/* Pass a key to the plugin: BC_KEY_IGNORED, BC_KEY_REDRAW or BC_KEY_CLOSE. */
int
bc_pview_key(bc_pview *v, int key)
{
	const struct bc_plugin *d = bc_cplugin_desc(v->cp);
	if (!d->keypress)
		return BC_KEY_IGNORED;
	int r = d->keypress(v->state, v, key);
	return r == BC_KEY_REDRAW || r == BC_KEY_CLOSE ? r : BC_KEY_IGNORED;
}

/* Messages the plugin gave since the last call (malloc'd), or NULL. */
char *
bc_pview_take_messages(bc_pview *v)
{
	if (!v->messages.len)
		return NULL;
	while (v->messages.len && v->messages.data[v->messages.len - 1] == '\n')
		v->messages.data[--v->messages.len] = '\0';
	return bc_buf_detach(&v->messages);
}

/* Call the plugin's close and free the view (NULL is a no-op). */
void
bc_pview_close(bc_pview *v)
{
	if (!v)
		return;
	const struct bc_plugin *d = bc_cplugin_desc(v->cp);
	if (v->opened && d->close)
		d->close(v->state, v);
	pruns_free(v->sel, v->nsel);
	pruns_free(v->query, v->nquery);
	bc_strv_free(v->opts, v->nopts);
	free(v->filter);
	bc_buf_free(&v->messages);
	bc_data_list_clear(&v->data);
	bc_data_log_free(v->log, v->nlog);
	free(v->log_path);
	bc_bundle_list_free(v->bundles, v->nbundles);
	free(v);
}
