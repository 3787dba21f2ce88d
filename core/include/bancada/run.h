/* SPDX-License-Identifier: MIT */
/** @file run.h  Runs: records, references, creation and listing. */
#ifndef BANCADA_CORE_RUN_H
#define BANCADA_CORE_RUN_H

#include "common.h"
#include "project.h"

BC_BEGIN_DECL

typedef enum {
	BC_RUN_RUNNING = 0,
	BC_RUN_FINISHED,
	BC_RUN_FAILED,
	BC_RUN_INTERRUPTED,
	BC_RUN_CRASHED,
} bc_run_status;

/** "running", "finished", ... */
BC_EXTERN(const char *) bc_run_status_name(bc_run_status s);
/** Parse a status name; -1 if unknown. */
BC_EXTERN(int) bc_run_status_parse(const char *name);

typedef struct bc_param {
	char *key;
	bc_value v;
} bc_param;

typedef struct bc_metric_summary {
	char *key;
	double first, last, min, max;
	int64_t count;
	int64_t first_step, last_step, min_step, max_step;
	int64_t last_wall_ms;
} bc_metric_summary;

typedef struct bc_kv {
	char *key;
	char *value;
} bc_kv;

/** Where an imported run came from. All NULL for runs recorded here. */
typedef struct bc_run_source {
	char *tool, *path, *id;
} bc_run_source;

/** A run record, as loaded by bc_run_load(). Everything is owned by the record. */
typedef struct bc_run {
	char id[33];             /**< 32 lower-case hex digits, time-ordered */
	char *name;
	bc_run_status status;
	char **argv;             /**< NULL-terminated */
	size_t argc;
	char *cwd;
	int64_t started_ms;
	int64_t ended_ms;        /**< 0 while running */
	int exit_code;           /**< -1 when unknown or killed by a signal */
	int term_signal;         /**< 0 unless killed by a signal */
	char *host, *user;
	int64_t pid;
	char *git_commit, *git_branch;   /**< NULL outside git */
	int git_dirty;
	char *git_patch;         /**< uncommitted diff (may be capped) */
	size_t git_patch_len;
	int64_t git_patch_full_len; /**< size before the cap */
	bc_kv *env; size_t nenv;
	bc_param *params; size_t nparams;          /**< sorted by key */
	bc_metric_summary *metrics; size_t nmetrics; /**< sorted by key */
	char **tags; size_t ntags;                 /**< sorted */
	char *note;
	char *experiment;
	int deleted;
	bc_run_source source;
	bc_kv *inputs; size_t ninputs;   /**< data read: path -> hash */
	bc_kv *outputs; size_t noutputs; /**< data written: path -> hash */
	int64_t bad_lines;      /**< malformed metric-channel lines skipped */
	int64_t heartbeat_ms;   /**< the recorder's last sign of life (0: none) */
	char *crash_reason;     /**< why a run left running was found crashed, or NULL */
} bc_run;

BC_EXTERN(void) bc_run_free(bc_run *r);

/**
 * Resolve a run reference to a full id: an id prefix, a name, `@` (latest)
 * or `@~N`. BC_ENOTFOUND / BC_EAMBIGUOUS set a message listing candidates.
 * Deleted runs resolve only when `include_deleted`.
 */
BC_EXTERN(int) bc_run_resolve(bc_project *p, const char *ref, int include_deleted,
	char out_id[33]);

/** Load everything about a run (by reference). */
BC_EXTERN(int) bc_run_load(bc_run **out, bc_project *p, const char *ref);

/** Shortest unique prefix of `id` among all runs (at least 7 hex digits). */
BC_EXTERN(int) bc_run_short_id(bc_project *p, const char *id, char out[33]);
/** Prefix length that makes every id in the project unique (>= 7). Cheap. */
BC_EXTERN(int) bc_run_short_len(bc_project *p);

/* ---- creating and updating ---- */

typedef struct bc_run_new {
	unsigned int version;
	const char *name;           /**< NULL: generated adjective-noun */
	const char *const *argv;    /**< NULL-terminated */
	const char *cwd;
	const char *note;
	const char *experiment;
	const char *const *tags;    /**< NULL-terminated or NULL */
	int capture_git;            /**< record commit, branch, dirty patch */
	int capture_env;            /**< record reproducibility-relevant environment */
	int64_t pid;                /**< recorder pid for crash detection (0: none) */
} bc_run_new;
#define BC_RUN_NEW_VERSION 1
#define BC_RUN_NEW_INIT { BC_RUN_NEW_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, 1, 1, 0 }

/** Create a run in state `running`, started now. Writes its id to out_id. */
BC_EXTERN(int) bc_run_create(bc_project *p, const bc_run_new *opts, char out_id[33]);
/**
 * Record the git state of the repository containing `dir` (NULL: the
 * project root) on run `id`: commit, branch, dirty flag and capped patch.
 * For a run created without capture_git whose other details were written
 * while the project's git prefetch ran. 0 also when `dir` is in no repository.
 */
BC_EXTERN(int) bc_run_set_git(bc_project *p, const char *id, const char *dir);

/**
 * The recorder's sign of life, every few seconds while the run runs. A run
 * whose heartbeat is older than bc_run_stale_ms() (and whose recorder cannot
 * be checked on this host) is marked crashed by recovery; a later heartbeat
 * brings a run so marked back to running.
 */
BC_EXTERN(int) bc_run_heartbeat(bc_project *p, const char *id);
/** Heartbeat age after which a run counts as lost: $BANCADA_RUN_STALE_SECS, default 120 s. */
BC_EXTERN(int64_t) bc_run_stale_ms(void);
#define BC_RUN_STALE_DEFAULT_MS 120000
/** How often `bancada run` records its heartbeat ($BANCADA_RUN_HEARTBEAT_SECS overrides). */
#define BC_RUN_HEARTBEAT_MS 5000

/** Mark a run ended with a status, exit code and signal. */
BC_EXTERN(int) bc_run_finish(bc_project *p, const char *id, bc_run_status status,
	int exit_code, int term_signal);

/** Set one param (typed). Replaces an existing value. */
BC_EXTERN(int) bc_run_set_param(bc_project *p, const char *id, const char *key,
	const bc_value *v);
/**
 * Parse `text` into a typed value: integers, floats (incl. nan/inf), true/false,
 * otherwise a string. `v->s` points into a new allocation the caller frees.
 */
BC_EXTERN(void) bc_value_parse(bc_value *v, const char *text);
BC_EXTERN(void) bc_value_clear(bc_value *v);
/** Format a value as text into buf (returns buf). */
BC_EXTERN(char *) bc_value_format(const bc_value *v, char *buf, size_t size);
/**
 * Set params from a JSON or YAML document (file contents); nested keys are
 * flattened with dots, lists keep their index ("layers.0").
 */
BC_EXTERN(int) bc_run_set_params_doc(bc_project *p, const char *id,
	const char *doc, size_t len, const char *what);

BC_EXTERN(int) bc_run_add_tag(bc_project *p, const char *id, const char *tag);
BC_EXTERN(int) bc_run_remove_tag(bc_project *p, const char *id, const char *tag);
BC_EXTERN(int) bc_run_set_note(bc_project *p, const char *id, const char *note);
BC_EXTERN(int) bc_run_set_name(bc_project *p, const char *id, const char *name);
/** Set a run's start and end times (ms; end 0 keeps it open): for importers and demos. */
BC_EXTERN(int) bc_run_set_times(bc_project *p, const char *id, int64_t started_ms, int64_t ended_ms);
/** Record a data input or output of a run (path and content hash). */
BC_EXTERN(int) bc_run_add_io(bc_project *p, const char *id, int is_output,
	const char *path, const char *hash);
/** Soft delete (`purge` = 0) or remove the run, its series and files. */
BC_EXTERN(int) bc_run_delete(bc_project *p, const char *id, int purge);
BC_EXTERN(int) bc_run_restore(bc_project *p, const char *id);

/** Ingest all metric channel files of a run from their stored offsets. */
BC_EXTERN(int) bc_run_ingest_files(bc_project *p, const char *id);

/* ---- listing ---- */

typedef struct bc_run_query {
	unsigned int version;
	const char *filter;     /**< filter language expression or NULL */
	const char *sort;       /**< comma list of fields, `-` prefix = descending; NULL = -started */
	int64_t limit;          /**< 0 = no limit */
	int include_deleted;
	/** with a limit: the last `limit` runs of the list (still in list order) */
	int from_end;
} bc_run_query;
#define BC_RUN_QUERY_VERSION 2
#define BC_RUN_QUERY_INIT { BC_RUN_QUERY_VERSION, NULL, NULL, 0, 0, 0 }

/** A list of run ids matching a query, in order. */
typedef struct bc_run_list {
	char (*ids)[33];
	size_t count;
	int filter_errpos;      /**< on a filter syntax error: 0-based byte offset */
} bc_run_list;

/**
 * Run a query. On a filter error returns BC_EINVALID, sets the message and
 * `out->filter_errpos` (out is still valid and must be freed).
 */
BC_EXTERN(int) bc_run_query_ids(bc_project *p, const bc_run_query *q, bc_run_list *out);
BC_EXTERN(void) bc_run_list_clear(bc_run_list *l);

/**
 * Load the light fields of many runs at once (no patch, env, io); params,
 * metric summaries and tags are included. Fast path for tables.
 */
BC_EXTERN(int) bc_run_load_many(bc_project *p, const bc_run_list *ids,
	bc_run ***out_runs);
BC_EXTERN(void) bc_run_free_many(bc_run **runs, size_t n);

/* ---- accessors on a loaded record ---- */
BC_EXTERN(const bc_param *) bc_run_param(const bc_run *r, const char *key);
BC_EXTERN(const bc_metric_summary *) bc_run_metric(const bc_run *r, const char *key);

/**
 * A run field by name as text, as `ls` and the TUI show it: `id`, `name`,
 * `status`, `started`, `ended`, `duration`, `commit`, `branch`, `host`,
 * `user`, `exit`, `tags`, `note`, `experiment`, `params.K`,
 * `metrics.K[.first|last|min|max|count]`. Returns 0, or BC_ENOTFOUND when the
 * run has no such value (buf set to "").
 */
BC_EXTERN(int) bc_run_field(const bc_run *r, const char *field, char *buf, size_t size);
/** Numeric value of a field for sorting/plotting; returns 0 if numeric. */
BC_EXTERN(int) bc_run_field_num(const bc_run *r, const char *field, double *out);

BC_END_DECL
#endif
