#!/bin/sh
# SPDX-License-Identifier: MIT
# Live behaviour in a real terminal: a run started in the background appears
# in the open workbench within a second or so, its metrics update in the
# table, and the logs tab follows its output; the workbench never blocks the
# writer (no read transaction held while idle).
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
have_tmux || skip_all "tmux is not installed"
trap 'touch "$T_TMP/proj/live.stop" 2>/dev/null; tm_stop; [ -n "${rpid:-}" ] && kill "$rpid" 2>/dev/null; t_cleanup' EXIT

tui_project "$T_TMP/proj" || { echo "Bail out! cannot make the project"; exit 1; }
keys() { tm send-keys -t main "$@"; }

tm_start 120 30 -c "$PWD" "env -u LINES -u COLUMNS TERM=xterm-256color LC_ALL=C.UTF-8 $BANCADA"
tm_check '\[runs\] 4 runs' "the workbench opens"
keys : 'set columns = name,status,duration,metrics.loss' Enter
tm_check 'loss' "columns set from the prompt"

# a live run: one step every 0.2 s, printing a line per step, until the test
# touches live.stop (so it is still running however loaded the machine is;
# at most 2 minutes)
cat > live.sh <<'EOF'
i=0
while [ $i -lt 600 ] && [ ! -e live.stop ]; do
	i=$((i + 1))
	echo "{\"step\": $i, \"loss\": $(awk -v i=$i 'BEGIN{printf "%.3f", 500/i}')}" >> "$BANCADA_METRICS"
	echo "tick $i"
	sleep 0.2
done
EOF
"$BANCADA" run -q -n livejob -- sh live.sh > /dev/null 2>&1 &
rpid=$!
# the deadlines are generous (a loaded CI machine): what is checked is that
# the screen changes, not how fast
# next_value CMD OLD: wait up to 20 s until CMD (reading the screen) prints a
# value other than OLD and not empty; print the last value seen
next_value() {
	local i v=
	for i in $(seq 1 200); do
		v=$(tm_screen | $1)
		[ -n "$v" ] && [ "$v" != "$2" ] && break
		sleep 0.1
	done
	printf '%s' "$v"
}
loss() { grep livejob | awk '$NF ~ /^[0-9][0-9.e+-]*$/ { print $NF }'; }   # not the duration
tick() { grep -o 'tick [0-9]*' | tail -1; }
tm_check 'livejob +. running' "the new run appears while it runs (marked running)" 20
tm_check '\[runs\] 5 runs' "the title counts it" 20
l1=$(next_value loss "")
l2=$(next_value loss "$l1")
ok $([ -n "$l1" ] && [ -n "$l2" ] && [ "$l1" != "$l2" ]; echo $?) "its loss updates in the table ($l1 -> $l2)"

# logs: follow mode tails the output
keys g Enter 4
tm_check 'tick [0-9]+' "the logs tab shows the output" 20
tm_check '\[following\]' "follow mode is on for a live run" 20
t1=$(tm_screen | tick)
t2=$(next_value tick "$t1")
ok $([ -n "$t1" ] && [ "$t1" != "$t2" ]; echo $?) "the pager follows new lines ($t1 -> $t2)"

# the writer is never blocked by the open workbench
touch live.stop
wait "$rpid"
ok $? "the run finished normally while the workbench was open"
rpid=
tm_check 'finished' "the run view shows it finished" 20
keys q
tm_check 'livejob +finished' "the table shows it finished" 20
tm_stop
done_testing
