/* SPDX-License-Identifier: MIT */
/*
 * The filter language against a real project: each filter is compiled,
 * run as `SELECT r.name FROM runs r WHERE <where>` with its bound values,
 * and the names it selects are compared with what a user expects.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tap.h"
#include "internal.h"

static bc_project *P;
static char ids[6][33];
static int64_t now0;

/* The runs every test starts from. */
enum { ALPHA, BETA, GAMMA, DELTA, HOSTILE, SPACEY };
static const char *const names[] = {
	"alpha-bert", "beta-resnet", "gamma-bert", "delta", "x' or 1=1 --", "Spacey Run",
};

static void
param(int run, const char *key, const char *text)
{
	bc_value v;
	bc_value_parse(&v, text);
	ok(bc_run_set_param(P, ids[run], key, &v) == 0, "set param %s=%s", key, text);
	bc_value_clear(&v);
}

static void
param_str(int run, const char *key, const char *text)
{
	bc_value v = { .type = BC_VAL_STRING, .s = (char *)(uintptr_t)text, .slen = strlen(text) };
	ok(bc_run_set_param(P, ids[run], key, &v) == 0, "set string param %s=%s", key, text);
}

static void
metric(int run, const char *key, const double *vals, int n)
{
	bc_ingest *in = NULL;
	ok(bc_ingest_new(&in, P, ids[run]) == 0, "ingest %s", key);
	for (int i = 0; i < n; i++)
		bc_ingest_add(in, key, i, vals[i], now0);
	ok(bc_ingest_flush(in, NULL, 0) == 0, "flush %s", key);
	bc_ingest_free(in);
}

static void
sql(const char *fmt, const char *id, int64_t v)
{
	sqlite3_stmt *st;
	sqlite3_prepare_v2(bc_project_db(P), fmt, -1, &st, NULL);
	sqlite3_bind_int64(st, 1, v);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	ok(sqlite3_step(st) == SQLITE_DONE, "update %s", fmt);
	sqlite3_finalize(st);
}

static void
setup(void)
{
	static const char *const argv[] = { "python", "train.py", NULL };
	setenv("TZ", "UTC", 1);
	tzset();
	now0 = bc_now_ms();
	ok(bc_project_init(&P, tap_tmpdir()) == 0, "init project: %s", bc_errmsg(P));
	for (int i = 0; i < 6; i++) {
		bc_run_new o = BC_RUN_NEW_INIT;
		o.name = names[i];
		o.argv = argv;
		o.capture_git = o.capture_env = 0;
		ok(bc_run_create(P, &o, ids[i]) == 0, "create %s: %s", names[i], bc_errmsg(P));
	}
	bc_run_finish(P, ids[ALPHA], BC_RUN_FINISHED, 0, 0);
	bc_run_finish(P, ids[BETA], BC_RUN_FAILED, 1, 0);
	bc_run_finish(P, ids[GAMMA], BC_RUN_CRASHED, -1, 9);
	bc_run_finish(P, ids[HOSTILE], BC_RUN_INTERRUPTED, 130, 0);
	bc_run_finish(P, ids[SPACEY], BC_RUN_FINISHED, 0, 0);
	/* times: alpha 1h ago for 30 min, beta 2 days ago, gamma on 2026-11-01 10:30 UTC */
	sql("UPDATE runs SET started_ms=?1 - 1800000, ended_ms=?1 WHERE id=?2", ids[ALPHA], now0 - 1800000);
	sql("UPDATE runs SET started_ms=?1, ended_ms=?1 + 5000 WHERE id=?2", ids[BETA], now0 - 2 * 86400000LL);
	sql("UPDATE runs SET started_ms=?1, ended_ms=?1 + 7200000 WHERE id=?2", ids[GAMMA], 1793529000000LL);
	sql("UPDATE runs SET started_ms=?1 WHERE id=?2", ids[DELTA], now0 - 600000);
	sql("UPDATE runs SET started_ms=?1, ended_ms=?1 + 60000 WHERE id=?2", ids[HOSTILE], now0 - 10 * 86400000LL);
	sql("UPDATE runs SET started_ms=?1, ended_ms=?1 + 60000, git_commit='3fa9c1d2e4', git_branch='main',"
		" git_dirty=1, note='tried a bigger batch', experiment='sweep' WHERE id=?2", ids[SPACEY],
		now0 - 3 * 3600000LL);
	sql("UPDATE runs SET git_commit='ab12ff', git_branch='dev' WHERE id=?2", ids[BETA], 0);
	param(ALPHA, "lr", "0.1");
	param(ALPHA, "epochs", "10");
	param(ALPHA, "optimizer", "adam");
	param(ALPHA, "amp", "true");
	param(ALPHA, "model.layers.0", "512");
	param(ALPHA, "data/path-v2", "/data/a");
	param(ALPHA, "my key", "1");
	param(BETA, "lr", "0.01");
	param(BETA, "epochs", "20");
	param(BETA, "optimizer", "sgd");
	param(BETA, "amp", "false");
	param_str(GAMMA, "lr", "0.1");           /* a string that looks like a number */
	param(GAMMA, "epochs", "5");
	param(GAMMA, "optimizer", "adamw");
	param(HOSTILE, "optimizer", "adam");
	param_str(SPACEY, "epochs", "many");
	bc_run_add_tag(P, ids[ALPHA], "baseline");
	bc_run_add_tag(P, ids[ALPHA], "nlp");
	bc_run_add_tag(P, ids[BETA], "vision");
	bc_run_add_tag(P, ids[DELTA], "bert");
	bc_run_add_tag(P, ids[SPACEY], "nlp");
	static const double loss_a[] = { 1.0, 0.1, 0.2 }, loss_b[] = { 2.0, 0.5 }, acc_a[] = { 0.9 };
	static const double vl[] = { 3.0 };
	metric(ALPHA, "loss", loss_a, 3);
	metric(ALPHA, "acc", acc_a, 1);
	metric(BETA, "loss", loss_b, 2);
	metric(GAMMA, "val loss", vl, 1);
}

static void
teardown(void)
{
	bc_project_free(P);
	P = NULL;
}

static const char *
name_of(const char *id)
{
	for (int i = 0; i < 6; i++)
		if (!strcmp(ids[i], id))
			return names[i];
	return "?";
}

/*
 * Names (sorted, space-separated; "-" for none) that a filter selects through
 * bc_run_query_ids; "E<pos>" on a filter error.
 */
static const char *
sel(const char *filter)
{
	static char out[4096];
	bc_run_query q = BC_RUN_QUERY_INIT;
	bc_run_list l;
	q.filter = filter;
	q.sort = "name";
	int rc = bc_run_query_ids(P, &q, &l);
	if (rc == BC_EINVALID && l.filter_errpos >= 0) {
		snprintf(out, sizeof out, "E%d", l.filter_errpos);
	} else if (rc < 0) {
		snprintf(out, sizeof out, "query error %d: %s", rc, bc_errmsg(P));
	} else {
		size_t n = 0;
		for (size_t i = 0; i < l.count && n < sizeof out; i++)
			n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", i ? " " : "", name_of(l.ids[i]));
		if (!l.count)
			strcpy(out, "-");
	}
	bc_run_list_clear(&l);
	return out;
}

static void
diag_bad(const char *expr, const char *result)
{
	printf("# bad result for [");
	for (const unsigned char *c = (const unsigned char *)expr; *c; c++) {
		if (*c < 0x20 || *c >= 0x7f)
			printf("\\x%02x", *c);
		else
			putchar(*c);
	}
	printf("]: %s / %s\n", result, bc_errmsg(P));
}

#define SEL(filter, want) is_str(sel(filter), want, filter)

TEST(comparisons)
{
	setup();
	SEL("", "Spacey Run alpha-bert beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("   \t\n", "Spacey Run alpha-bert beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("name = delta", "delta");
	SEL("name == delta", "delta");
	SEL("name != delta", "Spacey Run alpha-bert beta-resnet gamma-bert x' or 1=1 --");
	SEL("name <> delta", "Spacey Run alpha-bert beta-resnet gamma-bert x' or 1=1 --");
	SEL("name < beta", "Spacey Run alpha-bert");
	SEL("name <= beta-resnet", "Spacey Run alpha-bert beta-resnet");
	SEL("name > gamma-bert", "x' or 1=1 --");
	SEL("name >= gamma-bert", "gamma-bert x' or 1=1 --");
	SEL("name ~ '*-bert'", "alpha-bert gamma-bert");
	SEL("name ~ *-bert", "alpha-bert gamma-bert");
	SEL("name !~ '*-bert'", "Spacey Run beta-resnet delta x' or 1=1 --");
	SEL("name ~ '[ab]*'", "alpha-bert beta-resnet");
	SEL("name in (delta, alpha-bert, nope)", "alpha-bert delta");
	SEL("name not in (delta, alpha-bert)", "Spacey Run beta-resnet gamma-bert x' or 1=1 --");
	SEL("name in (delta)", "delta");
	SEL("NAME = delta", "delta");
	SEL("exit = 0", "Spacey Run alpha-bert");
	SEL("exit != 0", "beta-resnet x' or 1=1 --");
	SEL("exit > 1", "x' or 1=1 --");
	SEL("exit_code >= 1", "beta-resnet x' or 1=1 --");
	SEL("exit in (1, 130)", "beta-resnet x' or 1=1 --");
	SEL("exit exists", "Spacey Run alpha-bert beta-resnet x' or 1=1 --");
	SEL("exit not exists", "delta gamma-bert");
	SEL("dirty = true", "Spacey Run");
	SEL("dirty", "Spacey Run");
	SEL("not dirty", "alpha-bert beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("dirty != yes", "alpha-bert beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("branch = main", "Spacey Run");
	SEL("branch != main", "beta-resnet");             /* runs without a branch: missing */
	SEL("not branch = main", "alpha-bert beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("branch exists", "Spacey Run beta-resnet");
	SEL("note ~ '*batch*'", "Spacey Run");
	SEL("experiment = sweep", "Spacey Run");
	SEL("commit = 3FA9", "Spacey Run");               /* prefix, any case */
	SEL("commit = 3fa9c1d2e4", "Spacey Run");
	SEL("commit != 3fa", "beta-resnet");
	SEL("commit in (ab1, 3fa)", "Spacey Run beta-resnet");
	SEL("commit = '*'", "-");                         /* prefix text is literal */
	SEL("host exists and user exists", "Spacey Run alpha-bert beta-resnet delta gamma-bert x' or 1=1 --");
	teardown();
}

TEST(status_and_ids)
{
	setup();
	SEL("status = failed", "beta-resnet");
	SEL("status = FAILED", "beta-resnet");
	SEL("status != finished", "beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("status in (failed, crashed)", "beta-resnet gamma-bert");
	SEL("status not in (failed, crashed, running)", "Spacey Run alpha-bert x' or 1=1 --");
	SEL("status ~ '*ed'", "Spacey Run alpha-bert beta-resnet gamma-bert x' or 1=1 --");
	SEL("status !~ 'f*'", "delta gamma-bert x' or 1=1 --");
	SEL("status ~ zzz*", "-");
	SEL("status = running", "delta");
	is_str(sel("status = fail"), "E9", "unknown status fails at the value");
	ok(strstr(bc_errmsg(P), "unknown status 'fail' at column 10 (running, finished, failed,"),
		"status error lists the statuses: %s", bc_errmsg(P));
	is_str(sel("status < failed"), "E7", "status has no order");
	char q[128], sa[33], sd[33], sg[33];
	bc_run_short_id(P, ids[ALPHA], sa);
	bc_run_short_id(P, ids[DELTA], sd);
	bc_run_short_id(P, ids[GAMMA], sg);
	snprintf(q, sizeof q, "id = %s", sg);
	SEL(q, "gamma-bert");
	snprintf(q, sizeof q, "id = %s", ids[GAMMA]);
	SEL(q, "gamma-bert");
	snprintf(q, sizeof q, "id != %s", sg);
	SEL(q, "Spacey Run alpha-bert beta-resnet delta x' or 1=1 --");
	snprintf(q, sizeof q, "id in (%s, %s)", sa, sd);
	SEL(q, "alpha-bert delta");
	snprintf(q, sizeof q, "id = %.6s", ids[GAMMA]);   /* a common prefix */
	SEL(q, "Spacey Run alpha-bert beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("id = zz", "-");
	teardown();
}

TEST(logic_and_precedence)
{
	setup();
	/* a or b and c = a or (b and c) */
	SEL("name = delta or status = failed and exit = 0", "delta");
	SEL("(name = delta or status = failed) and exit = 1", "beta-resnet");
	SEL("name = delta || status = failed && exit = 1", "beta-resnet delta");
	SEL("not status = finished and not status = running", "beta-resnet gamma-bert x' or 1=1 --");
	SEL("not (status = finished or status = running)", "beta-resnet gamma-bert x' or 1=1 --");
	SEL("!(status = finished)", "beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("not not status = failed", "beta-resnet");
	SEL("! ! ! status = failed", "Spacey Run alpha-bert delta gamma-bert x' or 1=1 --");
	SEL("tag = nlp status = finished", "Spacey Run alpha-bert");   /* adjacent terms: and */
	SEL("bert status = crashed", "gamma-bert");
	SEL("((((name = delta))))", "delta");
	SEL("NOT name = delta AND name ~ '*bert' OR name = beta-resnet", "alpha-bert beta-resnet gamma-bert");
	SEL("status = failed or status = crashed or status = running or name = nope",
		"beta-resnet delta gamma-bert");
	teardown();
}

TEST(tags_and_bare_words)
{
	setup();
	SEL("tag = nlp", "Spacey Run alpha-bert");
	SEL("tags = vision", "beta-resnet");
	SEL("tag != nlp", "beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("tag ~ 'n*'", "Spacey Run alpha-bert");
	SEL("tag !~ 'n*'", "beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("tag in (vision, bert)", "beta-resnet delta");
	SEL("tag not in (vision, nlp)", "delta gamma-bert x' or 1=1 --");
	SEL("tag exists", "Spacey Run alpha-bert beta-resnet delta");
	SEL("tag not exists", "gamma-bert x' or 1=1 --");
	/* bare words: name substring (any case) or exact tag */
	SEL("bert", "alpha-bert delta gamma-bert");
	SEL("BERT", "alpha-bert gamma-bert");
	SEL("spacey", "Spacey Run");
	SEL("baseline", "alpha-bert");
	SEL("ba", "-");                                   /* tags match exactly */
	SEL("*bert", "alpha-bert gamma-bert");            /* glob on the name */
	SEL("?elta", "delta");
	SEL("\"Spacey Run\"", "Spacey Run");
	SEL("'Spacey Run'", "Spacey Run");
	SEL("\"status\"", "-");                           /* a field name, quoted: a word */
	SEL("'1=1'", "x' or 1=1 --");
	SEL("'x\\' or'", "x' or 1=1 --");
	SEL("nlp -baseline", "-");                        /* -baseline is a word, not a negation */
	SEL("nlp !baseline", "Spacey Run");
	teardown();
}

TEST(params)
{
	setup();
	SEL("params.lr = 0.1", "alpha-bert");
	SEL("params.lr = '0.1'", "gamma-bert");           /* a string compares as text */
	SEL("params.lr > 0.05", "alpha-bert");            /* never the text "0.1" */
	SEL("params.lr >= 0.01", "alpha-bert beta-resnet");
	SEL("params.lr < 1", "alpha-bert beta-resnet");
	SEL("params.lr <= 1e-2", "beta-resnet");
	SEL("params.lr != 0.1", "beta-resnet gamma-bert");
	SEL("not params.lr = 0.1", "Spacey Run beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("params.epochs > 5", "alpha-bert beta-resnet");
	SEL("params.epochs >= 5.0", "alpha-bert beta-resnet gamma-bert");
	SEL("params.epochs = 10.0", "alpha-bert");
	SEL("params.epochs < 100", "alpha-bert beta-resnet gamma-bert");
	SEL("params.epochs > 'a'", "Spacey Run");         /* text order, text values only */
	SEL("params.epochs < 'z'", "Spacey Run");
	SEL("params.epochs = many", "Spacey Run");
	SEL("params.epochs > -1", "alpha-bert beta-resnet gamma-bert");
	SEL("params.optimizer = adam", "alpha-bert x' or 1=1 --");
	SEL("params.optimizer ~ 'adam*'", "alpha-bert gamma-bert x' or 1=1 --");
	SEL("params.optimizer !~ 'adam*'", "beta-resnet");
	SEL("params.optimizer in (sgd, adamw)", "beta-resnet gamma-bert");
	SEL("params.optimizer not in (sgd, adamw)", "alpha-bert x' or 1=1 --");
	SEL("params.epochs in (5, 20, many)", "Spacey Run beta-resnet gamma-bert");
	SEL("params.amp = true", "alpha-bert");
	SEL("params.amp = false", "beta-resnet");
	SEL("params.lr ~ '0.0*'", "beta-resnet");         /* a glob sees numbers as text */
	SEL("params.lr exists", "alpha-bert beta-resnet gamma-bert");
	SEL("params.lr not exists", "Spacey Run delta x' or 1=1 --");
	SEL("not params.lr exists", "Spacey Run delta x' or 1=1 --");
	SEL("params.nope > 1", "-");
	SEL("not params.nope > 1", "Spacey Run alpha-bert beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("params.nope != 1", "-");
	SEL("params.model.layers.0 = 512", "alpha-bert");
	SEL("params.data/path-v2 = /data/a", "alpha-bert");
	SEL("params.\"my key\" = 1", "alpha-bert");
	SEL("params.`my key` = 1", "alpha-bert");
	SEL("`params.my key` exists", "alpha-bert");
	SEL("param.epochs = 20", "beta-resnet");
	SEL("params.Epochs = 20", "-");                   /* keys are case-sensitive */
	teardown();
}

TEST(metrics)
{
	setup();
	SEL("metrics.loss < 0.3", "alpha-bert");          /* last */
	SEL("metrics.loss.last < 0.3", "alpha-bert");
	SEL("metrics.loss.min <= 0.1", "alpha-bert");
	SEL("metrics.loss.max > 1.5", "beta-resnet");
	SEL("metrics.loss.first = 2", "beta-resnet");
	SEL("metrics.loss.count = 3", "alpha-bert");
	SEL("metrics.loss.count >= 2", "alpha-bert beta-resnet");
	SEL("metrics.loss != 0.5", "alpha-bert");
	SEL("metrics.loss in (0.5, 7)", "beta-resnet");
	SEL("metrics.loss not in (0.5)", "alpha-bert");
	SEL("metrics.loss exists", "alpha-bert beta-resnet");
	SEL("metrics.loss not exists", "Spacey Run delta gamma-bert x' or 1=1 --");
	SEL("metrics.acc > 0.5 and metrics.loss < 1", "alpha-bert");
	SEL("metrics.\"val loss\" = 3", "gamma-bert");
	SEL("metrics.`val loss`.max = 3", "gamma-bert");
	SEL("metrics.\"val loss\".count = 1", "gamma-bert");
	SEL("metrics.nope > 0", "-");
	SEL("not metrics.nope > 0", "Spacey Run alpha-bert beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("metrics.loss > '0.4'", "beta-resnet");
	is_str(sel("metrics.loss > low"), "E15", "a metric needs a number");
	is_str(sel("metrics.loss ~ 1"), "E13", "no glob on metrics");
	teardown();
}

TEST(times)
{
	setup();
	SEL("started > -6h", "Spacey Run alpha-bert delta");
	SEL("started > -30m", "delta");
	SEL("started >= -1d", "Spacey Run alpha-bert delta");
	SEL("started < -1d", "beta-resnet gamma-bert x' or 1=1 --");
	SEL("started > -1w", "Spacey Run alpha-bert beta-resnet delta");
	SEL("started > -2w and started < -1w", "x' or 1=1 --");
	SEL("started >= 2026-11-01 and started < 2026-11-02", "gamma-bert");
	SEL("started = 2026-11-01", "gamma-bert");        /* the whole day */
	SEL("started > 2026-11-01", "Spacey Run alpha-bert beta-resnet delta x' or 1=1 --");
	SEL("started <= 2026-11-01", "gamma-bert");
	SEL("started >= 2026-11-01T10:30", "Spacey Run alpha-bert beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("started = 2026-11-01T10:30", "gamma-bert");
	SEL("started < 2026-11-01T10:30", "-");
	SEL("started > 2026-11-01T10:29:59Z", "Spacey Run alpha-bert beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("started in (2026-11-01, 2026-10-01)", "gamma-bert");
	SEL("ended exists", "Spacey Run alpha-bert beta-resnet gamma-bert x' or 1=1 --");
	SEL("ended not exists", "delta");
	SEL("ended < 2026-11-02", "gamma-bert");
	SEL("not ended > -1h", "Spacey Run beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("duration > 1h", "gamma-bert");
	SEL("duration >= 30m", "alpha-bert gamma-bert");
	SEL("duration < 10s", "beta-resnet");
	SEL("duration = 1m", "Spacey Run x' or 1=1 --");
	SEL("duration = 2h", "gamma-bert");
	SEL("duration > 1h30m", "gamma-bert");
	SEL("duration > 2h", "-");                        /* ordering is exact */
	SEL("duration > 119m", "gamma-bert");
	SEL("duration >= 2h", "gamma-bert");
	SEL("duration <= 1m", "Spacey Run beta-resnet x' or 1=1 --");
	SEL("started < 2026-11-01T10:31", "gamma-bert");
	SEL("started > 2026-11-01T10:29", "Spacey Run alpha-bert beta-resnet delta gamma-bert x' or 1=1 --");
	SEL("duration >= 5000 and duration < 5001", "beta-resnet");   /* ms */
	SEL("duration > 5m and status = running", "delta");          /* still running: up to now */
	/* today / yesterday against a clock we control */
	int64_t day0 = now0 - now0 % 86400000LL;   /* TZ=UTC */
	SEL("started >= 2026-11-01T10:00 and started < 2026-11-01T11:00", "gamma-bert");
	SEL("started >= 2026-11-01T10:30:00 and started < 2026-11-01T10:30:01", "gamma-bert");
	SEL("started = 2026-11-01T10:30Z", "gamma-bert");
	SEL("started >= 1793529000000 and started <= 1793529000000", "gamma-bert");   /* epoch ms */
	is_str(sel("started > 2026-02-31"), "E10", "no 31 February");
	is_str(sel("started > 2026-11-01T25:00"), "E10", "no hour 25");
	is_str(sel("started > 2026-11"), "E10", "a month alone is not a time");
	sql("UPDATE runs SET started_ms=?1 WHERE id=?2", ids[DELTA], day0 + 1000);
	sql("UPDATE runs SET started_ms=?1 WHERE id=?2", ids[ALPHA], day0 - 1000);
	sql("UPDATE runs SET started_ms=?1 WHERE id=?2", ids[SPACEY], day0 - 2 * 86400000LL);
	SEL("started = today", "delta");
	SEL("started = yesterday", "alpha-bert");
	SEL("started >= yesterday and started < today", "alpha-bert");
	SEL("started < today", "Spacey Run alpha-bert beta-resnet gamma-bert x' or 1=1 --");
	is_str(sel("started > tomorrow"), "E10", "bad time fails at the value");
	ok(strstr(bc_errmsg(P), "cannot read 'tomorrow' as a time at column 11 (use -6h"),
		"time error says what works: %s", bc_errmsg(P));
	is_str(sel("started ~ 2026*"), "E8", "no glob on times");
	is_str(sel("duration > soon"), "E11", "bad duration");
	teardown();
}

/* Error position (0-based byte) and the message a user reads. */
static void
check_error(const char *filter, int want_pos, const char *want_msg)
{
	char want[32];
	snprintf(want, sizeof want, "E%d", want_pos);
	is_str(sel(filter), want, filter);
	ok(strstr(bc_errmsg(P), want_msg) != NULL, "message for [%s]: got \"%s\", want \"%s\"",
		filter, bc_errmsg(P), want_msg);
}

TEST(syntax_errors)
{
	setup();
	check_error("params.lr > ", 12, "filter: expected a value after '>' at column 13 (found the end)");
	check_error("started > )", 10, "expected a value after '>' at column 11 (found ')')");
	check_error("status =", 8, "expected a value after '=' at column 9");
	check_error("(status = failed", 16, "expected ')' at column 17 to close the '(' at column 1 (found the end)");
	check_error("a or (b and (c or d)", 20, "expected ')' at column 21 to close the '(' at column 6");
	check_error("status = failed)", 15, "unexpected ')' (no '(' to close) at column 16");
	check_error("foo = 1", 0, "unknown field 'foo' at column 1 (fields: id, name, status,");
	check_error("lr > 0.1", 0, "a param is params.lr)");
	check_error("name = 'abc", 7, "unterminated string starting at column 8");
	check_error("params.`abc = 1", 7, "unterminated name starting at column 8");
	check_error("a & b", 2, "unexpected '&' (write 'and' or &&) at column 3");
	check_error("a | b", 2, "unexpected '|' (write 'or' or ||) at column 3");
	check_error("params.lr in 1", 13, "expected '(' after 'in' at column 14 (found '1')");
	check_error("params.lr in (1 2)", 16, "expected ',' or ')' after a value in the 'in' list at column 17");
	check_error("params.lr not in ()", 18, "expected a value after '(' at column 19 (found ')')");
	check_error("params.lr in (1,", 16, "expected a value after ','");
	check_error("and x", 0, "expected a term at column 1 (found 'and')");
	check_error("x and", 5, "expected a term after 'and' at column 6 (found the end)");
	check_error("x or or y", 5, "expected a term after 'or' at column 6");
	check_error("not", 3, "expected a term after 'not'");
	check_error("()", 1, "expected a term after '(' at column 2 (found ')')");
	check_error("status", 6, "expected an operator after 'status' at column 7");
	check_error("params.lr", 9, "expected an operator after 'params.lr'");
	check_error("params.lr 0.1", 10, "expected an operator after 'params.lr' at column 11");
	check_error("params.", 7, "expected a param name after 'params.' at column 8");
	check_error("metrics. > 1", 8, "expected a metric name after 'metrics.'");
	check_error("= 3", 0, "expected a field name before '=' at column 1");
	check_error("\"name\" = 3", 7, "expected a field name before '='");
	check_error("name = a = b", 9, "expected a field name before '='");
	check_error("name = a,", 8, "unexpected ','");
	check_error("in (a)", 0, "expected a field name before 'in'");
	check_error("tag < x", 4, "'<' does not apply to tag");
	check_error("dirty = maybe", 8, "expected true or false, not 'maybe'");
	check_error("exit = zero", 7, "exit compares with numbers, not 'zero'");
	check_error("name = \"a\\x00b\"", 9, "a NUL byte");
	check_error("metrics.\"val loss\"x > 1", 18, "unexpected text after the quoted key");
	check_error("params.\"a\".max = 1", 10, "unexpected text after the quoted key");
	/* messages never carry terminal controls from the filter */
	check_error("\x1b]0;pwned\x07x = 1", 0, "unknown field '\\x1b]0;pwned\\x07x'");
	ok(!strchr(bc_errmsg(P), '\x1b') && !strchr(bc_errmsg(P), '\x07'), "no ESC or BEL in the message");
	check_error("name = 'a\x1b[2Jb' or \x1b[2J = 1", 19, "unknown field '\\x1b[2J'");
	/* columns count characters, the offset counts bytes */
	check_error("\"\xc3\xa9\" and foo = 1", 9, "unknown field 'foo' at column 9");
	check_error("name = \xc3\xa9 and", 13, "expected a term after 'and' at column 13");
	teardown();
}

static int
count_runs(void)
{
	sqlite3_stmt *st;
	int n = -1;
	if (sqlite3_prepare_v2(bc_project_db(P), "SELECT count(*) FROM runs", -1, &st, NULL) == SQLITE_OK &&
			sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static char traced[8192];

static int
trace_sql(unsigned type, void *ctx, void *stmt, void *sqltext)
{
	if (type == SQLITE_TRACE_STMT && strstr((const char *)sqltext, "FROM runs r"))
		snprintf(traced, sizeof traced, "%s", (const char *)sqltext);
	return 0;
}

TEST(hostile_input)
{
	setup();
	/* SQL in values, keys and words is data, never SQL */
	SEL("name = \"x' or 1=1 --\"", "x' or 1=1 --");
	SEL("name = \"x' or 1=1 --\" or name = \"') or 1=1 --\"", "x' or 1=1 --");
	SEL("name = a; DROP TABLE runs; --", "-");
	SEL("params.\"lr' OR 1=1 --\" exists", "-");
	SEL("params.`x\") OR 1=1 --` = 1", "-");
	SEL("metrics.\"loss') OR 1=1 --\" > 0", "-");
	SEL("tag = \"nlp' OR 'a'='a\"", "-");
	SEL("status in (failed) or name = \"1) OR (1=1\"", "beta-resnet");
	SEL("\"%\"", "-");
	SEL("\"_\"", "-");
	SEL("name ~ \"*'*\"", "x' or 1=1 --");
	is_str(sel("') or 1=1 --"), "E0", "a stray quote is a syntax error");
	is_int(count_runs(), 6, "all runs still there");
	/* no user text in the SQL text */
	sqlite3_trace_v2(bc_project_db(P), SQLITE_TRACE_STMT, trace_sql, NULL);
	SEL("params.\"k;DROP\" = 'v;DROP' and note ~ '*DROP*' or DROPWORD", "-");
	sqlite3_trace_v2(bc_project_db(P), 0, NULL, NULL);
	ok(strstr(traced, "FROM runs r WHERE") && !strstr(traced, "DROP"),
		"user text only in bound values: %s", traced);

	/* 1 MB expressions: an error or an answer, never a crash */
	size_t big = 1 << 20;
	char *s = malloc(big + 1);
	for (size_t i = 0; i < big; i++)
		s[i] = i % 2 ? ' ' : 'a';
	s[big] = '\0';
	is_str(sel(s), "E10000", "1 MB of words: too many terms");
	ok(strstr(bc_errmsg(P), "too many terms in one filter (more than 5000) at column 10001"),
		"says why: %s", bc_errmsg(P));
	memset(s, '(', big);
	is_str(sel(s), "E64", "1 MB of '(': too deeply nested");
	memset(s, '!', big);
	is_str(sel(s), "E64", "1 MB of '!': too deeply nested");
	memset(s, 'x', big);
	is_str(sel(s), "-", "a 1 MB word");
	s[0] = '"';
	is_str(sel(s), "E0", "1 MB unterminated string");
	s[big - 1] = '"';
	is_str(sel(s), "-", "a 1 MB string");
	memcpy(s, "name in (", 9);
	for (size_t i = 9; i < big - 1; i++)
		s[i] = i % 2 ? 'v' : ',';
	s[big - 1] = ')';
	ok(sel(s)[0] == 'E' && strstr(bc_errmsg(P), "too many values"), "a 500k-value list: %s",
		bc_errmsg(P));
	bc_buf b = BC_BUF_INIT;
	for (int i = 0; i < 4000; i++)
		bc_buf_printf(&b, "%sname = n%d", i ? " or " : "", i);
	bc_buf_puts(&b, " or name = delta");
	is_str(sel(b.data), "delta", "4001 terms joined by or (SQLite's depth limit is 1000)");
	bc_buf_free(&b);
	free(s);
	teardown();
}

/* Random NUL-free garbage from the filter alphabet: an answer or a located error. */
TEST(garbage)
{
	static const char *const atoms[] = {
		"name", "status", "params.lr", "metrics.loss.min", "tag", "started", "duration", "id",
		"=", "!=", "<", "<=", ">", ">=", "~", "!~", "in", "not", "exists", "and", "or", "!",
		"&&", "||", "(", ")", ",", "'", "\"", "`", "\\", "-6h", "2026-11-01", "0.1", "-1e3",
		"failed", "*", "?", "[", "]", "&", "|", ";", "--", "\xc3\xa9", "\xff", "\x1b[31m", "x",
		"params.\"a b\"", "metrics.`k`.max", "today", "5m", " ", "  ",
	};
	setup();
	unsigned seed = 12345;
	int answered = 0, errors = 0, bad = 0;
	for (int iter = 0; iter < 3000; iter++) {
		char expr[512] = "";
		int n = (int)(rand_r(&seed) % 12) + 1;
		for (int i = 0; i < n; i++) {
			strcat(expr, atoms[rand_r(&seed) % (sizeof atoms / sizeof *atoms)]);
			if (rand_r(&seed) % 3)
				strcat(expr, " ");
		}
		if (iter % 7 == 0)
			for (int i = 0; expr[i]; i++)
				if (rand_r(&seed) % 5 == 0)
					expr[i] = (char)(rand_r(&seed) % 255 + 1);
		const char *r = sel(expr);
		if (r[0] == 'E') {
			int pos = atoi(r + 1);
			errors++;
			if (pos < 0 || (size_t)pos > strlen(expr) || strncmp(bc_errmsg(P), "filter: ", 8) ||
					!strstr(bc_errmsg(P), " at column ")) {
				bad++;
				diag_bad(expr, r);
			}
		} else if (!strncmp(r, "query error", 11)) {
			bad++;
			diag_bad(expr, r);
		} else {
			answered++;
		}
	}
	ok(bad == 0, "3000 random filters: %d answered, %d located errors, %d bad", answered, errors, bad);
	ok(answered > 100 && errors > 100, "both kinds were exercised");
	teardown();
}

TEST(query_ids)
{
	setup();
	bc_run_query q = BC_RUN_QUERY_INIT;
	bc_run_list l;
	q.filter = "params.lr >= 0.01 or tag = vision";
	q.sort = "name";
	ok(bc_run_query_ids(P, &q, &l) == 0, "query: %s", bc_errmsg(P));
	is_int(l.count, 2, "two runs");
	if (l.count == 2) {
		is_str(l.ids[0], ids[ALPHA], "alpha first by name");
		is_str(l.ids[1], ids[BETA], "then beta");
	}
	bc_run_list_clear(&l);
	q.filter = "status = failed or (";
	is_int(bc_run_query_ids(P, &q, &l), BC_EINVALID, "query with a syntax error");
	is_int(l.filter_errpos, 20, "error position reaches the caller");
	bc_run_list_clear(&l);
	teardown();
}

TAP_MAIN
