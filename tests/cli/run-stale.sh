#!/bin/sh
# SPDX-License-Identifier: MIT
# A run whose recorder died never stays `running`: on this host the recorder's
# pid and boot id are checked; from another host (or when the pid cannot be
# checked) a heartbeat older than BANCADA_RUN_STALE_SECS (default 120 s) makes
# it crashed; a recorder that beats again brings its run back. The real
# binary on a real SQLite file; other hosts and boots are simulated by editing
# the run's row with the sqlite3 shell.
. "$top_srcdir/tests/lib/libtest.sh"
command -v sqlite3 >/dev/null || skip_all "needs the sqlite3 shell"

new_repo proj
cd proj
db=.bancada/bancada.db
sql() { sqlite3 -cmd '.timeout 5000' "$db" "$@"; }
now_ms() { echo $(($(date +%s) * 1000)); }
# make run NAME look as if it were still running, with the given columns
left_running() { # left_running NAME SET-CLAUSE
	sql "UPDATE runs SET status=0, ended_ms=NULL, exit_code=NULL, lost=0, crash_reason=NULL, $2 WHERE name='$1'"
}
status() { bc show "$1" --json | sed -n 's/^ *"status": "\(.*\)",*$/\1/p'; }

for n in far near reboot dead; do bc run -q -n $n -- true >/dev/null; done
host=$(sql "SELECT host FROM runs WHERE name='far'")
[ -n "$host" ]; ok $? "runs record their host"

# another host, heartbeat fresh: still running (its pid means nothing here)
left_running far "host='gpu-box-7', pid=1, boot_id='x', heartbeat_ms=$(now_ms)"
is "$(status far)" running "a run on another host with a fresh heartbeat stays running"
like "$(bc show far)" "running \(last heartbeat [0-9]+s ago\)" "show says when it last beat"

# another host, heartbeat 5 minutes old: crashed, and the reason is shown
left_running far "host='gpu-box-7', pid=1, boot_id='x', heartbeat_ms=$(($(now_ms) - 300000))"
is "$(BANCADA_RUN_STALE_SECS=600 bc show far --json | sed -n 's/^ *"status": "\(.*\)",*$/\1/p')" running \
	"BANCADA_RUN_STALE_SECS=600: a 5-minute-old heartbeat is not stale yet"
out=$(bc show far)
like "$out" "crashed \(no heartbeat from gpu-box-7 for 30[0-9]s\)" "past the default 2 minutes it is crashed, with the reason"
is "$(sql "SELECT ended_ms = heartbeat_ms FROM runs WHERE name='far'")" 1 "its end is its last heartbeat"
is "$(status far)" crashed "and stays crashed"
json=$(bc show far --json)
like "$json" '"crash_reason": "no heartbeat from gpu-box-7 for 30[0-9]s"' "show --json carries the reason"
like "$json" '"heartbeat_ms": [0-9]{13}' "and the last heartbeat"

# another host that never beat (a run recorded before heartbeats): its start counts
left_running far "host='gpu-box-7', pid=1, boot_id='x', heartbeat_ms=NULL, started_ms=$(($(now_ms) - 3600000))"
is "$(status far)" crashed "a run with no heartbeat, started an hour ago on another host, is crashed"

# this host, another boot: crashed at once, even with a live pid and a fresh heartbeat
left_running reboot "pid=$$, boot_id='00000000-0000-0000-0000-000000000000', heartbeat_ms=$(now_ms)"
like "$(bc show reboot)" "crashed \(the machine rebooted since\)" "a run from before a reboot of this host is crashed"

# this host, this boot, recorder pid gone
sh -c 'exit 0' & gone=$!; wait $gone
left_running dead "pid=$gone, heartbeat_ms=$(now_ms)"
like "$(bc show dead)" "crashed \(its recorder process is gone" "a run whose recorder pid is gone is crashed"

# fsck reports every run found crashed, and why
out=$(bc fsck); rc=$?
like "$out" "run [0-9a-f]{12} \(far\) crashed: no heartbeat from gpu-box-7" "fsck reports the lost run"
like "$out" "\(reboot\) crashed: the machine rebooted since" "fsck reports the run from before the reboot"
like "$out" "0 problems" "crashed runs are not store problems"
is "$rc" 0 "fsck exits 0"

# a live recorder beats; a run marked lost while it lives comes back to running
# (the command runs until the test touches live.stop, at most 2 minutes, and
# the test polls for up to 20 s: a loaded machine may be slow to beat)
BANCADA_RUN_HEARTBEAT_SECS=0.2 "$BANCADA" run -q -n live -- sh -c 'touch live-started
	i=0; while [ ! -e live.stop ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done' >/dev/null 2>&1 &
rec=$!
n=0; while [ $n -lt 400 ] && [ ! -f live-started ]; do sleep 0.05; n=$((n + 1)); done
# poll QUERY WANT: run the query until it prints WANT (20 s at most); print what it printed
poll() {
	n=0
	while got=$(sql "$1") && [ "$got" != "$2" ] && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
	printf '%s' "$got"
}
t0=$(date +%s%3N)   # ms: only a beat after the command started counts
beat=$(poll "SELECT heartbeat_ms > $t0 FROM runs WHERE name='live'" 1)
is "$beat" 1 "the recorder records a heartbeat while the run runs"
sql "UPDATE runs SET status=4, lost=1, crash_reason='no heartbeat from elsewhere for 999s', ended_ms=1 WHERE name='live'"
is "$(poll "SELECT status || ',' || coalesce(ended_ms, '') || ',' || coalesce(crash_reason, '') FROM runs WHERE name='live'" "0,,")" "0,," \
	"a heartbeat brings a run marked lost back to running"
is "$(status live)" running "shown running while its recorder lives"
touch live.stop
wait $rec
is "$(status live)" finished "and it finishes normally"

# a recorder killed with -9 on this host: crashed on the next open
"$BANCADA" run -q -n killed -- sh -c 'touch killed-started; sleep 30' >/dev/null 2>&1 &
rec=$!
n=0; while [ $n -lt 100 ] && [ ! -f killed-started ]; do sleep 0.05; n=$((n + 1)); done
kill -9 $rec; wait $rec 2>/dev/null
like "$(bc show killed)" "crashed \(its recorder process is gone" "kill -9 of the recorder: crashed on the next command"
is "$(sql "SELECT count(*) FROM runs WHERE status=0")" 0 "no run is left running"
sleepers=$(pgrep -f 'touch killed-started; sleep 30' || true)
[ -z "$sleepers" ] || kill $sleepers 2>/dev/null
done_testing
