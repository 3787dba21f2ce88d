/* SPDX-License-Identifier: MIT */
/*
 * Importers against generated sources: an mlruns/ tree written here with
 * the shell, MLflow-schema SQLite databases built with the sqlite3 CLI, and a
 * git repository whose refs/exps are made with git plumbing. Checks what a
 * user would see: run counts, names, params, series, deleted runs, and that
 * importing again adds and changes nothing.
 */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "internal.h"
#include "import-private.h"

static char *
tpath(const char *name)
{
	size_t n = strlen(tap_tmpdir()) + strlen(name) + 2;
	char *s = malloc(n);
	snprintf(s, n, "%s/%s", tap_tmpdir(), name);
	return s;
}

static bc_project *
project(void)
{
	bc_project *p = NULL;
	int rc = bc_project_init(&p, tap_tmpdir());
	ok(rc == 0, "project created (%s)", bc_errmsg(p));
	return p;
}

static int
import_ml(bc_project *p, const char *path, bc_import_stats *st)
{
	bc_import_options o = BC_IMPORT_OPTIONS_INIT;
	return bc_import_mlflow(p, path, &o, st);
}

static int64_t
count(bc_project *p, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;
	if (sqlite3_prepare_v2(bc_project_db(p), sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return n;
}

/* A small file store: 2 experiments + a trashed one, 5 run dirs (one broken). */
static void
write_mlruns(void)
{
	tap_sh("set -e; m=mlruns; mkdir -p $m/0 $m/1 $m/.trash/2\n"
		"printf 'artifact_location: file:./mlruns/0\\nexperiment_id: \"0\"\\nlifecycle_stage: active\\nname: Default\\n' > $m/0/meta.yaml\n"
		"printf 'experiment_id: \"1\"\\nlifecycle_stage: active\\nname: exp one\\n' > $m/1/meta.yaml\n"
		"printf 'experiment_id: \"2\"\\nlifecycle_stage: deleted\\nname: gone\\n' > $m/.trash/2/meta.yaml\n"
		"run() { d=$m/$1/$2; mkdir -p $d/params $d/tags $d/metrics $d/artifacts;"
		" printf 'artifact_uri: file:///x/%%s/artifacts\\nend_time: %%s\\nexperiment_id: \"%%s\"\\n"
		"lifecycle_stage: %%s\\nname: \"\"\\nrun_uuid: %%s\\nsource_type: 4\\nstart_time: 1700000000000\\n"
		"status: %%s\\ntags: []\\nuser_id: alice\\n' $2 \"$3\" ${1##*/} $4 $2 $5 > $d/meta.yaml; }\n"
		"run 1 aaaa1111 1700000100000 active 3\n"
		"run 1 bbbb2222 null active 1\n"
		"run 0 cccc3333 1700000200000 deleted 4\n"
		"run .trash/2 dddd4444 1700000300000 active 5\n"
		"run 1 eeee5555 1700000400000 active 3\n"
		"head -c 40 $m/1/eeee5555/meta.yaml > t && mv t $m/1/eeee5555/meta.yaml\n"
		"d=$m/1/aaaa1111; printf 0.01 > $d/params/lr; printf 'a b' > \"$d/params/Spaced Name \"\n"
		"printf 'fast run' > $d/tags/mlflow.runName; printf bob > $d/tags/mlflow.user\n"
		"printf 0123abcd > $d/tags/mlflow.source.git.commit; printf 'a note' > $d/tags/mlflow.note.content\n"
		"printf yes > $d/tags/team; printf '[{}]' > $d/tags/mlflow.log-model.history\n"
		"mkdir -p $d/metrics/train\n"
		"printf '1700000001000 0.5 0\\n1700000002000 0.25 1\\n1700000003000 nan 2\\n' > $d/metrics/loss\n"
		"printf '1700000001000 0.9\\ngarbage here\\n1700000002000 0.8 1 extra\\n1700000003000 0.7 2\\n' > $d/metrics/train/acc\n"
		"printf 'fast run' > $m/1/bbbb2222/tags/mlflow.runName\n"
		"d=$m/1/eeee5555; printf '1 1e-3 0\\n2 -0.5 1\\n3 .5 2\\n4 5. 3\\n5 1.0E+2 4\\n6 0x10 5\\n7 1,5 6\\n"
		"8 inf 7\\n9 -Infinity 8\\n10 0.30000000000000004 9\\n11 123456789012345678 10\\n' > $m/1/aaaa1111/metrics/forms\n");
}

TEST(mlflow_file_store)
{
	bc_project *p = project();
	bc_import_stats st;
	write_mlruns();
	char *root = tpath("mlruns");
	int rc = import_ml(p, root, &st);
	ok(rc == 0, "import succeeds (%s)", bc_errmsg(p));
	is_int(st.added, 4, "4 runs added");
	is_int(st.skipped, 1, "the truncated meta.yaml is skipped");
	is_int(st.bad_lines, 4, "4 malformed metric lines counted (2 in train/acc, 2 in forms)");
	bc_run *r = NULL;
	ok(bc_run_load(&r, p, "fast run") == 0, "run named after mlflow.runName");
	if (r) {
		is_str(r->user, "bob", "mlflow.user");
		is_str(r->git_commit, "0123abcd", "git commit tag");
		is_str(r->note, "a note", "note");
		is_str(r->experiment, "exp one", "experiment");
		is_str(r->source.tool, "mlflow", "source tool");
		is_str(r->source.id, "aaaa1111", "source id");
		is_int(r->status, BC_RUN_FINISHED, "FINISHED -> finished");
		is_int(r->started_ms, 1700000000000LL, "start time");
		const bc_param *pa = bc_run_param(r, "Spaced Name ");
		ok(pa && pa->v.type == BC_VAL_STRING && !strcmp(pa->v.s, "a b"), "param name with spaces");
		pa = bc_run_param(r, "lr");
		ok(pa && pa->v.type == BC_VAL_FLOAT && pa->v.f == 0.01, "numeric param typed");
		int team = 0, hist = 0, expt = 0;
		for (size_t i = 0; i < r->ntags; i++) {
			team |= !strcmp(r->tags[i], "team=yes");
			hist |= !strncmp(r->tags[i], "mlflow.log-model", 16);
			expt |= !strcmp(r->tags[i], "experiment=exp one");
		}
		ok(team && expt && !hist, "user tag and experiment tag kept, system tag dropped");
		bc_run_free(r);
	}
	bc_point *pts = NULL;
	size_t n = 0;
	char fast[33] = "";
	ok(bc_run_resolve(p, "fast run", 0, fast) == 0, "resolve by name");
	ok(bc_metric_series(p, fast, "loss", INT64_MIN, INT64_MAX, &pts, &n) == 0 && n == 3 &&
		pts[1].value == 0.25 && pts[1].wall_ms == 1700000002000LL && isnan(pts[2].value),
		"loss series: 3 points, NaN kept");
	free(pts);
	/* imported chunks carry the same summaries as native ones: a reduced
	 * read of one column gives the series' min and max */
	ok(count(p, "SELECT count(*) FROM metric_chunks WHERE summary IS NULL") == 0 &&
		count(p, "SELECT count(*) FROM metric_summary WHERE step_lo IS NULL") == 0,
		"imported chunks have summaries and series their step extent");
	bc_point red[4 * 1];
	size_t nr = 0;
	ok(bc_metric_series_reduced(p, fast, "loss", INT64_MIN, INT64_MAX, 1, red, &nr) == 0 && nr >= 2 &&
		red[0].step <= red[nr - 1].step, "a reduced read of the imported series (%zu points)", nr);
	ok(bc_metric_series(p, fast, "forms", INT64_MIN, INT64_MAX, &pts, &n) == 0 && n == 9,
		"number forms: 9 of 11 lines parse (got %zu)", n);
	if (n == 9) {
		static const double want[] = { 1e-3, -0.5, 0.5, 5.0, 100.0, INFINITY, -INFINITY,
			0.30000000000000004, 123456789012345678.0 };
		int same = 1;
		for (size_t i = 0; i < n; i++)
			same &= pts[i].value == want[i];
		ok(same, "number forms parse to the exact doubles strtod gives");
	}
	free(pts);
	ok(bc_metric_series(p, fast, "train/acc", INT64_MIN, INT64_MAX, &pts, &n) == 0 && n == 2 &&
		pts[1].step == 2, "metric in a sub-directory, bad lines skipped");
	free(pts);
	is_int(count(p, "SELECT count(*) FROM runs WHERE name LIKE 'fast run-bbbb%'"), 1,
		"name collision suffixed with a short source id");
	is_int(count(p, "SELECT count(*) FROM runs WHERE deleted=1"), 2,
		"lifecycle_stage deleted and .trash runs come in deleted");
	is_int(count(p, "SELECT status FROM runs WHERE src_id='bbbb2222'"), BC_RUN_RUNNING, "RUNNING");
	is_int(count(p, "SELECT status FROM runs WHERE src_id='dddd4444'"), BC_RUN_INTERRUPTED, "KILLED");
	/* again: nothing changes */
	rc = import_ml(p, root, &st);
	ok(rc == 0 && st.added == 0 && st.updated == 0 && st.unchanged == 4, "second import: 4 unchanged");
	/* a run gets a new point: updated, series complete, no duplicate run */
	tap_sh("printf '1700000004000 0.125 3\\n' >> mlruns/1/aaaa1111/metrics/loss");
	rc = import_ml(p, root, &st);
	ok(rc == 0 && st.updated == 1 && st.unchanged == 3, "changed run updated (%d/%d)", st.updated, st.unchanged);
	ok(bc_metric_series(p, fast, "loss", INT64_MIN, INT64_MAX, &pts, &n) == 0 && n == 4 &&
		pts[3].value == 0.125, "updated series has 4 points");
	free(pts);
	is_int(count(p, "SELECT count(*) FROM runs"), 4, "still 4 runs");
	/* an import killed half-way leaves an incomplete mark: the next one completes it */
	sqlite3_exec(bc_project_db(p), "UPDATE import_state SET digest=NULL WHERE run=(SELECT id FROM runs"
		" WHERE src_id='aaaa1111'); DELETE FROM metric_chunks; DELETE FROM metric_summary;", NULL, NULL, NULL);
	rc = import_ml(p, root, &st);
	ok(rc == 0 && st.updated == 1, "interrupted run re-imported");
	is_int(count(p, "SELECT count FROM metric_summary s JOIN metric_keys k ON k.id=s.key_id"
		" JOIN runs r ON r.id=s.run WHERE k.key='loss' AND r.src_id='aaaa1111'"), 4, "series restored");
	free(root);
	bc_project_free(p);
}

static const char *const schema_sql =
	"CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);"
	"CREATE TABLE experiments (experiment_id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(256) NOT NULL,"
	" artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32));"
	"CREATE TABLE runs (run_uuid VARCHAR(32) NOT NULL PRIMARY KEY, name VARCHAR(250), source_type VARCHAR(20),"
	" source_name VARCHAR(500), entry_point_name VARCHAR(50), user_id VARCHAR(256), status VARCHAR(9),"
	" start_time BIGINT, end_time BIGINT, source_version VARCHAR(50), lifecycle_stage VARCHAR(20),"
	" artifact_uri VARCHAR(200), experiment_id INTEGER);"
	"CREATE TABLE params (key VARCHAR(250) NOT NULL, value VARCHAR(250) NOT NULL, run_uuid VARCHAR(32) NOT NULL);"
	"CREATE TABLE tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000), run_uuid VARCHAR(32) NOT NULL);";

TEST(mlflow_sqlite)
{
	bc_project *p = project();
	bc_import_stats st;
	/* an old schema: metrics without step/is_nan, no latest_metrics */
	tap_sh("sqlite3 old.db '%s' \"CREATE TABLE metrics (key VARCHAR(250), value FLOAT, timestamp BIGINT,"
		" run_uuid VARCHAR(32));"
		"INSERT INTO alembic_version VALUES('ff01da956556');"
		"INSERT INTO experiments VALUES(0,'Default','./mlruns/0','active'),(1,'old exp','./mlruns/1','deleted');"
		"INSERT INTO runs VALUES('r1','',NULL,'train.py',NULL,'ann','FINISHED',1600000000000,1600000050000,NULL,'active',NULL,0),"
		"('r2','',NULL,NULL,NULL,'ann','FAILED',1600000100000,NULL,NULL,'active',NULL,1);"
		"INSERT INTO params VALUES('alpha','0.5','r1'),('alpha','0.7','r2');"
		"INSERT INTO tags VALUES('mlflow.runName','first','r1');"
		"INSERT INTO metrics VALUES('rmse',1.5,1600000001000,'r1'),('rmse',1.25,1600000002000,'r1');\"",
		schema_sql);
	char *db = tpath("old.db");
	int rc = import_ml(p, db, &st);
	ok(rc == 0 && st.added == 2, "old schema imports (%s)", bc_errmsg(p));
	bc_run *r = NULL;
	ok(bc_run_load(&r, p, "first") == 0, "run name from the tag");
	if (r) {
		const bc_metric_summary *m = bc_run_metric(r, "rmse");
		ok(m && m->count == 2 && m->last == 1.25, "metric series from the metrics table");
		ok(r->argc == 1 && !strcmp(r->argv[0], "train.py"), "source_name as the command");
		bc_run_free(r);
	}
	is_int(count(p, "SELECT deleted FROM runs WHERE src_id='r2'"), 1, "run of a deleted experiment");
	is_int(count(p, "SELECT status FROM runs WHERE src_id='r2'"), BC_RUN_FAILED, "FAILED");
	rc = import_ml(p, db, &st);
	ok(rc == 0 && st.added == 0 && st.updated == 0 && st.unchanged == 2, "second import: unchanged");
	free(db);
	/* not MLflow at all, and a schema missing a required column */
	tap_sh("sqlite3 other.db 'CREATE TABLE notes(x); INSERT INTO notes VALUES(1);'");
	tap_sh("sqlite3 bad.db '%s' \"CREATE TABLE metrics (key VARCHAR(250), value FLOAT, run_uuid VARCHAR(32));"
		"INSERT INTO alembic_version VALUES('zz99');\"", schema_sql);
	db = tpath("other.db");
	rc = import_ml(p, db, &st);
	ok(rc == BC_EINVALID && strstr(bc_errmsg(p), "not an MLflow database"), "non-MLflow db: %s", bc_errmsg(p));
	free(db);
	db = tpath("bad.db");
	rc = import_ml(p, db, &st);
	ok(rc == BC_EINVALID && strstr(bc_errmsg(p), "zz99") && strstr(bc_errmsg(p), "timestamp"),
		"unknown schema named: %s", bc_errmsg(p));
	free(db);
	rc = import_ml(p, "/nonexistent/mlruns", &st);
	ok(rc == BC_ENOTFOUND && strstr(bc_errmsg(p), "/nonexistent/mlruns"), "missing path: %s", bc_errmsg(p));
	bc_project_free(p);
}

TEST(dvc_experiments)
{
	bc_project *p = project();
	bc_import_stats st;
	int rc = tap_sh("set -e; git init -q repo; cd repo; git config user.email t@e; git config user.name T\n"
		"mkdir -p dvclive/plots/metrics/train data\n"
		"printf 'train:\\n  lr: 0.1\\n  layers: [8, 4]\\n' > params.yaml\n"
		"printf 'schema: \"2.0\"\\nstages:\\n  train:\\n    cmd: python train.py\\n    deps:\\n"
		"    - path: data/raw\\n      hash: md5\\n      md5: 00aa.dir\\n    outs:\\n    - path: model.pkl\\n"
		"      hash: md5\\n      md5: 11bb\\n' > dvc.lock\n"
		"printf 'outs:\\n- md5: 00aa.dir\\n  path: raw\\n  hash: md5\\n' > data/raw.dvc\n"
		"printf '{\"train\": {\"loss\": 0.25}, \"acc\": 0.75, \"step\": 2}' > dvclive/metrics.json\n"
		"printf 'step\\tloss\\n0\\t1.0\\n1\\t0.5\\n2\\t0.25\\n' > dvclive/plots/metrics/train/loss.tsv\n"
		"git add -A; git commit -qm baseline; base=$(git rev-parse HEAD)\n"
		"printf 'train:\\n  lr: 0.01\\n  layers: [8, 4]\\n' > params.yaml\n"
		"git add -A; tree=$(git write-tree); exp=$(git commit-tree $tree -p $base -m 'dvc: commit experiment')\n"
		"git update-ref refs/exps/$(echo $base | cut -c1-2)/$(echo $base | cut -c3-)/tidy-lynx $exp\n"
		"git update-ref refs/exps/stash $exp\n"
		"git checkout -q -- params.yaml");
	ok(rc == 0, "git repository with an experiment ref built");
	char *repo = tpath("repo");
	bc_import_options o = BC_IMPORT_OPTIONS_INIT;
	rc = bc_import_dvc(p, repo, &o, &st);
	ok(rc == 0 && st.added == 2, "baseline and experiment imported (%d, %s)", st.added, bc_errmsg(p));
	bc_run *r = NULL;
	ok(bc_run_load(&r, p, "tidy-lynx") == 0, "experiment named after its ref");
	if (r) {
		const bc_param *pa = bc_run_param(r, "train.lr");
		ok(pa && pa->v.type == BC_VAL_FLOAT && pa->v.f == 0.01, "experiment's params");
		ok(bc_run_param(r, "train.layers.1") != NULL, "list params flattened with their index");
		const bc_metric_summary *m = bc_run_metric(r, "train.loss");
		ok(m && m->count == 3 && m->last == 0.25 && m->last_step == 2, "DVCLive series from the TSV");
		m = bc_run_metric(r, "acc");
		ok(m && m->count == 1 && m->last == 0.75, "metrics.json value");
		int in = 0, out = 0;
		for (size_t i = 0; i < r->ninputs; i++)
			in |= !strcmp(r->inputs[i].key, "data/raw") && !strcmp(r->inputs[i].value, "md5:00aa.dir");
		for (size_t i = 0; i < r->noutputs; i++)
			out |= !strcmp(r->outputs[i].key, "model.pkl") && !strcmp(r->outputs[i].value, "md5:11bb");
		ok(in && out, "dvc.lock deps/outs as data inputs/outputs with md5 hashes");
		is_str(r->source.tool, "dvc", "source tool");
		bc_run_free(r);
	}
	rc = bc_import_dvc(p, repo, &o, &st);
	ok(rc == 0 && st.added == 0 && st.updated == 0 && st.unchanged == 2, "second import: unchanged");
	rc = bc_import_dvc(p, tap_tmpdir(), &o, &st);
	ok(rc == BC_ENOTFOUND, "not a repository: %s", bc_errmsg(p));
	free(repo);
	bc_project_free(p);
}

#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))

/* The metric-file number parser agrees with strtod to the last bit. */
TEST(number_parser)
{
	static const char *const fixed[] = {
		"0", "-0", "0.5", "1e-3", "3.14", "-2.5E+10", "0.000999000999000999", "1e22", "1e23",
		"9007199254740993", "0.1", "0.30000000000000004", "1.7976931348623157e308", "5e-324",
		"123456789012345678901234", "0.3333333333333333", "+7", "2.2250738585072014e-308",
	};
	int bad = 0, n = 0;
	char buf[64];
	double a, b;
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++, n++) {
		a = strtod(fixed[i], NULL);
		if (imp_parse_number(fixed[i], fixed[i] + strlen(fixed[i]), &b) < 0 ||
				memcmp(&a, &b, sizeof a)) {
			diag("%s: got %.17g want %.17g", fixed[i], b, a);
			bad++;
		}
	}
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 300000; i++, n++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		double v;
		switch (i % 4) {
		case 0: v = 1.0 / (double)(x % 100000 + 1); break;
		case 1: v = (double)(x >> 11) / 9007199254740992.0 * 1e3; break;
		case 2: v = (double)(int64_t)(x % 2000001) - 1e6 + (double)(x >> 40) / 16777216.0; break;
		default: memcpy(&v, &x, sizeof v); if (v != v || isinf(v)) v = 1.5; break;
		}
		snprintf(buf, sizeof buf, i % 3 == 0 ? "%.17g" : i % 3 == 1 ? "%.16g" : "%.15g", v);
		a = strtod(buf, NULL);
		if (imp_parse_number(buf, buf + strlen(buf), &b) < 0 || memcmp(&a, &b, sizeof a)) {
			if (bad++ < 5)
				diag("%s: got %.17g want %.17g", buf, b, a);
		}
	}
	is_int(bad, 0, "numbers parsed exactly as strtod does");
	ok(imp_parse_number("1.5x", "1.5x" + 4, &a) < 0, "trailing garbage rejected (%d numbers)", n);
	ok(imp_parse_number("nan", "nan" + 3, &a) == 0 && isnan(a), "nan accepted");
}

/* Metric files through the line parser (digits read eight at a time): every
 * value as strtod reads it, steps and timestamps exact, odd lines counted. */
TEST(metric_lines)
{
	struct imp_ctx c;
	bc_import_stats st;
	struct imp_run r;
	bc_buf text = BC_BUF_INIT;
	double *want = malloc(200000 * sizeof *want);
	char num[64];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	memset(&c, 0, sizeof c);
	memset(&st, 0, sizeof st);
	c.stats = &st;
	imp_run_init(&r);
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		double v;
		switch (i % 5) {
		case 0: v = 1.0 / (double)(x % 1000000 + 1); break;
		case 1: v = (double)(x >> 11) / 9007199254740992.0; break;
		case 2: v = -(double)(x % 100000000000ULL) / 1000.0; break;
		case 3: v = (double)(x >> 11) * 1e-12; break;
		default: memcpy(&v, &x, sizeof v); if (v != v || isinf(v)) v = 0.25; break;
		}
		snprintf(num, sizeof num, i % 2 ? "%.17g" : "%.16g", v);
		want[i] = strtod(num, NULL);
		bc_buf_printf(&text, "%lld %s %d\n", 1700000000000LL + i * 7, num, i * 3);
	}
	bc_buf_puts(&text, "1700000000000 0.5\n17 garbage 1\n1.7e12 2.5 4\n");
	imp_mlflow_metric(&c, &r, text.data, text.len, "run", "m");
	int bad = 0;
	const struct imp_series *s = r.nseries == 1 ? &r.series[0] : NULL;
	ok(s && s->n == 200002, "every good line is a point (%zu)", s ? s->n : 0);
	for (size_t i = 0; s && i < 200000 && i < s->n; i++) {
		const bc_point *pt = &s->pts[i];
		if (memcmp(&pt->value, &want[i], sizeof want[i]) || pt->step != (int64_t)i * 3 ||
				pt->wall_ms != 1700000000000LL + (int64_t)i * 7) {
			if (bad++ < 5)
				diag("line %zu: got %lld %.17g %lld want %.17g", i + 1, (long long)pt->wall_ms,
					pt->value, (long long)pt->step, want[i]);
		}
	}
	is_int(bad, 0, "values bit for bit as strtod, steps and times exact");
	ok(s && s->n == 200002 && s->pts[200000].step == 0 && s->pts[200001].wall_ms == 1700000000000LL &&
		s->pts[200001].step == 4, "two-field and float-timestamp lines read");
	is_int(r.bad_lines, 1, "the garbage line counted");
	is_int(st.warnings, 1, "and named in a warning");
	/* recycling keeps small point buffers for the next run's series */
	imp_run_recycle(&r);
	ok(r.nseries == 0 && r.nkept == 1 && !r.series[0].pts, "a recycled run has no series, nor a big buffer");
	struct imp_series *small = imp_run_series(&r, "small");
	for (int i = 0; small && i < 100; i++)
		imp_series_add(small, i, i * 0.5, 1700000000000LL + i);
	const bc_point *buf = small ? small->pts : NULL;
	imp_run_recycle(&r);
	struct imp_series *again = imp_run_series(&r, "other");
	ok(buf && again && again->n == 0 && again->pts == buf && !strcmp(again->key, "other"),
		"a small one is reused by the next series");
	imp_run_clear(&r);
	bc_buf_free(&text);
	free(want);
}

TAP_MAIN
