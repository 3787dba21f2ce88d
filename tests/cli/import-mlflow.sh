#!/bin/sh
# SPDX-License-Identifier: MIT
# `bancada import mlflow`: a generated mlruns/ tree and SQLite db (always),
# bad input of each kind, a locked database, and every MLflow fixture in
# $BANCADA_FIXTURES checked against the files themselves.
. "$top_srcdir/tests/lib/libtest.sh"
command -v python3 >/dev/null || skip_all "python3 is needed to read exports"
# the real interpreter: version-manager shims cost a second per call
PY=$(python3 -c "import sys; print(sys.executable)")
command -v sqlite3 >/dev/null || skip_all "the sqlite3 CLI is needed to build databases"

mkdir proj && cd proj && bc init >/dev/null || exit 99
cnt() { printf %s "$1" | grep -o "$2" | head -1 | grep -o '^[0-9]*'; }

# ---- a generated file store ----
m=$T_TMP/gen/mlruns
mkdir -p "$m/1" "$m/.trash/2"
printf 'experiment_id: "1"\nlifecycle_stage: active\nname: gen exp\n' > "$m/1/meta.yaml"
printf 'experiment_id: "2"\nlifecycle_stage: deleted\nname: old\n' > "$m/.trash/2/meta.yaml"
mkrun() { # EXPDIR ID STATUS NAME
	d=$m/$1/$2; mkdir -p "$d/params" "$d/tags" "$d/metrics"
	printf 'end_time: 1700000100000\nexperiment_id: "%s"\nlifecycle_stage: active\nrun_uuid: %s\nstart_time: 1700000000000\nstatus: %s\nuser_id: u\n' \
		"${1##*/}" "$2" "$3" > "$d/meta.yaml"
	printf '%s' "$4" > "$d/tags/mlflow.runName"
	i=0; while [ $i -lt 5 ]; do echo "170000000${i}000 0.$i $i"; i=$((i + 1)); done > "$d/metrics/loss"
	printf 0.01 > "$d/params/lr"
}
mkrun 1 a1a1a1a1 3 alpha
mkrun 1 b2b2b2b2 4 beta
mkrun .trash/2 c3c3c3c3 3 gamma
out=$(bc import mlflow "$m" 2>&1); rc=$?
is "$rc" 0 "generated tree imports"
like "$out" '^mlflow: 3 added, 0 updated, 0 unchanged, 0 skipped$' "summary line counts the runs"
is "$(bc ls --ids --filter 'experiment = "gen exp"' | wc -l)" 2 "ls --filter experiment finds the experiment's runs"
is "$(bc ls --all --ids --filter 'experiment = "old"' | wc -l)" 1 "trashed experiment's run is there with --all"
is "$(bc ls --ids --filter 'experiment = "old"' | wc -l)" 0 "and hidden as deleted"
like "$(bc show beta)" 'failed' "FAILED status shown"
like "$(bc show alpha)" "mlflow $m" "source shown"
like "$(bc metrics alpha loss --csv | tail -1)" '^loss,4,0.4,1700000004000$' "series with steps, values and wall times"
# durations of running runs grow with the clock: leave them out of comparisons
export_norm() { bc export 2>/dev/null | sed 's/"duration_ms":[0-9]*,//'; }
export_norm > exp1.jsonl
out=$(bc import mlflow "$m" 2>&1)
like "$out" '0 added, 0 updated, 3 unchanged' "second import changes nothing"
export_norm > exp2.jsonl
cmp -s exp1.jsonl exp2.jsonl; ok $? "export identical after re-import"
echo "1700000005000 0.5 5" >> "$m/1/a1a1a1a1/metrics/loss"
like "$(bc import mlflow "$m" 2>&1)" '0 added, 1 updated, 2 unchanged' "a changed run is updated"
is "$(bc metrics alpha loss --csv | grep -c '^loss,')" 6 "with its new point"

# ---- metric values come in bit for bit (the fast line parser, and its fallbacks) ----
x=$T_TMP/exact/mlruns
"$PY" - "$x" <<'PYEOF' > exact-want.txt
import os, random, struct, sys
random.seed(11)
d = os.path.join(sys.argv[1], "1", "e0e0e0e0")
for sub in ("params", "tags", "metrics"):
    os.makedirs(os.path.join(d, sub))
open(os.path.join(sys.argv[1], "1", "meta.yaml"), "w").write("experiment_id: '1'\nlifecycle_stage: active\nname: exact\n")
open(os.path.join(d, "meta.yaml"), "w").write("run_uuid: e0e0e0e0\nstatus: 3\nstart_time: 1700000000000\n")
open(os.path.join(d, "tags", "mlflow.runName"), "w").write("exact")
vals = []
for i in range(20000):
    k = i % 8
    if k == 0: v = random.random()
    elif k == 1: v = 1.0 / random.randint(1, 10 ** 6)
    elif k == 2: v = struct.unpack("d", struct.pack("Q", random.getrandbits(63)))[0]
    elif k == 3: v = random.uniform(-1e6, 1e6)
    elif k == 4: v = float(random.randint(-10 ** 17, 10 ** 17))
    elif k == 5: v = random.random() * 10.0 ** random.randint(-30, 30)
    elif k == 6: v = round(random.random(), random.randint(0, 20))
    else: v = -random.random() / 1000
    if v != v or abs(v) == float("inf"): v = 0.5
    vals.append(v)
with open(os.path.join(d, "metrics", "v"), "w") as f:
    f.write("".join("%d %r %d\n" % (1700000000000 + i, v, i) for i, v in enumerate(vals)))
print("\n".join(struct.pack(">d", v).hex() for v in vals))
PYEOF
mkdir exact && (cd exact && bc init >/dev/null && bc import mlflow -q "$x" && bc export 2>/dev/null) > exact.jsonl
"$PY" -c "import json, struct, sys
for p in json.loads(open(sys.argv[1]).readline())['series']['v']: print(struct.pack('>d', float(p[1])).hex())" exact.jsonl > exact-got.txt
cmp -s exact-want.txt exact-got.txt; ok $? "20,000 metric values of every shape read bit for bit"

# ---- bad input ----
mkrun 1 d4d4d4d4 3 delta
head -c 30 "$m/1/d4d4d4d4/meta.yaml" > t && mv t "$m/1/d4d4d4d4/meta.yaml"
printf '1700000000000 0.5 0\nnot a number\n1700000001000 0.25 1\n' > "$m/1/b2b2b2b2/metrics/acc"
head -c 1048576 /dev/zero | tr '\0' x > "$m/1/b2b2b2b2/params/huge"
mkdir -p "$T_TMP/outside/metrics"; echo "1 666 0" > "$T_TMP/outside/metrics/secret"
ln -s "$T_TMP/outside" "$m/1/e5e5e5e5"
ln -s "$T_TMP/outside/metrics/secret" "$m/1/a1a1a1a1/metrics/linked"
printf 'evil\033[31mred\033]0;title\007' > "$m/1/a1a1a1a1/tags/mlflow.runName"
bc import mlflow "$m" > out.txt 2> err.txt; rc=$?
is "$rc" 1 "a run that cannot be read makes the exit status 1"
like "$(cat err.txt)" "d4d4d4d4/meta.yaml: .*run skipped" "truncated meta.yaml named in a warning"
like "$(cat err.txt)" "b2b2b2b2/metrics/acc:2: malformed metric line skipped" "garbage metric line: file and line"
like "$(cat err.txt)" "param 'huge' is 1048576 bytes: kept the first 65536" "1 MB param cut with a warning"
like "$(cat err.txt)" "e5e5e5e5: symbolic link not followed" "symlinked run dir not followed"
like "$(cat err.txt)" "metrics/linked: symbolic link not followed" "symlinked metric file not followed"
like "$(cat out.txt)" '0 added, 2 updated, 1 unchanged, 1 skipped, 1 bad metric lines skipped' "the rest still imports"
bc export 2>/dev/null | grep -q "\"linked\"\|\"secret\""; ok $((! $?)) "nothing read through the symlinks"
bc ls > ls.txt; no_raw_controls ls.txt; ok $? "hostile run name: no raw control bytes in ls"
like "$(cat ls.txt)" 'evil\\x1b\[31mred' "and shown escaped"
evil=$(bc export 2>/dev/null | "$PY" -c "import json,sys
for l in sys.stdin:
    d = json.loads(l)
    if d['source']['id'] == 'a1a1a1a1': print(d['id'])")
bc show "$evil" > show.txt 2>&1; no_raw_controls show.txt; ok $? "no raw control bytes in show"
like "$(cat show.txt)" 'evil\\x1b' "show escapes the name"
out=$(bc import mlflow "$T_TMP/nope" 2>&1); rc=$?
is "$rc" 1 "missing path fails"
like "$out" "^bancada: cannot open $T_TMP/nope: No such file or directory" "with a one-line error"
sqlite3 other.db 'CREATE TABLE t(x);'
out=$(bc import mlflow other.db 2>&1); rc=$?
is "$rc" 1 "non-MLflow sqlite file fails"
like "$out" 'is not an MLflow database' "and says so"
printf 'hello' > plain.txt
like "$(bc import mlflow plain.txt 2>&1)" 'neither an mlruns/ directory nor an SQLite database' "a plain file is refused"
bc import mlflow >/dev/null 2>&1; is $? 2 "no path: usage error"

# ---- a generated MLflow SQLite db, and one being written ----
sqlite3 ml.db "CREATE TABLE alembic_version(version_num VARCHAR(32));
INSERT INTO alembic_version VALUES('bd07f7e963c5');
CREATE TABLE experiments(experiment_id INTEGER PRIMARY KEY, name VARCHAR(256), artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32));
CREATE TABLE runs(run_uuid VARCHAR(32) PRIMARY KEY, name VARCHAR(250), source_type VARCHAR(20), source_name VARCHAR(500), entry_point_name VARCHAR(50), user_id VARCHAR(256), status VARCHAR(9), start_time BIGINT, end_time BIGINT, source_version VARCHAR(50), lifecycle_stage VARCHAR(20), artifact_uri VARCHAR(200), experiment_id INTEGER);
CREATE TABLE params(key VARCHAR(250), value VARCHAR(8000), run_uuid VARCHAR(32));
CREATE TABLE tags(key VARCHAR(250), value VARCHAR(8000), run_uuid VARCHAR(32));
CREATE TABLE metrics(key VARCHAR(250), value FLOAT, timestamp BIGINT, run_uuid VARCHAR(32), step BIGINT DEFAULT 0, is_nan BOOLEAN DEFAULT 0);
CREATE TABLE latest_metrics(key VARCHAR(250), value FLOAT, timestamp BIGINT, step BIGINT, is_nan BOOLEAN, run_uuid VARCHAR(32));
INSERT INTO experiments VALUES(0,'dbexp','./mlruns/0','active');
INSERT INTO runs VALUES('f1f1','',NULL,NULL,NULL,'u','FINISHED',1700000000000,1700000001000,NULL,'active',NULL,0);
INSERT INTO runs VALUES('f2f2','',NULL,NULL,NULL,'u','KILLED',1700000000000,1700000001000,NULL,'active',NULL,0);
INSERT INTO tags VALUES('mlflow.runName','db run','f1f1');
INSERT INTO params VALUES('depth','7','f1f1');
INSERT INTO metrics VALUES('auc',0.5,1700000000500,'f1f1',0,0),('auc',0,1700000000600,'f1f1',1,1);"
like "$(bc import mlflow "sqlite:///ml.db" 2>&1)" '^mlflow: 2 added' "sqlite:/// URI accepted"
like "$(bc metrics 'db run' auc --csv | tail -1)" '^auc,1,nan,' "is_nan=1 comes in as NaN"
like "$(bc show 'db run')" 'interrupted|dbexp' "KILLED and experiment mapped"
# locker.py DB MODE READY RELEASE: hold a write transaction from the moment
# READY is created until the test creates RELEASE (not for a fixed time: a
# loaded machine may take seconds to run the import in between)
cat > locker.py <<'EOF'
import os, sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
con.execute("BEGIN " + sys.argv[2])
con.execute("INSERT INTO runs(run_uuid, status, start_time, experiment_id, lifecycle_stage) VALUES('f9f9', 'RUNNING', 1, 0, 'active')")
open(sys.argv[3], "w").close()
end = time.time() + 120
while not os.path.exists(sys.argv[4]) and time.time() < end:
    time.sleep(0.02)
con.execute("COMMIT")
print("committed")
EOF
"$PY" locker.py ml.db IMMEDIATE ready1 release1 > locker1.out & pid=$!
while [ ! -e ready1 ]; do sleep 0.05; done
out=$(bc import mlflow ml.db 2>&1); rc=$?
touch release1
is "$rc" 0 "import while MLflow holds a write transaction"
like "$out" '0 added, 0 updated, 2 unchanged' "uncommitted rows are not seen"
wait $pid
is "$(cat locker1.out)" committed "the writer was not blocked by the read-only import"
like "$(bc import mlflow ml.db 2>&1)" '1 added, 0 updated, 2 unchanged' "its run comes in once committed"
sqlite3 ml.db "DELETE FROM runs WHERE run_uuid='f9f9'"
"$PY" locker.py ml.db EXCLUSIVE ready2 release2 > /dev/null & pid=$!
while [ ! -e ready2 ]; do sleep 0.05; done
out=$(bc import mlflow ml.db 2>&1); rc=$?
touch release2
is "$rc" 1 "an exclusively locked database fails after a short wait"
like "$out" 'locked by another process.*try again' "with a clear message"
wait $pid

# ---- the real fixtures ----
fx=${BANCADA_FIXTURES:-}
if [ -z "$fx" ] || [ ! -d "$fx/mlflow-2.16-iris" ]; then
	echo "ok $((T_N + 1)) # SKIP fixtures not found (\$BANCADA_FIXTURES)"; T_N=$((T_N + 1))
	done_testing
fi
cd "$T_TMP" && mkdir fxp && cd fxp && bc init >/dev/null
dbs=$(find "$fx"/mlflow-sqlite-* -name mlflow.db | sort)
# shellcheck disable=SC2086
bc import mlflow "$fx"/mlflow-*/mlruns $dbs > first.txt 2>&1; rc=$?
is "$rc" 0 "every MLflow fixture imports"
is "$(grep -c ': [0-9]* added, 0 updated, 0 unchanged, 0 skipped$' first.txt)" \
	"$(ls -d "$fx"/mlflow-*/mlruns $dbs | wc -l)" "one summary line per source, all added"
export_norm > all1.jsonl
cat > check.py <<'EOF'
import json, math, os, sqlite3, sys
fx = sys.argv[1]
runs = [json.loads(l) for l in open(sys.argv[2])]
by = {}
for r in runs:
    by.setdefault(r["source"]["path"], {})[r["source"]["id"]] = r
bad = []
def fl(v):
    return float(v) if isinstance(v, str) else v
def same(a, b):
    a, b = fl(a), fl(b)
    return (a is None and b is None) or (a is not None and b is not None and (a == b or (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9 * max(1, abs(b))))
def num(s):
    try: return float(s)
    except ValueError: return None
nrun = nser = 0
for fixture in sorted(os.listdir(fx)):
    top = os.path.join(fx, fixture, "mlruns")
    if not os.path.isdir(top):
        continue
    got = by.get(os.path.realpath(top), {})
    want = 0
    for dirpath, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(dirpath, d))]
        if "meta.yaml" not in files or "models" in os.path.relpath(dirpath, top).split(os.sep):
            continue
        meta = open(os.path.join(dirpath, "meta.yaml")).read()
        if "\nrun_uuid:" not in "\n" + meta and "\nrun_id:" not in "\n" + meta:
            continue
        want += 1; nrun += 1
        rid = os.path.basename(dirpath)
        r = got.get(rid)
        if not r:
            bad.append("%s: run %s missing" % (fixture, rid)); continue
        deleted = ".trash" in dirpath.split(os.sep) or "lifecycle_stage: deleted" in meta
        if r["deleted"] != deleted:
            bad.append("%s/%s: deleted %s" % (fixture, rid, r["deleted"]))
        tags = os.path.join(dirpath, "tags", "mlflow.runName")
        if os.path.exists(tags):
            name = open(tags).read()
            if name and not r["name"].startswith(name):
                bad.append("%s/%s: name %r, want %r" % (fixture, rid, r["name"], name))
        pdir = os.path.join(dirpath, "params")
        for p in (os.listdir(pdir) if os.path.isdir(pdir) else []):
            if p not in r["params"]:
                bad.append("%s/%s: param %r missing" % (fixture, rid, p))
        mdir = os.path.join(dirpath, "metrics")
        for base, _, mfiles in os.walk(mdir):
            for mf in mfiles:
                key = os.path.relpath(os.path.join(base, mf), mdir)
                pts = [l.split() for l in open(os.path.join(base, mf)) if l.strip()]
                s = r["series"].get(key)
                nser += 1
                if s is None or len(s) != len(pts):
                    bad.append("%s/%s: series %s has %s points, file %d" % (fixture, rid, key, s and len(s), len(pts)))
                elif pts and not same(s[-1][1], float(pts[-1][1])):
                    bad.append("%s/%s: %s last %r, file %r" % (fixture, rid, key, s[-1][1], pts[-1][1]))
    if len(got) != want:
        bad.append("%s: %d runs imported, %d in the tree" % (fixture, len(got), want))
for db in sys.argv[3:]:
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    got = by.get(os.path.realpath(db), {})
    ids = [x[0] for x in con.execute("SELECT run_uuid FROM runs")]
    if len(got) != len(ids):
        bad.append("%s: %d runs imported, %d in the db" % (db, len(got), len(ids)))
    for rid, key, n, in con.execute("SELECT run_uuid, key, count(*) FROM metrics GROUP BY 1, 2"):
        r = got.get(rid)
        s = r and r["series"].get(key)
        nser += 1
        if not s or len(s) != n:
            bad.append("%s: %s/%s has %s points, db %d" % (db, rid, key, s and len(s), n))
    for rid, key, val in con.execute("SELECT run_uuid, key, value FROM params"):
        if rid in got and key not in got[rid]["params"]:
            bad.append("%s: %s param %s missing" % (db, rid, key))
    for rid, key, val, isnan in con.execute("SELECT run_uuid, key, value, is_nan FROM latest_metrics"):
        m = got.get(rid, {}).get("metrics", {}).get(key)
        v = float("nan") if isnan else val
        if m is None or not same(m["last"] if m["last"] is not None else float("nan"), v):
            bad.append("%s: %s/%s last %r, latest_metrics %r" % (db, rid, key, m and m["last"], v))
print("%d runs, %d series checked" % (nrun, nser))
for b in bad[:20]:
    print("BAD " + b)
sys.exit(1 if bad else 0)
EOF
out=$("$PY" check.py "$fx" all1.jsonl $dbs); rc=$?
is "$rc" 0 "every fixture run, param, series length and last value matches the files"
echo "# $(echo "$out" | head -3)"
like "$(grep 6dd7af7f708d4a73bd7a44242142f363 all1.jsonl)" '"validation_roc_auc":\[\[0,"nan"' "the NaN metric of MLflow 3.14 is NaN"
t0=$(date +%s%N)
# shellcheck disable=SC2086
bc import mlflow "$fx"/mlflow-*/mlruns $dbs > again.txt 2>&1
t1=$(date +%s%N)
is "$(grep -c ': 0 added, 0 updated, [0-9]* unchanged, 0 skipped$' again.txt)" \
	"$(ls -d "$fx"/mlflow-*/mlruns $dbs | wc -l)" "re-import of every fixture: nothing added or updated"
echo "# re-import of every MLflow fixture (one process): $(( (t1 - t0) / 1000000 )) ms"
export_norm > all2.jsonl
cmp -s all1.jsonl all2.jsonl; ok $? "export identical after re-importing every fixture"
done_testing
