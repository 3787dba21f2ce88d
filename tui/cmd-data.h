/* SPDX-License-Identifier: MIT */
/* Shared by the `bancada data` subcommand files. */
#ifndef BANCADA_TUI_CMD_DATA_H
#define BANCADA_TUI_CMD_DATA_H

#include <bancada/data.h>
#include "cmd.h"

struct data_opts {
	const char **args;      /* operands */
	size_t nargs;
	int force, dry_run, verbose, short_fmt, stats, link, threads;
	const char *remote;
};

extern const struct bc_cmd cmd_data;

int data_args(const struct bc_cmd *cmd, int argc, char **argv, struct data_opts *o);
void data_fmt_bytes(int64_t n, char *buf, size_t size);

int data_log(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o);
int data_remote(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o);
int data_push(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o);
int data_pull(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o);
int data_gc(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o);
int data_fsck(struct bc_cmd_ctx *ctx, const struct bc_cmd *cmd, struct data_opts *o);

#endif
