#!/bin/sh
# SPDX-License-Identifier: MIT
# The workbench in a real terminal (tmux, private socket) at 80x24 and
# 200x50: open, filter, sort, mark, compare, diff, plot, help, resize down to
# 1x1 and back, and exit within a second when the terminal goes away.
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
have_tmux || skip_all "tmux is not installed"
trap 'tm_stop; t_cleanup' EXIT

tui_project "$T_TMP/proj" || { echo "Bail out! cannot make the project"; exit 1; }
start() { # start W H: the workbench in tmux, pid in $T_TMP/pid
	tm_stop
	tm_start "$1" "$2" -c "$PWD" "env TERM=xterm-256color LC_ALL=C.UTF-8 sh -c 'echo \$\$ > $T_TMP/pid; exec $BANCADA'"
}
keys() { tm send-keys -t main "$@"; }

start 80 24
tm_check '\[runs\] 4 runs' "80x24: the runs view opens"
like "$(tm_screen)" 'delta +finished' "80x24: newest run first with its status"

keys / 'params.lr > 0.1' Enter
tm_check '\[runs\] 2 runs +filter: params.lr > 0.1' "filter prompt narrows to 2 runs"
keys / C-u 'params.lr >> 1' Enter
tm_check '\^ filter: expected' "a filter syntax error shows a caret at the position"
keys Escape : 'filter' Enter
tm_check '\[runs\] 4 runs' ":filter with no expression shows every run again"

keys : 'sort name' Enter
tm_wait 'name▲'
like "$(tm_screen | sed -n 3p)" 'alpha' "sort by name puts alpha first"
keys : 'sort -started' Enter
tm_wait 'started▼'

keys g Space Space c
tm_check '\[compare\] 2 runs' "space marks, c compares the marked runs"
like "$(tm_screen)" 'params.lr +0.05 +0.4 \(\+0.35\)' "compare shows the delta against the first run"
keys =
tm_check 'all rows' "= shows all rows"
keys q d
tm_check '\[diff\] 0191c00 gamma .. 0191d00 delta' "d diffs the two marked runs (older first)"
keys q p
tm_check '\[plot\] loss vs step' "p plots the marked runs"
like "$(tm_screen)" '● delta +■ gamma|● gamma +■ delta' "the plot has a legend with one marker per run"
keys x
tm_check '\[plot\] loss vs time' "x switches the plot to wall time"
keys q ?
tm_check '\[help\] runs' "? shows the keys of the runs view"
keys q u g Enter
tm_check '\[run\] 0191d00 delta' "Enter opens the run"
keys Tab
tm_wait '2 params .*'
like "$(tm_screen | sed -n 3p)" 'batch += 64' "Tab moves to the params tab"
keys q

# resize: bigger, tiny, 1x1 and back: no crash, a full redraw
tm resize-window -t main -x 200 -y 50
sleep 0.3
tm_check 'acc' "200x50: more columns appear (metrics.acc)"
tm resize-window -t main -x 20 -y 5
sleep 0.3
tm resize-window -t main -x 1 -y 1
sleep 0.3
tm resize-window -t main -x 80 -y 24
tm_check '\[runs\] 4 runs' "after shrinking to 1x1 and growing back the runs view is redrawn"
pid=$(cat "$T_TMP/pid")
alive "$pid"
ok $? "still running after the resizes"

# hang-up: the terminal disappears; the workbench must exit (in about a
# second; 5 s allowed for a loaded CI machine)
tm kill-server
gone=1
for i in $(seq 1 50); do
	if ! alive "$pid"; then gone=0; break; fi
	sleep 0.1
done
ok $gone "exits when the terminal hangs up (within 5 s)"

# 200x50 from the start, then q quits
start 200 50
tm_wait '\[runs\] 4 runs'
like "$(tm_screen | sed -n 2p)" 'batch +lr +opt +acc +loss' "200x50: varying params and metrics are columns"
keys q
pid=$(cat "$T_TMP/pid")
for i in $(seq 1 200); do alive "$pid" || break; sleep 0.1; done   # up to 20 s on a loaded machine
alive "$pid"
ok $((! $?)) "q in the runs view quits"

# unknown TERM inside a terminal: the ls output with a note, not an ncurses error
tm_stop
tm_start 100 10 -c "$PWD" "env TERM=doesnotexist $BANCADA 2>&1; sleep 5"
tm_check 'showing `bancada ls`' "unknown TERM falls back to bancada ls with a note"
like "$(tm_screen)" 'delta +finished' "the fallback lists the runs"
done_testing
