#!/bin/sh
# SPDX-License-Identifier: MIT
# What short commands leave in the store: no checkpoint on every close (the
# WAL stays, bounded, and nothing is lost), no waiting for a reader that holds
# a snapshot open, and how `run` starts its command (posix_spawn): a command
# that cannot be run, SIGPIPE, the run's environment, and `--no-git` told
# apart from the same word in the command.
. "$top_srcdir/tests/lib/libtest.sh"
command -v sqlite3 >/dev/null || skip_all "the sqlite3 CLI is needed to read the store"

new_repo proj
cd proj
db=.bancada/bancada.db
wal_size() { if [ -f "$db-wal" ]; then wc -c < "$db-wal" | tr -d ' '; else echo 0; fi; }

# 60 runs, each its own process: every one is in the store, seen by another reader
i=0
while [ $i -lt 60 ]; do bc run -q --sample 0 -- true || break; i=$((i + 1)); done
is "$(sqlite3 "$db" 'SELECT count(*) FROM runs')" 60 "60 short runs: all 60 are in the store"
is "$(bc ls --csv --columns name | tail -n +2 | wc -l | tr -d ' ')" 60 "and listed"
# a WAL frame is one 16 KiB page plus a 24-byte header; a run writes a few
w=$(wal_size)
[ "$w" -le $(((96 + 64) * 16408 + 32)) ]; ok $? "the WAL stays bounded across closes ($w bytes)"
is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "the store is intact"

# a reader holding a read transaction: closing never waits for it
mkfifo rd
sqlite3 "$db" < rd > reader.out 2>&1 &
rpid=$!
exec 3> rd
echo "BEGIN; SELECT count(*) FROM runs;" >&3
n=0
while [ "$(cat reader.out)" = "" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
is "$(cat reader.out)" 60 "a reader holds a snapshot of 60 runs"
i=0 fails=0 longest=0
while [ $i -lt 40 ]; do
	start=$(date +%s)
	bc run -q --sample 0 -- true || fails=$((fails + 1))
	took=$(($(date +%s) - start))
	[ "$took" -gt "$longest" ] && longest=$took
	i=$((i + 1))
done
is "$fails" 0 "40 runs while the reader holds its snapshot all succeed"
[ "$longest" -lt 8 ]; ok $? "and none waits for the reader (longest ${longest}s; waiting would be the 10 s busy timeout)"
echo "SELECT count(*) FROM runs; COMMIT; SELECT count(*) FROM runs;" >&3
exec 3>&-
wait "$rpid"
is "$(tail -n 2 reader.out | tr '\n' ' ')" "60 100 " "the snapshot stayed at 60; after it, the reader sees 100"
bc run -q --sample 0 -- true
w=$(wal_size)
[ "$w" -le $(((96 + 64) * 16408 + 32)) ]; ok $? "with the reader gone, the next close brings the WAL back down ($w bytes)"
is "$(sqlite3 "$db" 'SELECT count(*) FROM runs')" 101 "101 runs"

# starting the command
out=$(bc run -n missing -- no-such-command-here 2>&1); rc=$?
is "$rc" 127 "a command that does not exist: exit 127, as from a shell"
like "$out" "cannot run 'no-such-command-here'" "with a message naming it"
like "$(bc show missing --json)" '"status": "failed"' "the run is recorded as failed"
like "$(bc show missing --json)" '"exit_code": 127' "with exit code 127"
like "$(bc logs missing --stderr 2>&1)" "cannot run 'no-such-command-here'" "and the message is in its log"
printf 'echo hi\n' > noexec.sh && chmod a-x noexec.sh
bc run -q -- ./noexec.sh 2>/dev/null; rc=$?
if [ "$(id -u)" = 0 ] && [ -x noexec.sh ]; then
	echo "ok $((T_N + 1)) # SKIP root can execute anything"; T_N=$((T_N + 1))
else
	is "$rc" 126 "a file that is not executable: exit 126"
fi
# SIGPIPE is ignored by bancada itself but restored for the command
bc run -q -n pipe -- sh -c 'yes | head -n 1 >/dev/null; echo "yes exited"'
like "$(bc logs pipe)" "yes exited" "the command gets SIGPIPE back (a pipeline ends)"
bc run -q -n env --shell -- 'echo "id=$BANCADA_RUN_ID"; echo "pp=$PYTHONPATH"; env | grep -c "^BANCADA_RUN_ID="'
log=$(bc logs env)
like "$log" "id=$(bc show env --json | sed -n 's/^ *"id": "\([0-9a-f]*\)".*/\1/p' | head -1)" "the command sees its run id"
like "$log" "pp=.*python" "and the Python helper on PYTHONPATH"
like "$log" "^1\$" "once, not twice"
PYTHONPATH=/some/where bc run -q -n env2 --shell -- 'echo "pp=$PYTHONPATH"'
like "$(bc logs env2)" "pp=.*python:/some/where" "an existing PYTHONPATH is kept after the helper's"

# --no-git is ours only before the command
bc run -q -n ng -t x --no-git -- true
is "$(bc show ng --json | grep -c '"commit": "[0-9a-f]')" 0 "--no-git after an option with a value: no commit"
bc run -q -n g2 -- echo --no-git
like "$(bc show g2 --json)" "\"commit\": \"$(git rev-parse HEAD)\"" "--no-git in the command's own arguments: the commit is recorded"
like "$(bc logs g2)" "^--no-git\$" "and passed to the command"
done_testing
