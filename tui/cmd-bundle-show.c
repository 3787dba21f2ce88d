/* SPDX-License-Identifier: MIT */
/*
 * `bancada bundle inspect` and `bancada bundle diff`: a bundle's manifest,
 * provenance and files (code-bearing files flagged, never loaded), and the
 * differences between two bundles. Every string from a bundle is printed
 * through the sanitizer.
 */
#include "config.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cmd.h"
#include "cmd-bundle.h"

/* ---- inspect ---- */

static void
label(const struct bc_cmd_ctx *ctx, const char *name)
{
	out_label(ctx, stdout, 10, name);
}

static void
value_line(const struct bc_cmd_ctx *ctx, const char *name, const char *value)
{
	out_field(ctx, stdout, 10, name, value);
}

size_t
bundle_count_exec(const bc_manifest *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nfiles; i++)
		n += m->files[i].exec_kind != NULL;
	return n;
}

static void
print_manifest(const struct bc_cmd_ctx *ctx, const bc_manifest *m)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s@%s", m->name, m->version);
	value_line(ctx, "bundle", buf);
	value_line(ctx, "format", m->format);
	value_line(ctx, "created", m->created);
	if (m->run_id) {
		label(ctx, "run");
		printf("%.8s ", m->run_id);
		out_text(stdout, m->run_name, 0);
		printf("  ");
		out_text(stdout, m->run_status ? m->run_status : "?", 0);
		if (m->has_exit_code)
			printf(" (exit %d)", m->exit_code);
		if (m->run_host) {
			printf("  on ");
			out_text(stdout, m->run_host, 0);
		}
		fputc('\n', stdout);
		if (m->run_argc) {
			label(ctx, "command");
			for (size_t i = 0; i < m->run_argc; i++) {
				if (i)
					fputc(' ', stdout);
				out_text(stdout, m->run_command[i], 0);
			}
			fputc('\n', stdout);
		}
		value_line(ctx, "started", m->run_started);
		value_line(ctx, "ended", m->run_ended);
	}
	if (m->git_commit || m->git_branch) {
		label(ctx, "git");
		out_text(stdout, m->git_commit ? m->git_commit : "-", 0);
		fputs("  ", stdout);
		out_text(stdout, m->git_branch ? m->git_branch : "(detached)", 0);
		if (m->git_dirty) {
			printf("  dirty");
			if (m->git_patch_sha256) {
				printf(" (patch sha256 ");
				out_text(stdout, m->git_patch_sha256, 0);
				printf(")");
			}
		}
		fputc('\n', stdout);
	}
	for (size_t i = 0; i < m->nparams; i++) {
		label(ctx, i ? "" : "params");
		out_text(stdout, m->params[i].key, 0);
		fputs(" = ", stdout);
		out_text(stdout, bc_value_format(&m->params[i].v, buf, sizeof buf), 0);
		fputc('\n', stdout);
	}
	for (size_t i = 0; i < m->nmetrics; i++) {
		const bc_bundle_metric *mm = &m->metrics[i];
		char l[32], lo[32], hi[32];
		fmt_num(mm->last, l, sizeof l);
		fmt_num(mm->min, lo, sizeof lo);
		fmt_num(mm->max, hi, sizeof hi);
		label(ctx, i ? "" : "metrics");
		out_text(stdout, mm->key, 0);
		printf(" = %s (min %s, max %s, %lld points)\n", l, lo, hi, (long long)mm->count);
	}
	for (size_t i = 0; i < m->ndata; i++) {
		label(ctx, i ? "" : "data");
		out_text(stdout, m->data[i].key, 0);
		fputs("  ", stdout);
		out_text(stdout, m->data[i].value ? m->data[i].value : "-", 0);
		fputc('\n', stdout);
	}
	for (size_t i = 0; i < m->nmeta; i++) {
		label(ctx, i ? "" : "meta");
		out_text(stdout, m->meta[i].key, 0);
		fputs(" = ", stdout);
		out_text(stdout, m->meta[i].value, 0);
		fputc('\n', stdout);
	}
	if (m->signature)
		value_line(ctx, "signature", m->signature);
	char total[32];
	bundle_fmt_bytes(m->total_size, total, sizeof total);
	label(ctx, "files");
	printf("%zu file%s, %s\n", m->nfiles, m->nfiles == 1 ? "" : "s", total);
	for (size_t i = 0; i < m->nfiles; i++) {
		const bc_bundle_file *f = &m->files[i];
		char sz[32];
		bundle_fmt_bytes(f->size, sz, sizeof sz);
		printf("  %04o %10s  %.12s  ", f->mode, sz, f->sha256);
		out_text(stdout, f->path, 0);
		if (f->exec_kind) {
			out_color(ctx, stdout, C_YELLOW);
			printf("  [executable content: %s]", f->exec_kind);
			out_color(ctx, stdout, C_RESET);
		}
		fputc('\n', stdout);
	}
	size_t nexec = bundle_count_exec(m);
	if (nexec) {
		out_color(ctx, stdout, C_YELLOW);
		printf("warning: %zu file%s hold%s executable content: loading %s runs code; load only bundles you trust\n",
			nexec, nexec == 1 ? "" : "s", nexec == 1 ? "s" : "", nexec == 1 ? "it" : "them");
		out_color(ctx, stdout, C_RESET);
	}
}

json_t *
bundle_manifest_json(const char *file, const bc_manifest *m, const char *status)
{
	json_error_t err;
	json_t *man = json_loadb(m->json, m->json_len, 0, &err);
	json_t *exec = json_array();
	for (size_t i = 0; i < m->nfiles; i++)
		if (m->files[i].exec_kind)
			json_array_append_new(exec, json_pack("{s:s,s:s}", "path", m->files[i].path,
				"kind", m->files[i].exec_kind));
	return json_pack("{s:s,s:s,s:o,s:o}", "file", file, "status", status,
		"executable_content", exec, "manifest", man ? man : json_null());
}

int
bundle_inspect(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	int json = 0;
	const char *ref = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!ref)
			ref = argv[i];
		else
			return cmd_usage(&cmd_bundle, "inspect takes one bundle");
	}
	if (!ref)
		return cmd_usage(&cmd_bundle, "inspect needs a bundle (FILE or NAME[@VERSION])");
	char *file = bundle_resolve_ref(ctx, ref);
	if (!file)
		return EXIT_ERR;
	bc_bundle_report *rep;
	int rc = bc_bundle_inspect(file, &rep);
	if (rc < 0 || !rep || !rep->manifest) {
		if (rep)
			bundle_print_problems(file, rep);
		bc_bundle_report_free(rep);
		free(file);
		return EXIT_ERR;
	}
	if (json) {
		bundle_print_json(bundle_manifest_json(file, rep->manifest, "not verified"));
	} else {
		print_manifest(ctx, rep->manifest);
		printf("(hashes not checked: run `bancada bundle verify ");
		out_text(stdout, file, 0);
		printf("`)\n");
	}
	bc_bundle_report_free(rep);
	free(file);
	return EXIT_OK;
}

/* ---- diff ---- */

static const char *
change_mark(bc_change_kind k)
{
	return k == BC_CHANGE_ADDED ? "+" : k == BC_CHANGE_REMOVED ? "-" : "~";
}

int
bundle_diff(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	int json = 0;
	const char *refs[2] = { NULL, NULL };
	int n = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (n < 2)
			refs[n++] = argv[i];
		else
			return cmd_usage(&cmd_bundle, "diff takes two bundles");
	}
	if (n < 2)
		return cmd_usage(&cmd_bundle, "diff needs two bundles (FILE or NAME[@VERSION])");
	bc_bundle_report *rep[2] = { NULL, NULL };
	int rc = EXIT_ERR;
	for (int i = 0; i < 2; i++) {
		char *file = bundle_resolve_ref(ctx, refs[i]);
		if (!file)
			goto done;
		bc_bundle_inspect(file, &rep[i]);
		if (!rep[i] || !rep[i]->manifest) {
			if (rep[i])
				bundle_print_problems(file, rep[i]);
			free(file);
			goto done;
		}
		free(file);
	}
	bc_bundle_change *ch;
	size_t nch;
	if (bc_bundle_diff(rep[0]->manifest, rep[1]->manifest, &ch, &nch) < 0) {
		cmd_error("out of memory");
		goto done;
	}
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; i < nch; i++) {
			json_t *o = json_pack("{s:s,s:s,s:s,s:s?,s:s?}", "change",
				ch[i].kind == BC_CHANGE_ADDED ? "added" : ch[i].kind == BC_CHANGE_REMOVED
				? "removed" : "changed", "section", ch[i].section, "key", ch[i].key,
				"a", ch[i].a, "b", ch[i].b);
			if (ch[i].has_delta && isfinite(ch[i].delta))
				json_object_set_new(o, "delta", json_real(ch[i].delta));
			json_array_append_new(a, o);
		}
		bundle_print_json(a);
	} else {
		for (size_t i = 0; i < nch; i++) {
			enum out_color col = ch[i].kind == BC_CHANGE_ADDED ? C_GREEN
				: ch[i].kind == BC_CHANGE_REMOVED ? C_RED : C_YELLOW;
			out_color(ctx, stdout, col);
			printf("%s ", change_mark(ch[i].kind));
			out_text(stdout, ch[i].section, 0);
			fputc('.', stdout);
			out_text(stdout, ch[i].key, 0);
			out_color(ctx, stdout, C_RESET);
			fputs(": ", stdout);
			out_text(stdout, ch[i].a ? ch[i].a : "(none)", 0);
			fputs(" -> ", stdout);
			out_text(stdout, ch[i].b ? ch[i].b : "(none)", 0);
			if (ch[i].has_delta) {
				char d[32];
				fmt_num(ch[i].delta, d, sizeof d);
				printf(" (%s%s)", ch[i].delta > 0 ? "+" : "", d);
			}
			fputc('\n', stdout);
		}
		if (!nch)
			printf("no differences\n");
	}
	bc_bundle_changes_free(ch, nch);
	rc = EXIT_OK;
done:
	bc_bundle_report_free(rep[0]);
	bc_bundle_report_free(rep[1]);
	return rc;
}
