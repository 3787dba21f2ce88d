/* SPDX-License-Identifier: MIT */
/*
 * `bancada bundle create|ls|inspect|verify|extract|diff`: model bundles,
 * reproducible archives of a run's files with a manifest of provenance
 * and hashes. Reading commands work on any bundle file, inside a project
 * or not; every name and string from a bundle is printed sanitized, and
 * --json output escapes everything that is not ASCII.
 */
#include "config.h"
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "cmd.h"
#include "cmd-bundle.h"

void
bundle_fmt_bytes(uint64_t n, char *buf, size_t size)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, size, "%.1f %s", v, unit[u]);
}

void
bundle_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17));
	if (s) {
		puts(s);
		free(s);
	}
	json_decref(j);
}

struct progress {
	const char *what;
	int last;
};

static void
progress_cb(void *payload, uint64_t done, uint64_t total)
{
	struct progress *pr = payload;
	int pct = total ? (int)(done * 100 / total) : 100;
	if (pct == pr->last)
		return;
	pr->last = pct;
	char a[32], b[32];
	bundle_fmt_bytes(done, a, sizeof a);
	bundle_fmt_bytes(total, b, sizeof b);
	fprintf(stderr, "\r%s %3d%% (%s of %s)\033[K", pr->what, pct, a, b);
}

static void
progress_done(struct progress *pr)
{
	if (pr->last >= 0)
		fputs("\r\033[K", stderr);
}

/* Print a report's problems, one line each: "FILE: ENTRY: message". */
void
bundle_print_problems(const char *file, const bc_bundle_report *rep)
{
	for (size_t i = 0; i < rep->nproblems; i++) {
		fputs("bancada: ", stderr);
		out_text(stderr, file, 0);
		fputs(": ", stderr);
		if (rep->problems[i].path) {
			out_text(stderr, rep->problems[i].path, 0);
			fputs(": ", stderr);
		}
		out_text(stderr, rep->problems[i].message, 0);
		fputc('\n', stderr);
	}
}

static json_t *
problems_json(const bc_bundle_report *rep)
{
	json_t *a = json_array();
	for (size_t i = 0; i < rep->nproblems; i++) {
		const bc_bundle_problem *pb = &rep->problems[i];
		char *path = pb->path ? bc_text_sanitize(pb->path, strlen(pb->path), 0) : NULL;
		json_array_append_new(a, json_pack("{s:s?,s:s}", "path", path, "message", pb->message));
		free(path);
	}
	return a;
}

/* FILE or NAME[@VERSION] -> a file path (malloc'd), opening the project only when needed. */
char *
bundle_resolve_ref(struct bc_cmd_ctx *ctx, const char *ref)
{
	struct stat st;
	if (stat(ref, &st) == 0)
		return strdup(ref);
	if (cmd_open_project(ctx, 1) < 0)
		return NULL;
	char *path = NULL;
	if (bc_bundle_resolve(ctx->p, ref, &path) < 0)
		cmd_project_error(ctx->p);
	return path;
}

/* ---- create ---- */

static int
bundle_create(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' }, { "name", required_argument, NULL, 'n' },
		{ "version", required_argument, NULL, 'v' }, { "format", required_argument, NULL, 'f' },
		{ "level", required_argument, NULL, 'l' }, { "meta", required_argument, NULL, 'm' },
		{ "signature", required_argument, NULL, 's' }, { "threads", required_argument, NULL, 'T' },
		{ "force", no_argument, NULL, 'F' }, { "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bc_bundle_create_options o = BC_BUNDLE_CREATE_OPTIONS_INIT;
	const char **meta = calloc((size_t)argc + 1, sizeof *meta);
	size_t nmeta = 0;
	int json = 0, c, rc = EXIT_USAGE;
	optind = 0;
	while ((c = getopt_long(argc, argv, "o:f:l:m:T:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o.output = optarg; break;
		case 'n': o.name = optarg; break;
		case 'v': o.bundle_version = optarg; break;
		case 'f': {
			int f = bc_bundle_format_parse(optarg);
			if (f < 0) {
				cmd_usage(&cmd_bundle, "--format is one of tar.zst, tar.gz, tar.xz, zip");
				goto done;
			}
			o.format = (bc_bundle_format)f;
			break;
		}
		case 'l': {
			char *end;
			long l = strtol(optarg, &end, 10);
			if (*end || l < 0 || l > 22) {
				cmd_usage(&cmd_bundle, "--level takes a number (zstd 1-19, gzip/xz/zip 0-9)");
				goto done;
			}
			o.level = (int)l;
			break;
		}
		case 'm': meta[nmeta++] = optarg; break;
		case 's': o.signature_file = optarg; break;
		case 'T': o.threads = atoi(optarg); break;
		case 'F': o.force = 1; break;
		case 'j': json = 1; break;
		default: cmd_usage(&cmd_bundle, NULL); goto done;
		}
	}
	if (optind >= argc) {
		cmd_usage(&cmd_bundle, "create needs a run (REF)");
		goto done;
	}
	rc = EXIT_ERR;
	if (cmd_open_project(ctx, 0) < 0)
		goto done;
	o.run_ref = argv[optind];
	o.paths = (const char *const *)(argv + optind + 1);
	o.meta = nmeta ? meta : NULL;
	struct progress pr = { "bundling", -1 };
	if (isatty(STDERR_FILENO)) {
		o.progress = progress_cb;
		o.payload = &pr;
	}
	bc_bundle_info info;
	int r = bc_bundle_create(ctx->p, &o, &info);
	progress_done(&pr);
	if (r < 0) {
		cmd_project_error(ctx->p);
		goto done;
	}
	rc = EXIT_OK;
	if (json) {
		bundle_print_json(json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:I,s:I}", "path", info.path,
			"name", info.name, "version", info.version, "run", info.run_id,
			"format", info.format, "size", (json_int_t)info.size, "sha256", info.sha256,
			"files", (json_int_t)info.nfiles, "payload_size", (json_int_t)info.payload_size));
	} else {
		char sz[32], psz[32];
		bundle_fmt_bytes(info.size, sz, sizeof sz);
		bundle_fmt_bytes(info.payload_size, psz, sizeof psz);
		printf("bundled %zu file%s (%s) into ", info.nfiles, info.nfiles == 1 ? "" : "s", psz);
		out_text(stdout, info.path, 0);
		printf(" (%s)\nsha256 %s\n", sz, info.sha256);
	}
	bc_bundle_info_clear(&info);
done:
	free(meta);
	return rc;
}

/* ---- ls ---- */

static int
bundle_ls(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	int json = argc > 1 && !strcmp(argv[1], "--json");
	if (argc > 1 + json)
		return cmd_usage(&cmd_bundle, "ls takes only --json");
	if (cmd_open_project(ctx, 1) < 0)
		return EXIT_ERR;
	bc_bundle_info *list;
	size_t n;
	if (bc_bundle_list(ctx->p, &list, &n) < 0)
		return cmd_project_error(ctx->p);
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++) {
			struct stat st;
			json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s?,s:s,s:I,s:s,s:I,s:I,s:b}",
				"path", list[i].path, "name", list[i].name, "version", list[i].version,
				"run", list[i].run_id, "format", list[i].format, "size", (json_int_t)list[i].size,
				"sha256", list[i].sha256, "files", (json_int_t)list[i].nfiles,
				"bundled_ms", (json_int_t)list[i].bundled_ms,
				"present", stat(list[i].path, &st) == 0));
		}
		bundle_print_json(a);
	} else if (n) {
		struct out_table *t = table_new(7);
		static const char *const head[] = { "NAME", "VERSION", "RUN", "SIZE", "FILES", "BUNDLED", "PATH" };
		for (int c = 0; c < 7; c++)
			table_set_header(t, c, head[c], c == 3 || c == 4);
		for (size_t i = 0; i < n; i++) {
			char sz[32], files[32], when[40], run[16];
			struct stat st;
			bundle_fmt_bytes(list[i].size, sz, sizeof sz);
			snprintf(files, sizeof files, "%zu", list[i].nfiles);
			fmt_time(list[i].bundled_ms, when, sizeof when);
			snprintf(run, sizeof run, "%.8s", list[i].run_id ? list[i].run_id : "-");
			table_add(t, 0, list[i].name);
			table_add(t, 1, list[i].version);
			table_add(t, 2, run);
			table_add(t, 3, sz);
			table_add(t, 4, files);
			table_add(t, 5, when);
			size_t pl = strlen(list[i].path) + 16;
			char *path = malloc(pl);
			if (path)
				snprintf(path, pl, "%s%s", list[i].path,
					stat(list[i].path, &st) == 0 ? "" : " (missing)");
			table_add(t, 6, path);
			free(path);
			table_next_row(t);
		}
		table_print(t, ctx, stdout, out_width(ctx));
		table_free(t);
	} else {
		printf("no bundles yet: create one with `bancada bundle create REF`\n");
	}
	bc_bundle_list_free(list, n);
	return EXIT_OK;
}

/* ---- verify and extract ---- */

static int
bundle_read_cmd(struct bc_cmd_ctx *ctx, int argc, char **argv, int extract)
{
	int json = 0, quiet = 0;
	const char *args[2] = { NULL, NULL };
	int nargs = 0, want = extract ? 2 : 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
			quiet = 1;
		else if (nargs < want)
			args[nargs++] = argv[i];
		else
			return cmd_usage(&cmd_bundle, extract ? "extract takes FILE DIR" : "verify takes one bundle");
	}
	if (nargs < want)
		return cmd_usage(&cmd_bundle, extract ? "extract needs FILE and DIR" : "verify needs a bundle");
	char *file = bundle_resolve_ref(ctx, args[0]);
	if (!file)
		return EXIT_ERR;
	bc_bundle_read_options o = BC_BUNDLE_READ_OPTIONS_INIT;
	struct progress pr = { extract ? "extracting" : "verifying", -1 };
	if (isatty(STDERR_FILENO) && !json && !quiet) {
		o.progress = progress_cb;
		o.payload = &pr;
	}
	bc_bundle_report *rep = NULL;
	int rc = extract ? bc_bundle_extract(file, args[1], &o, &rep) : bc_bundle_verify(file, &o, &rep);
	progress_done(&pr);
	if (!rep) {
		free(file);
		return cmd_error("out of memory");
	}
	const bc_manifest *m = rep->manifest;
	if (json) {
		json_t *j = m ? bundle_manifest_json(file, m, rc == 0 ? "ok" : "failed")
			: json_pack("{s:s,s:s}", "file", file, "status", "failed");
		json_object_set_new(j, "problems", problems_json(rep));
		json_object_set_new(j, "bytes", json_integer((json_int_t)rep->bytes));
		if (extract)
			json_object_set_new(j, "directory", json_string(args[1]));
		bundle_print_json(j);
	}
	if (rc != 0) {
		if (!json)
			bundle_print_problems(file, rep);
		if (!json && !quiet)
			fprintf(stderr, "bancada: %s failed: %zu problem%s%s\n", extract ? "extract" : "verify",
				rep->nproblems, rep->nproblems == 1 ? "" : "s",
				extract ? "; nothing was extracted" : "; do not trust this bundle");
	} else if (!json && !quiet) {
		char sz[32];
		bundle_fmt_bytes(rep->bytes, sz, sizeof sz);
		printf("%s: %zu file%s, %s, every SHA-256 matches the manifest (",
			extract ? "extracted" : "ok", m->nfiles, m->nfiles == 1 ? "" : "s", sz);
		out_text(stdout, m->name, 0);
		fputc('@', stdout);
		out_text(stdout, m->version, 0);
		printf(")\n");
		if (extract) {
			printf("into ");
			out_text(stdout, args[1], 0);
			fputc('\n', stdout);
		}
		size_t nexec = bundle_count_exec(m);
		if (nexec)
			printf("note: %zu file%s hold%s executable content (pickle, torch, keras...): see `bancada bundle inspect`\n",
				nexec, nexec == 1 ? "" : "s", nexec == 1 ? "s" : "");
	}
	bc_bundle_report_free(rep);
	free(file);
	return rc == 0 ? EXIT_OK : EXIT_ERR;
}

static int
bundle_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cmd_usage(&cmd_bundle, "give a subcommand: create, ls, inspect, verify, extract, diff");
	const char *sub = argv[1];
	argc--;
	argv++;
	if (!strcmp(sub, "create"))
		return bundle_create(ctx, argc, argv);
	if (!strcmp(sub, "ls") || !strcmp(sub, "list"))
		return bundle_ls(ctx, argc, argv);
	if (!strcmp(sub, "inspect") || !strcmp(sub, "show"))
		return bundle_inspect(ctx, argc, argv);
	if (!strcmp(sub, "verify"))
		return bundle_read_cmd(ctx, argc, argv, 0);
	if (!strcmp(sub, "extract"))
		return bundle_read_cmd(ctx, argc, argv, 1);
	if (!strcmp(sub, "diff"))
		return bundle_diff(ctx, argc, argv);
	return cmd_usage(&cmd_bundle, "unknown subcommand: use create, ls, inspect, verify, extract or diff");
}

const struct bc_cmd cmd_bundle = {
	.name = "bundle",
	.usage = "create REF [PATH...] [-o FILE] [--name N] [--version V] [--format tar.zst|tar.gz|tar.xz|zip]\n"
		"                      [--level L] [--meta K=V]... [--signature FILE] [--force] [--json]\n"
		"       bancada bundle ls [--json]\n"
		"       bancada bundle inspect FILE|NAME[@VERSION] [--json]\n"
		"       bancada bundle verify FILE|NAME[@VERSION] [--json] [-q]\n"
		"       bancada bundle extract FILE|NAME[@VERSION] DIR [--json]\n"
		"       bancada bundle diff A B [--json]",
	.summary = "Model bundles: reproducible, verifiable archives of a run's files with provenance",
	.flags = CMD_READ_ONLY,
	.exec = bundle_exec,
};
