/* SPDX-License-Identifier: MIT */
/** @file jsonio.h  Runs as JSON: the `--json` schema, export and import. */
#ifndef BANCADA_CORE_JSONIO_H
#define BANCADA_CORE_JSONIO_H

#include <stdio.h>
#include "common.h"
#include "run.h"

BC_BEGIN_DECL

/** Version of the JSON schema documented in share/json-schema.md. */
#define BC_JSON_SCHEMA_VERSION 1

enum {
	BC_JSON_FULL = 1 << 0,   /**< include patch, env, io (export) */
	BC_JSON_SERIES = 1 << 1, /**< include full metric series (export) */
	BC_JSON_PRETTY = 1 << 2,
};

/** Serialise a run as one JSON object (malloc'd string, no trailing newline). */
BC_EXTERN(char *) bc_run_to_json(bc_project *p, const bc_run *r, unsigned flags);

/**
 * Export every run matching `filter` (NULL = all, deleted included) as JSON
 * lines with their full series. Returns runs written or <0.
 */
BC_EXTERN(int) bc_export_runs(bc_project *p, const char *filter, FILE *out);

/**
 * Merge runs from a JSON-lines export, keyed by run id: new runs are added,
 * existing ones are left as they are unless the incoming record ended later.
 * Idempotent. Reports counts through the out parameters.
 */
BC_EXTERN(int) bc_import_runs(bc_project *p, FILE *in, const char *what,
	int *added, int *updated, int *unchanged);

BC_END_DECL
#endif
