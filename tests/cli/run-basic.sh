#!/bin/sh
# SPDX-License-Identifier: MIT
# Tracking runs end to end: every metric and param path, ls/show/diff/metrics/logs.
. "$top_srcdir/tests/lib/libtest.sh"
export BANCADA_PYTHONPATH

new_repo proj
cd proj

# outside a project: a clear error that suggests init
out=$(cd "$T_TMP" && bc ls 2>&1); rc=$?
is "$rc" 1 "ls outside a project exits 1"
like "$out" "bancada init" "the error suggests bancada init"

cat > params.yaml <<'Y'
model:
  depth: 4
  act: relu
layers: [64, 32]
Y
cat > train.sh <<'S'
#!/bin/sh
echo "starting with $*"
i=0
while [ $i -lt 5 ]; do
  echo "step=$i loss=0.$((9 - i)) val_acc=0.$((5 + i))"
  i=$((i + 1))
done
printf '{"step": 10, "json_metric": 1.5}\n{"step": 11, "json_metric": 2.5}\n' >> "$BANCADA_METRICS"
"$BANCADA" log --step 12 shell_metric=7
"$BANCADA" param from_shell=yes
exit 0
S
chmod +x train.sh
echo "# tweak: smaller batches" >> train.py
out=$(bc run -n first -t baseline -m "a note" -p seed=42 --params params.yaml -- ./train.sh --lr 0.01 --epochs=5 --fast 2>&1)
is "$?" 0 "bancada run exits with the command's status (0)"
like "$out" "step=4 loss=0.5" "output is shown live"

j=$(bc show first --json)
like "$j" '"status": "finished"' "status finished"
like "$j" '"exit_code": 0' "exit code stored"
like "$j" '"seed": 42' "-p param typed as int"
like "$j" '"lr": 0.01' "argv --lr 0.01 became a float param"
like "$j" '"epochs": 5' "argv --epochs=5 became a param"
like "$j" '"fast": true' "argv --fast became a bool param"
like "$j" '"model.depth": 4' "nested YAML params flattened with dots"
like "$j" '"layers.1": 32' "YAML lists flattened with indices"
like "$j" '"from_shell": "yes"' "bancada param inside the run"
like "$j" '"baseline"' "tag stored"
like "$j" '"note": "a note"' "note stored"
like "$j" '"commit": "[0-9a-f]{40}"' "git commit recorded"
like "$j" '"dirty": true' "a changed tracked file makes the run dirty"
like "$j" '\+# tweak: smaller batches' "the uncommitted patch is stored"
git add train.py && git commit -qm "smaller batches"

# metrics: stdout scalars, the JSON-lines channel, bancada log
m=$(bc metrics first loss --csv)
is "$(printf '%s\n' "$m" | tail -n +2 | cut -d, -f2,3 | tr '\n' ' ')" "0,0.9 1,0.8 2,0.7 3,0.6 4,0.5 " "stdout scalars become a series with steps"
is "$(bc metrics first json_metric --csv | tail -1 | cut -d, -f2,3)" "11,2.5" "JSON-lines channel ingested"
is "$(bc metrics first shell_metric --csv | tail -1 | cut -d, -f2,3)" "12,7" "bancada log inside the run"
like "$(bc show first)" "val_acc +0.9 +0.5 +0.9" "summary: last/min/max in show"

# failing command: exit code passes through, status failed
bc run -n second -p seed=7 -- sh -c 'echo "loss: 0.3"; exit 3' >/dev/null 2>&1
is "$?" 3 "bancada run exits with the command's status (3)"
like "$(bc show second)" "failed \(exit 3\)" "failed run shown with its exit code"

# ls
out=$(bc ls)
like "$out" "^id +name +status" "ls prints a header"
like "$out" "first" "ls lists the first run"
is "$(bc ls --ids | wc -l | tr -d ' ')" 2 "two runs"
is "$(bc ls --filter 'params.seed > 10' --columns name --csv | tail -n +2)" "first" "filter on a param"
is "$(bc ls --filter 'status = failed' --columns name --csv | tail -n +2)" "second" "filter on status"
is "$(bc ls --sort params.seed --columns name --csv | tail -n +2 | tr '\n' ' ')" "second first " "sort by a param"
is "$(bc ls baseline --columns name --csv | tail -n +2)" "first" "a bare word matches a tag"
out=$(bc ls --filter 'params.seed >' 2>&1); rc=$?
is "$rc" 2 "filter syntax error is a usage error"
like "$out" "\^" "the error points at the column"
like "$(bc ls --json)" '"name":"second"' "ls --json"
like "$(bc ls --json)" '"last":0.3,' "floats print at display precision"

# refs
is "$(bc show @ --json | grep '"name"' | head -1 | tr -d ' ,')" '"name":"second"' "@ is the latest run"
is "$(bc show @~1 --json | grep '"name"' | head -1 | tr -d ' ,')" '"name":"first"' "@~1 is the one before"
out=$(bc show nosuchrun 2>&1); rc=$?
is "$rc" 1 "unknown reference exits 1"
like "$out" "no run 'nosuchrun'" "unknown reference names the reference"

# diff: only what differs
d=$(bc diff first second)
like "$d" "seed: 42 -> 7" "diff shows the changed param"
like "$d" "model.depth: 4 -> \(none\)" "a param only in one run is shown as removed"
same=$(bc diff first first)
unlike "$same" "params|metrics|seed" "diff of a run with itself shows no param or metric rows"
like "$(bc diff first second --all)" "" "diff --all runs"
like "$d" "status: finished \(exit 0\) -> failed \(exit 3\)" "diff shows the outcome"
like "$(bc diff first second --json)" '"seed"' "diff --json"
d=$(bc diff first second --code)
like "$d" "code: [0-9a-f]{12}\.\.[0-9a-f]{12}" "diff --code shows the commit range"
like "$d" "uncommitted patch of a" "diff --code shows the first run's uncommitted patch"

# logs
like "$(bc logs first)" "starting with --lr 0.01" "logs prints the stored output"

# tag, note, rm, restore, gc
bc tag second flaky && like "$(bc show second --json)" '"flaky"' "tag added"
bc note second "retry later" && like "$(bc show second)" "retry later" "note set"
bc rm second >/dev/null
is "$(bc ls --ids | wc -l | tr -d ' ')" 1 "rm hides the run"
is "$(bc ls --all --ids | wc -l | tr -d ' ')" 2 "--all shows deleted runs"
bc rm --restore second >/dev/null
is "$(bc ls --ids | wc -l | tr -d ' ')" 2 "restore brings it back"
bc rm second >/dev/null && bc gc >/dev/null
is "$(bc ls --all --ids | wc -l | tr -d ' ')" 1 "gc purges deleted runs"

# export / import into a fresh project: same runs, same series, idempotent
bc export > ../runs.jsonl 2>/dev/null
mkdir ../other && (cd ../other && bc init >/dev/null)
is "$(bc -C ../other import ../runs.jsonl)" "imported: 1 added, 0 updated, 0 unchanged" "import adds the run"
is "$(bc -C ../other import ../runs.jsonl)" "imported: 0 added, 0 updated, 1 unchanged" "import again is a no-op"
is "$(bc -C ../other metrics first --csv | md5sum)" "$(bc metrics first --csv | md5sum)" "series survive export/import"
is "$(bc -C ../other export 2>/dev/null | md5sum)" "$(bc export 2>/dev/null | md5sum)" "export of the import is identical"
done_testing
