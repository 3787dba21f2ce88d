/* SPDX-License-Identifier: MIT */
/*
 * The bundles view (`B`, `:bundles`): the project's registered bundles,
 * newest first, with their verified state. Enter opens one bundle (a second
 * view of the same type): manifest, provenance, files with sizes, hashes
 * and "executable content" flags. `v` verifies it in a worker thread while
 * the view draws a progress bar (bytes, rate) from the main loop's ticks;
 * Esc or q cancels a running verification; each problem found is listed.
 * `o` opens the run the bundle was made from. Every string from a bundle
 * or the registry is drawn through the sanitizer (tlines, view_draw_text).
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tui.h"
#include "cmd-bundle.h"

/* ---- the view ---- */
struct bundles_priv {
	int detail;                  /* 0: the list, 1: one bundle */
	bc_bundle_info *list;
	size_t n;
	int64_t version;
	/* detail */
	char *path;
	char run_id[33];
	struct tlines lines;
	size_t verify_line;          /* where the verification section starts */
	bc_bundle_report *vrep;      /* the last verification's report */
	struct verify_job *job;
	int jobs_done;               /* a verification finished in this view */
	enum bundle_vstate last;
	size_t last_problems;
	uint64_t last_bytes;
	int64_t last_ms;
	char title[512];
};

static void
list_reload(struct view *v)
{
	struct bundles_priv *b = v->priv;
	bc_bundle_list_free(b->list, b->n);
	b->list = NULL;
	b->n = 0;
	b->version = bc_project_data_version(tui.p);
	if (bc_bundle_list(tui.p, &b->list, &b->n) < 0)
		tui_error("bundles: %s", bc_errmsg(tui.p));
	v->lines = (long)b->n;
	view_goto(v, v->lineno);
	v->dirty = 1;
}

static void
kv(struct tlines *t, const char *k, const char *val, enum color_id c)
{
	char buf[8192];
	snprintf(buf, sizeof buf, "%-11s %s", k, val ? val : "");
	tlines_add(t, c, 0, buf, strlen(buf));
}

static void
add_files(struct tlines *t, const bc_manifest *m)
{
	char buf[8192], x[64];
	kv(t, "Format", m->format, COLOR_DEFAULT);
	kv(t, "Created", m->created, COLOR_DATE);
	bundle_fmt_bytes(m->total_size, x, sizeof x);
	tlines_addf(t, COLOR_SECTION, 1, "Files: %zu, %s", m->nfiles, x);
	size_t nexec = 0;
	for (size_t i = 0; i < m->nfiles; i++) {
		const bc_bundle_file *f = &m->files[i];
		bundle_fmt_bytes(f->size, x, sizeof x);
		snprintf(buf, sizeof buf, "%04o %10s  %.12s  %s%s%s%s", f->mode, x, f->sha256, f->path,
			f->exec_kind ? "  [executable content: " : "", f->exec_kind ? f->exec_kind : "",
			f->exec_kind ? "]" : "");
		tlines_add(t, f->exec_kind ? COLOR_DELTA_DOWN : COLOR_DEFAULT, 0, buf, strlen(buf));
		nexec += f->exec_kind != NULL;
	}
	if (nexec)
		tlines_addf(t, COLOR_ERROR, 0, "%zu file%s hold%s executable content: loading runs code; load only bundles you trust",
			nexec, nexec == 1 ? "" : "s", nexec == 1 ? "s" : "");
}

static void
add_provenance(struct tlines *t, const bc_manifest *m)
{
	char buf[8192], x[64], y[64], z[64];
	tlines_addf(t, COLOR_SECTION, 1, "Provenance");
	if (m->run_id) {
		snprintf(buf, sizeof buf, "%.8s %s  %s", m->run_id, m->run_name ? m->run_name : "",
			m->run_status ? m->run_status : "?");
		if (m->has_exit_code)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " (exit %d)", m->exit_code);
		if (m->run_host)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "  on %s", m->run_host);
		kv(t, "Run", buf, COLOR_DEFAULT);
		size_t o = 0;
		buf[0] = 0;
		for (size_t i = 0; i < m->run_argc && o < sizeof buf - 2; i++)
			o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? " " : "", m->run_command[i]);
		kv(t, "Command", buf, COLOR_DEFAULT);
		kv(t, "Started", m->run_started, COLOR_DATE);
		kv(t, "Ended", m->run_ended, COLOR_DATE);
	}
	if (m->git_commit || m->git_branch) {
		snprintf(buf, sizeof buf, "%s  %s%s%.16s", m->git_commit ? m->git_commit : "-",
			m->git_branch ? m->git_branch : "(detached)", m->git_dirty ? "  dirty, patch " : "",
			m->git_dirty && m->git_patch_sha256 ? m->git_patch_sha256 : "");
		kv(t, "Git", buf, COLOR_DEFAULT);
	}
	for (size_t i = 0; i < m->nparams; i++) {
		snprintf(buf, sizeof buf, "%s = %s", m->params[i].key,
			bc_value_format(&m->params[i].v, x, sizeof x));
		kv(t, i ? "" : "Params", buf, COLOR_DEFAULT);
	}
	for (size_t i = 0; i < m->nmetrics; i++) {
		const bc_bundle_metric *mm = &m->metrics[i];
		fmt_num(mm->last, x, sizeof x);
		fmt_num(mm->min, y, sizeof y);
		fmt_num(mm->max, z, sizeof z);
		snprintf(buf, sizeof buf, "%s = %s (min %s, max %s, %lld points)", mm->key, x, y, z,
			(long long)mm->count);
		kv(t, i ? "" : "Metrics", buf, COLOR_DEFAULT);
	}
	for (size_t i = 0; i < m->ndata; i++) {
		snprintf(buf, sizeof buf, "%s  %.16s", m->data[i].key, m->data[i].value ? m->data[i].value : "-");
		kv(t, i ? "" : "Data", buf, COLOR_DEFAULT);
	}
	for (size_t i = 0; i < m->nenv; i++) {
		snprintf(buf, sizeof buf, "%s=%s", m->env[i].key, m->env[i].value ? m->env[i].value : "");
		kv(t, i ? "" : "Environment", buf, COLOR_DEFAULT);
	}
	for (size_t i = 0; i < m->nmeta; i++) {
		snprintf(buf, sizeof buf, "%s = %s", m->meta[i].key, m->meta[i].value ? m->meta[i].value : "");
		kv(t, i ? "" : "Meta", buf, COLOR_DEFAULT);
	}
	if (m->signature)
		kv(t, "Signature", m->signature, COLOR_DEFAULT);
}

static void
add_problems(struct tlines *t, const bc_bundle_report *rep, const char *indent)
{
	for (size_t i = 0; rep && i < rep->nproblems; i++) {
		char buf[8192];
		snprintf(buf, sizeof buf, "%s%s%s%s", indent, rep->problems[i].path ? rep->problems[i].path : "",
			rep->problems[i].path ? ": " : "", rep->problems[i].message);
		tlines_add(t, COLOR_ERROR, 0, buf, strlen(buf));
	}
}

/* (Re)build the detail lines: registry row, manifest, then the verification. */
static void
detail_build(struct view *v)
{
	struct bundles_priv *b = v->priv;
	struct tlines *t = &b->lines;
	tlines_clear(t);
	kv(t, "File", b->path, COLOR_DEFAULT);
	for (size_t i = 0; i < b->n; i++)
		if (b->list[i].path && !strcmp(b->list[i].path, b->path)) {
			char sz[32], tm[64];
			bundle_fmt_bytes(b->list[i].size, sz, sizeof sz);
			kv(t, "Archive", sz, COLOR_DEFAULT);
			kv(t, "Sha256", b->list[i].sha256, COLOR_ID);
			fmt_time(b->list[i].bundled_ms, tm, sizeof tm);
			kv(t, "Bundled", tm, COLOR_DATE);
			break;
		}
	bc_bundle_report *rep = NULL;
	bc_bundle_inspect(b->path, &rep);
	if (rep && rep->manifest) {
		snprintf(b->run_id, sizeof b->run_id, "%s", rep->manifest->run_id ? rep->manifest->run_id : "");
		char nv[512];
		snprintf(nv, sizeof nv, "%s@%s", rep->manifest->name, rep->manifest->version);
		kv(t, "Bundle", nv, COLOR_DEFAULT);
		add_files(t, rep->manifest);
	}
	add_problems(t, rep, "");
	b->verify_line = t->n;
	if (b->jobs_done) {
		if (b->last == BV_OK)
			tlines_addf(t, COLOR_FINISHED, 1, "Verified OK: every hash, size and entry matches the manifest");
		else if (b->last == BV_CANCELLED)
			tlines_addf(t, COLOR_DIM, 1, "Verification cancelled");
		else
			tlines_addf(t, COLOR_FAILED, 1, "Verification FAILED: %zu problem%s", b->last_problems,
				b->last_problems == 1 ? "" : "s");
		if (b->last != BV_CANCELLED)
			add_problems(t, b->vrep, "  ");
	}
	if (rep && rep->manifest)
		add_provenance(t, rep->manifest);
	bc_bundle_report_free(rep);
	v->lines = (long)t->n;
	view_goto(v, v->lineno);
	v->dirty = 1;
}

/* A finished job: remember the state, list each problem below the files. */
static void
job_collect(struct view *v)
{
	struct bundles_priv *b = v->priv;
	struct verify_job *j = b->job;
	bc_bundle_report *rep = j->rep;
	int cancel = __atomic_load_n(&j->cancel, __ATOMIC_RELAXED);
	b->last = cancel ? BV_CANCELLED : j->rc == 0 ? BV_OK : BV_FAILED;
	b->last_problems = rep ? rep->nproblems : 1;
	b->last_bytes = rep ? rep->bytes : 0;
	b->last_ms = j->end_ms - j->start_ms;
	b->jobs_done = 1;
	bundle_memo_set(b->path, b->last, b->last_problems);
	bc_bundle_report_free(b->vrep);
	b->vrep = rep;
	j->rep = NULL;
	bundle_job_free(j);
	b->job = NULL;
	detail_build(v);
	if (b->last != BV_CANCELLED)
		view_goto(v, (long)b->verify_line);
	tui_status(b->last == BV_OK ? "bundle verified OK" : b->last == BV_CANCELLED
		? "verification cancelled" : "bundle verification FAILED: the problems are listed below the files");
}

static void
verify_start(struct view *v)
{
	struct bundles_priv *b = v->priv;
	if (b->job) {
		tui_status("already verifying: Esc cancels");
		return;
	}
	b->job = bundle_job_start(b->path);
	if (!b->job) {
		tui_error("cannot start the verification thread");
		return;
	}
	tui_status("verifying... (Esc cancels)");
	v->dirty = 1;
}

static int
bundles_open(struct view *v, const struct view_arg *arg)
{
	struct bundles_priv *b = v->priv;
	v->header_rows = 1;
	list_reload(v);
	if (arg->text) {
		b->detail = 1;
		b->path = strdup(arg->text);
		detail_build(v);
		if (arg->data)           /* opened by `v` in the list: verify at once */
			verify_start(v);
	}
	return 0;
}

static void
bar(struct view *v, uint64_t done, uint64_t total, int64_t ms)
{
	char a[32], c[32], line[256];
	int pct = total ? (int)(done * 100 / total) : 0;
	bundle_fmt_bytes(done, a, sizeof a);
	bundle_fmt_bytes(total, c, sizeof c);
	double rate = ms > 0 ? (double)done / 1e6 / ((double)ms / 1000) : 0;
	snprintf(line, sizeof line, " %3d%%  %s / %s  %.0f MB/s  (Esc cancels)", pct, a, c, rate);
	int w = v->width - (int)strlen(line) - 13;   /* " verifying " and the brackets */
	if (w > 40)
		w = 40;
	int x = view_draw_text(v, 0, 0, v->width, " verifying ", COLOR_RUNNING);
	if (w >= 10) {
		int fill = total ? (int)((double)done / (double)total * w) : 0;
		view_draw_char(v, 0, x++, '[', '[', COLOR_DEFAULT);
		for (int i = 0; i < w; i++)
			view_draw_char(v, 0, x++, i < fill ? 0x2588 : 0x00b7, i < fill ? '#' : '.',
				i < fill ? COLOR_RUNNING : COLOR_DIM);
		view_draw_char(v, 0, x++, ']', ']', COLOR_DEFAULT);
	}
	view_draw_text(v, 0, x, v->width - x, line, COLOR_DEFAULT);
}

static void
bundles_draw_header(struct view *v)
{
	struct bundles_priv *b = v->priv;
	view_draw_fill(v, 0, 0, v->width, COLOR_HEADER);
	if (!b->detail) {
		char h[256];
		snprintf(h, sizeof h, "%-16s %-9s %-8s %-7s %9s %-16s %s", "NAME", "VERSION", "RUN",
			"FORMAT", "SIZE", "CREATED", "VERIFIED");
		view_draw_text(v, 0, 0, v->width, h, COLOR_HEADER);
		return;
	}
	if (b->job) {
		struct verify_job *j = b->job;
		bar(v, __atomic_load_n(&j->done, __ATOMIC_RELAXED), __atomic_load_n(&j->total, __ATOMIC_RELAXED),
			bc_now_ms() - j->start_ms);
		return;
	}
	char s[256], a[32];
	bundle_fmt_bytes(b->last_bytes, a, sizeof a);
	if (!b->jobs_done) {
		enum color_id c;
		const char *st = bundle_state_text(b->path, &c);
		snprintf(s, sizeof s, " %s: press v to verify, o opens the run", !strcmp(st, "-")
			? "not verified" : st);
		view_draw_text(v, 0, 0, v->width, s, c == COLOR_DIM ? COLOR_HEADER : c);
	} else if (b->last == BV_OK) {
		snprintf(s, sizeof s, " verified OK: %s in %.1f s", a, (double)b->last_ms / 1000);
		view_draw_text(v, 0, 0, v->width, s, COLOR_FINISHED);
	} else if (b->last == BV_CANCELLED) {
		snprintf(s, sizeof s, " verification cancelled after %s: v starts again", a);
		view_draw_text(v, 0, 0, v->width, s, COLOR_HEADER);
	} else {
		snprintf(s, sizeof s, " verification FAILED: %zu problem%s (listed at the end)",
			b->last_problems, b->last_problems == 1 ? "" : "s");
		view_draw_text(v, 0, 0, v->width, s, COLOR_FAILED);
	}
}

static void
bundles_draw_line(struct view *v, long lineno, int y, int selected)
{
	struct bundles_priv *b = v->priv;
	if (b->detail) {
		tlines_draw(v, &b->lines, lineno, y, selected);
		return;
	}
	if (lineno < 0 || (size_t)lineno >= b->n)
		return;
	const bc_bundle_info *i = &b->list[lineno];
	char sz[32], tm[64];
	enum color_id sc;
	const char *st = bundle_state_text(i->path ? i->path : "", &sc);
	bundle_fmt_bytes(i->size, sz, sizeof sz);
	fmt_time(i->created_ms, tm, sizeof tm);
	tm[16] = 0;               /* minutes are enough here */
	enum color_id base = selected ? COLOR_CURSOR : COLOR_DEFAULT;
	if (selected)
		view_draw_fill(v, y, 0, v->width, COLOR_CURSOR);
	view_draw_text(v, y, 0, 16, i->name ? i->name : "?", base);
	view_draw_text(v, y, 17, 9, i->version ? i->version : "?", base);
	char rid[16];
	snprintf(rid, sizeof rid, "%.8s", i->run_id ? i->run_id : "");
	view_draw_text(v, y, 27, 8, rid, selected ? base : COLOR_ID);
	view_draw_text(v, y, 36, 7, i->format, base);
	view_draw_text_right(v, y, 44, 9, sz, base);
	view_draw_text(v, y, 54, 16, tm, selected ? base : COLOR_DATE);
	view_draw_text(v, y, 71, v->width - 71, st, selected ? base : sc);
}

static enum request
bundles_request(struct view *v, enum request req)
{
	struct bundles_priv *b = v->priv;
	const bc_bundle_info *sel = !b->detail && v->lineno >= 0 && (size_t)v->lineno < b->n
		? &b->list[v->lineno] : NULL;
	switch (req) {
	case REQ_ENTER:
	case REQ_BUNDLE_VERIFY:
		if (b->detail) {
			if (req == REQ_BUNDLE_VERIFY)
				verify_start(v);
			return REQ_NONE;
		}
		if (!sel || !sel->path) {
			tui_status("no bundle here: bancada bundle create RUN (or b on a run) makes one");
			return REQ_NONE;
		}
		struct view_arg a = { .text = sel->path, .from = v,
			.data = req == REQ_BUNDLE_VERIFY ? sel : NULL };
		view_open(&view_bundles_ops, &a);
		return REQ_NONE;
	case REQ_BUNDLE_RUN: {
		const char *id = b->detail ? b->run_id : sel ? sel->run_id : NULL;
		bc_run *r = NULL;
		if (!id || !*id || bc_run_load(&r, tui.p, id) < 0) {
			tui_error("the run of this bundle is not in this project");
			return REQ_NONE;
		}
		bc_run_free(r);
		open_run_view(id);
		return REQ_NONE;
	}
	case REQ_VIEW_CLOSE:
		if (b->job) {
			__atomic_store_n(&b->job->cancel, 1, __ATOMIC_RELAXED);
			tui_status("cancelling...");
			return REQ_NONE;
		}
		return req;
	case REQ_REFRESH:
		list_reload(v);
		if (b->detail && !b->job)
			detail_build(v);
		return REQ_NONE;
	default:
		return req;
	}
}

static int
bundles_tick(struct view *v)
{
	struct bundles_priv *b = v->priv;
	if (b->job) {
		if (bundle_job_poll(b->job))
			job_collect(v);
		return 1;
	}
	if (!b->detail && bc_project_data_version(tui.p) != b->version) {
		list_reload(v);
		return 1;
	}
	return !b->detail;           /* verified states can change in another view */
}

static const char *
bundles_line_text(struct view *v, long lineno)
{
	struct bundles_priv *b = v->priv;
	if (b->detail)
		return (size_t)lineno < b->lines.n ? b->lines.v[lineno].text : NULL;
	if ((size_t)lineno >= b->n)
		return NULL;
	snprintf(b->title, sizeof b->title, "%s %s %s", b->list[lineno].name, b->list[lineno].version,
		b->list[lineno].path ? b->list[lineno].path : "");
	return b->title;
}

static int
bundles_search(struct view *v, long lineno, const char *needle)
{
	const char *t = bundles_line_text(v, lineno);
	return t && strcasestr(t, needle) != NULL;
}

static const char *
bundles_title(struct view *v)
{
	struct bundles_priv *b = v->priv;
	if (b->detail) {
		const char *slash = strrchr(b->path, '/');   /* the engine sanitizes titles */
		snprintf(b->title, sizeof b->title, "[bundle] %s", slash ? slash + 1 : b->path);
	} else {
		snprintf(b->title, sizeof b->title, "[bundles] %zu registered", b->n);
	}
	return b->title;
}

static void
bundles_done(struct view *v)
{
	struct bundles_priv *b = v->priv;
	if (b->job) {
		__atomic_store_n(&b->job->cancel, 1, __ATOMIC_RELAXED);
		bundle_job_free(b->job);
	}
	bc_bundle_list_free(b->list, b->n);
	tlines_clear(&b->lines);
	bc_bundle_report_free(b->vrep);
	free(b->path);
}

const struct view_ops view_bundles_ops = {
	.name = "bundles",
	.flags = VIEW_LIVE,
	.private_size = sizeof(struct bundles_priv),
	.open = bundles_open,
	.draw_header = bundles_draw_header,
	.draw_line = bundles_draw_line,
	.request = bundles_request,
	.search = bundles_search,
	.tick = bundles_tick,
	.title = bundles_title,
	.line_text = bundles_line_text,
	.done = bundles_done,
};
