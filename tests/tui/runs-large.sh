#!/bin/sh
# SPDX-License-Identifier: MIT
# The runs view on 5,000 runs, where the first screen comes from a window
# of the list and the rest from a worker thread: the title counts every run
# at once, G reaches the oldest run, sorting by a metric puts the right run
# on top (runs without the metric last), a filter's count is right, and a
# run recorded while the cursor is deep in the list keeps the cursor on its run.
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
have_tmux || skip_all "tmux is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
trap 'tm_stop; t_cleanup' EXIT

mkdir -p "$T_TMP/big" && cd "$T_TMP/big" || exit 1
"$BANCADA" init > /dev/null || { echo "Bail out! cannot init"; exit 1; }
# run i (0 = oldest) started i minutes after a fixed time; loss is a
# permutation of 0.0001 * k with its maximum on run 1234; every 7th run has no
# loss; lr cycles 0..9 (500 runs each)
python3 - .bancada/bancada.db <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
t0 = 1767225600000
con.execute("INSERT OR IGNORE INTO metric_keys(id, key) VALUES(1, 'loss')")
for i in range(5000):
    rid = "%012x%020x" % (t0 + i * 60000, i)
    con.execute("INSERT INTO runs(id,name,status,started_ms,ended_ms,exit_code) VALUES(?,?,1,?,?,0)",
                (rid, "r%05d" % i, t0 + i * 60000, t0 + i * 60000 + 5000))
    con.execute("INSERT INTO params(run,key,type,value) VALUES(?,'lr',1,?)", (rid, i % 10))
    if i % 7:
        loss = 9.0 if i == 1234 else (i * 7919 % 5000) * 0.0001
        con.execute("INSERT INTO metric_summary(run,key_id,first,last,min,max,count) VALUES(?,1,?,?,?,?,1)",
                    (rid, loss, loss, loss, loss))
con.commit()
PY
keys() { tm send-keys -t main "$@"; }
tm_start 100 30 -c "$PWD" "env -u LINES -u COLUMNS TERM=xterm-256color LC_ALL=C.UTF-8 $BANCADA"
tm_check '\[runs\] 5000 runs ' "the title counts every run"
tm_check '^  [0-9a-f]+ +r04999 ' "the newest run is on top"
keys G
tm_check ' 5000/5000' "G moves to the last line"
tm_check '^  [0-9a-f]+ +r00000 ' "G shows the oldest run"
keys g
tm_check ' 1/5000' "g moves back to the first line"

keys : 'sort -metrics.loss' Enter
tm_check 'sorted by -metrics.loss|loss' "sorting by a metric"
tm_check '^  [0-9a-f]+ +r01234 ' "the run with the largest loss is on top"
keys G
tm_check '^  [0-9a-f]+ +r00000 ' "runs without the metric come last, oldest at the end"
keys : 'sort metrics.loss' Enter
tm_check '^  [0-9a-f]+ +r02679 ' "ascending: the smallest loss first"

keys : 'sort -started' Enter
keys / 'params.lr = 3' Enter
tm_check '500 runs match' "the filter's count is in the status bar"
tm_check '\[runs\] 500 runs +filter: params.lr = 3' "and in the title"
keys G
tm_check ' 500/500' "G in a filtered list reaches its end"
tm_check '^  [0-9a-f]+ +r00003 ' "the oldest matching run"
keys : 'filter' Enter
tm_check '\[runs\] 5000 runs ' "clearing the filter shows every run"

# a new run while the cursor is far down: the cursor stays on its run
keys g
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do keys NPage; done
# 30 rows: title, header and status line leave 27 rows a page; wait for the
# last page-down to be drawn before reading the line
tm_check " $((1 + 12 * 27))/5000" "12 pages down is line $((1 + 12 * 27))"
before=$(tm_screen | head -1 | grep -o ' [0-9]*/5000' | tr -d ' ' | cut -d/ -f1)
"$BANCADA" run -q -n newest -- true > /dev/null 2>&1
tm_check '\[runs\] 5001 runs ' "a recorded run appears"
after=$(tm_screen | head -1 | grep -o ' [0-9]*/5001' | tr -d ' ' | cut -d/ -f1)
is "$after" "$((before + 1))" "the cursor stays on its run (line $before -> $after)"
keys q
tm_stop
done_testing
