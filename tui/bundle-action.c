/* SPDX-License-Identifier: MIT */
/*
 * Bundle actions of the TUI: `b` on a run packages its declared outputs into
 * a bundle in the current directory; `v` in the bundles view verifies one in
 * a worker thread (progress in atomics, cancel flag) and the verified state
 * is remembered for the session, keyed by file, size and mtime.
 */
#include "config.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tui.h"
#include "cmd-bundle.h"

int
tui_bundle_create(const char *run_id)
{
	bc_bundle_create_options o = BC_BUNDLE_CREATE_OPTIONS_INIT;
	bc_bundle_info info;
	memset(&info, 0, sizeof info);
	o.run_ref = run_id;
	tui_status("bundling %.12s...", run_id);
	if (bc_bundle_create(tui.p, &o, &info) < 0) {
		tui_error("bundle: %s", bc_errmsg(tui.p));
		return -1;
	}
	tui_status("bundled %zu file%s into %s (bancada bundle verify %s@%s)", info.nfiles,
		info.nfiles == 1 ? "" : "s", info.path ? info.path : "?", info.name ? info.name : "?",
		info.version ? info.version : "?");
	bc_bundle_info_clear(&info);
	return 0;
}

/* ---- verified state, remembered for this session (by file, size and mtime) ---- */
struct vmemo {
	char *path;
	uint64_t size;
	int64_t mtime;
	enum bundle_vstate state;
	size_t nproblems;
};
static struct vmemo *memo;
static size_t nmemo;

/* 0 and the file's identity, or -1 when it is gone. */
static int
file_id(const char *path, uint64_t *size, int64_t *mtime)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	*size = (uint64_t)st.st_size;
	*mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return 0;
}

static struct vmemo *
memo_find(const char *path)
{
	for (size_t i = 0; i < nmemo; i++)
		if (!strcmp(memo[i].path, path))
			return &memo[i];
	return NULL;
}

void
bundle_memo_set(const char *path, enum bundle_vstate s, size_t nproblems)
{
	uint64_t size = 0;
	int64_t mtime = 0;
	file_id(path, &size, &mtime);
	struct vmemo *m = memo_find(path);
	if (!m) {
		struct vmemo *nm = realloc(memo, (nmemo + 1) * sizeof *nm);
		if (!nm)
			return;
		memo = nm;
		m = &memo[nmemo++];
		m->path = strdup(path);
	}
	m->size = size;
	m->mtime = mtime;
	m->state = s;
	m->nproblems = nproblems;
}

/* "OK", "FAILED", "missing", "-" ... for a file now. */
const char *
bundle_state_text(const char *path, enum color_id *c)
{
	uint64_t size;
	int64_t mtime;
	*c = COLOR_DIM;
	if (file_id(path, &size, &mtime) < 0) {
		*c = COLOR_FAILED;
		return "missing";
	}
	const struct vmemo *m = memo_find(path);
	if (!m || m->size != size || m->mtime != mtime || m->state == BV_NONE)
		return "-";
	if (m->state == BV_OK) {
		*c = COLOR_FINISHED;
		return "OK";
	}
	if (m->state == BV_CANCELLED)
		return "cancelled";
	*c = COLOR_FAILED;
	return "FAILED";
}

/* ---- the verification worker ---- */
static void
job_progress(void *payload, uint64_t done, uint64_t total)
{
	struct verify_job *j = payload;
	__atomic_store_n(&j->total, total, __ATOMIC_RELAXED);
	__atomic_store_n(&j->done, done, __ATOMIC_RELAXED);
}

static void *
job_main(void *arg)
{
	struct verify_job *j = arg;
	bc_bundle_read_options o = BC_BUNDLE_READ_OPTIONS_INIT;
	o.progress = job_progress;
	o.payload = j;
	o.cancel = &j->cancel;
	j->rc = bc_bundle_verify(j->path, &o, &j->rep);
	j->end_ms = bc_now_ms();
	__atomic_store_n(&j->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

void
bundle_job_free(struct verify_job *j)
{
	if (!j)
		return;
	__atomic_store_n(&j->cancel, 1, __ATOMIC_RELAXED);
	if (!j->joined)
		pthread_join(j->th, NULL);
	bc_bundle_report_free(j->rep);
	free(j->path);
	free(j);
}

struct verify_job *
bundle_job_start(const char *path)
{
	struct verify_job *j = calloc(1, sizeof *j);
	if (!j || !(j->path = strdup(path))) {
		free(j);
		return NULL;
	}
	j->start_ms = bc_now_ms();
	if (pthread_create(&j->th, NULL, job_main, j) != 0) {
		free(j->path);
		free(j);
		return NULL;
	}
	return j;
}

int
bundle_job_poll(struct verify_job *j)
{
	if (j->joined)
		return 1;
	if (!__atomic_load_n(&j->finished, __ATOMIC_ACQUIRE))
		return 0;
	pthread_join(j->th, NULL);
	j->joined = 1;
	return 1;
}
