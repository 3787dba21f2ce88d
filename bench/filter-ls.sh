#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: `bancada ls --ids --filter F` over 100,000 runs with 20 params and
# 10 metrics each (the foundation issue's database), against the sqlite3 shell
# running a hand-written query for the same runs on the same file. Prints the
# time of each and the ratio. Goal: under 150 ms per filter.
#   bench/filter-ls.sh [BANCADA_BINARY]    (BENCH_RUNS=N to change the size)
# Needs python3 and the sqlite3 shell.
set -eu
BANCADA=${1:-${BANCADA:-./bancada}}
RUNS=${BENCH_RUNS:-100000}
command -v sqlite3 >/dev/null || { echo "bench: needs the sqlite3 shell"; exit 77; }
command -v python3 >/dev/null || { echo "bench: needs python3"; exit 77; }
# BENCH_PROJECT=DIR keeps the generated project in DIR and reuses it next time.
if [ -n "${BENCH_PROJECT:-}" ]; then
	dir=$BENCH_PROJECT
	mkdir -p "$dir"
else
	dir=$(mktemp -d "${TMPDIR:-/tmp}/bc-bench-filter.XXXXXX")
	trap 'rm -rf "$dir"' EXIT
fi
. "$(dirname "$0")/lib.sh"   # the real binary, not libtool's wrapper script
cd "$dir"
db=$dir/.bancada/bancada.db
[ -f "$dir/.bancada/generated" ] || {
"$BANCADA" init >/dev/null
python3 - "$db" "$RUNS" <<'PY'
import random, sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
con = sqlite3.connect(db)
con.execute("PRAGMA journal_mode=OFF")
con.execute("PRAGMA synchronous=OFF")
con.execute("PRAGMA cache_size=-262144")
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
    status = rnd.choice([1, 1, 1, 1, 1, 2, 3, 4]) if i >= 5 else 0   # a few still running
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
runs.sort(key=lambda r: r[3])   # recorded in time order, as `bancada run` does
con.executemany("INSERT INTO runs(id,name,status,started_ms,ended_ms,exit_code,host,user,git_commit,"
                "git_branch,git_dirty) VALUES(?,?,?,?,?,?,?,?,?,?,?)", runs)
con.executemany("INSERT INTO params(run,key,type,value) VALUES(?,?,?,?)", params)
con.executemany("INSERT INTO tags(run,tag) VALUES(?,?)", tags)
con.executemany("INSERT INTO metric_summary(run,key_id,first,last,min,max,count) VALUES(?,?,?,?,?,?,?)", summ)
con.commit()
con.execute("ANALYZE")
con.commit()
con.execute("PRAGMA journal_mode=WAL")
con.close()
PY
touch "$dir/.bancada/generated"
}

bin=$BANCADA
BIN=$bin python3 - "$db" "$RUNS" <<'PY'
import os, resource, sqlite3, subprocess, sys, time
db, n = sys.argv[1], sys.argv[2]
bin = os.environ["BIN"]
ORDER = " ORDER BY (r.started_ms) IS NULL, r.started_ms DESC, r.id DESC"

def best(argv):
    """Best wall time and CPU time (user+sys) of 5 runs, in ms, and the output."""
    wall = cpu = 1e9
    for _ in range(5):
        c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = subprocess.run(argv, check=True, capture_output=True).stdout
        t1 = time.perf_counter()
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = min(wall, (t1 - t0) * 1e3)
        cpu = min(cpu, (c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime) * 1e3)
    return wall, cpu, out

con = sqlite3.connect(db)
now = int(time.time() * 1000)
# an absolute minute a week before the newest run, so both sides agree on it
week = (con.execute("SELECT max(started_ms) FROM runs").fetchone()[0] - 7 * 86400000) // 60000 * 60000
week_text = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(week / 1000))
print("# %s runs, 20 params and 10 metric summaries each; best of 5; cpu = user+sys" % n)
print("# reference: the sqlite3 shell running a hand-written query with the same ORDER BY")
print("%-58s %14s %14s %6s %6s" % ("filter", "bancada ms", "sqlite3 ms", "ratio", "runs"))
print("%-58s %14s %14s" % ("", "wall / cpu", "wall / cpu"))
cases = [
    ("status = failed", "status = 2"),
    ("params.lr > 0.01 and status = finished",
     "status = 1 AND id IN (SELECT run FROM params WHERE key = 'lr' AND value > 0.01 AND value < '')"),
    ("metrics.loss < 0.05",
     "id IN (SELECT run FROM metric_summary WHERE key_id = (SELECT id FROM metric_keys WHERE key = 'loss') AND last < 0.05)"),
    ("params.optimizer = adam and metrics.acc.max > 1.4 or tag = baseline",
     "(id IN (SELECT run FROM params WHERE key = 'optimizer' AND value = 'adam') AND id IN (SELECT run FROM metric_summary WHERE key_id = 2 AND max > 1.4)) OR id IN (SELECT run FROM tags WHERE tag = 'baseline')"),
    ("started > %s and not status in (failed, crashed)" % week_text,
     "started_ms > %d AND status NOT IN (2, 4)" % week),
    ("started > -1d", "started_ms > %d" % (now - 86400000)),
    ("bert-large", "instr(lower(name), 'bert-large') > 0 OR id IN (SELECT run FROM tags WHERE tag = 'bert-large')"),
    ("params.batch_size in (16, 128) and params.opt.p09 < 0.1",
     "id IN (SELECT run FROM params WHERE key = 'batch_size' AND value IN (16, 128)) AND id IN (SELECT run FROM params WHERE key = 'opt.p09' AND value < 0.1)"),
    ("duration > 7h", "COALESCE(ended_ms, %d) - started_ms > 7 * 3600000" % now),
    ("params.seed = 77", "id IN (SELECT run FROM params WHERE key = 'seed' AND value = 77)"),
    ("not params.model exists", "id NOT IN (SELECT run FROM params WHERE key = 'model')"),
    ("", "1"),
]
worst = 0
for f, where in cases:
    sql = "SELECT r.id FROM runs r WHERE r.deleted = 0 AND (%s)%s" % (where, ORDER)
    bw, bc, out = best([bin, "ls", "--ids", "--limit", "0"] + (["--filter", f] if f else []))
    sw, sc, ref = best(["sqlite3", db, sql])
    if sorted(out.split()) != sorted(ref.split()):
        print("# MISMATCH for [%s]: bancada %d runs, reference %d" % (f, len(out.split()), len(ref.split())))
    worst = max(worst, bw)
    print("%-58s %6.0f / %5.0f %6.0f / %5.0f %6.2f %6d" % ((f or "(no filter)")[:58], bw, bc, sw, sc,
          bw / sw, len(out.split())))
print("# slowest bancada ls --filter: %.0f ms wall (goal: under 150 ms)" % worst)
PY
