#!/bin/sh
# SPDX-License-Identifier: MIT
# Sorting the runs view by a metric summary or a param, then G: the first
# screen (a window read from the top) and the last screen (a window read from
# the end, before the full list is there) show the same runs, in the same
# order, as `bancada ls --sort` prints at its two ends. 3,000 runs where some
# lack the metric, some have NaN (no value) and some lack the param, plus
# deleted runs: runs without a value come last in both directions.
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
trap 't_cleanup' EXIT

mkdir -p "$T_TMP/p" && cd "$T_TMP/p" || exit 1
"$BANCADA" init > /dev/null || { echo "Bail out! cannot init"; exit 1; }
python3 - .bancada/bancada.db <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
t0 = 1767225600000
con.execute("INSERT OR IGNORE INTO metric_keys(id, key) VALUES(1, 'loss')")
nan = float("nan")
for i in range(3000):
    rid = "%012x%020x" % (t0 + i * 60000, i)
    con.execute("INSERT INTO runs(id,name,status,started_ms,ended_ms,exit_code,deleted) "
                "VALUES(?,?,1,?,?,0,?)", (rid, "r%05d" % i, t0 + i * 60000, t0 + i * 60000 + 5000,
                int(i % 97 == 50)))
    if i % 5:
        con.execute("INSERT INTO params(run,key,type,value) VALUES(?,'lr',2,?)", (rid, (i % 13) * 0.01))
    if i % 7:
        v = (i * 7919 % 3000) * 0.001          # ties in min/max below
        if i % 11 == 0:
            row = (nan, nan, nan, nan)         # stored as NULL: no value
        else:
            row = (v + 1, v, v - i % 3, v + i % 4)
        con.execute("INSERT INTO metric_summary(run,key_id,first,last,min,max,count) "
                    "VALUES(?,1,?,?,?,?,1)", (rid,) + row)
con.commit()
PY

# names of the rows on a saved screen (lines after the title and header)
names() { sed -n '3,$p' "$1" | awk '$1 ~ /^[0-9a-f]+$/ { print $2 }'; }
rows=21   # LINES=24: title, header, 21 rows, status line

sorts="-metrics.loss metrics.loss.min -metrics.loss.max metrics.loss.first -params.lr params.lr"
# one session: each sort, its first screen, G, its last screen, back to the top
: > script
n=0
for sort in $sorts; do
	n=$((n + 1))
	printf ':sort %s\n:save-display top%d.screen\nG\n:save-display end%d.screen\nk\ng\n:save-display again%d.screen\n' \
		"$sort" $n $n $n >> script
done
tui_script script > /dev/null 2>&1
n=0
for sort in $sorts; do
	n=$((n + 1))
	"$BANCADA" ls --sort "$sort" --limit 0 --csv --columns name | sed 1d > all.txt
	is "$(names top$n.screen | tr '\n' ' ')" "$(head -n $rows all.txt | tr '\n' ' ')" \
		"sort $sort: the first screen is the top of ls --sort"
	is "$(names end$n.screen | tr '\n' ' ')" "$(tail -n $rows all.txt | tr '\n' ' ')" \
		"sort $sort: G shows the end of ls --sort"
	is "$(names again$n.screen | tr '\n' ' ')" "$(head -n $rows all.txt | tr '\n' ' ')" \
		"sort $sort: g goes back to the same first screen"
	like "$(head -1 end$n.screen)" "$(wc -l < all.txt | tr -d ' ')/$(wc -l < all.txt | tr -d ' ')\$" \
		"sort $sort: G is on the last of every run"
done

# the runs without a loss are at the end whichever the direction
"$BANCADA" ls --sort metrics.loss --limit 0 --csv --columns name,metrics.loss | tail -n 1 > last.txt
like "$(cat last.txt)" '^r[0-9]+,$' "ascending: the last run has no loss"
"$BANCADA" ls --sort -metrics.loss --limit 0 --csv --columns name,metrics.loss | tail -n 1 > last.txt
like "$(cat last.txt)" '^r[0-9]+,$' "descending: the last run has no loss"
done_testing
