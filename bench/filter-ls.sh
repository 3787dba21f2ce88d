#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: `bancada ls --ids --filter F` over 100,000 runs with 20 params and
# 10 metrics each (the foundation issue's database), against the sqlite3 shell
# running a hand-written query for the same runs on the same file. Prints the
# time of each and the ratio. Goal: under 150 ms per filter.
#   bench/filter-ls.sh [BANCADA_BINARY]    (BENCH_RUNS=N to change the size)
set -eu
BANCADA=${1:-${BANCADA:-./bancada}}
RUNS=${BENCH_RUNS:-100000}
command -v sqlite3 >/dev/null || { echo "bench: needs the sqlite3 shell"; exit 77; }
command -v python3 >/dev/null || { echo "bench: needs python3"; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/bc-bench-filter.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
"$BANCADA" init >/dev/null
db=$dir/.bancada/bancada.db
python3 - "$db" "$RUNS" <<'PY'
import random, sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
con = sqlite3.connect(db)
now = int(time.time() * 1000)
INT, FLOAT, BOOL, STRING = 1, 2, 3, 4
mkeys = ["loss", "acc", "val_loss", "val_acc", "lr_sched", "grad_norm", "f1", "precision",
         "recall", "throughput"]
con.executemany("INSERT OR IGNORE INTO metric_keys(id, key) VALUES(?, ?)",
                list(enumerate(mkeys, 1)))
runs, params, tags, summ = [], [], [], []
for i in range(n):
    started = now - rnd.randrange(90 * 86400000)
    rid = "%012x%020x" % (started, rnd.getrandbits(80))
    status = rnd.choice([1, 1, 1, 1, 2, 3, 4, 0])
    ended = None if status == 0 else started + rnd.randrange(60000, 8 * 3600000)
    name = "%s-%s-%d" % (rnd.choice(["bert", "resnet", "vit", "gpt", "unet"]),
                         rnd.choice(["base", "large", "tiny"]), i)
    runs.append((rid, name, status, started, ended, None if status == 0 else int(status != 1),
                 "gpu%d" % rnd.randrange(8), "user%d" % rnd.randrange(5), "%040x" % rnd.getrandbits(160),
                 rnd.choice(["main", "dev", "exp"]), rnd.randrange(2)))
    p = {"lr": (FLOAT, 10 ** rnd.uniform(-5, -1)), "batch_size": (INT, rnd.choice([16, 32, 64, 128])),
         "optimizer": (STRING, rnd.choice(["adam", "sgd", "adamw", "lamb"])), "epochs": (INT, rnd.randrange(1, 100)),
         "dropout": (FLOAT, rnd.random() / 2), "model": (STRING, rnd.choice(["small", "medium", "large"])),
         "seed": (INT, rnd.randrange(10000)), "amp": (BOOL, rnd.randrange(2))}
    for k in range(8, 20):
        p["opt.p%02d" % k] = (FLOAT, rnd.random()) if k % 2 else (INT, rnd.randrange(1000))
    params.extend((rid, k, t, v) for k, (t, v) in p.items())
    for t in rnd.sample(["baseline", "sweep", "ablation", "prod", "debug"], rnd.randrange(3)):
        tags.append((rid, t))
    for kid in range(1, 11):
        a, b = rnd.random(), rnd.random()
        summ.append((rid, kid, a, b, min(a, b) / 2, max(a, b) * 1.5, rnd.randrange(1, 1000)))
con.executemany("INSERT INTO runs(id,name,status,started_ms,ended_ms,exit_code,host,user,git_commit,"
                "git_branch,git_dirty) VALUES(?,?,?,?,?,?,?,?,?,?,?)", runs)
con.executemany("INSERT INTO params(run,key,type,value) VALUES(?,?,?,?)", params)
con.executemany("INSERT INTO tags(run,tag) VALUES(?,?)", tags)
con.executemany("INSERT INTO metric_summary(run,key_id,first,last,min,max,count) VALUES(?,?,?,?,?,?,?)", summ)
con.commit()
con.execute("ANALYZE")
con.commit()
PY

ms() { # best of 5 runs of a command, in ms
	best=999999
	for _ in 1 2 3 4 5; do
		t0=$(date +%s%N)
		"$@" >/dev/null
		t1=$(date +%s%N)
		t=$(( (t1 - t0) / 1000000 ))
		[ "$t" -lt "$best" ] && best=$t
	done
	echo "$best"
}

echo "# $RUNS runs, 20 params and 10 metric summaries each"
printf '%-62s %8s %8s %6s %6s\n' filter bancada sqlite3 ratio runs
bench() { # FILTER REFERENCE_WHERE
	n=$("$BANCADA" ls --ids --filter "$1" | wc -l)
	ref=$(sqlite3 "$db" "SELECT count(*) FROM runs r WHERE r.deleted = 0 AND ($2)")
	[ "$n" = "$ref" ] || echo "# MISMATCH for [$1]: bancada $n, reference $ref"
	b=$(ms "$BANCADA" ls --ids --filter "$1")
	s=$(ms sqlite3 "$db" "SELECT id FROM runs r WHERE r.deleted = 0 AND ($2) ORDER BY started_ms DESC")
	printf '%-62s %6sms %6sms %6s %6s\n' "$1" "$b" "$s" \
		"$(awk -v a="$b" -v b="$s" 'BEGIN { printf "%.2f", a / (b ? b : 1) }')" "$n"
}
bench 'status = failed' 'status = 2'
bench 'params.lr > 0.01 and status = finished' \
	"status = 1 AND id IN (SELECT run FROM params WHERE key = 'lr' AND value > 0.01)"
bench 'metrics.loss < 0.05' \
	"id IN (SELECT run FROM metric_summary WHERE key_id = (SELECT id FROM metric_keys WHERE key = 'loss') AND last < 0.05)"
bench 'params.optimizer = adam and metrics.acc.max > 1.4 or tag = baseline' \
	"(id IN (SELECT run FROM params WHERE key = 'optimizer' AND value = 'adam') AND id IN (SELECT run FROM metric_summary WHERE key_id = 2 AND max > 1.4)) OR id IN (SELECT run FROM tags WHERE tag = 'baseline')"
bench 'started > -7d and not status in (failed, crashed)' \
	"started_ms > CAST(strftime('%s','now') AS INTEGER) * 1000 - 7 * 86400000 AND status NOT IN (2, 4)"
bench 'bert-large' "instr(lower(name), 'bert-large') > 0 OR id IN (SELECT run FROM tags WHERE tag = 'bert-large')"
bench 'params.batch_size in (16, 128) and params.opt.p09 < 0.1' \
	"id IN (SELECT run FROM params WHERE key = 'batch_size' AND value IN (16, 128)) AND id IN (SELECT run FROM params WHERE key = 'opt.p09' AND value < 0.1)"
bench 'duration > 7h' "COALESCE(ended_ms, CAST(strftime('%s','now') AS INTEGER) * 1000) - started_ms > 7 * 3600000"
bench 'not params.model exists' "id NOT IN (SELECT run FROM params WHERE key = 'model')"
