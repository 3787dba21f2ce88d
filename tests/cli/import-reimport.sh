#!/bin/sh
# SPDX-License-Identifier: MIT
# Re-importing an mlruns/ tree: a run whose files keep their names, sizes and
# mtimes is skipped without being read or rewritten; a metric file that grew
# brings its new points; a new run comes in; a run removed from the tree stays
# as it was; --full reads everything again.
. "$top_srcdir/tests/lib/libtest.sh"
command -v sqlite3 >/dev/null || skip_all "the sqlite3 CLI is needed to look into the store"

mkdir proj && cd proj && bc init >/dev/null || exit 99
m=$T_TMP/mlruns
mkdir -p "$m/1"
printf 'experiment_id: "1"\nlifecycle_stage: active\nname: re\n' > "$m/1/meta.yaml"
mkrun() { # ID NAME
	d=$m/1/$1; mkdir -p "$d/params" "$d/tags" "$d/metrics"
	printf 'end_time: 1700000100000\nexperiment_id: "1"\nlifecycle_stage: active\nrun_uuid: %s\nstart_time: 1700000000000\nstatus: 3\nuser_id: u\n' \
		"$1" > "$d/meta.yaml"
	printf '%s' "$2" > "$d/tags/mlflow.runName"
	i=0; while [ $i -lt 5 ]; do echo "170000000${i}000 0.$i $i"; i=$((i + 1)); done > "$d/metrics/loss"
	printf 0.01 > "$d/params/lr"
}
mkrun a1a1a1a1 alpha
mkrun b2b2b2b2 beta
mkrun c3c3c3c3 gamma
mkrun d4d4d4d4 delta
mkrun e5e5e5e5 epsilon
like "$(bc import mlflow "$m" 2>&1)" '^mlflow: 5 added, 0 updated, 0 unchanged, 0 skipped$' "first import"
chunks() { sqlite3 .bancada/bancada.db "SELECT hex(c.data) FROM metric_chunks c JOIN runs r ON r.id = c.run WHERE r.name = '$1' ORDER BY c.seq"; }
beta_before=$(chunks beta)

# same size, same mtime, other bytes (same inode): the fingerprint cannot
# see it, so the value that comes back proves the file was not read again
f=$m/1/b2b2b2b2/metrics/loss
touch -r "$f" ref
printf '1700000000000 0.9 0\n' | dd of="$f" conv=notrunc 2>/dev/null
touch -r ref "$f"
out=$(bc import mlflow "$m" 2>&1); rc=$?
is "$rc" 0 "re-import with nothing changed succeeds"
is "$out" 'mlflow: 0 added, 0 updated, 5 unchanged, 0 skipped' "every run unchanged"
like "$(bc metrics beta loss --csv | grep '^loss,0,')" '^loss,0,0,' "an unchanged run is not read again"
is "$(chunks beta)" "$beta_before" "nor rewritten"

# appended points change the size and mtime
echo "1700000005000 0.5 5" >> "$m/1/a1a1a1a1/metrics/loss"
echo "1700000006000 0.25 6" >> "$m/1/a1a1a1a1/metrics/loss"
# a new metric file in another run, a new run, and a run removed from the tree
i=0; while [ $i -lt 3 ]; do echo "170000000${i}000 1.$i $i"; i=$((i + 1)); done > "$m/1/c3c3c3c3/metrics/acc"
mkrun f6f6f6f6 zeta
rm -rf "$m/1/e5e5e5e5"
out=$(bc import mlflow "$m" 2>&1); rc=$?
is "$rc" 0 "re-import after changes succeeds"
is "$out" 'mlflow: 1 added, 2 updated, 2 unchanged, 0 skipped' "new run added, changed runs updated"
is "$(bc metrics alpha loss --csv | grep -c '^loss,')" 7 "a grown metric file brings its new points"
like "$(bc metrics alpha loss --csv | tail -1)" '^loss,6,0.25,1700000006000$' "the last new point"
is "$(bc metrics gamma acc --csv | grep -c '^acc,')" 3 "a new metric file comes in"
is "$(bc metrics zeta loss --csv | grep -c '^loss,')" 5 "the new run has its series"
is "$(bc ls --ids --filter 'name = "epsilon"' | wc -l)" 1 "a run removed from the tree stays imported"
is "$(bc metrics epsilon loss --csv | grep -c '^loss,')" 5 "with its series"
is "$(chunks beta)" "$beta_before" "the unchanged run is still not rewritten"
out=$(bc import mlflow "$m" 2>&1)
is "$out" 'mlflow: 0 added, 0 updated, 5 unchanged, 0 skipped' "then nothing is left to do"
is "$(sqlite3 .bancada/bancada.db "SELECT count(*) FROM runs WHERE src_tool = 'mlflow'")" 6 "no duplicates"

# a metric file rewritten to the same size with a new mtime is read again
printf '1700000000000 0.7 0\n' | dd of="$f" conv=notrunc 2>/dev/null
touch -d '2030-01-01 00:00:00' "$f"
like "$(bc import mlflow "$m" 2>&1)" '0 added, 1 updated, 4 unchanged' "a new mtime makes the run read"
like "$(bc metrics beta loss --csv | grep '^loss,0,')" '^loss,0,0.7,' "and its new value comes in"

# --full reads every run; contents equal to the store's are still unchanged
printf '1700000000000 0.1 0\n' | dd of="$f" conv=notrunc 2>/dev/null
touch -d '2030-01-01 00:00:00' "$f"
like "$(bc import mlflow --full "$m" 2>&1)" '0 added, 1 updated, 4 unchanged' "--full re-reads and finds the one change"
like "$(bc metrics beta loss --csv | grep '^loss,0,')" '^loss,0,0.1,' "even with the mtime kept"
done_testing
