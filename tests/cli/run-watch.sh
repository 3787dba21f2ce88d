#!/bin/sh
# SPDX-License-Identifier: MIT
# The work-tree watcher (core/git-watch.c, `bancada watch`): once it answers,
# `bancada run` knows a clean tree without an lstat per tracked file, and
# every change to a tracked path still makes the next run dirty, at once.
# Each case asserts what `show --json` reports against what git says.
. "$top_srcdir/tests/lib/libtest.sh"

new_repo proj
cd proj
git add .gitignore && git commit -qm ignore
mkdir -p src/deep/er data && for i in 1 2 3 4 5 6; do echo "v$i" > "src/f$i.txt"; done
echo deep > src/deep/er/d.txt
git add src && git commit -qm files
settle() { sleep 1.1; git status --porcelain >/dev/null; }   # no "racy" entries
field() { bc show @ --json | sed -n "s/^ *\"$1\": \"*\([^\",]*\)\"*,*\$/\1/p" | head -1; }
# gone PID: the process has exited (a zombie its reaper has not waited for counts)
gone() { [ ! -e "/proc/$1" ] || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]; }
gone_within() { i=0; while [ $i -lt 100 ] && ! gone "$1"; do sleep 0.05; i=$((i + 1)); done; gone "$1"; }
gen() { bc watch status --json | sed -n 's/^ *"generation": \([0-9]*\).*/\1/p'; }
settle

bc watch status >/dev/null 2>&1
is "$?" 1 "status: no watcher yet (exit 1)"
like "$(bc watch status --json)" '"running": false' "status --json says not running"

# `run` starts one by itself
bc run -q -- true
i=0; while [ $i -lt 100 ] && ! bc watch status >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
bc watch status >/dev/null 2>&1
ok $? "the first run started a watcher"
st=$(bc watch status)
like "$st" "watches +4 directories, 9 tracked files" "it watches the root, src, src/deep, src/deep/er (9 tracked files)"
pid=$(bc watch status --json | sed -n 's/^ *"pid": \([0-9]*\).*/\1/p')
kill -0 "$pid" 2>/dev/null; ok $? "its pid is alive ($pid)"
[ "$(cut -d' ' -f6 "/proc/$pid/stat")" = "$pid" ]; ok $? "it leads a session of its own (no terminal, no job control)"
[ "$(readlink "/proc/$pid/fd/1")" = /dev/null ] && [ "$(readlink "/proc/$pid/fd/2")" = /dev/null ]
ok $? "its output goes to /dev/null (a pipe from the caller would never close)"

# the second run scans once with the watcher's answer on both sides; the third skips the scan
bc run -q -- true
is "$(field dirty)" false "clean, scanned once more with the watcher up"
like "$(cat .bancada/tmp/git-clean)" "^w [0-9a-f]{32} [0-9]+" "the scan earned the watcher's generation"
bc run -q -- true
is "$(field commit)" "$(git rev-parse HEAD)" "watcher path: the commit"
is "$(field dirty)" false "watcher path: clean"
if command -v strace >/dev/null 2>&1; then
	timeout 60 strace -f -qq -e trace=newfstatat,lstat,statx,stat -o ../trace "$BANCADA" run -q -- true
	n=$(grep -c 'f[0-9]\.txt' ../trace)
	is "$n" 0 "watcher path: no tracked file is stat()ed (strace)"
	BANCADA_WATCH=0 timeout 60 strace -f -qq -e trace=newfstatat,lstat,statx,stat -o ../trace "$BANCADA" run -q -- true
	n=$(grep -c 'f[0-9]\.txt' ../trace)
	[ "$n" -ge 6 ]; ok $? "without the watcher (BANCADA_WATCH=0) every tracked file is stat()ed ($n)"
else
	ok 0 "# SKIP strace not installed: the stat count is not checked"
	ok 0 "# SKIP strace not installed"
fi

# every kind of change, seen on the very next run, with no pause
g0=$(gen)
echo changed >> src/f3.txt
bc run -q -- true
is "$(field dirty)" true "a modified file: dirty at once"
like "$(bc show @ --json)" "\\+changed" "and its patch is stored"
[ "$(gen)" -gt "$g0" ]; ok $? "the watcher counted the change"
git checkout -q -- src/f3.txt && settle
bc run -q -- true; bc run -q -- true
is "$(field dirty)" false "restored: clean"

g0=$(gen)
echo scratch > untracked.txt && echo out > data/out.bin && mkdir -p outputs && echo o > outputs/x
bc run -q -- true; bc run -q -- true
is "$(field dirty)" false "untracked files do not make a run dirty"
is "$(gen)" "$g0" "nor count as changes (outputs of training stay cheap)"

rm src/f2.txt
bc run -q -- true
is "$(field dirty)" true "a deleted file: dirty"
git checkout -q -- src/f2.txt && settle && bc run -q -- true

echo deeper >> src/deep/er/d.txt
bc run -q -- true
is "$(field dirty)" true "a file three directories down: dirty"
git checkout -q -- src/deep/er/d.txt && settle && bc run -q -- true

mv src/deep src/deep.moved
bc run -q -- true
is "$(field dirty)" true "a directory of tracked files moved away: dirty"
mv src/deep.moved src/deep && settle
bc run -q -- true; bc run -q -- true
is "$(field dirty)" false "moved back: clean"
echo again >> src/deep/er/d.txt
bc run -q -- true
is "$(field dirty)" true "a change inside the directory after it came back: still seen"
git checkout -q -- src/deep/er/d.txt && settle && bc run -q -- true

rm -rf src/deep
bc run -q -- true
is "$(field dirty)" true "a directory of tracked files deleted: dirty"
bc run -q -- true
git checkout -q -- src/deep && settle
bc run -q -- true; bc run -q -- true
is "$(field dirty)" false "restored from git: clean"
echo once-more >> src/deep/er/d.txt
bc run -q -- true
is "$(field dirty)" true "a change inside the re-created directory: seen"
git checkout -q -- src/deep/er/d.txt && settle && bc run -q -- true

chmod +x src/f4.txt
bc run -q -- true
is "$(field dirty)" true "a mode change: dirty"
chmod -x src/f4.txt && settle && bc run -q -- true

rm src/f5.txt && mkdir src/f5.txt
bc run -q -- true
is "$(field dirty)" true "a file replaced by a directory: dirty"
rmdir src/f5.txt && git checkout -q -- src/f5.txt && settle && bc run -q -- true

# a tracked file with a second link outside the work tree, written through that link
ln src/f6.txt ../f6-link && git update-index --refresh >/dev/null; settle
bc run -q -- true; bc run -q -- true
is "$(field dirty)" false "a hard-linked tracked file: clean"
echo via-link >> ../f6-link
bc run -q -- true
is "$(field dirty)" true "written through its other link: dirty"
git checkout -q -- src/f6.txt && rm -f ../f6-link && settle && bc run -q -- true

# a commit changes the index: the watcher re-reads it and follows new directories
mkdir -p newdir && echo n > newdir/n.txt && git add newdir && git commit -qm newdir && settle
bc run -q -- true; bc run -q -- true
is "$(field commit)" "$(git rev-parse HEAD)" "after a commit: the new commit"
is "$(field dirty)" false "after a commit: clean"
like "$(bc watch status)" "watches +5 directories, 10 tracked files" "the new directory is watched"
echo m >> newdir/n.txt
bc run -q -- true
is "$(field dirty)" true "a change in the newly tracked directory: dirty"
git checkout -q -- newdir/n.txt && settle

# BANCADA_WATCH=0: asked nothing, and nothing started
pid=$(bc watch status --json | sed -n 's/^ *"pid": \([0-9]*\).*/\1/p')
bc watch stop >/dev/null
ok $? "stop"
bc watch status >/dev/null 2>&1
is "$?" 1 "stopped: status says none"
gone_within "$pid"; ok $? "the process is gone"
BANCADA_WATCH=0 bc run -q -- true
sleep 0.5
bc watch status >/dev/null 2>&1
is "$?" 1 "BANCADA_WATCH=0: no watcher started"
is "$(field dirty)" false "and the run is still recorded clean (by the scan)"
out=$(bc watch stop 2>&1)
is "$?" 1 "stop with none running: exit 1"
like "$out" "no watcher runs" "and says so"
out=$(bc watch frobnicate 2>&1)
is "$?" 2 "an unknown action: usage error"

# a descriptor the caller left open (no close-on-exec) does not reach the watcher
exec 7>../held-open
bc run -q -- true
exec 7>&-
i=0; while [ $i -lt 100 ] && ! bc watch status >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
pw=$(bc watch status --json | sed -n 's/^ *"pid": \([0-9]*\).*/\1/p')
held=$(ls -l "/proc/$pw/fd" 2>/dev/null | grep -c held-open)
is "$held" 0 "the watcher does not hold its caller's other descriptors"

# one watcher per work tree, however many ask
bc watch start >/dev/null
p1=$(bc watch status --json | sed -n 's/^ *"pid": \([0-9]*\).*/\1/p')
bc watch start >/dev/null
bc -C "$PWD" watch serve --idle 5
is "$?" 0 "a second watcher for the same tree exits quietly"
p2=$(bc watch status --json | sed -n 's/^ *"pid": \([0-9]*\).*/\1/p')
is "$p2" "$p1" "start again: the same watcher"

# the idle timeout, and a removed work tree end it
bc watch stop >/dev/null
BANCADA_WATCH_IDLE_SECS=1 bc watch start >/dev/null
pi=$(bc watch status --json | sed -n 's/^ *"pid": \([0-9]*\).*/\1/p')
sleep 1.5
gone_within "$pi"; ok $? "idle for its timeout: it exits"
bc watch start >/dev/null
p3=$(bc watch status --json | sed -n 's/^ *"pid": \([0-9]*\).*/\1/p')
cd .. && cp -r proj proj-copy 2>../cp-err
is "$?" 0 "a project with a watcher copies with cp -r (no socket file inside)"
rm -rf proj
gone_within "$p3"; ok $? "the work tree removed: the watcher exits"

# a work tree whose name carries control characters: shown escaped, on every path
evil=$(printf 'ev\033[31mil\rx')
new_repo "$evil" && cd "$evil" || exit 1
{ bc watch start; bc watch status; bc watch status --json; bc watch stop; } > ../evil-out 2>&1
no_raw_controls ../evil-out; ok $? "start, status and stop print the name with its controls escaped"
like "$(cat ../evil-out)" "stopped the watcher of" "and stop said so"
cd ..

done_testing
