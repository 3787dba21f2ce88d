#!/bin/sh
# SPDX-License-Identifier: MIT
# An MLflow import killed with SIGKILL half-way: the next import completes
# it, without duplicates, and a third one finds nothing to do.
. "$top_srcdir/tests/lib/libtest.sh"
command -v python3 >/dev/null || skip_all "python3 is needed to generate the tree"
# the real interpreter: version-manager shims cost a second per call
PY=$(python3 -c "import sys; print(sys.executable)")

mkdir proj && cd proj && bc init >/dev/null || exit 99
"$PY" - "$T_TMP/mlruns" <<'EOF'
import os, sys
root = sys.argv[1]
os.makedirs(os.path.join(root, "0"))
open(os.path.join(root, "0", "meta.yaml"), "w").write("experiment_id: '0'\nlifecycle_stage: active\nname: Default\n")
for r in range(200):
    rid = "%032x" % (r + 1)
    d = os.path.join(root, "0", rid)
    for sub in ("params", "tags", "metrics"):
        os.makedirs(os.path.join(d, sub))
    open(os.path.join(d, "meta.yaml"), "w").write(
        "experiment_id: '0'\nlifecycle_stage: active\nrun_id: %s\nrun_uuid: %s\nstart_time: %d\nend_time: %d\nstatus: 3\nuser_id: u\n"
        % (rid, rid, 1700000000000 + r * 1000, 1700000000500 + r * 1000))
    open(os.path.join(d, "params", "seed"), "w").write(str(r))
    open(os.path.join(d, "tags", "mlflow.runName"), "w").write("run-%d" % r)
    for m in ("loss", "acc", "lr"):
        with open(os.path.join(d, "metrics", m), "w") as f:
            for s in range(200):
                f.write("%d %r %d\n" % (1700000000000 + s, s * 0.001 + r, s))
EOF
command -v sqlite3 >/dev/null || skip_all "the sqlite3 CLI is needed to watch the import"
bc import mlflow "$T_TMP/mlruns" > first.txt 2>&1 &
pid=$!
# kill it (and the binary under the libtool wrapper) once some runs are in
n=0
while [ "$n" -lt 20 ] && kill -0 $pid 2>/dev/null; do
	n=$(sqlite3 .bancada/bancada.db 'SELECT count(*) FROM runs' 2>/dev/null || echo 0)
	sleep 0.02
done
kill -9 $(pgrep -P $pid) $pid 2>/dev/null
wait $pid 2>/dev/null
is "$(cat first.txt)" "" "the first import was killed before its summary"
echo "# killed after $n runs"
out=$(bc import mlflow "$T_TMP/mlruns" 2>&1); rc=$?
is "$rc" 0 "the import after a kill -9 succeeds"
like "$out" '^mlflow: [0-9]+ added, [0-9]+ updated, [0-9]+ unchanged, 0 skipped$' "and reports counts"
like "$(bc import mlflow "$T_TMP/mlruns" 2>&1)" '^mlflow: 0 added, 0 updated, 200 unchanged, 0 skipped$' \
	"a third import finds all 200 runs complete"
bc export 2>/dev/null > all.jsonl
"$PY" - all.jsonl <<'EOF' > check.txt
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
ids = [r["source"]["id"] for r in runs]
short = [r["name"] for r in runs for k in ("loss", "acc", "lr") if len(r["series"].get(k, [])) != 200]
print(len(runs), len(set(ids)), len(short))
EOF
is "$(cat check.txt)" "200 200 0" "200 runs, no duplicates, every series has its 200 points"
done_testing
