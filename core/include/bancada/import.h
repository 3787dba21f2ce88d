/* SPDX-License-Identifier: MIT */
/** @file import.h  Bring runs in from other tools: MLflow (file store, SQLite) and DVC. */
#ifndef BANCADA_CORE_IMPORT_H
#define BANCADA_CORE_IMPORT_H

#include "common.h"
#include "project.h"

BC_BEGIN_DECL

/**
 * Counts of one import. A run is `added` when bancada had no run with its
 * source id, `updated` when the source changed since the last import,
 * `unchanged` otherwise, and `skipped` when it could not be read (a warning
 * says why). `bad_lines` counts malformed metric lines that were skipped.
 */
typedef struct bc_import_stats {
	int added, updated, unchanged, skipped;
	int64_t bad_lines;
	int64_t points;          /**< metric points written (added + updated runs) */
	int warnings;
} bc_import_stats;

/** Progress: `done` of `total` source runs looked at so far. */
typedef void (*bc_import_progress_fn)(size_t done, size_t total, void *payload);
/** A warning about the source (file and line when known). */
typedef void (*bc_import_warn_fn)(const char *msg, void *payload);

/** Options for an import (versioned). */
typedef struct bc_import_options {
	unsigned int version;
	bc_import_progress_fn progress;  /**< may be NULL */
	bc_import_warn_fn warn;          /**< may be NULL: warnings are only counted */
	void *payload;
	int full;                        /**< re-read every source run, even if unchanged on disk */
} bc_import_options;
#define BC_IMPORT_OPTIONS_VERSION 1
#define BC_IMPORT_OPTIONS_INIT { BC_IMPORT_OPTIONS_VERSION, NULL, NULL, NULL, 0 }

/** Longest param or tag value kept (bytes); longer values are cut with a warning. */
#define BC_IMPORT_VALUE_MAX 65536

/**
 * Import MLflow runs from `path`: an `mlruns/` file store (or a directory
 * holding one), an MLflow SQLite database (`mlflow.db`, `sqlite:///...`),
 * opened read-only so a running MLflow server is never blocked.
 * Incremental and idempotent: keyed by MLflow run ids. Returns 0 (stats
 * filled) or <0 with the error on the project handle.
 */
BC_EXTERN(int) bc_import_mlflow(bc_project *p, const char *path,
	const bc_import_options *opts, bc_import_stats *stats);

/**
 * Import DVC experiments (`refs/exps/...`) and their baseline commits from
 * the git repository containing `repo` (NULL = the project root): params
 * files, metrics files, DVCLive series and the data inputs/outputs of
 * `dvc.lock` and `.dvc` files (hash kept as "md5:<hex>").
 */
BC_EXTERN(int) bc_import_dvc(bc_project *p, const char *repo,
	const bc_import_options *opts, bc_import_stats *stats);

BC_END_DECL
#endif
