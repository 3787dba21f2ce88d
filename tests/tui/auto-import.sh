#!/bin/sh
# SPDX-License-Identifier: MIT
# import.auto: the workbench re-imports configured sources in the background on open.
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
have_tmux || skip_all "tmux is not installed"
new_repo proj
cd proj
m=mlruns
mkdir -p "$m/1"
printf 'experiment_id: "1"\nlifecycle_stage: active\nname: auto exp\n' > "$m/1/meta.yaml"
mkrun() { # ID NAME
	d=$m/1/$1; mkdir -p "$d/params" "$d/tags" "$d/metrics"
	printf 'end_time: 1700000100000\nexperiment_id: "1"\nlifecycle_stage: active\nrun_uuid: %s\nstart_time: 1700000000000\nstatus: 3\nuser_id: u\n' "$1" > "$d/meta.yaml"
	printf '%s' "$2" > "$d/tags/mlflow.runName"
	printf '1700000000000 0.5 0\n1700000001000 0.25 1\n' > "$d/metrics/loss"
	printf 0.01 > "$d/params/lr"
}
mkrun a1a1a1a1 from-mlflow-one
mkrun b2b2b2b2 from-mlflow-two
printf 'set import.auto = mlflow:mlruns\n' > .bancada/config
tm_start 100 24 env TERM=xterm-256color "$BANCADA"
tm_check "from-mlflow-two" "runs of the configured source appear after opening"
tm_check "import.auto: 2 added" "the status bar reports the import"
mkrun c3c3c3c3 from-mlflow-three
tm send-keys -t main Q
tm_stop
tm_start 100 24 env TERM=xterm-256color "$BANCADA"
tm_check "from-mlflow-three" "a new source run comes in on the next open"
tm_check "1 added, 0 updated, 2 unchanged" "only what is new is imported"
tm send-keys -t main Q
tm_stop
printf 'set import.auto = mlflow:nowhere\n' > .bancada/config
tm_start 100 24 env TERM=xterm-256color "$BANCADA"
tm_check "import.auto: .*nowhere" "a missing source is reported, the workbench stays up"
tm send-keys -t main Q
tm_stop
done_testing
