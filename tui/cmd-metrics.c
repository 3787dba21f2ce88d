/* SPDX-License-Identifier: MIT */
/* `bancada metrics REF [KEY...]`: full metric series as text, CSV or JSON. */
#include "config.h"
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

static int
metrics_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "csv", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	extern const struct bc_cmd cmd_metrics;
	int csv = 0, json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "cj", longopts, NULL)) != -1) {
		if (c == 'c') csv = 1;
		else if (c == 'j') json = 1;
		else return cmd_usage(&cmd_metrics, NULL);
	}
	if (optind >= argc)
		return cmd_usage(&cmd_metrics, "give a run reference");
	char id[33];
	if (bc_run_resolve(ctx->p, argv[optind], 1, id) < 0)
		return cmd_project_error(ctx->p);
	char **keys = NULL;
	size_t nk = 0;
	int own = 0;
	if (optind + 1 < argc) {
		keys = argv + optind + 1;
		nk = (size_t)(argc - optind - 1);
	} else {
		if (bc_metric_keys(ctx->p, id, &keys, &nk) < 0)
			return cmd_project_error(ctx->p);
		own = 1;
	}
	if (csv)
		printf("key,step,value,time_ms\n");
	if (json)
		printf("{");
	int rc = EXIT_OK;
	for (size_t k = 0; k < nk; k++) {
		bc_point *pts;
		size_t n;
		if (bc_metric_series(ctx->p, id, keys[k], INT64_MIN, INT64_MAX, &pts, &n) < 0) {
			rc = cmd_project_error(ctx->p);
			break;
		}
		if (!n && !own) {
			rc = cmd_error("run has no metric '%s': see `bancada show %s`", keys[k], argv[optind]);
			continue;
		}
		char *clean = bc_text_sanitize(keys[k], strlen(keys[k]), 0);
		if (json) {
			/* the sanitized key is valid UTF-8 without controls; escape quotes and backslashes */
			printf("%s\n  \"", k ? "," : "");
			for (char *q = clean; *q; q++) {
				if (*q == '"' || *q == '\\')
					putchar('\\');
				putchar(*q);
			}
			printf("\": [");
		} else if (!csv) {
			printf("%s# %s (%zu points)\nstep\tvalue\ttime\n", k ? "\n" : "", clean, n);
		}
		for (size_t i = 0; i < n; i++) {
			char v[64];
			fmt_num(pts[i].value, v, sizeof v);
			if (json) {
				int finite = strcmp(v, "nan") && strcmp(v, "inf") && strcmp(v, "-inf");
				printf("%s[%lld, %s%s%s, %lld]", i ? ", " : "", (long long)pts[i].step,
					finite ? "" : "\"", v, finite ? "" : "\"", (long long)pts[i].wall_ms);
			} else if (csv) {
				int q = strpbrk(clean, ",\"") != NULL;
				printf("%s%s%s,%lld,%s,%lld\n", q ? "\"" : "", clean, q ? "\"" : "",
					(long long)pts[i].step, v, (long long)pts[i].wall_ms);
			} else {
				char t[64];
				fmt_time(pts[i].wall_ms, t, sizeof t);
				printf("%lld\t%s\t%s\n", (long long)pts[i].step, v, t);
			}
		}
		if (json)
			printf("]");
		free(clean);
		free(pts);
	}
	if (json)
		printf("\n}\n");
	if (own)
		bc_strv_free(keys, nk);
	return rc;
}

const struct bc_cmd cmd_metrics = {
	.name = "metrics",
	.usage = "REF [KEY...] [--csv|--json]",
	.summary = "Print full metric series of a run",
	.flags = CMD_NEEDS_PROJECT | CMD_READ_ONLY,
	.exec = metrics_exec,
};
