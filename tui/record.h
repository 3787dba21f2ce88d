/* SPDX-License-Identifier: MIT */
/* The recorder behind `bancada run`: spawn, relay, capture, ingest, finish. */
#ifndef BANCADA_TUI_RECORD_H
#define BANCADA_TUI_RECORD_H

#include <bancada/bancada.h>

struct record_opts {
	char **argv;             /* the command (NULL-terminated) */
	int use_shell;           /* run argv joined through /bin/sh -c */
	int scalars;             /* parse `key: value` / `key=value` lines of stdout */
	int sample_ms;           /* resource sampling interval (0 = off) */
	int quiet;               /* do not relay output to our stdout */
	/* called once the run's files, pipes and environment are ready, just
	 * before the command starts (NULL: none); <0 aborts: the run is marked
	 * failed and the error on the project handle is printed */
	int (*before_start)(bc_project *p, const char *run_id, void *arg);
	void *before_arg;
};

/* Run a command as run `run_id`; returns the exit status to exit with. */
int record_run(bc_project *p, const char *run_id, const struct record_opts *o);

/* Parse one line of output for scalars; calls emit(key, value) and sets *step. */
int scalars_parse_line(const char *line, size_t len, int64_t *step,
	void (*emit)(void *ctx, const char *key, size_t klen, double v), void *ctx);

#endif
