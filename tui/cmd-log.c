/* SPDX-License-Identifier: MIT */
/*
 * `bancada log KEY=VALUE...` and `bancada param KEY=VALUE...`: from a shell.
 * Inside a run they append to the run's channel files (BANCADA_METRICS /
 * BANCADA_PARAMS), which the recorder ingests; elsewhere they write to the
 * store directly for --run REF (default @).
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "cmd.h"

static int
append_line(const char *path, const char *line)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return cmd_error("cannot append to %s: %s", path, strerror(errno));
	size_t len = strlen(line);
	ssize_t n = write(fd, line, len);   /* one write: O_APPEND keeps lines whole */
	close(fd);
	if (n != (ssize_t)len)
		return cmd_error("cannot append to %s", path);
	return EXIT_OK;
}

/* One compact JSON line; the "\x01NaN"-style markers become bare NaN/Infinity tokens
 * (as Python writes them), which the metric channel accepts. */
static char *
dump_line(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	if (!s)
		return NULL;
	bc_buf b = BC_BUF_INIT;
	for (char *p = s; *p; p++) {
		if (!strncmp(p, "\"\\u0001", 8)) {
			char *end = strchr(p + 8, '"');
			if (end) {
				bc_buf_put(&b, p + 8, (size_t)(end - p - 8));
				p = end;
				continue;
			}
		}
		bc_buf_putc(&b, *p);
	}
	free(s);
	return bc_buf_detach(&b);
}

static int
parse_kv(const char *arg, char *key, size_t ksize, const char **val)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return -1;
	snprintf(key, ksize, "%.*s", (int)(eq - arg), arg);
	*val = eq + 1;
	return 0;
}

static int
kv_exec(struct bc_cmd_ctx *ctx, int argc, char **argv, int is_param)
{
	static const struct option longopts[] = {
		{ "run", required_argument, NULL, 'r' },
		{ "step", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	extern const struct bc_cmd cmd_log, cmd_param;
	const struct bc_cmd *self = is_param ? &cmd_param : &cmd_log;
	const char *ref = NULL;
	long long step = -1;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:s:", longopts, NULL)) != -1) {
		if (c == 'r') ref = optarg;
		else if (c == 's' && !is_param) {
			char *end;
			step = strtoll(optarg, &end, 10);
			if (*end || step < 0)
				return cmd_usage(self, "--step needs a non-negative integer");
		} else return cmd_usage(self, NULL);
	}
	if (optind >= argc)
		return cmd_usage(self, "give at least one KEY=VALUE");
	json_t *o = json_object();
	if (step >= 0)
		json_object_set_new(o, "step", json_integer(step));
	for (int i = optind; i < argc; i++) {
		char key[256];
		const char *val;
		if (parse_kv(argv[i], key, sizeof key, &val) < 0) {
			json_decref(o);
			return cmd_usage(self, "arguments must be KEY=VALUE");
		}
		bc_value v;
		bc_value_parse(&v, val);
		if (!is_param && v.type != BC_VAL_INT && v.type != BC_VAL_FLOAT) {
			bc_value_clear(&v);
			json_decref(o);
			return cmd_error("metric '%s' needs a number, got '%s'", key, val);
		}
		/* NaN/Inf have no JSON form in jansson: carried as strings, rewritten by dump_line */
		json_t *jv = v.type == BC_VAL_INT ? json_integer(v.i) : v.type == BC_VAL_FLOAT
			? (isnan(v.f) ? json_string("\x01NaN") : isinf(v.f) ? json_string(v.f > 0 ? "\x01Infinity" : "\x01-Infinity") : json_real(v.f))
			: v.type == BC_VAL_BOOL ? json_boolean(v.i) : json_stringn_nocheck(v.s, v.slen);
		json_object_set_new(o, key, jv);
		bc_value_clear(&v);
	}
	const char *chan = getenv(is_param ? "BANCADA_PARAMS" : "BANCADA_METRICS");
	int rc;
	if (!ref && chan && *chan) {
		char *s = dump_line(o);
		char *line = bc_sprintf("%s\n", s);
		rc = append_line(chan, line);
		free(s);
		free(line);
		json_decref(o);
		return rc;
	}
	if (cmd_open_project(ctx, 0) < 0) {
		json_decref(o);
		return EXIT_ERR;
	}
	char id[33];
	if (bc_run_resolve(ctx->p, ref ? ref : "@", 0, id) < 0) {
		json_decref(o);
		return cmd_project_error(ctx->p);
	}
	char *s = dump_line(o);
	json_decref(o);
	if (is_param) {
		rc = bc_run_set_params_doc(ctx->p, id, s, strlen(s), "params") < 0 ? cmd_project_error(ctx->p) : EXIT_OK;
	} else {
		bc_ingest *in;
		rc = EXIT_OK;
		if (bc_ingest_new(&in, ctx->p, id) < 0 || bc_ingest_line(in, s, strlen(s), 0) < 0 ||
		    bc_ingest_flush(in, NULL, 0) < 0)
			rc = cmd_project_error(ctx->p);
		bc_ingest_free(in);
	}
	free(s);
	return rc;
}

static int
log_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	return kv_exec(ctx, argc, argv, 0);
}

static int
param_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	return kv_exec(ctx, argc, argv, 1);
}

const struct bc_cmd cmd_log = {
	.name = "log",
	.usage = "[--run REF] [--step N] KEY=VALUE...",
	.summary = "Log metric values (inside a run: to the running run; else to --run REF or @)",
	.exec = log_exec,
};

const struct bc_cmd cmd_param = {
	.name = "param",
	.usage = "[--run REF] KEY=VALUE...",
	.summary = "Set params of the current run (or --run REF)",
	.exec = param_exec,
};
