#!/bin/sh
# SPDX-License-Identifier: MIT
# Live behaviour in a real terminal: a run started in the background appears
# in the open workbench within a second or so, its metrics update in the
# table, and the logs tab follows its output; the workbench never blocks the
# writer (no read transaction held while idle).
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
have_tmux || skip_all "tmux is not installed"
trap 'tm_stop; [ -n "${rpid:-}" ] && kill "$rpid" 2>/dev/null; t_cleanup' EXIT

tui_project "$T_TMP/proj" || { echo "Bail out! cannot make the project"; exit 1; }
keys() { tm send-keys -t main "$@"; }

tm_start 120 30 -c "$PWD" "env -u LINES -u COLUMNS TERM=xterm-256color LC_ALL=C.UTF-8 $BANCADA"
tm_check '\[runs\] 4 runs' "the workbench opens"
keys : 'set columns = name,status,duration,metrics.loss' Enter
tm_check 'loss' "columns set from the prompt"

# a live run: 40 steps, one every 0.25 s, printing a line per step
cat > live.sh <<'EOF'
i=0
while [ $i -lt 30 ]; do
	i=$((i + 1))
	echo "{\"step\": $i, \"loss\": $(awk -v i=$i 'BEGIN{printf "%.3f", 5/i}')}" >> "$BANCADA_METRICS"
	echo "tick $i"
	sleep 0.2
done
EOF
"$BANCADA" run -q -n livejob -- sh live.sh > /dev/null 2>&1 &
rpid=$!
tm_check 'livejob +. running' "the new run appears while it runs (marked running)" 3
tm_check '\[runs\] 5 runs' "the title counts it"
sleep 2
l1=$(tm_screen | grep livejob | awk '{print $NF}')
sleep 1.5
l2=$(tm_screen | grep livejob | awk '{print $NF}')
ok $([ -n "$l1" ] && [ -n "$l2" ] && [ "$l1" != "$l2" ]; echo $?) "its loss updates in the table ($l1 -> $l2)"

# logs: follow mode tails the output
keys g Enter 4
tm_check 'tick [0-9]+' "the logs tab shows the output"
tm_check '\[following\]' "follow mode is on for a live run"
t1=$(tm_screen | grep -o 'tick [0-9]*' | tail -1)
sleep 1.5
t2=$(tm_screen | grep -o 'tick [0-9]*' | tail -1)
ok $([ "$t1" != "$t2" ]; echo $?) "the pager follows new lines ($t1 -> $t2)"

# the writer is never blocked by the open workbench
wait "$rpid"
ok $? "the run finished normally while the workbench was open"
rpid=
tm_check 'finished' "the run view shows it finished" 3
keys q
tm_check 'livejob +finished' "the table shows it finished" 3
tm_stop
done_testing
