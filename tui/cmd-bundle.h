/* SPDX-License-Identifier: MIT */
/* Helpers shared by the `bancada bundle` subcommand files. */
#ifndef BANCADA_TUI_CMD_BUNDLE_H
#define BANCADA_TUI_CMD_BUNDLE_H

#include <jansson.h>
#include "cmd.h"

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

#endif
