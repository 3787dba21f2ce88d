/* SPDX-License-Identifier: MIT */
/* Helpers shared by the `bancada bundle` subcommand files. */
#ifndef BANCADA_TUI_CMD_BUNDLE_H
#define BANCADA_TUI_CMD_BUNDLE_H

#include <pthread.h>
#include <jansson.h>
#include "cmd.h"
#include "view.h"

extern const struct bc_cmd cmd_bundle;

/* 1.5 MiB style sizes. */
void bundle_fmt_bytes(uint64_t n, char *buf, size_t size);
/* Print a JSON value (ASCII only, indented) and release it. */
void bundle_print_json(json_t *j);
/* Print a report's problems to stderr, one sanitized line each. */
void bundle_print_problems(const char *file, const bc_bundle_report *rep);
/* FILE or NAME[@VERSION] to a file path (malloc'd), or NULL after printing why. */
char *bundle_resolve_ref(struct bc_cmd_ctx *ctx, const char *ref);
/* Files of a manifest flagged as executable content. */
size_t bundle_count_exec(const bc_manifest *m);
/* {"file", "status", "executable_content", "manifest"} for --json output. */
json_t *bundle_manifest_json(const char *file, const bc_manifest *m, const char *status);
/* `bundle inspect` and `bundle diff` (argv[0] is the subcommand). */
int bundle_inspect(struct bc_cmd_ctx *ctx, int argc, char **argv);
int bundle_diff(struct bc_cmd_ctx *ctx, int argc, char **argv);

/* ---- TUI (bundle-action.c, used by view-bundles.c) ---- */
enum bundle_vstate { BV_NONE, BV_OK, BV_FAILED, BV_CANCELLED };
/* Remember the outcome of verifying `path` (as it is now) for this session. */
void bundle_memo_set(const char *path, enum bundle_vstate s, size_t nproblems);
/* "OK", "FAILED", "cancelled", "missing" or "-" for `path` now, with a colour. */
const char *bundle_state_text(const char *path, enum color_id *c);

/* A verification running in a worker thread; the fields marked atomic are
 * read with __atomic_load_n while it runs. */
struct verify_job {
	pthread_t th;
	char *path;
	uint64_t done, total;    /* atomic: progress */
	int cancel, finished;    /* atomic: set cancel to stop it */
	int joined, rc;
	bc_bundle_report *rep;   /* valid once finished */
	int64_t start_ms, end_ms;
};
/* Start verifying `path`; NULL when the thread cannot start. */
struct verify_job *bundle_job_start(const char *path);
/* 1 once the job has finished (the thread is joined), else 0. */
int bundle_job_poll(struct verify_job *j);
/* Cancel if running, wait, free (NULL is a no-op). */
void bundle_job_free(struct verify_job *j);

#endif
