#!/bin/sh
# SPDX-License-Identifier: MIT
# Bad input and faults: refs, malformed channels, NaN/Inf, huge values, hostile
# text on every output path, concurrent writers, kill -9, read-only projects.
. "$top_srcdir/tests/lib/libtest.sh"

new_repo proj
cd proj

# ambiguous and unknown references
bc run -n aa -- true >/dev/null; bc run -n bb -- true >/dev/null
out=$(bc show 0 2>&1); rc=$?
is "$rc" 1 "an ambiguous prefix is an error"
like "$out" "ambiguous.*aa.*bb|ambiguous.*bb.*aa" "the error lists the candidates"
out=$(bc diff aa zz 2>&1); rc=$?
is "$rc" 1 "unknown second reference"
like "$out" "no run 'zz'" "names the bad reference"
out=$(bc show '@~9' 2>&1)
like "$out" "fewer runs" "@~N beyond history explained"
out=$(bc frobnicate 2>&1); rc=$?
is "$rc" 2 "unknown command is a usage error"

# malformed channel lines are skipped and counted; the run does not fail
cat > bad.sh <<'S'
printf '{"step": 0, "loss": 1.0}\nnot json\n{"loss": \n{"step": 1, "loss": NaN}\n{"step": 2, "loss": Infinity}\n{"step": 9223372036854775807, "loss": 0.5}\n{"step": 1e400, "loss": 1}\n' >> "$BANCADA_METRICS"
S
bc run -n chan -- sh bad.sh >/dev/null 2>&1
is "$?" 0 "malformed lines do not fail the run"
j=$(bc show chan --json)
like "$j" '"status": "finished"' "run finished"
like "$j" '"bad_metric_lines": 3' "three malformed lines counted"
like "$j" '"count": 4' "four good points kept"
like "$(bc metrics chan loss --csv)" "9223372036854775807,0.5" "INT64_MAX step kept"
like "$(bc metrics chan loss --json)" '"nan"' "NaN kept in the series (as a JSON string)"
like "$(bc show chan)" "3 malformed metric lines" "show warns about skipped lines"

# 1 MB param value
printf '{"blob": "%s"}' "$(head -c 1048576 /dev/zero | tr '\0' 'x')" > big.json
bc run -n bigparam --params big.json -- true >/dev/null
is "$(bc show bigparam --json | grep -o 'xxxxx*' | head -1 | wc -c | tr -d ' ')" 1048577 "1 MB param stored and shown whole"

# hostile text: names, params, tags, notes, log lines, metric keys, errors
esc=$(printf '\033]0;PWNED\007\033[2J\033[31mred\rover\bX\302\233x\342\200\256evil\377')
bc run -n "h$esc" -t "t$esc" -m "n$esc" -p "k$esc=v$esc" -- sh -c "printf 'log$esc\n'; printf '{\"m$esc\": 1}\n' >> \"\$BANCADA_METRICS\"" > /dev/null 2>&1
for cmd in "ls" "ls --json" "ls --csv" "show @" "show @ --json" "diff aa @" "diff aa @ --json" "logs @" "metrics @" "metrics @ --csv" "export"; do
	bc $cmd > out.txt 2>&1
	no_raw_controls out.txt; ok $? "no raw control bytes from data: bancada $cmd"
done
bc show "x$esc" > out.txt 2>&1
no_raw_controls out.txt; ok $? "no raw control bytes in an error quoting a hostile reference"
like "$(bc show @)" 'h\\x1b\]0;PWNED' "escapes are shown visibly"

# 8 concurrent writers plus a reader: no lost points, no "database is locked"
cat > writer.sh <<'S'
i=0
while [ $i -lt 300 ]; do printf '{"step": %d, "v": %d}\n' $i $i >> "$BANCADA_METRICS"; i=$((i+1)); done
"$BANCADA" param done=1
S
(while :; do bc ls >/dev/null 2>>reader.err; done) & reader=$!
pids=""
for w in 1 2 3 4 5 6 7 8; do
	bc run -q -n "w$w" --sample 0.2 -- sh writer.sh > "w$w.out" 2>&1 & pids="$pids $!"
done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
kill "$reader" 2>/dev/null; wait "$reader" 2>/dev/null
is "$fails" 0 "8 concurrent runs all succeed"
total=0
for w in 1 2 3 4 5 6 7 8; do
	c=$(bc metrics "w$w" v --csv | tail -n +2 | wc -l)
	total=$((total + ${c:-0}))
done
is "$total" 2400 "0 lost points across 8 writers"
locked=$(cat w*.out reader.err 2>/dev/null | grep -c "locked")
is "$locked" 0 "no 'database is locked' reached the user"

# kill -9 of the recorder mid-run: the run becomes crashed, channel points recovered
"$BANCADA" run -q -n victim -- sh -c 'i=0; while [ $i -lt 50 ]; do printf "{\"step\": %d, \"x\": 1}\n" $i >> "$BANCADA_METRICS"; i=$((i+1)); done; echo $$ > victim-pid; touch victim-ready; exec sleep 30' > /dev/null 2>&1 &
rec=$!
n=0; while [ $n -lt 100 ] && [ ! -f victim-ready ]; do sleep 0.1; n=$((n+1)); done
kill -9 $rec; wait $rec 2>/dev/null
# only the orphaned command itself (it exec'd sleep), never anyone else's process
[ -s victim-pid ] && kill "$(cat victim-pid)" 2>/dev/null
j=$(bc show victim --json)
like "$j" '"status": "crashed"' "a run whose recorder was killed is shown as crashed"
like "$j" '"count": 50' "every point that reached the channel is recovered"
like "$(bc fsck)" "0 problems" "fsck finds the store consistent"
is "$(sqlite3 .bancada/bancada.db 'PRAGMA integrity_check')" "ok" "SQLite integrity check ok"

# concurrent first use of a project: 16 processes migrate the new store at once
mkdir ../race && (cd ../race && mkdir .bancada)
pids=""; for i in $(seq 16); do bc -C ../race ls > /dev/null 2>"../race/err$i" & pids="$pids $!"; done
fails=0; for p in $pids; do wait "$p" || fails=$((fails + 1)); done
is "$fails" 0 "16 processes opening a fresh project at once all succeed"
is "$(sqlite3 ../race/.bancada/bancada.db 'PRAGMA user_version')" "$(sqlite3 .bancada/bancada.db 'PRAGMA user_version')" "schema created once, at the current version"
is "$(sqlite3 ../race/.bancada/bancada.db "SELECT count(*) FROM sqlite_master WHERE name='runs'")" 1 "one runs table"

# read-only project
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=16m tmpfs "$T_TMP/ro" 2>/dev/null || { mkdir -p "$T_TMP/ro" && mount -t tmpfs -o size=16m tmpfs "$T_TMP/ro" 2>/dev/null; }; then
	cp -a . "$T_TMP/ro/p" && mount -o remount,ro "$T_TMP/ro"
	out=$(cd "$T_TMP/ro/p" && bc run -- true 2>&1); rc=$?
	is "$rc" 1 "recording on a read-only filesystem fails"
	like "$out" "read-only" "with a clear error"
	out=$(cd "$T_TMP/ro/p" && bc ls --columns name --csv 2>&1)
	like "$out" "victim" "reading still works on a read-only filesystem"
	umount "$T_TMP/ro"
else
	chmod -R a-w .bancada
	echo "ok $((T_N + 1)) # SKIP cannot mount tmpfs (not root)"; T_N=$((T_N + 1))
	chmod -R u+w .bancada
fi
done_testing
