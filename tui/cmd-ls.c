/* SPDX-License-Identifier: MIT */
/* `bancada ls`: the runs table (or JSON/CSV), filtered and sorted. */
#include "config.h"
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

#define DEFAULT_LIMIT 100
#define MAX_AUTO_COLS 12

/* Params and metrics whose values differ across the runs (Guild/DVC "only changed"). */
static int
varying_columns(bc_run **runs, size_t n, char ***cols)
{
	int nc = 0;
	*cols = calloc(2 * MAX_AUTO_COLS + 1, sizeof(char *));
	if (!n)
		return 0;
	/* params: from every run, a key varies if some run lacks it or values differ */
	for (size_t r = 0; r < n && nc < MAX_AUTO_COLS; r++) {
		for (size_t k = 0; k < runs[r]->nparams && nc < MAX_AUTO_COLS; k++) {
			const char *key = runs[r]->params[k].key;
			char field[512];
			snprintf(field, sizeof field, "params.%s", key);
			int dup = 0;
			for (int c = 0; c < nc; c++)
				if (!strcmp((*cols)[c], field))
					dup = 1;
			if (dup)
				continue;
			char a[256], b[256];
			int differs = 0;
			bc_run_field(runs[0], field, a, sizeof a);
			for (size_t o = 1; o < n && !differs; o++) {
				bc_run_field(runs[o], field, b, sizeof b);
				differs = strcmp(a, b) != 0;
			}
			if (differs || n == 1)
				(*cols)[nc++] = strdup(field);
		}
	}
	int np = nc;
	for (size_t r = 0; r < n && nc < np + MAX_AUTO_COLS; r++) {
		for (size_t k = 0; k < runs[r]->nmetrics && nc < np + MAX_AUTO_COLS; k++) {
			char field[512];
			if (!strncmp(runs[r]->metrics[k].key, "sys/", 4))
				continue;
			snprintf(field, sizeof field, "metrics.%s", runs[r]->metrics[k].key);
			int dup = 0;
			for (int c = np; c < nc; c++)
				if (!strcmp((*cols)[c], field))
					dup = 1;
			if (!dup)
				(*cols)[nc++] = strdup(field);
		}
	}
	return nc;
}

static int
ls_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "filter", required_argument, NULL, 'f' },
		{ "sort", required_argument, NULL, 's' },
		{ "columns", required_argument, NULL, 'c' },
		{ "limit", required_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'v' },
		{ "ids", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	extern const struct bc_cmd cmd_ls;
	bc_run_query q = BC_RUN_QUERY_INIT;
	const char *columns = NULL;
	int json = 0, csv = 0, ids_only = 0, c;
	long long limit = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:s:c:l:an:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': q.filter = optarg; break;
		case 's': q.sort = optarg; break;
		case 'c': columns = optarg; break;
		case 'n':
		case 'l': {
			char *end;
			limit = strtoll(optarg, &end, 10);
			if (*end || limit < 0)
				return cmd_usage(&cmd_ls, "--limit needs a number (0 = no limit)");
			break;
		}
		case 'a': q.include_deleted = 1; break;
		case 'j': json = 1; break;
		case 'v': csv = 1; break;
		case 'i': ids_only = 1; break;
		default: return cmd_usage(&cmd_ls, NULL);
		}
	}
	/* remaining words form a filter too: `bancada ls lr > 0.01` is not supported, but
	 * `bancada ls baseline` (a bare word) is */
	bc_buf fbuf = BC_BUF_INIT;
	if (optind < argc) {
		if (q.filter)
			bc_buf_printf(&fbuf, "(%s) and ", q.filter);
		for (int i = optind; i < argc; i++)
			bc_buf_printf(&fbuf, "%s%s", i > optind ? " " : "", argv[i]);
		q.filter = fbuf.data;
	}
	int table = !json && !csv && !ids_only;
	q.limit = limit >= 0 ? limit : table ? DEFAULT_LIMIT + 1 : 0;
	bc_run_list ids;
	if (bc_run_query_ids(ctx->p, &q, &ids) < 0) {
		if (ids.filter_errpos >= 0 && q.filter) {
			cmd_project_error(ctx->p);
			fprintf(stderr, "  ");
			out_text(stderr, q.filter, 0);
			fprintf(stderr, "\n  %*s^\n", ids.filter_errpos, "");
			bc_buf_free(&fbuf);
			return EXIT_USAGE;
		}
		bc_buf_free(&fbuf);
		return cmd_project_error(ctx->p);
	}
	bc_buf_free(&fbuf);
	size_t more = 0;
	if (table && limit < 0 && ids.count > DEFAULT_LIMIT) {
		more = 1;
		ids.count = DEFAULT_LIMIT;
	}
	if (ids_only) {
		for (size_t i = 0; i < ids.count; i++)
			printf("%s\n", ids.ids[i]);
		bc_run_list_clear(&ids);
		return EXIT_OK;
	}
	bc_run **runs;
	if (bc_run_load_many(ctx->p, &ids, &runs) < 0) {
		bc_run_list_clear(&ids);
		return cmd_project_error(ctx->p);
	}
	if (json) {
		printf("[");
		for (size_t i = 0; i < ids.count; i++) {
			char *s = bc_run_to_json(ctx->p, runs[i], 0);
			printf("%s%s", i ? ",\n" : "\n", s ? s : "null");
			free(s);
		}
		printf("%s]\n", ids.count ? "\n" : "");
		bc_run_free_many(runs, ids.count);
		bc_run_list_clear(&ids);
		return EXIT_OK;
	}
	char **cols = NULL;
	int ncols = 0;
	if (columns) {
		char *copy = strdup(columns), *save = NULL;
		cols = calloc(strlen(columns) + 2, sizeof(char *));
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			cols[ncols++] = strdup(t);
		free(copy);
	} else {
		static const char *const base[] = { "id", "name", "status", "started", "duration", "commit" };
		char **var;
		int nv = varying_columns(runs, ids.count, &var);
		cols = calloc((size_t)nv + 7, sizeof(char *));
		for (int i = 0; i < 6; i++)
			cols[ncols++] = strdup(base[i]);
		for (int i = 0; i < nv; i++)
			cols[ncols++] = var[i];
		free(var);
	}
	struct out_table *t = table_new(ncols);
	/* shortest prefix that is unique for every shown run (two index probes each) */
	int shortlen = 7;
	for (size_t r = 0; r < ids.count; r++) {
		char sid[33];
		if (bc_run_short_id(ctx->p, ids.ids[r], sid) == 0 && (int)strlen(sid) > shortlen)
			shortlen = (int)strlen(sid);
	}
	for (int i = 0; i < ncols; i++) {
		const char *h = cols[i];
		if (!columns && !strncmp(h, "params.", 7))
			h += 7;
		int right = !strncmp(cols[i], "metrics.", 8) || !strcmp(cols[i], "duration");
		table_set_header(t, i, h, right);
	}
	char cell[1024];
	for (size_t r = 0; r < ids.count; r++) {
		for (int i = 0; i < ncols; i++) {
			int rc = bc_run_field(runs[r], cols[i], cell, sizeof cell);
			if (rc == BC_EINVALID) {
				cmd_error("unknown column '%s': use id, name, status, started, ended, duration, commit, "
					"branch, host, user, exit, tags, note, experiment, params.KEY, metrics.KEY[.min|max|first|last|count]", cols[i]);
				table_free(t);
				bc_run_free_many(runs, ids.count);
				bc_run_list_clear(&ids);
				for (int k = 0; k < ncols; k++)
					free(cols[k]);
				free(cols);
				return EXIT_USAGE;
			}
			if (!strcmp(cols[i], "id") && !csv)
				cell[shortlen] = '\0';
			if (rc == BC_ENOTFOUND && !csv)
				snprintf(cell, sizeof cell, "-");
			table_add(t, i, cell);
		}
		table_next_row(t);
	}
	if (csv)
		table_print_csv(t, stdout);
	else if (ids.count)
		table_print(t, ctx, stdout, out_width(ctx));
	else
		fprintf(stderr, q.filter ? "no runs match the filter\n" : "no runs yet: record one with `bancada run -- CMD`\n");
	if (more)
		fprintf(stderr, "(showing the newest %d runs; use --limit 0 for all)\n", DEFAULT_LIMIT);
	table_free(t);
	for (int k = 0; k < ncols; k++)
		free(cols[k]);
	free(cols);
	bc_run_free_many(runs, ids.count);
	bc_run_list_clear(&ids);
	return EXIT_OK;
}

const struct bc_cmd cmd_ls = {
	.name = "ls",
	.alias = "list",
	.usage = "[--filter EXPR] [--sort KEYS] [--columns COLS] [--limit N] [--all] [--json|--csv|--ids] [WORD...]",
	.summary = "List runs, newest first, with the params and metrics that vary",
	.flags = CMD_NEEDS_PROJECT | CMD_READ_ONLY,
	.exec = ls_exec,
};
