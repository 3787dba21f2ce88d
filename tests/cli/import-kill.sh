#!/bin/sh
# SPDX-License-Identifier: MIT
# An MLflow import killed with SIGKILL half-way (after some batches of runs
# were committed, before the last): the next import completes it, without
# duplicates, and a third one finds nothing to do.
. "$top_srcdir/tests/lib/libtest.sh"
command -v python3 >/dev/null || skip_all "python3 is needed to generate the tree"
command -v sqlite3 >/dev/null || skip_all "the sqlite3 CLI is needed to watch the import"
# the real interpreter: version-manager shims cost a second per call
PY=$(python3 -c "import sys; print(sys.executable)")
N=400

"$PY" - "$T_TMP/mlruns" "$N" <<'PYEOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(root, "0"))
open(os.path.join(root, "0", "meta.yaml"), "w").write("experiment_id: '0'\nlifecycle_stage: active\nname: Default\n")
for r in range(n):
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
            f.write("".join("%d %r %d\n" % (1700000000000 + s, s * 0.001 + r, s) for s in range(300)))
PYEOF

# The import commits every few dozen runs: kill it as soon as the first batch
# is visible. A fast machine may finish first; then try again from scratch.
killed=0
for attempt in 1 2 3 4 5; do
	rm -rf proj && mkdir proj && (cd proj && bc init >/dev/null) || exit 99
	cd proj
	bc import mlflow "$T_TMP/mlruns" > first.txt 2>&1 &
	pid=$!
	n=0
	while [ "$n" -lt 1 ] && kill -0 $pid 2>/dev/null; do
		n=$(sqlite3 .bancada/bancada.db 'SELECT count(*) FROM runs' 2>/dev/null || echo 0)
	done
	# the binary under the libtool wrapper, then the wrapper
	kill -9 $(pgrep -P $pid) $pid 2>/dev/null
	wait $pid 2>/dev/null
	n=$(sqlite3 .bancada/bancada.db 'SELECT count(*) FROM runs')
	if [ ! -s first.txt ] && [ "$n" -gt 0 ] && [ "$n" -lt "$N" ]; then
		killed=1
		break
	fi
	cd ..
done
is "$killed" 1 "an import was killed half-way (after $n runs, attempt $attempt)"
state=$(sqlite3 .bancada/bancada.db 'SELECT count(*) FROM import_state WHERE digest IS NOT NULL')
is "$state" "$n" "every run the killed import left is complete"
out=$(bc import mlflow "$T_TMP/mlruns" 2>&1); rc=$?
is "$rc" 0 "the import after a kill -9 succeeds"
like "$out" "^mlflow: [0-9]+ added, 0 updated, $n unchanged, 0 skipped\$" \
	"it adds the rest and keeps the runs already in"
like "$(bc import mlflow "$T_TMP/mlruns" 2>&1)" "^mlflow: 0 added, 0 updated, $N unchanged, 0 skipped\$" \
	"a third import finds all $N runs complete"
bc export 2>/dev/null > all.jsonl
"$PY" - all.jsonl <<'PYEOF' > check.txt
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
ids = [r["source"]["id"] for r in runs]
short = [r["name"] for r in runs for k in ("loss", "acc", "lr") if len(r["series"].get(k, [])) != 300]
print(len(runs), len(set(ids)), len(short))
PYEOF
is "$(cat check.txt)" "$N $N 0" "$N runs, no duplicates, every series has its 300 points"
done_testing
