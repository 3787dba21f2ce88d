/* SPDX-License-Identifier: MIT */
/*
 * `set import.auto = mlflow:PATH dvc[:REPO] ...`: when the workbench opens,
 * re-import the configured sources in a background thread on its own project
 * handle (imports are incremental, so this is cheap when nothing changed),
 * with progress in the status bar. New runs appear through the normal live
 * refresh (PRAGMA data_version).
 */
#include "config.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

struct auto_import {
	pthread_t thread;
	pthread_mutex_t lock;
	char root[4096];
	char *spec;
	/* shared with the UI thread, under lock */
	char source[64];
	size_t done, total;
	int finished, changed;
	bc_import_stats sum;
	char error[512];
};

static struct auto_import *ai;

static void
progress(size_t done, size_t total, void *payload)
{
	struct auto_import *a = payload;
	pthread_mutex_lock(&a->lock);
	a->done = done;
	a->total = total;
	a->changed = 1;
	pthread_mutex_unlock(&a->lock);
}

static void *
worker(void *arg)
{
	struct auto_import *a = arg;
	bc_project *p = NULL;
	bc_project_options po = BC_PROJECT_OPTIONS_INIT;
	po.no_recover = 1;
	if (bc_project_open(&p, a->root, &po) < 0) {
		pthread_mutex_lock(&a->lock);
		snprintf(a->error, sizeof a->error, "%s", bc_errmsg(p));
		a->finished = a->changed = 1;
		pthread_mutex_unlock(&a->lock);
		bc_project_free(p);
		return NULL;
	}
	char *save = NULL;
	for (char *tok = strtok_r(a->spec, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		char *colon = strchr(tok, ':');
		const char *path = colon ? colon + 1 : NULL;
		if (colon)
			*colon = '\0';
		pthread_mutex_lock(&a->lock);
		snprintf(a->source, sizeof a->source, "%.60s", tok);
		a->done = a->total = 0;
		a->changed = 1;
		pthread_mutex_unlock(&a->lock);
		bc_import_options o = BC_IMPORT_OPTIONS_INIT;
		o.progress = progress;
		o.payload = a;
		bc_import_stats st = { 0 };
		char abs[8300];
		if (path && *path && path[0] != '/') {
			snprintf(abs, sizeof abs, "%s/%s", a->root, path);
			path = abs;
		}
		int rc;
		if (!strcmp(tok, "mlflow") && path && *path)
			rc = bc_import_mlflow(p, path, &o, &st);
		else if (!strcmp(tok, "dvc"))
			rc = bc_import_dvc(p, path && *path ? path : NULL, &o, &st);
		else
			rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"import.auto: '%s' is not mlflow:PATH or dvc[:REPO]", tok);
		pthread_mutex_lock(&a->lock);
		if (rc < 0 && !a->error[0])
			snprintf(a->error, sizeof a->error, "%s", bc_errmsg(p));
		a->sum.added += st.added;
		a->sum.updated += st.updated;
		a->sum.unchanged += st.unchanged;
		a->sum.skipped += st.skipped;
		a->changed = 1;
		pthread_mutex_unlock(&a->lock);
	}
	bc_project_free(p);
	pthread_mutex_lock(&a->lock);
	a->finished = a->changed = 1;
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

void
auto_import_start(void)
{
	const char *spec = tui.opt.import_auto_s;
	if (!spec || !*spec || ai)
		return;
	ai = calloc(1, sizeof *ai);
	if (!ai)
		return;
	pthread_mutex_init(&ai->lock, NULL);
	snprintf(ai->root, sizeof ai->root, "%s", bc_project_root(tui.p));
	ai->spec = strdup(spec);
	/* relative source paths are relative to the project root, whatever the cwd */
	if (!ai->spec || pthread_create(&ai->thread, NULL, worker, ai) != 0) {
		tui_error("import.auto: cannot start the background import");
		free(ai->spec);
		free(ai);
		ai = NULL;
		return;
	}
	tui_status("importing in the background...");
}

void
auto_import_tick(void)
{
	if (!ai)
		return;
	pthread_mutex_lock(&ai->lock);
	int changed = ai->changed, finished = ai->finished;
	ai->changed = 0;
	if (changed && !finished)
		tui_status("importing %s: %zu/%zu runs", ai->source, ai->done, ai->total);
	else if (finished && ai->error[0])
		tui_error("import.auto: %s", ai->error);
	else if (finished)
		tui_status("import.auto: %d added, %d updated, %d unchanged%s", ai->sum.added, ai->sum.updated,
			ai->sum.unchanged, ai->sum.skipped ? ", some skipped (see bancada import)" : "");
	pthread_mutex_unlock(&ai->lock);
	if ((changed || finished) && view_top())
		view_redraw(view_top());   /* the status bar changed */
	if (finished) {
		pthread_join(ai->thread, NULL);
		pthread_mutex_destroy(&ai->lock);
		free(ai->spec);
		free(ai);
		ai = NULL;
	}
}

void
auto_import_stop(void)
{
	/* an import cannot be interrupted half-way through a run safely from here;
	 * leaving lets the process exit end it (its transaction rolls back) */
	if (ai)
		pthread_detach(ai->thread);
}
